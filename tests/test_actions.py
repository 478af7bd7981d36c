"""The action catalogue (contract §6) and the definition validator shared by sandbox and client."""

from __future__ import annotations

import json
from typing import Any

import pytest

from linkedapi_mcp.actions import (
    ACTIONS,
    INVALID_WORKFLOW_PREFIX,
    WorkflowDefinitionError,
    validate_definition,
)

from .conftest import shared_fixtures

FIXTURES = shared_fixtures()

# Every action named in contract §6.1 and §6.2.
CONTRACT_ACTIONS = [
    "st.openPersonPage",
    "st.retrievePersonExperience",
    "st.retrievePersonEducation",
    "st.retrievePersonSkills",
    "st.retrievePersonLanguages",
    "st.retrievePersonPosts",
    "st.retrievePersonComments",
    "st.retrievePersonReactions",
    "st.doForSkills",
    "st.endorsePersonSkill",
    "st.openCompanyPage",
    "st.retrieveCompanyEmployees",
    "st.retrieveCompanyDMs",
    "st.retrieveCompanyPosts",
    "st.searchPeople",
    "st.searchCompanies",
    "st.searchJobs",
    "st.searchPosts",
    "st.openJob",
    "st.openPost",
    "st.retrievePostComments",
    "st.retrievePostReactions",
    "st.doForPeople",
    "st.doForCompanies",
    "st.doForPosts",
    "st.sendMessage",
    "st.syncConversation",
    "st.syncInbox",
    "st.syncNetwork",
    "st.manageConversation",
    "st.checkConnectionStatus",
    "st.sendConnectionRequest",
    "st.withdrawConnectionRequest",
    "st.removeConnection",
    "st.retrievePendingRequests",
    "st.retrieveInvitations",
    "st.acceptInvitation",
    "st.ignoreInvitation",
    "st.retrieveConnections",
    "st.reactToPost",
    "st.commentOnPost",
    "st.reactToComment",
    "st.replyToComment",
    "st.createPost",
    "st.createRepost",
    "st.retrieveFeed",
    "st.retrieveProfileViewers",
    "st.retrieveSSI",
    "st.retrievePerformance",
    "nv.openPersonPage",
    "nv.searchPeople",
    "nv.searchCompanies",
    "nv.openCompanyPage",
    "nv.retrieveCompanyEmployees",
    "nv.retrieveCompanyDMs",
    "nv.doForPeople",
    "nv.doForCompanies",
    "nv.sendMessage",
    "nv.syncConversation",
    "nv.syncInbox",
    "nv.manageConversation",
]


def _workflow_bodies() -> list[tuple[str, Any]]:
    bodies = []
    for path in sorted(FIXTURES.glob("*.json")):
        for i, ex in enumerate(json.loads(path.read_text())["exchanges"]):
            req = ex.get("request") or {}
            if req.get("method") == "POST" and req.get("path") == "/workflows" and ex["response"]["status"] == 200:
                bodies.append((f"{path.stem}#{i}", req["body"]))
    return bodies


def test_the_catalogue_has_exactly_the_contract_actions() -> None:
    assert sorted(ACTIONS) == sorted(CONTRACT_ACTIONS)


def test_parents_and_children_agree_for_every_action() -> None:
    for spec in ACTIONS.values():
        for child in spec.children:
            assert spec.type in ACTIONS[child].parents
        for parent in spec.parents:
            assert spec.type in ACTIONS[parent].children


def test_every_action_that_cannot_start_a_workflow_has_a_parent() -> None:
    orphans = [s.type for s in ACTIONS.values() if s.root == "never" and not s.parents]
    assert orphans == []


@pytest.mark.parametrize(("name", "body"), _workflow_bodies())
def test_every_accepted_fixture_definition_is_valid(name: str, body: Any) -> None:
    validate_definition(body)


@pytest.mark.parametrize(
    ("definition", "fragment"),
    [
        ({"actionType": "st.retrievePersonSkills"}, "root (st.retrievePersonSkills): cannot start a workflow"),
        ({"actionType": "st.openPersonPage"}, "'personUrl' is required when the action starts the workflow"),
        (
            {
                "actionType": "st.openPersonPage",
                "personUrl": "u",
                "then": [{"actionType": "st.retrievePersonPosts", "limit": 50}],
            },
            "root.then[0] (st.retrievePersonPosts): 'limit' must be ≤ 20 (got 50)",
        ),
        (
            {
                "actionType": "st.searchPeople",
                "then": {
                    "actionType": "st.doForPeople",
                    "then": {"actionType": "st.sendMessage", "personUrl": "u", "text": "hi"},
                },
            },
            "root.then.then (st.sendMessage): 'personUrl' is forbidden below a parent action",
        ),
        ({"actionType": "st.searchPeople", "limt": 5}, "unknown parameter 'limt'"),
        (
            {"actionType": "st.searchCompanies", "then": {"actionType": "st.openCompanyPage"}},
            "is not allowed under st.searchCompanies; allowed children: st.doForCompanies",
        ),
        (
            {"actionType": "st.searchPeople", "filter": {"connectionDegrees": ["4th"]}},
            "'filter.connectionDegrees[0]' must be one of",
        ),
        ({"actionType": "st.sendMessage", "threadId": "t"}, "'text' is required"),
        (
            {"actionType": "st.acceptInvitation", "invitationType": "connect", "companyUrl": "c"},
            "needs exactly one target: 'personUrl'",
        ),
        ({"actionType": "st.searchJobs", "filter": {}, "preferences": {}}, "either 'filter'"),
        (
            {"actionType": "st.searchPosts", "term": "ai", "limit": 50, "then": {"actionType": "st.doForPosts"}},
            "≤ 20 when child",
        ),
        ({"actionType": "st.endorsePersonSkill", "personUrl": "u"}, "'skillName' is required"),
        ([{"actionType": "st.retrieveSSI"}, {"actionType": "st.nope"}], "root[1] (st.nope): unknown actionType"),
        (
            {
                "actionType": "st.createPost",
                "text": "x",
                "attachments": [{"url": "u", "type": "image"}, {"url": "v", "type": "video"}],
            },
            "cannot mix",
        ),
    ],
)
def test_a_broken_definition_is_refused_naming_the_path_and_the_rule(definition: Any, fragment: str) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        validate_definition(definition)
    assert caught.value.type == "invalidWorkflow"
    assert caught.value.message.startswith(INVALID_WORKFLOW_PREFIX)
    assert fragment in caught.value.message


@pytest.mark.parametrize("body", [[], "st.retrieveSSI", 3, {"label": "x"}, [{"actionType": "st.retrieveSSI"}, "x"]])
def test_a_body_that_is_not_a_definition_is_an_invalid_payload(body: Any) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        validate_definition(body)
    assert caught.value.type == "invalidRequestPayload"


def test_iterators_and_labels_and_batches_are_accepted() -> None:
    validate_definition(
        [
            {"actionType": "st.retrieveSSI", "label": "ssi"},
            {
                "actionType": "st.searchPeople",
                "term": "data",
                "limit": 3,
                "label": "s",
                "then": {
                    "actionType": "st.doForPeople",
                    "then": [
                        {"actionType": "st.openPersonPage", "basicInfo": True, "then": []},
                        {"actionType": "st.sendConnectionRequest", "note": "hi"},
                    ],
                },
            },
            {"actionType": "nv.searchPeople", "filter": {"yearsOfExperience": ["threeToFive"]}},
        ]
    )
