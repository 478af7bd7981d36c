"""Bounded results: no tool result grows past :data:`MAX_RESULT_CHARS`, and a cut is said out loud.

A conversation of 300 long messages once came back as a 1.9 MB result: far past what a model can
read, and silently so. Every mapped result goes through :func:`bound`:

1. any single string longer than :data:`MAX_TEXT_CHARS` is cut, ending in ``… [cut: N more
   characters]``;
2. while the whole is still too large, the largest list is cut from its end (the API's own order
   is kept: newest first where the API sends newest first);
3. whatever was cut is listed in a :class:`Truncation` (where, how many kept of how many) with a
   sentence saying how to get the rest (paging with ``since``/``limit`` where the operation has
   them). A dict result also carries it under ``"truncated"``, next to the data.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

# [INFERRED] ~25k tokens: room for a long conversation or a 100-item search, still far below what
# fills a context window.
MAX_RESULT_CHARS = 100_000
# [INFERRED] A LinkedIn post is at most 3,000 characters and an article excerpt a few thousand; a
# longer single string is noise (or an attack) for the model.
MAX_TEXT_CHARS = 10_000


class Cut(BaseModel):
    path: str = Field(description="Where in the result, e.g. result.messages or result[3].text.")
    kept: int = Field(description="Items (or characters) kept.")
    total: int = Field(description="Items (or characters) there were.")
    unit: str = Field("items", description="items or characters.")


class Truncation(BaseModel):
    """What was left out of a result that was too large, and how to get it."""

    maxChars: int = Field(description="The size cap of a result, in characters of JSON.")
    cuts: list[Cut] = Field(description="Each list or text that was cut.")
    note: str = Field(description="What was left out and how to get the rest.")


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))


def _cut_strings(value: Any, path: str, cuts: list[Cut]) -> Any:
    if isinstance(value, str):
        if len(value) <= MAX_TEXT_CHARS:
            return value
        cuts.append(Cut(path=path, kept=MAX_TEXT_CHARS, total=len(value), unit="characters"))
        return value[:MAX_TEXT_CHARS] + f"… [cut: {len(value) - MAX_TEXT_CHARS} more characters]"
    if isinstance(value, list):
        return [_cut_strings(v, f"{path}[{i}]", cuts) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _cut_strings(v, f"{path}.{k}", cuts) for k, v in value.items()}
    return value


def _lists(value: Any, path: str) -> list[tuple[str, list[Any]]]:
    found: list[tuple[str, list[Any]]] = []
    if isinstance(value, list):
        found.append((path, value))
        for i, v in enumerate(value):
            found += _lists(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            found += _lists(v, f"{path}.{k}")
    return found


def bound(data: Any, *, paging: str = "", max_chars: int = MAX_RESULT_CHARS) -> tuple[Any, Truncation | None]:
    """``data`` cut to ``max_chars`` of JSON (lists trimmed from the end), and what was cut.

    ``paging`` is the operation's own advice for getting the rest (e.g. "call again with since
    …"); without it the note says to ask for fewer items. ``data`` is not modified in place.
    """
    if _size(data) <= max_chars:
        return data, None
    cuts: list[Cut] = []
    data = _cut_strings(data, "result", cuts)
    total = _size(data)
    totals: dict[int, tuple[str, int]] = {}
    while total > max_chars:
        candidates = [(p, lst) for p, lst in _lists(data, "result") if lst]
        if not candidates:
            break
        path, largest = max(candidates, key=lambda c: _size(c[1]))
        key = id(largest)
        totals.setdefault(key, (path, len(largest)))
        excess = total - max_chars
        removed = 0
        while largest and removed < excess:
            removed += _size(largest.pop()) + 1  # the item and its comma
        total = _size(data)
    for path, before in totals.values():
        lst = _find(data, path)
        cuts.append(Cut(path=path, kept=len(lst) if isinstance(lst, list) else 0, total=before))
    what = "; ".join(f"{c.path}: {c.kept} of {c.total} {c.unit} kept" for c in cuts)
    how = paging or "ask for fewer items (a smaller limit or a narrower filter)"
    note = f"This result was larger than {max_chars:,} characters and was cut ({what}). To get the rest: {how}."
    return data, Truncation(maxChars=max_chars, cuts=cuts, note=note)


def _find(data: Any, path: str) -> Any:
    """The value at a path made by :func:`_lists` (``result.messages[2].items``)."""
    node = data
    for name, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path[len("result") :]):
        node = node[int(index)] if index else node[name]
    return node


def paging_advice(fields: set[str]) -> str:
    """How to read the rest of a cut result, from the arguments the operation takes."""
    if "since" in fields:
        return "call again with 'since' set to the time of the last item shown, or narrow the request"
    if "limit" in fields:
        return "call again with a smaller 'limit' or a narrower filter"
    if "threadId" in fields:
        return "read one thread at a time with 'threadId'"
    return "narrow the request"


__all__ = ["MAX_RESULT_CHARS", "MAX_TEXT_CHARS", "Cut", "Truncation", "bound", "paging_advice"]
