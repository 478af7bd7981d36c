"""Storage faults, explained and contained (issue 12, point 4).

When the ledger cannot be used — a damaged SQLite file, a locked one, a read-only or full data
directory, an unreachable PostgreSQL server — :mod:`.db` raises a :class:`~.db.StorageFault`.
This module turns it into what a tool call can act on:

* **Account-changing tools are refused** (and ``monitor`` ones, which change Linked API state):
  their protection — the duplicate-send check, the budgets, the confirmations — lives in the
  ledger, so nothing is sent when it cannot be recorded.
* **Read-only tools keep working**: a read needs no protection, so it is started and polled
  without the ledger. [INFERRED] A read that outlives its wait budget returns its upstream
  ``workflowId`` with a word that it is not recorded: over stdio, get_workflow_result with
  ``operationName`` looks such an id up on Linked API directly; a hosted server (which serves only
  the handles it recorded) says the result cannot be fetched there later. Such a read is not
  deduplicated and not counted in the local budgets, and says so; while the ledger can still be
  read (locked, full) it is checked against them and refused over a cap.
* **get_workflow_result** looks a handle up on Linked API directly when the ledger cannot be read
  and ``operationName`` is given (stdio); **list_workflows** (which reads only the ledger)
  explains the fault.
* Every message names the data directory (or database), the cause, what was and was not sent,
  and what to do. A damaged ledger is never deleted or replaced: the message gives
  ``linkedapi-mcp ledger move-aside`` (:mod:`linkedapi_mcp.ledger_cli`), which keeps the file.

What a call sent before the fault is known from :class:`NotedApi`, the facade the server's
backends use: it notes each start (accepted, refused, outcome unknown) and cancel of the call
in progress (a context variable), so the message never guesses.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from linkedapi_mcp.catalog.spec import ResultShapeError
from linkedapi_mcp.client.errors import (
    LinkedApiError,
    OutcomeUnknownError,
    RateLimitedError,
    UpstreamUnavailableError,
    WorkflowFailedError,
)
from linkedapi_mcp.facade import LinkedApi
from linkedapi_mcp.server.db import StorageFault
from linkedapi_mcp.server.errors import describe
from linkedapi_mcp.server.timing import next_poll_delay, poll_after_seconds

if TYPE_CHECKING:
    from linkedapi_mcp.catalog.spec import Operation
    from linkedapi_mcp.client.models import WorkflowStart
    from linkedapi_mcp.facade import WorkflowSnapshot
    from linkedapi_mcp.server.runner import Backend, Report, Runner

logger = logging.getLogger("linkedapi_mcp.server")

MOVE_ASIDE = "linkedapi-mcp ledger move-aside"
NOTHING_SENT = "Nothing was sent to Linked API."
HEARTBEAT_SECONDS = 10.0
# [INFERRED] Linked API reports a cancelled workflow as failed with one of these reasons (as the runner).
_CANCELLED = frozenset({"workflowCancelled", "cancelled", "workflowCanceled"})


# -- what the call sent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    outcome: Literal["accepted", "refused", "unknown"]
    operation: str
    workflow_id: str | None = None
    error: LinkedApiError | None = None


@dataclass
class Sent:
    """What the tool call in progress sent to Linked API (starts and cancels)."""

    starts: list[Start] = field(default_factory=list)
    cancels: list[tuple[str, bool]] = field(default_factory=list)


_SENT: ContextVar[Sent | None] = ContextVar("linkedapi_mcp_sent", default=None)


@contextmanager
def noting() -> Iterator[Sent]:
    """The record of the current tool call (a new one unless a caller already keeps one)."""
    sent = _SENT.get()
    if sent is not None:
        yield sent
        return
    sent = Sent()
    token = _SENT.set(sent)
    try:
        yield sent
    finally:
        _SENT.reset(token)


class NotedApi(LinkedApi):
    """The facade, noting each start and cancel in the current call's :class:`Sent`."""

    async def start(self, op: Operation, params: BaseModel, *, deadline: float | None = None) -> WorkflowStart:
        sent = _SENT.get()
        try:
            start = await super().start(op, params, deadline=deadline)
        except OutcomeUnknownError:
            if sent is not None:
                sent.starts.append(Start("unknown", op.name))
            raise
        except LinkedApiError as exc:
            if sent is not None:
                sent.starts.append(Start("refused", op.name, error=exc))
            raise
        except BaseException:
            if sent is not None:
                sent.starts.append(Start("unknown", op.name))
            raise
        if sent is not None:
            sent.starts.append(Start("accepted", op.name, workflow_id=start.workflowId))
        return start

    async def cancel(self, workflow_id: str) -> bool:
        cancelled = await super().cancel(workflow_id)
        sent = _SENT.get()
        if sent is not None:
            sent.cancels.append((workflow_id, cancelled))
        return cancelled


# -- the words ---------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return shlex.quote(text)


def problem(fault: StorageFault) -> str:
    """What is wrong, naming the data directory (or database) and the cause."""
    if fault.dialect == "postgresql":
        what = {
            "corrupt": "reports damaged data",
            "locked": f"stayed locked by another session past the {fault.timeout:g} s wait",
            "read_only": "accepts no writes",
            "full": "is out of space or resources",
            "io_error": "reports an I/O error",
            "cannot_open": "cannot be opened",
            "unreachable": f"cannot be reached (no connection within {fault.timeout:g} s)",
        }[fault.kind]
        return f"The ledger database ({fault.where}) {what}: {fault.cause}."
    ledger = str(fault.path) if fault.path is not None else "the ledger"
    text = {
        "corrupt": f"The ledger file {ledger} in the data directory {fault.where} is damaged",
        "locked": f"The ledger {ledger} in the data directory {fault.where} stayed locked by another process "
        f"past the {fault.timeout:g} s wait",
        "read_only": f"The data directory {fault.where} (or the ledger {ledger} in it) is read-only",
        "full": f"The disk of the data directory {fault.where} is full",
        "io_error": f"Reading or writing the ledger {ledger} in the data directory {fault.where} failed",
        "cannot_open": f"The ledger {ledger} in the data directory {fault.where} cannot be opened",
        "unreachable": f"The ledger in the data directory {fault.where} cannot be reached",
    }[fault.kind]
    return f"{text}: {fault.cause}."


def remedy(fault: StorageFault) -> str:
    """What the user can do about it."""
    if fault.dialect == "postgresql":
        return {
            "corrupt": "Have the database checked or restored by its administrator; this server never replaces it.",
            "locked": "Another session holds a lock on the ledger's rows; let it finish (or end it), then call again.",
            "read_only": "Point LINKEDAPI_MCP_DATABASE_URL at a writable primary (not a standby), then call again.",
            "full": "Free disk space (or connections) on the database server, then call again.",
            "io_error": "Have the database server's disk checked, then call again.",
            "cannot_open": "Check LINKEDAPI_MCP_DATABASE_URL, then call again.",
            "unreachable": "Check that the PostgreSQL server is running and that LINKEDAPI_MCP_DATABASE_URL points "
            "at it, then call again.",
        }[fault.kind]
    where = _quote(fault.where)
    ledger = _quote(str(fault.path)) if fault.path is not None else "the ledger file"
    return {
        "corrupt": "The damaged file is kept as it is: a fresh ledger would forget recent sends and could repeat "
        "them. To keep it "
        f"and start a fresh one, run `{MOVE_ASIDE} --data-dir {where}` (it renames the file with a timestamp); "
        "the next call then starts a fresh ledger.",
        "locked": f"Let the other process finish (or stop it: `fuser {ledger}` shows it), then call again.",
        "read_only": f"Make {where} and the ledger files in it writable for the user running this server, then "
        "call again. (Another LINKEDAPI_MCP_DATA_DIR would start an empty ledger that knows no earlier sends.)",
        "full": f"Free space on the disk of {where}, then call again.",
        "io_error": f"Check the disk and file system of {where}; if the ledger is damaged, `{MOVE_ASIDE} "
        f"--data-dir {where}` keeps it and starts a fresh one.",
        "cannot_open": f"Check that {where} exists and is writable for the user running this server, then call again.",
        "unreachable": "Check the storage, then call again.",
    }[fault.kind]


def fault_text(fault: StorageFault, *, sent: str, consequence: str = "") -> str:
    """``[ledgerUnavailable]`` + what is wrong + what was and was not sent + what it means + what to do."""
    parts = [f"[ledgerUnavailable] {problem(fault)}", sent, consequence, remedy(fault)]
    return " ".join(p for p in parts if p)


REFUSED = (
    "Account-changing tools are refused until the ledger works again, because their protection "
    "(the duplicate-send check, the budgets, the confirmations) cannot be recorded. Read-only tools still work."
)


def _unrecorded(op: Operation, workflow_id: str | None, *, ledger_only: bool) -> str:
    """The handle advice for a workflow the ledger could not record."""
    if workflow_id is None:
        return "It is not recorded in the ledger."
    if ledger_only:
        return (
            f"It is not recorded in the ledger, and this server serves only the handles it recorded, so workflow "
            f"{workflow_id} cannot be fetched here later: call the tool again once the ledger works."
        )
    return (
        f"It is not recorded in the ledger: to wait for it, call get_workflow_result with "
        f"workflowId {workflow_id} and operationName {op.name}, which looks it up on Linked API directly. "
        "Do not start the same tool again."
    )


def _log(fault: StorageFault, what: str) -> None:
    logger.error("ledger unavailable (%s) during %s: %s", fault.kind, what, fault)


# -- containing a tool call ----------------------------------------------------------------------


async def contain_run(
    runner: Runner,
    backend: Backend,
    op: Operation,
    params: BaseModel,
    *,
    budget: float,
    report: Report,
    run: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Run an operation's tool call; on a storage fault, say what was sent and carry on as far as
    is safe: a read runs (or keeps polling) without the ledger, anything else is refused."""
    with noting() as sent:
        mark = len(sent.starts)
        began = anyio.current_time()
        try:
            return await run()
        except StorageFault as fault:
            _log(fault, op.tool)
            left = max(budget - (anyio.current_time() - began), 0.0)
            return await _after_fault(
                runner, backend, op, params, fault, sent.starts[mark:], budget=left, report=report
            )


async def _after_fault(
    runner: Runner,
    backend: Backend,
    op: Operation,
    params: BaseModel,
    fault: StorageFault,
    starts: list[Start],
    *,
    budget: float,
    report: Report,
) -> dict[str, Any]:
    from linkedapi_mcp.catalog import by_operation_name

    if starts:
        last = starts[-1]
        started = by_operation_name(last.operation)
        if last.outcome == "accepted" and last.workflow_id is not None:
            said = (
                f"Linked API accepted the start of {started.name} as workflow {last.workflow_id} (sent once), but the "
                "ledger could not record it."
            )
            if started.name != op.name:  # a step before the tool's own read (a conversation sync)
                raise ToolError(
                    fault_text(
                        fault,
                        sent=f"{said} {_unrecorded(started, last.workflow_id, ledger_only=runner.ledger_only)} "
                        f"Once it has completed, call {op.tool} again.",
                    )
                )
            out = await poll_unrecorded(
                runner, backend, started, last.workflow_id, fault=fault, said=said, budget=budget, report=report
            )
            if await _record_late(runner, backend, started, params, last.workflow_id, fault):
                out["message"] = (
                    f"Linked API accepted the start of {started.name} as workflow {last.workflow_id} (sent once). "
                    f"The ledger was locked by another process when the answer came ({fault.cause}); the handle "
                    "was recorded once the lock was released, so an identical call returns this workflow instead "
                    "of sending it again."
                    + ("" if out["status"] == "completed" else " Call get_workflow_result with this workflowId.")
                )
            return out
        if last.outcome == "refused" and last.error is not None:
            raise ToolError(
                f"{describe(last.error)} "
                + fault_text(fault, sent=f"Linked API refused the start of {started.name}: nothing was started.")
            )
        out = runner._envelope(backend, started, None, status="outcome_unknown")
        out["message"] = fault_text(
            fault,
            sent=f"The start of {started.name} was sent but its outcome is unknown: it may have reached Linked API. "
            "The ledger could not record it, so calling again is not protected against a duplicate: check the "
            "account itself before repeating it.",
        )
        return out
    if op.kind == "workflow" and op.effect == "read":
        return await run_unrecorded(runner, backend, op, params, fault=fault, budget=budget, report=report)
    if op.kind == "direct":  # a read that first needed an account-state step (a conversation sync)
        raise ToolError(
            fault_text(
                fault,
                sent="Only the read itself was sent to Linked API; no workflow was started.",
                consequence=f"{op.tool} first needs a step that changes Linked API state (a sync), and such steps "
                "are refused while the ledger cannot record them.",
            )
        )
    raise ToolError(fault_text(fault, sent=f"{NOTHING_SENT} {op.tool} was refused.", consequence=REFUSED))


async def _record_late(
    runner: Runner, backend: Backend, op: Operation, params: BaseModel, workflow_id: str, fault: StorageFault
) -> bool:
    """After a lock (a passing fault): record the handle of an accepted start on the claim row the
    call wrote before its POST, so the duplicate check and get_workflow_result know it again."""
    if fault.kind != "locked":
        return False
    args_hash = runner._call(backend, op, params).args_hash
    try:
        rows = await runner.ledger.recent(backend.account, limit=20, operation=op.name)
        claim = next((r for r in rows if r.state == "claimed" and r.args_hash == args_hash), None)
        if claim is None:
            return False
        # "running": its status is looked at again by the next call that waits for it.
        await runner.ledger.record_start(
            claim.id, workflow_id=workflow_id, status="running", pending_reason=None, message=None
        )
    except StorageFault:
        return False
    logger.info("%s %s recorded after the ledger lock was released", op.name, workflow_id)
    return True


async def run_unrecorded(
    runner: Runner,
    backend: Backend,
    op: Operation,
    params: BaseModel,
    *,
    fault: StorageFault,
    budget: float,
    report: Report,
) -> dict[str, Any]:
    """A read started and polled without the ledger (no dedupe, no budget count, no handle kept).

    When the ledger can still be read (locked, full), the read is checked against the local
    budgets first, as usual; only counting it is impossible."""
    checked = await _within_budget(runner, backend, op, params, fault)
    began = anyio.current_time()
    try:  # the start itself gets at least a second, as the runner gives it
        start = await backend.api.start(op, params, deadline=began + max(budget, 1.0))
    except OutcomeUnknownError as exc:
        out = runner._envelope(backend, op, None, status="outcome_unknown")
        out["message"] = fault_text(
            fault, sent=f"This read ran without the ledger; {exc.message} Calling the tool again starts it anew."
        )
        return out
    except LinkedApiError as exc:
        raise ToolError(
            f"{describe(exc)} " + fault_text(fault, sent="This read ran without the ledger; nothing was started.")
        ) from None
    budgets = (
        "checked against the local budgets but not counted in them"
        if checked
        else "not checked against or counted in the local budgets (they cannot be read)"
    )
    said = (
        f"This read ran without the ledger: started once as workflow {start.workflowId}, not deduplicated, {budgets}."
    )
    return await poll_unrecorded(
        runner,
        backend,
        op,
        start.workflowId,
        fault=fault,
        said=said,
        budget=max(budget - (anyio.current_time() - began), 0.0),
        report=report,
        first=(start.workflowStatus, start.pendingReason),
    )


async def _within_budget(
    runner: Runner, backend: Backend, op: Operation, params: BaseModel, fault: StorageFault
) -> bool:
    """Refuse a read over a local budget when the budgets can be read; False if they cannot."""
    from datetime import UTC, datetime

    from linkedapi_mcp.server.guards import budget_text
    from linkedapi_mcp.server.pipeline import budget_usage

    call = runner._call(backend, op, params)
    caps = runner.guards.caps_for(call.units)
    try:
        usage = await budget_usage(runner.ledger, backend.account, caps)
    except StorageFault:
        return False
    for cap, used, resets_at in usage:
        wanted = call.units.get(cap.category, 0)
        if wanted and used + wanted > cap.limit:
            resets = datetime.fromtimestamp(resets_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            raise ToolError(f"{budget_text(cap, used, resets, wanted)} " + fault_text(fault, sent=""))
    return True


async def poll_unrecorded(
    runner: Runner,
    backend: Backend,
    op: Operation,
    workflow_id: str,
    *,
    fault: StorageFault,
    said: str,
    budget: float,
    report: Report,
    look_now: bool = False,
    first: tuple[str, str | None] = ("pending", None),
) -> dict[str, Any]:
    """Poll ``workflow_id`` on Linked API within ``budget``, recording nothing."""
    begin = anyio.current_time()
    end = begin + budget
    polls, count = 0, 0
    status, pending_reason = first

    async def progress(message: str) -> None:
        nonlocal count
        count += 1
        try:
            await report(float(count), message)
        except Exception:  # a client that went away must not break the call
            logger.debug("progress notification could not be sent", exc_info=True)

    while True:
        now = anyio.current_time()
        remaining = end - now
        if not (look_now and polls == 0):
            if remaining <= 0 or pending_reason == "outsideWorkingHours":
                break
            delay = min(
                next_poll_delay(backend.policy, elapsed=now - begin, prediction=None, remaining=remaining, polls=polls),
                remaining,
            )
            while delay > 0:  # a heartbeat at least every HEARTBEAT_SECONDS
                step = min(delay, HEARTBEAT_SECONDS)
                await anyio.sleep(step)
                delay -= step
                if delay > 0:
                    await progress(f"{op.title}: {status} (not recorded: the ledger is unavailable).")
        try:
            snap: WorkflowSnapshot = await backend.api.status(
                workflow_id, op, deadline=max(end, anyio.current_time() + 1.0)
            )
        except (UpstreamUnavailableError, RateLimitedError) as exc:
            return _pending(
                runner, backend, op, workflow_id, status, pending_reason, fault, said,
                note=f"Could not check the workflow just now ({describe(exc)}).",
                elapsed=anyio.current_time() - begin,
            )  # fmt: skip
        except LinkedApiError as exc:
            raise ToolError(f"{describe(exc)} " + fault_text(fault, sent=said)) from None
        except ResultShapeError:
            raise ToolError(
                f"[unknownError] Workflow {workflow_id} finished, but its result has a shape this server cannot read. "
                + fault_text(fault, sent=said)
            ) from None
        polls += 1
        status, pending_reason = snap.workflowStatus, snap.pendingReason
        await progress(f"{op.title}: {status} (not recorded: the ledger is unavailable).")
        if status == "completed":
            mapped = snap.result
            data = mapped.model_dump(mode="json", by_alias=True) if isinstance(mapped, BaseModel) else {}
            out = runner._completed(backend, op, None, data, deduplicated=False, message=fault_text(fault, sent=said))
            out["workflowId"] = workflow_id
            return out
        if status == "failed":
            failure = snap.failure or {}
            reason = str(failure.get("reason", "unknownError"))
            text = str(failure.get("message", ""))
            if reason in _CANCELLED:
                out = runner._envelope(backend, op, None, status="cancelled", message=fault_text(fault, sent=said))
                out["workflowId"] = workflow_id
                return out
            raise ToolError(f"{describe(WorkflowFailedError(reason, text))} " + fault_text(fault, sent=said))
    return _pending(
        runner, backend, op, workflow_id, status, pending_reason, fault, said, elapsed=anyio.current_time() - begin
    )


def _pending(
    runner: Runner,
    backend: Backend,
    op: Operation,
    workflow_id: str,
    status: str,
    pending_reason: str | None,
    fault: StorageFault,
    said: str,
    *,
    elapsed: float,
    note: str = "",
) -> dict[str, Any]:
    state: Literal["pending", "running"] = "running" if status == "running" else "pending"
    out = runner._envelope(backend, op, None, status=state)
    out["workflowId"] = workflow_id
    out["pendingReason"] = pending_reason
    if pending_reason != "outsideWorkingHours":
        out["pollAfterSeconds"] = poll_after_seconds(backend.policy, elapsed=elapsed, prediction=None)
    still = f"{note} Still {state}. " if note else f"Still {state}. "
    out["message"] = fault_text(
        fault, sent=f"{said} {still}{_unrecorded(op, workflow_id, ledger_only=runner.ledger_only)}"
    )
    return out


async def contain_result(
    runner: Runner,
    backend: Backend,
    workflow_id: str,
    *,
    resolve: Callable[[str], Operation],
    operation_name: str | None,
    budget: float,
    report: Report,
    run: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """get_workflow_result: without a ledger, looked up on Linked API directly when the caller
    names the operation (stdio), else explained."""
    began = anyio.current_time()
    try:
        return await run()
    except StorageFault as fault:
        _log(fault, "get_workflow_result")
        if runner.ledger_only:
            raise ToolError(
                fault_text(
                    fault,
                    sent=NOTHING_SENT,
                    consequence=f"This server serves only the handles it recorded, so workflow {workflow_id} "
                    "cannot be checked until the ledger works again.",
                )
            ) from None
        if operation_name is None:
            operation_name = await _recorded_operation(runner, backend, workflow_id)
        if operation_name is None:
            raise ToolError(
                fault_text(
                    fault,
                    sent=NOTHING_SENT,
                    consequence=f"Without the ledger this server cannot tell which operation workflow {workflow_id} "
                    "ran: pass operationName (e.g. fetchPerson) to look it up on Linked API directly.",
                )
            ) from None
        op = resolve(operation_name)
        said = f"Workflow {workflow_id} was looked up on Linked API directly; nothing was started."
        return await poll_unrecorded(
            runner,
            backend,
            op,
            workflow_id,
            fault=fault,
            said=said,
            budget=max(budget - (anyio.current_time() - began), 0.0),
            report=report,
            look_now=True,
        )


async def _recorded_operation(runner: Runner, backend: Backend, workflow_id: str) -> str | None:
    """The operation the ledger recorded for this account's workflow, when it can still be read
    (a locked or full ledger is readable; only its writes fail)."""
    try:
        rows = await runner.ledger.find(workflow_id)
    except StorageFault:
        return None
    return next((row.operation for row in rows if row.account == backend.account), None)


async def contain_list(run: Callable[[], Awaitable[Any]]) -> Any:
    """list_workflows reads only the ledger: a fault is explained."""
    try:
        return await run()
    except StorageFault as fault:
        _log(fault, "list_workflows")
        raise ToolError(
            fault_text(
                fault,
                sent=NOTHING_SENT,
                consequence="list_workflows reads only this server's ledger, so it cannot answer until the ledger "
                "works again. Read-only tools still work.",
            )
        ) from None


async def contain_cancel(
    runner: Runner, backend: Backend, workflow_id: str, run: Callable[[], Awaitable[tuple[bool, str]]]
) -> tuple[bool, str]:
    """cancel_workflow: stopping a workflow needs no protection, so over stdio it goes ahead
    without the ledger; a hosted server cannot check the handle is the caller's, so it refuses."""
    with noting() as sent:
        mark = len(sent.cancels)
        try:
            return await run()
        except StorageFault as fault:
            _log(fault, "cancel_workflow")
            done = sent.cancels[mark:]
            if done:
                cancelled = done[-1][1]
                return cancelled, fault_text(
                    fault,
                    sent=f"The cancel of workflow {workflow_id} was sent ("
                    + ("cancelled" if cancelled else "it had already finished")
                    + "), but the ledger could not record it.",
                )
            if runner.ledger_only:
                raise ToolError(
                    fault_text(
                        fault,
                        sent=NOTHING_SENT,
                        consequence="This server cannot check that the workflow is yours without the ledger.",
                    )
                ) from None
            try:
                cancelled = await backend.api.cancel(workflow_id)
            except LinkedApiError as exc:
                raise ToolError(f"{describe(exc)} " + fault_text(fault, sent="The cancel was refused.")) from None
            what = "was cancelled" if cancelled else "could not be cancelled: it has probably finished"
            return cancelled, fault_text(
                fault, sent=f"The cancel was sent to Linked API directly: workflow {workflow_id} {what}."
            )


def refusal(fault: StorageFault, tool: str) -> str:
    """The text of a tool call refused before anything was sent (the elicitation step)."""
    return fault_text(fault, sent=f"{NOTHING_SENT} {tool} was refused.", consequence=REFUSED)


def escaped(fault: StorageFault, tool: str, sent: Sent) -> str:
    """The safety net's text for a fault no containment above caught, from what the call sent."""
    _log(fault, tool)
    if not sent.starts and not sent.cancels:
        return refusal(fault, tool)
    said = []
    for start in sent.starts:
        if start.outcome == "accepted":
            said.append(
                f"Linked API accepted the start of {start.operation} as workflow {start.workflow_id}; "
                f"to wait for it call get_workflow_result with operationName {start.operation}."
            )
        elif start.outcome == "refused":
            said.append(f"Linked API refused the start of {start.operation}: nothing was started.")
        else:
            said.append(f"The start of {start.operation} was sent but its outcome is unknown.")
    for workflow_id, cancelled in sent.cancels:
        said.append(f"The cancel of workflow {workflow_id} was sent ({'cancelled' if cancelled else 'not cancelled'}).")
    return fault_text(fault, sent=" ".join(said) + " None of it could be recorded in the ledger.")


__all__ = [
    "MOVE_ASIDE",
    "NotedApi",
    "Sent",
    "contain_cancel",
    "contain_list",
    "contain_result",
    "contain_run",
    "escaped",
    "fault_text",
    "noting",
    "poll_unrecorded",
    "refusal",
    "run_unrecorded",
]
