"""A queued workflow is not polled while the account's earlier workflow is unfinished and polled
(issue 14, 1000 waits): Linked API runs an account's work one at a time, so the queued one can
only change once that one ends. Its call waits for that row in the store instead, looks as soon
as it has ended, and never stays silent longer than ``Runner.queue_defer``.

The sandbox is frozen: nothing moves until the test calls ``sandbox.advance``, and the server
polls as if it ran 1000× faster (a look every few milliseconds), so a call that polls shows it
within moments, while one that waits sends nothing however long the test watches.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import ServerState, build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    return both_stores


def gets_of(sandbox: Sandbox, workflow_id: str) -> int:
    """Status GETs of one workflow that reached the sandbox."""
    return sum(1 for r in sandbox.requests if r.method == "GET" and r.path == f"/workflows/{workflow_id}")


async def start(client: Client, term: str) -> str:
    """A search started with ``waitSeconds: 0``: its handle, and nobody polls it yet."""
    result = await client.call_tool("search_people", {"term": term, "limit": 2, "waitSeconds": 0})
    assert result.structured_content is not None, result.content
    return str(result.structured_content["workflowId"])


class Waiting:
    """A ``get_workflow_result`` call running in the background: ``waiting`` is set at its first
    progress notification, ``result`` once it returns."""

    def __init__(self) -> None:
        self.waiting = anyio.Event()
        self.done = anyio.Event()
        self.result: CallToolResult | None = None

    async def run(self, client: Client, workflow_id: str, wait: float) -> None:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            self.waiting.set()

        self.result = await client.call_tool(
            "get_workflow_result", {"workflowId": workflow_id, "waitSeconds": wait}, progress_callback=on_progress
        )
        self.done.set()

    @property
    def status(self) -> Any:
        assert self.result is not None
        assert self.result.structured_content is not None, self.result.content
        return self.result.structured_content["status"]


async def until(condition: Any, limit: float = 20.0) -> None:
    """Wait (polling the sandbox's request log) until ``condition()`` holds; a generous limit."""
    with anyio.fail_after(limit):
        for _ in itertools.count():
            if condition():
                return
            await anyio.sleep(0.005)


async def queued_pair(client: Client, state: ServerState) -> tuple[str, str]:
    first, second = await start(client, "nurse"), await start(client, "chef")
    [row] = await state.ledger.find(second)
    assert (row.state, row.pending_reason) == ("pending", "queued")  # behind the first, on Linked API
    return first, second


class Pair:
    """A waiting call on the first workflow and one on the queued second, started in turn."""

    def __init__(self, sandbox: Sandbox, first: str, second: str) -> None:
        self.sandbox, self.first, self.second = sandbox, first, second
        self.ahead, self.behind = Waiting(), Waiting()

    async def start(
        self, tg: anyio.abc.TaskGroup, ahead: Client, behind: Client, *, ahead_wait: float = 60
    ) -> None:
        """The first's call waiting (polling it), then the second's, up to its immediate look."""
        tg.start_soon(self.ahead.run, ahead, self.first, ahead_wait)
        await self.ahead.waiting.wait()
        tg.start_soon(self.behind.run, behind, self.second, 60)
        await self.behind.waiting.wait()
        await until(lambda: self.gets(self.second) >= 1)  # get_workflow_result's immediate look

    def gets(self, workflow_id: str) -> int:
        return gets_of(self.sandbox, workflow_id)

    async def first_looked_at(self, times: int) -> int:
        """Wait while the first is polled ``times`` more; the second's GETs by then."""
        looked = self.gets(self.first)
        await until(lambda: self.gets(self.first) >= looked + times)
        return self.gets(self.second)

    @property
    def statuses(self) -> tuple[Any, Any]:
        return self.ahead.status, self.behind.status


async def test_a_queued_workflow_costs_no_get_while_the_one_ahead_is_polled_and_is_looked_at_once_it_ends(
    client: Client, state: ServerState, sandbox: Sandbox
) -> None:
    pair = Pair(sandbox, *await queued_pair(client, state))
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            await pair.start(tg, client, client)
            # The first is polled all along (a look every few ms); the queued one is not.
            assert await pair.first_looked_at(20) == 1
            sandbox.advance(HOUR)  # both finish upstream, one after the other
    assert pair.statuses == ("completed", "completed")
    # After the first ended: a look that saw the second done (or running, then done).
    assert 2 <= pair.gets(pair.second) <= 3


async def test_a_queued_workflow_is_polled_when_nobody_polls_the_one_ahead(
    client: Client, state: ServerState, sandbox: Sandbox
) -> None:
    # What the ledger says of an unpolled workflow may be long out of date: it proves nothing.
    _first, second = await queued_pair(client, state)
    behind = Waiting()
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(behind.run, client, second, 60)
            await until(lambda: gets_of(sandbox, second) >= 5)
            sandbox.advance(HOUR)
    assert behind.status == "completed"


async def test_a_queued_workflow_is_polled_again_once_the_call_polling_the_one_ahead_has_ended(
    client: Client, state: ServerState, sandbox: Sandbox
) -> None:
    pair = Pair(sandbox, *await queued_pair(client, state))
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            await pair.start(tg, client, client, ahead_wait=1)  # its budget ends while the first still runs
            await pair.ahead.done.wait()
            assert pair.ahead.status in ("pending", "running")
            after = pair.gets(pair.second)
            await until(lambda: pair.gets(pair.second) >= after + 5)  # polling again, in moments
            sandbox.advance(HOUR)
    assert pair.behind.status == "completed"


async def test_a_queued_call_never_stays_silent_longer_than_its_bound(
    client: Client, state: ServerState, sandbox: Sandbox
) -> None:
    # In case Linked API's order is not the order of the starts, the queued workflow is looked at
    # once per bound even while the one ahead is polled.
    state.runner.queue_defer = 0.2
    pair = Pair(sandbox, *await queued_pair(client, state))
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            await pair.start(tg, client, client)
            await until(lambda: pair.gets(pair.second) >= 4)
            sandbox.advance(HOUR)
    assert pair.statuses == ("completed", "completed")


async def test_with_webhooks_a_delivery_for_the_queued_workflow_gets_one_look_and_the_wait_goes_on(
    client: Client, state: ServerState, sandbox: Sandbox
) -> None:
    # Hosted with webhooks: a thin delivery (no result) for the queued workflow means "look now";
    # the look finds it still queued, and the call waits behind the first again, without polling.
    state.runner.push = True
    pair = Pair(sandbox, *await queued_pair(client, state))
    [queued] = await state.ledger.find(pair.second)
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            await pair.start(tg, client, client)
            await state.ledger.poke(queued.id)  # what Runner.deliver does with a thin delivery
            await until(lambda: pair.gets(pair.second) >= 2)
            assert await pair.first_looked_at(20) == 2
            sandbox.advance(HOUR)
    assert pair.statuses == ("completed", "completed")


@asynccontextmanager
async def two_replicas(settings: Settings, live: ServerThread) -> AsyncIterator[list[tuple[Client, ServerState]]]:
    """Two servers on one store and one Linked API account, as two replicas (polling Linked API,
    here the live sandbox, at their real, unscaled schedule: at most one GET per 0.5 s)."""
    account = settings.model_copy(
        update={
            "poll_interval_seconds": 0.5,
            "base_url": live.base_url,
            "linked_api_token": SecretStr("lat-team-123456"),
            "identification_token": SecretStr("idt-team-123456"),
        }
    )
    async with AsyncExitStack() as stack:
        out = []
        for _ in range(2):
            server, state = build(account)
            out.append((await stack.enter_async_context(Client(server)), state))
        yield out


@pytest.fixture
def live(sandbox: Sandbox) -> Iterator[ServerThread]:
    with ServerThread(sandbox) as running:
        yield running


async def test_a_replica_waits_behind_the_workflow_another_replica_polls_and_is_woken_when_it_ends(
    tmp_path: Path, sandbox: Sandbox, live: ServerThread, postgres_url: str
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    async with two_replicas(settings, live) as [(one, state_one), (two, _)]:
        pair = Pair(sandbox, *await queued_pair(one, state_one))
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                await pair.start(tg, one, two)
                assert await pair.first_looked_at(4) == 1  # two seconds or more
                sandbox.advance(HOUR)
    assert pair.statuses == ("completed", "completed")
    assert 2 <= pair.gets(pair.second) <= 3
