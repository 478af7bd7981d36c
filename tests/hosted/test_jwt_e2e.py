"""``--auth jwt`` end to end: the real HTTP app, the SDK's client, tokens from a test identity provider.

The server is built from settings as ``linkedapi-mcp serve --transport http --auth jwt`` builds it;
the operator has linked the provider's subject ``alice`` to a LinkedIn account in the vault (as
``linkedapi-mcp accounts add … --principal alice`` does); that account's Linked API is a sandbox
over real HTTP, so the test sees which account a call reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from linkedapi_mcp.hosted.crypto import new_secret_key
from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import Settings

from .idp import IdentityProvider

pytestmark = pytest.mark.anyio

BASE = "http://127.0.0.1:8000"
RESOURCE = BASE + "/mcp"  # the public resource URL on loopback: the tokens' audience
PAST = 1_000_000_000
JSON_RPC_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    idp = IdentityProvider(audience=RESOURCE)
    try:
        yield idp
    finally:
        idp.close()


@pytest.fixture
def upstream() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


@pytest.fixture
def server(tmp_path: Path, provider: IdentityProvider, upstream: ServerThread) -> Any:
    settings = Settings(
        data_dir=tmp_path / "data",
        base_url=upstream.base_url,
        auth="jwt",
        secret_key=new_secret_key(),
        jwt_issuer=provider.issuer,
        jwt_jwks_url=provider.jwks_url,
    )
    server, state = build(settings, http=True, host="127.0.0.1", port=8000)
    assert state.hosted is not None
    vault = state.hosted.vault
    alice = vault.principal(provider.issuer, "alice")
    assert alice is not None
    vault.put_account(
        alice,
        "main",
        linked_api_token="alice-linked-api-token",
        identification_token="alice-identification-token",
        account_key=vault.account_key_for(alice, "alice-identification-token"),
    )
    return server


@asynccontextmanager
async def raw_http(server: Any) -> AsyncIterator[httpx2.AsyncClient]:
    app = http_app(server, host="127.0.0.1")
    async with (
        server.session_manager.run(),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        yield http


@asynccontextmanager
async def mcp_client(server: Any, token: str) -> AsyncIterator[Client]:
    app = http_app(server, host="127.0.0.1")
    async with (
        server.session_manager.run(),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=BASE, headers={"authorization": f"Bearer {token}"}
        ) as http,
        Client(streamable_http_client(RESOURCE, http_client=http)) as client,
    ):
        yield client


async def test_metadata_names_the_identity_provider_and_no_token_gets_401(
    server: Any, provider: IdentityProvider
) -> None:
    async with raw_http(server) as http:
        metadata = await http.get("/.well-known/oauth-protected-resource/mcp")
        anonymous = await http.post("/mcp", json=PING, headers=JSON_RPC_HEADERS)
    assert metadata.status_code == 200
    assert metadata.json()["resource"] == RESOURCE
    assert [url.rstrip("/") for url in metadata.json()["authorization_servers"]] == [provider.issuer]
    assert anonymous.status_code == 401
    assert 'resource_metadata="' in anonymous.headers["www-authenticate"]


async def test_a_provider_token_drives_the_linked_account(
    server: Any, provider: IdentityProvider, upstream: ServerThread
) -> None:
    async with mcp_client(server, provider.mint(sub="alice")) as client:
        started = await client.call_tool("search_people", {"term": "nurse", "limit": 1, "waitSeconds": 0.05})
    assert started.structured_content is not None, started.content
    assert started.structured_content["backend"] == "linkedapi"
    assert any(entry.method == "POST" for entry in upstream.sandbox.requests.entries)


async def test_a_subject_without_a_linked_account_is_told_to_ask_the_operator(
    server: Any, provider: IdentityProvider, upstream: ServerThread
) -> None:
    async with mcp_client(server, provider.mint(sub="bob")) as client:
        refused = await client.call_tool("search_people", {"term": "nurse", "limit": 1, "waitSeconds": 0.05})
    assert refused.is_error
    text = " ".join(getattr(block, "text", "") for block in refused.content)
    assert "No LinkedIn account is connected" in text
    assert "accounts add" in text
    assert not upstream.sandbox.requests.entries


@pytest.mark.parametrize(
    "bad",
    ["wrong audience", "expired", "wrong issuer", "unknown key", "hmac with the public key"],
)
async def test_tokens_the_server_must_not_trust_get_401(
    server: Any, provider: IdentityProvider, upstream: ServerThread, bad: str
) -> None:
    token = {
        "wrong audience": lambda: provider.mint(sub="alice", aud="https://other.example/mcp"),
        "expired": lambda: provider.mint(sub="alice", exp=PAST),
        "wrong issuer": lambda: provider.mint(sub="alice", iss="https://evil.example"),
        "unknown key": lambda: provider.mint(sub="alice", key=provider.stranger_key()),
        "hmac with the public key": lambda: provider.forge(
            {"alg": "HS256", "typ": "JWT", "kid": provider.rsa.kid},
            provider.claims(sub="alice"),
            hmac_key=provider.rsa.public_pem(),
        ),
    }[bad]()
    async with raw_http(server) as http:
        answer = await http.post("/mcp", json=PING, headers={**JSON_RPC_HEADERS, "authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert "invalid_token" in answer.headers["www-authenticate"]
    assert token not in answer.text
    assert not upstream.sandbox.requests.entries
