"""Errors of the sandbox: request-level envelopes and action errors inside a completion."""

from __future__ import annotations


class SandboxRequestError(Exception):
    """A request-level error the HTTP layer turns into an error envelope."""

    def __init__(self, type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.type = type
        self.message = message
        self.status = status


# Messages for action errors (contract §7.2/§7.3). The first one is the documented wording; the
# others are [INFERRED] in the same voice.
ACTION_ERROR_MESSAGES: dict[str, str] = {
    "personNotFound": "The provided URL is not an existing LinkedIn person.",
    "selfProfileNotAllowed": "This action cannot be performed on your own profile.",
    "messagingNotAllowed": "You are not allowed to message this person.",
    "alreadyPending": "A connection request to this person is already pending.",
    "alreadyConnected": "You are already connected with this person.",
    "emailRequired": "This person requires an email address to connect.",
    "noteTooLong": "The connection note exceeds LinkedIn's length limit of 300 characters.",
    "noteLimitExceeded": "The monthly limit of personalised connection notes has been reached.",
    "requestNotAllowed": "LinkedIn does not allow sending a connection request to this person.",
    "notPending": "There is no pending connection request to this person.",
    "connectionNotFound": "This person is not one of your connections.",
    "retrievingNotAllowed": "LinkedIn does not allow retrieving this data.",
    "searchingNotAllowed": "LinkedIn does not allow this search.",
    "searchInterfaceMismatch": "The account's job search version cannot apply the given criteria.",
    "filterNotApplied": "A requested filter could not be applied.",
    "companyNotFound": "The provided URL is not an existing LinkedIn company.",
    "postNotFound": "The provided URL is not an existing LinkedIn post.",
    "jobNotFound": "The provided URL is not an existing LinkedIn job.",
    "commentingNotAllowed": "Commenting is not allowed on this post.",
    "commentNotFound": "The provided URL is not an existing LinkedIn comment.",
    "replyingNotAllowed": "Replying is not allowed to this comment.",
    "duplicateComment": "The same comment has already been posted.",
    "noPostingPermission": "You have no permission to act as this company page.",
    "mentionNotResolved": "A mention could not be resolved.",
    "repostNotAllowed": "This post cannot be reposted.",
    "alreadyReposted": "You have already reposted this post.",
    "skillNotFound": "This skill is not on the person's profile.",
    "endorsementUnavailable": "Endorsing this person's skills is not possible.",
    "threadNotFound": "The provided thread does not exist.",
    "noSalesNavigator": "Your account does not have Sales Navigator subscription.",
    "limitExceeded": "The configured limit for this action category has been exceeded.",
    # [INFERRED] no source names an error for answering a missing invitation.
    "invitationNotFound": "There is no such pending invitation.",
    "unexpectedError": "An unexpected error occurred while executing the action.",
}


class ActionError(Exception):
    """An action failed; the engine records ``{success: false, error: {type, message}}``."""

    def __init__(self, type: str, message: str | None = None) -> None:
        self.type = type
        self.message = message or ACTION_ERROR_MESSAGES.get(type, ACTION_ERROR_MESSAGES["unexpectedError"])
        super().__init__(self.message)

    def as_error(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message}


class RateLimited(SandboxRequestError):
    """The admin API's rate limit: 429 ``tooManyRequests`` with ``Retry-After``."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__("tooManyRequests", message, 429)
        self.retry_after = retry_after


class ConnectionDropped(Exception):
    """Raised out of the ASGI app (in-process only) to mean "close without a response"."""
