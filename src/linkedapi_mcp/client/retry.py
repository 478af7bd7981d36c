"""The retry policy of the Linked API client, written down in one place.

Timing follows the Stainless clients (capped exponential backoff with jitter, ``Retry-After`` in
seconds or as an HTTP date, capped); scope follows Stripe's lesson: a request that changes the
world is retried only when it provably never reached the server. Linked API has no idempotency
key (contract §2.1), so a ``POST /workflows`` that may have been accepted is never re-sent.

| outcome (``Fault``)                     | GET / DELETE / idempotent POST polls | POST /workflows (start)          |
| --------------------------------------- | ------------------------------------ | -------------------------------- |
| CONNECT  (connect error/timeout, pool)  | retry, backoff                       | retry, backoff (never sent)      |
| TIMEOUT  (read/write timeout)           | retry, backoff                       | OutcomeUnknownError at once      |
| DROPPED  (connection dropped mid-way)   | retry, backoff                       | OutcomeUnknownError at once      |
| HTTP_ERROR (non-2xx without envelope)   | retry, Retry-After or backoff        | OutcomeUnknownError at once      |
| MALFORMED (2xx body not an envelope)    | retry, backoff                       | OutcomeUnknownError at once      |
| RATE_LIMITED (429 / tooManyRequests)    | retry, Retry-After or backoff        | RateLimitedError at once         |
| API_ERROR (envelope with a real type)   | final: the mapped error              | final: the mapped error; but a   |
|                                         |                                      | 5xx whose type is not a known    |
|                                         |                                      | refusal → OutcomeUnknownError    |

Retries stop at ``max_attempts``, when a ``Retry-After`` exceeds ``max_retry_after``, or when the
next wait would end past the caller's deadline; then the outcome's error is raised. The decision
functions are pure; the loop takes its clock, sleep and random source from the policy so tests
run on a fake clock.
"""

from __future__ import annotations

import enum
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TypeVar

import anyio

from linkedapi_mcp.client.errors import (
    LinkedApiError,
    OutcomeUnknownError,
    RateLimitedError,
    UpstreamUnavailableError,
)

logger = logging.getLogger("linkedapi_mcp.client")

T = TypeVar("T")

# [INFERRED] Stainless timing (0.5 s doubling to 8 s, ≤25 % jitter, Retry-After up to 60 s); five
# attempts (~7.5 s of waiting) ride out a short blip without hiding an outage from the agent.
# A Retry-After beyond the cap is not shortened but refused (as openai-python does): the caller
# gets RateLimitedError.retry_after and decides.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
DEFAULT_MAX_ATTEMPTS = 5

# Error types that, on ``POST /workflows``, say the start was refused and nothing was created:
# the start errors of contract §2.1 (the common errors of §7.1 plus the start-specific ones).
# [INFERRED] No source gives a 5xx status a meaning; an envelope on a 5xx whose type is not one
# of these (e.g. the sandbox's ``internalServerError``) may come from a server that failed after
# creating the workflow, so it is outcome unknown, never "nothing started".
START_REFUSALS = frozenset(
    {
        "linkedApiTokenRequired",
        "invalidLinkedApiToken",
        "identificationTokenRequired",
        "invalidIdentificationToken",
        "subscriptionRequired",
        "trialLimitReached",
        "invalidRequestPayload",
        "invalidWorkflow",
        "plusPlanRequired",
        "linkedinAccountSignedOut",
        "languageNotSupported",
        "outsideWorkingHours",
        "tooManyRequests",
    }
)

# POST endpoints that only read state Linked API already holds: safe to send twice.
IDEMPOTENT_POSTS = frozenset({"/conversations/poll", "/inbox/poll", "/network/poll"})


class Fault(enum.Enum):
    """What went wrong with one attempt, as far as retrying is concerned."""

    CONNECT = "connect"  # the request never left: connect error/timeout, pool timeout
    TIMEOUT = "timeout"  # read/write timeout: the server may have the request
    DROPPED = "dropped"  # the connection broke mid-exchange (remote protocol / read / write error)
    HTTP_ERROR = "httpError"  # non-2xx without an error envelope (proxy page, empty body)
    MALFORMED = "malformed"  # 2xx whose body is not a valid envelope / result
    RATE_LIMITED = "rateLimited"  # 429, or an envelope of type tooManyRequests
    API_ERROR = "apiError"  # an error envelope with a real type: the server's final word


@dataclass(frozen=True)
class Outcome:
    """A failed attempt. ``error`` is the mapped error of an envelope; ``detail`` is safe text."""

    fault: Fault
    status: int | None = None
    error: LinkedApiError | None = None
    retry_after: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class Decision:
    """``retry``: may be re-sent; ``delay``: the server-mandated wait (``None`` → backoff);
    ``final_error``: what to raise when not retrying or when retries run out."""

    retry: bool
    delay: float | None
    final_error: LinkedApiError


def is_idempotent(method: str, path: str) -> bool:
    method = method.upper()
    if method in ("GET", "HEAD", "DELETE"):  # DELETE /workflows/{id}: cancelling twice is harmless
        return True
    return method == "POST" and path.split("?", 1)[0] in IDEMPOTENT_POSTS


def classify(method: str, path: str, outcome: Outcome) -> Decision:
    """Decide whether a failed attempt may be retried, and what to raise otherwise."""
    idempotent = is_idempotent(method, path)
    fault = outcome.fault
    # [INFERRED] As in the official SDK's poll loop (contract §1.2 point 4), an error envelope with
    # a real type is final even on a 5xx; only envelope-less faults and rate limits are transient.
    # A malformed 2xx is also retried for reads (a proxy glitch), never for a start.
    if fault is Fault.API_ERROR:
        assert outcome.error is not None
        status = outcome.status
        if not idempotent and status is not None and status >= 500 and outcome.error.type not in START_REFUSALS:
            detail = f"HTTP {status} with error {outcome.error.type!r}"
            return Decision(False, None, OutcomeUnknownError(detail, http_status=status))
        return Decision(False, None, outcome.error)
    if fault is Fault.RATE_LIMITED:
        base = outcome.error
        error = RateLimitedError(
            base.type if base else "tooManyRequests",
            base.message if base else "Linked API is rate limiting requests; try again later.",
            http_status=outcome.status,
            retry_after=outcome.retry_after,
        )
        # A 429 on a start means nothing was created, but the caller decides whether to re-send.
        return Decision(idempotent, outcome.retry_after, error)
    if fault is Fault.CONNECT:
        return Decision(True, None, _unavailable(outcome, "could not connect to Linked API"))
    if not idempotent:
        return Decision(False, None, OutcomeUnknownError(_describe(outcome), http_status=outcome.status))
    delay = outcome.retry_after if fault is Fault.HTTP_ERROR else None
    return Decision(True, delay, _unavailable(outcome, _describe(outcome)))


def _describe(outcome: Outcome) -> str:
    what = {
        Fault.CONNECT: "could not connect",
        Fault.TIMEOUT: "the request timed out",
        Fault.DROPPED: "the connection was dropped",
        Fault.HTTP_ERROR: "Linked API answered with an error page",
        Fault.MALFORMED: "Linked API answered with a malformed body",
    }.get(outcome.fault, outcome.fault.value)
    return f"{what}: {outcome.detail}" if outcome.detail else what


def _unavailable(outcome: Outcome, text: str) -> UpstreamUnavailableError:
    if outcome.detail and outcome.detail not in text:
        text = f"{text}: {outcome.detail}"
    return UpstreamUnavailableError("httpError", f"Linked API is unavailable ({text}).", http_status=outcome.status)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date; ``now`` = epoch).

    Returns ``None`` for a missing, negative, non-finite or unparsable value (→ use backoff);
    a date in the past gives ``0.0``. Capping is the policy's job, not this function's.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def backoff(
    attempt: int,
    rng: random.Random,
    *,
    initial: float = INITIAL_RETRY_DELAY,
    cap: float = MAX_RETRY_DELAY,
) -> float:
    """Wait before retry number ``attempt`` (1-based): ``min(initial·2^(n-1), cap)`` minus ≤25 % jitter."""
    base: float = min(initial * 2.0 ** max(attempt - 1, 0), cap)
    return base * (1 - 0.25 * rng.random())


async def _default_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


@dataclass
class RetryPolicy:
    """Limits plus the clock, sleep and randomness the retry loop uses (all injectable).

    The loop is ours rather than ``stamina``'s: each wait depends on the failed attempt
    (``Retry-After``), waits must never end past a caller's deadline, and tests need a fake clock
    *and* the exact waits — stamina's testing mode can only switch waiting off.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = _default_sleep
    rng: random.Random = field(default_factory=random.Random)

    def wait_before_retry(self, decision: Decision, attempt: int, deadline: float | None) -> float | None:
        """Seconds to sleep before the next attempt, or ``None`` to give up (``attempt`` = 1-based
        number of the attempt that just failed)."""
        if not decision.retry or attempt >= self.max_attempts:
            return None
        if decision.delay is not None:
            if decision.delay > self.max_retry_after:
                return None
            delay = decision.delay
        else:
            delay = backoff(attempt, self.rng, initial=self.initial_delay, cap=self.max_delay)
        if deadline is not None and self.clock() + delay > deadline:
            return None  # never sleep past the caller's deadline
        return delay

    async def run(
        self,
        method: str,
        path: str,
        attempt_once: Callable[[float | None], Awaitable[T | Outcome]],
        *,
        deadline: float | None = None,
    ) -> T:
        """Call ``attempt_once(time_left)`` until it succeeds or the policy gives up.

        The final error is raised here, outside any ``except`` block, so it never chains the
        transport exception (which holds the request and its auth headers).
        """
        attempt = 0
        while True:
            attempt += 1
            time_left = None if deadline is None else deadline - self.clock()
            result = await attempt_once(time_left)
            if not isinstance(result, Outcome):
                return result
            decision = classify(method, path, result)
            delay = self.wait_before_retry(decision, attempt, deadline)
            if delay is None:
                logger.debug("%s %s: giving up after attempt %d (%s)", method, path, attempt, result.fault.value)
                raise decision.final_error
            logger.debug(
                "%s %s: attempt %d failed (%s), retrying in %.2fs",
                method,
                path,
                attempt,
                result.fault.value,
                delay,
            )
            await self.sleep(delay)


__all__ = [
    "IDEMPOTENT_POSTS",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "START_REFUSALS",
    "Decision",
    "Fault",
    "Outcome",
    "RetryPolicy",
    "backoff",
    "classify",
    "is_idempotent",
    "parse_retry_after",
]
