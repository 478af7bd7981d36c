"""Context budget (issues 5 and 11): what the default ``tools/list`` costs every conversation.

Measured exactly as the benchmark does (tools/bench/context.py): UTF-8 bytes of compact JSON of
each tool's name, description and input schema, summed. This is a size, not a timing. The default
listing lists every operation of the default toolsets (issue 11): its model-facing part must stay
within 40,000 B and the whole ``tools/list`` result, output schemas included, within 150,000 B;
the core listing (capped clients) within 25,000 B.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

BUDGET_BYTES = 40_000
WHOLE_BUDGET_BYTES = 150_000
CORE_BUDGET_BYTES = 25_000
BOUNDS = ("enum", "minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "minItems", "maxItems")


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _model_facing(tool: dict[str, Any]) -> dict[str, Any]:
    return {key: tool[key] for key in ("name", "description", "inputSchema") if key in tool}


def _listing(data_dir: Path, **options: Any) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        async with Client(build(Settings(data_dir=data_dir, **options))[0]) as client:
            tools = (await client.list_tools()).tools
        return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]

    return anyio.run(run)


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LINKEDAPI_MCP_TOOLSETS", raising=False)
        mp.delenv("LINKEDAPI_MCP_TOOL_MODE", raising=False)
        mp.delenv("LINKEDAPI_MCP_READ_ONLY", raising=False)
        return _listing(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return _listing(tmp_path_factory.mktemp("data"), toolsets="all", tool_mode="full")


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LINKEDAPI_MCP_TOOLSETS", raising=False)
        return _listing(tmp_path_factory.mktemp("data"), tool_mode="core")


def test_the_default_tool_list_fits_the_context_budget(default: list[dict[str, Any]]) -> None:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.toolsets import DEFAULT_TOOLSETS

    # Every operation of the default toolsets is listed, plainly (no describe/run_operation).
    expected = {op.tool for op in CATALOG.values() if op.toolset in DEFAULT_TOOLSETS}
    assert expected <= {tool["name"] for tool in default}
    total = sum(_size(_model_facing(tool)) for tool in default)
    assert total <= BUDGET_BYTES, f"default tools/list costs {total:,} B (budget {BUDGET_BYTES:,} B)"


def test_the_whole_default_tools_list_result_with_output_schemas_fits_its_budget(
    default: list[dict[str, Any]],
) -> None:
    total = _size({"tools": default})
    assert total <= WHOLE_BUDGET_BYTES, f"tools/list is {total:,} B (budget {WHOLE_BUDGET_BYTES:,} B)"


def test_the_core_listing_for_capped_clients_fits_its_budget(core: list[dict[str, Any]]) -> None:
    assert {"describe_operation", "run_operation"} <= {tool["name"] for tool in core}
    total = sum(_size(_model_facing(tool)) for tool in core)
    assert total <= CORE_BUDGET_BYTES, f"core tools/list costs {total:,} B (budget {CORE_BUDGET_BYTES:,} B)"


def test_compaction_keeps_every_bound_and_enum_of_the_full_schemas(full: list[dict[str, Any]]) -> None:
    """The published schemas (also what describe_operation returns) keep the params models' bounds."""
    from linkedapi_mcp.catalog import CATALOG

    def keywords(node: Any) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if isinstance(node, dict):
            for key, value in node.items():
                if key in BOUNDS and not isinstance(value, dict):
                    found.append((key, json.dumps(value, sort_keys=True)))
                found += keywords(value)
        elif isinstance(node, list):
            for item in node:
                found += keywords(item)
        return found

    for tool in full:
        op = CATALOG.get(tool["name"])
        if op is None:
            continue
        expected = sorted(keywords(op.params.model_json_schema()))
        published = keywords(tool["inputSchema"])
        missing = [k for k in expected if k not in published]
        assert not missing, (tool["name"], missing)


def test_no_input_schema_has_a_top_level_combinator(default: list[dict[str, Any]], full: list[dict[str, Any]]) -> None:
    for tool in [*default, *full]:
        schema = tool["inputSchema"]
        assert schema["type"] == "object", tool["name"]
        assert not {"anyOf", "oneOf", "allOf"} & set(schema), tool["name"]


def test_the_waiting_guidance_is_said_once_not_in_every_tool(full: list[dict[str, Any]]) -> None:
    for tool in full:
        wait = tool["inputSchema"].get("properties", {}).get("waitSeconds")
        if wait is not None:
            assert len(wait.get("description", "")) <= 70, tool["name"]
        assert "get_workflow_result" not in tool.get("description", "") or tool["name"] == "get_workflow_result"
