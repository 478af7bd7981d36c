"""The inbox and network tools' answers: when monitoring started, what it covers, webhook events as a source.

Linked API captures inbox messages only after inbox monitoring was turned on (``sync_inbox``,
contract §2.5) and never says when that was, nor lists older conversations. This server knows
when *it* ran ``sync_inbox`` (its ledger), so ``get_inbox`` says so in ``result.monitoring`` —
or that it has no record, and what to do. When webhook deliveries of ``inbox.*`` events
(contract §2.10) were recorded from the start of monitoring (or from the asked ``since``), the
answer is built from them without calling Linked API, and the message says so; ``get_network``
likewise from recorded ``network.*`` events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from linkedapi_mcp.catalog.operations import inbox_view
from linkedapi_mcp.catalog.params import GetInboxParams, GetNetworkParams

if TYPE_CHECKING:
    from linkedapi_mcp.server.ledger import Ledger

INBOX_EVENTS = ("inbox.messageReceived", "inbox.messageSent")
NETWORK_EVENTS = ("network.connectionAccepted", "network.connectionAdded", "network.connectionRequestReceived")
MAX_EVENTS = 5000  # read at most this many recorded events for one answer; more: Linked API is asked
_SYNC_OPS: Mapping[str, str] = {"syncInbox": "st", "nvSyncInbox": "nv"}
# Event data fields that are an InboxMessage's own (contract §2.10 vs §2.5).
_MESSAGE_FIELDS = ("type", "threadId", "personUrn", "personHashedUrl", "personPublicUrl", "personUrl", "sender", "text")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


async def monitoring_started(ledger: Ledger, account: str) -> tuple[dict[str, float], dict[str, float]]:
    """When this server first saw ``sync_inbox`` / ``nv_sync_inbox`` complete on this account, by
    inbox type (``st``/``nv``) — monitoring is on from then: Linked API turns it on once — and when
    one it started is still running (not seen finished)."""
    started: dict[str, float] = {}
    running: dict[str, float] = {}
    for operation, kind in _SYNC_OPS.items():
        rows = await ledger.recent(account, limit=50, operation=operation)
        done = [row.finished_at or row.updated_at for row in rows if row.state == "completed"]
        if done:
            started[kind] = min(done)
        elif any(row.in_flight for row in rows):
            running[kind] = min(row.created_at for row in rows if row.in_flight)
    return started, running


def monitoring_text(
    started: Mapping[str, float], *, sync_tool: str | None, running: Mapping[str, float] | None = None
) -> str:
    """``result.monitoring``: since when messages are captured, and what is not covered."""
    if not started and running:
        at = min(running.values())
        return (
            f"The inbox monitoring started through this server at {_iso(at)} UTC has not been seen finished: "
            "call get_workflow_result with its workflowId (list_workflows shows it). Messages are captured "
            "only from when it runs."
        )
    if not started:
        todo = (
            f"call {sync_tool} once to turn it on"
            if sync_tool
            else "the user can turn it on (sync_inbox is not available on this server)"
        )
        return (
            "This server has no record of inbox monitoring on this account. Linked API captures messages only "
            f"after monitoring was turned on; if it never was, get_inbox stays empty: {todo}."
        )
    since = ", ".join(
        f"{'Sales Navigator' if k == 'nv' else 'standard'} inbox since {_iso(t)}" for k, t in started.items()
    )
    return (
        f"Monitoring on (turned on through this server): {since} (UTC). Only messages sent or received since then "
        "are captured; older conversations are not listed (get_conversation reads one person's history)."
    )


def after_sync(outcome: dict[str, Any], now: float) -> dict[str, Any]:
    """A completed ``sync_inbox`` / ``sync_network`` (when started or collected): say from when
    messages or connection events are captured."""
    if outcome.get("status") != "completed" or outcome.get("message"):
        return outcome
    if outcome.get("operationName") in _SYNC_OPS:
        outcome["message"] = (
            f"Inbox monitoring is on (at {_iso(now)} UTC at the latest): messages sent or received from now on "
            "appear in get_inbox; conversations from before are not captured."
        )
    elif outcome.get("operationName") == "syncNetwork":
        outcome["message"] = (
            f"Network monitoring is on (at {_iso(now)} UTC at the latest): connection events from now on appear "
            "in get_network; earlier ones are not captured."
        )
    return outcome


async def from_events(
    ledger: Ledger, params: GetInboxParams, started: Mapping[str, float]
) -> tuple[dict[str, Any], str] | None:
    """The inbox built from recorded webhook events — when they cover what is asked — and a note
    saying so; None to ask Linked API instead.

    [INFERRED] Events cover the request when the first one was received no later than monitoring
    started (the webhook saw every captured message), or when ``since`` is not before it. The
    person view (``personUrl``) merges synced history, which events never carry: always asked.
    """
    if params.personUrl is not None:
        return None
    events = await ledger.events(types=INBOX_EVENTS, limit=MAX_EVENTS)
    if not events or len(events) >= MAX_EVENTS:  # more than read here: the newest may be missing
        return None
    first = min(e["receivedAt"] for e in events)
    since = _parse(params.since)
    kinds = [params.type] if params.type else list(started)
    covered_from_start = bool(kinds) and all(k in started and started[k] >= first for k in kinds)
    if not covered_from_start and (since is None or since < first):
        return None
    messages: dict[str, dict[str, Any]] = {}
    for event in events:
        data = event.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("messageId"), str):
            continue
        message = {"id": data["messageId"], "time": data.get("time")}
        message.update({k: data[k] for k in _MESSAGE_FIELDS if k in data})
        stamp = _parse(message.get("time"))
        if params.type and message.get("type") != params.type:
            continue
        if params.threadId and message.get("threadId") != params.threadId:
            continue
        if since is not None and (stamp is None or stamp <= since):
            continue
        messages[data["messageId"]] = message  # a message reported twice (received, then sent) once
    view = inbox_view({"messages": list(messages.values())}, params)
    note = (
        f"Answered from the {len(events)} inbox webhook event(s) this server recorded (the first at {_iso(first)} "
        "UTC), without calling Linked API."
    )
    return view.model_dump(mode="json", exclude_none=True), note


async def network_started(ledger: Ledger, account: str) -> float | None:
    """When this server first saw ``sync_network`` complete on this account."""
    rows = await ledger.recent(account, limit=50, operation="syncNetwork")
    done = [row.finished_at or row.updated_at for row in rows if row.state == "completed"]
    return min(done) if done else None


async def network_from_events(
    ledger: Ledger, params: GetNetworkParams, started: float | None
) -> tuple[dict[str, Any], str] | None:
    """``get_network``'s answer from recorded ``network.*`` webhook events, under the same rule as
    the inbox's (:func:`from_events`); None to ask Linked API.

    [INFERRED] A webhook event carries no network-event id (contract §2.10): the delivery's own
    event id stands in for it.
    """
    events = await ledger.events(types=NETWORK_EVENTS, limit=MAX_EVENTS)
    if not events or len(events) >= MAX_EVENTS:
        return None
    first = min(e["receivedAt"] for e in events)
    since = _parse(params.since)
    if not (started is not None and started >= first) and (since is None or since < first):
        return None
    out: list[dict[str, Any]] = []
    for event in events:
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        kind = str(event["type"]).removeprefix("network.")
        detected = data.get("detectedAt") if isinstance(data.get("detectedAt"), str) else None
        stamp = _parse(detected)
        if params.type and kind != params.type:
            continue
        if since is not None and (stamp is None or stamp <= since):
            continue
        item = {"id": event["id"], "type": kind, "personUrl": data.get("personUrl"), "personUrn": data.get("personUrn")}
        out.append({**item, "detectedAt": detected})
    out.sort(key=lambda e: e["detectedAt"] or "", reverse=True)  # newest first, as /network/poll
    note = (
        f"Answered from the {len(events)} network webhook event(s) this server recorded (the first at "
        f"{_iso(first)} UTC), without calling Linked API."
    )
    return {"events": out}, note


__all__ = [
    "INBOX_EVENTS",
    "NETWORK_EVENTS",
    "after_sync",
    "from_events",
    "monitoring_started",
    "monitoring_text",
    "network_from_events",
    "network_started",
]
