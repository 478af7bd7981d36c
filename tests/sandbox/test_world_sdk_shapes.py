"""Every predefined operation of the official SDK parses what the sandbox world produces.

Requests are built by the SDK's own request mappers, checked by our validator, executed by the
world, and the completions go back through the SDK's result mappers and models.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import linkedapi.operations as ops
import pytest
from linkedapi.types import (
    ConversationPollResult,
    InboxMessage,
    InboxPersonPollResult,
)

from linkedapi_mcp.actions import validate_definition
from linkedapi_mcp.sandbox.world import World

EPOCH = datetime(2026, 8, 20, 9, 0, tzinfo=UTC)
NOW = EPOCH + timedelta(hours=3)


@pytest.fixture(scope="module")
def world() -> World:
    return World(7, epoch=EPOCH)


def _params(world: World) -> list[tuple[Any, dict[str, Any] | None]]:
    s = world.samples()
    sp = s["special"]
    conn, person, post, company = s["connectionUrls"][0], s["personUrls"][0], s["postUrls"][0], s["companyUrls"][0]
    invitation = next(i for i in world.invitations if i.type == "connect")
    return [
        (ops.FetchPerson, {"personUrl": conn, "retrieveExperience": True, "retrieveEducation": True,
                           "retrieveSkills": True, "retrieveLanguages": True, "retrievePosts": True,
                           "retrieveComments": True, "retrieveReactions": True,
                           "postsRetrievalConfig": {"limit": 3}}),
        (ops.NvFetchPerson, {"personHashedUrl": s["nvPersonUrls"][0]}),
        (ops.FetchCompany, {"companyUrl": company, "retrieveEmployees": True, "retrieveDMs": True,
                            "retrievePosts": True, "employeesRetrievalConfig": {"limit": 5}}),
        (ops.NvFetchCompany, {"companyHashedUrl": s["nvCompanyUrls"][0], "retrieveEmployees": True,
                              "retrieveDMs": True}),
        (ops.FetchPost, {"postUrl": post, "retrieveComments": True, "retrieveReactions": True,
                         "commentsRetrievalConfig": {"limit": 5, "replies": True}}),
        (ops.FetchJob, {"jobUrl": s["jobUrls"][0]}),
        (ops.SearchPeople, {"term": "engineer", "limit": 5}),
        (ops.NvSearchPeople, {"term": "manager", "limit": 5}),
        (ops.SearchCompanies, {"limit": 5}),
        (ops.NvSearchCompanies, {"limit": 5}),
        (ops.SearchJobs, {"term": "engineer", "limit": 5}),
        (ops.SearchPosts, {"term": "the", "limit": 5}),
        (ops.CheckConnectionStatus, {"personUrl": person}),
        (ops.RetrievePendingRequests, None),
        (ops.RetrieveInvitations, None),
        (ops.RetrieveConnections, {"limit": 5}),
        (ops.RetrieveFeed, {"limit": 10}),
        (ops.RetrieveProfileViewers, {"limit": 30}),
        (ops.RetrieveSSI, None),
        (ops.RetrievePerformance, None),
        (ops.SyncConversation, {"personUrl": conn}),
        (ops.NvSyncConversation, {"personUrl": conn}),
        (ops.SyncInbox, None),
        (ops.NvSyncInbox, None),
        (ops.SyncNetwork, None),
        (ops.SendMessage, {"personUrl": conn, "text": "Hello!", "manageConversation": {"operation": "star"}}),
        (ops.NvSendMessage, {"personUrl": person, "text": "Hello!", "subject": "Hi"}),
        (ops.ManageConversation, {"threadId": s["threadIds"][1], "operation": "archive"}),
        (ops.NvManageConversation, {"threadId": sp["nvThreadId"], "operation": "archive"}),
        (ops.SendConnectionRequest, {"personUrl": person, "note": "Hi!"}),
        (ops.WithdrawConnectionRequest, {"personUrl": s["pendingUrls"][0]}),
        (ops.AcceptInvitation, {"invitationType": "connect", "personUrl": invitation.person.public_url}),
        (ops.IgnoreInvitation, {"invitationType": "newsletterSubscribe", "newsletterUrl": s["newsletterUrls"][0]}),
        (ops.RemoveConnection, {"personUrl": s["connectionUrls"][4]}),
        (ops.ReactToPost, {"postUrl": post, "type": "celebrate"}),
        (ops.CommentOnPost, {"postUrl": post, "text": "Nice one."}),
        (ops.ReactToComment, {"commentUrl": s["commentUrls"][0], "type": "love"}),
        (ops.ReplyToComment, {"commentUrl": s["commentUrls"][0], "text": "Agreed."}),
        (ops.CreatePost, {"text": "Hello #world"}),
        (ops.CreateRepost, {"postUrl": s["postUrls"][1], "text": "Worth reading"}),
        (ops.EndorsePersonSkill, {"personUrl": sp["endorsableConnection"],
                                  "skillName": world.find_person(sp["endorsableConnection"]).skills[0]}),  # type: ignore[union-attr]
        (ops.EndorsePersonSkills, {"personUrl": sp["endorsableConnection"]}),
    ]


READS = {"fetchPerson", "nvFetchPerson", "fetchCompany", "nvFetchCompany", "fetchPost", "fetchJob", "searchPeople",
         "nvSearchPeople", "searchCompanies", "nvSearchCompanies", "searchJobs", "searchPosts",
         "retrievePendingRequests",
         "retrieveInvitations", "retrieveConnections", "retrieveFeed", "retrieveProfileViewers", "retrieveSSI",
         "retrievePerformance", "syncConversation", "commentOnPost", "replyToComment", "createPost", "createRepost",
         "endorsePersonSkills", "checkConnectionStatus"}


def _params_model(op: Any) -> Any:
    return op.__orig_bases__[0].__args__[0]


def test_every_predefined_operation_round_trips_through_the_official_sdk(world: World) -> None:
    covered = set()
    for op, raw in _params(world):
        model = _params_model(op)
        params = None if raw is None or model is type(None) else model.model_validate(raw)
        definition = op.mapper.map_request(params)
        validate_definition(definition)
        completion = world.execute(definition, NOW)
        mapped = op.mapper.map_response(completion)
        assert mapped.errors == [], (op.operation_name, mapped.errors)
        if op.operation_name in READS:
            assert mapped.data, op.operation_name
        covered.add(op.operation_name)
    assert len(covered) == 42  # all 43 operations of SDK 1.4.7 but customWorkflow


def test_direct_reads_parse_with_the_sdk_models(world: World) -> None:
    s = world.samples()
    conn = s["connectionUrls"][0]
    world.execute([{"actionType": "st.syncInbox"}, {"actionType": "st.syncConversation", "personUrl": conn}], NOW)
    world.execute({"actionType": "st.sendMessage", "personUrl": conn, "text": "ping"}, NOW + timedelta(minutes=1))
    for entry in world.poll_conversations([{"personUrl": conn, "type": "st"}]):
        ConversationPollResult.model_validate(entry)
    messages = world.poll_inbox({})["messages"]
    assert messages
    for m in messages:
        InboxMessage.model_validate(m)
    InboxPersonPollResult.model_validate(world.poll_inbox({"personUrl": conn}))
