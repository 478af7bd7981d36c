"""The sandbox HTTP server: the Linked API contract over a synthetic world, plus introspection.

``Sandbox`` owns the state (world, virtual clock, workflows, faults, request log) and builds the
ASGI application. Requests pass through three layers:

1. :class:`_FaultLayer` (outermost, raw ASGI): logs every API request and applies injected
   faults — it needs the raw ASGI ``send`` to be able to drop a connection without a response.
2. the Starlette router with the API routes (``/workflows``, ``/admin/...``, ...) and the
   unauthenticated introspection routes under ``/_sandbox/``.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkedapi_mcp.actions import WorkflowDefinitionError, iter_actions, validate_definition

from . import admin
from .clock import VirtualClock, format_time, parse_epoch
from .config import JOB_SEARCH_VERSIONS, JobSearch, SandboxConfig, Seat, WorkingHours
from .errors import SandboxRequestError
from .faults import FaultQueue, FaultRule
from .scheduler import SIGNED_OUT_MESSAGE, Scheduler

if TYPE_CHECKING:
    from .transport import SandboxTransport

logger = logging.getLogger(__name__)

INTROSPECTION_PREFIX = "/_sandbox"
DEFAULT_BASE_URL = "http://sandbox.local"

TOKEN_MESSAGES = {
    "linkedApiTokenRequired": "'linked-api-token' is missing in request headers.",
    "invalidLinkedApiToken": "The provided 'linked-api-token' is invalid.",
    "identificationTokenRequired": "'identification-token' is missing in request headers.",
    "invalidIdentificationToken": "The provided 'identification-token' is invalid.",
}
PLUS_PLAN_MESSAGE = "Some actions in this workflow require the Plus plan."
OUTSIDE_HOURS_MESSAGE = (
    "The account is outside its working hours and its off-hours policy refuses new work. "
    "Retry once the working hours reopen, or ask the owner to change the off-hours policy."
)
MAX_STATS_RANGE = timedelta(days=30)


class RateLimited(SandboxRequestError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__("tooManyRequests", message, 429)
        self.retry_after = retry_after


class ConnectionDropped(Exception):
    """Raised out of the ASGI app (in-process only) to mean "close without a response"."""


def envelope_error(type: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"success": False, "error": {"type": type, "message": message}}, status, headers)


def envelope_ok(result: Any = None, *, void: bool = False) -> Response:
    return JSONResponse({"success": True} if void else {"success": True, "result": result})


def _world_factory_default() -> Callable[..., Any]:
    # Imported lazily: the world module is large and only needed when a sandbox is built.
    module = importlib.import_module("linkedapi_mcp.sandbox.world")
    factory: Callable[..., Any] = module.World
    return factory


@dataclass
class RequestLogEntry:
    method: str
    path: str
    query: str
    status: int | None
    virtual_time: datetime
    real_time: float
    fault: str | None = None
    outcome: str = "answered"  # answered | dropped | interrupted
    recorded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "virtualTime": format_time(self.virtual_time),
            "realTime": self.real_time,
            "fault": self.fault,
            "outcome": self.outcome,
        }


class RequestLog:
    """API requests seen (never headers, never bodies: they could carry tokens or personal data)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RequestLogEntry] = []

    def record(self, entry: RequestLogEntry) -> None:
        """Add an entry once (recorded before the last byte goes out, so a client never races it)."""
        with self._lock:
            if not entry.recorded:
                entry.recorded = True
                self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def entries(self) -> list[RequestLogEntry]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Any:
        return iter(self.entries)

    def __getitem__(self, index: int) -> RequestLogEntry:
        return self.entries[index]

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.entries]


class Sandbox:
    """An in-process Linked API emulator.

    >>> sandbox = Sandbox(seed=42, speed=1000)
    >>> client = httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url)
    """

    def __init__(
        self,
        seed: int = 42,
        speed: float = 1.0,
        *,
        epoch: datetime | str | None = None,
        sales_navigator: bool = True,
        seat: Seat = "plus",
        linked_api_token: str | None = None,
        identification_token: str | None = None,
        working_hours: WorkingHours | None = None,
        config: SandboxConfig | None = None,
        world_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.config = config or SandboxConfig(
            seed=seed,
            speed=speed,
            epoch=epoch,
            sales_navigator=sales_navigator,
            seat=seat,
            linked_api_token=linked_api_token,
            identification_token=identification_token,
            working_hours=working_hours,
        )
        self._initial_config = self.config
        self._world_factory = world_factory or _world_factory_default()
        self._lock = threading.RLock()
        self.faults = FaultQueue()
        self.requests = RequestLog()
        self.base_url = DEFAULT_BASE_URL
        self.clock = VirtualClock()  # restarted at the configured epoch/speed by _build
        self._build(self.config)
        self.app: ASGIApp = _FaultLayer(self, _build_router(self))

    def _build(self, config: SandboxConfig) -> None:
        epoch = parse_epoch(config.epoch)
        self.clock.restart(epoch, config.speed)
        self.world: Any = self._world_factory(config.seed, epoch=epoch, sales_navigator=config.sales_navigator)
        self.world.searching_allowed = config.searching_allowed
        self.world.job_search = config.job_search
        self.scheduler = Scheduler(
            self.world,
            seed=config.seed,
            epoch=epoch,
            start_delay_seconds=config.start_delay_seconds,
            working_hours=config.working_hours,
        )
        self.admin = admin.AdminState(config.seed)
        self.admin_limiter = admin.AdminRateLimiter(config.admin_rate_limit, config.admin_rate_window_seconds)

    # -- Python control API (the /_sandbox routes call these) -------------------------------------
    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def reset(self, seed: int | None = None) -> None:
        """Back to how the sandbox started: a fresh world, clock, workflow list, fault list and request
        log; runtime changes (speed, working hours, account) are dropped. Optionally a new seed."""
        with self._lock:
            self.config = self._initial_config
            if seed is not None:
                self.config = replace(self.config, seed=seed)
            self._build(self.config)
            self.faults.clear()
            self.requests.clear()

    def now(self) -> datetime:
        return self.clock.now()

    def sync(self) -> datetime:
        """Advance the simulation to the current virtual time; returns that time."""
        with self._lock:
            now = self.clock.now()
            self.scheduler.sync(now)
            return now

    def advance(self, seconds: float) -> datetime:
        """Move virtual time forward and let workflows progress accordingly."""
        with self._lock:
            self.clock.advance(seconds)
            return self.sync()

    def set_speed(self, speed: float) -> None:
        with self._lock:
            self.sync()
            self.clock.set_speed(speed)

    def set_working_hours(self, hours: WorkingHours | None) -> None:
        with self._lock:
            self.sync()
            self.config = replace(self.config, working_hours=hours)
            self.scheduler.working_hours = hours
            self.sync()

    def set_account(
        self,
        *,
        sales_navigator: bool | None = None,
        seat: Seat | None = None,
        searching_allowed: bool | None = None,
        job_search: JobSearch | None = None,
    ) -> None:
        with self._lock:
            if job_search is not None and job_search not in JOB_SEARCH_VERSIONS:
                raise ValueError("jobSearch must be 'any', 'classic' or 'ai'")
            if searching_allowed is not None:
                self.config = replace(self.config, searching_allowed=searching_allowed)
                self.world.searching_allowed = searching_allowed
            if job_search is not None:
                self.config = replace(self.config, job_search=job_search)
                self.world.job_search = job_search
            if sales_navigator is not None:
                self.config = replace(self.config, sales_navigator=sales_navigator)
                self.world.sales_navigator = sales_navigator
            if seat is not None:
                if seat not in ("core", "plus"):
                    raise ValueError("seat must be 'core' or 'plus'")
                self.config = replace(self.config, seat=seat)

    def inject_message(self, person_url: str, text: str) -> dict[str, Any]:
        with self._lock:
            result: dict[str, Any] = self.world.inject_incoming_message(person_url, text, self.sync())
            return result

    def inject_invitation(self, person_url: str, note: str | None = None) -> dict[str, Any]:
        with self._lock:
            result: dict[str, Any] = self.world.inject_invitation(person_url, self.sync(), note)
            return result

    def samples(self) -> dict[str, Any]:
        with self._lock:
            samples: dict[str, Any] = self.world.samples()
            return samples

    def workflows(self) -> list[dict[str, Any]]:
        with self._lock:
            self.sync()
            return [record.describe() for record in self.scheduler.all()]

    def sign_out(self) -> None:
        """Fail every unfinished workflow with ``linkedinAccountSignedOut``."""
        with self._lock:
            self.scheduler.sign_out(self.clock.now())

    def transport(self) -> SandboxTransport:
        """An ``httpx.AsyncBaseTransport`` into this app that behaves like a real socket."""
        from .transport import SandboxTransport

        return SandboxTransport(self)

    def identification_token_for_admin(self) -> str:
        # Only a pinned token is a real credential; otherwise any token works, so show a stand-in.
        if self.admin.regenerated_token:
            return self.admin.regenerated_token
        return self.config.identification_token or "sandbox-identification-token"

    # -- auth ---------------------------------------------------------------------------------------
    def check_tokens(self, request: Request, *, admin_api: bool) -> None:
        _check_token(request, "linked-api-token", "LinkedApiToken", self.config.linked_api_token)
        if not admin_api:
            expected = self.admin.regenerated_token or self.config.identification_token
            _check_token(request, "identification-token", "IdentificationToken", expected)


def _check_token(request: Request, header: str, suffix: str, expected: str | None) -> None:
    value = request.headers.get(header)
    name = suffix[0].lower() + suffix[1:]
    # An empty (or blank) header is a missing token, as the official SDK expects: it sends the
    # header empty when no token is configured and maps that to ``*TokenRequired``.
    if value is None or not value.strip():
        raise SandboxRequestError(f"{name}Required", TOKEN_MESSAGES[f"{name}Required"], 401)
    if expected is not None and value != expected:
        raise SandboxRequestError(f"invalid{suffix}", TOKEN_MESSAGES[f"invalid{suffix}"], 401)


# ---------------------------------------------------------------------------------------------------
# Fault layer


class _FaultLayer:
    def __init__(self, sandbox: Sandbox, inner: ASGIApp) -> None:
        self.sandbox = sandbox
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(INTROSPECTION_PREFIX):
            await self.inner(scope, receive, send)
            return
        sandbox = self.sandbox
        entry = RequestLogEntry(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            status=None,
            virtual_time=sandbox.clock.now(),
            real_time=time.time(),
        )
        rule = sandbox.faults.take(scope["method"], scope["path"])
        entry.fault = rule.kind if rule else None
        try:
            if rule is None:
                await self.inner(scope, receive, _recording(send, entry, sandbox.requests))
            else:
                await self._fault(rule, scope, receive, send, entry)
        except BaseException:
            # Cancelled mid-answer (e.g. the client's read timeout on a slow fault): nothing was sent.
            if entry.outcome == "answered":
                entry.outcome = "interrupted"
                entry.status = None
            raise
        finally:
            sandbox.requests.record(entry)

    async def _fault(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send, entry: RequestLogEntry) -> None:
        sandbox = self.sandbox
        rec = _recording(send, entry, sandbox.requests)
        kind = rule.kind
        if kind == "rateLimit":
            retry_after = max(int(rule.seconds if rule.seconds is not None else 1), 0)
            response = envelope_error(
                "tooManyRequests",
                "Too many requests. Please retry later.",
                rule.status or 429,
                {"Retry-After": str(retry_after)},
            )
            await response(scope, receive, rec)
        elif kind == "serverError":
            status = rule.status or 503
            html = f"<html><body>{status} Service Unavailable</body></html>"
            await Response(html, status, media_type="text/html")(scope, receive, rec)
        elif kind == "serverErrorEnveloped":
            # [INFERRED] no source names the type of a server-side error; "internalServerError".
            await envelope_error("internalServerError", "Internal server error.", rule.status or 500)(
                scope, receive, rec
            )
        elif kind == "invalidToken":
            await envelope_error("invalidLinkedApiToken", TOKEN_MESSAGES["invalidLinkedApiToken"], 401)(
                scope, receive, rec
            )
        elif kind == "malformedJson":
            broken = b'{"success": true, "result": {"workflowStatus": "comp'
            await Response(broken, rule.status or 200, media_type="application/json")(scope, receive, rec)
        elif kind == "signedOut":
            if scope["method"] == "POST" and scope["path"].rstrip("/") == "/workflows":
                # [INFERRED] 403 for linkedinAccountSignedOut (status undocumented).
                await envelope_error("linkedinAccountSignedOut", SIGNED_OUT_MESSAGE, 403)(scope, receive, rec)
            else:
                sandbox.sign_out()
                await self.inner(scope, receive, rec)
        elif kind == "slow":
            held = await _collect(self.inner, scope, receive, entry)
            await anyio.sleep(rule.seconds if rule.seconds is not None else 1.0)
            sandbox.requests.record(entry)
            for message in held:
                await send(message)
        elif kind == "dropAfterAccept":
            await _collect(self.inner, scope, receive, entry)
            entry.status = None
            entry.outcome = "dropped"
            sandbox.requests.record(entry)
            await _drop(send)


def _recording(send: Send, entry: RequestLogEntry, log: RequestLog) -> Send:
    async def recording_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = int(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            log.record(entry)
        await send(message)

    return recording_send


async def _collect(app: ASGIApp, scope: Scope, receive: Receive, entry: RequestLogEntry) -> list[Message]:
    held: list[Message] = []

    async def hold(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = int(message["status"])
        held.append(message)

    await app(scope, receive, hold)
    return held


async def _drop(send: Send) -> None:
    """Close the connection without a byte of response.

    Under uvicorn the raw ``send`` is a bound method of its per-request cycle, which holds the
    asyncio transport: aborting it is exactly a server that vanished after doing the work.
    In-process (httpx ASGI transport) there is no socket; :class:`ConnectionDropped` propagates
    to :class:`~.transport.SandboxTransport`, which turns it into ``httpx.RemoteProtocolError``.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        # Let the server notice the lost connection so it does not try to answer with a 500.
        for _ in range(3):
            await anyio.lowlevel.checkpoint()
        return
    raise ConnectionDropped("connection dropped by an injected fault")


# ---------------------------------------------------------------------------------------------------
# Routes


async def _json_body(request: Request, *, default: Any = None) -> Any:
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise SandboxRequestError(
            "invalidRequestPayload", "Request payload is invalid: the body is not valid JSON.", 400
        ) from exc


def _parse_instant(value: str | None, name: str) -> datetime:
    if not value:
        raise SandboxRequestError("invalidRequestPayload", f"Request payload is invalid: '{name}' is required.", 400)
    try:
        return parse_epoch(value)
    except ValueError as exc:
        raise SandboxRequestError(
            "invalidRequestPayload", f"Request payload is invalid: '{name}' must be an ISO 8601 timestamp.", 400
        ) from exc


def _build_router(sandbox: Sandbox) -> Starlette:
    def api(admin_api: bool = False) -> Callable[[Callable[[Request], Any]], Callable[[Request], Any]]:
        """Wrap a handler: tokens first, then the simulation catch-up, then the envelope."""

        def decorate(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
            async def endpoint(request: Request) -> Response:
                try:
                    sandbox.check_tokens(request, admin_api=admin_api)
                    result = await handler(request)
                except SandboxRequestError as exc:
                    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
                    return envelope_error(exc.type, exc.message, exc.status, headers)
                except Exception:
                    # A sandbox bug: answer an enveloped 500 (a hard error for clients) and log it.
                    logger.exception("sandbox failed on %s %s", request.method, request.url.path)
                    return envelope_error("internalServerError", "Internal server error.", 500)
                if isinstance(result, Response):
                    return result
                return envelope_ok(result)

            return endpoint

        return decorate

    @api()
    async def start_workflow(request: Request) -> Any:
        definition = await _json_body(request)
        if definition is None:
            raise SandboxRequestError("invalidRequestPayload", "Request payload is invalid: the body is empty.", 400)
        try:
            validate_definition(definition)
        except WorkflowDefinitionError as exc:
            raise SandboxRequestError(exc.type, exc.message, 400) from exc
        with sandbox.lock:
            if sandbox.config.seat == "core" and any(a.startswith("nv.") for a in iter_actions(definition)):
                # [INFERRED] 403 for plan errors (status undocumented).
                raise SandboxRequestError("plusPlanRequired", PLUS_PLAN_MESSAGE, 403)
            now = sandbox.sync()
            hours = sandbox.scheduler.working_hours
            if hours is not None and hours.policy == "reject" and not hours.is_open(now):
                # [INFERRED] 409 for outsideWorkingHours on start (status undocumented).
                raise SandboxRequestError("outsideWorkingHours", OUTSIDE_HOURS_MESSAGE, 409)
            record = sandbox.scheduler.submit(definition, now)
            # The ack always says pending: the start itself never waits for the browser.
            return {
                "workflowId": record.id,
                "workflowStatus": "pending",
                "pendingReason": record.pending_reason,
                "message": record.message,
            }

    def _unknown_workflow(workflow_id: str) -> SandboxRequestError:
        # [INFERRED] 404 + workflowNotFound for an id the sandbox never issued.
        return SandboxRequestError("workflowNotFound", f"Workflow '{workflow_id}' was not found.", 404)

    @api()
    async def get_workflow(request: Request) -> Any:
        workflow_id = request.path_params["workflow_id"]
        with sandbox.lock:
            sandbox.sync()
            record = sandbox.scheduler.get(workflow_id)
            if record is None:
                raise _unknown_workflow(workflow_id)
            return record.result()

    @api()
    async def cancel_workflow(request: Request) -> Any:
        workflow_id = request.path_params["workflow_id"]
        with sandbox.lock:
            cancelled = sandbox.scheduler.cancel(workflow_id, sandbox.clock.now())
            if cancelled is None:
                raise _unknown_workflow(workflow_id)
            return {"cancelled": cancelled}

    @api()
    async def poll_conversations(request: Request) -> Any:
        body = await _json_body(request)
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise SandboxRequestError(
                "invalidRequestPayload", "Request payload is invalid: expected an array of conversations.", 400
            )
        with sandbox.lock:
            sandbox.sync()
            return sandbox.world.poll_conversations(body)

    def _object_poll(method_name: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Any:
            body = await _json_body(request, default={})
            if not isinstance(body, dict):
                raise SandboxRequestError(
                    "invalidRequestPayload", "Request payload is invalid: expected an object.", 400
                )
            with sandbox.lock:
                sandbox.sync()
                return getattr(sandbox.world, method_name)(body)

        return handler

    @api()
    async def account(request: Request) -> Any:
        with sandbox.lock:
            sandbox.sync()
            info = sandbox.world.account_info()
            return {"name": info["name"], "url": info["url"]}

    @api()
    async def stats(request: Request) -> Any:
        start = _parse_instant(request.query_params.get("start"), "start")
        end = _parse_instant(request.query_params.get("end"), "end")
        if end < start:
            raise SandboxRequestError(
                "invalidRequestPayload", "Request payload is invalid: 'end' is before 'start'.", 400
            )
        if end - start > MAX_STATS_RANGE:
            raise SandboxRequestError(
                "invalidRequestPayload", "Request payload is invalid: the period must not exceed 30 days.", 400
            )
        with sandbox.lock:
            sandbox.sync()
            return sandbox.world.action_stats(start, end)

    @api(admin_api=True)
    async def admin_call(request: Request) -> Any:
        wait = sandbox.admin_limiter.hit()
        if wait is not None:
            limiter = sandbox.admin_limiter
            message = admin.RATE_LIMIT_MESSAGE.format(limit=limiter.limit, window=limiter.window)
            raise RateLimited(message, max(int(wait + 0.999), 1))
        body = await _json_body(request, default={})
        if not isinstance(body, dict):
            raise SandboxRequestError("invalidRequestPayload", "Request payload is invalid: expected an object.", 400)
        with sandbox.lock:
            sandbox.sync()
            result = admin.handle(sandbox, request.path_params["name"], body)
        return envelope_ok(void=True) if result is None else result

    async def not_found(request: Request) -> Response:
        # [INFERRED] unknown API paths answer a 404 envelope ``notFound``.
        return envelope_error("notFound", f"No endpoint {request.method} {request.url.path}.", 404)

    from .introspection import introspection_routes

    routes = [
        Route("/workflows", start_workflow, methods=["POST"]),
        Route("/workflows/{workflow_id}", get_workflow, methods=["GET"]),
        Route("/workflows/{workflow_id}", cancel_workflow, methods=["DELETE"]),
        Route("/conversations/poll", poll_conversations, methods=["POST"]),
        Route("/inbox/poll", api()(_object_poll("poll_inbox")), methods=["POST"]),
        Route("/network/poll", api()(_object_poll("poll_network")), methods=["POST"]),
        Route("/account", account, methods=["GET"]),
        Route("/stats/actions", stats, methods=["GET"]),
        Route("/admin/{name}", admin_call, methods=["POST"]),
        *introspection_routes(sandbox),
    ]
    app = Starlette(routes=routes)
    app.add_route("/{path:path}", not_found, methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    return app
