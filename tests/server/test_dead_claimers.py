"""A claim whose holder is gone is recognised at once (issue 12, point 6): a server process killed
in the middle of its start leaves a claim that the next identical call reports as outcome unknown
straight away, naming the dead process, and never sends again. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

from .test_replicas import connect, data, replica, text

pytestmark = pytest.mark.anyio

TOKENS = {"LINKED_API_TOKEN": "lat-team-123456", "IDENTIFICATION_TOKEN": "idt-team-123456"}


@pytest.fixture
def live() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


def _answered_posts(live: ServerThread) -> int:
    """POST /workflows answered so far (the held one is logged once its answer goes out)."""
    return sum(1 for r in live.sandbox.requests if r.method == "POST" and r.path == "/workflows")


async def test_a_send_whose_starting_process_was_killed_is_outcome_unknown_at_once_and_never_sent_again(
    tmp_path: Path, live: ServerThread, both_stores: str | None
) -> None:
    data_dir = tmp_path / "data"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LINKED_API_BASE_URL": live.base_url, **TOKENS}
    env |= {"LINKEDAPI_MCP_CONFIRM": "never", "LINKEDAPI_MCP_SECRET_KEY": "dead-claimer-secret-" + "x" * 20}
    if both_stores is not None:
        env["LINKEDAPI_MCP_DATABASE_URL"] = both_stores
    # The sandbox creates the workflow, then holds its answer: the other process is mid-start.
    live.sandbox.faults.add("slow", method="POST", path="/workflows", seconds=20)
    person = live.sandbox.samples()["connectionUrls"][0]
    args = {"personUrl": person, "text": "Hello from a process about to die", "waitSeconds": 0}

    with replica(env, data_dir) as other:

        async def send_there() -> None:
            try:
                async with connect(other, elicit=False) as client:
                    await client.call_tool("send_message", args)
            except Exception:  # the process is killed under this call
                pass

        async with anyio.create_task_group() as tg:
            tg.start_soon(send_there)
            # Ordered by events: the POST has reached Linked API (the sandbox created the workflow).
            deadline = time.monotonic() + 60  # a safety net only
            while not live.sandbox.scheduler.all():
                assert time.monotonic() < deadline, "the other process never started its send"
                await anyio.sleep(0.05)
            other.kill()  # SIGKILL: no chance to record anything
            tg.cancel_scope.cancel()
        killed_pid = other.process.pid

    settings = Settings(
        data_dir=data_dir,
        base_url=live.base_url,
        linked_api_token=TOKENS["LINKED_API_TOKEN"],
        identification_token=TOKENS["IDENTIFICATION_TOKEN"],
        database_url=both_stores,
        confirm="never",
    )
    server, _ = build(settings)
    async with Client(server) as client:
        again = await client.call_tool("send_message", args)
        listed = await client.call_tool("list_workflows", {})

    out = data(again)
    assert out["status"] == "outcome_unknown"
    assert out["deduplicated"] is True
    assert f"process {killed_pid} on " in out["message"]
    assert "is no longer running" in out["message"]
    assert "whether Linked API accepted the start is unknown" in out["message"]
    assert "being started by another server process" not in text(again)
    # Linked API has the one workflow the killed process started (its answer is still held); no
    # other POST reached it.
    assert len(live.sandbox.scheduler.all()) == 1
    assert _answered_posts(live) == 0
    assert [w["status"] for w in data(listed)["workflows"]] == ["outcome_unknown"]
