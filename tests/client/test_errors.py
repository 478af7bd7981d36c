"""Typed errors: one class per meaning, and no token ever in their text, chain or the logs."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import httpx
import pytest

from linkedapi_mcp.client import (
    ERROR_TYPES,
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
    WorkflowState,
    error_for,
)

TOKEN = "linked_SECRET123"
IDENT = "ident_SECRET456"


@pytest.mark.parametrize(
    ("type_", "cls"),
    [
        ("linkedApiTokenRequired", AuthenticationError),
        ("invalidLinkedApiToken", AuthenticationError),
        ("identificationTokenRequired", AuthenticationError),
        ("invalidIdentificationToken", AuthenticationError),
        ("subscriptionRequired", SubscriptionError),
        ("trialLimitReached", SubscriptionError),
        ("plusPlanRequired", SubscriptionError),
        ("noAvailableSeats", SubscriptionError),
        ("invalidRequestPayload", InvalidRequestError),
        ("invalidWorkflow", InvalidRequestError),
        ("tooManyRequests", RateLimitedError),
        ("linkedinAccountSignedOut", AccountStateError),
        ("languageNotSupported", AccountStateError),
        ("outsideWorkingHours", AccountStateError),
        ("workingHoursWaitExpired", AccountStateError),
        ("workflowNotFound", NotFoundError),
        ("httpError", UpstreamUnavailableError),
    ],
)
def test_each_wire_error_type_has_its_own_class(type_: str, cls: type[LinkedApiError]) -> None:
    error = error_for(type_, "text", http_status=400)
    assert type(error) is cls
    assert (error.type, error.message, error.http_status) == (type_, "text", 400)


@pytest.mark.parametrize(
    ("status", "cls"),
    [(404, NotFoundError), (429, RateLimitedError), (500, UpstreamUnavailableError), (400, LinkedApiError)],
)
def test_an_unknown_type_falls_back_on_the_status(status: int, cls: type[LinkedApiError]) -> None:
    error = error_for("brandNewType", "text", http_status=status)
    assert type(error) is cls
    assert error.type == "brandNewType"


def test_every_mapped_class_is_a_linked_api_error() -> None:
    assert all(issubclass(cls, LinkedApiError) for cls in ERROR_TYPES.values())


def test_errors_read_as_type_and_message() -> None:
    error = AuthenticationError("invalidLinkedApiToken", "The provided 'linked-api-token' is invalid.", http_status=401)
    assert str(error) == "invalidLinkedApiToken: The provided 'linked-api-token' is invalid."
    assert repr(error) == (
        "AuthenticationError(type='invalidLinkedApiToken', "
        "message=\"The provided 'linked-api-token' is invalid.\", http_status=401)"
    )


def test_a_failed_workflow_state_becomes_a_workflow_failed_error() -> None:
    state = WorkflowState.model_validate(
        {"workflowStatus": "failed", "failure": {"reason": "linkedinAccountSignedOut", "message": "Reconnect."}}
    )
    error = state.failed_error()
    assert isinstance(error, WorkflowFailedError)
    assert (error.reason, error.type, error.message) == (
        "linkedinAccountSignedOut",
        "linkedinAccountSignedOut",
        "Reconnect.",
    )
    assert WorkflowState.model_validate({"workflowStatus": "running"}).failed_error() is None


def test_outcome_unknown_says_what_to_do_next() -> None:
    error = OutcomeUnknownError("the request timed out: ReadTimeout")
    assert error.type == "outcomeUnknown"
    assert "may or may not have been created" in str(error)
    assert "Check the recent workflows" in str(error)


def test_the_client_repr_shows_no_token() -> None:
    client = LinkedApiClient(linked_api_token=TOKEN, identification_token=IDENT)
    assert TOKEN not in repr(client)
    assert IDENT not in repr(client)


def _leaky_transport(request: httpx.Request) -> httpx.Response:
    """A hostile transport: its failures and bodies quote the request headers."""
    path = request.url.path
    headers = dict(request.headers)
    if path == "/account":
        raise httpx.ConnectError(f"cannot connect, headers={headers}", request=request)
    if path == "/workflows" and request.method == "POST":
        raise httpx.ReadTimeout(f"timed out sending {headers}", request=request)
    if path == "/inbox/poll":
        return httpx.Response(
            401,
            json={"success": False, "error": {"type": "invalidLinkedApiToken", "message": f"bad token {TOKEN}"}},
        )
    return httpx.Response(503, text=f"<html>proxy saw {headers}</html>")


def _all_text(error: BaseException) -> str:
    parts = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(error))]
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            parts.append(repr(linked))
    return "\n".join(parts)


@pytest.mark.anyio
async def test_tokens_never_appear_in_errors_or_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    policy = RetryPolicy(max_attempts=2, clock=lambda: clock[0], sleep=sleep)
    errors: list[LinkedApiError] = []
    async with LinkedApiClient(
        linked_api_token=TOKEN,
        identification_token=IDENT,
        base_url="https://api.test",
        transport=httpx.MockTransport(_leaky_transport),
        retry=policy,
    ) as client:
        calls: list[Any] = [
            client.get_account(),
            client.start_workflow({"actionType": "st.retrieveSSI"}),
            client.poll_inbox({}),
            client.get_workflow("wf-1"),
        ]
        for call in calls:
            with pytest.raises(LinkedApiError) as info:
                await call
            errors.append(info.value)

    assert [type(e) for e in errors] == [
        UpstreamUnavailableError,
        OutcomeUnknownError,
        AuthenticationError,
        UpstreamUnavailableError,
    ]
    for error in errors:
        assert error.__cause__ is None
        assert error.__context__ is None
        text = _all_text(error)
        assert TOKEN not in text
        assert IDENT not in text
    assert errors[2].message == "bad token ***"
    assert any(r.name == "linkedapi_mcp.client" for r in caplog.records), "each attempt is logged"
    for record in caplog.records:
        logged = record.getMessage() + repr(record.args) + (record.exc_text or "")
        assert TOKEN not in logged
        assert IDENT not in logged
