"""The one attempt every backend shares (client/transport.py), seen through each of the three clients
over a scripted httpx transport: a start that may have reached upstream is sent once, a start that
never connected is sent again, and no attempt's time-outs outlast the caller's deadline (an Account
API long start stretches its read to the deadline instead). The retry policy sleeps on a fake clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from linkedapi_mcp.client import OutcomeUnknownError, RetryPolicy
from linkedapi_mcp.client.account_api import AccountApiClient
from linkedapi_mcp.client.captaindata import CaptainDataClient
from linkedapi_mcp.client.http import LinkedApiClient
from linkedapi_mcp.client.transport import HttpApiClient

from .conftest import FakeClock

pytestmark = pytest.mark.anyio

Step = httpx.Response | type[httpx.RequestError]
READ_SSI = {"actionType": "st.retrieveSSI"}


@dataclass
class Wire:
    """What reaches the wire, and each attempt's time-outs; answers ``steps`` in turn (the last repeats)."""

    steps: list[Step]
    sent: list[tuple[str, str]] = field(default_factory=list)
    timeouts: list[dict[str, float]] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        self.timeouts.append(request.extensions["timeout"])
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, httpx.Response):
            return step
        raise step("simulated", request=request)


def linked_api(wire: Wire, policy: RetryPolicy) -> HttpApiClient:
    return LinkedApiClient(
        linked_api_token="t", identification_token="i", transport=httpx.MockTransport(wire.handler), retry=policy
    )


def account_api(wire: Wire, policy: RetryPolicy) -> HttpApiClient:
    return AccountApiClient(
        linked_api_token="t", identification_token="i", transport=httpx.MockTransport(wire.handler), retry=policy
    )


def captain_data(wire: Wire, policy: RetryPolicy) -> HttpApiClient:
    return CaptainDataClient(api_key="k", project_id="p", transport=httpx.MockTransport(wire.handler), retry=policy)


# backend → (client, its start, the answer of a successful start, the start's path)
Start = Callable[[Any], Awaitable[Any]]
BACKENDS: dict[str, tuple[Callable[[Wire, RetryPolicy], HttpApiClient], Start, httpx.Response, str]] = {
    "linked api": (
        linked_api,
        lambda c: c.start_workflow(READ_SSI),
        httpx.Response(200, json={"success": True, "result": {"workflowId": "wf-1", "workflowStatus": "pending"}}),
        "/workflows",
    ),
    "account api": (
        account_api,
        lambda c: c.start_workflow(READ_SSI),
        httpx.Response(200, json={"status": "running", "progress": {"resultLink": "abc123"}}),
        "/account/workflow",
    ),
    "captain data": (
        captain_data,
        lambda c: c.launch("wf-uid", {"inputs": []}),
        httpx.Response(200, json={"job_uid": "job-1"}),
        "/v3/workflows/wf-uid/schedule",
    ),
}


@pytest.mark.parametrize("fault", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError])
@pytest.mark.parametrize("backend", list(BACKENDS))
async def test_a_start_that_may_have_reached_upstream_is_sent_once(
    policy: RetryPolicy, fake_clock: FakeClock, backend: str, fault: type[httpx.RequestError]
) -> None:
    make, start, answer, path = BACKENDS[backend]
    wire = Wire([fault, answer])
    async with make(wire, policy) as client:
        with pytest.raises(OutcomeUnknownError):
            await start(client)
    assert [p for _, p in wire.sent] == [path]
    assert fake_clock.slept == []


@pytest.mark.parametrize("fault", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
@pytest.mark.parametrize("backend", list(BACKENDS))
async def test_a_start_that_never_connected_is_sent_again_after_a_backoff(
    policy: RetryPolicy, fake_clock: FakeClock, backend: str, fault: type[httpx.RequestError]
) -> None:
    make, start, answer, path = BACKENDS[backend]
    wire = Wire([fault, answer])
    async with make(wire, policy) as client:
        await start(client)
    assert [p for _, p in wire.sent] == [path, path]
    assert fake_clock.slept == [0.5]


# backend → (client, a read with a deadline, its answer)
Read = Callable[[Any, float | None], Awaitable[Any]]
READS: dict[str, tuple[Callable[[Wire, RetryPolicy], HttpApiClient], Read, httpx.Response]] = {
    "linked api": (
        linked_api,
        lambda c, deadline: c.get_account(deadline=deadline),
        httpx.Response(200, json={"success": True, "result": {"name": "A", "url": "u"}}),
    ),
    "account api": (
        account_api,
        lambda c, deadline: c.get_workflow("abc123", deadline=deadline),
        httpx.Response(200, json={"status": "running"}),
    ),
    "captain data": (
        captain_data,
        lambda c, deadline: c.get_job("job-1", deadline=deadline),
        httpx.Response(200, json={"status": "running"}),
    ),
}


@pytest.mark.parametrize("backend", list(READS))
async def test_no_attempt_has_time_outs_past_the_callers_deadline(
    policy: RetryPolicy, fake_clock: FakeClock, backend: str
) -> None:
    make, read, answer = READS[backend]
    wire = Wire([answer])
    async with make(wire, policy) as client:
        await read(client, None)
        await read(client, fake_clock.now + 2.5)
        await read(client, fake_clock.now - 1)  # already late: one honest short try
    assert wire.timeouts[0] == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert wire.timeouts[1] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert wire.timeouts[2] == {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}


async def test_an_account_api_long_start_waits_for_its_answer_until_the_callers_deadline(
    policy: RetryPolicy, fake_clock: FakeClock
) -> None:
    answer = httpx.Response(200, json={"status": "completed", "completion": {"ssi": 42}})
    wire = Wire([answer])
    async with AccountApiClient(
        linked_api_token="t",
        identification_token="i",
        long_reads=True,
        transport=httpx.MockTransport(wire.handler),
        retry=policy,
    ) as client:
        start = await client.start_workflow(READ_SSI, deadline=fake_clock.now + 120.0)
        assert start.resultHeld
        await client.start_workflow(READ_SSI)  # no deadline: the long cap
        await client.get_workflow("abc123", deadline=fake_clock.now + 120.0)  # a result link: a short read
    assert wire.timeouts[0] == {"connect": 5.0, "read": 120.0, "write": 120.0, "pool": 120.0}
    assert wire.timeouts[1] == {"connect": 5.0, "read": 600.0, "write": 600.0, "pool": 600.0}
    assert wire.timeouts[2] == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}
