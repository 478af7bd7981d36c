"""What every backend client shares: one ``httpx.AsyncClient`` and one way to make an attempt.

:class:`HttpApiClient` is the common base of :class:`~linkedapi_mcp.client.http.LinkedApiClient`
(and so of the Account API client) and of
:class:`~linkedapi_mcp.client.captaindata.CaptainDataClient`. It owns the connection (base URL,
transport, limits, time-outs, auth, secrets to scrub), the retry loop and the single attempt:
the attempt's overall deadline, its per-phase time-outs shrunk to the caller's deadline, and the
classification of a transport failure (:func:`transport_fault`: did the request possibly reach
upstream?). What an answer *means* is each API's own business: a subclass passes a ``read``
function that turns an ``httpx.Response`` into a result or an :class:`Outcome`, and
``RetryPolicy`` decides on the outcome (a start that may have been received is never re-sent).

Secrets: nothing here logs headers or bodies; a transport exception is reduced to its class name
inside the ``except`` block, so no token can leak via ``__cause__`` (see ``RetryPolicy.run``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx

from linkedapi_mcp.client import tls
from linkedapi_mcp.client.retry import Fault, Outcome, RetryPolicy, parse_retry_after

logger = logging.getLogger("linkedapi_mcp.client")

T = TypeVar("T")

# [INFERRED] Linked API answers every main endpoint immediately (workflows run asynchronously,
# §3), so 30 s to read is generous; 5 s to connect keeps a dead network from eating the deadline.
# Captain Data's launch and reads answer immediately too (its jobs run asynchronously).
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A per-attempt timeout is shrunk to the time left before the caller's deadline, but never below
# this floor, so a nearly-expired deadline still gets one honest attempt.
MIN_ATTEMPT_TIMEOUT = 1.0
# [INFERRED] httpx time-outs apply per phase and between chunks, so an upstream that trickles one
# byte a second never trips them. Every attempt therefore also has an overall deadline: this
# much by default (the read time-out plus the connect time-out), less when the caller's deadline
# is nearer.
DEFAULT_ATTEMPT_DEADLINE = 35.0
# Status GETs of waiting calls in flight at once, per client (the rest wait in a FIFO of ours).
# [hand-written, issue 14] httpcore's pool compares every queued request with every connection on
# each change, so with hundreds of waiting calls' GETs queued behind its connection limit the
# event loop spent most of its time there, and a quick call's own request waited in the same
# queue (docs/benchmarks.md, "HTTP"). Status GETs pass this gate and starts the next; direct reads
# (and everything else) go straight to the pool, which then always has free connections for them
# (httpx's default limit is 100; the two lanes together hold at most 64).
STATUS_LANE = 16
# Starts in flight at once, per client: a burst of hundreds of new tool calls queues here too, not
# in the pool. A start that finds no slot before its attempt's deadline was never sent (safe to
# retry). [INFERRED] 48: Linked API answers a start in well under a second, so 48 at once is more
# than a single server process sends in practice.
START_LANE = 48


def mask_tokens(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every *whole* occurrence of a token by ``***``.

    Only whole tokens: a token found inside a longer run of token characters is left alone, so
    masking never rewrites parts of ordinary words (with a short token, masking its characters
    wherever they appear would spell the token out).
    """
    for secret in secrets:
        pattern = r"(?<![A-Za-z0-9_.~+/=-])" + re.escape(secret) + r"(?![A-Za-z0-9_.~+/=-])"
        text = re.sub(pattern, "***", text)
    return text


def transport_fault(exc: httpx.RequestError) -> Fault:
    """How far a request that failed in transport may have got (what makes a retried start safe)."""
    # Only failures that happen before a byte is written count as CONNECT: that is what makes a
    # retried start safe. PoolTimeout = no free connection yet; UnsupportedProtocol = bad base URL.
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol):
        return Fault.CONNECT
    if isinstance(exc, httpx.TimeoutException):
        return Fault.TIMEOUT
    if isinstance(exc, httpx.DecodingError):  # the server answered, but the body cannot be decoded
        return Fault.MALFORMED
    # Anything else (remote protocol error, read/write error, proxy error…) may have happened
    # after the request was sent: treat it as a dropped connection.
    return Fault.DROPPED


def attempt_limits(
    timeout: httpx.Timeout, time_left: float | None, attempt_deadline: float
) -> tuple[float, httpx.Timeout]:
    """The overall deadline of one attempt and its per-phase time-outs.

    Without a caller deadline: ``attempt_deadline`` and ``timeout`` as given. With one, both are
    shrunk to the time left (never below :data:`MIN_ATTEMPT_TIMEOUT`); a phase without a limit
    gets the time left.
    """
    if time_left is None:
        return attempt_deadline, timeout
    cap = max(time_left, MIN_ATTEMPT_TIMEOUT)
    shrunk = httpx.Timeout(
        connect=_min(timeout.connect, cap),
        read=_min(timeout.read, cap),
        write=_min(timeout.write, cap),
        pool=_min(timeout.pool, cap),
    )
    return min(attempt_deadline, cap), shrunk


def _min(value: float | None, cap: float) -> float:
    return cap if value is None else min(value, cap)


class HttpApiClient:
    """The connection and the attempt loop shared by the backend clients (see the module doc).

    ``deadline`` arguments are absolute times on ``self.clock`` (the retry policy's monotonic
    clock); retries never sleep past them, and no attempt runs past them (beyond the floor).
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth,
        secrets: tuple[str, ...],
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._timeout = timeout or DEFAULT_TIMEOUT
        # The tokens live in the auth object only (its repr masks them); the client keeps them
        # to scrub server-provided text, in case a server ever echoes one.
        self._secrets = secrets
        # FIFO (anyio's waiters are a deque)
        self._lanes = {"status": anyio.Semaphore(STATUS_LANE), "start": anyio.Semaphore(START_LANE)}
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            # One TLS context for every client of the process (client/tls.py), not one each.
            verify=tls.context() if transport is None else True,
            timeout=self._timeout,
            auth=auth,
            # GET/DELETE carry Content-Type but no body, like the Linked API SDKs (§1).
            headers={**(headers or {}), "Content-Type": "application/json"},
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # The path prefix of this API's status reads (GET), which pass the status lane; None: no lane.
    status_prefix: str | None = None
    # The paths this API starts work at (POST), which pass the start lane.
    start_paths: tuple[str, ...] = ()

    def _lane(self, method: str, path: str) -> anyio.Semaphore | None:
        if method == "GET" and self.status_prefix is not None and path.startswith(self.status_prefix):
            return self._lanes["status"]
        if method == "POST" and path in self.start_paths:
            return self._lanes["start"]
        return None

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock deadlines are measured on."""
        return self.retry.clock

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def _request(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        body: Any = None,
        deadline: float | None = None,
    ) -> T:
        """One call of the API: attempts read by :meth:`_read`, whose ``parse`` builds the result."""

        def read(response: httpx.Response) -> T | Outcome:
            return self._read(response, parse)

        return await self._send(method, path, read, body=body, deadline=deadline)

    def _read(self, response: httpx.Response, parse: Callable[[Any], T]) -> T | Outcome:
        """What an answer of this API means: ``parse``'s result, or an :class:`Outcome`."""
        raise NotImplementedError

    async def _send(
        self,
        method: str,
        path: str,
        read: Callable[[httpx.Response], T | Outcome],
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
        phases: httpx.Timeout | None = None,
        attempt_deadline: float | None = None,
    ) -> T:
        """Attempt ``method path`` until ``read`` gives a result or ``RetryPolicy`` gives up.

        ``phases`` (per-phase time-outs, the client's by default) and ``attempt_deadline`` (the
        overall limit, :data:`DEFAULT_ATTEMPT_DEADLINE` by default) are one attempt's limits before
        the caller's ``deadline`` shrinks them.
        """
        attempt_no = 0
        base_phases = self._timeout if phases is None else phases
        base_deadline = DEFAULT_ATTEMPT_DEADLINE if attempt_deadline is None else attempt_deadline

        async def attempt_once(time_left: float | None) -> T | Outcome:
            nonlocal attempt_no
            attempt_no += 1
            overall, limits = attempt_limits(base_phases, time_left, base_deadline)
            return await self._attempt(method, path, read, body, headers, limits, overall, attempt_no)

        return await self.retry.run(method, path, attempt_once, deadline=deadline)

    async def _attempt(
        self,
        method: str,
        path: str,
        read: Callable[[httpx.Response], T | Outcome],
        body: Any,
        headers: Mapping[str, str] | None,
        phases: httpx.Timeout,
        overall: float,
        attempt_no: int,
    ) -> T | Outcome:
        started = self.retry.clock()
        gate = self._lane(method, path)
        if gate is not None:
            # Waiting here sends nothing: a deadline that passes in the queue is a request that
            # never left (like httpx's PoolTimeout), not one upstream may have.
            acquired = False
            with anyio.move_on_after(overall):
                await gate.acquire()
                acquired = True
            if not acquired:
                logger.debug("%s %s -> no slot within %.1fs attempt=%d", method, path, overall, attempt_no)
                return Outcome(Fault.CONNECT, detail=f"no free connection within {overall:.0f} s")
            overall = max(overall - (self.retry.clock() - started), MIN_ATTEMPT_TIMEOUT)
        try:
            with anyio.fail_after(overall):
                response = await self._http.request(method, path, json=body, headers=headers, timeout=phases)
        except TimeoutError:
            # The overall deadline of this attempt passed (e.g. an upstream trickling its answer):
            # like a read time-out, the server may have the request.
            logger.debug("%s %s -> overall deadline %.1fs passed attempt=%d", method, path, overall, attempt_no)
            return Outcome(Fault.TIMEOUT, detail=f"no complete answer within {overall:.0f} s")
        except httpx.RequestError as exc:
            # Only the class name survives: the exception object holds the request (and headers).
            detail = type(exc).__name__
            elapsed = self.retry.clock() - started
            logger.debug("%s %s -> %s attempt=%d elapsed=%.3fs", method, path, detail, attempt_no, elapsed)
            return Outcome(transport_fault(exc), detail=detail)
        finally:
            if gate is not None:
                gate.release()
        elapsed = self.retry.clock() - started
        logger.debug("%s %s -> %d attempt=%d elapsed=%.3fs", method, path, response.status_code, attempt_no, elapsed)
        return read(response)

    def _retry_after(self, response: httpx.Response) -> float | None:
        return parse_retry_after(response.headers.get("retry-after"), self.retry.wall_clock())

    def _scrub(self, text: str) -> str:
        return mask_tokens(text, self._secrets)


__all__ = [
    "DEFAULT_ATTEMPT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "MIN_ATTEMPT_TIMEOUT",
    "START_LANE",
    "STATUS_LANE",
    "HttpApiClient",
    "attempt_limits",
    "mask_tokens",
    "transport_fault",
]
