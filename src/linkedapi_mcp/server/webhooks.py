"""Linked API webhook deliveries (contract §2.10) at ``POST /webhooks/linkedapi``.

A ``workflow.completed`` delivery finishes the workflow's ledger row and wakes every call waiting
on it at once, on every replica, with no further GET (fat payload: the result is in the event;
thin payload: the poller is woken to look now, one GET). ``inbox.*`` and ``network.*`` events are
recorded. Polling stays the fallback: nothing here is needed for a workflow to finish.

Checked before anything is read: the HMAC-SHA256 signature over ``"<timestamp>." + body`` with
the configured secret (``LINKEDAPI_MCP_WEBHOOK_SECRET``, used as UTF-8 text, as Linked API does),
a timestamp within 300 s of now, and the event id not seen before (replays change nothing).
Any 2xx acknowledges; a refused delivery gets 401 (bad or missing signature) or 400 (malformed),
which Linked API retries — a genuine one then succeeds, a forged one never does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from linkedapi_mcp.untrusted import clean_tree

logger = logging.getLogger("linkedapi_mcp.server")

PATH = "/webhooks/linkedapi"
SIGNATURE_HEADER = "linked-api-signature"
TIMESTAMP_HEADER = "linked-api-signature-timestamp"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 4 * 1024 * 1024  # a fat result of a large search; anything larger is not Linked API

# What the ledger side does with a checked event: returns "new" or "duplicate".
Deliver = Callable[[dict[str, Any]], Awaitable[str]]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``"<timestamp>." + body`` keyed with ``secret`` as UTF-8."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, given: str | None, body: bytes, *, now: float) -> str | None:
    """None when the delivery is authentic and fresh, else why not (for the log, never the body)."""
    if not timestamp or not given:
        return "unsigned"
    if not timestamp.isdigit():
        return "malformed timestamp"
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return "timestamp outside the 300 s window"
    if not hmac.compare_digest(signature(secret, timestamp, body), given.strip().lower()):
        return "bad signature"
    return None


def webhook_route(
    secrets: Callable[[], list[str]], deliver: Deliver, *, clock: Callable[[], float] = time.time
) -> Route:
    """The endpoint. ``secrets`` are the accepted signing secrets (several while one rotates)."""

    async def receive(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "too large"}, status_code=413)
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        given = request.headers.get(SIGNATURE_HEADER)
        reasons = [verify(s, timestamp, given, body, now=clock()) for s in secrets()]
        if not reasons or all(r is not None for r in reasons):
            logger.warning("webhook delivery refused: %s", reasons[0] if reasons else "no secret configured")
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            event = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "malformed"}, status_code=400)
        if (
            not isinstance(event, dict)
            or not isinstance(event.get("id"), str)
            or not isinstance(event.get("type"), str)
        ):
            return JSONResponse({"error": "malformed"}, status_code=400)
        outcome = await deliver(clean_tree(event))
        return JSONResponse({"received": True, "duplicate": outcome == "duplicate"})

    return Route(PATH, receive, methods=["POST"])


__all__ = ["PATH", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "signature", "verify", "webhook_route"]
