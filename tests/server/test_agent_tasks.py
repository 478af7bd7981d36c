"""Realistic sales-assistant tasks played through a real MCP client on the sandbox (issue 11, "Done when").

Each task is what an agent would do, call by call, using only what the previous results said; each
asserts that it succeeds and how many tool calls it took. The sandbox runs 1000x faster than
LinkedIn, so a workflow finishes within the call that starts it unless the agent asks for its
handle at once (``waitSeconds: 0``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, Implementation

from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

HOUR = 3600.0
SPEED = 1000.0


def _text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


class Agent:
    """A model's side of the conversation: every tool call counted, every answer read as JSON."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.calls: list[str] = []

    async def __call__(self, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.client.call_tool(tool, arguments or {})
        self.calls.append(tool)
        assert not result.is_error, f"{tool}: {_text(result)}"
        out = result.structured_content or {}
        assert out.get("status") in ("completed", "confirmation_required", None), f"{tool}: {out}"
        return out

    async def failing(self, tool: str, arguments: dict[str, Any]) -> str:
        result = await self.client.call_tool(tool, arguments)
        self.calls.append(tool)
        assert result.is_error
        return _text(result)


class Human:
    """The user behind an elicitation-capable client: approves, and keeps every question."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    async def __call__(self, _context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=42, speed=SPEED)


def _server(tmp_path: Path, sandbox: Sandbox, **settings: Any) -> Any:
    values: dict[str, Any] = {"confirm": "elicit-or-preview", **settings}
    return build(Settings(data_dir=tmp_path / "data", sandbox_speed=SPEED, **values), sandbox=sandbox)[0]


@pytest.fixture
async def human_agent(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[tuple[Agent, Human]]:
    """A desktop-like client that can ask its user (elicitation), who approves each action."""
    human = Human()
    client = Client(
        _server(tmp_path, sandbox), elicitation_callback=human, client_info=Implementation(name="pytest", version="1")
    )
    async with client:
        yield Agent(client), human


async def test_find_people_in_a_city_and_invite_each_with_a_personal_note_with_elicitation(
    human_agent: tuple[Agent, Human],
) -> None:
    agent, human = human_agent
    found = await agent(
        "search_people", {"filter": {"locations": ["Berlin"], "connectionDegrees": ["2nd"]}, "limit": 3}
    )
    people = found["result"]
    assert len(people) == 3
    assert all("Berlin" in p["location"] for p in people)
    for person in people:
        first = person["name"].split()[0]
        sent = await agent(
            "send_connection_request", {"personUrl": person["publicUrl"], "note": f"Hi {first}, let's connect!"}
        )
        assert sent["status"] == "completed"
    assert agent.calls == ["search_people"] + ["send_connection_request"] * 3
    # Each question named the person (from the search) and the exact note.
    for person, question in zip(people, human.questions, strict=True):
        first = person["name"].split()[0]
        assert f"to {person['name']} ({person['publicUrl']}) with the note «Hi {first}, let's connect!»" in question


async def test_find_people_in_a_city_and_invite_each_with_a_personal_note_without_elicitation(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    async with Client(_server(tmp_path, sandbox)) as client:  # no elicitation: two-step previews
        agent = Agent(client)
        found = await agent(
            "search_people", {"filter": {"locations": ["Madrid"], "connectionDegrees": ["2nd"]}, "limit": 2}
        )
        people = found["result"]
        assert len(people) == 2
        for person in people:
            args = {"personUrl": person["publicUrl"], "note": f"Hola {person['name'].split()[0]}!"}
            preview = await agent("send_connection_request", args)
            assert preview["status"] == "confirmation_required"
            # The preview names the person and the note; the user approves; the same call with its id sends it.
            assert f"{person['name']} ({person['publicUrl']})" in preview["message"]
            assert f"«{args['note']}»" in preview["message"]
            sent = await agent("send_connection_request", {**args, "confirmationId": preview["confirmationId"]})
            assert sent["status"] == "completed"
    assert agent.calls == ["search_people"] + ["send_connection_request"] * 4


async def test_find_the_conversations_awaiting_a_reply_and_answer_them(
    human_agent: tuple[Agent, Human], sandbox: Sandbox
) -> None:
    agent, human = human_agent
    await agent("sync_inbox")
    sandbox.advance(24 * HOUR)  # a day of messages arrives
    inbox = (await agent("get_inbox", {"awaitingReply": True}))["result"]
    waiting = inbox["conversations"]
    assert waiting
    assert "Monitoring on" in inbox["monitoring"]
    for conversation in waiting:
        await agent("send_message", {"threadId": conversation["threadId"], "text": "Thanks for reaching out!"})
    after = (await agent("get_inbox", {"awaitingReply": True}))["result"]
    assert after["conversations"] == []
    assert agent.calls == ["sync_inbox", "get_inbox"] + ["send_message"] * len(waiting) + ["get_inbox"]
    # Each question named who would get the reply (looked up from the thread id).
    for conversation, question in zip(waiting, human.questions, strict=True):
        assert f"in conversation {conversation['threadId']} with " in question
        assert conversation["personUrl"] in question


async def test_comment_on_and_react_to_posts(human_agent: tuple[Agent, Human]) -> None:
    agent, human = human_agent
    posts = (await agent("retrieve_feed", {"limit": 2}))["result"]
    assert len(posts) == 2
    for post in posts:
        commented = await agent("comment_on_post", {"postUrl": post["url"], "text": "Great point, thanks for sharing."})
        assert commented["result"]["commentUrl"]
        await agent("react_to_post", {"postUrl": post["url"], "type": "like"})
    assert agent.calls == ["retrieve_feed"] + ["comment_on_post", "react_to_post"] * 2
    assert len(human.questions) == 4


async def test_message_a_companys_decision_makers_who_are_already_connections(
    human_agent: tuple[Agent, Human],
) -> None:
    agent, human = human_agent
    # A company of the seed-42 sandbox with decision makers among the account's connections.
    company = await agent(
        "fetch_company", {"companyUrl": "https://www.linkedin.com/company/solstice-media", "retrieveDMs": True}
    )
    dms = company["result"]["dms"]
    connected = [dm for dm in dms if dm["viewerState"]["connectionDegree"] == "1st"]
    assert connected
    assert len(connected) < len(dms)
    for dm in connected:
        text = f"Hi {dm['name'].split()[0]}, a quick question about {company['result']['name']}."
        await agent("send_message", {"personUrl": dm["publicUrl"], "text": text})
    assert agent.calls == ["fetch_company"] + ["send_message"] * len(connected)
    for dm, question in zip(connected, human.questions, strict=True):
        assert f"to {dm['name']} ({dm['publicUrl']})" in question


async def test_sales_navigator_search_then_message(human_agent: tuple[Agent, Human]) -> None:
    agent, human = human_agent
    leads = (await agent("nv_search_people", {"term": "sales", "limit": 2}))["result"]
    assert len(leads) == 2
    for lead in leads:
        await agent("nv_send_message", {"personUrl": lead["hashedUrl"], "subject": "Intro", "text": "Hello!"})
    assert agent.calls == ["nv_search_people", "nv_send_message", "nv_send_message"]
    for lead, question in zip(leads, human.questions, strict=True):
        assert question.startswith(f"Send this Sales Navigator message to {lead['name']} ")


async def test_start_a_long_search_do_other_work_and_collect_it(human_agent: tuple[Agent, Human]) -> None:
    agent, _ = human_agent
    started = await agent.client.call_tool("search_people", {"term": "engineer", "limit": 500, "waitSeconds": 0})
    agent.calls.append("search_people")
    handle = started.structured_content or {}
    assert handle["status"] in ("pending", "running")
    assert handle["workflowId"]
    me = await agent("get_account_info")
    assert me["result"]["name"]
    person = await agent("fetch_person", {"personUrl": "https://www.linkedin.com/in/clara-becker"})  # seed 42
    assert person["result"]["name"] == "Clara Becker"
    collected = await agent("get_workflow_result", {"workflowId": handle["workflowId"]})
    assert collected["status"] == "completed"
    assert collected["result"]
    assert agent.calls == ["search_people", "get_account_info", "fetch_person", "get_workflow_result"]


async def test_the_11th_invitation_at_linked_apis_limit_is_an_actionable_error(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    # The local budget above Linked API's own daily 10 (the sandbox's, as documented), so Linked API refuses.
    # 11 a day locally: were the refused 11th counted, a 12th would be refused locally instead.
    server = _server(tmp_path, sandbox, confirm="never", budgets="stConnectionRequests=11/day")
    async with Client(server) as client:
        agent = Agent(client)
        people = (await agent("search_people", {"filter": {"connectionDegrees": ["2nd", "3rd+"]}, "limit": 30}))[
            "result"
        ]
        sent = 0
        for person in people:
            if sent == 10:
                break
            result = await client.call_tool("send_connection_request", {"personUrl": person["publicUrl"]})
            sent += not result.is_error
        assert sent == 10
        error = await agent.failing("send_connection_request", {"personUrl": people[-1]["publicUrl"]})
        # The action did not happen, so no local budget was used for it: the 12th reaches Linked API again.
        again = await agent.failing("send_connection_request", {"personUrl": people[-2]["publicUrl"]})
    assert "[limitExceeded]" in again
    assert "[limitExceeded]" in error
    assert "Linked API's own limit for stConnectionRequests" in error
    assert "not this server's local budget" in error
    assert "a daily one reopens at the next 00:00 UTC" in error


async def test_write_a_custom_workflow_from_the_described_catalogue_alone(human_agent: tuple[Agent, Human]) -> None:
    agent, human = human_agent
    catalogue = (await agent("list_workflow_actions"))["actions"]
    by_purpose = {entry["purpose"]: entry for entry in catalogue}
    # "Check the connection status of the people a search finds", from the catalogue's words only:
    search = by_purpose["people search"]
    assert search["startsWorkflow"] == "yes"
    assert {"term", "limit"} <= set(search["parameters"]["properties"])
    [iterator] = [e for e in catalogue if e["actionType"] in search["then"] and e.get("iterates") == "person"]
    [status] = [e for e in catalogue if e["actionType"] in iterator["then"] and e["purpose"] == "connection status"]
    assert status["effect"] == "read"
    definition = {
        "actionType": search["actionType"],
        "term": "engineer",
        "limit": 3,
        "then": {"actionType": iterator["actionType"], "then": {"actionType": status["actionType"]}},
    }
    ran = await agent("execute_custom_workflow", {"definition": definition})
    assert ran["status"] == "completed"
    assert agent.calls == ["list_workflow_actions", "execute_custom_workflow"]
    assert human.questions == []  # only read actions: nothing to confirm
    people = ran["result"]["data"]
    assert len(people) == 3
    for person in people:
        [checked] = person["then"]
        assert checked["actionType"] == status["actionType"]
        assert checked["data"]["connectionStatus"]
