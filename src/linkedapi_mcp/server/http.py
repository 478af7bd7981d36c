"""Streamable HTTP: the ASGI app with Host/Origin protection, and a runner for it.

Responses stay SSE (the SDK default): with ``json_response`` progress notifications are dropped
and a client disconnect no longer cancels the tool call (SDK notes §4).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http import EventStore
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from linkedapi_mcp.server.events import MemoryEventStore, SessionScopedEvents

_LOCAL = ("127.0.0.1", "localhost", "[::1]")
_TOKEN_PARAMS = frozenset({"linked-api-token", "identification-token", "linked_api_token", "identification_token"})
_TOKEN_HEADERS = frozenset({"linked-api-token", "identification-token"})
LOCAL_HOW = (
    "Set LINKED_API_TOKEN and IDENTIFICATION_TOKEN (or LINKEDAPI_MCP_ACCOUNTS_FILE) in the server's environment."
)
HOSTED_HOW = "Connect your LinkedIn account through this server's sign-in (OAuth) instead, then send its bearer token."


def transport_security(host: str, allowed_hosts: Sequence[str] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection always on: local names, the bound host, and any listed hosts."""
    names = [*_LOCAL, *allowed_hosts]
    if host not in ("0.0.0.0", "::", "127.0.0.1", "localhost", "::1"):
        names.append(host)
    hosts = [pattern for name in dict.fromkeys(names) for pattern in (name, f"{name}:*")]
    origins = [
        f"{scheme}://{name}{port}"
        for name in dict.fromkeys(names)
        for scheme in ("http", "https")
        for port in ("", ":*")
    ]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


_PASSTHROUGH_TEXT = (
    "This server does not take Linked API tokens from requests (MCP servers must not accept tokens "
    "issued for another service). {how}"
)


class RefuseTokenPassthrough:
    """Linked API tokens in a request — headers or URL — are refused before anything reads them.

    The MCP security best practices forbid token passthrough, and a token in a URL ends up in
    logs and browser history. The answer says how to connect an account instead; the request
    goes no further (nothing is sent upstream)."""

    def __init__(self, app: ASGIApp, *, how_to_connect: str) -> None:
        self.app = app
        self.text = _PASSTHROUGH_TEXT.format(how=how_to_connect)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._carries_tokens(scope):
            body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": self.text}}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _carries_tokens(scope: Scope) -> bool:
        names = {name.decode("latin-1").lower().replace("_", "-") for name, _ in scope.get("headers", ())}
        if names & _TOKEN_HEADERS:
            return True
        if scope.get("query_string"):
            query = parse_qs(scope["query_string"].decode("latin-1"))
            return bool(_TOKEN_PARAMS & {key.lower() for key in query})
        return False


SSE_RETRY_MS = 1000


def http_app(
    server: MCPServer[Any], *, host: str, allowed_hosts: Sequence[str] = (), event_store: EventStore | None = None
) -> ASGIApp:
    """The ASGI app: MCP at ``/mcp`` (behind OAuth when the server was built with an auth mode),
    the hosted routes (connect page, health), token passthrough refused in front of everything."""
    public_url = getattr(server, "public_url", None)
    if public_url:  # the name clients reach a hosted server by must pass the Host/Origin check
        allowed_hosts = [*allowed_hosts, urlsplit(public_url).netloc]
    starlette_app = server.streamable_http_app(
        transport_security=transport_security(host, allowed_hosts),
        event_store=event_store,
        # SEP-1699: the SSE priming event tells a client how long to wait before it reconnects to
        # resume a dropped stream ([INFERRED] 1 s: a waiting tool call's progress resumes quickly;
        # far below the sessions' 30-minute idle time-out).
        retry_interval=SSE_RETRY_MS,
    )
    # Events are kept per session (server/events.py), so a Last-Event-ID resume replays only the
    # resuming session's own stream.
    return SessionScopedEvents(
        RefuseTokenPassthrough(starlette_app, how_to_connect=HOSTED_HOW if public_url else LOCAL_HOW)
    )


async def serve_http(server: MCPServer[Any], *, host: str, port: int, allowed_hosts: Sequence[str] = ()) -> None:
    import uvicorn

    # Resumable streams (SSE event ids, Last-Event-ID) for handshake-era clients.
    app = http_app(server, host=host, allowed_hosts=allowed_hosts, event_store=MemoryEventStore())
    # No access log: request lines are not interesting, and query strings must never be logged.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    await uvicorn.Server(config).serve()


__all__ = ["RefuseTokenPassthrough", "http_app", "serve_http", "transport_security"]
