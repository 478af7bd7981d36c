"""Hosted HTTP as a client and an operator meet it: bearer tokens, audience, accounts, the vault."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from linkedapi_mcp.hosted.setup import VAULT_FILE
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import ConfigurationError, Settings

from .kit import (
    BASE,
    RESOURCE,
    SECRET_KEY,
    connect,
    form_fields,
    hosted,
    http,
    mcp_client,
    open_connect_page,
    pkce,
    register,
)

pytestmark = pytest.mark.anyio

API_TOKEN = "lat-alice-0123456789"
ID_TOKEN = "idt-alice-0123456789"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=42, speed=0)


async def test_without_a_bearer_token_mcp_answers_401_pointing_at_the_resource_metadata(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    h = hosted(tmp_path, sandbox)
    async with http(h) as client:
        body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        answer = await client.post("/mcp", json=body, headers={"accept": "application/json, text/event-stream"})
        pointer = answer.headers["www-authenticate"]
        metadata = (await client.get("/.well-known/oauth-protected-resource/mcp")).json()
        server_metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert answer.status_code == 401
    assert pointer.startswith("Bearer ")
    assert f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/mcp"' in pointer
    assert metadata["resource"] == RESOURCE
    assert metadata["authorization_servers"] == [BASE + "/"] or metadata["authorization_servers"] == [BASE]
    assert server_metadata["registration_endpoint"] == BASE + "/register"
    assert "S256" in server_metadata["code_challenge_methods_supported"]
    assert not sandbox.requests


async def test_a_connected_principal_calls_tools_on_its_own_account_with_a_bearer_token(tmp_path: Path) -> None:
    # The sandbox accepts exactly the connected account's tokens: the call goes upstream with the
    # vault's tokens, and nothing the MCP client sent (it has none) could stand in for them.
    sandbox = Sandbox(seed=42, speed=0, linked_api_token=API_TOKEN, identification_token=ID_TOKEN)
    h = hosted(tmp_path, sandbox)
    async with http(h) as client:
        grant = await connect(client, API_TOKEN, ID_TOKEN)
        async with mcp_client(h, grant.access_token) as mcp:
            tools = (await mcp.list_tools()).tools
            result = await mcp.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0})
    assert result.structured_content is not None, result.content
    assert result.structured_content["backend"] == "sandbox"
    # One account: no account argument to choose with.
    assert all("account" not in (t.input_schema.get("properties") or {}) for t in tools)
    assert result.structured_content["status"] in ("pending", "running"), result.structured_content
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path == "/workflows"]
    assert [p.status for p in posts] == [200]


async def test_expired_tokens_and_tokens_for_another_resource_are_refused(tmp_path: Path, sandbox: Sandbox) -> None:
    h = hosted(tmp_path, sandbox)
    vault = h.state.hosted.vault if h.state.hosted else None
    assert vault is not None
    async with http(h) as client:
        grant = await connect(client, API_TOKEN, ID_TOKEN)
        principal = vault.principals()[0][0]
        common = {"family": "f-test", "client_id": grant.client_id, "principal": principal, "scopes": ["linkedapi"]}
        vault.save_token("expired-token", kind="access", resource=RESOURCE, expires_at=1.0, **common)  # 1970
        vault.save_token(
            "other-audience", kind="access", resource="https://other.example/mcp", expires_at=4e9, **common
        )
        body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        accept = {"accept": "application/json, text/event-stream"}
        answers = {
            bearer: (await client.post("/mcp", json=body, headers={**accept, "authorization": f"Bearer {bearer}"}))
            for bearer in ("expired-token", "other-audience", "made-up", grant.access_token)
        }
        # A client asking for a token for another resource is refused at /authorize (RFC 8707).
        _, challenge = pkce()
        other = await client.get(
            "/authorize",
            params={
                "response_type": "code",
                "client_id": grant.client_id,
                "redirect_uri": "http://127.0.0.1:9/callback",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": "s",
                "resource": "https://other.example/mcp",
            },
        )
    assert answers["expired-token"].status_code == 401
    assert answers["other-audience"].status_code == 401
    assert answers["made-up"].status_code == 401
    assert answers[grant.access_token].status_code != 401  # past authentication (a bare ping is no MCP session)
    assert other.status_code == 302
    assert "error=invalid_target" in other.headers["location"]


async def test_refresh_rotates_the_pair_and_revocation_ends_both(
    tmp_path: Path, sandbox: Sandbox, both_stores: str | None
) -> None:
    h = hosted(tmp_path, sandbox, database_url=both_stores)
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    accept = {"accept": "application/json, text/event-stream"}
    async with http(h) as client:
        grant = await connect(client, API_TOKEN, ID_TOKEN)

        async def status(bearer: str) -> int:
            answer = await client.post("/mcp", json=body, headers={**accept, "authorization": f"Bearer {bearer}"})
            return answer.status_code

        refreshed = await client.post(
            "/token",
            data={"grant_type": "refresh_token", "refresh_token": grant.refresh_token, "client_id": grant.client_id},
        )
        new = refreshed.json()
        replay = await client.post(
            "/token",
            data={"grant_type": "refresh_token", "refresh_token": grant.refresh_token, "client_id": grant.client_id},
        )
        before_revoke = (await status(grant.access_token), await status(new["access_token"]))
        # (The SDK 2.3 revocation handler requires the client_secret field, empty for a public client.)
        revoked = await client.post(
            "/revoke", data={"token": new["refresh_token"], "client_id": grant.client_id, "client_secret": ""}
        )
        after_revoke = await status(new["access_token"])
    assert refreshed.status_code == 200
    assert replay.status_code == 400  # a used refresh token is dead
    assert before_revoke[0] == 401  # the old access token died with the rotation
    assert before_revoke[1] != 401
    assert revoked.status_code == 200
    assert after_revoke == 401  # revoking the refresh token ended its access token too


async def test_the_vault_and_the_logs_hold_no_token_in_clear_text(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = hosted(tmp_path, sandbox, log_level="DEBUG")
    async with http(h) as client:
        grant = await connect(client, API_TOKEN, ID_TOKEN)
        async with mcp_client(h, grant.access_token) as mcp:
            await mcp.call_tool("search_people", {"term": "engineer", "limit": 1, "waitSeconds": 0})
        _, key = h.state.hosted.vault.create_api_key(h.state.hosted.vault.principals()[0][0], None)  # type: ignore[union-attr]
        h.state.hosted.vault.close()  # type: ignore[union-attr]
    secrets = (API_TOKEN, ID_TOKEN, grant.access_token, grant.refresh_token, key, SECRET_KEY)
    for path in h.data_dir.iterdir():
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret[:6]}… in {path.name}"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in logged
    # The vault is a real SQLite file and the tokens are in it, encrypted.
    rows = sqlite3.connect(h.data_dir / VAULT_FILE).execute("SELECT secret FROM accounts").fetchall()
    assert len(rows) == 1
    assert rows[0][0].startswith("gAAAA")  # a Fernet token


async def test_an_api_key_acts_on_its_account_until_revoked(
    tmp_path: Path, sandbox: Sandbox, both_stores: str | None
) -> None:
    h = hosted(tmp_path, sandbox, database_url=both_stores)
    assert h.state.hosted is not None
    vault = h.state.hosted.vault
    async with http(h) as client:
        await connect(client, API_TOKEN, ID_TOKEN, account_name="main")
        record, key = vault.create_api_key(vault.principals()[0][0], "main")
        async with mcp_client(h, key) as mcp:
            ok = await mcp.call_tool("list_workflows", {})
        vault.revoke_api_key(record.id)
        answer = await client.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"accept": "application/json, text/event-stream", "authorization": f"Bearer {key}"},
        )
    assert not ok.is_error
    assert answer.status_code == 401


async def test_a_principal_with_two_accounts_chooses_one_from_an_enum_of_its_own_names(
    tmp_path: Path, sandbox: Sandbox, both_stores: str | None
) -> None:
    h = hosted(tmp_path, sandbox, database_url=both_stores)
    async with http(h) as client:
        await connect(client, API_TOKEN, ID_TOKEN, account_name="sales")
        grant = await connect(client, API_TOKEN, "idt-alice-second", account_name="recruiting")
        async with mcp_client(h, grant.access_token) as mcp:
            tools = {t.name: t for t in (await mcp.list_tools()).tools}
            default = await mcp.call_tool("search_people", {"term": "a", "limit": 1, "waitSeconds": 0})
            chosen = await mcp.call_tool(
                "search_people", {"term": "b", "limit": 1, "waitSeconds": 0, "account": "recruiting"}
            )
            invented = await mcp.call_tool("search_people", {"term": "c", "limit": 1, "account": "ceo"})
            listed = {
                name: (await mcp.call_tool("list_workflows", {"account": name})).structured_content
                for name in ("sales", "recruiting")
            }
    schema = tools["search_people"].input_schema["properties"]["account"]
    assert schema["enum"] == ["sales", "recruiting"]  # the default first
    assert not default.is_error
    assert not chosen.is_error
    assert invented.is_error
    assert "must be one of: sales, recruiting" in str(invented.content)
    # Each account keeps its own workflows: the default took the first search, the chosen one the second.
    assert listed["sales"] is not None
    assert listed["recruiting"] is not None
    assert [w["arguments"]["term"] for w in listed["sales"]["workflows"]] == ["a"]
    assert [w["arguments"]["term"] for w in listed["recruiting"]["workflows"]] == ["b"]


async def test_the_connect_page_refuses_tokens_linked_api_rejects_and_issues_no_code(tmp_path: Path) -> None:
    pinned = Sandbox(seed=42, speed=0, linked_api_token="right", identification_token="right-id")
    h = hosted(tmp_path, pinned)
    async with http(h) as client:
        client_id = await register(client)
        _, challenge = pkce()
        page = await open_connect_page(client, client_id, challenge)
        answer = await client.post(
            "/connect",
            data={
                **form_fields(page),
                "linked_api_token": "wrong",
                "identification_token": "right-id",
                "action": "approve",
            },
        )
        forged = await client.post(
            "/connect",
            data={**form_fields(page), "csrf": "0" * 64, "linked_api_token": "right", "action": "approve"},
        )
    assert answer.status_code == 400
    assert "Linked API did not accept these tokens" in answer.text
    assert "invalidLinkedApiToken" in answer.text
    assert "location" not in answer.headers
    assert forged.status_code == 403
    assert h.state.hosted is not None
    assert h.state.hosted.vault.principals() == []


def test_binding_beyond_loopback_without_authentication_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match=r"Refusing to serve on 0\.0\.0\.0 without authentication"):
        build(settings, http=True, host="0.0.0.0")
    with pytest.raises(ConfigurationError, match="LINKEDAPI_MCP_SECRET_KEY is not set"):
        build(
            Settings(data_dir=tmp_path, auth="oauth", public_url="https://mcp.example.com"), http=True, host="0.0.0.0"
        )
    # The command a new user would type: one line on stderr, exit 2, nothing served.
    done = subprocess.run(
        [sys.executable, "-m", "linkedapi_mcp", "serve", "--transport", "http", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LINKEDAPI_MCP_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "Refusing to serve on 0.0.0.0 without authentication" in done.stderr
