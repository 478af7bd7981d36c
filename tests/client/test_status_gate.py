"""Status GETs of waiting calls pass a FIFO gate (client/transport.py, STATUS_LANE), starts
another (START_LANE); direct reads pass neither. Upstream is the sandbox, behind a transport that
holds status GETs (or starts) until the test lets them go and counts how many are upstream at once
(a harness, not a mock of our code)."""

from __future__ import annotations

import anyio
import httpx
import pytest

from linkedapi_mcp.client import RetryPolicy
from linkedapi_mcp.client.http import LinkedApiClient
from linkedapi_mcp.client.retry import Fault, Outcome
from linkedapi_mcp.client.transport import START_LANE, STATUS_LANE
from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


class Holding(httpx.AsyncBaseTransport):
    """Forwards to the sandbox; status GETs wait for ``release`` and are counted while upstream."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, starts: bool = False) -> None:
        self.inner = inner
        self.starts = starts  # hold starts (POST /workflows) instead of status reads
        self.lane = START_LANE if starts else STATUS_LANE
        self.release = anyio.Event()
        self.lane_full = anyio.Event()  # a lane's worth of requests have arrived
        self.upstream = 0
        self.most = 0
        self.arrived = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.starts:
            held = request.method == "POST" and request.url.path == "/workflows"
        else:
            held = request.method == "GET" and request.url.path.startswith("/workflows/")
        if held:
            self.upstream += 1
            self.arrived += 1
            self.most = max(self.most, self.upstream)
            if self.arrived >= self.lane:
                self.lane_full.set()
            try:
                await self.release.wait()
                return await self.inner.handle_async_request(request)
            finally:
                self.upstream -= 1
        return await self.inner.handle_async_request(request)


def _client(sandbox: Sandbox, wire: Holding) -> LinkedApiClient:
    return LinkedApiClient(
        linked_api_token="t",
        identification_token="t",
        base_url=sandbox.base_url,
        transport=wire,
        retry=RetryPolicy(max_attempts=1),
    )


async def test_waiting_calls_status_reads_go_upstream_a_lane_at_a_time_and_a_start_is_not_held_behind() -> None:
    # Without the gate hundreds of queued GETs made httpcore's pool bookkeeping quadratic and a
    # quick call's own request waited behind them for seconds (issue 14, HTTP load).
    sandbox = Sandbox(seed=42, speed=0)
    wire = Holding(sandbox.transport())
    client = _client(sandbox, wire)
    started = await client.start_workflow({"actionType": "st.retrieveSSI"})
    results: list[object] = []

    async def look() -> None:
        results.append(await client.get_workflow(started.workflowId))

    async with client, anyio.create_task_group() as tg:
        for _ in range(STATUS_LANE * 4):
            tg.start_soon(look)
        with anyio.fail_after(10):
            await wire.lane_full.wait()
        for _ in range(20):  # give any ungated GET the chance to reach upstream
            await anyio.lowlevel.checkpoint()
        assert wire.upstream == STATUS_LANE  # the rest wait in our FIFO, not in the pool
        with anyio.fail_after(10):  # a start goes straight through while 48 reads wait
            another = await client.start_workflow({"actionType": "st.retrieveSSI"})
        wire.release.set()
    assert another.workflowId != started.workflowId
    assert len(results) == STATUS_LANE * 4
    assert wire.most == STATUS_LANE


async def test_a_status_read_that_finds_no_slot_before_its_deadline_is_reported_as_never_sent() -> None:
    # A read that timed out in our queue never left: the retry policy may repeat it at once, and
    # nothing upstream counts it.
    sandbox = Sandbox(seed=42, speed=0)
    wire = Holding(sandbox.transport())
    client = _client(sandbox, wire)
    started = await client.start_workflow({"actionType": "st.retrieveSSI"})
    path = f"/workflows/{started.workflowId}"
    async with client, anyio.create_task_group() as tg:
        for _ in range(STATUS_LANE):
            tg.start_soon(client.get_workflow, started.workflowId)
        with anyio.fail_after(10):
            await wire.lane_full.wait()
        outcome = await client._attempt(
            "GET", path, lambda r: Outcome(Fault.DROPPED), None, None, httpx.Timeout(0.2), 0.2, 1
        )
        wire.release.set()
    assert isinstance(outcome, Outcome)
    assert outcome.fault is Fault.CONNECT
    assert wire.arrived == STATUS_LANE  # the late read never reached upstream


async def test_a_burst_of_starts_goes_upstream_a_lane_at_a_time_and_a_direct_read_is_not_held_behind() -> None:
    # Hundreds of fresh tool calls at once: their starts queue in our FIFO, not in httpcore's pool
    # (whose bookkeeping grows with the square of its queue), and a quick call's read goes through.
    sandbox = Sandbox(seed=42, speed=0)
    wire = Holding(sandbox.transport(), starts=True)
    client = _client(sandbox, wire)
    started: list[str] = []

    async def start() -> None:
        started.append((await client.start_workflow({"actionType": "st.retrieveSSI"})).workflowId)

    async with client, anyio.create_task_group() as tg:
        for _ in range(START_LANE * 2):
            tg.start_soon(start)
        with anyio.fail_after(10):
            await wire.lane_full.wait()
        for _ in range(20):
            await anyio.lowlevel.checkpoint()
        assert wire.upstream == START_LANE
        with anyio.fail_after(10):  # a direct read goes straight through while the starts wait
            info = await client.get_account()
        wire.release.set()
    assert info
    assert len(set(started)) == START_LANE * 2  # every start sent once, none lost in the queue
    assert wire.most == START_LANE


async def test_a_start_that_finds_no_slot_before_its_deadline_is_reported_as_never_sent() -> None:
    # Never sent means safe: the retry policy may send it again without creating a second workflow.
    sandbox = Sandbox(seed=42, speed=0)
    wire = Holding(sandbox.transport(), starts=True)
    client = _client(sandbox, wire)
    async with client, anyio.create_task_group() as tg:
        for _ in range(START_LANE):
            tg.start_soon(client.start_workflow, {"actionType": "st.retrieveSSI"})
        with anyio.fail_after(10):
            await wire.lane_full.wait()
        outcome = await client._attempt(
            "POST", "/workflows", lambda r: Outcome(Fault.DROPPED), {}, None, httpx.Timeout(0.2), 0.2, 1
        )
        wire.release.set()
    assert isinstance(outcome, Outcome)
    assert outcome.fault is Fault.CONNECT
    assert wire.arrived == START_LANE  # the late start never reached upstream
