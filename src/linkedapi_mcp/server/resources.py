"""Workflows as MCP resources, with push on completion (issue 15, point 2); completions.

- ``linkedapi://workflows/{workflowId}``: a resource template whose read returns what
  ``get_workflow_result`` returns with no wait (the typed envelope as JSON; for a failed workflow,
  its error text under ``message`` with ``isError``). ``resources/list`` lists the caller's recent
  workflows (the principal's own account, as ``list_workflows`` does).
- Subscribing to one (``resources/subscribe`` on 2025-11-25, a ``subscriptions/listen`` stream's
  ``resourceSubscriptions`` on 2026-07-28) starts a watcher that waits for the workflow through
  the runner — the same one-poller-per-workflow wait as a tool call, woken at once by a webhook
  push or another waiter's news — and sends ``notifications/resources/updated`` when it ends.
- ``completion/complete``: workflow ids (the caller's recent ones) and operation names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import ResourceUpdated
from mcp.types import (
    INVALID_PARAMS,
    CallToolResult,
    CompleteRequestParams,
    CompleteResult,
    Completion,
    EmptyResult,
    ListResourcesResult,
    PaginatedRequestParams,
    Resource,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.subscriptions import SubscriptionBus

    from linkedapi_mcp.server.app import ServerState
    from linkedapi_mcp.server.runner import Backend

logger = logging.getLogger("linkedapi_mcp.server")

SCHEME = "linkedapi://workflows/"
TEMPLATE = SCHEME + "{workflowId}"
LISTED = 20  # resources/list: the newest workflows of the caller's account
WATCH_BUDGET = 300.0  # seconds a watcher waits per round (it loops until the workflow ends)
# [INFERRED] A watcher gives up after this long: a 2026 listen stream's end is not visible here, and a
# workflow parked for days (working hours, a queue) must not keep a poller forever.
WATCH_LIMIT = 24 * 3600.0
MAX_COMPLETIONS = 100  # the spec's cap on completion values


def workflow_id_of(uri: str) -> str | None:
    if not uri.startswith(SCHEME):
        return None
    rest = uri[len(SCHEME) :]
    return rest if rest and "/" not in rest else None


def _state(ctx: ServerRequestContext[Any, Any]) -> ServerState:
    return ctx.lifespan_context  # type: ignore[no-any-return]  # what app.build's lifespan yields


async def _own(state: ServerState, backend: Backend, workflow_id: str) -> bool:
    return any(row.account == backend.account for row in await state.ledger.find(workflow_id))


class WorkflowResources:
    """The template, listing, subscriptions and completions above, for one server."""

    def __init__(self, server: MCPServer[Any], bus: SubscriptionBus) -> None:
        self._server = server
        self._bus = bus
        # Handshake-era subscribers by URI (their sessions), and one watcher per (account, uri).
        self._subscribers: dict[str, list[Any]] = {}
        self._watchers: dict[tuple[str, str], asyncio.Task[None]] = {}

    def install(self) -> None:
        server = self._server
        server.resource(
            TEMPLATE,
            name="workflow",
            title="Linked API workflow",
            description="A workflow this server started: its status, and its result once completed "
            "(what get_workflow_result returns). Subscribe to be notified when it finishes.",
            mime_type="application/json",
        )(self.read)
        # The spec methods these need have no MCPServer surface in mcp 2.3: the low-level server's
        # add_request_handler (what MCPServer.completion uses too) registers them.
        lowlevel = server._lowlevel_server
        lowlevel.add_request_handler("completion/complete", CompleteRequestParams, self._complete)
        lowlevel.add_request_handler("resources/list", PaginatedRequestParams, self._list)
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, self._subscribe)
        lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, self._unsubscribe)

    # -- read and list ---------------------------------------------------------------------------

    async def read(self, workflowId: str, ctx: Context[Any]) -> str:
        try:
            result = await self._server.call_tool(
                "get_workflow_result", {"workflowId": workflowId, "waitSeconds": 0}, ctx
            )
        except ToolError as exc:
            text = str(exc)
            if "[workflowNotFound]" in text:
                raise ResourceNotFoundError(f"No workflow {workflowId} of yours on this server.") from None
            return json.dumps({"workflowId": workflowId, "isError": True, "message": text}, ensure_ascii=False)
        if not isinstance(result, CallToolResult) or result.structured_content is None:
            raise ResourceError(f"Workflow {workflowId} could not be read.")
        return json.dumps(result.structured_content, ensure_ascii=False)

    async def _list(self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None) -> Any:
        state = _state(ctx)
        backend = state.backend(None)
        rows = await state.runner.recent(backend, limit=LISTED, operation=None)
        resources = [
            Resource(
                uri=SCHEME + row.workflowId,
                name=row.workflowId,
                title=f"{row.operationName}: {row.status} (started {row.startedAt})",
                mime_type="application/json",
            )
            for row in rows
            if row.workflowId
        ]
        return ListResourcesResult(resources=resources)

    # -- subscriptions ---------------------------------------------------------------------------

    async def _subscribe(self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams) -> EmptyResult:
        uri = str(params.uri)
        await self.watch(ctx, uri)
        self._subscribers.setdefault(uri, []).append(ctx.session)
        return EmptyResult()

    async def _unsubscribe(self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams) -> EmptyResult:
        sessions = self._subscribers.get(str(params.uri), [])
        connection = getattr(ctx.session, "_connection", None)
        sessions[:] = [s for s in sessions if getattr(s, "_connection", None) is not connection]
        return EmptyResult()

    async def listen(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Server middleware: a ``subscriptions/listen`` naming workflow URIs starts their watchers."""
        if ctx.method == "subscriptions/listen" and isinstance(ctx.params, Mapping):
            wanted = ctx.params.get("notifications")
            uris = wanted.get("resourceSubscriptions") if isinstance(wanted, Mapping) else None
            for uri in uris if isinstance(uris, list) else []:
                if isinstance(uri, str) and workflow_id_of(uri) is not None:
                    # not the caller's: honoured (by the SDK) as a subscription that never fires
                    with contextlib.suppress(MCPError):
                        await self.watch(ctx, uri)
        return await call_next(ctx)

    async def watch(self, ctx: ServerRequestContext[Any, Any], uri: str) -> None:
        """Start (once per account and URI) the watcher that announces the workflow's end."""
        workflow_id = workflow_id_of(uri)
        state = _state(ctx)
        try:
            backend = state.backend(None)
        except ToolError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        if workflow_id is None or not await _own(state, backend, workflow_id):
            raise MCPError(code=INVALID_PARAMS, message=f"Resource not found: {uri}", data={"uri": uri})
        key = (backend.account, uri)
        if key in self._watchers and not self._watchers[key].done():
            return
        task = asyncio.get_running_loop().create_task(self._watch(state, backend, workflow_id, uri))
        self._watchers[key] = task
        task.add_done_callback(lambda done: self._watchers.pop(key, None) if self._watchers.get(key) is done else None)

    async def _watch(self, state: ServerState, backend: Backend, workflow_id: str, uri: str) -> None:
        try:
            with anyio.move_on_after(WATCH_LIMIT) as limit:
                await self._until_ended(state, backend, workflow_id)
            if limit.cancelled_caught:
                logger.info("stopped watching workflow %s after %.0f h", workflow_id, WATCH_LIMIT / 3600)
                return
            await self._announce(uri)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("watching workflow %s for its subscribers failed", workflow_id, exc_info=True)

    async def _until_ended(self, state: ServerState, backend: Backend, workflow_id: str) -> None:
        """Wait for the workflow like a waiting ``get_workflow_result`` (one poller per workflow,
        woken by webhook pushes and other waiters' news), round after round, until it ends."""
        from linkedapi_mcp.server.app import _resolve

        async def quiet(_progress: float, _message: str, /, *, total: float | None = None) -> None:
            return None

        while True:
            rows = [r for r in await state.ledger.find(workflow_id) if r.account == backend.account]
            if not rows or not rows[0].in_flight:
                return
            # a failed workflow (then recorded) or a passing upstream error: look again
            with contextlib.suppress(ToolError):
                await state.runner.workflow_result(
                    backend, workflow_id, resolve=_resolve, operation_name=None, budget=WATCH_BUDGET, report=quiet
                )

    async def _announce(self, uri: str) -> None:
        logger.debug("workflow resource %s updated", uri)
        await self._bus.publish(ResourceUpdated(uri=uri))  # 2026-07-28 listen streams
        for session in self._subscribers.pop(uri, []):  # 2025-11-25 resources/subscribe
            try:
                await session.send_resource_updated(uri)
            except Exception:
                logger.debug("a subscriber of %s went away", uri)

    async def aclose(self) -> None:
        for task in list(self._watchers.values()):
            task.cancel()

    # -- completions -----------------------------------------------------------------------------

    async def _complete(self, ctx: ServerRequestContext[Any, Any], params: CompleteRequestParams) -> CompleteResult:
        """Workflow ids (the caller's recent ones, newest first) and operation names; any other
        argument (or reference) gets an empty completion."""
        argument = params.argument
        values: list[str] = []
        if argument.name == "workflowId":
            state = _state(ctx)
            rows = await state.runner.recent(state.backend(None), limit=MAX_COMPLETIONS, operation=None)
            values = [r.workflowId for r in rows if r.workflowId and r.workflowId.startswith(argument.value)]
        elif argument.name in ("operationName", "operation"):
            from linkedapi_mcp.catalog import CATALOG

            names = sorted(op.name for op in CATALOG.values() if op.kind == "workflow")
            values = [n for n in names if n.lower().startswith(argument.value.lower())]
        return CompleteResult(
            completion=Completion(
                values=values[:MAX_COMPLETIONS], total=len(values), has_more=len(values) > MAX_COMPLETIONS
            )
        )


__all__ = ["SCHEME", "TEMPLATE", "WorkflowResources", "workflow_id_of"]
