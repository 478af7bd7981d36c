"""The tasks extension (io.modelcontextprotocol/tasks) through a real MCP client.

A client that declares the extension gets a task for a long tool call (its id is the workflow
id), follows it with tasks/get, and cancels it with tasks/cancel, which reaches Linked API as
cancel_workflow does. A client without it keeps the wait-then-handle behaviour.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Literal

import anyio
import pytest
from mcp import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, Implementation
from mcp_types import RequestParams, Result
from pydantic import ConfigDict, Field

from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    """SQLite and PostgreSQL: tasks are ledger rows."""
    return both_stores

TASKS = "io.modelcontextprotocol/tasks"
HOUR = 3600.0


class TaskCreated(Result):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    result_type: Literal["task"] = Field(alias="resultType")
    task_id: str = Field(alias="taskId")
    status: str
    created_at: str = Field(alias="createdAt")
    last_updated_at: str = Field(alias="lastUpdatedAt")


class TaskState(Result):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    task_id: str = Field(alias="taskId")
    status: str
    result: dict[str, Any] | None = None
    status_message: str | None = Field(None, alias="statusMessage")


class TaskIdParams(RequestParams):
    task_id: str = Field(alias="taskId")


async def tasks_request(client: Client, method: str, task_id: str, model: type[Result] = TaskState) -> Any:
    from mcp_types import Request

    request = Request[TaskIdParams, str](method=method, params=TaskIdParams(task_id=task_id))
    return await client.session.send_request(request, model)


async def _resolve(created: TaskCreated, ctx: ClaimContext) -> CallToolResult:
    """A client's own resolution of a task: poll tasks/get until it ends, return its result."""
    from mcp_types import Request

    while True:
        request = Request[TaskIdParams, str](method="tasks/get", params=TaskIdParams(task_id=created.task_id))
        state = await ctx.session.send_request(request, TaskState)
        if state.status in ("completed", "failed", "cancelled"):
            return CallToolResult.model_validate(state.result or {"content": [], "isError": True})
        await anyio.sleep(0.01)


class TasksClient(ClientExtension):
    identifier = TASKS

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=TaskCreated, resolve=_resolve)]


@pytest.fixture
async def task_client(built: tuple[Any, Any]) -> AsyncIterator[Client]:
    async with Client(
        built[0], extensions=[TasksClient()], client_info=Implementation(name="pytest", version="1")
    ) as c:
        yield c


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def test_the_server_advertises_the_tasks_extension(task_client: Client) -> None:
    extensions = task_client.server_capabilities.extensions or {}
    assert TASKS in extensions


async def test_a_long_call_becomes_a_task_that_tasks_get_follows_to_its_result(
    task_client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    created = await task_client.session.call_tool("search_people", {"term": "engineer"}, allow_claimed=True)
    assert isinstance(created, TaskCreated)
    assert created.status == "working"
    assert upstream.posts == 1
    # The task id is the workflow handle: the ledger already has it.
    listed = data(await task_client.call_tool("list_workflows", {}))
    assert [w["workflowId"] for w in listed["workflows"]] == [created.task_id]

    working = await tasks_request(task_client, "tasks/get", created.task_id)
    assert working.task_id == created.task_id
    assert working.status == "working"
    assert working.result is None

    sandbox.advance(HOUR)
    done = await tasks_request(task_client, "tasks/get", created.task_id)
    assert done.status == "completed"
    result = CallToolResult.model_validate(done.result)
    outcome = data(result)
    assert outcome["status"] == "completed"
    assert outcome["workflowId"] == created.task_id
    assert outcome["result"], "the people found"
    assert json.loads(result.content[0].text)["status"] == "completed"  # type: ignore[union-attr]
    assert upstream.posts == 1


async def test_the_client_extension_resolves_a_task_transparently(
    task_client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    async def finish() -> None:
        await upstream.until(lambda: upstream.gets >= 1)
        sandbox.advance(HOUR)

    async with anyio.create_task_group() as tg:
        tg.start_soon(finish)
        result = await task_client.call_tool("search_people", {"term": "nurse"})
    assert data(result)["status"] == "completed"
    assert upstream.posts == 1


async def test_tasks_cancel_cancels_the_workflow_on_linked_api(
    task_client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    created = await task_client.session.call_tool("search_people", {"term": "pilot"}, allow_claimed=True)
    assert isinstance(created, TaskCreated)
    ack = await tasks_request(task_client, "tasks/cancel", created.task_id, Result)
    assert isinstance(ack, Result)
    cancels = [r.path for r in sandbox.requests if r.method == "DELETE"]  # Linked API's cancel
    assert cancels == [f"/workflows/{created.task_id}"]
    state = await tasks_request(task_client, "tasks/get", created.task_id)
    assert state.status == "cancelled"
    # Cancelling an ended task is the same empty ack, and sends nothing more.
    await tasks_request(task_client, "tasks/cancel", created.task_id, Result)
    assert len([r for r in sandbox.requests if r.method == "DELETE"]) == 1


async def test_a_failed_workflow_is_a_completed_task_with_an_error_result(
    task_client: Client, sandbox: Sandbox
) -> None:
    created = await task_client.session.call_tool("search_people", {"term": "pilot"}, allow_claimed=True)
    assert isinstance(created, TaskCreated)
    sandbox.sign_out()
    state = await tasks_request(task_client, "tasks/get", created.task_id)
    assert state.status == "completed"  # the tool ran and reported an error: not a protocol failure
    assert state.result is not None
    assert state.result["isError"] is True
    assert "[linkedinAccountSignedOut]" in state.result["content"][0]["text"]


async def test_unknown_and_foreign_task_ids_are_invalid_params(task_client: Client) -> None:
    for method in ("tasks/get", "tasks/cancel"):
        with pytest.raises(MCPError) as caught:
            await tasks_request(task_client, method, "no-such-workflow")
        assert caught.value.error.code == -32602


async def test_a_client_without_the_extension_waits_and_gets_a_handle_as_before(client: Client, upstream: Any) -> None:
    out = data(await client.call_tool("search_people", {"term": "chef", "waitSeconds": 0}))
    assert out["status"] in ("pending", "running")
    assert out["workflowId"]
    with pytest.raises(MCPError) as caught:
        await tasks_request(client, "tasks/get", out["workflowId"])
    assert caught.value.error.code == -32021
    assert upstream.total >= 1
    assert not any(r.method == "DELETE" for r in upstream.sandbox.requests)


async def test_a_quick_call_of_a_tasks_client_still_answers_inline(task_client: Client, sandbox: Sandbox) -> None:
    sandbox.set_speed(100_000)
    person = sandbox.samples()["personUrls"][0]
    result = await task_client.session.call_tool("fetch_person", {"personUrl": person}, allow_claimed=True)
    assert isinstance(result, CallToolResult)
    assert data(result)["status"] == "completed"
