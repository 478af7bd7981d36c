"""Issue 12 points 5 and 9: bounded results with an explicit cut, and provenance on LinkedIn text,
through a real MCP client on the sandbox (request log counted)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from linkedapi_mcp.catalog.bounds import MAX_RESULT_CHARS, MAX_TEXT_CHARS, bound
from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_a_huge_inbox_comes_back_cut_to_the_cap_with_a_marker_and_how_to_get_the_rest(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    sandbox.set_speed(100_000)
    structured(await client.call_tool("sync_inbox", {}))
    person = sandbox.samples()["connectionUrls"][0]
    for i in range(300):
        sandbox.inject_message(person, f"message {i}: " + "lorem ipsum dolor sit amet " * 230)  # ~6 kB each
    before = upstream.total
    result = await client.call_tool("get_inbox", {})
    out = structured(result)
    assert upstream.total == before + 1  # one read, no retries
    size = len(json.dumps(out["result"], ensure_ascii=False, separators=(",", ":")))
    assert size <= MAX_RESULT_CHARS + 2_000  # the cap, plus the marker itself
    marker = out["result"]["truncated"]
    [cut] = [c for c in marker["cuts"] if c["path"] == "result.messages"]
    assert cut["total"] >= 300
    assert 0 < cut["kept"] < cut["total"]
    assert len(out["result"]["messages"]) == cut["kept"]
    assert "since" in marker["note"]
    assert marker["note"] in out["message"]  # said where every client shows it
    text_block = result.content[0].text  # type: ignore[union-attr]
    assert len(text_block) < 2 * MAX_RESULT_CHARS


async def test_a_small_result_is_not_touched(client: Client, sandbox: Sandbox) -> None:
    sandbox.set_speed(100_000)
    out = structured(await client.call_tool("fetch_person", {"personUrl": sandbox.samples()["personUrls"][0]}))
    assert "truncated" not in out["result"]
    assert not (out.get("message") or "").count("was cut")


def test_bound_cuts_long_strings_and_long_lists_and_says_so() -> None:
    data = {"text": "x" * (MAX_TEXT_CHARS + 5), "items": [{"n": i, "body": "y" * 1000} for i in range(500)]}
    cut, truncation = bound(data, paging="call again with a smaller 'limit'")
    assert truncation is not None
    assert cut["text"].endswith("[cut: 5 more characters]")
    assert len(json.dumps(cut, separators=(",", ":"))) <= MAX_RESULT_CHARS
    assert [c.path for c in truncation.cuts] == ["result.text", "result.items"]
    assert truncation.cuts[1].kept == len(cut["items"])
    assert cut["items"][0]["n"] == 0  # cut from the end: the API's order is kept
    assert "smaller 'limit'" in truncation.note
    assert len(data["items"]) == 500  # the input is not modified
    assert bound({"a": 1}) == ({"a": 1}, None)


async def test_results_carrying_linkedin_text_are_labelled_untrusted_in_meta(client: Client, sandbox: Sandbox) -> None:
    sandbox.set_speed(100_000)
    result = await client.call_tool("fetch_person", {"personUrl": sandbox.samples()["personUrls"][0]})
    structured(result)
    meta = result.meta or {}
    assert meta.get("untrusted") is True
    assert meta.get("untrustedFields") == ["result"]

    listed = await client.call_tool("list_workflows", {})
    assert not (listed.meta or {}).get("untrusted")  # the server's own bookkeeping
