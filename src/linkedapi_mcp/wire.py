"""Shared Linked API wire vocabulary: enums, filters, retrieval configs and value types.

One table, two users: the action catalogue (``actions.py``, used by the sandbox and by the
client's local check of custom workflows) and the operation catalogue (``catalog/``, the MCP
tools' input schemas) both build on these models, so a bound or an enum lives in one place.

Field names are the API's own camelCase wire names (contract §5), so a model dumps straight to
the request body and agent prompts written for the official server carry over.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

# --- enums (contract §5.1) -------------------------------------------------------------------

ReactionType = Literal["like", "celebrate", "support", "love", "insightful", "funny"]
ConnectionStatus = Literal["connected", "pending", "incoming", "notConnected"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10001+"]
YearsOfExperience = Literal["lessThanOne", "oneToTwo", "threeToFive", "sixToTen", "moreThanTen"]
RevenueMin = Literal["0", "0.5", "1", "2.5", "5", "10", "20", "50", "100", "500", "1000"]
RevenueMax = Literal["0.5", "1", "2.5", "5", "10", "20", "50", "100", "500", "1000", "1000+"]
ConnectionDegree = Literal["1st", "2nd", "3rd+"]
NvConnectionDegree = Literal["1st", "2nd", "3rd+", "groupMembers"]
ConversationType = Literal["st", "nv"]
ConversationOperation = Literal["archive", "unarchive", "star", "unstar", "mute", "unmute"]
NvConversationOperation = Literal["archive", "unarchive"]
InvitationType = Literal["connect", "companyFollow", "newsletterSubscribe"]
NetworkEventType = Literal["connectionAccepted", "connectionAdded", "connectionRequestReceived"]
CommentsSort = Literal["mostRelevant", "mostRecent"]
AttachmentType = Literal["image", "video", "document"]
JobDatePosted = Literal["anyTime", "past24Hours", "pastWeek", "pastMonth"]
JobExperienceLevel = Literal["internship", "entryLevel", "associate", "midSeniorLevel", "director", "executive"]
JobEmploymentType = Literal["fullTime", "partTime", "contract", "temporary", "volunteer", "internship", "other"]
JobWorkplaceType = Literal["onSite", "remote", "hybrid"]
JobPrefExperienceLevel = Literal["entryLevel", "senior", "manager", "director", "executive"]
JobPrefEmploymentType = Literal["fullTime", "partTime", "contract", "internship", "volunteer"]
PostSearchSort = Literal["topMatch", "latest"]
PostSearchDatePosted = Literal["past24Hours", "pastWeek", "pastMonth"]
PostSearchContentType = Literal["videos", "images", "jobPosts", "liveVideos", "documents"]
PostSearchPostedBy = Literal["me", "firstConnections", "peopleYouFollow"]

# --- value types -------------------------------------------------------------------------------


def _check_iso_timestamp(value: str) -> str:
    text = value.strip()
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date or timestamp, e.g. 2026-05-01T00:00:00Z") from None
    return text


IsoTimestamp = Annotated[
    str,
    Field(max_length=64),
    AfterValidator(_check_iso_timestamp),
    Field(description="ISO 8601 timestamp, e.g. 2026-05-01T00:00:00Z"),
]

_LINKEDIN_HOST = r"https?://([a-z0-9-]+\.)?linkedin\.com"


# What a URL of another kind is, and which tool takes it: named in the refusal, so a caller who
# pasted the wrong kind of link learns where it belongs (issue 12).
_OTHER_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(_LINKEDIN_HOST + pattern, re.IGNORECASE), hint)
    for pattern, hint in (
        (r"/sales/(lead|people)/", "a Sales Navigator profile URL: use nv_fetch_person (or another nv_* tool)"),
        (r"/sales/company/", "a Sales Navigator company URL: use nv_fetch_company"),
        (r"/in/", "a profile URL: use fetch_person"),
        (r"/company/", "a company page URL: use fetch_company"),
        (r"/(posts/|feed/update/)", "a post URL: use fetch_post"),
        (r"/jobs/view/", "a job URL: use fetch_job"),
        (r"/search/", "a search URL: pass it as customSearchUrl of a search tool"),
    )
)

# [INFERRED] Browsers and LinkedIn keep URLs well under 2,048 characters; longer is never a link.
MAX_URL_LENGTH = 2048


def _url_checker(pattern: str, kind: str, example: str) -> AfterValidator:
    rx = re.compile(_LINKEDIN_HOST + pattern, re.IGNORECASE)

    def check(value: str) -> str:
        text = value.strip()
        if not rx.match(text):
            hint = next((h for other, h in _OTHER_KINDS if other.match(text)), None)
            if hint is not None:
                raise ValueError(f"must be a LinkedIn {kind} URL like {example}; this is {hint}")
            raise ValueError(f"must be a LinkedIn {kind} URL like {example}")
        return text

    return AfterValidator(check)


# URL kinds (contract §5.3). Checked by the operation models only: at the wire level the API
# accepts any string and reports e.g. personNotFound as an action error.
PersonUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(r"/in/[^/?#]+", "profile", "https://www.linkedin.com/in/jane-roe"),
]
SalesNavPersonUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(
        r"/(sales/(lead|people)/[^/?#]+|in/[^/?#]+)",
        "Sales Navigator or hashed profile",
        "https://www.linkedin.com/sales/lead/ACwAAA...",
    ),
]
CompanyUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(r"/company/[^/?#]+", "company", "https://www.linkedin.com/company/acme"),
]
SalesNavCompanyUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(
        r"/(sales/company/[^/?#]+|company/[^/?#]+)",
        "Sales Navigator company",
        "https://www.linkedin.com/sales/company/1035",
    ),
]
PostUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(
        r"/(posts/[^?#]+|feed/update/urn:li:(activity|share|ugcPost):\d+)",
        "post",
        "https://www.linkedin.com/feed/update/urn:li:activity:7123456789",
    ),
]
CommentUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(
        r"/(posts/|feed/update/)[^#]*(comment|commentUrn)",
        "comment",
        "https://www.linkedin.com/feed/update/urn:li:activity:1?commentUrn=...",
    ),
]
JobUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(r"/jobs/view/\d+", "job", "https://www.linkedin.com/jobs/view/4416248954/"),
]
NewsletterUrl = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH),
    _url_checker(r"/(newsletters|pulse)/[^?#]+", "newsletter", "https://www.linkedin.com/newsletters/x-123"),
]


def _check_post_urn(value: str) -> str:
    if not re.fullmatch(r"urn:li:(activity|share|ugcPost):\d+", value.strip()):
        raise ValueError("must be a post URN like urn:li:activity:7123456789")
    return value.strip()


PostUrn = Annotated[str, Field(max_length=200), AfterValidator(_check_post_urn)]

# --- models ----------------------------------------------------------------------------------


# [INFERRED] LinkedIn's filter boxes take names, titles and places, never essays: 200 characters
# per string and 50 entries per list are far above any real filter and far below a runaway one.
MAX_FILTER_TEXT = 200
MAX_LIST_ITEMS = 50
# No enum here has more than 10 values; a longer list of them only repeats values.
MAX_CHOICES = 20


class WireModel(BaseModel):
    """Request-side model: unknown keys are refused so a typo is never silently dropped."""

    # Validators built on first use (catalog/spec.py ResultModel says why); subclasses inherit it.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class FilterModel(WireModel):
    """Filters, references and attachments: strict and bounded.

    Strict: an integer is an integer and a boolean a boolean (``true`` is not ``1``, ``"3"`` is
    not ``3``); every string is bounded (:data:`MAX_FILTER_TEXT` unless a field says otherwise).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True, str_max_length=MAX_FILTER_TEXT)


StrList = Annotated[list[Annotated[str, Field(min_length=1)]], Field(max_length=MAX_LIST_ITEMS)]
E = TypeVar("E")
Choices = Annotated[list[E], Field(max_length=MAX_CHOICES)]


class PeopleSearchFilter(FilterModel):
    """Filter for st.searchPeople: fields are AND-ed, list entries OR-ed."""

    firstName: str | None = Field(None, description="First name.")
    lastName: str | None = Field(None, description="Last name.")
    position: str | None = Field(None, description="Current job title keywords.")
    locations: StrList | None = Field(None, description="Locations, e.g. 'Berlin, Germany'.")
    industries: StrList | None = Field(None, description="As LinkedIn names them, e.g. 'Software Development'.")
    currentCompanies: StrList | None = Field(None, description="Current employers (names).")
    previousCompanies: StrList | None = Field(None, description="Past employers (names).")
    schools: StrList | None = Field(None, description="Schools attended.")
    connectionDegrees: Choices[ConnectionDegree] | None = Field(None, description="Connection degrees.")


class NvPeopleSearchFilter(FilterModel):
    """Filter for nv.searchPeople (Sales Navigator)."""

    firstName: str | None = Field(None, description="First name.")
    lastName: str | None = Field(None, description="Last name.")
    position: str | None = Field(None, description="Current job title keywords.")
    locations: StrList | None = Field(None, description="Locations.")
    industries: StrList | None = Field(None, description="Industries.")
    currentCompanies: StrList | None = Field(None, description="Current employers.")
    previousCompanies: StrList | None = Field(None, description="Past employers.")
    schools: StrList | None = Field(None, description="Schools.")
    yearsOfExperiences: Choices[YearsOfExperience] | None = Field(None, description="Total years of experience.")
    connectionDegrees: Choices[NvConnectionDegree] | None = Field(None, description="Connection degrees.")


class NvPeopleSearchFilterWire(NvPeopleSearchFilter):
    # [INFERRED] contract §5.3: the docs and older SDKs spell it `yearsOfExperience`; the API is
    # said to accept both, so the wire-level check does too (the tool schema offers only the
    # SDK 1.4.7 spelling).
    yearsOfExperience: Choices[YearsOfExperience] | None = None


class CompanySearchFilter(FilterModel):
    """Filter for st.searchCompanies."""

    sizes: Choices[CompanySize] | None = Field(None, description="Employee-count ranges.")
    locations: StrList | None = Field(None, description="Headquarters locations.")
    industries: StrList | None = Field(None, description="Industries.")


class AnnualRevenue(FilterModel):
    min: RevenueMin = Field(description="Lower bound, million USD.")
    max: RevenueMax = Field(description="Upper bound, million USD.")


class NvCompanySearchFilter(CompanySearchFilter):
    """Filter for nv.searchCompanies."""

    annualRevenue: AnnualRevenue | None = Field(None, description="Annual revenue range, million USD.")


class EmployeesFilter(FilterModel):
    """Filter for company employees: fields AND-ed, list entries OR-ed."""

    firstName: str | None = Field(None, description="First name.")
    lastName: str | None = Field(None, description="Last name.")
    position: str | None = Field(None, description="Job title keywords.")
    locations: StrList | None = Field(None, description="Locations.")
    industries: StrList | None = Field(None, description="Industries.")
    schools: StrList | None = Field(None, description="Schools.")
    connectionDegrees: Choices[ConnectionDegree] | None = Field(None, description="Connection degrees.")


class NvEmployeesFilter(FilterModel):
    """Filter for Sales Navigator company employees."""

    firstName: str | None = Field(None, description="First name.")
    lastName: str | None = Field(None, description="Last name.")
    positions: StrList | None = Field(None, description="Job titles (any of).")
    locations: StrList | None = Field(None, description="Locations.")
    industries: StrList | None = Field(None, description="Industries.")
    schools: StrList | None = Field(None, description="Schools.")
    yearsOfExperiences: Choices[YearsOfExperience] | None = Field(None, description="Years of experience.")
    connectionDegrees: Choices[NvConnectionDegree] | None = Field(None, description="Connection degrees.")


class ConnectionsFilter(FilterModel):
    """Filter for your connections."""

    firstName: str | None = Field(None, description="First name.")
    lastName: str | None = Field(None, description="Last name.")
    position: str | None = Field(None, description="Job title keywords.")
    locations: StrList | None = Field(None, description="Locations.")
    industries: StrList | None = Field(None, description="Industries.")
    currentCompanies: StrList | None = Field(None, description="Current employers.")
    previousCompanies: StrList | None = Field(None, description="Past employers.")
    schools: StrList | None = Field(None, description="Schools.")


class JobSearchFilter(FilterModel):
    """Classic job search filter: every given field is applied or the search fails."""

    # Deprecated (accepted, not published: issue 11, listing budget).
    location: SkipJsonSchema[str | None] = Field(None, description="Deprecated: use the top-level location.")
    datePosted: JobDatePosted | None = Field(None, description="Posting age.")
    experienceLevels: Choices[JobExperienceLevel] | None = Field(None, description="Experience levels.")
    employmentTypes: Choices[JobEmploymentType] | None = Field(None, description="Employment types.")
    workplaceTypes: Choices[JobWorkplaceType] | None = Field(None, description="On-site, remote, hybrid.")
    companies: StrList | None = Field(None, description="Hiring companies.")
    industries: StrList | None = Field(None, description="Industries.")
    jobFunctions: StrList | None = Field(None, description="Job functions.")
    easyApply: bool | None = Field(None, description="Easy Apply only.")
    hasVerifications: bool | None = Field(None, description="Verified postings only.")
    under10Applicants: bool | None = Field(None, description="Fewer than 10 applicants.")
    inYourNetwork: bool | None = Field(None, description="Companies where you have connections.")
    fairChanceEmployer: bool | None = Field(None, description="Fair-chance employers only.")


class JobSearchPreferences(FilterModel):
    """AI job search preferences: unavailable ones are skipped, not failed."""

    datePosted: JobDatePosted | None = Field(None, description="Posting age.")
    experienceLevels: Choices[JobPrefExperienceLevel] | None = Field(None, description="Experience levels.")
    employmentTypes: Choices[JobPrefEmploymentType] | None = Field(None, description="Employment types.")
    companies: StrList | None = Field(None, description="Hiring companies.")
    remote: bool | None = Field(None, description="Remote jobs only.")
    easyApply: bool | None = Field(None, description="Easy Apply only.")
    under10Applicants: bool | None = Field(None, description="Fewer than 10 applicants.")
    inYourNetwork: bool | None = Field(None, description="Companies where you have connections.")
    keywords: StrList | None = Field(None, description="Extra keywords.")


class EntityRef(FilterModel):
    """A member or company: a name, optionally with its id."""

    name: str = Field(min_length=1, description="Display name.")
    id: str | None = Field(
        None, max_length=MAX_URL_LENGTH, description="URN, public or hashed URL (or numeric id for companies)."
    )
    # Deprecated aliases of `id` (contract §5.3), accepted on the wire but not published in the
    # input schema (issue 11, listing budget: a model should use `id`).
    urn: SkipJsonSchema[str | None] = Field(None, description="Deprecated: use id.")
    personHashedUrl: SkipJsonSchema[str | None] = Field(None, description="Deprecated: use id.")
    companyHashedUrl: SkipJsonSchema[str | None] = Field(None, description="Deprecated: use id.")


EntityList = Annotated[list[Annotated[str, Field(min_length=1)] | EntityRef], Field(max_length=MAX_LIST_ITEMS)]


class PostSearchFilter(FilterModel):
    """Post search filter: every given field is applied or the search fails (filterNotApplied)."""

    sort: PostSearchSort | None = Field(None, description="Ordering.")
    datePosted: PostSearchDatePosted | None = Field(None, description="Posting age.")
    contentType: PostSearchContentType | None = Field(None, description="Content type.")
    postedBy: Choices[PostSearchPostedBy] | None = Field(None, description="Whose posts.")
    fromMembers: EntityList | None = Field(None, description="Authors (people).")
    fromCompanies: EntityList | None = Field(None, description="Authors (companies).")
    mentioningMembers: EntityList | None = Field(None, description="Posts mentioning these people.")
    mentioningCompanies: EntityList | None = Field(None, description="Posts mentioning these companies.")
    authorCompanies: EntityList | None = Field(None, description="Authors' employers.")
    authorIndustries: StrList | None = Field(None, description="Authors' industries.")


class Attachment(FilterModel):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, description="Publicly reachable file URL.")
    type: AttachmentType = Field(description="image (≤9), or one video, or one document.")
    name: str | None = Field(None, description="Title; required for documents.")


class Mention(FilterModel):
    key: str = Field(min_length=1, description="Binds the @[key] placeholder in the text.")
    name: str = Field(min_length=1, description="Name to mention.")
    urn: str | None = Field(None, description="Member or organization URN.")
    personHashedUrl: str | None = Field(None, description="Hashed profile URL.")
    companyHashedUrl: str | None = Field(None, description="Hashed company URL.")


def check_attachments(attachments: list[Attachment] | None) -> None:
    """Contract §5.3 createPost: ≤9 images, or 1 video, or 1 document; no mixing."""
    if not attachments:
        return
    kinds = {a.type for a in attachments}
    if len(kinds) > 1:
        raise ValueError("attachments cannot mix images, video and documents")
    kind = next(iter(kinds))
    if kind == "image" and len(attachments) > 9:
        raise ValueError("at most 9 images")
    if kind in ("video", "document") and len(attachments) > 1:
        raise ValueError(f"at most one {kind}")
    if kind == "document" and any(not a.name for a in attachments):
        raise ValueError("a document attachment needs a name")


def check_mentions(mentions: list[Mention] | None) -> None:
    for m in mentions or []:
        ids = [x for x in (m.urn, m.personHashedUrl, m.companyHashedUrl) if x]
        if len(ids) > 1:
            raise ValueError(f"mention '{m.key}' has more than one identifier; give at most one")
