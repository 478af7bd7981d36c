"""Toolsets, read-only mode and core tool mode: what a client sees, and what the server lets through."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, Implementation, Tool

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.toolsets import CORE_TOOLS, HANDLE_TOOLS
from linkedapi_mcp.settings import ConfigurationError, Settings

from ..conftest import check_snapshot
from .conftest import POLL_SPEED, Upstream

pytestmark = pytest.mark.anyio

TextOf = Callable[[CallToolResult], str]
SNAPSHOT = Path(__file__).parent / "snapshots" / "tools_list_default.json"
PERSON = "https://www.linkedin.com/in/jane-roe"


@asynccontextmanager
async def connect(tmp_path: Path, sandbox: Sandbox, **options: Any) -> AsyncIterator[Client]:
    options.setdefault("tool_mode", "core")  # most tests here are about the core mode
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, **options)
    server, _ = build(settings, sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        yield client


async def listed(client: Client) -> dict[str, Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_read_only_lists_no_account_changing_tool_even_when_its_toolset_is_requested(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    async with connect(tmp_path, sandbox, toolsets="messaging", read_only=True) as client:
        names = set(await listed(client))
    assert {"get_inbox", "get_conversation"} <= names
    assert not names & {"send_message", "manage_conversation", "sync_inbox", "sync_conversation", "cancel_workflow"}
    assert not names & {"describe_operation", "run_operation"}  # nothing else is reachable


@pytest.mark.parametrize("mode", ["core", "full"])
async def test_read_only_wins_over_every_toolset_in_both_tool_modes(
    tmp_path: Path, sandbox: Sandbox, mode: str
) -> None:
    async with connect(tmp_path, sandbox, toolsets="all", read_only=True, tool_mode=mode) as client:
        tools = await listed(client)
        described: set[str] = set()
        if "describe_operation" in tools:
            schema = tools["describe_operation"].input_schema
            described = set(schema["properties"]["name"]["enum"])
    for tool in tools.values():
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True, tool.name
    for name in {*tools, *described} & set(CATALOG):
        assert CATALOG[name].effect == "read", name
    reachable = {*tools, *described}
    assert reachable >= {op.tool for op in CATALOG.values() if op.effect == "read"}


async def test_a_disabled_tool_called_anyway_is_refused_and_nothing_is_sent(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, text_of: TextOf
) -> None:
    async with connect(tmp_path, sandbox, toolsets="all", read_only=True) as client:
        direct = await client.call_tool("send_message", {"personUrl": PERSON, "text": "hi"})
        via_run = await client.call_tool(
            "run_operation", {"name": "send_message", "arguments": {"personUrl": PERSON, "text": "hi"}}
        )
        sync = await client.call_tool("sync_inbox", {})
    for result in (direct, via_run, sync):
        assert result.is_error
        assert "is not enabled: read-only mode is on" in text_of(result)
    assert text_of(direct).startswith("[toolNotEnabled] send_message")
    assert upstream.total == 0


async def test_an_operation_outside_the_enabled_toolsets_is_refused_by_name(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, text_of: TextOf
) -> None:
    async with connect(tmp_path, sandbox, toolsets="people,messaging") as client:
        direct = await client.call_tool("search_people", {"term": "engineer"})
        via_run = await client.call_tool("run_operation", {"name": "search_people", "arguments": {"term": "x"}})
        custom = await client.call_tool("execute_custom_workflow", {"definition": {"actionType": "st.retrieveSSI"}})
    for result in (direct, via_run):
        assert result.is_error
        assert "its toolset 'search' is not enabled" in text_of(result)
    assert "its toolset 'workflows' is not enabled" in text_of(custom)
    assert upstream.total == 0


async def test_toolset_selection_changes_the_tool_list(tmp_path: Path, sandbox: Sandbox) -> None:
    async with connect(tmp_path, sandbox, toolsets="people", tool_mode="full") as client:
        people = set(await listed(client))
    async with connect(tmp_path, sandbox, toolsets="messaging", tool_mode="full") as client:
        messaging = set(await listed(client))
    assert people == {op.tool for op in CATALOG.values() if op.toolset == "people"} | set(HANDLE_TOOLS)
    assert messaging == {op.tool for op in CATALOG.values() if op.toolset == "messaging"} | set(HANDLE_TOOLS)


async def test_custom_workflows_are_off_by_default_and_everything_else_is_reachable(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINKEDAPI_MCP_TOOLSETS")
    async with connect(tmp_path, sandbox) as client:
        tools = await listed(client)
    reachable = set(tools) | set(tools["describe_operation"].input_schema["properties"]["name"]["enum"])
    assert reachable == {op.tool for op in CATALOG.values() if op.toolset != "workflows"} | set(HANDLE_TOOLS) | {
        "describe_operation",
        "run_operation",
    }


def test_an_unknown_toolset_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown toolset 'admin'"):
        build(Settings(data_dir=tmp_path, toolsets="people,admin"))


# -- core mode: every operation reachable and typed ------------------------------------------------


@pytest.fixture(scope="module")
def full_schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each operation's input schema as its plain tool publishes it (full mode)."""
    import anyio

    async def run() -> dict[str, dict[str, Any]]:
        settings = Settings(data_dir=tmp_path_factory.mktemp("data"), toolsets="all", tool_mode="full")
        async with Client(build(settings)[0]) as client:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

    return anyio.run(run)


@pytest.fixture(scope="module")
def shared_sandbox() -> Sandbox:
    """One world for the per-operation checks below (building a world is the slow part); they send nothing."""
    return Sandbox(seed=42, speed=0)


@pytest.mark.parametrize("tool", list(CATALOG))
async def test_every_operation_is_reachable_and_typed_in_core_mode(
    tool: str,
    tmp_path: Path,
    shared_sandbox: Sandbox,
    text_of: TextOf,
    full_schemas: dict[str, dict[str, Any]],
) -> None:
    upstream = Upstream(shared_sandbox)
    async with connect(tmp_path, shared_sandbox, toolsets="all") as client:
        tools = await listed(client)
        if tool in CORE_TOOLS:
            assert tools[tool].input_schema == full_schemas[tool]
            return
        assert tool not in tools
        described = await client.call_tool("describe_operation", {"name": tool})
        bad = await client.call_tool("run_operation", {"name": tool, "arguments": {"bogus": 1}})
    assert not described.is_error, text_of(described)
    assert described.structured_content is not None
    assert described.structured_content["inputSchema"] == full_schemas[tool]
    assert described.structured_content["effect"] == CATALOG[tool].effect
    assert bad.is_error
    lines = text_of(bad).splitlines()
    assert lines[0] == f"Invalid arguments for {tool}:"
    assert "- unknown parameter 'bogus'" in lines
    assert all(line.startswith("- ") and len(line) < 160 for line in lines[1:])
    assert upstream.total == 0


async def test_run_operation_gives_the_same_envelope_waiting_and_dedupe_as_the_plain_tool(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    async with connect(tmp_path, sandbox, toolsets="all") as client:
        started = await client.call_tool("run_operation", {"name": "retrieve_ssi", "arguments": {"waitSeconds": 0}})
        # Called by its own (unlisted) name, the same operation reaches the same workflow.
        again = await client.call_tool("retrieve_ssi", {"waitSeconds": 0})
        sandbox.advance(3600)
        assert started.structured_content is not None
        done = await client.call_tool("get_workflow_result", {"workflowId": started.structured_content["workflowId"]})
    first, second, final = started.structured_content, again.structured_content, done.structured_content
    assert second is not None
    assert final is not None
    assert first["status"] == "pending"
    assert first["operationName"] == "retrieveSSI"
    assert second["deduplicated"] is True
    assert second["workflowId"] == first["workflowId"]
    assert final["status"] == "completed"
    assert final["result"] is not None
    assert upstream.posts == 1


async def test_run_operation_refuses_a_handle_tool_or_an_unknown_name(
    tmp_path: Path, sandbox: Sandbox, text_of: TextOf
) -> None:
    async with connect(tmp_path, sandbox, toolsets="all") as client:
        handle = await client.call_tool("run_operation", {"name": "list_workflows", "arguments": {}})
        unknown = await client.call_tool("run_operation", {"name": "hack_linkedin", "arguments": {}})
    for result in (handle, unknown):
        assert result.is_error
        assert "is not an operation." in text_of(result)
        assert "Nothing was sent." in text_of(result)


async def test_full_mode_lists_every_enabled_operation_and_no_disclosure_tools(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    async with connect(tmp_path, sandbox, toolsets="all", tool_mode="full") as client:
        names = list(await listed(client))
    assert names == [*CATALOG, "list_workflow_actions", *HANDLE_TOOLS]


async def test_the_default_tool_list_matches_the_committed_snapshot(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``UPDATE_SNAPSHOTS=1`` rewrites it, like the full list's snapshot (test_tools_list.py); missing, it fails."""
    monkeypatch.delenv("LINKEDAPI_MCP_TOOLSETS")
    async with connect(tmp_path, sandbox, tool_mode="auto") as client:
        tools = (await client.list_tools()).tools
    current = json.dumps(
        [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], indent=1, sort_keys=True
    )
    check_snapshot(SNAPSHOT, current + "\n", "the default tools/list")


# -- the confirmation guard (server/guards.py) on the disclosure path --------------------------------


class Human:
    """An elicitation callback that answers as told and records the questions."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.questions: list[str] = []

    async def __call__(self, _context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        if self.action == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        return ElicitResult(action="decline")


@pytest.mark.parametrize("era", ["auto", "legacy"])
@pytest.mark.parametrize("action", ["accept", "decline"])
@pytest.mark.parametrize("by_name", [False, True], ids=["run_operation", "own-name"])
async def test_run_operation_asks_the_user_before_an_account_changing_operation(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, era: str, action: str, by_name: bool
) -> None:
    person = sandbox.world.samples()["connectionUrls"][0]
    human = Human(action)
    settings = Settings(
        data_dir=tmp_path / "data",
        sandbox_speed=POLL_SPEED,
        toolsets="all",
        confirm="elicit-or-preview",
        tool_mode="core",
    )
    server, _ = build(settings, sandbox=sandbox)
    async with Client(server, mode=era, elicitation_callback=human) as client:
        arguments = {"personUrl": person, "waitSeconds": 0}
        if by_name:  # unlisted in core mode, called by its own name: routed through run_operation
            out = await client.call_tool("remove_connection", arguments)
        else:
            out = await client.call_tool("run_operation", {"name": "remove_connection", "arguments": arguments})
    assert out.structured_content is not None
    assert len(human.questions) == 1
    assert person in human.questions[0]
    if action == "accept":
        assert out.structured_content["status"] == "pending"
        assert upstream.posts == 1
    else:
        assert out.structured_content["status"] == "declined"
        assert upstream.posts == 0


async def test_without_elicitation_the_preview_is_confirmed_through_the_operations_own_name(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    person = sandbox.world.samples()["connectionUrls"][0]
    arguments = {"personUrl": person, "waitSeconds": 0}
    settings = Settings(
        data_dir=tmp_path / "data",
        sandbox_speed=POLL_SPEED,
        toolsets="all",
        confirm="elicit-or-preview",
        tool_mode="core",
    )
    server, _ = build(settings, sandbox=sandbox)
    async with Client(server) as client:
        preview = await client.call_tool("run_operation", {"name": "remove_connection", "arguments": arguments})
        assert preview.structured_content is not None
        assert preview.structured_content["status"] == "confirmation_required"
        assert upstream.posts == 0
        confirmation = preview.structured_content["confirmationId"]
        # The preview says "call remove_connection again …": the unlisted name works too.
        done = await client.call_tool("remove_connection", {**arguments, "confirmationId": confirmation})
    assert done.structured_content is not None
    assert done.structured_content["status"] == "pending"
    assert upstream.posts == 1


async def test_the_instructions_say_once_how_to_reach_unlisted_operations_and_that_writes_are_off(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    async with connect(tmp_path, sandbox, toolsets="all") as client:
        core = client.instructions or ""
    async with connect(tmp_path, sandbox, toolsets="all", read_only=True, tool_mode="full") as client:
        read_only = client.instructions or ""
    assert "describe_operation(name)" in core
    assert "READ-ONLY" not in core
    assert "describe_operation" not in read_only
    assert "READ-ONLY MODE" in read_only
    for text in (core, read_only):
        assert "SANDBOX MODE" in text
        assert text.count("waitSeconds") == 1
        assert len(text.encode()) < 2500


async def test_run_operation_accepts_arguments_sent_as_a_json_string(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, text_of: TextOf
) -> None:
    async with connect(tmp_path, sandbox, toolsets="all") as client:
        good = await client.call_tool("run_operation", {"name": "retrieve_ssi", "arguments": '{"waitSeconds": 0}'})
        bad = await client.call_tool("run_operation", {"name": "retrieve_ssi", "arguments": '{"waitSeconds": -1}'})
    assert good.structured_content is not None
    assert good.structured_content["status"] == "pending"
    assert bad.is_error
    assert text_of(bad).startswith("Invalid arguments for retrieve_ssi:")
    assert upstream.posts == 1
