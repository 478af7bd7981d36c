"""Retry classification at its edges: what the user is told, and what is retried, in cases the
main retry tables do not reach (each found by mutation testing; the names say what would go wrong)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from linkedapi_mcp.client import (
    AccountStateError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryPolicy,
    UpstreamUnavailableError,
)
from linkedapi_mcp.client.errors import error_for
from linkedapi_mcp.client.retry import Fault, Outcome, classify, parse_retry_after

from .conftest import WALL_NOW, FakeClock, NoJitter

START = ("POST", "/workflows")


def test_a_rate_limit_without_an_error_envelope_is_reported_as_rate_limiting_with_its_status_and_wait() -> None:
    error = classify(*START, Outcome(Fault.RATE_LIMITED, status=429, retry_after=7.0)).final_error
    assert isinstance(error, RateLimitedError)
    assert (error.type, error.message) == ("tooManyRequests", "Linked API is rate limiting requests; try again later.")
    assert (error.http_status, error.retry_after) == (429, 7.0)


def test_a_rate_limit_with_an_error_envelope_keeps_linked_apis_own_type_and_words() -> None:
    daily = RateLimitedError("dailyConnectionAttemptsExceeded", "Daily connection attempts exceeded.", http_status=429)
    error = classify(*START, Outcome(Fault.RATE_LIMITED, status=429, error=daily, retry_after=60.0)).final_error
    assert isinstance(error, RateLimitedError)
    assert (error.type, error.message) == ("dailyConnectionAttemptsExceeded", "Daily connection attempts exceeded.")
    assert (error.http_status, error.retry_after) == (429, 60.0)


def test_a_start_answered_by_an_error_page_says_so_and_keeps_the_status_as_it_may_have_gone_out() -> None:
    error = classify(*START, Outcome(Fault.HTTP_ERROR, status=502, detail="HTTP 502 Bad Gateway")).final_error
    assert isinstance(error, OutcomeUnknownError)
    assert error.detail == "Linked API answered with an error page: HTTP 502 Bad Gateway"
    assert "(Linked API answered with an error page: HTTP 502 Bad Gateway)" in error.message
    assert error.http_status == 502


def test_a_connection_that_could_not_be_made_is_reported_as_linked_api_unavailable() -> None:
    error = classify("GET", "/account", Outcome(Fault.CONNECT, detail="ConnectError")).final_error
    assert isinstance(error, UpstreamUnavailableError)
    assert error.message == "Linked API is unavailable (could not connect to Linked API: ConnectError)."


@pytest.mark.parametrize("path", ["/inbox/poll?since=2027-01-15T08:00:00Z", "/network/poll?a=1?b=2"])
def test_a_poll_with_a_query_string_is_still_retried_after_a_dropped_connection(path: str) -> None:
    assert classify("POST", path, Outcome(Fault.DROPPED)).retry
    assert not classify("POST", "/workflows?poll=1", Outcome(Fault.DROPPED)).retry  # a start stays a start


@pytest.mark.parametrize(
    ("error_type", "status", "kind"),
    [
        ("invalidWorkflow", 500, InvalidRequestError),
        ("linkedinAccountSignedOut", 503, AccountStateError),
        ("invalidRequestPayload", 404, InvalidRequestError),
        ("noSuchType", 503, UpstreamUnavailableError),
    ],
)
def test_a_known_error_type_keeps_its_meaning_whatever_http_status_carried_it(
    error_type: str, status: int, kind: type
) -> None:
    # An invalid workflow answered with HTTP 500 is the user's to fix, not an outage to wait out.
    assert type(error_for(error_type, "text", http_status=status)) is kind


@pytest.fixture
def new_york() -> Iterator[None]:
    """The process's local time zone set to one that is not UTC (for naive datetimes)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        yield
    finally:
        mp.undo()
        time.tzset()


@pytest.mark.usefixtures("new_york")
def test_a_retry_after_date_without_a_zone_is_read_as_utc_whatever_the_machines_time_zone() -> None:
    # RFC 5322's "-0000" zone means "no zone given": parsedate_to_datetime returns a naive datetime.
    assert parse_retry_after("Fri, 15 Jan 2027 08:00:30 -0000", WALL_NOW) == 30.0
    assert parse_retry_after("Fri, 15 Jan 2027 08:00:30 GMT", WALL_NOW) == 30.0


def test_the_backoff_follows_the_policys_own_first_wait_and_cap() -> None:
    clock = FakeClock()
    policy = RetryPolicy(initial_delay=2.0, max_delay=3.0, max_attempts=9, clock=clock, rng=NoJitter())
    decision = classify("GET", "/account", Outcome(Fault.TIMEOUT))
    assert [policy.wait_before_retry(decision, n, None) for n in (1, 2, 3)] == [2.0, 3.0, 3.0]


def test_a_start_answered_5xx_with_an_unknown_error_is_reported_as_perhaps_sent_and_never_retried() -> None:
    server_error = error_for("internalServerError", "Internal server error.", http_status=500)
    decision = classify(*START, Outcome(Fault.API_ERROR, status=500, error=server_error))
    assert decision.retry is False
    assert isinstance(decision.final_error, OutcomeUnknownError)
    assert decision.final_error.detail == "HTTP 500 with error 'internalServerError'"
    assert decision.final_error.http_status == 500


def test_a_daily_limit_refusal_keeps_the_http_status_it_came_with() -> None:
    daily = error_for("dailyConnectionAttemptsExceeded", "Daily limit reached.", http_status=400)
    error = classify(*START, Outcome(Fault.RATE_LIMITED, status=400, error=daily)).final_error
    assert isinstance(error, RateLimitedError)
    assert error.http_status == 400
