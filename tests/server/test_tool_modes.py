"""Tool modes (issue 11): every operation a listed tool by default, the core listing for clients
known to cap tool counts, and both name forms of an operation accepted wherever a name is taken."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import Implementation

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.toolsets import CORE_TOOLS, DEFAULT_TOOLSETS, HANDLE_TOOLS, capped_client
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED, Upstream

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def connect(
    tmp_path: Path, sandbox: Sandbox, client_name: str, era: str = "auto", **options: Any
) -> AsyncIterator[Client]:
    server, _ = build(Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, **options), sandbox=sandbox)
    info = Implementation(name=client_name, version="1")
    async with Client(server, mode=era, client_info=info) as client:  # type: ignore[arg-type]
        yield client


async def names(client: Client) -> list[str]:
    return [tool.name for tool in (await client.list_tools()).tools]


@pytest.mark.parametrize("client_name", ["claude-ai", "Visual Studio Code", "pytest"])
async def test_by_default_every_operation_of_the_enabled_toolsets_is_a_listed_tool(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, client_name: str
) -> None:
    monkeypatch.delenv("LINKEDAPI_MCP_TOOLSETS")
    async with connect(tmp_path, sandbox, client_name) as client:
        listed = await names(client)
    expected = [op.tool for op in CATALOG.values() if op.toolset in DEFAULT_TOOLSETS]
    assert listed == [*expected, *HANDLE_TOOLS]  # no describe_operation / run_operation


@pytest.mark.parametrize("era", ["auto", "legacy"])  # the 2026 envelope and the initialize handshake
@pytest.mark.parametrize("client_name", ["cursor-vscode", "Windsurf"])
async def test_a_client_known_to_cap_tool_counts_gets_the_core_listing_and_can_reach_the_rest(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, client_name: str, era: str
) -> None:
    assert capped_client(client_name)
    async with connect(tmp_path, sandbox, client_name, era) as client:
        listed = await names(client)
        described = await client.call_tool("describe_operation", {"name": "retrieve_ssi"})
        started = await client.call_tool("run_operation", {"name": "retrieve_ssi", "arguments": {"waitSeconds": 0}})
    assert set(listed) == (CORE_TOOLS | set(HANDLE_TOOLS) | {"describe_operation", "run_operation"})
    assert described.structured_content is not None
    assert described.structured_content["name"] == "retrieve_ssi"
    assert started.structured_content is not None
    assert started.structured_content["status"] == "pending"
    assert upstream.posts == 1


async def test_an_explicit_tool_mode_wins_over_the_client_name(tmp_path: Path, sandbox: Sandbox) -> None:
    async with connect(tmp_path, sandbox, "cursor-vscode", tool_mode="full") as client:
        full = await names(client)
    async with connect(tmp_path, sandbox, "claude-ai", tool_mode="core") as client:
        core = await names(client)
    assert "describe_operation" not in full
    assert set(full) == {*CATALOG, "list_workflow_actions", *HANDLE_TOOLS}
    assert "describe_operation" in core
    assert "retrieve_ssi" not in core


@pytest.mark.parametrize("client_name", ["claude-ai", "cursor-vscode"])
async def test_both_name_forms_are_accepted_wherever_a_name_is_taken(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, client_name: str
) -> None:
    async with connect(tmp_path, sandbox, client_name) as client:
        # The tool name in Linked API's form (as results show it in operationName).
        by_operation_name = await client.call_tool("retrieveSSI", {"waitSeconds": 0})
        # run_operation / describe_operation's `name` in both forms (the same workflow: deduplicated).
        via_run = await client.call_tool("run_operation", {"name": "retrieveSSI", "arguments": {"waitSeconds": 0}})
        described = await client.call_tool("describe_operation", {"name": "retrieveSSI"})
        # list_workflows' operationName filter in the tool's form.
        snake = await client.call_tool("list_workflows", {"operationName": "retrieve_ssi"})
        camel = await client.call_tool("list_workflows", {"operationName": "retrieveSSI"})
    first, second = by_operation_name.structured_content, via_run.structured_content
    assert first is not None
    assert second is not None
    assert first["operationName"] == "retrieveSSI"
    assert second["workflowId"] == first["workflowId"]
    assert not described.is_error
    assert described.structured_content is not None
    assert described.structured_content["name"] == "retrieve_ssi"
    assert snake.structured_content == camel.structured_content
    assert snake.structured_content is not None
    assert [w["workflowId"] for w in snake.structured_content["workflows"]] == [first["workflowId"]]
    assert upstream.posts == 1


async def test_an_unknown_operation_name_gets_the_nearest_names_and_no_tool_to_call(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    async with connect(tmp_path, sandbox, "cursor-vscode") as client:
        result = await client.call_tool("run_operation", {"name": "retrieve_ssl", "arguments": {}})
    text = "".join(getattr(block, "text", "") for block in result.content)
    assert result.is_error
    assert text == "[unknownOperation] 'retrieve_ssl' is not an operation. Did you mean retrieve_ssi? Nothing was sent."
    assert upstream.total == 0
