"""The sandbox's synthetic LinkedIn world: people, companies, posts, jobs and *your* account.

``World`` holds the state that actions change (connections, pending requests, invitations,
conversations, reactions, comments, posts, monitoring switches, limits, the action log) and
answers the direct (non-workflow) reads of contract §2.4–§2.9. Running workflow definitions is
:class:`~.world.World`'s, which adds :mod:`.engine` on top (the engine reads and changes this
state; this state never calls the engine).

Special people and objects that reproduce every action error deterministically are listed by
:meth:`World.samples` under ``"special"`` (and in the module docstring of ``engine``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from . import _generate
from ._model import (
    Comment,
    Company,
    Invitation,
    Job,
    Json,
    Message,
    Person,
    Post,
    Reaction,
    Thread,
    comment_ids,
    company_key,
    iso,
    job_id,
    parse_time,
    person_key,
    post_id,
    url_path,
)
from .errors import SandboxRequestError

# [INFERRED] default limits: the documented examples (stMessages daily 50, stConnectionRequests
# daily 10) plus the fixture's getDefaults list; the remaining categories get conservative values.
DEFAULT_LIMITS: list[Json] = [
    {"category": "stPersonProfileViews", "period": "daily", "maxValue": 80, "isEnabled": True},
    {"category": "stCompanyPageViews", "period": "daily", "maxValue": 80, "isEnabled": True},
    {"category": "stConnectionRequests", "period": "daily", "maxValue": 10, "isEnabled": True},
    {"category": "stConnectionRequests", "period": "weekly", "maxValue": 100, "isEnabled": True},
    {"category": "stMessages", "period": "daily", "maxValue": 50, "isEnabled": True},
    {"category": "stSearchQueries", "period": "daily", "maxValue": 60, "isEnabled": True},
    {"category": "stReactions", "period": "daily", "maxValue": 100, "isEnabled": True},
    {"category": "stComments", "period": "daily", "maxValue": 30, "isEnabled": True},
    {"category": "stPosts", "period": "daily", "maxValue": 10, "isEnabled": True},
    {"category": "stEndorsements", "period": "daily", "maxValue": 30, "isEnabled": True},
    {"category": "nvPersonProfileViews", "period": "daily", "maxValue": 80, "isEnabled": True},
    {"category": "nvCompanyPageViews", "period": "daily", "maxValue": 80, "isEnabled": True},
    {"category": "nvMessages", "period": "daily", "maxValue": 30, "isEnabled": True},
]


def window_start(period: str, now: datetime) -> datetime:
    """[INFERRED] calendar windows in UTC: the day, the ISO week (from Monday), the month."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "weekly":
        return day - timedelta(days=day.weekday())
    if period == "monthly":
        return day.replace(day=1)
    return day


class WorldState:
    """A deterministic synthetic LinkedIn world seen from one account ("me"): its data and the
    direct reads; :class:`~.world.World` adds running workflows (the engine) on top."""

    def __init__(self, seed: int = 42, *, epoch: datetime, sales_navigator: bool = True) -> None:
        if epoch.tzinfo is None:
            raise ValueError("epoch must be timezone-aware")
        self.seed = seed
        self.epoch = epoch
        self.sales_navigator = sales_navigator
        self.searching_allowed = True  # False → every search fails with searchingNotAllowed
        self.job_search = "any"  # "classic" | "ai" | "any": the account's job-search interface
        u = _generate.generate(seed, epoch)
        self.me: Person = u.me
        self.people: list[Person] = u.people
        self.companies: list[Company] = u.companies
        self.posts: list[Post] = u.posts
        self.jobs: list[Job] = u.jobs
        self.threads: list[Thread] = u.threads
        self.connections: dict[int, datetime] = u.connections
        self.pending: dict[int, datetime] = u.pending
        self.invitations: list[Invitation] = u.invitations
        self.viewers = u.viewers
        self.ssi = u.ssi
        self.performance = u.performance
        self.reposted: set[int] = u.reposted
        self.special: dict[str, str] = u.special
        self.incoming: list[tuple[datetime, Person, str, str]] = sorted(u.incoming, key=lambda m: m[0])
        self.endorsements: set[tuple[int, str]] = set()
        self.followed_companies: set[int] = set()
        self.newsletters: set[str] = set()
        self.unfollowed: set[int] = set()
        # Monitoring switches (§2.5, §2.6) and synced conversations (§2.4).
        self.inbox_since: dict[str, datetime] = {}
        self.network_since: datetime | None = None
        self.synced: dict[tuple[int, str], tuple[datetime, datetime]] = {}
        self.network_events: list[Json] = []
        self.action_log: list[tuple[str, bool, datetime]] = []
        self._usage: dict[str, list[datetime]] = {}  # successful actions per limit category
        self._events: list[Json] = []  # inbox/network events not yet handed to the webhook layer
        self.notes_sent: list[datetime] = []
        self.limits: dict[tuple[str, str], Json] = {}
        self.reset_limits()
        self._counter = 0
        self._index()

    # --- indexes and resolution ----------------------------------------------------------------
    def _index(self) -> None:
        self._by_in: dict[str, Person] = {}
        self._by_member: dict[str, Person] = {}
        self._by_lead: dict[str, Person] = {}
        for p in self.people:
            self._by_in[p.slug.lower()] = p
            self._by_in[p.hashed_id.lower()] = p
            self._by_member[str(p.member_id)] = p
            self._by_lead[p.nv_id.lower()] = p
        self._companies: dict[str, Company] = {}
        for c in self.companies:
            self._companies[c.slug] = c
            self._companies[str(c.id)] = c
        self._posts: dict[int, Post] = {p.id: p for p in self.posts}
        self._comments: dict[int, Comment] = {c.id: c for p in self.posts for c in p.comments}
        self._jobs: dict[int, Job] = {j.id: j for j in self.jobs}
        self._threads: dict[str, Thread] = {t.id: t for t in self.threads}

    def next_id(self, prefix: str = "") -> str:
        self._counter += 1
        return f"{prefix}{self._counter:06d}"

    def find_person(self, ref: str | None) -> Person | None:
        key = person_key(ref) if ref else None
        if key is None:
            return None
        kind, value = key
        if kind == "member":
            return self._by_member.get(value)
        if kind == "lead":
            return self._by_lead.get(value.lower())
        return self._by_in.get(value.lower())

    def find_company(self, ref: str | None) -> Company | None:
        key = company_key(ref) if ref else None
        return self._companies.get(key) if key else None

    def find_post(self, ref: str | None) -> Post | None:
        pid = post_id(ref) if ref else None
        return self._posts.get(pid) if pid is not None else None

    def find_comment(self, ref: str | None) -> Comment | None:
        ids = comment_ids(ref) if ref else None
        if ids is None:
            return None
        c = self._comments.get(ids[1])
        return c if c is not None and c.post.id == ids[0] else None

    def find_job(self, ref: str | None) -> Job | None:
        jid = job_id(ref) if ref else None
        return self._jobs.get(jid) if jid is not None else None

    def find_thread(self, thread_id: str | None) -> Thread | None:
        return self._threads.get(thread_id.strip()) if thread_id else None

    def find_newsletter(self, ref: str | None) -> Invitation | None:
        if not ref:
            return None
        path, _ = url_path(ref)
        for inv in self.invitations:
            if inv.newsletter_url and url_path(inv.newsletter_url)[0] == path:
                return inv
        return None

    def add_post(self, post: Post) -> None:
        self.posts.append(post)
        self._posts[post.id] = post

    def add_comment(self, comment: Comment) -> None:
        comment.post.comments.append(comment)
        self._comments[comment.id] = comment

    def add_thread(self, thread: Thread) -> None:
        self.threads.append(thread)
        self._threads[thread.id] = thread

    # --- relationship state ----------------------------------------------------------------------
    def degree(self, p: Person) -> str | None:
        if p is self.me:
            return None
        if p.idx in self.connections:
            return "1st"
        return p.base_degree

    def connection_status(self, p: Person) -> str:
        if p.idx in self.connections:
            return "connected"
        if p.idx in self.pending:
            return "pending"
        if any(i.type == "connect" and i.person is p for i in self.invitations):
            return "incoming"
        return "notConnected"

    def my_reaction(self, reactions: list[Reaction]) -> str | None:
        return next((r.type for r in reactions if r.actor is self.me), None)

    # --- result shapes (contract §5.2) -----------------------------------------------------------
    def person_full(self, p: Person) -> Json:
        return {
            "name": p.name, "urn": p.urn, "publicUrl": p.public_url, "hashedUrl": p.hashed_url,
            "headline": p.headline, "location": p.location_full, "countryCode": p.country_code,
            "position": p.position, "companyName": p.company_name,
            "companyHashedUrl": p.company.hashed_url if p.company else None, "followersCount": p.followers,
            "about": p.about, "avatarUrl": p.avatar, "viewerState": {"connectionDegree": self.degree(p)},
        }

    def person_item(self, p: Person) -> Json:
        return {"name": p.name, "urn": p.urn, "publicUrl": p.public_url, "headline": p.headline,
                "location": p.location, "avatarUrl": p.avatar, "viewerState": {"connectionDegree": self.degree(p)}}

    def dm_item(self, p: Person) -> Json:
        d = self.person_item(p)
        d["countryCode"] = p.country_code
        d["viewerState"] = d.pop("viewerState")
        return d

    def nv_person_item(self, p: Person, dm: bool = False) -> Json:
        d: Json = {"name": p.name, "urn": p.urn, "hashedUrl": p.nv_url, "position": p.position,
                   "location": p.location, "avatarUrl": p.avatar}
        if dm:
            d["countryCode"] = p.country_code
        d["viewerState"] = {"connectionDegree": self.degree(p)}
        return d

    def nv_person_full(self, p: Person) -> Json:
        return {"name": p.name, "urn": p.urn, "publicUrl": p.public_url, "hashedUrl": p.nv_url,
                "headline": p.headline, "location": p.location_full, "countryCode": p.country_code,
                "position": p.position, "companyName": p.company_name,
                "companyUrn": p.company.urn if p.company else None,
                "companyHashedUrl": p.company.nv_url if p.company else None, "avatarUrl": p.avatar}

    def connection_item(self, p: Person) -> Json:
        return {"name": p.name, "urn": p.urn, "publicUrl": p.public_url, "headline": p.headline,
                "location": p.location, "connectedAt": iso(self.connections[p.idx]), "avatarUrl": p.avatar}

    def company_full(self, c: Company) -> Json:
        return {"name": c.name, "urn": c.urn, "publicUrl": c.public_url, "description": c.description,
                "location": c.location, "headquarters": f"{c.city}, {c.country_code}", "industry": c.industry,
                "specialties": c.specialties, "website": c.website, "employeesCount": c.employees_count,
                "yearFounded": c.founded, "ventureFinancing": c.venture,
                "jobsCount": sum(1 for j in self.jobs if j.company is c), "logoUrl": c.logo}

    def nv_company_full(self, c: Company) -> Json:
        return {"name": c.name, "urn": c.urn, "publicUrl": c.public_url, "description": c.description,
                "location": c.location, "headquarters": f"{c.city}, {c.country_code}", "industry": c.industry,
                "website": c.website, "employeesCount": c.employees_count, "yearFounded": c.founded,
                "logoUrl": c.logo}

    def company_item(self, c: Company) -> Json:
        return {"name": c.name, "urn": c.urn, "publicUrl": c.public_url, "industry": c.industry,
                "location": c.location, "logoUrl": c.logo}

    def nv_company_item(self, c: Company) -> Json:
        return {"name": c.name, "urn": c.urn, "hashedUrl": c.nv_url, "industry": c.industry,
                "employeesCount": c.employees_count, "logoUrl": c.logo}

    def actor(self, a: Person | Company, *, urn: bool = True, viewer: bool = True) -> Json:
        if isinstance(a, Person):
            d: Json = {"type": "person", "name": a.name, "urn": a.urn, "profileUrl": a.public_url,
                       "headline": a.headline, "companyUrl": None}
            if viewer:
                d["viewerState"] = {"connectionDegree": self.degree(a)}
        else:
            d = {"type": "company", "name": a.name, "urn": a.urn, "profileUrl": None, "headline": None,
                 "companyUrl": a.public_url}
        if not urn:
            d.pop("urn")
        return d

    def post_dict(self, post: Post, *, search: bool = False) -> Json:
        shown = post.original or post
        d: Json = {
            "url": post.url, "time": iso(post.time), "type": "repost" if post.original else "original",
            "activityUrn": post.urn, "author": self.actor(shown.author, urn=not search),
            "reposter": self.actor(post.author, urn=not search, viewer=search) if post.original else None,
            "repostText": (post.text or None) if post.original else None,
            "hashtags": list(shown.hashtags), "mentions": [m.name for m in shown.mentions],
            "externalLinks": list(shown.external_links), "text": shown.text,
            "images": list(shown.images) if shown.images is not None else None,
            "documentSlides": list(shown.document_slides), "hasVideo": shown.has_video,
            "videoThumbnail": (f"https://media.licdn.com/dms/image/v2/videocover/{shown.id}"
                               if shown.has_video else None),
            "hasPoll": shown.has_poll, "reactionsCount": len(shown.reactions),
            "commentsCount": len(shown.comments), "repostsCount": shown.reposts_count,
            "viewerState": {"reaction": self.my_reaction(shown.reactions), "isOwn": post.author is self.me},
        }
        if search:
            order = ["url", "activityUrn", "time", "type", "author", "reposter", "text", "repostText", "hashtags",
                     "mentions", "externalLinks", "images", "documentSlides", "hasVideo", "videoThumbnail",
                     "hasPoll", "reactionsCount", "commentsCount", "repostsCount", "viewerState"]
            d = {k: d[k] for k in order}
        return d

    def comment_dict(self, c: Comment) -> Json:
        author = self.actor(c.author, urn=False)
        return {
            "commentUrn": c.urn, "commentUrl": c.url, "author": author,
            "commenterUrl": author["profileUrl"] or author["companyUrl"], "commenterName": author["name"],
            "commenterHeadline": author["headline"], "commenterType": author["type"], "time": iso(c.time),
            "text": c.text, "image": None, "isReply": c.parent is not None, "reactionsCount": len(c.reactions),
            "repliesCount": sum(1 for x in c.post.comments if x.parent is c),
            "viewerState": {"reaction": self.my_reaction(c.reactions), "isOwn": c.author is self.me},
        }

    def reaction_dict(self, r: Reaction) -> Json:
        a = self.actor(r.actor)
        return {"actor": a, "engagerUrn": a["urn"], "engagerUrl": a["profileUrl"] or a["companyUrl"],
                "engagerName": a["name"], "engagerHeadline": a["headline"], "engagerType": a["type"],
                "type": r.type}

    def job_full(self, j: Job) -> Json:
        return {"jobId": str(j.id), "urn": f"urn:li:jobPosting:{j.id}", "jobUrl": j.url, "title": j.title,
                "companyName": j.company.name, "companyUrl": j.company.public_url, "location": j.location,
                "postedDate": iso(j.posted), "applicantsCount": j.applicants, "workplaceType": j.workplace,
                "employmentType": j.employment, "salary": dict(j.salary) if j.salary else None,
                "description": j.description,
                "applyUrl": None if j.easy_apply else f"https://careers.{j.company.slug}.example/jobs/{j.id}",
                "easyApply": j.easy_apply}

    def job_item(self, j: Job, similar: bool = False) -> Json:
        return {"jobId": str(j.id), "urn": f"urn:li:jobPosting:{j.id}", "jobUrl": j.url, "title": j.title,
                "companyName": j.company.name, "location": j.location, "workplaceType": j.workplace,
                "salary": dict(j.salary) if j.salary else None, "easyApply": j.easy_apply,
                "isPromoted": j.promoted, "isSimilarMatch": similar}

    # --- account info, workflows -----------------------------------------------------------------
    def account_info(self) -> dict[str, str]:
        return {"name": self.me.name, "url": self.me.public_url}


    # --- conversations and inbox -----------------------------------------------------------------
    def threads_with(self, p: Person, type_: str | None = None) -> list[Thread]:
        return [t for t in self.threads if t.person is p and (type_ is None or t.type == type_)]

    def add_message(self, thread: Thread, sender: str, text: str, now: datetime) -> Message:
        msg = Message(self.next_id("msg-"), thread, sender, text, now)
        thread.messages.append(msg)
        if self._captured(msg):
            # [INFERRED] every captured message (either direction) is an inbox.messageReceived event.
            d = self._inbox_message(msg)
            keys = ("type", "threadId", "personUrn", "personHashedUrl", "personPublicUrl", "personUrl")
            data = {**{k: d[k] for k in keys}, "messageId": msg.id, "sender": msg.sender, "text": msg.text,
                    "time": d["time"]}
            self._events.append({"id": f"inbox.messageReceived:{msg.id}", "type": "inbox.messageReceived",
                                 "createdAt": iso(now), "data": data})
        return msg

    def drain_events(self) -> list[dict[str, Any]]:
        """Inbox and network events since the last call, oldest first, shaped like webhook bodies
        (fixture 16) minus ``data.accountId``, which the caller adds."""
        events, self._events = self._events, []
        return events

    def poll_conversations(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[Json] = []
        for item in items:
            ref = item.get("personUrl")
            type_ = item.get("type") or "st"
            p = self.find_person(ref) if isinstance(ref, str) else None
            sync = self.synced.get((p.idx, type_)) if p is not None else None
            if p is None or sync is None:
                raise SandboxRequestError(
                    "conversationsNotSynced",
                    "Conversation with this person has not been synced. "
                    f"Run {type_}.syncConversation first.",
                    400,
                )
            since = parse_time(item.get("since"))
            _start, until = sync
            msgs = sorted((m for t in self.threads_with(p, type_) for m in t.messages), key=lambda m: m.time)
            entry: Json = {"personUrl": ref, "personUrn": p.urn, "type": type_}
            if item.get("since") is not None:
                entry["since"] = item["since"]
            entry["syncUntil"] = iso(until)
            # After syncUntil the conversation is no longer updated (§2.4).
            entry["messages"] = [{"id": m.id, "sender": m.sender, "text": m.text, "time": iso(m.time),
                                  "threadId": m.thread.id}
                                 for m in msgs if (since is None or m.time > since) and m.time <= until]
            out.append(entry)
        return out

    def _inbox_message(self, m: Message) -> Json:
        p = m.thread.person
        return {"id": m.id, "type": m.thread.type, "threadId": m.thread.id, "personUrn": p.urn,
                "personHashedUrl": p.hashed_url, "personPublicUrl": p.public_url, "personUrl": p.hashed_url,
                "sender": m.sender, "text": m.text, "time": iso(m.time)}

    def _captured(self, m: Message) -> bool:
        start = self.inbox_since.get(m.thread.type)
        return start is not None and m.time >= start

    def poll_inbox(self, body: dict[str, Any]) -> dict[str, Any]:
        since = parse_time(body.get("since"))
        type_ = body.get("type")
        thread_id = body.get("threadId")

        def keep(m: Message) -> bool:
            return ((since is None or m.time > since) and (type_ is None or m.thread.type == type_)
                    and (thread_id is None or m.thread.id == thread_id))

        ref = body.get("personUrl")
        if ref is None:
            msgs = [m for t in self.threads for m in t.messages if self._captured(m) and keep(m)]
            msgs.sort(key=lambda m: (m.time, m.id), reverse=True)
            return {"messages": [self._inbox_message(m) for m in msgs]}
        # Person view: inbox-captured messages merged with synced history, each message once.
        p = self.find_person(ref) if isinstance(ref, str) else None
        if p is None:
            # [INFERRED] an unknown person has no known conversation: empty result, not an error.
            return {"messages": [], "threads": []}
        out: list[Json] = []
        threads: list[Json] = []
        for t in self.threads_with(p):
            sync = self.synced.get((p.idx, t.type))
            known = [m for m in t.messages if self._captured(m) or (sync is not None and m.time <= sync[1])]
            if not known:
                continue
            # [INFERRED] a synced conversation is read from its start, so its history is complete.
            threads.append({"threadId": t.id, "type": t.type, "personUrn": p.urn,
                            "historyFrom": iso(min(m.time for m in known)),
                            "historyComplete": sync is not None})
            for m in known:
                if keep(m):
                    d = self._inbox_message(m)
                    if self._captured(m):
                        d = {"id": m.id, "inboxMessageId": "ibx-" + m.id.removeprefix("msg-"),
                             **{k: v for k, v in d.items() if k != "id"}}
                    out.append(d)
        out.sort(key=lambda d: (d["time"], d["id"]), reverse=True)
        return {"messages": out, "threads": threads}

    def poll_network(self, body: dict[str, Any]) -> dict[str, Any]:
        since = parse_time(body.get("since"))
        type_ = body.get("type")
        events = [e for e in self.network_events
                  if (type_ is None or e["type"] == type_)
                  and (since is None or (parse_time(e["detectedAt"]) or self.epoch) > since)]
        return {"events": list(reversed(events))}

    def network_event(self, type_: str, p: Person, now: datetime) -> None:
        if self.network_since is not None and now >= self.network_since:
            event = {"id": self.next_id("nev-"), "type": type_, "personUrl": p.public_url, "personUrn": p.urn,
                     "detectedAt": iso(now)}
            self.network_events.append(event)
            self._events.append({"id": f"network.{type_}:{event['id']}", "type": f"network.{type_}",
                                 "createdAt": iso(now), "data": {"personUrl": p.public_url, "personUrn": p.urn,
                                                                 "detectedAt": iso(now)}})

    # --- profile views -----------------------------------------------------------------------------
    def viewers_until(self, now: datetime) -> list[tuple[Person | None, datetime, str]]:
        """Who viewed your profile up to ``now``, newest first (later views are still to come)."""
        return [v for v in self.viewers if v[1] <= now]

    def visited(self, p: Person, now: datetime) -> None:
        """You opened ``p``'s profile. [INFERRED] about one visit in three is returned within two
        days (LinkedIn notifies people of views): a deterministic view-back by that person."""
        digest = hashlib.sha256(f"{self.seed}:view-back:{p.member_id}:{now.isoformat()}".encode()).digest()
        if p is self.me or digest[0] % 3 != 0 or any(v[0] is p and v[1] > now for v in self.viewers):
            return
        at = now + timedelta(seconds=3600 + int.from_bytes(digest[1:4], "big") % (47 * 3600))
        self.viewers.append((p, at, ""))
        self.viewers.sort(key=lambda v: v[1], reverse=True)

    def performance_at(self, now: datetime) -> dict[str, int]:
        """Performance figures; ``profileViewsLast90Days`` counts the views of the last 90 days."""
        views = sum(1 for _p, at, _c in self.viewers if now - timedelta(days=90) < at <= now)
        return {**self.performance, "followersCount": self.me.followers, "profileViewsLast90Days": views}

    # --- stats and limits ------------------------------------------------------------------------
    def action_stats(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return [{"actionType": a, "success": ok, "time": iso(t)} for a, ok, t in self.action_log if start <= t <= end]

    def default_limits(self) -> list[dict[str, Any]]:
        return [dict(limit) for limit in DEFAULT_LIMITS]

    def get_limits(self) -> list[dict[str, Any]]:
        return [dict(v) for v in self.limits.values()]

    def set_limits(self, limits: list[dict[str, Any]]) -> None:
        for limit in limits:
            key = (limit["category"], limit["period"])
            old = self.limits.get(key, {})
            self.limits[key] = {"category": key[0], "period": key[1], "maxValue": int(limit["maxValue"]),
                                "isEnabled": bool(limit.get("isEnabled", old.get("isEnabled", True)))}

    def delete_limits(self, limits: list[dict[str, Any]]) -> None:
        defaults = {(d["category"], d["period"]): d for d in DEFAULT_LIMITS}
        for limit in limits:
            key = (limit["category"], limit["period"])
            if key in defaults:
                self.limits[key] = dict(defaults[key])
            else:
                self.limits.pop(key, None)

    def reset_limits(self) -> None:
        self.limits = {(d["category"], d["period"]): dict(d) for d in DEFAULT_LIMITS}

    def record_action(self, action: str, success: bool, now: datetime) -> None:
        """Log an executed action for /stats/actions and, if it succeeded, for its limit category."""
        from linkedapi_mcp.actions import ACTIONS

        self.action_log.append((action, success, now))
        category = ACTIONS[action].limit_category if action in ACTIONS else None
        # [INFERRED] only successful actions use up a limit.
        if success and category:
            self._usage.setdefault(category, []).append(now)

    def usage(self, category: str, period: str, now: datetime) -> int:
        start = window_start(period, now)
        return sum(1 for t in self._usage.get(category, ()) if start <= t <= now)

    def limit_usage(self, now: datetime) -> list[dict[str, Any]]:
        return [{"category": v["category"], "period": v["period"], "maxValue": v["maxValue"],
                 "currentUsage": self.usage(v["category"], v["period"], now), "isEnabled": v["isEnabled"]}
                for v in self.limits.values()]

    def limit_reached(self, category: str, now: datetime) -> bool:
        return any(v["isEnabled"] and self.usage(category, v["period"], now) >= v["maxValue"]
                   for v in self.limits.values() if v["category"] == category)

    # --- injected events -------------------------------------------------------------------------
    def inject_incoming_message(self, person_url: str, text: str, now: datetime) -> dict[str, Any]:
        """Someone messages you: appends to (or opens) the standard thread with that person."""
        p = self.find_person(person_url)
        if p is None or p is self.me:
            raise SandboxRequestError("personNotFound", "The provided URL is not an existing LinkedIn person.", 404)
        threads = self.threads_with(p, "st")
        thread = threads[0] if threads else self.new_thread(p, "st")
        return self._inbox_message(self.add_message(thread, "them", text, now))

    def deliver_due(self, now: datetime) -> None:
        """Messages due by ``now`` arrive (in the thread with their sender, opened if needed), each
        at its own time: captured by inbox monitoring when it was on by then."""
        while self.incoming and self.incoming[0][0] <= now:
            at, p, type_, text = self.incoming.pop(0)
            threads = self.threads_with(p, type_)
            thread = threads[0] if threads else self.new_thread(p, type_)
            self.add_message(thread, "them", text, at)

    def unanswered_threads(self, now: datetime) -> list[Thread]:
        """[INFERRED] the contract reports no read state: a conversation whose last message is the
        other side's counts as unread (waiting for you)."""
        out = []
        for t in self.threads:
            known = [m for m in t.messages if m.time <= now]
            if known and max(known, key=lambda m: m.time).sender == "them":
                out.append(t)
        return out

    def accept_pending_request(self, person_url: str, now: datetime) -> dict[str, Any]:
        """The person accepts your pending request: a connection plus a ``connectionAccepted`` event."""
        p = self.find_person(person_url)
        if p is None or p.idx not in self.pending:
            raise SandboxRequestError("notPending", "There is no pending connection request to this person.", 404)
        del self.pending[p.idx]
        self.connections[p.idx] = now
        self.network_event("connectionAccepted", p, now)
        return self.connection_item(p)

    def new_thread(self, p: Person, type_: str) -> Thread:
        digest = hashlib.sha256(f"{self.seed}:{p.member_id}:{type_}:{len(self.threads)}".encode()).hexdigest()
        thread = Thread(id=f"2-{digest[:40]}", type=type_, person=p)
        self.add_thread(thread)
        return thread

    def inject_invitation(self, person_url: str, now: datetime, note: str | None = None) -> dict[str, Any]:
        """Someone sends you a connection request."""
        p = self.find_person(person_url)
        if p is None or p is self.me:
            raise SandboxRequestError("personNotFound", "The provided URL is not an existing LinkedIn person.", 404)
        if p.idx in self.connections:
            raise SandboxRequestError("alreadyConnected", "You are already connected with this person.", 409)
        self.invitations = [i for i in self.invitations if not (i.type == "connect" and i.person is p)]
        inv = Invitation("connect", p, now, note=note)
        self.invitations.append(inv)
        self.network_event("connectionRequestReceived", p, now)
        return self.invitation_dict(inv)

    def invitation_dict(self, inv: Invitation) -> Json:
        d: Json = {"invitationType": inv.type, "name": inv.person.name, "publicUrl": inv.person.public_url,
                   "urn": inv.person.urn}
        if inv.type == "connect":
            d.update(headline=inv.person.headline, note=inv.note)
        elif inv.type == "companyFollow":
            assert inv.company is not None
            d.update(companyUrl=inv.company.public_url, companyName=inv.company.name)
        else:
            d.update(newsletterUrl=inv.newsletter_url, newsletterName=inv.newsletter_name)
        return d

    # --- documentation helpers -------------------------------------------------------------------
    def samples(self, now: datetime | None = None) -> dict[str, Any]:
        unread = self.unanswered_threads(now or self.epoch)
        conns = [self.people[i] for i in sorted(self.connections)]
        strangers = [p for p in self.people[1:] if p.idx not in self.connections and p.idx not in self.pending
                     and not p.flags][:5]
        posts = sorted((p for p in self.posts if p.original is None and not p.comments_disabled),
                       key=lambda p: p.id)[:5]
        return {
            "me": self.account_info(),
            "personUrls": [p.public_url for p in strangers],
            "hashedPersonUrls": [p.hashed_url for p in strangers[:2]],
            "connectionUrls": [p.public_url for p in conns[:5]],
            "pendingUrls": [self.people[i].public_url for i in sorted(self.pending)][:3],
            "companyUrls": [c.public_url for c in self.companies[2:7]],
            "postUrls": [p.url for p in posts],
            "postUrns": [p.urn for p in posts[:2]],
            "jobUrls": [j.url for j in self.jobs[:5]],
            "nvPersonUrls": [p.nv_url for p in strangers[:3]],
            "nvCompanyUrls": [c.nv_url for c in self.companies[2:5]],
            "commentUrls": [c.url for p in posts for c in p.comments if c.parent is None][:3],
            "threadIds": [t.id for t in self.threads if t.type == "st"][:3],
            "unreadThreadIds": [t.id for t in unread],
            "unreadPersonUrls": [t.person.public_url for t in unread],
            "newsletterUrls": [i.newsletter_url for i in self.invitations if i.newsletter_url],
            "notFound": {
                "personUrl": "https://www.linkedin.com/in/no-such-person-000",
                "companyUrl": "https://www.linkedin.com/company/no-such-company-000",
                "postUrl": "https://www.linkedin.com/feed/update/urn:li:activity:1000000000000000000",
                "jobUrl": "https://www.linkedin.com/jobs/view/1000000000/",
                "commentUrl": "https://www.linkedin.com/feed/update/urn:li:activity:1000000000000000000?commentUrn="
                              "urn%3Ali%3Acomment%3A%28activity%3A1000000000000000000%2C1%29",
                "threadId": "2-does-not-exist",
            },
            "unknownSkill": "Underwater Basket Weaving",
            "injectionPersonUrl": self.special["injectionPerson"],
            "special": dict(self.special),
        }
