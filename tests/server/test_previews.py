"""Previews and confirmation questions show who and what (issue 11, point 5): the recipient's name and
public profile URL — also when the call only has a thread id or a Sales Navigator URL — the exact
text, and the account it is sent from. Through a real MCP client on the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitRequestParams, ElicitResult, Implementation

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED

pytestmark = pytest.mark.anyio

HOUR = 3600.0


def _server(tmp_path: Path, sandbox: Sandbox) -> Any:
    settings = Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, confirm="elicit-or-preview")
    return build(settings, sandbox=sandbox)[0]


def _polls(sandbox: Sandbox, path: str) -> int:
    return sum(1 for r in sandbox.requests if r.path == path)


async def _done(client: Client, sandbox: Sandbox, name: str, args: dict[str, Any]) -> dict[str, Any]:
    out = (await client.call_tool(name, {**args, "waitSeconds": 0})).structured_content or {}
    if out.get("status") != "completed":
        sandbox.advance(HOUR)
        out = (
            await client.call_tool("get_workflow_result", {"workflowId": out["workflowId"]})
        ).structured_content or {}
    assert out["status"] == "completed", out
    return out


async def test_a_preview_names_the_person_found_by_a_search_the_text_and_the_sending_account(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    me = sandbox.samples()["me"]
    async with Client(_server(tmp_path, sandbox)) as client:
        found = await _done(client, sandbox, "search_people", {"term": "engineer", "limit": 3})
        person = found["result"][0]
        before = len(sandbox.requests)
        preview = await client.call_tool("send_message", {"personUrl": person["publicUrl"], "text": "Hi there!"})
    out = preview.structured_content or {}
    assert out["status"] == "confirmation_required"
    assert (
        f"Send this LinkedIn message to {person['name']} ({person['publicUrl']}): «Hi there!». "
        f"From the account: {me['name']} ({me['url']}) [sandbox: synthetic, nothing reaches LinkedIn]"
    ) in out["message"]
    # The name came from the search result: only the account was looked up (GET /account).
    assert [r.path for r in sandbox.requests[before:]] == ["/account"]


async def test_a_reply_into_a_thread_names_its_person_looked_up_once(tmp_path: Path, sandbox: Sandbox) -> None:
    async with Client(_server(tmp_path, sandbox)) as client:
        found = await _done(client, sandbox, "search_people", {"term": "manager", "limit": 2})
        person = found["result"][0]
        await _done(client, sandbox, "sync_inbox", {})
        thread = sandbox.inject_message(person["publicUrl"], "Can we talk tomorrow?")["threadId"]
        polls = _polls(sandbox, "/inbox/poll")
        first = await client.call_tool("send_message", {"threadId": thread, "text": "Yes, 10am works."})
        second = await client.call_tool("send_message", {"threadId": thread, "text": "Or 11am?"})
        assert _polls(sandbox, "/inbox/poll") == polls + 1  # looked up once, then cached
        accounts = _polls(sandbox, "/account")
        assert accounts == 1  # the sending account too
    for result, text in ((first, "Yes, 10am works."), (second, "Or 11am?")):
        message = (result.structured_content or {})["message"]
        who = f"{person['name']} ({person['publicUrl']})"
        assert f"Send this LinkedIn message in conversation {thread} with {who}: «{text}»" in message


async def test_a_sales_navigator_url_is_named_from_the_search_that_found_it(tmp_path: Path, sandbox: Sandbox) -> None:
    questions: list[str] = []

    async def human(_context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(action="decline")

    async with Client(
        _server(tmp_path, sandbox), elicitation_callback=human, client_info=Implementation(name="pytest", version="1")
    ) as client:
        found = await _done(client, sandbox, "nv_search_people", {"term": "sales", "limit": 2})
        lead = found["result"][0]
        declined = await client.call_tool(
            "nv_send_message", {"personUrl": lead["hashedUrl"], "subject": "Intro", "text": "Hello!"}
        )
    assert (declined.structured_content or {})["status"] == "declined"
    [question] = questions
    assert question.startswith(
        f"Send this Sales Navigator message to {lead['name']} ({lead['hashedUrl']}) with the subject «Intro»: «Hello!»"
    )
    assert "From the account:" in question


async def test_a_person_never_seen_is_shown_by_url_and_said_to_be_unnamed(tmp_path: Path, sandbox: Sandbox) -> None:
    url = sandbox.samples()["personUrls"][0]
    async with Client(_server(tmp_path, sandbox)) as client:
        preview = await client.call_tool("send_connection_request", {"personUrl": url, "note": "Hello"})
    message = (preview.structured_content or {})["message"]
    assert (
        f"Send a LinkedIn connection request to {url} (name not known to this server) with the note «Hello»" in message
    )
    # A public profile URL is never looked up (it is the public URL already): no profile view for a preview.
    assert not any(r.path == "/workflows" for r in sandbox.requests)


async def test_a_sales_navigator_lead_gets_its_public_profile_url_once_seen_in_a_standard_result(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    async with Client(_server(tmp_path, sandbox)) as client:
        lead = (await _done(client, sandbox, "nv_search_people", {"term": "sales", "limit": 1}))["result"][0]
        first, last = lead["name"].split(" ", 1)
        found = await _done(client, sandbox, "search_people", {"filter": {"firstName": first, "lastName": last}})
        [person] = [p for p in found["result"] if p["urn"] == lead["urn"]]  # the same member
        preview = await client.call_tool(
            "nv_send_message", {"personUrl": lead["hashedUrl"], "subject": "Intro", "text": "Hello!"}
        )
    message = (preview.structured_content or {})["message"]
    who = f"{lead['name']} ({person['publicUrl']}; given as {lead['hashedUrl']})"
    assert f"Send this Sales Navigator message to {who} with the subject «Intro»: «Hello!»" in message
