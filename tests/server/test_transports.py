"""The server as clients really run it: a stdio subprocess (killed and restarted) and Streamable HTTP."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0


@pytest.fixture
def frozen_live() -> Iterator[ServerThread]:
    """A standalone sandbox over real HTTP with a frozen clock: it outlives the MCP processes."""
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


def stdio_params(live: ServerThread, data_dir: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "linkedapi_mcp"],
        env={
            "LINKED_API_BASE_URL": live.base_url,
            "LINKED_API_TOKEN": "any-token",
            "IDENTIFICATION_TOKEN": "any-id-token",
            "LINKEDAPI_MCP_DATA_DIR": str(data_dir),
        },
    )


async def test_a_workflow_survives_killing_and_restarting_the_stdio_server(
    frozen_live: ServerThread, tmp_path: Path
) -> None:
    params = stdio_params(frozen_live, tmp_path / "data")
    handle_recorded = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        handle_recorded.set()  # the first notification comes after the handle is in the ledger

    # First process: start a search that cannot finish (frozen clock), then kill the process mid-call.
    async with Client(params) as first, anyio.create_task_group() as tg:
        assert "search_people" in {tool.name for tool in (await first.list_tools()).tools}
        tg.start_soon(
            lambda: first.call_tool(
                "search_people", {"term": "engineer", "limit": 2, "waitSeconds": 60}, progress_callback=on_progress
            )
        )
        with anyio.fail_after(10):
            await handle_recorded.wait()
        tg.cancel_scope.cancel()  # leaving the block terminates the subprocess

    frozen_live.sandbox.advance(HOUR)  # the search finishes upstream while no server runs

    # Second process, same data directory: the handle is there and resolves to the typed result.
    async with Client(params) as second:
        listed = await second.call_tool("list_workflows", {})
        assert listed.structured_content is not None
        [row] = listed.structured_content["workflows"]
        assert row["operationName"] == "searchPeople"
        result = await second.call_tool("get_workflow_result", {"workflowId": row["workflowId"]})
    assert result.structured_content is not None, result.content
    assert result.structured_content["status"] == "completed"
    assert result.structured_content["backend"] == "linkedapi"
    assert len(result.structured_content["result"]) == 2
    assert sum(1 for r in frozen_live.sandbox.requests if r.method == "POST") == 1


@asynccontextmanager
async def http_client(server: Any, **headers: str) -> AsyncIterator[Client]:
    app = http_app(server, host="testserver")
    async with (
        server.session_manager.run(),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://testserver", headers=headers
        ) as http,
        Client(streamable_http_client("http://testserver/mcp", http_client=http)) as client,
    ):
        yield client


@pytest.fixture
def http_server(tmp_path: Path, frozen_live: ServerThread) -> tuple[Any, Sandbox]:
    embedded = Sandbox(seed=42, speed=0)
    settings = Settings(data_dir=tmp_path / "data", base_url=frozen_live.base_url, sandbox_speed=1000)
    server, _ = build(settings, http=True, sandbox=embedded)
    return server, embedded


async def test_over_http_a_call_without_token_headers_runs_on_the_sandbox_with_progress(
    http_server: tuple[Any, Sandbox],
) -> None:
    server, embedded = http_server
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with http_client(server) as client:
        started = await client.call_tool(
            "search_people", {"term": "nurse", "waitSeconds": 0.05}, progress_callback=on_progress
        )
        assert started.structured_content is not None
        assert started.structured_content["backend"] == "sandbox"
        embedded.advance(HOUR)
        done = await client.call_tool("get_workflow_result", {"workflowId": started.structured_content["workflowId"]})
    assert messages
    assert done.structured_content is not None
    assert done.structured_content["status"] == "completed"


@pytest.mark.parametrize(
    "headers",
    [
        {"linked-api-token": "header-token", "identification-token": "header-id"},
        {"linked-api-token": "only-one"},
        {"Identification-Token": "only-the-other"},
    ],
)
async def test_over_http_linked_api_tokens_in_headers_are_refused_and_never_used_upstream(
    http_server: tuple[Any, Sandbox], frozen_live: ServerThread, headers: dict[str, str]
) -> None:
    server, embedded = http_server
    app = http_app(server, host="127.0.0.1")
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "retrieve_ssi", "arguments": {}}}
    accept = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    async with server.session_manager.run(), httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http:
        refused = await http.post("http://127.0.0.1:8000/mcp", json=body, headers={**accept, **headers})
    # A token passed through by a client is never accepted (MCP security best practices): the
    # answer says how to configure an account instead, and nothing reaches either backend.
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "does not take Linked API tokens from requests" in message
    assert "LINKED_API_TOKEN" in message
    assert not any(v in message for v in headers.values())
    assert not frozen_live.sandbox.requests
    assert not embedded.requests


async def test_http_refuses_foreign_hosts_and_origins_and_tokens_in_the_url(http_server: tuple[Any, Sandbox]) -> None:
    server, _ = http_server
    app = http_app(server, host="127.0.0.1")
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    async with server.session_manager.run(), httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http:
        evil_host = await http.post("http://evil.example/mcp", json=body, headers=headers)
        evil_origin = await http.post(
            "http://127.0.0.1:8000/mcp", json=body, headers={**headers, "origin": "https://evil.example"}
        )
        token_in_url = await http.post("http://127.0.0.1:8000/mcp?linked-api-token=abc", json=body, headers=headers)
    assert evil_host.status_code == 421
    assert evil_origin.status_code == 403
    assert token_in_url.status_code == 400
    assert "does not take Linked API tokens" in token_in_url.text
    assert "abc" not in token_in_url.text
