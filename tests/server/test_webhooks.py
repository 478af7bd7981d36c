"""Webhook push: a signed ``workflow.completed`` delivery reaches a waiting MCP call at once with
zero further GETs — also when the delivery lands on another replica; forged, stale and replayed
deliveries change nothing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.server.webhooks import PATH, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0
SECRET = "whsec-test-0123456789abcdef"


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    return both_stores


@pytest.fixture
def live(sandbox: Sandbox) -> Iterator[ServerThread]:
    """The (frozen) sandbox served over HTTP, as Linked API is to every replica."""
    with ServerThread(sandbox) as running:
        yield running


@pytest.fixture
def push_settings(settings: Settings, live: ServerThread) -> Settings:
    # Replicas of one account on Linked API (the sandbox over HTTP). A slow schedule: after its
    # first look the poller sleeps for seconds, so whatever arrives in the meantime came by push.
    return settings.model_copy(
        update={
            "sandbox_speed": 1.0,
            "webhook_secret": SecretStr(SECRET),
            "base_url": live.base_url,
            "linked_api_token": SecretStr("lat-team-123456"),
            "identification_token": SecretStr("idt-team-123456"),
        }
    )


@asynccontextmanager
async def receiver(settings: Settings, sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    """Another replica's HTTP endpoint, where Linked API delivers."""
    server, _ = build(settings, http=True, host="127.0.0.1")
    app = http_app(server, host="127.0.0.1")
    async with (
        server.session_manager.run(),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as client,
    ):
        yield client


def signed(event: dict[str, Any], *, secret: str = SECRET, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    timestamp = str(int(time.time() if at is None else at))
    return body, {
        "content-type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


async def upstream_state(sandbox: Sandbox, workflow_id: str) -> dict[str, Any]:
    """What GET /workflows/{id} answers — the body of a fat ``workflow.completed`` event."""
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url) as raw:
        answer = await raw.get(
            f"/workflows/{workflow_id}", headers={"linked-api-token": "t", "identification-token": "i"}
        )
    result: dict[str, Any] = answer.json()["result"]
    return result


def gets(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.method == "GET" and r.path.startswith("/workflows/"))


async def waiting_call(
    client: Client, tg: Any, workflow_id: str, out: list[CallToolResult], sandbox: Sandbox, upstream: Any
) -> None:
    """Starts a long get_workflow_result and returns once it has made its immediate look (so
    whatever it learns later, it learns by push or by its next scheduled look)."""
    waiting = anyio.Event()
    looked = gets(sandbox) + 1

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        waiting.set()

    async def call() -> None:
        out.append(
            await client.call_tool(
                "get_workflow_result", {"workflowId": workflow_id, "waitSeconds": 120}, progress_callback=on_progress
            )
        )

    tg.start_soon(call)
    await waiting.wait()
    await upstream.until(lambda: gets(sandbox) >= looked)  # its immediate look was answered


async def test_a_fat_completion_delivered_to_another_replica_ends_the_wait_with_zero_gets(
    push_settings: Settings, sandbox: Sandbox, upstream: Any
) -> None:
    server, _ = build(push_settings)
    results: list[CallToolResult] = []
    async with Client(server) as client, receiver(push_settings, sandbox) as hook:
        started = await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0})
        assert started.structured_content is not None
        workflow_id = started.structured_content["workflowId"]
        with anyio.fail_after(60):  # a safety net: the push ends the wait long before
            async with anyio.create_task_group() as tg:
                await waiting_call(client, tg, workflow_id, results, sandbox, upstream)
                sandbox.advance(HOUR)
                event = {
                    "id": f"workflow.completed:{workflow_id}",
                    "type": "workflow.completed",
                    "createdAt": "2026-12-01T12:00:00.000Z",
                    "data": {
                        "workflowId": workflow_id,
                        "accountId": "acc-1",
                        "status": "completed",
                        "result": await upstream_state(sandbox, workflow_id),
                    },
                }
                before = gets(sandbox)
                body, headers = signed(event)
                answer = await hook.post(PATH, content=body, headers=headers)
                assert answer.status_code == 200
    [result] = results
    assert result.structured_content is not None
    assert result.structured_content["status"] == "completed"
    assert len(result.structured_content["result"]) == 2
    assert gets(sandbox) == before  # no GET after the delivery


async def test_a_thin_completion_makes_the_poller_look_now(
    push_settings: Settings, sandbox: Sandbox, upstream: Any
) -> None:
    server, _ = build(push_settings)
    results: list[CallToolResult] = []
    async with Client(server) as client, receiver(push_settings, sandbox) as hook:
        started = await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0})
        assert started.structured_content is not None
        workflow_id = started.structured_content["workflowId"]
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                await waiting_call(client, tg, workflow_id, results, sandbox, upstream)
                sandbox.advance(HOUR)
                before = gets(sandbox)
                body, headers = signed(
                    {
                        "id": f"workflow.completed:{workflow_id}",
                        "type": "workflow.completed",
                        "data": {"workflowId": workflow_id, "status": "completed"},
                    }
                )
                assert (await hook.post(PATH, content=body, headers=headers)).status_code == 200
    assert results[0].structured_content is not None
    assert results[0].structured_content["status"] == "completed"
    assert gets(sandbox) == before + 1  # the poller looked once, at once


async def test_forged_stale_and_replayed_deliveries_change_nothing(push_settings: Settings, sandbox: Sandbox) -> None:
    server, state = build(push_settings)
    async with Client(server) as client, receiver(push_settings, sandbox) as hook:
        started = await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0})
        assert started.structured_content is not None
        workflow_id = started.structured_content["workflowId"]
        failed = {
            "id": f"workflow.completed:{workflow_id}",
            "type": "workflow.completed",
            "data": {
                "workflowId": workflow_id,
                "status": "failed",
                "result": {"workflowStatus": "failed", "failure": {"reason": "forged", "message": "no"}},
            },
        }
        body, headers = signed(failed, secret="not-the-secret")
        forged = await hook.post(PATH, content=body, headers=headers)
        body, headers = signed(failed, at=time.time() - 301)
        stale = await hook.post(PATH, content=body, headers=headers)
        unsigned = await hook.post(PATH, content=body, headers={"content-type": "application/json"})
        [row] = await state.ledger.find(workflow_id)
        assert row.in_flight  # none of them touched the workflow
        # A genuine event, then the same id again with another body (a replay): the first counts.
        sandbox.advance(HOUR)
        genuine = {
            "id": f"workflow.completed:{workflow_id}",
            "type": "workflow.completed",
            "data": {
                "workflowId": workflow_id,
                "status": "completed",
                "result": await upstream_state(sandbox, workflow_id),
            },
        }
        body, headers = signed(genuine)
        first = await hook.post(PATH, content=body, headers=headers)
        body, headers = signed(failed)
        replay = await hook.post(PATH, content=body, headers=headers)
        result = await client.call_tool("get_workflow_result", {"workflowId": workflow_id})
    assert (forged.status_code, stale.status_code, unsigned.status_code) == (401, 401, 401)
    assert first.json() == {"received": True, "duplicate": False}
    assert replay.status_code == 200
    assert replay.json()["duplicate"] is True
    assert result.structured_content is not None
    assert result.structured_content["status"] == "completed"


async def test_while_deliveries_arrive_polling_waits_and_a_completion_found_by_polling_resumes_it(
    push_settings: Settings, sandbox: Sandbox, upstream: Any
) -> None:
    """Webhooks on: once a delivery has reached the server, a waiting call trusts the push and
    sends no status GET within its budget (polling is only the safety net for a lost delivery,
    PUSH_FALLBACK_SECONDS apart). A completion that a GET finds before any delivery ends that trust:
    the next wait polls at its normal pace again."""
    server, _ = build(push_settings)
    wait = 11  # seconds: the normal schedule looks twice in it (a GET at most every 5 s)
    async with Client(server) as client, receiver(push_settings, sandbox) as hook:

        async def start() -> str:
            started = await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0})
            assert started.structured_content is not None
            workflow_id: str = started.structured_content["workflowId"]
            return workflow_id

        async def waited_gets(workflow_id: str) -> int:
            before = gets(sandbox)
            result = await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": wait})
            assert result.structured_content is not None
            assert result.structured_content["workflowId"] == workflow_id  # the same workflow (dedupe)
            assert result.structured_content["status"] != "completed"
            return gets(sandbox) - before

        # a first workflow, completed by a delivery: the webhook reaches this server
        first = await start()
        sandbox.advance(HOUR)
        body, headers = signed(
            {
                "id": f"workflow.completed:{first}",
                "type": "workflow.completed",
                "data": {"workflowId": first, "status": "completed", "result": await upstream_state(sandbox, first)},
            }
        )
        assert (await hook.post(PATH, content=body, headers=headers)).status_code == 200
        # trusted: a whole wait without a GET
        second = await start()
        assert await waited_gets(second) == 0
        # it ends, and no delivery comes: the handle's own look finds it done
        sandbox.advance(HOUR)
        collected = await client.call_tool("get_workflow_result", {"workflowId": second, "waitSeconds": 0})
        assert collected.structured_content is not None
        assert collected.structured_content["status"] == "completed"
        # trust is gone: the next wait polls at the normal pace
        third = await start()
        assert await waited_gets(third) >= 1
