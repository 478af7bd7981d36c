"""Inbox and conversations a model can work (issue 11, point 3), through a real MCP client on the sandbox.

get_inbox says when monitoring started and what it covers, lists one entry per conversation with
its last message and whether it waits for a reply, and finds those that do; get_conversation says
when it turned on syncing; in read-only mode the not-synced error names tools, not raw actions;
recorded webhook inbox events answer get_inbox without a Linked API call, and it says so.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.server.webhooks import PATH, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0


def _text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def _inbox_polls(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.path == "/inbox/poll")


async def _collect(client: Client, sandbox: Sandbox, started: CallToolResult) -> dict[str, Any]:
    """Run the frozen sandbox forward and collect the workflow a call left pending."""
    out = started.structured_content or {}
    if out.get("status") == "completed":
        return out
    sandbox.advance(HOUR)
    done = await client.call_tool("get_workflow_result", {"workflowId": out["workflowId"]})
    assert not done.is_error, _text(done)
    return done.structured_content or {}


async def test_get_inbox_says_when_monitoring_started_and_finds_the_conversations_awaiting_a_reply(
    client: Client, sandbox: Sandbox
) -> None:
    before = await client.call_tool("get_inbox", {})
    assert not before.is_error
    result = (before.structured_content or {})["result"]
    assert result["messages"] == []
    # An empty inbox says why, and what to do, naming a listed tool.
    assert "no record of inbox monitoring" in result["monitoring"]
    assert "call sync_inbox once" in result["monitoring"]

    synced = await _collect(client, sandbox, await client.call_tool("sync_inbox", {"waitSeconds": 0}))
    assert synced["status"] == "completed"
    assert "Inbox monitoring is on" in synced["message"]
    assert "from before are not captured" in synced["message"]

    sandbox.advance(24 * HOUR)  # messages arrive over the day
    everything = (await client.call_tool("get_inbox", {})).structured_content or {}
    inbox = everything["result"]
    assert inbox["monitoring"].startswith("Monitoring on (turned on through this server): standard inbox since")
    assert "older conversations are not listed" in inbox["monitoring"]
    threads = {m["threadId"] for m in inbox["messages"]}
    assert threads
    assert {c["threadId"] for c in inbox["conversations"]} == threads
    for conversation in inbox["conversations"]:
        newest = max(
            (m for m in inbox["messages"] if m["threadId"] == conversation["threadId"]), key=lambda m: m["time"]
        )
        assert conversation["lastMessage"] == {
            "sender": newest["sender"],
            "text": newest["text"],
            "time": newest["time"],
        }
        assert conversation["awaitingReply"] is (newest["sender"] == "them")
        assert conversation["personUrl"] == newest["personPublicUrl"]

    waiting = (await client.call_tool("get_inbox", {"awaitingReply": True})).structured_content or {}
    awaiting = waiting["result"]["conversations"]
    assert awaiting
    assert all(c["awaitingReply"] for c in awaiting)
    assert {m["threadId"] for m in waiting["result"]["messages"]} == {c["threadId"] for c in awaiting}

    # Answer the first one: it no longer waits for a reply.
    first = awaiting[0]["threadId"]
    sent = await client.call_tool("send_message", {"threadId": first, "text": "Thanks, happy to talk this week."})
    assert (await _collect(client, sandbox, sent))["status"] == "completed"
    after = (await client.call_tool("get_inbox", {"awaitingReply": True})).structured_content or {}
    assert first not in {c["threadId"] for c in after["result"]["conversations"]}
    answered = (await client.call_tool("get_inbox", {"threadId": first})).structured_content or {}
    [conversation] = answered["result"]["conversations"]
    assert conversation["lastMessage"]["sender"] == "us"
    assert conversation["awaitingReply"] is False


async def test_a_sync_inbox_not_seen_finished_is_named_in_the_monitoring_note(client: Client) -> None:
    started = await client.call_tool("sync_inbox", {"waitSeconds": 0})
    assert (started.structured_content or {})["status"] in ("pending", "running")
    note = ((await client.call_tool("get_inbox", {})).structured_content or {})["result"]["monitoring"]
    assert "has not been seen finished" in note
    assert "get_workflow_result" in note


async def test_get_conversation_says_it_turned_on_syncing(client: Client, sandbox: Sandbox) -> None:
    person = sandbox.samples()["unreadPersonUrls"][0]
    first = await client.call_tool("get_conversation", {"personUrl": person, "waitSeconds": 0})
    out = first.structured_content or {}
    # Not silent: the agent learns that a sync was started (monitoring for 30 days) and how to go on.
    assert out["operationName"] == "syncConversation"
    assert "was not synced yet, so sync_conversation was started for it" in out["message"]
    assert "30 days" in out["message"]
    assert "then call get_conversation again" in out["message"]
    sandbox.advance(HOUR)
    await client.call_tool("get_workflow_result", {"workflowId": out["workflowId"]})
    again = (await client.call_tool("get_conversation", {"personUrl": person})).structured_content or {}
    assert again["status"] == "completed"
    assert again["result"]["messages"]
    assert again["result"]["messages"][-1]["sender"] == "them"  # the history: they wrote last


async def test_in_read_only_mode_the_not_synced_error_names_tools_not_raw_actions(
    settings: Settings, sandbox: Sandbox
) -> None:
    server, _ = build(settings.model_copy(update={"read_only": True}), sandbox=sandbox)
    person = sandbox.samples()["unreadPersonUrls"][0]
    async with Client(server) as client:
        result = await client.call_tool("get_conversation", {"personUrl": person})
    text = _text(result)
    assert result.is_error
    assert "[conversationsNotSynced] This conversation was never synced" in text
    assert "st.syncConversation" not in text
    assert "get_inbox" in text
    # Nothing was started on the account's behalf.
    assert not any(r.method == "POST" and r.path == "/workflows" for r in sandbox.requests)


SECRET = "whsec-inbox-test-0123456789"


def _event(n: int, thread: str, sender: str, text: str, at: str) -> dict[str, Any]:
    kind = "inbox.messageReceived" if sender == "them" else "inbox.messageSent"
    data = {
        "accountId": "acc-1",
        "type": "st",
        "threadId": thread,
        "personUrn": f"urn:li:member:{n}",
        "personHashedUrl": f"https://www.linkedin.com/in/ACoAA{n}",
        "personPublicUrl": f"https://www.linkedin.com/in/person-{n}",
        "personUrl": f"https://www.linkedin.com/in/ACoAA{n}",
        "messageId": f"msg-ev-{n}",
        "sender": sender,
        "text": text,
        "time": at,
    }
    return {"id": f"{kind}:msg-ev-{n}", "type": kind, "createdAt": at, "data": data}


async def test_recorded_webhook_inbox_events_answer_get_inbox_without_calling_linked_api(
    settings: Settings, sandbox: Sandbox
) -> None:
    push = settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    server, _ = build(push, sandbox=sandbox, http=True, host="127.0.0.1")
    app = http_app(server, host="127.0.0.1")
    async with (
        server.session_manager.run(),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as hooks,
        Client(server) as client,
    ):
        synced = await _collect(client, sandbox, await client.call_tool("sync_inbox", {"waitSeconds": 0}))
        assert synced["status"] == "completed"
        events = [
            _event(1, "2-thread-a", "them", "Are you free on Thursday?", "2030-01-01T10:00:00Z"),
            _event(2, "2-thread-b", "us", "Sent you the deck.", "2030-01-01T11:00:00Z"),
        ]
        for event in events:
            body = json.dumps(event).encode()
            stamp = str(int(time.time()))
            headers = {
                "content-type": "application/json",
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: signature(SECRET, stamp, body),
            }
            assert (await hooks.post(PATH, content=body, headers=headers)).status_code == 200
        polls = _inbox_polls(sandbox)
        # Events recorded after monitoring started do not cover it: Linked API is asked.
        asked = (await client.call_tool("get_inbox", {})).structured_content or {}
        assert _inbox_polls(sandbox) == polls + 1
        assert "webhook" not in (asked.get("message") or "")
        # From the first event on, they do: no Linked API call, and the answer says where it came from.
        out = (
            await client.call_tool("get_inbox", {"since": "2029-12-31T00:00:00Z", "awaitingReply": True})
        ).structured_content or {}
    assert _inbox_polls(sandbox) == polls + 1
    assert out["message"].startswith("Answered from the 2 inbox webhook event(s) this server recorded")
    [conversation] = out["result"]["conversations"]
    assert conversation["threadId"] == "2-thread-a"
    assert conversation["awaitingReply"] is True
    assert conversation["personUrl"] == "https://www.linkedin.com/in/person-1"
    assert [m["id"] for m in out["result"]["messages"]] == ["msg-ev-1"]


async def _deliver(hooks: httpx2.AsyncClient, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(SECRET, stamp, body),
    }
    assert (await hooks.post(PATH, content=body, headers=headers)).status_code == 200


async def test_recorded_webhook_network_events_answer_get_network_without_calling_linked_api(
    settings: Settings, sandbox: Sandbox
) -> None:
    push = settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    server, _ = build(push, sandbox=sandbox, http=True, host="127.0.0.1")
    app = http_app(server, host="127.0.0.1")
    async with (
        server.session_manager.run(),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as hooks,
        Client(server) as client,
    ):
        # Deliveries arrive before monitoring is turned on: they cover everything it will capture.
        for n, kind in enumerate(("connectionAccepted", "connectionRequestReceived")):
            data = {
                "accountId": "acc-1",
                "personUrl": f"https://www.linkedin.com/in/person-{n}",
                "personUrn": f"urn:li:member:{n}",
                "detectedAt": f"2030-01-0{n + 1}T10:00:00Z",
            }
            await _deliver(hooks, {"id": f"network.{kind}:ev-{n}", "type": f"network.{kind}", "data": data})
        synced = await _collect(client, sandbox, await client.call_tool("sync_network", {"waitSeconds": 0}))
        assert synced["message"].startswith("Network monitoring is on")
        polls = sum(1 for r in sandbox.requests if r.path == "/network/poll")
        everything = (await client.call_tool("get_network", {})).structured_content or {}
        received = (
            await client.call_tool("get_network", {"type": "connectionRequestReceived"})
        ).structured_content or {}
        assert sum(1 for r in sandbox.requests if r.path == "/network/poll") == polls  # no Linked API call
    assert everything["message"].startswith("Answered from the 2 network webhook event(s) this server recorded")
    assert [e["type"] for e in everything["result"]["events"]] == ["connectionRequestReceived", "connectionAccepted"]
    [event] = received["result"]["events"]
    assert event == {
        "id": "network.connectionRequestReceived:ev-1",
        "type": "connectionRequestReceived",
        "personUrl": "https://www.linkedin.com/in/person-1",
        "personUrn": "urn:li:member:1",
        "detectedAt": "2030-01-02T10:00:00Z",
    }
