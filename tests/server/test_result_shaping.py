"""Compact results with paging (issue 11): image URLs and deprecated duplicates left out unless
asked for, a long list result a page at a time with its total, and structuredContent without nulls
(the SDK client checks it against the published output schema on every call here)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.shaping import MEDIA_FIELDS, PAGE_SIZE, shape

from ..conftest import shared_fixtures
from .conftest import Upstream

pytestmark = pytest.mark.anyio


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(has_null(v) for v in value)
    return False


def next_call(page: dict[str, Any]) -> dict[str, Any]:
    """The arguments of the call ``page.next`` names (it must name get_workflow_result)."""
    found = re.fullmatch(r'call get_workflow_result\(workflowId="([^"]+)", offset=(\d+)\)', page["next"])
    assert found, page["next"]
    return {"workflowId": found.group(1), "offset": int(found.group(2))}


async def test_a_long_search_comes_a_page_at_a_time_with_its_total_and_without_image_urls(
    client: Client, sandbox: Sandbox, upstream: Upstream
) -> None:
    sandbox.set_speed(100_000)
    first = data(await client.call_tool("search_people", {"term": "engineer", "limit": 120}))
    assert first["status"] == "completed"
    total = first["page"]["total"]
    assert total > PAGE_SIZE  # the sandbox world has enough engineers for a second page
    assert first["page"]["offset"] == 0
    assert len(first["result"]) == PAGE_SIZE
    assert not has_null(first)
    assert not keys(first["result"]) & MEDIA_FIELDS
    workflow = first["workflowId"]
    assert first["omitted"] == (
        "Left out: avatarUrl (image URLs, deprecated duplicates); to get them, call "
        f'get_workflow_result(workflowId="{workflow}", includeAll=true).'
    )
    posts, gets = upstream.posts, upstream.gets

    # Following each page's own `next` call walks the whole result, once, in order.
    people = list(first["result"])
    page = first["page"]
    while "next" in page:
        out = data(await client.call_tool("get_workflow_result", next_call(page)))
        assert out["page"]["offset"] == len(people)
        assert out["page"]["total"] == total
        people += out["result"]
        page = out["page"]
    assert len(people) == total
    assert len({p["publicUrl"] for p in people}) == total

    everything = data(
        await client.call_tool("get_workflow_result", {"workflowId": workflow, "limit": 500, "includeAll": True})
    )
    assert "page" not in everything  # one page holds it all
    assert "omitted" not in everything
    assert any("avatarUrl" in person for person in everything["result"])
    assert [{k: v for k, v in p.items() if k != "avatarUrl"} for p in everything["result"]] == people
    assert (upstream.posts, upstream.gets) == (posts, gets)  # pages come from the ledger


async def test_the_compact_result_is_smaller_and_a_short_one_is_not_paged(client: Client, sandbox: Sandbox) -> None:
    sandbox.set_speed(100_000)
    out = data(await client.call_tool("search_people", {"term": "engineer", "limit": 10}))
    full = data(await client.call_tool("get_workflow_result", {"workflowId": out["workflowId"], "includeAll": True}))
    assert "page" not in out
    assert len(out["result"]) == len(full["result"]) == 10
    size = len(json.dumps(out["result"]))
    assert size < len(json.dumps(full["result"]))


def test_deprecated_duplicates_beside_their_replacements_are_left_out_unless_asked_for() -> None:
    """The recorded fetchPost with comments and reactions (contract §5.2): commenter*/engager*."""
    exchange = json.loads((shared_fixtures() / "17-fetch-post-with-comments.json").read_text())["exchanges"][1]
    completion = exchange["response"]["body"]["result"]["completion"]
    op = CATALOG["fetch_post"]
    assert op.map is not None
    result = op.map(completion).model_dump(mode="json")["data"]
    envelope = {"status": "completed", "operationName": op.name, "workflowId": "wf-1", "result": result}
    deprecated = {"commenterUrl", "commenterName", "commenterHeadline", "commenterType", "engagerUrl", "engagerName"}
    assert deprecated <= keys(result)

    compact = shape(envelope)
    assert not keys(compact["result"]) & deprecated
    assert all(comment["author"]["name"] for comment in compact["result"]["comments"])
    assert all(reaction["actor"]["name"] for reaction in compact["result"]["reactions"])
    assert 'call get_workflow_result(workflowId="wf-1", includeAll=true)' in compact["omitted"]
    assert shape(envelope, include_all=True)["result"] == result


def test_an_inbox_message_keeps_one_url_per_form_of_the_person() -> None:
    message = {
        "personHashedUrl": "https://www.linkedin.com/in/ACoAAB1",
        "personPublicUrl": "https://www.linkedin.com/in/jane-roe",
        "personUrl": "https://www.linkedin.com/in/ACoAAB1",  # deprecated duplicate of personHashedUrl
        "text": "Hi",
    }
    envelope = {"status": "completed", "operationName": "pollInbox", "result": {"messages": [message]}}
    [kept] = shape(envelope)["result"]["messages"]
    assert kept == {k: v for k, v in message.items() if k != "personUrl"}
    assert "omitted" not in shape(envelope)  # no workflow: nothing to ask again for, nothing lost


def test_outcomes_without_a_result_pass_unchanged() -> None:
    pending = {"status": "pending", "operationName": "searchPeople", "workflowId": "wf-2", "result": None}
    assert shape(pending) == pending
