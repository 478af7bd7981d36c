"""Every catalog operation, end to end: facade → client → HTTP → sandbox → mapper → typed result.

The sandbox's clock is frozen (speed 0) and the facade's polling sleep advances it, so no test
waits in wall-clock time. Account-changing operations are checked for their visible effect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from linkedapi_mcp.catalog import CATALOG, Mapped
from linkedapi_mcp.client import LinkedApiClient
from linkedapi_mcp.facade import LinkedApi
from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

S = dict[str, Any]


class Runner:
    def __init__(self, sandbox: Sandbox, api: LinkedApi) -> None:
        self.sandbox, self.api = sandbox, api

    async def sleep(self, seconds: float) -> None:
        self.sandbox.advance(seconds)  # virtual time only

    async def __call__(self, tool: str, **args: Any) -> Mapped[Any]:
        op = CATALOG[tool]
        return await self.api.run(op, op.parse(args), poll_interval=5, timeout=24 * 3600, sleep=self.sleep)

    async def ok(self, tool: str, **args: Any) -> Any:
        result = await self(tool, **args)
        assert result.errors == [], result.errors
        return result.data


async def _runner(sandbox: Sandbox, client: LinkedApiClient) -> AsyncIterator[Runner]:
    async with client:
        yield Runner(sandbox, LinkedApi(client))


@pytest.fixture(scope="module")
def shared_sandbox() -> Sandbox:
    # One world for the per-operation tests (fast); each write there uses its own target.
    return Sandbox(seed=7, speed=0)


@pytest.fixture
async def run(shared_sandbox: Sandbox, client_for: Callable[[Sandbox], LinkedApiClient]) -> AsyncIterator[Runner]:
    async for runner in _runner(shared_sandbox, client_for(shared_sandbox)):
        yield runner


@pytest.fixture
async def fresh(client_for: Callable[[Sandbox], LinkedApiClient]) -> AsyncIterator[Runner]:
    sandbox = Sandbox(seed=11, speed=0)
    async for runner in _runner(sandbox, client_for(sandbox)):
        yield runner


# --- one case per operation ---------------------------------------------------------------------


@dataclass
class Case:
    args: Callable[[S], dict[str, Any]]
    check: Callable[[Any, S], None]
    setup: Callable[[Runner, S], Any] | None = None


def sp(s: S) -> S:
    return dict(s["special"])


def _person(data: Any, s: S) -> None:
    assert data.name
    assert data.publicUrl == s["personUrls"][0]
    assert data.experiences
    assert data.experiences[0].position
    assert data.skills
    assert data.languages is not None
    assert data.education is not None
    assert data.posts is not None
    assert len(data.posts) <= 2
    assert data.comments is not None
    assert data.reactions is not None


def _company(data: Any, s: S) -> None:
    assert data.name
    assert data.employees
    assert 1 <= len(data.employees) <= 5
    assert data.employees[0].name
    assert data.dms is not None
    assert data.posts is not None


def _nonempty_named(field: str = "name", most: int = 1000) -> Callable[[Any, S], None]:
    def check(data: Any, s: S) -> None:
        assert isinstance(data, list)
        assert 1 <= len(data) <= most
        assert all(getattr(item, field) for item in data)

    return check


def _void(data: Any, s: S) -> None:
    assert data is None


async def _sync_and_message(run: Runner, s: S) -> None:
    await run.ok("sync_conversation", personUrl=s["special"]["injectionPerson"])
    run.sandbox.inject_message(s["special"]["injectionPerson"], "Ping from the test")


async def _sync_inbox_and_message(run: Runner, s: S) -> None:
    await run.ok("sync_inbox")
    run.sandbox.inject_message(s["injectionPersonUrl"], "Inbox ping")


async def _sync_network_and_invite(run: Runner, s: S) -> None:
    await run.ok("sync_network")
    run.sandbox.inject_invitation(s["personUrls"][3], note="Let's connect")


def _skill_of(run: Runner, url: str) -> str:
    person = run.sandbox.world.find_person(url)
    return str(person.skills[0])


CASES: dict[str, Case] = {
    "fetch_person": Case(
        lambda s: {
            "personUrl": s["personUrls"][0],
            "retrieveExperience": True,
            "retrieveEducation": True,
            "retrieveSkills": True,
            "retrieveLanguages": True,
            "retrievePosts": True,
            "retrieveComments": True,
            "retrieveReactions": True,
            "postsRetrievalConfig": {"limit": 2},
        },
        _person,
    ),
    "endorse_person_skill": Case(
        lambda s: {"personUrl": sp(s)["endorsableConnection"], "skillName": s["_skill"]},
        _void,
        setup=lambda run, s: s.__setitem__("_skill", _skill_of(run, sp(s)["endorsableConnection"])),
    ),
    "endorse_person_skills": Case(
        lambda s: {"personUrl": sp(s)["endorsableConnection"]},
        lambda data, s: assert_all(data, lambda e: e.skillName and e.success is True),
    ),
    "fetch_company": Case(
        lambda s: {
            "companyUrl": sp(s)["northwind"],
            "retrieveEmployees": True,
            "retrieveDMs": True,
            "retrievePosts": True,
            "employeesRetrievalConfig": {"limit": 5},
        },
        _company,
    ),
    "search_people": Case(lambda s: {"term": "engineer", "limit": 5}, _nonempty_named(most=5)),
    "search_companies": Case(lambda s: {"limit": 3}, _nonempty_named(most=3)),
    "search_posts": Case(lambda s: {"term": "data", "limit": 3}, _nonempty_named("url", most=3)),
    "search_jobs": Case(lambda s: {"term": "engineer", "limit": 3}, _nonempty_named("title", most=3)),
    "fetch_job": Case(
        lambda s: {"jobUrl": s["jobUrls"][0]}, lambda data, s: assert_all([data], lambda j: j.title and j.companyName)
    ),
    "send_message": Case(lambda s: {"personUrl": s["connectionUrls"][1], "text": "Hello from the test"}, _void),
    "get_conversation": Case(
        lambda s: {"personUrl": sp(s)["injectionPerson"]},
        lambda data, s: assert_all(
            [data], lambda c: c.syncUntil and "Ping from the test" in [m.text for m in c.messages]
        ),
        setup=_sync_and_message,
    ),
    "sync_conversation": Case(
        lambda s: {"personUrl": s["personUrls"][1], "days": 10},
        lambda data, s: assert_all([data], lambda r: r.syncUntil),
    ),
    "sync_inbox": Case(lambda s: {}, _void),
    "get_inbox": Case(
        lambda s: {"type": "st"},
        lambda data, s: assert_all([data], lambda i: "Inbox ping" in [m.text for m in i.messages]),
        setup=_sync_inbox_and_message,
    ),
    "manage_conversation": Case(lambda s: {"threadId": s["threadIds"][1], "operation": "star"}, _void),
    "check_connection_status": Case(
        lambda s: {"personUrl": s["connectionUrls"][0]},
        lambda data, s: assert_all([data], lambda r: r.connectionStatus == "connected"),
    ),
    "send_connection_request": Case(lambda s: {"personUrl": s["personUrls"][2], "note": "Hi!"}, _void),
    "withdraw_connection_request": Case(lambda s: {"personUrl": s["pendingUrls"][1]}, _void),
    "retrieve_pending_requests": Case(lambda s: {}, _nonempty_named("publicUrl")),
    "retrieve_invitations": Case(lambda s: {}, _nonempty_named("invitationType")),
    "accept_invitation": Case(
        lambda s: {"invitationType": "connect", "personUrl": sp(s)["incomingInvitationPerson"]}, _void
    ),
    "ignore_invitation": Case(
        lambda s: {"invitationType": "newsletterSubscribe", "newsletterUrl": s["newsletterUrls"][0]}, _void
    ),
    "retrieve_connections": Case(lambda s: {"limit": 4}, _nonempty_named("publicUrl", most=4)),
    "remove_connection": Case(lambda s: {"personUrl": s["connectionUrls"][4]}, _void),
    "sync_network": Case(lambda s: {}, _void),
    "get_network": Case(
        lambda s: {"type": "connectionRequestReceived"},
        lambda data, s: assert_all([data], lambda n: s["personUrls"][3] in [e.personUrl for e in n.events]),
        setup=_sync_network_and_invite,
    ),
    "fetch_post": Case(
        lambda s: {
            "postUrl": s["postUrls"][0],
            "retrieveComments": True,
            "retrieveReactions": True,
            "commentsRetrievalConfig": {"limit": 5},
        },
        lambda data, s: assert_all([data], lambda p: p.url and p.author and p.comments and p.reactions is not None),
    ),
    "react_to_post": Case(lambda s: {"postUrl": s["postUrls"][1], "type": "celebrate"}, _void),
    "comment_on_post": Case(
        lambda s: {"postUrl": s["postUrls"][2], "text": "Insightful, thanks."},
        lambda data, s: assert_all([data], lambda c: c.commentUrl and c.commentUrn),
    ),
    "react_to_comment": Case(lambda s: {"commentUrl": s["commentUrls"][0]}, _void),
    "reply_to_comment": Case(
        lambda s: {"commentUrl": s["commentUrls"][1], "text": "Agreed."},
        lambda data, s: assert_all([data], lambda c: c.commentUrl),
    ),
    "create_post": Case(
        lambda s: {"text": "Hello LinkedIn, from a test."},
        lambda data, s: assert_all([data], lambda p: p.postUrl and p.postUrn),
    ),
    "create_repost": Case(
        lambda s: {"postUrl": s["postUrls"][3], "text": "Worth a read."},
        lambda data, s: assert_all([data], lambda p: p.postUrl),
    ),
    "retrieve_feed": Case(lambda s: {"limit": 5}, _nonempty_named("url", most=5)),
    "retrieve_profile_viewers": Case(lambda s: {"limit": 5}, _nonempty_named("viewerType", most=5)),
    "retrieve_ssi": Case(lambda s: {}, lambda data, s: assert_all([data], lambda r: 0 <= r.ssi <= 100)),
    "retrieve_performance": Case(
        lambda s: {}, lambda data, s: assert_all([data], lambda r: r.followersCount is not None)
    ),
    "get_account_info": Case(lambda s: {}, lambda data, s: assert_all([data], lambda a: a.name == s["me"]["name"])),
    "get_api_usage": Case(
        lambda s: {"start": s["_start"], "end": s["_end"]},
        lambda data, s: assert_all(data, lambda a: a.actionType and a.success is not None),
        setup=lambda run, s: _usage_window(run, s),
    ),
    "nv_fetch_person": Case(
        lambda s: {"personHashedUrl": s["nvPersonUrls"][0]},
        lambda data, s: assert_all([data], lambda p: p.name and p.hashedUrl),
    ),
    "nv_fetch_company": Case(
        lambda s: {
            "companyHashedUrl": s["nvCompanyUrls"][0],
            "retrieveEmployees": True,
            "retrieveDMs": True,
            "employeesRetrievalConfig": {"limit": 3},
        },
        lambda data, s: assert_all([data], lambda c: c.name and c.employees and len(c.employees) <= 3),
    ),
    "nv_search_people": Case(lambda s: {"limit": 3}, _nonempty_named("hashedUrl", most=3)),
    "nv_search_companies": Case(lambda s: {"limit": 3}, _nonempty_named("hashedUrl", most=3)),
    "nv_send_message": Case(lambda s: {"personUrl": s["nvPersonUrls"][1], "text": "Hi", "subject": "Intro"}, _void),
    "nv_get_conversation": Case(
        lambda s: {"personUrl": s["personUrls"][4]},
        lambda data, s: assert_all([data], lambda c: c.type == "nv" and c.syncUntil and c.messages is not None),
        setup=lambda run, s: run.ok("nv_sync_conversation", personUrl=s["personUrls"][4]),
    ),
    "nv_sync_conversation": Case(
        lambda s: {"personUrl": s["personUrls"][1]}, lambda data, s: assert_all([data], lambda r: r.syncUntil)
    ),
    "nv_sync_inbox": Case(lambda s: {}, _void),
    "nv_manage_conversation": Case(lambda s: {"threadId": sp(s)["nvThreadId"], "operation": "archive"}, _void),
    "execute_custom_workflow": Case(
        lambda s: {
            "definition": {
                "actionType": "st.searchCompanies",
                "limit": 2,
                "label": "search",
                "then": {
                    "actionType": "st.doForCompanies",
                    "then": {"actionType": "st.openCompanyPage", "basicInfo": True},
                },
            }
        },
        lambda data, s: assert_all(
            [data],
            lambda c: (
                c["label"] == "search"
                and len(c["data"]) == 2
                and c["data"][0]["then"][0]["actionType"] == "st.openCompanyPage"
            ),
        ),
    ),
}


def assert_all(items: Any, predicate: Callable[[Any], Any]) -> None:
    assert items
    for item in items:
        assert predicate(item), item


def _usage_window(run: Runner, s: S) -> Any:
    now = run.sandbox.now()
    s["_start"] = (now - timedelta(days=29)).isoformat()
    s["_end"] = (now + timedelta(hours=1)).isoformat()
    return run.ok("retrieve_ssi")  # at least one executed action in the window


def test_every_catalog_operation_has_an_end_to_end_case() -> None:
    assert set(CASES) == set(CATALOG)


@pytest.mark.parametrize("tool", list(CASES))
async def test_the_operation_runs_against_the_sandbox_and_returns_typed_data(run: Runner, tool: str) -> None:
    samples = run.sandbox.samples()
    case = CASES[tool]
    if case.setup is not None:
        pending = case.setup(run, samples)
        if pending is not None:
            await pending
    result = await run(tool, **case.args(samples))
    assert result.errors == [], result.errors
    data_type = CATALOG[tool].data_type
    if data_type is not None and tool != "execute_custom_workflow":
        from pydantic import TypeAdapter

        TypeAdapter(data_type).validate_python(result.data)  # already typed: revalidation is a no-op
    case.check(result.data, samples)


# --- visible effects of account-changing operations ---------------------------------------------


async def test_a_sent_message_then_appears_in_the_inbox_and_the_conversation(fresh: Runner) -> None:
    s = fresh.sandbox.samples()
    friend = s["connectionUrls"][0]
    await fresh.ok("sync_inbox")
    await fresh.ok("sync_conversation", personUrl=friend)
    await fresh.ok("send_message", personUrl=friend, text="Lunch on Friday?")

    inbox = await fresh.ok("get_inbox", personUrl=friend)
    assert "Lunch on Friday?" in [m.text for m in inbox.messages if m.sender == "us"]
    conversation = await fresh.ok("get_conversation", personUrl=friend)
    assert conversation.messages[-1].text == "Lunch on Friday?"

    # A reply into the same thread by threadId lands there too.
    thread = next(m.threadId for m in inbox.messages if m.text == "Lunch on Friday?")
    await fresh.ok("send_message", threadId=thread, text="Or Monday.")
    inbox = await fresh.ok("get_inbox", threadId=thread)
    assert inbox.messages[0].text == "Or Monday."


async def test_a_connection_request_is_then_pending_and_withdrawing_removes_it(fresh: Runner) -> None:
    stranger = fresh.sandbox.samples()["special"]["notConnectedPerson"]
    await fresh.ok("send_connection_request", personUrl=stranger, note="Met you at the meetup")

    assert (await fresh.ok("check_connection_status", personUrl=stranger)).connectionStatus == "pending"
    assert stranger in [r.publicUrl for r in await fresh.ok("retrieve_pending_requests")]

    await fresh.ok("withdraw_connection_request", personUrl=stranger)
    assert (await fresh.ok("check_connection_status", personUrl=stranger)).connectionStatus == "notConnected"
    assert stranger not in [r.publicUrl for r in await fresh.ok("retrieve_pending_requests")]


async def test_accepting_an_invitation_connects_and_removing_the_connection_undoes_it(fresh: Runner) -> None:
    inviter = fresh.sandbox.samples()["special"]["incomingInvitationPerson"]
    invitations = await fresh.ok("retrieve_invitations")
    assert inviter in [i.publicUrl for i in invitations if i.invitationType == "connect"]
    assert (await fresh.ok("check_connection_status", personUrl=inviter)).connectionStatus == "incoming"

    await fresh.ok("accept_invitation", invitationType="connect", personUrl=inviter)
    assert (await fresh.ok("check_connection_status", personUrl=inviter)).connectionStatus == "connected"
    assert inviter not in [i.publicUrl for i in await fresh.ok("retrieve_invitations")]

    await fresh.ok("remove_connection", personUrl=inviter)
    assert (await fresh.ok("check_connection_status", personUrl=inviter)).connectionStatus == "notConnected"


async def test_a_reaction_and_a_comment_are_then_visible_on_the_post(fresh: Runner) -> None:
    post = fresh.sandbox.samples()["postUrls"][1]
    await fresh.ok("react_to_post", postUrl=post, type="insightful")
    comment = await fresh.ok("comment_on_post", postUrl=post, text="This matches what we saw in Q3.")

    fetched = await fresh.ok(
        "fetch_post", postUrl=post, retrieveComments=True, commentsRetrievalConfig={"sort": "mostRecent", "limit": 50}
    )
    assert fetched.viewerState.reaction == "insightful"
    mine = [c for c in fetched.comments if c.commentUrl == comment.commentUrl]
    assert [c.text for c in mine] == ["This matches what we saw in Q3."]

    await fresh.ok("react_to_comment", commentUrl=comment.commentUrl, type="love")
    reply = await fresh.ok("reply_to_comment", commentUrl=comment.commentUrl, text="(and in Q4)")
    fetched = await fresh.ok(
        "fetch_post",
        postUrl=post,
        retrieveComments=True,
        commentsRetrievalConfig={"sort": "mostRecent", "limit": 50, "replies": True},
    )
    by_url = {c.commentUrl: c for c in fetched.comments}
    assert by_url[comment.commentUrl].viewerState.reaction == "love"
    assert by_url[reply.commentUrl].isReply is True


async def test_a_created_post_can_then_be_fetched_and_reposted(fresh: Runner) -> None:
    created = await fresh.ok("create_post", text="We are hiring data engineers!")
    fetched = await fresh.ok("fetch_post", postUrl=created.postUrl)
    assert fetched.text == "We are hiring data engineers!"
    assert fetched.viewerState.isOwn is True
    by_urn = await fresh.ok("fetch_post", postUrn=created.postUrn)
    assert by_urn.url == fetched.url

    repost = await fresh.ok("create_repost", postUrn=created.postUrn, text="Please share")
    assert (await fresh.ok("fetch_post", postUrl=repost.postUrl)).type == "repost"


async def test_endorsing_skills_reports_each_skill_and_a_partial_failure_is_kept(fresh: Runner) -> None:
    s = fresh.sandbox.samples()
    friend = s["special"]["endorsableConnection"]
    skills = fresh.sandbox.world.find_person(friend).skills
    outcomes = await fresh.ok("endorse_person_skills", personUrl=friend, skillNamePatterns=[skills[0]])
    assert [(o.skillName, o.success) for o in outcomes] == [(skills[0], True)]

    missing = await fresh("endorse_person_skill", personUrl=friend, skillName=s["unknownSkill"])
    assert [(e.type, e.actionType) for e in missing.errors] == [("skillNotFound", "st.endorsePersonSkill")]


async def test_a_failed_child_retrieval_keeps_the_company_and_names_the_failing_action(fresh: Runner) -> None:
    company = fresh.sandbox.samples()["special"]["retrievingNotAllowedCompany"]
    result = await fresh("fetch_company", companyUrl=company, retrieveEmployees=True, retrieveDMs=True)
    failing = {e.actionType for e in result.errors}
    assert failing
    assert failing <= {"st.retrieveCompanyEmployees", "st.retrieveCompanyDMs"}
    assert all(e.type == "retrievingNotAllowed" for e in result.errors)
    assert result.data is not None
    assert result.data.name


async def test_a_conversation_never_synced_comes_back_as_an_error_not_an_exception(fresh: Runner) -> None:
    result = await fresh("get_conversation", personUrl=fresh.sandbox.samples()["personUrls"][2])
    assert result.data is None
    assert [e.type for e in result.errors] == ["conversationsNotSynced"]
