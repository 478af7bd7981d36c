"""Entities of the synthetic LinkedIn world and the LinkedIn URL forms that address them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

Json = dict[str, Any]

LI = "https://www.linkedin.com"


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def snowflake(t: datetime, salt: int) -> int:
    """LinkedIn-style time-ordered 19-digit id (milliseconds << 22 | salt)."""
    return (int(t.timestamp() * 1000) << 22) | (salt & 0x3FFFFF)


@dataclass(eq=False)
class Company:
    id: int
    name: str
    slug: str
    industry: str
    size: str
    employees_count: int
    city: str
    region: str
    country: str
    country_code: str
    website: str | None
    founded: int
    specialties: str | None
    description: str
    venture: bool
    logo: str | None
    employees: list[Person] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    retrieval_blocked: bool = False
    admin: bool = False  # the account may act as this page

    @property
    def public_url(self) -> str:
        return f"{LI}/company/{self.slug}"

    @property
    def hashed_url(self) -> str:
        return f"{LI}/company/{self.id}"

    @property
    def nv_url(self) -> str:
        return f"{LI}/sales/company/{self.id}"

    @property
    def urn(self) -> str:
        return f"urn:li:organization:{self.id}"

    @property
    def location(self) -> str:
        return f"{self.city}, {self.region}"


@dataclass(eq=False)
class Person:
    idx: int
    member_id: int
    first: str
    last: str
    slug: str
    hashed_id: str
    nv_id: str
    function: str
    position: str
    seniority: int
    company: Company | None
    city: str
    region: str
    country: str
    country_code: str
    industry: str
    headline: str
    about: str | None
    avatar: str | None
    followers: int
    base_degree: str  # "2nd" | "3rd+" (1st comes from the live connection list)
    group_member: bool
    years_experience: int
    experiences: list[Json] = field(default_factory=list)
    education: list[Json] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    languages: list[Json] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def public_url(self) -> str:
        return f"{LI}/in/{self.slug}"

    @property
    def hashed_url(self) -> str:
        return f"{LI}/in/{self.hashed_id}"

    @property
    def nv_url(self) -> str:
        return f"{LI}/sales/lead/{self.nv_id},NAME_SEARCH,{self.hashed_id[-4:]}"

    @property
    def urn(self) -> str:
        return f"urn:li:member:{self.member_id}"

    @property
    def location(self) -> str:
        return f"{self.city}, {self.country}"

    @property
    def location_full(self) -> str:
        parts = [self.city, self.region, self.country]
        return ", ".join(x for i, x in enumerate(parts) if x not in parts[:i])  # no "Singapore, Singapore"

    @property
    def company_name(self) -> str | None:
        return self.company.name if self.company else None

    @property
    def previous_companies(self) -> list[str]:
        return [e["companyName"] for e in self.experiences if e["endTime"] is not None]


@dataclass(eq=False)
class Reaction:
    actor: Person | Company
    type: str
    time: datetime


@dataclass(eq=False)
class Comment:
    id: int
    post: Post
    author: Person | Company
    text: str
    time: datetime
    parent: Comment | None = None
    reactions: list[Reaction] = field(default_factory=list)
    replies_disabled: bool = False

    @property
    def urn(self) -> str:
        return f"urn:li:comment:(activity:{self.post.id},{self.id})"

    @property
    def url(self) -> str:
        return f"{self.post.url}?commentUrn={quote(self.urn, safe='')}"


@dataclass(eq=False)
class Post:
    id: int
    author: Person | Company
    time: datetime
    text: str
    topic: str
    hashtags: list[str] = field(default_factory=list)
    mentions: list[Person | Company] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    images: list[str] | None = None
    document_slides: list[str] = field(default_factory=list)
    has_video: bool = False
    has_poll: bool = False
    comments: list[Comment] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    reposts_count: int = 0
    comments_disabled: bool = False
    repost_disabled: bool = False
    original: Post | None = None  # set for reposts
    is_job_post: bool = False

    @property
    def url(self) -> str:
        return f"{LI}/feed/update/urn:li:activity:{self.id}"

    @property
    def urn(self) -> str:
        return f"urn:li:activity:{self.id}"


@dataclass(eq=False)
class Job:
    id: int
    title: str
    company: Company
    function: str
    location: str
    country_code: str
    workplace: str
    employment: str
    experience: str
    posted: datetime
    applicants: int
    salary: Json | None
    description: str
    easy_apply: bool
    promoted: bool
    verified: bool
    fair_chance: bool

    @property
    def url(self) -> str:
        return f"{LI}/jobs/view/{self.id}/"


@dataclass(eq=False)
class Message:
    id: str
    thread: Thread
    sender: str  # "us" | "them"
    text: str
    time: datetime


@dataclass(eq=False)
class Thread:
    id: str
    type: str  # "st" | "nv"
    person: Person
    messages: list[Message] = field(default_factory=list)
    state: set[str] = field(default_factory=set)  # archived / starred / muted


@dataclass(eq=False)
class Invitation:
    type: str
    person: Person
    time: datetime
    note: str | None = None
    company: Company | None = None
    newsletter_name: str | None = None
    newsletter_url: str | None = None


# --- URL parsing -----------------------------------------------------------------------------

_ACTIVITY = re.compile(r"activity[:-](\d{6,20})")
_COMMENT = re.compile(r"comment:\(\s*(?:urn:li:)?(?:activity|ugcPost):(\d+)\s*,\s*(\d+)\s*\)")
_JOB = re.compile(r"/jobs/view/(?:[^/]*?-)?(\d+)")


def url_path(value: str) -> tuple[str, str]:
    """``(path, query)`` of a LinkedIn URL with trailing slashes removed; ``('', '')`` if foreign."""
    text = value.strip()
    if "://" not in text and text.startswith(("www.linkedin.com", "linkedin.com")):
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.netloc.lower()
    if not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        return "", ""
    return unquote(parts.path).rstrip("/"), parts.query


def person_key(value: str) -> tuple[str, str] | None:
    """``('member', id)``, ``('in', slug-or-hash)`` or ``('lead', nv id)`` for a person reference."""
    text = value.strip()
    m = re.fullmatch(r"urn:li:member:(\d+)", text)
    if m:
        return "member", m.group(1)
    path, _ = url_path(text)
    m = re.fullmatch(r"/in/([^/]+)", path)
    if m:
        return "in", m.group(1)
    m = re.fullmatch(r"/sales/(?:lead|people)/([^/,]+)(?:,.*)?", path)
    if m:
        return "lead", m.group(1)
    return None


def company_key(value: str) -> str | None:
    """A company's slug or numeric id from its URL or URN."""
    text = value.strip()
    m = re.fullmatch(r"urn:li:(?:organization|company|fsd_company):(\d+)", text)
    if m:
        return m.group(1)
    if text.isdigit():
        return text
    path, _ = url_path(text)
    m = re.fullmatch(r"/(?:company|sales/company|showcase)/([^/]+)(?:/.*)?", path)
    return m.group(1).lower() if m else None


def post_id(value: str) -> int | None:
    m = _ACTIVITY.search(unquote(value))
    return int(m.group(1)) if m else None


def comment_ids(value: str) -> tuple[int, int] | None:
    m = _COMMENT.search(unquote(value))
    return (int(m.group(1)), int(m.group(2))) if m else None


def job_id(value: str) -> int | None:
    text = unquote(value)
    m = _JOB.search(text) or re.search(r"currentJobId=(\d+)", text)
    return int(m.group(1)) if m else None
