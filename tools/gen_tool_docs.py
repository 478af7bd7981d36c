"""Render the README's tool list from the server's own `tools/list` (itself built from the catalog).

python tools/gen_tool_docs.py          # rewrite the list between the README markers
python tools/gen_tool_docs.py --check  # exit 1 if the README is stale (the test suite does this)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import anyio
from mcp import Client

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- tools:start -->", "<!-- tools:end -->"

TOOLSET_TITLES = {
    "people": "People",
    "companies": "Companies",
    "search": "Search",
    "jobs": "Jobs",
    "messaging": "Messaging",
    "network": "Network",
    "posts": "Posts and engagement",
    "salesnav": "Sales Navigator",
    "account": "Account and stats",
    "workflows": "Custom workflows",
    "handles": "Workflow handles",
}
EFFECT_WORDS = {"read": "reads", "monitor": "monitoring switch", "write": "**changes the account**"}


async def _tools() -> list[dict[str, str]]:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.app import build_server
    from linkedapi_mcp.server.toolsets import Exposure
    from linkedapi_mcp.settings import Settings

    # Every tool of the catalog (all toolsets, full mode); the "listed" column says how the
    # default configuration exposes it (the same filter the server uses).
    default = Exposure()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), toolsets="all", tool_mode="full")
        async with Client(build_server(settings)) as client:
            listed = (await client.list_tools()).tools
    rows = []
    for tool in listed:
        op = CATALOG.get(tool.name)
        if default.plain(tool.name):
            exposure = "tool"
        elif default.enabled(tool.name):
            exposure = "run_operation"
        else:
            exposure = "off by default"
        rows.append(
            {
                "name": tool.name,
                "toolset": op.toolset if op else ("workflows" if tool.name == "list_workflow_actions" else "handles"),
                "effect": EFFECT_WORDS[op.effect] if op else "reads",
                "listed": exposure,
                "description": (tool.description or "").split(". ")[0].rstrip("."),
            }
        )
    return rows


def render(rows: list[dict[str, str]]) -> str:
    lines = [
        START,
        "",
        "*listed* is the default configuration: `tool` = listed as a tool (with `--tool-mode core`, or for a "
        "client that caps tool counts, only the most used are; the rest are reachable through "
        "`describe_operation` / `run_operation`); `off by default` = enable its toolset with `--toolsets`. "
        "`--read-only` removes every tool that is not a read. An operation's name is accepted in both forms, "
        "`nv_search_people` and `nvSearchPeople` (as results name it).",
        "",
    ]
    for toolset, title in TOOLSET_TITLES.items():
        group = [r for r in rows if r["toolset"] == toolset]
        if not group:
            continue
        heading = f"**{title}**" if toolset == "handles" else f"**{title}** (`{toolset}`)"
        lines += [heading, "", "| tool | effect | listed | what it does |", "| --- | --- | --- | --- |"]
        lines += [f"| `{r['name']}` | {r['effect']} | {r['listed']} | {r['description']} |" for r in group]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def updated_readme(text: str, rows: list[dict[str, str]]) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return head + render(rows) + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the README is stale")
    args = parser.parse_args()
    text = README.read_text()
    new = updated_readme(text, anyio.run(_tools))
    if args.check:
        if new != text:
            print("README tool list is stale: run python tools/gen_tool_docs.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
