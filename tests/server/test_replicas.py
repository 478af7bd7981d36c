"""Two real server processes behind one PostgreSQL, as replicas behind a load balancer: they start
one workflow for identical calls, share handles, confirmations and budgets, and lose nothing when
one of them is killed mid-wait. Counted in the sandbox's request log."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, ElicitResult

from linkedapi_mcp.sandbox import Sandbox, ServerThread

pytestmark = pytest.mark.anyio

HOUR = 3600.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}/mcp"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def replica(env: dict[str, str], data_dir: Path) -> Iterator[Replica]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "linkedapi_mcp", "serve", "--transport", "http", "--port", str(port)],
        env={**env, "LINKEDAPI_MCP_DATA_DIR": str(data_dir)},
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # a safety net: the loop ends when the server answers
        while time.monotonic() < deadline:
            assert process.poll() is None, "the replica exited"
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Replica(process, port)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def live() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


@pytest.fixture
def two_replicas(tmp_path: Path, live: ServerThread, postgres_url: str) -> Iterator[tuple[Replica, Replica]]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LINKED_API_BASE_URL": live.base_url,
        "LINKED_API_TOKEN": "lat-team-123456",
        "IDENTIFICATION_TOKEN": "idt-team-123456",
        "LINKEDAPI_MCP_DATABASE_URL": postgres_url,
        "LINKEDAPI_MCP_SECRET_KEY": "replica-shared-secret-" + "x" * 20,
        "LINKEDAPI_MCP_BUDGETS": "stMessages=3/day",
        "LINKEDAPI_MCP_CONFIRM": "elicit-or-preview",
    }
    # Separate data directories: whatever they share, they share through PostgreSQL.
    with replica(env, tmp_path / "a") as a, replica(env, tmp_path / "b") as b:
        yield a, b


async def accept(context: Any, params: Any) -> ElicitResult:
    return ElicitResult(action="accept", content={"confirm": True})


@asynccontextmanager
async def connect(target: Replica, *, elicit: bool = True) -> AsyncIterator[Client]:
    async with Client(streamable_http_client(target.url), elicitation_callback=accept if elicit else None) as client:
        yield client


def posts(live: ServerThread) -> int:
    return sum(1 for r in live.sandbox.requests if r.method == "POST" and r.path == "/workflows" and r.status == 200)


def data(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, result.content
    return result.structured_content


def text(result: CallToolResult) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


async def test_identical_writes_arriving_at_two_replicas_at_once_start_one_workflow(
    two_replicas: tuple[Replica, Replica], live: ServerThread
) -> None:
    a, b = two_replicas
    person = live.sandbox.samples()["connectionUrls"][0]
    args = {"personUrl": person, "text": "Hello from the team", "waitSeconds": 0}
    results: list[CallToolResult] = []

    async def send(target: Replica) -> None:
        async with connect(target) as client:
            results.append(await client.call_tool("send_message", args))

    async with anyio.create_task_group() as tg:
        tg.start_soon(send, a)
        tg.start_soon(send, b)
    assert posts(live) == 1
    ids = {data(r)["workflowId"] for r in results}
    assert len(ids) == 1
    assert sorted(bool(data(r)["deduplicated"]) for r in results) == [False, True]


async def test_a_handle_started_on_one_replica_is_collected_on_the_other_and_survives_its_death(
    two_replicas: tuple[Replica, Replica], live: ServerThread
) -> None:
    a, b = two_replicas
    async with connect(a) as on_a:
        started = data(await on_a.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0}))
        waiting = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            waiting.set()

        async with anyio.create_task_group() as tg:
            # Replica A waits on it (and polls it), then dies in the middle of the wait.
            tg.start_soon(
                lambda: on_a.call_tool(
                    "get_workflow_result",
                    {"workflowId": started["workflowId"], "waitSeconds": 60},
                    progress_callback=on_progress,
                )
            )
            with anyio.fail_after(30):
                await waiting.wait()
            a.kill()
            tg.cancel_scope.cancel()
    live.sandbox.advance(HOUR)
    async with connect(b) as on_b:
        listed = data(await on_b.call_tool("list_workflows", {}))
        collected = data(await on_b.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert [w["workflowId"] for w in listed["workflows"]] == [started["workflowId"]]
    assert collected["status"] == "completed"
    assert len(collected["result"]) == 2
    assert posts(live) == 1


async def test_a_confirmation_issued_by_one_replica_is_redeemed_once_on_the_other(
    two_replicas: tuple[Replica, Replica], live: ServerThread
) -> None:
    a, b = two_replicas
    person = live.sandbox.samples()["connectionUrls"][1]
    args = {"personUrl": person, "text": "Confirmed on another replica", "waitSeconds": 0}
    async with connect(a, elicit=False) as on_a:
        preview = await on_a.call_tool("send_message", args)
    found = re.search(r"confirmationId[\"'=: ]+([A-Za-z0-9_-]{12,})", text(preview))
    assert found, text(preview)
    confirmed = {**args, "confirmationId": found.group(1)}
    async with connect(b, elicit=False) as on_b:
        sent = await on_b.call_tool("send_message", confirmed)
    async with connect(a, elicit=False) as on_a:
        again = await on_a.call_tool("send_message", {**confirmed, "text": "Confirmed on another replica!"})
    assert not sent.is_error, text(sent)
    assert again.is_error  # spent on B (and bound to the first text besides)
    assert posts(live) == 1


async def test_budgets_count_across_replicas(two_replicas: tuple[Replica, Replica], live: ServerThread) -> None:
    a, b = two_replicas
    people = live.sandbox.samples()["connectionUrls"]
    outcomes = []
    for i, target in enumerate((a, b, a, b)):  # the cap is 3 messages a day for the account
        async with connect(target) as client:
            outcomes.append(
                await client.call_tool("send_message", {"personUrl": people[i], "text": f"Hi {i}", "waitSeconds": 0})
            )
    assert [r.is_error for r in outcomes] == [False, False, False, True]
    assert "stMessages" in text(outcomes[3])
    assert posts(live) == 3
