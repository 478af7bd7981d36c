"""/healthz and readiness: mounted in a small Starlette app, called over ASGI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from linkedapi_mcp.server.health import ReadinessCheck, health_routes, healthz, readiness

pytestmark = pytest.mark.anyio

SECRET = "sk-live-0123456789abcdefghij"
SECRET_PATH = "/srv/linkedapi/secret.key"


@asynccontextmanager
async def app_with(check: ReadinessCheck, *, check_timeout: float = 2.0) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=health_routes(check, timeout=check_timeout))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


async def ready() -> None:
    return None


async def test_healthz_is_ok_without_auth_and_says_nothing_else() -> None:
    calls = 0

    async def counted() -> None:
        nonlocal calls
        calls += 1

    async with app_with(counted) as http:
        response = await http.get("/healthz")
        head = await http.head("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert head.status_code == 200
    assert calls == 0  # liveness never runs the readiness check (no I/O)


async def test_healthz_is_a_plain_starlette_handler() -> None:
    app = Starlette(routes=[Route("/healthz", healthz)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}


async def test_ready_when_the_check_passes() -> None:
    async with app_with(ready) as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_not_ready_with_the_checks_short_reason() -> None:
    async def ledger_down() -> str:
        return "ledger unavailable"

    async with app_with(ledger_down) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "reason": "ledger unavailable"}


@pytest.mark.parametrize(
    "reason", [f"cannot read {SECRET_PATH}", f"token={SECRET}", "x" * 200, "line\nbreak", "see https://example.com"]
)
async def test_a_reason_that_could_carry_a_path_or_secret_is_replaced(reason: str) -> None:
    async def leaky() -> str:
        return reason

    async with app_with(leaky) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "reason": "not ready"}


async def test_an_exception_in_the_check_is_503_and_its_message_goes_nowhere(caplog: pytest.LogCaptureFixture) -> None:
    async def explodes() -> None:
        raise OSError(f"permission denied: {SECRET_PATH} ({SECRET})")

    with caplog.at_level(logging.DEBUG):
        async with app_with(explodes) as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "reason": "check failed"}
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "OSError" in logged
    assert SECRET not in logged
    assert SECRET_PATH not in logged


async def test_a_stuck_check_answers_503_within_the_timeout() -> None:
    never = anyio.Event()

    async def stuck() -> None:
        await never.wait()

    async with app_with(stuck, check_timeout=0.05) as http:
        with anyio.fail_after(10):  # safety net: the handler's own time-out must answer first
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "reason": "check timed out"}


async def test_readiness_handler_mounts_on_any_path() -> None:
    app = Starlette(routes=[Route("/ready", readiness(ready))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/ready")).status_code == 200
