"""Every message that tells the model to call something names a tool it can see (issue 11), and
texts about status say what is true (sandbox handles after a restart)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, Implementation

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED

pytestmark = pytest.mark.anyio

CALL = re.compile(r"\b[Cc]all (?:the )?`?([a-z_]+)\b")
NOT_TOOLS = {"again", "it", "this", "that", "them", "list", "back"}  # "call again", "call it", …


def texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


class Collector:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, result: CallToolResult) -> dict[str, Any]:
        self.messages += [getattr(block, "text", "") for block in result.content]
        data = result.structured_content or {}
        self.messages += texts({k: v for k, v in data.items() if k != "result"})  # LinkedIn text is data
        return data

    async def progress(self, _progress: float, _total: float | None, message: str | None) -> None:
        if message:
            self.messages.append(message)

    def named(self) -> set[str]:
        return {m for text in self.messages for m in CALL.findall(text)} - NOT_TOOLS


@pytest.mark.parametrize("client_name", ["claude-ai", "cursor-vscode"])
async def test_every_call_hint_of_a_task_run_names_a_listed_tool(
    tmp_path: Path, sandbox: Sandbox, client_name: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="elicit-or-preview", toolsets="all"
    )
    server, _ = build(settings, sandbox=sandbox)
    seen = Collector()
    person = sandbox.samples()["connectionUrls"][0]
    async with Client(server, client_info=Implementation(name=client_name, version="1")) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        call = client.call_tool
        # A search that is not done yet: a handle and the call that collects it.
        pending = seen.add(await call("search_people", {"term": "engineer", "limit": 80, "waitSeconds": 0}))
        seen.add(await call("list_workflows", {}))
        sandbox.advance(3600)
        done = seen.add(await call("get_workflow_result", {"workflowId": pending["workflowId"]}))
        assert done["status"] == "completed"
        assert "next" in done["page"]
        assert "omitted" in done
        seen.add(await call("get_workflow_result", {"workflowId": pending["workflowId"], "offset": 50}))
        # A message needs the user's approval: the preview says how to confirm it.
        preview = seen.add(await call("send_message", {"personUrl": person, "text": "Hello", "waitSeconds": 0}))
        assert preview["status"] == "confirmation_required"
        seen.add(await call("send_message", {"personUrl": person, "text": "Hello", "confirmationId": "bogus"}))
        # One that a capped client does not see listed (not a core tool): its preview names the
        # tool the client can call there (run_operation with the operation's name).
        withdraw = seen.add(await call("withdraw_connection_request", {"personUrl": person, "waitSeconds": 0}))
        assert withdraw["status"] == "confirmation_required"
        # Refusals and unknown handles.
        seen.add(await call("get_workflow_result", {"workflowId": "wf-unknown"}))
        seen.add(await call("run_operation", {"name": "retrieve_ssl", "arguments": {}}))
        seen.add(await call("search_people", {"limit": 5000}))
    named = seen.named()
    assert {"get_workflow_result", "send_message"} <= named  # the run did produce hints
    via = "withdraw_connection_request" if "withdraw_connection_request" in listed else "run_operation"
    assert via in named
    assert named <= listed, named - listed


async def test_a_handle_of_an_earlier_in_memory_sandbox_is_explained_as_what_it_is(
    tmp_path: Path, text_of: Any
) -> None:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED)
    first, _ = build(settings, sandbox=Sandbox(seed=42, speed=0))
    async with Client(first) as client:
        started = await client.call_tool("search_people", {"term": "x", "waitSeconds": 0})
    assert started.structured_content is not None
    workflow = started.structured_content["workflowId"]
    # The same data directory, a new server with a new in-memory sandbox (a restart).
    second, _ = build(settings, sandbox=Sandbox(seed=42, speed=0))
    async with Client(second) as client:
        out = await client.call_tool("get_workflow_result", {"workflowId": workflow})
    assert out.is_error
    text = text_of(out)
    assert f"Workflow {workflow} belongs to another sandbox account" in text
    assert "tokens" not in text


@pytest.mark.parametrize("read_only", [False, True])
async def test_the_instructions_name_only_tools_this_server_has(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, read_only: bool
) -> None:
    monkeypatch.delenv("LINKEDAPI_MCP_TOOLSETS")
    server, _ = build(Settings(data_dir=tmp_path / "data", read_only=read_only), sandbox=sandbox)
    async with Client(server) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        instructions = client.instructions or ""
    mentioned = set(re.findall(r"\b(?:[a-z]+_)+[a-z]+\b", instructions)) - {"outcome_unknown", "confirmation_required"}
    # Custom workflows are named only to say they are off (and how the user turns them on).
    off = {"execute_custom_workflow", "list_workflow_actions"}
    assert mentioned - off <= listed, (mentioned - off) - listed
    assert ("cancel_workflow" in instructions) is (not read_only)


async def test_list_workflows_says_a_finished_workflows_status_without_its_in_progress_words(
    client: Client, sandbox: Sandbox
) -> None:
    started = await client.call_tool("search_people", {"term": "x", "waitSeconds": 0})
    assert started.structured_content is not None
    workflow = started.structured_content["workflowId"]
    before = await client.call_tool("list_workflows", {})
    sandbox.advance(3600)
    done = await client.call_tool("get_workflow_result", {"workflowId": workflow})
    after = await client.call_tool("list_workflows", {})
    assert before.structured_content is not None
    assert done.structured_content is not None
    assert after.structured_content is not None
    [pending] = before.structured_content["workflows"]
    [finished] = after.structured_content["workflows"]
    assert pending["status"] == "pending"
    assert pending["pendingReason"] == "queued"
    assert finished["status"] == done.structured_content["status"] == "completed"
    assert "pendingReason" not in finished
    assert "message" not in finished
