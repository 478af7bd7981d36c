"""A hosted MCP server with the built-in OAuth authorization server, on a real loopback port.

Use it through the ``oauth_live`` fixture (``tests/hosted/conftest.py``); import the names for
type hints with ``from .oauth_live import OAuthLive``.

The product's own HTTP app (``build(..., http=True)`` with ``auth="oauth"``, then ``http_app``)
runs under uvicorn in a thread, on a socket bound before the server is built, so its public URL
(``http://127.0.0.1:<port>``) is known to the settings. Linked API is an in-process sandbox that
accepts only one pinned token pair; every request it receives is recorded with the token headers
it carried (:class:`UpstreamHeaders`), so a test can show which tokens went upstream.

Also here: where Chromium is (``CHROMIUM_PATH``, default ``/usr/bin/chromium``) and how it is
launched on these machines, and a client registration plus ``/authorize`` done with plain HTTP,
for tests of the connect page that do not need the SDK's client.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.sandbox.server import base_url_of, bind
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import Settings

SAFETY = 30.0  # seconds: a safety net against hangs, never an ordering device

# The only pair the sandbox accepts. Long and distinctive, so a sweep that finds none of them
# means something.
LINKED_API_TOKEN = "lat-e2e-3f9c1a7d5b2e40c8a6f1"
IDENTIFICATION_TOKEN = "idt-e2e-8b4d2f6a0c1e47d9b3a5"
SECRET_KEY = "e2e-secret-key-" + "k" * 32

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Headless on a machine with no network but loopback: no sandbox (root), no GPU, nothing that
# phones home (its connections are refused here, many at a time). Playwright adds --headless and a
# fresh temporary --user-data-dir of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ENV_VARS = (
    "LINKED_API_TOKEN",
    "IDENTIFICATION_TOKEN",
    "LINKED_API_BASE_URL",
    "LINKEDAPI_MCP_DATA_DIR",
    "LINKEDAPI_MCP_ACCOUNTS_FILE",
    "LINKEDAPI_MCP_AUTH",
    "LINKEDAPI_MCP_PUBLIC_URL",
    "LINKEDAPI_MCP_SECRET_KEY",
    "LINKEDAPI_MCP_WAIT_SECONDS",
    "LINKEDAPI_MCP_MAX_WAIT_SECONDS",
    "LINKEDAPI_MCP_SANDBOX_SPEED",
    "LINKEDAPI_MCP_TOOLSETS",
    "LINKEDAPI_MCP_READ_ONLY",
    "LINKEDAPI_MCP_TOOL_MODE",
    "LINKEDAPI_MCP_BUDGETS",
    "LINKEDAPI_MCP_CONFIRM",
    "HOST",
    "PORT",
)


def chromium_path() -> str:
    """Chromium's executable. Missing: the test fails in CI (``CI`` set), and is skipped elsewhere
    with the reason."""
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    reason = (
        f"Chromium is not installed at {path}: `apt-get install chromium` (Debian's package), "
        "or set CHROMIUM_PATH to a Chromium executable."
    )
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


class UpstreamHeaders:
    """ASGI layer in front of the sandbox app: the token headers of every request it receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._seen: list[tuple[str, str, str, str]] = []  # method, path, linked-api-token, identification-token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
            entry = (
                scope["method"],
                scope["path"],
                headers.get("linked-api-token", ""),
                headers.get("identification-token", ""),
            )
            with self._lock:
                self._seen.append(entry)
        await self.app(scope, receive, send)

    @property
    def seen(self) -> list[tuple[str, str, str, str]]:
        with self._lock:
            return list(self._seen)


@dataclass
class OAuthLive:
    base_url: str  # the public URL: issuer and resource origin
    sandbox: Sandbox
    upstream: UpstreamHeaders
    data_dir: Path
    linked_api_token: str = LINKED_API_TOKEN
    identification_token: str = IDENTIFICATION_TOKEN

    @property
    def mcp_url(self) -> str:
        return self.base_url + "/mcp"

    @property
    def vault_path(self) -> Path:
        return self.data_dir / "vault.sqlite3"

    def data_bytes(self) -> dict[str, bytes]:
        """Every file the server wrote (vault and ledger, with their WAL and shared-memory files)."""
        return {p.name: p.read_bytes() for p in sorted(self.data_dir.iterdir()) if p.is_file()}

    def vault_count(self, table: str) -> int:
        """Rows in one vault table (read-only, beside the running server)."""
        assert table.isidentifier()
        with closing(sqlite3.connect(f"file:{self.vault_path}?mode=ro", uri=True)) as db:
            row = db.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0])


@contextmanager
def serve_oauth(tmp_path: Path) -> Iterator[OAuthLive]:
    """The hosted server (``auth="oauth"``) on an ephemeral loopback port, until the block ends."""
    sandbox = Sandbox(seed=42, speed=1000, linked_api_token=LINKED_API_TOKEN, identification_token=IDENTIFICATION_TOKEN)
    upstream = UpstreamHeaders(sandbox.app)
    sandbox.app = upstream  # transports into the sandbox are made per client, after this
    sock = bind("127.0.0.1", 0)
    base_url = base_url_of(sock)
    port = sock.getsockname()[1]
    data_dir = tmp_path / "data"
    settings = Settings(
        data_dir=data_dir,
        sandbox_speed=1000,
        auth="oauth",
        public_url=base_url,
        secret_key=SECRET_KEY,
        log_level="DEBUG",
    )
    server, _ = build(settings, http=True, sandbox=sandbox, host="127.0.0.1", port=port)
    app = http_app(server, host="127.0.0.1")
    running = uvicorn.Server(uvicorn.Config(app, http="h11", lifespan="on", log_level="warning", access_log=False))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, name="oauth-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + SAFETY
    while not running.started:  # startup only: uvicorn has no readiness callback
        assert thread.is_alive(), "the MCP server did not start"
        assert time.monotonic() < deadline, "the MCP server did not start in time"
        time.sleep(0.005)
    try:
        yield OAuthLive(base_url, sandbox, upstream, data_dir)
    finally:
        running.should_exit = True
        thread.join(timeout=SAFETY)
        sock.close()


@dataclass
class PendingAuthorization:
    """A client registered and its ``/authorize`` answered: the connect page to open."""

    client_id: str
    client_secret: str | None
    redirect_uri: str
    state: str
    code_verifier: str
    connect_url: str


def unused_redirect_uri() -> str:
    """A loopback callback address on a port nothing listens on (the browser's request to it is
    observed, never answered)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/callback"


async def start_authorization(live: OAuthLive, *, client_name: str = "Page test client") -> PendingAuthorization:
    """Dynamic registration and ``/authorize`` with PKCE, as a client does, over plain HTTP."""
    redirect_uri = unused_redirect_uri()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state = secrets.token_urlsafe(16)
    async with httpx2.AsyncClient(base_url=live.base_url, timeout=SAFETY) as http:
        registered = await http.post(
            "/register",
            json={
                "redirect_uris": [redirect_uri],
                "client_name": client_name,
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            },
        )
        assert registered.status_code == 201, registered.text
        client = registered.json()
        query = {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": live.mcp_url,
            "scope": "linkedapi",
        }
        authorized = await http.get("/authorize?" + urlencode(query))
    assert authorized.status_code == 302, authorized.text
    connect_url = authorized.headers["location"]
    assert connect_url.startswith(live.base_url + "/connect?request="), connect_url
    return PendingAuthorization(
        client["client_id"], client.get("client_secret"), redirect_uri, state, verifier, connect_url
    )


class _Page(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def other_site(html: str) -> Iterator[str]:
    """Serves one page from another site (``http://localhost:<port>/``: another host than the
    server's 127.0.0.1, so another site to the browser; still loopback, so no private-network
    rule of the browser's gets in the way). Yields its URL."""
    handler = type("OtherSitePage", (_Page,), {"body": html.encode()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="other-site", daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=SAFETY)


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


__all__ = [
    "CHROMIUM_ARGS",
    "ENV_VARS",
    "IDENTIFICATION_TOKEN",
    "LINKED_API_TOKEN",
    "SAFETY",
    "OAuthLive",
    "PendingAuthorization",
    "chromium_path",
    "other_site",
    "query_of",
    "serve_oauth",
    "start_authorization",
    "unused_redirect_uri",
]
