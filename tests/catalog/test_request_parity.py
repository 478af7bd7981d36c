"""Our request builders send exactly what the official Python SDK 1.4.7 sends for the same params.

The SDK's own request mappers are the oracle (contract §0 [SDK]): for each operation the same
camelCase arguments go through our input model + ``build`` and through the SDK's params model +
``mapper.map_request``, and the two definitions must be equal dicts.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import linkedapi.operations as sdk_operations
import pytest

from linkedapi_mcp.actions import validate_definition
from linkedapi_mcp.catalog import CATALOG, by_operation_name

from ..conftest import shared_fixtures

P = "https://www.linkedin.com/in/maya-lindqvist-4a1b2c"
POST = "https://www.linkedin.com/feed/update/urn:li:activity:7301234567890123456"
COMMENT = POST + "?commentUrn=urn%3Ali%3Acomment%3A(activity%3A7301234567890123456%2C7301234567890999999)"
COMPANY = "https://www.linkedin.com/company/northwind-analytics"

# Non-trivial arguments per operation: flags, nested configs, filters, enums.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("fetchPerson", {"personUrl": P}),
    (
        "fetchPerson",
        {
            "personUrl": P,
            "retrieveExperience": True,
            "retrieveEducation": True,
            "retrieveSkills": True,
            "retrieveLanguages": True,
            "retrievePosts": True,
            "retrieveComments": True,
            "retrieveReactions": True,
            "postsRetrievalConfig": {"limit": 5, "since": "2026-01-01T00:00:00Z"},
            "commentsRetrievalConfig": {"limit": 3},
            "reactionsRetrievalConfig": {"since": "2026-02-01T00:00:00Z"},
        },
    ),
    ("fetchPerson", {"personUrl": P, "retrieveReactions": True, "retrieveExperience": False}),
    ("nvFetchPerson", {"personHashedUrl": "https://www.linkedin.com/sales/lead/ACwAAAB1,NAME_SEARCH,x"}),
    (
        "fetchCompany",
        {
            "companyUrl": COMPANY,
            "retrieveEmployees": True,
            "retrieveDMs": True,
            "retrievePosts": True,
            "employeesRetrievalConfig": {
                "limit": 50,
                "filter": {"position": "Engineer", "locations": ["Berlin"], "connectionDegrees": ["2nd"]},
            },
            "dmsRetrievalConfig": {"limit": 5},
            "postsRetrievalConfig": {"limit": 2},
        },
    ),
    (
        "nvFetchCompany",
        {
            "companyHashedUrl": "https://www.linkedin.com/sales/company/1035",
            "retrieveEmployees": True,
            "retrieveDMs": True,
            "employeesRetrievalConfig": {
                "limit": 100,
                "filter": {
                    "positions": ["CTO"],
                    "yearsOfExperiences": ["sixToTen"],
                    "connectionDegrees": ["groupMembers"],
                },
            },
        },
    ),
    (
        "fetchPost",
        {
            "postUrl": POST,
            "retrieveComments": True,
            "retrieveReactions": True,
            "commentsRetrievalConfig": {"limit": 50, "replies": True, "sort": "mostRecent"},
            "reactionsRetrievalConfig": {"limit": 100},
        },
    ),
    ("fetchPost", {"postUrn": "urn:li:activity:7301234567890123456"}),
    ("fetchJob", {"jobUrl": "https://www.linkedin.com/jobs/view/4416248954/"}),
    (
        "searchPeople",
        {
            "term": "data platform",
            "limit": 25,
            "filter": {
                "firstName": "Maya",
                "locations": ["Stockholm"],
                "industries": ["Software Development"],
                "currentCompanies": ["Northwind"],
                "connectionDegrees": ["2nd", "3rd+"],
            },
        },
    ),
    ("searchPeople", {"customSearchUrl": "https://www.linkedin.com/search/results/people/?keywords=cto"}),
    (
        "nvSearchPeople",
        {
            "term": "cto",
            "limit": 100,
            "filter": {"yearsOfExperiences": ["moreThanTen"], "connectionDegrees": ["groupMembers"]},
        },
    ),
    ("searchCompanies", {"term": "logistics", "filter": {"sizes": ["51-200", "10001+"], "locations": ["Germany"]}}),
    (
        "nvSearchCompanies",
        {"limit": 40, "filter": {"annualRevenue": {"min": "2.5", "max": "1000+"}, "industries": ["Retail"]}},
    ),
    (
        "searchJobs",
        {
            "term": "python",
            "location": "Berlin",
            "allowSimilarResults": False,
            "filter": {
                "datePosted": "pastWeek",
                "experienceLevels": ["midSeniorLevel"],
                "workplaceTypes": ["remote"],
                "easyApply": True,
            },
        },
    ),
    (
        "searchJobs",
        {"term": "python", "preferences": {"experienceLevels": ["senior"], "remote": True, "keywords": ["django"]}},
    ),
    (
        "searchPosts",
        {
            "term": "lakehouse",
            "limit": 20,
            "filter": {
                "sort": "latest",
                "datePosted": "pastMonth",
                "contentType": "documents",
                "postedBy": ["firstConnections"],
                "fromMembers": ["Maya Lindqvist", {"name": "Ana Lima", "id": P}],
                "authorIndustries": ["Retail"],
            },
        },
    ),
    ("checkConnectionStatus", {"personUrl": P}),
    ("retrievePendingRequests", {}),
    ("retrieveInvitations", {}),
    ("retrieveConnections", {"limit": 200, "since": "2026-01-01"}),
    ("retrieveConnections", {"filter": {"lastName": "Lima", "schools": ["KTH"]}}),
    ("retrieveFeed", {"limit": 50}),
    ("retrieveProfileViewers", {"limit": 100, "since": "2026-10-01T00:00:00Z"}),
    ("retrieveSSI", {}),
    ("retrievePerformance", {}),
    ("syncConversation", {"personUrl": P, "days": 60}),
    ("nvSyncConversation", {"personUrl": P}),
    ("syncInbox", {}),
    ("nvSyncInbox", {}),
    ("syncNetwork", {}),
    ("sendMessage", {"personUrl": P, "text": "Hi Maya!", "manageConversation": {"operation": "archive"}}),
    ("sendMessage", {"threadId": "2-ZmE0YjFi", "text": "Following up."}),
    ("nvSendMessage", {"personUrl": P, "text": "Hello", "subject": "Intro"}),
    ("manageConversation", {"threadId": "2-ZmE0YjFi", "operation": "star"}),
    ("nvManageConversation", {"threadId": "2-ZmE0YjFi", "operation": "unarchive"}),
    ("sendConnectionRequest", {"personUrl": P, "note": "Loved your talk.", "email": "maya@example.com"}),
    ("withdrawConnectionRequest", {"personUrl": P, "unfollow": False}),
    ("withdrawConnectionRequest", {"personUrl": P}),
    ("acceptInvitation", {"invitationType": "connect", "personUrl": P}),
    ("ignoreInvitation", {"invitationType": "companyFollow", "companyUrl": COMPANY}),
    (
        "ignoreInvitation",
        {
            "invitationType": "newsletterSubscribe",
            "newsletterUrl": "https://www.linkedin.com/newsletters/data-weekly-7012345678",
        },
    ),
    ("removeConnection", {"personUrl": P}),
    ("reactToPost", {"postUrl": POST, "type": "insightful", "companyUrl": COMPANY}),
    ("commentOnPost", {"postUrn": "urn:li:activity:7301234567890123456", "text": "Great point."}),
    ("reactToComment", {"commentUrl": COMMENT}),
    ("reactToComment", {"commentUrl": COMMENT, "type": "funny"}),
    ("replyToComment", {"commentUrl": COMMENT, "text": "Agreed!"}),
    (
        "createPost",
        {
            "text": "Shipping day with @[maya]!",
            "companyUrl": COMPANY,
            "attachments": [
                {"url": "https://cdn.example.com/a.png", "type": "image"},
                {"url": "https://cdn.example.com/b.png", "type": "image"},
            ],
            "mentions": [{"key": "maya", "name": "Maya Lindqvist", "urn": "urn:li:member:74839201"}],
        },
    ),
    (
        "createPost",
        {
            "text": "Our report",
            "attachments": [{"url": "https://cdn.example.com/r.pdf", "type": "document", "name": "Report"}],
        },
    ),
    ("createRepost", {"postUrl": POST, "text": "Worth reading."}),
    ("endorsePersonSkill", {"personUrl": P, "skillName": "SQL"}),
    ("endorsePersonSkills", {"personUrl": P, "skillNamePatterns": ["Python", "SQL"]}),
    ("endorsePersonSkills", {"personUrl": P}),
    (
        "customWorkflow",
        {
            "definition": {
                "actionType": "st.searchCompanies",
                "term": "logistics",
                "limit": 2,
                "then": {
                    "actionType": "st.doForCompanies",
                    "then": {
                        "actionType": "st.openCompanyPage",
                        "basicInfo": True,
                        "then": {"actionType": "st.retrieveCompanyDMs", "limit": 2},
                    },
                },
            }
        },
    ),
    (
        "customWorkflow",
        {
            "definition": [
                {"actionType": "st.retrieveSSI", "label": "ssi"},
                {"actionType": "st.openPersonPage", "personUrl": P, "basicInfo": True, "label": "p"},
            ]
        },
    ),
]

_SDK = {
    cls.operation_name: cls
    for cls in (getattr(sdk_operations, n) for n in sdk_operations.__all__)
    if hasattr(cls, "operation_name")
}


def sdk_definition(operation: str, args: dict[str, Any]) -> Any:
    cls = _SDK[operation]
    params_type = typing.get_args(cls.__orig_bases__[0])[0]
    if operation == "customWorkflow":
        return cls.mapper.map_request(args["definition"])
    if params_type is type(None):
        return cls.mapper.map_request(None)
    return cls.mapper.map_request(params_type.model_validate(args))


def test_the_cases_cover_every_sdk_operation() -> None:
    assert {name for name, _ in CASES} == set(_SDK)


@pytest.mark.parametrize(("operation", "args"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_the_definition_equals_what_the_official_sdk_sends(operation: str, args: dict[str, Any]) -> None:
    op = by_operation_name(operation)
    assert op.build is not None
    ours = op.build(op.parse(args))
    assert ours == sdk_definition(operation, args)
    # And the sandbox's validator (the local copy of the API's rules) accepts it.
    validate_definition(ours)


def built(tool: str, args: dict[str, Any]) -> Any:
    op = CATALOG[tool]
    assert op.build is not None
    return op.build(op.parse(args))


def test_fixture_request_bodies_are_rebuilt_exactly() -> None:
    fixtures = shared_fixtures()
    person = json.loads((fixtures / "01-fetch-person.json").read_text())["exchanges"][0]["request"]["body"]
    args = {
        "personUrl": person["personUrl"],
        "retrieveExperience": True,
        "retrieveSkills": True,
        "retrievePosts": True,
        "postsRetrievalConfig": {"limit": 1, "since": "2026-07-01T00:00:00Z"},
    }
    assert built("fetch_person", args) == person

    message = json.loads((fixtures / "05-send-message.json").read_text())["exchanges"][0]["request"]["body"]
    args = {
        "personUrl": message["personUrl"],
        "text": message["text"],
        "manageConversation": {"operation": message["then"]["operation"]},
    }
    assert built("send_message", args) == message
