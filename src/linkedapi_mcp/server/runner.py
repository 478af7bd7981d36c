"""Run catalog operations for tool calls: start once, wait within a budget, hand back a handle.

The flow of a workflow tool call (issue 4, point 2):

1. **Claim** the call in the ledger (same account + operation + canonical arguments). An
   identical in-flight workflow — or, for account-changing operations, a recent finished or
   outcome-unknown one — is returned instead of a new ``POST /workflows``.
2. **Start** it and record the handle, both inside a shielded scope: once the POST is on the
   wire, neither a cancelled tool call nor a dropped connection may lose the workflow id.
3. **Wait** by polling on the schedule of :func:`timing.next_look` until it finishes or the
   budget ends, sending progress notifications on every status change and every 10 s.

Everything here returns plain JSON-able dicts in the :class:`~linkedapi_mcp.server.envelope.Outcome`
shape; the tool layer validates them into the tool's typed envelope.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import anyio
import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from linkedapi_mcp.catalog.spec import ActionError, Mapped, Operation, ResultShapeError
from linkedapi_mcp.client.errors import (
    LinkedApiError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    UpstreamUnavailableError,
    WorkflowFailedError,
)
from linkedapi_mcp.client.models import WorkflowState
from linkedapi_mcp.facade import snapshot
from linkedapi_mcp.server import holders, pipeline, previews
from linkedapi_mcp.server.durations import Prediction, predict_row
from linkedapi_mcp.server.envelope import BackendKind, OutcomeStatus, Status, WorkflowSummary
from linkedapi_mcp.server.errors import action_errors_text, describe, tool_error
from linkedapi_mcp.server.guards import (
    DECLINED_TEXT,
    GuardConfig,
    GuardInput,
    budget_text,
    gate,
    preview_text,
    rejected_text,
    units_for,
)
from linkedapi_mcp.server.ledger import RESULT_KEEP_SECONDS, Ledger, Row
from linkedapi_mcp.server.pipeline import (
    CLAIM_LEASE_SECONDS,
    CLAIM_RENEW_SECONDS,
    BudgetExceededError,
    Call,
    ConfirmationError,
    Issued,
    give_back,
    holder_text,
    look_again,
)
from linkedapi_mcp.server.timing import PollPolicy, next_look, poll_after_seconds

if TYPE_CHECKING:  # the facade is only needed for typing here
    from linkedapi_mcp.facade import LinkedApi

logger = logging.getLogger("linkedapi_mcp.server")

HEARTBEAT_SECONDS = 10.0  # progress at least this often while waiting (issue 4)
# A poller's lease lasts until its next planned look plus this: a replica that died mid-wait is
# replaced by another waiter at most this long after it should have looked.
LEASE_GRACE_SECONDS = 3.0
# With webhooks on and deliveries arriving, polling is only the safety net for a lost delivery:
# a poller looks at most this often while it trusts the push (a completion found by a GET instead
# ends the trust until the next delivery, and the normal schedule resumes).
PUSH_FALLBACK_SECONDS = 60.0
# A delivery older than this no longer vouches for the webhook (deliveries may have stopped).
PUSH_TRUST_SECONDS = 15 * 60.0
# How long a call waits for another *process* that is starting the identical workflow (a holder
# that is provably gone ends the wait at once: server/pipeline.py, holder_gone).
FOREIGN_CLAIM_WAIT_SECONDS = 10.0
# [INFERRED] The least time a call gives the one GET that fetches a result no longer kept in the
# ledger (a call with waitSeconds 0 still gets its result).
FETCH_AGAIN_SECONDS = 10.0
# A queued workflow is not polled while an earlier workflow of its account is unfinished and
# polled by a waiting call: Linked API runs an account's work one at a time (contract §3,
# "queued"), so its state can only change once that one ends. Its call waits for that row to
# change in the store instead (no GET) and looks as soon as it has ended — at most this long
# between looks, in case Linked API's order is not the order of the starts. [INFERRED] 60 s: a
# queued workflow "starts within minutes" (§3), so a start out of order is seen within a minute.
QUEUE_DEFER_SECONDS = 60.0

# [INFERRED] Linked API reports a cancelled workflow as failed; these reasons mean "cancelled"
# (the sandbox uses workflowCancelled), which is an outcome, not an error.
CANCELLED_REASONS = frozenset({"workflowCancelled", "cancelled", "workflowCanceled"})


class Report(Protocol):
    """Sends one progress notification: (progress, human message, total when it is known)."""

    def __call__(self, progress: float, message: str, /, *, total: float | None = None) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Backend:
    """Where a call goes: one Linked API account (or the sandbox) and how to poll it."""

    kind: BackendKind
    account: str  # ledger account key (a hash, never a token)
    api: LinkedApi
    policy: PollPolicy


class Progress:
    """Progress notifications with a strictly increasing value (the protocol requires it): a
    counter, or — once the run time is predicted (:meth:`expect`) — the seconds the workflow has
    run, with the predicted duration as ``total`` (issue 15) while the run is within it."""

    def __init__(self, send: Report | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._send = send
        self._count = 0
        self._clock = clock  # the runner's monotonic clock: heartbeats are measured on it
        self.last_sent = clock()
        self._value = 0.0
        self._total: float | None = None
        self._since = 0.0
        self._wall: Callable[[], float] = time.time

    def expect(self, total: float | None, *, since: float, wall: Callable[[], float]) -> None:
        """The predicted run time (seconds of wall time from ``since``), or None (counter only)."""
        self._total, self._since, self._wall = total, since, wall

    async def __call__(self, message: str) -> None:
        self.last_sent = self._clock()
        if self._send is None:
            return
        self._count += 1
        total: float | None = None
        if self._total is None:
            value = max(float(self._count), self._value + 1.0)
        else:
            value = max(round(self._wall() - self._since, 1), self._value + 0.1)
            # Past the prediction the end is unknown again: no total rather than a wrong one.
            total = round(self._total, 1) if value < self._total else None
        self._value = value
        try:
            await self._send(value, message, total=total)
        except Exception:  # a client that went away must not break the workflow bookkeeping
            logger.debug("progress notification could not be sent", exc_info=True)


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unreadable(op: Operation, row: Row) -> ToolError:
    """A finished workflow whose result this server cannot read (logged with the cause)."""
    logger.warning("result of %s %s could not be read", op.name, row.workflow_id, exc_info=True)
    return ToolError(
        f"[unknownError] Workflow {row.workflow_id} finished, but its result has a shape this server "
        "cannot read (the API may have changed). Try execute_custom_workflow for the raw data."
    )


def _status(row: Row) -> Status:
    return "pending" if row.state == "claimed" else row.state


def _waiting_text(op: Operation, row: Row, elapsed: float, ahead: list[Row] | None = None) -> str:
    """A progress line. Issue 11: the status words are the envelope's (pending / running), and
    "queued behind" is said only when this server knows of earlier unfinished workflows of the
    same account, naming them; Linked API's own "queued" alone means "waiting to start"."""
    if row.pending_reason == "outsideWorkingHours":
        return row.message or "Waiting for the account's working hours to open."
    if row.state in ("pending", "claimed"):
        if ahead:
            named = ", ".join(f"{r.operation} ({r.workflow_id or 'starting'})" for r in ahead[:3])
            more = f" and {len(ahead) - 3} more" if len(ahead) > 3 else ""
            what = f"pending, queued behind {named}{more} on this account"
        else:
            what = "pending (queued: waiting to start)" if row.pending_reason == "queued" else "pending"
    else:
        what = "running on LinkedIn"
    return f"{op.title}: {what} ({elapsed:.0f} s so far)."


class Runner:
    """Runs operations against a backend, with the ledger as memory between calls and processes."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        dedupe_window: float,
        guards: GuardConfig | None = None,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        # wall / monotonic / sleep are injectable so a simulation (tools/bench/lag.py) can run the
        # schedule on the sandbox's virtual clock: exact timings at any speed, no real sleeping.
        self.ledger = ledger
        self.dedupe_window = dedupe_window
        self.guards = guards or GuardConfig()
        self.heartbeat = HEARTBEAT_SECONDS
        # Wall seconds, not scaled by a sandbox's speed: the bound on a queued call's silence.
        self.queue_defer = QUEUE_DEFER_SECONDS
        self._wall = wall
        self._monotonic = monotonic
        self._sleep_for = sleep
        self._locks: dict[tuple[str, str, str], anyio.Lock] = {}
        self.replica = secrets.token_hex(4)  # names this process's pollers in the store
        # Webhook deliveries arrive (server/webhooks.py): pollers also wake when a push changes
        # their row. Off, a poller just sleeps (and a simulation's virtual clock stays exact).
        self.push = False
        # When a GET of this process last found a workflow ended that no delivery had reported:
        # only a delivery received after it restores the trust in the push.
        self._distrusted_at = 0.0
        # Hosted HTTP (many principals): a handle is only ever one this server started for the
        # caller's account. Another principal's id, and an id that never existed, get the same
        # answer, and neither is looked up (or cancelled) upstream.
        self.ledger_only = False

    # -- direct reads -------------------------------------------------------------------------

    async def call_direct(
        self,
        backend: Backend,
        op: Operation,
        params: BaseModel,
        *,
        budget: float,
        sync_first: Operation | None = None,
        report: Report | None = None,
    ) -> dict[str, Any]:
        """A direct read. With ``sync_first``: a conversation not synced yet is synced, then read."""
        deadline = self._monotonic() + budget
        mapped = await self._direct(backend, op, params, deadline)
        if sync_first is None or not _not_synced(mapped):
            return self._completed(backend, op, None, _dump_mapped(mapped), deduplicated=False)
        sync_params = sync_first.params.model_validate({"personUrl": getattr(params, "personUrl", None)})
        outcome = await self.run_workflow(
            backend,
            sync_first,
            sync_params,
            budget=max(deadline - self._monotonic(), 0.0),
            report=report or _no_report,
        )
        # Said in every case: the read turned on monitoring of this conversation (Linked API state).
        started = (
            f"This conversation was not synced yet, so {sync_first.tool} was started for it: Linked API copies "
            "it from now on for 30 days"
        )
        if outcome["status"] != "completed":
            outcome["message"] = (
                f"{started} ({outcome['status']}). Call get_workflow_result with this workflowId until it "
                f"completes, then call {op.tool} again."
            )
            return outcome
        mapped = await self._direct(backend, op, params, deadline)
        return self._completed(
            backend,
            op,
            None,
            _dump_mapped(mapped),
            deduplicated=False,
            message=f"{started} (result.syncUntil says until when).",
        )

    async def _direct(self, backend: Backend, op: Operation, params: BaseModel, deadline: float) -> Mapped[Any]:
        try:
            return await backend.api.call(op, params, deadline=max(deadline, self._monotonic() + 1.0))
        except LinkedApiError as exc:
            raise tool_error(exc) from None

    # -- workflow tools -----------------------------------------------------------------------

    async def preflight(
        self, backend: Backend, op: Operation, params: BaseModel
    ) -> Literal["deduplicated", "over-budget"] | None:
        """Whether a start now would reuse an earlier workflow or be refused for budget (no writes)."""
        call = self._call(backend, op, params)
        return await pipeline.preflight(self.ledger, call, self.guards.caps_for(call.units))

    def _call(self, backend: Backend, op: Operation, params: BaseModel) -> Call:
        """Step 1 of the pipeline (validate): the call as the later steps see it."""
        return Call.of(
            account=backend.account,
            operation=op.name,
            arguments=_wire(params),
            effect=op.effect,
            reuse_finished_within=self.dedupe_window if op.effect == "write" else None,
            units=units_for(op, params),
        )

    async def run_workflow(
        self,
        backend: Backend,
        op: Operation,
        params: BaseModel,
        *,
        budget: float,
        report: Report,
        guard: GuardInput | None = None,
    ) -> dict[str, Any]:
        """The pipeline of server/pipeline.py: validate → confirm → budget → claim → start → wait."""
        call = self._call(backend, op, params)  # validate
        key = (backend.account, op.name, call.args_hash)
        decision = gate(self.guards, op, guard)  # confirm: the user's answer or the policy
        if decision == "declined":  # asked before anything was claimed: nothing to release
            return self._envelope(backend, op, None, status="declined", message=DECLINED_TEXT)
        lock = self._locks.setdefault(key, anyio.Lock())
        # The lock makes two identical calls in this process take turns; the ledger's claim row
        # does the same across processes. Held only while claiming and starting, never while waiting.
        try:
            async with lock:
                try:  # confirm → budget → claim, one store transaction
                    claim = await pipeline.claim(
                        self.ledger,
                        call,
                        decision=decision,
                        confirmation_id=guard.confirmation_id if guard is not None else None,
                        caps=self.guards.caps_for(call.units),
                        ttl=self.guards.confirm_ttl,
                    )
                except BudgetExceededError as exc:
                    logger.info("budget %s/%s reached for %s", exc.cap.category, exc.cap.period, op.name)
                    raise ToolError(budget_text(exc.cap, exc.used, _iso(exc.resets_at) or "", exc.requested)) from None
                except ConfirmationError as exc:
                    raise ToolError(rejected_text(str(exc), op)) from None
                if isinstance(claim, Issued):
                    return await self._preview(backend, op, params, claim)
                row, held = claim.row, False
                if not claim.existing:  # start
                    deadline = self._monotonic() + max(budget, 1.0)
                    row, held = await self._start(backend, op, params, row, deadline=deadline)
        finally:
            if not lock.locked() and lock.statistics().tasks_waiting == 0:
                self._locks.pop(key, None)
        if claim.existing and row.state == "claimed":
            row = await self._await_foreign_claim(row)
        return await self._settle(  # wait
            backend,
            op,
            row,
            budget=budget,
            progress=Progress(report, self._monotonic),
            deduplicated=claim.existing,
            look_now=held,  # the start's answer held the result (Account API long): look at once
        )

    async def _start(
        self, backend: Backend, op: Operation, params: BaseModel, row: Row, *, deadline: float
    ) -> tuple[Row, bool]:
        """The recorded row, and whether the start's answer already held the final state."""
        # Shielded: a cancellation arriving mid-POST must neither leave the POST's outcome
        # unrecorded nor turn an accepted workflow into a lost one.
        with anyio.CancelScope(shield=True):
            try:
                start = await self._post(backend, op, params, row, deadline=deadline)
            except OutcomeUnknownError as exc:
                logger.warning("start of %s has an unknown outcome: %s", op.name, exc.detail)
                return await self.ledger.record_outcome_unknown(row.id, exc.message), False
            except LinkedApiError as exc:
                await self.ledger.release(row.id)  # refused outright: nothing was started
                raise tool_error(exc) from None
            except BaseException:
                await self.ledger.record_outcome_unknown(
                    row.id, "The start request failed unexpectedly; whether it reached Linked API is unknown."
                )
                raise
            logger.info("started %s as %s", op.name, start.workflowId)
            recorded = await self.ledger.record_start(
                row.id,
                workflow_id=start.workflowId,
                status=start.workflowStatus,
                pending_reason=start.pendingReason,
                message=start.message,
            )
            return recorded, start.resultHeld
        raise AssertionError("unreachable: a shielded scope never swallows an exception")

    async def _post(self, backend: Backend, op: Operation, params: BaseModel, row: Row, *, deadline: float) -> Any:
        """The POST, with the claim's heartbeat beside it: while the start is on the wire its claim
        stays live for other processes and replicas (server/pipeline.py, holder_gone)."""
        sent: list[Any] = []
        failed: list[BaseException] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._renew_claim, row.id, row.poller or str(holders.me()))
            try:
                sent.append(await backend.api.start(op, params, deadline=deadline))
            except BaseException as exc:  # re-raised as itself below, not as a task group's error
                failed.append(exc)
            finally:
                tg.cancel_scope.cancel()
        if failed:
            raise failed[0]
        return sent[0]

    async def _renew_claim(self, row_id: int, holder: str) -> None:
        while True:
            await anyio.sleep(CLAIM_RENEW_SECONDS)
            try:
                await self.ledger.renew_claim(row_id, holder, lease=CLAIM_LEASE_SECONDS)
            except Exception:  # a missed renewal only shortens the lease; the start goes on
                logger.debug("claim %s could not be renewed", row_id, exc_info=True)

    async def _await_foreign_claim(self, row: Row) -> Row:
        """Another process is posting this very workflow: wait briefly for its handle. A holder that
        is provably gone (killed, its machine restarted, its lease out) ends the wait at once: the
        row turns outcome-unknown (server/pipeline.py)."""
        with anyio.move_on_after(FOREIGN_CLAIM_WAIT_SECONDS):
            while True:
                row = await look_again(self.ledger, row)
                if row.state != "claimed":
                    break
                await anyio.sleep(0.1)
        return row

    # -- get_workflow_result ------------------------------------------------------------------

    async def workflow_result(
        self,
        backend: Backend,
        workflow_id: str,
        *,
        resolve: Callable[[str], Operation],
        operation_name: str | None,
        budget: float,
        report: Report,
    ) -> dict[str, Any]:
        row = await self._row_for(backend, workflow_id)
        if row is None:
            if self.ledger_only:
                raise ToolError(_not_yours(workflow_id))
            if operation_name is None:
                raise ToolError(
                    f"[workflowNotFound] Workflow {workflow_id} is not in this server's ledger. Pass "
                    "operationName (the operation that started it, e.g. fetchPerson) to look it up on Linked API."
                )
            op = resolve(operation_name)
            try:
                await backend.api.status(workflow_id, op, deadline=self._monotonic() + max(budget, 1.0))
            except LinkedApiError as exc:
                raise tool_error(exc) from None
            row = await self.ledger.adopt(
                account=backend.account, operation=op.name, workflow_id=workflow_id, effect=op.effect
            )
        else:
            op = resolve(row.operation)
        return await self._settle(
            backend,
            op,
            row,
            budget=budget,
            progress=Progress(report, self._monotonic),
            deduplicated=False,
            look_now=True,
        )

    async def _row_for(self, backend: Backend, workflow_id: str) -> Row | None:
        rows = await self.ledger.find(workflow_id)
        for row in rows:
            if row.account == backend.account:
                return row
        if rows and not self.ledger_only and backend.kind == "sandbox":
            # Issue 11: a sandbox has no tokens; another sandbox account's handle is one from an
            # earlier (in-memory) sandbox of this data directory, whose world ended with its server.
            raise ToolError(
                f"[workflowNotFound] Workflow {workflow_id} belongs to another sandbox account: the in-memory "
                "sandbox of another or an earlier server on this data directory, whose synthetic workflows this "
                "sandbox cannot read. Start the operation again here."
            )
        if rows and not self.ledger_only:
            raise ToolError(
                f"[workflowNotFound] Workflow {workflow_id} belongs to a different Linked API account than "
                "the one this call uses. Use the tokens of the account that started it."
            )
        return None

    # -- cancel_workflow ----------------------------------------------------------------------

    async def cancel(self, backend: Backend, workflow_id: str) -> tuple[bool, str]:
        row = await self._row_for(backend, workflow_id)
        if row is None and self.ledger_only:
            raise ToolError(_not_yours(workflow_id))
        if row is not None and not row.in_flight:
            return False, f"Workflow {workflow_id} already ended ({_status(row)}); nothing to cancel."
        try:
            cancelled = await backend.api.cancel(workflow_id)
        except LinkedApiError as exc:
            raise tool_error(exc) from None
        if not cancelled:
            return False, (
                f"Linked API could not cancel {workflow_id}: it has probably finished. "
                "Call get_workflow_result for its outcome."
            )
        if row is not None:
            await self.ledger.record_cancelled(row.id)
        return True, f"Workflow {workflow_id} was cancelled; no further actions will run."

    # -- list_workflows -----------------------------------------------------------------------

    async def _waiting_text(self, op: Operation, row: Row) -> str:
        """:func:`_waiting_text` with the account's earlier unfinished workflows, from the ledger."""
        ahead: list[Row] = []
        if row.state in ("pending", "claimed") and row.pending_reason == "queued":
            try:
                recent = await self.ledger.recent(row.account, limit=20)
            except Exception:  # a progress line never fails the call
                recent = []
            ahead = sorted(
                (r for r in recent if r.id != row.id and r.in_flight and r.created_at <= row.created_at),
                key=lambda r: r.created_at,
            )
        return _waiting_text(op, row, self._wall() - row.created_at, ahead)

    async def recent(
        self, backend: Backend, *, limit: int, operation: str | None, offset: int = 0
    ) -> list[WorkflowSummary]:
        rows = await self.ledger.recent(backend.account, limit=limit, operation=operation, offset=offset)
        return [
            WorkflowSummary(
                workflowId=row.workflow_id,
                operationName=row.operation,
                status=_status(row),
                # Issue 11: one status vocabulary; Linked API's last in-progress words ("queued",
                # "Workflow is running.") are not repeated beside a final status.
                pendingReason=row.pending_reason if _status(row) == "pending" else None,
                message=row.message if row.in_flight or row.state in ("failed", "outcome_unknown") else None,
                startedAt=_iso(row.created_at) or "",
                finishedAt=_iso(row.finished_at),
                arguments=row.arguments,
            )
            for row in rows
        ]

    # -- waiting ------------------------------------------------------------------------------

    async def _settle(
        self,
        backend: Backend,
        op: Operation,
        row: Row,
        *,
        budget: float,
        progress: Progress,
        deduplicated: bool,
        look_now: bool,
    ) -> dict[str, Any]:
        """Answer from the ledger when the row is final, otherwise poll within the budget."""
        await give_back(self.ledger, row)  # the budget step: units of actions that did not happen
        if row.state == "completed":
            message = None
            if deduplicated:
                message = (
                    f"An identical call already completed at {_iso(row.finished_at)}; this is its result "
                    "(nothing was sent again)."
                )
            result = row.result
            if row.result_dropped:  # kept here RESULT_KEEP_SECONDS: Linked API still has it
                result = await self._fetch_again(backend, op, row, budget=budget)
            return self._completed(backend, op, row, result, deduplicated=deduplicated, message=message)
        if row.state == "failed":
            error = row.error or {}
            raise tool_error(WorkflowFailedError(str(error.get("type", "unknownError")), str(error.get("message", ""))))
        if row.state == "cancelled":
            return self._envelope(backend, op, row, status="cancelled", message="This workflow was cancelled.")
        if row.state == "outcome_unknown":
            return self._outcome_unknown(backend, op, row, deduplicated=deduplicated)
        if row.workflow_id is None:  # still claimed by another process after our wait
            return self._envelope(
                backend,
                op,
                row,
                status="pending",
                deduplicated=True,
                poll_after=5,
                message=f"An identical call is being started by {holder_text(row)}, which is still running; "
                "call list_workflows in a few seconds for its workflowId. Do not start it again.",
            )
        return await self._wait(
            backend, op, row, budget=budget, progress=progress, deduplicated=deduplicated, look_now=look_now
        )

    async def _wait(
        self,
        backend: Backend,
        op: Operation,
        row: Row,
        *,
        budget: float,
        progress: Progress,
        deduplicated: bool,
        look_now: bool,
    ) -> dict[str, Any]:
        assert row.workflow_id is not None
        # One poller per workflow (issue 10): however many calls wait for this workflow, in this
        # process or on other replicas, the one holding the row's lease polls Linked API; the
        # others follow the row in the store and are woken when it changes.
        me = f"{self.replica}:{secrets.token_hex(6)}"
        try:
            return await self._wait_leased(
                backend, op, row, me, budget=budget, progress=progress, deduplicated=deduplicated, look_now=look_now
            )
        finally:
            with anyio.CancelScope(shield=True):
                await self.ledger.release_lease(row.id, me)

    async def _follow(self, row: Row, me: str, *, until: float, progress: Progress, op: Operation) -> Row | None:
        """While another call holds a live lease on the row: wait for the row to change (or the
        lease to lapse, or ``until``), sending heartbeats; the fresh row, or None if we may poll."""
        if row.poller in (None, me) or (row.lease_until or 0.0) < self._wall():
            return None
        lapse = (row.lease_until or 0.0) - self._wall() + 0.05
        beat = max(progress.last_sent + self.heartbeat - self._monotonic(), 0.0)
        fresh = await self.ledger.wait_change(row, within=max(min(until - self._monotonic(), lapse, beat), 0.0))
        if self._monotonic() >= progress.last_sent + self.heartbeat:
            await progress(await self._waiting_text(op, fresh))
        return fresh

    async def _wait_leased(
        self,
        backend: Backend,
        op: Operation,
        row: Row,
        me: str,
        *,
        budget: float,
        progress: Progress,
        deduplicated: bool,
        look_now: bool,
    ) -> dict[str, Any]:
        assert row.workflow_id is not None
        workflow_id = row.workflow_id
        opened = self._wall()  # this call's start: its GET credit counts from here (timing.next_look)
        deadline = self._monotonic() + budget
        prediction = await self._predict(backend, op, row)
        progress.expect(None if prediction is None else prediction.mean, since=row.created_at, wall=self._wall)
        # Where the run time counts from: its creation, or the last look that saw it not yet
        # running (queued behind other work: the predicted end moves with the queue).
        begin = row.created_at
        polls = 0
        # When this call last saw the workflow unfinished (wall time). A fresh start counts: the
        # start answer said pending. The end then lies between that look and the one that sees
        # it done; the midpoint is what the ledger learns durations from.
        last_unfinished: float | None = row.created_at if not (look_now or deduplicated) else None
        # Queued behind the account's earlier workflow: since when this call has not looked (the
        # bound of QUEUE_DEFER_SECONDS), and whether an event says to look as soon as the GET
        # credit allows (the workflow ahead has ended, or a thin delivery arrived).
        unlooked_since = self._monotonic()
        look_soon = False
        defer_bound = self._defer_bound(row)
        await progress(await self._waiting_text(op, row))
        while True:
            remaining = deadline - self._monotonic()
            ahead: Row | None = None
            if look_now and polls == 0:
                delay = 0.0  # get_workflow_result: always one fresh look, even with no budget
            elif row.pending_reason == "outsideWorkingHours":
                break  # parked until the account's hours open: polling now only burns the budget
            elif remaining <= 0:
                break
            elif (
                not look_soon
                and (ahead := await self._queued_behind(row, until=unlooked_since + defer_bound)) is not None
            ):
                delay = min(remaining, unlooked_since + defer_bound - self._monotonic())
            else:
                # Queued behind other work, when it starts is unknown: back off on the time
                # waited so far. Once it runs, aim at the prediction from the last queued look.
                queued = row.state == "pending" and row.pending_reason == "queued"
                now = self._wall()
                look = next_look(
                    backend.policy,
                    elapsed=now - (row.created_at if queued else begin),
                    prediction=None if queued else prediction,
                    remaining=remaining,
                    polls=polls,
                    since_call=now - opened,
                    # The credit book's key: this ledger row (account, id and creation), as ids
                    # alone repeat (a sandbox reset starts its ids over; tests run many sandboxes).
                    workflow=f"{row.account}/{row.workflow_id}/{row.created_at}",
                    since_created=now - row.created_at,
                    soon=look_soon,
                )
                if look is not None and await self._trusting_push():
                    # deliveries arrive: a GET now only guards against a lost one
                    look = max(look, PUSH_FALLBACK_SECONDS)
                    if look >= remaining:
                        look = None
                if look is None:  # no GET left in this call's credit (or push trusted): wait out the budget,
                    # still awake to what costs no GET: a webhook push, or another waiter's news
                    pushed = await self._sleep_watching(remaining, op, row, progress, always=True)
                    if pushed is None:
                        break
                    if not pushed.in_flight:
                        return await self._settle(
                            backend,
                            op,
                            pushed,
                            budget=0.0,
                            progress=progress,
                            deduplicated=deduplicated,
                            look_now=False,
                        )
                    # A thin delivery says it is done: that one look is worth its GET.
                    row, look = pushed, 0.0
                delay = look
            followed = await self._follow(row, me, until=deadline, progress=progress, op=op)
            if followed is not None:  # another call polls: take its news from the store
                row = followed
                if not row.in_flight:
                    return await self._settle(
                        backend, op, row, budget=0.0, progress=progress, deduplicated=deduplicated, look_now=False
                    )
                continue
            if not await self.ledger.take_lease(row.id, me, until=self._wall() + delay + LEASE_GRACE_SECONDS):
                row = await self.ledger.get(row.id) or row  # another call became the poller first
                if not row.in_flight:  # or a push finished it since our last read: no lease on a final row
                    return await self._settle(
                        backend, op, row, budget=0.0, progress=progress, deduplicated=deduplicated, look_now=False
                    )
                continue
            if ahead is not None:  # queued behind it: wait for it (or a push) instead of polling
                mine, theirs = await self._wait_behind(
                    delay, ahead, op, row, progress, recheck=3 * backend.policy.interval
                )
                if mine is not None:  # a webhook delivery changed this row
                    row = mine
                    if not row.in_flight:
                        return await self._settle(
                            backend, op, row, budget=0.0, progress=progress, deduplicated=deduplicated, look_now=False
                        )
                    look_soon = True  # a thin delivery: look
                elif theirs is not None and not theirs.in_flight:
                    # The workflow ahead has ended: this one is likely running from about then.
                    look_soon = True
                    begin = max(begin, min(theirs.finished_at or theirs.updated_at, self._wall()))
                    last_unfinished = max(last_unfinished or begin, begin)
                continue
            pushed = await self._sleep_watching(delay, op, row, progress)
            if pushed is not None:  # a webhook delivery changed the row while this call slept
                row = pushed
                if not row.in_flight:  # finished by the push: zero GETs
                    return await self._settle(
                        backend, op, row, budget=0.0, progress=progress, deduplicated=deduplicated, look_now=False
                    )
                # a thin delivery: look now
            try:
                snapshot = await backend.api.status(workflow_id, op, deadline=deadline)
            except (UpstreamUnavailableError, RateLimitedError) as exc:
                return self._pending(
                    backend,
                    op,
                    row,
                    prediction,
                    deduplicated=deduplicated,
                    message=f"Could not check the workflow just now ({describe(exc)}). It keeps running on "
                    "Linked API; call get_workflow_result later.",
                )
            except LinkedApiError as exc:
                raise tool_error(exc) from None
            except ResultShapeError:
                raise _unreadable(op, row) from None
            polls += 1
            unlooked_since, look_soon = self._monotonic(), False
            status = snapshot.workflowStatus
            if status in ("completed", "failed") and self.push:
                # a GET found the end before any delivery did: deliveries may have stopped
                logger.info("workflow %s ended without a webhook delivery: polling at its normal pace", workflow_id)
                self._distrusted_at = self._wall()
            if status == "completed":
                mapped = snapshot.result if snapshot.result is not None else Mapped[Any](data=None)
                data = _dump_mapped(mapped)
                duration = None
                if last_unfinished is not None:
                    duration = (last_unfinished + self._wall()) / 2 - begin
                row = await self.ledger.record_completed(
                    row.id, data, duration=duration, keep_with_row=_only_copy(row.workflow_id)
                )
                await give_back(self.ledger, row)
                await progress(f"{op.title}: completed.")
                return self._completed(backend, op, row, data, deduplicated=deduplicated)
            if status == "failed":
                failure = snapshot.failure or {}
                reason = str(failure.get("reason", "unknownError"))
                text = str(failure.get("message", ""))
                if reason in CANCELLED_REASONS:
                    row = await self.ledger.record_cancelled(row.id)
                    await progress(f"{op.title}: cancelled.")
                    return self._envelope(backend, op, row, status="cancelled", message=text or None)
                await give_back(self.ledger, await self.ledger.record_failed(row.id, error_type=reason, message=text))
                await progress(f"{op.title}: failed ({reason}).")
                raise tool_error(WorkflowFailedError(reason, text))
            last_unfinished = self._wall()
            if status == "pending":
                begin = last_unfinished
            if (status, snapshot.pendingReason) != (row.state, row.pending_reason):
                row = await self.ledger.record_status(
                    row.id, status=status, pending_reason=snapshot.pendingReason, message=snapshot.message
                )
                await progress(await self._waiting_text(op, row))
        return self._pending(backend, op, row, prediction, deduplicated=deduplicated)

    async def _queued_behind(self, row: Row, *, until: float) -> Row | None:
        """The account's earlier workflow that ``row`` waits behind (:data:`QUEUE_DEFER_SECONDS`),
        if ``row`` is queued (or pending for a reason Linked API did not give), this call may
        still stay silent (``until``, monotonic: its bound, :meth:`_defer_bound`), and that
        workflow is unfinished and polled by a call."""
        if row.state != "pending" or row.pending_reason not in (None, "queued"):
            return None
        if self._monotonic() >= until:
            return None
        return await self.ledger.polled_ahead(row)

    def _defer_bound(self, row: Row) -> float:
        """``queue_defer`` spread over ±25 % by the workflow id: calls that started together (a
        burst of hundreds) do not all look again in the same second."""
        spread = zlib.crc32(str(row.workflow_id).encode()) / 0xFFFFFFFF
        return self.queue_defer * (0.75 + 0.5 * spread)

    async def _wait_behind(
        self, delay: float, ahead: Row, op: Operation, row: Row, progress: Progress, *, recheck: float
    ) -> tuple[Row | None, Row | None]:
        """Sleep ``delay`` seconds (with heartbeats) while ``row`` is queued behind ``ahead``; cut
        short when ``ahead`` changes state or its poller stops (second of the pair), or when ``row``
        itself is written (a webhook delivery; first). No GET: both are read from the store, which
        every replica's poller writes. The store is re-read every ``recheck`` seconds in case a change
        came from a process that cannot notify (another server on the same SQLite file).

        Without webhooks only ``ahead`` is watched, in this task: a thousand queued calls then cost
        no task of their own (issue 14, 1000 waits per process, RSS)."""

        def moved(then: Row, now: Row) -> bool:
            return now.state != then.state or (now.lease_until or 0.0) < self._wall()

        if self.push:  # a delivery may write ``row`` (its own poller is not polling it): watch both
            mine: Row | None = None
            theirs: Row | None = None
            async with anyio.create_task_group() as tg:

                async def watch_ahead() -> None:
                    nonlocal theirs
                    fresh = await self.ledger.wait_change(ahead, within=delay + 60.0, differs=moved, recheck=recheck)
                    if moved(ahead, fresh):
                        theirs = fresh
                        tg.cancel_scope.cancel()

                tg.start_soon(watch_ahead)
                mine = await self._sleep_watching(delay, op, row, progress, recheck=delay + 60.0)
                tg.cancel_scope.cancel()
            return mine, theirs
        # The row ahead is read only when a write may have changed it, or every ``recheck``
        # seconds; heartbeats name it from memory. A thousand queued calls are then almost free.
        end = self._monotonic() + delay
        next_read = self._monotonic() + recheck
        with self.ledger.watching(ahead.id) as written:
            while (now := self._monotonic()) < end:
                beat = progress.last_sent + self.heartbeat
                if now >= beat:
                    await progress(_waiting_text(op, row, self._wall() - row.created_at, [ahead]))
                    continue
                if written.is_set() or now >= next_read:
                    written.clear()
                    fresh = await self.ledger.get(ahead.id)
                    if fresh is None or moved(ahead, fresh):
                        return None, fresh
                    next_read = now + recheck
                    continue
                with anyio.move_on_after(min(end, beat, next_read) - now):
                    await written.wait()
        return None, None

    async def _fetch_again(self, backend: Backend, op: Operation, row: Row, *, budget: float) -> Any:
        """The result of a workflow that completed longer ago than the ledger keeps results
        (ledger.RESULT_KEEP_SECONDS): one ``GET /workflows/{id}`` to Linked API, mapped as when it
        completed. Not stored again: its row still says when it finished."""
        finished = _iso(row.finished_at)
        days = round(RESULT_KEEP_SECONDS / 86400)
        try:
            snap = await backend.api.status(
                str(row.workflow_id), op, deadline=self._monotonic() + max(budget, FETCH_AGAIN_SECONDS)
            )
        except NotFoundError:
            raise ToolError(
                f"[workflowNotFound] Workflow {row.workflow_id} completed at {finished}; this server keeps a "
                f"result {days} days, and Linked API no longer returns this one. Start the operation again."
            ) from None
        except LinkedApiError as exc:
            raise ToolError(
                f"Workflow {row.workflow_id} completed at {finished}; its result is older than the {days} days "
                f"this server keeps one and must be fetched from Linked API again, which failed: {describe(exc)}"
            ) from None
        except ResultShapeError:
            raise _unreadable(op, row) from None
        if snap.workflowStatus != "completed":  # [INFERRED] should not happen: say what Linked API says
            raise ToolError(
                f"[unknownError] Workflow {row.workflow_id} completed at {finished}, but Linked API now reports "
                f"it {snap.workflowStatus}; its result is no longer kept here ({days} days)."
            )
        return _dump_mapped(snap.result if snap.result is not None else Mapped[Any](data=None))

    async def _predict(self, backend: Backend, op: Operation, row: Row) -> Prediction | None:
        """This workflow's run time predicted from its arguments and the account's timed history."""
        history = await self.ledger.completed_samples(backend.account)
        # A refit after each completion costs milliseconds of pure Python: off the event loop.
        prediction = await anyio.to_thread.run_sync(
            functools.partial(predict_row, op.name, row.args_json, history, clock_factor=backend.policy.clock_factor)
        )
        if prediction is not None:
            logger.debug(
                "%s %s: predicted %.1f s ± %.1f s from %d timed runs",
                op.name,
                row.workflow_id,
                prediction.mean,
                prediction.spread,
                prediction.samples,
            )
        return prediction

    async def _sleep_watching(
        self,
        delay: float,
        op: Operation,
        row: Row,
        progress: Progress,
        *,
        always: bool = False,
        recheck: float | None = None,
    ) -> Row | None:
        """The poller's sleep until its next look; with webhooks on (``push``, or ``always``), cut
        short when the row changes in the store (returned), so the result reaches the caller at once.
        ``recheck``: how often the row is re-read without a notification (Ledger.wait_change)."""
        if not (self.push or always):
            await self._sleep(delay, op, row, progress)
            return None
        changed: Row | None = None
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                nonlocal changed
                fresh = await self.ledger.wait_change(row, within=delay + 60.0, lease=False, recheck=recheck)
                if (fresh.updated_at, fresh.state) != (row.updated_at, row.state):
                    changed = fresh
                    tg.cancel_scope.cancel()

            tg.start_soon(watch)
            await self._sleep(delay, op, row, progress)
            tg.cancel_scope.cancel()
        return changed

    async def _trusting_push(self) -> bool:
        """Webhooks are on and a ``workflow.completed`` delivery reached the deployment (any replica:
        the store's record) recently, and none of this process's GETs has found an end since that no
        delivery had reported: polling can slow down to a safety net.

        [INFERRED] One webhook subscription serves the deployment's accounts (``webhooks setup``
        subscribes each), so a delivery for one account vouches for the others."""
        if not self.push:
            return False
        since = max(self._wall() - PUSH_TRUST_SECONDS, self._distrusted_at)
        return bool(await self.ledger.events(types=("workflow.completed",), since=since, limit=1))

    async def deliver(self, event: dict[str, Any], resolve: Callable[[str], Operation]) -> str:
        """A webhook event (already authenticated): record it once; a ``workflow.completed`` one
        finishes the workflow's rows (fat: with its result) or wakes their poller (thin)."""
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        assert isinstance(data, dict)
        account_id = data.get("accountId") if isinstance(data.get("accountId"), str) else None
        if not await self.ledger.record_event(str(event["id"]), str(event["type"]), account_id, data):
            return "duplicate"
        workflow_id = data.get("workflowId")
        if event["type"] != "workflow.completed" or not isinstance(workflow_id, str):
            return "new"
        for row in await self.ledger.find(workflow_id):
            if not row.in_flight:
                continue
            result = data.get("result")
            if not isinstance(result, dict):  # thin payload: the poller looks now
                await self.ledger.poke(row.id)
                continue
            # [INFERRED] a fat result is what GET /workflows/{id} returns (contract §2.10).
            state = WorkflowState.model_validate({"workflowStatus": data.get("status", "completed"), **result})
            try:
                snap = snapshot(workflow_id, resolve(row.operation), state)
            except (ResultShapeError, ValueError):
                logger.warning("webhook result of %s could not be read; polling will fetch it", workflow_id)
                await self.ledger.poke(row.id)
                continue
            if snap.result is not None:
                kept = await self.ledger.record_completed(
                    row.id, _dump_mapped(snap.result), keep_with_row=_only_copy(row.workflow_id)
                )
                await give_back(self.ledger, kept)
            elif snap.failure is not None:
                reason = str(snap.failure.get("reason", "unknownError"))
                if reason in CANCELLED_REASONS:
                    await self.ledger.record_cancelled(row.id)
                else:
                    failed = await self.ledger.record_failed(
                        row.id, error_type=reason, message=str(snap.failure.get("message", ""))
                    )
                    await give_back(self.ledger, failed)
        return "new"

    async def _sleep(self, delay: float, op: Operation, row: Row, progress: Progress) -> None:
        """Sleep ``delay`` seconds, sending a heartbeat progress notification every 10 s."""
        end = self._monotonic() + delay
        while True:
            now = self._monotonic()
            if now >= end:
                return
            next_beat = progress.last_sent + self.heartbeat
            if now >= next_beat:
                await progress(await self._waiting_text(op, row))
                continue
            await self._sleep_for(min(end, next_beat) - now)

    # -- envelopes ----------------------------------------------------------------------------

    async def _preview(self, backend: Backend, op: Operation, params: BaseModel, issued: Issued) -> dict[str, Any]:
        action = await previews.action_text(backend, op, params)  # who, what, from which account
        out = self._envelope(
            backend,
            op,
            None,
            status="confirmation_required",
            message=preview_text(op, action, issued.confirmation_id, _iso(issued.expires_at) or ""),
        )
        out["confirmationId"] = issued.confirmation_id
        return out

    def _envelope(
        self,
        backend: Backend,
        op: Operation,
        row: Row | None,
        *,
        status: OutcomeStatus,
        result: Any = None,
        errors: list[Any] | None = None,
        message: str | None = None,
        deduplicated: bool = False,
        poll_after: int | None = None,
    ) -> dict[str, Any]:
        return {
            "status": status,
            "operationName": op.name,
            "workflowId": None if row is None else row.workflow_id,
            "result": result,
            "errors": errors or [],
            "pendingReason": None if row is None or status not in ("pending", "running") else row.pending_reason,
            "message": message,
            "pollAfterSeconds": poll_after,
            "deduplicated": deduplicated,
            "backend": backend.kind,
        }

    def completed(
        self, backend: Backend, op: Operation, mapped: dict[str, Any], *, message: str | None = None
    ) -> dict[str, Any]:
        """A completed outcome for data this server answers itself (no workflow row)."""
        return self._completed(backend, op, None, mapped, deduplicated=False, message=message)

    def _completed(
        self,
        backend: Backend,
        op: Operation,
        row: Row | None,
        mapped: Any,
        *,
        deduplicated: bool,
        message: str | None = None,
    ) -> dict[str, Any]:
        mapped = mapped or {}
        data, errors = mapped.get("data"), mapped.get("errors") or []
        truncated = mapped.get("truncated")
        if isinstance(truncated, dict) and truncated.get("note"):  # cut to the size cap: say so
            message = f"{message} {truncated['note']}" if message else str(truncated["note"])
        if data is None and errors:
            # Nothing usable came back: the agent must see this as a failure, not an empty success.
            raise ToolError(action_errors_text([ActionError.model_validate(e) for e in errors], op))
        if errors:  # partial: say what each failure means (server/errors.py), beside the valid data
            failed = action_errors_text([ActionError.model_validate(e) for e in errors], op).replace("\n", " ")
            note = f"Some actions failed; the rest of the result is valid. {failed}"
            message = f"{message} {note}" if message else note
        return self._envelope(
            backend,
            op,
            row,
            status="completed",
            result=data,
            errors=errors,
            message=message,
            deduplicated=deduplicated,
        )

    def _pending(
        self,
        backend: Backend,
        op: Operation,
        row: Row,
        prediction: Prediction | None,
        *,
        deduplicated: bool,
        message: str | None = None,
    ) -> dict[str, Any]:
        status = _status(row)
        if message is None:
            if row.pending_reason == "outsideWorkingHours":
                message = (
                    row.message or "The account is outside its working hours."
                ) + " Tell the user when it will run; polling before then returns the same state."
            else:
                message = (
                    f"Still {status}. Call get_workflow_result with this workflowId to wait for the result; "
                    "do not start the same tool again."
                )
                if deduplicated:
                    message = "An identical workflow was already in progress; this is its handle. " + message
        elapsed = self._wall() - row.created_at
        poll_after = None
        if row.pending_reason != "outsideWorkingHours":
            poll_after = poll_after_seconds(backend.policy, elapsed=elapsed, prediction=prediction)
        return self._envelope(
            backend, op, row, status=status, message=message, deduplicated=deduplicated, poll_after=poll_after
        )

    def _outcome_unknown(self, backend: Backend, op: Operation, row: Row, *, deduplicated: bool) -> dict[str, Any]:
        until = _iso(row.created_at + self.dedupe_window)
        advice = (
            f" Check list_workflows and the account itself before repeating it. An identical call returns this "
            f"same record until {until}; after that it will be sent again."
            if op.effect == "write"
            else " Calling the tool again starts it anew."
        )
        prefix = "An identical earlier call ended like this: " if deduplicated else ""
        return self._envelope(
            backend,
            op,
            row,
            status="outcome_unknown",
            deduplicated=deduplicated,
            message=prefix + (row.message or "The outcome of the start request is unknown.") + advice,
        )


NOT_SYNCED = "conversationsNotSynced"


def _not_yours(workflow_id: str) -> str:
    return (
        f"[workflowNotFound] No workflow {workflow_id} was started for you on this account through this server. "
        "Call list_workflows to see yours."
    )


def _not_synced(mapped: Mapped[Any]) -> bool:
    return mapped.data is None and any(error.type == NOT_SYNCED for error in mapped.errors)


async def _no_report(_progress: float, _message: str, /, *, total: float | None = None) -> None:
    return None


def _wire(params: BaseModel) -> dict[str, Any]:
    wire = getattr(params, "wire", None)
    if callable(wire):
        return dict(wire())
    return params.model_dump(mode="json", exclude_unset=True, exclude_none=True)


def _only_copy(workflow_id: str | None) -> bool:
    """Whether the ledger holds the only copy of this workflow's result: an Account API handle that
    cannot be polled again (a ``long`` start's answer, a ``hook`` delivery: docs/account-api.md).
    The ledger keeps such a result as long as its row, not RESULT_KEEP_SECONDS."""
    from linkedapi_mcp.client.account_api import HOOK_PREFIX, LONG_PREFIX

    return workflow_id is not None and workflow_id.startswith((HOOK_PREFIX, LONG_PREFIX))


def _dump_mapped(mapped: Any) -> dict[str, Any]:
    if isinstance(mapped, BaseModel):
        return dict(mapped.model_dump(mode="json", by_alias=True))
    return dict(mapped)


__all__ = ["Backend", "Progress", "Runner"]
