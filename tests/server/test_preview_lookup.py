"""A preview names a person the server has not seen (issue 11, point 5): a Sales Navigator lead URL or a
hashed profile URL is looked up once per account with one read workflow (nvFetchPerson / fetchPerson),
within the preview's deadline, cached found or not; a failed or late lookup still gives the preview and never
stops the write. Through a real MCP client on the sandbox."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, Implementation

from linkedapi_mcp.sandbox import Sandbox, WorkingHours
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED

pytestmark = pytest.mark.anyio

HOUR = 3600.0


@pytest.fixture
def running() -> Sandbox:
    """A sandbox whose clock runs 1000× LinkedIn's: a profile lookup (~15 virtual s) ends within ~20 ms."""
    return Sandbox(seed=42, speed=1000)


def _server(tmp_path: Path, sandbox: Sandbox, **update: Any) -> Any:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="elicit-or-preview", **update)
    return build(settings, sandbox=sandbox)[0]


def _lead(sandbox: Sandbox, url: str) -> tuple[str, str]:
    """Who the sandbox's world says is behind a Sales Navigator or hashed URL: (name, public URL)."""
    [person] = [p for p in sandbox.world.people if url in (p.nv_url, p.hashed_url)]
    return person.name, person.public_url


def _actions(sandbox: Sandbox) -> list[str]:
    """The root action of every workflow Linked API (the sandbox) was asked to run, in order."""
    return [str(w["definition"]["actionType"]) for w in sandbox.workflows()]


def _workflow_requests(sandbox: Sandbox, since: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in list(sandbox.requests)[since:] if r.path.startswith("/workflows")]


def _message(result: CallToolResult) -> str:
    out = result.structured_content or {}
    assert out.get("status") == "confirmation_required", out
    return str(out["message"])


async def test_an_unseen_sales_navigator_lead_is_named_with_its_public_url_looked_up_once(
    tmp_path: Path, running: Sandbox
) -> None:
    url = running.samples()["nvPersonUrls"][0]
    name, public = _lead(running, url)
    args = {"personUrl": url, "subject": "Intro", "text": "Hello!"}
    async with Client(_server(tmp_path, running)) as client:
        first = await client.call_tool("nv_send_message", args)
        assert _actions(running) == ["nv.openPersonPage"]  # one read workflow named the lead
        [lookup] = running.workflows()
        assert lookup["definition"]["personHashedUrl"] == url
        before = len(running.requests)
        second = await client.call_tool("nv_send_message", {**args, "text": "Hello again!"})
        assert _workflow_requests(running, before) == []  # cached: no second lookup, not even a status look
        confirmation = (second.structured_content or {})["confirmationId"]
        sent = await client.call_tool(
            "nv_send_message", {**args, "text": "Hello again!", "confirmationId": confirmation, "waitSeconds": 0}
        )
    who = f"{name} ({public}; given as {url})"
    assert f"Send this Sales Navigator message to {who} with the subject «Intro»: «Hello!»" in _message(first)
    assert f"Send this Sales Navigator message to {who} with the subject «Intro»: «Hello again!»" in _message(second)
    assert (sent.structured_content or {})["status"] in ("pending", "running", "completed")
    assert _actions(running) == ["nv.openPersonPage", "nv.sendMessage"]


async def test_a_hashed_profile_url_is_named_through_a_standard_profile_lookup(
    tmp_path: Path, running: Sandbox
) -> None:
    url = running.samples()["hashedPersonUrls"][0]
    name, public = _lead(running, url)
    async with Client(_server(tmp_path, running)) as client:
        preview = await client.call_tool("send_connection_request", {"personUrl": url, "note": "Hi"})
    assert f"Send a LinkedIn connection request to {name} ({public}; given as {url}) with the note «Hi»" in (
        _message(preview)
    )
    [lookup] = running.workflows()
    # st.openPersonPage with basic info only: no Sales Navigator needed, no child retrievals.
    assert lookup["definition"] == {"actionType": "st.openPersonPage", "basicInfo": True, "personUrl": url, "then": []}


async def test_the_elicitation_dialog_names_the_looked_up_person_and_the_message_is_sent(
    tmp_path: Path, running: Sandbox
) -> None:
    url = running.samples()["nvPersonUrls"][1]
    name, public = _lead(running, url)
    questions: list[str] = []

    async def human(_context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async with Client(
        _server(tmp_path, running),
        elicitation_callback=cast("Any", human),
        client_info=Implementation(name="pytest", version="1"),
    ) as client:
        out = await client.call_tool(
            "nv_send_message", {"personUrl": url, "subject": "Intro", "text": "Hello!", "waitSeconds": 0}
        )
    [question] = questions
    assert question.startswith(
        f"Send this Sales Navigator message to {name} ({public}; given as {url}) with the subject «Intro»: «Hello!»"
    )
    assert (out.structured_content or {})["status"] in ("pending", "running", "completed")
    assert _actions(running) == ["nv.openPersonPage", "nv.sendMessage"]


async def test_a_failed_lookup_still_gives_the_preview_is_not_repeated_and_the_write_goes_ahead(
    tmp_path: Path, running: Sandbox
) -> None:
    url = running.samples()["nvPersonUrls"][2]
    args = {"personUrl": url, "subject": "Intro", "text": "Hello!"}
    running.faults.add("serverErrorEnveloped", method="POST", path="/workflows", count=1)  # the lookup's start
    async with Client(_server(tmp_path, running)) as client:
        preview = await client.call_tool("nv_send_message", args)
        assert _actions(running) == []  # the lookup never started
        before = len(running.requests)
        again = await client.call_tool("nv_send_message", args)
        assert _workflow_requests(running, before) == []  # looked up once, found or not
        confirmation = (again.structured_content or {})["confirmationId"]
        sent = await client.call_tool("nv_send_message", {**args, "confirmationId": confirmation, "waitSeconds": 0})
    for result in (preview, again):
        assert f"Sales Navigator message to {url} (name not known to this server) with the subject «Intro»" in (
            _message(result)
        )
    assert (sent.structured_content or {})["status"] in ("pending", "running", "completed")
    assert _actions(running) == ["nv.sendMessage"]


async def test_a_late_lookup_is_kept_and_read_by_the_next_preview_without_a_second_start(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    url = sandbox.samples()["nvPersonUrls"][0]
    name, public = _lead(sandbox, url)
    args = {"personUrl": url, "subject": "Intro", "text": "Hello!"}
    sandbox.set_working_hours(WorkingHours(days=(5, 6), start=time(9), end=time(17)))  # closed: the lookup waits
    async with Client(_server(tmp_path, sandbox)) as client:
        late = await client.call_tool("nv_send_message", args)
        # The start said it waits for working hours: the preview does not poll it till its deadline.
        assert _workflow_requests(sandbox, 0) == ["POST /workflows"]
        before = len(sandbox.requests)
        still = await client.call_tool("nv_send_message", args)
        [look] = _workflow_requests(sandbox, before)  # one status look at the kept workflow, no new start
        assert look.startswith("GET /workflows/")
        sandbox.set_working_hours(None)
        sandbox.advance(HOUR)
        before = len(sandbox.requests)
        named = await client.call_tool("nv_send_message", args)
        looks = _workflow_requests(sandbox, before)
    lookup = "name not known yet: a lookup of this profile is running on the account"
    for result in (late, still):
        assert f"Send this Sales Navigator message to {url} ({lookup}) with the subject" in _message(result)
    assert f"Send this Sales Navigator message to {name} ({public}; given as {url}) with the" in _message(named)
    [look] = looks  # one status look, no new workflow
    assert look.startswith("GET /workflows/")
    assert _actions(sandbox) == ["nv.openPersonPage"]


async def test_no_lookup_for_a_person_a_read_already_named_nor_for_a_public_url(
    tmp_path: Path, running: Sandbox
) -> None:
    url = running.samples()["nvPersonUrls"][0]
    name, public = _lead(running, url)
    async with Client(_server(tmp_path, running)) as client:
        fetched = await client.call_tool("nv_fetch_person", {"personHashedUrl": url, "waitSeconds": 30})
        assert (fetched.structured_content or {})["status"] == "completed"
        assert _actions(running) == ["nv.openPersonPage"]  # the read is the user's own: no preview, no lookup
        preview = await client.call_tool("nv_send_message", {"personUrl": url, "subject": "Hi", "text": "Hello!"})
        stranger = running.samples()["personUrls"][1]
        unnamed = await client.call_tool("send_message", {"personUrl": stranger, "text": "Hello!"})
    assert f"to {name} ({public}; given as {url}) with the subject «Hi»: «Hello!»" in _message(preview)
    assert f"to {stranger} (name not known to this server): «Hello!»" in _message(unnamed)
    assert _actions(running) == ["nv.openPersonPage"]  # neither preview made a lookup


async def test_the_lookup_takes_no_unit_of_a_local_budget(tmp_path: Path, running: Sandbox) -> None:
    urls = running.samples()["nvPersonUrls"]
    args = {"personUrl": urls[0], "subject": "Intro", "text": "Hello!"}
    server = _server(tmp_path, running, budgets="nvMessages=1/day,nvPersonProfileViews=1/day")
    async with Client(server) as client:
        preview = await client.call_tool("nv_send_message", args)
        confirmation = (preview.structured_content or {})["confirmationId"]
        sent = await client.call_tool("nv_send_message", {**args, "confirmationId": confirmation, "waitSeconds": 0})
        viewed = await client.call_tool("nv_fetch_person", {"personHashedUrl": urls[1], "waitSeconds": 0})
    # The lookup used neither the message unit nor the profile-view unit.
    assert not sent.is_error
    assert not viewed.is_error
    assert _actions(running) == ["nv.openPersonPage", "nv.sendMessage", "nv.openPersonPage"]


async def test_a_lookup_that_finds_nobody_is_not_made_again(tmp_path: Path, running: Sandbox) -> None:
    url = "https://www.linkedin.com/sales/lead/ACwAAnosuchlead0000000000000000000000,NAME_SEARCH,none"
    args = {"personUrl": url, "subject": "Intro", "text": "Hello!"}
    async with Client(_server(tmp_path, running)) as client:
        first = await client.call_tool("nv_send_message", args)
        [lookup] = running.workflows()
        assert lookup["workflowStatus"] in ("completed", "failed")  # done within the preview: nobody there
        before = len(running.requests)
        second = await client.call_tool("nv_send_message", args)
        assert _workflow_requests(running, before) == []
    for result in (first, second):
        assert f"to {url} (name not known to this server) with the subject «Intro»" in _message(result)


async def test_two_previews_of_the_same_person_at_once_share_one_lookup(tmp_path: Path, running: Sandbox) -> None:
    url = running.samples()["nvPersonUrls"][1]
    name, public = _lead(running, url)
    results: dict[str, CallToolResult] = {}
    # The lookup's start is answered a second late, so the other preview surely comes while it is out.
    running.faults.add("slow", method="POST", path="/workflows", count=1, seconds=1.0)
    async with Client(_server(tmp_path, running)) as client:

        async def preview(text: str) -> None:
            results[text] = await client.call_tool(
                "nv_send_message", {"personUrl": url, "subject": "Intro", "text": text}
            )

        async with anyio.create_task_group() as group:
            group.start_soon(preview, "Hello!")
            group.start_soon(preview, "Hi!")
    for text, result in results.items():
        assert f"to {name} ({public}; given as {url}) with the subject «Intro»: «{text}»" in _message(result)
    assert _actions(running) == ["nv.openPersonPage"]
