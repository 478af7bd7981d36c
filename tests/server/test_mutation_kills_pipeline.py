"""What a focused mutation run of the call pipeline found untested after the pipeline refactor
(issue 18): waking the calls that wait on a claim, refunds that write nothing on a second read,
times in UTC whatever the server's time zone, and the answer to a misspelt operation name.

Each test names what would go wrong for the user; each drives the real code (the MCP client and
the sandbox, the SQLite ledger, or a real PostgreSQL server).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult, Implementation

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server import ledger as ledger_module
from linkedapi_mcp.server import pipeline
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.db import PostgresDatabase, SqliteDatabase
from linkedapi_mcp.server.ledger import CHANGES_CHANNEL, ClaimTx, Ledger
from linkedapi_mcp.server.pipeline import Call, Claim
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED, Upstream

pytestmark = pytest.mark.anyio

# A claim held by a process on another machine: only its lease tells whether it still starts the call.
ELSEWHERE = "other-host|another-boot|pid:[1]|4242|777"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _send_call() -> Call:
    return Call.of(
        account="acct",
        operation="sendMessage",
        arguments={"personUrl": "https://www.linkedin.com/in/jane", "text": "Hello"},
        effect="write",
        reuse_finished_within=600,
    )


async def _claimed_elsewhere(ledger: Ledger, *, lease: float) -> int:
    call = _send_call()

    def insert(tx: ClaimTx) -> int:
        row = tx.insert_claim(
            call.operation, call.args_hash, call.args_json, call.effect, holder=ELSEWHERE, lease_until=tx.now + lease
        )
        return int(row.id)

    return await ledger.atomically(call.account, insert)


def _text(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


# -- waiting calls are woken when a claim is found lost -------------------------------------------


async def test_a_call_waiting_on_a_claim_is_woken_the_moment_the_claim_is_found_lost_not_at_its_next_reread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second identical call waits on the first one's claim; when a look finds the claimer gone,
    # the waiting call must answer at once (outcome unknown, not sent again) instead of sleeping
    # until it happens to read the row again. Re-reads are set an hour apart, so only the wake
    # can end the wait; the time-out below is a guard against a hang, not a measurement.
    monkeypatch.setitem(ledger_module.RECHECK_SECONDS, "sqlite", 3600.0)
    clock = Clock()
    ledger = Ledger(tmp_path / "l.db", clock=clock)
    try:
        row_id = await _claimed_elsewhere(ledger, lease=10)
        claimed = await ledger.get(row_id)
        assert claimed is not None
        clock.now += 11  # its lease ran out: the other machine stopped renewing it
        db = ledger.db
        assert isinstance(db, SqliteDatabase)
        first_read = threading.Event()

        def seen(statement: str) -> None:
            if statement.startswith("SELECT") and statement.endswith(f"WHERE id={row_id}"):  # Ledger.get
                first_read.set()

        woken: list[Any] = []

        async def wait() -> None:
            woken.append(await ledger.wait_change(claimed, within=3600.0))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                db.trace(seen)
                tg.start_soon(wait)
                # Ordered by the store: the waiter has read the row as it was (the trace waits for
                # that read to finish, since reads and writes share one connection lock).
                assert await anyio.to_thread.run_sync(first_read.wait, 30.0)
                db.trace(None)
                lost = await pipeline.look_again(ledger, claimed)
        assert lost.state == "outcome_unknown"
        assert [(r.id, r.state, r.message) for r in woken] == [(row_id, "outcome_unknown", lost.message)]
    finally:
        ledger.close()


async def test_a_call_waiting_on_another_replica_is_told_which_claim_was_found_lost_on_postgresql(
    postgres_url: str,
) -> None:
    # Replicas share one PostgreSQL store; a call waiting on another replica learns of the change
    # from a notification naming the row (its LISTEN loop wakes the waiters of that row). Without
    # it, that call would sleep to its next re-read, and a notification that fails would fail the look.
    clock = Clock()
    ledger = Ledger(PostgresDatabase(postgres_url, max_size=4), clock=clock)
    try:
        row_id = await _claimed_elsewhere(ledger, lease=10)
        claimed = await ledger.get(row_id)
        assert claimed is not None
        clock.now += 11
        import psycopg

        with psycopg.connect(postgres_url, autocommit=True) as other_replica:
            other_replica.execute(f"LISTEN {CHANGES_CHANNEL}")
            lost = await pipeline.look_again(ledger, claimed)
            # Delivered at the commit, before look_again returned: waiting only guards against a hang.
            told = [note.payload for note in other_replica.notifies(timeout=30, stop_after=1)]
        assert lost.state == "outcome_unknown"
        assert told == [str(row_id)]
    finally:
        ledger.close()


# -- a lost claim's time is said in UTC ------------------------------------------------------------


@pytest.fixture
def server_time_zone_not_utc() -> Iterator[None]:
    """The process's local time zone 5 h 30 ahead of UTC (a POSIX TZ rule: no tz database needed)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "IST-5:30"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


async def test_when_a_claim_was_last_renewed_is_said_in_utc_on_a_server_in_another_time_zone(
    tmp_path: Path, server_time_zone_not_utc: None
) -> None:
    # The message tells the user until when the other machine was starting the call, marked Z:
    # a server in India must not write its local time there (5 h 30 off, wrongly labelled UTC).
    clock = Clock()
    ledger = Ledger(tmp_path / "l.db", clock=clock)
    try:
        await _claimed_elsewhere(ledger, lease=10)
        clock.now += 11
        found = await pipeline.claim(ledger, _send_call())
    finally:
        ledger.close()
    assert isinstance(found, Claim)
    assert found.row.state == "outcome_unknown"
    assert "process 4242 on other-host stopped renewing its claim at 1970-01-12T13:46:50Z" in (found.row.message or "")


# -- a refund is looked at without writing --------------------------------------------------------


async def test_reading_a_refused_invitation_again_after_its_unit_went_back_writes_nothing_to_the_ledger(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    # Agents read a finished workflow again and again. Once its units went back, a read must not
    # take the account's write lock (each would queue behind, and block, the account's new calls).
    settings = Settings(
        data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="never", budgets="stConnectionRequests=3/day"
    )
    server, state = build(settings, sandbox=sandbox)
    w = sandbox.world
    stranger = next(p for p in w.people[1:] if p.idx not in w.connections and p.idx not in w.pending and not p.flags)
    # Linked API's own daily invitation limit, already reached: the invitation fails there.
    w.set_limits([{"category": "stConnectionRequests", "period": "daily", "maxValue": 0}])
    account = state.backend(None).account
    caps = state.runner.guards.caps_for({"stConnectionRequests": 1})
    db = state.ledger.db
    assert isinstance(db, SqliteDatabase)
    statements: list[str] = []
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        started = await client.call_tool(
            "send_connection_request", {"personUrl": stranger.public_url, "waitSeconds": 0}
        )
        handle = (started.structured_content or {})["workflowId"]
        sandbox.advance(60.0)
        first = await client.call_tool("get_workflow_result", {"workflowId": handle})  # fails; the unit goes back
        usage = await pipeline.budget_usage(state.ledger, account, caps)
        db.trace(statements.append)
        try:
            again = await client.call_tool("get_workflow_result", {"workflowId": handle})
        finally:
            db.trace(None)
    assert first.is_error
    assert "[limitExceeded]" in _text(first)
    assert _text(again) == _text(first)
    assert [used for _, used, _ in usage] == [0]
    assert any(s.startswith("SELECT") and "budget_usage" in s for s in statements)  # it did look
    writes = [s for s in statements if s.split(" ", 1)[0] in ("BEGIN", "INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert upstream.posts == 1


# -- a misspelt operation name ----------------------------------------------------------------------


async def test_describing_a_misspelt_operation_names_the_nearest_one_and_sends_nothing(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED)
    server, _ = build(settings, sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        result = await client.call_tool("describe_operation", {"name": "retrieve_ssl"})
    assert result.is_error
    assert _text(result) == (
        "[unknownOperation] 'retrieve_ssl' is not an operation. Did you mean retrieve_ssi? Nothing was sent."
    )
    assert upstream.total == 0


# -- list_workflows' total follows claims and refused starts -----------------------------------------


async def test_the_workflow_total_counts_a_started_call_once_and_a_start_refused_outright_not_at_all(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    # The total tells an agent how many pages of its history there are; a start Linked API refused
    # outright left no workflow behind (its claim is released), so it is no part of it.
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="never")
    server, _ = build(settings, sandbox=sandbox)
    first, second = sandbox.world.samples()["connectionUrls"][:2]
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        sent = await client.call_tool("send_message", {"personUrl": first, "text": "Hello", "waitSeconds": 0})
        sandbox.faults.add("invalidToken", method="POST", path="/workflows")
        refused = await client.call_tool("send_message", {"personUrl": second, "text": "Hello", "waitSeconds": 0})
        read = await client.call_tool("fetch_person", {"personUrl": first, "waitSeconds": 0})
        every = (await client.call_tool("list_workflows", {})).structured_content or {}
        messages = (await client.call_tool("list_workflows", {"operationName": "sendMessage"})).structured_content
    assert not sent.is_error, sent.content
    assert refused.is_error
    assert not read.is_error, read.content
    assert upstream.posts == 3
    assert len(every["workflows"]) == every["total"] == 2
    assert messages is not None
    assert len(messages["workflows"]) == messages["total"] == 1
