"""The sandbox's Account API generation (origin documents 000 and 002) with a plain HTTP client:
``POST /account/workflow`` in its three result-handling modes, ``GET /account/results/{hash}``,
both vocabularies, the generation's errors, and the faults that cut or garble a start.

In-process tests run on a frozen clock (workflows move only through ``sandbox.advance``); hook
deliveries need a real receiver, so those run a standalone sandbox on a loopback port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox, SandboxConfig, ServerThread
from linkedapi_mcp.sandbox.cli import add_arguments

pytestmark = pytest.mark.anyio

TOKENS = {"account-api-token": "test-account-api-token", "identification-token": "test-identification-token"}
CURRENT_TOKENS = {"linked-api-token": "test-account-api-token", "identification-token": "test-identification-token"}
SEARCH = {"actionType": "st.searchPeople", "term": "engineer", "limit": 2}
SSI = {"actionType": "st.retrieveSSI"}
HOUR = 3600.0
SAFETY = 20.0  # seconds: a safety net against hangs, never an ordering device


def client_for(sandbox: Sandbox, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=sandbox.transport(), base_url=sandbox.base_url, headers=TOKENS if headers is None else headers
    )


@pytest.fixture(params=["000", "002"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox(version: str) -> Sandbox:
    return Sandbox(seed=42, speed=0, account_api=version)


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox) as c:
        yield c


WORDS = {
    "000": {"done": "completed", "running": "running", "failed": "failed", "progress": "progress", "error": "type"},
    "002": {
        "done": "complete",
        "running": "processing",
        "failed": "error",
        "progress": "process",
        "error": "errorType",
    },
}


def link_path(sandbox: Sandbox, link: str) -> str:
    """The GET path of a result link: 000 gives a full URL on the sandbox, 002 a short hash."""
    if sandbox.config.account_api == "000":
        prefix = f"{sandbox.base_url}/account/results/"
        assert link.startswith(prefix)
        digest = link.removeprefix(prefix)
        assert len(digest) == 32
    else:
        assert "/" not in link
        digest = link
        assert len(digest) == 16
    return f"/account/results/{digest}"


async def completion_on_workflows(definition: dict[str, Any]) -> Any:
    """What ``/workflows`` completes the same definition with, on a twin sandbox (same seed)."""
    twin = Sandbox(seed=42, speed=0)
    async with client_for(twin, CURRENT_TOKENS) as c:
        started = await c.post("/workflows", json=definition)
        workflow_id = started.json()["result"]["workflowId"]
        twin.advance(HOUR)
        result = (await c.get(f"/workflows/{workflow_id}")).json()["result"]
    assert result["workflowStatus"] == "completed"
    return result["completion"]


# -- reslink ----------------------------------------------------------------------------------------


async def test_reslink_answers_running_with_a_link_that_turns_into_the_same_completion_as_workflows(
    sandbox: Sandbox, client: httpx.AsyncClient, version: str
) -> None:
    words = WORDS[version]
    started = await client.post("/account/workflow", json=SEARCH, headers={"result-handling": "reslink"})
    assert started.status_code == 200
    body = started.json()
    assert body["status"] == words["running"]
    assert set(body) == {"status", words["progress"]}
    progress = body[words["progress"]]
    assert progress["message"].endswith("Please check the resultLink periodically.")
    path = link_path(sandbox, progress["resultLink"])

    again = (await client.get(path)).json()
    assert again["status"] == words["running"]
    assert again[words["progress"]]["resultLink"] == progress["resultLink"]
    if version == "002":
        assert again["process"]["message"] == "Your request is being processed. Please check the resultLink later."

    sandbox.advance(HOUR)
    done = (await client.get(path)).json()
    assert done == {"status": words["done"], "completion": await completion_on_workflows(SEARCH)}
    assert "success" not in done  # no envelope in this generation


async def test_an_unknown_result_link_is_not_found(client: httpx.AsyncClient, version: str) -> None:
    answer = await client.get("/account/results/00000000000000000000000000000000")
    assert answer.status_code == 404
    assert answer.json() == {
        "status": WORDS[version]["failed"],
        "error": {WORDS[version]["error"]: "resultNotFound", "message": "No workflow result is known for this link."},
    }


# -- long -------------------------------------------------------------------------------------------


async def test_long_is_the_default_and_holds_the_answer_until_the_workflow_ends(
    sandbox: Sandbox, client: httpx.AsyncClient, version: str
) -> None:
    answers: list[httpx.Response] = []

    async def post() -> None:
        answers.append(await client.post("/account/workflow", json=SSI))  # no result-handling header

    with anyio.fail_after(SAFETY):
        async with anyio.create_task_group() as tg:
            tg.start_soon(post)
            while sandbox.account_api.held == 0:  # ordered by the sandbox's own state, not by time
                await anyio.lowlevel.checkpoint()
            assert [w["workflowStatus"] for w in sandbox.workflows()] == ["pending"]
            assert answers == []  # still held: the workflow has not ended
            sandbox.advance(HOUR)
    (answer,) = answers
    assert answer.status_code == 200
    assert answer.json() == {"status": WORDS[version]["done"], "completion": await completion_on_workflows(SSI)}
    assert sandbox.account_api.held == 0


async def test_long_on_a_running_clock_answers_the_completion(version: str) -> None:
    sandbox = Sandbox(seed=42, speed=20_000, account_api=version)
    async with client_for(sandbox) as c:
        with anyio.fail_after(SAFETY):
            answer = await c.post("/account/workflow", json=SEARCH, headers={"result-handling": "long"})
    assert answer.json()["status"] == WORDS[version]["done"]
    assert answer.json()["completion"] == await completion_on_workflows(SEARCH)


async def test_a_failed_workflow_answers_the_generations_failure(
    sandbox: Sandbox, client: httpx.AsyncClient, version: str
) -> None:
    started = (await client.post("/account/workflow", json=SEARCH, headers={"result-handling": "reslink"})).json()
    path = link_path(sandbox, started[WORDS[version]["progress"]]["resultLink"])
    sandbox.sign_out()
    failed = await client.get(path)
    assert failed.status_code == 200
    body = failed.json()
    assert body["status"] == WORDS[version]["failed"]
    assert body["error"][WORDS[version]["error"]] == "linkedinAccountSignedOut"
    assert "signed out" in body["error"]["message"]


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "accountApiTokenRequired"),
        (CURRENT_TOKENS, "accountApiTokenRequired"),  # today's header is not this generation's
        ({"account-api-token": "a"}, "identificationTokenRequired"),
    ],
)
async def test_the_generations_token_headers_are_required(
    sandbox: Sandbox, version: str, headers: dict[str, str], expected: str
) -> None:
    async with client_for(sandbox, headers) as c:
        answer = await c.post("/account/workflow", json=SSI, headers={"result-handling": "reslink"})
    assert answer.status_code == 401
    assert answer.json()["status"] == WORDS[version]["failed"]
    assert answer.json()["error"][WORDS[version]["error"]] == expected
    assert sandbox.workflows() == []


async def test_pinned_tokens_are_checked(version: str) -> None:
    sandbox = Sandbox(seed=42, speed=0, account_api=version, linked_api_token="right", identification_token="id")
    async with client_for(sandbox, {"account-api-token": "wrong", "identification-token": "id"}) as c:
        answer = await c.post("/account/workflow", json=SSI, headers={"result-handling": "reslink"})
    assert answer.json()["error"][WORDS[version]["error"]] == "invalidAccountApiToken"


async def test_a_refused_definition_creates_nothing(sandbox: Sandbox, client: httpx.AsyncClient, version: str) -> None:
    bad = {"actionType": "st.searchPeople", "limit": 5000}
    answer = await client.post("/account/workflow", json=bad, headers={"result-handling": "reslink"})
    assert answer.status_code == 400
    body = answer.json()
    if version == "000":
        assert body["status"] == "failed"
        assert body["error"]["type"] == "invalidWorkflow"
        assert "limit" in body["error"]["message"]
    else:
        assert body["status"] == "error"
        assert body["error"]["errorType"] == "invalidRequestBody"
        assert body["error"]["message"].startswith("The request body is invalid: ")
        assert "limit" in body["error"]["message"]
    assert sandbox.workflows() == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"result-handling": "push"}, "invalidResultHandling"),
        ({"result-handling": "hook"}, "invalidWebhook"),
        ({"result-handling": "hook", "webhook": "http://10.0.0.1/hook"}, "invalidWebhook"),
    ],
)
async def test_bad_result_handling_headers_are_refused(
    sandbox: Sandbox, client: httpx.AsyncClient, version: str, headers: dict[str, str], expected: str
) -> None:
    answer = await client.post("/account/workflow", json=SSI, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"][WORDS[version]["error"]] == expected
    assert sandbox.workflows() == []


async def test_a_core_seat_refuses_sales_navigator_actions(version: str) -> None:
    sandbox = Sandbox(seed=42, speed=0, account_api=version, seat="core")
    async with client_for(sandbox) as c:
        definition = {"actionType": "nv.searchPeople", "term": "x", "limit": 1}
        answer = await c.post("/account/workflow", json=definition, headers={"result-handling": "reslink"})
    assert answer.status_code == 403
    assert answer.json()["error"][WORDS[version]["error"]] == "plusPlanRequired"


# -- faults -----------------------------------------------------------------------------------------


async def test_a_cut_long_answer_leaves_the_workflow_running_with_no_handle(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.faults.add("dropAfterAccept", method="POST", path="/account/workflow")
    sandbox.set_speed(20_000)  # the held answer ends on its own, then the connection is dropped
    with anyio.fail_after(SAFETY), pytest.raises(httpx.RemoteProtocolError):
        await client.post("/account/workflow", json=SSI)
    assert [w["workflowStatus"] for w in sandbox.workflows()] == ["completed"]
    (entry,) = [e for e in sandbox.requests if e.path == "/account/workflow"]
    assert entry.outcome == "dropped"


async def test_a_long_answer_slower_than_the_clients_read_timeout_times_out(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    # Frozen clock: the workflow never ends, the client gives up; the workflow exists regardless.
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/account/workflow", json=SSI, timeout=httpx.Timeout(5.0, read=0.2))
    assert [w["workflowStatus"] for w in sandbox.workflows()] == ["pending"]


async def test_an_html_server_error_on_the_start_creates_nothing(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    sandbox.faults.add("serverError", method="POST", path="/account/workflow")
    answer = await client.post("/account/workflow", json=SSI, headers={"result-handling": "reslink"})
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert sandbox.workflows() == []


async def test_a_malformed_result_link_fault_creates_the_workflow_but_garbles_the_link(
    sandbox: Sandbox, client: httpx.AsyncClient, version: str
) -> None:
    sandbox.faults.add("malformedResultLink")
    answer = await client.post("/account/workflow", json=SSI, headers={"result-handling": "reslink"})
    assert answer.json()[WORDS[version]["progress"]]["resultLink"] == "{someHash}"
    assert len(sandbox.workflows()) == 1
    second = await client.post("/account/workflow", json=SSI, headers={"result-handling": "reslink"})
    link_path(sandbox, second.json()[WORDS[version]["progress"]]["resultLink"])  # used up: a real link again


# -- hook -------------------------------------------------------------------------------------------


class Receiver:
    """A loopback HTTP server that keeps every POST body and answers planned statuses."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    receiver.bodies.append(json.loads(raw))
                    receiver.content_types.append(self.headers.get("content-type", ""))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/account-hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def until(condition: Callable[[], Any], limit: float = SAFETY) -> Any:
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def live(version: str) -> Iterator[ServerThread]:
    config = SandboxConfig(
        seed=42, speed=0, account_api=version, webhook_retry_base_seconds=0.01, webhook_retry_max_seconds=0.04
    )
    with ServerThread(Sandbox(config=config)) as running:
        yield running


def test_hook_answers_running_then_posts_the_final_body_to_the_webhook(
    live: ServerThread, receiver: Receiver, version: str
) -> None:
    words = WORDS[version]
    receiver.statuses = [500]  # the first attempt fails: the delivery is retried
    answer = httpx.post(
        f"{live.base_url}/account/workflow",
        json=SEARCH,
        headers={**TOKENS, "result-handling": "hook", "webhook": receiver.url},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == words["running"]
    assert body[words["progress"]]["webhook"] == receiver.url
    assert body[words["progress"]]["message"].endswith("The result will be sent to the webhook.")
    assert receiver.received() == []  # nothing before the workflow ends

    live.sandbox.advance(HOUR)
    until(lambda: len(receiver.received()) == 2)
    first, second = receiver.received()
    assert first == second == {"status": words["done"], "completion": anyio.run(completion_on_workflows, SEARCH)}
    assert receiver.content_types[-1] == "application/json"
    (delivery,) = until(lambda: [d for d in live.sandbox.account_api.deliveries() if d["status"] == "success"])
    assert delivery["attempts"] == 2
    assert delivery["url"] == receiver.url


def test_a_failed_hooked_workflow_posts_the_failure(live: ServerThread, receiver: Receiver, version: str) -> None:
    httpx.post(
        f"{live.base_url}/account/workflow",
        json=SEARCH,
        headers={**TOKENS, "result-handling": "hook", "webhook": receiver.url},
    )
    live.sandbox.sign_out()
    (body,) = until(receiver.received)
    assert body["status"] == WORDS[version]["failed"]
    assert body["error"][WORDS[version]["error"]] == "linkedinAccountSignedOut"


# -- configuration ----------------------------------------------------------------------------------


def test_the_sandbox_cli_chooses_the_vocabulary_and_defaults_to_the_later_one() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).account_api == "000"
    assert parser.parse_args(["--account-api", "002"]).account_api == "002"
    with pytest.raises(SystemExit):
        parser.parse_args(["--account-api", "001"])
    assert Sandbox(seed=1, speed=0).account_api.version == "000"
    with pytest.raises(ValueError, match="account API version"):
        Sandbox(seed=1, speed=0, account_api="001")
