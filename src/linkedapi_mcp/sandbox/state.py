"""The sandbox's state and its control API, without HTTP: what the routes, the admin API and the
introspection API all work on.

:class:`SandboxState` owns the world, the virtual clock, the workflow scheduler, the fault queue,
the request log and the admin state. :mod:`.app` builds the Linked API HTTP application on top of
it (``Sandbox``); :mod:`.admin` and :mod:`.introspection` read and change it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request

from .adminstate import AdminRateLimiter, AdminState
from .clock import VirtualClock, format_time, parse_epoch
from .config import JOB_SEARCH_VERSIONS, JobSearch, SandboxConfig, Seat, WorkingHours
from .errors import SandboxRequestError
from .faults import FaultQueue
from .persist import Saved, load, save
from .scheduler import Scheduler
from .webhooks import Webhooks

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://sandbox.local"

TOKEN_MESSAGES = {
    "linkedApiTokenRequired": "'linked-api-token' is missing in request headers.",
    "invalidLinkedApiToken": "The provided 'linked-api-token' is invalid.",
    "identificationTokenRequired": "'identification-token' is missing in request headers.",
    "invalidIdentificationToken": "The provided 'identification-token' is invalid.",
}


def _world_factory_default() -> Callable[..., Any]:
    # Imported when a sandbox is built: the world module is large.
    from .world import World

    return World


@dataclass
class RequestLogEntry:
    method: str
    path: str
    query: str
    status: int | None
    virtual_time: datetime
    real_time: float
    fault: str | None = None
    outcome: str = "answered"  # answered | dropped | interrupted
    recorded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "virtualTime": format_time(self.virtual_time),
            "realTime": self.real_time,
            "fault": self.fault,
            "outcome": self.outcome,
        }


class RequestLog:
    """API requests seen (never headers, never bodies: they could carry tokens or personal data)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RequestLogEntry] = []

    def record(self, entry: RequestLogEntry) -> None:
        """Add an entry once (recorded before the last byte goes out, so a client never races it)."""
        with self._lock:
            if not entry.recorded:
                entry.recorded = True
                self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def entries(self) -> list[RequestLogEntry]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Any:
        return iter(self.entries)

    def __getitem__(self, index: int) -> RequestLogEntry:
        return self.entries[index]

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.entries]


class SandboxState:
    """Everything a sandbox knows and the control API over it (world, virtual clock, workflows,
    faults, request log, admin state); :class:`~.app.Sandbox` adds the HTTP application on top.
    Routes, admin and introspection depend on this class, never the other way round."""

    world: Any
    scheduler: Scheduler
    admin: AdminState
    webhooks: Webhooks

    def __init__(
        self,
        seed: int = 42,
        speed: float = 1.0,
        *,
        epoch: datetime | str | None = None,
        sales_navigator: bool = True,
        seat: Seat = "plus",
        linked_api_token: str | None = None,
        identification_token: str | None = None,
        working_hours: WorkingHours | None = None,
        account_api: str = "000",
        config: SandboxConfig | None = None,
        world_factory: Callable[..., Any] | None = None,
        persist_to: Path | None = None,
    ) -> None:
        """``epoch``: ``None`` → the fixed :data:`~.clock.DEFAULT_EPOCH` (reproducible: what tests
        use), ``"now"`` → today (what the standalone and embedded sandboxes use), or an instant.
        ``persist_to``: a file that keeps the account (world, workflows, admin state) across
        processes (:mod:`.persist`); it is loaded if it exists and saved after every change."""
        self.config = config or SandboxConfig(
            seed=seed,
            speed=speed,
            epoch=epoch,
            sales_navigator=sales_navigator,
            seat=seat,
            linked_api_token=linked_api_token,
            identification_token=identification_token,
            working_hours=working_hours,
            account_api=account_api,
        )
        self._initial_config = self.config
        self._world_factory = world_factory or _world_factory_default()
        self._lock = threading.RLock()
        self.faults = FaultQueue()
        self.requests = RequestLog()
        self.base_url = DEFAULT_BASE_URL
        self.clock = VirtualClock()  # restarted at the configured epoch/speed by _build
        self.persist_to = persist_to
        self.account_id = secrets.token_hex(16)
        self._saved_signature: tuple[Any, ...] | None = None
        self._build(self.config)
        if persist_to is not None and not self._restore(persist_to):
            self._save_or_warn()

    # -- persistence --------------------------------------------------------------------------------
    def _restore(self, path: Path) -> bool:
        saved = load(path)
        if saved is None or saved.seed != self.config.seed:
            # [INFERRED] another seed is another world: the saved account is replaced.
            return False
        scheduler, admin = saved.state["scheduler"], saved.state["admin"]
        if not isinstance(scheduler, Scheduler) or not isinstance(admin, AdminState):
            return False
        self.account_id = saved.account_id
        self.world = saved.state["world"]
        self.scheduler = scheduler
        self.admin = admin
        # The configuration of this run wins over the saved one for the account's switches.
        self.world.sales_navigator = self.config.sales_navigator
        self.world.searching_allowed = self.config.searching_allowed
        self.world.job_search = self.config.job_search
        self.scheduler.working_hours = self.config.working_hours
        # [INFERRED] time never runs backwards: the account resumes at the later of its saved
        # virtual time and the real time (a sped-up account stays ahead; one left alone for a
        # while catches up with today).
        resume = max(saved.virtual_now, datetime.now(UTC))
        self.clock.restart(saved.epoch, self.config.speed, now=resume)
        self._saved_signature = self._signature()
        return True

    def _signature(self) -> tuple[Any, ...]:
        """What changes when the account does: workflows started or finished (a finished one has
        changed the world), messages delivered, admin changes (limits, sessions, the token)."""
        records = self.scheduler.all()
        incoming = len(getattr(self.world, "incoming", ()))
        limits = repr(getattr(self.world, "limits", None))
        admin = (self.admin.regenerated_token, len(self.admin.sessions))
        return (len(records), sum(1 for r in records if r.terminal), incoming, limits, admin)

    def save(self) -> None:
        """Write the account to its file now (no-op for an in-memory sandbox)."""
        if self.persist_to is None:
            return
        with self._lock:
            saved = Saved(
                account_id=self.account_id,
                seed=self.config.seed,
                epoch=self.clock.epoch,
                virtual_now=self.clock.now(),
                state={"world": self.world, "scheduler": self.scheduler, "admin": self.admin},
            )
            save(self.persist_to, saved)
            self._saved_signature = self._signature()

    def after_request(self) -> None:
        """Called after every API request: a persistent sandbox saves the account when it changed."""
        if self.persist_to is None:
            return
        with self._lock:
            if self._signature() != self._saved_signature:
                self._save_or_warn()

    def _save_or_warn(self) -> None:
        try:
            self.save()
        except OSError as exc:
            # The account goes on in memory; the next change tries again.
            logger.warning("The sandbox account could not be saved to %s: %s", self.persist_to, exc)

    def _build(self, config: SandboxConfig) -> None:
        epoch = parse_epoch(config.epoch)
        self.clock.restart(epoch, config.speed)
        self.world = self._world_factory(config.seed, epoch=epoch, sales_navigator=config.sales_navigator)
        self.world.searching_allowed = config.searching_allowed
        self.world.job_search = config.job_search
        self.scheduler = Scheduler(
            self.world,
            seed=config.seed,
            epoch=epoch,
            start_delay_seconds=config.start_delay_seconds,
            working_hours=config.working_hours,
        )
        self.admin = AdminState(config.seed)
        self.admin_limiter = AdminRateLimiter(config.admin_rate_limit, config.admin_rate_window_seconds)
        # The webhook subscription and its delivery thread (started when a webhook is set).
        self.webhooks = Webhooks(config, now=self.clock.now, tick=self._webhook_tick)

    # -- Python control API (the /_sandbox routes call these) -------------------------------------
    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def reset(self, seed: int | None = None) -> None:
        """Back to how the sandbox started: a fresh world, clock, workflow list, fault list and request
        log; runtime changes (speed, working hours, account) are dropped. Optionally a new seed."""
        with self._lock:
            self.config = self._initial_config
            if seed is not None:
                self.config = replace(self.config, seed=seed)
            self.webhooks.close()  # the old thread stops; the webhook is gone with the rest
            self._build(self.config)
            self.faults.clear()
            self.requests.clear()
            if self.persist_to is not None:
                # A reset persistent account is a new account: handles of the old one resolve no more.
                self.account_id = secrets.token_hex(16)
                self._save_or_warn()

    def now(self) -> datetime:
        return self.clock.now()

    def sync(self) -> datetime:
        """Advance the simulation to the current virtual time; returns that time."""
        with self._lock:
            now = self.clock.now()
            self.scheduler.sync(now)
            deliver = getattr(self.world, "deliver_due", None)
            if deliver is not None:
                deliver(now)
            drain = getattr(self.world, "drain_events", None)
            self.webhooks.observe(
                self.scheduler.all(),
                drain() if drain is not None else [],
                self.admin.account_id,
                next_change=self._real_seconds_until(self.scheduler.next_change(), now),
            )
            return now

    def submit(self, definition: Any, now: datetime) -> Any:
        """Queue a workflow and sync at once, so that its ``workflow.created`` event and the moment
        it will next change are known to the webhook thread without waiting for another request."""
        with self._lock:
            record = self.scheduler.submit(definition, now)
            self.sync()
            return record

    def _real_seconds_until(self, moment: datetime | None, now: datetime) -> float | None:
        """Real seconds until the virtual ``moment`` on the running clock (None: frozen or unknown)."""
        speed = self.clock.speed
        if moment is None or speed <= 0:
            return None
        return max((moment - now).total_seconds() / speed, 0.0)

    def _webhook_tick(self) -> None:
        """The delivery thread's periodic look: a running clock may have finished workflows."""
        if self.clock.speed > 0:
            self.sync()

    def close(self) -> None:
        """Stop background work (the webhook delivery thread). Call without holding the lock."""
        self.webhooks.close(wait=5.0)

    def advance(self, seconds: float) -> datetime:
        """Move virtual time forward and let workflows progress accordingly."""
        with self._lock:
            self.clock.advance(seconds)
            return self.sync()

    def set_speed(self, speed: float) -> None:
        with self._lock:
            self.sync()
            self.clock.set_speed(speed)

    def set_working_hours(self, hours: WorkingHours | None) -> None:
        with self._lock:
            self.sync()
            self.config = replace(self.config, working_hours=hours)
            self.scheduler.working_hours = hours
            self.sync()

    def set_account(
        self,
        *,
        sales_navigator: bool | None = None,
        seat: Seat | None = None,
        searching_allowed: bool | None = None,
        job_search: JobSearch | None = None,
    ) -> None:
        with self._lock:
            if job_search is not None and job_search not in JOB_SEARCH_VERSIONS:
                raise ValueError("jobSearch must be 'any', 'classic' or 'ai'")
            if searching_allowed is not None:
                self.config = replace(self.config, searching_allowed=searching_allowed)
                self.world.searching_allowed = searching_allowed
            if job_search is not None:
                self.config = replace(self.config, job_search=job_search)
                self.world.job_search = job_search
            if sales_navigator is not None:
                self.config = replace(self.config, sales_navigator=sales_navigator)
                self.world.sales_navigator = sales_navigator
            if seat is not None:
                if seat not in ("core", "plus"):
                    raise ValueError("seat must be 'core' or 'plus'")
                self.config = replace(self.config, seat=seat)

    def inject_message(self, person_url: str, text: str) -> dict[str, Any]:
        with self._lock:
            result: dict[str, Any] = self.world.inject_incoming_message(person_url, text, self.sync())
            self.sync()  # announce it (webhooks) now, not at the next request
            return result

    def inject_invitation(self, person_url: str, note: str | None = None) -> dict[str, Any]:
        with self._lock:
            result: dict[str, Any] = self.world.inject_invitation(person_url, self.sync(), note)
            self.sync()
            return result

    def samples(self) -> dict[str, Any]:
        with self._lock:
            samples: dict[str, Any] = self.world.samples(self.sync())
            return samples

    def workflows(self) -> list[dict[str, Any]]:
        with self._lock:
            self.sync()
            return [record.describe() for record in self.scheduler.all()]

    def sign_out(self) -> None:
        """Fail every unfinished workflow with ``linkedinAccountSignedOut``."""
        with self._lock:
            self.scheduler.sign_out(self.clock.now())

    def identification_token_for_admin(self) -> str:
        # Only a pinned token is a real credential; otherwise any token works, so show a stand-in.
        if self.admin.regenerated_token:
            return self.admin.regenerated_token
        return self.config.identification_token or "sandbox-identification-token"

    # -- auth ---------------------------------------------------------------------------------------
    def check_tokens(self, request: Request, *, admin_api: bool) -> None:
        _check_token(request, "linked-api-token", "LinkedApiToken", self.config.linked_api_token)
        if not admin_api:
            expected = self.admin.regenerated_token or self.config.identification_token
            _check_token(request, "identification-token", "IdentificationToken", expected)


def _check_token(request: Request, header: str, suffix: str, expected: str | None) -> None:
    value = request.headers.get(header)
    name = suffix[0].lower() + suffix[1:]
    # An empty (or blank) header is a missing token, as the official SDK expects: it sends the
    # header empty when no token is configured and maps that to ``*TokenRequired``.
    if value is None or not value.strip():
        raise SandboxRequestError(f"{name}Required", TOKEN_MESSAGES[f"{name}Required"], 401)
    if expected is not None and value != expected:
        raise SandboxRequestError(f"invalid{suffix}", TOKEN_MESSAGES[f"invalid{suffix}"], 401)


