"""Bad arguments: an ``isError`` result with one short line per problem, and nothing sent upstream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, Implementation
from mcp_types import RequestParams

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

TextOf = Callable[[CallToolResult], str]
ALL_TOOLS = [*CATALOG, "get_workflow_result", "cancel_workflow", "list_workflows"]
NOISE = ("pydantic", "errors.pydantic.dev", "validation error", "input_value", "type=", "further information")


def assert_short_refusal(result: CallToolResult, text: str, tool: str, *expected: str) -> None:
    assert result.is_error, tool
    lines = text.splitlines()
    assert lines[0] == f"Invalid arguments for {tool}:"
    assert all(line.startswith("- ") and len(line) < 160 for line in lines[1:]), text
    for fragment in expected:
        assert fragment in text, (tool, text)
    for noise in NOISE:
        assert noise not in text.lower(), (tool, text)


async def test_an_unknown_argument_is_refused_by_name_for_every_tool(
    any_era_client: Client, upstream: Any, text_of: TextOf
) -> None:
    for tool in ALL_TOOLS:
        result = await any_era_client.call_tool(tool, {"bogus": 1, **_valid_minimum(tool)})
        assert_short_refusal(result, text_of(result), tool, "unknown parameter 'bogus'")
        assert len(text_of(result).splitlines()) == 2
    assert upstream.total == 0


def _valid_minimum(tool: str) -> dict[str, Any]:
    """Just enough valid arguments that the unknown one is the only problem."""
    if tool in CATALOG:
        op = CATALOG[tool]
        required = [name for name, info in op.params.model_fields.items() if info.is_required()]
        samples = {
            "personUrl": "https://www.linkedin.com/in/jane-roe",
            "personHashedUrl": "https://www.linkedin.com/in/ACoAAB1234",
            "companyUrl": "https://www.linkedin.com/company/acme",
            "companyHashedUrl": "https://www.linkedin.com/sales/company/1234",
            "postUrl": "https://www.linkedin.com/posts/jane-roe_activity-7000000000000000000-abcd",
            "commentUrl": "https://www.linkedin.com/feed/update/urn:li:activity:1?commentUrn=urn",
            "jobUrl": "https://www.linkedin.com/jobs/view/123",
            "text": "Hello",
            "skillName": "Python",
            "threadId": "thread-1",
            "operation": "archive",
            "type": "like",
            "invitationType": "connect",
            "definition": {"actionType": "st.retrieveSSI"},
            "start": "2026-11-01T00:00:00Z",
            "end": "2026-11-02T00:00:00Z",
        }
        return {name: samples[name] for name in required if name in samples}
    return {"workflowId": "wf-1"} if tool in ("get_workflow_result", "cancel_workflow") else {}


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("search_people", {"term": "x", "limit": 5000}, ["'limit' must be ≤ 1000 (got 5000)"]),  # read workflow
        ("send_message", {"personUrl": "https://www.linkedin.com/in/jane"}, ["'text' is required"]),  # write
        ("send_message", {"text": "x" * 2000}, ["'text' is too long: at most 1900 characters"]),
        (
            "react_to_post",
            {"postUrl": "https://www.linkedin.com/feed/update/urn:li:activity:1", "type": "wow"},
            ["'type' must be one of"],
        ),
        ("sync_conversation", {"personUrl": "not a url"}, ["personUrl"]),  # monitor
        ("get_inbox", {"type": "email"}, ["'type' must be one of"]),  # direct read
        ("get_workflow_result", {}, ["'workflowId' is required"]),  # workflow tools
        ("get_workflow_result", {"workflowId": "wf-1", "waitSeconds": -1}, ["'waitSeconds' must be ≥ 0"]),
        ("list_workflows", {"limit": 0}, ["'limit' must be ≥ 1 (got 0)"]),
        ("search_people", {"limit": "many", "waitSeconds": "soon"}, ["limit", "waitSeconds"]),  # two lines
    ],
)
async def test_a_bad_value_is_refused_with_one_line_saying_what_is_allowed(
    client: Client, upstream: Any, text_of: TextOf, tool: str, arguments: dict[str, Any], expected: list[str]
) -> None:
    result = await client.call_tool(tool, arguments)
    assert_short_refusal(result, text_of(result), tool, *expected)
    assert len(text_of(result).splitlines()) == 1 + len(expected)
    assert upstream.total == 0


async def test_json_encoded_objects_are_accepted_as_the_sdk_would(client: Client, upstream: Any) -> None:
    result = await client.call_tool(
        "search_people", {"term": "x", "filter": '{"locations": ["Berlin"]}', "waitSeconds": 0}
    )
    assert not result.is_error, result.content
    assert upstream.posts == 1


# -- arguments that are not an object, or absent; a capped client's tasks (issue 18, point 5) -----


class _RawCallParams(RequestParams):
    """tools/call params as a client that does not follow the schema sends them."""

    name: str
    arguments: Any = None


async def test_arguments_sent_as_a_list_or_a_string_are_refused_as_not_an_object_and_nothing_is_sent(
    any_era_client: Client, upstream: Any, text_of: TextOf
) -> None:
    from mcp_types import Request

    for arguments in (["engineer"], "engineer"):
        request = Request[_RawCallParams, str](
            method="tools/call", params=_RawCallParams(name="search_people", arguments=arguments)
        )
        result = await any_era_client.session.send_request(request, CallToolResult)
        assert result.is_error
        assert text_of(result) == "Invalid arguments for search_people:\n- arguments must be a JSON object"
    assert upstream.total == 0


async def test_a_tool_without_required_arguments_runs_when_the_client_leaves_arguments_out(
    any_era_client: Client, upstream: Any
) -> None:
    from mcp_types import Request

    # Not `arguments: {}` but no `arguments` key at all: the same as an empty object.
    request = Request[_RawCallParams, str](method="tools/call", params=_RawCallParams(name="list_workflows"))
    assert "arguments" not in request.params.model_dump(by_alias=True, exclude_unset=True)  # type: ignore[union-attr]
    result = await any_era_client.session.send_request(request, CallToolResult)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["workflows"] == []
    assert upstream.total == 0


async def test_a_client_shown_the_core_listing_still_gets_its_long_call_as_a_task(
    settings: Settings, sandbox: Sandbox, upstream: Any
) -> None:
    # Cursor sees the core listing (its tool cap), whose answers have their "call X" hints
    # rewritten; a task it asked for has no content to rewrite and must come back as a task.
    from .test_tasks import TaskCreated, TasksClient

    server, _ = build(settings, sandbox=sandbox)
    info = Implementation(name="cursor-vscode", version="1")
    async with Client(server, extensions=[TasksClient()], client_info=info) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        created = await client.session.call_tool("search_people", {"term": "engineer"}, allow_claimed=True)
        workflows = (await client.call_tool("list_workflows", {})).structured_content or {}
    assert "search_people" in listed
    assert "withdraw_connection_request" not in listed  # the core listing, not every operation
    assert isinstance(created, TaskCreated)
    assert created.status == "working"
    assert [w["workflowId"] for w in workflows["workflows"]] == [created.task_id]
    assert upstream.posts == 1
