"""Context cost: how much of every conversation the tool definitions take.

What a client shows the model from ``tools/list`` is each tool's name, description and input
schema (Claude, Cursor and VS Code send exactly these three; the output schema is used to
check results, not shown). Sizes are UTF-8 bytes of compact JSON; tokens are approximated as
bytes / 4 (no tokenizer works offline: ``tiktoken`` downloads its encodings at first use).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from linkedapi_mcp.jsonvalues import compact_schema

from .common import BenchResult

# Issue 11: the default listing lists every operation of the default toolsets (tool mode auto).
BUDGET_BYTES = 40_000
WHOLE_BUDGET_BYTES = 150_000  # the whole tools/list result, output schemas included
CORE_BUDGET_BYTES = 25_000  # the core listing, for clients that cap tool counts
BYTES_PER_TOKEN = 4  # the usual rule of thumb for English text and JSON


def compact_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


async def list_tools(**settings: Any) -> list[dict[str, Any]]:
    """``tools/list`` as a client receives it (in-memory client; the wire JSON is the same).

    ``settings`` override the defaults, e.g. ``tool_mode="full", toolsets="all"`` for the whole
    catalog listed as plain tools.
    """
    from mcp import Client

    from linkedapi_mcp.server.app import build_server
    from linkedapi_mcp.settings import Settings

    with tempfile.TemporaryDirectory() as data_dir:
        async with Client(build_server(Settings(data_dir=Path(data_dir), **settings))) as client:
            tools = (await client.list_tools()).tools
    return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]


def model_facing(tool: dict[str, Any]) -> dict[str, Any]:
    return {key: tool[key] for key in ("name", "description", "inputSchema") if key in tool}


def composition(schema: Any) -> dict[str, int]:
    """Rough split of an input schema's bytes: property descriptions, enums, examples, the rest."""
    acc = {"descriptions": 0, "enums": 0, "examples": 0}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "description" and isinstance(value, str):
                    acc["descriptions"] += compact_size({key: value}) - 1  # `"description":"…"` plus a comma
                elif key in ("enum", "examples"):
                    acc[key + ("s" if key == "enum" else "")] += compact_size({key: value}) - 1
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    acc["structure"] = compact_size(schema) - sum(acc.values())
    return acc


def toolset_of(name: str) -> str:
    from linkedapi_mcp.catalog import CATALOG

    op = CATALOG.get(name)
    return op.toolset if op is not None else "handles"  # get_workflow_result, cancel_workflow, list_workflows


def measure(
    tools: list[dict[str, Any]],
    full_catalog: list[dict[str, Any]] | None = None,
    core: list[dict[str, Any]] | None = None,
) -> BenchResult:
    result = BenchResult("context")
    facing = {tool["name"]: compact_size(model_facing(tool)) for tool in tools}
    outputs = {tool["name"]: compact_size(tool.get("outputSchema")) for tool in tools if "outputSchema" in tool}
    listed = {tool["name"]: compact_size({k: v for k, v in tool.items() if k != "outputSchema"}) for tool in tools}
    whole = compact_size({"tools": tools})
    total = sum(facing.values())

    compacted_facing = sum(
        compact_size({**model_facing(tool), "inputSchema": compact_schema(tool.get("inputSchema", {}))})
        for tool in tools
    )
    compacted_outputs = sum(
        compact_size(compact_schema(tool["outputSchema"])) for tool in tools if "outputSchema" in tool
    )

    toolsets: dict[str, dict[str, int]] = {}
    for name, size in facing.items():
        entry = toolsets.setdefault(toolset_of(name), {"tools": 0, "bytes": 0})
        entry["tools"] += 1
        entry["bytes"] += size

    result.add(
        "model-facing bytes (name+description+inputSchema)",
        total,
        "bytes",
        f"<= {BUDGET_BYTES:,} B",
        total <= BUDGET_BYTES,
        note=f"{len(tools)} tools",
    )
    result.add("model-facing tokens (bytes/4)", total / BYTES_PER_TOKEN, "tokens", f"<= {BUDGET_BYTES // 4:,}")
    result.add(
        "what-if compacted model-facing bytes",
        compacted_facing,
        "bytes",
        f"<= {BUDGET_BYTES:,} B",
        compacted_facing <= BUDGET_BYTES,
        note="titles stripped, anyOf[T,null] collapsed",
    )
    if full_catalog is not None:
        full = sum(compact_size(model_facing(tool)) for tool in full_catalog)
        result.add(
            "whole catalog as plain tools (--tool-mode full --toolsets all)",
            full,
            "bytes",
            note=f"{len(full_catalog)} tools",
        )
    if core is not None:
        # The core listing (capped clients, or --tool-mode core): the most used tools plus
        # describe_operation / run_operation for the rest.
        core_bytes = sum(compact_size(model_facing(tool)) for tool in core)
        result.add(
            "core listing model-facing bytes (capped clients)",
            core_bytes,
            "bytes",
            f"<= {CORE_BUDGET_BYTES:,} B",
            core_bytes <= CORE_BUDGET_BYTES,
            note=f"{len(core)} tools",
        )
    result.add("tools/list entries without outputSchema", sum(listed.values()), "bytes", note="+ title, annotations")
    result.add("output schemas (not shown to the model)", sum(outputs.values()), "bytes")
    result.add("what-if compacted output schemas", compacted_outputs, "bytes")
    result.add("whole tools/list result", whole, "bytes", f"<= {WHOLE_BUDGET_BYTES:,} B", whole <= WHOLE_BUDGET_BYTES)
    largest = sorted(facing.items(), key=lambda item: item[1], reverse=True)[:5]
    parts = {"tool descriptions": sum(compact_size({"description": t.get("description", "")}) for t in tools)}
    for tool in tools:
        for key, size in composition(tool.get("inputSchema", {})).items():
            parts[f"schema {key}"] = parts.get(f"schema {key}", 0) + size
    result.details = {
        "tools": len(tools),
        "token_method": "bytes / 4",
        "model_facing_bytes": total,
        "largest_model_facing": [{"name": n, "bytes": b} for n, b in largest],
        "largest_output_schemas": [
            {"name": n, "bytes": b} for n, b in sorted(outputs.items(), key=lambda i: i[1], reverse=True)[:5]
        ],
        "model_facing_composition": parts,
        "per_toolset": dict(sorted(toolsets.items(), key=lambda item: item[1]["bytes"], reverse=True)),
        "per_tool": facing,
    }
    return result


async def run(quick: bool = False) -> BenchResult:
    return measure(
        await list_tools(), await list_tools(tool_mode="full", toolsets="all"), await list_tools(tool_mode="core")
    )


def describe(result: BenchResult) -> str:
    lines = ["Largest model-facing tools:"]
    lines += [f"  {row['name']:<32} {row['bytes']:>7,} B" for row in result.details["largest_model_facing"]]
    lines.append("Where the model-facing bytes go (approximate):")
    lines += [f"  {name:<26} {size:>8,} B" for name, size in result.details["model_facing_composition"].items()]
    lines.append("Per toolset (model-facing):")
    lines += [
        f"  {name:<12} {row['tools']:>3} tools {row['bytes']:>8,} B"
        for name, row in result.details["per_toolset"].items()
    ]
    return "\n".join(lines)
