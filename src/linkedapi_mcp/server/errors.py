"""Turn Linked API errors into short ``isError`` texts an agent can act on.

Every text starts with the Linked API error type in brackets, then says what happened and what
to do. These become ``ToolError`` (SDK notes §1.4), so the SDK shows them to the model verbatim;
anything else a tool raises is a crash and the SDK hides its details.
"""

from __future__ import annotations

import math

from mcp.server.mcpserver.exceptions import ToolError

from linkedapi_mcp.catalog.spec import ActionError
from linkedapi_mcp.client.errors import (
    AccountStateError,
    AuthenticationError,
    InvalidRequestError,
    LinkedApiError,
    NotFoundError,
    RateLimitedError,
    SubscriptionError,
    UnknownStatusError,
    UpstreamUnavailableError,
    WorkflowFailedError,
    is_daily_limit,
    is_known_type,
)

_TOKEN_HINT = (
    "Set LINKED_API_TOKEN and IDENTIFICATION_TOKEN in the MCP server's environment and restart it; "
    "on a hosted server, reconnect the account (the app's sign-in to this server)."
)

_ACCOUNT_ADVICE = {
    "linkedinAccountSignedOut": "LinkedIn signed the account out: reconnect it on the Linked API platform, then retry.",
    "languageNotSupported": "Switch the LinkedIn interface language to English, then retry.",
    "outsideWorkingHours": (
        "The account is outside its working hours and refuses new work: retry when they reopen, "
        "or ask the owner to change the off-hours policy."
    ),
    "workingHoursWaitExpired": "The workflow waited too long for working hours: start it again inside them.",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe(exc: LinkedApiError) -> str:
    """``[type] message advice`` for one Linked API error."""
    message = _one_line(exc.message).rstrip(".")
    head = f"[{exc.type}] {message}." if message else f"[{exc.type}]"
    if isinstance(exc, AuthenticationError):
        which = "IDENTIFICATION_TOKEN" if "identification" in exc.type.lower() else "LINKED_API_TOKEN"
        return f"{head} Check {which}. {_TOKEN_HINT}"
    if isinstance(exc, RateLimitedError):
        if is_daily_limit(exc.type):
            return f"{head} {_DAILY_ADVICE}"
        if exc.retry_after is not None:
            return f"{head} Retry in {max(1, math.ceil(exc.retry_after))} s."
        return f"{head} Wait a minute before retrying."
    if isinstance(exc, UnknownStatusError):
        return (
            f"{head} The workflow exists and is not known to be finished: its handle stays valid. "
            "Call get_workflow_result again in a few minutes; do not start it again."
        )
    if isinstance(exc, SubscriptionError):
        if exc.type == "plusPlanRequired":
            return f"{head} Sales Navigator (nv_*) tools need the Plus plan; use the standard tools instead."
        return f"{head} This needs a change to the Linked API subscription; retrying will not help."
    if isinstance(exc, AccountStateError):
        return f"{head} {_ACCOUNT_ADVICE.get(exc.type, 'The LinkedIn account cannot run work right now.')}"
    if isinstance(exc, UpstreamUnavailableError):
        return f"{head} Linked API is unreachable right now; try again in a minute."
    if isinstance(exc, WorkflowFailedError):
        advice = _ACCOUNT_ADVICE.get(exc.reason)
        return f"[{exc.reason}] The workflow failed: {message}." + (f" {advice}" if advice else "")
    if isinstance(exc, InvalidRequestError):
        if exc.type == "invalidRequestPayload":
            return (
                f"{head} Linked API refused the arguments although this server accepted them; "
                "change the arguments (shorter text, fewer items) and call again."
            )
        return f"{head} Fix the arguments and call again."
    if isinstance(exc, NotFoundError):
        return head
    if not is_known_type(exc.type):
        return f"{head} {_unknown_advice(exc.http_status)}"
    return head


_DAILY_ADVICE = (
    "This is a daily limit: retrying today will fail the same way; try again after it resets "
    "(the next day, UTC), not sooner."
)


def _unknown_advice(status: int | None) -> str:
    """Generic advice for an error type this server does not know, from what its status says."""
    where = f" (HTTP {status})" if status is not None else ""
    if status is not None and status >= 500:
        return (
            f"Linked API answered an error type this server does not know{where}: a server-side fault. "
            "Reads can be retried in a minute; check list_workflows before repeating an account-changing call."
        )
    if status == 429:
        return f"Linked API answered an error type this server does not know{where}: a rate limit; retry later."
    return (
        f"Linked API answered an error type this server does not know{where}: the request was refused. "
        "Retrying it unchanged will most likely fail the same way."
    )


def tool_error(exc: LinkedApiError) -> ToolError:
    return ToolError(describe(exc))


_ACTION_ADVICE = {
    # [INFERRED] Linked API's limits are daily, weekly or monthly (contract §2.9): never "a minute".
    "limitExceeded": (
        "The account's Linked API limit for this kind of action is used up; it resets with its period "
        "(daily, weekly or monthly, see get_api_usage): retrying sooner will fail the same way."
    ),
}


def action_errors_text(errors: list[ActionError]) -> str:
    """Action errors of a workflow that produced no data at all: nothing else to show."""
    lines = []
    for e in errors:
        line = f"[{e.type}] {_one_line(e.message)}".rstrip()
        advice = _ACTION_ADVICE.get(e.type) or (_DAILY_ADVICE if is_daily_limit(e.type) else None)
        lines.append(f"{line} {advice}" if advice else line)
    return "\n".join(lines)


__all__ = ["action_errors_text", "describe", "tool_error"]
