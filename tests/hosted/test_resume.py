"""A long tool call over HTTP survives a dropped connection: SSE event ids and Last-Event-ID resume.

The product's HTTP app (``http_app`` with a :class:`MemoryEventStore`, wrapped in
:class:`SessionScopedEvents`) runs under uvicorn on a loopback port in its own thread; the test
speaks raw HTTP to it in the handshake era (initialize → ``Mcp-Session-Id``), so it controls when
the SSE stream of a ``tools/call`` is dropped. The embedded sandbox's clock is frozen: the search
finishes only when the test calls ``sandbox.advance``. Ordering comes from events (the server
finished with a request, the store holds a response), never from sleeping.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.streamable_http import EventMessage
from mcp.types import JSONRPCMessage, JSONRPCNotification, JSONRPCResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.sandbox.server import base_url_of, bind
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.events import (
    EVENT_TTL_SECONDS,
    MemoryEventStore,
    SessionScopedEvents,
    _current_session,
    _SessionRef,
)
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0
VERSION = "2025-11-25"
MODERN = "2026-07-28"
SAFETY = 20.0  # seconds: a safety net against hangs, never an ordering device
ENV_VARS = (
    "LINKED_API_TOKEN",
    "IDENTIFICATION_TOKEN",
    "LINKED_API_BASE_URL",
    "LINKEDAPI_MCP_DATA_DIR",
    "LINKEDAPI_MCP_WAIT_SECONDS",
    "LINKEDAPI_MCP_MAX_WAIT_SECONDS",
    "LINKEDAPI_MCP_SANDBOX_SPEED",
    "LINKEDAPI_MCP_TOOLSETS",
    "LINKEDAPI_MCP_READ_ONLY",
    "LINKEDAPI_MCP_TOOL_MODE",
    "LINKEDAPI_MCP_BUDGETS",
)


class WatchedStore(MemoryEventStore):
    """The product's store, plus a signal when responses to a request id have been stored (ids
    repeat across sessions: every session's first tools/call here is request 2)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._changed = threading.Condition()
        self._responses: dict[str, int] = {}

    async def responses_stored(self, request_id: str, count: int = 1) -> None:
        """Wait until ``count`` responses to ``request_id`` (in any sessions) are stored."""

        def wait() -> None:
            with self._changed:
                stored = self._changed.wait_for(lambda: self._responses.get(request_id, 0) >= count, timeout=SAFETY)
                assert stored, f"{self._responses.get(request_id, 0)} responses to {request_id}, expected {count}"

        await anyio.to_thread.run_sync(wait)

    async def store_event(self, stream_id: str, message: JSONRPCMessage | None) -> str:
        event_id = await super().store_event(stream_id, message)
        if isinstance(message, JSONRPCResponse):
            with self._changed:
                self._responses[str(message.id)] = self._responses.get(str(message.id), 0) + 1
                self._changed.notify_all()
        return event_id


class RequestsDone:
    """ASGI wrapper counting finished POSTs: the server is done with a dropped request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0
        self._changed = threading.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] == "POST":
                with self._changed:
                    self.count += 1
                    self._changed.notify_all()

    async def wait_for(self, count: int) -> None:
        def wait() -> None:
            with self._changed:
                if not self._changed.wait_for(lambda: self.count >= count, timeout=SAFETY):
                    raise TimeoutError(f"only {self.count} POSTs finished, expected {count}")

        await anyio.to_thread.run_sync(wait)


@dataclass
class Live:
    base_url: str
    sandbox: Sandbox
    store: WatchedStore
    done: RequestsDone
    clock: list[float]


class FakeClock:
    def __init__(self, now: list[float]) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now[0]


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    sandbox = Sandbox(seed=42, speed=0)
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=1000)
    server, _ = build(settings, http=True, sandbox=sandbox)
    now = [0.0]
    store = WatchedStore(clock=FakeClock(now))
    done = RequestsDone(SessionScopedEvents(http_app(server, host="127.0.0.1", event_store=store)))
    sock = bind("127.0.0.1", 0)
    running = uvicorn.Server(uvicorn.Config(done, http="h11", lifespan="on", log_level="warning", access_log=False))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + SAFETY
    while not running.started:  # startup only: uvicorn has no readiness callback
        assert thread.is_alive(), "the MCP server did not start"
        assert time.monotonic() < deadline, "the MCP server did not start in time"
        time.sleep(0.005)
    try:
        yield Live(base_url_of(sock), sandbox, store, done, now)
    finally:
        running.should_exit = True
        thread.join(timeout=SAFETY)
        sock.close()


@dataclass
class SSEEvent:
    id: str | None
    data: str

    @property
    def message(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.data)
        return parsed


async def sse_events(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    event_id: str | None = None
    data: list[str] = []
    seen = False
    async for line in response.aiter_lines():
        if not line:
            if seen:
                yield SSEEvent(event_id, "\n".join(data))
            event_id, data, seen = None, [], False
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            event_id, seen = value, True
        elif name == "data":
            data.append(value)
            seen = True


ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


class Session:
    def __init__(self, http: httpx.AsyncClient, session_id: str) -> None:
        self.http = http
        self.id = session_id

    @property
    def headers(self) -> dict[str, str]:
        return {**ACCEPT, "mcp-session-id": self.id, "mcp-protocol-version": VERSION}

    @asynccontextmanager
    async def call(
        self, request_id: int, tool: str, arguments: dict[str, Any], token: str
    ) -> AsyncIterator[httpx.Response]:
        body = {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments, "_meta": {"progressToken": token}},
        }
        async with self.http.stream("POST", "/mcp", json=body, headers=self.headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            yield response

    @asynccontextmanager
    async def resume(self, last_event_id: str) -> AsyncIterator[httpx.Response]:
        headers = {**self.headers, "accept": "text/event-stream", "last-event-id": last_event_id}
        async with self.http.stream("GET", "/mcp", headers=headers) as response:
            assert response.status_code == 200
            yield response


async def open_session(http: httpx.AsyncClient) -> Session:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "pytest", "version": "1"}},
    }
    response = await http.post("/mcp", json=init, headers=ACCEPT)
    assert response.status_code == 200, response.text
    session = Session(http, response.headers["mcp-session-id"])
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (await http.post("/mcp", json=initialized, headers=session.headers)).status_code == 202
    return session


@asynccontextmanager
async def client(live: Live) -> AsyncIterator[httpx.AsyncClient]:
    # One connection per stream: closing a stream mid-body really drops its TCP connection.
    async with httpx.AsyncClient(base_url=live.base_url, timeout=SAFETY) as http:
        yield http


SEARCH = {"term": "engineer", "limit": 2, "waitSeconds": 60}


async def start_and_drop(session: Session, request_id: int, token: str, arguments: dict[str, Any] = SEARCH) -> str:
    """Start a waiting search, read up to its first progress notification, drop the connection."""
    seen: list[SSEEvent] = []
    with anyio.fail_after(SAFETY):
        async with session.call(request_id, "search_people", arguments, token) as response:
            async for event in sse_events(response):
                seen.append(event)
                if event.data and event.message.get("method") == "notifications/progress":
                    break
    # The priming event (2025-11-25) carries an id and no data; every message carries an id.
    assert seen[0].id
    assert seen[0].data == ""
    assert all(event.id for event in seen)
    progress = seen[-1]
    assert progress.message["params"]["progressToken"] == token
    assert progress.id is not None
    return progress.id


async def read_all(response: httpx.Response) -> list[SSEEvent]:
    with anyio.fail_after(SAFETY):  # the resumed stream must end by itself
        return [event async for event in sse_events(response)]


def result_of(event: SSEEvent, request_id: int) -> dict[str, Any]:
    message = event.message
    assert message["id"] == request_id, message
    structured: dict[str, Any] = message["result"]["structuredContent"]
    return structured


async def test_a_dropped_tool_call_keeps_running_and_its_result_is_replayed(live: Live) -> None:
    async with client(live) as http:
        session = await open_session(http)
        last_seen = await start_and_drop(session, 2, "p-1")
        await live.done.wait_for(3)  # initialize, initialized, and the dropped tools/call

        live.sandbox.advance(HOUR)  # the search finishes upstream while nobody is connected
        await live.store.responses_stored("2")

        async with session.resume(last_seen) as resumed:
            events = await read_all(resumed)

    assert events, "nothing was replayed"
    assert all(event.id and event.id != last_seen for event in events)
    *before, last = events
    assert all(event.message["method"] == "notifications/progress" for event in before)
    assert all(event.message["params"]["progressToken"] == "p-1" for event in before)
    result = result_of(last, 2)
    assert result["status"] == "completed"
    assert len(result["result"]) == 2


async def test_a_resumed_stream_tails_the_call_live_until_its_result(live: Live) -> None:
    async with client(live) as http:
        session = await open_session(http)
        last_seen = await start_and_drop(session, 2, "p-live")
        await live.done.wait_for(3)

        async with session.resume(last_seen) as resumed:
            with anyio.fail_after(SAFETY):
                stream = sse_events(resumed)
                async for event in stream:
                    if event.data == "":  # the resumed stream's priming event: it is now live
                        assert event.id
                        break
                live.sandbox.advance(HOUR)
                async for event in stream:
                    if event.data and "result" in event.message:
                        assert result_of(event, 2)["status"] == "completed"
                        break
                else:
                    pytest.fail("the resumed stream ended without the result")


async def test_sessions_never_see_each_others_events_though_their_request_ids_collide(live: Live) -> None:
    async with client(live) as http:
        alice = await open_session(http)
        bob = await open_session(http)
        alice_seen = await start_and_drop(alice, 2, "alice")
        bob_seen = await start_and_drop(bob, 2, "bob", {**SEARCH, "term": "nurse"})
        await live.done.wait_for(6)
        live.sandbox.advance(HOUR)
        # Both results stored before either stream is resumed: a resumed stream then replays to
        # its end instead of tailing a call that is still running.
        await live.store.responses_stored("2", count=2)

        async with bob.resume(alice_seen) as stolen:  # Bob presents Alice's cursor
            assert await read_all(stolen) == []
        async with alice.resume(alice_seen) as own:
            alice_events = await read_all(own)
        async with bob.resume(bob_seen) as own:
            bob_events = await read_all(own)

    for events, token in ((alice_events, "alice"), (bob_events, "bob")):
        *progress, last = events
        assert all(event.message["params"]["progressToken"] == token for event in progress)
        assert result_of(last, 2)["status"] == "completed"
    assert result_of(alice_events[-1], 2)["workflowId"] != result_of(bob_events[-1], 2)["workflowId"]


async def test_an_unknown_or_expired_last_event_id_gets_an_empty_stream_not_a_hang(live: Live) -> None:
    async with client(live) as http:
        session = await open_session(http)
        async with session.resume("never-issued") as unknown:
            assert await read_all(unknown) == []

        last_seen = await start_and_drop(session, 2, "p-old")
        await live.done.wait_for(3)
        live.clock[0] += EVENT_TTL_SECONDS + 1  # the store's clock: every event so far expires
        live.sandbox.advance(HOUR)
        await live.store.responses_stored("2")
        async with session.resume(last_seen) as expired:
            assert await read_all(expired) == []

        # The durable way back after losing the stream: the handle in the ledger.
        async with session.call(3, "list_workflows", {}, "p-list") as listed:
            *_, last = await read_all(listed)
    assert result_of(last, 3)["workflows"][0]["operationName"] == "searchPeople"


async def test_the_2026_era_has_no_event_ids_and_the_ledger_handle_is_the_way_back(live: Live) -> None:
    """2026-07-28 requests bypass the session manager: no store, and a drop cancels the call."""
    url = f"{live.base_url}/mcp"
    handle_recorded = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        handle_recorded.set()  # the first notification comes after the handle is in the ledger

    async with (
        Client(streamable_http_client(url), mode=MODERN) as first,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(lambda: first.call_tool("search_people", SEARCH, progress_callback=on_progress))
        with anyio.fail_after(SAFETY):
            await handle_recorded.wait()
        tg.cancel_scope.cancel()  # closes the response stream

    live.sandbox.advance(HOUR)
    async with Client(streamable_http_client(url), mode=MODERN) as second:
        listed = await second.call_tool("list_workflows", {})
        assert listed.structured_content is not None
        [row] = listed.structured_content["workflows"]
        result = await second.call_tool("get_workflow_result", {"workflowId": row["workflowId"]})
    assert result.structured_content is not None
    assert result.structured_content["status"] == "completed"
    assert live.store.event_count == 0


# --- the store's bounds, driven directly (same event loop, a fake clock) ---------------------------


def note(text: str) -> JSONRPCMessage:
    return JSONRPCNotification(jsonrpc="2.0", method="notifications/message", params={"data": text})


async def replay(store: MemoryEventStore, last_event_id: str) -> tuple[list[str], str | None]:
    sent: list[str] = []

    async def collect(event: EventMessage) -> None:
        if isinstance(event.message, JSONRPCNotification):
            assert event.message.params is not None
            sent.append(event.message.params["data"])
        else:
            sent.append(type(event.message).__name__)

    return sent, await store.replay_events_after(last_event_id, collect)


@contextmanager
def in_session(session_id: str) -> Iterator[None]:
    """What SessionScopedEvents does for a request that carries ``Mcp-Session-Id``."""
    token = _current_session.set(_SessionRef(session_id))
    try:
        yield
    finally:
        _current_session.reset(token)


async def test_store_ids_are_opaque_and_unique_and_replay_follows_the_cursor() -> None:
    store = MemoryEventStore()
    with in_session("s"):
        ids = [await store.store_event("7", note(str(n))) for n in range(5)]
        assert len(set(ids)) == 5
        assert all(len(event_id) >= 22 for event_id in ids)  # 128 random bits, nothing to count on
        assert await replay(store, ids[1]) == (["2", "3", "4"], "7")
        assert await replay(store, ids[4]) == ([], "7")
        await store.store_event("7", JSONRPCResponse(jsonrpc="2.0", id=7, result={}))
        # The response is stored: replayed, then None, so the SDK ends the resumed stream after it.
        assert await replay(store, ids[4]) == (["JSONRPCResponse"], None)


async def test_store_bounds_per_stream_in_all_streams_and_by_age() -> None:
    now = [0.0]
    store = MemoryEventStore(max_events_per_stream=3, max_streams=2, max_events=5, ttl_seconds=60, clock=FakeClock(now))
    with in_session("s"):
        first = [await store.store_event("1", note(f"a{n}")) for n in range(4)]
        assert await replay(store, first[0]) == ([], None)  # evicted: unknown, nothing sent
        assert await replay(store, first[1]) == (["a2", "a3"], "1")

        second = await store.store_event("2", note("b0"))
        await store.store_event("2", note("b1"))
        await store.store_event("2", note("b2"))  # six events: the oldest of all goes
        assert await replay(store, first[1]) == ([], None)
        assert await replay(store, first[2]) == (["a3"], "1")

        third = await store.store_event("3", note("c0"))  # a third stream: stream "1" goes whole
        assert await replay(store, first[3]) == ([], None)
        assert await replay(store, second) == (["b1", "b2"], "2")
        assert store.event_count == 4

        now[0] = 61.0  # everything is older than the TTL
        assert await replay(store, third) == ([], None)
        assert store.event_count == 0


def progress(token: str, value: float) -> JSONRPCMessage:
    return JSONRPCNotification(
        jsonrpc="2.0", method="notifications/progress", params={"progressToken": token, "progress": value}
    )


async def test_a_superseded_progress_notification_is_not_kept_and_resuming_from_it_loses_nothing() -> None:
    # A call waiting long sends a heartbeat every 10 s: only the latest per progress token is kept
    # whole (issue 14: a thousand waiting calls kept every heartbeat in memory).
    store = MemoryEventStore()
    sent: list[str] = []

    async def collect(event: EventMessage) -> None:
        message = event.message
        if isinstance(message, JSONRPCNotification):
            assert message.params is not None
            sent.append(f"{message.params.get('progressToken', message.params.get('data'))}:"
                        f"{message.params.get('progress', '')}")
        else:
            sent.append(type(message).__name__)

    with in_session("s"):
        priming = await store.store_event("2", None)
        ids = [await store.store_event("2", progress("p", n)) for n in range(3)]
        await store.store_event("2", progress("q", 9))  # another token: its own latest
        await store.store_event("2", note("n"))
        last = await store.store_event("2", progress("p", 3))
        assert store.event_count == 7  # every position kept ...
        kept = [e.payload for e in store._events.values()]
        assert sum(p is not None for p in kept) == 3  # ... but only q:9, the note and p:3 whole
        assert await store.replay_events_after(priming, collect) == "2"
        assert sent == ["q:9", "n:", "p:3"]
        sent.clear()
        # a client that saw only the first heartbeat (now superseded) still gets what followed it
        assert await store.replay_events_after(ids[0], collect) == "2"
        assert sent == ["q:9", "n:", "p:3"]
        sent.clear()
        await store.store_event("2", JSONRPCResponse(jsonrpc="2.0", id=2, result={}))
        assert await store.replay_events_after(last, collect) is None
        assert sent == ["JSONRPCResponse"]


async def test_store_replays_nothing_to_another_session_or_without_a_session() -> None:
    store = MemoryEventStore()
    with in_session("alice"):
        cursor = await store.store_event("2", note("alice-0"))
        await store.store_event("2", note("alice-1"))
    with in_session("bob"):
        await store.store_event("2", note("bob-0"))
        assert await replay(store, cursor) == ([], None)
    assert await replay(store, cursor) == ([], None)  # no SessionScopedEvents around the app
    with in_session("alice"):
        assert await replay(store, cursor) == (["alice-1"], "2")
