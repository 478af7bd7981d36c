"""A hosted server in process (ASGI, no port) and the OAuth steps a client takes, as plain HTTP.

The browser-driven flow through the SDK's own OAuth client is in ``test_oauth_browser.py``;
these helpers make principals quickly for the isolation, audience and vault tests: register a
client, open ``/authorize``, fill the connect page as a browser would (cookie + CSRF field), and
exchange the code with its PKCE verifier.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import ServerState, build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import Settings

BASE = "http://127.0.0.1:8000"
RESOURCE = BASE + "/mcp"
REDIRECT = "http://127.0.0.1:9/callback"
SECRET_KEY = "test-secret-key-" + "k" * 32


@dataclass
class Hosted:
    server: Any
    state: ServerState
    app: Any
    sandbox: Sandbox
    data_dir: Path


def hosted(tmp_path: Path, sandbox: Sandbox, **settings: Any) -> Hosted:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "auth": "oauth",
        "secret_key": SECRET_KEY,
        "sandbox_speed": 1000.0,
        "confirm": "never",
        **settings,
    }
    server, state = build(Settings(**values), http=True, sandbox=sandbox, host="127.0.0.1", port=8000)
    made = Hosted(server, state, http_app(server, host="127.0.0.1"), sandbox, tmp_path / "data")
    OPENED.append(made)
    return made


OPENED: list[Hosted] = []


def close_opened() -> None:
    """Close the stores of every server :func:`hosted` made (tests/hosted/conftest.py, after each
    test). A server process keeps them until it exits; a test's would otherwise be closed by the
    garbage collector, and a PostgreSQL pool collected in one of its own worker threads cannot
    join that thread (a warning, printed at random in a later test)."""
    while OPENED:
        state = OPENED.pop().state
        if state.hosted is not None:
            state.hosted.vault.close()
        if state._database is not None:
            state._database.close()


@asynccontextmanager
async def http(h: Hosted) -> AsyncIterator[httpx2.AsyncClient]:
    async with (
        h.server.session_manager.run(),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=h.app), base_url=BASE) as client,
    ):
        yield client


@dataclass
class Grant:
    client_id: str
    access_token: str
    refresh_token: str


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def register(client: httpx2.AsyncClient, name: str = "Test client") -> str:
    answer = await client.post(
        "/register",
        json={
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "client_name": name,
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["client_id"])


async def open_connect_page(
    client: httpx2.AsyncClient, client_id: str, challenge: str, *, resource: str = RESOURCE
) -> httpx2.Response:
    authorize = await client.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "st-1",
            "scope": "linkedapi",
            "resource": resource,
        },
    )
    assert authorize.status_code == 302, authorize.text
    return await client.get(authorize.headers["location"])


def form_fields(page: httpx2.Response) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))


async def connect(
    client: httpx2.AsyncClient,
    api_token: str,
    id_token: str = "",
    *,
    account_name: str = "",
    client_id: str | None = None,
) -> Grant:
    """The whole authorization: register (unless given), the connect page, the code exchange."""
    client_id = client_id or await register(client)
    verifier, challenge = pkce()
    page = await open_connect_page(client, client_id, challenge)
    assert page.status_code == 200, page.text
    answer = await client.post(
        "/connect",
        data={
            **form_fields(page),
            "linked_api_token": api_token,
            "identification_token": id_token,
            "account_name": account_name,
            "action": "approve",
        },
    )
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st-1"]
    token = await client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "code_verifier": verifier,
            "resource": RESOURCE,
        },
    )
    assert token.status_code == 200, token.text
    body = token.json()
    return Grant(client_id, body["access_token"], body["refresh_token"])


@asynccontextmanager
async def mcp_client(h: Hosted, bearer: str) -> AsyncIterator[Client]:
    """An MCP client over the in-process HTTP app with a bearer token (session manager must run)."""
    async with (
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=h.app), base_url=BASE, headers={"authorization": f"Bearer {bearer}"}
        ) as raw,
        Client(streamable_http_client(RESOURCE, http_client=raw)) as client,
    ):
        yield client
