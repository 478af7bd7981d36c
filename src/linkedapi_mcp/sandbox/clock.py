"""The sandbox's virtual clock.

``now = epoch + real_elapsed * speed + manual_offset``. The default epoch of ``Sandbox(...)`` is a
fixed instant (a Monday 09:00 UTC) that keeps runs reproducible; the standalone and embedded
sandboxes start at ``"now"`` so that their world follows today's calendar; ``speed``
compresses minutes of simulated LinkedIn work into milliseconds; ``speed=0`` freezes time so
only :meth:`VirtualClock.advance` moves it (what byte-for-byte reproducible tests want).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

DEFAULT_EPOCH = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, inside common working hours


def parse_epoch(value: datetime | str | None) -> datetime:
    """``None`` → the fixed default epoch; ``"now"`` → the real current time; else an ISO instant."""
    if value is None:
        return DEFAULT_EPOCH
    if isinstance(value, datetime):
        moment = value
    elif value == "now":
        moment = datetime.now(UTC).replace(microsecond=0)
    else:
        moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix (milliseconds only when present)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


class VirtualClock:
    """Thread-safe virtual time (the standalone server runs in another thread than tests)."""

    def __init__(
        self,
        epoch: datetime = DEFAULT_EPOCH,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be ≥ 0")
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self.epoch = epoch
        self._anchor_virtual = epoch
        self._anchor_real = monotonic()
        self._speed = float(speed)

    def _now_locked(self) -> datetime:
        elapsed = (self._monotonic() - self._anchor_real) * self._speed
        return self._anchor_virtual + timedelta(seconds=elapsed)

    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Change the factor from now on; virtual time stays continuous."""
        if speed < 0:
            raise ValueError("speed must be ≥ 0")
        with self._lock:
            self._anchor_virtual = self._now_locked()
            self._anchor_real = self._monotonic()
            self._speed = float(speed)

    def advance(self, seconds: float) -> datetime:
        """Jump forward by ``seconds`` of virtual time; returns the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._anchor_virtual += timedelta(seconds=seconds)
            return self._now_locked()

    def restart(self, epoch: datetime, speed: float, *, now: datetime | None = None) -> None:
        """Start over at ``epoch`` (same object, so anyone holding the clock sees the reset); with
        ``now``, resume a clock that started at ``epoch`` and has reached ``now``."""
        if speed < 0:
            raise ValueError("speed must be ≥ 0")
        with self._lock:
            self.epoch = epoch
            self._anchor_virtual = now if now is not None else epoch
            self._anchor_real = self._monotonic()
            self._speed = float(speed)

    def snapshot(self) -> dict[str, object]:
        return {"now": format_time(self.now()), "speed": self._speed, "epoch": format_time(self.epoch)}
