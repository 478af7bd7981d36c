"""Typed Linked API errors: one exception class per meaning, one table mapping wire types to classes.

Every exception carries the Linked API error ``type`` (camelCase, contract §7.1) and the server's
human ``message``; ``http_status`` is set when the error came from an HTTP response. The text of
these exceptions reaches the model verbatim (the MCP SDK turns a tool exception's ``str()`` into
the tool result), so it must never contain a token: the client builds them from response bodies
and exception *class names* only, and raises them outside ``except`` blocks so no raw ``httpx``
exception (whose ``.request`` holds the auth headers) is chained as ``__cause__``/``__context__``.
"""

from __future__ import annotations

from collections.abc import Mapping


class LinkedApiError(Exception):
    """A Linked API failure: ``type`` is the wire error type, ``message`` the human explanation."""

    def __init__(self, type: str, message: str, *, http_status: int | None = None) -> None:
        super().__init__(type, message)
        self.type = type
        self.message = message
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(type={self.type!r}, message={self.message!r}, http_status={self.http_status!r})"


class AuthenticationError(LinkedApiError):
    """A token is missing or invalid; nothing will work until the configuration is fixed."""


class SubscriptionError(LinkedApiError):
    """The subscription, trial or plan does not allow this (no seat, trial used up, Plus needed)."""


class InvalidRequestError(LinkedApiError):
    """The request itself was refused: bad payload or an invalid workflow definition."""


class RateLimitedError(LinkedApiError):
    """Too many requests. ``retry_after`` is the server's requested wait in seconds, when known."""

    def __init__(
        self,
        type: str = "tooManyRequests",
        message: str = "Linked API is rate limiting requests; try again later.",
        *,
        http_status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(type, message, http_status=http_status)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(type={self.type!r}, message={self.message!r}, "
            f"http_status={self.http_status!r}, retry_after={self.retry_after!r})"
        )


class AccountStateError(LinkedApiError):
    """The LinkedIn account cannot run work now (signed out, unsupported language, working hours)."""


class NotFoundError(LinkedApiError):
    """The addressed object (e.g. a workflow id) does not exist."""


class UpstreamUnavailableError(LinkedApiError):
    """Linked API could not be reached or answered garbage, and retries (if allowed) ran out."""


class WorkflowFailedError(LinkedApiError):
    """A workflow ended ``failed``; ``reason`` is its global error type (contract §3, §7.1)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason, message)
        self.reason = reason


UNKNOWN_STATUS_TYPE = "unknownStatus"


class UnknownStatusError(LinkedApiError):
    """``GET /workflows/{id}`` answered a status outside the contract (pending/running/completed/failed).

    The workflow exists and may still be running: the handle stays valid, nothing is re-sent.
    ``status`` is the raw value (cleaned, at most 80 characters).
    """

    def __init__(self, status: str) -> None:
        super().__init__(
            UNKNOWN_STATUS_TYPE,
            f"Linked API reported the workflow status {status!r}, which this server does not know",
        )
        self.status = status


OUTCOME_UNKNOWN_TYPE = "outcomeUnknown"


class OutcomeUnknownError(LinkedApiError):
    """A ``POST /workflows`` may or may not have created a workflow; it was deliberately not re-sent.

    Linked API has no idempotency key (contract §2.1), so re-sending a start that may have been
    accepted could send a LinkedIn message or invitation twice.
    """

    def __init__(self, detail: str, *, http_status: int | None = None) -> None:
        message = (
            f"The request to start the workflow was sent but its outcome is unknown ({detail}). "
            "The workflow may or may not have been created, so it was not sent again. "
            "Check the recent workflows for this account before starting it again."
        )
        super().__init__(OUTCOME_UNKNOWN_TYPE, message, http_status=http_status)
        self.detail = detail


# The one place where a wire error type chooses its exception class (contract §7.1).
ERROR_TYPES: Mapping[str, type[LinkedApiError]] = {
    "linkedApiTokenRequired": AuthenticationError,
    "invalidLinkedApiToken": AuthenticationError,
    "identificationTokenRequired": AuthenticationError,
    "invalidIdentificationToken": AuthenticationError,
    "subscriptionRequired": SubscriptionError,
    "trialLimitReached": SubscriptionError,
    "plusPlanRequired": SubscriptionError,
    "noAvailableSeats": SubscriptionError,
    "dailyConnectionAttemptsExceeded": RateLimitedError,
    "invalidRequestPayload": InvalidRequestError,
    "invalidWorkflow": InvalidRequestError,
    "accountIdRequired": InvalidRequestError,
    "tooManyRequests": RateLimitedError,
    "linkedinAccountSignedOut": AccountStateError,
    "languageNotSupported": AccountStateError,
    "outsideWorkingHours": AccountStateError,
    "workingHoursWaitExpired": AccountStateError,
    # [INFERRED] the contract leaves the unknown-workflow error type undocumented (§2.2); these
    # are the names a server would plausibly use. Any other type on a 404 also maps to
    # NotFoundError through the status fallback below.
    "workflowNotFound": NotFoundError,
    "notFound": NotFoundError,
    "sessionNotFound": NotFoundError,
    "accountNotFound": NotFoundError,
    # SDK-local types (never sent by the server, but harmless to recognise).
    "httpError": UpstreamUnavailableError,
    "unknownError": UpstreamUnavailableError,
}


# Types that only this client makes up; a server sending one is as unknown as any other.
_LOCAL_TYPES = frozenset({"httpError", "unknownError"})


# Contract §7.1 types that keep the base class on purpose (read by the caller by type).
_OTHER_CONTRACT_TYPES = frozenset({"conversationsNotSynced"})


def is_known_type(type: str) -> bool:
    """Whether ``type`` is an error type of the contract (§7.1) this client maps deliberately."""
    return (type in ERROR_TYPES and type not in _LOCAL_TYPES) or type in _OTHER_CONTRACT_TYPES


def is_daily_limit(type: str) -> bool:
    """[INFERRED] A limit that resets daily (``dailyConnectionAttemptsExceeded``): no sooner retry helps."""
    return "daily" in type.lower()


# -- action errors (contract §7.2, §7.3): what each kind means for the caller ----------------------

# The limits Linked API documents as its defaults (contract §2.9: examples, not a full table). A
# local budget must never be above these (server/guards.py); other categories have no documented
# default, so the account's own setting is unknown to this client.
DOCUMENTED_LIMITS: Mapping[tuple[str, str], int] = {
    ("stMessages", "daily"): 50,
    ("stConnectionRequests", "daily"): 10,
}

ActionErrorKind = str  # "limit" | "target" | "state" | "restricted" | "plan" | "sync" | "transient"

# The one place where an action error type chooses its kind. Unknown types are "other".
ACTION_ERROR_KINDS: Mapping[str, ActionErrorKind] = {
    # Linked API's configured limit of the action's category (§7.3) and LinkedIn's note quota.
    "limitExceeded": "limit",
    "noteLimitExceeded": "limit",
    # The target does not exist: retrying with the same argument fails the same way.
    **dict.fromkeys(
        [
            "personNotFound",
            "companyNotFound",
            "postNotFound",
            "jobNotFound",
            "commentNotFound",
            "threadNotFound",
            "skillNotFound",
            "connectionNotFound",
            "mentionNotResolved",
        ],
        "target",
    ),
    # The target is already in the wanted (or another) state: nothing to do.
    **dict.fromkeys(
        [
            "alreadyPending",
            "alreadyConnected",
            "alreadyReposted",
            "notPending",
            "duplicateComment",
            "selfProfileNotAllowed",
        ],
        "state",
    ),
    # LinkedIn refuses this for this target or account: retrying will not help.
    **dict.fromkeys(
        [
            "messagingNotAllowed",
            "requestNotAllowed",
            "retrievingNotAllowed",
            "searchingNotAllowed",
            "commentingNotAllowed",
            "replyingNotAllowed",
            "repostNotAllowed",
            "noPostingPermission",
            "endorsementUnavailable",
            "emailRequired",
            "noteTooLong",
            "searchInterfaceMismatch",
            "filterNotApplied",
        ],
        "restricted",
    ),
    "noSalesNavigator": "plan",
    "conversationsNotSynced": "sync",
    "unexpectedError": "transient",
}


def action_error_kind(type: str) -> ActionErrorKind:
    """The kind of an action error type (contract §7.2/§7.3); ``"other"`` for types not listed."""
    return ACTION_ERROR_KINDS.get(type, "other")


def error_for(type: str, message: str, *, http_status: int | None = None) -> LinkedApiError:
    """Build the exception for a wire error ``type``; unknown types fall back on the HTTP status.

    [INFERRED] The status fallback (404 → NotFoundError, 429 → RateLimitedError,
    5xx → UpstreamUnavailableError) only applies to types the table does not know; any other
    unknown type becomes the base ``LinkedApiError`` so its ``type`` is still visible.
    """
    cls = ERROR_TYPES.get(type)
    if cls is None and http_status is not None:
        if http_status == 404:
            cls = NotFoundError
        elif http_status == 429:
            cls = RateLimitedError
        elif http_status >= 500:
            cls = UpstreamUnavailableError
    if cls is RateLimitedError:
        return RateLimitedError(type, message, http_status=http_status)
    return (cls or LinkedApiError)(type, message, http_status=http_status)


__all__ = [
    "ACTION_ERROR_KINDS",
    "DOCUMENTED_LIMITS",
    "ERROR_TYPES",
    "OUTCOME_UNKNOWN_TYPE",
    "UNKNOWN_STATUS_TYPE",
    "AccountStateError",
    "AuthenticationError",
    "InvalidRequestError",
    "LinkedApiError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "SubscriptionError",
    "UnknownStatusError",
    "UpstreamUnavailableError",
    "WorkflowFailedError",
    "action_error_kind",
    "error_for",
    "is_daily_limit",
    "is_known_type",
]
