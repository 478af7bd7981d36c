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

if TYPE_CHECKING:
    from .state import SandboxState as Sandbox

__all__ = ["RATE_LIMIT_MESSAGE", "handle"]

# Contract §2.10 event types in the order the docs list them (webhook.test excluded).
EVENT_TYPES = [
    "workflow.created",
    "workflow.started",
    "workflow.completed",
    "account.active",
    "account.reconnectionRequired",
    "account.frozen",
    "account.deleted",
    "inbox.messageReceived",
    "inbox.messageSent",
    "network.connectionAccepted",
    "network.connectionAdded",
    "network.connectionRequestReceived",
]

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


def _webhook_get(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    # [INFERRED] the sandbox delivers no webhooks; it reports none configured.
    return {"webhooks": []}


def _webhook_deliveries(sandbox: Sandbox, body: dict[str, Any]) -> Any:
    return {"deliveries": []}


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
    "webhook.get": _webhook_get,
    "webhook.deliveries": _webhook_deliveries,
    "webhook.eventTypes": _webhook_event_types,
}
