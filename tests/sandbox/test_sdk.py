"""The official Linked API SDK (1.4.7), pointed at a standalone sandbox, runs every operation.

The server is uvicorn in a background thread with the virtual clock sped up, so minutes of
simulated LinkedIn work pass in milliseconds of real time.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import pytest
import requests
from pydantic import BaseModel

linkedapi = pytest.importorskip("linkedapi")
from linkedapi import LinkedApi, LinkedApiConfig  # noqa: E402
from linkedapi.errors import LinkedApiError  # noqa: E402
from linkedapi.mappers.send_message import SendMessageMapper  # noqa: E402
from linkedapi.mappers.void import VoidWorkflowMapper  # noqa: E402
from linkedapi.types import ApiUsageParams  # noqa: E402
from linkedapi.types.message import ConversationPollRequest, InboxPersonPollRequest, InboxPollRequest  # noqa: E402
from linkedapi.types.network import NetworkPollRequest  # noqa: E402

from linkedapi_mcp.sandbox import Sandbox, ServerThread  # noqa: E402

Samples = dict[str, Any]
Run = Callable[..., Any]

# What each operation is called with, built from the world's samples. A value may be a callable
# taking (samples, sdk, run) when the operation needs a prerequisite (e.g. a skill name).


def _endorse_params(s: Samples, sdk: Any, run: Run, sandbox: Sandbox) -> dict[str, Any]:
    person = run(
        sdk.fetch_person,
        _model(sdk.fetch_person, {"personUrl": s["special"]["endorsableConnection"], "retrieveSkills": True}),
    )
    return {"personUrl": s["special"]["endorsableConnection"], "skillName": person.data.skills[0].name}


def _ignore_params(s: Samples, sdk: Any, run: Run, sandbox: Sandbox) -> dict[str, Any]:
    # Not the person acceptInvitation uses: these tests share one world.
    invitation = sandbox.inject_invitation(s["special"]["requestNotAllowed"])
    return {"invitationType": "connect", "personUrl": invitation["publicUrl"]}


PARAMS: dict[str, Any] = {
    "customWorkflow": lambda s, sdk, run, sandbox: {
        "actionType": "st.openPersonPage",
        "personUrl": s["personUrls"][0],
        "basicInfo": True,
    },
    "sendMessage": lambda s, sdk, run, sandbox: {
        "personUrl": s["connectionUrls"][0],
        "text": "Hello from the sandbox tests",
    },
    "syncConversation": lambda s, sdk, run, sandbox: {"personUrl": s["connectionUrls"][0]},
    "syncInbox": None,
    "syncNetwork": None,
    "manageConversation": lambda s, sdk, run, sandbox: {"threadId": s["threadIds"][0], "operation": "star"},
    "checkConnectionStatus": lambda s, sdk, run, sandbox: {"personUrl": s["connectionUrls"][0]},
    "sendConnectionRequest": lambda s, sdk, run, sandbox: {
        "personUrl": s["special"]["notConnectedPerson"],
        "note": "Hi!",
    },
    "withdrawConnectionRequest": lambda s, sdk, run, sandbox: {"personUrl": s["pendingUrls"][0]},
    "acceptInvitation": lambda s, sdk, run, sandbox: {
        "invitationType": "connect",
        "personUrl": s["special"]["incomingInvitationPerson"],
    },
    "ignoreInvitation": _ignore_params,
    "retrievePendingRequests": None,
    "retrieveInvitations": None,
    "retrieveConnections": lambda s, sdk, run, sandbox: {"limit": 10},
    "removeConnection": lambda s, sdk, run, sandbox: {"personUrl": s["connectionUrls"][1]},
    "searchCompanies": lambda s, sdk, run, sandbox: {"limit": 5},
    "searchPeople": lambda s, sdk, run, sandbox: {"limit": 5},
    "searchJobs": lambda s, sdk, run, sandbox: {"limit": 5},
    "searchPosts": lambda s, sdk, run, sandbox: {"term": "data", "limit": 5},
    "fetchCompany": lambda s, sdk, run, sandbox: {"companyUrl": s["companyUrls"][0], "retrieveEmployees": True},
    "fetchPerson": lambda s, sdk, run, sandbox: {
        "personUrl": s["personUrls"][0],
        "retrieveExperience": True,
        "retrieveSkills": True,
    },
    "endorsePersonSkill": _endorse_params,
    "endorsePersonSkills": lambda s, sdk, run, sandbox: {"personUrl": s["special"]["endorsableConnection"]},
    "fetchPost": lambda s, sdk, run, sandbox: {"postUrl": s["postUrls"][0], "retrieveComments": True},
    "fetchJob": lambda s, sdk, run, sandbox: {"jobUrl": s["jobUrls"][0]},
    "reactToPost": lambda s, sdk, run, sandbox: {"postUrl": s["postUrls"][1], "type": "like"},
    "commentOnPost": lambda s, sdk, run, sandbox: {"postUrl": s["postUrls"][1], "text": "Thoughtful post, thank you."},
    "reactToComment": lambda s, sdk, run, sandbox: {"commentUrl": s["commentUrls"][0], "type": "celebrate"},
    "replyToComment": lambda s, sdk, run, sandbox: {"commentUrl": s["commentUrls"][0], "text": "Agreed!"},
    "createPost": lambda s, sdk, run, sandbox: {"text": "Shipping a sandbox for our MCP server today."},
    "createRepost": lambda s, sdk, run, sandbox: {"postUrl": s["postUrls"][2]},
    "retrieveFeed": lambda s, sdk, run, sandbox: {"limit": 5},
    "retrieveSSI": None,
    "retrievePerformance": None,
    "retrieveProfileViewers": lambda s, sdk, run, sandbox: {"limit": 5},
    "nvSendMessage": lambda s, sdk, run, sandbox: {
        "personUrl": s["nvPersonUrls"][0],
        "subject": "Quick question",
        "text": "Hello from Sales Navigator",
    },
    "nvSyncConversation": lambda s, sdk, run, sandbox: {"personUrl": s["nvPersonUrls"][0]},
    "nvSyncInbox": None,
    "nvManageConversation": lambda s, sdk, run, sandbox: {
        "threadId": s["special"]["nvThreadId"],
        "operation": "archive",
    },
    "nvSearchCompanies": lambda s, sdk, run, sandbox: {"limit": 5},
    "nvSearchPeople": lambda s, sdk, run, sandbox: {"limit": 5},
    "nvFetchCompany": lambda s, sdk, run, sandbox: {
        "companyHashedUrl": s["nvCompanyUrls"][0],
        "retrieveEmployees": True,
    },
    "nvFetchPerson": lambda s, sdk, run, sandbox: {"personHashedUrl": s["nvPersonUrls"][0]},
}

OPERATION_NAMES = sorted(PARAMS)
NO_DATA_MAPPERS = (VoidWorkflowMapper, SendMessageMapper)


def _params_class(operation: Any) -> Any:
    args = typing.get_args(type(operation).__orig_bases__[0])
    return args[0] if args else None


def _model(operation: Any, params: Any) -> Any:
    cls = _params_class(operation)
    if params is None or not isinstance(cls, type) or not issubclass(cls, BaseModel):
        return params
    return cls.model_validate(params)


def _non_trivial(value: Any) -> bool:
    """Some real content: a non-empty list, or a model/dict with a non-empty string somewhere."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, dict):
        return any(_non_trivial(v) for v in value.values())
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, int | float) and not isinstance(value, bool)


def _samples(live: ServerThread) -> Samples:
    samples: Samples = requests.get(f"{live.base_url}/_sandbox/samples", timeout=5).json()
    return samples


def test_the_sdk_catalogue_has_43_operations_and_every_one_is_covered(sdk: Any) -> None:
    names = [operation.operation_name for operation in sdk.operations]
    assert len(names) == 43
    assert sorted(names) == OPERATION_NAMES


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_every_sdk_operation_runs_against_the_sandbox(
    name: str, shared_sdk: Any, server: ServerThread, run: Run
) -> None:
    # One world for all 43 (each touches different people/posts), so the loop stays fast.
    sdk = shared_sdk
    operation = next(op for op in sdk.operations if op.operation_name == name)
    builder = PARAMS[name]
    params = builder(_samples(server), sdk, run, server.sandbox) if builder is not None else None
    result = run(operation, _model(operation, params))
    assert result.errors == [], f"{name}: {result.errors}"
    if isinstance(operation.mapper, NO_DATA_MAPPERS):  # the SDK maps these to no data by design
        assert result.data is None
    else:
        assert _non_trivial(result.data), f"{name} returned {result.data!r}"


def test_a_custom_batch_workflow_iterates_over_people(sdk: Any, live: ServerThread, run: Run) -> None:
    samples = _samples(live)
    definition = [
        {"actionType": "st.retrieveSSI", "label": "ssi"},
        {
            "actionType": "st.searchPeople",
            "label": "people",
            "limit": 3,
            "then": {
                "actionType": "st.doForPeople",
                "then": {"actionType": "st.openPersonPage", "basicInfo": True},
            },
        },
        {"actionType": "st.openCompanyPage", "companyUrl": samples["companyUrls"][0], "basicInfo": True},
    ]
    result = run(sdk.custom_workflow, definition)
    completion = result.data
    assert [item["actionType"] for item in completion] == ["st.retrieveSSI", "st.searchPeople", "st.openCompanyPage"]
    assert completion[0]["label"] == "ssi"
    people = completion[1]["data"]
    assert 1 <= len(people) <= 3
    assert all(person.get("name") for person in people)


def test_a_started_workflow_can_be_cancelled(sdk: Any, live: ServerThread) -> None:
    live.sandbox.set_speed(0)  # keep it pending while we cancel
    started = sdk.retrieve_ssi.execute()
    assert sdk.retrieve_ssi.cancel(started.workflow_id) is True
    with pytest.raises(LinkedApiError) as raised:
        sdk.retrieve_ssi.result(started.workflow_id, poll_interval=0.002, timeout=5)
    assert raised.value.type == "workflowCancelled"
    assert sdk.retrieve_ssi.cancel(started.workflow_id) is False


def test_account_info_and_usage_statistics_parse(sdk: Any, run: Run) -> None:
    account = sdk.get_account_info().data
    assert account.name
    assert account.url.startswith("https://www.linkedin.com/in/")
    run(sdk.retrieve_ssi)
    usage = sdk.get_api_usage(ApiUsageParams(start="2026-11-20T00:00:00Z", end="2026-11-30T00:00:00Z"))
    assert "st.retrieveSSI" in {action.action_type for action in usage.data}


def test_inbox_network_and_conversation_polls_parse(sdk: Any, live: ServerThread, run: Run) -> None:
    samples = _samples(live)
    person = samples["connectionUrls"][0]
    run(sdk.sync_inbox)
    run(sdk.sync_network)
    run(sdk.sync_conversation, _model(sdk.sync_conversation, {"personUrl": person}))
    live.sandbox.inject_message(person, "Are you free on Thursday?")
    live.sandbox.inject_invitation(samples["special"]["notConnectedPerson"], note="Let's connect")

    inbox = sdk.poll_inbox(InboxPollRequest())
    assert inbox.errors == []
    assert "Are you free on Thursday?" in [message.text for message in inbox.data]
    person_view = sdk.poll_inbox(InboxPersonPollRequest(person_url=person))
    assert person_view.errors == []
    assert person_view.data.messages
    conversations = sdk.poll_conversations([ConversationPollRequest(person_url=person, type="st")])
    assert conversations.errors == []
    assert conversations.data[0].messages
    network = sdk.poll_network(NetworkPollRequest())
    assert network.errors == []
    assert "connectionRequestReceived" in {event.type for event in network.data}


def test_polling_a_conversation_that_was_never_synced_is_a_result_error(sdk: Any, live: ServerThread) -> None:
    person = _samples(live)["connectionUrls"][2]
    result = sdk.poll_conversations([ConversationPollRequest(person_url=person, type="st")])
    assert [error.type for error in result.errors] == ["conversationsNotSynced"]


def test_account_changes_are_visible_in_later_reads(sdk: Any, live: ServerThread, run: Run) -> None:
    samples = _samples(live)
    stranger = samples["special"]["notConnectedPerson"]
    check = sdk.check_connection_status
    before = run(check, _model(check, {"personUrl": stranger}))
    assert before.data.connection_status == "notConnected"
    run(sdk.send_connection_request, _model(sdk.send_connection_request, {"personUrl": stranger}))
    after = run(check, _model(check, {"personUrl": stranger}))
    assert after.data.connection_status == "pending"
    pending = run(sdk.retrieve_pending_requests)
    assert stranger in {request.public_url for request in pending.data}


def test_a_definition_breaking_a_constraint_is_refused_with_the_rule(sdk: Any, live: ServerThread) -> None:
    with pytest.raises(LinkedApiError) as raised:
        sdk.custom_workflow.execute({"actionType": "st.retrievePersonSkills"})
    assert raised.value.type == "invalidWorkflow"
    assert "st.retrievePersonSkills" in raised.value.message
    assert live.sandbox.workflows() == []


def test_sales_navigator_operations_need_a_plus_seat(sdk: Any, live: ServerThread) -> None:
    requests.post(f"{live.base_url}/_sandbox/account", json={"seat": "core"}, timeout=5)
    with pytest.raises(LinkedApiError) as raised:
        sdk.nv_search_people.execute(_model(sdk.nv_search_people, {"limit": 5}))
    assert raised.value.type == "plusPlanRequired"


def test_the_request_log_shows_sdk_traffic_but_no_tokens(live: ServerThread) -> None:
    api = LinkedApi(LinkedApiConfig(linked_api_token="x", identification_token="y", base_url=live.base_url))
    api.get_account_info()
    assert [entry.path for entry in live.sandbox.requests] == ["/account"]
    assert "x" not in {str(value) for value in live.sandbox.requests[0].to_json().values()}


def test_a_sent_message_shows_in_the_synced_conversation(sdk: Any, live: ServerThread, run: Run) -> None:
    person = _samples(live)["connectionUrls"][3]
    run(sdk.sync_conversation, _model(sdk.sync_conversation, {"personUrl": person}))
    run(sdk.send_message, _model(sdk.send_message, {"personUrl": person, "text": "Lunch on Friday?"}))
    conversation = sdk.poll_conversations([ConversationPollRequest(person_url=person, type="st")]).data[0]
    assert ("us", "Lunch on Friday?") in [(message.sender, message.text) for message in conversation.messages]


def test_the_sdk_sees_parking_outside_working_hours_and_queueing(sdk: Any, live: ServerThread) -> None:
    live.sandbox.set_speed(0)
    hours = {"timezone": "Europe/Berlin", "days": ["tue", "wed"], "start": "09:00", "end": "17:00"}
    requests.post(f"{live.base_url}/_sandbox/working-hours", json=hours, timeout=5)
    first = sdk.retrieve_ssi.execute()
    second = sdk.retrieve_performance.execute()
    parked = sdk.retrieve_ssi.status(first.workflow_id)
    assert (parked.workflow_status, parked.pending_reason) == ("pending", "outsideWorkingHours")
    assert parked.message.endswith("open at Tue, Nov 24, 09:00 (Europe/Berlin).")
    assert sdk.retrieve_performance.status(second.workflow_id).pending_reason == "queued"
    live.sandbox.advance(24 * 3600)
    assert sdk.retrieve_ssi.status(first.workflow_id).data.ssi >= 0
