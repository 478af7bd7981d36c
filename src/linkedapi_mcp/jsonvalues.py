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
