"""Transport-level response models for the workflow endpoints (contract §1.1, §2.1, §2.2).

Lenient on purpose (``extra="allow"``, like the Stainless clients): a field the API adds later
must never break parsing. Field names are the wire's camelCase.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from linkedapi_mcp.client.errors import WorkflowFailedError

TERMINAL_STATUSES = frozenset({"completed", "failed"})
# The four statuses of contract §2.2; anything else is reported as unknown, never as running.
KNOWN_STATUSES = frozenset({"pending", "running", *TERMINAL_STATUSES})


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)  # built on first use, as catalog/spec.py says


class ErrorBody(_Lenient):
    type: str
    message: str = ""


class Envelope(_Lenient):
    """``{success, result?, error?}``; ``success`` is required, as in the official SDK model."""

    success: bool
    result: Any = None
    error: ErrorBody | None = None


class WorkflowStart(_Lenient):
    """The acknowledgement of ``POST /workflows``."""

    workflowId: str
    # "pending" when an older API omits the status (older docs show `{workflowId}` only, §2.1).
    workflowStatus: str = "pending"
    pendingReason: str | None = None
    message: str | None = None
    # Not a wire field: set by a backend whose start answer already carried the final state (the
    # Account API's ``long``, client/account_api.py). Its first status look then needs neither a
    # request nor a wait, so the caller looks at once instead of on the polling schedule.
    resultHeld: bool = False


class WorkflowFailure(_Lenient):
    reason: str
    message: str = ""


class WorkflowState(_Lenient):
    """A ``GET /workflows/{id}`` snapshot: pending/running, or terminal with completion/failure."""

    workflowStatus: str
    pendingReason: str | None = None
    message: str | None = None
    completion: Any = None
    failure: WorkflowFailure | None = None

    @property
    def is_terminal(self) -> bool:
        return self.workflowStatus in TERMINAL_STATUSES

    def failed_error(self) -> WorkflowFailedError | None:
        """The exception describing a ``failed`` state (``None`` for any other status)."""
        if self.workflowStatus != "failed":
            return None
        if self.failure is None:
            # [INFERRED] a failed state without `failure` is not in any source; keep it explicit.
            return WorkflowFailedError("unknownError", "The workflow failed without a reason.")
        return WorkflowFailedError(self.failure.reason, self.failure.message)


__all__ = [
    "KNOWN_STATUSES",
    "TERMINAL_STATUSES",
    "Envelope",
    "ErrorBody",
    "WorkflowFailure",
    "WorkflowStart",
    "WorkflowState",
]
