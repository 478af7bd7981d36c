"""The sandbox HTTP server: the Linked API contract over a synthetic world, plus introspection.

``Sandbox`` owns the state (world, virtual clock, workflows, faults, request log) and builds the
ASGI application. Requests pass through three layers:

1. :class:`_FaultLayer` (outermost, raw ASGI): logs every API request and applies injected
   faults — it needs the raw ASGI ``send`` to be able to drop a connection without a response.
2. the Starlette router with the API routes (``/workflows``, ``/admin/...``, ...) and the
   unauthenticated introspection routes under ``/_sandbox/``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkedapi_mcp.actions import WorkflowDefinitionError, iter_actions, validate_definition

from . import admin
from .account_api import MALFORMED_LINK_FAULT, AccountApi
from .captaindata import CaptainData
from .clock import parse_epoch
from .errors import ConnectionDropped, RateLimited, SandboxRequestError
from .faults import FaultRule
from .introspection import introspection_routes
from .scheduler import SIGNED_OUT_MESSAGE
from .state import DEFAULT_BASE_URL, TOKEN_MESSAGES, RequestLog, RequestLogEntry, SandboxState
from .transport import SandboxTransport

__all__ = ["DEFAULT_BASE_URL", "ConnectionDropped", "Sandbox", "envelope_error", "envelope_ok"]

logger = logging.getLogger(__name__)

INTROSPECTION_PREFIX = "/_sandbox"

PLUS_PLAN_MESSAGE = "Some actions in this workflow require the Plus plan."
OUTSIDE_HOURS_MESSAGE = (
    "The account is outside its working hours and its off-hours policy refuses new work. "
    "Retry once the working hours reopen, or ask the owner to change the off-hours policy."
)
MAX_STATS_RANGE = timedelta(days=30)


def envelope_error(type: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"success": False, "error": {"type": type, "message": message}}, status, headers)


def envelope_ok(result: Any = None, *, void: bool = False) -> Response:
    return JSONResponse({"success": True} if void else {"success": True, "result": result})


class Sandbox(SandboxState):
    """An in-process Linked API emulator: the state (:class:`~.state.SandboxState`) plus its HTTP
    application (``.app``, ASGI) and an httpx transport into it.

    >>> sandbox = Sandbox(seed=42, speed=1000)
    >>> client = httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The Account API generation (origin 000/002) over the same world and scheduler.
        self.account_api = AccountApi(self)
        # Captain Data's API v3 (origin 004, docs/captaindata.md) under /v3, over the same world.
        self.captaindata = CaptainData(self)
        routes = [*self.account_api.routes(), *self.captaindata.routes()]
        self.app: ASGIApp = _FaultLayer(self, _build_router(self, routes))

    def close(self) -> None:
        self.account_api.close(wait=5.0)
        super().close()

    def transport(self) -> SandboxTransport:
        """An ``httpx.AsyncBaseTransport`` into this app that behaves like a real socket."""
        return SandboxTransport(self)


# ---------------------------------------------------------------------------------------------------
# Fault layer


class _FaultLayer:
    def __init__(self, sandbox: SandboxState, inner: ASGIApp) -> None:
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
        elif kind == MALFORMED_LINK_FAULT:
            # A route-level fault: the Account API route reads it from the scope and answers it.
            await self.inner({**scope, "sandbox.fault": kind}, receive, rec)
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


def _build_router(sandbox: SandboxState, extra_routes: list[Route] | None = None) -> Starlette:
    def api(admin_api: bool = False) -> Callable[[Callable[[Request], Any]], Callable[[Request], Any]]:
        """Wrap a handler: tokens first, then the simulation catch-up, then the envelope."""

        def decorate(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
            async def endpoint(request: Request) -> Response:
                try:
                    sandbox.check_tokens(request, admin_api=admin_api)
                    result = await handler(request)
                    if sandbox.persist_to is not None:
                        # Saving pickles the world: off the event loop, which may be the MCP server's.
                        await anyio.to_thread.run_sync(sandbox.after_request)
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
            record = sandbox.submit(definition, now)
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
        *(extra_routes or []),
        *introspection_routes(sandbox),
    ]
    app = Starlette(routes=routes)
    app.add_route("/{path:path}", not_found, methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    return app
