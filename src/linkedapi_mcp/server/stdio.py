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
* a line longer than :data:`MAX_LINE_CHARS` is never held in memory whole: its first part is kept
  to read the id, the rest is skipped, and it is answered ``-32600`` "too large".

The fd claim of the SDK (fd 1 pointed at stderr while serving, so stray prints miss the wire)
still applies to stdout; stdin is read through the same UTF-8 text layer with ``errors="replace"``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import TextIOWrapper
from typing import Any, TextIO

import anyio
import mcp_types as types
from anyio.abc import ObjectSendStream
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

logger = logging.getLogger("linkedapi_mcp.server")

# [INFERRED] The same bound as the SDK's HTTP request body (4 MiB): no real MCP request is near it.
MAX_LINE_CHARS = 4 * 1024 * 1024
# [INFERRED] MCP messages nest a few levels (params → arguments → filter → list); 64 is generous.
MAX_DEPTH = 64
# How much of a refused line is scanned for its id.
ID_SCAN_CHARS = 64 * 1024

Id = int | str | None


class _UnownedText(TextIOWrapper):
    """Text layer over stdin's buffer whose close never closes the buffer (as the SDK does)."""

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.detach()


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


class ScreenedLines:
    """Async iterable of the lines the SDK can read; every other line is answered on ``errors``."""

    def __init__(self, source: TextIO, errors: ObjectSendStream[types.JSONRPCError]) -> None:
        self._source = source
        self._errors = errors

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _readline(self, limit: int) -> str:
        # A blocking read in a worker thread (as anyio.wrap_file does), bounded in size.
        return await anyio.to_thread.run_sync(self._source.readline, limit, abandon_on_cancel=True)

    async def _lines(self) -> AsyncIterator[str]:
        async with self._errors:
            while True:
                line = await self._readline(MAX_LINE_CHARS + 1)
                if not line:
                    return
                if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                    head = line
                    while line and not line.endswith("\n"):  # skip the rest without keeping it
                        line = await self._readline(MAX_LINE_CHARS)
                    logger.warning("refused a stdio message of more than %d characters", MAX_LINE_CHARS)
                    await self._errors.send(
                        _error(
                            read_id(head),
                            types.INVALID_REQUEST,
                            f"Invalid request: the message is larger than {MAX_LINE_CHARS} characters",
                        )
                    )
                    continue
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


@asynccontextmanager
async def screened_stdio_server(
    stdin: TextIO | None = None, stdout: anyio.AsyncFile[str] | None = None
) -> AsyncIterator[tuple[Any, Any]]:
    """The SDK's ``stdio_server`` with every line screened (see the module docstring)."""
    if stdin is None:
        stdin = _UnownedText(sys.stdin.buffer, encoding="utf-8", errors="replace")
    send_errors, receive_errors = anyio.create_memory_object_stream[types.JSONRPCError](16)
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


__all__ = ["MAX_DEPTH", "MAX_LINE_CHARS", "ScreenedLines", "read_id", "run_stdio", "screen", "screened_stdio_server"]
