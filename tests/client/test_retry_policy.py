"""The retry decision, Retry-After parsing and backoff, as pure functions (no HTTP, no sleeping)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from linkedapi_mcp.client import (
    AuthenticationError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryPolicy,
    UpstreamUnavailableError,
)
from linkedapi_mcp.client.retry import Decision, Fault, Outcome, backoff, classify, parse_retry_after

NOW = 1_800_000_000.0

START = ("POST", "/workflows")
IDEMPOTENT = [
    ("GET", "/workflows/wf-1"),
    ("DELETE", "/workflows/wf-1"),
    ("GET", "/account"),
    ("GET", "/stats/actions?start=a&end=b"),
    ("POST", "/conversations/poll"),
    ("POST", "/inbox/poll"),
    ("POST", "/network/poll"),
]
MAY_HAVE_REACHED_SERVER = [Fault.TIMEOUT, Fault.DROPPED, Fault.HTTP_ERROR, Fault.MALFORMED]


@pytest.mark.parametrize(("method", "path"), IDEMPOTENT)
@pytest.mark.parametrize("fault", [Fault.CONNECT, *MAY_HAVE_REACHED_SERVER])
def test_idempotent_requests_retry_every_transient_fault(method: str, path: str, fault: Fault) -> None:
    decision = classify(method, path, Outcome(fault, detail="X"))
    assert decision.retry
    assert isinstance(decision.final_error, UpstreamUnavailableError)
    assert decision.final_error.type == "httpError"


def test_a_start_is_retried_when_the_connection_was_never_made() -> None:
    decision = classify(*START, Outcome(Fault.CONNECT, detail="ConnectError"))
    assert decision.retry
    assert isinstance(decision.final_error, UpstreamUnavailableError)


@pytest.mark.parametrize("fault", MAY_HAVE_REACHED_SERVER)
def test_a_start_that_may_have_reached_the_server_is_never_retried(fault: Fault) -> None:
    decision = classify(*START, Outcome(fault, status=503 if fault is Fault.HTTP_ERROR else None))
    assert decision == Decision(False, None, decision.final_error)
    assert isinstance(decision.final_error, OutcomeUnknownError)
    assert "may or may not have been created" in decision.final_error.message
    assert "recent workflows" in decision.final_error.message


def test_a_rate_limited_start_is_left_to_the_caller() -> None:
    decision = classify(*START, Outcome(Fault.RATE_LIMITED, status=429, retry_after=3.0))
    assert not decision.retry
    assert isinstance(decision.final_error, RateLimitedError)
    assert decision.final_error.retry_after == 3.0


@pytest.mark.parametrize(("method", "path"), IDEMPOTENT)
def test_rate_limited_reads_wait_for_retry_after(method: str, path: str) -> None:
    decision = classify(method, path, Outcome(Fault.RATE_LIMITED, status=429, retry_after=7.0))
    assert decision.retry
    assert decision.delay == 7.0


@pytest.mark.parametrize(("method", "path"), [START, *IDEMPOTENT])
def test_an_error_envelope_is_the_servers_final_word(method: str, path: str) -> None:
    error = AuthenticationError("invalidLinkedApiToken", "The provided 'linked-api-token' is invalid.")
    decision = classify(method, path, Outcome(Fault.API_ERROR, status=401, error=error))
    assert decision == Decision(False, None, error)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20", 20.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("61", 61.0),  # over the cap is reported as is; the policy refuses it
        ("-10", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Fri, 15 Jan 2027 08:00:05 GMT", 5.0),
        ("Fri, 15 Jan 2027 07:59:00 GMT", 0.0),  # a date in the past: go now
        ("Fri, 32 Jan 2027 08:00:05 GMT", None),
        ("123456789012345678901234567890123", 1.2345678901234568e32),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(value: str | None, expected: float | None) -> None:
    assert datetime.fromtimestamp(NOW, UTC) == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert parse_retry_after(value, NOW) == expected


def test_retry_after_dates_built_by_the_standard_library_parse() -> None:
    header = format_datetime(datetime.fromtimestamp(NOW + 42, UTC), usegmt=True)
    assert parse_retry_after(header, NOW) == 42.0


class _Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (30, 8.0)]
)
def test_backoff_doubles_from_half_a_second_up_to_eight(attempt: int, expected: float) -> None:
    assert backoff(attempt, _Fixed(0.0)) == expected


def test_backoff_jitter_shortens_a_wait_by_at_most_a_quarter() -> None:
    assert backoff(3, _Fixed(0.999999)) == pytest.approx(1.5, abs=1e-5)
    rng = random.Random(7)
    for attempt in range(1, 8):
        delay = backoff(attempt, rng)
        full = min(0.5 * 2 ** (attempt - 1), 8.0)
        assert 0.75 * full <= delay <= full


def test_the_policy_refuses_a_retry_after_beyond_its_cap() -> None:
    policy = RetryPolicy(rng=_Fixed(0.0))
    decision = Decision(True, 61.0, RateLimitedError(retry_after=61.0))
    assert policy.wait_before_retry(decision, attempt=1, deadline=None) is None
    assert policy.wait_before_retry(Decision(True, 60.0, decision.final_error), 1, None) == 60.0


def test_the_policy_never_plans_a_wait_that_ends_past_the_deadline() -> None:
    policy = RetryPolicy(clock=lambda: 100.0, rng=_Fixed(0.0))
    decision = Decision(True, None, UpstreamUnavailableError("httpError", "x"))
    assert policy.wait_before_retry(decision, attempt=3, deadline=102.0) == 2.0
    assert policy.wait_before_retry(decision, attempt=3, deadline=101.9) is None
    assert policy.wait_before_retry(decision, attempt=5, deadline=None) is None  # attempts used up
