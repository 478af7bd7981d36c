"""The MCP tasks extension (``io.modelcontextprotocol/tasks``, protocol 2026-07-28) on workflow handles.

A Linked API workflow already is a task: a durable handle (its ``workflowId``, recorded in the
ledger before any tool returns) that a client fetches later. For a client that declares the
extension on its request, a tool call that would hand back a ``pending``/``running`` handle
answers with a ``CreateTaskResult`` instead, whose ``taskId`` *is* the workflow id:

- ``tasks/get``    → ``get_workflow_result`` with no wait (one fresh look, or the ledger's final
  answer), mapped onto the task's status; a finished one inlines the tool result it would return.
- ``tasks/cancel`` → ``cancel_workflow`` (``DELETE /workflows/{id}``); always an empty ack.
- ``tasks/update`` → an empty ack: these tasks never ask for input (confirmations happen before a
  workflow starts, so before any task exists).

Clients without the extension see nothing of this: the interceptor passes their calls through
and the ``tasks/*`` methods refuse them with ``-32021`` (missing required client capability).

A handle the ledger does not know may belong to a :class:`TaskSource` added with
:meth:`WorkflowTasks.add_source` (the conformance suite's fixture tools, tools/conformance_server.py):
its tool hands back the same pending handle shape, and the source answers ``tasks/*`` for it.
Workflows never go through a source.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.server import require_client_extension
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import MCP_NAME_HEADER, decode_header_value
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, CallToolRequestParams, CallToolResult, TextContent
from mcp_types import RequestParams, Result
from mcp_types.jsonrpc import HEADER_MISMATCH
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from linkedapi_mcp.server.app import ServerState
    from linkedapi_mcp.server.ledger import Row

logger = logging.getLogger("linkedapi_mcp.server")

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
CLIENT_CAPABILITIES_META = "io.modelcontextprotocol/clientCapabilities"
HANDLE_TOOL = "get_workflow_result"

# [INFERRED] How long a tool call of a tasks client waits before it becomes a task. The spec
# leaves the choice to the server; a second lets instant answers (a deduplicated finished call, a
# quick fetch) come back inline while anything that takes real LinkedIn time becomes a task at once
# (the tool's own wait budget is meant for clients that can only block).
TASK_INLINE_SECONDS = 1.0

# Set by the interceptor for the tool call it wraps: ServerState.budget() caps the wait with it.
task_wait_cap: contextvars.ContextVar[float | None] = contextvars.ContextVar("task_wait_cap", default=None)

TaskStatus = Literal["working", "input_required", "completed", "cancelled", "failed"]


class _TaskFields(Result):
    """The extension's ``Task`` shape (flat on the result, never under a ``task`` key)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    task_id: str = Field(alias="taskId")
    status: TaskStatus
    status_message: str | None = Field(default=None, alias="statusMessage")
    created_at: str = Field(alias="createdAt")
    last_updated_at: str = Field(alias="lastUpdatedAt")
    # [INFERRED] null (no fixed lifetime): the ledger keeps a finished workflow for its retention
    # period counted from when it finished, which no fixed time from creation can express.
    ttl_ms: int | None = Field(default=None, alias="ttlMs")
    poll_interval_ms: int | None = Field(default=None, alias="pollIntervalMs")

    @model_serializer(mode="wrap")
    def _ttl_always(self, handler: SerializerFunctionWrapHandler) -> Any:
        # The extension requires ttlMs on the wire, null included (the SDK drops None fields).
        data = handler(self)
        if isinstance(data, dict):
            data.setdefault("ttlMs", self.ttl_ms)
        return data


class CreateTaskResult(_TaskFields):
    """``resultType: "task"``: the answer to a ``tools/call`` that became a task."""

    result_type: Literal["task"] = Field(default="task", alias="resultType")


class DetailedTask(_TaskFields):
    """``tasks/get``'s answer: the task plus its final ``result`` (or ``error``) once it ended."""

    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    input_requests: dict[str, Any] | None = Field(default=None, alias="inputRequests")


class TaskIdParams(RequestParams):
    task_id: str = Field(alias="taskId")


class UpdateTaskParams(TaskIdParams):
    input_responses: dict[str, Any] = Field(default_factory=dict, alias="inputResponses")


@dataclass
class TaskView:
    """A task of a :class:`TaskSource` as ``tasks/get`` shows it (times are epoch seconds)."""

    status: TaskStatus
    created_at: float
    updated_at: float
    status_message: str | None = None
    result: CallToolResult | None = None  # completed
    error: dict[str, Any] | None = None  # failed: a JSON-RPC error object
    input_requests: dict[str, Any] | None = None  # input_required
    poll_interval_ms: int | None = None


class TaskSource(Protocol):
    """Tasks behind handles that are not workflows. ``view`` is ``None`` for a handle the source
    does not know; ``update`` and ``cancel`` are only called for handles it knows."""

    async def view(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> TaskView | None: ...

    async def update(self, ctx: ServerRequestContext[Any, Any], task_id: str, responses: dict[str, Any]) -> None: ...

    async def cancel(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> None: ...


def declared(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether this request's client declared the tasks extension: on the connection (handshake
    or 2026 envelope) or in this request's own ``_meta`` capabilities (SEP-2575 opt-in)."""
    capabilities = ctx.session.client_capabilities
    if capabilities is not None and capabilities.extensions and TASKS_EXTENSION in capabilities.extensions:
        return True
    meta: Any = ctx.meta
    if meta is not None and not isinstance(meta, Mapping):
        meta = meta.model_dump(by_alias=True) if hasattr(meta, "model_dump") else None
    per_request = meta.get(CLIENT_CAPABILITIES_META) if isinstance(meta, Mapping) else None
    if per_request is None and isinstance(ctx.params, Mapping):
        raw_meta = ctx.params.get("_meta")
        per_request = raw_meta.get(CLIENT_CAPABILITIES_META) if isinstance(raw_meta, Mapping) else None
    if isinstance(per_request, Mapping):
        extensions = per_request.get("extensions")
        return isinstance(extensions, Mapping) and TASKS_EXTENSION in extensions
    return False


def _require(ctx: ServerRequestContext[Any, Any], task_id: str) -> None:
    """``tasks/*`` from a client that did not declare the extension: ``-32021`` (SDK's error).
    Over HTTP, an ``Mcp-Name`` header that names another task than ``taskId``: ``-32020``
    (SEP-2243 extends the header to the tasks methods; the SDK checks only tools, prompts and
    resources). [INFERRED] A missing header is accepted: the SDK's own client does not send one."""
    if not declared(ctx):
        require_client_extension(ctx, TASKS_EXTENSION)
    headers: Any = getattr(ctx.request, "headers", None)
    named = headers.get(MCP_NAME_HEADER) if isinstance(headers, Mapping) else None
    if named is not None and decode_header_value(named) != task_id:
        raise MCPError(code=HEADER_MISMATCH, message="Mcp-Name header does not match the request body's 'taskId'")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unknown(task_id: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=f"Unknown task: {task_id}", data={"taskId": task_id})


class WorkflowTasks(Extension):
    """The tasks extension over workflow handles (see the module docstring)."""

    identifier = TASKS_EXTENSION

    def __init__(self) -> None:
        self._server: MCPServer[Any] | None = None
        self._sources: list[TaskSource] = []

    def add_source(self, source: TaskSource) -> None:
        """Answer ``tasks/*`` for handles ``source`` knows (after the ledger's own)."""
        self._sources.append(source)

    async def _source_view(
        self, ctx: ServerRequestContext[Any, Any], task_id: str
    ) -> tuple[TaskSource, TaskView] | None:
        for source in self._sources:
            view = await source.view(ctx, task_id)
            if view is not None:
                return source, view
        return None

    def attach(self, server: MCPServer[Any]) -> None:
        """The server whose ``get_workflow_result`` tool answers ``tasks/get`` (set after building)."""
        self._server = server

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("tasks/get", TaskIdParams, self._get),
            MethodBinding("tasks/update", UpdateTaskParams, self._update),
            MethodBinding("tasks/cancel", TaskIdParams, self._cancel),
        )

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if not declared(ctx) or ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            # Clients without the extension: today's behaviour, unchanged. So for a handshake-era
            # (2025-11-25) client that lists the extension anyway (the Inspector CLI does): its
            # tools/call result can only be a CallToolResult, never a task.
            return await call_next(ctx)
        token = task_wait_cap.set(TASK_INLINE_SECONDS)
        try:
            result = await call_next(ctx)
        finally:
            task_wait_cap.reset(token)
        if not isinstance(result, CallToolResult) or result.is_error or not result.structured_content:
            return result
        outcome = result.structured_content
        workflow_id = outcome.get("workflowId")
        if outcome.get("status") not in ("pending", "running") or not isinstance(workflow_id, str):
            return result
        poll = outcome.get("pollAfterSeconds")
        poll_ms = int(poll * 1000) if isinstance(poll, int | float) else None
        row = await self._row(ctx, workflow_id)
        if row is None:
            known = await self._source_view(ctx, workflow_id)
            if known is None:  # recorded before the tool returned, so only a vanished store gets here
                return result
            view = known[1]
            return CreateTaskResult(
                task_id=workflow_id,
                status=view.status,
                status_message=view.status_message,
                created_at=_iso(view.created_at),
                last_updated_at=_iso(view.updated_at),
                poll_interval_ms=view.poll_interval_ms or poll_ms,
            )
        return CreateTaskResult(
            task_id=workflow_id,
            status="working",
            status_message=outcome.get("message"),
            created_at=_iso(row.created_at),
            last_updated_at=_iso(row.updated_at),
            poll_interval_ms=poll_ms,
        )

    # -- tasks/* ---------------------------------------------------------------------------------

    @staticmethod
    def _state(ctx: ServerRequestContext[Any, Any]) -> ServerState:
        return ctx.lifespan_context  # type: ignore[no-any-return]  # what app.build's lifespan yields

    async def _row(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> Row | None:
        """The caller's own ledger row for this workflow: another account's, or one this server
        never started, is an unknown task (nothing is looked up upstream)."""
        state = self._state(ctx)
        try:
            backend = state.backend(None)
        except ToolError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        for row in await state.ledger.find(task_id):
            if row.account == backend.account and row.workflow_id is not None:
                return row
        return None

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> DetailedTask:
        _require(ctx, params.task_id)
        row = await self._row(ctx, params.task_id)
        if row is None:
            return await self._get_from_source(ctx, params.task_id)
        result = await self._fetch(ctx, params.task_id)
        fresh = await self._row(ctx, params.task_id) or row
        outcome = result.structured_content or {}
        status: TaskStatus
        if result.is_error:
            status = "completed"  # the workflow ran and failed: a tool error, not a protocol one
        elif outcome.get("status") in ("pending", "running"):
            status = "working"
        elif outcome.get("status") == "cancelled":
            status = "cancelled"
        else:
            status = "completed"
        poll = outcome.get("pollAfterSeconds")
        return DetailedTask(
            task_id=params.task_id,
            status=status,
            status_message=outcome.get("message") if status != "completed" else None,
            created_at=_iso(fresh.created_at),
            last_updated_at=_iso(fresh.updated_at),
            poll_interval_ms=int(poll * 1000) if isinstance(poll, int | float) else None,
            result=result.model_dump(by_alias=True, mode="json", exclude_none=True) if status == "completed" else None,
        )

    async def _get_from_source(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> DetailedTask:
        known = await self._source_view(ctx, task_id)
        if known is None:
            raise _unknown(task_id)
        view = known[1]
        return DetailedTask(
            task_id=task_id,
            status=view.status,
            status_message=view.status_message,
            created_at=_iso(view.created_at),
            last_updated_at=_iso(view.updated_at),
            poll_interval_ms=view.poll_interval_ms,
            result=None
            if view.result is None
            else view.result.model_dump(by_alias=True, mode="json", exclude_none=True),
            error=view.error,
            input_requests=view.input_requests,
        )

    async def _fetch(self, ctx: ServerRequestContext[Any, Any], workflow_id: str) -> CallToolResult:
        """What ``get_workflow_result`` with no wait returns: the same typed envelope, or the same
        ``isError`` text for a failed workflow."""
        server = self._server
        assert server is not None, "WorkflowTasks.attach was not called"
        context: Context[Any, Any] = Context(request_context=ctx, mcp_server=server)
        try:
            out = await server.call_tool(HANDLE_TOOL, {"workflowId": workflow_id, "waitSeconds": 0}, context)
        except ToolError as exc:
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
        except MCPError:
            raise
        except Exception as exc:
            logger.exception("tasks/get of %s failed", workflow_id)
            raise MCPError(code=INTERNAL_ERROR, message="Internal error while reading the task") from exc
        if not isinstance(out, CallToolResult):  # pragma: no cover - get_workflow_result asks nothing
            raise MCPError(code=INTERNAL_ERROR, message="Unexpected result while reading the task")
        return out

    async def _update(self, ctx: ServerRequestContext[Any, Any], params: UpdateTaskParams) -> Result:
        _require(ctx, params.task_id)
        if await self._row(ctx, params.task_id) is None:
            known = await self._source_view(ctx, params.task_id)
            if known is None:
                raise _unknown(params.task_id)
            await known[0].update(ctx, params.task_id, params.input_responses)
            return Result()
        # These tasks never enter input_required: every response is for a key never issued,
        # which the spec says to ignore.
        return Result()

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> Result:
        _require(ctx, params.task_id)
        if await self._row(ctx, params.task_id) is None:
            known = await self._source_view(ctx, params.task_id)
            if known is None:
                raise _unknown(params.task_id)
            await known[0].cancel(ctx, params.task_id)
            return Result()
        state = self._state(ctx)
        try:
            # cancel_workflow's behaviour: an ended workflow is left alone (the ack is the same).
            cancelled, _ = await state.runner.cancel(state.backend(None), params.task_id)
        except ToolError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from None
        logger.info("tasks/cancel %s: %s", params.task_id, "cancelled" if cancelled else "not cancelled")
        return Result()


__all__ = [
    "TASKS_EXTENSION",
    "CreateTaskResult",
    "DetailedTask",
    "TaskSource",
    "TaskView",
    "WorkflowTasks",
    "declared",
    "task_wait_cap",
]
