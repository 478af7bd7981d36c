"""Bad arguments: an ``isError`` result with one short line per problem, and nothing sent upstream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from linkedapi_mcp.catalog import CATALOG

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
