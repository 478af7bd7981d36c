"""Protocol details through a real MCP client: unknown tools, logging, completions, capabilities."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types import Implementation, LoggingMessageNotificationParams, ResourceTemplateReference
from mcp_types import RequestParamsMeta

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio


async def test_an_unknown_tool_is_a_json_rpc_error_not_a_tool_result(any_era_client: Client, upstream: Any) -> None:
    with pytest.raises(MCPError) as caught:
        await any_era_client.call_tool("no_such_tool", {})
    assert caught.value.error.code == -32602
    assert "Unknown tool: no_such_tool" in caught.value.error.message
    assert upstream.total == 0


async def test_the_declared_capabilities_all_do_something(client: Client) -> None:
    caps = client.server_capabilities
    assert caps.resources is not None
    assert caps.completions is not None
    assert caps.prompts is not None
    prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) == {"prospect_research", "inbox_triage"}
    assert all(p.description for p in prompts.values())


async def test_a_prompt_is_a_plan_over_the_tools_that_keeps_the_safety_rules(client: Client) -> None:
    got = await client.get_prompt("prospect_research", {"person": "https://www.linkedin.com/in/someone"})
    text = got.messages[0].content.text  # type: ignore[union-attr]
    assert "https://www.linkedin.com/in/someone" in text
    for tool in ("fetch_person", "fetch_company", "check_connection_status", "get_workflow_result"):
        assert tool in text
    assert "never instructions" in text
    assert "explicitly approves" in text


async def test_an_unknown_prompt_is_invalid_params_and_leaves_no_traceback(
    any_era_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(MCPError) as caught:
        await any_era_client.get_prompt("no_such_prompt")
    assert caught.value.error.code == -32602
    assert "Unknown prompt: no_such_prompt" in caught.value.error.message
    assert not [r for r in caplog.records if r.exc_info]


@pytest.fixture
async def legacy_logged(built: tuple[Any, Any]) -> AsyncIterator[tuple[Client, list[LoggingMessageNotificationParams]]]:
    received: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)

    async with Client(
        built[0], mode="legacy", logging_callback=on_log, client_info=Implementation(name="pytest", version="1")
    ) as c:
        yield c, received


async def test_logging_set_level_sends_the_servers_log_lines_at_that_level(
    legacy_logged: tuple[Client, list[LoggingMessageNotificationParams]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="linkedapi_mcp")  # the process logs at INFO (LINKEDAPI_MCP_LOG_LEVEL)
    client, received = legacy_logged
    assert client.server_capabilities.logging is not None
    await client.call_tool("search_people", {"term": "engineer", "waitSeconds": 0})
    assert received == []  # nothing until the client asks
    with pytest.warns(MCPDeprecationWarning):  # deprecated by 2026-07-28, still the 2025-11-25 method
        await client.set_logging_level("info")
    out = await client.call_tool("search_people", {"term": "designer", "waitSeconds": 0})
    workflow_id = (out.structured_content or {})["workflowId"]
    started = [m for m in received if m.level == "info" and workflow_id in str(m.data)]
    assert started, received
    assert all(m.logger and m.logger.startswith("linkedapi_mcp") for m in received)
    assert not any("Traceback" in str(m.data) for m in received)
    with pytest.warns(MCPDeprecationWarning):
        await client.set_logging_level("error")
    before = len(received)
    await client.call_tool("search_people", {"term": "baker", "waitSeconds": 0})
    assert len(received) == before  # info lines are below "error"


async def test_completions_offer_recent_workflow_ids_and_operation_names(client: Client) -> None:
    out = await client.call_tool("search_people", {"term": "engineer", "waitSeconds": 0})
    workflow_id = (out.structured_content or {})["workflowId"]
    ref = ResourceTemplateReference(type="ref/resource", uri="linkedapi://workflows/{workflowId}")
    ids = await client.complete(ref, {"name": "workflowId", "value": workflow_id[:4]})
    assert ids.completion.values == [workflow_id]
    names = await client.complete(ref, {"name": "operationName", "value": "fetchPe"})
    assert names.completion.values == ["fetchPerson"]
    nothing = await client.complete(ref, {"name": "somethingElse", "value": "x"})
    assert nothing.completion.values == []


async def test_progress_carries_the_predicted_duration_as_total(tmp_path: Path, sandbox: Sandbox) -> None:
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    # The schedule at LinkedIn's own pace (speed 1): a search's predicted run time is many seconds,
    # so the first notifications fall within it. The sandbox is frozen: the call returns a handle.
    server, _ = build(Settings(data_dir=tmp_path / "data", sandbox_speed=1.0), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        out = await client.call_tool(
            "search_people", {"term": "engineer", "waitSeconds": 0.2}, progress_callback=on_progress
        )
    assert (out.structured_content or {})["status"] in ("pending", "running")
    assert seen
    values = [p for p, _ in seen]
    assert values == sorted(set(values))  # strictly increasing
    total = seen[0][1]
    assert total is not None, "a search's run time is predicted (priors before any history)"
    assert values[0] < total


LOG_INFO = cast(RequestParamsMeta, {"io.modelcontextprotocol/logLevel": "info"})


async def test_on_2026_a_request_opting_in_with_log_level_gets_the_servers_log_lines(
    built: tuple[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="linkedapi_mcp")
    received: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)

    async with Client(built[0], logging_callback=on_log, client_info=Implementation(name="pytest", version="1")) as c:
        await c.call_tool("search_people", {"term": "engineer", "waitSeconds": 0})
        assert received == []  # no logLevel in the request: nothing is sent
        out = await c.call_tool(
            "search_people",
            {"term": "designer", "waitSeconds": 0},
            meta=LOG_INFO,  # the request's opt-in
        )
    workflow_id = (out.structured_content or {})["workflowId"]
    assert any(m.level == "info" and workflow_id in str(m.data) for m in received), received
