"""The sandbox delivers webhooks as Linked API does (contract §2.9, §2.10): the official SDK's admin
client manages the subscription, a real HTTP receiver on a loopback port gets the deliveries, and
the SDK's own verifier and parser accept them. The sandbox's clock is frozen: workflows move only
when a test calls ``advance``; deliveries run in real time on the sandbox's delivery thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox, SandboxConfig, ServerThread

pytest.importorskip("linkedapi")
from linkedapi.admin import LinkedApiAdmin
from linkedapi.admin.http_client import AdminHttpClient
from linkedapi.errors import LinkedApiError
from linkedapi.types.admin import AdminConfig
from linkedapi.types.webhooks import (
    DeleteWebhookHeaderParams,
    DeleteWebhookParams,
    MessageWebhookEvent,
    ReplayWebhookDeliveryParams,
    RevealWebhookSecretParams,
    RotateWebhookSecretParams,
    SetWebhookEventsParams,
    SetWebhookHeaderParams,
    SetWebhookHeadersParams,
    SetWebhookParams,
    SetWebhookPayloadModeParams,
    SetWebhookSigningParams,
    WebhookTestEvent,
    WorkflowWebhookEvent,
)
from linkedapi.webhooks import (
    WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_SIGNATURE_TIMESTAMP_HEADER,
    parse_webhook_event,
    verify_webhook_signature,
)

HOUR = 3600.0
SAFETY = 20.0  # seconds: a safety net against hangs, never an ordering device
TOKENS = {"linked-api-token": "test-linked-api-token", "identification-token": "test-identification-token"}
SEARCH = {"actionType": "st.searchPeople", "term": "engineer", "limit": 2}


class Receiver:
    """A tiny HTTP server on a loopback port that keeps every delivery and answers planned statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []  # answered in turn; 200 once used up
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/linkedapi"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(body) for _, body in self.received]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events()]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def until(condition: Callable[[], Any], limit: float = SAFETY) -> Any:
    """Poll until ``condition()`` is truthy; returns it."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    # Frozen clock; retries 10 ms apart (doubling, capped at 40 ms) so a full cycle of 8 is quick.
    config = SandboxConfig(seed=42, speed=0, webhook_retry_base_seconds=0.01, webhook_retry_max_seconds=0.04)
    with ServerThread(Sandbox(config=config)) as running:
        yield running


@pytest.fixture
def live(server: ServerThread) -> ServerThread:
    server.sandbox.reset()
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def admin(live: ServerThread) -> Any:
    http = AdminHttpClient(AdminConfig(linked_api_token=TOKENS["linked-api-token"]), base_url=live.base_url)
    return LinkedApiAdmin(http)


def start(live: ServerThread, definition: dict[str, Any] = SEARCH) -> str:
    answer = httpx.post(f"{live.base_url}/workflows", json=definition, headers=TOKENS)
    workflow_id: str = answer.json()["result"]["workflowId"]
    return workflow_id


def get_result(live: ServerThread, workflow_id: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{live.base_url}/workflows/{workflow_id}", headers=TOKENS).json()["result"]
    return result


def test_the_sdk_admin_client_manages_the_webhook(admin: Any, receiver: Receiver) -> None:
    hooks = admin.webhooks
    assert hooks.get() == []
    hook = hooks.set(
        SetWebhookParams(
            url=receiver.url,
            signing_enabled=True,
            headers={"X-Team": "growth"},
            events=["workflow.completed", "inbox.*"],
        )
    )
    assert hook.id.startswith("whs-")
    assert hook.secret
    assert (hook.payload_mode, hook.is_active, hook.signing_enabled) == ("fat", True, True)
    assert hook.header_names == ["X-Team"]
    assert hook.events == ["workflow.completed", "inbox.*"]
    [listed] = hooks.get()
    assert listed.id == hook.id
    assert listed.secret is None
    with pytest.raises(LinkedApiError) as twice:  # one active webhook per client, no update
        hooks.set(SetWebhookParams(url=receiver.url))
    assert twice.value.type == "webhookAlreadyExists"

    assert hooks.set_payload_mode(SetWebhookPayloadModeParams(id=hook.id, payload_mode="thin")).payload_mode == "thin"
    off = hooks.set_signing(SetWebhookSigningParams(id=hook.id, signing_enabled=False))
    assert off.signing_enabled is False
    assert off.secret is None
    on = hooks.set_signing(SetWebhookSigningParams(id=hook.id, signing_enabled=True))
    assert on.secret == hook.secret  # enabling returns the stored secret
    assert hooks.reveal_secret(RevealWebhookSecretParams(id=hook.id)).secret == hook.secret
    rotated = hooks.rotate_secret(RotateWebhookSecretParams(id=hook.id)).secret
    assert rotated
    assert rotated != hook.secret
    assert hooks.reveal_secret(RevealWebhookSecretParams(id=hook.id)).secret == rotated

    headers = hooks.set_headers(SetWebhookHeadersParams(id=hook.id, headers={"X-A": "1", "X-B": "2"}))
    assert headers.header_names == ["X-A", "X-B"]
    assert hooks.set_header(SetWebhookHeaderParams(id=hook.id, name="x-a", value="3")).header_names == ["X-B", "x-a"]
    assert hooks.delete_header(DeleteWebhookHeaderParams(id=hook.id, name="X-B")).header_names == ["x-a"]
    assert hooks.set_headers(SetWebhookHeadersParams(id=hook.id, headers=None)).header_names == []  # explicit null
    assert hooks.set_events(SetWebhookEventsParams(id=hook.id, events=["network.*"])).events == ["network.*"]
    assert hooks.set_events(SetWebhookEventsParams(id=hook.id, events=None)).events is None  # null: all events
    assert hooks.event_types()[:3] == ["workflow.created", "workflow.started", "workflow.completed"]
    assert "webhook.test" not in hooks.event_types()

    hooks.send_test()  # always delivered, whatever the selectors
    [delivery] = until(lambda: [d for d in hooks.deliveries() if d.status == "success"])
    assert (delivery.event_type, delivery.attempts, delivery.response_status_code) == ("webhook.test", 1, 200)
    [(sent_headers, body)] = receiver.received
    assert isinstance(parse_webhook_event(body), WebhookTestEvent)
    assert verify_webhook_signature(
        raw_body=body,
        timestamp=sent_headers[WEBHOOK_SIGNATURE_TIMESTAMP_HEADER],
        signature=sent_headers[WEBHOOK_SIGNATURE_HEADER],
        secret=rotated,
    )
    assert delivery.event_id == json.loads(body)["id"]

    hooks.delete(DeleteWebhookParams(id=hook.id))
    assert hooks.get() == []
    assert [d.id for d in hooks.deliveries()] == [delivery.id]  # soft delete: history kept
    again = hooks.set(SetWebhookParams(url=receiver.url))
    assert again.id != hook.id
    assert again.secret is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "http://hooks.example.com/x",  # plain HTTP only to loopback [INFERRED]
        "https://10.0.0.7/hooks",
        "https://192.168.1.2/hooks",
        "https://169.254.169.254/latest",
        "https://0.0.0.0/hooks",
        "not a url",
    ],
)
def test_a_webhook_url_must_be_https_and_not_internal(admin: Any, url: str) -> None:
    with pytest.raises(LinkedApiError) as refused:
        admin.webhooks.set(SetWebhookParams(url=url))
    assert refused.value.type == "invalidRequestPayload"
    assert admin.webhooks.get() == []


def test_fat_deliveries_are_signed_and_carry_what_get_answers(
    admin: Any, receiver: Receiver, live: ServerThread
) -> None:
    hook = admin.webhooks.set(SetWebhookParams(url=receiver.url, signing_enabled=True, headers={"X-Team": "growth"}))
    workflow_id = start(live)
    live.sandbox.advance(HOUR)
    until(lambda: "workflow.completed" in receiver.types())
    received = list(receiver.received)
    assert [json.loads(body)["type"] for _, body in received] == [
        "workflow.created",
        "workflow.started",
        "workflow.completed",
    ]
    account_id = admin.accounts.get_all().accounts[0].id
    for headers, body in received:
        assert headers["content-type"] == "application/json"
        assert headers["x-team"] == "growth"
        assert verify_webhook_signature(
            raw_body=body,
            timestamp=headers[WEBHOOK_SIGNATURE_TIMESTAMP_HEADER],
            signature=headers[WEBHOOK_SIGNATURE_HEADER],
            secret=hook.secret,
        )
        assert not verify_webhook_signature(
            raw_body=body + b" ",
            timestamp=headers[WEBHOOK_SIGNATURE_TIMESTAMP_HEADER],
            signature=headers[WEBHOOK_SIGNATURE_HEADER],
            secret=hook.secret,
        )
        event = parse_webhook_event(body)
        assert isinstance(event, WorkflowWebhookEvent)
        assert event.id == f"{event.type}:{workflow_id}"
        assert event.data.workflow_id == workflow_id
        assert event.data.account_id == account_id
    statuses = [json.loads(body)["data"]["status"] for _, body in received]
    assert statuses == ["pending", "running", "completed"]
    completed = json.loads(received[-1][1])
    assert completed["data"]["result"] == get_result(live, workflow_id)  # fat: what GET answers
    assert "result" not in json.loads(received[0][1])["data"]
    deliveries = until(lambda: [d for d in admin.webhooks.deliveries() if d.status == "success"][2:])
    assert [d.event_type for d in admin.webhooks.deliveries()] == [
        "workflow.completed",
        "workflow.started",
        "workflow.created",
    ]  # newest first
    assert all(d.attempts == 1 for d in deliveries)


def test_thin_deliveries_carry_a_reference_only(admin: Any, receiver: Receiver, live: ServerThread) -> None:
    admin.webhooks.set(SetWebhookParams(url=receiver.url, payload_mode="thin", events=["workflow.completed"]))
    workflow_id = start(live)
    live.sandbox.advance(HOUR)
    [event] = until(receiver.events)
    assert event["id"] == f"workflow.completed:{workflow_id}"
    assert event["data"]["status"] == "completed"
    assert "result" not in event["data"]
    headers, _ = receiver.received[0]
    assert WEBHOOK_SIGNATURE_HEADER not in headers  # signing off: no signature headers


def test_a_failing_receiver_is_retried_up_to_8_attempts_then_the_delivery_fails(admin: Any, receiver: Receiver) -> None:
    admin.webhooks.set(SetWebhookParams(url=receiver.url))
    receiver.statuses = [500] * 8
    admin.webhooks.send_test()
    [failed] = until(lambda: [d for d in admin.webhooks.deliveries() if d.status == "failed"])
    assert (failed.attempts, failed.response_status_code, failed.last_error) == (8, 500, "HTTP 500")
    ids = {event["id"] for event in receiver.events()}
    assert len(receiver.received) == 8
    assert ids == {failed.event_id}

    receiver.statuses = [503, 502]  # two failures, then any 2xx acknowledges
    admin.webhooks.send_test()
    delivered = until(lambda: [d for d in admin.webhooks.deliveries() if d.status == "success"])
    assert (delivered[0].attempts, delivered[0].response_status_code, delivered[0].last_error) == (3, 200, None)


def test_an_unreachable_receiver_counts_as_a_failed_attempt(admin: Any, receiver: Receiver) -> None:
    url = receiver.url
    receiver.close()  # nothing listens there any more
    admin.webhooks.set(SetWebhookParams(url=url))
    admin.webhooks.send_test()
    [failed] = until(lambda: [d for d in admin.webhooks.deliveries() if d.status == "failed"])
    assert failed.attempts == 8
    assert failed.response_status_code is None
    assert failed.last_error


def test_a_cancelled_workflow_emits_no_completion(admin: Any, receiver: Receiver, live: ServerThread) -> None:
    admin.webhooks.set(SetWebhookParams(url=receiver.url))
    cancelled = start(live)
    assert httpx.delete(f"{live.base_url}/workflows/{cancelled}", headers=TOKENS).json()["result"] == {
        "cancelled": True
    }
    finished = start(live)
    live.sandbox.advance(HOUR)
    until(lambda: f"workflow.completed:{finished}" in {e["id"] for e in receiver.events()})
    ids = [event["id"] for event in receiver.events()]
    assert f"workflow.created:{cancelled}" in ids
    assert f"workflow.completed:{cancelled}" not in ids
    assert get_result(live, cancelled)["failure"]["reason"] == "workflowCancelled"


def test_a_failed_workflow_completes_with_status_failed(admin: Any, receiver: Receiver, live: ServerThread) -> None:
    admin.webhooks.set(SetWebhookParams(url=receiver.url, events=["workflow.completed"]))
    workflow_id = start(live)
    live.sandbox.sign_out()  # every unfinished workflow fails with linkedinAccountSignedOut
    live.sandbox.advance(1)
    [event] = until(receiver.events)
    assert event["data"]["status"] == "failed"
    assert event["data"]["result"] == get_result(live, workflow_id)
    assert event["data"]["result"]["failure"]["reason"] == "linkedinAccountSignedOut"


def test_the_event_selectors_are_honoured(admin: Any, receiver: Receiver, live: ServerThread) -> None:
    hook = admin.webhooks.set(SetWebhookParams(url=receiver.url, events=["inbox.*"]))
    sync = start(live, {"actionType": "st.syncInbox"})  # inbox monitoring on: messages become events
    live.sandbox.advance(HOUR)
    assert get_result(live, sync)["workflowStatus"] == "completed"
    person = live.sandbox.samples()["connectionUrls"][0]
    live.sandbox.inject_message(person, "Are you free on Tuesday?")
    admin.webhooks.send_test()  # a marker: whatever was queued before it has been delivered then
    until(lambda: "webhook.test" in receiver.types())
    assert receiver.types() == ["inbox.messageReceived", "webhook.test"]  # no workflow.* events
    message = parse_webhook_event(receiver.received[0][1])
    assert isinstance(message, MessageWebhookEvent)
    assert message.data.text == "Are you free on Tuesday?"
    assert message.data.sender == "them"
    assert message.data.account_id == admin.accounts.get_all().accounts[0].id

    admin.webhooks.set_events(SetWebhookEventsParams(id=hook.id, events=["workflow.completed"]))
    workflow_id = start(live)
    live.sandbox.advance(HOUR)
    live.sandbox.inject_message(person, "Still there?")
    admin.webhooks.send_test()
    until(lambda: receiver.types().count("webhook.test") == 2)
    assert receiver.types()[2:] == ["workflow.completed", "webhook.test"]
    assert receiver.events()[2]["id"] == f"workflow.completed:{workflow_id}"


def test_a_replayed_delivery_resends_the_same_event(admin: Any, receiver: Receiver, live: ServerThread) -> None:
    admin.webhooks.set(SetWebhookParams(url=receiver.url, events=["workflow.completed"]))
    start(live)
    live.sandbox.advance(HOUR)
    [first] = until(lambda: [d for d in admin.webhooks.deliveries() if d.status == "success"])
    admin.webhooks.replay_delivery(ReplayWebhookDeliveryParams(delivery_id=first.id))

    def delivered() -> list[Any]:
        return [d for d in admin.webhooks.deliveries() if d.status == "success"]

    [replayed, original] = until(lambda: len(delivered()) == 2 and delivered())  # newest first
    assert original.id == first.id
    assert replayed.event_id == first.event_id
    assert replayed.id != first.id
    [one, two] = receiver.events()
    assert one == two  # the same event, byte for byte in content
    with pytest.raises(LinkedApiError) as unknown:
        admin.webhooks.replay_delivery(ReplayWebhookDeliveryParams(delivery_id="whd-unknown"))
    assert unknown.value.type == "webhookDeliveryNotFound"


def test_no_webhook_set_means_no_delivery_thread_and_reset_stops_it(live: ServerThread, receiver: Receiver) -> None:
    sandbox = live.sandbox
    start(live)
    sandbox.advance(HOUR)
    assert not sandbox.webhooks.running
    answer = httpx.post(f"{live.base_url}/admin/webhook.set", json={"url": receiver.url}, headers=TOKENS)
    assert answer.json()["success"] is True
    old = sandbox.webhooks
    assert old.running
    sandbox.reset()
    until(lambda: not old.running)
    assert sandbox.webhooks.subscription is None


def test_a_running_clock_is_noticed_without_any_request(receiver: Receiver) -> None:
    """With a webhook set, the delivery thread looks at the clock itself: a completion goes out
    although nobody asks the sandbox anything."""
    with ServerThread(Sandbox(seed=42, speed=20_000)) as running:
        client = httpx.Client(base_url=running.base_url, headers=TOKENS)
        client.post("/admin/webhook.set", json={"url": receiver.url, "events": ["workflow.completed"]})
        workflow_id = client.post("/workflows", json=SEARCH).json()["result"]["workflowId"]
        client.close()
        requests = len(running.sandbox.requests)
        [event] = until(receiver.events)
        assert event["id"] == f"workflow.completed:{workflow_id}"
        assert len(running.sandbox.requests) == requests


def test_a_completion_is_announced_when_it_happens_not_at_the_next_periodic_sync(receiver: Receiver) -> None:
    """The delivery thread syncs at the moment the scheduler says the running workflow finishes:
    with the periodic sync an hour apart, the completion still goes out (a push that waited for the
    periodic sync would add up to its interval to every result's lag)."""
    config = SandboxConfig(seed=42, speed=50, webhook_sync_seconds=HOUR)
    with ServerThread(Sandbox(config=config)) as running:
        client = httpx.Client(base_url=running.base_url, headers=TOKENS)
        client.post("/admin/webhook.set", json={"url": receiver.url, "events": ["workflow.completed"]})
        workflow_id = client.post("/workflows", json=SEARCH).json()["result"]["workflowId"]
        client.close()
        # a search of 2 takes tens of virtual seconds: well under a real second at speed 50
        [event] = until(receiver.events)
        assert event["id"] == f"workflow.completed:{workflow_id}"
        record = running.sandbox.scheduler.get(workflow_id)
        assert record is not None
        assert record.finished_at is not None
