"""Streamable HTTP: the ASGI app with Host/Origin protection, and a runner for it.

Responses stay SSE (the SDK default): with ``json_response`` progress notifications are dropped
and a client disconnect no longer cancels the tool call (SDK notes §4).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http import EventStore
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

_LOCAL = ("127.0.0.1", "localhost", "[::1]")
_TOKEN_PARAMS = frozenset({"linked-api-token", "identification-token", "linked_api_token", "identification_token"})


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


class RefuseTokensInQuery:
    """Tokens in a URL end up in logs and browser history: answer 400 and point to the headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            query = parse_qs(scope["query_string"].decode("latin-1"))
            if _TOKEN_PARAMS & {key.lower() for key in query}:
                body = (
                    b"Tokens are not accepted in the URL. Send the linked-api-token and "
                    b"identification-token request headers instead."
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_app(
    server: MCPServer[Any], *, host: str, allowed_hosts: Sequence[str] = (), event_store: EventStore | None = None
) -> ASGIApp:
    starlette_app = server.streamable_http_app(
        transport_security=transport_security(host, allowed_hosts), event_store=event_store
    )
    return RefuseTokensInQuery(starlette_app)


async def serve_http(server: MCPServer[Any], *, host: str, port: int, allowed_hosts: Sequence[str] = ()) -> None:
    import uvicorn

    app = http_app(server, host=host, allowed_hosts=allowed_hosts)
    # No access log: request lines are not interesting, and query strings must never be logged.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    await uvicorn.Server(config).serve()


__all__ = ["RefuseTokensInQuery", "http_app", "serve_http", "transport_security"]
