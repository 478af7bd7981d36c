"""Workflow lifecycle on one account: pending(queued) → running → completed/failed.

Nothing runs in the background. Every request first calls :meth:`Scheduler.sync` with the
current virtual time, which replays what must have happened since the last call: workflows
start one at a time in submission order (one account = one browser), each runs for the
world's estimated duration, and finishes by executing against the world at its *virtual
completion time*, so its effects are visible to every later read.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from .clock import format_time
from .config import WorkingHours
from .errors import SandboxRequestError

logger = logging.getLogger(__name__)

Status = Literal["pending", "running", "completed", "failed"]

QUEUED_MESSAGE = "Workflow is queued behind other work on this account."
RUNNING_MESSAGE = "Workflow is running."
SIGNED_OUT_MESSAGE = (
    "Your LinkedIn account has been signed out in our cloud browser. This occasionally happens as "
    "LinkedIn may sign out accounts after an extended period. You'll need to visit our platform and "
    "reconnect your account."
)
# [INFERRED] a cancelled workflow reads as failed with this reason (the contract leaves it open).
CANCELLED_REASON = "workflowCancelled"
CANCELLED_MESSAGE = "The workflow was cancelled."
WAIT_EXPIRED_MESSAGE = (
    "The workflow waited too long for the account working hours to open and was dropped. "
    "Start it again inside the working hours."
)


class WorldLike(Protocol):
    """What the scheduler needs from the synthetic world."""

    def estimate_duration(self, definition: Any) -> float: ...

    def execute(self, definition: Any, now: datetime) -> Any: ...


@dataclass
class WorkflowRecord:
    id: str
    definition: Any
    created_at: datetime
    status: Status = "pending"
    pending_reason: str = "queued"
    message: str = QUEUED_MESSAGE
    started_at: datetime | None = None
    finish_at: datetime | None = None
    finished_at: datetime | None = None
    completion: Any = None
    failure: dict[str, str] | None = None
    history: list[dict[str, str]] = field(default_factory=list)

    @property
    def terminal(self) -> bool:
        return self.status in ("completed", "failed")

    def _set(self, status: Status, at: datetime) -> None:
        self.status = status
        self.history.append({"status": status, "at": format_time(at)})

    def result(self) -> dict[str, Any]:
        """The ``GET /workflows/{id}`` result; never carries ``workflowId`` (contract §2.2)."""
        body: dict[str, Any] = {"workflowStatus": self.status}
        if self.status == "pending":
            body["pendingReason"] = self.pending_reason
            body["message"] = self.message
        elif self.status == "running":
            body["message"] = RUNNING_MESSAGE
        elif self.status == "completed":
            body["completion"] = self.completion
        else:
            body["failure"] = self.failure
        return body

    def describe(self) -> dict[str, Any]:
        """Introspection view (``GET /_sandbox/workflows``)."""
        return {
            "workflowId": self.id,
            "workflowStatus": self.status,
            "pendingReason": self.pending_reason if self.status == "pending" else None,
            "definition": self.definition,
            "createdAt": format_time(self.created_at),
            "startedAt": format_time(self.started_at) if self.started_at else None,
            "finishedAt": format_time(self.finished_at) if self.finished_at else None,
            "failure": self.failure,
            "history": list(self.history),
        }


class Scheduler:
    def __init__(
        self,
        world: WorldLike,
        *,
        seed: int,
        epoch: datetime,
        start_delay_seconds: float,
        working_hours: WorkingHours | None = None,
    ) -> None:
        self.world = world
        self.working_hours = working_hours
        self._start_delay = timedelta(seconds=start_delay_seconds)
        self._rng = random.Random(f"workflow-ids:{seed}")
        self._workflows: dict[str, WorkflowRecord] = {}
        self._free_at = epoch  # when the account's browser is next free

    # -- queries ---------------------------------------------------------------------------------
    def get(self, workflow_id: str) -> WorkflowRecord | None:
        return self._workflows.get(workflow_id)

    def all(self) -> list[WorkflowRecord]:
        return list(self._workflows.values())

    # -- commands --------------------------------------------------------------------------------
    def submit(self, definition: Any, now: datetime) -> WorkflowRecord:
        workflow_id = f"wf-{uuid.UUID(int=self._rng.getrandbits(128), version=4)}"
        record = WorkflowRecord(id=workflow_id, definition=definition, created_at=now)
        record.history.append({"status": "pending", "at": format_time(now)})
        self._workflows[workflow_id] = record
        self.sync(now)
        return record

    def cancel(self, workflow_id: str, now: datetime) -> bool | None:
        """``None`` for an unknown id, else whether the workflow was still cancellable."""
        self.sync(now)
        record = self._workflows.get(workflow_id)
        if record is None:
            return None
        if record.terminal:
            return False
        self._fail(record, CANCELLED_REASON, CANCELLED_MESSAGE, now)
        return True

    def sign_out(self, now: datetime) -> None:
        """The account lost its LinkedIn session: every unfinished workflow fails."""
        self.sync(now)
        for record in self._workflows.values():
            if not record.terminal:
                self._fail(record, "linkedinAccountSignedOut", SIGNED_OUT_MESSAGE, now)

    def sync(self, now: datetime) -> None:
        """Bring every workflow up to ``now`` (idempotent; safe to call on every request)."""
        for record in self._workflows.values():
            if record.terminal:
                continue
            if not self._advance(record, now):
                return  # this one still holds the account: everything after it stays queued

    def next_change(self) -> datetime | None:
        """When the head-of-line workflow next changes on its own (starts or finishes), if known
        without drawing its duration: lets the webhook thread announce it on time."""
        for record in self._workflows.values():
            if record.terminal:
                continue
            if record.status == "running":
                return record.finish_at
            if self.working_hours is None:
                return max(record.created_at + self._start_delay, self._free_at)
            return None  # its start depends on the working hours: the periodic sync covers it
        return None

    # -- internals -------------------------------------------------------------------------------
    def _advance(self, record: WorkflowRecord, now: datetime) -> bool:
        """Move the head-of-line workflow forward; True when it no longer blocks the account."""
        if record.status == "pending":
            earliest = max(record.created_at + self._start_delay, self._free_at)
            starts_at: datetime | None = earliest
            hours = self.working_hours
            if hours is not None:
                starts_at = hours.next_open(earliest)
                if hours.max_wait_seconds is not None:
                    deadline = record.created_at + timedelta(seconds=hours.max_wait_seconds)
                    if (starts_at is None or starts_at > deadline) and now >= deadline:
                        self._fail(record, "workingHoursWaitExpired", WAIT_EXPIRED_MESSAGE, deadline)
                        return True
            if starts_at is None or starts_at > now:
                if hours is not None and (starts_at is None or starts_at > earliest):
                    record.pending_reason = "outsideWorkingHours"
                    record.message = (
                        hours.opening_message(starts_at)
                        if starts_at is not None
                        else "This workflow is scheduled and will start when the account working hours open."
                    )
                else:
                    record.pending_reason = "queued"
                    record.message = QUEUED_MESSAGE
                return False
            record.started_at = starts_at
            record.finish_at = starts_at + timedelta(seconds=self.world.estimate_duration(record.definition))
            record._set("running", starts_at)
        assert record.finish_at is not None
        if record.finish_at > now:
            return False
        self._complete(record, record.finish_at)
        return True

    def _complete(self, record: WorkflowRecord, at: datetime) -> None:
        try:
            record.completion = self.world.execute(record.definition, now=at)
        except SandboxRequestError as exc:
            self._fail(record, exc.type, exc.message, at)
            return
        except Exception:
            # [INFERRED] a bug in the world must not take the server down: the workflow fails.
            logger.exception("sandbox world failed executing workflow %s", record.id)
            self._fail(record, "unexpectedError", "An unexpected error occurred.", at)
            return
        record.finished_at = at
        record._set("completed", at)
        self._free_at = max(self._free_at, at)

    def _fail(self, record: WorkflowRecord, reason: str, message: str, at: datetime) -> None:
        if record.status == "running":
            self._free_at = max(self._free_at, at)
        record.failure = {"reason": reason, "message": message}
        record.finished_at = at
        record._set("failed", at)
