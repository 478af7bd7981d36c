"""stdio where every request gets an answer.

The SDK's stdio reader (mcp 2.3, ``mcp.server.stdio``) parses each line with pydantic; a line it
cannot parse (a lone surrogate such as ``\\ud800``, JSON nested thousands deep, plain garbage)
becomes an exception the session only logs, so the client waits for an answer that never comes.
This module screens the lines before the SDK sees them:

* a line the SDK can read passes unchanged (the SDK parses it again; small lines cost
  microseconds);
* a line it cannot read is answered here, on the same stdout, with a JSON-RPC error:
  ``-32700`` (parse error) when the line is not JSON, ``-32600`` (invalid request) when it is JSON
  but not a message the server can take (bad Unicode, nesting deeper than :data:`MAX_DEPTH`),
  carrying the request's ``id`` whenever it can be read, ``null`` otherwise;
* a line longer than :data:`MAX_LINE_BYTES` is never held in memory whole: its first part is kept
  to read the id, the rest is skipped, and it is answered ``-32600`` "too large".

Lines are read as bytes and decoded as UTF-8 with ``errors="replace"``. When stdin and stdout are
pipes (as every MCP client spawns a server), both run on the event loop's own pipe transports
instead of the SDK's worker threads (:func:`pipe_stdio`, which also keeps the SDK's descriptor
claim); otherwise (a terminal, a file, Windows) stdin is read in a worker thread and stdout is the
SDK's, with its claim (fd 1 pointed at stderr while serving, so stray prints miss the wire).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, BinaryIO, Protocol

import anyio
import mcp_types as types
from anyio.abc import ObjectSendStream
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

logger = logging.getLogger("linkedapi_mcp.server")

# [INFERRED] The same bound as the SDK's HTTP request body (4 MiB): no real MCP request is near it.
MAX_LINE_BYTES = 4 * 1024 * 1024
# [INFERRED] MCP messages nest a few levels (params → arguments → filter → list); 64 is generous.
MAX_DEPTH = 64
# How much of a refused line is scanned for its id.
ID_SCAN_CHARS = 64 * 1024

Id = int | str | None


def read_id(text: str) -> Id:
    """The top-level ``"id"`` of a (possibly broken or truncated) JSON-RPC object, if readable.

    Scans at most :data:`ID_SCAN_CHARS` characters, tracking strings and nesting, and returns the
    value of the first ``"id"`` key at depth 1 when it is an integer or a string.
    """
    text = text[:ID_SCAN_CHARS]
    depth = 0
    i, n = 0, len(text)
    expect_key = False
    while i < n:
        ch = text[i]
        if ch == '"':
            end = _string_end(text, i)
            if end < 0:
                return None
            if depth == 1 and expect_key and text[i + 1 : end] == "id":
                return _value_after(text, end + 1)
            i = end + 1
            expect_key = False
            continue
        if ch in "{[":
            depth += 1
            expect_key = ch == "{"
        elif ch in "}]":
            depth -= 1
        elif ch == ",":
            expect_key = True
        elif not ch.isspace():
            expect_key = False
        i += 1
    return None


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _value_after(text: str, i: int) -> Id:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text) or text[i] != ":":
        return None
    i += 1
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text) and text[i] == '"':
        end = _string_end(text, i)
        if end < 0:
            return None
        try:
            value = json.loads(text[i : end + 1])
        except ValueError:
            return None
        return value if isinstance(value, str) and _encodable(value) else None
    j = i
    while j < len(text) and (text[j].isdigit() or (j == i and text[j] == "-")):
        j += 1
    if j > i and text[i:j] != "-" and (j == len(text) or text[j] in ",} \t\r\n"):
        return int(text[i:j])
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth_exceeds(text: str, limit: int) -> bool:
    depth = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = _string_end(text, i)
            if end < 0:
                return False
            i = end + 1
            continue
        if ch in "{[":
            depth += 1
            if depth > limit:
                return True
        elif ch in "}]":
            depth -= 1
        i += 1
    return False


def screen(line: str) -> types.JSONRPCError | None:
    """``None`` when the SDK can read ``line``; otherwise the error to answer it with."""
    if line.count("[") + line.count("{") > MAX_DEPTH and _depth_exceeds(line, MAX_DEPTH):
        return _error(
            read_id(line), types.INVALID_REQUEST, f"Invalid request: JSON nested deeper than {MAX_DEPTH} levels"
        )
    try:
        types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    except Exception:  # the SDK would drop this line: find out why, and answer
        pass
    else:
        return None
    try:
        parsed: Any = json.loads(line)
    except (ValueError, RecursionError):
        return _error(read_id(line), types.PARSE_ERROR, "Parse error: the line is not valid JSON")
    request_id = parsed.get("id") if isinstance(parsed, dict) else None
    if (
        isinstance(request_id, bool)
        or not isinstance(request_id, int | str)
        or (isinstance(request_id, str) and not _encodable(request_id))
    ):
        request_id = None
    if not _encodable(line) or not _encodable(json.dumps(parsed, ensure_ascii=False)):
        reason = "the message contains invalid Unicode (a lone surrogate such as \\ud800)"
    else:
        reason = "not a JSON-RPC 2.0 message this server can read"
    return _error(request_id, types.INVALID_REQUEST, f"Invalid request: {reason}")


def _error(request_id: Id, code: int, message: str) -> types.JSONRPCError:
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))


class LineSource(Protocol):
    """Where stdin's lines come from: :meth:`readline` returns up to ``limit`` bytes of the next
    line (ending in ``b"\\n"`` when the whole line fit), ``b""`` at the end of the input."""

    async def readline(self, limit: int) -> bytes: ...


class ThreadedLines:
    """Blocking reads in a worker thread, one hop per line (as the SDK's ``anyio.wrap_file``
    does): for a terminal, a regular file, Windows, or a loop that is not asyncio's."""

    def __init__(self, buffer: BinaryIO) -> None:
        self._buffer = buffer

    async def readline(self, limit: int) -> bytes:
        return await anyio.to_thread.run_sync(self._buffer.readline, limit, abandon_on_cancel=True)


class PipeLines:
    """A pipe or socket read by the event loop itself (no thread hop per line): what every MCP
    client gives the server it spawns."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader  # its limit: MAX_LINE_BYTES + 1 (see pipe_stdio)

    async def readline(self, limit: int) -> bytes:
        try:
            return await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as end:  # the input ended: its last, unterminated line
            return end.partial
        except asyncio.LimitOverrunError:  # no line end within the reader's limit: the next part
            return await self._reader.read(limit)


class PipeOut:
    """stdout as the SDK's writer uses it (``write`` then ``flush``) on the event loop's pipe
    transport: the text is handed to the transport at once, ``drain`` waits only while the client
    is not reading (the pipe is full)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))
        await self._writer.drain()

    async def flush(self) -> None:
        return None


class ScreenedLines:
    """Async iterable of the lines the SDK can read; every other line is answered on ``errors``."""

    def __init__(self, source: LineSource, errors: ObjectSendStream[types.JSONRPCError]) -> None:
        self._source = source
        self._errors = errors

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        async with self._errors:
            while True:
                raw = await self._source.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    head = raw[:ID_SCAN_CHARS].decode("utf-8", "replace")
                    while raw and not raw.endswith(b"\n"):  # skip the rest without keeping it
                        raw = await self._source.readline(MAX_LINE_BYTES)
                    logger.warning("refused a stdio message of more than %d bytes", MAX_LINE_BYTES)
                    await self._errors.send(
                        _error(
                            read_id(head),
                            types.INVALID_REQUEST,
                            f"Invalid request: the message is larger than {MAX_LINE_BYTES} bytes",
                        )
                    )
                    continue
                line = raw.decode("utf-8", "replace")
                if not line.strip():
                    continue
                error = screen(line)
                if error is None:
                    yield line
                    continue
                logger.warning(
                    "answered an unreadable stdio message with %d: %s", error.error.code, error.error.message
                )
                await self._errors.send(error)


def _is_pipe(fd: int) -> bool:
    """A pipe or a socket, which asyncio reads and writes without threads. A terminal or a regular
    file keeps the threaded path (asyncio would switch a terminal shared with the shell to
    non-blocking mode, and cannot poll a file)."""
    if sys.platform == "win32":
        return False
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _stderr_or_null() -> int:
    """What fd 1 points at while serving: stderr, or the null device when there is none."""
    try:
        return os.dup(2)
    except OSError:
        return os.open(os.devnull, os.O_WRONLY)


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio, through anyio
        return False
    return True


@asynccontextmanager
async def pipe_stdio() -> AsyncIterator[tuple[LineSource, PipeOut] | None]:
    """stdin and stdout on the event loop's own pipe transports, or None to use threads.

    Why not the SDK's ``stdio_server`` alone: it reads and writes through worker threads, three
    hops per request (read, write, flush); on this 2-core VM, beside two test suites, a ``ping``
    round trip over its stdio took 0.51-0.86 ms against 0.27 ms on asyncio pipes (the same one-tool
    MCPServer behind both; issue 14's per-call overhead, docs/benchmarks.md). The SDK's descriptor
    claim is kept, done here because explicit streams skip it: while serving, fd 0 reads the null
    device and fd 1 writes to stderr, so a handler's stray print or a child process never touches
    the wire; both are restored on exit.
    """
    if not (_on_asyncio() and _is_pipe(0) and _is_pipe(1)):
        yield None
        return
    loop = asyncio.get_running_loop()
    wire_in, wire_out = os.dup(0), os.dup(1)  # the wire, kept for the restore (not inherited)
    null, err = os.open(os.devnull, os.O_RDONLY), _stderr_or_null()
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES + 1)
    read_transport: asyncio.BaseTransport | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        # The transports own duplicates of their own (they close them); asyncio makes them
        # non-blocking, which the wire's descriptors share until the restore below.
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(wire_in), "rb", buffering=0)
        )
        write_transport, write_protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(os.dup(wire_out), "wb", buffering=0)
        )
        writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
        os.dup2(null, 0)
        os.dup2(err, 1)
        yield PipeLines(reader), PipeOut(writer)
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception), anyio.move_on_after(5, shield=True):
                await writer.wait_closed()  # what is still buffered reaches the client
        if read_transport is not None:
            read_transport.close()
        for fd in (wire_in, wire_out):
            with contextlib.suppress(OSError):
                os.set_blocking(fd, True)
        os.dup2(wire_in, 0)
        os.dup2(wire_out, 1)
        for fd in (wire_in, wire_out, null, err):
            os.close(fd)


@asynccontextmanager
async def screened_stdio_server() -> AsyncIterator[tuple[Any, Any]]:
    """The SDK's ``stdio_server`` with every line screened (see the module docstring), on asyncio
    pipes when stdin and stdout are pipes (:func:`pipe_stdio`), else on the SDK's threads."""
    send_errors, receive_errors = anyio.create_memory_object_stream[types.JSONRPCError](16)
    async with pipe_stdio() as pipes:
        stdin, stdout = pipes if pipes is not None else (ThreadedLines(sys.stdin.buffer), None)
        lines = ScreenedLines(stdin, send_errors)
        async with stdio_server(stdin=lines, stdout=stdout) as (read_stream, write_stream):  # type: ignore[arg-type]

            async def answer_errors() -> None:
                async with receive_errors:
                    async for error in receive_errors:
                        try:
                            await write_stream.send(SessionMessage(error))
                        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                            return

            async with anyio.create_task_group() as tg:
                tg.start_soon(answer_errors)
                yield read_stream, write_stream
                tg.cancel_scope.cancel()


async def run_stdio(server: Any) -> None:
    """Serve ``server`` (an ``MCPServer``) over screened stdio, as ``MCPServer.run_stdio_async`` does."""
    lowlevel = server._lowlevel_server  # mcp 2.3: what run_stdio_async runs
    async with screened_stdio_server() as (read_stream, write_stream):
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


__all__ = [
    "MAX_DEPTH",
    "MAX_LINE_BYTES",
    "PipeLines",
    "ScreenedLines",
    "ThreadedLines",
    "pipe_stdio",
    "read_id",
    "run_stdio",
    "screen",
    "screened_stdio_server",
]
