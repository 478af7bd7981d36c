"""The conformance server (tools/conformance_server.py) through a real MCP client, in memory.

It is the product's server plus the conformance suite's fixtures: a tasks client's ``slow_compute``
becomes a task through our tasks extension (its TaskSource seam) and ``tasks/get`` follows it to
its inlined result; ``tasks/cancel`` settles it as cancelled; a task waiting for input is
``input_required`` until ``tasks/update`` answers; a client without the extension gets the result
in the call. The product's own listing has none of the fixtures.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.types import Implementation
from mcp_types import Request, RequestParams, Result
from pydantic import ConfigDict, Field

from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.conformance_server import build_conformance_server  # noqa: E402

pytestmark = pytest.mark.anyio

TASKS = "io.modelcontextprotocol/tasks"


class Created(Result):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    result_type: str = Field(alias="resultType")
    task_id: str = Field(alias="taskId")
    status: str


class State(Result):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    task_id: str = Field(alias="taskId")
    status: str
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    input_requests: dict[str, Any] | None = Field(None, alias="inputRequests")


class Raw(Result):
    model_config = ConfigDict(extra="allow")


class TaskParams(RequestParams):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    task_id: str = Field(alias="taskId")


class CallParams(RequestParams):
    name: str
    arguments: dict[str, Any]


class Declares(ClientExtension):
    identifier = TASKS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", auth="none")


async def _client(server: Any, *, tasks: bool) -> AsyncIterator[Client]:
    extensions = [Declares()] if tasks else []
    async with Client(server, extensions=extensions, client_info=Implementation(name="pytest", version="1")) as c:
        yield c


@pytest.fixture
async def tasks_client(settings: Settings) -> AsyncIterator[Client]:
    async for c in _client(build_conformance_server(0, settings), tasks=True):
        yield c


async def call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    request = Request[CallParams, str](method="tools/call", params=CallParams(name=name, arguments=arguments))
    return (await client.session.send_request(request, Raw)).model_dump(by_alias=True)


async def get(client: Client, task_id: str) -> State:
    request = Request[TaskParams, str](method="tasks/get", params=TaskParams(task_id=task_id))
    return await client.session.send_request(request, State)


async def ack(client: Client, method: str, task_id: str, **extra: Any) -> dict[str, Any]:
    request = Request[TaskParams, str](method=method, params=TaskParams(task_id=task_id, **extra))
    return (await client.session.send_request(request, Raw)).model_dump(by_alias=True)


async def until(client: Client, task_id: str, statuses: set[str]) -> State:
    with anyio.fail_after(10):
        while True:
            state = await get(client, task_id)
            if state.status in statuses:
                return state
            await anyio.sleep(0.02)


async def test_slow_compute_becomes_a_task_that_tasks_get_follows_to_its_result(tasks_client: Client) -> None:
    created = await call(tasks_client, "slow_compute", {"seconds": 0.1, "label": "x"})
    assert created["resultType"] == "task"
    assert "ttlMs" in created  # on the wire even when null (the extension requires the field)
    done = await until(tasks_client, created["taskId"], {"completed", "failed", "cancelled"})
    assert done.status == "completed"
    assert done.result is not None
    assert done.result["content"][0]["text"] == "Computed x after 0.1 s"


async def test_a_cancelled_fixture_task_settles_as_cancelled(tasks_client: Client) -> None:
    created = await call(tasks_client, "slow_compute", {"seconds": 60})
    answer = await ack(tasks_client, "tasks/cancel", created["taskId"])
    assert "taskId" not in answer
    assert (await until(tasks_client, created["taskId"], {"cancelled", "completed"})).status == "cancelled"


async def test_a_protocol_error_fails_the_task_and_a_tool_error_completes_it(tasks_client: Client) -> None:
    failed = await call(tasks_client, "protocol_error_job", {})
    state = await until(tasks_client, failed["taskId"], {"completed", "failed"})
    assert state.status == "failed"
    assert state.error is not None
    assert state.result is None
    erring = await call(tasks_client, "failing_job", {})
    state = await until(tasks_client, erring["taskId"], {"completed", "failed"})
    assert state.status == "completed"
    assert state.result is not None
    assert state.result["isError"] is True


async def test_a_task_waits_for_input_until_tasks_update_answers(tasks_client: Client) -> None:
    created = await call(tasks_client, "confirm_delete", {"filename": "a.txt"})
    asked = await until(tasks_client, created["taskId"], {"input_required"})
    assert asked.input_requests is not None
    assert list(asked.input_requests) == ["confirm"]
    await ack(
        tasks_client,
        "tasks/update",
        created["taskId"],
        inputResponses={"confirm": {"action": "accept", "content": {"confirm": True}}},
    )
    done = await until(tasks_client, created["taskId"], {"completed", "failed", "cancelled"})
    assert done.result is not None
    assert done.result["content"][0]["text"] == "Deleted a.txt"


async def test_a_client_without_the_extension_gets_the_result_in_the_call(settings: Settings) -> None:
    async for plain in _client(build_conformance_server(0, settings), tasks=False):
        result = await plain.call_tool("slow_compute", {"seconds": 0, "label": "now"})
        assert result.content[0].text == "Computed now after 0 s"  # type: ignore[union-attr]


async def test_the_fixtures_are_not_in_the_products_listing(settings: Settings) -> None:
    async for product in _client(build(settings)[0], tasks=False):
        names = {tool.name for tool in (await product.list_tools()).tools}
        assert names
        assert not names & {"greet", "slow_compute", "test_simple_text", "failing_job"}
