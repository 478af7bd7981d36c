"""stdio on the event loop's pipes (issue 14, per-call overhead) and on threads, line for line alike.

``server/stdio.py`` reads stdin and writes stdout on asyncio's pipe transports when both are pipes
(what an MCP client spawns a server with), and falls back to a worker thread otherwise (a terminal,
a file). Both sources must screen lines the same way: a line over the bound is refused with its
id and never passed on, bad UTF-8 is replaced, blank lines are skipped, the rest pass unchanged.
The process test checks the descriptor claim the SDK would have made: while serving, fd 0 reads
the null device and fd 1 writes to stderr, so nothing a handler or a child prints reaches the wire.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from linkedapi_mcp.server.stdio import MAX_LINE_BYTES, LineSource, PipeLines, ScreenedLines, ThreadedLines

pytestmark = pytest.mark.anyio

GOOD = b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n'
HUGE = b'{"jsonrpc":"2.0","id":"huge","method":"ping","params":{"pad":"' + b"a" * (MAX_LINE_BYTES + 10) + b'"}}\n'
BAD_UTF8 = b'{"jsonrpc":"2.0","id":3,"method":"ping","params":{"note":"caf\xe9"}}\n'
BLANK = b"   \n"
LAST_UNTERMINATED = b'{"jsonrpc":"2.0","id":4,"method":"ping"}'
INITIALIZE = (
    b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",'
    b'"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n'
)


def threaded(data: bytes) -> LineSource:
    return ThreadedLines(io.BytesIO(data))


def piped(data: bytes) -> LineSource:
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES + 1)  # as pipe_stdio makes it
    reader.feed_data(data)
    reader.feed_eof()
    return PipeLines(reader)


async def screened(source: LineSource) -> tuple[list[str], list[types.JSONRPCError]]:
    send, receive = anyio.create_memory_object_stream[types.JSONRPCError](16)
    lines = [line async for line in ScreenedLines(source, send)]
    async with receive:
        errors = [error async for error in receive]
    return lines, errors


@pytest.mark.parametrize("source", [threaded, piped], ids=["thread", "pipe"])
async def test_both_line_sources_refuse_an_oversized_line_by_id_and_pass_every_other_line(
    source: Callable[[bytes], LineSource],
) -> None:
    lines, errors = await screened(source(GOOD + HUGE + BAD_UTF8 + BLANK + GOOD + LAST_UNTERMINATED))

    # The oversized line is answered with its id and never reaches the SDK; the lines after it do.
    assert [e.id for e in errors] == ["huge"]
    assert errors[0].error.code == types.INVALID_REQUEST
    assert f"larger than {MAX_LINE_BYTES} bytes" in errors[0].error.message
    assert [json.loads(line)["id"] for line in lines] == [1, 3, 1, 4]
    assert lines[0] == GOOD.decode()
    assert "caf\ufffd" in lines[1]  # bad UTF-8 replaced, not a dropped request


@pytest.mark.parametrize("source", [threaded, piped], ids=["thread", "pipe"])
async def test_a_line_exactly_at_the_bound_is_served_on_both_sources(source: Callable[[bytes], LineSource]) -> None:
    head = b'{"jsonrpc":"2.0","id":"edge","method":"ping","params":{"pad":"'
    tail = b'"}}'
    edge = head + b"a" * (MAX_LINE_BYTES - len(head) - len(tail)) + tail
    assert len(edge) == MAX_LINE_BYTES

    lines, errors = await screened(source(edge + b"\n" + GOOD))

    assert errors == []
    assert [json.loads(line)["id"] for line in lines] == ["edge", 1]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads the server's descriptors from /proc")
async def test_a_server_on_pipes_keeps_fd_0_and_fd_1_off_the_wire_while_it_answers(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LINKEDAPI_MCP_DATA_DIR": str(tmp_path / "data"),  # no token: the embedded sandbox
    }
    for name in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN", "LINKED_API_BASE_URL"):
        env.pop(name, None)
    stderr_log = tmp_path / "stderr.log"
    with stderr_log.open("wb") as stderr:
        async with await anyio.open_process([sys.executable, "-m", "linkedapi_mcp"], env=env, stderr=stderr) as process:
            assert process.stdin is not None
            assert process.stdout is not None
            out = BufferedByteReceiveStream(process.stdout)
            with anyio.fail_after(60):
                await process.stdin.send(INITIALIZE)
                assert json.loads(await out.receive_until(b"\n", 10_000_000))["id"] == 1
                await process.stdin.send(b'{"jsonrpc":"2.0","id":2,"method":"ping"}\n')
                assert json.loads(await out.receive_until(b"\n", 10_000_000)) == {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "result": {},
                }

            fds = Path(f"/proc/{process.pid}/fd")
            assert os.readlink(fds / "0") == os.devnull  # a child or a stray read gets EOF, not a request
            assert os.readlink(fds / "1") == os.readlink(fds / "2") == str(stderr_log)  # stray prints go to stderr
            await process.stdin.aclose()  # the client hangs up: the server ends cleanly
            with anyio.fail_after(60):
                assert await process.wait() == 0
