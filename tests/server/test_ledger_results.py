"""Stored results (issue 14 point 4: a file of at most 100 MiB at 100,000 rows): a result is kept in
the ledger RESULT_KEEP_SECONDS, compressed with a frozen preset dictionary; after that its row stays
and get_workflow_result fetches the result again from Linked API by its handle. Results written by
earlier schemas (plain JSON, plain zlib) still read. SQLite and a real PostgreSQL alike."""

from __future__ import annotations

import json
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import ServerState
from linkedapi_mcp.server.db import PostgresDatabase, SqliteDatabase
from linkedapi_mcp.server.ledger import (
    _MIGRATIONS,
    RESULT_KEEP_SECONDS,
    RETENTION_SECONDS,
    Ledger,
    decode_result,
    encode_result,
)

from .conftest import Upstream
from .test_account_backend import Server, held_call, session

pytestmark = pytest.mark.anyio

DAY = 86400.0


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    return both_stores


def data(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    out: dict[str, Any] = result.structured_content or {}
    return out


def _age_kept_results(ledger: Ledger, days: float) -> None:
    """As if every kept result had been kept ``days`` longer (the ledger's clock is the wall's)."""
    with ledger.db.tx() as conn:
        conn.execute("UPDATE workflow_results SET kept_at = kept_at - ?", (days * DAY,))


def _kept(ledger: Ledger) -> int:
    with ledger.db.read() as conn:
        return int(conn.execute("SELECT COUNT(*) FROM workflow_results").fetchone()[0])


async def test_a_result_past_the_keep_is_dropped_and_fetched_again_from_linked_api(
    client: Client, state: ServerState, sandbox: Sandbox, upstream: Upstream
) -> None:
    args = {"term": "engineer", "limit": 10, "waitSeconds": 0}
    started = data(await client.call_tool("search_people", args))
    sandbox.advance(3600)
    done = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert done["status"] == "completed"
    assert len(done["result"]) == 10
    gets = upstream.gets
    again = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert again["result"] == done["result"]
    assert upstream.gets == gets  # kept: read from the ledger

    ledger = state.ledger
    _age_kept_results(ledger, RESULT_KEEP_SECONDS / DAY - 1)  # a day short of the keep: stays
    await ledger.prune()
    assert _kept(ledger) == 1
    _age_kept_results(ledger, 2)  # a day past it: retention drops the result, not the row
    await ledger.prune()
    assert _kept(ledger) == 0
    listed = data(await client.call_tool("list_workflows", {}))
    assert [w["workflowId"] for w in listed["workflows"]] == [started["workflowId"]]

    # Linked API refusing for now: the call says what happened, and the next call gets the result
    sandbox.faults.add("rateLimit", method="GET", path="/workflows/", seconds=3600)
    refused = await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]})
    sandbox.faults.clear()
    assert refused.is_error
    text = "\n".join(getattr(block, "text", "") for block in refused.content)
    assert "must be fetched from Linked API again, which failed" in text, text
    gets = upstream.gets

    fetched = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert fetched["status"] == "completed"
    assert fetched["result"] == done["result"]  # the same result, from Linked API by its handle
    assert upstream.gets == gets + 1
    assert upstream.posts == 1  # nothing started again
    assert _kept(ledger) == 0  # not stored again: the row still says when it finished


async def test_a_dropped_result_linked_api_no_longer_has_is_said_so(
    client: Client, state: ServerState, sandbox: Sandbox, upstream: Upstream
) -> None:
    people = sandbox.samples()["personUrls"]
    first = data(await client.call_tool("fetch_person", {"personUrl": people[0], "waitSeconds": 0}))
    ledger = state.ledger
    (row,) = await ledger.find(first["workflowId"])
    # a workflow this server saw complete, whose handle Linked API no longer knows
    gone = await ledger.adopt(account=row.account, operation="fetchPerson", workflow_id="wf-forgotten", effect="read")
    await ledger.record_completed(gone.id, {"data": {"name": "Jane Roe"}, "errors": [], "truncated": None})
    _age_kept_results(ledger, RESULT_KEEP_SECONDS / DAY + 1)
    await ledger.prune()

    answer = await client.call_tool("get_workflow_result", {"workflowId": "wf-forgotten"})
    assert answer.is_error
    text = "\n".join(getattr(block, "text", "") for block in answer.content)
    assert "[workflowNotFound]" in text
    assert f"keeps a result {round(RESULT_KEEP_SECONDS / DAY)} days" in text
    assert upstream.posts == 1  # only fetch_person's start: nothing was started again


async def test_results_of_earlier_schemas_still_read(both_stores: str | None, tmp_path: Path) -> None:
    # A store at schema version 4, with a row as version 3 wrote it (JSON in clear) and one as
    # version 4 wrote it (a plain zlib stream in result_z).
    db = SqliteDatabase(tmp_path / "l.db") if both_stores is None else PostgresDatabase(both_stores, max_size=2)
    db.migrate("ledger", _MIGRATIONS[:4], after=None)
    now = time.time()
    with db.tx() as conn:
        for workflow_id, column, stored in (
            ("v3", "result_json", json.dumps({"data": {"v": 3}})),
            ("v4", "result_z", zlib.compress(json.dumps({"data": {"v": 4}}).encode(), 6)),
        ):
            conn.execute(
                "INSERT INTO workflows (account, operation, args_hash, args_json, effect, workflow_id, state, "
                f"created_at, updated_at, finished_at, {column}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                ("acct", "fetchPerson", workflow_id, "{}", "read", workflow_id, "completed", now, now, now, stored),
            )
    db.close()

    ledger = Ledger(SqliteDatabase(tmp_path / "l.db") if both_stores is None else PostgresDatabase(both_stores))
    try:
        (v3,) = await ledger.find("v3")
        (v4,) = await ledger.find("v4")
        assert (v3.result, v4.result) == ({"data": {"v": 3}}, {"data": {"v": 4}})
        assert not v3.result_dropped  # read here, never fetched again
        assert not v4.result_dropped
        # and a result completed now goes to the new table, in the new format
        new = await ledger.adopt(account="acct", operation="fetchPerson", workflow_id="v5", effect="read")
        done = await ledger.record_completed(new.id, {"data": {"v": 5}})
        assert done.result == {"data": {"v": 5}}
        assert done.result_z is None
        assert done.result_kept is not None
        assert bytes(done.result_kept)[0] == 1
    finally:
        ledger.close()


def test_a_blob_of_format_1_reads_for_ever() -> None:
    """Format 1's dictionary (result_zdict_v1.txt) is frozen: a blob written with it must read in
    every later version. (Change the dictionary in a new file and format byte, never in place.)"""
    blob = bytes.fromhex("0183190d4b2e4a5e8979a90a41f9a94a28e9126f006701b5e81681b58053359a970c956a75f0ba1c00")
    assert decode_result(blob) == {
        "data": {"name": "Jane Roe", "publicUrl": "https://www.linkedin.com/in/jane-roe", "urn": "urn:li:member:1"},
        "errors": [],
        "truncated": None,
    }
    result = {"data": [{"name": f"P{i}", "publicUrl": f"https://www.linkedin.com/in/p-{i}"} for i in range(50)]}
    assert decode_result(encode_result(result)) == result
    assert len(encode_result(result)) < len(json.dumps(result)) / 4


async def test_a_result_only_this_server_holds_is_kept_as_long_as_its_row(tmp_path: Path) -> None:
    """An Account API ``long`` read's result came in the start's answer: there is no link to fetch it
    again, so the ledger keeps it past RESULT_KEEP_SECONDS, for as long as the row."""
    server = Server(tmp_path, "account", account_result_handling="long-reads")
    person = server.sandbox.samples()["personUrls"][0]
    async for client in session(server):
        first = data(await held_call(server, client, "fetch_person", {"personUrl": person}))
        assert first["workflowId"].startswith("long-")
        ledger = server.built[1].ledger
        _age_kept_results(ledger, RESULT_KEEP_SECONDS / DAY + 1)
        await ledger.prune()
        assert _kept(ledger) == 1
        asked = len(server.sandbox.requests)
        again = data(await client.call_tool("get_workflow_result", {"workflowId": first["workflowId"]}))
        assert again["result"] == first["result"]
        assert len(server.sandbox.requests) == asked  # from the ledger: nothing asked of Linked API


async def test_results_kept_with_their_rows_go_with_them(both_stores: str | None, tmp_path: Path) -> None:
    now = [1_000_000.0]
    db = SqliteDatabase(tmp_path / "l.db") if both_stores is None else PostgresDatabase(both_stores, max_size=2)
    ledger = Ledger(db, clock=lambda: now[0], prune_in_background=False)
    try:
        for workflow_id, only_copy in (("wf-fetchable", False), ("long-held", True)):
            row = await ledger.adopt(account="acct", operation="fetchPerson", workflow_id=workflow_id, effect="read")
            await ledger.record_completed(row.id, {"data": {"id": workflow_id}}, keep_with_row=only_copy)
        now[0] += RESULT_KEEP_SECONDS + DAY
        await ledger.prune()
        (fetchable,) = await ledger.find("wf-fetchable")
        (held,) = await ledger.find("long-held")
        assert fetchable.result_dropped  # Linked API has it: fetched again when asked
        assert held.result == {"data": {"id": "long-held"}}
        assert _kept(ledger) == 1
        now[0] += RETENTION_SECONDS
        await ledger.prune()
        assert await ledger.find("long-held") == []
        assert _kept(ledger) == 0  # no result outlives its row
        assert await ledger.count("acct") == 0
    finally:
        ledger.close()
