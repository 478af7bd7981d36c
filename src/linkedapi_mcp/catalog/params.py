"""Tool input models, one per operation (contract §5.3).

Names are the API's camelCase wire names (and the official MCP server's), every field has a
description, every documented bound/default/enum is in the model, unknown arguments are refused
by name, and LinkedIn URLs are checked for the right kind before anything reaches the network.
The top level of each schema stays flat: cross-field rules are model validators, never unions.

Defaults are declared (they show in the schema) but :meth:`ParamsModel.wire` sends only what the
caller set, exactly like the SDK; the API applies the same defaults.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from linkedapi_mcp import wire
from linkedapi_mcp.actions import INVITATION_TARGETS, WorkflowDefinitionError, validate_definition
from linkedapi_mcp.catalog.spec import ParamsModel
from linkedapi_mcp.wire import (
    CompanyUrl,
    IsoTimestamp,
    JobUrl,
    NewsletterUrl,
    PersonUrl,
    PostUrl,
    PostUrn,
    SalesNavCompanyUrl,
    SalesNavPersonUrl,
)


def _linkedin_url(value: str) -> str:
    text = value.strip()
    if not re.match(r"https?://([a-z0-9-]+\.)?linkedin\.com/", text, re.IGNORECASE):
        raise ValueError("must be a LinkedIn URL (https://www.linkedin.com/...), e.g. a search results page")
    return text


# [INFERRED] search URLs (customSearchUrl) are only checked to be on linkedin.com: LinkedIn has
# several search URL shapes (classic, Sales Navigator, jobs collections) and the server judges them.
LinkedInUrl = Annotated[str, Field(max_length=wire.MAX_URL_LENGTH), AfterValidator(_linkedin_url)]


def _email(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError("must be an email address like jane@example.com")
    return text


Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
CommentUrl = wire.CommentUrl


def _not_blank(value: object) -> object:
    # A before-validator, so the field's length bounds stay string bounds ("at most N characters").
    if isinstance(value, str) and value and not value.strip():
        raise ValueError("must contain text, not only whitespace")
    return value


# Text a person reads (messages, notes, comments, posts) and words that steer a search: never only
# whitespace (LinkedIn would send an empty-looking message, or search for nothing).
Text = Annotated[str, BeforeValidator(_not_blank)]

# LinkedIn's limits (contract §5.3 unless marked): message 1900, comment/reply 1000, post 3000,
# Sales Navigator subject 80. [INFERRED] invitation note 300 (LinkedIn's own limit; the contract
# names only the noteTooLong error), repost commentary as a post (3000).
MAX_MESSAGE = 1900
MAX_COMMENT = 1000
MAX_POST = 3000
MAX_NOTE = 300
MAX_SUBJECT = 80
# [INFERRED] LinkedIn's search box takes a few words; 200 characters is far above any real query.
MAX_TERM = 200
# [INFERRED] ids (threads), skill names and mention lists: generous bounds that still stop a runaway.
MAX_ID = 200
MAX_SKILL = 100
MAX_PATTERNS = 50
MAX_MENTIONS = 50
MAX_ROOT_ACTIONS = 50

SearchTerm = Annotated[str, Field(max_length=MAX_TERM), BeforeValidator(_not_blank)]
ThreadId = Annotated[str, Field(min_length=1, max_length=MAX_ID), BeforeValidator(_not_blank)]


def _not_sales_navigator(value: object, tool: str, standard: str) -> object:
    """Refuse a Sales Navigator URL given to a standard tool, naming the tool that takes it."""
    if isinstance(value, str) and re.match(r"\s*https?://([a-z0-9-]+\.)?linkedin\.com/sales/", value, re.IGNORECASE):
        raise ValueError(f"this is a Sales Navigator URL: use {tool} for it ({standard})")
    return value


def _needs_flag(model: ParamsModel, pairs: tuple[tuple[str, str], ...]) -> None:
    for config, flag in pairs:
        if getattr(model, config) is not None and getattr(model, flag) is not True:
            raise ValueError(f"'{config}' only applies with '{flag}': true; set '{flag}' or drop '{config}'")


def _one_post_target(model: ParamsModel) -> None:
    if getattr(model, "postUrl", None) is None and getattr(model, "postUrn", None) is None:
        raise ValueError("give 'postUrl' or 'postUrn' to say which post")


# --- retrieval configs ----------------------------------------------------------------------


class LimitSinceConfig(ParamsModel):
    """How many items to read, and from when."""

    limit: int = Field(20, ge=1, le=20, description="Maximum items, 1-20 (default 20).")
    since: IsoTimestamp | None = Field(None, description="Only items after this time (ISO 8601).")


class EmployeesConfig(ParamsModel):
    limit: int = Field(500, ge=1, le=500, description="Maximum employees, 1-500 (default 500).")
    filter: wire.EmployeesFilter | None = Field(None, description="Fields AND-ed, list entries OR-ed.")


class NvEmployeesConfig(ParamsModel):
    # [INFERRED] contract §5.3 conflict (500 vs 2500): the tool keeps the official server's 1-500,
    # default 500, so it never sends what the real API may refuse.
    limit: int = Field(500, ge=1, le=500, description="Maximum employees, 1-500 (default 500).")
    filter: wire.NvEmployeesFilter | None = Field(None, description="Fields AND-ed, list entries OR-ed.")


class DmsConfig(ParamsModel):
    limit: int = Field(20, ge=1, le=20, description="Maximum decision makers, 1-20 (default 20).")


class CommentsConfig(ParamsModel):
    limit: int = Field(10, ge=1, le=500, description="Maximum comments, 1-500 (default 10).")
    replies: bool = Field(False, description="Include threaded replies (default false).")
    sort: wire.CommentsSort = Field("mostRelevant", description="mostRelevant (default) or mostRecent.")


class ReactionsConfig(ParamsModel):
    limit: int = Field(10, ge=1, le=1000, description="Maximum reactions, 1-1000 (default 10).")


# --- people ---------------------------------------------------------------------------------


class FetchPersonParams(ParamsModel):
    @field_validator("personUrl", mode="before")
    @classmethod
    def _standard_url(cls, value: object) -> object:
        return _not_sales_navigator(value, "nv_fetch_person", "fetch_person takes a standard profile URL, /in/...")

    personUrl: PersonUrl = Field(description="Public or hashed profile URL (/in/...).")
    retrieveExperience: bool = Field(False, description="Add work experience (default false).")
    retrieveEducation: bool = Field(False, description="Add education (default false).")
    retrieveSkills: bool = Field(False, description="Add skills (default false).")
    retrieveLanguages: bool = Field(False, description="Add languages (default false).")
    retrievePosts: bool = Field(False, description="Add recent posts (default false).")
    retrieveComments: bool = Field(False, description="Add comments the person wrote (default false).")
    retrieveReactions: bool = Field(False, description="Add reactions the person gave (default false).")
    postsRetrievalConfig: LimitSinceConfig | None = None
    commentsRetrievalConfig: LimitSinceConfig | None = None
    reactionsRetrievalConfig: LimitSinceConfig | None = None

    @model_validator(mode="after")
    def _configs_need_flags(self) -> Self:
        _needs_flag(
            self,
            (
                ("postsRetrievalConfig", "retrievePosts"),
                ("commentsRetrievalConfig", "retrieveComments"),
                ("reactionsRetrievalConfig", "retrieveReactions"),
            ),
        )
        return self


class NvFetchPersonParams(ParamsModel):
    personHashedUrl: SalesNavPersonUrl = Field(
        description="Sales Navigator or hashed profile URL (/sales/lead/... or /in/ACoAA...)."
    )


class EndorsePersonSkillParams(ParamsModel):
    personUrl: PersonUrl = Field(description="Profile URL of a first-degree connection.")
    skillName: Text = Field(min_length=1, max_length=MAX_SKILL, description="Exact skill name as shown on the profile.")


class EndorsePersonSkillsParams(ParamsModel):
    personUrl: PersonUrl = Field(description="Profile URL of a first-degree connection.")
    skillNamePatterns: (
        list[Annotated[str, Field(min_length=1, max_length=MAX_SKILL), BeforeValidator(_not_blank)]] | None
    ) = Field(
        None,
        max_length=MAX_PATTERNS,
        description="Only skills matching these names/patterns; omit for all.",
    )


# --- companies ------------------------------------------------------------------------------


class FetchCompanyParams(ParamsModel):
    @field_validator("companyUrl", mode="before")
    @classmethod
    def _standard_url(cls, value: object) -> object:
        return _not_sales_navigator(value, "nv_fetch_company", "fetch_company takes a company page URL, /company/...")

    companyUrl: CompanyUrl = Field(description="Company page URL (/company/...).")
    retrieveEmployees: bool = Field(False, description="Add employees (default false).")
    retrieveDMs: bool = Field(False, description="Add decision makers, most senior first (default false).")
    retrievePosts: bool = Field(False, description="Add company posts (default false).")
    employeesRetrievalConfig: EmployeesConfig | None = None
    dmsRetrievalConfig: DmsConfig | None = None
    postsRetrievalConfig: LimitSinceConfig | None = None

    @model_validator(mode="after")
    def _configs_need_flags(self) -> Self:
        _needs_flag(
            self,
            (
                ("employeesRetrievalConfig", "retrieveEmployees"),
                ("dmsRetrievalConfig", "retrieveDMs"),
                ("postsRetrievalConfig", "retrievePosts"),
            ),
        )
        return self


class NvFetchCompanyParams(ParamsModel):
    companyHashedUrl: SalesNavCompanyUrl = Field(description="Sales Navigator company URL (/sales/company/...).")
    retrieveEmployees: bool = Field(False, description="Add employees (default false).")
    retrieveDMs: bool = Field(False, description="Add decision makers (default false).")
    employeesRetrievalConfig: NvEmployeesConfig | None = None
    dmsRetrievalConfig: DmsConfig | None = None

    @model_validator(mode="after")
    def _configs_need_flags(self) -> Self:
        _needs_flag(self, (("employeesRetrievalConfig", "retrieveEmployees"), ("dmsRetrievalConfig", "retrieveDMs")))
        return self


# --- posts ----------------------------------------------------------------------------------


class FetchPostParams(ParamsModel):
    postUrl: PostUrl | None = Field(None, description="Post URL (/posts/... or /feed/update/urn:li:activity:...).")
    postUrn: PostUrn | None = Field(None, description="Post URN, urn:li:activity:... (instead of postUrl).")
    retrieveComments: bool = Field(False, description="Add comments (default false).")
    retrieveReactions: bool = Field(False, description="Add reactions (default false).")
    commentsRetrievalConfig: CommentsConfig | None = None
    reactionsRetrievalConfig: ReactionsConfig | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _one_post_target(self)
        _needs_flag(
            self, (("commentsRetrievalConfig", "retrieveComments"), ("reactionsRetrievalConfig", "retrieveReactions"))
        )
        return self


class ReactToPostParams(ParamsModel):
    postUrl: PostUrl | None = Field(None, description="Post URL.")
    postUrn: PostUrn | None = Field(None, description="Post URN (instead of postUrl).")
    type: wire.ReactionType = Field(description="like, celebrate, support, love, insightful or funny.")
    companyUrl: CompanyUrl | None = Field(None, description="React as this company page (needs admin rights).")

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _one_post_target(self)
        return self


class CommentOnPostParams(ParamsModel):
    postUrl: PostUrl | None = Field(None, description="Post URL.")
    postUrn: PostUrn | None = Field(None, description="Post URN (instead of postUrl).")
    text: Text = Field(min_length=1, max_length=MAX_COMMENT, description="Comment text, 1-1000 characters.")
    companyUrl: CompanyUrl | None = Field(None, description="Comment as this company page (needs admin rights).")

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _one_post_target(self)
        return self


class ReactToCommentParams(ParamsModel):
    wire_defaults = ("type",)  # the SDK always sends the reaction type, "like" by default

    commentUrl: CommentUrl = Field(description="A commentUrl from fetch_post.")
    type: wire.ReactionType = Field("like", description="Reaction type (default like).")


class ReplyToCommentParams(ParamsModel):
    commentUrl: CommentUrl = Field(description="A commentUrl from fetch_post.")
    text: Text = Field(min_length=1, max_length=MAX_COMMENT, description="Reply text, 1-1000 characters.")


def _check_mention_keys(text: str | None, mentions: list[wire.Mention] | None) -> None:
    wire.check_mentions(mentions)
    for m in mentions or []:
        if f"@[{m.key}]" not in (text or ""):
            # [INFERRED] a mention binds a placeholder; one without it could never be placed.
            raise ValueError(f"mention '{m.key}' has no '@[{m.key}]' placeholder in 'text'")


class CreatePostParams(ParamsModel):
    text: Text = Field(
        min_length=1, max_length=MAX_POST, description="Post text, 1-3000 characters; @[key] marks a mention."
    )
    attachments: list[wire.Attachment] | None = Field(
        None, max_length=9, description="9 images, 1 video or 1 document at most; no mixing."
    )
    companyUrl: CompanyUrl | None = Field(None, description="Post as this company page (needs admin rights).")
    mentions: list[wire.Mention] | None = Field(
        None,
        max_length=MAX_MENTIONS,
        description="Mentions, each bound to an @[key] in text.",
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        wire.check_attachments(self.attachments)
        _check_mention_keys(self.text, self.mentions)
        return self


class CreateRepostParams(ParamsModel):
    postUrl: PostUrl | None = Field(None, description="Post to repost.")
    postUrn: PostUrn | None = Field(None, description="Post URN (instead of postUrl).")
    text: Text | None = Field(
        None, min_length=1, max_length=MAX_POST, description="Commentary above the repost; omit to repost as is."
    )
    mentions: list[wire.Mention] | None = Field(
        None, max_length=MAX_MENTIONS, description="Mentions bound to @[key] placeholders in text."
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _one_post_target(self)
        _check_mention_keys(self.text, self.mentions)
        return self


class RetrieveFeedParams(ParamsModel):
    limit: int = Field(20, ge=1, le=100, description="Maximum posts, 1-100 (default 20).")


# --- searches -------------------------------------------------------------------------------


class SearchPeopleParams(ParamsModel):
    term: SearchTerm | None = None  # the search keywords: the name says it (listing budget)
    limit: int = Field(10, ge=1, le=1000, description="Maximum results, 1-1000 (default 10).")
    filter: wire.PeopleSearchFilter | None = Field(None, description="Fields AND-ed, list entries OR-ed.")
    customSearchUrl: LinkedInUrl | None = Field(
        None, description="A LinkedIn people-search URL; overrides term and filter."
    )


class NvSearchPeopleParams(ParamsModel):
    term: SearchTerm | None = None  # the search keywords: the name says it (listing budget)
    limit: int = Field(25, ge=1, le=2500, description="Maximum results, 1-2500 (default 25).")
    filter: wire.NvPeopleSearchFilter | None = Field(None, description="Fields AND-ed, list entries OR-ed.")
    customSearchUrl: LinkedInUrl | None = Field(
        None, description="A Sales Navigator people-search URL; overrides term and filter."
    )


class SearchCompaniesParams(ParamsModel):
    term: SearchTerm | None = None  # the search keywords: the name says it (listing budget)
    limit: int = Field(10, ge=1, le=1000, description="Maximum results, 1-1000 (default 10).")
    filter: wire.CompanySearchFilter | None = Field(None, description="Sizes, headquarters locations, industries.")
    customSearchUrl: LinkedInUrl | None = Field(
        None, description="A LinkedIn company-search URL; overrides term and filter."
    )


class NvSearchCompaniesParams(ParamsModel):
    term: SearchTerm | None = None  # the search keywords: the name says it (listing budget)
    limit: int = Field(25, ge=1, le=1000, description="Maximum results, 1-1000 (default 25).")
    filter: wire.NvCompanySearchFilter | None = Field(None, description="Sizes, locations, industries, annual revenue.")
    customSearchUrl: LinkedInUrl | None = Field(
        None, description="A Sales Navigator company-search URL; overrides term and filter."
    )


class SearchJobsParams(ParamsModel):
    term: SearchTerm | None = None  # the search keywords: the name says it (listing budget)
    limit: int = Field(10, ge=1, le=1000, description="Maximum results, 1-1000 (default 10).")
    location: Text | None = Field(
        None, max_length=wire.MAX_FILTER_TEXT, description="Free-form location, e.g. 'Berlin, Germany'."
    )
    allowSimilarResults: bool = Field(True, description="AI search: keep near matches (default true).")
    filter: wire.JobSearchFilter | None = Field(
        None, description="Every field must apply or the search fails. Not with preferences."
    )
    preferences: wire.JobSearchPreferences | None = Field(
        None, description="AI search: unavailable ones are skipped. Not with filter."
    )
    customSearchUrl: LinkedInUrl | None = Field(
        None, description="A LinkedIn job-search URL; overrides everything else."
    )

    @model_validator(mode="after")
    def _filter_xor_preferences(self) -> Self:
        if self.filter is not None and self.preferences is not None:
            raise ValueError("give either 'filter' (classic search) or 'preferences' (AI search), not both")
        return self


class SearchPostsParams(ParamsModel):
    term: SearchTerm | None = Field(
        None, description="Keywords, up to 200 characters (this or customSearchUrl is required)."
    )
    limit: int = Field(10, ge=1, le=100, description="Maximum results, 1-100 (default 10).")
    filter: wire.PostSearchFilter | None = Field(
        None, description="Every given field must apply or the search fails (filterNotApplied)."
    )
    customSearchUrl: LinkedInUrl | None = Field(
        None, description="A LinkedIn content-search URL; overrides term and filter."
    )

    @model_validator(mode="after")
    def _term_or_url(self) -> Self:
        if not self.term and not self.customSearchUrl:
            raise ValueError("give 'term' or 'customSearchUrl'")
        return self


# --- jobs -----------------------------------------------------------------------------------


class FetchJobParams(ParamsModel):
    jobUrl: JobUrl = Field(description="Job URL (/jobs/view/...).")


# --- network --------------------------------------------------------------------------------


class PersonTargetParams(ParamsModel):
    personUrl: PersonUrl = Field(description="Profile URL, public or hashed.")


class SendConnectionRequestParams(ParamsModel):
    personUrl: PersonUrl = Field(description="Profile URL, public or hashed.")
    note: Text | None = Field(
        None, min_length=1, max_length=MAX_NOTE, description="Personal note, up to 300 characters (LinkedIn's limit)."
    )
    email: Email | None = Field(None, description="Their email, for people who require it to connect.")


class WithdrawConnectionRequestParams(ParamsModel):
    personUrl: PersonUrl = Field(description="Profile URL the pending request went to.")
    unfollow: bool = Field(True, description="Also unfollow the person (default true).")


class InvitationParams(ParamsModel):
    invitationType: wire.InvitationType = Field(description="connect, companyFollow or newsletterSubscribe.")
    personUrl: PersonUrl | None = Field(None, description="Inviter's profile URL (connect only).")
    companyUrl: CompanyUrl | None = Field(None, description="Company page URL (companyFollow only).")
    newsletterUrl: NewsletterUrl | None = Field(None, description="Newsletter URL (newsletterSubscribe only).")

    @model_validator(mode="after")
    def _exactly_the_matching_target(self) -> Self:
        want = INVITATION_TARGETS[self.invitationType]
        given = [t for t in INVITATION_TARGETS.values() if getattr(self, t) is not None]
        if want not in given:
            raise ValueError(f"invitationType '{self.invitationType}' needs '{want}'")
        extra = [t for t in given if t != want]
        if extra:
            raise ValueError(f"invitationType '{self.invitationType}' takes only '{want}'; drop {extra}")
        return self


class RetrieveConnectionsParams(ParamsModel):
    limit: int = Field(10, ge=1, le=1000, description="Maximum connections, 1-1000 (default 10).")
    since: IsoTimestamp | None = Field(None, description="Only connections made on/after this date; not with filter.")
    filter: wire.ConnectionsFilter | None = Field(None, description="Narrow the connections; fields AND-ed.")

    @model_validator(mode="after")
    def _since_without_filter(self) -> Self:
        if self.since is not None and self.filter is not None:
            # [INFERRED] the API silently ignores 'since' with a filter (contract §5.3); refuse instead.
            raise ValueError("'since' is ignored when 'filter' is given; use one of them")
        return self


class RetrieveProfileViewersParams(ParamsModel):
    limit: int = Field(20, ge=1, le=300, description="Maximum viewers, 1-300 (default 20).")
    since: IsoTimestamp | None = Field(None, description="Only views after this time (ISO 8601).")


class NoParams(ParamsModel):
    """This operation takes no arguments."""


# --- messaging ------------------------------------------------------------------------------


class ManageAfterSend(ParamsModel):
    operation: wire.ConversationOperation = Field(description="archive, unarchive, star, unstar, mute or unmute.")


class SendMessageParams(ParamsModel):
    @field_validator("personUrl", mode="before")
    @classmethod
    def _standard_url(cls, value: object) -> object:
        return _not_sales_navigator(value, "nv_send_message", "send_message takes a standard profile URL, /in/...")

    text: Text = Field(min_length=1, max_length=MAX_MESSAGE, description="Message text, 1-1900 characters.")
    personUrl: PersonUrl | None = Field(None, description="Recipient's profile URL (or give threadId).")
    threadId: ThreadId | None = Field(None, description="Reply into this thread (from get_inbox); wins over personUrl.")
    manageConversation: ManageAfterSend | None = Field(
        None, description="Archive/star/mute the conversation right after sending."
    )

    @model_validator(mode="after")
    def _recipient(self) -> Self:
        if self.personUrl is None and self.threadId is None:
            raise ValueError("give 'personUrl' or 'threadId' to say who gets the message")
        return self


class NvSendMessageParams(ParamsModel):
    text: Text = Field(min_length=1, max_length=MAX_MESSAGE, description="Message text, 1-1900 characters.")
    personUrl: SalesNavPersonUrl | None = Field(None, description="Recipient's profile URL (or give threadId).")
    threadId: ThreadId | None = Field(None, description="Reply into this Sales Navigator thread.")
    subject: Text | None = Field(
        None,
        min_length=1,
        max_length=MAX_SUBJECT,
        description="Subject, up to 80 characters; required for a new conversation.",
    )

    @model_validator(mode="after")
    def _recipient(self) -> Self:
        if self.personUrl is None and self.threadId is None:
            raise ValueError("give 'personUrl' or 'threadId' to say who gets the message")
        if self.threadId is None and self.subject is None:
            # [INFERRED] contract §5.3: a subject is required when starting a new conversation.
            raise ValueError("'subject' is required when starting a new conversation (no threadId)")
        return self


class SyncConversationParams(ParamsModel):
    @field_validator("personUrl", mode="before")
    @classmethod
    def _standard_url(cls, value: object) -> object:
        return _not_sales_navigator(
            value, "nv_sync_conversation", "sync_conversation takes a standard profile URL, /in/..."
        )

    personUrl: PersonUrl = Field(description="Profile URL of the other person.")
    days: int = Field(30, ge=1, le=90, description="Keep syncing for this many days, 1-90 (default 30).")


class NvSyncConversationParams(ParamsModel):
    personUrl: SalesNavPersonUrl = Field(description="Profile URL of the other person.")
    days: int = Field(30, ge=1, le=90, description="Keep syncing for this many days, 1-90 (default 30).")


class ManageConversationParams(ParamsModel):
    threadId: ThreadId = Field(description="Thread id (from get_inbox).")
    operation: wire.ConversationOperation = Field(description="archive, unarchive, star, unstar, mute or unmute.")


class NvManageConversationParams(ParamsModel):
    threadId: ThreadId = Field(description="Sales Navigator thread id (from get_inbox).")
    operation: wire.NvConversationOperation = Field(description="archive or unarchive.")


# --- custom workflows -----------------------------------------------------------------------


class WorkflowAction(ParamsModel):
    """One action of a workflow definition; its own parameters sit beside actionType."""

    model_config = ConfigDict(**{**ParamsModel.model_config, "extra": "allow"})

    actionType: str = Field(max_length=100, description="st.<name> or nv.<name>, e.g. st.searchCompanies.")
    label: str | None = Field(None, max_length=MAX_ID, description="Echoed in this action's result, to find it.")
    then: dict[str, Any] | list[dict[str, Any]] | None = Field(
        None, description="Child action(s) run in this action's context."
    )


class CustomWorkflowParams(ParamsModel):
    definition: WorkflowAction | Annotated[list[WorkflowAction], Field(max_length=MAX_ROOT_ACTIONS)] = Field(
        description="One action object, or an array of up to 50 root actions run in order."
    )

    @model_validator(mode="before")
    @classmethod
    def _valid_definition(cls, data: Any) -> Any:
        # Checked on the raw input, before field parsing, so the message is the sandbox's own.
        if isinstance(data, dict) and "definition" in data:
            try:
                validate_definition(_plain(data["definition"]))
            except WorkflowDefinitionError as exc:
                raise ValueError(exc.message) from None
        return data

    def raw_definition(self) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(self.definition, list):
            return [a.model_dump(mode="json", exclude_unset=True, exclude_none=True) for a in self.definition]
        return self.definition.model_dump(mode="json", exclude_unset=True, exclude_none=True)


def _plain(value: Any) -> Any:
    if isinstance(value, ParamsModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- direct reads ---------------------------------------------------------------------------


class GetConversationParams(ParamsModel):
    @field_validator("personUrl", mode="before")
    @classmethod
    def _standard_url(cls, value: object) -> object:
        return _not_sales_navigator(
            value, "nv_get_conversation", "get_conversation takes a standard profile URL, /in/..."
        )

    personUrl: PersonUrl = Field(description="Profile URL of the other person.")
    since: IsoTimestamp | None = Field(None, description="Only messages after this time; omit for the whole history.")


class NvGetConversationParams(ParamsModel):
    personUrl: SalesNavPersonUrl = Field(description="Profile URL of the other person.")
    since: IsoTimestamp | None = Field(None, description="Only messages after this time; omit for the whole history.")


class GetInboxParams(ParamsModel):
    since: IsoTimestamp | None = Field(None, description="Only messages after this time (ISO 8601).")
    type: wire.ConversationType | None = Field(
        None, description="st (standard) or nv (Sales Navigator); omit for both."
    )
    threadId: ThreadId | None = Field(None, description="Only this thread.")
    personUrl: PersonUrl | None = Field(
        None, description="Whole known conversation with this person (adds the threads list)."
    )
    # Local filter, never sent (operations._get_inbox): Linked API has no such parameter (contract §2.5).
    awaitingReply: bool = Field(
        False, description="Only conversations whose last message is theirs (waiting for your reply)."
    )


class GetNetworkParams(ParamsModel):
    since: IsoTimestamp | None = Field(None, description="Only events after this time (ISO 8601).")
    type: wire.NetworkEventType | None = Field(
        None, description="connectionAccepted, connectionAdded or connectionRequestReceived; omit for all."
    )


MAX_USAGE_PERIOD = timedelta(days=30)


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # [INFERRED] a timestamp without an offset is read as UTC (the API's own times are UTC).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class GetApiUsageParams(ParamsModel):
    start: IsoTimestamp = Field(description="Period start (ISO 8601).")
    end: IsoTimestamp = Field(description="Period end (ISO 8601); at most 30 days after start.")

    @model_validator(mode="after")
    def _period(self) -> Self:
        start, end = _parse_time(self.start), _parse_time(self.end)
        if end < start:
            raise ValueError("'end' must not be before 'start'")
        if end - start > MAX_USAGE_PERIOD:
            raise ValueError("the period from 'start' to 'end' must not exceed 30 days; split it into shorter ones")
        return self
