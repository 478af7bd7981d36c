"""The ``captaindata`` toolset through a real MCP client (in memory) on the sandbox's Captain Data
emulator: the templates listed with their inputs and read-only flags, each template launched and
collected with get_workflow_result, the handle in list_workflows, collection by a restarted server,
cancel, the confirmation and dedupe of a launch that sends messages, a bad launch refused before
sending, and a lost launch answer that is never sent twice (the emulator's request log)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, Implementation

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0
POLL_SPEED = 1000.0


@pytest.fixture(autouse=True)
def _captaindata_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPTAINDATA_API_KEY", "sandbox")
    monkeypatch.setenv("CAPTAINDATA_PROJECT_ID", "test-project")


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


class Server:
    def __init__(self, data_dir: Path, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.built = build(Settings(data_dir=data_dir, sandbox_speed=POLL_SPEED), sandbox=sandbox)

    async def session(self) -> AsyncIterator[Client]:
        async with Client(self.built[0], client_info=Implementation(name="pytest", version="1")) as c:
            yield c


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=42, speed=0)


@pytest.fixture
async def client(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[Client]:
    async for c in Server(tmp_path / "data", sandbox).session():
        yield c


def launches(sandbox: Sandbox) -> list[str]:
    return [e.path for e in sandbox.requests if e.method == "POST" and e.path.endswith("/schedule")]


async def templates(client: Client) -> dict[str, dict[str, Any]]:
    listed = data(await client.call_tool("list_captaindata_workflows", {}))
    return {w["name"]: w for w in listed["workflows"]}


async def test_the_toolset_lists_templates_with_inputs_and_which_only_read(client: Client) -> None:
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"list_captaindata_workflows", "launch_captaindata_workflow", "get_workflow_result"} <= names
    found = await templates(client)
    assert {name: w["readOnly"] for name, w in found.items()} == {
        "Extract LinkedIn People Profile": True,
        "Search LinkedIn People": True,
        "Extract LinkedIn Company Employees": True,
        "Send LinkedIn Message": False,
    }
    message = found["Send LinkedIn Message"]
    assert [i["key"] for i in message["inputs"]] == ["linkedin_profile_url", "message"]
    assert found["Search LinkedIn People"]["parameters"] == {"max_results": 50}


async def test_each_template_launches_and_get_workflow_result_collects_it(client: Client, sandbox: Sandbox) -> None:
    samples = sandbox.samples()
    found = await templates(client)
    cases = {
        "Extract LinkedIn People Profile": [{"linkedin_profile_url": samples["personUrls"][0]}],
        "Search LinkedIn People": [{"keywords": "engineer"}],
        "Extract LinkedIn Company Employees": [{"linkedin_company_url": samples["companyUrls"][0]}],
        "Send LinkedIn Message": [{"linkedin_profile_url": samples["connectionUrls"][0], "message": "Hi"}],
    }
    handles = {}
    for name, inputs in cases.items():
        args = {"workflowUid": found[name]["workflowUid"], "jobName": name, "inputs": inputs, "waitSeconds": 0}
        started = data(await client.call_tool("launch_captaindata_workflow", args))
        assert started["status"] in ("pending", "running"), started
        handles[name] = started["workflowId"]
    listed = data(await client.call_tool("list_workflows", {}))
    assert set(handles.values()) <= {w["workflowId"] for w in listed["workflows"]}
    sandbox.advance(HOUR)
    for name, handle in handles.items():
        done = data(await client.call_tool("get_workflow_result", {"workflowId": handle}))
        assert done["status"] == "completed", (name, done)
        assert done["result"]["results"], name
    assert len(launches(sandbox)) == 4


async def test_a_restarted_server_collects_the_job_and_cancel_stops_another(tmp_path: Path) -> None:
    # A persistent sandbox account (as the embedded one): its ledger account outlives a server.
    sandbox = Sandbox(seed=42, speed=0, persist_to=tmp_path / "account.pickle")
    person = sandbox.samples()["personUrls"][0]
    first = Server(tmp_path / "data", sandbox)
    async for client in first.session():
        uid = (await templates(client))["Extract LinkedIn People Profile"]["workflowUid"]
        args = {"workflowUid": uid, "inputs": [{"linkedin_profile_url": person}], "waitSeconds": 0}
        handle = data(await client.call_tool("launch_captaindata_workflow", {**args, "jobName": "a"}))["workflowId"]
        other = data(await client.call_tool("launch_captaindata_workflow", {**args, "jobName": "b"}))["workflowId"]
    second = Server(tmp_path / "data", sandbox)  # a new process on the same data directory
    async for client in second.session():
        stopped = data(await client.call_tool("cancel_workflow", {"workflowId": other}))
        assert stopped["cancelled"] is True
        sandbox.advance(HOUR)
        done = data(await client.call_tool("get_workflow_result", {"workflowId": handle}))
    assert done["status"] == "completed"
    assert done["result"]["results"][0]["linkedin_profile_url"] == person


async def test_a_message_launch_is_confirmed_first_then_sent_once_and_deduplicated(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKEDAPI_MCP_CONFIRM", "elicit-or-preview")
    connection = sandbox.samples()["connectionUrls"][0]
    async for client in Server(tmp_path / "data", sandbox).session():
        uid = (await templates(client))["Send LinkedIn Message"]["workflowUid"]
        args = {
            "workflowUid": uid,
            "jobName": "hello",
            "inputs": [{"linkedin_profile_url": connection, "message": "Hello there"}],
            "waitSeconds": 0,
        }
        preview = data(await client.call_tool("launch_captaindata_workflow", args))
        assert preview["status"] == "confirmation_required"
        assert "Hello there" in preview["message"]
        assert launches(sandbox) == []
        sent = data(
            await client.call_tool("launch_captaindata_workflow", {**args, "confirmationId": preview["confirmationId"]})
        )
        again = data(
            await client.call_tool("launch_captaindata_workflow", {**args, "confirmationId": preview["confirmationId"]})
        )
    assert sent["workflowId"].startswith("cd-")
    assert again["workflowId"] == sent["workflowId"]
    assert len(launches(sandbox)) == 1


async def test_a_launch_that_does_not_fit_the_template_is_refused_with_nothing_sent(
    client: Client, sandbox: Sandbox
) -> None:
    uid = (await templates(client))["Send LinkedIn Message"]["workflowUid"]
    refused = await client.call_tool(
        "launch_captaindata_workflow",
        {"workflowUid": uid, "jobName": "x", "inputs": [{"linkedin_profile_url": "https://www.linkedin.com/in/a"}]},
    )
    assert refused.is_error
    assert "missing ['message']" in text_of(refused)
    assert "Nothing was sent" in text_of(refused)
    assert launches(sandbox) == []


@pytest.mark.parametrize("fault", ["dropAfterAccept", "serverError"])
async def test_a_lost_launch_answer_is_outcome_unknown_and_never_sent_twice(
    client: Client, sandbox: Sandbox, fault: str
) -> None:
    uid = (await templates(client))["Send LinkedIn Message"]["workflowUid"]
    args = {
        "workflowUid": uid,
        "jobName": "once",
        "inputs": [{"linkedin_profile_url": sandbox.samples()["connectionUrls"][0], "message": "Once"}],
        "waitSeconds": 0,
    }
    sandbox.faults.add(fault, method="POST", path="/v3/workflows")
    first = data(await client.call_tool("launch_captaindata_workflow", args))
    second = data(await client.call_tool("launch_captaindata_workflow", args))
    assert first["status"] == "outcome_unknown"
    assert second["status"] == "outcome_unknown"
    assert len(launches(sandbox)) == 1


async def test_reads_ride_out_injected_faults(client: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add("serverError", method="GET", path="/v3/workflows")
    sandbox.faults.add("rateLimit", method="GET", path="/v3/workflows", seconds=0)
    found = await templates(client)
    assert len(found) == 4
    assert [e.fault for e in sandbox.requests if e.fault] == ["serverError", "rateLimit"]


async def test_read_only_mode_refuses_a_launch_that_acts_on_the_account_and_runs_a_read(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKEDAPI_MCP_READ_ONLY", "1")
    samples = sandbox.samples()
    async for client in Server(tmp_path / "data", sandbox).session():
        found = await templates(client)
        refused = await client.call_tool(
            "launch_captaindata_workflow",
            {
                "workflowUid": found["Send LinkedIn Message"]["workflowUid"],
                "jobName": "no",
                "inputs": [{"linkedin_profile_url": samples["connectionUrls"][0], "message": "Hi"}],
            },
        )
        read = await client.call_tool(
            "launch_captaindata_workflow",
            {
                "workflowUid": found["Extract LinkedIn People Profile"]["workflowUid"],
                "jobName": "yes",
                "inputs": [{"linkedin_profile_url": samples["personUrls"][0]}],
                "waitSeconds": 0,
            },
        )
    assert refused.is_error
    assert "read-only mode" in text_of(refused)
    assert not read.is_error
    assert len(launches(sandbox)) == 1


async def test_a_new_connection_after_the_last_one_closed_still_reaches_captain_data(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    server = Server(tmp_path / "data", sandbox)
    async for client in server.session():
        assert len(await templates(client)) == 4
    # The last connection's end closed the HTTP clients; the next connection gets fresh ones.
    async for client in server.session():
        assert len(await templates(client)) == 4
        uid = (await templates(client))["Extract LinkedIn People Profile"]["workflowUid"]
        args = {
            "workflowUid": uid,
            "jobName": "again",
            "inputs": [{"linkedin_profile_url": sandbox.samples()["personUrls"][0]}],
        }
        started = data(await client.call_tool("launch_captaindata_workflow", {**args, "waitSeconds": 0}))
        sandbox.advance(HOUR)
        done = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert done["status"] == "completed"
