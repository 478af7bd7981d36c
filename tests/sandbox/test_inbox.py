"""Issue 13, point 5: an inbox with history — conversations from before monitoring started, some
waiting for your answer, and messages that keep arriving — seen through the Linked API endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def complete(client: httpx.AsyncClient, sandbox: Sandbox, definition: Any) -> Any:
    started = (await client.post("/workflows", json=definition)).json()["result"]
    sandbox.advance(300)
    result = (await client.get(f"/workflows/{started['workflowId']}")).json()["result"]
    assert result["workflowStatus"] == "completed", result
    return result["completion"]


async def test_at_start_some_conversations_wait_for_your_answer(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    start = sandbox.clock.snapshot()["now"]
    samples = (await client.get("/_sandbox/samples")).json()
    assert len(samples["unreadPersonUrls"]) >= 5
    person = samples["unreadPersonUrls"][0]
    await complete(client, sandbox, {"actionType": "st.syncConversation", "personUrl": person})
    [conversation] = (await client.post("/conversations/poll", json=[{"personUrl": person, "type": "st"}])).json()[
        "result"
    ]
    history = conversation["messages"]
    assert history, "the conversation existed before monitoring started"
    assert all(m["time"] < start for m in history)
    assert history[-1]["sender"] == "them"  # they wrote last: unread
    view = (await client.post("/inbox/poll", json={"personUrl": person})).json()["result"]
    assert view["threads"][0]["historyComplete"] is True
    assert view["messages"][0]["sender"] == "them"  # newest first


async def test_messages_keep_arriving_and_monitoring_captures_them_newest_first(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await complete(client, sandbox, {"actionType": "st.syncInbox"})
    monitored_from = sandbox.clock.snapshot()["now"]
    assert (await client.post("/inbox/poll", json={})).json()["result"]["messages"] == []  # only later ones
    sandbox.advance(2 * 86400)
    messages = (await client.post("/inbox/poll", json={})).json()["result"]["messages"]
    assert len(messages) >= 3
    assert all(m["sender"] == "them" and m["time"] > monitored_from for m in messages)
    assert [m["time"] for m in messages] == sorted((m["time"] for m in messages), reverse=True)
    assert {"id", "type", "threadId", "personUrn", "personHashedUrl", "personPublicUrl", "text", "time"} <= set(
        messages[0]
    )
    # since= narrows to the newer ones; a reply goes into the same thread.
    newest = messages[0]
    since = (await client.post("/inbox/poll", json={"since": messages[1]["time"]})).json()["result"]["messages"]
    assert newest["id"] in {m["id"] for m in since}
    assert messages[1]["id"] not in {m["id"] for m in since}
    reply = {"actionType": "st.sendMessage", "threadId": newest["threadId"], "text": "Thanks, will do!"}
    assert (await complete(client, sandbox, reply))["success"] is True
    thread = (await client.post("/inbox/poll", json={"threadId": newest["threadId"]})).json()["result"]["messages"]
    assert thread[0]["sender"] == "us"
    assert thread[0]["text"] == "Thanks, will do!"


async def test_incoming_messages_arrive_the_same_way_for_the_same_seed_and_epoch() -> None:
    async def arrived(sandbox: Sandbox) -> bytes:
        headers = {"linked-api-token": "t", "identification-token": "i"}
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers) as c:
            await complete(c, sandbox, {"actionType": "st.syncInbox"})
            sandbox.advance(3 * 86400)
            return (await c.post("/inbox/poll", json={})).content

    assert await arrived(Sandbox(seed=5, speed=0)) == await arrived(Sandbox(seed=5, speed=0))
