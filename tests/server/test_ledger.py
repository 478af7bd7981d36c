"""The workflow ledger: claims, reuse rules, persistence and sharing between processes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from linkedapi_mcp.server import holders, pipeline
from linkedapi_mcp.server.db import PostgresDatabase
from linkedapi_mcp.server.ledger import ClaimTx, Ledger, account_key, canonical_args
from linkedapi_mcp.server.pipeline import Call, Claim

pytestmark = pytest.mark.anyio

OpenLedger = Callable[..., Ledger]


@pytest.fixture(params=["sqlite", "postgresql"])
def open_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenLedger]:
    """Opens the ledger named ``name`` in one store: the same tests run on SQLite and on a real
    PostgreSQL server (two opens of one name are two processes / replicas on one store)."""
    opened: list[Ledger] = []
    urls: dict[str, str] = {}

    def open_one(name: str, *, clock: Callable[[], float] = time.time) -> Ledger:
        if request.param == "sqlite":
            ledger = Ledger(tmp_path / name, clock=clock)
        else:
            if name not in urls:
                urls[name] = request.getfixturevalue("postgres_url") if not urls else _another_database(urls)
            ledger = Ledger(PostgresDatabase(urls[name], max_size=4), clock=clock)
        opened.append(ledger)
        return ledger

    yield open_one
    for ledger in opened:
        ledger.close()


def _another_database(urls: dict[str, str]) -> str:
    import secrets

    import psycopg

    first = next(iter(urls.values()))
    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(first, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return first.rsplit("/", 1)[0] + "/" + name

ARGS = {"personUrl": "https://www.linkedin.com/in/jane", "text": "Hello"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def claim(ledger: Ledger, *, args: dict[str, str] = ARGS, account: str = "acct", write: bool = True) -> Claim:
    claimed = await pipeline.claim(
        ledger,
        Call.of(
            account=account,
            operation="sendMessage",
            arguments=args,
            effect="write" if write else "read",
            reuse_finished_within=600 if write else None,
        ),
    )
    assert isinstance(claimed, Claim)
    return claimed


def test_account_key_is_stable_and_reveals_nothing_of_the_tokens() -> None:
    key = account_key("https://api.linkedapi.io", "secret-token-1", "secret-token-2")
    assert key == account_key("https://api.linkedapi.io", "secret-token-1", "secret-token-2")
    assert key != account_key("https://api.linkedapi.io", "secret-token-1", "other")
    assert "secret" not in key
    assert len(key) == 32


def test_canonical_arguments_ignore_key_order() -> None:
    assert canonical_args({"a": 1, "b": [1, 2]})[1] == canonical_args({"b": [1, 2], "a": 1})[1]
    assert canonical_args({"a": 1})[1] != canonical_args({"a": 2})[1]


async def test_an_identical_call_while_the_first_is_running_reuses_its_row(open_ledger: OpenLedger) -> None:
    ledger = open_ledger("l.db")
    first = await claim(ledger)
    await ledger.record_start(first.row.id, workflow_id="wf-1", status="pending", pending_reason="queued", message=None)
    second = await claim(ledger)
    assert not first.existing
    assert second.existing
    assert second.row.workflow_id == "wf-1"
    assert (await claim(ledger, args={**ARGS, "text": "Other"})).existing is False
    assert (await claim(ledger, account="someone-else")).existing is False


async def test_a_completed_write_is_reused_within_the_window_and_not_after(open_ledger: OpenLedger) -> None:
    clock = Clock()
    ledger = open_ledger("l.db", clock=clock)
    first = await claim(ledger)
    await ledger.record_start(first.row.id, workflow_id="wf-1", status="pending", pending_reason=None, message=None)
    await ledger.record_completed(first.row.id, {"data": None, "errors": []})
    clock.now += 599
    assert (await claim(ledger)).existing
    clock.now += 2
    assert not (await claim(ledger)).existing


async def test_a_completed_read_is_never_reused(open_ledger: OpenLedger) -> None:
    ledger = open_ledger("l.db")
    first = await claim(ledger, write=False)
    await ledger.record_start(first.row.id, workflow_id="wf-1", status="pending", pending_reason=None, message=None)
    await ledger.record_completed(first.row.id, {"data": [], "errors": []})
    assert not (await claim(ledger, write=False)).existing


async def test_a_refused_start_releases_its_claim_so_the_call_can_be_retried(open_ledger: OpenLedger) -> None:
    ledger = open_ledger("l.db")
    first = await claim(ledger)
    await ledger.release(first.row.id)
    assert not (await claim(ledger)).existing


async def test_a_claim_left_by_a_dead_process_turns_into_outcome_unknown(open_ledger: OpenLedger) -> None:
    clock = Clock()
    ledger = open_ledger("l.db", clock=clock)
    orphan = await claim(ledger)
    clock.now += 61
    again = await claim(ledger)
    assert again.existing
    assert again.row.id == orphan.row.id
    assert again.row.state == "outcome_unknown"


async def test_the_ledger_survives_reopening(open_ledger: OpenLedger) -> None:
    ledger = open_ledger("l.db")
    first = await claim(ledger)
    await ledger.record_start(first.row.id, workflow_id="wf-9", status="running", pending_reason=None, message=None)
    ledger.close()
    reopened = open_ledger("l.db")
    [row] = await reopened.find("wf-9")
    assert row.state == "running"
    assert row.arguments == ARGS


async def test_two_processes_claiming_the_same_call_at_once_get_one_new_row(open_ledger: OpenLedger) -> None:
    # Two Ledger objects on one file behave like two server processes: separate connections,
    # separate locks; only SQLite's write lock stands between them.
    ledgers = [open_ledger("shared.db"), open_ledger("shared.db")]
    results: list[Claim] = []

    async def one(ledger: Ledger) -> None:
        results.append(await claim(ledger))

    async with anyio.create_task_group() as tg:
        for i in range(8):
            tg.start_soon(one, ledgers[i % 2])
    assert sum(not c.existing for c in results) == 1
    assert len({c.row.id for c in results}) == 1


async def test_typical_duration_is_the_median_of_timed_completed_runs(open_ledger: OpenLedger) -> None:
    ledger = open_ledger("l.db")
    assert await ledger.typical_duration("sendMessage", "acct") is None
    for i, seconds in enumerate((10.0, 40.0, 20.0, None)):
        row = (await claim(ledger, args={"n": str(i)})).row
        await ledger.record_start(row.id, workflow_id=f"wf-{i}", status="pending", pending_reason=None, message=None)
        await ledger.record_completed(row.id, {}, duration=seconds)
    assert await ledger.typical_duration("sendMessage", "acct") == 20
    assert await ledger.typical_duration("sendMessage", "another-account") is None


async def test_finished_workflows_are_pruned_after_thirty_days_unfinished_ones_never(open_ledger: OpenLedger) -> None:
    clock = Clock()
    ledger = open_ledger("l.db", clock=clock)
    done = (await claim(ledger, args={"n": "done"})).row
    await ledger.record_start(done.id, workflow_id="wf-done", status="pending", pending_reason=None, message=None)
    await ledger.record_completed(done.id, {})
    running = (await claim(ledger, args={"n": "running"})).row
    await ledger.record_start(running.id, workflow_id="wf-run", status="running", pending_reason=None, message=None)
    ledger.close()
    clock.now += 31 * 24 * 3600
    reopened = open_ledger("l.db", clock=clock)
    assert await reopened.find("wf-done") == []
    assert len(await reopened.find("wf-run")) == 1


# -- dead claimers (issue 12, point 6): a claim names its holder ------------------------------------


def _send_call(account: str = "acct") -> Call:
    return Call.of(
        account=account,
        operation="sendMessage",
        arguments={"personUrl": "https://www.linkedin.com/in/jane", "text": "Hello"},
        effect="write",
        reuse_finished_within=600,
    )


async def _claimed_elsewhere(ledger: Ledger, holder: str, *, lease: float) -> int:
    call = _send_call()

    def insert(tx: ClaimTx) -> int:
        row = tx.insert_claim(
            call.operation, call.args_hash, call.args_json, call.effect, holder=holder, lease_until=tx.now + lease
        )
        return int(row.id)

    return await ledger.atomically(call.account, insert)


async def test_a_claim_held_on_another_machine_stands_while_its_lease_runs_and_is_lost_once_it_ran_out(
    open_ledger: OpenLedger,
) -> None:
    clock = Clock()
    ledger = open_ledger("l.db", clock=clock)
    elsewhere = "other-host|another-boot|pid:[1]|4242|777"
    row_id = await _claimed_elsewhere(ledger, elsewhere, lease=10)
    clock.now += 9  # renewed lease still running: the other machine is starting it
    during = await pipeline.claim(ledger, _send_call())
    assert isinstance(during, Claim)
    assert (during.existing, during.row.id, during.row.state) == (True, row_id, "claimed")
    assert pipeline.holder_text(during.row) == "another server process (process 4242 on other-host)"
    clock.now += 2  # its lease ran out: that process stopped renewing it
    after = await pipeline.claim(ledger, _send_call())
    assert isinstance(after, Claim)
    assert (after.existing, after.row.id, after.row.state) == (True, row_id, "outcome_unknown")
    assert after.row.message is not None
    assert "process 4242 on other-host stopped renewing its claim at 1970-01-12T13:46:50Z" in after.row.message


async def test_a_claim_of_a_dead_process_on_this_machine_is_lost_before_its_lease_runs_out(
    open_ledger: OpenLedger,
) -> None:
    ledger = open_ledger("l.db")
    me = holders.me()
    if not me.boot:
        pytest.skip("this machine's processes cannot be inspected (no /proc): only leases decide")
    # This machine, a pid that runs nothing (pid_max is at most 2**22 on Linux).
    dead = f"{me.host}|{me.boot}|{me.pidns}|{2**22 + 1}|12345"
    row_id = await _claimed_elsewhere(ledger, dead, lease=3600)
    again = await pipeline.claim(ledger, _send_call())
    assert isinstance(again, Claim)
    assert (again.existing, again.row.id, again.row.state) == (True, row_id, "outcome_unknown")
    assert again.row.message is not None
    assert f"process {2**22 + 1} on {me.host} is no longer running" in again.row.message
    # A pid that runs another process than the one that claimed: the claimer is gone too.
    reused = f"{me.host}|{me.boot}|{me.pidns}|{os.getpid()}|not-{me.started}"
    other = Call.of(
        account="acct",
        operation="sendMessage",
        arguments={"personUrl": "https://www.linkedin.com/in/john", "text": "Hi"},
        effect="write",
        reuse_finished_within=600,
    )
    reused_id = await ledger.atomically(
        "acct",
        lambda tx: int(
            tx.insert_claim(
                other.operation, other.args_hash, other.args_json, other.effect, holder=reused, lease_until=tx.now + 60
            ).id
        ),
    )
    found = await pipeline.claim(ledger, other)
    assert isinstance(found, Claim)
    assert (found.row.id, found.row.state) == (reused_id, "outcome_unknown")
    assert "its pid now belongs to another process" in (found.row.message or "")


def test_a_holder_is_written_and_read_back_and_a_pollers_lease_name_is_no_holder() -> None:
    me = holders.me()
    assert holders.Holder.parse(str(me)) == me
    assert str(me).split("|")[3] == str(os.getpid())
    assert holders.Holder.parse("1a2b3c4d:5e6f7a8b9c0d") is None  # a waiting call's lease name
    assert holders.Holder.parse("host|boot|ns|not-a-pid|1") is None
    assert holders.Holder.parse(None) is None


def test_a_claim_from_before_this_machine_restarted_is_lost_and_one_elsewhere_is_left_to_its_lease() -> None:
    me = holders.me()
    if not me.boot:
        pytest.skip("this machine's processes cannot be inspected (no /proc): only leases decide")
    earlier_boot = holders.Holder(me.host, "an-earlier-boot", me.pidns, me.pid, me.started)
    alive, why = holders.status(earlier_boot)
    assert alive is False
    assert why == (
        f"process {me.pid} on {me.host} belonged to an earlier boot of that machine, which has restarted since"
    )
    # Another machine, another container on this kernel, or a holder that could not read its boot
    # id: nothing here can tell, so the lease decides (even with this very pid).
    for holder in (
        holders.Holder("another-host", me.boot, me.pidns, me.pid, me.started),
        holders.Holder(me.host, me.boot, "pid:[1]", 2**22 + 1, "1"),
        holders.Holder(me.host, "", me.pidns, 2**22 + 1, "1"),
    ):
        assert holders.status(holder) == (None, "")
    assert holders.status(me) == (True, "")


def test_a_claimer_that_exited_is_gone_even_before_its_parent_reaped_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    import psutil

    me = holders.me()
    if not me.boot:
        pytest.skip("this machine's processes cannot be inspected (no /proc): only leases decide")
    # A command name with a space and a parenthesis: fields are read after its last ")".
    odd = tmp_path / "claim (x) y"
    odd.symlink_to(sys.executable)
    child = subprocess.Popen([str(odd), "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        started = holders._identity(child.pid).started  # what a claim by the child would record
        # The start time read matches the kernel's, as psutil reports it independently.
        ticks = os.sysconf("SC_CLK_TCK")
        assert abs(int(started) / ticks + psutil.boot_time() - psutil.Process(child.pid).create_time()) < 0.05
        running = holders.Holder(me.host, me.boot, me.pidns, child.pid, started)
        assert holders.status(running) == (True, "")
        assert child.stdin is not None
        child.stdin.close()
        # Ordered by the kernel: the child has exited and is a zombie until it is reaped.
        deadline = time.monotonic() + 30
        while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert holders.status(running) == (False, f"process {child.pid} on {me.host} has exited")
    finally:
        child.wait(timeout=30)
    assert holders.status(running) == (False, f"process {child.pid} on {me.host} is no longer running")


async def test_a_new_claim_names_this_process_and_a_ten_second_lease_and_a_second_look_sees_its_holder_alive(
    open_ledger: OpenLedger,
) -> None:
    clock = Clock()
    ledger = open_ledger("l.db", clock=clock)
    first = await pipeline.claim(ledger, _send_call())
    assert isinstance(first, Claim)
    assert first.row.poller == str(holders.me())
    assert first.row.lease_until == clock.now + pipeline.CLAIM_LEASE_SECONDS
    assert await ledger.renew_claim(first.row.id, str(holders.me()), lease=10)
    clock.now += 60  # its lease ran out, but this process runs and the start is just a minute old
    assert (await pipeline.look_again(ledger, first.row)).state == "claimed"
    clock.now += 1
    lost = await pipeline.look_again(ledger, first.row)
    assert lost.state == "outcome_unknown"
    assert lost.message is not None
    assert f"process {os.getpid()} on " in lost.message
    assert "is running but stopped renewing its claim at 1970-01-12T13:46:50Z" in lost.message
    assert not await ledger.renew_claim(first.row.id, str(holders.me()), lease=10)  # no longer a claim


async def test_look_again_turns_a_dead_holders_claim_outcome_unknown_and_leaves_a_live_one(
    open_ledger: OpenLedger,
) -> None:
    clock = Clock()
    ledger = open_ledger("l.db", clock=clock)
    row_id = await _claimed_elsewhere(ledger, "other-host|another-boot|pid:[1]|4242|777", lease=10)
    row = await ledger.get(row_id)
    assert row is not None
    clock.now += 10  # the last second of its lease
    assert (await pipeline.look_again(ledger, row)).state == "claimed"
    clock.now += 0.5
    gone = await pipeline.look_again(ledger, row)
    assert (gone.id, gone.state) == (row_id, "outcome_unknown")
    assert (await pipeline.look_again(ledger, gone)).state == "outcome_unknown"  # settled once, stays
    # A claim whose holder started it meanwhile is read back as it is now.
    live = await pipeline.claim(ledger, Call.of(**{**_call_kwargs(_send_call()), "arguments": {"text": "Live"}}))
    assert isinstance(live, Claim)
    await ledger.record_start(live.row.id, workflow_id="wf-live", status="pending", pending_reason=None, message=None)
    started = await pipeline.look_again(ledger, live.row)
    assert (started.state, started.workflow_id) == ("pending", "wf-live")
    # A claim released meanwhile (Linked API refused its start): read back as it was, nothing settled.
    refused = await pipeline.claim(ledger, Call.of(**{**_call_kwargs(_send_call()), "arguments": {"text": "No"}}))
    assert isinstance(refused, Claim)
    await ledger.release(refused.row.id)
    assert await pipeline.look_again(ledger, refused.row) == refused.row


async def test_a_claim_written_before_claims_named_their_holder_is_lost_only_after_a_minute(
    open_ledger: OpenLedger,
) -> None:
    clock = Clock()
    ledger = open_ledger("l.db", clock=clock)
    row_id = await _claimed_elsewhere(ledger, "", lease=0)  # an older version's claim: no holder
    clock.now += 60
    during = await pipeline.claim(ledger, _send_call())
    assert isinstance(during, Claim)
    assert (during.row.id, during.row.state) == (row_id, "claimed")
    assert pipeline.holder_text(during.row) == "another server process"
    clock.now += 1
    after = await pipeline.claim(ledger, _send_call())
    assert isinstance(after, Claim)
    assert (after.row.id, after.row.state) == (row_id, "outcome_unknown")
    assert after.row.message == (
        "The server process that was starting this workflow is gone (the server process that was starting it "
        "stopped), so whether Linked API accepted the start is unknown; it is not sent again automatically."
    )


async def test_a_refund_goes_back_into_the_window_its_units_were_spent_in(open_ledger: OpenLedger) -> None:
    from linkedapi_mcp.server.guards import Cap

    clock = Clock()
    clock.now = 1_036_800.0 - 60  # a minute before 00:00 UTC
    ledger = open_ledger("l.db", clock=clock)
    cap = Cap("stMessages", "day", 5)
    call = Call.of(
        account="acct",
        operation="sendMessage",
        arguments={"personUrl": "https://www.linkedin.com/in/jane", "text": "Late"},
        effect="write",
        reuse_finished_within=600,
        units={"stMessages": 1},
    )
    sent = await pipeline.claim(ledger, call, caps=(cap,))
    assert isinstance(sent, Claim)
    await ledger.record_start(sent.row.id, workflow_id="wf-1", status="pending", pending_reason=None, message=None)
    clock.now += 120  # the next day: Linked API says the account is signed out, nothing was sent
    failed = await ledger.record_failed(sent.row.id, error_type="linkedinAccountSignedOut", message="Signed out.")
    assert await pipeline.give_back(ledger, failed)
    assert not await pipeline.give_back(ledger, failed)  # once
    assert [used for _, used, _ in await pipeline.budget_usage(ledger, "acct", (cap,))] == [0]
    clock.now -= 120
    assert [used for _, used, _ in await pipeline.budget_usage(ledger, "acct", (cap,))] == [0]
    # A workflow that brought back data did its action (even with some errors beside it): its units stay.
    partial_call = Call.of(**{**_call_kwargs(call), "arguments": {"text": "Partial"}})
    partial = await pipeline.claim(ledger, partial_call, caps=(cap,))
    assert isinstance(partial, Claim)
    result = {"data": {"sent": True}, "errors": [{"type": "x", "message": ""}]}
    done = await ledger.record_completed(partial.row.id, result)
    assert not await pipeline.give_back(ledger, done)
    # A cancelled workflow may have acted: its units stay spent.
    other = Call.of(
        account="acct",
        operation="sendMessage",
        arguments={"personUrl": "https://www.linkedin.com/in/jane", "text": "Other"},
        effect="write",
        reuse_finished_within=600,
        units={"stMessages": 1},
    )
    again = await pipeline.claim(ledger, other, caps=(cap,))
    assert isinstance(again, Claim)
    cancelled = await ledger.record_cancelled(again.row.id)
    assert not await pipeline.give_back(ledger, cancelled)
    assert [used for _, used, _ in await pipeline.budget_usage(ledger, "acct", (cap,))] == [2]


def _call_kwargs(call: Call) -> dict[str, Any]:
    return {
        "account": call.account,
        "operation": call.operation,
        "effect": call.effect,
        "reuse_finished_within": call.reuse_finished_within,
        "units": dict(call.units),
    }
