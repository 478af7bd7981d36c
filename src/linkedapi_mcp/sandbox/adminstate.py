"""The admin API's own state: the account id, connection sessions, the regenerated token, and the
admin rate limiter. Kept apart from the handlers (:mod:`.admin`) so the sandbox state can own it."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable

RATE_LIMIT_MESSAGE = "Too many requests. Limit is {limit} requests per {window:g} seconds."


class AdminRateLimiter:
    """Sliding window over *real* time: a rate limit protects a real server, not virtual work."""

    def __init__(self, limit: int, window_seconds: float, monotonic: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window_seconds
        self._monotonic = monotonic
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def hit(self) -> float | None:
        """Record a call; returns seconds to wait when over the limit (the call is not counted)."""
        with self._lock:
            now = self._monotonic()
            while self._hits and self._hits[0] <= now - self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return max(self._hits[0] + self.window - now, 0.0)
            self._hits.append(now)
            return None


class AdminState:
    """Per-run admin data: the account id, connection sessions, the regenerated token."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"admin:{seed}")
        self.account_id = self._uuid()
        self.sessions: dict[str, dict[str, str]] = {}
        self.regenerated_token: str | None = None

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
