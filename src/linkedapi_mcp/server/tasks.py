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
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.server import require_client_extension
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, CallToolRequestParams, CallToolResult, TextContent
from mcp_types import RequestParams, Result
from pydantic import ConfigDict, Field

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


class CreateTaskResult(_TaskFields):
    """``resultType: "task"``: the answer to a ``tools/call`` that became a task."""

    result_type: Literal["task"] = Field(default="task", alias="resultType")


class DetailedTask(_TaskFields):
    """``tasks/get``'s answer: the task plus its final ``result`` (or ``error``) once it ended."""

    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class TaskIdParams(RequestParams):
    task_id: str = Field(alias="taskId")


class UpdateTaskParams(TaskIdParams):
    input_responses: dict[str, Any] = Field(default_factory=dict, alias="inputResponses")


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


def _require(ctx: ServerRequestContext[Any, Any]) -> None:
    """``tasks/*`` from a client that did not declare the extension: ``-32021`` (SDK's error)."""
    if not declared(ctx):
        require_client_extension(ctx, TASKS_EXTENSION)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unknown(task_id: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=f"Unknown task: {task_id}", data={"taskId": task_id})


class WorkflowTasks(Extension):
    """The tasks extension over workflow handles (see the module docstring)."""

    identifier = TASKS_EXTENSION

    def __init__(self) -> None:
        self._server: MCPServer[Any] | None = None

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
        if not declared(ctx):
            return await call_next(ctx)  # clients without the extension: today's behaviour, unchanged
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
        row = await self._row(ctx, workflow_id)
        if row is None:  # recorded before the tool returned, so only a vanished store gets here
            return result
        poll = outcome.get("pollAfterSeconds")
        return CreateTaskResult(
            task_id=workflow_id,
            status="working",
            status_message=outcome.get("message"),
            created_at=_iso(row.created_at),
            last_updated_at=_iso(row.updated_at),
            poll_interval_ms=int(poll * 1000) if isinstance(poll, int | float) else None,
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
        _require(ctx)
        row = await self._row(ctx, params.task_id)
        if row is None:
            raise _unknown(params.task_id)
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
        _require(ctx)
        if await self._row(ctx, params.task_id) is None:
            raise _unknown(params.task_id)
        # These tasks never enter input_required: every response is for a key never issued,
        # which the spec says to ignore.
        return Result()

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> Result:
        _require(ctx)
        if await self._row(ctx, params.task_id) is None:
            raise _unknown(params.task_id)
        state = self._state(ctx)
        try:
            # cancel_workflow's behaviour: an ended workflow is left alone (the ack is the same).
            cancelled, _ = await state.runner.cancel(state.backend(None), params.task_id)
        except ToolError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from None
        logger.info("tasks/cancel %s: %s", params.task_id, "cancelled" if cancelled else "not cancelled")
        return Result()


__all__ = ["TASKS_EXTENSION", "CreateTaskResult", "DetailedTask", "WorkflowTasks", "declared", "task_wait_cap"]
