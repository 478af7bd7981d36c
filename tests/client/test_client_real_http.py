"""The client over a real socket (the sandbox served by uvicorn on a free port): httpx's own
exceptions for a dropped connection, a read timeout and a refused connection are classified
the same way as the in-process transport's, and a start is still sent only once."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from linkedapi_mcp.client import LinkedApiClient, OutcomeUnknownError, RetryPolicy, UpstreamUnavailableError
from linkedapi_mcp.sandbox import Sandbox, ServerThread

pytestmark = pytest.mark.anyio

SSI = {"actionType": "st.retrieveSSI"}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


@pytest.fixture
def live(server: ServerThread) -> ServerThread:
    server.sandbox.reset()
    return server


def make_client(base_url: str, policy: RetryPolicy, read_timeout: float = 5.0) -> LinkedApiClient:
    return LinkedApiClient(
        linked_api_token="linked_SECRET123",
        identification_token="ident_SECRET456",
        base_url=base_url,
        # Generous: a loaded machine may take seconds to accept; a refused connection fails at once anyway.
        timeout=httpx.Timeout(read_timeout, connect=30.0),
        retry=policy,
    )


def posts(sandbox: Sandbox) -> int:
    return sum(1 for e in sandbox.requests if e.method == "POST" and e.path == "/workflows")


async def test_a_start_dropped_after_acceptance_is_reported_unknown_and_not_resent(
    live: ServerThread, policy: RetryPolicy
) -> None:
    live.sandbox.faults.add("dropAfterAccept")
    async with make_client(live.base_url, policy) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.start_workflow(SSI)
    assert "RemoteProtocolError" in info.value.message or "ReadError" in info.value.message
    assert posts(live.sandbox) == 1
    assert len(live.sandbox.workflows()) == 1  # it was created: re-sending would have doubled it


async def test_a_start_answered_too_slowly_is_reported_unknown_and_not_resent(
    live: ServerThread, policy: RetryPolicy
) -> None:
    # The answer is held ten times the read timeout: it cannot arrive in time however busy the machine is.
    live.sandbox.faults.add("slow", method="POST", path="/workflows", seconds=2.0)
    async with make_client(live.base_url, policy, read_timeout=0.2) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.start_workflow(SSI)
    assert "ReadTimeout" in info.value.message
    # The server did the work before holding the answer (its log entry lands when the hold ends).
    assert len(live.sandbox.workflows()) == 1


async def test_a_read_rides_out_a_dropped_connection_and_a_5xx(
    live: ServerThread, policy: RetryPolicy, fake_clock: Any
) -> None:
    async with make_client(live.base_url, policy) as client:
        start = await client.start_workflow(SSI)
        path = f"/workflows/{start.workflowId}"
        live.sandbox.faults.add("dropAfterAccept", method="GET", path=path)
        live.sandbox.faults.add("serverError", method="GET", path=path)
        state = await client.get_workflow(start.workflowId)
    assert state.workflowStatus == "pending"
    assert fake_clock.slept == [0.5, 1.0]
    assert posts(live.sandbox) == 1


async def test_a_refused_connection_is_retried_then_reported_unavailable(policy: RetryPolicy, fake_clock: Any) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with make_client(f"http://127.0.0.1:{port}", policy) as client:
        with pytest.raises(UpstreamUnavailableError) as info:
            await client.start_workflow(SSI)
    assert "ConnectError" in info.value.message
    assert fake_clock.slept == [0.5, 1.0, 2.0, 4.0]  # five attempts: it never left, so a start may retry
