"""Result models (contract §5.2): what the tools return, and their MCP output schemas.

Every field is optional and unknown fields are kept (``extra="allow"``): Linked API adds fields
over time and a new one must reach the caller instead of failing the call. Result enums are open
(``Literal[...] | str``) for the same reason; request enums stay strict in ``params.py``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from linkedapi_mcp import wire
from linkedapi_mcp.catalog.spec import ActionError, ResultModel

Reaction = wire.ReactionType | str
Degree = wire.ConnectionDegree | str
ActorType = Literal["person", "company"] | str


def opt(description: str) -> Any:
    """An optional result field with its description (keeps the models below readable)."""
    return Field(None, description=description)


# --- shared pieces --------------------------------------------------------------------------


class PersonViewerState(ResultModel):
    connectionDegree: Degree | None = opt("Your connection degree to this person: 1st, 2nd, 3rd+ (null if not shown).")


class ContentViewerState(ResultModel):
    reaction: Reaction | None = opt("Your reaction, if you reacted.")
    isOwn: bool | None = opt("Whether your account published it.")


class PostAuthor(ResultModel):
    type: ActorType | None = opt("person or company.")
    name: str | None = opt("Display name.")
    urn: str | None = opt("Member or organization URN.")
    profileUrl: str | None = opt("Profile URL (person authors).")
    headline: str | None = opt("Headline (person authors).")
    companyUrl: str | None = opt("Company page URL (company authors).")
    viewerState: PersonViewerState | None = opt("Your relation to a person author.")


class PostComment(ResultModel):
    commentUrn: str | None = opt("Comment URN.")
    commentUrl: str | None = opt("Comment URL; use it with react_to_comment / reply_to_comment.")
    author: PostAuthor | None = opt("Who wrote the comment.")
    time: str | None = opt("When it was written (ISO 8601).")
    text: str | None = opt("Comment text.")
    image: str | None = opt("Attached image URL.")
    isReply: bool | None = opt("True for a reply to another comment.")
    reactionsCount: int | None = opt("Reactions on the comment.")
    repliesCount: int | None = opt("Replies to the comment.")
    viewerState: ContentViewerState | None = opt("Your reaction / ownership.")


class PostReaction(ResultModel):
    actor: PostAuthor | None = opt("Who reacted.")
    type: Reaction | None = opt("Reaction type.")


class Post(ResultModel):
    url: str | None = opt("Post URL.")
    time: str | None = opt("Publication time (ISO 8601).")
    type: Literal["original", "repost"] | str | None = opt("original or repost.")
    activityUrn: str | None = opt("urn:li:activity:<id>.")
    author: PostAuthor | None = opt("Author of the post.")
    reposter: PostAuthor | None = opt("Who reposted it (reposts only).")
    repostText: str | None = opt("Reposter's commentary.")
    text: str | None = opt("Post text.")
    hashtags: list[str] | None = opt("Hashtags.")
    mentions: list[str] | None = opt("Mentioned names.")
    externalLinks: list[str] | None = opt("Links in the post.")
    images: list[str] | None = opt("Image URLs.")
    documentSlides: list[str] | None = opt("Document slide image URLs.")
    hasVideo: bool | None = opt("Has a video.")
    videoThumbnail: str | None = opt("Video thumbnail URL.")
    hasPoll: bool | None = opt("Has a poll.")
    reactionsCount: int | None = opt("Number of reactions.")
    commentsCount: int | None = opt("Number of comments.")
    repostsCount: int | None = opt("Number of reposts.")
    viewerState: ContentViewerState | None = opt("Your reaction / ownership.")


class FetchedPost(Post):
    comments: list[PostComment] | None = opt("Comments (when retrieveComments).")
    reactions: list[PostReaction] | None = opt("Reactions (when retrieveReactions).")


class FeedPost(Post):
    feedContext: str | None = opt("Why the post is in your feed, e.g. 'Ana Lima reacted to this'.")


# --- people ---------------------------------------------------------------------------------


class Experience(ResultModel):
    position: str | None = opt("Job title.")
    companyName: str | None = opt("Employer.")
    companyHashedUrl: str | None = opt("Employer's company URL.")
    employmentType: str | None = opt("fullTime, partTime, selfEmployed, freelance, contract, internship, ...")
    locationType: str | None = opt("onSite, remote or hybrid.")
    description: str | None = opt("Role description.")
    duration: int | None = opt("Duration in months.")
    startTime: str | None = opt("Start (e.g. 2024-04).")
    endTime: str | None = opt("End; null for the current role.")
    location: str | None = opt("Location.")


class Education(ResultModel):
    schoolName: str | None = opt("School.")
    schoolHashedUrl: str | None = opt("School page URL.")
    details: str | None = opt("Degree, field, years.")


class Skill(ResultModel):
    name: str | None = opt("Skill name.")


class Language(ResultModel):
    name: str | None = opt("Language.")
    proficiency: str | None = opt(
        "elementary, limitedWorking, professionalWorking, fullProfessional, nativeOrBilingual."
    )


class PersonComment(ResultModel):
    postUrl: str | None = opt("Post the comment is on.")
    time: str | None = opt("When (ISO 8601).")
    text: str | None = opt("Comment text.")
    image: str | None = opt("Attached image URL.")
    reactionsCount: int | None = opt("Reactions on the comment.")


class PersonReaction(ResultModel):
    postUrl: str | None = opt("Post reacted to.")
    time: str | None = opt("When (ISO 8601).")
    reactionType: Reaction | None = opt("Reaction type.")


class Person(ResultModel):
    name: str | None = opt("Full name.")
    urn: str | None = opt("urn:li:member:<id>.")
    publicUrl: str | None = opt("Public profile URL.")
    hashedUrl: str | None = opt("Hashed profile URL.")
    headline: str | None = opt("Headline.")
    location: str | None = opt("Location.")
    countryCode: str | None = opt("Two-letter country code.")
    position: str | None = opt("Current job title.")
    companyName: str | None = opt("Current employer.")
    companyHashedUrl: str | None = opt("Current employer's company URL.")
    followersCount: int | None = opt("Followers.")
    about: str | None = opt("About section.")
    avatarUrl: str | None = opt("Photo URL.")
    viewerState: PersonViewerState | None = opt("Your connection degree.")
    experiences: list[Experience] | None = opt("Experience (when retrieveExperience).")
    education: list[Education] | None = opt("Education (when retrieveEducation).")
    skills: list[Skill] | None = opt("Skills (when retrieveSkills).")
    languages: list[Language] | None = opt("Languages (when retrieveLanguages).")
    posts: list[Post] | None = opt("Recent posts (when retrievePosts).")
    comments: list[PersonComment] | None = opt("Comments the person wrote (when retrieveComments).")
    reactions: list[PersonReaction] | None = opt("Reactions the person gave (when retrieveReactions).")


class NvPerson(ResultModel):
    name: str | None = opt("Full name.")
    urn: str | None = opt("urn:li:member:<id>.")
    publicUrl: str | None = opt("Public profile URL.")
    hashedUrl: str | None = opt("Sales Navigator / hashed profile URL.")
    headline: str | None = opt("Headline.")
    location: str | None = opt("Location.")
    countryCode: str | None = opt("Two-letter country code.")
    position: str | None = opt("Current job title.")
    companyName: str | None = opt("Current employer.")
    companyUrn: str | None = opt("urn:li:organization:<id>.")
    companyHashedUrl: str | None = opt("Employer's company URL.")
    avatarUrl: str | None = opt("Photo URL.")


class PersonSummary(ResultModel):
    name: str | None = opt("Full name.")
    urn: str | None = opt("urn:li:member:<id>.")
    publicUrl: str | None = opt("Public profile URL.")
    headline: str | None = opt("Headline.")
    location: str | None = opt("Location.")
    avatarUrl: str | None = opt("Photo URL.")
    viewerState: PersonViewerState | None = opt("Your connection degree.")


class SearchPeopleItem(PersonSummary):
    pass


class NvPersonSummary(ResultModel):
    name: str | None = opt("Full name.")
    urn: str | None = opt("urn:li:member:<id>.")
    hashedUrl: str | None = opt("Sales Navigator profile URL (use with nv_fetch_person).")
    position: str | None = opt("Current job title.")
    location: str | None = opt("Location.")
    avatarUrl: str | None = opt("Photo URL.")
    viewerState: PersonViewerState | None = opt("Your connection degree.")


# --- companies ------------------------------------------------------------------------------


class CompanyDm(PersonSummary):
    countryCode: str | None = opt("Two-letter country code.")


class Company(ResultModel):
    name: str | None = opt("Company name.")
    urn: str | None = opt("urn:li:organization:<id>.")
    publicUrl: str | None = opt("Company page URL.")
    description: str | None = opt("About text.")
    location: str | None = opt("Location.")
    headquarters: str | None = opt("Headquarters.")
    industry: str | None = opt("Industry.")
    specialties: str | None = opt("Specialties.")
    website: str | None = opt("Website.")
    employeesCount: int | None = opt("Employee count.")
    yearFounded: int | None = opt("Year founded.")
    ventureFinancing: bool | None = opt("Venture financed.")
    jobsCount: int | None = opt("Open jobs.")
    logoUrl: str | None = opt("Logo URL.")
    employees: list[PersonSummary] | None = opt("Employees (when retrieveEmployees).")
    dms: list[CompanyDm] | None = opt("Decision makers, most senior first (when retrieveDMs).")
    posts: list[Post] | None = opt("Company posts (when retrievePosts).")


class NvCompanyDm(NvPersonSummary):
    countryCode: str | None = opt("Two-letter country code.")


class NvCompany(ResultModel):
    name: str | None = opt("Company name.")
    urn: str | None = opt("urn:li:organization:<id>.")
    publicUrl: str | None = opt("Company page URL.")
    description: str | None = opt("About text.")
    location: str | None = opt("Location.")
    headquarters: str | None = opt("Headquarters.")
    industry: str | None = opt("Industry.")
    website: str | None = opt("Website.")
    employeesCount: int | None = opt("Employee count.")
    yearFounded: int | None = opt("Year founded.")
    logoUrl: str | None = opt("Logo URL.")
    employees: list[NvPersonSummary] | None = opt("Employees (when retrieveEmployees).")
    dms: list[NvCompanyDm] | None = opt("Decision makers (when retrieveDMs).")


class SearchCompanyItem(ResultModel):
    name: str | None = opt("Company name.")
    urn: str | None = opt("urn:li:organization:<id>.")
    publicUrl: str | None = opt("Company page URL.")
    industry: str | None = opt("Industry.")
    location: str | None = opt("Location.")
    logoUrl: str | None = opt("Logo URL.")


class NvSearchCompanyItem(ResultModel):
    name: str | None = opt("Company name.")
    urn: str | None = opt("urn:li:organization:<id>.")
    hashedUrl: str | None = opt("Sales Navigator company URL (use with nv_fetch_company).")
    industry: str | None = opt("Industry.")
    employeesCount: int | None = opt("Employee count.")
    logoUrl: str | None = opt("Logo URL.")


# --- jobs -----------------------------------------------------------------------------------


class Salary(ResultModel):
    currency: str | None = opt("Currency code, e.g. usd.")
    minAmount: float | None = opt("Minimum.")
    maxAmount: float | None = opt("Maximum.")
    period: Literal["yearly", "monthly", "hourly"] | str | None = opt("yearly, monthly or hourly.")


class SearchJobItem(ResultModel):
    jobId: str | None = opt("Job id.")
    urn: str | None = opt("urn:li:jobPosting:<id>.")
    jobUrl: str | None = opt("Job URL (use with fetch_job).")
    title: str | None = opt("Job title.")
    companyName: str | None = opt("Hiring company.")
    location: str | None = opt("Location.")
    workplaceType: str | None = opt("onSite, remote or hybrid.")
    salary: Salary | None = opt("Salary range, when shown.")
    easyApply: bool | None = opt("Easy Apply available.")
    isPromoted: bool | None = opt("Promoted listing.")
    isSimilarMatch: bool | None = opt("A near match from the AI search.")


class Job(ResultModel):
    jobId: str | None = opt("Job id.")
    urn: str | None = opt("urn:li:jobPosting:<id>.")
    jobUrl: str | None = opt("Job URL.")
    title: str | None = opt("Job title.")
    companyName: str | None = opt("Hiring company.")
    companyUrl: str | None = opt("Company page URL.")
    location: str | None = opt("Location.")
    postedDate: str | None = opt("When posted.")
    applicantsCount: int | None = opt("Applicants.")
    workplaceType: str | None = opt("Workplace type.")
    employmentType: str | None = opt("Employment type.")
    salary: Salary | None = opt("Salary range, when shown.")
    description: str | None = opt("Job description.")
    applyUrl: str | None = opt("External apply URL.")
    easyApply: bool | None = opt("Easy Apply available.")


# --- network --------------------------------------------------------------------------------


class ConnectionStatusResult(ResultModel):
    connectionStatus: wire.ConnectionStatus | str | None = opt(
        "connected, pending (you sent a request), incoming (they sent you one) or notConnected."
    )


class PendingRequest(ResultModel):
    name: str | None = opt("Full name.")
    urn: str | None = opt("urn:li:member:<id>.")
    publicUrl: str | None = opt("Profile URL.")
    headline: str | None = opt("Headline.")
    sentTime: str | None = opt("When you sent the request.")


class Invitation(ResultModel):
    invitationType: wire.InvitationType | str | None = opt("connect, companyFollow or newsletterSubscribe.")
    name: str | None = opt("Who invited you.")
    publicUrl: str | None = opt("Inviter's profile URL (the personUrl to accept a connect invitation).")
    urn: str | None = opt("Inviter's URN.")
    headline: str | None = opt("Inviter's headline (connect).")
    note: str | None = opt("Invitation note (connect).")
    companyUrl: str | None = opt("Company to follow (companyFollow).")
    companyName: str | None = opt("Company name (companyFollow).")
    newsletterUrl: str | None = opt("Newsletter (newsletterSubscribe).")
    newsletterName: str | None = opt("Newsletter name (newsletterSubscribe).")


class Connection(PersonSummary):
    connectedAt: str | None = opt("When you connected (only with 'since').")


class ProfileViewer(ResultModel):
    viewerType: Literal["identified", "anonymous"] | str | None = opt("identified or anonymous.")
    viewedAt: str | None = opt("Estimated view time (ISO 8601).")
    viewedAgo: str | None = opt("LinkedIn's relative time, e.g. '2d'.")
    name: str | None = opt("Viewer's name (identified).")
    publicUrl: str | None = opt("Viewer's profile URL (identified).")
    urn: str | None = opt("Viewer's URN (identified).")
    headline: str | None = opt("Viewer's headline (identified).")
    connectionDegree: int | None = opt("1, 2 or 3 (identified).")
    avatarUrl: str | None = opt("Photo URL (identified).")
    description: str | None = opt("LinkedIn's line, e.g. 'Someone at Acme' (anonymous).")
    searchUrl: str | None = opt("People-search URL for similar viewers; usable as customSearchUrl (anonymous).")


# --- account / stats ------------------------------------------------------------------------


class Ssi(ResultModel):
    ssi: int | None = opt("Social Selling Index, 0-100.")
    industryTop: int | None = opt("Top percent rank in your industry.")
    networkTop: int | None = opt("Top percent rank in your network.")


class Performance(ResultModel):
    followersCount: int | None = opt("Followers.")
    postViewsLast7Days: int | None = opt("Post impressions, last 7 days.")
    profileViewsLast90Days: int | None = opt("Profile views, last 90 days.")
    searchAppearancesPreviousWeek: int | None = opt("Search appearances, previous week.")


class SyncResult(ResultModel):
    syncUntil: str | None = opt("When syncing of this conversation stops (ISO 8601).")


class CommentResult(ResultModel):
    commentUrn: str | None = opt("URN of the new comment.")
    commentUrl: str | None = opt("URL of the new comment.")


class PublishedPost(ResultModel):
    postUrl: str | None = opt("URL of the published post.")
    postUrn: str | None = opt("URN of the published post.")


class SkillEndorsement(ResultModel):
    skillName: str | None = opt("Skill.")
    success: bool | None = opt("Whether the endorsement went through.")
    error: ActionError | None = opt("Why it failed.")


class Message(ResultModel):
    id: str | None = opt("Message id.")
    sender: Literal["us", "them"] | str | None = opt("us or them.")
    text: str | None = opt("Text.")
    time: str | None = opt("Sent at (ISO 8601).")
    threadId: str | None = opt("Thread id (for send_message threadId / manage_conversation).")


class Conversation(ResultModel):
    personUrl: str | None = opt("The other person.")
    personUrn: str | None = opt("Their member URN.")
    type: wire.ConversationType | str | None = opt("st (standard) or nv (Sales Navigator).")
    since: str | None = opt("Echo of the 'since' filter.")
    syncUntil: str | None = opt("When syncing stops; later messages are not collected.")
    messages: list[Message] | None = opt("Messages, oldest first.")


class InboxMessage(ResultModel):
    id: str | None = opt("Message id.")
    type: wire.ConversationType | str | None = opt("st or nv.")
    threadId: str | None = opt("Thread id (for send_message threadId / manage_conversation).")
    personUrn: str | None = opt("Other side's member URN.")
    personHashedUrl: str | None = opt("Other side's hashed profile URL.")
    personPublicUrl: str | None = opt("Other side's public profile URL, once known.")
    personUrl: str | None = opt("Deprecated duplicate of personHashedUrl.")
    sender: Literal["us", "them"] | str | None = opt("us or them.")
    text: str | None = opt("Text.")
    time: str | None = opt("Sent at (ISO 8601).")
    inboxMessageId: str | None = opt("Inbox message id (person view).")


class InboxThread(ResultModel):
    threadId: str | None = opt("Thread id.")
    type: wire.ConversationType | str | None = opt("st or nv.")
    personUrn: str | None = opt("Other side's member URN.")
    historyFrom: str | None = opt("Oldest time covered.")
    historyComplete: bool | None = opt("Whether the whole history is known.")


class LastMessage(ResultModel):
    sender: Literal["us", "them"] | str | None = opt("us or them.")
    text: str | None = opt("Text.")
    time: str | None = opt("Sent at (ISO 8601).")


class InboxConversation(ResultModel):
    """One thread of the messages returned, built here from them (Linked API lists messages only)."""

    threadId: str | None = opt("Thread id: send_message threadId replies into it.")
    type: wire.ConversationType | str | None = opt("st or nv.")
    personUrl: str | None = opt("The other person's profile URL (public when known, else hashed).")
    lastMessage: LastMessage | None = opt("The newest message of the thread among those returned.")
    # [INFERRED] Linked API reports no read state (contract §2.5): a thread whose newest message
    # is theirs is waiting for your reply; LinkedIn's own unread flag is not available.
    awaitingReply: bool | None = opt("True when their message is the newest: waiting for your reply.")
    messageCount: int | None = opt("Messages of this thread among those returned.")


class Inbox(ResultModel):
    messages: list[InboxMessage] | None = opt("Messages, newest first.")
    threads: list[InboxThread] | None = opt("Threads with this person (only with personUrl).")
    conversations: list[InboxConversation] | None = opt(
        "One entry per thread of these messages, newest first, with its last message."
    )
    monitoring: str | None = opt("When inbox monitoring started and what these messages cover.")


class NetworkEvent(ResultModel):
    id: str | None = opt("Event id.")
    type: wire.NetworkEventType | str | None = opt("connectionAccepted, connectionAdded or connectionRequestReceived.")
    personUrl: str | None = opt("The person.")
    personUrn: str | None = opt("Their member URN (may be null).")
    detectedAt: str | None = opt("When detected (ISO 8601).")


class NetworkEvents(ResultModel):
    events: list[NetworkEvent] | None = opt("Events, newest first.")


class AccountInfo(ResultModel):
    name: str | None = opt("Name of the LinkedIn account behind the identification token.")
    url: str | None = opt("Its profile URL.")


class UsageAction(ResultModel):
    actionType: str | None = opt("Action executed, e.g. st.openPersonPage.")
    success: bool | None = opt("Whether it succeeded.")
    time: str | None = opt("When (ISO 8601).")
