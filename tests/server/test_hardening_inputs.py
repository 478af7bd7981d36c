"""Issue 12 (hardening), inputs: LinkedIn's own rules hold in the models, so a bad argument is an
``isError`` with nothing sent, through a real MCP client on the sandbox (request log counted)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def refused(client: Client, upstream: Any, tool: str, args: dict[str, Any]) -> str:
    before = upstream.total
    result = await client.call_tool(tool, args)
    assert result.is_error, (tool, args, result.structured_content)
    assert upstream.total == before, f"{tool} reached Linked API with {args}"
    return text(result)


@pytest.mark.parametrize(
    ("tool", "field"),
    [
        ("send_message", "text"),
        ("send_connection_request", "note"),
        ("comment_on_post", "text"),
        ("create_post", "text"),
        ("nv_send_message", "text"),
    ],
)
async def test_text_of_only_whitespace_is_refused_and_nothing_is_sent(
    client: Client, sandbox: Sandbox, upstream: Any, tool: str, field: str
) -> None:
    samples = sandbox.samples()
    base: dict[str, dict[str, Any]] = {
        "send_message": {"personUrl": samples["connectionUrls"][0]},
        "send_connection_request": {"personUrl": samples["personUrls"][0]},
        "comment_on_post": {"postUrl": "https://www.linkedin.com/feed/update/urn:li:activity:1"},
        "create_post": {},
        "nv_send_message": {"threadId": "thread-1"},
    }
    said = await refused(client, upstream, tool, {**base[tool], field: " \n\t  "})
    assert field in said
    assert "whitespace" in said


async def test_an_invitation_note_is_limited_to_300_characters(client: Client, sandbox: Sandbox, upstream: Any) -> None:
    person = sandbox.samples()["personUrls"][0]
    said = await refused(client, upstream, "send_connection_request", {"personUrl": person, "note": "x" * 400})
    assert "at most 300" in said
    ok = await client.call_tool("send_connection_request", {"personUrl": person, "note": "y" * 300, "waitSeconds": 0})
    assert not ok.is_error, text(ok)
    assert upstream.posts == 1


async def test_a_huge_search_term_is_refused_at_once_and_costs_nothing(client: Client, upstream: Any) -> None:
    with anyio.fail_after(10):
        said = await refused(client, upstream, "search_people", {"term": "a" * 5_000_000})
    assert "'term' is too long: at most 200 characters" in said
    await refused(client, upstream, "search_companies", {"term": "b" * 201})
    ok = await client.call_tool("search_companies", {"term": "b" * 200, "waitSeconds": 0})
    assert not ok.is_error
    assert upstream.posts == 1


async def test_arrays_have_an_item_limit(client: Client, upstream: Any) -> None:
    said = await refused(
        client, upstream, "search_people", {"term": "x", "filter": {"locations": [f"City {i}" for i in range(51)]}}
    )
    assert "at most 50 items" in said
    await refused(client, upstream, "search_people", {"filter": {"connectionDegrees": ["1st"] * 21}})
    await refused(client, upstream, "search_people", {"filter": {"firstName": "n" * 201}})


@pytest.mark.parametrize("limit", [True, False, "3", 3.0, "ten"])
async def test_limit_must_be_an_integer_not_a_boolean_or_a_string(client: Client, upstream: Any, limit: Any) -> None:
    said = await refused(client, upstream, "search_people", {"term": "engineer", "limit": limit})
    assert "limit" in said


async def test_flags_must_be_booleans(client: Client, sandbox: Sandbox, upstream: Any) -> None:
    person = sandbox.samples()["personUrls"][0]
    for flag in (1, "true", "yes"):
        await refused(client, upstream, "fetch_person", {"personUrl": person, "retrieveSkills": flag})


@pytest.mark.parametrize(
    ("tool", "args", "names"),
    [
        ("fetch_person", {"personUrl": "https://www.linkedin.com/sales/lead/ACwAAA123,NAME_SEARCH"}, "nv_fetch_person"),
        ("send_message", {"personUrl": "https://www.linkedin.com/sales/lead/ACwAAA1", "text": "Hi"}, "nv_send_message"),
        ("sync_conversation", {"personUrl": "https://www.linkedin.com/sales/people/ACwAAA1"}, "nv_sync_conversation"),
        ("get_conversation", {"personUrl": "https://www.linkedin.com/sales/lead/ACwAAA1"}, "nv_get_conversation"),
        ("fetch_company", {"companyUrl": "https://www.linkedin.com/sales/company/1035"}, "nv_fetch_company"),
        ("fetch_person", {"personUrl": "https://www.linkedin.com/company/acme"}, "fetch_company"),
        ("fetch_company", {"companyUrl": "https://www.linkedin.com/in/jane-roe"}, "fetch_person"),
        ("fetch_person", {"personUrl": "https://www.linkedin.com/jobs/view/4416248954/"}, "fetch_job"),
        ("fetch_job", {"jobUrl": "https://www.linkedin.com/feed/update/urn:li:activity:7123456789"}, "fetch_post"),
    ],
)
async def test_a_url_of_the_wrong_kind_names_the_tool_that_takes_it(
    client: Client, upstream: Any, tool: str, args: dict[str, Any], names: str
) -> None:
    said = await refused(client, upstream, tool, args)
    assert f"use {names}" in said


async def test_a_standard_tool_still_takes_a_standard_url(client: Client, sandbox: Sandbox, upstream: Any) -> None:
    result = await client.call_tool("fetch_person", {"personUrl": sandbox.samples()["personUrls"][0], "waitSeconds": 0})
    assert not result.is_error, text(result)
    assert upstream.posts == 1


async def test_null_for_an_argument_with_a_default_means_not_given(client: Client, upstream: Any) -> None:
    # Found by the property tests: the params model took null as "not given", the SDK's own
    # argument model refused it with pydantic's full text.
    result = await client.call_tool("search_people", {"term": "engineer", "limit": None, "waitSeconds": 0})
    assert not result.is_error, text(result)
    assert upstream.posts == 1
