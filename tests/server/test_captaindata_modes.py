"""The ``captaindata`` toolset in the server's modes, through a real MCP client: the elicitation
dialog of a launch that acts on the account (accept / decline / cancel, in both protocol eras),
the core tool mode (and a capped client in auto mode), read-only mode, and a Captain Data-only
server (a Captain Data key and project, no Linked API tokens) against the emulator over HTTP.

Every check of "nothing was sent" reads the emulator's request log: no ``POST …/schedule``."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientRequestContext
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, Implementation, Tool

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import ServerState, build
from linkedapi_mcp.server.toolsets import CORE_TOOLS
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0
POLL_SPEED = 1000.0
HANDLE_TOOLS = {"get_workflow_result", "cancel_workflow", "list_workflows"}
CD_TOOLS = {"list_captaindata_workflows", "launch_captaindata_workflow"}


@pytest.fixture(autouse=True)
def _captaindata_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    # The built-in sandbox's emulator (CAPTAINDATA_API_KEY=sandbox); the Captain Data-only tests
    # set a real-looking key and the emulator's URL instead.
    monkeypatch.setenv("CAPTAINDATA_API_KEY", "sandbox")
    monkeypatch.setenv("CAPTAINDATA_PROJECT_ID", "any-project")
    monkeypatch.delenv("CAPTAINDATA_BASE_URL", raising=False)


class Human:
    """An elicitation callback that records each question and answers as told."""

    def __init__(self, action: Literal["accept", "decline", "cancel"] = "accept", confirm: bool = True) -> None:
        self.action, self.confirm = action, confirm
        self.questions: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        if self.action == "accept":
            return ElicitResult(action="accept", content={"confirm": self.confirm})
        return ElicitResult(action=self.action)


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def launches(sandbox: Sandbox) -> list[str]:
    return [e.path for e in sandbox.requests if e.method == "POST" and e.path.endswith("/schedule")]


def server(tmp_path: Path, sandbox: Sandbox | None, **update: Any) -> tuple[Any, ServerState]:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, **update)
    return build(settings, sandbox=sandbox)


def connect(
    built: tuple[Any, ServerState], *, era: str = "auto", human: Human | None = None, name: str = "pytest"
) -> Client:
    return Client(built[0], mode=era, elicitation_callback=human, client_info=Implementation(name=name, version="1"))


async def templates(client: Client) -> dict[str, dict[str, Any]]:
    listed = data(await client.call_tool("list_captaindata_workflows", {}))
    return {w["name"]: w for w in listed["workflows"]}


async def message_launch(client: Client, sandbox: Sandbox, text: str = "Hello from Captain Data") -> dict[str, Any]:
    uid = (await templates(client))["Send LinkedIn Message"]["workflowUid"]
    person = sandbox.samples()["connectionUrls"][0]
    return {
        "workflowUid": uid,
        "jobName": "greetings",
        "inputs": [{"linkedin_profile_url": person, "message": text}],
        "waitSeconds": 0,
    }


ERAS = pytest.mark.parametrize("era", ["auto", "legacy"])


# -- the elicitation dialog ------------------------------------------------------------------------


@ERAS
async def test_an_accepted_dialog_shows_what_with_which_inputs_from_which_account_and_launches_once(
    tmp_path: Path, sandbox: Sandbox, era: str
) -> None:
    human = Human()
    async with connect(server(tmp_path, sandbox, confirm="elicit-or-preview"), era=era, human=human) as client:
        args = await message_launch(client, sandbox, "Quarterly sync on Tuesday?")
        started = data(await client.call_tool("launch_captaindata_workflow", args))
        again = data(await client.call_tool("launch_captaindata_workflow", args))
    me = sandbox.samples()["me"]
    account = sandbox.captaindata.account_uid()
    person = args["inputs"][0]["linkedin_profile_url"]
    assert human.questions == [
        "Launch the Captain Data workflow «Send LinkedIn Message» (send-linkedin-message; acts on the LinkedIn "
        "account) as the job «greetings» on 1 input row(s):\n"
        f"1. linkedin_profile_url = «{person}», message = «Quarterly sync on Tuesday?»\n"
        "Parameters: the defaults\n"
        f"From the project's LinkedIn integration account (Captain Data chooses among): {me['name']} ({account})"
        " [sandbox: synthetic, nothing reaches LinkedIn]\n\nGo ahead?"
    ]  # the identical second launch was deduplicated: not asked again
    assert started["workflowId"].startswith("cd-")
    assert again["deduplicated"] is True
    assert again["workflowId"] == started["workflowId"]
    assert len(launches(sandbox)) == 1


@ERAS
@pytest.mark.parametrize("answer", ["decline", "cancel", "uncheck"])
async def test_a_declined_or_cancelled_dialog_launches_nothing(
    tmp_path: Path, sandbox: Sandbox, era: str, answer: str
) -> None:
    human = (
        Human("accept", confirm=False) if answer == "uncheck" else Human("decline" if answer == "decline" else "cancel")
    )
    async with connect(server(tmp_path, sandbox, confirm="elicit-or-preview"), era=era, human=human) as client:
        result = data(await client.call_tool("launch_captaindata_workflow", await message_launch(client, sandbox)))
    assert len(human.questions) == 1
    assert result["status"] == "declined"
    assert "nothing was sent" in result["message"]
    assert launches(sandbox) == []


async def test_the_dialog_names_the_chosen_integration_account_and_the_parameters(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    human = Human("decline")
    account = sandbox.captaindata.account_uid()
    async with connect(server(tmp_path, sandbox, confirm="elicit-or-preview"), human=human) as client:
        args = await message_launch(client, sandbox)
        args["accounts"] = [account]
        args["inputs"] = [{**args["inputs"][0], "message": f"Hi {n}"} for n in range(3)]
        await client.call_tool("launch_captaindata_workflow", args)
    [question] = human.questions
    assert "on 3 input row(s):" in question
    assert "message = «Hi 0»" in question
    assert "message = «Hi 2»" in question
    assert f"From the Captain Data integration account(s): {sandbox.samples()['me']['name']} ({account})" in question
    assert launches(sandbox) == []


async def test_a_long_launch_is_shown_in_part_and_says_how_much_is_left_out(tmp_path: Path, sandbox: Sandbox) -> None:
    human = Human("cancel")
    async with connect(server(tmp_path, sandbox, confirm="elicit-or-preview"), human=human) as client:
        args = await message_launch(client, sandbox)
        person = args["inputs"][0]["linkedin_profile_url"]
        args["inputs"] = [{"linkedin_profile_url": person, "message": f"{n}:" + "x" * 400} for n in range(22)]
        declined = data(await client.call_tool("launch_captaindata_workflow", args))
    [question] = human.questions
    assert "on 22 input row(s):" in question
    assert f"\n20. linkedin_profile_url = «{person}», message = «19:{'x' * 297}…»\n" in question
    assert "\n21. " not in question
    assert "… and 2 more row(s)." in question
    assert declined["status"] == "declined"
    assert launches(sandbox) == []


async def test_a_template_that_only_reads_is_never_asked_about(tmp_path: Path, sandbox: Sandbox) -> None:
    human = Human("decline")
    async with connect(server(tmp_path, sandbox, confirm="elicit-or-preview"), human=human) as client:
        uid = (await templates(client))["Extract LinkedIn People Profile"]["workflowUid"]
        args = {
            "workflowUid": uid,
            "jobName": "read",
            "inputs": [{"linkedin_profile_url": sandbox.samples()["personUrls"][0]}],
            "waitSeconds": 0,
        }
        started = data(await client.call_tool("launch_captaindata_workflow", args))
    assert human.questions == []
    assert started["workflowId"].startswith("cd-")
    assert len(launches(sandbox)) == 1


# -- tool modes and read-only mode -----------------------------------------------------------------


def by_name(tools: list[Tool]) -> dict[str, Tool]:
    return {t.name: t for t in tools}


@pytest.mark.parametrize(("mode", "client_name"), [("core", "pytest"), ("auto", "Cursor")])
async def test_the_core_listing_lists_the_captaindata_tools_and_they_run(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, mode: str, client_name: str
) -> None:
    monkeypatch.setenv("LINKEDAPI_MCP_TOOL_MODE", mode)
    async with connect(server(tmp_path, sandbox), name=client_name) as client:
        listed = by_name((await client.list_tools()).tools)
        started = data(await client.call_tool("launch_captaindata_workflow", await message_launch(client, sandbox)))
        sandbox.advance(HOUR)
        done = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    # The core view indeed (the other operations are behind describe_/run_operation), plus both tools.
    assert set(listed) == CORE_TOOLS | set(HANDLE_TOOLS) | {"describe_operation", "run_operation"} | CD_TOOLS
    assert done["status"] == "completed"
    assert len(launches(sandbox)) == 1


async def test_read_only_mode_lists_the_launch_as_a_read_that_runs_only_read_only_templates(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKEDAPI_MCP_READ_ONLY", "1")
    human = Human()
    async with connect(server(tmp_path, sandbox, confirm="elicit-or-preview"), human=human) as client:
        listed = by_name((await client.list_tools()).tools)
        refused = await client.call_tool("launch_captaindata_workflow", await message_launch(client, sandbox))
    launch = listed["launch_captaindata_workflow"]
    assert launch.annotations is not None
    assert launch.annotations.read_only_hint is True
    assert "confirmationId" not in launch.input_schema["properties"]
    assert "read-only mode" in (launch.description or "")
    assert "cancel_workflow" not in listed
    assert "send_message" not in listed
    assert refused.is_error
    assert "read-only mode is on" in text_of(refused)
    assert human.questions == []
    assert launches(sandbox) == []


async def test_outside_read_only_mode_the_launch_takes_a_confirmation(tmp_path: Path, sandbox: Sandbox) -> None:
    async with connect(server(tmp_path, sandbox)) as client:
        launch = by_name((await client.list_tools()).tools)["launch_captaindata_workflow"]
    assert launch.annotations is not None
    assert launch.annotations.read_only_hint is False
    assert "confirmationId" in launch.input_schema["properties"]


# -- a Captain Data-only server --------------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[ServerThread]:
    """The Captain Data emulator on a local port (its Linked API side too, which must stay unused)."""
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


@pytest.fixture
def captaindata_only(emulator: ServerThread, monkeypatch: pytest.MonkeyPatch) -> ServerThread:
    monkeypatch.setenv("CAPTAINDATA_API_KEY", "cd-live-key-0123")
    monkeypatch.setenv("CAPTAINDATA_PROJECT_ID", "proj-42")
    monkeypatch.setenv("CAPTAINDATA_BASE_URL", emulator.base_url + "/v3")
    return emulator


def linked_api_requests(sandbox: Sandbox) -> list[str]:
    return [f"{e.method} {e.path}" for e in sandbox.requests if not e.path.startswith(("/v3", "/_sandbox"))]


async def test_a_captaindata_only_server_lists_its_tools_launches_and_collects_a_job(
    tmp_path: Path, captaindata_only: ServerThread
) -> None:
    sandbox = captaindata_only.sandbox
    person = sandbox.samples()["personUrls"][0]
    built = server(tmp_path, None)
    async with connect(built) as client:
        instructions = client.instructions or ""
        listed = by_name((await client.list_tools()).tools)
        uid = (await templates(client))["Extract LinkedIn People Profile"]["workflowUid"]
        args = {"workflowUid": uid, "jobName": "one", "inputs": [{"linkedin_profile_url": person}], "waitSeconds": 0}
        started = data(await client.call_tool("launch_captaindata_workflow", args))
        refused = await client.call_tool("fetch_person", {"personUrl": person})
        jobs = data(await client.call_tool("list_workflows", {}))
        foreign = await client.call_tool("cancel_workflow", {"workflowId": "wf-1"})  # a Linked API handle
    assert set(listed) == CD_TOOLS | HANDLE_TOOLS
    assert "sandbox" not in instructions.lower()
    assert "This server runs Captain Data only" in instructions
    assert refused.is_error
    assert "Captain Data only" in text_of(refused)
    assert [w["workflowId"] for w in jobs["workflows"]] == [started["workflowId"]]
    assert foreign.is_error
    assert "this server runs Captain Data only" in text_of(foreign)
    assert jobs["backend"] == "linkedapi"  # a real service, not the sandbox
    sandbox.advance(HOUR)
    # A restarted server (same data directory) collects the job by its handle.
    async with connect(server(tmp_path, None)) as client:
        done = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert done["status"] == "completed"
    assert done["result"]["results"][0]["linkedin_profile_url"] == person
    # The first server's last connection closed its clients; a new connection gets fresh ones.
    async with connect(built) as client:
        again = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert again["result"] == done["result"]
    assert len(launches(sandbox)) == 1
    assert linked_api_requests(sandbox) == []  # nothing went to Linked API (nor a sandbox of it)
    # The key went to the emulator as Captain Data expects it, and to nothing else.
    assert built[1].sandbox is None


async def test_a_captaindata_only_server_confirms_a_message_launch_without_a_sandbox_note(
    tmp_path: Path, captaindata_only: ServerThread
) -> None:
    sandbox = captaindata_only.sandbox
    human = Human()
    async with connect(server(tmp_path, None, confirm="elicit-or-preview"), human=human) as client:
        started = data(await client.call_tool("launch_captaindata_workflow", await message_launch(client, sandbox)))
    [question] = human.questions
    assert "«Send LinkedIn Message»" in question
    assert sandbox.samples()["me"]["name"] in question
    assert "sandbox" not in question
    assert started["workflowId"].startswith("cd-")
    assert len(launches(sandbox)) == 1
    assert linked_api_requests(sandbox) == []


async def test_a_captaindata_only_server_in_core_mode_lists_the_same_tools(
    tmp_path: Path, captaindata_only: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKEDAPI_MCP_TOOL_MODE", "core")
    async with connect(server(tmp_path, None)) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("send_message", {"personUrl": "https://www.linkedin.com/in/x", "text": "Hi"})
    assert listed == CD_TOOLS | HANDLE_TOOLS  # no describe_/run_operation: nothing of Linked API to reach
    assert refused.is_error
    assert "[toolNotEnabled] send_message is not enabled: no Linked API account is configured" in text_of(refused)
    assert linked_api_requests(captaindata_only.sandbox) == []


def test_linkedapi_mcp_tools_shows_what_a_captaindata_only_server_lists(
    captaindata_only: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    from linkedapi_mcp.cli import main

    assert main(["tools", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == CD_TOOLS | HANDLE_TOOLS
    assert rows["launch_captaindata_workflow"]["effect"] == "write"
    assert main(["tools"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[0]
        .endswith("No Linked API account: Captain Data tools only. Tool mode: auto.")
    )


async def test_a_captaindata_only_stdio_server_starts_launches_and_collects(
    tmp_path: Path, captaindata_only: ServerThread
) -> None:
    sandbox = captaindata_only.sandbox
    person = sandbox.samples()["personUrls"][0]
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "linkedapi_mcp"],
        env={
            "CAPTAINDATA_API_KEY": "cd-live-key-0123",
            "CAPTAINDATA_PROJECT_ID": "proj-42",
            "CAPTAINDATA_BASE_URL": captaindata_only.base_url + "/v3",
            "LINKEDAPI_MCP_DATA_DIR": str(tmp_path / "data"),
        },
    )
    async with Client(params) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        uid = (await templates(client))["Extract LinkedIn People Profile"]["workflowUid"]
        args = {"workflowUid": uid, "jobName": "stdio", "inputs": [{"linkedin_profile_url": person}], "waitSeconds": 0}
        started = data(await client.call_tool("launch_captaindata_workflow", args))
        sandbox.advance(HOUR)
        done = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert listed == CD_TOOLS | HANDLE_TOOLS
    assert done["status"] == "completed"
    assert done["result"]["results"][0]["linkedin_profile_url"] == person
    assert len(launches(sandbox)) == 1
    assert linked_api_requests(sandbox) == []


def test_a_captaindata_only_server_started_from_a_terminal_says_so(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN")}
    env.update(
        CAPTAINDATA_API_KEY="cd-live-key-0123",
        CAPTAINDATA_PROJECT_ID="proj-42",
        CAPTAINDATA_BASE_URL="http://127.0.0.1:9/v3",  # never contacted: the banner comes first
        LINKEDAPI_MCP_DATA_DIR=str(tmp_path),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "linkedapi_mcp"], env=env, stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stderr is not None
        banner = b""
        while b"Waiting for an MCP client" not in banner:
            line = process.stderr.readline()
            if not line:
                break
            banner += line
    finally:
        process.terminate()
        process.communicate(timeout=10)
        os.close(controller)
        os.close(terminal)
    text = banner.decode()
    assert "Backend: Captain Data only, at http://127.0.0.1:9/v3" in text
    assert "SANDBOX" not in text


async def test_the_sandbox_key_beside_real_linked_api_tokens_is_refused_with_what_to_set(tmp_path: Path) -> None:
    # Otherwise the key "sandbox" goes to the real Captain Data and the user sees a bare 401.
    with ServerThread(Sandbox(seed=42, speed=0)) as upstream:
        built = server(
            tmp_path,
            None,
            linked_api_token="lat-real-0123",
            identification_token="idt-real-0123",
            base_url=upstream.base_url,
        )
        async with connect(built) as client:
            refused = await client.call_tool("list_captaindata_workflows", {})
        assert [e.path for e in upstream.sandbox.requests if e.path.startswith("/v3")] == []
    assert refused.is_error
    assert "CAPTAINDATA_API_KEY=sandbox" in text_of(refused)
    assert "Nothing was sent" in text_of(refused)
