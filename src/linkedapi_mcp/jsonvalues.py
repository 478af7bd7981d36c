"""Small helpers for parsed JSON values, free of heavy imports (the CLI and start-up use them)."""

from __future__ import annotations

from typing import Any


def drop_none(value: Any) -> Any:
    """Remove ``None`` values from dicts, recursively (the SDKs send "absent" and "null" alike)."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


def compact_schema(node: Any, *, names: bool = False) -> Any:
    """A JSON schema without generated ``title`` keywords and with ``anyOf [T, null]`` collapsed to T.

    Bounds, enums, non-null defaults and descriptions are kept. ``names`` marks a mapping of
    property names (where a property may itself be called "title"). The tool listing (server/tools.py),
    the action catalogue (actions.py) and the context benchmark's what-if use it.
    """
    if isinstance(node, list):
        return [compact_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: compact_schema(sub) for name, sub in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        out[key] = compact_schema(value, names=key in ("properties", "$defs", "definitions", "patternProperties"))
    any_of = out.get("anyOf")
    if isinstance(any_of, list) and {"type": "null"} in any_of:
        rest = [branch for branch in any_of if branch != {"type": "null"}]
        del out["anyOf"]
        if out.get("default", "") is None:
            del out["default"]
        if len(rest) == 1 and isinstance(rest[0], dict):
            out = {**rest[0], **out}
        elif rest:
            out["anyOf"] = rest
    return out
