"""Limits and action errors a model can act on (issue 11, point 4): Linked API's ``limitExceeded`` names
the category, Linked API's documented default, when to try again and that it is Linked API's limit,
not the local budget; the local budget's refusal says it is the local one; local defaults are never
above Linked API's documented defaults. Through a real MCP client on the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from linkedapi_mcp.catalog.spec import ActionError
from linkedapi_mcp.client.errors import DOCUMENTED_LIMITS
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.errors import action_errors_text, next_reset
from linkedapi_mcp.server.guards import DEFAULT_BUDGETS
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED

pytestmark = pytest.mark.anyio

HOUR = 3600.0


def _strangers(sandbox: Sandbox, count: int) -> list[str]:
    """People the account can invite without any other error (not connected, nothing pending, no quirk)."""
    w = sandbox.world
    people = [p for p in w.people[1:] if p.idx not in w.connections and p.idx not in w.pending and not p.flags]
    return [p.public_url for p in people[:count]]


async def _invite(client: Client, sandbox: Sandbox, url: str) -> Any:
    started = await client.call_tool("send_connection_request", {"personUrl": url, "note": "Hi!", "waitSeconds": 0})
    out = started.structured_content or {}
    if started.is_error or out.get("status") == "completed":
        return started
    sandbox.advance(HOUR / 60)
    return await client.call_tool("get_workflow_result", {"workflowId": out["workflowId"]})


def test_local_defaults_are_never_above_linked_apis_documented_defaults() -> None:
    for (category, period), documented in DOCUMENTED_LIMITS.items():
        assert period == "daily"
        assert DEFAULT_BUDGETS[category] <= documented, category


async def test_the_11th_invitation_at_linked_apis_limit_says_whose_limit_which_and_when_to_retry(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    # The local budget set above Linked API's own (10 a day in the sandbox, as documented): Linked API refuses.
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, budgets="stConnectionRequests=20/day")
    server, _ = build(settings, sandbox=sandbox)
    people = _strangers(sandbox, 11)
    async with Client(server) as client:
        results = [await _invite(client, sandbox, url) for url in people]
    assert [r.is_error for r in results] == [False] * 10 + [True]
    text = "\n".join(getattr(b, "text", "") for b in results[-1].content)
    assert "[limitExceeded]" in text
    assert "This is Linked API's own limit for stConnectionRequests on this account" in text
    assert "Linked API's documented default is 10 a day" in text
    assert "not this server's local budget: the action did not happen" in text
    assert "a daily one reopens at the next 00:00 UTC" in text
    assert "Do not retry sooner" in text


async def test_the_local_budget_says_it_is_the_local_one(tmp_path: Path, sandbox: Sandbox) -> None:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, budgets="stConnectionRequests=2/day")
    server, _ = build(settings, sandbox=sandbox)
    people = _strangers(sandbox, 3)
    async with Client(server) as client:
        results = [await _invite(client, sandbox, url) for url in people]
    assert [r.is_error for r in results] == [False, False, True]
    text = "\n".join(getattr(b, "text", "") for b in results[-1].content)
    assert "[budgetExceeded] The local daily budget for stConnectionRequests is reached (2 of 2 used)" in text
    assert "LINKEDAPI_MCP_BUDGETS" in text
    # Nothing reached Linked API for the refused one.
    assert sum(1 for r in sandbox.requests if r.method == "POST" and r.path == "/workflows") == 2


def test_every_action_error_kind_tells_what_to_do() -> None:
    now = datetime(2026, 5, 6, 15, 30, tzinfo=UTC)
    lines = action_errors_text(
        [
            ActionError(type="personNotFound", message="The provided URL is not an existing LinkedIn person."),
            ActionError(type="alreadyConnected", message="Already connected."),
            ActionError(type="messagingNotAllowed", message="You cannot message this person."),
            ActionError(type="noteLimitExceeded", message="Note quota used up."),
            ActionError(type="unexpectedError", message="Something broke."),
            ActionError(type="limitExceeded", message="", actionType="st.sendMessage"),
        ],
        now=now,
    ).splitlines()
    assert lines[0].endswith("the same call fails the same way.")
    assert lines[1].endswith("nothing to do, do not retry.")
    assert lines[2].endswith("retrying will not help.")
    assert "send the invitation without a note" in lines[3]
    assert "try again in a few minutes" in lines[4]
    assert "own limit for stMessages" in lines[5]
    assert "documented default is 50 a day" in lines[5]
    assert "(2026-05-07T00:00Z by this server's clock)" in lines[5]


def test_limit_windows_reopen_on_calendar_boundaries() -> None:
    now = datetime(2026, 5, 6, 15, 30, tzinfo=UTC)  # a Wednesday
    assert next_reset("daily", now) == datetime(2026, 5, 7, tzinfo=UTC)
    assert next_reset("weekly", now) == datetime(2026, 5, 11, tzinfo=UTC)
    assert next_reset("monthly", now) == datetime(2026, 6, 1, tzinfo=UTC)
    assert next_reset("monthly", datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


async def test_a_partial_result_says_what_each_failed_action_means(tmp_path: Path, sandbox: Sandbox) -> None:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="never")
    server, _ = build(settings, sandbox=sandbox)
    company = sandbox.samples()["special"]["retrievingNotAllowedCompany"]
    async with Client(server) as client:
        started = await client.call_tool(
            "fetch_company", {"companyUrl": company, "retrieveEmployees": True, "waitSeconds": 0}
        )
        sandbox.advance(HOUR)
        out = (
            await client.call_tool(
                "get_workflow_result", {"workflowId": (started.structured_content or {})["workflowId"]}
            )
        ).structured_content or {}
    assert out["status"] == "completed"
    assert out["result"]["name"]  # the company's basics arrived
    assert [e["type"] for e in out["errors"]] == ["retrievingNotAllowed"]
    assert out["message"].startswith("Some actions failed; the rest of the result is valid. [retrievingNotAllowed]")
    assert out["message"].endswith("LinkedIn does not allow this for this target or account: retrying will not help.")
