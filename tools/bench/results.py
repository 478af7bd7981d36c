"""Result size: bytes per result of a fixed task set, as the model reads them (issue 11).

Each task runs once on a fast embedded sandbox (seed 42) through an in-memory MCP client. A
result is measured twice, as UTF-8 bytes of the text block a client shows the model:

* **before** — what the server returned before results were shaped: every field (image URLs,
  deprecated duplicates) and a list result in one block, i.e. ``get_workflow_result`` with
  ``includeAll`` and a page as large as the result;
* **after** — the default answer of the tool itself: bulky fields left out, a long list paged
  (the first page; the rest one ``get_workflow_result(offset=…)`` away).

``structuredContent`` is measured too: it used to repeat the data with every null.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from .common import BenchResult

# (label, tool, arguments): searches of several sizes, a full profile, a post with its comments
# and reactions, the connections list and the inbox.
TASKS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("search 10 people", "search_people", {"term": "engineer", "limit": 10}),
    ("search 71 people", "search_people", {"term": "engineer", "limit": 71}),
    ("search 500 people", "search_people", {"limit": 500}),
    ("search 25 companies", "search_companies", {"term": "software", "limit": 25}),
    (
        "fetch a full profile",
        "fetch_person",
        {"retrieveExperience": True, "retrieveEducation": True, "retrieveSkills": True, "retrievePosts": True},
    ),
    ("fetch a post with comments", "fetch_post", {"retrieveComments": True, "retrieveReactions": True}),
    ("100 connections", "retrieve_connections", {"limit": 100}),
    ("inbox", "get_inbox", {}),
)


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def _size(text: str) -> int:
    return len(text.encode())


async def measure_tasks(quick: bool = False) -> list[dict[str, Any]]:
    import logging

    from mcp import Client

    from linkedapi_mcp.sandbox import Sandbox
    from linkedapi_mcp.server.app import build
    from linkedapi_mcp.settings import Settings

    logging.getLogger("linkedapi_mcp").setLevel(logging.WARNING)
    sandbox = Sandbox(seed=42, speed=100_000)
    samples = sandbox.samples()
    rows: list[dict[str, Any]] = []
    tasks = TASKS[:3] if quick else TASKS
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), confirm="never", toolsets="all", log_level="WARNING")
        server, _ = build(settings, sandbox=sandbox)
        async with Client(server) as client:
            await client.call_tool("sync_inbox", {})
            for label, tool, arguments in tasks:
                if tool == "fetch_person":
                    arguments = {**arguments, "personUrl": samples["personUrls"][0]}
                if tool == "fetch_post":
                    arguments = {**arguments, "postUrl": samples["postUrls"][0]}
                after = await client.call_tool(tool, arguments)
                data = after.structured_content or {}
                row = {"task": label, "tool": tool, "after": _size(_text(after))}
                row["after_structured"] = _size(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
                workflow = data.get("workflowId")
                if workflow:
                    before = await client.call_tool(
                        "get_workflow_result", {"workflowId": workflow, "includeAll": True, "limit": 500}
                    )
                    row["before"] = _size(_text(before))
                else:  # a direct read has no cached copy to ask again: only deprecated duplicates go
                    row["before"] = row["after"]
                page = data.get("page")
                row["items"] = (
                    page["total"] if page else (len(data["result"]) if isinstance(data.get("result"), list) else None)
                )
                rows.append(row)
    return rows


async def run(quick: bool = False) -> BenchResult:
    result = BenchResult("results")
    rows = await measure_tasks(quick)
    before = sum(r["before"] for r in rows)
    after = sum(r["after"] for r in rows)
    result.add("bytes per result, before (all fields, unpaged)", before / len(rows), "bytes", note=f"{len(rows)} tasks")
    result.add("bytes per result, after (default)", after / len(rows), "bytes", note=f"{len(rows)} tasks")
    result.add("after / before", after / before, "x", "< 1", after < before)
    result.details = {"tasks": rows}
    return result


def describe(result: BenchResult) -> str:
    lines = [f"  {'task':<28} {'items':>5} {'before':>10} {'after':>10} {'ratio':>6}"]
    for row in result.details["tasks"]:
        items = "" if row["items"] is None else str(row["items"])
        ratio = row["after"] / row["before"] if row["before"] else 1.0
        lines.append(f"  {row['task']:<28} {items:>5} {row['before']:>10,} {row['after']:>10,} {ratio:>6.2f}")
    head = "Bytes of the text block per result (after: a list shows its first page of 50 items):"
    return head + "\n" + "\n".join(lines)
