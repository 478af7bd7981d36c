"""Account-changing tools ask the user first: by elicitation when the client can, else a preview.

Every test checks the sandbox request log: the only proof that nothing was sent is that no
``POST /workflows`` reached the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from mcp import Client
from mcp.types import ElicitRequestParams, ElicitResult, Implementation

from linkedapi_mcp.cli import main
from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import ServerState, build
from linkedapi_mcp.server.http import http_app
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED, Upstream

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(both_stores: str | None) -> str | None:
    """Every test here runs on SQLite and on a real PostgreSQL server (server/db.py)."""
    return both_stores

Elicitation = Callable[[Any, ElicitRequestParams], Awaitable[ElicitResult]]


class Human:
    """An elicitation callback that records each question and answers as told."""

    def __init__(self, action: str = "accept", confirm: bool = True) -> None:
        self.action, self.confirm = action, confirm
        self.questions: list[str] = []

    async def __call__(self, _context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        if self.action == "accept":
            return ElicitResult(action="accept", content={"confirm": self.confirm})
        return ElicitResult(action=self.action)  # type: ignore[arg-type]


def _settings(tmp_path: Path, **update: Any) -> Settings:
    values: dict[str, Any] = {"confirm": "elicit-or-preview", **update}
    return Settings(data_dir=tmp_path / "data", sandbox_speed=POLL_SPEED, **values)


@pytest.fixture
def guarded(tmp_path: Path, sandbox: Sandbox) -> tuple[Any, ServerState]:
    return build(_settings(tmp_path), sandbox=sandbox)


def _connect(server: Any, era: str, human: Human | None = None) -> Client:
    return Client(
        server,
        mode=era,
        elicitation_callback=human,
        client_info=Implementation(name="pytest", version="1"),
    )


def _message(sandbox: Sandbox, text: str = "Hello from the test") -> dict[str, Any]:
    return {"personUrl": sandbox.world.samples()["connectionUrls"][0], "text": text, "waitSeconds": 0}


ERAS = pytest.mark.parametrize("era", ["auto", "legacy"])


@ERAS
@pytest.mark.parametrize("answer", ["decline", "cancel", "uncheck"])
async def test_a_declined_elicitation_sends_nothing_and_says_so(
    guarded: tuple[Any, ServerState], sandbox: Sandbox, upstream: Upstream, era: str, answer: str
) -> None:
    human = Human("accept", confirm=False) if answer == "uncheck" else Human(answer)
    async with _connect(guarded[0], era, human) as client:
        result = await client.call_tool("send_message", _message(sandbox))
    assert len(human.questions) == 1
    assert upstream.posts == 0
    assert result.structured_content is not None
    assert result.structured_content["status"] == "declined"
    assert "nothing was sent" in result.structured_content["message"]


@ERAS
async def test_an_accepted_elicitation_shows_the_exact_message_and_sends_it_once(
    guarded: tuple[Any, ServerState], sandbox: Sandbox, upstream: Upstream, era: str
) -> None:
    human = Human()
    args = _message(sandbox, "Quarterly sync on Tuesday?")
    async with _connect(guarded[0], era, human) as client:
        result = await client.call_tool("send_message", args)
        again = await client.call_tool("send_message", args)
    assert upstream.posts == 1
    me = sandbox.samples()["me"]  # the preview names the account it is sent from (server/previews.py)
    assert human.questions == [
        f"Send this LinkedIn message to {args['personUrl']} (name not known to this server): «Quarterly sync on "
        f"Tuesday?». From the account: {me['name']} ({me['url']}) [sandbox: synthetic, nothing reaches LinkedIn]"
        "\n\nGo ahead?"
    ]  # the repeated call was deduplicated: not asked again
    assert result.structured_content is not None
    assert again.structured_content is not None
    assert result.structured_content["status"] == "pending"
    assert again.structured_content["deduplicated"] is True
    assert again.structured_content["workflowId"] == result.structured_content["workflowId"]


@ERAS
async def test_read_tools_never_ask(
    guarded: tuple[Any, ServerState], sandbox: Sandbox, upstream: Upstream, era: str
) -> None:
    human = Human()
    async with _connect(guarded[0], era, human) as client:
        result = await client.call_tool("search_people", {"term": "engineer", "waitSeconds": 0})
    assert not result.is_error
    assert human.questions == []
    assert upstream.posts == 1


async def _preview(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool("send_message", args)
    assert not result.is_error
    assert result.structured_content is not None
    return result.structured_content


@ERAS
async def test_without_elicitation_a_preview_comes_first_and_its_confirmation_sends_once(
    guarded: tuple[Any, ServerState], sandbox: Sandbox, upstream: Upstream, era: str
) -> None:
    args = _message(sandbox, "See you at the meetup")
    async with _connect(guarded[0], era) as client:
        preview = await _preview(client, args)
        assert upstream.posts == 0
        assert preview["status"] == "confirmation_required"
        assert "«See you at the meetup»" in preview["message"]
        assert args["personUrl"] in preview["message"]
        confirmed = await client.call_tool("send_message", {**args, "confirmationId": preview["confirmationId"]})
        assert not confirmed.is_error
        assert confirmed.structured_content is not None
        assert confirmed.structured_content["status"] == "pending"
        assert upstream.posts == 1
        # The same call again is the same workflow: neither a new preview nor a new POST.
        again = await client.call_tool("send_message", args)
    assert again.structured_content is not None
    assert again.structured_content["deduplicated"] is True
    assert upstream.posts == 1


async def test_a_confirmation_for_other_arguments_is_refused_and_sends_nothing(
    guarded: tuple[Any, ServerState], sandbox: Sandbox, upstream: Upstream
) -> None:
    args = _message(sandbox, "Hi Meera")
    async with _connect(guarded[0], "auto") as client:
        preview = await _preview(client, args)
        changed = await client.call_tool(
            "send_message", {**args, "text": "Hi Meera, buy now!", "confirmationId": preview["confirmationId"]}
        )
        other_tool = await client.call_tool(
            "send_connection_request",
            {"personUrl": args["personUrl"], "confirmationId": preview["confirmationId"]},
        )
        unknown = await client.call_tool("send_message", {**args, "confirmationId": "made-up"})
    assert changed.is_error
    assert other_tool.is_error
    assert unknown.is_error
    text = [getattr(r.content[0], "text", "") for r in (changed, other_tool, unknown)]
    assert "arguments differ" in text[0]
    assert "different tool" in text[1]
    assert "unknown" in text[2]
    assert all("[confirmationRejected]" in t and "Nothing was sent" in t for t in text)
    assert upstream.posts == 0


async def test_a_confirmation_cannot_be_used_twice(
    guarded: tuple[Any, ServerState], sandbox: Sandbox, upstream: Upstream
) -> None:
    args = _message(sandbox, "Once only")
    async with _connect(guarded[0], "auto") as client:
        preview = await _preview(client, args)
        first = await client.call_tool("send_message", {**args, "confirmationId": preview["confirmationId"]})
        assert not first.is_error
        # Once the first send has finished and left the dedupe window, the id is spent.
        workflow_id = first.structured_content["workflowId"] if first.structured_content else None
        sandbox.advance(3600)
        await client.call_tool("get_workflow_result", {"workflowId": workflow_id})
        guarded[1].runner.dedupe_window = 0
        reused = await client.call_tool("send_message", {**args, "confirmationId": preview["confirmationId"]})
    assert reused.is_error
    assert "already used" in getattr(reused.content[0], "text", "")
    assert upstream.posts == 1


async def test_an_expired_confirmation_is_refused(tmp_path: Path, sandbox: Sandbox, upstream: Upstream) -> None:
    now = [1_800_000_000.0]
    server, state = build(_settings(tmp_path), sandbox=sandbox)
    state.ledger._clock = lambda: now[0]
    args = _message(sandbox, "Too late")
    async with _connect(server, "auto") as client:
        preview = await _preview(client, args)
        now[0] += 601  # the id lives 10 minutes
        late = await client.call_tool("send_message", {**args, "confirmationId": preview["confirmationId"]})
    assert late.is_error
    assert "expired" in getattr(late.content[0], "text", "")
    assert upstream.posts == 0


@pytest.fixture(scope="module")
def live() -> Iterator[ServerThread]:
    """A standalone sandbox over HTTP with a pinned token pair: a stable account across servers."""
    sandbox = Sandbox(seed=42, speed=0, linked_api_token="lat-confirm", identification_token="idt-confirm")
    with ServerThread(sandbox) as running:
        yield running


async def test_a_confirmation_issued_by_one_server_process_is_redeemed_by_another(
    tmp_path: Path, live: ServerThread
) -> None:
    live.sandbox.requests.clear()
    settings = _settings(
        tmp_path, base_url=live.base_url, linked_api_token="lat-confirm", identification_token="idt-confirm"
    )
    first, _ = build(settings)
    second, _ = build(settings)  # same data dir: the ledger file is shared, like two processes
    args = _message(live.sandbox, "Across processes")
    async with _connect(first, "auto") as client:
        preview = await _preview(client, args)
    async with _connect(second, "auto") as client:
        confirmed = await client.call_tool("send_message", {**args, "confirmationId": preview["confirmationId"]})
    assert not confirmed.is_error
    assert Upstream(live.sandbox).posts == 1


@pytest.mark.parametrize(("policy", "posts"), [("elicit-or-allow", 1), ("never", 1), ("elicit-or-preview", 0)])
async def test_the_policy_decides_what_a_client_without_elicitation_gets(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, policy: str, posts: int
) -> None:
    server, _ = build(_settings(tmp_path, confirm=policy), sandbox=sandbox)
    async with _connect(server, "auto") as client:
        result = await client.call_tool("send_message", _message(sandbox))
    assert not result.is_error
    assert upstream.posts == posts


async def test_policy_never_does_not_ask_even_a_client_with_elicitation(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream
) -> None:
    human = Human("decline")
    server, _ = build(_settings(tmp_path, confirm="never"), sandbox=sandbox)
    async with _connect(server, "legacy", human) as client:
        await client.call_tool("send_message", _message(sandbox))
    assert human.questions == []
    assert upstream.posts == 1


@pytest.fixture
async def elicit_client(guarded: tuple[Any, ServerState]) -> AsyncIterator[tuple[Client, Human]]:
    human = Human()
    async with _connect(guarded[0], "auto", human) as client:
        yield client, human


async def test_the_question_names_the_target_and_text_of_each_kind_of_action(
    elicit_client: tuple[Client, Human], sandbox: Sandbox
) -> None:
    client, human = elicit_client
    s = sandbox.world.samples()
    await client.call_tool(
        "send_connection_request", {"personUrl": s["personUrls"][0], "note": "Met at PyCon", "waitSeconds": 0}
    )
    await client.call_tool("comment_on_post", {"postUrl": s["postUrls"][0], "text": "Nice one", "waitSeconds": 0})
    await client.call_tool("remove_connection", {"personUrl": s["connectionUrls"][1], "waitSeconds": 0})
    assert human.questions[0].startswith(f"Send a LinkedIn connection request to {s['personUrls'][0]}")
    assert "«Met at PyCon»" in human.questions[0]
    assert human.questions[1].startswith(f"Comment on the post {s['postUrls'][0]}: «Nice one»")
    assert human.questions[2].startswith(
        f"Remove {s['connectionUrls'][1]} (name not known to this server) from your LinkedIn connections"
    )


def test_the_cli_previews_an_account_changing_call_unless_told_not_to_confirm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    person = sandbox.world.samples()["connectionUrls"][0]
    args = ["call", "send_message", f"personUrl={person}", "text=From the CLI", "waitSeconds=0"]
    args += ["--data-dir", str(tmp_path)]
    # Not a terminal and no --yes: the preview, refused with the ways on (tests/test_cli_tty.py has the rest).
    assert main([*args, "--confirm", "elicit-or-preview"]) == 2
    assert "nobody can confirm it: nothing was sent" in capsys.readouterr().err
    assert main([*args, "--confirm", "never"]) == 0
    assert "status: pending" in capsys.readouterr().out


@ERAS
async def test_over_streamable_http_the_user_is_asked_and_a_decline_sends_nothing(
    tmp_path: Path, sandbox: Sandbox, upstream: Upstream, era: str, free_tcp_port: int
) -> None:
    # A real port: the in-process ASGI transport buffers whole responses, so a question sent on
    # the SSE stream of a running call (the handshake era) would never arrive.
    server, _ = build(_settings(tmp_path), http=True, sandbox=sandbox)
    app = http_app(server, host="127.0.0.1")
    config = uvicorn.Config(app, host="127.0.0.1", port=free_tcp_port, log_level="warning", lifespan="on")
    web = uvicorn.Server(config)
    human = Human("decline")
    async with anyio.create_task_group() as tg:
        tg.start_soon(web.serve)
        while not web.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
            await anyio.sleep(0.01)
        try:
            async with Client(f"http://127.0.0.1:{free_tcp_port}/mcp", mode=era, elicitation_callback=human) as client:
                result = await client.call_tool("send_message", _message(sandbox, "Over HTTP"))
        finally:
            web.should_exit = True
    assert result.structured_content is not None
    assert result.structured_content["status"] == "declined"
    assert human.questions
    assert upstream.posts == 0
