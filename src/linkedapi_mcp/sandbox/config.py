"""Sandbox settings: tokens, seat, working hours and timing knobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Seat = Literal["core", "plus"]
# [INFERRED] LinkedIn runs two job-search interfaces: the classic one (``filter``) and the
# AI-powered one (``preferences``, ``allowSimilarResults``). "any" applies whatever is sent.
JobSearch = Literal["any", "classic", "ai"]
JOB_SEARCH_VERSIONS: tuple[str, ...] = ("any", "classic", "ai")
OffHoursPolicy = Literal["park", "reject"]

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingHours:
    """When the account may run workflows (local time of ``timezone``).

    ``policy="park"`` keeps new workflows ``pending`` (``pendingReason: outsideWorkingHours``)
    until the hours open; ``"reject"`` refuses them at start with ``outsideWorkingHours``.
    ``max_wait_seconds`` (virtual) fails a parked workflow with ``workingHoursWaitExpired``.
    """

    timezone: str = "UTC"
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    start: time = time(9, 0)
    end: time = time(17, 0)
    policy: OffHoursPolicy = "park"
    max_wait_seconds: float | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        if not self.start < self.end:
            raise ValueError("working hours must start before they end")
        if any(not 0 <= day <= 6 for day in self.days):
            raise ValueError("days are 0 (Monday) … 6 (Sunday)")
        if self.policy not in ("park", "reject"):
            raise ValueError("policy must be 'park' or 'reject'")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, self.zone).astimezone(UTC),
            datetime.combine(day, self.end, self.zone).astimezone(UTC),
        )

    def is_open(self, at: datetime) -> bool:
        return self.next_open(at) == at

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else the next opening instant (UTC); ``None`` if never."""
        local_day = at.astimezone(self.zone).date()
        for offset in range(8):
            day = local_day + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opens, closes = self._window(day)
            if opens <= at < closes:
                return at
            if opens > at:
                return opens
        return None

    def opening_message(self, opens: datetime) -> str:
        # [INFERRED] day of month zero-padded, as in every example ("Aug 10", "Aug 24").
        local = opens.astimezone(self.zone)
        return (
            "This workflow is scheduled and will start when the account working hours open at "
            f"{local:%a, %b %d, %H:%M} ({self.timezone})."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "days": [_DAY_NAMES[day] for day in self.days],
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "policy": self.policy,
            "maxWaitSeconds": self.max_wait_seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkingHours:
        """Read the ``/_sandbox/working-hours`` body; raises ``ValueError`` with a short reason."""
        known = {"timezone", "days", "start", "end", "policy", "maxWaitSeconds"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        if "timezone" in data:
            kwargs["timezone"] = str(data["timezone"])
        if "days" in data:
            kwargs["days"] = tuple(_parse_day(day) for day in data["days"])
        if "start" in data:
            kwargs["start"] = time.fromisoformat(str(data["start"]))
        if "end" in data:
            kwargs["end"] = time.fromisoformat(str(data["end"]))
        if "policy" in data:
            kwargs["policy"] = data["policy"]
        if data.get("maxWaitSeconds") is not None:
            kwargs["max_wait_seconds"] = float(data["maxWaitSeconds"])
        return cls(**kwargs)


def parse_working_hours(text: str) -> WorkingHours:
    """The ``--working-hours`` flag: ``[DAYS] HH:MM-HH:MM [TIMEZONE] [park|reject]``.

    ``DAYS`` is a list or range of day names (``mon-fri``, ``mon,wed,fri``; default Monday to
    Friday); a JSON object (the ``/_sandbox/working-hours`` body) is accepted too.
    """
    text = text.strip()
    if text.startswith("{"):
        import json

        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("working hours must be a JSON object")
        return WorkingHours.from_json(data)
    kwargs: dict[str, Any] = {}
    for part in text.split():
        lowered = part.lower()
        if lowered in ("park", "reject"):
            kwargs["policy"] = lowered
        elif part[:1].isdigit() and "-" in part:
            start, _, end = part.partition("-")
            kwargs["start"], kwargs["end"] = time.fromisoformat(start), time.fromisoformat(end)
        elif lowered[:3] in _DAY_NAMES:
            kwargs["days"] = _parse_days(lowered)
        else:
            kwargs["timezone"] = part
    if "start" not in kwargs:
        raise ValueError("working hours need a time range such as 09:00-17:00")
    return WorkingHours(**kwargs)


def _parse_days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for item in text.split(","):
        first, _, last = item.partition("-")
        lo = _parse_day(first)
        hi = _parse_day(last) if last else lo
        span = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
        days.extend(day for day in span if day not in days)
    return tuple(days)


def _parse_day(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    name = str(value).strip().lower()[:3]
    if name not in _DAY_NAMES:
        raise ValueError(f"unknown day {value!r}")
    return _DAY_NAMES.index(name)


@dataclass
class SandboxConfig:
    """Everything a sandbox run is built from (``reset`` keeps it, except an optional new seed)."""

    seed: int = 42
    speed: float = 1.0
    epoch: datetime | str | None = None  # None → clock.DEFAULT_EPOCH; "now" → real time
    sales_navigator: bool = True
    seat: Seat = "plus"
    # [INFERRED] False makes every search action fail with ``searchingNotAllowed`` (LinkedIn's
    # commercial-use limit on search).
    searching_allowed: bool = True
    job_search: JobSearch = "any"
    # None accepts any non-empty token; a string pins the one accepted value (so the
    # "invalid token" errors can be reproduced against a real client).
    linked_api_token: str | None = None
    identification_token: str | None = None
    # [INFERRED] no working hours by default: the account works around the clock.
    working_hours: WorkingHours | None = None
    # [INFERRED] virtual seconds between acceptance and the start of the first workflow in line,
    # so a client can observe "pending" before "running".
    start_delay_seconds: float = 2.0
    admin_rate_limit: int = 100
    admin_rate_window_seconds: float = 60.0
    # Webhook deliveries (webhooks.py). Contract §2.10: up to 8 attempts with exponential backoff.
    # [INFERRED] the backoff runs in *real* seconds (a delivery goes to a real server) and starts
    # small (0.2 s, doubling, capped at 5 s) so that a test sees a full retry cycle in seconds.
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 0.2
    webhook_retry_max_seconds: float = 5.0
    webhook_timeout_seconds: float = 10.0
    # [INFERRED] while a webhook is set and the clock runs, the state is synced this often (real
    # seconds), so that completions are announced without a request to the sandbox.
    webhook_sync_seconds: float = 0.2
    # The Account API generation served at /account/* (account_api.py): the vocabulary of origin
    # document 000 (later: completed/running/failed) or 002 (earlier: complete/processing/error).
    account_api: str = "000"
    extra: dict[str, Any] = field(default_factory=dict)
