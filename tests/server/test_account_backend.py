"""The MCP server on the Account API generation (issue 16): ``LINKEDAPI_MCP_API=account`` (origin 000)
and ``account-002`` (origin 002), driven through a real in-memory MCP client against the sandbox
serving that vocabulary. The same calls give the same results as on ``/workflows``; faults of the
start follow the retry rules (outcome unknown, never re-sent) as the sandbox's request log shows.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, Implementation
from pydantic import SecretStr

from linkedapi_mcp.catalog.operations import CATALOG
from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.sandbox.server import base_url_of, bind
from linkedapi_mcp.server.account_hooks import mac
from linkedapi_mcp.server.app import build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import ConfigurationError, Settings

POLL_SPEED = 1000.0  # as tests/server/conftest.py: the server polls as if the sandbox ran 1000x faster
pytestmark = pytest.mark.anyio

HOUR = 3600.0
VERSIONS = {"account": "000", "account-002": "002"}
HOOK_SECRET = "account-hook-secret"


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


class Server:
    """One MCP server on one sandbox, on the given API generation."""

    def __init__(
        self, tmp: Path, api: str, *, speed: float = 0, poll_speed: float = POLL_SPEED, **settings: Any
    ) -> None:
        self.sandbox = Sandbox(seed=42, speed=speed, account_api=VERSIONS.get(api, "000"))
        self.settings = Settings(data_dir=tmp / api, sandbox_speed=poll_speed, api=api, **settings)
        self.built = build(self.settings, sandbox=self.sandbox)

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for r in self.sandbox.requests if r.method == method and r.path.startswith(prefix))


async def session(server: Server) -> AsyncIterator[Client]:
    async with Client(server.built[0], client_info=Implementation(name="pytest", version="1")) as c:
        yield c


def calls(samples: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every workflow operation of the catalog once (reads, monitors, writes, Sales Navigator, custom),
    plus an action error; writes come after the reads they would change."""
    special = samples["special"]
    person, other, connection = samples["personUrls"][0], samples["personUrls"][1], samples["connectionUrls"][0]
    post, comment, thread = samples["postUrls"][0], special["commentUrl"], samples["threadIds"][0]
    return [
        ("fetch_person", {"personUrl": person, "retrieveSkills": True, "retrieveExperience": True}),
        ("fetch_company", {"companyUrl": samples["companyUrls"][0], "retrieveEmployees": True}),
        ("fetch_post", {"postUrl": post, "retrieveComments": True}),
        ("fetch_job", {"jobUrl": samples["jobUrls"][0]}),
        ("search_people", {"term": "engineer", "limit": 3}),
        ("search_companies", {"term": "analytics", "limit": 2}),
        ("search_posts", {"term": "data", "limit": 2}),
        ("search_jobs", {"term": "engineer", "limit": 2}),
        ("check_connection_status", {"personUrl": samples["pendingUrls"][0]}),
        ("retrieve_pending_requests", {}),
        ("retrieve_invitations", {}),
        ("retrieve_connections", {"limit": 3}),
        ("retrieve_feed", {"limit": 3}),
        ("retrieve_profile_viewers", {"limit": 3}),
        ("retrieve_ssi", {}),
        ("retrieve_performance", {}),
        ("nv_fetch_person", {"personHashedUrl": samples["hashedPersonUrls"][0]}),
        ("nv_fetch_company", {"companyHashedUrl": samples["nvCompanyUrls"][0]}),
        ("nv_search_people", {"term": "engineer", "limit": 2}),
        ("nv_search_companies", {"term": "analytics", "limit": 2}),
        ("sync_conversation", {"personUrl": connection}),
        ("nv_sync_conversation", {"personUrl": samples["hashedPersonUrls"][1]}),
        ("sync_inbox", {}),
        ("nv_sync_inbox", {}),
        ("sync_network", {}),
        ("send_message", {"personUrl": connection, "text": "Coffee next week?"}),
        ("nv_send_message", {"personUrl": samples["hashedPersonUrls"][0], "text": "Hello", "subject": "Hi"}),
        ("manage_conversation", {"threadId": thread, "operation": "star"}),
        ("nv_manage_conversation", {"threadId": special["nvThreadId"], "operation": "archive"}),
        ("send_connection_request", {"personUrl": other}),
        ("withdraw_connection_request", {"personUrl": samples["pendingUrls"][1]}),
        ("accept_invitation", {"invitationType": "connect", "personUrl": special["incomingInvitationPerson"]}),
        ("ignore_invitation", {"invitationType": "connect", "personUrl": special["incomingInvitationPerson"]}),
        ("remove_connection", {"personUrl": samples["connectionUrls"][1]}),
        ("react_to_post", {"postUrl": samples["postUrls"][1], "type": "like"}),
        ("comment_on_post", {"postUrl": post, "text": "Well put."}),
        ("react_to_comment", {"commentUrl": comment, "type": "like"}),
        ("reply_to_comment", {"commentUrl": comment, "text": "Agreed."}),
        ("create_post", {"text": "Notes from this week."}),
        ("create_repost", {"postUrl": samples["postUrls"][1]}),
        ("endorse_person_skill", {"personUrl": special["endorsableConnection"], "skillName": "SQL"}),
        ("endorse_person_skills", {"personUrl": special["endorsableConnection"], "skillNamePatterns": ["Python"]}),
        ("execute_custom_workflow", {"definition": {"actionType": "st.retrieveSSI"}}),
        ("fetch_person", {"personUrl": "https://www.linkedin.com/in/nobody-here-xyz"}),  # an action error
    ]


def test_the_calls_cover_every_workflow_operation_of_the_catalog() -> None:
    tools = {tool for tool, _ in calls(Sandbox(seed=42, speed=0).samples())}
    assert tools == {op.tool for op in CATALOG.values() if op.kind == "workflow"}


def outcome_of(result: CallToolResult) -> tuple[Any, ...]:
    """What a user sees of a finished call: its status, result and partial errors, or its error text
    (without the SDK's "Error executing tool <name>: ", which names the tool that answered)."""
    if result.is_error:
        return ("error", re.sub(r"^Error executing tool \w+: ", "", text_of(result)))
    out = data(result)
    return (out["status"], out.get("result"), out.get("errors"))


def upstream(sandbox: Sandbox, since: int = 0) -> list[tuple[str, str]]:
    """The sandbox's request log (method, path), from entry ``since`` on."""
    return [(r.method, r.path) for r in list(sandbox.requests)[since:]]


START = ("POST", "/account/workflow")


async def outcomes(tmp: Path, api: str) -> list[Any]:
    """Each call started with no wait (a handle), the clock moved on, then get_workflow_result."""
    server = Server(tmp, api)
    seen: list[Any] = []
    async for client in session(server):
        for tool, args in calls(server.sandbox.samples()):
            started = await client.call_tool(tool, {**args, "waitSeconds": 0})
            if started.is_error:
                seen.append(outcome_of(started))
                continue
            handle = data(started)["workflowId"]
            assert data(started)["status"] in ("pending", "running")
            server.sandbox.advance(HOUR)
            seen.append(outcome_of(await client.call_tool("get_workflow_result", {"workflowId": handle})))
    if api != "workflows":
        assert server.count("POST", "/workflows") == server.count("GET", "/workflows") == 0
    starts = server.count("POST", "/workflows" if api == "workflows" else "/account/workflow")
    seen.append(("starts", starts))
    return seen


_BASELINE: list[Any] = []  # the /workflows outcomes, computed once per run


async def baseline(tmp: Path) -> list[Any]:
    if not _BASELINE:
        _BASELINE.extend(await outcomes(tmp, "workflows"))
    return _BASELINE


@pytest.mark.parametrize("api", ["account", "account-002"])
async def test_catalog_operations_give_the_same_results_as_on_workflows(tmp_path: Path, api: str) -> None:
    expected = await baseline(tmp_path)
    got = await outcomes(tmp_path, api)
    assert [status for status, *_ in got] == [status for status, *_ in expected]
    assert got == expected
    assert expected[-2][0] == "error"  # the set covers action errors
    assert "[personNotFound]" in expected[-2][1]
    assert expected[-1] == ("starts", len(calls(Sandbox(seed=42, speed=0).samples())))


@pytest.fixture(params=["account", "account-002"])
async def account(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Server, Client]]:
    server = Server(tmp_path, str(request.param))
    async for client in session(server):
        yield server, client


async def test_the_handle_is_the_result_link_and_any_server_can_poll_it(
    account: tuple[Server, Client], tmp_path: Path
) -> None:
    server, client = account
    started = data(await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0}))
    handle = started["workflowId"]
    (workflow,) = server.sandbox.workflows()
    assert workflow["workflowId"].removeprefix("wf-").replace("-", "").startswith(handle)
    server.sandbox.advance(HOUR)
    # A second server process with an empty ledger: the handle alone (plus the operation) suffices.
    other = Server(tmp_path / "other", server.settings.api)
    other.sandbox = server.sandbox
    other.built = build(other.settings, sandbox=server.sandbox)
    async for second in session(other):
        out = data(
            await second.call_tool("get_workflow_result", {"workflowId": handle, "operationName": "searchPeople"})
        )
    assert out["status"] == "completed"
    assert len(out["result"]) == 2


async def test_a_failed_workflow_is_the_same_error_as_on_workflows(account: tuple[Server, Client]) -> None:
    server, client = account
    started = data(await client.call_tool("search_people", {"term": "pilot", "waitSeconds": 0}))
    server.sandbox.sign_out()
    result = await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]})
    assert result.is_error
    assert "[linkedinAccountSignedOut]" in text_of(result)
    assert "reconnect" in text_of(result)


async def test_cancel_says_plainly_that_this_generation_has_none(account: tuple[Server, Client]) -> None:
    server, client = account
    started = data(await client.call_tool("search_people", {"term": "chef", "waitSeconds": 0}))
    result = await client.call_tool("cancel_workflow", {"workflowId": started["workflowId"]})
    assert result.is_error
    assert "[cancelNotSupported]" in text_of(result)
    assert "has no cancel" in text_of(result)
    assert "does not know" not in text_of(result)  # said by this server, not an unknown Linked API error
    server.sandbox.advance(HOUR)
    out = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert out["status"] == "completed"  # it ran to its end


async def test_a_malformed_result_link_is_outcome_unknown_and_nothing_is_followed(
    account: tuple[Server, Client],
) -> None:
    server, client = account
    server.sandbox.faults.add("malformedResultLink")
    args = {"personUrl": server.sandbox.samples()["connectionUrls"][1], "text": "Garbled link"}
    first = data(await client.call_tool("send_message", args))
    assert first["status"] == "outcome_unknown"
    assert len(server.sandbox.workflows()) == 1  # it was created: exactly why it is not sent again
    again = data(await client.call_tool("send_message", args))
    assert again["deduplicated"]
    assert server.count("POST", "/account/workflow") == 1
    assert server.count("GET", "/account/results/") == 0


async def test_html_5xx_on_the_result_link_are_ridden_out(account: tuple[Server, Client]) -> None:
    server, client = account
    started = data(await client.call_tool("search_companies", {"term": "freight", "waitSeconds": 0}))
    server.sandbox.advance(HOUR)
    server.sandbox.faults.add("serverError", method="GET", path="/account/results/", count=2)
    out = data(await client.call_tool("get_workflow_result", {"workflowId": started["workflowId"]}))
    assert out["status"] == "completed"
    assert server.count("GET", "/account/results/") == 3
    assert server.count("POST", "/account/workflow") == 1


# -- long for reads (LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING=long-reads) ----------------------------------


SAFETY = 30.0  # seconds: a safety net against hangs, never an ordering device


def long_read(tool: str) -> bool:
    """Which calls of :func:`calls` ``long-reads`` answers in the start (docs/account-api.md): the
    catalog's reads, and the custom workflow, whose definition there (st.retrieveSSI) only reads.
    Monitors (syncs) and writes change the account: they keep a result link."""
    return CATALOG[tool].effect == "read" or tool == "execute_custom_workflow"


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a state of the in-process sandbox (a held request) by checking it between
    scheduler turns; bounded by :data:`SAFETY`."""
    with anyio.fail_after(SAFETY):
        while not condition():  # noqa: ASYNC110 (the sandbox offers counters and logs, not events)
            await anyio.sleep(0.001)


async def held_call(server: Server, client: Client, tool: str, args: dict[str, Any]) -> CallToolResult:
    """A call whose long start the sandbox holds until the workflow ends: the clock moves on (as
    in :func:`outcomes`) only once the start is held, so the workflow runs at the same virtual time."""
    results: list[CallToolResult] = []
    account_api = server.sandbox.account_api
    held = account_api.held

    async def call() -> None:
        results.append(await client.call_tool(tool, {"waitSeconds": SAFETY, **args}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(call)
        await until(lambda: account_api.held > held)
        server.sandbox.advance(HOUR)
    (result,) = results
    return result


async def long_outcomes(tmp: Path, api: str) -> list[Any]:
    """:func:`outcomes` with ``long-reads``: each read waits in its call and its result comes in the
    start's answer (one POST, zero polls); each write and sync still gets a result link at once,
    polled through its handle."""
    server = Server(tmp, api, account_result_handling="long-reads")
    sandbox = server.sandbox
    seen: list[Any] = []
    async for client in session(server):
        for tool, args in calls(sandbox.samples()):
            before = len(list(sandbox.requests))
            if long_read(tool):
                result = await held_call(server, client, tool, args)
                assert upstream(sandbox, before) == [START], tool  # one start, zero polls
                if not result.is_error:
                    assert data(result)["workflowId"].startswith("long-"), tool
                seen.append(outcome_of(result))
                continue
            started = data(await client.call_tool(tool, {**args, "waitSeconds": 0}))
            handle = started["workflowId"]
            assert started["status"] == "running", tool  # answered at once: not held to the end
            assert not handle.startswith(("long-", "hook-")), tool  # a result link's hash
            sandbox.advance(HOUR)
            seen.append(outcome_of(await client.call_tool("get_workflow_result", {"workflowId": handle})))
            after = upstream(sandbox, before)
            assert after[0] == START, tool
            assert set(after[1:]) == {("GET", f"/account/results/{handle}")}, tool  # polled through its link
    seen.append(("starts", server.count("POST", "/account/workflow")))
    return seen


@pytest.mark.parametrize("api", ["account", "account-002"])
async def test_long_reads_answer_every_read_in_the_start_and_writes_still_get_a_link(tmp_path: Path, api: str) -> None:
    expected = await baseline(tmp_path / "baseline")
    got = await long_outcomes(tmp_path, api)
    assert got == expected
    tools = [tool for tool, _ in calls(Sandbox(seed=42, speed=0).samples())]
    reads = {tool for tool in tools if long_read(tool)}
    assert {op.tool for op in CATALOG.values() if op.kind == "workflow" and op.effect == "read"} <= reads
    assert len(reads) < len(set(tools))  # writes and syncs were asked for too


async def test_a_long_read_returns_its_result_in_the_call_before_the_first_scheduled_look(tmp_path: Path) -> None:
    """The start already holds the result: the call returns it at once. On this schedule (Linked
    API's pace halved: a GET every 10 s at most, timing.credit_delay) a wait of 8 s earns no GET at
    all, so a call that waited for its schedule's first look would hand back a running handle."""
    expected = await baseline(tmp_path / "baseline")
    server = Server(tmp_path, "account", poll_speed=0.5, account_result_handling="long-reads")
    tool, args = calls(server.sandbox.samples())[0]
    async for client in session(server):
        result = await held_call(server, client, tool, {**args, "waitSeconds": 8})
    out = data(result)
    assert out["status"] == "completed"
    assert out["workflowId"].startswith("long-")
    assert outcome_of(result) == expected[0]  # as on /workflows
    assert upstream(server.sandbox) == [START]


@pytest.mark.parametrize("api", ["account", "account-002"])
async def test_a_read_that_will_not_wait_gets_a_result_link_under_long_reads(tmp_path: Path, api: str) -> None:
    """waitSeconds 0 asks for a handle at once: a long start could only be cut (outcome unknown,
    the workflow left running with nothing to poll), so the read gets a result link instead."""
    server = Server(tmp_path, api, account_result_handling="long-reads")
    tool, args = calls(server.sandbox.samples())[0]
    async for client in session(server):
        started = data(await client.call_tool(tool, {**args, "waitSeconds": 0}))
        assert started["status"] == "running"
        handle = started["workflowId"]
        assert not handle.startswith(("long-", "hook-"))  # a result link's hash
        server.sandbox.advance(HOUR)
        out = data(await client.call_tool("get_workflow_result", {"workflowId": handle}))
    assert out["status"] == "completed"
    assert server.count("POST", "/account/workflow") == 1
    assert upstream(server.sandbox)[1:] == [("GET", f"/account/results/{handle}")]


MODES: dict[str, dict[str, Any]] = {
    "reslink": {},
    "long-reads": {"account_result_handling": "long-reads"},
    # in memory: no delivery reaches this URL (nothing here waits for one)
    "hook": {
        "account_result_handling": "hook",
        "public_url": "http://127.0.0.1:9",
        "webhook_secret": SecretStr(HOOK_SECRET),
    },
}


@pytest.mark.parametrize("fault", ["serverError", "dropAfterAccept"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("api", ["account", "account-002"])
async def test_a_failed_start_is_outcome_unknown_and_never_resent_in_every_mode(
    tmp_path: Path, api: str, mode: str, fault: str
) -> None:
    """An HTML 5xx on the start, or its answer dropped after the workflow was accepted (for a
    ``long`` start: the held answer cut), for a read and a send in each result-handling mode:
    outcome unknown, nothing followed, never re-sent; the identical send is not sent again."""
    server = Server(tmp_path, api, speed=100_000, **MODES[mode])  # a held long answer comes at once
    sandbox = server.sandbox
    read_tool, read_args = calls(sandbox.samples())[0]
    send = {"personUrl": sandbox.samples()["connectionUrls"][1], "text": "Did this arrive?"}
    try:
        async for client in session(server):
            # First, without a fault: the read runs in this mode (its handle says which).
            wait = SAFETY if mode == "long-reads" else 0
            probe_tool, probe_args = calls(sandbox.samples())[1]
            probe = data(await client.call_tool(probe_tool, {**probe_args, "waitSeconds": wait}))
            kind = {"long-": "long-reads", "hook-": "hook"}.get(probe["workflowId"][:5], "reslink")
            assert kind == mode
            assert upstream(sandbox) == [START]
            sandbox.requests.clear()
            sandbox.faults.add(fault, method="POST", path="/account/workflow", count=2)
            read = data(await client.call_tool(read_tool, {**read_args, "waitSeconds": SAFETY}))
            first = data(await client.call_tool("send_message", send))
            again = data(await client.call_tool("send_message", send))
    finally:
        sandbox.account_api.close()  # hook: no delivery to attempt after the test
    assert (read["status"], read.get("workflowId")) == ("outcome_unknown", None)
    assert (first["status"], first.get("workflowId")) == ("outcome_unknown", None)
    assert again["status"] == "outcome_unknown"
    assert again["deduplicated"]
    assert upstream(sandbox) == [START, START]  # one per call: never re-sent, no link followed
    assert [r.fault for r in sandbox.requests] == [fault, fault]
    if fault == "dropAfterAccept":  # accepted: the answer was lost, not the workflows
        assert len(sandbox.workflows()) == 3


def test_the_api_generation_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().api == "workflows"
    monkeypatch.setenv("LINKEDAPI_MCP_API", "account-002")
    monkeypatch.setenv("LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING", "long-reads")
    assert (Settings().api, Settings().account_result_handling) == ("account-002", "long-reads")
    monkeypatch.setenv("LINKEDAPI_MCP_API", "account-001")
    with pytest.raises(ValueError, match="LINKEDAPI_MCP_API"):
        Settings()


def test_hook_mode_needs_a_public_url_and_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="LINKEDAPI_MCP_PUBLIC_URL"):
        Settings(api="account", account_result_handling="hook").check()
    Settings(
        api="account", account_result_handling="hook", public_url="https://mcp.example.com", webhook_secret="s"
    ).check()


# -- hook: the result is pushed to the server (LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING=hook) -------------


@dataclass
class Hooked:
    sandbox: Sandbox
    public_url: str
    api: str


@pytest.fixture(params=["account", "account-002"])
def hooked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hooked]:
    """A standalone sandbox on the Account API and the MCP server over real HTTP (uvicorn on a
    loopback port), so the sandbox's own hook delivery reaches the server's intake."""
    api = str(request.param)
    with ServerThread(Sandbox(seed=42, speed=0, account_api=VERSIONS[api])) as live:
        sock = bind("127.0.0.1", 0)
        public_url = base_url_of(sock)
        settings = Settings(
            data_dir=tmp_path / "data",
            base_url=live.base_url,
            linked_api_token=SecretStr("lat-hook-123456"),
            identification_token=SecretStr("idt-hook-123456"),
            webhook_secret=SecretStr(HOOK_SECRET),
            public_url=public_url,
            api=api,
            account_result_handling="hook",
            sandbox_speed=1.0,  # Linked API's real schedule: what ends a wait sooner came by push
        )
        settings.check()
        server, _state = build(settings, http=True, host="127.0.0.1")
        app = http_app(server, host="127.0.0.1")
        running = uvicorn.Server(uvicorn.Config(app, http="h11", lifespan="on", log_level="warning", access_log=False))
        thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + SAFETY
        while not running.started:  # startup only: uvicorn has no readiness callback
            assert thread.is_alive(), "the MCP server did not start"
            assert time.monotonic() < deadline, "the MCP server did not start in time"
            time.sleep(0.005)
        try:
            yield Hooked(live.sandbox, public_url, api)
        finally:
            running.should_exit = True
            thread.join(timeout=SAFETY)
            sock.close()


async def settled(sandbox: Sandbox) -> None:
    """Until the sandbox has noted each delivery's answer: the server's 200 may finish the call it
    completes before the sandbox's delivery thread writes it down."""
    await until(lambda: all(d["status"] != "pending" for d in sandbox.account_api.deliveries()))


async def test_a_hook_workflow_completes_a_waiting_call_with_zero_polls(hooked: Hooked) -> None:
    sandbox = hooked.sandbox
    results: list[CallToolResult] = []
    async with Client(streamable_http_client(f"{hooked.public_url}/mcp")) as client:
        started = data(await client.call_tool("search_people", {"term": "engineer", "limit": 2, "waitSeconds": 0}))
        handle = started["workflowId"]
        assert handle.startswith("hook-")
        assert started["status"] == "running"
        waiting = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            waiting.set()

        async def wait_for_it() -> None:
            arguments = {"workflowId": handle, "waitSeconds": 120}
            results.append(await client.call_tool("get_workflow_result", arguments, progress_callback=on_progress))

        with anyio.fail_after(SAFETY):  # the push ends the wait long before
            async with anyio.create_task_group() as tg:
                tg.start_soon(wait_for_it)
                await waiting.wait()
                sandbox.advance(HOUR)  # the workflow ends; the sandbox POSTs its final body to the server
        (result,) = results
        out = data(result)
        assert out["status"] == "completed"
        assert len(out["result"]) == 2
        assert upstream(sandbox) == [("POST", "/account/workflow")]  # zero polls: nothing but the start
        await settled(sandbox)
        (delivery,) = sandbox.account_api.deliveries()
        assert (delivery["status"], delivery["attempts"], delivery["responseStatusCode"]) == ("success", 1, 200)
        assert delivery["url"].startswith(f"{hooked.public_url}/webhooks/account/{handle}?sig=")

        # Forged or garbled deliveries change nothing; a re-delivery is a duplicate.
        async with httpx.AsyncClient(base_url=hooked.public_url) as web:
            path = f"/webhooks/account/{handle}"
            forged = await web.post(path, params={"sig": "0" * 64}, json={"status": "failed", "error": {}})
            assert forged.status_code == 401
            unsigned = await web.post(path, json={"status": "completed", "completion": {}})
            assert unsigned.status_code == 401
            garbled = await web.post(path, params={"sig": mac(HOOK_SECRET, handle)}, content=b"{not json")
            assert garbled.status_code == 400
            done = "completed" if hooked.api == "account" else "complete"
            again = await web.post(
                path, params={"sig": mac(HOOK_SECRET, handle)}, json={"status": done, "completion": []}
            )
            assert again.json() == {"received": True, "duplicate": True}
        same = data(await client.call_tool("get_workflow_result", {"workflowId": handle}))
        assert same["result"] == out["result"]
    assert upstream(sandbox) == [("POST", "/account/workflow")]


async def test_hook_mode_runs_every_catalog_operation_as_on_workflows_with_zero_polls(
    hooked: Hooked, tmp_path: Path
) -> None:
    """Every call of :func:`calls` over real HTTP in hook mode: started with no wait (a ``hook-``
    handle), the clock moved on, then get_workflow_result, which the sandbox's delivery completes.
    Same outcomes as on /workflows; the request log holds one start per call and nothing else."""
    expected = await baseline(tmp_path / "baseline")
    sandbox = hooked.sandbox
    seen: list[Any] = []
    async with Client(streamable_http_client(f"{hooked.public_url}/mcp")) as client:
        for tool, args in calls(sandbox.samples()):
            before = len(list(sandbox.requests))
            started = data(await client.call_tool(tool, {**args, "waitSeconds": 0}))
            handle = started["workflowId"]
            assert handle.startswith("hook-"), tool
            assert started["status"] == "running", tool
            sandbox.advance(HOUR)  # the workflow ends; its final body is POSTed to the server
            with anyio.fail_after(SAFETY):  # the push ends the wait long before
                result = await client.call_tool("get_workflow_result", {"workflowId": handle, "waitSeconds": 120})
            seen.append(outcome_of(result))
            assert upstream(sandbox, before) == [START], tool  # one start, zero polls
    seen.append(("starts", len(upstream(sandbox))))
    assert seen == expected
    await settled(sandbox)
    deliveries = sandbox.account_api.deliveries()
    assert len(deliveries) == len(seen) - 1
    assert {(d["status"], d["attempts"], d["responseStatusCode"]) for d in deliveries} == {("success", 1, 200)}
