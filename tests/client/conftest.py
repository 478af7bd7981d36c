"""Shared fixtures for the client tests: a fake clock the retry policy sleeps on."""

from __future__ import annotations

import random

import pytest

from linkedapi_mcp.client import RetryPolicy

# A fixed wall-clock "now" (2027-01-15 08:00:00 UTC) for Retry-After HTTP dates.
WALL_NOW = 1_800_000_000.0


class NoJitter(random.Random):
    """A random source whose jitter is always zero, so backoff delays are exact."""

    def random(self) -> float:
        return 0.0


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy(fake_clock: FakeClock) -> RetryPolicy:
    return RetryPolicy(clock=fake_clock, sleep=fake_clock.sleep, wall_clock=lambda: WALL_NOW, rng=NoJitter())
