"""Resumable SSE streams over Streamable HTTP: a bounded in-memory event store, scoped per session.

What the transport specification (revision 2025-11-25, "Resumability and Redelivery") asks, and
how the ``mcp`` SDK 2.3 does it once :class:`MemoryEventStore` is passed to ``http_app``:

* **Handshake era (2025-03-26 … 2025-11-25, ``initialize`` + ``Mcp-Session-Id``).** Every message
  the server sends on a request's SSE stream is stored here first and carries the ``id:`` this
  store returns; for 2025-11-25 clients the POST stream also opens with a *priming* event (an
  ``id:`` and empty data) so the client has a cursor before the first real message. A dropped POST
  connection does **not** cancel the tool call: the handler runs in the session's task, the SDK
  only stops writing to the dead socket, and everything sent afterwards (progress, the result) is
  still stored. ``GET /mcp`` with ``Mcp-Session-Id`` and ``Last-Event-ID`` replays what followed
  that event on the *same* stream and then tails the stream live. When the stream's result is
  already stored, :meth:`MemoryEventStore.replay_events_after` says so (returns ``None`` after
  replaying) and the SDK ends the resumed stream right after the result, as the specification
  wants ("after the JSON-RPC response has been sent, the server SHOULD terminate the SSE stream");
  otherwise the SDK would hold the GET open forever. An unknown, expired or evicted
  ``Last-Event-ID`` gets an empty SSE stream that ends at once — a clean answer, never a hang.
  The SDK's own client (handshake mode) reconnects this way by itself when a POST stream ends
  without its response. A call nobody comes back for still ends with its session: the SDK closes
  a session after 30 min without a request in flight, which cancels the call; the handle stays.
* **2026-07-28 (sessionless, one POST per request).** The SDK routes these requests around the
  session manager and never uses an event store: no event ids, no ``Last-Event-ID``, and closing
  the response stream *is* the cancellation (the 2026-07-28 revision removed SSE resumability).
  There, and after a restart in any era, the durable way back is the workflow handle: the runner
  records it in the ledger before the first progress notification, and the tool result text
  points to ``get_workflow_result``.

Guarantees: event ids are opaque random tokens (128 bits), unique within the process and
unguessable; a replay only ever returns events of the stream — and the session — the id belongs
to; lookups are O(1) (a dict from id to position) and a replay costs O(events replayed). Memory is
bounded by :data:`MAX_EVENTS` events in all (the oldest go first), :data:`MAX_EVENTS_PER_STREAM`
per stream, :data:`MAX_STREAMS` streams (the least recently written go first) and
:data:`EVENT_TTL_SECONDS` of age. The store is for one event loop (the server's): its methods never
await between reading and changing state, so no lock is needed.

Progress is a latest-value signal: when a stream stores a progress notification, its earlier one
for the same progress token keeps its position and id but drops its payload and is not replayed
(a client resuming from it still gets everything after it). A long wait's heartbeats thus cost
a few hundred bytes each, not a stored message.

Not guaranteed: anything across processes. A restart loses the events (the ledger keeps the
handles); several replicas behind a load balancer need sticky sessions anyway (the SDK keeps
sessions in memory) and issue 10 will move events to shared storage.

**Sessions.** The SDK's store interface sees only a stream id, and that id is the JSON-RPC request
id — ``1``, ``2``, … in every session — so a store shared by all sessions (the SDK builds one for
the whole app) would mix two sessions' streams and could replay one client's tool result to
another. :class:`SessionScopedEvents`, an ASGI middleware around the app, gives every request the
session it belongs to (the ``Mcp-Session-Id`` header, or for ``initialize`` the id the response
assigns); the SDK's per-session task inherits it from the ``initialize`` request, so events are
stored and replayed per session. Without the middleware nothing is replayable (events are still
numbered, so clients work; they just cannot resume).

Known SDK window (2.3): between replaying and attaching the live tail, the SDK awaits the priming
event's delivery; a message stored in exactly that instant is kept here but not sent on the
resumed connection. A client that reconnects again with its latest id receives it.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp.types import JSONRPCError, JSONRPCMessage, JSONRPCNotification, JSONRPCResponse
from pydantic import TypeAdapter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("linkedapi_mcp.server")

# A client reconnects within seconds; 30 min matches the SDK's session idle time-out, after which
# the session (and with it any chance to resume) is gone anyway.
EVENT_TTL_SECONDS = 30 * 60.0
# A tool call sends a progress notification on every status change and a heartbeat every 10 s:
# 500 events cover over an hour of waiting, longer than any tool call waits (max_wait_seconds).
MAX_EVENTS_PER_STREAM = 500
# Streams are requests; beyond this many, the least recently written stream is dropped whole.
MAX_STREAMS = 2_000
# All events together: with results capped by the context budget (tens of kB at most, progress a
# few hundred bytes) this keeps the store within tens of MB however many clients connect.
MAX_EVENTS = 20_000

_SESSION_HEADER = b"mcp-session-id"


@dataclass
class _SessionRef:
    """The session a request belongs to; ``initialize`` learns its id from its own response."""

    session_id: str | None


_current_session: ContextVar[_SessionRef | None] = ContextVar("linkedapi_mcp_sse_session", default=None)


class SessionScopedEvents:
    """ASGI middleware: tell the event store which session each request (and its tasks) serves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or ()).get(_SESSION_HEADER)
        ref = _SessionRef(sent.decode("latin-1") if sent else None)
        outgoing = send
        if ref.session_id is None:

            async def outgoing(message: Message) -> None:
                if message["type"] == "http.response.start" and ref.session_id is None:
                    assigned = dict(message.get("headers") or ()).get(_SESSION_HEADER)
                    ref.session_id = assigned.decode("latin-1") if assigned else None
                await send(message)

        token = _current_session.set(ref)
        try:
            await self.app(scope, receive, outgoing)
        finally:
            _current_session.reset(token)


def _session() -> str | None:
    ref = _current_session.get()
    return ref.session_id if ref is not None else None


_StreamKey = tuple[str | None, StreamId]


@dataclass
class _Event:
    key: _StreamKey
    index: int  # position in its stream
    # The message as the SDK writes it (compact JSON, :func:`_encode`); None: a priming event, or
    # a progress notification a later one superseded. Kept as bytes: a parsed message (pydantic
    # objects and nested dicts) took several times the memory, for every progress notification
    # and every result of the last 30 minutes (issue 14, RSS with 1000 waiting calls).
    payload: bytes | None
    stored_at: float

    @property
    def message(self) -> JSONRPCMessage | None:
        return None if self.payload is None else _MESSAGE.validate_json(self.payload)


# How the SDK parses and writes a message (by alias, only the fields set).
_MESSAGE: TypeAdapter[JSONRPCMessage] = TypeAdapter(JSONRPCMessage)


def _encode(message: JSONRPCMessage | None) -> bytes | None:
    return None if message is None else message.model_dump_json(by_alias=True, exclude_unset=True).encode()


@dataclass
class _Stream:
    events: dict[int, EventId] = field(default_factory=dict)  # index -> id, oldest first
    next_index: int = 0
    finished: bool = False  # the request's response or error is stored
    progress: dict[str | int, int] = field(default_factory=dict)  # progress token -> index of its latest


class MemoryEventStore(EventStore):
    """Bounded, per-session SSE event store for one process (see the module docstring)."""

    def __init__(
        self,
        *,
        ttl_seconds: float = EVENT_TTL_SECONDS,
        max_events: int = MAX_EVENTS,
        max_events_per_stream: int = MAX_EVENTS_PER_STREAM,
        max_streams: int = MAX_STREAMS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(max_events, max_events_per_stream, max_streams) < 1 or ttl_seconds <= 0:
            raise ValueError("event store bounds must be positive")
        self.ttl_seconds = ttl_seconds
        self.max_events = max_events
        self.max_events_per_stream = max_events_per_stream
        self.max_streams = max_streams
        self._clock = clock
        self._events: OrderedDict[EventId, _Event] = OrderedDict()  # oldest first
        self._streams: OrderedDict[_StreamKey, _Stream] = OrderedDict()  # least recently written first
        self._warned_unscoped = False

    @property
    def event_count(self) -> int:
        # Deliberately not __len__: the SDK tests the store for truth (`if self._event_store:`).
        return len(self._events)

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        now = self._clock()
        self._expire(now)
        key: _StreamKey = (_session(), stream_id)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream()
            while len(self._streams) > self.max_streams:
                self._drop_stream(next(iter(self._streams)))
        else:
            self._streams.move_to_end(key)
        event_id = secrets.token_urlsafe(16)
        while event_id in self._events:  # pragma: no cover - 128 random bits
            event_id = secrets.token_urlsafe(16)
        self._events[event_id] = _Event(key, stream.next_index, _encode(message), now)
        stream.events[stream.next_index] = event_id
        self._supersede(stream, message)
        stream.next_index += 1
        if isinstance(message, JSONRPCResponse | JSONRPCError) and str(message.id) == stream_id:
            stream.finished = True
        while len(stream.events) > self.max_events_per_stream:
            self._forget(next(iter(stream.events.values())))
        while len(self._events) > self.max_events:
            self._forget(next(iter(self._events)))
        return event_id

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        """Send the events after ``last_event_id`` on its stream; the stream id if it goes on.

        ``None`` — and nothing sent — for an id this store does not know for the caller's session
        (never issued, expired, evicted, or another session's); ``None`` after replaying when the
        stream's response is already stored, so the SDK ends the resumed stream instead of tailing.
        """
        self._expire(self._clock())
        session = _session()
        if session is None and not self._warned_unscoped:
            self._warned_unscoped = True
            logger.warning("SSE resumption needs SessionScopedEvents around the app; Last-Event-ID ignored")
        event = self._events.get(last_event_id)
        if session is None or event is None or event.key[0] != session:
            return None
        key = event.key
        index = event.index + 1
        # Events stored while a send is awaited are replayed too: re-read the stream every step.
        while (stream := self._streams.get(key)) is not None and index < stream.next_index:
            event_id = stream.events.get(index)
            index += 1
            replayed = self._events.get(event_id) if event_id is not None else None
            message = replayed.message if replayed is not None else None
            if message is not None and event_id is not None:
                await send_callback(EventMessage(message, event_id))
        stream = self._streams.get(key)
        if stream is None or stream.finished:
            return None
        return key[1]

    def _supersede(self, stream: _Stream, message: JSONRPCMessage | None) -> None:
        """A progress notification makes the stream's earlier one for the same token stale: that
        one keeps its place (and id, so a client resuming from it loses nothing after it) but not
        its payload, and is not replayed. A call that waits long sends a heartbeat every 10 s;
        without this, a thousand waiting calls kept every heartbeat (issue 14, RSS)."""
        if not (isinstance(message, JSONRPCNotification) and message.method == "notifications/progress"):
            return
        token = (message.params or {}).get("progressToken")
        if not isinstance(token, str | int):
            return
        before = stream.progress.get(token)
        stream.progress[token] = stream.next_index
        stale = self._events.get(stream.events.get(before, "")) if before is not None else None
        if stale is not None:
            stale.payload = None

    def _expire(self, now: float) -> None:
        horizon = now - self.ttl_seconds
        while self._events:
            oldest = next(iter(self._events.values()))
            if oldest.stored_at > horizon:
                break
            self._forget(next(iter(self._events)))

    def _forget(self, event_id: EventId) -> None:
        event = self._events.pop(event_id)
        stream = self._streams.get(event.key)
        if stream is None:
            return
        stream.events.pop(event.index, None)
        if not stream.events:
            del self._streams[event.key]

    def _drop_stream(self, key: _StreamKey) -> None:
        stream = self._streams.pop(key)
        for event_id in stream.events.values():
            self._events.pop(event_id, None)


__all__ = [
    "EVENT_TTL_SECONDS",
    "MAX_EVENTS",
    "MAX_EVENTS_PER_STREAM",
    "MAX_STREAMS",
    "MemoryEventStore",
    "SessionScopedEvents",
]
