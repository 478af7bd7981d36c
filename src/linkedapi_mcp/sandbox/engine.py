"""Runs validated workflow definitions against a :class:`~linkedapi_mcp.sandbox.world.World`.

Completion nesting follows contract §4.2 exactly:

* object data carries child results in ``data.then``, mirroring the request (object → object,
  array → array); a void action with children gets ``data = {"then": ...}`` (fixture 05);
* array data: every item carries its own ``then`` (always a list) with the results of the
  actions inside the iterator; iterators (``doForX``) are transparent and never appear;
* ``label`` is echoed only when given; a failed action has ``error`` and no ``data`` and its
  children do not run; ``basicInfo`` false → object data without the basic fields.

How to reproduce each action error (URLs from ``World.samples()["special"]`` / ``["notFound"]``):
personNotFound / companyNotFound / postNotFound / jobNotFound / commentNotFound / threadNotFound —
any URL or id that does not resolve; selfProfileNotAllowed — open your own profile;
emailRequired, requestNotAllowed, messagingNotAllowed — the special people of those names;
alreadyConnected — any connection; alreadyPending — any of ``pendingUrls``; noteTooLong — a note
over 300 characters; noteLimitExceeded — more than 100 notes in a calendar month;
notPending / connectionNotFound — withdraw / remove a non-connection; endorsementUnavailable —
``endorsementDisabledPerson`` or any non-connection; skillNotFound — ``unknownSkill`` on
``endorsableConnection``; commentingNotAllowed — ``commentsDisabledPost``; duplicateComment —
``duplicateCommentText`` on ``duplicateCommentPost`` (or the same text twice); replyingNotAllowed —
``replyingNotAllowedComment``; repostNotAllowed / alreadyReposted — the posts of those names;
noPostingPermission — any ``companyUrl`` other than ``adminCompany``; mentionNotResolved — a
mention whose name or id matches nobody; retrievingNotAllowed — employees of
``retrievingNotAllowedCompany``; noSalesNavigator — any nv.* action with ``sales_navigator`` off;
limitExceeded — the configured limit of the action's category; invitationNotFound [INFERRED] —
answering an invitation that does not exist.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from linkedapi_mcp.actions import ACTIONS

from ._generate import ascii_slug
from ._model import (
    Comment,
    Company,
    Job,
    Json,
    Person,
    Post,
    Reaction,
    Thread,
    iso,
    parse_time,
    snowflake,
)
from ._names import REGION_ALIASES
from .errors import ActionError
from .search import matches as search_matches
from .search import phrase_in, words

if TYPE_CHECKING:
    from .worldstate import WorldState as World

SEARCH_ACTIONS = frozenset({"st.searchPeople", "nv.searchPeople", "st.searchCompanies", "nv.searchCompanies",
                            "st.searchJobs", "st.searchPosts"})
NV_SUBJECT_MAX = 80
NOTE_MAX = 300  # [INFERRED] LinkedIn's note limit (contract §5.3 sendConnectionRequest)
NOTES_PER_MONTH = 100  # [INFERRED] personalised-note quota behind noteLimitExceeded
NV_SUBJECT_REQUIRED_MESSAGE = "A subject is required to start a new Sales Navigator conversation."
DEGREE_ORDER = {"1st": 0, "2nd": 1, "3rd+": 2}


@dataclass
class Outcome:
    data: Json | None = None
    items: list[tuple[Json, Any]] = field(default_factory=list)
    child_target: Any = None


Handler = Callable[["World", Json, Any, datetime], Outcome]
HANDLERS: dict[str, Handler] = {}


def handler(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn

    return register


# --- the tree walker --------------------------------------------------------------------------

def execute(world: World, definition: Json | list[Any], now: datetime) -> Json | list[Any]:
    if isinstance(definition, list):
        return [_run(world, node, None, now) for node in definition]
    return _run(world, definition, None, now)


def _children(then: Any) -> list[Json]:
    if then is None:
        return []
    return list(then) if isinstance(then, list) else [then]


def _run(world: World, node: Json, target: Any, now: datetime) -> Json:
    action = str(node["actionType"])
    spec = ACTIONS[action]
    out: Json = {"actionType": action}
    if node.get("label") is not None:
        out["label"] = node["label"]
    try:
        if action.startswith("nv.") and not world.sales_navigator:
            raise ActionError("noSalesNavigator")
        if action in SEARCH_ACTIONS and not world.searching_allowed:
            raise ActionError("searchingNotAllowed")
        if spec.limit_category and world.limit_reached(spec.limit_category, now):
            raise ActionError("limitExceeded")
        result = HANDLERS[action](world, node, target, now)
    except ActionError as exc:
        world.record_action(action, False, now)
        out["success"] = False
        out["error"] = exc.as_error()
        return out
    world.record_action(action, True, now)
    out["success"] = True
    then = node.get("then")
    if spec.data == "array":
        data: list[Json] = []
        for item, item_target in result.items:
            if then is not None:
                item["then"] = _run_for_item(world, _children(then), item_target, now)
            data.append(item)
        out["data"] = data
        return out
    obj = result.data
    if then is not None:
        results = [_run(world, child, result.child_target, now) for child in _children(then)]
        obj = dict(obj or {})
        obj["then"] = results if isinstance(then, list) else (results[0] if results else [])
    if obj is not None:
        out["data"] = obj
    return out


def _run_for_item(world: World, children: list[Json], item: Any, now: datetime) -> list[Json]:
    """Results for one list item: iterators are transparent, their inner actions run per item."""
    results: list[Json] = []
    for child in children:
        spec = ACTIONS[str(child["actionType"])]
        if spec.is_iterator:
            if not _iterator_accepts(child, item):
                continue
            results.extend(_run(world, inner, item, now) for inner in _children(child.get("then")))
        else:
            results.append(_run(world, child, item, now))
    return results


def _iterator_accepts(node: Json, item: Any) -> bool:
    patterns = node.get("skillNamePatterns")
    if not patterns or not isinstance(item, tuple):
        return True
    skill = str(item[1]).casefold()
    # [INFERRED] a pattern matches case-insensitively as a glob when it has wildcards, else as a
    # substring of the skill name.
    return any(fnmatch.fnmatchcase(skill, p.casefold()) if any(ch in p for ch in "*?[") else p.casefold() in skill
               for p in patterns)


# --- durations ---------------------------------------------------------------------------------

_DEFAULT_COUNTS = {
    "st.searchPeople": 10, "nv.searchPeople": 25, "st.searchCompanies": 10, "nv.searchCompanies": 25,
    "st.searchJobs": 10, "st.searchPosts": 10, "st.retrieveConnections": 10, "st.retrieveCompanyEmployees": 500,
    "nv.retrieveCompanyEmployees": 500, "st.retrieveCompanyDMs": 20, "nv.retrieveCompanyDMs": 20,
    "st.retrievePersonPosts": 20, "st.retrieveCompanyPosts": 20, "st.retrieveFeed": 20, "st.retrievePersonSkills": 8,
}


def _base_seconds(action: str) -> float:
    name = action.split(".", 1)[1]
    if name.startswith("open"):
        return 14.0
    if name.startswith("search"):
        return 10.0
    if name.startswith(("send", "comment", "reply", "create", "react", "endorse", "withdraw", "remove",
                        "accept", "ignore")):
        return 10.0
    if name.startswith("doFor"):
        return 0.0
    return 5.0


def estimate_duration(seed: int, definition: Json | list[Any]) -> float:
    """Virtual seconds a workflow takes, roughly like the real service; deterministic."""
    def jitter(node: Json) -> float:
        digest = hashlib.sha256(f"{seed}:{json.dumps(node, sort_keys=True, default=str)}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32

    def est(node: Json) -> float:
        action = str(node.get("actionType"))
        total = _base_seconds(action) * (0.8 + 0.5 * jitter(node))
        count = node.get("limit") or _DEFAULT_COUNTS.get(action, 1)
        if ACTIONS.get(action) is not None and ACTIONS[action].data == "array":
            per_item = 1.5 if "search" in action else 0.3
            total += per_item * float(count)
        for child in _children(node.get("then")):
            spec = ACTIONS.get(str(child.get("actionType")))
            if spec is not None and spec.is_iterator:
                total += float(count) * sum(est(inner) for inner in _children(child.get("then")))
            else:
                total += est(child)
        return total

    nodes = definition if isinstance(definition, list) else [definition]
    return round(sum(est(n) for n in nodes), 1)


# --- helpers -----------------------------------------------------------------------------------

def fold(text: str | None) -> str:
    return ascii_slug(text or "").replace("-", " ")


def _contains(hay: str | None, needle: str) -> bool:
    # Filters match whole words and phrases too ("Berlin" in "Berlin, Germany"; "AI" not in "Mainz").
    return phrase_in(needle, hay)


def _tokens_in(term: str | None, hay: Iterable[str | None]) -> bool:
    return search_matches(term, hay)


def _location_matches(locations: list[str] | None, place: str, cc: str) -> bool:
    if not locations:
        return True
    for loc in locations:
        alias = REGION_ALIASES.get(loc.strip().casefold())
        if (alias is not None and cc in alias) or _contains(place, loc):
            return True
    return False


def _any_in(wanted: list[str] | None, values: Iterable[str | None]) -> bool:
    if not wanted:
        return True
    vals = list(values)
    return any(_contains(v, w) for w in wanted for v in vals)


def _years_bucket(years: int) -> str:
    if years < 1:
        return "lessThanOne"
    if years <= 2:
        return "oneToTwo"
    if years <= 5:
        return "threeToFive"
    if years <= 10:
        return "sixToTen"
    return "moreThanTen"


def _keywords(url: str | None) -> str | None:
    if not url:
        return None
    query = parse_qs(urlsplit(url).query)
    values = query.get("keywords") or query.get("query")
    return values[0] if values else ""


def _limit(node: Json, default: int) -> int:
    value = node.get("limit")
    return int(value) if isinstance(value, int) else default


def _person_matches(w: World, p: Person, term: str | None, f: Json) -> bool:
    if p is w.me:
        return False
    if not _tokens_in(term, (p.name, p.headline, p.position, p.company_name)):
        return False
    if f.get("firstName") and fold(f["firstName"]) != fold(p.first):
        return False
    if f.get("lastName") and fold(f["lastName"]) != fold(p.last):
        return False
    if f.get("position") and not _contains(p.position, f["position"]):
        return False
    if f.get("positions") and not _any_in(f["positions"], [p.position]):
        return False
    if not _location_matches(f.get("locations"), p.location_full, p.country_code):
        return False
    if f.get("industries") and not any(fold(i) == fold(p.industry) for i in f["industries"]):
        return False
    if f.get("currentCompanies") and not _any_in(f["currentCompanies"], [p.company_name]):
        return False
    if f.get("previousCompanies") and not _any_in(f["previousCompanies"], p.previous_companies):
        return False
    if f.get("schools") and not _any_in(f["schools"], [e["schoolName"] for e in p.education]):
        return False
    degrees = f.get("connectionDegrees")
    if degrees and not (w.degree(p) in degrees or ("groupMembers" in degrees and p.group_member)):
        return False
    years = f.get("yearsOfExperiences") or f.get("yearsOfExperience")
    return not (years and _years_bucket(p.years_experience) not in years)


def _sorted_people(w: World, people: Iterable[Person]) -> list[Person]:
    return sorted(people, key=lambda p: (DEGREE_ORDER.get(w.degree(p) or "", 3), p.idx))


def _person_of(w: World, node: Json, target: Any, key: str = "personUrl") -> Person:
    ref = node.get(key)
    p: Person | None
    if ref is not None:
        p = w.find_person(str(ref))
    elif isinstance(target, Person):
        p = target
    elif isinstance(target, tuple) and isinstance(target[0], Person):
        p = target[0]
    elif isinstance(target, Thread):
        p = target.person
    else:
        p = None
    if p is None:
        raise ActionError("personNotFound")
    return p


def _company_of(w: World, node: Json, target: Any, key: str) -> Company:
    ref = node.get(key)
    c = w.find_company(str(ref)) if ref is not None else (target if isinstance(target, Company) else None)
    if c is None:
        raise ActionError("companyNotFound")
    return c


def _post_of(w: World, node: Json, target: Any) -> Post:
    url, urn = node.get("postUrl"), node.get("postUrn")
    if url is None and urn is None:
        post = target if isinstance(target, Post) else None
    else:
        by_url = w.find_post(str(url)) if url is not None else None
        by_urn = w.find_post(str(urn)) if urn is not None else None
        # [INFERRED] both given but not the same post → postNotFound
        post = None if url is not None and urn is not None and by_url is not by_urn else by_url or by_urn
    if post is None:
        raise ActionError("postNotFound")
    return post


def _acting_as(w: World, node: Json) -> Person | Company:
    ref = node.get("companyUrl")
    if ref is None:
        return w.me
    c = w.find_company(str(ref))
    if c is None or not c.admin:
        raise ActionError("noPostingPermission")
    return c


def _new_id(w: World, now: datetime) -> int:
    return snowflake(now, int(w.next_id()) * 104729)


def _items(values: Iterable[tuple[Json, Any]]) -> Outcome:
    return Outcome(items=list(values))


def _since_filter(node: Json) -> datetime | None:
    return parse_time(node.get("since"))


# --- people ------------------------------------------------------------------------------------

@handler("st.openPersonPage")
def _open_person(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    # [INFERRED] your own profile refuses basic info (selfProfileNotAllowed, §5.3 fetchPerson) but may
    # host child retrievals, so your own posts stay reachable with basicInfo false.
    if p is w.me and node.get("basicInfo"):
        raise ActionError("selfProfileNotAllowed")
    w.visited(p, now)
    return Outcome(data=w.person_full(p) if node.get("basicInfo") else {}, child_target=p)


@handler("nv.openPersonPage")
def _nv_open_person(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target, "personHashedUrl")
    if p is w.me:
        raise ActionError("selfProfileNotAllowed")
    w.visited(p, now)
    return Outcome(data=w.nv_person_full(p) if node.get("basicInfo") else {}, child_target=p)


@handler("st.retrievePersonExperience")
def _experience(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    return _items((dict(e), None) for e in p.experiences)


@handler("st.retrievePersonEducation")
def _education(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    return _items((dict(e), None) for e in p.education)


@handler("st.retrievePersonSkills")
def _skills(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    return _items(({"name": s}, (p, s)) for s in p.skills)


@handler("st.retrievePersonLanguages")
def _languages(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    return _items((dict(lang), None) for lang in p.languages)


def _posts_of(w: World, posts: list[Post], node: Json) -> Outcome:
    since = _since_filter(node)
    chosen = [p for p in posts if since is None or p.time >= since][: _limit(node, 20)]
    return _items((w.post_dict(p), p) for p in chosen)


@handler("st.retrievePersonPosts")
def _person_posts(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _posts_of(w, _person_of(w, node, target).posts, node)


@handler("st.retrievePersonComments")
def _person_comments(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    since = _since_filter(node)
    found = sorted((c for post in w.posts for c in post.comments if c.author is p
                    and (since is None or c.time >= since)), key=lambda c: c.time, reverse=True)
    return _items(({"postUrl": c.post.url, "time": iso(c.time), "text": c.text, "image": None,
                    "reactionsCount": len(c.reactions)}, None) for c in found[: _limit(node, 20)])


@handler("st.retrievePersonReactions")
def _person_reactions(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    since = _since_filter(node)
    found = sorted(((post, r) for post in w.posts for r in post.reactions if r.actor is p
                    and (since is None or r.time >= since)), key=lambda pr: pr[1].time, reverse=True)
    return _items(({"postUrl": post.url, "time": iso(r.time), "reactionType": r.type}, None)
                  for post, r in found[: _limit(node, 20)])


@handler("st.endorsePersonSkill")
def _endorse(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    skill = str(target[1]) if isinstance(target, tuple) else str(node.get("skillName") or "")
    if p is w.me or w.degree(p) != "1st" or "endorsementUnavailable" in p.flags:
        raise ActionError("endorsementUnavailable")
    match = next((s for s in p.skills if s.casefold() == skill.strip().casefold()), None)
    if match is None:
        raise ActionError("skillNotFound")
    w.endorsements.add((p.idx, match))
    return Outcome()


# --- companies ---------------------------------------------------------------------------------

@handler("st.openCompanyPage")
def _open_company(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    c = _company_of(w, node, target, "companyUrl")
    return Outcome(data=w.company_full(c) if node.get("basicInfo") else {}, child_target=c)


@handler("nv.openCompanyPage")
def _nv_open_company(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    c = _company_of(w, node, target, "companyHashedUrl")
    return Outcome(data=w.nv_company_full(c) if node.get("basicInfo") else {}, child_target=c)


def _employees(w: World, node: Json, target: Any) -> list[Person]:
    c = _company_of(w, node, target, "companyUrl")
    if c.retrieval_blocked:
        raise ActionError("retrievingNotAllowed")
    f = node.get("filter") or {}
    # [INFERRED] default 500 for both st and nv (contract §5.3 lists 500 and 25/2500 for nv).
    chosen = [p for p in c.employees if _person_matches(w, p, None, f)]
    return _sorted_people(w, chosen)[: _limit(node, 500)]


@handler("st.retrieveCompanyEmployees")
def _st_employees(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.person_item(p), p) for p in _employees(w, node, target))


@handler("nv.retrieveCompanyEmployees")
def _nv_employees(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.nv_person_item(p), p) for p in _employees(w, node, target))


def _dms(w: World, node: Json, target: Any) -> list[Person]:
    c = _company_of(w, node, target, "companyUrl")
    # Decision makers always succeed ([] when none), ranked founders/C-level first.
    ranked = sorted((p for p in c.employees if p.seniority <= 3 and p is not w.me),
                    key=lambda p: (p.seniority, p.idx))
    return ranked[: _limit(node, 20)]


@handler("st.retrieveCompanyDMs")
def _st_dms(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.dm_item(p), p) for p in _dms(w, node, target))


@handler("nv.retrieveCompanyDMs")
def _nv_dms(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.nv_person_item(p, dm=True), p) for p in _dms(w, node, target))


@handler("st.retrieveCompanyPosts")
def _company_posts(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _posts_of(w, _company_of(w, node, target, "companyUrl").posts, node)


# --- searches ----------------------------------------------------------------------------------

def _search_people(w: World, node: Json, default: int) -> list[Person]:
    url = node.get("customSearchUrl")
    term, f = (_keywords(url), {}) if url else (node.get("term"), node.get("filter") or {})
    found = [p for p in w.people if _person_matches(w, p, term, f)]
    return _sorted_people(w, found)[: _limit(node, default)]


@handler("st.searchPeople")
def _st_search_people(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.person_item(p), p) for p in _search_people(w, node, 10))


@handler("nv.searchPeople")
def _nv_search_people(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.nv_person_item(p), p) for p in _search_people(w, node, 25))


def _revenue_ok(c: Company, rev: Json | None) -> bool:
    if not rev:
        return True
    revenue = c.employees_count * 0.15  # [INFERRED] ~150k USD revenue per employee, in million USD
    lo = float(rev.get("min") or 0)
    hi = rev.get("max")
    return revenue >= lo and (hi in (None, "1000+") or revenue <= float(hi))


def _search_companies(w: World, node: Json, default: int) -> list[Company]:
    url = node.get("customSearchUrl")
    term, f = (_keywords(url), {}) if url else (node.get("term"), node.get("filter") or {})
    found = [c for c in w.companies
             if _tokens_in(term, (c.name, c.industry, c.specialties, c.description))
             and (not f.get("sizes") or c.size in f["sizes"])
             and _location_matches(f.get("locations"), f"{c.city}, {c.region}, {c.country}", c.country_code)
             and (not f.get("industries") or any(fold(i) == fold(c.industry) for i in f["industries"]))
             and _revenue_ok(c, f.get("annualRevenue"))]
    return found[: _limit(node, default)]


@handler("st.searchCompanies")
def _st_search_companies(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.company_item(c), c) for c in _search_companies(w, node, 10))


@handler("nv.searchCompanies")
def _nv_search_companies(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _items((w.nv_company_item(c), c) for c in _search_companies(w, node, 25))


_DATE_DAYS = {"past24Hours": 1, "pastWeek": 7, "pastMonth": 30}
_PREF_LEVELS = {"entryLevel": {"entryLevel", "associate", "internship"}, "senior": {"midSeniorLevel"},
                "manager": {"midSeniorLevel"}, "director": {"director"}, "executive": {"executive"}}


def _in_network(w: World, j: Job) -> bool:
    return any(p.idx in w.connections for p in j.company.employees)


def _job_matches(w: World, j: Job, node: Json, now: datetime) -> bool:
    url = node.get("customSearchUrl")
    if url:
        query = parse_qs(urlsplit(url).query)
        locs = query.get("location") or []
        return _tokens_in(_keywords(url), (j.title, j.company.name, j.description)) and (
            not locs or _contains(j.location, locs[0]))
    if not _tokens_in(node.get("term"), (j.title, j.company.name, j.description)):
        return False
    f: Json = node.get("filter") or {}
    pref: Json = node.get("preferences") or {}
    loc = node.get("location") or f.get("location")
    if loc and not _location_matches([str(loc)], j.location, j.country_code):
        return False
    date = f.get("datePosted") or pref.get("datePosted")
    if date in _DATE_DAYS and j.posted < now - timedelta(days=_DATE_DAYS[date]):
        return False
    checks: list[tuple[Any, Callable[[Any], bool]]] = [
        (f.get("experienceLevels"), lambda v: j.experience in v),
        (f.get("employmentTypes"), lambda v: j.employment in v),
        (f.get("workplaceTypes"), lambda v: j.workplace in v),
        (f.get("companies") or pref.get("companies"), lambda v: _any_in(v, [j.company.name])),
        (f.get("industries"), lambda v: any(fold(i) == fold(j.company.industry) for i in v)),
        (f.get("jobFunctions"), lambda v: _any_in(v, [j.function])),
        (pref.get("experienceLevels"), lambda v: any(j.experience in _PREF_LEVELS[x] for x in v)),
        (pref.get("employmentTypes"), lambda v: j.employment in v),
        (pref.get("keywords"), lambda v: all(_tokens_in(k, (j.title, j.description)) for k in v)),
    ]
    if any(want and not ok(want) for want, ok in checks):
        return False
    flags = [("easyApply", j.easy_apply), ("hasVerifications", j.verified), ("under10Applicants", j.applicants < 10),
             ("inYourNetwork", _in_network(w, j)), ("fairChanceEmployer", j.fair_chance)]
    for key, value in flags:
        if (f.get(key) or pref.get(key)) and not value:
            return False
    return not (pref.get("remote") and j.workplace != "remote")


def _check_job_search_interface(w: World, node: Json) -> None:
    """[INFERRED] an account on the classic job search cannot apply AI ``preferences`` (nor
    ``allowSimilarResults``); one on the AI search cannot apply a classic ``filter``."""
    if node.get("customSearchUrl"):
        return
    ai_only = node.get("preferences") is not None or node.get("allowSimilarResults") is not None
    if (w.job_search == "classic" and ai_only) or (w.job_search == "ai" and node.get("filter") is not None):
        raise ActionError("searchInterfaceMismatch")


@handler("st.searchJobs")
def _search_jobs(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    _check_job_search_interface(w, node)
    limit = _limit(node, 10)
    jobs = sorted(w.jobs, key=lambda j: (j.posted, j.id), reverse=True)
    exact = [j for j in jobs if _job_matches(w, j, node, now)][:limit]
    out = [(w.job_item(j), j) for j in exact]
    # AI-powered search pads with near matches unless allowSimilarResults is false (§5.3).
    term = node.get("term")
    if term and node.get("filter") is None and node.get("allowSimilarResults") is not False and len(out) < limit:
        toks = [t for t in words(str(term)) if t not in ("and", "or", "not")]
        similar = [j for j in jobs
                   if j not in exact and any(phrase_in(t, f"{j.title} {j.description}") for t in toks)]
        out += [(w.job_item(j, similar=True), j) for j in similar[: limit - len(out)]]
    return _items(out)


@handler("st.openJob")
def _open_job(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    j = w.find_job(str(node.get("jobUrl") or "")) if node.get("jobUrl") else (target if isinstance(target, Job)
                                                                            else None)
    if j is None:
        raise ActionError("jobNotFound")
    return Outcome(data=w.job_full(j) if node.get("basicInfo") else {}, child_target=j)


def _entity_matches(w: World, entries: list[Any], actor: Person | Company | None) -> bool:
    if actor is None:
        return False
    for entry in entries:
        name = entry if isinstance(entry, str) else entry.get("name")
        ident = None if isinstance(entry, str) else (entry.get("id") or entry.get("urn")
                                                     or entry.get("personHashedUrl") or entry.get("companyHashedUrl"))
        if ident:
            found = w.find_person(str(ident)) if isinstance(actor, Person) else w.find_company(str(ident))
            if found is actor:
                return True
        elif name and fold(name) == fold(actor.name):
            return True
    return False


def _post_matches(w: World, post: Post, term: str | None, f: Json, now: datetime) -> bool:
    shown = post.original or post
    if not _tokens_in(term, (shown.text, post.text, " ".join(shown.hashtags))):
        return False
    date = f.get("datePosted")
    if date in _DATE_DAYS and post.time < now - timedelta(days=_DATE_DAYS[date]):
        return False
    content = f.get("contentType")
    content_ok = {"images": shown.images is not None, "videos": shown.has_video,
                  "documents": bool(shown.document_slides), "jobPosts": shown.is_job_post, "liveVideos": False}
    if content and not content_ok.get(content, False):
        return False
    author = post.author
    posted_by = f.get("postedBy")
    if posted_by:
        ok = (("me" in posted_by and author is w.me)
              or ("firstConnections" in posted_by and isinstance(author, Person) and w.degree(author) == "1st")
              or ("peopleYouFollow" in posted_by and (
                  (isinstance(author, Person) and w.degree(author) == "1st")
                  or (isinstance(author, Company) and author.id in w.followed_companies))))
        if not ok:
            return False
    person_author = author if isinstance(author, Person) else None
    company_author = author if isinstance(author, Company) else None
    if f.get("fromMembers") and not _entity_matches(w, f["fromMembers"], person_author):
        return False
    if f.get("fromCompanies") and not _entity_matches(w, f["fromCompanies"], company_author):
        return False
    if f.get("mentioningMembers") and not any(
            _entity_matches(w, f["mentioningMembers"], m) for m in shown.mentions if isinstance(m, Person)):
        return False
    if f.get("mentioningCompanies") and not any(
            _entity_matches(w, f["mentioningCompanies"], m) for m in shown.mentions if isinstance(m, Company)):
        return False
    employer = company_author or (person_author.company if person_author else None)
    if f.get("authorCompanies") and not _entity_matches(w, f["authorCompanies"], employer):
        return False
    industry = company_author.industry if company_author else (person_author.industry if person_author else "")
    return not (f.get("authorIndustries") and not any(fold(i) == fold(industry) for i in f["authorIndustries"]))


@handler("st.searchPosts")
def _search_posts(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    url = node.get("customSearchUrl")
    term, f = (_keywords(url), {}) if url else (node.get("term"), node.get("filter") or {})
    if f.get("contentType") == "liveVideos":
        # [INFERRED] the sandbox's one unsupported filter: reproduces filterNotApplied deterministically.
        raise ActionError("filterNotApplied")
    found = [p for p in w.posts if _post_matches(w, p, term, f, now)]
    if f.get("sort") == "latest":
        found.sort(key=lambda p: (p.time, p.id), reverse=True)
    else:
        found.sort(key=lambda p: (len((p.original or p).reactions), p.id), reverse=True)
    return _items((w.post_dict(p, search=True), p) for p in found[: _limit(node, 10)])


# --- posts -------------------------------------------------------------------------------------

@handler("st.openPost")
def _open_post(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    post = _post_of(w, node, target)
    return Outcome(data=w.post_dict(post) if node.get("basicInfo") else {}, child_target=post)


@handler("st.retrievePostComments")
def _post_comments(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    post = _post_of(w, node, target)
    shown = post.original or post
    comments = [c for c in shown.comments if node.get("replies") or c.parent is None]
    if node.get("sort") == "mostRecent":
        comments.sort(key=lambda c: (c.time, c.id), reverse=True)
    else:
        comments.sort(key=lambda c: (-len(c.reactions), c.time, c.id))
    return _items((w.comment_dict(c), c) for c in comments[: _limit(node, 10)])


@handler("st.retrievePostReactions")
def _post_reactions(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    post = _post_of(w, node, target)
    reactions = sorted((post.original or post).reactions, key=lambda r: r.time, reverse=True)
    return _items((w.reaction_dict(r), r.actor) for r in reactions[: _limit(node, 10)])


def _react(reactions: list[Reaction], actor: Person | Company, type_: str, now: datetime) -> None:
    # One reaction per actor; a new one replaces the old.
    reactions[:] = [r for r in reactions if r.actor is not actor]
    reactions.append(Reaction(actor, type_, now))


@handler("st.reactToPost")
def _react_post(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    post = _post_of(w, node, target)
    actor = _acting_as(w, node)
    _react((post.original or post).reactions, actor, str(node.get("type") or "like"), now)
    return Outcome()


def _check_duplicate(comments: Iterable[Comment], actor: Person | Company, text: str) -> None:
    if any(c.author is actor and c.text.strip() == text.strip() for c in comments):
        raise ActionError("duplicateComment")


@handler("st.commentOnPost")
def _comment_post(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    post = _post_of(w, node, target)
    shown = post.original or post
    if shown.comments_disabled:
        raise ActionError("commentingNotAllowed")
    actor = _acting_as(w, node)
    text = str(node.get("text") or "")
    _check_duplicate((c for c in shown.comments if c.parent is None), actor, text)
    comment = Comment(id=_new_id(w, now), post=shown, author=actor, text=text, time=now)
    w.add_comment(comment)
    return Outcome(data={"commentUrn": comment.urn, "commentUrl": comment.url})


def _comment_of(w: World, node: Json, target: Any) -> Comment:
    ref = node.get("commentUrl")
    c = w.find_comment(str(ref)) if ref is not None else (target if isinstance(target, Comment) else None)
    if c is None:
        raise ActionError("commentNotFound")
    return c


@handler("st.reactToComment")
def _react_comment(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    c = _comment_of(w, node, target)
    _react(c.reactions, w.me, str(node.get("type") or "like"), now)
    return Outcome()


@handler("st.replyToComment")
def _reply_comment(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    c = _comment_of(w, node, target)
    if c.replies_disabled or c.post.comments_disabled:
        raise ActionError("replyingNotAllowed")
    parent = c.parent or c  # [INFERRED] LinkedIn keeps one level of replies: a reply to a reply joins its thread
    text = str(node.get("text") or "")
    _check_duplicate((x for x in c.post.comments if x.parent is parent), w.me, text)
    reply = Comment(id=_new_id(w, now), post=c.post, author=w.me, text=text, time=now, parent=parent)
    w.add_comment(reply)
    return Outcome(data={"commentUrn": reply.urn, "commentUrl": reply.url})


def _mentions(w: World, node: Json, text: str) -> tuple[str, list[Person | Company]]:
    found: list[Person | Company] = []
    for m in node.get("mentions") or []:
        ident = m.get("urn") or m.get("personHashedUrl") or m.get("companyHashedUrl")
        target: Person | Company | None
        if ident:
            target = w.find_person(str(ident)) or w.find_company(str(ident))
        else:
            # Without an identifier LinkedIn takes its first suggestion for the name.
            name = fold(str(m.get("name")))
            target = next((p for p in w.people if fold(p.name) == name), None) or next(
                (c for c in w.companies if fold(c.name) == name), None)
        if target is None:
            raise ActionError("mentionNotResolved")
        found.append(target)
        text = text.replace(f"@[{m.get('key')}]", target.name)
    return text, found


@handler("st.createPost")
def _create_post(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    actor = _acting_as(w, node)
    text, mentions = _mentions(w, node, str(node.get("text") or ""))
    atts = node.get("attachments") or []
    images = [a["url"] for a in atts if a.get("type") == "image"] or None
    post = Post(id=_new_id(w, now), author=actor, time=now, text=text, topic="own",
                hashtags=re.findall(r"#\w+", text), mentions=mentions, images=images,
                has_video=any(a.get("type") == "video" for a in atts),
                document_slides=[a["url"] for a in atts if a.get("type") == "document"])
    w.add_post(post)
    actor.posts.insert(0, post)
    return Outcome(data={"postUrl": post.url, "postUrn": post.urn})


@handler("st.createRepost")
def _create_repost(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    original = _post_of(w, node, target)
    original = original.original or original
    if original.repost_disabled:
        raise ActionError("repostNotAllowed")
    if original.id in w.reposted:
        raise ActionError("alreadyReposted")
    text, mentions = _mentions(w, node, str(node.get("text") or ""))
    post = Post(id=_new_id(w, now), author=w.me, time=now, text=text, topic=original.topic,
                hashtags=list(original.hashtags), mentions=mentions, original=original)
    w.add_post(post)
    w.me.posts.insert(0, post)
    w.reposted.add(original.id)
    original.reposts_count += 1
    return Outcome(data={"postUrl": post.url, "postUrn": post.urn})


@handler("st.retrieveFeed")
def _feed(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    entries: dict[int, tuple[Post, str | None]] = {}
    for post in w.posts:
        if post.author is w.me or post.time > now:
            continue
        a = post.author
        if isinstance(a, Person) and a.idx in w.connections:
            entries[post.id] = (post, f"{a.name} reposted this" if post.original else None)
        elif isinstance(a, Company) and a.id in w.followed_companies:
            entries[post.id] = (post, None)
        else:
            liker = next((r.actor for r in post.reactions
                          if isinstance(r.actor, Person) and r.actor.idx in w.connections), None)
            if liker is not None:
                entries[post.id] = (post, f"{liker.name} reacted to this")
    ordered = sorted(entries.values(), key=lambda pc: (pc[0].time, pc[0].id), reverse=True)
    out = []
    for post, context in ordered[: _limit(node, 20)]:
        d = w.post_dict(post)
        d["feedContext"] = context
        out.append((d, post))
    return _items(out)


# --- messaging ---------------------------------------------------------------------------------

def _send(w: World, node: Json, target: Any, now: datetime, type_: str) -> Outcome:
    thread_id = node.get("threadId")
    if thread_id is not None:
        thread = w.find_thread(str(thread_id))
        if thread is None or thread.type != type_:
            raise ActionError("threadNotFound")
        p = thread.person
    else:
        p = _person_of(w, node, target)
        thread = None
    if p is w.me or "messagingNotAllowed" in p.flags:
        raise ActionError("messagingNotAllowed")
    if thread is None:
        existing = w.threads_with(p, type_)
        if type_ == "nv" and not existing and not str(node.get("subject") or "").strip():
            # The contract: a subject is required when starting a new Sales Navigator
            # conversation. [INFERRED] the error type (none is named): messagingNotAllowed.
            raise ActionError("messagingNotAllowed", NV_SUBJECT_REQUIRED_MESSAGE)
        thread = existing[0] if existing else w.new_thread(p, type_)
    w.add_message(thread, "us", str(node.get("text") or ""), now)
    thread.state.discard("archived")  # sending brings a conversation back to the inbox
    return Outcome(child_target=thread)


@handler("st.sendMessage")
def _st_send(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _send(w, node, target, now, "st")


@handler("nv.sendMessage")
def _nv_send(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _send(w, node, target, now, "nv")


def _sync(w: World, node: Json, target: Any, now: datetime, type_: str) -> Outcome:
    p = _person_of(w, node, target)
    if p is w.me:
        raise ActionError("personNotFound")
    until = now + timedelta(days=int(node.get("days") or 30))
    w.synced[(p.idx, type_)] = (now, until)
    return Outcome(data={"syncUntil": iso(until)})


@handler("st.syncConversation")
def _st_sync(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _sync(w, node, target, now, "st")


@handler("nv.syncConversation")
def _nv_sync(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _sync(w, node, target, now, "nv")


@handler("st.syncInbox", "nv.syncInbox")
def _sync_inbox(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    # [INFERRED] enabling again keeps the original start: monitoring runs once per account.
    w.inbox_since.setdefault(str(node["actionType"])[:2], now)
    return Outcome()


@handler("st.syncNetwork")
def _sync_network(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    if w.network_since is None:
        w.network_since = now
    return Outcome()


_OPERATIONS = {"archive": ("archived", True), "unarchive": ("archived", False), "star": ("starred", True),
               "unstar": ("starred", False), "mute": ("muted", True), "unmute": ("muted", False)}


@handler("st.manageConversation", "nv.manageConversation")
def _manage(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    type_ = str(node["actionType"])[:2]
    thread = w.find_thread(str(node["threadId"])) if node.get("threadId") else (
        target if isinstance(target, Thread) else None)
    if thread is None or thread.type != type_:
        raise ActionError("threadNotFound")
    flag, on = _OPERATIONS[str(node["operation"])]
    if on:
        thread.state.add(flag)
    else:
        thread.state.discard(flag)
    return Outcome()


# --- network -----------------------------------------------------------------------------------

@handler("st.checkConnectionStatus")
def _status(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    if p is w.me:
        raise ActionError("selfProfileNotAllowed")  # [INFERRED]
    return Outcome(data={"connectionStatus": w.connection_status(p)})


@handler("st.sendConnectionRequest")
def _connect(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    note = node.get("note")
    if p is w.me or "requestNotAllowed" in p.flags:
        raise ActionError("requestNotAllowed")
    if p.idx in w.connections:
        raise ActionError("alreadyConnected")
    if p.idx in w.pending:
        raise ActionError("alreadyPending")
    if "emailRequired" in p.flags and not node.get("email"):
        raise ActionError("emailRequired")
    if note is not None and len(str(note)) > NOTE_MAX:
        raise ActionError("noteTooLong")
    if note:
        month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if sum(1 for t in w.notes_sent if t >= month) >= NOTES_PER_MONTH:
            raise ActionError("noteLimitExceeded")
        w.notes_sent.append(now)
    incoming = next((i for i in w.invitations if i.type == "connect" and i.person is p), None)
    if incoming is not None:
        # [INFERRED] inviting someone who already invited you connects you, as on LinkedIn.
        w.invitations.remove(incoming)
        w.connections[p.idx] = now
        w.network_event("connectionAdded", p, now)
    else:
        w.pending[p.idx] = now
    return Outcome()


@handler("st.withdrawConnectionRequest")
def _withdraw(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    if p.idx not in w.pending:
        raise ActionError("notPending")
    del w.pending[p.idx]
    if node.get("unfollow", True) is not False:
        w.unfollowed.add(p.idx)
    return Outcome()


@handler("st.removeConnection")
def _remove(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    p = _person_of(w, node, target)
    if p.idx not in w.connections:
        raise ActionError("connectionNotFound")
    del w.connections[p.idx]
    if p.base_degree not in ("2nd", "3rd+"):
        p.base_degree = "2nd"
    return Outcome()


@handler("st.retrievePendingRequests")
def _pending(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    ordered = sorted(w.pending.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
    return _items(({"name": w.people[i].name, "urn": w.people[i].urn, "publicUrl": w.people[i].public_url,
                    "headline": w.people[i].headline, "sentTime": iso(t)}, w.people[i]) for i, t in ordered)


@handler("st.retrieveInvitations")
def _invitations(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    ordered = sorted(w.invitations, key=lambda i: i.time, reverse=True)
    return _items((w.invitation_dict(i), i.person) for i in ordered)


def _answer(w: World, node: Json, accept: bool, now: datetime) -> Outcome:
    kind = str(node["invitationType"])
    if kind == "connect":
        p = _person_of(w, node, None)
        inv = next((i for i in w.invitations if i.type == kind and i.person is p), None)
    elif kind == "companyFollow":
        c = _company_of(w, node, None, "companyUrl")
        inv = next((i for i in w.invitations if i.type == kind and i.company is c), None)
    else:
        inv = w.find_newsletter(str(node.get("newsletterUrl") or ""))
    if inv is None:
        raise ActionError("invitationNotFound")
    w.invitations.remove(inv)
    if accept:
        if inv.type == "connect":
            w.connections[inv.person.idx] = now
            w.network_event("connectionAdded", inv.person, now)
        elif inv.type == "companyFollow" and inv.company is not None:
            w.followed_companies.add(inv.company.id)
        elif inv.newsletter_url:
            w.newsletters.add(inv.newsletter_url)
    return Outcome()


@handler("st.acceptInvitation")
def _accept(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _answer(w, node, True, now)


@handler("st.ignoreInvitation")
def _ignore(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return _answer(w, node, False, now)


@handler("st.retrieveConnections")
def _connections(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    f = node.get("filter")
    since = None if f else _since_filter(node)  # `since` is honoured only without a filter (§5.3)
    people = [w.people[i] for i, t in w.connections.items() if since is None or t >= since]
    if f:
        people = [p for p in people if _person_matches(w, p, None, f)]
    people.sort(key=lambda p: (w.connections[p.idx], p.idx), reverse=True)
    return _items((w.connection_item(p), p) for p in people[: _limit(node, 10)])


# --- account -----------------------------------------------------------------------------------

def _ago(delta: timedelta) -> str:
    secs = max(0, int(delta.total_seconds()))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit} ago"
    return "just now"


@handler("st.retrieveProfileViewers")
def _viewers(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    since = _since_filter(node)
    out: list[tuple[Json, Any]] = []
    for person, viewed, company_name in w.viewers_until(now):
        if since is not None and viewed < since:
            break  # newest first: reading stops once older views are reached
        base: Json = {"viewedAt": iso(viewed), "viewedAgo": _ago(now - viewed)}
        if person is not None:
            degree = {"1st": 1, "2nd": 2}.get(w.degree(person) or "", 3)
            out.append(({"viewerType": "identified", **base, "name": person.name, "publicUrl": person.public_url,
                         "urn": person.urn, "headline": person.headline, "connectionDegree": degree,
                         "avatarUrl": person.avatar}, person))
        else:
            keywords = company_name.replace(" ", "%20")
            out.append(({"viewerType": "anonymous", **base, "description": f"Someone at {company_name}",
                         "searchUrl": f"https://www.linkedin.com/search/results/people/?keywords={keywords}"},
                        None))
        if len(out) >= _limit(node, 20):
            break
    return _items(out)


@handler("st.retrieveSSI")
def _ssi(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return Outcome(data=dict(w.ssi))


@handler("st.retrievePerformance")
def _performance(w: World, node: Json, target: Any, now: datetime) -> Outcome:
    return Outcome(data=w.performance_at(now))


def _missing_handlers() -> list[str]:
    return [a for a, spec in ACTIONS.items() if not spec.is_iterator and a not in HANDLERS]


assert not _missing_handlers(), _missing_handlers()
