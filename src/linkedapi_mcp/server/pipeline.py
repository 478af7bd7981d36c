"""One pipeline per workflow tool call: validate → confirm → budget → claim → start → wait.

Each step is a small policy function here; the store (server/ledger.py) only keeps rows and offers
the primitives of an atomic claim (:class:`~linkedapi_mcp.server.ledger.ClaimTx`). The runner
(server/runner.py) strings the steps together:

1. **validate** — the tool layer's pydantic model has checked the arguments; :meth:`Call.of` fixes
   what the call is: account, operation, canonical arguments and their hash (the dedupe key), and
   the actions it counts per limit category (guards.units_for).
2. **confirm** — guards.gate decides from the policy and the user's answer: go, declined, issue a
   preview (:func:`issue`) or redeem a confirmationId (:func:`redeem`, once).
3. **budget** — :func:`check_budget` against the local caps; :func:`give_back` returns the units of
   actions that did not happen once the workflow has ended.
4. **claim** — :func:`reusable` finds an identical earlier workflow to hand back instead (a claim
   whose holder is provably gone becomes ``outcome_unknown`` first), else :func:`claim_row`.
5. **start** and 6. **wait** — the runner: the POST with the claim's heartbeat, then polling.

Steps 2-4 run as ONE store transaction (:func:`admit` inside ``Ledger.atomically``, under the
account's lock), in the order reuse → confirm → budget → claim: a reused workflow needs neither a
confirmation nor budget, a budget refusal rolls back a redeemed confirmation, and of two identical
calls on two replicas exactly one inserts the claim.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from linkedapi_mcp.server import holders
from linkedapi_mcp.server.db import StorageFault
from linkedapi_mcp.server.guards import Cap
from linkedapi_mcp.server.ledger import ClaimTx, Ledger, Row, canonical_args

if TYPE_CHECKING:
    from linkedapi_mcp.server.guards import Gate

logger = logging.getLogger("linkedapi_mcp.server")

# A claim whose holder cannot be inspected and whose lease is out, or one older than this whose
# live holder stopped renewing it, belongs to a start that is over (the client's POST time-out is
# 30 s); also the rule for claims written before claims named their holder.
STALE_CLAIM_SECONDS = 60.0
# [INFERRED] A claim's lease: renewed every CLAIM_RENEW_SECONDS while its start is on the wire, so
# a claimer on another machine that died is recognised at most this long after its last renewal.
CLAIM_LEASE_SECONDS = 10.0
CLAIM_RENEW_SECONDS = 3.0


class BudgetExceededError(Exception):
    def __init__(self, cap: Cap, used: int, resets_at: float, requested: int = 1) -> None:
        super().__init__(f"budget {cap.category} {cap.limit}/{cap.period} reached")
        self.cap, self.used, self.resets_at, self.requested = cap, used, resets_at, requested


class ConfirmationError(Exception):
    """A confirmationId that cannot be redeemed (unknown, used, expired, or for another call)."""


@dataclass(frozen=True)
class Claim:
    row: Row
    existing: bool  # True: an earlier identical call's row, no new POST may be sent


@dataclass(frozen=True)
class Issued:
    """A call that stopped at the preview: nothing claimed but a confirmation id."""

    confirmation_id: str
    expires_at: float


# -- 1. validate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One validated workflow call, as the later steps see it."""

    account: str
    operation: str
    effect: str
    args_json: str
    args_hash: str
    units: Mapping[str, int]  # actions per limit category (only those > 0)
    reuse_finished_within: float | None  # account-changing: the dedupe window; reads: None

    @classmethod
    def of(
        cls,
        *,
        account: str,
        operation: str,
        arguments: dict[str, Any],
        effect: str,
        reuse_finished_within: float | None,
        units: Mapping[str, int] | None = None,
    ) -> Call:
        args_json, args_hash = canonical_args(arguments)
        spend = {c: n for c, n in (units or {}).items() if n > 0}
        return cls(account, operation, effect, args_json, args_hash, spend, reuse_finished_within)


# -- 2. confirm -----------------------------------------------------------------------------------


def redeem(tx: ClaimTx, call: Call, confirmation_id: str) -> None:
    """Spend the user's approval of exactly this call, once (else :class:`ConfirmationError`)."""
    found = tx.confirmation(confirmation_id)
    # The same answer for an unknown id and another account's: an id proves nothing about others.
    if found is None or found.account != call.account:
        raise ConfirmationError("This confirmationId is unknown.")
    if found.operation != call.operation:
        raise ConfirmationError("This confirmationId was issued for a different tool.")
    if found.args_hash != call.args_hash:
        raise ConfirmationError("The arguments differ from the ones the user confirmed.")
    # Marked used here, once (atomically, even without the account lock); a refusal below or by
    # the local budget rolls the mark back with the transaction.
    if not tx.use_confirmation(confirmation_id):
        raise ConfirmationError("This confirmationId was already used.")
    if found.expires_at < tx.now:
        raise ConfirmationError("This confirmationId has expired.")
    # [INFERRED] Spent even if the start is then refused by Linked API: a retry needs a fresh
    # approval, which is the safe direction.


def issue(tx: ClaimTx, call: Call, ttl: float) -> Issued:
    issued = Issued(secrets.token_urlsafe(12), tx.now + ttl)
    tx.add_confirmation(issued.confirmation_id, call.operation, call.args_hash, issued.expires_at)
    return issued


# -- 3. budget ------------------------------------------------------------------------------------


def check_budget(tx: ClaimTx, call: Call, caps: Sequence[Cap]) -> None:
    """Refuse a start that does not fit every cap of its categories (:class:`BudgetExceededError`)."""
    for cap in caps:
        n = call.units.get(cap.category, 0)
        if not n:
            continue
        start, end = cap.window(tx.now)
        used = tx.units_used(cap.category, start)
        if used + n > cap.limit:
            raise BudgetExceededError(cap, used, end, n)


def not_done(row: Row) -> bool:
    """Whether the actions a finished workflow counted did not happen, so their units go back.

    [INFERRED] A workflow that failed as a whole (not cancelled: a cancelled one may have acted)
    performed none of them; a completed one that brought back no data but action errors (e.g.
    Linked API's ``limitExceeded``, ``personNotFound``) did not do its action. A custom workflow
    whose result has data keeps its units, even when some of its actions failed.
    """
    if row.state == "failed":
        return True
    if row.state != "completed":
        return False
    result = row.result
    return isinstance(result, dict) and result.get("data") is None and bool(result.get("errors"))


def refund(tx: ClaimTx, row_id: int) -> bool:
    """Give back every unit recorded against a workflow row, once, in the windows they were spent."""
    entries = tx.row_units(row_id)
    if any(units < 0 for _, units, _ in entries):
        return False  # already given back (by another waiter, replica or webhook delivery)
    spent: dict[str, int] = {}
    at: dict[str, float] = {}
    for category, units, when in entries:
        spent[category] = spent.get(category, 0) + units
        at.setdefault(category, when)
    tx.record_units(row_id, {c: -n for c, n in spent.items() if n > 0}, at=at)
    return bool(spent)


async def give_back(ledger: Ledger, row: Row) -> bool:
    """The budget step after the wait: units of actions that did not happen return, once.

    Looked at first without writing (a finished row is read again and again); a store that cannot
    be written keeps the units spent — the cautious side — and the answer goes out regardless.
    """
    if not not_done(row):
        return False
    try:
        if not await ledger.peek(row.account, partial(_owed, row.id)):
            return False
        return await ledger.atomically(row.account, partial(_refund_row, row.id))
    except StorageFault as exc:
        logger.warning("the budget units of workflow row %s could not be given back: %s", row.id, exc)
        return False


def _owed(row_id: int, tx: ClaimTx) -> bool:
    entries = tx.row_units(row_id)
    return any(units > 0 for _, units, _ in entries) and not any(units < 0 for _, units, _ in entries)


def _refund_row(row_id: int, tx: ClaimTx) -> bool:
    return refund(tx, row_id)


async def budget_usage(ledger: Ledger, account: str, caps: Sequence[Cap]) -> list[tuple[Cap, int, float]]:
    """``(cap, used, resets_at)`` for each cap, in the current window."""

    def work(tx: ClaimTx) -> list[tuple[Cap, int, float]]:
        out = []
        for cap in caps:
            start, end = cap.window(tx.now)
            out.append((cap, tx.units_used(cap.category, start), end))
        return out

    return await ledger.peek(account, work)


# -- 4. claim -------------------------------------------------------------------------------------


def _iso(ts: float | None) -> str:
    return "?" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def holder_gone(row: Row, now: float) -> str | None:
    """Why the process holding a claimed row is provably gone (issue 12, point 6), or None."""
    holder = holders.Holder.parse(row.poller)
    if holder is None:  # a claim written before claims named their holder: only its age tells
        return "the server process that was starting it stopped" if row.created_at < now - STALE_CLAIM_SECONDS else None
    alive, why = holders.status(holder)
    if alive is False:
        return why
    lease = row.lease_until or 0.0
    if lease >= now:
        return None
    if alive is None:  # on another machine: the lease it stopped renewing is all there is to know
        return f"{holder.describe()} stopped renewing its claim at {_iso(lease)}"
    if row.created_at < now - STALE_CLAIM_SECONDS:  # running, but this start of it is long over
        return f"{holder.describe()} is running but stopped renewing its claim at {_iso(lease)}"
    return None


def lost_message(why: str) -> str:
    return (
        f"The server process that was starting this workflow is gone ({why}), so whether Linked API "
        "accepted the start is unknown; it is not sent again automatically."
    )


def settle_claim(tx: ClaimTx, row: Row) -> Row:
    """A claimed row as it stands: turned ``outcome_unknown`` when its holder is provably gone."""
    if row.state == "claimed":
        why = holder_gone(row, tx.now)
        if why is not None and tx.abandon_claim(row.id, lost_message(why)):
            return tx.get(row.id) or row
    return row


def reusable(tx: ClaimTx, call: Call) -> Row | None:
    """An identical earlier workflow this call gets instead of a new start: any in flight (a claim
    whose holder is gone first becomes outcome-unknown) and, for account-changing calls, one that
    completed, or whose outcome is unknown, within the dedupe window."""
    since = None if call.reuse_finished_within is None else tx.now - call.reuse_finished_within
    while True:
        row = tx.live_row(call.operation, call.args_hash, finished_since=since)
        if row is None or row.state != "claimed":
            return row
        settled = settle_claim(tx, row)
        if settled.state == "claimed":
            return settled


def claim_row(tx: ClaimTx, call: Call) -> Row:
    """The new claim, held by this process (and its budget units)."""
    row = tx.insert_claim(
        call.operation,
        call.args_hash,
        call.args_json,
        call.effect,
        holder=str(holders.me()),
        lease_until=tx.now + CLAIM_LEASE_SECONDS,
    )
    tx.record_units(row.id, call.units)
    return row


# -- steps 2-4 in one transaction ----------------------------------------------------------------


def admit(
    tx: ClaimTx, call: Call, *, decision: Gate, confirmation_id: str | None, caps: Sequence[Cap], ttl: float
) -> Claim | Issued:
    found = reusable(tx, call)
    if found is not None:
        return Claim(found, existing=True)
    if decision == "consume":
        redeem(tx, call, confirmation_id or "")
    check_budget(tx, call, caps)
    if decision == "issue":
        return issue(tx, call, ttl)
    return Claim(claim_row(tx, call), existing=False)


async def claim(
    ledger: Ledger,
    call: Call,
    *,
    decision: Gate = "go",
    confirmation_id: str | None = None,
    caps: Sequence[Cap] = (),
    ttl: float = 600.0,
) -> Claim | Issued:
    """Confirm → budget → claim for ``call`` atomically: the earlier identical workflow, a preview's
    confirmation id, or a new claim; or :class:`ConfirmationError` / :class:`BudgetExceededError`
    with nothing written. ``decision="declined"`` never gets here (the runner answers it)."""
    return await ledger.atomically(
        call.account, partial(_admit, call, decision, confirmation_id, tuple(caps), ttl)
    )


def _admit(
    call: Call, decision: Gate, confirmation_id: str | None, caps: tuple[Cap, ...], ttl: float, tx: ClaimTx
) -> Claim | Issued:
    return admit(tx, call, decision=decision, confirmation_id=confirmation_id, caps=caps, ttl=ttl)


async def preflight(ledger: Ledger, call: Call, caps: Sequence[Cap]) -> Literal["deduplicated", "over-budget"] | None:
    """What :func:`claim` would do now, without writing: reuse, refuse for budget, or neither
    (the user is asked only about calls that would really start something)."""

    def work(tx: ClaimTx) -> Literal["deduplicated", "over-budget"] | None:
        since = None if call.reuse_finished_within is None else tx.now - call.reuse_finished_within
        if tx.live_row(call.operation, call.args_hash, finished_since=since) is not None:
            return "deduplicated"
        try:
            check_budget(tx, call, caps)
        except BudgetExceededError:
            return "over-budget"
        return None

    return await ledger.peek(call.account, work)


async def look_again(ledger: Ledger, row: Row) -> Row:
    """A claim another process holds, read again; outcome-unknown at once if its holder is gone."""
    fresh, gone = await ledger.peek(row.account, partial(_read_claim, row.id))
    if fresh is None or not gone:
        return fresh or row
    return await ledger.atomically(row.account, partial(_settle_claim, fresh.id))


def _read_claim(row_id: int, tx: ClaimTx) -> tuple[Row | None, bool]:
    fresh = tx.get(row_id)
    return fresh, fresh is not None and fresh.state == "claimed" and holder_gone(fresh, tx.now) is not None


def _settle_claim(row_id: int, tx: ClaimTx) -> Row:
    row = tx.get(row_id)
    assert row is not None
    return settle_claim(tx, row)


def holder_text(row: Row) -> str:
    """Who holds a claim, for a message ("another server process" when it does not say)."""
    holder = holders.Holder.parse(row.poller)
    return "another server process" if holder is None else f"another server process ({holder.describe()})"


__all__ = [
    "BudgetExceededError",
    "Call",
    "Claim",
    "ConfirmationError",
    "Issued",
    "admit",
    "budget_usage",
    "check_budget",
    "claim",
    "give_back",
    "preflight",
    "redeem",
    "reusable",
]
