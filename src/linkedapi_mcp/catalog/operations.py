"""Every Linked API operation of Python SDK 1.4.7 (contract §5) plus the direct reads, as data.

The order of :data:`CATALOG` is stable and documented: grouped by toolset, the official
server's tools first within a group. Tool names are the official server's where it has one
(contract §9.2), otherwise the snake_case operation name.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from linkedapi_mcp.catalog import params as p
from linkedapi_mcp.catalog import results as r
from linkedapi_mcp.catalog.mappers import (
    Child,
    build_simple,
    build_then,
    map_array,
    map_custom,
    map_endorsements,
    map_send_message,
    map_simple,
    map_then,
    map_void,
)
from linkedapi_mcp.catalog.spec import ActionError, Effect, Mapped, Operation, ParamsModel, Toolset

if TYPE_CHECKING:
    from linkedapi_mcp.client import LinkedApiClient

# --- workflow operations ---------------------------------------------------------------------


def _then(
    name: str,
    tool: str,
    title: str,
    description: str,
    toolset: Toolset,
    params: type[ParamsModel],
    data_type: Any,
    root: str,
    children: tuple[Child, ...] = (),
) -> Operation:
    """A fetch: root page action with ``basicInfo: true`` and flag-driven children (Then mapper)."""
    return Operation(
        name,
        tool,
        title,
        description,
        toolset,
        "read",
        "workflow",
        params,
        data_type,
        root,
        build=build_then(root, children, basicInfo=True),
        map=map_then(data_type, children),
    )


def _single(
    name: str,
    tool: str,
    title: str,
    description: str,
    toolset: Toolset,
    effect: Effect,
    params: type[ParamsModel],
    root: str,
    *,
    item: Any = None,
    data: Any = None,
) -> Operation:
    """One action with the params as given: Array (``item``), Simple (``data``) or Void mapper."""
    if item is not None:
        mapper, data_type = map_array(item), list[item]
    elif data is not None:
        mapper, data_type = map_simple(data), data
    else:
        mapper, data_type = map_void, None
    return Operation(
        name,
        tool,
        title,
        description,
        toolset,
        effect,
        "workflow",
        params,
        data_type,
        root,
        build=build_simple(root),
        map=mapper,
    )


_PERSON_CHILDREN = (
    Child("retrieveExperience", "st.retrievePersonExperience", "experiences"),
    Child("retrieveEducation", "st.retrievePersonEducation", "education"),
    Child("retrieveSkills", "st.retrievePersonSkills", "skills"),
    Child("retrieveLanguages", "st.retrievePersonLanguages", "languages"),
    Child("retrievePosts", "st.retrievePersonPosts", "posts", "postsRetrievalConfig"),
    Child("retrieveComments", "st.retrievePersonComments", "comments", "commentsRetrievalConfig"),
    Child("retrieveReactions", "st.retrievePersonReactions", "reactions", "reactionsRetrievalConfig"),
)
_COMPANY_CHILDREN = (
    Child("retrieveEmployees", "st.retrieveCompanyEmployees", "employees", "employeesRetrievalConfig"),
    Child("retrieveDMs", "st.retrieveCompanyDMs", "dms", "dmsRetrievalConfig"),
    Child("retrievePosts", "st.retrieveCompanyPosts", "posts", "postsRetrievalConfig"),
)
_NV_COMPANY_CHILDREN = (
    Child("retrieveEmployees", "nv.retrieveCompanyEmployees", "employees", "employeesRetrievalConfig"),
    Child("retrieveDMs", "nv.retrieveCompanyDMs", "dms", "dmsRetrievalConfig"),
)
_POST_CHILDREN = (
    Child("retrieveComments", "st.retrievePostComments", "comments", "commentsRetrievalConfig"),
    Child("retrieveReactions", "st.retrievePostReactions", "reactions", "reactionsRetrievalConfig"),
)


def _build_send_message(params: ParamsModel) -> dict[str, Any]:
    # The child manageConversation carries only `operation`: the API rejects a threadId on a child.
    given = params.wire()
    manage = given.pop("manageConversation", None)
    definition: dict[str, Any] = {"actionType": "st.sendMessage", **given}
    if manage and manage.get("operation"):
        definition["then"] = {"actionType": "st.manageConversation", "operation": manage["operation"]}
    return definition


def _build_endorse_skills(params: ParamsModel) -> dict[str, Any]:
    given = params.wire()
    patterns = given.pop("skillNamePatterns", None)
    do_for_skills: dict[str, Any] = {"actionType": "st.doForSkills", "then": {"actionType": "st.endorsePersonSkill"}}
    if patterns is not None:
        do_for_skills["skillNamePatterns"] = patterns
    return {
        "actionType": "st.openPersonPage",
        "basicInfo": False,
        **given,
        "then": {"actionType": "st.retrievePersonSkills", "then": do_for_skills},
    }


def _build_custom(params: ParamsModel) -> dict[str, Any] | list[dict[str, Any]]:
    assert isinstance(params, p.CustomWorkflowParams)
    return params.raw_definition()


# --- direct reads ----------------------------------------------------------------------------


def _read(model: Any, data: Any) -> Any:
    return _adapter(model).validate_python(data)


@functools.cache
def _adapter(model: Any) -> Any:
    """One TypeAdapter per result type (building one is ~0.3 ms: every direct read paid it)."""
    from pydantic import TypeAdapter

    return TypeAdapter(model)


def _poll_conversation(kind: str) -> Any:
    async def call(client: LinkedApiClient, params: ParamsModel, deadline: float | None) -> Mapped[Any]:
        body = {"personUrl": params.personUrl, "type": kind, **params.wire()}  # type: ignore[attr-defined]
        items = await client.poll_conversations([body], deadline=deadline)
        item = dict(items[0]) if items else {}
        error = item.pop("error", None)
        if isinstance(error, dict):
            # e.g. conversationsNotSynced: the caller should sync the conversation first.
            return Mapped(data=None, errors=[ActionError.model_validate(error)])
        return Mapped(data=_read(r.Conversation, item))

    return call


async def _get_inbox(client: LinkedApiClient, params: ParamsModel, deadline: float | None) -> Mapped[Any]:
    assert isinstance(params, p.GetInboxParams)
    body = params.wire()
    body.pop("awaitingReply", None)  # a local filter (inbox_view), not a Linked API parameter
    return Mapped(data=inbox_view(await client.poll_inbox(body, deadline=deadline), params))


def inbox_view(raw: Any, params: p.GetInboxParams) -> r.Inbox:
    """``/inbox/poll``'s messages plus one conversation entry per thread (its last message and
    whether it waits for your reply); with ``awaitingReply`` only those threads' messages."""
    inbox: r.Inbox = _read(r.Inbox, raw)
    messages = sorted(inbox.messages or [], key=lambda m: (m.time or "", m.id or ""), reverse=True)
    conversations: dict[str, r.InboxConversation] = {}
    for m in messages:  # newest first: a thread's first message here is its last one
        key = m.threadId or f"person:{m.personHashedUrl or m.personUrl}"
        entry = conversations.get(key)
        if entry is None:
            conversations[key] = r.InboxConversation(
                threadId=m.threadId,
                type=m.type,
                personUrl=m.personPublicUrl or m.personHashedUrl or m.personUrl,
                lastMessage=r.LastMessage(sender=m.sender, text=m.text, time=m.time),
                awaitingReply=m.sender == "them",
                messageCount=1,
            )
        else:
            entry.messageCount = (entry.messageCount or 0) + 1
    kept = [c for c in conversations.values() if c.awaitingReply or not params.awaitingReply]
    if params.awaitingReply:
        threads = {c.threadId for c in kept}
        messages = [m for m in messages if m.threadId in threads]
    inbox.messages = messages
    inbox.conversations = kept
    return inbox


async def _get_network(client: LinkedApiClient, params: ParamsModel, deadline: float | None) -> Mapped[Any]:
    return Mapped(data=_read(r.NetworkEvents, await client.poll_network(params.wire(), deadline=deadline)))


async def _get_account(client: LinkedApiClient, params: ParamsModel, deadline: float | None) -> Mapped[Any]:
    return Mapped(data=_read(r.AccountInfo, await client.get_account(deadline=deadline)))


async def _get_usage(client: LinkedApiClient, params: ParamsModel, deadline: float | None) -> Mapped[Any]:
    assert isinstance(params, p.GetApiUsageParams)
    actions = await client.get_action_stats(params.start, params.end, deadline=deadline)
    return Mapped(data=_read(list[r.UsageAction], actions))


def _direct(
    name: str,
    tool: str,
    title: str,
    description: str,
    toolset: Toolset,
    params: type[ParamsModel],
    data_type: Any,
    call: Any,
) -> Operation:
    return Operation(name, tool, title, description, toolset, "read", "direct", params, data_type, None, call=call)


# --- the catalog -----------------------------------------------------------------------------

_OPERATIONS: tuple[Operation, ...] = (
    # people
    _then(
        "fetchPerson",
        "fetch_person",
        "Fetch person",
        "Open a LinkedIn profile: basics plus what each retrieve* flag adds (each adds time). Counts as a "
        "profile view, visible to them.",
        "people",
        p.FetchPersonParams,
        r.Person,
        "st.openPersonPage",
        _PERSON_CHILDREN,
    ),
    _single(
        "endorsePersonSkill",
        "endorse_person_skill",
        "Endorse a skill",
        "Endorse one skill of a 1st-degree connection, by its exact name. Visible to them.",
        "people",
        "write",
        p.EndorsePersonSkillParams,
        "st.endorsePersonSkill",
    ),
    Operation(
        "endorsePersonSkills",
        "endorse_person_skills",
        "Endorse skills",
        "Endorse all skills (or those matching skillNamePatterns) of a 1st-degree connection. Visible to them.",
        "people",
        "write",
        "workflow",
        p.EndorsePersonSkillsParams,
        list[r.SkillEndorsement],
        "st.openPersonPage",
        build=_build_endorse_skills,
        map=map_endorsements(list[r.SkillEndorsement]),
    ),
    # companies
    _then(
        "fetchCompany",
        "fetch_company",
        "Fetch company",
        "Open a company page: basics plus, per flag, employees (slow), decision makers, posts. Counts as a page view.",
        "companies",
        p.FetchCompanyParams,
        r.Company,
        "st.openCompanyPage",
        _COMPANY_CHILDREN,
    ),
    # search
    _single(
        "searchPeople",
        "search_people",
        "Search people",
        "Search people by keywords, filter or a search URL. Counts against search limits.",
        "search",
        "read",
        p.SearchPeopleParams,
        "st.searchPeople",
        item=r.SearchPeopleItem,
    ),
    _single(
        "searchCompanies",
        "search_companies",
        "Search companies",
        "Search companies by keywords, filter or a search URL. Counts against search limits.",
        "search",
        "read",
        p.SearchCompaniesParams,
        "st.searchCompanies",
        item=r.SearchCompanyItem,
    ),
    _single(
        "searchPosts",
        "search_posts",
        "Search posts",
        "Search posts by keywords or a search URL, with optional filters. Counts against search limits.",
        "search",
        "read",
        p.SearchPostsParams,
        "st.searchPosts",
        item=r.Post,
    ),
    # jobs
    _single(
        "searchJobs",
        "search_jobs",
        "Search jobs",
        "Search jobs by keywords and location, with a classic filter or AI-search preferences.",
        "jobs",
        "read",
        p.SearchJobsParams,
        "st.searchJobs",
        item=r.SearchJobItem,
    ),
    _then(
        "fetchJob",
        "fetch_job",
        "Fetch job",
        "Open a job posting: salary, applicants, description.",
        "jobs",
        p.FetchJobParams,
        r.Job,
        "st.openJob",
    ),
    # messaging
    Operation(
        "sendMessage",
        "send_message",
        "Send message",
        "Send a LinkedIn message to a person or into a thread. Delivered at once; cannot be unsent.",
        "messaging",
        "write",
        "workflow",
        p.SendMessageParams,
        None,
        "st.sendMessage",
        build=_build_send_message,
        map=map_send_message,
    ),
    # [INFERRED] direct reads have no operationName; they are named after the SDK methods
    # (pollConversations, pollInbox, ...; "nvPollConversations" for the Sales Navigator variant).
    _direct(
        "pollConversations",
        "get_conversation",
        "Get conversation",
        "Read Linked API's copy of the conversation with one person. If never synced, it first runs "
        "sync_conversation (Linked API copies it for 30 days; LinkedIn unchanged) and says so; read-only: errors.",
        "messaging",
        p.GetConversationParams,
        r.Conversation,
        _poll_conversation("st"),
    ),
    _single(
        "syncConversation",
        "sync_conversation",
        "Sync conversation",
        "Start copying the conversation with one person for `days` days so get_conversation can read it. "
        "Changes Linked API state only.",
        "messaging",
        "monitor",
        p.SyncConversationParams,
        "st.syncConversation",
        data=r.SyncResult,
    ),
    _single(
        "syncInbox",
        "sync_inbox",
        "Sync inbox",
        "Turn on inbox monitoring for this account (once); new messages then appear in get_inbox. Changes "
        "Linked API state only.",
        "messaging",
        "monitor",
        p.NoParams,
        "st.syncInbox",
    ),
    _direct(
        "pollInbox",
        "get_inbox",
        "Get inbox",
        "Read messages captured since inbox monitoring began (sync_inbox), newest first, plus one entry per "
        "conversation (last message, awaitingReply); says when monitoring began. Instant.",
        "messaging",
        p.GetInboxParams,
        r.Inbox,
        _get_inbox,
    ),
    _single(
        "manageConversation",
        "manage_conversation",
        "Manage conversation",
        "Archive, unarchive, star, unstar, mute or unmute a conversation thread.",
        "messaging",
        "write",
        p.ManageConversationParams,
        "st.manageConversation",
    ),
    # network
    _single(
        "checkConnectionStatus",
        "check_connection_status",
        "Check connection status",
        "Whether you are connected to a person, or a request is pending either way.",
        "network",
        "read",
        p.PersonTargetParams,
        "st.checkConnectionStatus",
        data=r.ConnectionStatusResult,
    ),
    _single(
        "sendConnectionRequest",
        "send_connection_request",
        "Send connection request",
        "Invite a person to connect, optionally with a note. Visible to them; counts against weekly invitation limits.",
        "network",
        "write",
        p.SendConnectionRequestParams,
        "st.sendConnectionRequest",
    ),
    _single(
        "withdrawConnectionRequest",
        "withdraw_connection_request",
        "Withdraw connection request",
        "Withdraw a connection request you sent (and unfollow, by default).",
        "network",
        "write",
        p.WithdrawConnectionRequestParams,
        "st.withdrawConnectionRequest",
    ),
    _single(
        "retrievePendingRequests",
        "retrieve_pending_requests",
        "Retrieve pending requests",
        "Connection requests you sent that are still pending.",
        "network",
        "read",
        p.NoParams,
        "st.retrievePendingRequests",
        item=r.PendingRequest,
    ),
    _single(
        "retrieveInvitations",
        "retrieve_invitations",
        "Retrieve invitations",
        "List invitations you received; answer with accept_invitation or ignore_invitation.",
        "network",
        "read",
        p.NoParams,
        "st.retrieveInvitations",
        item=r.Invitation,
    ),
    _single(
        "acceptInvitation",
        "accept_invitation",
        "Accept invitation",
        "Accept a received invitation; give the target its type needs. Visible to the inviter.",
        "network",
        "write",
        p.InvitationParams,
        "st.acceptInvitation",
    ),
    _single(
        "ignoreInvitation",
        "ignore_invitation",
        "Ignore invitation",
        "Decline a received invitation; give the target its type needs.",
        "network",
        "write",
        p.InvitationParams,
        "st.ignoreInvitation",
    ),
    _single(
        "retrieveConnections",
        "retrieve_connections",
        "Retrieve connections",
        "List your 1st-degree connections, optionally filtered, or those made since a date.",
        "network",
        "read",
        p.RetrieveConnectionsParams,
        "st.retrieveConnections",
        item=r.Connection,
    ),
    _single(
        "removeConnection",
        "remove_connection",
        "Remove connection",
        "Remove a 1st-degree connection. Undoing it takes a new, accepted request.",
        "network",
        "write",
        p.PersonTargetParams,
        "st.removeConnection",
    ),
    _single(
        "syncNetwork",
        "sync_network",
        "Sync network",
        "Turn on network monitoring (once); connection events then appear in get_network. Changes Linked "
        "API state only.",
        "network",
        "monitor",
        p.NoParams,
        "st.syncNetwork",
    ),
    _direct(
        "pollNetwork",
        "get_network",
        "Get network events",
        "Read connection events (accepted, added, received) captured since sync_network. Instant; newest first.",
        "network",
        p.GetNetworkParams,
        r.NetworkEvents,
        _get_network,
    ),
    # posts
    _then(
        "fetchPost",
        "fetch_post",
        "Fetch post",
        "Open a post by URL or URN: content and counts plus, per flag, its comments and reactions.",
        "posts",
        p.FetchPostParams,
        r.FetchedPost,
        "st.openPost",
        _POST_CHILDREN,
    ),
    _single(
        "reactToPost",
        "react_to_post",
        "React to post",
        "React to a post (replaces your earlier reaction), optionally as a company page. Public.",
        "posts",
        "write",
        p.ReactToPostParams,
        "st.reactToPost",
    ),
    _single(
        "commentOnPost",
        "comment_on_post",
        "Comment on post",
        "Comment on a post, optionally as a company page; returns the new comment's URL. Public.",
        "posts",
        "write",
        p.CommentOnPostParams,
        "st.commentOnPost",
        data=r.CommentResult,
    ),
    _single(
        "reactToComment",
        "react_to_comment",
        "React to comment",
        "React to a comment (default like). Public.",
        "posts",
        "write",
        p.ReactToCommentParams,
        "st.reactToComment",
    ),
    _single(
        "replyToComment",
        "reply_to_comment",
        "Reply to comment",
        "Reply to a comment; returns the reply's URL. Public.",
        "posts",
        "write",
        p.ReplyToCommentParams,
        "st.replyToComment",
        data=r.CommentResult,
    ),
    _single(
        "createPost",
        "create_post",
        "Create post",
        "Publish a post (text, media, mentions), optionally as a company page. Public at once.",
        "posts",
        "write",
        p.CreatePostParams,
        "st.createPost",
        data=r.PublishedPost,
    ),
    _single(
        "createRepost",
        "create_repost",
        "Repost",
        "Repost a post, optionally with your commentary. Public at once.",
        "posts",
        "write",
        p.CreateRepostParams,
        "st.createRepost",
        data=r.PublishedPost,
    ),
    _single(
        "retrieveFeed",
        "retrieve_feed",
        "Retrieve feed",
        "Read posts from your home feed, with why each one is there.",
        "posts",
        "read",
        p.RetrieveFeedParams,
        "st.retrieveFeed",
        item=r.FeedPost,
    ),
    # account
    _single(
        "retrieveProfileViewers",
        "retrieve_profile_viewers",
        "Retrieve profile viewers",
        "Who viewed your profile, newest first; anonymous ones with a search URL.",
        "account",
        "read",
        p.RetrieveProfileViewersParams,
        "st.retrieveProfileViewers",
        item=r.ProfileViewer,
    ),
    _single(
        "retrieveSSI",
        "retrieve_ssi",
        "Retrieve SSI",
        "Your Social Selling Index and industry and network ranks.",
        "account",
        "read",
        p.NoParams,
        "st.retrieveSSI",
        data=r.Ssi,
    ),
    _single(
        "retrievePerformance",
        "retrieve_performance",
        "Retrieve performance",
        "Your dashboard analytics: followers, post and profile views, search appearances.",
        "account",
        "read",
        p.NoParams,
        "st.retrievePerformance",
        data=r.Performance,
    ),
    _direct(
        "getAccountInfo",
        "get_account_info",
        "Get account info",
        "Name and profile URL of the LinkedIn account these credentials drive. Instant.",
        "account",
        p.NoParams,
        r.AccountInfo,
        _get_account,
    ),
    _direct(
        "getApiUsage",
        "get_api_usage",
        "Get API usage",
        "Actions executed in a period (at most 30 days), with success flags. Instant.",
        "account",
        p.GetApiUsageParams,
        list[r.UsageAction],
        _get_usage,
    ),
    # Sales Navigator
    _then(
        "nvFetchPerson",
        "nv_fetch_person",
        "Fetch person (Sales Navigator)",
        "Open a Sales Navigator profile (basics). Needs Sales Navigator; counts as a profile view.",
        "salesnav",
        p.NvFetchPersonParams,
        r.NvPerson,
        "nv.openPersonPage",
    ),
    _then(
        "nvFetchCompany",
        "nv_fetch_company",
        "Fetch company (Sales Navigator)",
        "Open a Sales Navigator company page, optionally with employees and decision makers. Needs Sales Navigator.",
        "salesnav",
        p.NvFetchCompanyParams,
        r.NvCompany,
        "nv.openCompanyPage",
        _NV_COMPANY_CHILDREN,
    ),
    _single(
        "nvSearchPeople",
        "nv_search_people",
        "Search people (Sales Navigator)",
        "Sales Navigator people search by keywords, filter or search URL. Needs Sales Navigator.",
        "salesnav",
        "read",
        p.NvSearchPeopleParams,
        "nv.searchPeople",
        item=r.NvPersonSummary,
    ),
    _single(
        "nvSearchCompanies",
        "nv_search_companies",
        "Search companies (Sales Navigator)",
        "Sales Navigator company search by keywords, filter or search URL. Needs Sales Navigator.",
        "salesnav",
        "read",
        p.NvSearchCompaniesParams,
        "nv.searchCompanies",
        item=r.NvSearchCompanyItem,
    ),
    _single(
        "nvSendMessage",
        "nv_send_message",
        "Send message (Sales Navigator)",
        "Send a Sales Navigator message (subject needed for a new conversation). Delivered at once.",
        "salesnav",
        "write",
        p.NvSendMessageParams,
        "nv.sendMessage",
    ),
    _direct(
        "nvPollConversations",
        "nv_get_conversation",
        "Get conversation (Sales Navigator)",
        "Read the Sales Navigator conversation with one person. If never synced, it first runs "
        "nv_sync_conversation (copied for 30 days; LinkedIn unchanged) and says so; read-only: errors.",
        "salesnav",
        p.NvGetConversationParams,
        r.Conversation,
        _poll_conversation("nv"),
    ),
    _single(
        "nvSyncConversation",
        "nv_sync_conversation",
        "Sync conversation (Sales Navigator)",
        "Start copying the Sales Navigator conversation with one person for `days` days. Changes Linked API "
        "state only.",
        "salesnav",
        "monitor",
        p.NvSyncConversationParams,
        "nv.syncConversation",
        data=r.SyncResult,
    ),
    _single(
        "nvSyncInbox",
        "nv_sync_inbox",
        "Sync inbox (Sales Navigator)",
        "Turn on Sales Navigator inbox monitoring (once); messages then appear in get_inbox.",
        "salesnav",
        "monitor",
        p.NoParams,
        "nv.syncInbox",
    ),
    _single(
        "nvManageConversation",
        "nv_manage_conversation",
        "Manage conversation (Sales Navigator)",
        "Archive or unarchive a Sales Navigator thread.",
        "salesnav",
        "write",
        p.NvManageConversationParams,
        "nv.manageConversation",
    ),
    # workflows. [INFERRED] effect "write": a custom workflow can run any action (contract §5.0 "depends").
    Operation(
        "customWorkflow",
        "execute_custom_workflow",
        "Run custom workflow",
        "Run a raw workflow definition (one action tree, or an array run in order) and return the raw "
        "completion. Checked locally first; side effects are those of the actions used.",
        "workflows",
        "write",
        "workflow",
        p.CustomWorkflowParams,
        Any,
        None,
        build=_build_custom,
        map=map_custom,
    ),
)

CATALOG: Mapping[str, Operation] = {op.tool: op for op in _OPERATIONS}
_BY_NAME: Mapping[str, Operation] = {op.name: op for op in _OPERATIONS}


def by_operation_name(name: str) -> Operation:
    """``"fetchPerson"`` → its Operation; raises KeyError naming the known operations otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown operation {name!r}; known: {', '.join(sorted(_BY_NAME))}") from None
