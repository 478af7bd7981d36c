"""Protocol details beyond tools (issue 15, point 3): unknown tools and prompts as JSON-RPC errors, the
``logging`` utility (``logging/setLevel`` and ``notifications/message``), and completions.

Logging: the server's own log records (``linkedapi_mcp.*``) that happen while a request is being
handled are also sent to that request's client, at or above the level it asked for —
``logging/setLevel`` on handshake-era connections (2025-11-25), the request's
``io.modelcontextprotocol/logLevel`` ``_meta`` on 2026-07-28. Only the formatted message goes
out: never a traceback. Only this package's loggers are forwarded (not the SDK's, whose lines may
quote a tool error); they log operation names, workflow ids, request paths and error types, never a
secret or LinkedIn text.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp.server.connection import allowed_log_levels
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types import INVALID_PARAMS, EmptyResult, SetLevelRequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

LoggingLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
LEVELS: tuple[LoggingLevel, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
_FROM_STDLIB: dict[int, LoggingLevel] = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}
FORWARDED_LOGGER = "linkedapi_mcp"


def _level_of(record: logging.LogRecord) -> LoggingLevel:
    for threshold in sorted(_FROM_STDLIB, reverse=True):
        if record.levelno >= threshold:
            return _FROM_STDLIB[threshold]
    return "debug"


@dataclass
class _Sink:
    """Where this request's log records go: its session, at the levels it may receive."""

    session: Any
    allowed: frozenset[str]
    loop: asyncio.AbstractEventLoop
    open: bool = True
    pending: set[asyncio.Task[None]] = field(default_factory=set)

    def send(self, level: LoggingLevel, message: str, logger_name: str) -> None:
        if not self.open or level not in self.allowed:
            return

        async def deliver() -> None:
            try:
                with warnings.catch_warnings():
                    # Deprecated with the 2026-07-28 revision (SEP-2577), still the spec's
                    # logging for handshake-era clients and for 2026 requests that opt in.
                    warnings.simplefilter("ignore", MCPDeprecationWarning)
                    await self.session.send_log_message(level, message, logger=logger_name)
            except Exception:  # a client that went away must not break the call being logged
                pass

        def start() -> None:
            task = self.loop.create_task(deliver())
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            start()
        elif not self.loop.is_closed():  # a worker thread of this request (ledger queries)
            self.loop.call_soon_threadsafe(start)


_current: contextvars.ContextVar[_Sink | None] = contextvars.ContextVar("linkedapi_log_sink", default=None)
_sending = threading.local()


class ClientLogHandler(logging.Handler):
    """Forwards ``linkedapi_mcp`` records to the client of the request they happen in."""

    def emit(self, record: logging.LogRecord) -> None:
        sink = _current.get()
        if sink is None or getattr(_sending, "busy", False):
            return
        _sending.busy = True
        try:
            sink.send(_level_of(record), record.getMessage(), record.name)
        except Exception:  # logging must never raise into the code that logs
            pass
        finally:
            _sending.busy = False


_HANDLER = ClientLogHandler(level=logging.DEBUG)


def install_log_forwarding() -> None:
    """Attach the forwarding handler to the ``linkedapi_mcp`` logger (once per process).

    [INFERRED] The process's own log level (``LINKEDAPI_MCP_LOG_LEVEL``, default WARNING) bounds
    what a client can receive: records below it are never made, and lowering it for one client
    would also put them on every other log output. Run with INFO or DEBUG to offer more."""
    ours = logging.getLogger(FORWARDED_LOGGER)
    if _HANDLER not in ours.handlers:
        ours.addHandler(_HANDLER)


def _connection_of(ctx: ServerRequestContext[Any, Any]) -> object:
    # The connection a handshake-era logging/setLevel applies to; ServerRequestContext exposes
    # only the per-request session (mcp 2.3), whose private `_connection` is that connection.
    return getattr(ctx.session, "_connection", ctx.session)


class Protocol:
    """Server middleware for the protocol details above (outermost of this server's own)."""

    def __init__(self, known_tool: Callable[[str], bool], *, known_prompt: Callable[[str], bool]) -> None:
        self._known_tool = known_tool
        self._known_prompt = known_prompt
        self._levels: weakref.WeakKeyDictionary[object, LoggingLevel] = weakref.WeakKeyDictionary()

    async def set_level(self, ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
        """``logging/setLevel`` (handshake era): this connection's records at ``level`` and above."""
        self._levels[_connection_of(ctx)] = params.level
        return EmptyResult()

    def _allowed(self, ctx: ServerRequestContext[Any, Any]) -> frozenset[str]:
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            meta = ctx.params.get("_meta") if isinstance(ctx.params, Mapping) else None
            return frozenset(allowed_log_levels(ctx.protocol_version, meta if isinstance(meta, Mapping) else None))
        # [INFERRED] Handshake era: nothing until the client calls logging/setLevel (the spec lets
        # the server choose; an unasked stream of log lines would only cost the client tokens).
        chosen = self._levels.get(_connection_of(ctx))
        return frozenset() if chosen is None else frozenset(LEVELS[LEVELS.index(chosen) :])

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and isinstance(ctx.params, Mapping):
            name = ctx.params.get("name")
            if isinstance(name, str) and not self._known_tool(name):
                # A protocol error, not a tool result: there is no such tool to have failed.
                raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {name}", data={"name": name})
        if ctx.method == "prompts/get" and isinstance(ctx.params, Mapping):
            name = ctx.params.get("name")
            if isinstance(name, str) and not self._known_prompt(name):
                # The client's mistake: a clear error, and no traceback in the server's log.
                raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {name}", data={"name": name})
        if ctx.request_id is None:
            return await call_next(ctx)
        allowed = self._allowed(ctx)
        if not allowed:
            return await call_next(ctx)
        sink = _Sink(session=ctx.session, allowed=allowed, loop=asyncio.get_running_loop())
        token = _current.set(sink)
        try:
            return await call_next(ctx)
        finally:
            _current.reset(token)
            if sink.pending:  # let the records of this request go out ahead of its response
                await asyncio.gather(*list(sink.pending), return_exceptions=True)
            sink.open = False


def install_protocol(server: Any, *, known_tool: Callable[[str], bool], bus: Any) -> None:
    """Add this module's, :mod:`.resources`' and :mod:`.prompts`' protocol surface to a built
    server: the unknown-tool and unknown-prompt checks and log forwarding (middleware),
    ``logging/setLevel``, the workflow resources with subscriptions, completions, the prompts."""
    from linkedapi_mcp.server.prompts import install_prompts
    from linkedapi_mcp.server.resources import WorkflowResources

    install_prompts(server)
    prompts = {prompt.name for prompt in server._prompt_manager.list_prompts()}
    tools = server._tool_manager  # the SDK's registry (LinkedApiServer fills it on first use)

    def known(name: str) -> bool:
        return known_tool(name) or tools.get_tool(name) is not None

    protocol = Protocol(known, known_prompt=prompts.__contains__)
    resources = WorkflowResources(server, bus)
    server.middleware.extend([protocol, resources.listen])
    lowlevel = server._lowlevel_server  # mcp 2.3: spec methods without an MCPServer surface
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, protocol.set_level)
    resources.install()
    install_log_forwarding()


__all__ = ["ClientLogHandler", "Protocol", "install_log_forwarding", "install_protocol"]
