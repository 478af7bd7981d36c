"""End to end, the product's promise of webhook push, with nothing hand-made in between:

``linkedapi-mcp webhooks setup --public-url <the MCP server>`` (a real process) subscribes the
account on the standalone sandbox through the Admin API and prints the signing secret; the MCP
server runs over real HTTP (uvicorn on a loopback port) with that secret; a client waits in
``get_workflow_result``; when the sandbox completes the workflow, the sandbox itself signs and
delivers ``workflow.completed`` to the server, and the waiting call returns ``completed`` with
zero further GETs. A replayed delivery (``webhook.replayDelivery``) changes nothing.

The sandbox's clock is frozen (the workflow finishes when the test calls ``advance``) and the
server polls on Linked API's real schedule (``sandbox_speed=1``), so after its first look it would
not look again for seconds: what ends the wait sooner came by push.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult
from pydantic import SecretStr

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.sandbox.server import base_url_of, bind
from linkedapi_mcp.server.app import ServerState, build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import Settings

pytest.importorskip("linkedapi")
from linkedapi.admin import LinkedApiAdmin
from linkedapi.admin.http_client import AdminHttpClient
from linkedapi.types.admin import AdminConfig
from linkedapi.types.webhooks import ReplayWebhookDeliveryParams

pytestmark = pytest.mark.anyio

HOUR = 3600.0
SAFETY = 30.0  # seconds: a safety net against hangs, never an ordering device
LINKED_API_TOKEN = "lat-team-123456"
IDENTIFICATION_TOKEN = "idt-team-123456"


@dataclass
class Push:
    sandbox: Sandbox
    mcp_url: str
    state: ServerState
    admin: Any


@pytest.fixture
def live() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


def setup_webhook(sandbox_url: str, public_url: str) -> str:
    """``linkedapi-mcp webhooks setup`` as a user runs it; returns the secret it printed."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LINKED_API_TOKEN": LINKED_API_TOKEN,
        "LINKED_API_BASE_URL": sandbox_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "linkedapi_mcp", "webhooks", "setup", "--public-url", public_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip()
    assert secret
    assert "\n" not in secret  # the secret alone on stdout; the explanation goes to stderr
    assert "LINKEDAPI_MCP_WEBHOOK_SECRET" in done.stderr
    return secret


@pytest.fixture
def push(tmp_path: Path, live: ServerThread) -> Iterator[Push]:
    sock = bind("127.0.0.1", 0)
    public_url = base_url_of(sock)
    secret = setup_webhook(live.base_url, public_url)
    settings = Settings(
        data_dir=tmp_path / "data",
        base_url=live.base_url,
        linked_api_token=SecretStr(LINKED_API_TOKEN),
        identification_token=SecretStr(IDENTIFICATION_TOKEN),
        webhook_secret=SecretStr(secret),
        sandbox_speed=1.0,
    )
    server, state = build(settings, http=True, host="127.0.0.1")
    app = http_app(server, host="127.0.0.1")
    running = uvicorn.Server(uvicorn.Config(app, http="h11", lifespan="on", log_level="warning", access_log=False))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + SAFETY
    while not running.started:  # startup only: uvicorn has no readiness callback
        assert thread.is_alive(), "the MCP server did not start"
        assert time.monotonic() < deadline, "the MCP server did not start in time"
        time.sleep(0.005)
    admin = LinkedApiAdmin(AdminHttpClient(AdminConfig(linked_api_token=LINKED_API_TOKEN), base_url=live.base_url))
    try:
        yield Push(live.sandbox, f"{public_url}/mcp", state, admin)
    finally:
        running.should_exit = True
        thread.join(timeout=SAFETY)
        sock.close()


@asynccontextmanager
async def connect(push: Push) -> AsyncIterator[Client]:
    async with Client(streamable_http_client(push.mcp_url)) as client:
        yield client


def gets(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.method == "GET" and r.path.startswith("/workflows/"))


async def until(condition: Callable[[], Any]) -> Any:
    """Poll ``condition()`` (the sandbox's log or the Admin API) until it is truthy; returns it."""
    with anyio.fail_after(SAFETY):
        for _ in itertools.count():
            if value := condition():
                return value
            await anyio.sleep(0.01)
    raise AssertionError("unreachable")


def data(result: CallToolResult) -> dict[str, Any]:
    content = result.structured_content
    assert content is not None, result.content
    return dict(content)


async def test_setup_subscribes_and_a_completion_reaches_the_waiting_call_with_zero_gets(push: Push) -> None:
    [hook] = push.admin.webhooks.get()
    assert hook.url == push.mcp_url.removesuffix("/mcp") + "/webhooks/linkedapi"
    assert (hook.payload_mode, hook.signing_enabled) == ("fat", True)
    sandbox = push.sandbox
    results: list[CallToolResult] = []
    async with connect(push) as client:
        started = await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0})
        workflow_id = data(started)["workflowId"]
        waiting = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            waiting.set()

        async def wait_for_it() -> None:
            arguments = {"workflowId": workflow_id, "waitSeconds": 120}
            results.append(await client.call_tool("get_workflow_result", arguments, progress_callback=on_progress))

        with anyio.fail_after(SAFETY):  # the push ends the wait long before
            async with anyio.create_task_group() as tg:
                looked = gets(sandbox) + 1
                tg.start_soon(wait_for_it)
                await waiting.wait()
                await until(lambda: gets(sandbox) >= looked)  # its immediate look was answered
                sandbox.advance(HOUR)  # the workflow completes; the sandbox delivers the event
                before = gets(sandbox)
        assert gets(sandbox) == before  # no GET after the delivery
        [result] = results
        assert data(result)["status"] == "completed"
        assert len(data(result)["result"]) == 2

        # The sandbox's own record: one delivery of workflow.completed, acknowledged at once.
        [delivery] = push.admin.webhooks.deliveries()
        assert delivery.event_id == f"workflow.completed:{workflow_id}"
        assert (delivery.status, delivery.attempts, delivery.response_status_code) == ("success", 1, 200)

        # Linked API replays it: the server acknowledges it as a duplicate and nothing changes.
        rows = [(row.id, row.in_flight) for row in await push.state.ledger.find(workflow_id)]
        push.admin.webhooks.replay_delivery(ReplayWebhookDeliveryParams(delivery_id=delivery.id))
        replayed = await until(
            lambda: [d for d in push.admin.webhooks.deliveries() if d.id != delivery.id and d.status == "success"]
        )
        assert replayed[0].event_id == delivery.event_id
        assert replayed[0].response_status_code == 200
        assert [(row.id, row.in_flight) for row in await push.state.ledger.find(workflow_id)] == rows
        again = await client.call_tool("get_workflow_result", {"workflowId": workflow_id})
        assert data(again)["status"] == "completed"
        assert data(again)["result"] == data(result)["result"]
        assert gets(sandbox) == before  # still no GET: the row is finished
