"""``tools/list`` at start, from a checked JSON artifact instead of the catalog's pydantic models.

Why: building the tools (importing the catalog's ~60 models, generating every input and output
schema) took ~250 ms, about as much again as the SDK's own start (docs/benchmarks.md, cold
start). ``tools_list.json`` next to this module holds exactly what those models generate: every
tool's ``tools/list`` entry as the full tool mode lists it, the templates of the two disclosure
tools, and each operation's toolset and effect (what :class:`~.toolsets.Exposure` decides by).
So a server answers ``initialize`` and ``tools/list`` with nothing of the catalog, the HTTP
client, the sandbox or the ledger imported; the models are built on the first ``tools/call``
(:mod:`.app`).

The file is a checked artifact like a snapshot, not a build output: ``tests/server/test_listing.py``
regenerates it from the models and fails on any difference (and checks that the listing served
from it equals the one built from the models, byte for byte, for several exposures). After
changing a model, a description or a hint, regenerate it with::

    python -m linkedapi_mcp.server.listing
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.types import Tool as MCPTool

    from linkedapi_mcp.server.toolsets import Exposure

ARTIFACT = Path(__file__).with_name("tools_list.json")
REGENERATE = "python -m linkedapi_mcp.server.listing"
_DESCRIBE = "describe_operation"
_RUN = "run_operation"
LIST_ACTIONS = "list_workflow_actions"


@dataclass(frozen=True)
class OperationInfo:
    """What exposure decisions need of a catalog operation, without importing the catalog."""

    toolset: str
    effect: str


@cache
def _artifact() -> dict[str, Any]:
    if not ARTIFACT.exists():  # only while regenerating a deleted file: the catalog's metadata
        return _metadata()
    data: dict[str, Any] = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    return data


def _metadata() -> dict[str, Any]:
    from typing import get_args

    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.catalog.spec import Toolset

    operations = {op.tool: {"toolset": op.toolset, "effect": op.effect} for op in CATALOG.values()}
    # Issue 11: the custom workflows' action catalogue goes with execute_custom_workflow.
    operations[LIST_ACTIONS] = {"toolset": "workflows", "effect": "read"}
    return {"regenerate": REGENERATE, "toolsets": list(get_args(Toolset)), "operations": operations}


def toolsets() -> tuple[str, ...]:
    """The catalog's toolset names, in the catalog's order (``Toolset``)."""
    return tuple(_artifact()["toolsets"])


@cache
def operations() -> Mapping[str, OperationInfo]:
    """Every catalog operation's tool name → toolset and effect, in catalog order."""
    return {name: OperationInfo(**info) for name, info in _artifact()["operations"].items()}


def entries(exposure: Exposure) -> list[dict[str, Any]]:
    """The ``tools/list`` entries for this exposure, in registration order (see :mod:`.app`)."""
    from linkedapi_mcp.server.toolsets import TOOLSETS, describe_description

    data = _artifact()
    # Shared, not copied: nothing mutates a listed schema (the SDK only serializes it), and a deep
    # copy of ~100 KB of schemas would cost more than the rest of the listing.
    out = [entry for name, entry in data["tools"].items() if exposure.plain(name)]
    names = exposure.disclosed(operations())
    if names:
        ops = operations()
        in_order = sorted(names, key=lambda n: TOOLSETS.index(ops[n].toolset))
        areas = ", ".join(dict.fromkeys(ops[n].toolset for n in in_order))
        template = data["disclosure"][_DESCRIBE]
        prop: dict[str, Any] = dict(template["inputSchema"]["properties"]["name"])
        # pydantic publishes a one-value Literal as `const` (first), several as `enum` (after the
        # description); the template holds the `enum` form.
        if len(names) == 1:
            prop = {"const": names[0], **{k: v for k, v in prop.items() if k != "enum"}}
        else:
            prop["enum"] = list(names)
        input_schema = dict(template["inputSchema"])
        input_schema["properties"] = {**input_schema["properties"], "name": prop}
        describe = {**template, "description": describe_description(areas), "inputSchema": input_schema}
        run_key = f"{_RUN}:read-only" if exposure.read_only else _RUN
        out += [describe, data["disclosure"][run_key]]
    return out


def listed_tools(exposure: Exposure) -> list[MCPTool]:
    """:func:`entries` as the SDK's ``Tool`` values (what ``MCPServer.list_tools`` returns)."""
    from mcp.types import Tool as MCPTool

    return [MCPTool.model_validate(entry) for entry in entries(exposure)]


# -- regeneration (slow: builds every model) -------------------------------------------------------


def entry_of(tool: MCPTool) -> dict[str, Any]:
    """One ``tools/list`` entry as JSON (what the artifact stores)."""
    entry: dict[str, Any] = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return entry


def generate() -> dict[str, Any]:
    """The artifact's content, from the catalog and the tool models."""
    from linkedapi_mcp.server.app import built_listing, prebuilt_specs
    from linkedapi_mcp.server.toolsets import Exposure

    metadata = _metadata()
    everything = frozenset(metadata["toolsets"])
    full = built_listing(Exposure(toolsets=everything, mode="full"))
    by_name = {entry["name"]: entry for entry in full}
    core = {e["name"]: e for e in built_listing(Exposure(toolsets=everything, mode="core"))}
    core_ro = {e["name"]: e for e in built_listing(Exposure(toolsets=everything, read_only=True, mode="core"))}
    return {
        **metadata,
        "tools": {spec.name: by_name[spec.name] for spec in prebuilt_specs()},
        "disclosure": {
            _DESCRIBE: core[_DESCRIBE],
            _RUN: core[_RUN],
            f"{_RUN}:read-only": core_ro[_RUN],
        },
    }


def render(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    ARTIFACT.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {ARTIFACT}")


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["ARTIFACT", "REGENERATE", "OperationInfo", "entries", "generate", "listed_tools", "operations", "toolsets"]
