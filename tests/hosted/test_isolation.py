"""Principals on one hosted server never see, touch or spend each other's workflows, budgets or
confirmations — and cannot even learn that the other's handles exist (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp.types import CallToolResult

from linkedapi_mcp.sandbox import Sandbox

from .kit import connect, hosted, http, mcp_client

pytestmark = pytest.mark.anyio

ALICE = ("lat-alice-0123456789", "idt-alice-0123456789")
BOB = ("lat-bob-9876543210", "idt-bob-9876543210")


def text(result: CallToolResult) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def upstream(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sandbox.requests]


async def test_another_principals_handle_answers_exactly_like_one_that_never_existed(
    tmp_path: Path, both_stores: str | None
) -> None:
    sandbox = Sandbox(seed=42, speed=0)
    h = hosted(tmp_path, sandbox, database_url=both_stores)
    async with http(h) as client:
        alice = await connect(client, *ALICE)
        bob = await connect(client, *BOB)
        async with mcp_client(h, alice.access_token) as a:
            started = await a.call_tool("search_people", {"term": "engineer", "limit": 1, "waitSeconds": 0})
        assert started.structured_content is not None
        handle = started.structured_content["workflowId"]
        never = "wf-" + "0" * 8 + "-0000-4000-8000-" + "0" * 12
        before = upstream(sandbox)
        async with mcp_client(h, bob.access_token) as b:
            answers: dict[str, dict[str, CallToolResult]] = {}
            for wid in (handle, never):
                answers[wid] = {
                    "get": await b.call_tool("get_workflow_result", {"workflowId": wid, "waitSeconds": 0}),
                    "get_named": await b.call_tool(
                        "get_workflow_result", {"workflowId": wid, "operationName": "searchPeople", "waitSeconds": 0}
                    ),
                    "cancel": await b.call_tool("cancel_workflow", {"workflowId": wid}),
                }
            listed = await b.call_tool("list_workflows", {})
        # Bob's attempts cost nothing upstream: nothing was looked up or cancelled for him.
        assert upstream(sandbox) == before
        async with mcp_client(h, alice.access_token) as a:
            still_hers = await a.call_tool("list_workflows", {})

    for kind in ("get", "get_named", "cancel"):
        mine, none = answers[handle][kind], answers[never][kind]
        assert mine.is_error
        assert none.is_error
        assert text(mine).replace(handle, "ID") == text(none).replace(never, "ID"), kind
        assert "different" not in text(mine)
    assert listed.structured_content == {"workflows": [], "total": 0, "backend": "sandbox"}
    assert still_hers.structured_content is not None
    [row] = still_hers.structured_content["workflows"]
    assert row["workflowId"] == handle
    assert row["status"] != "cancelled"


async def test_budgets_are_counted_per_principal(tmp_path: Path, both_stores: str | None) -> None:
    sandbox = Sandbox(seed=42, speed=0)
    h = hosted(tmp_path, sandbox, budgets="stMessages=1/day", database_url=both_stores)
    people = sandbox.samples()["connectionUrls"]
    async with http(h) as client:
        alice = await connect(client, *ALICE)
        bob = await connect(client, *BOB)

        async def send(grant: Any, person: str) -> CallToolResult:
            async with mcp_client(h, grant.access_token) as c:
                return await c.call_tool("send_message", {"personUrl": person, "text": "Hello", "waitSeconds": 0})

        first = await send(alice, people[0])
        second = await send(alice, people[1])
        bobs = await send(bob, people[2])
    assert not first.is_error, text(first)
    assert second.is_error
    assert "stMessages" in text(second)
    assert not bobs.is_error, text(bobs)  # Alice's spending is not Bob's
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path == "/workflows"]
    assert len(posts) == 2


async def test_a_confirmation_issued_to_one_principal_cannot_be_redeemed_by_another(
    tmp_path: Path, both_stores: str | None
) -> None:
    sandbox = Sandbox(seed=42, speed=0)
    h = hosted(tmp_path, sandbox, confirm="elicit-or-preview", database_url=both_stores)
    person = sandbox.samples()["connectionUrls"][0]
    args = {"personUrl": person, "text": "Hello from Alice", "waitSeconds": 0}
    async with http(h) as client:
        alice = await connect(client, *ALICE)
        bob = await connect(client, *BOB)
        async with mcp_client(h, alice.access_token) as a:
            preview = await a.call_tool("send_message", args)
        assert preview.structured_content is not None, text(preview)
        found = re.search(r"confirmationId[\"'=: ]+([A-Za-z0-9_-]{12,})", text(preview))
        assert found, text(preview)
        confirmation = found.group(1)
        async with mcp_client(h, bob.access_token) as b:
            stolen = await b.call_tool("send_message", {**args, "confirmationId": confirmation})
        async with mcp_client(h, alice.access_token) as a:
            hers = await a.call_tool("send_message", {**args, "confirmationId": confirmation})
    assert stolen.is_error
    assert "unknown" in text(stolen)
    assert not hers.is_error, text(hers)
    posts = [r for r in sandbox.requests if r.method == "POST" and r.path == "/workflows"]
    assert len(posts) == 1  # only Alice's confirmed send
