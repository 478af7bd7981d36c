"""Build the MCP server: configuration → backends → runner → registered tools.

Nothing here does I/O at build time: the ledger file, the HTTP client and the embedded sandbox
are all created on first use, so ``tools/list`` answers as fast as the SDK allows.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool

from linkedapi_mcp.catalog import CATALOG, by_operation_name
from linkedapi_mcp.catalog.spec import Operation
from linkedapi_mcp.server.disclosure import build_tool, disclosure_specs
from linkedapi_mcp.server.envelope import WorkflowList
from linkedapi_mcp.server.guards import GuardConfig, GuardInput
from linkedapi_mcp.server.instructions import build_instructions
from linkedapi_mcp.server.ledger import Ledger, account_key
from linkedapi_mcp.server.runner import Backend, Runner
from linkedapi_mcp.server.timing import PollPolicy, wait_budget
from linkedapi_mcp.server.tools import (
    SYNC_BEFORE_READ,
    CancelOutcome,
    ToolSpec,
    all_specs,
    clean_input_schema,
    tool_function,
)
from linkedapi_mcp.server.toolsets import Exposure
from linkedapi_mcp.server.validation import ValidateArguments
from linkedapi_mcp.settings import Settings

if TYPE_CHECKING:
    from pydantic import BaseModel

    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.sandbox import Sandbox

logger = logging.getLogger("linkedapi_mcp.server")

SERVER_NAME = "linkedapi-mcp"
LEDGER_FILE = "ledger.sqlite3"
_SANDBOX_TOKEN = "sandbox"  # the embedded sandbox accepts any non-empty token
_MAX_HEADER_ACCOUNTS = 32


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("linkedapi-mcp")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"


class ServerState:
    """Everything a tool call needs, created lazily and shared by every connection of this process."""

    def __init__(self, settings: Settings, *, sandbox: Sandbox | None = None) -> None:
        self.settings = settings
        self._runner: Runner | None = None
        self._ledger: Ledger | None = None
        self._default: Backend | None = None
        self._by_headers: dict[str, Backend] = {}
        self._clients: list[LinkedApiClient] = []
        self.sandbox: Sandbox | None = sandbox
        # The embedded sandbox's workflows die with this process, so its ledger account is
        # per process: a later run can never mistake an old sandbox handle for a live one.
        self._sandbox_account = account_key("embedded-sandbox", secrets.token_hex(16))
        self.connections = 0

    # -- lazily built parts ---------------------------------------------------------------------

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.settings.resolved_data_dir() / LEDGER_FILE)
        return self._ledger

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            self._runner = Runner(
                self.ledger,
                dedupe_window=self.settings.dedupe_window_seconds,
                guards=GuardConfig.from_settings(self.settings),  # --- guards
            )
        return self._runner

    def backend(self, ctx: Context | None) -> Backend:
        """The account a call runs on: request headers (HTTP), else the environment, else the sandbox."""
        headers = getattr(ctx, "headers", None) if ctx is not None else None
        if headers:
            api_token = (headers.get("linked-api-token") or "").strip()
            id_token = (headers.get("identification-token") or "").strip()
            if api_token or id_token:
                if not (api_token and id_token):
                    missing = "identification-token" if api_token else "linked-api-token"
                    raise ToolError(
                        f"[{'identificationTokenRequired' if api_token else 'linkedApiTokenRequired'}] "
                        f"The {missing} header is missing: send both linked-api-token and identification-token."
                    )
                return self._real_backend(api_token, id_token, cache=self._by_headers)
        if self._default is None:
            s = self.settings
            if s.linked_api_token is not None and s.identification_token is not None:
                self._default = self._real_backend(
                    s.linked_api_token.get_secret_value(), s.identification_token.get_secret_value(), cache=None
                )
            else:
                self._default = self._sandbox_backend()
        return self._default

    def _real_backend(self, api_token: str, id_token: str, *, cache: dict[str, Backend] | None) -> Backend:
        key = account_key(self.settings.base_url, api_token, id_token)
        if cache is not None and key in cache:
            return cache[key]
        from linkedapi_mcp.client import LinkedApiClient
        from linkedapi_mcp.facade import LinkedApi

        client = LinkedApiClient(
            linked_api_token=api_token, identification_token=id_token, base_url=self.settings.base_url
        )
        self._clients.append(client)
        backend = Backend(kind="linkedapi", account=key, api=LinkedApi(client), policy=PollPolicy())
        if cache is not None:
            if len(cache) >= _MAX_HEADER_ACCOUNTS:
                cache.pop(next(iter(cache)))
            cache[key] = backend
        return backend

    def _sandbox_backend(self) -> Backend:
        from linkedapi_mcp.client import LinkedApiClient
        from linkedapi_mcp.facade import LinkedApi
        from linkedapi_mcp.sandbox import Sandbox

        if self.sandbox is None:
            self.sandbox = Sandbox(seed=self.settings.sandbox_seed, speed=self.settings.sandbox_speed)
        client = LinkedApiClient(
            linked_api_token=_SANDBOX_TOKEN,
            identification_token=_SANDBOX_TOKEN,
            base_url=self.sandbox.base_url,
            transport=self.sandbox.transport(),
        )
        self._clients.append(client)
        # The sandbox clock runs `speed` times faster than LinkedIn: poll that much sooner.
        policy = PollPolicy().scaled(self.settings.sandbox_speed)
        return Backend(kind="sandbox", account=self._sandbox_account, api=LinkedApi(client), policy=policy)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        self._default = None
        self._by_headers.clear()
        for client in clients:
            await client.aclose()
        if self._ledger is not None:
            self._ledger.close()

    # -- per-call decisions ---------------------------------------------------------------------

    @staticmethod
    def client_name(ctx: Context) -> str | None:
        """``clientInfo.name`` (stdio and HTTP alike), else the ``client`` / ``User-Agent`` header."""
        try:
            params = ctx.session.client_params
        except Exception:
            params = None
        if params is not None and params.client_info is not None and params.client_info.name:
            return str(params.client_info.name)
        headers = ctx.headers or {}
        return headers.get("client") or headers.get("user-agent")

    def budget(self, ctx: Context, requested: float | None) -> float:
        return wait_budget(
            client_name=self.client_name(ctx),
            requested=requested,
            configured=self.settings.wait_seconds,
            maximum=self.settings.max_wait_seconds,
        )

    # -- tool implementations -------------------------------------------------------------------

    async def run_operation(
        self, ctx: Context, op: Operation, params: BaseModel, *, wait: float | None, guard: GuardInput | None = None
    ) -> Any:
        """Run one catalog operation. ``guard`` (server/guards.py) carries a write call's confirmation."""
        backend = self.backend(ctx)
        budget = self.budget(ctx, wait)
        if op.kind == "direct":
            sync_tool = SYNC_BEFORE_READ.get(op.tool)
            sync_op = CATALOG[sync_tool] if sync_tool is not None else None
            return await self.runner.call_direct(
                backend, op, params, budget=budget, sync_first=sync_op, report=_reporter(ctx)
            )
        return await self.runner.run_workflow(backend, op, params, budget=budget, report=_reporter(ctx), guard=guard)

    async def workflow_result(
        self, ctx: Context, workflow_id: str, *, operation_name: str | None, wait: float | None
    ) -> Any:
        return await self.runner.workflow_result(
            self.backend(ctx),
            workflow_id,
            resolve=_resolve,
            operation_name=operation_name,
            budget=self.budget(ctx, wait),
            report=_reporter(ctx),
        )

    async def cancel(self, ctx: Context, workflow_id: str) -> CancelOutcome:
        backend = self.backend(ctx)
        cancelled, message = await self.runner.cancel(backend, workflow_id)
        return CancelOutcome(workflowId=workflow_id, cancelled=cancelled, message=message, backend=backend.kind)

    async def list_workflows(self, ctx: Context, *, limit: int, operation: str | None) -> WorkflowList:
        backend = self.backend(ctx)
        rows = await self.runner.recent(backend, limit=limit, operation=operation)
        return WorkflowList(workflows=rows, backend=backend.kind)


def _resolve(name: str) -> Operation:
    try:
        op = by_operation_name(name)
    except KeyError:
        workflows = sorted(op.name for op in CATALOG.values() if op.kind == "workflow")
        raise ToolError(f"Unknown operationName '{name}'. Known: {', '.join(workflows)}.") from None
    if op.kind != "workflow":
        raise ToolError(f"'{name}' is not a workflow operation; it never has a workflowId.")
    return op


def _reporter(ctx: Context) -> Any:
    async def report(progress: float, message: str) -> None:
        await ctx.report_progress(progress, None, message)

    return report


@functools.cache
def prebuilt_specs() -> tuple[ToolSpec, ...]:
    """Every tool's spec (cheap), built once per process."""
    return tuple(all_specs(CATALOG))


@functools.cache
def prebuilt_tool(name: str) -> Tool:
    """One tool's SDK ``Tool``, built once per process on first need (schema generation is the
    slow part: ~6 ms a tool). --- toolsets: in core mode only the listed tools are built at start;
    an unlisted one is built when describe_operation first asks for its schema."""
    [spec] = [s for s in prebuilt_specs() if s.name == name]
    tool = Tool.from_function(
        tool_function(spec),
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations,
        structured_output=True,
    )
    tool.parameters = clean_input_schema(tool.parameters)
    return tool


def prebuilt_tools() -> tuple[tuple[ToolSpec, ...], tuple[Tool, ...]]:
    """Every tool's spec and SDK ``Tool``."""
    specs = prebuilt_specs()
    return specs, tuple(prebuilt_tool(spec.name) for spec in specs)


def build_server(settings: Settings | None = None, *, http: bool = False) -> MCPServer[Any]:
    """The configured MCP server. Raises ``ConfigurationError`` for a half-set token pair."""
    return build(settings, http=http)[0]


def build(
    settings: Settings | None = None, *, http: bool = False, sandbox: Sandbox | None = None
) -> tuple[MCPServer[Any], ServerState]:
    """The server and its state. ``sandbox`` replaces the embedded one (tests control its clock)."""
    settings = settings or Settings()
    settings.check()
    state = ServerState(settings, sandbox=sandbox)
    specs = prebuilt_specs()
    # --- toolsets: list only what this configuration enables (read-only wins over toolsets; in
    # core mode the rest of the enabled operations go through describe/run_operation), and gate
    # calls by the same rule in the middleware.
    exposure = Exposure.from_settings(settings)
    extra_specs = disclosure_specs(exposure, {s.name: s for s in specs}, prebuilt_tool)
    listed = [prebuilt_tool(s.name) for s in specs if exposure.plain(s.name)]
    listed += [build_tool(s) for s in extra_specs]

    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[ServerState]:
        # Shared by every connection of this process; the last one out closes the HTTP clients
        # (the embedded sandbox and its workflows stay for the next connection).
        state.connections += 1
        try:
            yield state
        finally:
            state.connections -= 1
            if state.connections == 0:
                await state.aclose()

    server: MCPServer[Any] = MCPServer(
        SERVER_NAME,
        title="Linked API",
        version=_version(),
        instructions=build_instructions(
            sandbox=settings.uses_sandbox,
            http=http,
            dedupe_window=settings.dedupe_window_seconds,
            exposure=exposure,
            disclosure=bool(extra_specs),
        ),
        middleware=[ValidateArguments({spec.name: spec for spec in (*specs, *extra_specs)}, exposure)],
        tools=listed,
        lifespan=lifespan,
        log_level=settings.log_level,
    )
    return server, state


__all__ = ["SERVER_NAME", "ServerState", "build", "build_server"]
