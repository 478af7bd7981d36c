"""LinkedApiClient against the in-process sandbox: envelopes, error mapping, the workflow round
trip, every direct endpoint, and every sandbox fault — with the request log proving that a
``POST /workflows`` is never sent twice.

The sandbox clock is frozen (``speed=0``) and moved with ``advance``; the client's retry waits
run on a fake clock, so nothing here sleeps for real (the one ``slow`` fault is held for at most
a 50 ms read timeout).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from linkedapi_mcp.client import (
    AccountStateError,
    AuthenticationError,
    InvalidRequestError,
    LinkedApiClient,
    LinkedApiError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryPolicy,
    SubscriptionError,
    UpstreamUnavailableError,
    WorkflowFailedError,
)
from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

TOKEN = "linked_SECRET123"
IDENT = "ident_SECRET456"
SSI = {"actionType": "st.retrieveSSI"}
# Short enough that a held ("slow") answer times out at once, long enough for any real answer.
FAST_TIMEOUT = httpx.Timeout(0.05)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=42, speed=0, linked_api_token=TOKEN, identification_token=IDENT)


def make_client(sandbox: Sandbox, policy: RetryPolicy, **overrides: Any) -> LinkedApiClient:
    options: dict[str, Any] = {
        "linked_api_token": TOKEN,
        "identification_token": IDENT,
        "base_url": sandbox.base_url,
        "transport": sandbox.transport(),
        "retry": policy,
        "timeout": FAST_TIMEOUT,
    }
    options.update(overrides)
    return LinkedApiClient(**options)


@pytest.fixture
async def client(sandbox: Sandbox, policy: RetryPolicy) -> AsyncIterator[LinkedApiClient]:
    async with make_client(sandbox, policy) as client:
        yield client


def sent(sandbox: Sandbox, method: str, path: str) -> int:
    return sum(1 for e in sandbox.requests if e.method == method and e.path == path)


# -- envelopes and error mapping ---------------------------------------------------------------


async def test_a_wrong_linked_api_token_is_an_authentication_error(sandbox: Sandbox, policy: RetryPolicy) -> None:
    async with make_client(sandbox, policy, linked_api_token="linked_WRONG") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_account()
    assert (info.value.type, info.value.http_status) == ("invalidLinkedApiToken", 401)
    assert len(sandbox.requests) == 1


async def test_a_wrong_identification_token_is_an_authentication_error(sandbox: Sandbox, policy: RetryPolicy) -> None:
    async with make_client(sandbox, policy, identification_token="ident_WRONG") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.start_workflow(SSI)
    assert info.value.type == "invalidIdentificationToken"
    assert sandbox.workflows() == []


async def test_an_invalid_definition_is_refused_with_the_servers_reason(client: LinkedApiClient) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await client.start_workflow({"actionType": "st.retrievePersonSkills"})
    assert info.value.type == "invalidWorkflow"
    assert info.value.http_status == 400
    assert "root" in info.value.message


async def test_a_sales_navigator_action_on_a_core_seat_needs_the_plus_plan(
    sandbox: Sandbox, client: LinkedApiClient
) -> None:
    sandbox.set_account(seat="core")
    with pytest.raises(SubscriptionError) as info:
        await client.start_workflow({"actionType": "nv.searchPeople", "term": "cto"})
    assert info.value.type == "plusPlanRequired"


async def test_an_unknown_workflow_id_is_not_found(client: LinkedApiClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.get_workflow("wf-00000000-0000-4000-8000-000000000000")
    assert (info.value.type, info.value.http_status) == ("workflowNotFound", 404)


# -- workflows -------------------------------------------------------------------------------


async def test_a_workflow_goes_from_pending_to_completed(sandbox: Sandbox, client: LinkedApiClient) -> None:
    start = await client.start_workflow(SSI)
    assert start.workflowId.startswith("wf-")
    assert start.workflowStatus == "pending"

    assert (await client.get_workflow(start.workflowId)).workflowStatus == "pending"
    sandbox.advance(3600)
    state = await client.get_workflow(start.workflowId)
    assert state.workflowStatus == "completed"
    assert state.is_terminal
    assert state.completion["actionType"] == "st.retrieveSSI"
    assert state.completion["success"] is True
    assert state.failed_error() is None


async def test_cancelling_a_pending_workflow_fails_it_and_a_second_cancel_says_no(
    sandbox: Sandbox, client: LinkedApiClient
) -> None:
    start = await client.start_workflow(SSI)
    assert await client.cancel_workflow(start.workflowId) is True
    assert await client.cancel_workflow(start.workflowId) is False
    state = await client.get_workflow(start.workflowId)
    assert state.workflowStatus == "failed"
    error = state.failed_error()
    assert isinstance(error, WorkflowFailedError)
    assert error.reason == "workflowCancelled"


# -- direct endpoints ------------------------------------------------------------------------


async def test_account_names_the_linkedin_account(sandbox: Sandbox, client: LinkedApiClient) -> None:
    assert await client.get_account() == sandbox.samples()["me"]


async def test_action_stats_list_executed_actions(sandbox: Sandbox, client: LinkedApiClient) -> None:
    await client.start_workflow(SSI)
    sandbox.advance(3600)
    stats = await client.get_action_stats("2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")
    assert {"actionType": "st.retrieveSSI", "success": True} in [
        {k: v for k, v in item.items() if k != "time"} for item in stats
    ]


async def test_a_stats_period_over_thirty_days_is_an_invalid_request(client: LinkedApiClient) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await client.get_action_stats("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z")
    assert info.value.type == "invalidRequestPayload"


async def test_the_inbox_poll_returns_injected_messages(sandbox: Sandbox, client: LinkedApiClient) -> None:
    person = sandbox.samples()["injectionPersonUrl"]
    await client.start_workflow({"actionType": "st.syncInbox"})
    sandbox.advance(3600)
    sandbox.inject_message(person, "Hello from the sandbox")
    inbox = await client.poll_inbox({"type": "st", "threadId": None})
    assert "Hello from the sandbox" in [m["text"] for m in inbox["messages"]]


async def test_the_network_poll_returns_events(client: LinkedApiClient) -> None:
    result = await client.poll_network({"since": None})
    assert isinstance(result["events"], list)


async def test_an_unsynced_conversation_is_a_result_error_not_an_exception(
    sandbox: Sandbox, client: LinkedApiClient
) -> None:
    person = sandbox.samples()["connectionUrls"][0]
    [item] = await client.poll_conversations([{"personUrl": person, "type": "st", "since": None}])
    assert item["personUrl"] == person
    assert item["messages"] == []
    assert item["error"]["type"] == "conversationsNotSynced"


async def test_a_synced_conversation_is_returned(sandbox: Sandbox, client: LinkedApiClient) -> None:
    person = sandbox.samples()["connectionUrls"][0]
    await client.start_workflow({"actionType": "st.syncConversation", "personUrl": person})
    sandbox.advance(3600)
    [item] = await client.poll_conversations([{"personUrl": person, "type": "st"}])
    assert "error" not in item
    assert item["personUrl"] == person
    assert isinstance(item["messages"], list)


# -- faults ------------------------------------------------------------------------------------

# kind → (what a read ends with after one faulty answer, waits slept on the fake clock)
READ_FAULTS: dict[str, tuple[type[LinkedApiError] | None, list[float]]] = {
    "rateLimit": (None, [1.0]),  # Retry-After: 1
    "serverError": (None, [0.5]),
    "serverErrorEnveloped": (UpstreamUnavailableError, []),  # an enveloped error is final
    "slow": (None, [0.5]),  # ReadTimeout, then retried
    "dropAfterAccept": (None, [0.5]),
    "malformedJson": (None, [0.5]),
    "invalidToken": (AuthenticationError, []),
}


@pytest.mark.parametrize("kind", list(READ_FAULTS))
async def test_a_workflow_read_rides_out_transient_faults_only(
    sandbox: Sandbox, client: LinkedApiClient, fake_clock: Any, kind: str
) -> None:
    start = await client.start_workflow(SSI)
    path = f"/workflows/{start.workflowId}"
    sandbox.faults.add(kind, method="GET", path=path, seconds=1.0)
    expected_error, waits = READ_FAULTS[kind]
    if expected_error is None:
        state = await client.get_workflow(start.workflowId)
        assert state.workflowStatus == "pending"
        assert sent(sandbox, "GET", path) == 2
    else:
        with pytest.raises(expected_error):
            await client.get_workflow(start.workflowId)
        assert sent(sandbox, "GET", path) == 1
    assert fake_clock.slept == waits


# kind → (error of the start, whether the sandbox created the workflow anyway)
START_FAULTS: dict[str, tuple[type[LinkedApiError], bool]] = {
    "rateLimit": (RateLimitedError, False),
    "serverError": (OutcomeUnknownError, False),
    "serverErrorEnveloped": (OutcomeUnknownError, False),  # a 5xx envelope of no known refusal type
    "slow": (OutcomeUnknownError, True),
    "dropAfterAccept": (OutcomeUnknownError, True),
    "malformedJson": (OutcomeUnknownError, False),
    "signedOut": (AccountStateError, False),
    "invalidToken": (AuthenticationError, False),
}


@pytest.mark.parametrize("kind", list(START_FAULTS))
async def test_a_faulty_start_is_sent_exactly_once(
    sandbox: Sandbox, client: LinkedApiClient, fake_clock: Any, kind: str
) -> None:
    sandbox.faults.add(kind, method="POST", path="/workflows", seconds=1.0)
    error, created = START_FAULTS[kind]
    with pytest.raises(error) as info:
        await client.start_workflow(SSI)
    assert sent(sandbox, "POST", "/workflows") == 1
    assert len(sandbox.workflows()) == (1 if created else 0)
    assert fake_clock.slept == []
    if kind == "rateLimit":
        assert isinstance(info.value, RateLimitedError)
        assert info.value.retry_after == 1.0


async def test_no_start_is_ever_sent_twice_under_every_fault_at_once(sandbox: Sandbox, client: LinkedApiClient) -> None:
    """Every fault kind, repeatedly, on every path: the log holds one POST /workflows per call."""
    starts = 0
    for kind in [*START_FAULTS, *START_FAULTS]:
        sandbox.faults.clear()
        sandbox.faults.add(kind, count=None, seconds=1.0)
        starts += 1
        with pytest.raises(LinkedApiError):
            await client.start_workflow(SSI)
        with contextlib.suppress(LinkedApiError):  # reads in between may be retried, starts never
            await client.get_account()
    sandbox.faults.clear()
    await client.start_workflow(SSI)
    starts += 1
    assert sent(sandbox, "POST", "/workflows") == starts
    # ...while the reads in between were retried (16 calls, most of them answered several times).
    assert sent(sandbox, "GET", "/account") > 16


async def test_a_start_after_the_account_signed_out_reads_as_failed(sandbox: Sandbox, client: LinkedApiClient) -> None:
    start = await client.start_workflow(SSI)
    sandbox.faults.add("signedOut", method="GET")
    state = await client.get_workflow(start.workflowId)
    error = state.failed_error()
    assert isinstance(error, WorkflowFailedError)
    assert error.reason == "linkedinAccountSignedOut"
