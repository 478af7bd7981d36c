"""Account API ``hook`` deliveries at ``POST /webhooks/account/{handle}`` (docs/account-api.md).

With ``LINKEDAPI_MCP_API=account|account-002`` and ``LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING=hook``,
every start names a webhook URL of this server: ``<public URL>/webhooks/account/<handle>?sig=<mac>``,
where ``<handle>`` is the workflow's handle (minted before the POST) and ``<mac>`` the hex
HMAC-SHA256 of the handle keyed with ``LINKEDAPI_MCP_WEBHOOK_SECRET``. When the workflow ends, Linked
API POSTs its final body there; the body becomes the ``workflow.completed`` event of today's webhooks
(:func:`~linkedapi_mcp.client.account_api.hook_event`) and goes through the same intake as
``/webhooks/linkedapi`` (``Runner.deliver``): the ledger row finishes, waiting calls wake on every
replica, a re-delivery is a duplicate.

[INFERRED] Neither origin document signs hook deliveries, so authenticity rests on the URL itself:
the MAC makes each workflow's URL unguessable, and a body for a handle is only accepted with its
MAC (several secrets are accepted while one rotates, as for ``/webhooks/linkedapi``). A delivery
with a wrong or missing MAC gets 401, an unreadable body 400, and neither changes anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from linkedapi_mcp.client.account_api import HOOK_PREFIX, hook_event
from linkedapi_mcp.server.webhooks import MAX_BODY_BYTES, Deliver

if TYPE_CHECKING:
    from linkedapi_mcp.settings import Settings

logger = logging.getLogger("linkedapi_mcp.server")

PATH_PREFIX = "/webhooks/account/"


def mac(secret: str, handle: str) -> str:
    return hmac.new(secret.encode(), handle.encode(), hashlib.sha256).hexdigest()


def secrets_of(settings: Settings) -> list[str]:
    secret = settings.webhook_secret
    if secret is None:
        return []
    return [s.strip() for s in secret.get_secret_value().split(",") if s.strip()]


def client_options(settings: Settings) -> dict[str, Any]:
    """The Account API client's result-handling options from the settings (empty on ``/workflows``)."""
    if settings.api == "workflows":
        return {}
    mode = settings.account_result_handling
    if mode != "hook":
        return {"long_reads": mode == "long-reads"}
    keys = secrets_of(settings)
    if not settings.public_url or not keys:
        from linkedapi_mcp.settings import ConfigurationError

        raise ConfigurationError(
            "LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING=hook needs LINKEDAPI_MCP_PUBLIC_URL (where Linked API can "
            "reach this server) and LINKEDAPI_MCP_WEBHOOK_SECRET (it makes each workflow's webhook URL unguessable)."
        )
    base = settings.public_url.rstrip("/") + PATH_PREFIX
    signing = keys[0]  # the first secret signs; every listed one is accepted

    def hook_url(handle: str) -> str:
        return f"{base}{handle}?sig={mac(signing, handle)}"

    return {"hook_url": hook_url}


def account_hook_route(secrets: Callable[[], list[str]], deliver: Deliver) -> Route:
    async def receive(request: Request) -> Response:
        handle = request.path_params["handle"]
        given = request.query_params.get("sig", "")
        if not handle.startswith(HOOK_PREFIX) or not any(
            hmac.compare_digest(mac(key, handle), given.strip().lower()) for key in secrets()
        ):
            logger.warning("account hook delivery refused: bad or missing MAC")
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        event = hook_event(handle, payload)
        if event is None:
            return JSONResponse({"error": "malformed"}, status_code=400)
        outcome = await deliver(event)
        return JSONResponse({"received": True, "duplicate": outcome == "duplicate"})

    return Route(PATH_PREFIX + "{handle}", receive, methods=["POST"])


__all__ = ["PATH_PREFIX", "account_hook_route", "client_options", "mac"]
