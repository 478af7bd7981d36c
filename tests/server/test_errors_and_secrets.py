"""Errors an agent can act on, against a standalone sandbox over real HTTP; and no token ever leaks.

The standalone sandbox pins its tokens, so a wrong token is refused the way Linked API refuses it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

API_TOKEN = "lat-SECRET-7f3c9a1e55d04b2f"
ID_TOKEN = "idt-SECRET-c0ffee2b4d6e8a01"
WRONG_ID_TOKEN = "idt-WRONG-SECRET-91a7e3d4c2b1"
TextOf = Callable[[CallToolResult], str]


@pytest.fixture(scope="module")
def live() -> Iterator[ServerThread]:
    sandbox = Sandbox(seed=42, speed=100_000, linked_api_token=API_TOKEN, identification_token=ID_TOKEN)
    with ServerThread(sandbox) as running:
        yield running


@pytest.fixture
def live_settings(tmp_path: Path, live: ServerThread) -> Settings:
    live.sandbox.faults.clear()
    return Settings(
        data_dir=tmp_path / "data", base_url=live.base_url, linked_api_token=API_TOKEN, identification_token=ID_TOKEN
    )


@pytest.fixture
async def account(live_settings: Settings) -> AsyncIterator[Client]:
    server, _ = build(live_settings)
    async with Client(server) as c:
        yield c


def samples(live: ServerThread) -> dict[str, Any]:
    return live.sandbox.samples()


async def test_a_rejected_token_names_the_token_and_never_falls_back_to_the_sandbox(
    live_settings: Settings, text_of: TextOf
) -> None:
    server, _ = build(live_settings.model_copy(update={"identification_token": SecretStr(WRONG_ID_TOKEN)}))
    async with Client(server) as c:
        result = await c.call_tool("search_people", {"term": "engineer"})
    assert result.is_error
    text = text_of(result)
    assert "[invalidIdentificationToken]" in text
    assert "IDENTIFICATION_TOKEN" in text
    assert "sandbox" not in text.lower()


async def test_a_rate_limited_start_says_when_to_retry_and_can_be_retried(
    account: Client, live: ServerThread, text_of: TextOf
) -> None:
    live.sandbox.faults.add("rateLimit", method="POST", path="/workflows", seconds=30)
    args = {"personUrl": samples(live)["connectionUrls"][3], "text": "Rate limited?", "waitSeconds": 0}
    refused = await account.call_tool("send_message", args)
    assert refused.is_error
    assert "[tooManyRequests]" in text_of(refused)
    assert "Retry in 30 s" in text_of(refused)
    # Nothing was started, so the same call may go through now.
    accepted = await account.call_tool("send_message", args)
    assert not accepted.is_error
    assert accepted.structured_content is not None
    assert accepted.structured_content["deduplicated"] is False


async def test_a_plus_only_tool_on_a_core_seat_says_what_plan_it_needs(
    account: Client, live: ServerThread, text_of: TextOf
) -> None:
    live.sandbox.set_account(seat="core")
    try:
        result = await account.call_tool("nv_search_people", {"term": "cfo", "waitSeconds": 0})
    finally:
        live.sandbox.set_account(seat="plus")
    assert result.is_error
    assert "[plusPlanRequired]" in text_of(result)
    assert "Plus plan" in text_of(result)


async def test_an_unreachable_api_is_reported_as_such(tmp_path: Path, text_of: TextOf) -> None:
    settings = Settings(
        data_dir=tmp_path,
        base_url="http://127.0.0.1:9",  # nothing listens on the discard port
        linked_api_token=API_TOKEN,
        identification_token=ID_TOKEN,
        wait_seconds=0.5,  # the retry budget of a direct read: keeps this test near one second
    )
    server, _ = build(settings)
    async with Client(server) as c:
        result = await c.call_tool("get_account_info", {})
    assert result.is_error
    assert "unreachable" in text_of(result) or "try again" in text_of(result)


def _read_ledger_files(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(data_dir.glob("ledger.sqlite3*")))


async def test_no_token_appears_in_results_errors_logs_or_the_ledger(
    live_settings: Settings, live: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def keep(result: CallToolResult) -> CallToolResult:
        seen.append(result.model_dump_json())
        return result

    server, _ = build(live_settings.model_copy(update={"log_level": "DEBUG"}))
    async with Client(server) as c:
        person = samples(live)["connectionUrls"][4]
        started = keep(await c.call_tool("search_people", {"term": "data", "limit": 2, "waitSeconds": 0}))
        assert started.structured_content is not None
        keep(await c.call_tool("get_workflow_result", {"workflowId": started.structured_content["workflowId"]}))
        keep(await c.call_tool("send_message", {"personUrl": person, "text": "secret sweep", "waitSeconds": 0}))
        keep(await c.call_tool("send_message", {"personUrl": person, "text": "secret sweep", "waitSeconds": 0}))
        live.sandbox.faults.add("dropAfterAccept")
        keep(await c.call_tool("send_message", {"personUrl": person, "text": "dropped", "waitSeconds": 0}))
        live.sandbox.faults.add("rateLimit", method="POST", path="/workflows")
        keep(await c.call_tool("check_connection_status", {"personUrl": person, "waitSeconds": 0}))
        keep(await c.call_tool("get_workflow_result", {"workflowId": "wf-unknown"}))
        keep(await c.call_tool("list_workflows", {}))
        keep(await c.call_tool("get_account_info", {}))
    wrong_settings = {"identification_token": SecretStr(WRONG_ID_TOKEN), "log_level": "DEBUG"}
    wrong, _ = build(live_settings.model_copy(update=wrong_settings))
    async with Client(wrong) as c:
        keep(await c.call_tool("retrieve_ssi", {}))

    ledger_bytes = _read_ledger_files(Path(str(live_settings.data_dir)))
    haystacks = {"results": "\n".join(seen), "logs": caplog.text, "ledger": ledger_bytes.decode("latin-1")}
    assert json.loads(seen[0])  # the sweep looked at real results
    assert "dropped" in haystacks["ledger"]  # …and at a real ledger
    for token in (API_TOKEN, ID_TOKEN, WRONG_ID_TOKEN):
        for where, text in haystacks.items():
            assert token not in text, f"token leaked into {where}"
            assert token[-12:] not in text, f"part of a token leaked into {where}"
