"""Workflows as resources through a real MCP client: template, listing, read, push on completion."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.types import Implementation, ResourceUpdatedNotification, TextResourceContents

from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio
HOUR = 3600.0


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    """SQLite and PostgreSQL: a watcher is woken by the store's change notifications."""
    return both_stores


async def start(client: Client, term: str = "engineer") -> str:
    out = await client.call_tool("search_people", {"term": term, "waitSeconds": 0})
    workflow_id = (out.structured_content or {})["workflowId"]
    assert isinstance(workflow_id, str)
    return workflow_id


async def test_the_template_and_the_listing_show_the_callers_workflows(any_era_client: Client) -> None:
    templates = await any_era_client.list_resource_templates()
    assert [t.uri_template for t in templates.resource_templates] == ["linkedapi://workflows/{workflowId}"]
    first, second = await start(any_era_client), await start(any_era_client, "designer")
    listed = await any_era_client.list_resources()
    assert [r.uri for r in listed.resources] == [f"linkedapi://workflows/{i}" for i in (second, first)]


async def test_a_read_returns_what_get_workflow_result_returns(client: Client, sandbox: Sandbox) -> None:
    workflow_id = await start(client)
    sandbox.advance(HOUR)
    read = await client.read_resource(f"linkedapi://workflows/{workflow_id}")
    [content] = read.contents
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "application/json"
    envelope = json.loads(content.text)
    tool = await client.call_tool("get_workflow_result", {"workflowId": workflow_id})
    assert envelope == tool.structured_content
    assert envelope["status"] == "completed"


async def test_an_unknown_workflow_is_resource_not_found(client: Client) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource("linkedapi://workflows/wf-nobody")
    assert caught.value.error.code == -32602


async def test_a_2026_listen_stream_is_told_when_the_workflow_finishes(
    client: Client, sandbox: Sandbox, upstream: Any
) -> None:
    workflow_id = await start(client)
    uri = f"linkedapi://workflows/{workflow_id}"
    async with client.listen(resource_subscriptions=[uri]) as sub:
        await upstream.until(lambda: upstream.gets >= 1)  # the watcher polls
        sandbox.advance(HOUR)
        with anyio.fail_after(20):
            event = await sub.__anext__()
    assert getattr(event, "uri", None) == uri
    read = await client.read_resource(uri)
    assert json.loads(read.contents[0].text)["status"] == "completed"  # type: ignore[union-attr]


class Updates:
    def __init__(self) -> None:
        self.uris: list[str] = []
        self.arrived = anyio.Event()

    async def __call__(self, message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            self.uris.append(str(message.params.uri))
            self.arrived.set()


@pytest.fixture
async def legacy_updates(built: tuple[Any, Any]) -> AsyncIterator[tuple[Client, Updates]]:
    updates = Updates()
    async with Client(
        built[0], mode="legacy", message_handler=updates, client_info=Implementation(name="pytest", version="1")
    ) as c:
        yield c, updates


async def test_resources_subscribe_sends_updated_when_the_workflow_finishes(
    legacy_updates: tuple[Client, Updates], sandbox: Sandbox, upstream: Any
) -> None:
    client, updates = legacy_updates
    assert client.server_capabilities.resources is not None
    assert client.server_capabilities.resources.subscribe is True
    workflow_id = await start(client)
    uri = f"linkedapi://workflows/{workflow_id}"
    with pytest.warns(MCPDeprecationWarning):  # removed by 2026-07-28, the 2025-11-25 method
        await client.subscribe_resource(uri)
    await upstream.until(lambda: upstream.gets >= 1)
    assert updates.uris == []
    sandbox.advance(HOUR)
    with anyio.fail_after(20):
        await updates.arrived.wait()
    assert updates.uris == [uri]
