"""MCP server fixtures: a server built on an injected sandbox whose clock the test controls.

The server's polling schedule is scaled by ``sandbox_speed`` in the settings (the factor it
*believes* the sandbox runs at), independently of the injected sandbox's real speed: a frozen
sandbox (speed 0) with a 1000× schedule lets a test watch a server poll every few milliseconds
while nothing finishes until the test calls ``sandbox.advance``.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult, Implementation

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import ServerState, build
from linkedapi_mcp.settings import Settings

ENV_VARS = (
    "LINKED_API_TOKEN",
    "IDENTIFICATION_TOKEN",
    "LINKED_API_BASE_URL",
    "LINKEDAPI_MCP_DATA_DIR",
    "LINKEDAPI_MCP_WAIT_SECONDS",
    "LINKEDAPI_MCP_MAX_WAIT_SECONDS",
    "LINKEDAPI_MCP_DEDUPE_WINDOW_SECONDS",
    "LINKEDAPI_MCP_POLL_INTERVAL_SECONDS",
    "LINKEDAPI_MCP_SANDBOX_SPEED",
    "LINKEDAPI_MCP_SANDBOX_SEED",
    "LINKEDAPI_MCP_BUDGETS",
    "LINKEDAPI_MCP_TOOLSETS",
    "LINKEDAPI_MCP_READ_ONLY",
    "LINKEDAPI_MCP_TOOL_MODE",
    "CAPTAINDATA_API_KEY",  # the captaindata toolset (server/captaindata.py): off unless a test turns it on
    "CAPTAINDATA_PROJECT_ID",
)
POLL_SPEED = 1000.0  # the server polls as if the sandbox ran 1000× faster than LinkedIn


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    # Tests of the runner and tools call account-changing tools directly; the confirmation step
    # has its own tests (test_confirm*.py), which choose the policy explicitly.
    monkeypatch.setenv("LINKEDAPI_MCP_CONFIRM", "never")
    # --- toolsets: every operation enabled (custom workflows are off by default); the default
    # auto tool mode stays (every operation listed for these clients). Toolset, tool-mode and
    # read-only tests (test_toolsets*.py, test_tool_modes.py) choose their own.
    monkeypatch.setenv("LINKEDAPI_MCP_TOOLSETS", "all")


@pytest.fixture
def sandbox() -> Sandbox:
    """Frozen clock: workflows move only when the test calls ``sandbox.advance``."""
    return Sandbox(seed=42, speed=0)


@pytest.fixture
def database_url() -> str | None:
    """SQLite (None); a module runs on PostgreSQL too by overriding this with ``both_stores``."""
    return None


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, database_url=database_url)


@pytest.fixture
def built(settings: Settings, sandbox: Sandbox) -> tuple[Any, ServerState]:
    return build(settings, sandbox=sandbox)


@pytest.fixture
def state(built: tuple[Any, ServerState]) -> ServerState:
    return built[1]


@pytest.fixture
async def client(built: tuple[Any, ServerState]) -> AsyncIterator[Client]:
    """An in-memory MCP client on the current protocol (2026-07-28)."""
    async with Client(built[0], client_info=Implementation(name="pytest", version="1")) as c:
        yield c


@pytest.fixture(params=["auto", "legacy"])
async def any_era_client(request: pytest.FixtureRequest, built: tuple[Any, ServerState]) -> AsyncIterator[Client]:
    """The same, once per protocol era: 2026-07-28 (auto) and the 2025-11-25 handshake (legacy)."""
    async with Client(built[0], mode=request.param, client_info=Implementation(name="pytest", version="1")) as c:
        yield c


class Upstream:
    """What reached the sandbox, from its request log."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def posts(self) -> int:
        return sum(1 for r in self.sandbox.requests if r.method == "POST" and r.path == "/workflows")

    @property
    def gets(self) -> int:
        return sum(1 for r in self.sandbox.requests if r.method == "GET" and r.path.startswith("/workflows/"))

    async def until(self, condition: Callable[[], bool], limit: float = 5.0) -> None:
        """Wait (briefly, polling the request log) until ``condition()`` holds."""
        with anyio.fail_after(limit):
            for _ in itertools.count():
                if condition():
                    return
                await anyio.sleep(0.002)

    @property
    def total(self) -> int:
        return sum(1 for r in self.sandbox.requests if not r.path.startswith("/_sandbox"))


@pytest.fixture
def upstream(sandbox: Sandbox) -> Upstream:
    return Upstream(sandbox)


def _text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture
def text_of() -> Callable[[CallToolResult], str]:
    return _text_of


class ProgressLog:
    """A progress callback that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.values: list[float] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.values.append(progress)
        self.messages.append(message or "")


@pytest.fixture
def progress() -> ProgressLog:
    return ProgressLog()
