"""Several named accounts from one desktop: an accounts file on stdio, and the operator commands."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import ConfigurationError, Settings

pytestmark = pytest.mark.anyio

ACCOUNTS = """
[accounts.agency]
linked_api_token = "lat-agency-123456"
identification_token = "idt-agency-123456"

[accounts.client-b]
linked_api_token = "env:CLIENT_B_TOKEN"
identification_token = "idt-client-b-654321"
default = true
"""


@pytest.fixture
def live() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


async def test_a_stdio_server_with_an_accounts_file_lets_the_model_choose_among_its_accounts(
    tmp_path: Path, live: ServerThread
) -> None:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(ACCOUNTS)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "linkedapi_mcp"],
        env={
            "LINKED_API_BASE_URL": live.base_url,
            "LINKEDAPI_MCP_ACCOUNTS_FILE": str(accounts),
            "CLIENT_B_TOKEN": "lat-client-b-654321",
            "LINKEDAPI_MCP_DATA_DIR": str(tmp_path / "data"),
            "LINKEDAPI_MCP_CONFIRM": "never",
        },
    )
    async with Client(params) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        default = await client.call_tool("search_people", {"term": "a", "limit": 1, "waitSeconds": 0})
        agency = await client.call_tool(
            "search_people", {"term": "b", "limit": 1, "waitSeconds": 0, "account": "agency"}
        )
        listed = {
            name: (await client.call_tool("list_workflows", {"account": name})).structured_content
            for name in ("agency", "client-b")
        }
    assert tools["search_people"].input_schema["properties"]["account"]["enum"] == ["client-b", "agency"]
    assert default.structured_content is not None
    assert default.structured_content["backend"] == "linkedapi"
    assert not agency.is_error
    assert listed["client-b"] is not None
    assert listed["agency"] is not None
    assert [w["arguments"]["term"] for w in listed["client-b"]["workflows"]] == ["a"]
    assert [w["arguments"]["term"] for w in listed["agency"]["workflows"]] == ["b"]


def test_an_accounts_file_naming_an_unset_variable_is_a_clear_startup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(ACCOUNTS)
    monkeypatch.delenv("CLIENT_B_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="names CLIENT_B_TOKEN, which is unset") as raised:
        build(Settings(data_dir=tmp_path, accounts_file=accounts))
    assert "lat-agency" not in str(raised.value)


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linkedapi_mcp", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
    )


def test_operator_commands_connect_an_account_and_issue_a_key_shown_once(tmp_path: Path, live: ServerThread) -> None:
    secret_key = run_cli("secret-key", env={}).stdout.strip()
    assert len(secret_key) >= 32
    env = {
        "LINKEDAPI_MCP_DATA_DIR": str(tmp_path),
        "LINKEDAPI_MCP_SECRET_KEY": secret_key,
        "LINKED_API_BASE_URL": live.base_url,
        "LINKED_API_TOKEN": "lat-operator-123456",
        "IDENTIFICATION_TOKEN": "idt-operator-123456",
    }
    added = run_cli("accounts", "add", "sales", env=env)
    assert added.returncode == 0, added.stderr
    assert [r.path for r in live.sandbox.requests] == ["/account"]  # the tokens were checked first
    listing = run_cli("accounts", "list", env=env)
    assert "sales (default)" in listing.stdout
    created = run_cli("keys", "create", "--account", "sales", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("lamk_")
    keys = run_cli("keys", "list", env=env).stdout
    assert "active" in keys
    for output in (added.stdout + added.stderr, listing.stdout, keys, created.stderr):
        for secret in ("lat-operator-123456", "idt-operator-123456", key):
            assert secret not in output
    for path in tmp_path.iterdir():
        content = path.read_bytes()
        assert b"lat-operator-123456" not in content
        assert key.encode() not in content
    key_id = keys.split()[0]
    assert run_cli("keys", "revoke", key_id, env=env).returncode == 0
    assert "revoked" in run_cli("keys", "list", env=env).stdout
    # Another key's absence of the secret key is a clear refusal, not a traceback.
    no_key = run_cli("accounts", "list", env={"LINKEDAPI_MCP_DATA_DIR": str(tmp_path)})
    assert no_key.returncode == 2
    assert "LINKEDAPI_MCP_SECRET_KEY is not set" in no_key.stderr
    assert "Traceback" not in no_key.stderr
