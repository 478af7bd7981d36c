"""Turn Linked API errors into short ``isError`` texts an agent can act on.

Every text starts with the Linked API error type in brackets, then says what happened and what
to do. These become ``ToolError`` (SDK notes §1.4), so the SDK shows them to the model verbatim;
anything else a tool raises is a crash and the SDK hides its details.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from linkedapi_mcp.catalog.spec import ActionError
from linkedapi_mcp.client.account_api import NO_CANCEL_TYPE

if TYPE_CHECKING:
    from linkedapi_mcp.catalog.spec import Operation
from linkedapi_mcp.client.errors import (
    DOCUMENTED_LIMITS,
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
    action_error_kind,
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
    if exc.type == NO_CANCEL_TYPE:  # said by this server (client/account_api.py), not by Linked API
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


# [INFERRED] Linked API does not say when a period starts (contract §2.9): calendar windows in UTC
# (the day from 00:00, the ISO week from Monday, the month from the 1st), as the sandbox counts them.
_PERIOD_WORDS = {"daily": "a day", "weekly": "a week", "monthly": "a month"}


def next_reset(period: str, now: datetime) -> datetime:
    """When a Linked API limit window of ``period`` (daily/weekly/monthly) opens next, UTC."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "weekly":
        return day + timedelta(days=7 - day.weekday())
    if period == "monthly":
        return (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return day + timedelta(days=1)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%MZ")


def _category(error: ActionError, op: Operation | None) -> str | None:
    """The Linked API limit category of the failed action (contract §7.3), when it can be told."""
    from linkedapi_mcp.actions import ACTIONS

    action = error.actionType or (op.root_action if op is not None else None)
    spec = ACTIONS.get(action) if action else None
    return spec.limit_category if spec is not None else None


def limit_advice(category: str | None, now: datetime) -> str:
    """What a model can do about Linked API's ``limitExceeded``: whose limit, which, and when to retry."""
    which = f"for {category}" if category else "for this kind of action"
    known = sorted((period, n) for (c, period), n in DOCUMENTED_LIMITS.items() if c == category)
    default = (
        " (Linked API's documented default is "
        + ", ".join(f"{n} {_PERIOD_WORDS.get(period, period)}" for period, n in known)
        + "; the account's own setting may differ)"
        if known
        else ""
    )
    return (
        f"This is Linked API's own limit {which} on this account{default}, not this server's local budget: "
        "the action did not happen. Linked API limits are daily, weekly or monthly; a daily one reopens at the "
        f"next 00:00 UTC ({_stamp(next_reset('daily', now))} by this server's clock). Do not retry sooner; tell "
        "the user (get_api_usage shows what ran)."
    )


_KIND_ADVICE = {
    "target": "It does not exist or is not reachable: check the argument; the same call fails the same way.",
    "state": "It is already in that state: nothing to do, do not retry.",
    "restricted": "LinkedIn does not allow this for this target or account: retrying will not help.",
    "plan": "This account has no Sales Navigator: use the standard (non nv_) tools.",
    "transient": "Something went wrong on LinkedIn while running it: check it did not happen, then try again "
    "in a few minutes.",
}
_NOTE_QUOTA = (
    "LinkedIn's own quota of personalised invitation notes is used up (not Linked API's limit, not this "
    "server's budget): send the invitation without a note, or wait for LinkedIn's quota to renew (monthly)."
)


def action_errors_text(
    errors: list[ActionError],
    op: Operation | None = None,
    *,
    sync_tool: str | None = None,
    now: datetime | None = None,
) -> str:
    """Action errors of a workflow (or direct read) that produced no data at all: nothing else to show.

    Each line: ``[type] message`` then what it means for the caller, from the one kind table
    (:data:`~linkedapi_mcp.client.errors.ACTION_ERROR_KINDS`). ``sync_tool`` names the listed tool
    that syncs a conversation (None when it is not available, e.g. read-only mode).
    """
    when = now or datetime.now(UTC)
    lines = []
    for e in errors:
        kind = action_error_kind(e.type)
        message = _one_line(e.message).rstrip()
        if kind == "sync":
            # Linked API's message names a raw action ("Run st.syncConversation first."): name a tool.
            lines.append(
                f"[{e.type}] This conversation was never synced, so Linked API has no copy of it. "
                + _sync_advice(op, sync_tool)
            )
            continue
        line = f"[{e.type}] {message}".rstrip()
        if e.type == "limitExceeded":
            advice: str | None = limit_advice(_category(e, op), when)
        elif e.type == "noteLimitExceeded":
            advice = _NOTE_QUOTA
        else:
            advice = _KIND_ADVICE.get(kind) or (_DAILY_ADVICE if is_daily_limit(e.type) else None)
        lines.append(f"{line} {advice}" if advice else line)
    return "\n".join(lines)


def _sync_advice(op: Operation | None, sync_tool: str | None) -> str:
    read = op.tool if op is not None else "get_conversation"
    if sync_tool is None:
        return (
            "Syncing it changes Linked API state (conversation monitoring), which this server does not allow "
            "(read-only mode or its toolset is off); the user can run it elsewhere. get_inbox shows messages "
            "captured by inbox monitoring."
        )
    return (
        f"Call {sync_tool} with this personUrl (Linked API then copies the conversation for 30 days), "
        f"then {read} again."
    )


__all__ = ["action_errors_text", "describe", "limit_advice", "next_reset", "tool_error"]
