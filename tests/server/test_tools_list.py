"""``tools/list``: every operation a typed tool with all four hints, pinned by a snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import Tool

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

from ..conftest import check_snapshot

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools_list.json"
WORKFLOW_TOOLS = ["get_workflow_result", "cancel_workflow", "list_workflows"]


def _list_tools(mode: str, data_dir: Path) -> list[Tool]:
    async def run() -> list[Tool]:
        # The whole catalog, every operation a plain tool (the default core listing and the
        # disclosure tools are pinned in test_toolsets.py).
        server, _ = build(Settings(data_dir=data_dir, toolsets="all", tool_mode="full"))
        async with Client(server, mode=mode) as client:  # type: ignore[arg-type]
            return (await client.list_tools()).tools

    return anyio.run(run)


@pytest.fixture(scope="module", params=["auto", "legacy"])
def tools(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[Tool]:
    """The tool list as each protocol era sees it (listed once per module: it never changes)."""
    return _list_tools(request.param, tmp_path_factory.mktemp("data"))


def test_every_catalog_operation_and_the_workflow_tools_are_listed_in_catalog_order(tools: list[Tool]) -> None:
    assert [t.name for t in tools] == [*CATALOG, "list_workflow_actions", *WORKFLOW_TOOLS]


def test_every_tool_has_a_title_an_output_schema_and_all_four_hints(tools: list[Tool]) -> None:
    for tool in tools:
        assert tool.title, tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.output_schema["type"] == "object"
        hints = tool.annotations
        assert hints is not None, tool.name
        for hint in (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint):
            assert isinstance(hint, bool), tool.name


@pytest.mark.parametrize(
    ("name", "read_only", "destructive", "idempotent"),
    [
        ("fetch_person", True, False, True),
        ("search_people", True, False, True),
        ("get_inbox", True, False, True),
        ("sync_inbox", False, False, True),  # monitor: Linked API state only
        ("send_message", False, False, False),  # adds a message: not destructive, not repeatable
        ("send_connection_request", False, False, False),
        ("react_to_post", False, False, True),
        ("remove_connection", False, True, True),
        ("withdraw_connection_request", False, True, True),
        ("execute_custom_workflow", False, True, False),
        ("get_workflow_result", True, False, True),
        ("cancel_workflow", False, True, True),
        ("list_workflows", True, False, True),
    ],
)
def test_hints_follow_the_operations_effect(
    tools: list[Tool], name: str, read_only: bool, destructive: bool, idempotent: bool
) -> None:
    [tool] = [t for t in tools if t.name == name]
    assert tool.annotations is not None
    assert tool.annotations.read_only_hint is read_only
    assert tool.annotations.destructive_hint is destructive
    assert tool.annotations.idempotent_hint is idempotent
    assert tool.annotations.open_world_hint is (name != "list_workflows")


def test_read_only_hint_matches_the_catalog_effect(tools: list[Tool]) -> None:
    for tool in tools:
        if tool.name in CATALOG:
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is (CATALOG[tool.name].effect == "read"), tool.name


def test_input_schemas_are_flat_objects_and_only_workflow_tools_take_wait_seconds(tools: list[Tool]) -> None:
    for tool in tools:
        schema = tool.input_schema
        assert schema["type"] == "object"
        assert not {"anyOf", "oneOf", "allOf"} & set(schema), tool.name
        takes_wait = "waitSeconds" in schema.get("properties", {})
        is_workflow = tool.name in ("get_workflow_result", "get_conversation", "nv_get_conversation") or (
            tool.name in CATALOG and CATALOG[tool.name].kind == "workflow"
        )
        assert takes_wait is is_workflow, tool.name


def test_the_result_envelope_types_the_result_of_each_operation(tools: list[Tool]) -> None:
    [fetch] = [t for t in tools if t.name == "fetch_person"]
    assert fetch.output_schema is not None
    props = fetch.output_schema["properties"]
    assert set(props) >= {"status", "workflowId", "result", "errors", "pendingReason", "pollAfterSeconds", "backend"}
    assert "publicUrl" in json.dumps(props["result"]) or "publicUrl" in json.dumps(fetch.output_schema["$defs"])


def test_descriptions_are_distinct_and_short(tools: list[Tool]) -> None:
    descriptions = [t.description or "" for t in tools]
    assert len(set(descriptions)) == len(descriptions)
    assert all(0 < len(d) <= 400 for d in descriptions)


def _snapshot_of(tools: list[Tool]) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def test_the_whole_tool_list_matches_the_committed_snapshot(tools: list[Tool]) -> None:
    """Every change to a name, schema, hint or description shows up as a diff of this file.

    ``UPDATE_SNAPSHOTS=1 pytest tests/server`` rewrites it; a missing file fails everywhere.
    """
    current = json.dumps(_snapshot_of(tools), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    check_snapshot(SNAPSHOT, current, "tools/list")


@pytest.mark.anyio
async def test_instructions_announce_the_sandbox_only_when_running_on_it(tmp_path: Path) -> None:
    sandboxed, _ = build(Settings(data_dir=tmp_path))
    real, _ = build(Settings(data_dir=tmp_path, linked_api_token="a", identification_token="b"))
    assert "SANDBOX" in (sandboxed.instructions or "")
    assert "SANDBOX" not in (real.instructions or "")
    for text in (sandboxed.instructions, real.instructions):
        assert "get_workflow_result" in (text or "")
        assert "third parties" in (text or "")
