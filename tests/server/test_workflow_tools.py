"""Workflow tools through a real MCP client (both protocol eras): wait, hand back, resume, dedupe.

The sandbox clock is frozen unless a test says otherwise; ``sandbox.advance`` moves workflows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import time
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.client import LinkedApiClient
from linkedapi_mcp.sandbox import Sandbox, WorkingHours
from linkedapi_mcp.server import pipeline
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    """Every test here runs on SQLite and on a real PostgreSQL server (server/db.py)."""
    return both_stores


TextOf = Callable[[CallToolResult], str]
HOUR = 3600.0


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_a_fast_fetch_returns_its_typed_result_in_the_first_call(
    any_era_client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    sandbox.set_speed(100_000)  # ~30 s of LinkedIn work in well under a millisecond
    person = sandbox.samples()["personUrls"][0]
    out = data(await any_era_client.call_tool("fetch_person", {"personUrl": person, "retrieveSkills": True}))
    assert out["status"] == "completed"
    assert out["backend"] == "sandbox"
    assert out["result"]["publicUrl"] == person
    assert isinstance(out["result"]["skills"], list)
    assert out["workflowId"]
    assert upstream.posts == 1


async def test_the_text_block_is_the_same_result_without_nulls(client: Client, sandbox: Sandbox) -> None:
    sandbox.set_speed(100_000)
    result = await client.call_tool("fetch_person", {"personUrl": sandbox.samples()["personUrls"][0]})
    structured = data(result)
    [block] = result.content
    compact = json.loads(getattr(block, "text", ""))
    assert "null" not in getattr(block, "text", "")
    assert "errors" not in compact
    assert "deduplicated" not in compact
    assert compact["result"] == {k: v for k, v in structured["result"].items() if v is not None}


async def test_a_slow_search_hands_back_a_handle_with_progress_then_get_workflow_result_returns_it(
    any_era_client: Client, sandbox: Sandbox, upstream: Any, progress: Any
) -> None:
    first = data(
        await any_era_client.call_tool(
            "search_people", {"term": "engineer", "limit": 3, "waitSeconds": 0.05}, progress_callback=progress
        )
    )
    assert first["status"] == "pending"
    assert first["pendingReason"] == "queued"
    assert "result" not in first  # structuredContent carries no nulls
    assert first["pollAfterSeconds"] >= 1
    assert "get_workflow_result" in first["message"]
    assert progress.messages
    assert "queued" in progress.messages[0]

    sandbox.advance(HOUR)
    done = data(await any_era_client.call_tool("get_workflow_result", {"workflowId": first["workflowId"]}))
    assert done["status"] == "completed"
    assert done["operationName"] == "searchPeople"
    assert len(done["result"]) == 3
    assert all("publicUrl" in person for person in done["result"])

    # Asking again is answered from the ledger: no upstream request.
    before = len(sandbox.requests)
    again = data(await any_era_client.call_tool("get_workflow_result", {"workflowId": first["workflowId"]}))
    assert again["result"] == done["result"]
    assert len(sandbox.requests) == before


async def test_progress_follows_each_status_change_with_increasing_values(
    client: Client, sandbox: Sandbox, upstream: Any, progress: Any
) -> None:
    async def move_on() -> None:
        await upstream.until(lambda: upstream.posts == 1)
        sandbox.advance(3)  # past the start delay: queued → running
        seen = upstream.gets
        await upstream.until(lambda: upstream.gets >= seen + 2)  # the server has seen it running
        sandbox.advance(HOUR)  # → completed

    async with anyio.create_task_group() as tg:
        tg.start_soon(move_on)
        out = data(
            await client.call_tool(
                "search_people", {"term": "nurse", "limit": 2, "waitSeconds": 5}, progress_callback=progress
            )
        )
    assert out["status"] == "completed"
    joined = " | ".join(progress.messages)
    assert "queued" in joined
    assert "running" in joined
    assert "completed" in joined
    assert progress.values == sorted(set(progress.values))


async def test_wait_seconds_zero_returns_the_handle_without_polling(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    out = data(await client.call_tool("search_companies", {"term": "freight", "waitSeconds": 0}))
    assert out["status"] == "pending"
    assert out["workflowId"]
    assert upstream.posts == 1
    assert upstream.gets == 0


async def test_identical_sends_in_sequence_post_once(any_era_client: Client, sandbox: Sandbox, upstream: Any) -> None:
    args = {"personUrl": sandbox.samples()["connectionUrls"][0], "text": "Hi! Coffee next week?", "waitSeconds": 0}
    first = data(await any_era_client.call_tool("send_message", args))
    second = data(await any_era_client.call_tool("send_message", args))
    assert second["workflowId"] == first["workflowId"]
    assert not first["deduplicated"]
    assert second["deduplicated"]

    sandbox.advance(HOUR)
    completed = data(await any_era_client.call_tool("get_workflow_result", {"workflowId": first["workflowId"]}))
    assert completed["status"] == "completed"
    # Still within the dedupe window: the finished send is returned, not repeated.
    third = data(await any_era_client.call_tool("send_message", {**args, "waitSeconds": 30}))
    assert third["status"] == "completed"
    assert third["deduplicated"]
    assert upstream.posts == 1

    # A different text is a different message.
    data(await any_era_client.call_tool("send_message", {**args, "text": "Another message"}))
    assert upstream.posts == 2


async def test_identical_sends_at_the_same_moment_post_once(client: Client, sandbox: Sandbox, upstream: Any) -> None:
    args = {"personUrl": sandbox.samples()["connectionUrls"][1], "text": "Same moment", "waitSeconds": 0}
    results: list[dict[str, Any]] = []

    async def send() -> None:
        results.append(data(await client.call_tool("send_message", args)))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(send)
    assert upstream.posts == 1
    assert len({r["workflowId"] for r in results}) == 1
    assert sorted(r["deduplicated"] for r in results) == [False, True, True]


async def test_a_dropped_connection_after_an_accepted_post_is_outcome_unknown_and_never_resent(
    any_era_client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    sandbox.faults.add("dropAfterAccept")
    args = {"personUrl": sandbox.samples()["connectionUrls"][2], "text": "Did this arrive?"}
    first = data(await any_era_client.call_tool("send_message", args))
    assert first["status"] == "outcome_unknown"
    assert "workflowId" not in first  # structuredContent carries no nulls
    assert "list_workflows" in first["message"]

    again = data(await any_era_client.call_tool("send_message", args))
    assert again["status"] == "outcome_unknown"
    assert again["deduplicated"]
    assert upstream.posts == 1

    listed = data(await any_era_client.call_tool("list_workflows", {}))
    assert listed["workflows"][0]["status"] == "outcome_unknown"
    assert listed["workflows"][0]["arguments"]["text"] == "Did this arrive?"


async def _until_quiet(upstream: Any, *, quiet: float, limit: float) -> None:
    """Wait until no status GET has reached the sandbox for ``quiet`` seconds (at most ``limit``)."""
    with anyio.fail_after(limit):
        seen, since = upstream.gets, anyio.current_time()
        while anyio.current_time() - since < quiet:
            await anyio.sleep(0.01)
            if upstream.gets != seen:
                seen, since = upstream.gets, anyio.current_time()


async def test_cancelling_the_call_stops_polling_and_keeps_the_handle(
    any_era_client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    with anyio.move_on_after(5):  # safety net: the scope below is cancelled long before
        async with anyio.create_task_group() as tg:
            tg.start_soon(any_era_client.call_tool, "search_people", {"term": "designer", "waitSeconds": 30})
            await upstream.until(lambda: upstream.gets >= 3)  # polling every few ms (1000× schedule)
            tg.cancel_scope.cancel()
    # While the call ran, the server polled every few milliseconds. Once the cancellation has reached it
    # the request log goes quiet: wait (generously) for a quiet stretch of many poll intervals. A server
    # still polling never gets one and fails here; a slow machine only makes the wait longer.
    await _until_quiet(upstream, quiet=0.3, limit=20.0)

    listed = data(await any_era_client.call_tool("list_workflows", {}))
    [row] = listed["workflows"]
    assert row["operationName"] == "searchPeople"
    assert row["status"] == "pending"
    assert row["workflowId"]


async def test_outside_working_hours_returns_at_once_with_the_opening_time(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    sandbox.set_working_hours(WorkingHours(days=(5, 6), start=time(9), end=time(17)))  # weekends only
    out = data(
        await client.call_tool("fetch_person", {"personUrl": sandbox.samples()["personUrls"][1], "waitSeconds": 30})
    )
    assert out["status"] == "pending"
    assert out["pendingReason"] == "outsideWorkingHours"
    assert "working hours open at Sat" in out["message"]
    assert "pollAfterSeconds" not in out  # structuredContent carries no nulls
    assert upstream.gets == 0

    # Once the hours open, get_workflow_result looks again and gets the result.
    sandbox.set_working_hours(None)
    sandbox.advance(HOUR)
    done = data(await client.call_tool("get_workflow_result", {"workflowId": out["workflowId"]}))
    assert done["status"] == "completed"
    assert done["result"]["publicUrl"] == sandbox.samples()["personUrls"][1]


async def test_a_long_wait_between_polls_still_sends_a_heartbeat(
    settings: Settings, sandbox: Sandbox, upstream: Any, progress: Any
) -> None:
    # A real-speed schedule (first poll after 2 s) and a 20 ms heartbeat instead of 10 s.
    server, state = build(settings.model_copy(update={"sandbox_speed": 1.0}), sandbox=sandbox)
    state.runner.heartbeat = 0.02
    async with Client(server) as c:
        out = data(await c.call_tool("search_people", {"term": "x", "waitSeconds": 0.2}, progress_callback=progress))
    assert out["status"] == "pending"
    # No GET in a 0.2 s call: Linked API's own pace (one GET per 5 s of the workflow's life,
    # server/timing.py) keeps that look for the agent's next get_workflow_result, which looks at once.
    assert upstream.gets == 0
    assert len(progress.messages) >= 5
    assert all("queued" in message for message in progress.messages)
    # Nothing else of this account runs: "queued behind" is never said (issue 11).
    assert not any("behind" in message for message in progress.messages)


async def test_cancel_workflow_stops_it_and_its_result_says_cancelled(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    started = data(await client.call_tool("search_people", {"term": "chef", "waitSeconds": 0}))
    cancelled = data(await client.call_tool("cancel_workflow", {"workflowId": started["workflowId"]}))
    assert cancelled["cancelled"] is True
    before = len(sandbox.requests)
    out = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert out["status"] == "cancelled"
    assert len(sandbox.requests) == before
    again = data(await client.call_tool("cancel_workflow", {"workflowId": started["workflowId"]}))
    assert again["cancelled"] is False
    assert "already ended" in again["message"]


async def test_a_failed_workflow_is_an_error_naming_the_reason_and_what_to_do(
    client: Client, sandbox: Sandbox, text_of: TextOf
) -> None:
    started = data(await client.call_tool("search_people", {"term": "pilot", "waitSeconds": 0}))
    sandbox.sign_out()
    result = await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]})
    assert result.is_error
    assert "[linkedinAccountSignedOut]" in text_of(result)
    assert "reconnect" in text_of(result)


async def test_an_action_error_without_data_is_an_error_with_its_type(
    client: Client, sandbox: Sandbox, text_of: TextOf
) -> None:
    sandbox.set_speed(100_000)
    result = await client.call_tool("fetch_person", {"personUrl": "https://www.linkedin.com/in/nobody-here-xyz"})
    assert result.is_error
    assert text_of(result).endswith(
        "[personNotFound] The provided URL is not an existing LinkedIn person. It does not exist or is not "
        "reachable: check the argument; the same call fails the same way."
    )  # the type, Linked API's words, then what it means for the caller (server/errors.py)


async def test_direct_reads_complete_in_one_call_without_a_workflow(client: Client, upstream: Any) -> None:
    out = data(await client.call_tool("get_account_info", {}))
    assert out["status"] == "completed"
    assert "workflowId" not in out  # structuredContent carries no nulls
    assert out["result"]["name"]
    assert upstream.posts == 0


async def test_get_workflow_result_needs_the_operation_only_for_workflows_it_never_saw(
    client: Client, sandbox: Sandbox, text_of: TextOf
) -> None:
    # A workflow started outside this server (e.g. by the official MCP server or an SDK).
    async with LinkedApiClient(
        linked_api_token="x", identification_token="y", base_url=sandbox.base_url, transport=sandbox.transport()
    ) as raw:
        started = await raw.start_workflow({"actionType": "st.retrieveSSI"})
    sandbox.advance(HOUR)

    unknown = await client.call_tool("get_workflow_result", {"workflowId": started.workflowId})
    assert unknown.is_error
    assert "operationName" in text_of(unknown)
    out = data(
        await client.call_tool(
            "get_workflow_result", {"workflowId": started.workflowId, "operationName": "retrieveSSI"}
        )
    )
    assert out["status"] == "completed"
    assert out["result"]["ssi"] is not None
    # Now it is in the ledger: the operation is no longer needed.
    assert data(await client.call_tool("get_workflow_result", {"workflowId": started.workflowId}))["result"]


async def test_handles_are_bound_to_the_account_that_started_them(
    settings: Settings, sandbox: Sandbox, text_of: TextOf
) -> None:
    # Two server processes sharing one ledger file, each on its own embedded-sandbox account.
    mine, _ = build(settings, sandbox=sandbox)
    theirs, _ = build(settings, sandbox=sandbox)
    async with Client(mine) as a, Client(theirs) as b:
        started = data(await a.call_tool("search_people", {"term": "x", "waitSeconds": 0}))
        result = await b.call_tool("get_workflow_result", {"workflowId": started["workflowId"]})
    assert result.is_error
    # Issue 11: a sandbox has no tokens; the text says what the handle is.
    assert "belongs to another sandbox account" in text_of(result)
    assert "tokens" not in text_of(result)


async def test_a_send_another_process_is_starting_returns_that_processs_handle_without_posting(
    client: Client, state: Any, sandbox: Sandbox, upstream: Any
) -> None:
    person = sandbox.samples()["connectionUrls"][3]
    wire = CATALOG["send_message"].params(personUrl=person, text="From two processes").wire()
    # Another process has claimed the same send and is in the middle of its POST.
    claim = await pipeline.claim(
        state.ledger,
        pipeline.Call.of(
            account=state.backend(None).account,
            operation="sendMessage",
            arguments=wire,
            effect="write",
            reuse_finished_within=600,
        ),
    )
    assert isinstance(claim, pipeline.Claim)

    async def other_process_finishes_its_post() -> None:
        await anyio.sleep(0.05)
        await state.ledger.record_start(
            claim.row.id,
            workflow_id="wf-from-the-other-process",
            status="pending",
            pending_reason="queued",
            message=None,
        )

    async with anyio.create_task_group() as tg:
        tg.start_soon(other_process_finishes_its_post)
        out = data(
            await client.call_tool(
                "send_message", {"personUrl": person, "text": "From two processes", "waitSeconds": 0}
            )
        )
    assert out["deduplicated"] is True
    assert out["workflowId"] == "wf-from-the-other-process"
    assert upstream.posts == 0


async def test_reading_a_conversation_never_synced_syncs_it_first(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    person = sandbox.samples()["connectionUrls"][0]
    started = data(await client.call_tool("get_conversation", {"personUrl": person, "waitSeconds": 0}))
    assert started["status"] == "pending"
    assert started["operationName"] == "syncConversation"
    assert "call get_conversation again" in started["message"]
    assert upstream.posts == 1

    sandbox.advance(HOUR)
    synced = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert synced["status"] == "completed"
    conversation = data(await client.call_tool("get_conversation", {"personUrl": person}))
    assert conversation["status"] == "completed"
    assert conversation["operationName"] == "pollConversations"
    assert isinstance(conversation["result"]["messages"], list)
    assert upstream.posts == 1  # already synced: read directly


async def test_a_conversation_synced_within_the_wait_is_returned_in_one_call(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    sandbox.set_speed(100_000)
    person = sandbox.samples()["connectionUrls"][1]
    out = data(await client.call_tool("get_conversation", {"personUrl": person}))
    assert out["status"] == "completed"
    assert out["result"] is not None
    assert upstream.posts == 1


async def test_queued_behind_is_said_only_with_the_earlier_workflow_it_waits_for(
    client: Client, sandbox: Sandbox, progress: Any
) -> None:
    first = data(await client.call_tool("search_people", {"term": "x", "waitSeconds": 0}))
    second = data(
        await client.call_tool("search_companies", {"term": "y", "waitSeconds": 0.05}, progress_callback=progress)
    )
    assert second["status"] == "pending"
    queued = [message for message in progress.messages if "queued" in message]
    assert queued
    assert all(f"queued behind searchPeople ({first['workflowId']})" in message for message in queued)


async def test_list_workflows_pages_with_the_total_so_no_workflow_is_out_of_reach(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    """An agent looking for an earlier workflow can page through all of them: the list says how
    many there are and which offset comes next, and the last page says there is no more."""
    for term in ("nurse", "chef", "pilot"):
        started = data(await client.call_tool("search_people", {"term": term, "limit": 2, "waitSeconds": 0}))
        assert started["workflowId"]
    first = data(await client.call_tool("list_workflows", {"limit": 2}))
    assert first["total"] == 3
    assert first["nextOffset"] == 2
    rest = data(await client.call_tool("list_workflows", {"limit": 2, "offset": first["nextOffset"]}))
    assert rest["total"] == 3
    assert "nextOffset" not in rest  # structuredContent carries no nulls: absent on the last page
    seen = [w["arguments"]["term"] for w in first["workflows"] + rest["workflows"]]
    assert seen == ["pilot", "chef", "nurse"]  # newest first, each once
    only = data(await client.call_tool("list_workflows", {"operationName": "fetchPerson"}))
    assert (only["total"], only["workflows"]) == (0, [])
