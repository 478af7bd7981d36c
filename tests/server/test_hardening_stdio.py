"""Issue 12 point 2: every request gets an answer, over stdio and HTTP.

The stdio tests run ``python -m linkedapi_mcp`` as a subprocess (what a desktop client starts) on
a standalone sandbox, write raw JSON-RPC lines and read the answers: an unreadable line (lone
surrogate, 10,000-deep nesting, broken JSON, a 5 MB line) gets a JSON-RPC error carrying the
request id when it can be read, nothing reaches Linked API, and the server keeps serving.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.server.stdio import MAX_DEPTH, read_id, screen
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

SURROGATE_LINE = (
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search_people",'
    '"arguments":{"term":"\\ud800 engineer"}}}'
)
DEEP_LINE = (
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_people","arguments":{"term":'
    + "[" * 10_000
    + "]" * 10_000
    + "}}}"
)
BROKEN_LINE = '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":'
GARBAGE_LINE = "hello, server"
HUGE_LINE = (
    '{"jsonrpc":"2.0","id":"huge","method":"tools/call","params":{"name":"search_people","arguments":{"term":"'
    + "a" * 5_000_000
    + '"}}}'
)
NULL_ARGUMENTS_LINE = (
    '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"search_people","arguments":null}}'
)


@pytest.fixture(scope="module")
def live() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


def upstream_requests(live: ServerThread) -> int:
    return sum(1 for r in live.sandbox.requests if not r.path.startswith("/_sandbox"))


class Stdio:
    def __init__(self, process: Process) -> None:
        self.process = process
        assert process.stdout is not None
        self.out = BufferedByteReceiveStream(process.stdout)
        self.answers: dict[Any, dict[str, Any]] = {}

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(line.encode("utf-8", "surrogatepass") + b"\n")

    async def answer(self, request_id: Any) -> dict[str, Any]:
        with anyio.fail_after(60):
            while request_id not in self.answers:
                raw = await self.out.receive_until(b"\n", 50_000_000)
                message = json.loads(raw)
                if "id" in message:
                    self.answers[message["id"]] = message
        return self.answers.pop(request_id)


async def test_every_unreadable_stdio_line_gets_an_error_with_its_id_and_nothing_goes_upstream(
    live: ServerThread, tmp_path: Path
) -> None:
    live.sandbox.reset()
    env = {
        **os.environ,
        "LINKED_API_BASE_URL": live.base_url,
        "LINKED_API_TOKEN": "any-token",
        "IDENTIFICATION_TOKEN": "any-id-token",
        "LINKEDAPI_MCP_DATA_DIR": str(tmp_path / "data"),
        "LINKEDAPI_MCP_TOOL_MODE": "full",
    }
    async with await anyio.open_process([sys.executable, "-m", "linkedapi_mcp"], env=env) as process:
        io = Stdio(process)
        await io.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-11-25",
                        "capabilities": {},
                        "clientInfo": {"name": "raw", "version": "1"},
                    },
                }
            )
        )
        assert "result" in await io.answer(1)
        await io.send('{"jsonrpc":"2.0","method":"notifications/initialized"}')

        await io.send(SURROGATE_LINE)
        surrogate = await io.answer(2)
        assert surrogate["error"]["code"] == -32600
        assert "surrogate" in surrogate["error"]["message"]

        await io.send(DEEP_LINE)
        deep = await io.answer(3)
        assert deep["error"]["code"] == -32600
        assert "nested" in deep["error"]["message"]

        await io.send(BROKEN_LINE)
        broken = await io.answer(4)
        assert broken["error"]["code"] == -32700

        await io.send(GARBAGE_LINE)
        garbage = await io.answer(None)
        assert garbage["error"]["code"] == -32700

        await io.send(HUGE_LINE)
        huge = await io.answer("huge")
        assert huge["error"]["code"] == -32600
        assert "larger" in huge["error"]["message"]

        await io.send(NULL_ARGUMENTS_LINE)
        null_arguments = await io.answer(6)
        assert null_arguments["result"]["isError"] is True
        assert "not null" in null_arguments["result"]["content"][0]["text"]

        assert upstream_requests(live) == 0  # nothing unreadable or refused reached Linked API

        # The server is still serving: a good call runs, once.
        await io.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 7,
                    "method": "tools/call",
                    "params": {"name": "search_people", "arguments": {"term": "engineer", "waitSeconds": 0}},
                }
            )
        )
        good = await io.answer(7)
        assert good["result"]["isError"] is False, good
        assert sum(1 for r in live.sandbox.requests if r.method == "POST" and r.path == "/workflows") == 1
        process.terminate()


def test_the_screen_reads_ids_and_lets_good_lines_through() -> None:
    assert screen('{"jsonrpc":"2.0","id":9,"method":"tools/list"}') is None
    assert read_id('{"jsonrpc":"2.0","params":{"id":1},"id":"x-1"') == "x-1"
    assert read_id('{"id": -3, "method": [[[') == -3
    assert read_id("[1, 2") is None
    nested = (
        '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}}"
    )
    error = screen(nested)
    assert error is not None
    assert error.id == 1


# -- HTTP: the SDK's own transport already answers; pin that it does ---------------------------------


@pytest.mark.parametrize(
    ("body", "request_id"),
    [
        (SURROGATE_LINE, 2),
        (DEEP_LINE, 3),
        (BROKEN_LINE, None),
        (GARBAGE_LINE, None),
    ],
)
async def test_every_unreadable_http_request_gets_a_json_rpc_error(tmp_path: Path, body: str, request_id: Any) -> None:
    sandbox = Sandbox(seed=42, speed=0)
    server, _ = build(Settings(data_dir=tmp_path / "data"), http=True, sandbox=sandbox)
    app = http_app(server, host="testserver")
    headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
    }
    async with (
        server.session_manager.run(),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver") as http,
    ):
        response = await http.post("/mcp", content=body.encode("utf-8", "surrogatepass"), headers=headers)
    assert 400 <= response.status_code < 500, response.text
    answer = response.json()
    assert answer["jsonrpc"] == "2.0"
    assert answer["error"]["code"] in (-32700, -32600, -32602)
    assert "Traceback" not in response.text
    assert len(sandbox.requests) == 0


async def test_a_handshake_era_client_listing_the_tasks_extension_gets_a_handle_not_an_internal_error(
    live: ServerThread, tmp_path: Path
) -> None:
    """A 2025-11-25 client may list the tasks extension in its capabilities (the Inspector CLI does).
    Its tools/call answer can only be a CallToolResult, so a long call hands back today's handle;
    a task there failed the stdio serializer and the call answered "Handler returned an invalid result"."""
    live.sandbox.reset()
    env = {
        **os.environ,
        "LINKED_API_BASE_URL": live.base_url,
        "LINKED_API_TOKEN": "any-token",
        "IDENTIFICATION_TOKEN": "any-id-token",
        "LINKEDAPI_MCP_DATA_DIR": str(tmp_path / "data"),
    }
    async with await anyio.open_process([sys.executable, "-m", "linkedapi_mcp"], env=env) as process:
        io = Stdio(process)
        await io.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-11-25",
                        "capabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}},
                        "clientInfo": {"name": "raw", "version": "1"},
                    },
                }
            )
        )
        assert "result" in await io.answer(1)
        await io.send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
        await io.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "tools/call",
                    "params": {"name": "search_people", "arguments": {"term": "chef", "waitSeconds": 0}},
                }
            )
        )
        answer = await io.answer(2)
        process.terminate()
    assert "error" not in answer, answer
    outcome = answer["result"]["structuredContent"]
    assert outcome["status"] in ("pending", "running")
    assert outcome["workflowId"]
