"""A thin async facade over the Linked API client: start, status, cancel, direct calls.

It joins the catalog (what to send, how to read the answer) with the client (how to talk
HTTP). No MCP here: the server layer decides how to present pending work, failures and
partial errors; this module only gives them typed values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from pydantic import BaseModel, Field

from linkedapi_mcp.catalog.spec import Mapped, Operation, ParamsModel
from linkedapi_mcp.client import LinkedApiClient, WorkflowFailedError, WorkflowStart, WorkflowState


class WorkflowSnapshot(BaseModel):
    """One look at a workflow: still in progress, completed with its mapped result, or failed."""

    workflowId: str = Field(description="The workflow looked at.")
    operationName: str = Field(description="The catalog operation whose mapper reads the result.")
    workflowStatus: str = Field(description="pending | running | completed | failed.")
    pendingReason: str | None = Field(None, description="queued | outsideWorkingHours, when pending.")
    message: str | None = Field(None, description="Linked API's human text, e.g. when working hours open.")
    result: Mapped[Any] | None = Field(None, description="Set when completed: the mapped result.")
    failure: dict[str, Any] | None = Field(None, description="Set when failed: {reason, message}.")

    @property
    def done(self) -> bool:
        return self.workflowStatus in ("completed", "failed")


class LinkedApi:
    """Operations of the catalog, run through one :class:`LinkedApiClient`."""

    def __init__(self, client: LinkedApiClient) -> None:
        self.client = client

    async def start(self, op: Operation, params: BaseModel, *, deadline: float | None = None) -> WorkflowStart:
        """One ``POST /workflows`` with the operation's definition.

        Never retried once the request may have reached the server (the client raises
        ``OutcomeUnknownError`` then): a second start would run the action twice. Past
        ``deadline`` (on the client's clock) a sent start is outcome unknown too.
        """
        if op.kind != "workflow" or op.build is None:
            raise ValueError(f"{op.tool} is a direct read; use call()")
        return await self.client.start_workflow(op.build(_checked(op, params)), deadline=deadline)

    async def status(self, workflow_id: str, op: Operation, *, deadline: float | None = None) -> WorkflowSnapshot:
        """One ``GET /workflows/{id}`` (the client retries transient faults within ``deadline``).

        A ``failed`` workflow is **returned**, not raised: the snapshot has ``failure =
        {reason, message}`` and no result, so the caller decides how to present it (use
        :func:`raise_for_failure` to turn it into ``WorkflowFailedError``). A ``completed`` one
        carries ``result``: the completion read by the operation's mapper, partial action errors
        kept in ``result.errors``.
        """
        state = await self.client.get_workflow(workflow_id, deadline=deadline)
        return snapshot(workflow_id, op, state)

    async def cancel(self, workflow_id: str) -> bool:
        """``DELETE /workflows/{id}`` → whether it was cancelled (false when already finished)."""
        return await self.client.cancel_workflow(workflow_id)

    async def call(self, op: Operation, params: BaseModel, *, deadline: float | None = None) -> Mapped[Any]:
        """Run a direct read (inbox, network, conversation, account, usage): returns at once."""
        if op.kind != "direct" or op.call is None:
            raise ValueError(f"{op.tool} runs as a workflow; use start() and status()")
        return await op.call(self.client, _checked(op, params), deadline)

    async def run(
        self,
        op: Operation,
        params: BaseModel,
        *,
        poll_interval: float = 5.0,
        timeout: float | None = None,  # noqa: ASYNC109 - a polling budget on an injectable sleep, not a cancel scope
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> Mapped[Any]:
        """Start and poll until done (like the SDK's ``execute`` + ``result``); for scripts and tests.

        Raises ``WorkflowFailedError`` for a failed workflow and ``TimeoutError`` (the workflow
        keeps running) when ``timeout`` seconds of polling pass. ``sleep`` is injectable so tests
        can advance a virtual clock instead of waiting.
        """
        if op.kind == "direct":
            return await self.call(op, params)
        started = await self.start(op, params)
        waited = 0.0
        while True:
            snap = await self.status(started.workflowId, op)
            if snap.done:
                raise_for_failure(snap)
                assert snap.result is not None
                return snap.result
            if timeout is not None and waited >= timeout:
                raise TimeoutError(
                    f"workflow {started.workflowId} is still {snap.workflowStatus} after {timeout:g}s; "
                    "it keeps running, check it again later"
                )
            await sleep(poll_interval)
            waited += poll_interval


def snapshot(workflow_id: str, op: Operation, state: WorkflowState) -> WorkflowSnapshot:
    """Turn a raw workflow state into a snapshot, mapping a completion through ``op``."""
    snap = WorkflowSnapshot(
        workflowId=workflow_id,
        operationName=op.name,
        workflowStatus=state.workflowStatus,
        pendingReason=state.pendingReason,
        message=state.message,
    )
    if state.workflowStatus == "failed":
        error = state.failed_error()
        assert error is not None
        snap.failure = {"reason": error.type, "message": error.message}
    elif state.workflowStatus == "completed":
        if op.map is None:
            raise ValueError(f"{op.tool} has no result mapper")
        snap.result = op.map(state.completion)
    return snap


def raise_for_failure(snap: WorkflowSnapshot) -> None:
    """Raise ``WorkflowFailedError(reason, message)`` if the snapshot is a failed workflow."""
    if snap.failure is not None:
        raise WorkflowFailedError(str(snap.failure.get("reason")), str(snap.failure.get("message") or ""))


def _checked(op: Operation, params: BaseModel) -> ParamsModel:
    if isinstance(params, op.params):
        return params
    raise TypeError(f"{op.tool} takes {op.params.__name__}, got {type(params).__name__}")
