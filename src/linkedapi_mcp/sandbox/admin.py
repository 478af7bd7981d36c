"""The Admin API (``POST /admin/<resource>.<action>``): subscription, accounts, limits, webhook.

Handlers take the parsed body and return the ``result`` (``None`` for void calls) or raise
:class:`SandboxRequestError`. The sandbox has exactly one connected account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .adminstate import RATE_LIMIT_MESSAGE
from .clock import format_time
from .errors import SandboxRequestError
from .webhooks import (
    EVENT_TYPES,
    PAYLOAD_MODES,
    check_events,
    check_headers,
    check_url,
    payload_error,
)

if TYPE_CHECKING:
    from .state import SandboxState as Sandbox

__all__ = ["RATE_LIMIT_MESSAGE", "handle"]

# Contract §2.9. [INFERRED] limits.set/delete with another category answer invalidRequestPayload.
LIMIT_CATEGORIES = (
    "stPersonProfileViews",
    "stCompanyPageViews",
    "stConnectionRequests",
    "stMessages",
    "stSearchQueries",
    "stReactions",
    "stComments",
    "stPosts",
    "stEndorsements",
    "nvPersonProfileViews",
    "nvCompanyPageViews",
    "nvMessages",
)

def _account_id(sandbox: Sandbox, body: dict[str, Any]) -> str:
    account_id = body.get("accountId")
    if not isinstance(account_id, str) or not account_id:
        raise SandboxRequestError("accountIdRequired", "'accountId' is missing or invalid.", 401)
    if account_id != sandbox.admin.account_id:
        raise SandboxRequestError("accountNotFound", "Account not found.", 401)
    return account_id


def _payload_error(message: str) -> SandboxRequestError:
    return SandboxRequestError("invalidRequestPayload", f"Request payload is invalid: {message}", 400)


def _limits_list(body: dict[str, Any], *, with_values: bool) -> list[dict[str, Any]]:
    limits = body.get("limits")
    if not isinstance(limits, list) or not all(isinstance(item, dict) for item in limits):
        raise _payload_error("'limits' must be an array of objects.")
    for item in limits:
        if item.get("category") not in LIMIT_CATEGORIES:
            raise _payload_error(f"unknown limit category {item.get('category')!r}.")
        if item.get("period") not in ("daily", "weekly", "monthly"):
            raise _payload_error("'period' must be daily, weekly or monthly.")
        if with_values:
            value = item.get("maxValue")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise _payload_error("'maxValue' must be an integer ≥ 0.")
    return limits


def _session(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, str]:
    session = sandbox.admin.sessions.get(str(body.get("sessionId", "")))
    if session is None:
        raise SandboxRequestError("sessionNotFound", "Connection session not found.", 404)
    return session


def handle(sandbox: Sandbox, name: str, body: dict[str, Any]) -> Any:
    """Dispatch one admin call; unknown names → 404 ``notFound`` [INFERRED]."""
    handler = _HANDLERS.get(name)
    if handler is None:
        raise SandboxRequestError("notFound", f"Unknown admin endpoint '{name}'.", 404)
    return handler(sandbox, body)


def _subscription_status(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return {"status": "active", "eligibleForTrial": False, "cancelAtPeriodEnd": False}


def _subscription_seats(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return {"seats": [{"seatType": sandbox.config.seat, "quantity": 1, "billingPeriod": "month"}]}


def _subscription_set_seats(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    quantity = body.get("quantity")
    if not isinstance(quantity, int) or not 1 <= quantity <= 1000:
        raise _payload_error("'quantity' must be an integer from 1 to 1000.")
    if body.get("seatType") not in ("core", "plus") or body.get("billingPeriod") not in ("month", "year"):
        raise _payload_error("'seatType' must be core or plus and 'billingPeriod' month or year.")
    return {"status": "complete"}


def _accounts_all(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    info = sandbox.world.account_info()
    account = {
        "id": sandbox.admin.account_id,
        "name": info["name"],
        "url": info["url"],
        "avatarUrl": None,
        "headline": info.get("headline"),
        "countryCode": info.get("countryCode", "US"),
        "identificationToken": sandbox.identification_token_for_admin(),
        "status": "active",
        "connectedAt": format_time(sandbox.clock.epoch),
    }
    pending = [
        {"sessionId": s["sessionId"], "status": s["status"]}
        for s in sandbox.admin.sessions.values()
        if s["status"] == "pending"
    ]
    return {"accounts": [account], "pendingConnectionSessions": pending}


def _accounts_disconnect(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    return None


def _accounts_reparse(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    return {"workflowId": f"wf-{sandbox.admin._uuid()}"}


def _accounts_regenerate(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    token = f"sandbox-identification-{sandbox.admin._uuid()}"
    sandbox.admin.regenerated_token = token
    return {"token": token}


def _connection_session(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    session_id = sandbox.admin._uuid()
    sandbox.admin.sessions[session_id] = {"sessionId": session_id, "status": "pending", "type": "connect"}
    return {"sessionId": session_id, "connectionLink": f"https://app.linkedapi.io/connect/{session_id}"}


def _reconnection_session(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    session_id = sandbox.admin._uuid()
    sandbox.admin.sessions[session_id] = {"sessionId": session_id, "status": "pending", "type": "reconnect"}
    return {
        "reconnectionSessionId": session_id,
        "reconnectionLink": f"https://app.linkedapi.io/connect/{session_id}",
    }


def _get_session(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return {"session": dict(_session(sandbox, body))}


def _cancel_session(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _session(sandbox, body)["status"] = "cancelled"
    return None


def _limits_defaults(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return {"limits": sandbox.world.default_limits()}


def _limits_get(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    return {"limits": sandbox.world.get_limits()}


def _limits_usage(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    return {"usage": sandbox.world.limit_usage(sandbox.clock.now())}


def _limits_set(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    sandbox.world.set_limits(_limits_list(body, with_values=True))
    return None


def _limits_delete(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    sandbox.world.delete_limits(_limits_list(body, with_values=False))
    return None


def _limits_reset(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    _account_id(sandbox, body)
    sandbox.world.reset_limits()
    return None


def _flag(body: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = body.get(name)
    if value is None and default is not None:
        return default
    if not isinstance(value, bool):
        raise payload_error(f"'{name}' must be true or false.")
    return value


def _payload_mode(body: dict[str, Any], default: str | None = None) -> str:
    mode = body.get("payloadMode")
    if mode is None and default is not None:
        return default
    if mode not in PAYLOAD_MODES:
        raise payload_error("'payloadMode' must be fat or thin.")
    return str(mode)


def _explicit(body: dict[str, Any], name: str) -> Any:
    # Contract §2.9: setHeaders/setEvents need the key, even as an explicit null.
    if name not in body:
        raise payload_error(f"'{name}' is required (null {'clears' if name == 'headers' else 'selects all'}).")
    return body[name]


def _hook(sub: Any, *, with_secret: bool = False) -> dict[str, Any]:
    return {"webhook": sub.to_json(with_secret=with_secret)}


def _webhook_set(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    url = check_url(body.get("url"))
    mode = _payload_mode(body, "fat")  # contract §2.10: fat is the default
    signing = _flag(body, "signingEnabled", False)  # [INFERRED] off unless asked for
    sub = sandbox.webhooks.create(
        url=url,
        payload_mode=mode,
        signing_enabled=signing,
        headers=check_headers(body.get("headers")),
        events=check_events(body.get("events")),
    )
    return _hook(sub, with_secret=signing)


def _webhook_get(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sub = sandbox.webhooks.subscription
    return {"webhooks": [sub.to_json()] if sub is not None else []}


def _webhook_set_payload_mode(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sub = sandbox.webhooks.get(body.get("id"))
    sub.payload_mode = _payload_mode(body)
    return _hook(sub)


def _webhook_delete(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sandbox.webhooks.delete(body.get("id"))
    return None


def _webhook_deliveries(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return {"deliveries": sandbox.webhooks.deliveries()}


def _webhook_replay(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sandbox.webhooks.replay(body.get("deliveryId"))
    return None


def _webhook_send_test(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sandbox.webhooks.send_test()
    return None


def _webhook_set_signing(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sub = sandbox.webhooks.get(body.get("id"))
    sub.signing_enabled = _flag(body, "signingEnabled")
    return _hook(sub, with_secret=sub.signing_enabled)  # SDK 1.4.7: enabling returns the secret


def _webhook_set_headers(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sub = sandbox.webhooks.get(body.get("id"))
    sub.headers = check_headers(_explicit(body, "headers"))
    return _hook(sub)


def _header_name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise payload_error("'name' is required.")
    return name


def _webhook_set_header(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sub = sandbox.webhooks.get(body.get("id"))
    sub.headers = check_headers({**sub.headers, **{_header_name(body): body.get("value")}})
    return _hook(sub)


def _webhook_delete_header(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sub = sandbox.webhooks.get(body.get("id"))
    name = _header_name(body).lower()
    # [INFERRED] deleting a header that is not set is not an error.
    sub.headers = {k: v for k, v in sub.headers.items() if k.lower() != name}
    return _hook(sub)


def _webhook_reveal_secret(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return _hook(sandbox.webhooks.get(body.get("id")), with_secret=True)


def _webhook_rotate_secret(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return _hook(sandbox.webhooks.rotate_secret(body.get("id")), with_secret=True)


def _webhook_set_events(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    sub = sandbox.webhooks.get(body.get("id"))
    sub.events = check_events(_explicit(body, "events"))
    return _hook(sub)


def _webhook_event_types(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return {"eventTypes": list(EVENT_TYPES)}


_HANDLERS: dict[str, Callable[[Sandbox, dict[str, Any]], Any]] = {
    "subscription.getStatus": _subscription_status,
    "subscription.getSeats": _subscription_seats,
    "subscription.setSeats": _subscription_set_seats,
    "accounts.getAll": _accounts_all,
    "accounts.disconnect": _accounts_disconnect,
    "accounts.reparseAccountInfo": _accounts_reparse,
    "accounts.regenerateIdentificationToken": _accounts_regenerate,
    "accounts.createConnectionSession": _connection_session,
    "accounts.createReconnectionSession": _reconnection_session,
    "accounts.getConnectionSession": _get_session,
    "accounts.cancelConnectionSession": _cancel_session,
    "limits.getDefaults": _limits_defaults,
    "limits.get": _limits_get,
    "limits.getUsage": _limits_usage,
    "limits.set": _limits_set,
    "limits.delete": _limits_delete,
    "limits.resetToDefaults": _limits_reset,
    "webhook.set": _webhook_set,
    "webhook.get": _webhook_get,
    "webhook.setPayloadMode": _webhook_set_payload_mode,
    "webhook.delete": _webhook_delete,
    "webhook.deliveries": _webhook_deliveries,
    "webhook.replayDelivery": _webhook_replay,
    "webhook.sendTest": _webhook_send_test,
    "webhook.setSigning": _webhook_set_signing,
    "webhook.setHeaders": _webhook_set_headers,
    "webhook.setHeader": _webhook_set_header,
    "webhook.deleteHeader": _webhook_delete_header,
    "webhook.revealSecret": _webhook_reveal_secret,
    "webhook.rotateSecret": _webhook_rotate_secret,
    "webhook.setEvents": _webhook_set_events,
    "webhook.eventTypes": _webhook_event_types,
}
