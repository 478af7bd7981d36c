"""Local action budgets: per account and limit category, counted in the ledger, kept across restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server import pipeline
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.guards import DEFAULT_BUDGETS, Cap, ConfigError, parse_budgets
from linkedapi_mcp.settings import ConfigurationError, Settings

from .conftest import POLL_SPEED, Upstream

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    """Every test here runs on SQLite and on a real PostgreSQL server (server/db.py)."""
    return both_stores

# 2027-01-15 13:20:00 UTC: a fixed ledger clock, so reset times are known.
NOW = 1_799_971_200.0 + 13 * 3600 + 20 * 60


def _settings(tmp_path: Path, budgets: str, **update: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="never", budgets=budgets, **update)


def _text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def _send(person: str, text: str = "Hello") -> dict[str, Any]:
    return {"personUrl": person, "text": text, "waitSeconds": 0}


async def test_the_message_after_the_daily_cap_is_refused_with_its_reset_time_and_not_sent(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    server, state = build(_settings(tmp_path, "stMessages=3/day"), sandbox=sandbox)
    state.ledger._clock = lambda: NOW
    people = sandbox.world.samples()["connectionUrls"]
    async with Client(server) as client:
        sent = [await client.call_tool("send_message", _send(person)) for person in people[:3]]
        refused = await client.call_tool("send_message", _send(people[3]))
    assert not any(r.is_error for r in sent)
    assert refused.is_error
    assert _text(refused) == (
        "Error executing tool send_message: [budgetExceeded] The local daily budget for stMessages is reached "
        "(3 of 3 used); nothing was sent. It resets at 2027-01-16T00:00:00Z (UTC). The user can change it with "
        "LINKEDAPI_MCP_BUDGETS."
    )
    assert upstream.posts == 3


async def test_an_hourly_cap_opens_again_the_next_hour(tmp_path: Path, sandbox: Sandbox, upstream: Upstream) -> None:
    now = [NOW]
    server, state = build(_settings(tmp_path, "stMessages=1/hour"), sandbox=sandbox)
    state.ledger._clock = lambda: now[0]
    people = sandbox.world.samples()["connectionUrls"]
    async with Client(server) as client:
        await client.call_tool("send_message", _send(people[0]))
        refused = await client.call_tool("send_message", _send(people[1]))
        now[0] += 40 * 60  # 14:00 UTC
        later = await client.call_tool("send_message", _send(people[1]))
    assert refused.is_error
    assert "resets at 2027-01-15T14:00:00Z" in _text(refused)
    assert not later.is_error
    assert upstream.posts == 2


async def test_a_deduplicated_call_costs_nothing_and_a_refused_start_gives_its_unit_back(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    server, _ = build(_settings(tmp_path, "stMessages=1/day"), sandbox=sandbox)
    people = sandbox.world.samples()["connectionUrls"]
    async with Client(server) as client:
        sandbox.faults.add("rateLimit", method="POST", path="/workflows", seconds=30)
        failed = await client.call_tool("send_message", _send(people[0]))
        sandbox.faults.clear()
        first = await client.call_tool("send_message", _send(people[0]))
        repeat = await client.call_tool("send_message", _send(people[0]))
        second = await client.call_tool("send_message", _send(people[1]))
    assert failed.is_error
    assert "budget" not in _text(failed)
    assert not first.is_error
    assert repeat.structured_content is not None
    assert repeat.structured_content["deduplicated"] is True
    assert second.is_error
    assert "[budgetExceeded]" in _text(second)
    assert upstream.posts == 2  # the refused one and the first send


async def test_profile_views_searches_and_every_action_of_a_custom_workflow_count(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    budgets = "stPersonProfileViews=1/day,stSearchQueries=1/day,stMessages=1/day"
    server, _ = build(_settings(tmp_path, budgets, toolsets="all"), sandbox=sandbox)
    s = sandbox.world.samples()
    two_messages = [
        {"actionType": "st.sendMessage", "personUrl": s["connectionUrls"][0], "text": "One"},
        {"actionType": "st.sendMessage", "personUrl": s["connectionUrls"][1], "text": "Two"},
    ]
    async with Client(server) as client:
        views = [
            await client.call_tool("fetch_person", {"personUrl": url, "waitSeconds": 0}) for url in s["personUrls"][:2]
        ]
        searches = [
            await client.call_tool("search_people", {"term": term, "waitSeconds": 0}) for term in ("cto", "cfo")
        ]
        custom = await client.call_tool("execute_custom_workflow", {"definition": two_messages, "waitSeconds": 0})
    assert [r.is_error for r in views] == [False, True]
    assert "stPersonProfileViews" in _text(views[1])
    assert [r.is_error for r in searches] == [False, True]
    assert "stSearchQueries" in _text(searches[1])
    assert custom.is_error
    assert "stMessages" in _text(custom)
    assert upstream.posts == 2


async def test_a_client_with_elicitation_is_not_asked_about_a_call_over_budget(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    questions: list[str] = []

    async def human(_context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    settings = _settings(tmp_path, "stConnectionRequests=0/day").model_copy(update={"confirm": "elicit-or-preview"})
    server, _ = build(settings, sandbox=sandbox)
    async with Client(server, elicitation_callback=human) as client:
        result = await client.call_tool(
            "send_connection_request", {"personUrl": sandbox.world.samples()["personUrls"][0], "waitSeconds": 0}
        )
    assert result.is_error
    assert "stConnectionRequests" in _text(result)
    assert questions == []
    assert upstream.posts == 0


# -- across restarts and accounts: standalone sandboxes over HTTP, real token pairs ---------------


@pytest.fixture(scope="module")
def accounts() -> Iterator[tuple[ServerThread, ServerThread]]:
    one = Sandbox(seed=42, speed=0, linked_api_token="lat-budget-a", identification_token="idt-budget-a")
    two = Sandbox(seed=42, speed=0, linked_api_token="lat-budget-b", identification_token="idt-budget-b")
    with ServerThread(one) as a, ServerThread(two) as b:
        yield a, b


def _account(tmp_path: Path, live: ServerThread, suffix: str) -> Settings:
    return _settings(
        tmp_path,
        "stMessages=2/day",
        base_url=live.base_url,
        linked_api_token=f"lat-budget-{suffix}",
        identification_token=f"idt-budget-{suffix}",
    )


async def test_the_budget_survives_a_restart_and_is_kept_per_account(
    tmp_path: Path, accounts: tuple[ServerThread, ServerThread]
) -> None:
    a, b = accounts
    a.sandbox.requests.clear()
    b.sandbox.requests.clear()
    people = a.sandbox.samples()["connectionUrls"]
    server, _ = build(_account(tmp_path, a, "a"))
    async with Client(server) as client:
        for person in people[:2]:
            assert not (await client.call_tool("send_message", _send(person))).is_error
    restarted, _ = build(_account(tmp_path, a, "a"))  # a new server on the same data dir
    async with Client(restarted) as client:
        refused = await client.call_tool("send_message", _send(people[2]))
    other, _ = build(_account(tmp_path, b, "b"))  # another account, same ledger file
    async with Client(other) as client:
        allowed = await client.call_tool("send_message", _send(people[2]))
    assert refused.is_error
    assert "(2 of 2 used)" in _text(refused)
    assert not allowed.is_error
    assert Upstream(a.sandbox).posts == 2
    assert Upstream(b.sandbox).posts == 1


# -- units of actions that did not happen go back (issue 11, point 4) ------------------------------


def _strangers(sandbox: Sandbox, count: int) -> list[str]:
    """People the account can invite without any other error (not connected, nothing pending, no quirk)."""
    w = sandbox.world
    people = [p for p in w.people[1:] if p.idx not in w.connections and p.idx not in w.pending and not p.flags]
    return [p.public_url for p in people[:count]]


async def _invite(client: Client, sandbox: Sandbox, url: str) -> CallToolResult:
    started = await client.call_tool("send_connection_request", {"personUrl": url, "waitSeconds": 0})
    out = started.structured_content or {}
    if started.is_error or out.get("status") == "completed":
        return started
    sandbox.advance(60.0)  # the frozen sandbox runs the invitation
    return await client.call_tool("get_workflow_result", {"workflowId": out["workflowId"]})


async def test_invitations_refused_at_linked_apis_daily_limit_leave_the_local_budget_as_it_was(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, database_url: str | None
) -> None:
    settings = _settings(tmp_path, "stConnectionRequests=3/day", database_url=database_url)
    server, state = build(settings, sandbox=sandbox)
    account = state.backend(None).account
    caps = state.runner.guards.caps_for({"stConnectionRequests": 1})
    a, b, c, d, e, f = _strangers(sandbox, 6)
    # Linked API's own daily limit for invitations, reached after one.
    sandbox.world.set_limits([{"category": "stConnectionRequests", "period": "daily", "maxValue": 1}])
    async with Client(server) as client:
        first = await _invite(client, sandbox, a)
        before = await pipeline.budget_usage(state.ledger, account, caps)
        at_limit = [await _invite(client, sandbox, url) for url in (b, c)]
        after = await pipeline.budget_usage(state.ledger, account, caps)
        # Linked API's limit lifted: the local budget still has the two units the refused ones gave back.
        sandbox.world.set_limits([{"category": "stConnectionRequests", "period": "daily", "maxValue": 10}])
        later = [await _invite(client, sandbox, url) for url in (d, e)]
        over = await _invite(client, sandbox, f)
    assert not first.is_error
    assert [r.is_error for r in at_limit] == [True, True]
    assert all("[limitExceeded]" in _text(r) for r in at_limit)
    assert [used for _, used, _ in before] == [1]
    assert after == before  # the failed invitations left the local budget as it was
    assert [r.is_error for r in later] == [False, False]
    assert over.is_error
    assert "(3 of 3 used)" in _text(over)
    assert upstream.posts == 5  # the sixth was refused locally, before anything was sent


async def test_a_refund_is_given_once_however_often_the_failed_workflow_is_read(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, database_url: str | None
) -> None:
    settings = _settings(tmp_path, "stConnectionRequests=3/day", database_url=database_url)
    server, state = build(settings, sandbox=sandbox)
    account = state.backend(None).account
    caps = state.runner.guards.caps_for({"stConnectionRequests": 1})
    a, b = _strangers(sandbox, 2)
    sandbox.world.set_limits([{"category": "stConnectionRequests", "period": "daily", "maxValue": 1}])
    async with Client(server) as client:
        assert not (await _invite(client, sandbox, a)).is_error
        started = await client.call_tool("send_connection_request", {"personUrl": b, "waitSeconds": 0})
        handle = (started.structured_content or {})["workflowId"]
        sandbox.advance(60.0)
        reads = [await client.call_tool("get_workflow_result", {"workflowId": handle}) for _ in range(3)]
        repeat = await client.call_tool("send_connection_request", {"personUrl": b, "waitSeconds": 0})
        usage = await pipeline.budget_usage(state.ledger, account, caps)
    assert all(r.is_error and "[limitExceeded]" in _text(r) for r in reads)
    assert repeat.is_error  # the identical call gets the recorded outcome, nothing is sent again
    assert upstream.posts == 2
    assert [used for _, used, _ in usage] == [1]  # one unit given back, not one per read


# -- configuration --------------------------------------------------------------------------------


def test_budgets_default_to_a_daily_cap_per_limit_category_and_can_be_changed_or_turned_off() -> None:
    assert set(parse_budgets(None)) == {Cap(c, "day", n) for c, n in DEFAULT_BUDGETS.items()}
    caps = set(parse_budgets("stMessages=30/day, stMessages=10/hour, stSearchQueries=off"))
    assert Cap("stMessages", "day", 30) in caps
    assert Cap("stMessages", "hour", 10) in caps
    assert not any(c.category == "stSearchQueries" for c in caps)
    assert parse_budgets("off") == ()


@pytest.mark.parametrize("spec", ["stMesages=3/day", "stMessages=3/week", "stMessages=lots", "stMessages"])
def test_a_budget_the_server_cannot_read_stops_it_from_starting(spec: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        parse_budgets(spec)
    with pytest.raises(ConfigurationError, match="LINKEDAPI_MCP_BUDGETS"):
        build(Settings(data_dir=tmp_path, budgets=spec))
