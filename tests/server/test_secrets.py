"""No token anywhere after a full guarded scenario: results, errors, questions, DEBUG logs, the ledger.

Complements the sweep in ``test_errors_and_secrets.py`` (reads, dedupe, dropped starts, a wrong
token) with everything the guards add: the confirmation question, the preview → confirm flow and
its refusals, budget refusals, cancellation. The server is configured from the environment, as a
user would, against a standalone sandbox over HTTP that only accepts these tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

API_TOKEN = "lat-SWEEP-4b1d9e7a0c3f5a62"
ID_TOKEN = "idt-SWEEP-e8f2a6c4d0b97315"
TOKENS = (API_TOKEN, ID_TOKEN)


@pytest.fixture(scope="module")
def live() -> Iterator[ServerThread]:
    sandbox = Sandbox(seed=42, speed=0, linked_api_token=API_TOKEN, identification_token=ID_TOKEN)
    with ServerThread(sandbox) as running:
        yield running


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, live: ServerThread) -> Settings:
    monkeypatch.setenv("LINKED_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("IDENTIFICATION_TOKEN", ID_TOKEN)
    monkeypatch.setenv("LINKED_API_BASE_URL", live.base_url)
    monkeypatch.setenv("LINKEDAPI_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LINKEDAPI_MCP_CONFIRM", "elicit-or-preview")
    monkeypatch.setenv("LINKEDAPI_MCP_BUDGETS", "stMessages=4/day,stConnectionRequests=1/day")
    monkeypatch.setenv("LINKEDAPI_MCP_LOG_LEVEL", "DEBUG")
    return Settings()


async def test_no_token_appears_anywhere_after_a_guarded_scenario(
    configured: Settings, live: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, so every logger of ours and the SDK's
    for name in ("linkedapi_mcp", "linkedapi_mcp.server", "mcp", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    live.sandbox.requests.clear()
    s = live.sandbox.samples()
    people = s["connectionUrls"]
    seen: list[str] = []
    questions: list[str] = []

    def keep(result: CallToolResult) -> dict[str, Any]:
        seen.append(result.model_dump_json())
        return result.structured_content or {}

    async def human(_context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        accept = "decline" not in params.message
        return ElicitResult(action="accept", content={"confirm": True}) if accept else ElicitResult(action="decline")

    server, _ = build(configured)
    # A client without elicitation: preview → confirm, its refusals, dedupe, budgets, results, cancel.
    async with Client(server) as c:
        args = {"personUrl": people[0], "text": "sweep one", "waitSeconds": 0}
        preview = keep(await c.call_tool("send_message", args))
        keep(
            await c.call_tool("send_message", {**args, "text": "changed", "confirmationId": preview["confirmationId"]})
        )
        started = keep(await c.call_tool("send_message", {**args, "confirmationId": preview["confirmationId"]}))
        keep(await c.call_tool("send_message", {**args, "confirmationId": preview["confirmationId"]}))  # dedupe
        keep(await c.call_tool("send_message", {**args, "confirmationId": "not-a-real-id"}))
        keep(await c.call_tool("get_workflow_result", {"workflowId": started["workflowId"], "waitSeconds": 0}))
        keep(await c.call_tool("cancel_workflow", {"workflowId": started["workflowId"]}))
        keep(await c.call_tool("get_workflow_result", {"workflowId": "wf-unknown"}))
        keep(await c.call_tool("list_workflows", {}))
        keep(await c.call_tool("fetch_person", {"personUrl": s["notFound"]["personUrl"], "waitSeconds": 0}))
    # A client with elicitation (handshake era): accepted, declined, then over budget.
    async with Client(server, mode="legacy", elicitation_callback=human) as c:
        for person, text in zip(people[1:5], ("sweep 1", "sweep 2", "please decline", "sweep 4"), strict=True):
            keep(await c.call_tool("send_message", {"personUrl": person, "text": text, "waitSeconds": 0}))
        request = {"personUrl": s["personUrls"][0], "note": "sweep", "waitSeconds": 0}
        keep(await c.call_tool("send_connection_request", request))
        keep(await c.call_tool("send_connection_request", {**request, "personUrl": s["personUrls"][1]}))

    files = sorted(Path(str(configured.data_dir)).glob("ledger.sqlite3*"))  # noqa: ASYNC240 (after the run)
    ledger = b"".join(p.read_bytes() for p in files)
    haystacks = {
        "results and errors": "\n".join(seen),
        "questions": "\n".join(questions),
        "logs": caplog.text,
        "ledger": ledger.decode("latin-1"),
    }
    # The sweep looked at the real thing: each kind of outcome is there.
    for expected in ("confirmation_required", "confirmationRejected", "budgetExceeded", "declined", "cancelled"):
        assert expected in haystacks["results and errors"], expected
    assert len(questions) == 5  # four accepted, one declined; the call over budget was not asked
    assert "sweep one" in haystacks["ledger"]
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    for token in TOKENS:
        for where, text in haystacks.items():
            assert token not in text, f"token leaked into {where}"
            assert token[-10:] not in text, f"part of a token leaked into {where}"
