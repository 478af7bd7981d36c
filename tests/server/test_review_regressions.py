"""Regressions found in review: paths where a second POST or a confirmation could slip through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, Implementation

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED, Upstream

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


async def test_in_read_only_mode_reading_a_conversation_never_synced_starts_no_sync(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    # Read-only mode runs nothing but reads (README): sync_conversation is a monitoring switch,
    # refused by name, so get_conversation must not start it either.
    server, _ = build(Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, read_only=True), sandbox=sandbox)
    person = sandbox.world.samples()["connectionUrls"][0]
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        result = await client.call_tool("get_conversation", {"personUrl": person, "waitSeconds": 0})
    assert result.is_error
    assert "conversationsNotSynced" in "".join(getattr(block, "text", "") for block in result.content)
    assert upstream.posts == 0
