"""Issue 13: ordinary prospecting queries find what they look for (the queries of docs/sandbox.md,
"Example prospecting queries"), through the sandbox's HTTP API with a frozen clock."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"

# (name, workflow definition, at least this many results, check on each item)
QUERIES: list[tuple[str, dict[str, Any], int, Any]] = [
    (
        "engineering managers in Berlin",
        {"actionType": "st.searchPeople", "term": "engineering manager", "filter": {"locations": ["Berlin"]}},
        2,
        lambda p: "Berlin" in p["location"] and "engineering manager" in p["headline"].lower(),
    ),
    (
        "heads of sales in London",
        {"actionType": "st.searchPeople", "filter": {"position": "Head of Sales", "locations": ["London"]}},
        1,
        lambda p: "London" in p["location"] and "head of sales" in p["headline"].lower(),
    ),
    (
        "founders in the DACH region",
        {"actionType": "st.searchPeople", "term": "founder", "filter": {"locations": ["DACH"]}},
        5,
        lambda p: "founder" in p["headline"].lower(),
    ),
    (
        "recruiters in the United States",
        {"actionType": "st.searchPeople", "term": "recruiter OR \"talent acquisition\"",
         "filter": {"locations": ["United States"]}},
        3,
        lambda p: "United States" in p["location"],
    ),
    (
        "VP or head of sales at software companies (Sales Navigator)",
        {"actionType": "nv.searchPeople", "term": "\"VP Sales\" OR \"Head of Sales\"",
         "filter": {"industries": ["Software Development"]}},
        5,
        lambda p: re.search(r"VP Sales|Head of Sales", p["position"]) is not None,
    ),
    (
        "software companies with 51-200 employees in Europe",
        {"actionType": "st.searchCompanies", "filter": {"industries": ["Software Development"],
                                                         "sizes": ["51-200"], "locations": ["Europe"]}},
        2,
        lambda c: c["industry"] == "Software Development",
    ),
    (
        "engineering manager jobs in Berlin",
        {"actionType": "st.searchJobs", "term": "engineering manager", "location": "Berlin",
         "allowSimilarResults": False},
        1,
        lambda j: j["title"] == "Engineering Manager" and j["location"].startswith("Berlin"),
    ),
    (
        "account executive jobs posted this month, hybrid or remote",
        {"actionType": "st.searchJobs", "term": "\"account executive\"",
         "filter": {"datePosted": "pastMonth", "workplaceTypes": ["hybrid", "remote"]}},
        5,
        lambda j: j["title"] == "Account Executive" and j["workplaceType"] in ("hybrid", "remote"),
    ),
    (
        "posts about AI agents from the past week",
        {"actionType": "st.searchPosts", "term": "\"AI agents\" OR #AIagents",
         "filter": {"datePosted": "pastWeek", "sort": "latest"}},
        3,
        lambda post: "ai agent" in (post["text"] + " ".join(post["hashtags"])).lower().replace("#aiagents", "ai agent"),
    ),
    (
        "hiring posts from the past month",
        {"actionType": "st.searchPosts", "term": "hiring", "filter": {"datePosted": "pastMonth"}},
        3,
        lambda post: "hiring" in post["text"].lower(),
    ),
]


@pytest.mark.parametrize(("name", "definition", "least", "check"), QUERIES, ids=[q[0] for q in QUERIES])
async def test_an_ordinary_prospecting_query_finds_people_companies_or_posts(
    client: httpx.AsyncClient, sandbox: Sandbox, name: str, definition: dict[str, Any], least: int, check: Any
) -> None:
    started = (await client.post("/workflows", json={**definition, "limit": 100})).json()["result"]
    sandbox.advance(3600)
    result = (await client.get(f"/workflows/{started['workflowId']}")).json()["result"]
    completion = result["completion"]
    assert completion["success"] is True, completion
    items = completion["data"]
    assert len(items) >= least, f"{name}: {len(items)} results"
    assert all(check(item) for item in items), name


def test_every_query_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, definition, _least, _check in QUERIES:
        assert name in text, name
        assert definition["actionType"] in text


def test_the_world_builds_in_well_under_a_second() -> None:
    # A generous bound (a world builds in about 0.1 s on an idle machine), best of three. CPU time of
    # this process, not wall-clock time: other processes on a busy machine do not count against it.
    best = min(_timed(Sandbox, seed) for seed in (1, 2, 3))
    assert best < 0.75, f"building a world took {best:.2f} s of CPU time"


def _timed(build: Any, seed: int) -> float:
    import time

    started = time.process_time()
    build(seed=seed, speed=0)
    return time.process_time() - started
