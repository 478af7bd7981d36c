"""``linkedapi-mcp webhooks setup``: subscribe the Linked API account to push to this server.

Admin API (contract §2.9): ``webhook.set`` with the server's ``/webhooks/linkedapi`` URL, the fat
payload mode and signing on, for the events the server uses; then the signing secret (from the
answer, or ``webhook.revealSecret``) is printed once, for ``LINKEDAPI_MCP_WEBHOOK_SECRET``. The
Admin API takes the Linked API token only (from ``LINKED_API_TOKEN``, never a flag).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import httpx

from linkedapi_mcp.server.webhooks import PATH

EVENTS = [
    "workflow.completed",
    "inbox.messageReceived",
    "inbox.messageSent",
    "network.connectionAccepted",
    "network.connectionAdded",
    "network.connectionRequestReceived",
]


class SetupError(Exception):
    pass


def _admin(client: httpx.Client, action: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(f"/admin/{action}", json=body)
    try:
        envelope = answer.json()
    except ValueError:
        raise SetupError(f"Linked API answered {action} with HTTP {answer.status_code} and no JSON.") from None
    if not isinstance(envelope, dict) or not envelope.get("success"):
        error = envelope.get("error") if isinstance(envelope, dict) else None
        kind = error.get("type") if isinstance(error, dict) else "unknownError"
        message = error.get("message") if isinstance(error, dict) else ""
        raise SetupError(f"Linked API refused {action}: [{kind}] {message}")
    result = envelope.get("result")
    return result if isinstance(result, dict) else {}


def setup(
    base_url: str, linked_api_token: str, public_url: str, *, payload_mode: str = "fat", replace: bool = False
) -> str:
    """Subscribe; returns the signing secret. Running it again is harmless: the existing
    subscription for this URL is brought to the same settings and keeps its secret. One for
    another URL (Linked API allows one per client) is replaced only with ``replace``."""
    url = public_url.rstrip("/") + PATH
    with httpx.Client(base_url=base_url, headers={"linked-api-token": linked_api_token}, timeout=30.0) as client:
        existing = [h for h in _admin(client, "webhook.get", {}).get("webhooks", []) if isinstance(h, dict)]
        hook: dict[str, Any] = existing[0] if existing else {}
        if hook and hook.get("url") != url:
            if not replace:
                raise SetupError(
                    f"The account already delivers webhooks to {hook.get('url')}; pass --replace to point it here "
                    "(that stops the deliveries there)."
                )
            _admin(client, "webhook.delete", {"id": hook["id"]})
            hook = {}
        if not hook:
            hook = _admin(
                client,
                "webhook.set",
                {"url": url, "payloadMode": payload_mode, "signingEnabled": True, "events": EVENTS},
            ).get("webhook", {})
        else:
            hook_id = hook["id"]
            _admin(client, "webhook.setPayloadMode", {"id": hook_id, "payloadMode": payload_mode})
            _admin(client, "webhook.setEvents", {"id": hook_id, "events": EVENTS})
            if not hook.get("signingEnabled"):
                hook = _admin(client, "webhook.setSigning", {"id": hook_id, "signingEnabled": True}).get("webhook", {})
        secret = hook.get("secret")
        if not secret and hook.get("id"):
            secret = _admin(client, "webhook.revealSecret", {"id": hook["id"]}).get("webhook", {}).get("secret")
    if not isinstance(secret, str) or not secret:
        raise SetupError("Linked API did not return a signing secret for the webhook.")
    return secret


def run(args: argparse.Namespace) -> int:
    from linkedapi_mcp.settings import DEFAULT_BASE_URL

    token = os.environ.get("LINKED_API_TOKEN", "").strip()
    public_url = args.public_url or os.environ.get("LINKEDAPI_MCP_PUBLIC_URL", "")
    if not token:
        print("linkedapi-mcp: set LINKED_API_TOKEN (the Admin API takes it alone).", file=sys.stderr)
        return 2
    if not public_url:
        print("linkedapi-mcp: pass --public-url (the URL Linked API will deliver to).", file=sys.stderr)
        return 2
    base_url = os.environ.get("LINKED_API_BASE_URL", DEFAULT_BASE_URL)
    try:
        secret = setup(base_url, token, public_url, payload_mode=args.payload_mode, replace=args.replace)
    except (SetupError, httpx.HTTPError) as exc:
        print(f"linkedapi-mcp: {exc}", file=sys.stderr)
        return 1
    print(secret)
    print(
        f"(deliveries go to {public_url.rstrip('/')}{PATH}; set LINKEDAPI_MCP_WEBHOOK_SECRET to the line above "
        "on every replica — it is shown once)",
        file=sys.stderr,
    )
    return 0


__all__ = ["EVENTS", "SetupError", "run", "setup"]
