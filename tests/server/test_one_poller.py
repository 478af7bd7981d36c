"""One poller per workflow: however many calls wait for one workflow — in one process or on two
replicas sharing PostgreSQL — Linked API sees the GETs of a single waiter, and every waiter gets
the result as soon as the poller does."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import ServerState, build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0
WAITERS = 50


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    return both_stores


@pytest.fixture
def live(sandbox: Sandbox) -> Iterator[ServerThread]:
    """The (frozen) sandbox served over HTTP, as Linked API is to every replica."""
    with ServerThread(sandbox) as running:
        yield running


Replica = tuple[Client, ServerState]


@asynccontextmanager
async def replicas(
    settings: Settings, live: ServerThread, count: int
) -> AsyncIterator[list[tuple[Client, ServerState]]]:
    """``count`` servers on one store and one Linked API account (separate ledgers and pools: on
    PostgreSQL they only meet in the database, as replicas do)."""
    account = settings.model_copy(
        update={
            "base_url": live.base_url,
            "linked_api_token": SecretStr("lat-team-123456"),
            "identification_token": SecretStr("idt-team-123456"),
        }
    )
    async with AsyncExitStack() as stack:
        out = []
        for _ in range(count):
            server, state = build(account)
            out.append((await stack.enter_async_context(Client(server)), state))
        yield out


async def wait_all(
    clients: list[Client], workflow_id: str, sandbox: Sandbox, upstream: Any
) -> tuple[list[CallToolResult], int]:
    """``WAITERS`` get_workflow_result calls spread over the clients; once every one of them is
    waiting (each has sent its first progress notification), the workflow finishes upstream."""
    results: list[CallToolResult] = []
    waiting = 0
    all_waiting = anyio.Event()

    async def one(client: Client) -> None:
        first = True

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            # This call's first notification (the values are seconds once the run time is predicted).
            nonlocal first, waiting
            if first:
                first = False
                waiting += 1
                if waiting == WAITERS:
                    all_waiting.set()

        results.append(
            await client.call_tool(
                "get_workflow_result", {"workflowId": workflow_id, "waitSeconds": 150}, progress_callback=on_progress
            )
        )

    before = upstream.gets
    # A safety net only, well past the calls' budget: on a loaded machine the fifty calls may take
    # many seconds to be waiting, and then the poller's next look may be a while off.
    with anyio.fail_after(200):
        async with anyio.create_task_group() as tg:
            for i in range(WAITERS):
                tg.start_soon(one, clients[i % len(clients)])
            await all_waiting.wait()
            sandbox.advance(HOUR)
    return results, upstream.gets - before


@pytest.mark.timeout(300)  # past wait_all's 200 s safety net (pytest's default is 120 s)
async def test_fifty_waits_on_one_workflow_cost_the_gets_of_one(
    settings: Settings, sandbox: Sandbox, upstream: Any, live: ServerThread
) -> None:
    # A slow schedule: after its first look the poller waits seconds before the next one, far
    # longer than it takes the other waiters to join (the bound below does not depend on timing
    # otherwise: followers never GET).
    real_speed = settings.model_copy(update={"sandbox_speed": 3.0})
    async with replicas(real_speed, live, 2) as servers:
        clients = [c for c, _ in servers]
        started = await clients[0].call_tool("search_people", {"term": "nurse", "limit": 2, "waitSeconds": 0})
        assert started.structured_content is not None
        workflow_id = started.structured_content["workflowId"]
        results, gets = await wait_all(clients, workflow_id, sandbox, upstream)
    assert len(results) == WAITERS
    assert all(r.structured_content is not None and r.structured_content["status"] == "completed" for r in results)
    # One waiter's looks: the immediate look of get_workflow_result, then the one that saw it done.
    assert gets <= 2, gets


async def test_the_lease_of_a_replica_that_died_mid_wait_is_taken_over(
    settings: Settings, sandbox: Sandbox, upstream: Any, live: ServerThread
) -> None:
    async with replicas(settings, live, 2) as servers:
        (a, state_a), (b, _) = servers
        started = await a.call_tool("search_people", {"term": "chef", "limit": 2, "waitSeconds": 0})
        assert started.structured_content is not None
        workflow_id = started.structured_content["workflowId"]
        [row] = await state_a.ledger.find(workflow_id)
        # Replica A's poller holds the lease for another second, then dies without releasing it.
        assert await state_a.ledger.take_lease(row.id, "replica-a:dead", until=time.time() + 1.0)
        sandbox.advance(HOUR)  # the workflow finishes upstream; nobody looks
        gets_before = upstream.gets
        with anyio.fail_after(30):
            result = await b.call_tool("get_workflow_result", {"workflowId": workflow_id, "waitSeconds": 30})
        [after] = await state_a.ledger.find(workflow_id)
    assert result.structured_content is not None
    assert result.structured_content["status"] == "completed"
    # B followed the live lease (no GET), then took it over once it lapsed and looked once.
    assert upstream.gets - gets_before == 1
    assert after.poller != "replica-a:dead"
