"""The synthetic world: determinism, searches, visible effects, action errors, limits, nesting."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from linkedapi_mcp.sandbox.errors import SandboxRequestError
from linkedapi_mcp.sandbox.world import World

EPOCH = datetime(2026, 8, 20, 9, 0, tzinfo=UTC)
NOW = EPOCH + timedelta(hours=1)


@pytest.fixture
def world() -> World:
    return World(42, epoch=EPOCH)


@pytest.fixture(scope="module")
def shared() -> World:
    """One world for tests that only read or fail (they change nothing another test sees)."""
    return World(42, epoch=EPOCH)


def run(world: World, definition: dict[str, Any] | list[Any], now: datetime = NOW) -> Any:
    return world.execute(definition, now)


def data(world: World, definition: dict[str, Any], now: datetime = NOW) -> Any:
    result = run(world, definition, now)
    assert result["success"], result
    return result.get("data")


# --- determinism ---------------------------------------------------------------------------------

SCRIPT: list[dict[str, Any]] = [
    {"actionType": "st.searchPeople", "term": "engineer", "limit": 20},
    {"actionType": "st.retrieveConnections", "limit": 50},
    {"actionType": "st.retrieveFeed", "limit": 30},
    {"actionType": "st.createPost", "text": "Hello #sandbox"},
    {"actionType": "st.searchCompanies", "limit": 30, "then": {"actionType": "st.doForCompanies", "then": {
        "actionType": "st.openCompanyPage", "basicInfo": True, "then": [{"actionType": "st.retrieveCompanyDMs"}]}}},
]


def test_the_same_seed_gives_byte_identical_worlds_and_results() -> None:
    a, b = World(5, epoch=EPOCH), World(5, epoch=EPOCH)
    assert json.dumps(a.samples()) == json.dumps(b.samples())
    assert json.dumps(run(a, SCRIPT)) == json.dumps(run(b, SCRIPT))
    assert a.estimate_duration(SCRIPT) == b.estimate_duration(SCRIPT)


def test_a_different_seed_gives_a_different_world() -> None:
    a, b = World(5, epoch=EPOCH), World(6, epoch=EPOCH)
    assert json.dumps(run(a, SCRIPT)) != json.dumps(run(b, SCRIPT))


def test_public_and_hashed_urls_and_urns_open_the_same_person(shared: World) -> None:
    url = shared.samples()["personUrls"][0]
    person = data(shared, {"actionType": "st.openPersonPage", "basicInfo": True, "personUrl": url})
    for other in (person["hashedUrl"], person["urn"], url + "/"):
        assert data(shared, {"actionType": "st.openPersonPage", "basicInfo": True, "personUrl": other}) == person


def test_durations_grow_with_the_work_requested(shared: World) -> None:
    small = shared.estimate_duration({"actionType": "st.searchPeople", "limit": 5})
    large = shared.estimate_duration({"actionType": "st.searchPeople", "limit": 500})
    fetch = shared.estimate_duration({"actionType": "st.openPersonPage", "personUrl": "x", "basicInfo": True})
    assert 5 < fetch < 30
    assert small < 30 < 120 < large


# --- searches ------------------------------------------------------------------------------------

def test_search_people_honours_every_filter_and_the_limit(shared: World) -> None:
    everyone = data(shared, {"actionType": "st.searchPeople", "limit": 1000})
    assert 300 < len(everyone) < 1000  # the base world plus the prospecting market
    f = {"locations": ["Germany", "Sweden"], "connectionDegrees": ["2nd", "3rd+"]}
    found = data(shared, {"actionType": "st.searchPeople", "limit": 1000, "filter": f})
    assert found
    assert all(("Germany" in p["location"] or "Sweden" in p["location"])
               and p["viewerState"]["connectionDegree"] in ("2nd", "3rd+") for p in found)
    assert len(data(shared, {"actionType": "st.searchPeople", "limit": 3, "filter": f})) == 3


def test_search_people_term_is_case_insensitive_over_names_and_headlines(shared: World) -> None:
    upper = data(shared, {"actionType": "st.searchPeople", "term": "ENGINEER", "limit": 1000})
    lower = data(shared, {"actionType": "st.searchPeople", "term": "engineer", "limit": 1000})
    assert upper == lower
    people = [shared.find_person(p["publicUrl"]) for p in upper]
    assert upper
    assert all(p is not None and "engineer" in (p.headline + p.position).lower() for p in people)


def test_search_people_reads_keywords_from_a_custom_search_url(shared: World) -> None:
    by_url = data(shared, {"actionType": "st.searchPeople", "limit": 50,
                          "customSearchUrl": "https://www.linkedin.com/search/results/people/?keywords=data%20engineer"})
    by_term = data(shared, {"actionType": "st.searchPeople", "limit": 50, "term": "data engineer"})
    assert by_url == by_term
    assert by_url


def test_search_companies_filters_by_size_and_industry(shared: World) -> None:
    sizes = ["51-200", "201-500"]
    found = data(shared, {"actionType": "nv.searchCompanies", "limit": 100, "filter": {"sizes": sizes}})
    assert found
    assert all(51 <= c["employeesCount"] <= 500 for c in found)
    software = data(shared, {"actionType": "st.searchCompanies", "limit": 100,
                            "filter": {"industries": ["Software Development"]}})
    assert software
    assert all(c["industry"] == "Software Development" for c in software)


def test_search_jobs_applies_classic_filters(shared: World) -> None:
    remote = data(shared, {"actionType": "st.searchJobs", "limit": 100, "filter": {"workplaceTypes": ["remote"]}})
    assert remote
    assert all(j["workplaceType"] == "remote" for j in remote)
    easy = data(shared, {"actionType": "st.searchJobs", "limit": 100, "filter": {"easyApply": True}})
    assert easy
    assert all(j["easyApply"] for j in easy)


def test_nv_search_people_accepts_both_years_of_experience_spellings(shared: World) -> None:
    a = data(shared, {"actionType": "nv.searchPeople", "limit": 500, "filter": {"yearsOfExperiences": ["moreThanTen"]}})
    b = data(shared, {"actionType": "nv.searchPeople", "limit": 500, "filter": {"yearsOfExperience": ["moreThanTen"]}})
    assert a == b
    assert 0 < len(a) < 300
    assert all("/sales/lead/" in p["hashedUrl"] for p in a)


# --- effects visible afterwards ----------------------------------------------------------------------

def test_a_sent_message_reaches_the_conversation_and_the_inbox(world: World) -> None:
    person = world.samples()["connectionUrls"][1]
    assert world.poll_inbox({}) == {"messages": []}  # nothing before monitoring is enabled
    run(world, [{"actionType": "st.syncInbox"}, {"actionType": "st.syncConversation", "personUrl": person, "days": 10}])
    sent = run(world, {"actionType": "st.sendMessage", "personUrl": person, "text": "Coffee next week?"},
               NOW + timedelta(minutes=3))
    assert sent == {"actionType": "st.sendMessage", "success": True}
    inbox = world.poll_inbox({})["messages"]
    assert [(m["sender"], m["text"]) for m in inbox] == [("us", "Coffee next week?")]
    conv = world.poll_conversations([{"personUrl": person, "type": "st"}])[0]
    assert conv["messages"][-1]["text"] == "Coffee next week?"
    assert conv["syncUntil"] == "2026-08-30T10:00:00Z"
    # A reply into the thread by threadId lands in the same thread.
    thread_id = inbox[0]["threadId"]
    run(world, {"actionType": "st.sendMessage", "threadId": thread_id, "text": "Tuesday?"}, NOW + timedelta(minutes=4))
    assert world.poll_inbox({"threadId": thread_id})["messages"][0]["text"] == "Tuesday?"


def test_an_injected_incoming_message_appears_newest_first(world: World) -> None:
    person = world.samples()["connectionUrls"][2]
    run(world, {"actionType": "st.syncInbox"})
    world.inject_incoming_message(person, "first", NOW + timedelta(minutes=1))
    world.inject_incoming_message(person, "second", NOW + timedelta(minutes=2))
    assert [m["text"] for m in world.poll_inbox({"type": "st"})["messages"]] == ["second", "first"]
    assert world.poll_inbox({"type": "nv"})["messages"] == []


def test_polling_a_conversation_that_was_never_synced_is_a_request_error(shared: World) -> None:
    with pytest.raises(SandboxRequestError) as exc:
        shared.poll_conversations([{"personUrl": shared.samples()["connectionUrls"][0], "type": "st"}])
    assert exc.value.type == "conversationsNotSynced"


def test_connection_requests_become_pending_and_can_be_withdrawn(world: World) -> None:
    url = world.samples()["personUrls"][0]
    status = {"actionType": "st.checkConnectionStatus", "personUrl": url}
    assert data(world, status) == {"connectionStatus": "notConnected"}
    run(world, {"actionType": "st.sendConnectionRequest", "personUrl": url, "note": "Hi!"})
    assert data(world, status) == {"connectionStatus": "pending"}
    pending = data(world, {"actionType": "st.retrievePendingRequests"})
    assert pending[0]["publicUrl"] == url
    assert pending[0]["sentTime"] == "2026-08-20T10:00:00Z"
    assert run(world, {"actionType": "st.withdrawConnectionRequest", "personUrl": url})["success"]
    assert data(world, status) == {"connectionStatus": "notConnected"}
    again = run(world, {"actionType": "st.withdrawConnectionRequest", "personUrl": url})
    assert again["error"]["type"] == "notPending"


def test_accepting_an_invitation_connects_and_emits_a_network_event(world: World) -> None:
    inviter = world.samples()["special"]["incomingInvitationPerson"]
    status = {"actionType": "st.checkConnectionStatus", "personUrl": inviter}
    assert data(world, status) == {"connectionStatus": "incoming"}
    run(world, {"actionType": "st.syncNetwork"})
    run(world, {"actionType": "st.acceptInvitation", "invitationType": "connect", "personUrl": inviter},
        NOW + timedelta(minutes=1))
    assert data(world, status) == {"connectionStatus": "connected"}
    events = world.poll_network({})["events"]
    assert [(e["type"], e["personUrl"]) for e in events] == [("connectionAdded", inviter)]
    assert all(i["publicUrl"] != inviter or i["invitationType"] != "connect"
               for i in data(world, {"actionType": "st.retrieveInvitations"}))


def test_an_accepted_request_becomes_a_connection_with_a_network_event(world: World) -> None:
    url = world.samples()["pendingUrls"][0]
    run(world, {"actionType": "st.syncNetwork"})
    world.accept_pending_request(url, NOW + timedelta(minutes=1))
    assert data(world, {"actionType": "st.checkConnectionStatus", "personUrl": url}) == {
        "connectionStatus": "connected"}
    assert [e["type"] for e in world.poll_network({"type": "connectionAccepted"})["events"]] == ["connectionAccepted"]
    assert world.poll_network({"since": "2026-08-21T00:00:00Z"})["events"] == []


def test_captured_messages_and_network_changes_are_drained_once_as_webhook_events(world: World) -> None:
    person = world.samples()["connectionUrls"][0]
    world.inject_incoming_message(person, "before monitoring", NOW)
    run(world, [{"actionType": "st.syncInbox"}, {"actionType": "st.syncNetwork"}])
    world.inject_incoming_message(person, "after monitoring", NOW + timedelta(minutes=1))
    world.inject_invitation(world.samples()["personUrls"][0], NOW + timedelta(minutes=2))
    events = world.drain_events()
    assert [e["type"] for e in events] == ["inbox.messageReceived", "network.connectionRequestReceived"]
    assert events[0]["data"]["text"] == "after monitoring"
    assert events[0]["id"] == f"inbox.messageReceived:{events[0]['data']['messageId']}"
    assert world.drain_events() == []


def test_removing_a_connection_makes_it_a_non_connection(world: World) -> None:
    url = world.samples()["connectionUrls"][0]
    assert run(world, {"actionType": "st.removeConnection", "personUrl": url})["success"]
    assert data(world, {"actionType": "st.checkConnectionStatus", "personUrl": url}) == {
        "connectionStatus": "notConnected"}
    assert run(world, {"actionType": "st.removeConnection", "personUrl": url})["error"]["type"] == "connectionNotFound"


def test_reactions_and_comments_show_on_the_post(world: World) -> None:
    url = world.samples()["postUrls"][0]
    before = data(world, {"actionType": "st.openPost", "postUrl": url, "basicInfo": True})
    run(world, {"actionType": "st.reactToPost", "postUrl": url, "type": "insightful"})
    made = data(world, {"actionType": "st.commentOnPost", "postUrl": url, "text": "Very useful."})
    post = data(world, {"actionType": "st.openPost", "postUrl": url, "basicInfo": True, "then": [
        {"actionType": "st.retrievePostComments", "sort": "mostRecent", "limit": 1},
        {"actionType": "st.retrievePostReactions", "limit": 1}]})
    assert post["reactionsCount"] == before["reactionsCount"] + 1
    assert post["commentsCount"] == before["commentsCount"] + 1
    assert post["viewerState"]["reaction"] == "insightful"
    comment = post["then"][0]["data"][0]
    assert comment["commentUrn"] == made["commentUrn"]
    assert comment["viewerState"]["isOwn"] is True
    assert post["then"][1]["data"][0]["actor"]["profileUrl"] == world.me.public_url
    # Reacting again replaces the reaction instead of adding one.
    run(world, {"actionType": "st.reactToPost", "postUrl": url, "type": "like"})
    again = data(world, {"actionType": "st.openPost", "postUrl": url, "basicInfo": True})
    assert again["reactionsCount"] == post["reactionsCount"]
    assert again["viewerState"]["reaction"] == "like"


def test_a_created_post_opens_by_url_and_urn_and_is_listed_as_mine(world: World) -> None:
    made = data(world, {"actionType": "st.createPost", "text": "Shipping the sandbox today #python"})
    by_urn = data(world, {"actionType": "st.openPost", "postUrn": made["postUrn"], "basicInfo": True})
    assert by_urn["url"] == made["postUrl"]
    assert by_urn["viewerState"]["isOwn"] is True
    assert by_urn["hashtags"] == ["#python"]
    own = run(world, {"actionType": "st.openPersonPage", "personUrl": world.me.public_url,
                      "then": [{"actionType": "st.retrievePersonPosts", "limit": 1}]})
    assert own["data"]["then"][0]["data"][0]["url"] == made["postUrl"]


def test_a_reply_to_a_comment_is_counted_on_it(world: World) -> None:
    comment_url = world.samples()["commentUrls"][0]
    reply = data(world, {"actionType": "st.replyToComment", "commentUrl": comment_url, "text": "+1"})
    assert reply["commentUrl"].startswith("https://www.linkedin.com/feed/update/urn:li:activity:")
    assert run(world, {"actionType": "st.replyToComment", "commentUrl": comment_url, "text": "+1"})["error"][
        "type"] == "duplicateComment"


def test_manage_conversation_records_the_thread_state(world: World) -> None:
    thread_id = world.samples()["threadIds"][0]
    run(world, {"actionType": "st.manageConversation", "threadId": thread_id, "operation": "star"})
    run(world, {"actionType": "st.manageConversation", "threadId": thread_id, "operation": "mute"})
    run(world, {"actionType": "st.manageConversation", "threadId": thread_id, "operation": "unmute"})
    thread = world.find_thread(thread_id)
    assert thread is not None
    assert thread.state == {"starred"}


def test_endorsing_a_skill_of_a_connection_succeeds(world: World) -> None:
    url = world.samples()["special"]["endorsableConnection"]
    result = run(world, {"actionType": "st.openPersonPage", "personUrl": url, "then": {
        "actionType": "st.retrievePersonSkills", "then": {"actionType": "st.doForSkills", "then": {
            "actionType": "st.endorsePersonSkill"}}}})
    skills = result["data"]["then"]["data"]
    assert skills
    assert all(item["then"] == [{"actionType": "st.endorsePersonSkill", "success": True}]
                          for item in skills)


# --- action errors -----------------------------------------------------------------------------------

def _sp(key: str) -> Callable[[World], str]:
    return lambda w: str(w.samples()["special"][key])


def _nf(key: str) -> Callable[[World], str]:
    return lambda w: str(w.samples()["notFound"][key])


def _first(key: str) -> Callable[[World], str]:
    return lambda w: str(w.samples()[key][0])


ERROR_CASES: list[tuple[str, str, Callable[[World], str], dict[str, Any]]] = [
    ("personNotFound", "st.openPersonPage", _nf("personUrl"), {}),
    ("selfProfileNotAllowed", "st.openPersonPage", _sp("me"), {"basicInfo": True}),
    ("companyNotFound", "st.openCompanyPage", _nf("companyUrl"), {}),
    ("postNotFound", "st.openPost", _nf("postUrl"), {}),
    ("jobNotFound", "st.openJob", _nf("jobUrl"), {}),
    ("commentNotFound", "st.reactToComment", _nf("commentUrl"), {}),
    ("threadNotFound", "st.manageConversation", _nf("threadId"), {"operation": "archive"}),
    ("emailRequired", "st.sendConnectionRequest", _sp("emailRequired"), {}),
    ("requestNotAllowed", "st.sendConnectionRequest", _sp("requestNotAllowed"), {}),
    ("alreadyConnected", "st.sendConnectionRequest", _first("connectionUrls"), {}),
    ("alreadyPending", "st.sendConnectionRequest", _first("pendingUrls"), {}),
    ("noteTooLong", "st.sendConnectionRequest", _first("personUrls"), {"note": "x" * 301}),
    ("messagingNotAllowed", "st.sendMessage", _sp("messagingNotAllowed"), {"text": "hi"}),
    ("notPending", "st.withdrawConnectionRequest", _first("personUrls"), {}),
    ("connectionNotFound", "st.removeConnection", _first("personUrls"), {}),
    ("endorsementUnavailable", "st.endorsePersonSkill", _sp("endorsementDisabledPerson"), {"skillName": "SQL"}),
    ("endorsementUnavailable", "st.endorsePersonSkill", _first("personUrls"), {"skillName": "SQL"}),
    ("skillNotFound", "st.endorsePersonSkill", _sp("endorsableConnection"),
     {"skillName": "Underwater Basket Weaving"}),
    ("commentingNotAllowed", "st.commentOnPost", _sp("commentsDisabledPost"), {"text": "hi"}),
    ("duplicateComment", "st.commentOnPost", _sp("duplicateCommentPost"),
     {"text": "Great insights, thanks for sharing!"}),
    ("replyingNotAllowed", "st.replyToComment", _sp("replyingNotAllowedComment"), {"text": "hi"}),
    ("repostNotAllowed", "st.createRepost", _sp("repostNotAllowedPost"), {}),
    ("alreadyReposted", "st.createRepost", _sp("alreadyRepostedPost"), {}),
    ("filterNotApplied", "st.searchPosts", lambda w: "video", {"filter": {"contentType": "liveVideos"}}),
    ("noPostingPermission", "st.reactToPost", _first("postUrls"),
     {"type": "like", "companyUrl": "https://www.linkedin.com/company/northwind-analytics"}),
]

_TARGET_KEY = {"st.openPersonPage": "personUrl", "st.openCompanyPage": "companyUrl", "st.openPost": "postUrl",
               "st.openJob": "jobUrl", "st.reactToComment": "commentUrl", "st.replyToComment": "commentUrl",
               "st.manageConversation": "threadId", "st.commentOnPost": "postUrl", "st.createRepost": "postUrl",
               "st.reactToPost": "postUrl", "st.searchPosts": "term"}


@pytest.mark.parametrize(("error", "action", "target", "params"), ERROR_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in ERROR_CASES])
def test_action_errors_arise_where_the_world_says_so(
        shared: World, error: str, action: str, target: Callable[[World], str], params: dict[str, Any]) -> None:
    node = {"actionType": action, _TARGET_KEY.get(action, "personUrl"): target(shared), **params, "label": "x"}
    result = run(shared, node)
    assert result["success"] is False
    assert "data" not in result
    assert result["error"]["type"] == error
    assert result["error"]["message"]
    assert result["label"] == "x"


def test_mentions_that_match_nobody_are_not_resolved(shared: World) -> None:
    result = run(shared, {"actionType": "st.createPost", "text": "Thanks @[a]!",
                         "mentions": [{"key": "a", "name": "Nobody Atall"}]})
    assert result["error"]["type"] == "mentionNotResolved"


def test_employees_of_a_restricted_company_cannot_be_retrieved(shared: World) -> None:
    result = run(shared, {"actionType": "st.openCompanyPage", "companyUrl": shared.samples()["special"][
        "retrievingNotAllowedCompany"], "then": [{"actionType": "st.retrieveCompanyEmployees"}]})
    assert result["success"] is True
    assert result["data"]["then"][0]["error"]["type"] == "retrievingNotAllowed"


def test_sales_navigator_actions_fail_without_a_subscription() -> None:
    world = World(42, epoch=EPOCH, sales_navigator=False)
    result = run(world, {"actionType": "nv.searchPeople", "term": "data"})
    assert result == {"actionType": "nv.searchPeople", "success": False, "error": {
        "type": "noSalesNavigator", "message": "Your account does not have Sales Navigator subscription."}}
    world.sales_navigator = True
    assert run(world, {"actionType": "nv.searchPeople", "term": "data"})["success"] is True


# --- limits ------------------------------------------------------------------------------------------

def test_actions_beyond_the_configured_limit_fail_with_limit_exceeded(world: World) -> None:
    world.set_limits([{"category": "stMessages", "period": "daily", "maxValue": 2}])
    person = world.samples()["connectionUrls"][0]
    send = {"actionType": "st.sendMessage", "personUrl": person, "text": "hi"}
    results = [run(world, send, NOW + timedelta(minutes=i)) for i in range(3)]
    assert [r["success"] for r in results] == [True, True, False]
    assert results[2]["error"]["type"] == "limitExceeded"
    usage = {(u["category"], u["period"]): u for u in world.limit_usage(NOW + timedelta(minutes=5))}
    assert usage[("stMessages", "daily")]["currentUsage"] == 2
    assert run(world, send, NOW + timedelta(days=1))["success"] is True  # a new day, a new window
    stats = world.action_stats(EPOCH, NOW + timedelta(days=2))
    assert [s["success"] for s in stats] == [True, True, False, True]


def test_limits_can_be_deleted_back_to_defaults_and_reset(world: World) -> None:
    defaults = world.default_limits()
    assert {"category": "stMessages", "period": "daily", "maxValue": 50, "isEnabled": True} in defaults
    world.set_limits([{"category": "stMessages", "period": "daily", "maxValue": 5, "isEnabled": False}])
    assert {"category": "stMessages", "period": "daily", "maxValue": 5, "isEnabled": False} in world.get_limits()
    world.delete_limits([{"category": "stMessages", "period": "daily"}])
    assert world.get_limits() == defaults
    world.set_limits([{"category": "stPosts", "period": "monthly", "maxValue": 1}])
    world.reset_limits()
    assert world.get_limits() == defaults


def test_a_disabled_limit_is_not_enforced(world: World) -> None:
    world.set_limits([{"category": "stSearchQueries", "period": "daily", "maxValue": 0, "isEnabled": False}])
    assert run(world, {"actionType": "st.searchPeople"})["success"] is True


# --- completion nesting (§4.2) ---------------------------------------------------------------------

def test_object_then_mirrors_the_request_shape(shared: World) -> None:
    url = shared.samples()["connectionUrls"][0]
    as_object = data(shared, {"actionType": "st.openPersonPage", "personUrl": url,
                             "then": {"actionType": "st.retrievePersonSkills"}})
    assert as_object == {"then": as_object["then"]}  # basicInfo absent → no basic fields
    assert isinstance(as_object["then"], dict)
    assert as_object["then"]["actionType"] == "st.retrievePersonSkills"
    as_list = data(shared, {"actionType": "st.openPersonPage", "personUrl": url, "basicInfo": True,
                           "then": [{"actionType": "st.retrievePersonSkills"}]})
    assert isinstance(as_list["then"], list)
    assert as_list["name"]


def test_iterators_are_transparent_and_every_item_carries_a_then_list(shared: World) -> None:
    result = run(shared, {"actionType": "st.searchPeople", "limit": 3, "label": "s", "then": {
        "actionType": "st.doForPeople", "label": "ignored", "then": {
            "actionType": "st.openPersonPage", "basicInfo": True, "label": "p"}}})
    assert result["label"] == "s"
    assert len(result["data"]) == 3
    for item in result["data"]:
        assert isinstance(item["then"], list)
        assert len(item["then"]) == 1
        child = item["then"][0]
        assert child["actionType"] == "st.openPersonPage"
        assert child["label"] == "p"
        assert child["data"]["publicUrl"] == item["publicUrl"]


def test_skills_skipped_by_the_iterator_have_no_child_result(world: World) -> None:
    url = world.samples()["special"]["endorsableConnection"]
    person = world.find_person(url)
    assert person is not None
    wanted = person.skills[0]
    result = run(world, {"actionType": "st.openPersonPage", "personUrl": url, "then": {
        "actionType": "st.retrievePersonSkills", "then": {"actionType": "st.doForSkills",
                                                          "skillNamePatterns": [wanted], "then": {
                                                              "actionType": "st.endorsePersonSkill"}}}})
    items = result["data"]["then"]["data"]
    assert [len(i["then"]) for i in items] == [1 if i["name"] == wanted else 0 for i in items]


def test_a_failed_parent_has_no_data_and_its_children_do_not_run(world: World) -> None:
    result = run(world, {"actionType": "st.openPersonPage", "personUrl": world.samples()["notFound"]["personUrl"],
                         "then": [{"actionType": "st.sendMessage", "text": "hi"}]})
    assert set(result) == {"actionType", "success", "error"}
    assert not any(a == "st.sendMessage" for a, _, _ in world.action_log)


def test_a_batch_returns_results_in_order_with_labels_only_when_given(world: World) -> None:
    s = world.samples()
    result = run(world, [
        {"actionType": "st.openPersonPage", "label": "a", "personUrl": s["personUrls"][0], "basicInfo": True},
        {"actionType": "st.openPersonPage", "personUrl": s["notFound"]["personUrl"]},
        {"actionType": "st.retrieveSSI", "label": "ssi"},
    ])
    assert [r.get("label") for r in result] == ["a", None, "ssi"]
    assert "label" not in result[1]
    assert result[1]["error"]["type"] == "personNotFound"
    assert set(result[2]["data"]) == {"ssi", "industryTop", "networkTop"}


def test_a_void_action_with_a_child_carries_only_then(world: World) -> None:
    result = run(world, {"actionType": "st.sendMessage", "personUrl": world.samples()["connectionUrls"][0],
                         "text": "hi", "then": {"actionType": "st.manageConversation", "operation": "archive"}})
    assert result["data"] == {"then": {"actionType": "st.manageConversation", "success": True}}


def test_profile_viewers_are_identified_or_anonymous_with_their_own_fields(shared: World) -> None:
    viewers = data(shared, {"actionType": "st.retrieveProfileViewers", "limit": 100})
    kinds = {v["viewerType"]: set(v) for v in viewers}
    assert kinds["identified"] >= {"name", "publicUrl", "connectionDegree"}
    assert "searchUrl" not in kinds["identified"]
    assert kinds["anonymous"] >= {"description", "searchUrl"}
    assert "name" not in kinds["anonymous"]


def test_the_world_carries_adversarial_text_for_safety_tests(shared: World) -> None:
    s = shared.samples()
    person = data(shared, {"actionType": "st.openPersonPage", "basicInfo": True, "personUrl": s["injectionPersonUrl"]})
    assert person["headline"].startswith("Ignore previous instructions")
    bidi = data(shared, {"actionType": "st.openPersonPage", "basicInfo": True,
                        "personUrl": s["special"]["bidiPerson"]})
    assert "\u202e" in bidi["headline"]
