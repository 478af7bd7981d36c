"""Build the MCP server: configuration → backends → runner → registered tools.

Nothing here does I/O or heavy imports at build time, so ``initialize`` and ``tools/list`` answer
as fast as the SDK allows (docs/benchmarks.md, cold start): ``tools/list`` is served from the
checked listing artifact (:mod:`.listing`); the catalog, the tool models, the runner, the ledger
file, the HTTP client and the embedded sandbox are imported and created on the first
``tools/call`` (or the first call of :func:`prebuilt_tools` and friends).
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool, ToolManager

from linkedapi_mcp.server import listing
from linkedapi_mcp.server.instructions import build_instructions
from linkedapi_mcp.server.toolsets import Exposure
from linkedapi_mcp.settings import Settings

if TYPE_CHECKING:
    from mcp.types import Tool as MCPTool
    from pydantic import BaseModel

    from linkedapi_mcp.catalog.spec import Operation
    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.hosted.accounts import AccountDirectory
    from linkedapi_mcp.hosted.setup import Hosted
    from linkedapi_mcp.sandbox import Sandbox
    from linkedapi_mcp.server.db import Database
    from linkedapi_mcp.server.envelope import WorkflowList
    from linkedapi_mcp.server.guards import GuardInput
    from linkedapi_mcp.server.ledger import Ledger
    from linkedapi_mcp.server.runner import Backend, Runner
    from linkedapi_mcp.server.tools import CancelOutcome, ToolSpec

logger = logging.getLogger("linkedapi_mcp.server")

SERVER_NAME = "linkedapi-mcp"
LEDGER_FILE = "ledger.sqlite3"
_SANDBOX_TOKEN = "sandbox"  # the embedded sandbox accepts any non-empty token
_MAX_CACHED_ACCOUNTS = 64


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
        self._database: Database | None = None
        self._default: Backend | None = None
        self._by_account: dict[str, Backend] = {}
        # Named accounts (hosted/accounts.py): the vault's per-principal ones over hosted HTTP,
        # or an accounts file; None = the environment's tokens or the sandbox.
        self.accounts: AccountDirectory | None = None
        self.hosted: Hosted | None = None
        self._clients: list[LinkedApiClient] = []
        self.sandbox: Sandbox | None = sandbox
        self._sandbox_account: str | None = None
        self.connections = 0
        # A Captain Data-only server (captaindata_settings.captaindata_only): no Linked API backend.
        self.captaindata_only = False

    # -- lazily built parts ---------------------------------------------------------------------

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            from linkedapi_mcp.server.ledger import Ledger

            self._ledger = Ledger(self.database)
        return self._ledger

    @property
    def database(self) -> Database:
        """The store the ledger (and, hosted, the vault) live in: PostgreSQL when
        ``LINKEDAPI_MCP_DATABASE_URL`` is set, else SQLite files in the data directory."""
        if self._database is None:
            from linkedapi_mcp.server.db import open_database

            url = self.settings.database_url
            self._database = open_database(
                url.get_secret_value() if url is not None else None,
                self.settings.resolved_data_dir() / LEDGER_FILE,
                timeout=self.settings.ledger_timeout_seconds,
            )
        return self._database

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            from linkedapi_mcp.server.guards import GuardConfig
            from linkedapi_mcp.server.runner import Runner

            self._runner = Runner(
                self.ledger,
                dedupe_window=self.settings.dedupe_window_seconds,
                guards=GuardConfig.from_settings(self.settings),  # --- guards
            )
            self._runner.ledger_only = self.hosted is not None
            self._runner.push = http_push(self.settings)
        return self._runner

    def backend(self, ctx: Context | None) -> Backend:
        """The account a call runs on (:meth:`_backend`), with Captain Data's launches and handles
        routed to it when that toolset is on (server/captaindata.py)."""
        from linkedapi_mcp.server.captaindata_settings import enabled

        if not enabled(self.settings):
            return self._backend(ctx)
        from linkedapi_mcp.server.captaindata import alone, routed

        if self.captaindata_only:
            only: Backend = alone(self)
            return only
        routed_backend: Backend = routed(self, self._backend(ctx))
        return routed_backend

    def _backend(self, ctx: Context | None) -> Backend:
        """The account a call runs on: the caller's chosen account when there is a directory of
        named accounts (hosted HTTP: the bearer token's principal; or an accounts file), else the
        environment's tokens, else the sandbox. Linked API tokens never come from a request."""
        if self.accounts is not None:
            from linkedapi_mcp.hosted.accounts import AccountError, selected_account

            try:
                chosen = self.accounts.choose(selected_account.get())
            except AccountError as exc:
                raise ToolError(str(exc)) from None
            return self._account_backend(
                chosen.linked_api_token, chosen.identification_token, ledger_key=chosen.ledger_key
            )
        if self._default is None:
            s = self.settings
            if s.linked_api_token is not None and s.identification_token is not None:
                self._default = self._account_backend(
                    s.linked_api_token.get_secret_value(), s.identification_token.get_secret_value(), cache=False
                )
            else:
                self._default = self._sandbox_backend()
        return self._default

    def _account_backend(
        self, api_token: str, id_token: str, *, ledger_key: str | None = None, cache: bool = True
    ) -> Backend:
        """A backend on one account's tokens. ``ledger_key`` (hosted: per principal and account)
        replaces the key derived from the tokens. An injected sandbox (tests) serves every
        account when no environment tokens are set; otherwise Linked API at ``base_url``."""
        from linkedapi_mcp.server.ledger import account_key

        token_key = account_key(self.settings.base_url, api_token, id_token)
        key = ledger_key or token_key
        cache_key = f"{key}/{token_key}"  # tokens replaced under the same name: a new client
        if cache and cache_key in self._by_account:
            return self._by_account[cache_key]
        from linkedapi_mcp.client.account_api import client_for
        from linkedapi_mcp.server.account_hooks import client_options
        from linkedapi_mcp.server.runner import Backend
        from linkedapi_mcp.server.storage_faults import NotedApi
        from linkedapi_mcp.server.timing import PollPolicy

        on_sandbox = self.sandbox is not None and self.settings.uses_sandbox
        client = client_for(
            self.settings.api,  # the API generation (docs/account-api.md)
            **client_options(self.settings),  # result handling (server/account_hooks.py)
            linked_api_token=api_token,
            identification_token=id_token,
            base_url=self.sandbox.base_url if on_sandbox and self.sandbox else self.settings.base_url,
            transport=self.sandbox.transport() if on_sandbox and self.sandbox else None,
        )
        self._clients.append(client)
        policy = PollPolicy.every(self.settings.poll_interval_seconds)
        policy = policy.scaled(self.settings.sandbox_speed) if on_sandbox else policy
        backend = Backend(
            kind="sandbox" if on_sandbox else "linkedapi", account=key, api=NotedApi(client), policy=policy
        )
        if cache:
            if len(self._by_account) >= _MAX_CACHED_ACCOUNTS:
                self._by_account.pop(next(iter(self._by_account)))
            self._by_account[cache_key] = backend
        return backend

    async def readiness(self) -> str | None:
        """``/readyz``: the ledger (and, hosted, the vault) can be read. None = ready."""
        try:
            await self.ledger.recent("readiness-probe", limit=1)
        except Exception:
            return "ledger unavailable"
        if self.hosted is not None:
            vault = self.hosted.vault
            try:
                await vault.run(vault.principals)
            except Exception:
                return "vault unavailable"
        return None

    async def verify_tokens(self, api_token: str, id_token: str) -> dict[str, Any]:
        """The connect page's check of a token pair: ``GET /account`` on the account's backend."""
        from linkedapi_mcp.client.errors import (
            AuthenticationError,
            LinkedApiError,
            OutcomeUnknownError,
            RateLimitedError,
            UpstreamUnavailableError,
        )
        from linkedapi_mcp.hosted.pages import TokenRejected, UpstreamDown

        backend = self._account_backend(api_token, id_token, cache=False)
        client = backend.api.client
        try:
            return await client.get_account(deadline=client.clock() + 20.0)
        except (UpstreamUnavailableError, OutcomeUnknownError, RateLimitedError):
            raise UpstreamDown() from None
        except AuthenticationError as exc:
            raise TokenRejected(f"[{exc.type}] {exc.message}") from None
        except LinkedApiError as exc:
            raise TokenRejected(f"[{exc.type}] {exc.message}") from None
        finally:
            self._clients.remove(client)
            await client.aclose()

    def _sandbox_backend(self) -> Backend:
        import secrets

        from linkedapi_mcp.client.account_api import client_for
        from linkedapi_mcp.sandbox import Sandbox
        from linkedapi_mcp.server.account_hooks import client_options
        from linkedapi_mcp.server.ledger import account_key
        from linkedapi_mcp.server.runner import Backend
        from linkedapi_mcp.server.storage_faults import NotedApi
        from linkedapi_mcp.server.timing import PollPolicy

        if self.sandbox is None:
            from linkedapi_mcp.sandbox.persist import account_file

            # The embedded sandbox is a persistent account on today's calendar: its world and
            # workflows live in the data directory, so a later process (another `call`, a
            # restarted client) continues it; `linkedapi-mcp sandbox reset` starts over.
            self.sandbox = Sandbox(
                seed=self.settings.sandbox_seed,
                speed=self.settings.sandbox_speed,
                epoch="now",
                persist_to=account_file(self.settings.resolved_data_dir()),
                account_api="002" if self.settings.api == "account-002" else "000",
            )
        client = client_for(
            self.settings.api,
            **client_options(self.settings),  # result handling (server/account_hooks.py)
            linked_api_token=_SANDBOX_TOKEN,
            identification_token=_SANDBOX_TOKEN,
            base_url=self.sandbox.base_url,
            transport=self.sandbox.transport(),
        )
        self._clients.append(client)
        # The sandbox clock runs `speed` times faster than LinkedIn: poll that much sooner.
        policy = PollPolicy.every(self.settings.poll_interval_seconds).scaled(self.settings.sandbox_speed)
        if self._sandbox_account is None:
            # A persistent sandbox account keeps its ledger account across processes (handles and
            # confirmations carry over). An in-memory one dies with this server, so its ledger
            # account is this server's own: no run mistakes another's handle for a live one.
            persistent = self.sandbox.persist_to is not None
            self._sandbox_account = account_key(
                "embedded-sandbox", self.sandbox.account_id if persistent else secrets.token_hex(16)
            )
        return Backend(kind="sandbox", account=self._sandbox_account, api=NotedApi(client), policy=policy)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        self._default = None
        self._by_account.clear()
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
        from linkedapi_mcp.server.tasks import task_wait_cap
        from linkedapi_mcp.server.timing import wait_budget

        budget = wait_budget(
            client_name=self.client_name(ctx),
            requested=requested,
            configured=self.settings.wait_seconds,
            maximum=self.settings.max_wait_seconds,
        )
        cap = task_wait_cap.get()  # a tasks client's call (server/tasks.py) becomes a task soon
        return budget if cap is None else min(budget, cap)

    # -- tool implementations -------------------------------------------------------------------

    async def run_operation(
        self, ctx: Context, op: Operation, params: BaseModel, *, wait: float | None, guard: GuardInput | None = None
    ) -> Any:
        """Run one catalog operation. ``guard`` (server/guards.py) carries a write call's confirmation.
        A storage fault is explained and contained (server/storage_faults.py)."""
        from linkedapi_mcp.server.previews import remember
        from linkedapi_mcp.server.storage_faults import contain_run

        backend = self.backend(ctx)
        outcome = await contain_run(
            self.runner,
            backend,
            op,
            params,
            budget=self.budget(ctx, wait),
            report=_reporter(ctx),
            run=lambda: self._run_operation(ctx, op, params, wait=wait, guard=guard),
        )
        remember(backend.account, outcome)  # people seen, named in later previews (server/previews.py)
        return outcome

    async def _run_operation(
        self, ctx: Context, op: Operation, params: BaseModel, *, wait: float | None, guard: GuardInput | None = None
    ) -> Any:
        from linkedapi_mcp.catalog import CATALOG
        from linkedapi_mcp.server.tools import SYNC_BEFORE_READ

        backend = self.backend(ctx)
        budget = self.budget(ctx, wait)
        if op.name == "pollInbox":  # server/inbox.py: monitoring note, webhook events as a source
            return await self._inbox(ctx, backend, op, params, budget)
        if op.name == "pollNetwork" and self.accounts is None:  # recorded network.* events (server/inbox.py)
            from linkedapi_mcp.catalog.params import GetNetworkParams
            from linkedapi_mcp.server import inbox

            assert isinstance(params, GetNetworkParams)
            started_at = await inbox.network_started(self.ledger, backend.account)
            pushed = await inbox.network_from_events(self.ledger, params, started_at)
            if pushed is not None:
                return self.runner.completed(backend, op, {"data": pushed[0]}, message=pushed[1])
        if op.kind == "direct":
            sync_tool = SYNC_BEFORE_READ.get(op.tool)
            # Only where the sync is itself enabled: read-only mode (or its toolset switched off)
            # refuses sync_conversation by name, so a read must not start it on the side.
            if sync_tool is not None and not Exposure.from_settings(self.settings).enabled(sync_tool):
                sync_tool = None
            sync_op = CATALOG[sync_tool] if sync_tool is not None else None
            return await self.runner.call_direct(
                backend, op, params, budget=budget, sync_first=sync_op, report=_reporter(ctx)
            )
        outcome = await self.runner.run_workflow(backend, op, params, budget=budget, report=_reporter(ctx), guard=guard)
        from linkedapi_mcp.server.inbox import after_sync

        return after_sync(outcome, time.time())

    async def _inbox(self, ctx: Context, backend: Backend, op: Operation, params: BaseModel, budget: float) -> Any:
        """get_inbox: from recorded webhook events when they cover the request, else Linked API;
        either way with when monitoring started and what it covers (server/inbox.py)."""
        from linkedapi_mcp.catalog.params import GetInboxParams
        from linkedapi_mcp.server import inbox

        assert isinstance(params, GetInboxParams)
        sync_tool = "nv_sync_inbox" if params.type == "nv" else "sync_inbox"
        enabled = Exposure.from_settings(self.settings).enabled(sync_tool)
        started, running = await inbox.monitoring_started(self.ledger, backend.account)
        note = inbox.monitoring_text(started, sync_tool=sync_tool if enabled else None, running=running)
        # [INFERRED] Events carry Linked API's accountId, which a named account (hosted, accounts
        # file) cannot be matched to here: only a single-account server answers from them.
        answered = await inbox.from_events(self.ledger, params, started) if self.accounts is None else None
        if answered is not None:
            data, source = answered
            data["monitoring"] = note
            return self.runner.completed(backend, op, {"data": data}, message=source)
        outcome = await self.runner.call_direct(backend, op, params, budget=budget, report=_reporter(ctx))
        if isinstance(outcome.get("result"), dict):
            outcome["result"]["monitoring"] = note
        return outcome

    async def workflow_result(
        self, ctx: Context, workflow_id: str, *, operation_name: str | None, wait: float | None
    ) -> Any:
        from linkedapi_mcp.server.storage_faults import contain_result

        return await contain_result(
            self.runner,
            self.backend(ctx),
            workflow_id,
            resolve=_resolve,
            operation_name=operation_name,
            budget=self.budget(ctx, wait),
            report=_reporter(ctx),
            run=lambda: self._workflow_result(ctx, workflow_id, operation_name=operation_name, wait=wait),
        )

    async def _workflow_result(
        self, ctx: Context, workflow_id: str, *, operation_name: str | None, wait: float | None
    ) -> Any:
        from linkedapi_mcp.server.inbox import after_sync
        from linkedapi_mcp.server.previews import remember

        backend = self.backend(ctx)
        outcome = await self.runner.workflow_result(
            backend,
            workflow_id,
            resolve=_resolve,
            operation_name=operation_name,
            budget=self.budget(ctx, wait),
            report=_reporter(ctx),
        )
        remember(backend.account, outcome)
        return after_sync(outcome, time.time())

    async def cancel(self, ctx: Context, workflow_id: str) -> CancelOutcome:
        from linkedapi_mcp.server.storage_faults import contain_cancel
        from linkedapi_mcp.server.tools import CancelOutcome

        backend = self.backend(ctx)
        cancelled, message = await contain_cancel(
            self.runner, backend, workflow_id, lambda: self.runner.cancel(backend, workflow_id)
        )
        return CancelOutcome(workflowId=workflow_id, cancelled=cancelled, message=message, backend=backend.kind)

    async def list_workflows(self, ctx: Context, *, limit: int, operation: str | None, offset: int = 0) -> WorkflowList:
        from linkedapi_mcp.server.envelope import WorkflowList
        from linkedapi_mcp.server.storage_faults import contain_list

        backend = self.backend(ctx)

        async def page() -> tuple[list[Any], int]:
            rows = await self.runner.recent(backend, limit=limit, operation=operation, offset=offset)
            return rows, await self.runner.ledger.count(backend.account, operation=operation)

        rows, total = await contain_list(page)
        more = offset + len(rows) < total
        return WorkflowList(
            workflows=rows, total=total, nextOffset=offset + len(rows) if more else None, backend=backend.kind
        )


def _resolve(name: str) -> Operation:
    from linkedapi_mcp.catalog import CATALOG, by_operation_name

    try:
        op = by_operation_name(name)
    except KeyError:
        from linkedapi_mcp.server.captaindata import resolve

        launch = resolve(name)  # a Captain Data job's row (server/captaindata.py)
        if launch is not None:
            return launch
        workflows = sorted(op.name for op in CATALOG.values() if op.kind == "workflow")
        raise ToolError(f"Unknown operationName '{name}'. Known: {', '.join(workflows)}.") from None
    if op.kind != "workflow":
        raise ToolError(f"'{name}' is not a workflow operation; it never has a workflowId.")
    return op


def _reporter(ctx: Context) -> Any:
    async def report(progress: float, message: str, /, *, total: float | None = None) -> None:
        await ctx.report_progress(progress, total, message)  # total: the predicted run time

    return report


# The tools may be built by a warm-up thread (:meth:`LinkedApiServer.warm_up`) while the event
# loop handles a call: one lock around every build, so each is made once and seen whole.
_BUILD_LOCK = threading.RLock()
_WARM_UP_DELAY = 0.1  # seconds after the first listing


def prebuilt_specs() -> tuple[ToolSpec, ...]:
    """Every tool's spec (cheap once the catalog is imported), built once per process."""
    with _BUILD_LOCK:
        return _prebuilt_specs()


@functools.cache
def _prebuilt_specs() -> tuple[ToolSpec, ...]:
    return tuple(prebuilt_spec(name) for name in prebuilt_names())


@functools.cache
def prebuilt_names() -> tuple[str, ...]:
    """Every prebuilt tool's name, in catalog order (what :func:`tools.all_specs` builds)."""
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.tools import LIST_ACTIONS_SPEC, WORKFLOW_TOOLS

    return (*CATALOG, LIST_ACTIONS_SPEC.name, *(s.name for s in WORKFLOW_TOOLS))


def prebuilt_spec(name: str) -> ToolSpec:
    """One tool's spec, built once per process when first needed (an operation's output envelope
    is a generic pydantic class, ~3 ms each: the first call builds its own, not all fifty)."""
    with _BUILD_LOCK:
        return _prebuilt_spec(name)


@functools.cache
def _prebuilt_spec(name: str) -> ToolSpec:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.tools import LIST_ACTIONS_SPEC, WORKFLOW_TOOLS, operation_spec

    if name in CATALOG:
        return operation_spec(CATALOG[name])
    [spec] = [s for s in (LIST_ACTIONS_SPEC, *WORKFLOW_TOOLS) if s.name == name]
    return spec


def prebuilt_tool(name: str) -> Tool:
    """One tool's SDK ``Tool``, built once per process on first need (schema generation is the
    slow part: ~6 ms a tool). --- toolsets: in core mode only the listed tools are built (on the
    first call); an unlisted one is built when describe_operation first asks for its schema."""
    with _BUILD_LOCK:
        return _prebuilt_tool(name)


@functools.cache
def _prebuilt_tool(name: str) -> Tool:
    from linkedapi_mcp.server.tools import build_tool

    return build_tool(prebuilt_spec(name))


def prebuilt_tools() -> tuple[tuple[ToolSpec, ...], tuple[Tool, ...]]:
    """Every tool's spec and SDK ``Tool``."""
    specs = prebuilt_specs()
    return specs, tuple(prebuilt_tool(spec.name) for spec in specs)


class _ServerTools:
    """One server's tools, built from the models on first need (the first ``tools/call``).

    ``specs`` holds every operation and handle tool plus this exposure's disclosure tools (what the
    validation middleware checks calls against); ``listed`` the SDK tools this exposure registers,
    in the order of the listing artifact (:func:`listing.entries`).
    """

    def __init__(self, exposure: Exposure, extra: tuple[ToolSpec, ...] = ()) -> None:
        self.exposure = exposure
        self.extra = extra  # tools of optional backends (server/captaindata.py), built here
        # name → spec of every tool the validation middleware checks calls against, and the names
        # this exposure registers with the SDK (in listing order) with whether the tool is one of
        # the process-wide prebuilt ones. Cheap: no schema is generated for them.
        self._specs: _Specs | None = None
        self._registered: dict[str, bool] = {}
        self._tools: dict[str, Tool] = {}  # SDK tools built so far (the ones not prebuilt)
        self._built: list[Tool] | None = None

    @property
    def built(self) -> bool:
        return self._built is not None

    def plan(self) -> _Specs:
        with _BUILD_LOCK:
            if self._specs is None:
                from linkedapi_mcp.server.disclosure import disclosure_specs

                own = {s.name: s for s in self.extra}
                names = [n for n in prebuilt_names() if n not in own]
                specs = _Specs(names, own)
                # --- toolsets: in auto mode a capped client's session sees the core listing, so the
                # disclosure tools of the core view are registered too (listed only in that view).
                disclosing = self.exposure.as_core() if self.exposure.mode == "auto" else self.exposure
                extra = disclosure_specs(disclosing, specs, prebuilt_tool)
                registered = {n: True for n in names if self.exposure.plain(n)}
                registered |= {s.name: False for s in (*self.extra, *extra)}
                own.update({s.name: s for s in extra})
                self._registered = registered
                self._specs = specs
            return self._specs

    def tool(self, name: str) -> Tool | None:
        """The SDK tool ``name`` if this exposure registers it, built on first need — alone: the
        first ``tools/call`` builds the one tool it calls (~6 ms), not all fifty (~0.7 s; issue
        14, spawn → first result)."""
        specs = self.plan()
        prebuilt = self._registered.get(name)
        if prebuilt is None:
            return None
        if prebuilt:
            return prebuilt_tool(name)
        with _BUILD_LOCK:
            if name not in self._tools:
                from linkedapi_mcp.server.tools import build_tool

                self._tools[name] = build_tool(specs[name])
            return self._tools[name]

    def _build(self) -> list[Tool]:
        if self._built is None:
            self.plan()
            built = [self.tool(name) for name in self._registered]
            self._built = [t for t in built if t is not None]
        return self._built

    @property
    def specs(self) -> Mapping[str, ToolSpec]:
        return self.plan()

    @property
    def listed(self) -> list[Tool]:
        return self._build()

    def listed_for(self, view: Exposure) -> list[Tool]:
        """What one session lists (``view``: :meth:`Exposure.for_client`), in registration order."""
        from linkedapi_mcp.server.toolsets import DISCLOSURE_TOOLS

        tools = self.listed
        out = [t for t in tools if t.name not in DISCLOSURE_TOOLS and view.plain(t.name)]
        if view.mode == "core":
            out += [t for t in tools if t.name in DISCLOSURE_TOOLS]
        return out


class _Specs(Mapping[str, "ToolSpec"]):
    """Every tool's spec by name: the prebuilt ones built on first lookup (:func:`prebuilt_spec`),
    this server's own (optional backends, disclosure tools) as given. ``in`` costs nothing."""

    def __init__(self, prebuilt: list[str], own: dict[str, ToolSpec]) -> None:
        self._prebuilt = dict.fromkeys(prebuilt)
        self._own = own  # filled further by _ServerTools.plan (the disclosure tools)

    def __contains__(self, name: object) -> bool:
        return name in self._own or name in self._prebuilt

    def __getitem__(self, name: str) -> ToolSpec:
        if name in self._own:
            return self._own[name]
        if name in self._prebuilt:
            return prebuilt_spec(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter([*self._prebuilt, *self._own])

    def __len__(self) -> int:
        return len(self._prebuilt) + len(self._own)


class _LazySpecs(Mapping[str, "ToolSpec"]):
    """The validation middleware's view of the specs: built when a ``tools/call`` first looks."""

    def __init__(self, tools: _ServerTools) -> None:
        self._tools = tools

    def __getitem__(self, name: str) -> ToolSpec:
        return self._tools.specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tools.specs

    def __iter__(self) -> Iterator[str]:
        return iter(self._tools.specs)

    def __len__(self) -> int:
        return len(self._tools.specs)


class _LazyToolManager(ToolManager):
    """The SDK's tool manager, filled from :class:`_ServerTools` the first time it is asked."""

    def __init__(self, tools: _ServerTools) -> None:
        super().__init__()
        self._server_tools = tools
        self._filled = False

    def fill(self) -> None:
        if self._filled:
            return
        with _BUILD_LOCK:
            if not self._filled:
                early = dict(self._tools)  # built alone by get_tool, or added by add_tool
                self._tools.clear()  # registration order = listing order
                for tool in self._server_tools.listed:
                    self._tools[tool.name] = early.pop(tool.name, tool)
                self._tools.update(early)
                self._filled = True

    def get_tool(self, name: str) -> Tool | None:
        if not self._filled:  # the first calls: build only the tool asked for
            tool = self._server_tools.tool(name)
            if tool is not None:
                self._tools.setdefault(name, tool)
                return tool
        self.fill()
        return super().get_tool(name)

    def list_tools(self) -> list[Tool]:
        self.fill()
        return super().list_tools()

    def add_tool(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tool:
        self.fill()
        return super().add_tool(fn, *args, **kwargs)

    def remove_tool(self, name: str) -> None:
        self.fill()
        super().remove_tool(name)

    @property
    def filled(self) -> bool:
        return self._filled


class LinkedApiServer(MCPServer[Any]):
    """``MCPServer`` whose ``tools/list`` comes from the listing artifact until the tools are built.

    The tool manager is the SDK's own (``_tool_manager``, mcp 2.3), filled on first use, so
    ``tools/call``, the input-schema lookup of the HTTP transport and ``add_tool`` work unchanged.

    With ``warm_up`` (the ``linkedapi-mcp`` command), the first listing also starts a worker
    thread that does the first call's one-time work (:meth:`warm_up`) shortly after the answer
    has gone out: MCP clients list the tools when they connect and call one seconds later.
    """

    def __init__(
        self,
        *args: Any,
        server_tools: _ServerTools,
        uses_sandbox: bool,
        warm_up: bool = False,
        accounts: AccountDirectory | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._accounts = accounts
        self.public_url: str | None = None  # hosted HTTP: the URL clients reach this server at
        self._lazy_tools = _LazyToolManager(server_tools)
        self._tool_manager = self._lazy_tools
        self._exposure = server_tools.exposure
        self._server_tools = server_tools
        self._uses_sandbox = uses_sandbox
        self._warm_up = warm_up
        self.warm_up_thread: threading.Thread | None = None

    async def _handle_list_tools(self, ctx: Any, params: Any) -> Any:
        # --- toolsets: the listing depends on the client (auto mode: core for capped clients).
        from mcp.types import ListToolsResult

        context = Context(request_context=ctx, mcp_server=self)
        return ListToolsResult(tools=await self.list_tools(ServerState.client_name(context)))

    async def list_tools(self, client_name: str | None = None) -> list[MCPTool]:
        tools = await self._list_tools(self._exposure.for_client(client_name))
        names = self._accounts.names() if self._accounts is not None else []
        if len(names) < 2:
            return tools
        # The caller has several accounts: every tool takes an optional `account` (an enum of
        # exactly this caller's names; the validation middleware takes it off before the model).
        from linkedapi_mcp.hosted.accounts import add_account_argument

        return [t.model_copy(update={"input_schema": add_account_argument(t.input_schema, names)}) for t in tools]

    async def _list_tools(self, view: Exposure) -> list[MCPTool]:
        if not self._lazy_tools.filled and not self._server_tools.extra:  # the artifact lacks extras
            tools = listing.listed_tools(view)
            if self._warm_up and self.warm_up_thread is None:
                self.warm_up_thread = threading.Thread(target=self._warm_up_soon, name="warm-up", daemon=True)
                self.warm_up_thread.start()
            return tools
        self._lazy_tools.fill()
        return [_listed(tool) for tool in self._server_tools.listed_for(view)]

    def _warm_up_soon(self) -> None:
        # The build holds the GIL in 5 ms slices: give the tools/list answer a head start. (No
        # correctness depends on it: a call that comes first builds, or waits for, the same lock.)
        time.sleep(_WARM_UP_DELAY)
        try:
            self.warm_up()
        except Exception:  # the first call does the same work and reports any error properly
            logger.debug("warm-up failed", exc_info=True)

    def warm_up(self) -> None:
        """The first ``tools/call``'s one-time work: the modules a call runs through imported, and
        the plan of this server's tools (names and specs, no schemas). No tool is built here: the
        first call builds the one it calls (~6 ms); building all fifty (~0.7 s, holding the GIL)
        would slow a call that comes at once. No I/O: the ledger file, the HTTP client and the
        embedded sandbox are still created by the first call."""
        self._server_tools.plan()
        # The runner brings the ledger, the guards and the HTTP client with it.
        modules = ["linkedapi_mcp.facade", "linkedapi_mcp.server.runner"]
        if self._uses_sandbox:
            modules.append("linkedapi_mcp.sandbox")
        for module in modules:
            importlib.import_module(module)


def built_listing(exposure: Exposure) -> list[dict[str, Any]]:
    """The ``tools/list`` entries built from the models (what the listing artifact must hold)."""
    return [listing.entry_of(_listed(tool)) for tool in _ServerTools(exposure).listed_for(exposure.for_client(None))]


def _listed(tool: Tool) -> MCPTool:
    """A registered tool as ``tools/list`` shows it (what ``MCPServer.list_tools`` does)."""
    from mcp.types import Tool as MCPTool

    return MCPTool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=tool.parameters,
        output_schema=tool.output_schema,
        annotations=tool.annotations,
        icons=tool.icons,
        _meta=tool.meta,
    )


def http_push(settings: Settings) -> bool:
    """Webhook deliveries are received (and pollers listen for them)."""
    return settings.webhook_secret is not None


def _shared_request_state(settings: Settings) -> dict[str, Any]:
    """With a secret key (hosted, replicas), requestState is sealed with a key derived from it, so
    every replica unseals what another sealed; without one, the SDK's per-process key."""
    if settings.secret_key is None:
        return {}
    from mcp.server.mcpserver import RequestStateSecurity

    from linkedapi_mcp.hosted.crypto import SecretBox, SecretKeyError

    try:
        key = SecretBox(settings.secret_key.get_secret_value()).request_state_key
    except SecretKeyError as exc:
        from linkedapi_mcp.settings import ConfigurationError

        raise ConfigurationError(str(exc)) from None
    return {"request_state_security": RequestStateSecurity(keys=[key])}


def build_server(settings: Settings | None = None, *, http: bool = False) -> MCPServer[Any]:
    """The configured MCP server. Raises ``ConfigurationError`` for a half-set token pair."""
    return build(settings, http=http)[0]


def build(
    settings: Settings | None = None,
    *,
    http: bool = False,
    sandbox: Sandbox | None = None,
    warm_up: bool = False,
    host: str | None = None,
    port: int | None = None,
) -> tuple[MCPServer[Any], ServerState]:
    """The server and its state. ``sandbox`` replaces the embedded one (tests control its clock);
    ``warm_up`` builds the tools in a worker thread after the first listing (the CLI's servers).

    Over HTTP (``http``) the settings' ``auth`` mode applies to a server bound to ``host`` /
    ``port`` (default: the settings'): OAuth or JWT bearer tokens, each principal on its own
    accounts from the vault (hosted/); ``none`` only on loopback."""
    from mcp.server.subscriptions import InMemorySubscriptionBus

    from linkedapi_mcp.server.protocol import install_protocol
    from linkedapi_mcp.server.tasks import WorkflowTasks
    from linkedapi_mcp.server.validation import ValidateArguments

    settings = settings or Settings()
    settings.check()
    state = ServerState(settings, sandbox=sandbox)
    hosted = None
    if http:
        from linkedapi_mcp.hosted.setup import build_hosted

        hosted = build_hosted(
            settings,
            host=host or settings.host,
            port=settings.port if port is None else port,
            verify_tokens=lambda: state.verify_tokens,
            database=lambda: state.database,
        )
    if hosted is not None:
        state.accounts = hosted.accounts()
        state.hosted = hosted
    elif settings.accounts_file is not None:
        from linkedapi_mcp.hosted.accounts import AccountError, FileAccounts
        from linkedapi_mcp.settings import ConfigurationError

        try:
            state.accounts = FileAccounts(settings.accounts_file)
        except AccountError as exc:
            raise ConfigurationError(str(exc)) from None
    # --- toolsets: list only what this configuration enables (read-only wins over toolsets; in
    # core mode the rest of the enabled operations go through describe/run_operation), and gate
    # calls by the same rule in the middleware.
    exposure = Exposure.from_settings(settings)
    if state.accounts is not None and not exposure.linked_api:  # named accounts are Linked API accounts
        from dataclasses import replace

        exposure = replace(exposure, linked_api=True)
    state.captaindata_only = not exposure.linked_api
    from linkedapi_mcp.server.captaindata_settings import ONLY_INSTRUCTIONS as captaindata_only_text
    from linkedapi_mcp.server.captaindata_settings import enabled as captaindata_enabled

    extra: tuple[ToolSpec, ...] = ()
    if captaindata_enabled(settings):  # the captaindata toolset (server/captaindata.py)
        from linkedapi_mcp.server.captaindata import tool_specs

        extra = tool_specs(read_only=settings.read_only)
    tools = _ServerTools(exposure, extra)

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

    tasks = WorkflowTasks()  # the tasks extension over workflow handles, for clients declaring it
    bus = InMemorySubscriptionBus()  # subscriptions/listen: workflow resources announce their end
    specs = _LazySpecs(tools)
    server = LinkedApiServer(
        SERVER_NAME,
        title="Linked API",
        version=_version(),
        instructions=build_instructions(
            sandbox=settings.uses_sandbox and state.accounts is None and exposure.linked_api,
            http=http,
            dedupe_window=settings.dedupe_window_seconds,
            exposure=exposure,
            disclosure=bool(exposure.disclosed(listing.operations())),
        )
        + (captaindata_only_text if state.captaindata_only else ""),
        middleware=[ValidateArguments(specs, exposure, accounts=state.accounts)],
        extensions=[tasks],
        subscriptions=bus,
        lifespan=lifespan,
        log_level=settings.log_level,
        server_tools=tools,
        uses_sandbox=settings.uses_sandbox and sandbox is None,
        warm_up=warm_up,
        accounts=state.accounts,
        **(hosted.server_kwargs() if hosted is not None else {}),
        **_shared_request_state(settings),
    )
    tasks.attach(server)
    install_protocol(server, known_tool=specs.__contains__, bus=bus)  # resources, logging, completions
    if http:
        from linkedapi_mcp.server.health import health_routes

        routes = [*(hosted.routes if hosted is not None else []), *health_routes(state.readiness)]
        if http_push(settings):
            from linkedapi_mcp.server.webhooks import webhook_route

            secret = settings.webhook_secret
            assert secret is not None
            routes.append(
                webhook_route(
                    lambda: [s.strip() for s in secret.get_secret_value().split(",") if s.strip()],
                    lambda event: state.runner.deliver(event, _resolve),
                )
            )
            from linkedapi_mcp.server.account_hooks import account_hook_route, secrets_of

            # Account API hook deliveries (docs/account-api.md), through the same intake.
            routes.append(
                account_hook_route(lambda: secrets_of(settings), lambda event: state.runner.deliver(event, _resolve))
            )
        for route in routes:
            server.custom_route(route.path, methods=sorted(route.methods or ()))(route.endpoint)
    if hosted is not None:
        server.public_url = hosted.public_url
    return server, state


__all__ = ["SERVER_NAME", "ServerState", "build", "build_server"]
