"""The one result shape every tool returns (its ``outputSchema`` and ``structuredContent``).

A workflow tool either finishes within its wait budget or hands back a handle; a union return
type would be wrapped by the SDK under ``result`` (SDK notes §1.3), so both cases share one flat
envelope: ``status`` says which fields to read.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from linkedapi_mcp.catalog.spec import ActionError

D = TypeVar("D")

Status = Literal["completed", "pending", "running", "failed", "cancelled", "outcome_unknown"]
BackendKind = Literal["sandbox", "linkedapi"]
# A tool call can also stop before anything starts (server/guards.py): awaiting the user's
# approval (two-step confirmation) or declined by the user.
OutcomeStatus = Literal[Status, "confirmation_required", "declined"]


class Page(BaseModel):
    """Where a page of a list result sits in the whole."""

    offset: int = Field(description="Index of the first item of this page.")
    limit: int = Field(description="Page size.")
    total: int = Field(description="Items in the whole result.")
    next: str | None = Field(None, description="The exact call for the next page; absent on the last.")


class Outcome(BaseModel, Generic[D]):
    """What a tool call produced: the result, or where the workflow stands and what to do next."""

    status: OutcomeStatus = Field(
        description="completed: see result. pending/running: call get_workflow_result(workflowId). "
        "outcome_unknown: the start may not have reached Linked API. confirmation_required/declined: "
        "nothing was sent, see message."
    )
    operationName: str
    workflowId: str | None = None
    result: D | None = None
    errors: list[ActionError] = Field(default_factory=list, description="Failed actions; other data is valid.")
    pendingReason: str | None = Field(None, description="queued or outsideWorkingHours.")
    message: str | None = Field(None, description="What happened and what to do next.")
    pollAfterSeconds: int | None = None
    deduplicated: bool = Field(False, description="An identical earlier call's workflow, not a new one.")
    backend: BackendKind = Field(description="sandbox: synthetic data, nothing reaches LinkedIn.")
    confirmationId: str | None = None
    # --- shaping (server/shaping.py): a list result comes a page at a time; bulky fields are left out.
    page: Page | None = Field(None, description="Which part of a list result this is, and the call for the next.")
    omitted: str | None = Field(None, description="Fields left out of result, and the call that includes them.")


class WorkflowSummary(BaseModel):
    workflowId: str | None = Field(None, description="Null when the start's outcome is unknown.")
    operationName: str
    status: Status
    pendingReason: str | None = None
    message: str | None = None
    startedAt: str = Field(description="ISO 8601, UTC.")
    finishedAt: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict, description="The arguments it was started with.")


class WorkflowList(BaseModel):
    """Recent workflows of this account, newest first, as this server last saw them."""

    workflows: list[WorkflowSummary]
    total: int = Field(description="Workflows recorded for this account (of this operation).")
    nextOffset: int | None = Field(None, description="Pass as offset for the next page; absent on the last.")
    backend: BackendKind


class Cancelled(BaseModel):
    cancelled: bool = Field(description="True when Linked API stopped the workflow.")


__all__ = [
    "BackendKind",
    "Cancelled",
    "Outcome",
    "OutcomeStatus",
    "Page",
    "Status",
    "WorkflowList",
    "WorkflowSummary",
]
