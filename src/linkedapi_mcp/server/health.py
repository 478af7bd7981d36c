"""Liveness and readiness endpoints for hosted HTTP (issue 9, point 6).

* ``healthz`` — liveness: the process answers HTTP. Always ``200 {"status": "ok"}``; no
  authentication, no I/O, nothing about the configuration, so an orchestrator may call it as often
  as it likes and anyone may see it.
* ``readiness(check)`` — readiness: ``200 {"status": "ready"}`` when ``check`` returns ``None``,
  else ``503 {"status": "not ready", "reason": …}``. The check is the operator's async callable
  (e.g. the ledger opens, the vault key is loaded); it is bounded by a time-out so a stuck
  dependency answers 503 instead of hanging the probe.

Reasons are public: a check should return a fixed phrase ("ledger unavailable"), never an
interpolated value. As a second line of defence a reason that is long or has characters beyond
plain words (a path, a URL, a token-looking string with ``/``, ``=``, ``@``, …) is replaced with
``"not ready"``, and an exception from the check is reported as ``"check failed"`` — its message,
which may name a file or echo a token, goes nowhere (the log gets the exception's type only).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

logger = logging.getLogger("linkedapi_mcp.server")

ReadinessCheck = Callable[[], Awaitable[str | None]]
"""Returns ``None`` when ready, else a short fixed reason."""

# Probes (Kubernetes, load balancers) time out after 1–10 s; answer before they give up.
READINESS_TIMEOUT_SECONDS = 2.0
_SAFE_REASON = re.compile(r"[A-Za-z0-9 ,.;:()'-]{1,80}")
_NO_STORE = {"cache-control": "no-store"}


async def healthz(request: Request) -> Response:
    """Liveness: the process is up. No auth, no secrets, no I/O."""
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


def _public(reason: str) -> str:
    return reason if _SAFE_REASON.fullmatch(reason) else "not ready"


def readiness(
    check: ReadinessCheck, *, timeout: float = READINESS_TIMEOUT_SECONDS
) -> Callable[[Request], Awaitable[Response]]:
    """A readiness endpoint running ``check`` (within ``timeout`` seconds) on every request."""

    async def ready(request: Request) -> Response:
        reason: str | None
        try:
            with anyio.fail_after(timeout):
                reason = await check()
        except TimeoutError:
            reason = "check timed out"
        except Exception as exc:  # any failure means not ready; its message may carry secrets
            logger.warning("readiness check failed: %s", type(exc).__name__)
            reason = "check failed"
        else:
            if reason is not None:
                reason = _public(reason)
        if reason is None:
            return JSONResponse({"status": "ready"}, headers=_NO_STORE)
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503, headers=_NO_STORE)

    return ready


def health_routes(check: ReadinessCheck, *, timeout: float = READINESS_TIMEOUT_SECONDS) -> list[Route]:
    """``/healthz`` and ``/readyz`` (GET and HEAD), ready to put in front of the MCP routes."""
    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readiness(check, timeout=timeout), methods=["GET", "HEAD"]),
    ]


__all__ = ["READINESS_TIMEOUT_SECONDS", "ReadinessCheck", "health_routes", "healthz", "readiness"]
