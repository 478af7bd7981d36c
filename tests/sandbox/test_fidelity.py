"""Issue 13, fidelity and search: what a client of the sandbox sees over HTTP (in-process ASGI with a
frozen clock, or the official SDK over real HTTP)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox, ServerThread, WorkingHours
from linkedapi_mcp.sandbox.cli import add_arguments

pytestmark = pytest.mark.anyio


async def complete(client: httpx.AsyncClient, sandbox: Sandbox, definition: Any) -> Any:
    """Start a workflow, let virtual time pass until it is done, return its completion."""
    started = await client.post("/workflows", json=definition)
    assert started.status_code == 200, started.text
    workflow_id = started.json()["result"]["workflowId"]
    sandbox.advance(3600)
    result = (await client.get(f"/workflows/{workflow_id}")).json()["result"]
    assert result["workflowStatus"] == "completed", result
    return result["completion"]


async def search(client: httpx.AsyncClient, sandbox: Sandbox, action: str, **params: Any) -> list[dict[str, Any]]:
    limit = 100 if action == "st.searchPosts" else 1000
    completion = await complete(client, sandbox, {"actionType": action, "limit": limit, **params})
    assert completion["success"] is True, completion
    items: list[dict[str, Any]] = completion["data"]
    return items


# -- tokens ----------------------------------------------------------------------------------------


def test_the_official_sdk_with_an_empty_token_is_told_the_token_is_missing() -> None:
    from linkedapi import LinkedApi, LinkedApiConfig
    from linkedapi.errors import LinkedApiError

    with ServerThread(Sandbox(seed=42, speed=0)) as server:
        sdk = LinkedApi(LinkedApiConfig(linked_api_token="", identification_token="i", base_url=server.base_url))
        with pytest.raises(LinkedApiError) as raised:
            sdk.get_account_info()
    assert raised.value.type == "linkedApiTokenRequired"


# -- searchingNotAllowed / searchInterfaceMismatch ------------------------------------------------------


@pytest.mark.parametrize(
    "definition",
    [
        {"actionType": "st.searchPeople", "term": "engineer"},
        {"actionType": "nv.searchPeople", "term": "engineer"},
        {"actionType": "st.searchCompanies", "term": "software"},
        {"actionType": "nv.searchCompanies", "term": "software"},
        {"actionType": "st.searchJobs", "term": "engineer"},
        {"actionType": "st.searchPosts", "term": "sales"},
    ],
)
async def test_an_account_that_may_not_search_fails_every_search_with_searching_not_allowed(
    client: httpx.AsyncClient, sandbox: Sandbox, definition: dict[str, Any]
) -> None:
    changed = await client.post("/_sandbox/account", json={"searchingAllowed": False})
    assert changed.json()["searchingAllowed"] is False
    completion = await complete(client, sandbox, definition)
    assert completion["success"] is False
    assert completion["error"]["type"] == "searchingNotAllowed"
    # Everything else still works.
    assert (await complete(client, sandbox, {"actionType": "st.retrieveSSI"}))["success"] is True


async def test_the_job_search_interface_refuses_criteria_of_the_other_interface(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    classic = {"actionType": "st.searchJobs", "term": "engineer", "filter": {"workplaceTypes": ["remote"]}}
    ai = {"actionType": "st.searchJobs", "term": "engineer", "preferences": {"remote": True}}
    # By default the account applies both.
    assert (await complete(client, sandbox, classic))["success"] is True
    assert (await complete(client, sandbox, ai))["success"] is True
    sandbox.set_account(job_search="classic")
    assert (await complete(client, sandbox, ai))["error"]["type"] == "searchInterfaceMismatch"
    assert (await complete(client, sandbox, classic))["success"] is True
    await client.post("/_sandbox/account", json={"jobSearch": "ai"})
    assert (await complete(client, sandbox, classic))["error"]["type"] == "searchInterfaceMismatch"
    assert (await complete(client, sandbox, ai))["success"] is True
    bad = await client.post("/_sandbox/account", json={"jobSearch": "quantum"})
    assert bad.status_code == 400


# -- Sales Navigator subject ---------------------------------------------------------------------------


async def test_a_new_sales_navigator_conversation_needs_a_subject_a_reply_does_not(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    samples = sandbox.samples()
    person = samples["nvPersonUrls"][0]
    without = await complete(client, sandbox, {"actionType": "nv.sendMessage", "personUrl": person, "text": "Hi"})
    assert without["success"] is False
    assert without["error"]["type"] == "messagingNotAllowed"
    assert "subject" in without["error"]["message"]
    first = {"actionType": "nv.sendMessage", "personUrl": person, "text": "Hi", "subject": "Intro"}
    assert (await complete(client, sandbox, first))["success"] is True
    # The conversation exists now: a follow-up without a subject is a reply.
    again = {"actionType": "nv.sendMessage", "personUrl": person, "text": "Any news?"}
    assert (await complete(client, sandbox, again))["success"] is True
    reply = {"actionType": "nv.sendMessage", "threadId": samples["special"]["nvThreadId"], "text": "Thanks"}
    assert (await complete(client, sandbox, reply))["success"] is True


# -- profile views -------------------------------------------------------------------------------------


async def test_profile_views_keep_arriving_and_feed_viewers_and_performance(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    viewers = {"actionType": "st.retrieveProfileViewers", "limit": 300}
    performance = {"actionType": "st.retrievePerformance"}
    before = (await complete(client, sandbox, viewers))["data"]
    views_before = (await complete(client, sandbox, performance))["data"]["profileViewsLast90Days"]
    assert views_before == len(before)  # every view of the last 90 days is listed (36 < 300)
    sandbox.advance(7 * 86400)
    after = (await complete(client, sandbox, viewers))["data"]
    views_after = (await complete(client, sandbox, performance))["data"]["profileViewsLast90Days"]
    assert len(after) > len(before)
    assert views_after > views_before
    newest = after[0]["viewedAt"]
    assert newest > before[0]["viewedAt"]
    assert all(v["viewedAt"] <= sandbox.clock.snapshot()["now"] for v in after)  # none from the future


async def test_visiting_profiles_makes_some_of_those_people_look_back(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    people = await search(client, sandbox, "st.searchPeople", term="manager")
    visited = {p["publicUrl"] for p in people[:12]}
    workflow = [{"actionType": "st.openPersonPage", "personUrl": url, "basicInfo": True} for url in sorted(visited)]
    await complete(client, sandbox, workflow)
    sandbox.advance(2 * 86400)
    viewers = (await complete(client, sandbox, {"actionType": "st.retrieveProfileViewers", "limit": 300}))["data"]
    looked_back = {v["publicUrl"] for v in viewers if v["viewerType"] == "identified"} & visited
    assert looked_back, "about one visited person in three views the profile back within two days"
    assert len(looked_back) < len(visited)


# -- --working-hours -----------------------------------------------------------------------------------


def test_the_working_hours_flag_reads_days_hours_time_zone_and_policy() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--working-hours", "mon-fri 09:00-17:30 Europe/Berlin reject"])
    assert args.working_hours == WorkingHours(
        timezone="Europe/Berlin", days=(0, 1, 2, 3, 4), start=WorkingHours().start, end=_time(17, 30), policy="reject"
    )
    weekend = parser.parse_args(["--working-hours", "sat,sun 10:00-12:00"]).working_hours
    assert (weekend.days, weekend.timezone, weekend.policy) == ((5, 6), "UTC", "park")
    with pytest.raises(SystemExit):
        parser.parse_args(["--working-hours", "Europe/Nowhere 09:00-17:00"])


def test_a_standalone_sandbox_started_with_working_hours_parks_work_outside_them() -> None:
    import subprocess
    import sys

    hours = "mon-fri 09:00-17:00 Europe/Berlin"
    options = ["--speed", "0", "--epoch", "2026-11-28T12:00:00Z", "--working-hours", hours]
    process = subprocess.Popen(
        [sys.executable, "-m", "linkedapi_mcp.sandbox", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[5]
        headers = {"linked-api-token": "t", "identification-token": "i"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
            shown = http.get("/_sandbox/working-hours").json()["workingHours"]
            assert shown["timezone"] == "Europe/Berlin"
            started = http.post("/workflows", json={"actionType": "st.retrieveSSI"}).json()["result"]
        # A Saturday: parked until Monday 09:00 in Berlin.
        assert started["pendingReason"] == "outsideWorkingHours"
        assert "Mon, Nov 30, 09:00 (Europe/Berlin)" in started["message"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _time(hour: int, minute: int) -> Any:
    from datetime import time

    return time(hour, minute)


# -- search like LinkedIn ------------------------------------------------------------------------------


async def test_a_short_word_matches_whole_words_only(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    def has_word_ai(text: str) -> bool:
        return "ai" in re.findall(r"[a-z0-9]+", text.lower())

    posts = await search(client, sandbox, "st.searchPosts", term="AI")
    assert posts
    assert all(has_word_ai(f"{p['text']} {' '.join(p['hashtags'])}") for p in posts)
    found = {p["url"] for p in posts}
    # Posts where "ai" is only inside a word ("email", "plain", "maintain") are not found.
    inside = [
        p for p in sandbox.world.posts if "ai" in p.text.lower() and not has_word_ai(p.text + " ".join(p.hashtags))
    ]
    assert inside
    assert not {p.url for p in inside} & found


async def test_search_is_case_insensitive_and_folds_accents(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    plain = await search(client, sandbox, "st.searchPeople", filter={"locations": ["Zurich"]})
    accented = await search(client, sandbox, "st.searchPeople", filter={"locations": ["ZÜRICH"]})
    assert plain
    assert [p["publicUrl"] for p in plain] == [p["publicUrl"] for p in accented]


async def test_quotes_and_boolean_operators_combine_terms(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    async def names(term: str) -> set[str]:
        return {p["publicUrl"] for p in await search(client, sandbox, "st.searchPeople", term=term)}

    sales, marketing = await names("sales"), await names("marketing")
    assert sales
    assert marketing
    assert await names("sales OR marketing") == sales | marketing
    assert await names("sales AND marketing") == sales & marketing
    assert await names("sales marketing") == sales & marketing
    assert await names("sales NOT marketing") == sales - marketing
    assert await names("(sales OR marketing) NOT head") == (sales | marketing) - await names("head")
    phrase = await names('"head of sales"')
    assert phrase
    assert phrase <= await names("head sales")
    headlines = [p["headline"] for p in await search(client, sandbox, "st.searchPeople", term='"head of sales"')]
    assert all("head of sales" in h.lower() for h in headlines)
