"""Custom workflows a model can write (issue 11): the action catalogue as a tool, generated from the
table the validator uses; validation errors that name the alternatives; a definition made only of
read actions is not account-changing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from linkedapi_mcp.actions import ACTIONS, definition_effect
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED, Upstream

pytestmark = pytest.mark.anyio


def _client(tmp_path: Path, sandbox: Sandbox, **options: Any) -> Client:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, **options)
    return Client(build(settings, sandbox=sandbox)[0])


async def test_the_catalogue_is_listed_with_custom_workflows_and_describes_every_action(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    async with _client(tmp_path, sandbox, toolsets="all") as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        out = await client.call_tool("list_workflow_actions", {})
    assert {"list_workflow_actions", "execute_custom_workflow"} <= listed
    assert out.structured_content is not None
    actions = {a["actionType"]: a for a in out.structured_content["actions"]}
    assert set(actions) == set(ACTIONS)
    for name, spec in ACTIONS.items():
        assert actions[name]["then"] == sorted(spec.children)
        assert actions[name]["targets"] == list(spec.targets)
    # Parameters keep their bounds: st.retrievePersonPosts takes a limit of 1 to 20.
    limit = actions["st.retrievePersonPosts"]["parameters"]["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 20)
    assert actions["st.sendMessage"]["effect"] == "write"
    assert actions["st.searchPeople"]["effect"] == "read"


async def test_without_custom_workflows_the_catalogue_is_neither_listed_nor_callable(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINKEDAPI_MCP_TOOLSETS")
    async with _client(tmp_path, sandbox) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        out = await client.call_tool("list_workflow_actions", {})
    assert "list_workflow_actions" not in listed
    assert out.is_error
    assert "list_workflow_actions is not enabled" in "".join(getattr(b, "text", "") for b in out.content)


async def test_a_workflow_written_from_the_catalogue_alone_runs_and_a_read_only_one_needs_no_confirmation(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    async with _client(tmp_path, sandbox, toolsets="all", confirm="elicit-or-preview") as client:
        catalogue = (await client.call_tool("list_workflow_actions", {})).structured_content
        assert catalogue is not None
        actions = {a["actionType"]: a for a in catalogue["actions"]}
        # A root that searches companies, and a read the catalogue allows under it.
        root = actions["st.searchCompanies"]
        assert root["startsWorkflow"] == "yes"
        child = next(
            name for name in root["then"] if actions[name]["effect"] == "read" and not actions[name]["targets"]
        )
        definition = {"actionType": root["actionType"], "term": "software", "limit": 2, "then": {"actionType": child}}
        read = await client.call_tool("execute_custom_workflow", {"definition": definition, "waitSeconds": 0})
        # The same shape with a message under each found person is a write: previewed, not sent.
        people = actions["st.searchPeople"]
        assert "st.doForPeople" in people["then"]
        assert "st.sendMessage" in actions["st.doForPeople"]["then"]
        write_definition = {
            "actionType": "st.searchPeople",
            "term": "engineer",
            "limit": 1,
            "then": {"actionType": "st.doForPeople", "then": {"actionType": "st.sendMessage", "text": "Hi"}},
        }
        write = await client.call_tool("execute_custom_workflow", {"definition": write_definition, "waitSeconds": 0})
    assert read.structured_content is not None
    assert read.structured_content["status"] == "pending", read.content
    assert write.structured_content is not None
    assert write.structured_content["status"] == "confirmation_required"
    assert upstream.posts == 1  # only the read-only workflow was started


def test_a_definitions_effect_is_its_strongest_actions() -> None:
    search = {"actionType": "st.searchPeople", "term": "x"}
    assert definition_effect(search) == "read"
    assert definition_effect([search, {"actionType": "st.syncInbox"}]) == "monitor"
    message = {"actionType": "st.doForPeople", "then": {"actionType": "st.sendMessage", "text": "Hi"}}
    assert definition_effect({**search, "then": message}) == "write"


async def test_an_unknown_action_type_is_refused_with_the_allowed_alternatives(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    definition = {"actionType": "st.searchPeople", "term": "x", "then": {"actionType": "st.doForPerson"}}
    async with _client(tmp_path, sandbox, toolsets="all") as client:
        out = await client.call_tool("execute_custom_workflow", {"definition": definition})
    text = "".join(getattr(b, "text", "") for b in out.content)
    assert out.is_error
    assert "unknown actionType; did you mean st.doForPeople" in text
    assert "list_workflow_actions" in text
    assert upstream.total == 0
