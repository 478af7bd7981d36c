"""The Linked API action catalogue (contract §6) and the workflow-definition validator.

One table, two users: the sandbox refuses a broken definition with exactly the message the
client produces when it checks a custom workflow locally before sending it.

Each action declares whether it may start a workflow (root), its *target* parameters (required
at the root, forbidden below a parent: a child takes its target from the parent's item), its
allowed children (parents are derived from them), its own parameters as a pydantic model with
bounds and enums, what its result ``data`` looks like, and which account limit it counts
against (§2.9, §7.3).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from linkedapi_mcp import wire
from linkedapi_mcp.jsonvalues import compact_schema
from linkedapi_mcp.wire import WireModel

RootRule = Literal["always", "never", "withTarget"]
DataKind = Literal["object", "array", "none", "transparent"]


class NoParams(WireModel):
    pass


class _Limit(WireModel):
    limit: int | None = Field(None, ge=1, le=20, description="Maximum items, 1–20 (default 20).")
    since: wire.IsoTimestamp | None = Field(None, description="Only items after this time.")


class _BasicInfo(WireModel):
    basicInfo: bool | None = Field(None, description="Return the page's basic fields.")


class _EmployeesParams(WireModel):
    limit: int | None = Field(None, ge=1, le=500)
    filter: wire.EmployeesFilter | None = None


class _NvEmployeesParams(WireModel):
    # [INFERRED] contract §5.3 gives 1–500 (MCP, older docs) and 2500 (current docs page); the
    # emulator accepts the larger bound so it never refuses what the real API may accept.
    limit: int | None = Field(None, ge=1, le=2500)
    filter: wire.NvEmployeesFilter | None = None


class _DmsParams(WireModel):
    limit: int | None = Field(None, ge=1, le=20)


class _SearchPeople(WireModel):
    term: str | None = None
    limit: int | None = Field(None, ge=1, le=1000)
    filter: wire.PeopleSearchFilter | None = None
    customSearchUrl: str | None = None


class _NvSearchPeople(WireModel):
    term: str | None = None
    limit: int | None = Field(None, ge=1, le=2500)
    filter: wire.NvPeopleSearchFilterWire | None = None
    customSearchUrl: str | None = None


class _SearchCompanies(WireModel):
    term: str | None = None
    limit: int | None = Field(None, ge=1, le=1000)
    filter: wire.CompanySearchFilter | None = None
    customSearchUrl: str | None = None


class _NvSearchCompanies(WireModel):
    term: str | None = None
    limit: int | None = Field(None, ge=1, le=1000)
    filter: wire.NvCompanySearchFilter | None = None
    customSearchUrl: str | None = None


class _SearchJobs(WireModel):
    term: str | None = None
    limit: int | None = Field(None, ge=1, le=1000)
    location: str | None = None
    allowSimilarResults: bool | None = None
    filter: wire.JobSearchFilter | None = None
    preferences: wire.JobSearchPreferences | None = None
    customSearchUrl: str | None = None

    @model_validator(mode="after")
    def _filter_xor_preferences(self) -> _SearchJobs:
        if self.filter is not None and self.preferences is not None:
            raise ValueError("give either 'filter' (classic search) or 'preferences' (AI search), not both")
        return self


class _SearchPosts(WireModel):
    term: str | None = None
    limit: int | None = Field(None, ge=1, le=100)
    filter: wire.PostSearchFilter | None = None
    customSearchUrl: str | None = None

    @model_validator(mode="after")
    def _term_or_url(self) -> _SearchPosts:
        if not self.term and not self.customSearchUrl:
            raise ValueError("needs 'term' or 'customSearchUrl'")
        return self


class _PostComments(WireModel):
    limit: int | None = Field(None, ge=1, le=500)
    replies: bool | None = None
    sort: wire.CommentsSort | None = None


class _PostReactions(WireModel):
    limit: int | None = Field(None, ge=1, le=1000)


class _SkillPatterns(WireModel):
    skillNamePatterns: list[str] | None = None


class _SendMessage(WireModel):
    text: str = Field(min_length=1, max_length=1900)


class _NvSendMessage(WireModel):
    text: str = Field(min_length=1, max_length=1900)
    subject: str | None = Field(None, max_length=80)


class _Sync(WireModel):
    days: int | None = Field(None, ge=1, le=90)


class _Manage(WireModel):
    operation: wire.ConversationOperation


class _NvManage(WireModel):
    operation: wire.NvConversationOperation


class _ConnectionRequest(WireModel):
    # The note's length is LinkedIn's business: too long is the action error noteTooLong.
    note: str | None = None
    email: str | None = None


class _Withdraw(WireModel):
    unfollow: bool | None = None


class _Invitation(WireModel):
    invitationType: wire.InvitationType


class _Connections(WireModel):
    limit: int | None = Field(None, ge=1, le=1000)
    since: wire.IsoTimestamp | None = None
    filter: wire.ConnectionsFilter | None = None


class _React(WireModel):
    type: wire.ReactionType
    companyUrl: str | None = None


class _Comment(WireModel):
    text: str = Field(min_length=1, max_length=1000)
    companyUrl: str | None = None


class _ReactComment(WireModel):
    type: wire.ReactionType | None = None


class _Reply(WireModel):
    text: str = Field(min_length=1, max_length=1000)


class _CreatePost(WireModel):
    text: str = Field(min_length=1, max_length=3000)
    attachments: list[wire.Attachment] | None = Field(None, max_length=9)
    companyUrl: str | None = None
    mentions: list[wire.Mention] | None = None

    @model_validator(mode="after")
    def _rules(self) -> _CreatePost:
        wire.check_attachments(self.attachments)
        wire.check_mentions(self.mentions)
        return self


class _Repost(WireModel):
    text: str | None = Field(None, max_length=3000)
    mentions: list[wire.Mention] | None = None

    @model_validator(mode="after")
    def _rules(self) -> _Repost:
        wire.check_mentions(self.mentions)
        return self


class _Feed(WireModel):
    limit: int | None = Field(None, ge=1, le=100)


class _Viewers(WireModel):
    limit: int | None = Field(None, ge=1, le=300)
    since: wire.IsoTimestamp | None = None


class _Endorse(WireModel):
    skillName: str | None = Field(None, min_length=1)


@dataclass(frozen=True)
class ActionSpec:
    type: str
    purpose: str
    root: RootRule
    data: DataKind
    params: builtins.type[WireModel] = NoParams
    # Target parameters: any one of these (``targets_all`` names ones that must all be given).
    targets: tuple[str, ...] = ()
    children: frozenset[str] = frozenset()
    limit_category: str | None = None
    # Parameters required at the root beside the target (e.g. endorsePersonSkill's skillName).
    root_required: tuple[str, ...] = ()
    # Parameters a child may not carry beyond its targets (e.g. manageConversation's threadId
    # is its target; endorsePersonSkill under doForSkills takes no parameters at all).
    child_forbidden: tuple[str, ...] = ()
    iterates: str | None = None  # for doForX: the kind of item it iterates
    parents: frozenset[str] = field(default=frozenset())

    @property
    def is_iterator(self) -> bool:
        return self.iterates is not None


_PERSON_CHILD_ACTIONS = (
    "st.sendMessage",
    "st.syncConversation",
    "st.checkConnectionStatus",
    "st.sendConnectionRequest",
    "st.withdrawConnectionRequest",
    "st.removeConnection",
)

_SPECS: list[ActionSpec] = [
    # --- people ---
    ActionSpec(
        "st.openPersonPage",
        "open a profile",
        "withTarget",
        "object",
        _BasicInfo,
        ("personUrl",),
        frozenset(
            {
                *_PERSON_CHILD_ACTIONS,
                "nv.syncConversation",
                "st.retrievePersonExperience",
                "st.retrievePersonEducation",
                "st.retrievePersonSkills",
                "st.retrievePersonLanguages",
                "st.retrievePersonPosts",
                "st.retrievePersonComments",
                "st.retrievePersonReactions",
                "nv.openPersonPage",
            }
        ),
        limit_category="stPersonProfileViews",
    ),
    ActionSpec("st.retrievePersonExperience", "experience", "never", "array"),
    ActionSpec("st.retrievePersonEducation", "education", "never", "array"),
    ActionSpec("st.retrievePersonSkills", "skills", "never", "array", children=frozenset({"st.doForSkills"})),
    ActionSpec("st.retrievePersonLanguages", "languages", "never", "array"),
    ActionSpec(
        "st.retrievePersonPosts", "posts by the person", "never", "array", _Limit, children=frozenset({"st.doForPosts"})
    ),
    ActionSpec("st.retrievePersonComments", "comments the person wrote", "never", "array", _Limit),
    ActionSpec("st.retrievePersonReactions", "reactions the person gave", "never", "array", _Limit),
    ActionSpec(
        "st.doForSkills",
        "iterate skills",
        "never",
        "transparent",
        _SkillPatterns,
        children=frozenset({"st.endorsePersonSkill"}),
        iterates="skill",
    ),
    ActionSpec(
        "st.endorsePersonSkill",
        "endorse a skill",
        "withTarget",
        "none",
        _Endorse,
        ("personUrl",),
        limit_category="stEndorsements",
        root_required=("skillName",),
        child_forbidden=("skillName",),
    ),
    # --- companies ---
    ActionSpec(
        "st.openCompanyPage",
        "open a company page",
        "withTarget",
        "object",
        _BasicInfo,
        ("companyUrl",),
        frozenset({"st.retrieveCompanyEmployees", "st.retrieveCompanyDMs", "st.retrieveCompanyPosts"}),
        limit_category="stCompanyPageViews",
    ),
    ActionSpec(
        "st.retrieveCompanyEmployees",
        "employees",
        "never",
        "array",
        _EmployeesParams,
        children=frozenset({"st.doForPeople"}),
    ),
    ActionSpec(
        "st.retrieveCompanyDMs", "decision makers", "never", "array", _DmsParams, children=frozenset({"st.doForPeople"})
    ),
    ActionSpec(
        "st.retrieveCompanyPosts", "company posts", "never", "array", _Limit, children=frozenset({"st.doForPosts"})
    ),
    # --- searches ---
    ActionSpec(
        "st.searchPeople",
        "people search",
        "always",
        "array",
        _SearchPeople,
        children=frozenset({"st.doForPeople"}),
        limit_category="stSearchQueries",
    ),
    ActionSpec(
        "st.searchCompanies",
        "company search",
        "always",
        "array",
        _SearchCompanies,
        children=frozenset({"st.doForCompanies"}),
        limit_category="stSearchQueries",
    ),
    # [INFERRED] children of searchJobs are unknown (§6.1): none allowed.
    ActionSpec("st.searchJobs", "job search", "always", "array", _SearchJobs, limit_category="stSearchQueries"),
    # [INFERRED] searchPosts may host doForPosts (§6.1 "yes (limit ≤20 then)").
    ActionSpec(
        "st.searchPosts",
        "content search",
        "always",
        "array",
        _SearchPosts,
        children=frozenset({"st.doForPosts"}),
        limit_category="stSearchQueries",
    ),
    # --- jobs and posts ---
    ActionSpec("st.openJob", "open a job posting", "withTarget", "object", _BasicInfo, ("jobUrl",)),
    ActionSpec(
        "st.openPost",
        "open a post",
        "withTarget",
        "object",
        _BasicInfo,
        ("postUrl", "postUrn"),
        frozenset({"st.retrievePostComments", "st.retrievePostReactions", "st.reactToPost", "st.commentOnPost"}),
    ),
    ActionSpec("st.retrievePostComments", "comments on a post", "never", "array", _PostComments),
    ActionSpec("st.retrievePostReactions", "reactions on a post", "never", "array", _PostReactions),
    # --- iterators ---
    ActionSpec(
        "st.doForPeople",
        "iterate people",
        "never",
        "transparent",
        children=frozenset({"st.openPersonPage", *_PERSON_CHILD_ACTIONS}),
        iterates="person",
    ),
    ActionSpec(
        "st.doForCompanies",
        "iterate companies",
        "never",
        "transparent",
        children=frozenset({"st.openCompanyPage"}),
        iterates="company",
    ),
    ActionSpec(
        "st.doForPosts",
        "iterate posts",
        "never",
        "transparent",
        children=frozenset({"st.openPost", "st.reactToPost", "st.commentOnPost"}),
        iterates="post",
    ),
    # --- messaging ---
    ActionSpec(
        "st.sendMessage",
        "send a message",
        "withTarget",
        "none",
        _SendMessage,
        ("personUrl", "threadId"),
        frozenset({"st.manageConversation"}),
        limit_category="stMessages",
    ),
    ActionSpec("st.syncConversation", "sync one conversation", "withTarget", "object", _Sync, ("personUrl",)),
    ActionSpec("st.syncInbox", "enable inbox monitoring", "always", "none"),
    ActionSpec("st.syncNetwork", "enable network monitoring", "always", "none"),
    ActionSpec("st.manageConversation", "archive/star/mute a thread", "withTarget", "none", _Manage, ("threadId",)),
    # --- network ---
    ActionSpec("st.checkConnectionStatus", "connection status", "withTarget", "object", NoParams, ("personUrl",)),
    ActionSpec(
        "st.sendConnectionRequest",
        "send a connection request",
        "withTarget",
        "none",
        _ConnectionRequest,
        ("personUrl",),
        limit_category="stConnectionRequests",
    ),
    ActionSpec("st.withdrawConnectionRequest", "withdraw a request", "withTarget", "none", _Withdraw, ("personUrl",)),
    ActionSpec("st.removeConnection", "remove a connection", "withTarget", "none", NoParams, ("personUrl",)),
    ActionSpec("st.retrievePendingRequests", "outgoing pending requests", "always", "array"),
    ActionSpec("st.retrieveInvitations", "incoming invitations", "always", "array"),
    ActionSpec("st.acceptInvitation", "accept an invitation", "always", "none", _Invitation),
    ActionSpec("st.ignoreInvitation", "ignore an invitation", "always", "none", _Invitation),
    ActionSpec(
        "st.retrieveConnections",
        "your connections",
        "always",
        "array",
        _Connections,
        children=frozenset({"st.doForPeople"}),
    ),
    # --- engagement ---
    ActionSpec(
        "st.reactToPost",
        "react to a post",
        "withTarget",
        "none",
        _React,
        ("postUrl", "postUrn"),
        limit_category="stReactions",
    ),
    ActionSpec(
        "st.commentOnPost",
        "comment on a post",
        "withTarget",
        "object",
        _Comment,
        ("postUrl", "postUrn"),
        limit_category="stComments",
    ),
    ActionSpec(
        "st.reactToComment",
        "react to a comment",
        "withTarget",
        "none",
        _ReactComment,
        ("commentUrl",),
        limit_category="stReactions",
    ),
    ActionSpec(
        "st.replyToComment",
        "reply to a comment",
        "withTarget",
        "object",
        _Reply,
        ("commentUrl",),
        limit_category="stComments",
    ),
    ActionSpec("st.createPost", "publish a post", "always", "object", _CreatePost, limit_category="stPosts"),
    ActionSpec(
        "st.createRepost", "repost", "withTarget", "object", _Repost, ("postUrl", "postUrn"), limit_category="stPosts"
    ),
    # [INFERRED] retrieveFeed may host doForPosts (§6.1 children unknown).
    ActionSpec("st.retrieveFeed", "home feed", "always", "array", _Feed, children=frozenset({"st.doForPosts"})),
    ActionSpec("st.retrieveProfileViewers", "profile viewers", "always", "array", _Viewers),
    ActionSpec("st.retrieveSSI", "social selling index", "always", "object"),
    ActionSpec("st.retrievePerformance", "dashboard analytics", "always", "object"),
    # --- Sales Navigator ---
    ActionSpec(
        "nv.openPersonPage",
        "open a Sales Navigator profile",
        "withTarget",
        "object",
        _BasicInfo,
        ("personHashedUrl",),
        frozenset({"nv.sendMessage", "nv.syncConversation", "st.openPersonPage"}),
        limit_category="nvPersonProfileViews",
    ),
    ActionSpec(
        "nv.searchPeople",
        "Sales Navigator people search",
        "always",
        "array",
        _NvSearchPeople,
        children=frozenset({"nv.doForPeople"}),
        limit_category="stSearchQueries",
    ),
    ActionSpec(
        "nv.searchCompanies",
        "Sales Navigator company search",
        "always",
        "array",
        _NvSearchCompanies,
        children=frozenset({"nv.doForCompanies"}),
        limit_category="stSearchQueries",
    ),
    ActionSpec(
        "nv.openCompanyPage",
        "open a Sales Navigator company page",
        "withTarget",
        "object",
        _BasicInfo,
        ("companyHashedUrl",),
        frozenset({"nv.retrieveCompanyEmployees", "nv.retrieveCompanyDMs"}),
        limit_category="nvCompanyPageViews",
    ),
    ActionSpec(
        "nv.retrieveCompanyEmployees",
        "Sales Navigator employees",
        "never",
        "array",
        _NvEmployeesParams,
        children=frozenset({"nv.doForPeople"}),
    ),
    ActionSpec(
        "nv.retrieveCompanyDMs",
        "Sales Navigator decision makers",
        "never",
        "array",
        _DmsParams,
        children=frozenset({"nv.doForPeople"}),
    ),
    ActionSpec(
        "nv.doForPeople",
        "iterate Sales Navigator people",
        "never",
        "transparent",
        children=frozenset({"nv.openPersonPage", "nv.sendMessage", "nv.syncConversation"}),
        iterates="person",
    ),
    ActionSpec(
        "nv.doForCompanies",
        "iterate Sales Navigator companies",
        "never",
        "transparent",
        children=frozenset({"nv.openCompanyPage"}),
        iterates="company",
    ),
    ActionSpec(
        "nv.sendMessage",
        "send a Sales Navigator message",
        "withTarget",
        "none",
        _NvSendMessage,
        ("personUrl", "threadId"),
        limit_category="nvMessages",
    ),
    ActionSpec(
        "nv.syncConversation", "sync a Sales Navigator conversation", "withTarget", "object", _Sync, ("personUrl",)
    ),
    ActionSpec("nv.syncInbox", "enable Sales Navigator inbox monitoring", "always", "none"),
    ActionSpec(
        "nv.manageConversation",
        "archive/unarchive a Sales Navigator thread",
        "withTarget",
        "none",
        _NvManage,
        ("threadId",),
    ),
]


def _with_parents(specs: list[ActionSpec]) -> dict[str, ActionSpec]:
    parents: dict[str, set[str]] = {s.type: set() for s in specs}
    for s in specs:
        for child in s.children:
            parents[child].add(s.type)
    return {s.type: ActionSpec(**{**s.__dict__, "parents": frozenset(parents[s.type])}) for s in specs}


ACTIONS: Mapping[str, ActionSpec] = _with_parents(_SPECS)

# What each action does to the account (contract §5 legend R / M / W, as the catalog's operations
# built on these actions say): every action not named here only reads.
_WRITES = frozenset(
    {
        "st.endorsePersonSkill",
        "st.sendMessage",
        "st.manageConversation",
        "st.sendConnectionRequest",
        "st.withdrawConnectionRequest",
        "st.removeConnection",
        "st.acceptInvitation",
        "st.ignoreInvitation",
        "st.reactToPost",
        "st.commentOnPost",
        "st.reactToComment",
        "st.replyToComment",
        "st.createPost",
        "st.createRepost",
        "nv.sendMessage",
        "nv.manageConversation",
    }
)
_MONITORS = frozenset({"st.syncConversation", "st.syncInbox", "st.syncNetwork", "nv.syncConversation", "nv.syncInbox"})
ActionEffect = Literal["read", "monitor", "write"]
ACTION_EFFECTS: Mapping[str, ActionEffect] = {
    name: "write" if name in _WRITES else "monitor" if name in _MONITORS else "read" for name in ACTIONS
}


def definition_effect(definition: Any) -> ActionEffect:
    """The strongest effect among a (valid) definition's actions: a definition made only of reads
    is a read (issue 11: no confirmation), one with a sync is monitoring, anything else a write.
    An action this catalogue does not know counts as a write."""
    effects = {ACTION_EFFECTS.get(name, "write") for name in iter_actions(definition)}
    if "write" in effects:
        return "write"
    return "monitor" if "monitor" in effects else "read"


def action_catalogue() -> list[dict[str, Any]]:
    """Every action type as ``list_workflow_actions`` describes it, from the table the validator uses:
    purpose, effect, whether it may start a workflow, its target and other parameters (JSON
    schema, bounds and enums kept), the limit it counts against, and which actions may follow it
    under ``then``."""
    out: list[dict[str, Any]] = []
    for spec in ACTIONS.values():
        schema = spec.params.model_json_schema()
        entry: dict[str, Any] = {
            "actionType": spec.type,
            "purpose": spec.purpose,
            "effect": ACTION_EFFECTS[spec.type],
            "startsWorkflow": {"always": "yes", "never": "no", "withTarget": "yes, with its target"}[spec.root],
            "targets": list(spec.targets),
            "parameters": compact_schema(schema),
            "then": sorted(spec.children),
        }
        if spec.root_required:
            entry["requiredAtRoot"] = list(spec.root_required)
        if spec.iterates:
            entry["iterates"] = spec.iterates
        if spec.limit_category:
            entry["limitCategory"] = spec.limit_category
        out.append(entry)
    return out


# Invitation target per type (contract §5.3 acceptInvitation).
INVITATION_TARGETS: Mapping[str, str] = {
    "connect": "personUrl",
    "companyFollow": "companyUrl",
    "newsletterSubscribe": "newsletterUrl",
}

_RESERVED = ("actionType", "label", "then")
INVALID_WORKFLOW_PREFIX = (
    "Workflow configuration is not valid due to violated action constraints or invalid action parameters:"
)


class WorkflowDefinitionError(Exception):
    """A definition the API refuses. ``type`` is ``invalidWorkflow`` or ``invalidRequestPayload``."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type
        self.message = message


def describe_validation_error(exc: ValidationError, prefix: str = "") -> list[str]:
    """Short, human lines for a pydantic error: ``'limit' must be ≤ 20 (got 50)`` style."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = ""
        for part in err["loc"]:
            if isinstance(part, int):
                loc += f"[{part}]"
            elif not str(part).startswith("function-"):
                loc += f".{part}" if loc else str(part)
        where = f"{prefix}{loc}" if loc else prefix.rstrip(".")
        kind, ctx = err["type"], err.get("ctx") or {}
        got = err.get("input")
        if kind == "extra_forbidden":
            text = f"unknown parameter '{where}'"
        elif kind == "missing":
            text = f"'{where}' is required"
        elif kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
            op = {"less_than_equal": "≤", "greater_than_equal": "≥", "less_than": "<", "greater_than": ">"}[kind]
            bound = next(iter(ctx.values()), "?")
            text = f"'{where}' must be {op} {bound} (got {got!r})"
        elif kind == "literal_error":
            text = f"'{where}' must be one of {ctx.get('expected', '?')} (got {got!r})"
        elif kind in ("string_too_long", "too_long"):
            limit = ctx.get("max_length", "?")
            unit = "characters" if kind == "string_too_long" else "items"
            text = f"'{where}' is too long: at most {limit} {unit}"
        elif kind in ("string_too_short", "too_short"):
            text = f"'{where}' must not be empty"
        elif kind == "value_error":
            msg = str(ctx.get("error", err["msg"]))
            text = f"'{where}' {msg}" if where else msg
        else:
            text = f"'{where}': {err['msg'].lower()}" if where else err["msg"]
        lines.append(text)
    return lines


def validate_definition(definition: Any) -> None:
    """Check a workflow definition against the action catalogue.

    Raises :class:`WorkflowDefinitionError` naming the action path and the rule broken, e.g.
    ``invalidWorkflow: root.then[2] (st.retrievePersonPosts): 'limit' must be ≤ 20 (got 50)``.
    """
    if isinstance(definition, list):
        if not definition:
            raise WorkflowDefinitionError("invalidRequestPayload", "The workflow definition is an empty array.")
        for i, item in enumerate(definition):
            _check_action(item, f"root[{i}]", parent=None)
    elif isinstance(definition, dict):
        _check_action(definition, "root", parent=None)
    else:
        raise WorkflowDefinitionError(
            "invalidRequestPayload", "The request body must be a workflow action object or an array of them."
        )


def _invalid(path: str, action: str | None, rule: str) -> WorkflowDefinitionError:
    where = f"{path} ({action})" if action else path
    # Prefix as the real API words it (fixture 12); the details name the action path and rule.
    return WorkflowDefinitionError("invalidWorkflow", f"{INVALID_WORKFLOW_PREFIX} at {where}: {rule}.")


def _check_action(node: Any, path: str, parent: ActionSpec | None) -> None:
    if not isinstance(node, dict):
        raise WorkflowDefinitionError(
            "invalidRequestPayload", f"Invalid workflow at {path}: an action must be an object."
        )
    action_type = node.get("actionType")
    if not isinstance(action_type, str) or not action_type:
        raise WorkflowDefinitionError("invalidRequestPayload", f"Invalid workflow at {path}: 'actionType' is required.")
    spec = ACTIONS.get(action_type)
    if spec is None:
        import difflib

        near = difflib.get_close_matches(action_type, list(ACTIONS), n=3, cutoff=0.6)
        if parent is not None:
            near = [n for n in near if n in parent.children] or sorted(parent.children)
        hint = f"; did you mean {' or '.join(near)}" if near else ""
        raise _invalid(path, action_type, f"unknown actionType{hint} (list_workflow_actions lists them all)")
    label = node.get("label")
    if label is not None and not isinstance(label, str):
        raise _invalid(path, action_type, "'label' must be a string")

    given_targets = [t for t in spec.targets if node.get(t) is not None]
    if parent is None:
        if spec.root == "never":
            allowed = ", ".join(sorted(spec.parents)) or "none"
            raise _invalid(path, action_type, f"cannot start a workflow; allowed parents: {allowed}")
        if spec.root == "withTarget" and not given_targets:
            need = " or ".join(f"'{t}'" for t in spec.targets)
            raise _invalid(path, action_type, f"{need} is required when the action starts the workflow")
        for req in spec.root_required:
            if node.get(req) is None:
                raise _invalid(path, action_type, f"'{req}' is required when the action starts the workflow")
    else:
        if action_type not in parent.children:
            allowed = ", ".join(sorted(parent.children)) or "none"
            raise _invalid(path, action_type, f"is not allowed under {parent.type}; allowed children: {allowed}")
        forbidden = [t for t in (*spec.targets, *spec.child_forbidden) if node.get(t) is not None]
        if forbidden:
            raise _invalid(
                path,
                action_type,
                f"'{forbidden[0]}' is forbidden below a parent action (the target comes from {parent.type})",
            )

    params = {k: v for k, v in node.items() if k not in _RESERVED and k not in spec.targets and v is not None}
    for t in given_targets:
        if not isinstance(node[t], str) or not node[t].strip():
            raise _invalid(path, action_type, f"'{t}' must be a non-empty string")
    if action_type in ("st.acceptInvitation", "st.ignoreInvitation"):
        params = _check_invitation(node, path, action_type, params)
    try:
        spec.params.model_validate(params)
    except ValidationError as exc:
        raise _invalid(path, action_type, "; ".join(describe_validation_error(exc))) from None

    then = node.get("then")
    if then is None:
        return
    children = then if isinstance(then, list) else [then]
    if not isinstance(then, list | dict):
        raise _invalid(path, action_type, "'then' must be an action object or an array of actions")
    if action_type == "st.searchPosts" and children and (node.get("limit") or 10) > 20:
        raise _invalid(path, action_type, "'limit' must be ≤ 20 when child actions are attached")
    for i, child in enumerate(children):
        child_path = f"{path}.then[{i}]" if isinstance(then, list) else f"{path}.then"
        _check_action(child, child_path, parent=spec)


def _check_invitation(node: dict[str, Any], path: str, action_type: str, params: dict[str, Any]) -> dict[str, Any]:
    kind = node.get("invitationType")
    targets = {k: node.get(k) for k in INVITATION_TARGETS.values() if node.get(k) is not None}
    if isinstance(kind, str) and kind in INVITATION_TARGETS:
        want = INVITATION_TARGETS[kind]
        if set(targets) != {want}:
            raise _invalid(path, action_type, f"invitationType '{kind}' needs exactly one target: '{want}'")
    return {k: v for k, v in params.items() if k not in INVITATION_TARGETS.values()}


def iter_actions(definition: Any) -> list[str]:
    """Every actionType in a (valid) definition, depth first."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            out.append(str(node.get("actionType")))
            if node.get("then") is not None:
                walk(node["then"])

    walk(definition)
    return out
