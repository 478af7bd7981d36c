"""Regressions found in review: paths where a second POST or a confirmation could slip through."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from linkedapi_mcp.sandbox import Sandbox

from .conftest import Upstream

pytestmark = pytest.mark.anyio


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_a_default_spelled_in_another_form_through_run_operation_is_still_the_same_write(
    client: Client, sandbox: Sandbox, upstream: Upstream
) -> None:
    person = sandbox.world.samples()["pendingUrls"][0]
    first = data(
        await client.call_tool(
            "run_operation",
            {"name": "withdraw_connection_request", "arguments": {"personUrl": person, "waitSeconds": 0}},
        )
    )
    # "true" validates to the default True: the same withdrawal, which must not be sent twice.
    again = data(
        await client.call_tool(
            "run_operation",
            {
                "name": "withdraw_connection_request",
                "arguments": {"personUrl": person, "unfollow": "true", "waitSeconds": 0},
            },
        )
    )
    assert again["deduplicated"]
    assert again["workflowId"] == first["workflowId"]
    assert upstream.posts == 1
