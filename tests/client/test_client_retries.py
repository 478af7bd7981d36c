"""The retry table, end to end through LinkedApiClient over a scripted httpx transport.

Each row: a sequence of server behaviours (responses or transport failures) for one request,
and what the client must do: how many attempts reach the wire, which waits it sleeps on the
fake clock, and what it returns or raises. No real sleeping anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from linkedapi_mcp.client import (
    AuthenticationError,
    LinkedApiClient,
    LinkedApiError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryPolicy,
    UpstreamUnavailableError,
)

pytestmark = pytest.mark.anyio

Step = httpx.Response | type[httpx.RequestError]


def ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "result": result})


def envelope(status: int, type_: str, message: str = "msg", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"success": False, "error": {"type": type_, "message": message}}, headers=headers
    )


def html(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, text="<html>Service Unavailable</html>", headers=headers)


MALFORMED = httpx.Response(200, text="{not json")
NO_SUCCESS = httpx.Response(200, json={"result": {"workflowId": "wf-1"}})


@dataclass
class Script:
    steps: list[Step]
    seen: list[tuple[str, str]] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.raw_path.decode()))
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, httpx.Response):
            return step
        raise step("simulated", request=request)


Call = Callable[[LinkedApiClient], Awaitable[Any]]

CALLS: dict[str, tuple[Call, Any]] = {
    "get_workflow": (lambda c: c.get_workflow("wf-1"), {"workflowStatus": "running"}),
    "cancel_workflow": (lambda c: c.cancel_workflow("wf-1"), {"cancelled": True}),
    "poll_inbox": (lambda c: c.poll_inbox({}), {"messages": []}),
    "poll_network": (lambda c: c.poll_network({}), {"events": []}),
    "poll_conversations": (lambda c: c.poll_conversations([{"personUrl": "u", "type": "st"}]), []),
    "get_account": (lambda c: c.get_account(), {"name": "A", "url": "u"}),
    "get_action_stats": (lambda c: c.get_action_stats("a", "b"), []),
}
START_RESULT = {"workflowId": "wf-1", "workflowStatus": "pending"}


async def run(policy: RetryPolicy, steps: list[Step], call: Call) -> tuple[Script, Any]:
    script = Script(list(steps))
    async with LinkedApiClient(
        linked_api_token="linked_SECRET123",
        identification_token="ident_SECRET456",
        base_url="https://api.test",
        transport=httpx.MockTransport(script.handler),
        retry=policy,
    ) as client:
        try:
            return script, await call(client)
        except LinkedApiError as exc:
            return script, exc


def in_one_minute() -> str:
    return format_datetime(datetime.fromtimestamp(1_800_000_000.0 + 5, UTC), usegmt=True)


# (row id, steps before success, expected waits on the fake clock)
RECOVERABLE_FOR_READS: list[tuple[str, list[Step], list[float]]] = [
    ("connect error twice", [httpx.ConnectError, httpx.ConnectError], [0.5, 1.0]),
    ("connect timeout", [httpx.ConnectTimeout], [0.5]),
    ("pool timeout", [httpx.PoolTimeout], [0.5]),
    ("read timeout", [httpx.ReadTimeout], [0.5]),
    ("write timeout", [httpx.WriteTimeout], [0.5]),
    ("dropped connection", [httpx.RemoteProtocolError], [0.5]),
    ("read error", [httpx.ReadError], [0.5]),
    ("html 503 three times", [html(503), html(502), html(500)], [0.5, 1.0, 2.0]),
    ("html 503 with Retry-After seconds", [html(503, {"Retry-After": "3"})], [3.0]),
    ("empty 504", [httpx.Response(504)], [0.5]),
    ("malformed json on 200", [MALFORMED], [0.5]),
    ("undecodable body", [httpx.DecodingError], [0.5]),
    ("200 without success", [NO_SUCCESS], [0.5]),
    ("429 with Retry-After seconds", [envelope(429, "tooManyRequests", headers={"Retry-After": "2"})], [2.0]),
    ("429 with Retry-After date", [envelope(429, "tooManyRequests", headers={"Retry-After": in_one_minute()})], [5.0]),
    ("429 with garbage Retry-After", [envelope(429, "tooManyRequests", headers={"Retry-After": "soon"})], [0.5]),
    ("429 without envelope or header", [httpx.Response(429)], [0.5]),
]


@pytest.mark.parametrize("call_name", list(CALLS))
@pytest.mark.parametrize(("row", "faults", "waits"), RECOVERABLE_FOR_READS, ids=[r[0] for r in RECOVERABLE_FOR_READS])
async def test_reads_ride_out_transient_faults(
    policy: RetryPolicy, fake_clock: Any, call_name: str, row: str, faults: list[Step], waits: list[float]
) -> None:
    call, result = CALLS[call_name]
    script, value = await run(policy, [*faults, ok(result)], call)
    assert not isinstance(value, LinkedApiError), value
    assert len(script.seen) == len(faults) + 1
    assert fake_clock.slept == waits


START_ROWS: list[tuple[str, Step, type[LinkedApiError]]] = [
    ("read timeout", httpx.ReadTimeout, OutcomeUnknownError),
    ("write timeout", httpx.WriteTimeout, OutcomeUnknownError),
    ("dropped connection", httpx.RemoteProtocolError, OutcomeUnknownError),
    ("read error", httpx.ReadError, OutcomeUnknownError),
    ("html 503", html(503), OutcomeUnknownError),
    ("html 503 with Retry-After", html(503, {"Retry-After": "1"}), OutcomeUnknownError),
    ("malformed json on 200", MALFORMED, OutcomeUnknownError),
    ("undecodable body", httpx.DecodingError, OutcomeUnknownError),
    ("proxy error", httpx.ProxyError, OutcomeUnknownError),
    ("200 without success", NO_SUCCESS, OutcomeUnknownError),
    ("200 without workflowId", ok({"workflowStatus": "pending"}), OutcomeUnknownError),
    ("429", envelope(429, "tooManyRequests", headers={"Retry-After": "2"}), RateLimitedError),
    ("enveloped 500", envelope(500, "internalServerError"), OutcomeUnknownError),  # not a known refusal
    ("enveloped 401", envelope(401, "invalidLinkedApiToken"), AuthenticationError),
]


@pytest.mark.parametrize(("row", "step", "error"), START_ROWS, ids=[r[0] for r in START_ROWS])
async def test_a_start_that_may_have_arrived_is_sent_exactly_once(
    policy: RetryPolicy, fake_clock: Any, row: str, step: Step, error: type[LinkedApiError]
) -> None:
    script, value = await run(policy, [step, ok(START_RESULT)], lambda c: c.start_workflow({"actionType": "x"}))
    assert type(value) is error
    assert script.seen == [("POST", "/workflows")]
    assert fake_clock.slept == []


async def test_a_rate_limited_start_reports_the_servers_wait(policy: RetryPolicy) -> None:
    steps: list[Step] = [envelope(429, "tooManyRequests", headers={"Retry-After": "2"})]
    _, value = await run(policy, steps, lambda c: c.start_workflow({"actionType": "x"}))
    assert isinstance(value, RateLimitedError)
    assert value.retry_after == 2.0
    assert value.http_status == 429


@pytest.mark.parametrize(
    "fault", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol]
)
async def test_a_start_that_never_connected_is_retried(
    policy: RetryPolicy, fake_clock: Any, fault: type[httpx.RequestError]
) -> None:
    script, value = await run(policy, [fault, fault, ok(START_RESULT)], lambda c: c.start_workflow({"a": 1}))
    assert value.workflowId == "wf-1"
    assert script.seen == [("POST", "/workflows")] * 3
    assert fake_clock.slept == [0.5, 1.0]


async def test_persistent_outage_gives_up_after_five_attempts(policy: RetryPolicy, fake_clock: Any) -> None:
    script, value = await run(policy, [html(503)], lambda c: c.get_workflow("wf-1"))
    assert isinstance(value, UpstreamUnavailableError)
    assert value.type == "httpError"
    assert "HTTP 503" in value.message
    assert len(script.seen) == 5
    assert fake_clock.slept == [0.5, 1.0, 2.0, 4.0]


async def test_a_start_that_never_connects_gives_up_as_unavailable(policy: RetryPolicy) -> None:
    script, value = await run(policy, [httpx.ConnectError], lambda c: c.start_workflow({"a": 1}))
    assert isinstance(value, UpstreamUnavailableError)
    assert len(script.seen) == 5


async def test_retries_stop_before_the_callers_deadline(policy: RetryPolicy, fake_clock: Any) -> None:
    deadline = fake_clock.now + 2.0
    script, value = await run(policy, [html(503)], lambda c: c.get_workflow("wf-1", deadline=deadline))
    assert isinstance(value, UpstreamUnavailableError)
    assert fake_clock.slept == [0.5, 1.0]  # the next wait (2 s) would end past the deadline
    assert fake_clock.now <= deadline
    assert len(script.seen) == 3


async def test_a_retry_after_beyond_the_deadline_gives_up_with_the_wait(policy: RetryPolicy, fake_clock: Any) -> None:
    steps: list[Step] = [envelope(429, "tooManyRequests", headers={"Retry-After": "10"}), ok({"name": "A"})]
    script, value = await run(policy, steps, lambda c: c.get_account(deadline=fake_clock.now + 5))
    assert isinstance(value, RateLimitedError)
    assert value.retry_after == 10.0
    assert fake_clock.slept == []
    assert len(script.seen) == 1


async def test_a_retry_after_beyond_the_cap_gives_up_at_once(policy: RetryPolicy, fake_clock: Any) -> None:
    steps: list[Step] = [envelope(429, "tooManyRequests", headers={"Retry-After": "120"}), ok({"name": "A"})]
    script, value = await run(policy, steps, lambda c: c.get_account())
    assert isinstance(value, RateLimitedError)
    assert value.retry_after == 120.0
    assert len(script.seen) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500, 503])
async def test_an_enveloped_error_is_never_retried(policy: RetryPolicy, fake_clock: Any, status: int) -> None:
    script, value = await run(policy, [envelope(status, "someType"), ok({})], lambda c: c.get_account())
    assert isinstance(value, LinkedApiError)
    assert value.type == "someType"
    assert value.http_status == status
    assert len(script.seen) == 1
    assert fake_clock.slept == []


async def test_request_bodies_drop_none_values_and_carry_the_headers(policy: RetryPolicy) -> None:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return ok(START_RESULT)

    async with LinkedApiClient(
        linked_api_token="linked_SECRET123",
        identification_token="ident_SECRET456",
        client_name="tests",
        base_url="https://api.test/",
        transport=httpx.MockTransport(handler),
        retry=policy,
    ) as client:
        await client.start_workflow(
            {"actionType": "st.openPersonPage", "personUrl": "u", "then": [{"actionType": "c", "limit": None}]}
        )
        await client.get_account()
    post, get = captured
    assert json.loads(post.content) == {
        "actionType": "st.openPersonPage",
        "personUrl": "u",
        "then": [{"actionType": "c"}],
    }
    assert str(post.url) == "https://api.test/workflows"
    for request in captured:
        assert request.headers["linked-api-token"] == "linked_SECRET123"
        assert request.headers["identification-token"] == "ident_SECRET456"
        assert request.headers["client"] == "tests"
        assert request.headers["content-type"] == "application/json"
    assert get.content == b""


async def test_one_attempt_never_waits_longer_than_the_time_left(policy: RetryPolicy, fake_clock: Any) -> None:
    timeouts: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return ok({"name": "A", "url": "u"})

    async with LinkedApiClient(
        linked_api_token="t",
        identification_token="i",
        transport=httpx.MockTransport(handler),
        timeout=httpx.Timeout(30.0, connect=5.0),
        retry=policy,
    ) as client:
        await client.get_account()
        await client.get_account(deadline=fake_clock.now + 2.5)
        await client.get_account(deadline=fake_clock.now - 1)  # already late: one honest short try
    assert timeouts[0] == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert timeouts[1] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert timeouts[2] == {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}
