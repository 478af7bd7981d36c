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


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    """Every test here runs on SQLite and on a real PostgreSQL server (server/db.py)."""
    return both_stores


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
    # An explicit true is the default: the same withdrawal, which must not be sent twice. (The string
    # "true" is refused since booleans are strict, so it cannot start a second one either.)
    again = data(
        await client.call_tool(
            "run_operation",
            {
                "name": "withdraw_connection_request",
                "arguments": {"personUrl": person, "unfollow": True, "waitSeconds": 0},
            },
        )
    )
    spelled = await client.call_tool(
        "run_operation",
        {"name": "withdraw_connection_request", "arguments": {"personUrl": person, "unfollow": "true"}},
    )
    assert again["deduplicated"]
    assert again["workflowId"] == first["workflowId"]
    assert spelled.is_error
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


async def test_an_action_repeated_by_an_iterator_counts_once_per_item_it_can_reach(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    # One custom workflow inviting every result of a 20-person search is 20 connection requests,
    # not one: under a cap of 15 it must be refused before anything is sent.
    settings = Settings(
        data_dir=tmp_path / "data",
        sandbox_speed=POLL_SPEED,
        confirm="never",
        toolsets="all",
        budgets="stConnectionRequests=15/day",
    )
    server, _ = build(settings, sandbox=sandbox)
    invite_all = {
        "actionType": "st.searchPeople",
        "term": "engineer",
        "limit": 20,
        "then": {"actionType": "st.doForPeople", "then": {"actionType": "st.sendConnectionRequest"}},
    }
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        result = await client.call_tool("execute_custom_workflow", {"definition": invite_all, "waitSeconds": 0})
    assert result.is_error
    text = "".join(getattr(block, "text", "") for block in result.content)
    assert "counts up to 20 stConnectionRequests" in text
    assert "(0 of 15 used)" in text
    assert upstream.posts == 0


def test_endorsing_skills_by_pattern_counts_one_endorsement_per_pattern() -> None:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.guards import units_for

    op = CATALOG["endorse_person_skills"]
    person = "https://www.linkedin.com/in/someone"
    params = op.parse({"personUrl": person, "skillNamePatterns": ["Python", "SQL", "Go"]})
    assert units_for(op, params)["stEndorsements"] == 3


async def test_a_send_that_finished_within_the_dedupe_window_is_not_sent_again_however_long_it_ran(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    # The instructions promise: an identical account-changing call that *finished* in the last
    # window returns the earlier workflow. A send queued for 15 minutes that completed a minute
    # ago must not go out a second time.
    now = [1_800_000_000.0]
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="never")
    server, state = build(settings, sandbox=sandbox)
    state.ledger._clock = lambda: now[0]
    args = {"personUrl": sandbox.world.samples()["connectionUrls"][0], "text": "Still on for Friday?", "waitSeconds": 0}
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        first = data(await client.call_tool("send_message", args))
        now[0] += 15 * 60
        sandbox.advance(3600.0)
        done = data(await client.call_tool("get_workflow_result", {"workflowId": first["workflowId"]}))
        assert done["status"] == "completed"
        now[0] += 60
        again = data(await client.call_tool("send_message", args))
    assert again["deduplicated"]
    assert again["workflowId"] == first["workflowId"]
    assert upstream.posts == 1


@pytest.mark.parametrize(("limit", "counted"), [(20, 20), ("20", 20), (20.0, 20), (True, 1000), (None, 1000)])
def test_a_custom_iteration_counts_its_source_limit_in_whatever_form_it_was_given(limit: Any, counted: int) -> None:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.guards import units_for

    search: dict[str, Any] = {"actionType": "st.searchPeople", "term": "engineer"}
    if limit is not None:
        search["limit"] = limit
    search["then"] = {"actionType": "st.doForPeople", "then": {"actionType": "st.sendConnectionRequest"}}
    op = CATALOG["execute_custom_workflow"]
    assert units_for(op, op.parse({"definition": search}))["stConnectionRequests"] == counted
