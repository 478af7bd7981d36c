"""Outbound webhooks as Linked API sends them (contract §2.9 ``webhook.*``, §2.10 deliveries).

:class:`Webhooks` holds the client's one subscription, turns what happens in the sandbox into
events and delivers them from a background thread:

* **Events.** After every sync of the state, :meth:`Webhooks.observe` compares each workflow with
  what was last announced and emits ``workflow.created`` / ``workflow.started`` /
  ``workflow.completed`` (also for ``failed``; never for a cancelled workflow), plus the world's
  inbox and network events. A fat ``workflow.completed`` carries as ``result`` exactly what
  ``GET /workflows/{id}`` answers. Event ids are ``<type>:<workflowId>`` (stable across retries).
* **Deliveries.** One FIFO queue; a daemon thread POSTs each event (JSON, signing headers when
  enabled, custom headers); any 2xx acknowledges, anything else is retried with exponential
  backoff up to ``webhook_max_attempts`` (8) attempts in all, then the delivery is ``failed``.
  No network I/O ever happens under a lock, so deliveries never hold up the API.
* **Ticks.** While a webhook is set, the thread also syncs the state every
  ``webhook_sync_seconds`` (the callback does nothing on a frozen clock), and at the moment the
  state says the head-of-line workflow next starts or finishes, so a completion is announced
  when it happens, without anyone asking the sandbox.

Lock order: the state's lock, then this object's; the thread never holds this object's lock
while it calls back into the state or talks to the network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from .clock import format_time, parse_epoch
from .config import SandboxConfig
from .errors import SandboxRequestError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "linked-api-signature"
TIMESTAMP_HEADER = "linked-api-signature-timestamp"

# Contract §2.10 event types in the order the docs list them (webhook.test excluded: it is not
# selectable and always delivered).
EVENT_TYPES = (
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
)
WILDCARDS = ("workflow.*", "account.*", "inbox.*", "network.*")
TEST_EVENT = "webhook.test"
TEST_MESSAGE = "This is a test event from Linked API."
PAYLOAD_MODES = ("fat", "thin")
# [INFERRED] headers a delivery sets itself: custom headers may not replace them.
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "transfer-encoding", "connection", SIGNATURE_HEADER, TIMESTAMP_HEADER}
)
MAX_LOG = 1000  # [INFERRED] webhook.deliveries keeps the newest 1000 deliveries
CANCELLED_REASON = "workflowCancelled"
_RANK = {"pending": 0, "running": 1, "completed": 2, "failed": 2}


def payload_error(message: str) -> SandboxRequestError:
    return SandboxRequestError("invalidRequestPayload", f"Request payload is invalid: {message}", 400)


def webhook_not_found() -> SandboxRequestError:
    # [INFERRED] the contract names no error for an unknown webhook id.
    return SandboxRequestError("webhookNotFound", "Webhook not found.", 404)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``"<timestamp>." + body``, the secret used as UTF-8 text."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def check_url(value: Any) -> str:
    """Contract §2.9: HTTPS, and no bare IP in a private or internal range.

    [INFERRED] the sandbox also takes plain ``http`` and loopback addresses (``127.0.0.0/8``,
    ``::1``, ``localhost``): it runs on the developer's machine and tests deliver to a receiver on
    127.0.0.1. Other private, link-local, reserved or unspecified IPs are refused as Linked API does.
    """
    if not isinstance(value, str) or not value.strip():
        raise payload_error("'url' is required.")
    parts = urlsplit(value.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise payload_error("'url' must be an absolute HTTPS URL.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    if (
        address is not None
        and not loopback
        and (
            address.is_private
            or address.is_link_local
            or address.is_reserved
            or address.is_unspecified
            or address.is_multicast
        )
    ):
        raise payload_error("'url' must not point at a private or internal address.")
    if parts.scheme == "http" and not loopback:
        raise payload_error("'url' must use HTTPS.")
    return value.strip()


def check_events(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise payload_error("'events' must be an array of event types or null.")
    unknown = [item for item in value if item not in EVENT_TYPES and item not in WILDCARDS]
    if unknown:
        raise payload_error(f"unknown event selector {unknown[0]!r}.")
    return list(dict.fromkeys(value))


def check_headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise payload_error("'headers' must be an object of header names and values, or null.")
    headers: dict[str, str] = {}
    for name, text in value.items():
        _check_header(name, text)
        for known in [k for k in headers if k.lower() == name.lower()]:
            del headers[known]
        headers[name] = text
    return headers


# RFC 9110 token characters: what a header name may be made of.
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _check_header(name: Any, value: Any) -> None:
    if not isinstance(name, str) or not name or not all(c in _TOKEN_CHARS for c in name):
        raise payload_error(f"invalid header name {name!r}.")
    if name.lower() in RESERVED_HEADERS:
        raise payload_error(f"the header {name!r} is set by Linked API itself.")
    if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
        raise payload_error(f"invalid value for header {name!r}.")


def selected(events: list[str] | None, event_type: str) -> bool:
    """Whether a subscription's selectors take this event type (test events always)."""
    if event_type == TEST_EVENT or events is None:
        return True
    namespace = event_type.split(".", 1)[0] + ".*"
    return event_type in events or namespace in events


@dataclass
class Subscription:
    id: str
    url: str
    payload_mode: str
    signing_enabled: bool
    secret: str
    headers: dict[str, str]
    events: list[str] | None
    created_at: datetime
    is_active: bool = True

    def to_json(self, *, with_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "payloadMode": self.payload_mode,
            "isActive": self.is_active,
            "signingEnabled": self.signing_enabled,
            "headerNames": list(self.headers),  # names only: values are never echoed
            "events": list(self.events) if self.events is not None else None,
            "createdAt": format_time(self.created_at),
        }
        if with_secret:
            out["secret"] = self.secret
        return out


@dataclass
class Delivery:
    id: str
    event: dict[str, Any]  # the fat event; thin mode drops data.result when it is sent
    subscription_id: str
    created_at: datetime
    updated_at: datetime
    status: str = "pending"  # pending | delivering | success | failed
    attempts: int = 0
    response_status_code: int | None = None
    last_error: str | None = None
    due: float = 0.0  # monotonic time of the next attempt

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "eventType": self.event["type"],
            "eventId": self.event["id"],
            "status": self.status,
            "attempts": self.attempts,
            "responseStatusCode": self.response_status_code,
            "lastError": self.last_error,
            "createdAt": format_time(self.created_at),
            "updatedAt": format_time(self.updated_at),
        }


@dataclass
class _Attempt:
    delivery: Delivery
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class _Announced:
    """What was last announced per workflow: the rank of its status (pending 0, running 1, done 2)."""

    ranks: dict[str, int] = field(default_factory=dict)


class Webhooks:
    """The client's webhook subscription, its event feed and its delivery thread."""

    def __init__(
        self,
        config: SandboxConfig,
        *,
        now: Callable[[], datetime],
        tick: Callable[[], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._now = now  # virtual time: event and delivery timestamps
        self._tick = tick  # syncs the state when its clock runs
        self._monotonic = monotonic
        self._cond = threading.Condition(threading.Lock())
        self.subscription: Subscription | None = None
        self._history: list[Subscription] = []  # deleted subscriptions (soft delete)
        self._log: list[Delivery] = []  # oldest first
        self._queue: list[Delivery] = []  # FIFO: pending deliveries, oldest first
        self._announced = _Announced()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._last_tick = 0.0
        self._next_change: float | None = None  # monotonic time of the state's next known change

    # -- the subscription (Admin API) ---------------------------------------------------------------
    def create(
        self,
        *,
        url: str,
        payload_mode: str,
        signing_enabled: bool,
        headers: dict[str, str],
        events: list[str] | None,
    ) -> Subscription:
        with self._cond:
            if self.subscription is not None:
                # Contract §2.9: one active webhook per client, no update endpoint (delete + set).
                # [INFERRED] the error type and status.
                raise SandboxRequestError(
                    "webhookAlreadyExists", "A webhook is already set for this client; delete it first.", 409
                )
            self.subscription = Subscription(
                id=f"whs-{uuid.uuid4()}",
                url=url,
                payload_mode=payload_mode,
                signing_enabled=signing_enabled,
                # [INFERRED] generated with the subscription (returned only where the contract says).
                secret=_new_secret(),
                headers=headers,
                events=events,
                created_at=self._now(),
            )
            self._last_tick = self._monotonic()
            self._start()
            self._cond.notify_all()
            return self.subscription

    def get(self, subscription_id: Any) -> Subscription:
        if not isinstance(subscription_id, str) or not subscription_id:
            raise payload_error("'id' is required.")
        sub = self.subscription
        if sub is None or sub.id != subscription_id:
            raise webhook_not_found()
        return sub

    def delete(self, subscription_id: Any) -> None:
        with self._cond:
            sub = self.get(subscription_id)
            sub.is_active = False
            self._history.append(sub)
            self.subscription = None
            now = self._now()
            for delivery in self._queue:
                # Contract §2.9: history kept, pending deliveries dropped.
                delivery.status = "failed"
                delivery.last_error = "The webhook was deleted."
                delivery.updated_at = now
            self._queue.clear()

    def rotate_secret(self, subscription_id: Any) -> Subscription:
        with self._cond:
            sub = self.get(subscription_id)
            sub.secret = _new_secret()
            return sub

    # -- deliveries (Admin API) -------------------------------------------------------------------
    def deliveries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [delivery.to_json() for delivery in reversed(self._log)]

    def replay(self, delivery_id: Any) -> None:
        """Deliver a logged delivery's event again (same event id) as a new delivery."""
        if not isinstance(delivery_id, str) or not delivery_id:
            raise payload_error("'deliveryId' is required.")
        with self._cond:
            original = next((d for d in self._log if d.id == delivery_id), None)
            if original is None:
                # [INFERRED] the contract names no error for an unknown delivery id.
                raise SandboxRequestError("webhookDeliveryNotFound", "Webhook delivery not found.", 404)
            if self.subscription is None:
                raise webhook_not_found()
            self._enqueue(original.event, force=True)

    def send_test(self) -> None:
        with self._cond:
            if self.subscription is None:
                raise webhook_not_found()
            event = {
                "id": f"{TEST_EVENT}:{uuid.uuid4()}",
                "type": TEST_EVENT,
                "createdAt": format_time(self._now()),
                "data": {"message": TEST_MESSAGE},
            }
            self._enqueue(event)

    # -- events -----------------------------------------------------------------------------------
    def observe(
        self,
        records: Iterable[Any],
        world_events: list[dict[str, Any]],
        account_id: str,
        *,
        next_change: float | None = None,
    ) -> None:
        """Called under the state's lock after every sync: announce what changed since last time.

        ``records`` are the scheduler's workflow records, ``world_events`` the world's drained
        inbox/network events (without ``accountId``). Statuses are tracked even without a webhook,
        so that a webhook set later hears only of what happens after it. ``next_change``: real
        seconds until the head-of-line workflow next starts or finishes, when known; the thread
        syncs at that moment, so a completion is announced when it happens.
        """
        if self.subscription is not None:
            with self._cond:
                # a millisecond past the change, so that the sync then sees it done
                self._next_change = None if next_change is None else self._monotonic() + next_change + 0.001
                self._cond.notify_all()
        events: list[tuple[datetime, int, dict[str, Any]]] = []
        ranks = self._announced.ranks
        listening = self.subscription is not None
        for record in records:
            old = ranks.get(record.id, -1)
            new = _RANK[record.status]
            if new <= old:
                continue
            ranks[record.id] = new
            if not listening:
                continue  # nobody to tell: no event is built (a fat result costs a copy)
            for rank in range(old + 1, new + 1):
                step = _workflow_event(record, rank, account_id)
                if step is not None:
                    events.append((step[0], len(events), step[1]))
        if not listening:
            return
        for item in world_events:
            event = {**item, "data": {**item.get("data", {}), "accountId": account_id}}
            events.append((_parse_created(event), len(events), event))
        if not events:
            return
        events.sort(key=lambda entry: (entry[0], entry[1]))  # best-effort order: by when it happened
        with self._cond:
            for _, _, queued in events:
                self._enqueue(queued)

    def _enqueue(self, event: dict[str, Any], *, force: bool = False) -> None:
        sub = self.subscription
        if sub is None or (not force and not selected(sub.events, event["type"])):
            return
        now = self._now()
        delivery = Delivery(
            id=f"whd-{uuid.uuid4()}",
            event=event,
            subscription_id=sub.id,
            created_at=now,
            updated_at=now,
            due=self._monotonic(),
        )
        self._log.append(delivery)
        del self._log[:-MAX_LOG]
        self._queue.append(delivery)
        self._cond.notify_all()

    # -- the delivery thread -----------------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="linkedapi-sandbox-webhooks", daemon=True)
            self._thread.start()

    def close(self, *, wait: float | None = None) -> None:
        """Stop the delivery thread (pending deliveries stay pending). ``wait``: join it that long;
        never wait while holding the state's lock (the thread may be waiting for it)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        thread = self._thread
        if wait is not None and thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        with httpx.Client(timeout=self._config.webhook_timeout_seconds, follow_redirects=False) as client:
            while True:
                self._maybe_tick()
                with self._cond:
                    if self._closed:
                        return
                    attempt = self._take_due()
                    if attempt is None:
                        self._cond.wait(self._idle_time())
                        continue
                self._send(client, attempt)

    def _maybe_tick(self) -> None:
        if self.subscription is None or self._closed:
            return
        now = self._monotonic()
        due = self._next_change is not None and now >= self._next_change
        if not due and now - self._last_tick < self._config.webhook_sync_seconds:
            return
        self._last_tick = now
        self._next_change = None  # the sync below tells the next one (observe)
        try:
            self._tick()
        except Exception:  # a sandbox bug must not end the deliveries
            logger.exception("sandbox webhook tick failed")

    def _idle_time(self) -> float | None:
        now = self._monotonic()
        waits = [max(d.due - now, 0.0) for d in self._queue]
        if self.subscription is not None:
            waits.append(max(self._last_tick + self._config.webhook_sync_seconds - now, 0.0))
            if self._next_change is not None:
                waits.append(max(self._next_change - now, 0.0))
        return min(waits) if waits else None

    def _take_due(self) -> _Attempt | None:
        """The oldest delivery that is due, marked ``delivering``, with its request (under the lock)."""
        sub = self.subscription
        if sub is None:
            return None
        now = self._monotonic()
        # Best-effort order: oldest first; one waiting out its backoff does not hold up the rest.
        delivery = next((d for d in self._queue if d.due <= now), None)
        if delivery is None:
            return None
        self._queue.remove(delivery)
        delivery.status = "delivering"
        delivery.attempts += 1
        delivery.updated_at = self._now()
        event = delivery.event
        if sub.payload_mode == "thin" and "result" in event.get("data", {}):
            event = {**event, "data": {k: v for k, v in event["data"].items() if k != "result"}}
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = dict(sub.headers)
        headers["content-type"] = "application/json"
        if sub.signing_enabled:
            timestamp = str(int(time.time()))  # real Unix seconds: the receiver checks them against its clock
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(sub.secret, timestamp, body)
        return _Attempt(delivery, sub.url, body, headers)

    def _send(self, client: httpx.Client, attempt: _Attempt) -> None:
        status: int | None = None
        error: str | None = None
        try:
            response = client.post(attempt.url, content=attempt.body, headers=attempt.headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        delivery = attempt.delivery
        with self._cond:
            delivery.response_status_code = status
            delivery.last_error = error
            delivery.updated_at = self._now()
            if error is None:
                delivery.status = "success"
            elif self.subscription is None or self.subscription.id != delivery.subscription_id:
                delivery.status = "failed"  # deleted meanwhile: its pending deliveries are dropped
            elif delivery.attempts >= self._config.webhook_max_attempts:
                delivery.status = "failed"
            else:
                delivery.status = "pending"
                backoff = self._config.webhook_retry_base_seconds * 2 ** (delivery.attempts - 1)
                delivery.due = self._monotonic() + min(backoff, self._config.webhook_retry_max_seconds)
                self._queue.append(delivery)
            self._cond.notify_all()


def _new_secret() -> str:
    # [INFERRED] the format: the contract only says the secret is text used as UTF-8.
    return "whsec_" + secrets.token_hex(32)


def _workflow_event(record: Any, rank: int, account_id: str) -> tuple[datetime, dict[str, Any]] | None:
    """The event for a workflow reaching ``rank`` (None when that step emits nothing)."""
    data: dict[str, Any] = {"workflowId": record.id, "accountId": account_id}
    if rank == 0:
        kind, data["status"], at = "workflow.created", "pending", record.created_at
    elif rank == 1:
        if record.started_at is None:  # failed before it started (cancelled, expired, signed out)
            return None
        kind, data["status"], at = "workflow.started", "running", record.started_at
    else:
        failure = record.failure or {}
        if record.status == "failed" and failure.get("reason") == CANCELLED_REASON:
            return None  # contract §2.3/§2.10: cancelled workflows emit no webhook
        kind, data["status"], at = "workflow.completed", record.status, record.finished_at
        # Fat payload: exactly what GET /workflows/{id} answers, frozen now (a JSON copy).
        data["result"] = json.loads(json.dumps(record.result()))
    at = at or record.created_at
    return at, {"id": f"{kind}:{record.id}", "type": kind, "createdAt": format_time(at), "data": data}


def _parse_created(event: dict[str, Any]) -> datetime:
    try:
        return parse_epoch(str(event.get("createdAt")))
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)


__all__ = [
    "EVENT_TYPES",
    "PAYLOAD_MODES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Delivery",
    "Subscription",
    "Webhooks",
    "check_events",
    "check_headers",
    "check_url",
    "selected",
    "sign",
]
