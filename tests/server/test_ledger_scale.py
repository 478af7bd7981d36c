"""A ledger that costs the same at 100,000 rows as at 10 (issue 14): every query the server runs on
its hot path uses an index and no sort, retention deletes in batches, results are stored
compressed yet come back whole, and the duration model reads a bounded sample window.

(The figures themselves are in the benchmark, tools/bench/ledger_scale.py; no timing here.)
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server import ledger as ledger_module
from linkedapi_mcp.server.app import ServerState
from linkedapi_mcp.server.db import PostgresDatabase, SqliteDatabase
from linkedapi_mcp.server.ledger import _MIGRATIONS, Ledger, Row

pytestmark = pytest.mark.anyio

HOUR = 3600.0
DAY = 24 * HOUR
# The tables whose reads and writes must never scan or sort (the vault and the schema table aside).
LEDGER_TABLES = (
    "workflows",
    "workflow_results",
    "workflow_counts",
    "duration_samples",
    "budget_usage",
    "confirmations",
)


def data(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    out: dict[str, Any] = result.structured_content or {}
    return out


def _fill(path: Path, account: str, rows: int, now: float) -> None:
    """``rows`` finished workflows of the account over the last 30 days (and some of another), as
    plain rows: enough that a scan would show, and the planner has both tables to choose from."""
    conn = sqlite3.connect(path)
    with conn:
        for i in range(rows):
            at = now - (i % 29) * DAY - i
            conn.execute(
                "INSERT INTO workflows (account, operation, args_hash, args_json, effect, workflow_id, state, "
                "created_at, updated_at, finished_at, duration) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    account if i % 5 else "another-account",
                    ("searchPeople", "fetchPerson", "fetchCompany")[i % 3],
                    f"hash-{i}",
                    json.dumps({"term": f"t{i}", "limit": 5}),
                    "read",
                    f"filled-{i}",
                    "completed",
                    at - 60,
                    at,
                    at,
                    30.0 + i % 7,
                ),
            )
    conn.close()


async def test_every_statement_of_the_hot_path_uses_an_index_and_no_sort(
    client: Client, state: ServerState, sandbox: Sandbox
) -> None:
    # One real call creates the account's row (and the schema); then history is added under it.
    people = sandbox.samples()["personUrls"]
    first = data(await client.call_tool("fetch_person", {"personUrl": people[0], "waitSeconds": 0}))
    ledger = state.ledger
    db = ledger.db
    assert isinstance(db, SqliteDatabase)
    path = db.path
    with db.read() as conn:
        account = str(conn.execute("SELECT account FROM workflows").fetchone()[0])
    _fill(path, account, 3000, time.time())

    statements: list[str] = []
    db.trace(statements.append)
    try:
        # list_workflows, plain and by operation
        data(await client.call_tool("list_workflows", {}))
        data(await client.call_tool("list_workflows", {"operationName": "searchPeople", "limit": 5}))
        # a new call that returns its handle at once, and the same call again (the dedupe lookup)
        args = {"term": "scale", "limit": 3, "waitSeconds": 0}
        new = data(await client.call_tool("search_people", args))
        again = data(await client.call_tool("search_people", args))
        assert again["workflowId"] == new["workflowId"]
        # a waiting call: the duration prediction, one look, then the result read back by handle
        sandbox.advance(HOUR)
        done = data(await client.call_tool("get_workflow_result", {"workflowId": new["workflowId"]}))
        assert done["status"] == "completed"
        data(await client.call_tool("get_workflow_result", {"workflowId": first["workflowId"]}))
        data(await client.call_tool("get_workflow_result", {"workflowId": new["workflowId"]}))
        # a timed completion, as the poller records it: kept in the bounded sample window
        adopted = await ledger.adopt(account=account, operation="searchPeople", workflow_id="wf-timed", effect="read")
        await ledger.record_completed(adopted.id, {"data": []}, duration=12.0)
        # retention
        await ledger.prune()
    finally:
        db.trace(None)

    checked = [s for s in statements if _touches_ledger(s)]
    assert any("FROM workflows WHERE account=" in s and "ORDER BY id DESC" in s for s in checked)  # list
    assert any("args_hash=" in s for s in checked)  # the dedupe / in-flight lookup
    assert any("FROM duration_samples" in s for s in checked)  # the prediction's inputs
    assert any("workflow_id=" in s for s in checked)  # get by handle
    assert any(s.startswith("DELETE FROM workflows") and "finished_at" in s for s in checked)  # retention
    assert any(s.startswith("DELETE FROM workflow_results") and "kept_at" in s for s in checked)  # results' keep
    assert any("LEFT JOIN workflow_results" in s and "workflow_id=" in s for s in checked)  # read with its result
    assert any(s.startswith("SELECT COALESCE(SUM(n), 0) FROM workflow_counts") for s in checked)  # the total
    assert any(s.startswith("INSERT INTO workflow_counts") for s in checked)  # kept with each new row
    assert any(s.startswith("DELETE FROM duration_samples WHERE account=") for s in checked)  # window trim
    reader = sqlite3.connect(path)
    try:
        bad = {}
        for statement in checked:
            plan = [str(r[3]) for r in reader.execute("EXPLAIN QUERY PLAN " + statement).fetchall()]
            if any(_full_scan(step) or "TEMP B-TREE" in step for step in plan):
                bad[statement] = plan
    finally:
        reader.close()
    assert bad == {}


def _touches_ledger(statement: str) -> bool:
    head = statement.lstrip().split(" ", 1)[0].upper()
    return head in ("SELECT", "UPDATE", "DELETE", "INSERT") and any(
        f" {table} " in f" {statement} " or f" {table}(" in statement for table in LEDGER_TABLES
    )


def _full_scan(step: str) -> bool:
    """``SCAN t`` reads the whole table (``SCAN t USING ... INDEX`` the whole index): either grows
    with the ledger. (A ``SEARCH`` is a range of an index.)"""
    return step.startswith("SCAN ") and not step.startswith("SCAN CONSTANT")


def test_postgresql_gets_the_same_indexes(postgres_url: str) -> None:
    import psycopg

    ledger = Ledger(PostgresDatabase(postgres_url, max_size=2))
    try:
        ledger._ensure()
        with psycopg.connect(postgres_url) as conn:
            found = {
                str(name): str(definition)
                for name, definition in conn.execute("SELECT indexname, indexdef FROM pg_indexes").fetchall()
            }
    finally:
        ledger.close()
    expected = {
        "workflows_by_account": "(account, id)",
        "workflows_by_account_operation": "(account, operation, id)",
        "workflows_by_key": "(account, operation, args_hash, id)",
        "workflows_by_handle": "(workflow_id)",
        "workflows_by_finish": "(finished_at)",
        "duration_samples_by_account": "(account, id)",
        "duration_samples_by_time": "(at)",
        "budget_usage_by_account": "(account, category, at)",
        "budget_usage_by_time": "(at)",
        "budget_usage_by_workflow": "(workflow_row)",
        "confirmations_by_expiry": "(expires_at)",
        "workflow_results_by_time": "(kept_at)",
        "workflow_results_pkey": "(row_id)",
        # partial: the account's started, unfinished rows (what a queued call waits behind)
        "workflows_in_flight": "(account, id) WHERE (state = ANY (ARRAY['pending'::text, 'running'::text]))",
    }
    assert {name: found.get(name, "missing").split(" USING btree ")[-1] for name in expected} == expected
    assert "workflows_by_operation" not in found  # covered by workflows_by_account_operation


async def test_what_a_queued_call_waits_behind_is_found_among_the_unfinished_rows_only(
    open_ledger: Callable[..., Ledger], both_stores: str | None
) -> None:
    # Ledger.polled_ahead runs on every look of a queued workflow: it must not walk the account's
    # finished history (3,000 rows here) to find the one unfinished, polled row before it.
    ledger = open_ledger()
    polled = await ledger.adopt(account="acct", operation="searchPeople", workflow_id="wf-ahead", effect="read")
    await ledger.record_status(polled.id, status="running", pending_reason=None, message=None)
    unpolled = await ledger.adopt(account="acct", operation="searchPeople", workflow_id="wf-idle", effect="read")
    await _finished(ledger, 30)
    queued = await ledger.adopt(account="acct", operation="searchPeople", workflow_id="wf-queued", effect="read")
    other = await ledger.adopt(account="other", operation="searchPeople", workflow_id="wf-other", effect="read")
    assert await ledger.polled_ahead(queued) is None  # nobody polls either unfinished row yet
    assert await ledger.take_lease(polled.id, "call-1", until=time.time() + 60)
    assert await ledger.take_lease(other.id, "call-2", until=time.time() + 60)
    ahead = await ledger.polled_ahead(queued)
    assert ahead is not None
    assert ahead.id == polled.id  # not the unpolled one, not another account's
    assert await ledger.take_lease(unpolled.id, "call-3", until=time.time() + 60)
    ahead = await ledger.polled_ahead(queued)
    assert ahead is not None
    assert ahead.id == unpolled.id  # the latest one before it
    assert await ledger.polled_ahead(polled) is None  # nothing before the first
    await ledger.release_lease(unpolled.id, "call-3")
    await ledger.record_completed(polled.id, {"data": []})
    assert await ledger.polled_ahead(queued) is None  # finished, or no longer polled
    if both_stores is None:
        db = ledger.db
        assert isinstance(db, SqliteDatabase)
        statements: list[str] = []
        db.trace(statements.append)
        try:
            await ledger.polled_ahead(queued)
        finally:
            db.trace(None)
        [statement] = [s for s in statements if "lease_until>" in s]
        with db.read() as conn:
            plan = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + statement).fetchall()]
        assert plan == ["SEARCH workflows USING INDEX workflows_in_flight (account=? AND id<?)"]


# -- both stores ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def open_ledger(both_stores: str | None, tmp_path: Path) -> Iterator[Callable[..., Ledger]]:
    """Opens the test's ledger (again: a restart) on SQLite or on a real PostgreSQL database."""
    opened: list[Ledger] = []

    def open_one(**options: Any) -> Ledger:
        db = SqliteDatabase(tmp_path / "l.db") if both_stores is None else PostgresDatabase(both_stores, max_size=2)
        ledger = Ledger(db, **options)
        opened.append(ledger)
        return ledger

    yield open_one
    for ledger in opened:
        ledger.close()


async def _finished(ledger: Ledger, n: int, *, duration: float | None = None, result: Any = None) -> list[Row]:
    rows = []
    for i in range(n):
        row = await ledger.adopt(account="acct", operation="searchPeople", workflow_id=f"wf-{i}", effect="read")
        rows.append(
            await ledger.record_completed(row.id, result if result is not None else {"i": i}, duration=duration)
        )
    return rows


async def test_retention_deletes_a_batch_at_open_and_the_rest_in_batches(open_ledger: Callable[..., Ledger]) -> None:
    clock = Clock()
    ledger = open_ledger(clock=clock)
    await _finished(ledger, 8, duration=20.0)
    await ledger.adopt(account="acct", operation="searchPeople", workflow_id="wf-running", effect="read")
    ledger.close()
    clock.now += 31 * DAY

    reopened = open_ledger(clock=clock, prune_batch=3, prune_in_background=False)
    after_open = await reopened.recent("acct", limit=100)
    assert len(after_open) == 9 - 3  # one batch at open, not the whole backlog
    assert await reopened.prune() == 2  # 3, then 2 (< a batch: done)
    assert [r.workflow_id for r in await reopened.recent("acct", limit=100)] == ["wf-running"]
    assert await reopened.completed_samples("acct") == []  # expired samples go too


async def test_a_backlog_is_pruned_in_the_background(open_ledger: Callable[..., Ledger]) -> None:
    clock = Clock()
    ledger = open_ledger(clock=clock)
    await _finished(ledger, 7)
    ledger.close()
    clock.now += 31 * DAY

    reopened = open_ledger(clock=clock, prune_batch=2)
    await reopened.recent("acct")
    reopened.wait_pruned()
    assert await reopened.recent("acct", limit=100) == []


async def test_results_are_stored_compressed_and_come_back_whole(open_ledger: Callable[..., Ledger]) -> None:
    ledger = open_ledger()
    people = [{"name": f"Person {i}", "headline": "Engineer at Example", "location": "Berlin"} for i in range(200)]
    result = {"data": people, "errors": []}
    (row,) = await _finished(ledger, 1, result=result)

    assert row.result == result
    assert [r.result for r in await ledger.find("wf-0")] == [result]
    assert row.result_json is None  # kept in workflow_results now
    assert row.result_z is None
    assert row.result_kept is not None
    assert len(row.result_kept) < len(json.dumps(result)) / 5


async def test_a_ledger_from_before_keeps_its_results_and_its_timed_history(
    both_stores: str | None, tmp_path: Path
) -> None:
    # A store at schema version 3, with a completed row as version 3 wrote it (result in clear).
    db = SqliteDatabase(tmp_path / "l.db") if both_stores is None else PostgresDatabase(both_stores, max_size=2)
    db.migrate("ledger", _MIGRATIONS[:3], after=None)
    with db.tx() as conn:
        for i, duration in enumerate((12.0, None, 30.0)):
            conn.execute(
                "INSERT INTO workflows (account, operation, args_hash, args_json, effect, workflow_id, state, "
                "created_at, updated_at, finished_at, duration, result_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    "acct",
                    "searchPeople",
                    f"h{i}",
                    '{"limit":5,"term":"x"}',
                    "read",
                    f"old-{i}",
                    "completed",
                    time.time(),
                    time.time(),
                    time.time(),
                    duration,
                    json.dumps({"old": i}),
                ),
            )
    db.close()

    ledger = Ledger(SqliteDatabase(tmp_path / "l.db") if both_stores is None else PostgresDatabase(both_stores))
    try:
        assert [r.result for r in await ledger.find("old-2")] == [{"old": 2}]
        assert await ledger.count("acct") == 3  # list_workflows' total, counted once by migration 6
        samples = await ledger.completed_samples("acct")
        assert samples == [
            ("searchPeople", '{"limit":5,"term":"x"}', 30.0),
            ("searchPeople", '{"limit":5,"term":"x"}', 12.0),
        ]
    finally:
        ledger.close()


async def test_the_total_is_kept_with_every_row_added_and_deleted(open_ledger: Callable[..., Ledger]) -> None:
    """list_workflows' total comes from workflow_counts (no count of the rows): it must follow
    claims, adopted handles, released claims and retention."""
    clock = Clock()
    ledger = open_ledger(clock=clock, prune_in_background=False)
    await _finished(ledger, 3)
    await ledger.adopt(account="acct", operation="fetchPerson", workflow_id="wf-running", effect="read")
    claim = await ledger.atomically(
        "acct",
        lambda tx: tx.insert_claim("fetchPerson", "h", "{}", "read", holder="me", lease_until=clock.now + 60),
    )
    assert (await ledger.count("acct"), await ledger.count("acct", operation="fetchPerson")) == (5, 2)
    await ledger.release(claim.id)  # a start refused outright: its row goes
    assert (await ledger.count("acct"), await ledger.count("acct", operation="fetchPerson")) == (4, 1)
    clock.now += 31 * DAY
    await ledger.prune()
    assert [r.workflow_id for r in await ledger.recent("acct", limit=100)] == ["wf-running"]
    assert (await ledger.count("acct"), await ledger.count("acct", operation="searchPeople")) == (1, 0)
    assert await ledger.count("another-account") == 0


async def test_the_duration_model_reads_a_bounded_window_of_the_latest_timed_runs(
    open_ledger: Callable[..., Ledger], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "DURATION_SAMPLES", 4)
    ledger = open_ledger()
    rows = []
    for i in range(7):
        row = await ledger.adopt(account="acct", operation="searchPeople", workflow_id=f"wf-{i}", effect="read")
        rows.append(await ledger.record_completed(row.id, {}, duration=10.0 + i))
    untimed = await ledger.adopt(account="acct", operation="searchPeople", workflow_id="wf-untimed", effect="read")
    await ledger.record_completed(untimed.id, {})  # no duration: teaches nothing
    await ledger.record_completed(rows[-1].id, {}, duration=99.0)  # the same completion again: once only

    samples = await ledger.completed_samples("acct")
    assert [d for _, _, d in samples] == [16.0, 15.0, 14.0, 13.0]
    assert await ledger.completed_samples("another-account") == []
    with ledger.db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM duration_samples").fetchone()[0] == 4


async def test_a_sample_window_read_before_is_read_again_once_another_process_changes_it(
    open_ledger: Callable[..., Ledger],
) -> None:
    here, there = open_ledger(), open_ledger()  # two processes (replicas) on one store
    await _finished(here, 1, duration=10.0)
    assert [d for _, _, d in await here.completed_samples("acct")] == [10.0]
    row = await there.adopt(account="acct", operation="fetchPerson", workflow_id="wf-there", effect="read")
    await there.record_completed(row.id, {}, duration=20.0)
    assert [d for _, _, d in await here.completed_samples("acct")] == [20.0, 10.0]
    assert [d for _, _, d in await here.completed_samples("acct", limit=1)] == [20.0]


async def test_webhook_events_expire_with_the_workflows(open_ledger: Callable[..., Ledger]) -> None:
    """Recorded deliveries do not pile up for ever: they keep as long as finished workflows."""
    clock = Clock()
    ledger = open_ledger(clock=clock)
    assert await ledger.record_event("workflow.completed:wf-old", "workflow.completed", "acc", {"workflowId": "wf-old"})
    clock.now += 31 * DAY
    assert await ledger.record_event("inbox.message:new", "inbox.message", "acc", {"text": "hi"})
    ledger.close()

    reopened = open_ledger(clock=clock, prune_in_background=False)
    await reopened.prune()
    kept = await reopened.events(types=("workflow.completed", "inbox.message"))
    assert [e["id"] for e in kept] == ["inbox.message:new"]

