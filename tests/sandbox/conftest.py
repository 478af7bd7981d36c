"""Sandboxes for the HTTP-layer tests: in-process (frozen clock) and standalone (uvicorn thread)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox, ServerThread

LINKED_API_TOKEN = "test-linked-api-token"
IDENTIFICATION_TOKEN = "test-identification-token"
TOKENS = {"linked-api-token": LINKED_API_TOKEN, "identification-token": IDENTIFICATION_TOKEN}
# Fast enough that minutes of simulated LinkedIn work pass in milliseconds, slow enough that a
# client still observes pending/running.
LIVE_SPEED = 20_000.0


@pytest.fixture
def sandbox() -> Sandbox:
    """Frozen clock (speed 0): time moves only through ``sandbox.advance``."""
    return Sandbox(seed=42, speed=0)


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url, headers=TOKENS) as c:
        yield c


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=LIVE_SPEED)) as running:
        yield running


@pytest.fixture
def live(server: ServerThread) -> ServerThread:
    """The module's standalone server with a fresh world, clock, fault list and request log."""
    server.sandbox.reset()
    return server


def _sdk(base_url: str) -> Any:
    from linkedapi import LinkedApi, LinkedApiConfig

    config = LinkedApiConfig(
        linked_api_token=LINKED_API_TOKEN, identification_token=IDENTIFICATION_TOKEN, base_url=base_url
    )
    return LinkedApi(config)


@pytest.fixture
def sdk(live: ServerThread) -> Any:
    """The official SDK on a fresh standalone sandbox."""
    return _sdk(live.base_url)


@pytest.fixture
def shared_sdk(server: ServerThread) -> Any:
    """The official SDK on the module's sandbox *without* a reset (building a world costs ~0.1 s):
    for tests that each touch different entities of the world."""
    return _sdk(server.base_url)


def _run(operation: Any, params: Any = None) -> Any:
    started = operation.execute(params)
    return operation.result(started.workflow_id, poll_interval=0.002, timeout=20)


@pytest.fixture
def run() -> Callable[..., Any]:
    """Start an SDK operation and wait for its mapped result (polling fast; the clock is sped up)."""
    return _run
