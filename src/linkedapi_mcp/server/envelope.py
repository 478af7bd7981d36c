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


class Outcome(BaseModel, Generic[D]):
    """What a tool call produced: the result, or where the workflow stands and what to do next."""

    status: Status = Field(
        description=(
            "completed: `result` holds the data. pending/running: not done yet, call get_workflow_result "
            "with `workflowId`. outcome_unknown: the start may or may not have reached Linked API. "
            "cancelled: stopped on request."
        )
    )
    operationName: str = Field(description="Linked API operation, e.g. fetchPerson.")
    workflowId: str | None = Field(None, description="Handle for get_workflow_result / cancel_workflow.")
    result: D | None = Field(None, description="The operation's data when status is completed.")
    errors: list[ActionError] = Field(
        default_factory=list, description="Actions that failed inside a completed workflow; other data is valid."
    )
    pendingReason: str | None = Field(None, description="queued or outsideWorkingHours while pending.")
    message: str | None = Field(None, description="What happened and what to do next.")
    pollAfterSeconds: int | None = Field(None, description="Suggested wait before calling get_workflow_result.")
    deduplicated: bool = Field(
        False, description="True when an identical earlier call's workflow was returned instead of a new one."
    )
    backend: BackendKind = Field(description="sandbox = synthetic data, nothing reaches LinkedIn.")


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
    backend: BackendKind


class Cancelled(BaseModel):
    cancelled: bool = Field(description="True when Linked API stopped the workflow.")


__all__ = ["BackendKind", "Cancelled", "Outcome", "Status", "WorkflowList", "WorkflowSummary"]
