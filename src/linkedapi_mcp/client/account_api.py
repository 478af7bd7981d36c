"""The Account API generation (origin documents 000 and 002) as a second backend of the client.

:class:`AccountApiClient` is a :class:`~linkedapi_mcp.client.http.LinkedApiClient` whose three
workflow methods speak ``POST /account/workflow`` and ``GET /account/results/{hash}`` instead of
``/workflows``; everything else (direct reads, retry policy, token masking, untrusted-text
cleaning) is inherited, so the server's runner and facade use it unchanged.

Handles. A ``reslink`` start answers a result link; the handle (``workflowId`` to the server)
is the link's hash, and :meth:`get_workflow` polls ``<base>/account/results/<hash>``. The hash is
the whole handle: any process or replica can poll it, nothing is kept in memory. A ``long`` start
answers the final result instead; its handle is a local id (``long-…``) whose result this client
keeps in memory until it is read; the start says so (``resultHeld``), and the server's runner reads
it at once rather than on its polling schedule.

Result handling — which operations use which mode, and why:

* ``reslink`` for every start by default: the answer carries a handle before the workflow runs, so
  the usual rules hold (a handle is recorded before the tool returns; a dropped start is outcome
  unknown and never re-sent).
* ``long`` only with ``long_reads=True`` (``LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING=long-reads``),
  only for workflows whose every action reads (open*, retrieve*, search*, checkConnectionStatus,
  doFor*: :func:`reads_only`), and only when the caller can wait (:data:`LONG_MIN_WAIT`; a call
  with ``waitSeconds`` 0 wants a handle at once). A long start has no handle until it ends: a cut connection leaves
  the workflow running with nothing to poll. For a read that costs a re-run; for an account-changing
  action it would hide whether a message or invitation went out, so those never use ``long``.
  A long start also needs the caller's wait budget to cover the whole run, which is why it is not
  the default.
* ``hook`` for every start when the server is given ``hook_url`` (a public URL and a secret:
  ``LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING=hook``, server/account_hooks.py): the start answers at once,
  the handle is a local id (``hook-…``) minted *before* the POST and carried in the webhook URL, so
  it is recorded like any handle; the final body is pushed to the server, which finishes the
  workflow from it (:func:`hook_event`) with zero polls. A hook workflow cannot be polled at all
  (this generation gives it no link): :meth:`get_workflow` answers "running" from memory, without a
  request, until the push arrives.

Retry rules are the client's (retry.py): the start is a non-idempotent POST — an HTML 5xx, a
time-out, a dropped connection (a cut ``long`` answer) or a malformed answer (including a result
link that is not one) is :class:`OutcomeUnknownError`, never re-sent; result-link GETs are retried
like any read. There is no cancel in this generation: :meth:`cancel_workflow` says so.

Vocabularies: both are read whatever the configured version (``completed/running/failed`` +
``progress`` + ``error.type`` of 000, ``complete/processing/error`` + ``process`` +
``error.errorType`` of 002); a link may be a full URL (000) or a bare hash (002).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Generator, Mapping
from typing import Any, Literal, TypeVar

import httpx

from linkedapi_mcp.actions import iter_actions
from linkedapi_mcp.client.errors import (
    AuthenticationError,
    InvalidRequestError,
    LinkedApiError,
    NotFoundError,
    SubscriptionError,
    error_for,
)
from linkedapi_mcp.client.http import LinkedApiClient
from linkedapi_mcp.client.models import WorkflowFailure, WorkflowStart, WorkflowState
from linkedapi_mcp.client.retry import Fault, Outcome
from linkedapi_mcp.jsonvalues import drop_none
from linkedapi_mcp.untrusted import clean_text, clean_tree

logger = logging.getLogger("linkedapi_mcp.client")

T = TypeVar("T")

AccountVersion = Literal["000", "002"]
Mode = Literal["long", "reslink", "hook"]

START_PATH = "/account/workflow"
RESULTS_PREFIX = "/account/results/"
LONG_PREFIX = "long-"
HOOK_PREFIX = "hook-"
HOOK_MESSAGE = (
    "The result will be pushed to this server's webhook when the workflow ends (an Account API hook "
    "workflow cannot be polled)."
)
# [INFERRED] what a result hash may look like (the documents show only "{someHash}"): URL-safe
# characters, bounded. Anything else is not followed: a link is a URL the server chose, and the
# tokens must never be sent anywhere but the configured base URL.
_HASH = re.compile(r"[A-Za-z0-9_-]{1,128}")
# [INFERRED] a long answer with no caller deadline is awaited this long at most.
LONG_WAIT_CAP = 600.0
# [INFERRED] a caller with less time than this (``waitSeconds`` 0 gives a start 1 s) asks for a handle
# at once: a long start could only be cut (outcome unknown, nothing to poll), so it gets reslink.
LONG_MIN_WAIT = 5.0
NO_CANCEL_TYPE = "cancelNotSupported"
# [INFERRED] long-start results kept in memory for the caller's first look; the oldest go first.
LONG_RESULTS_KEPT = 1000

_DONE = {"completed", "complete"}
_RUNNING = {"running", "processing"}
_FAILED = {"failed", "error"}

# This generation's own error types, mapped once (the rest go through errors.error_for).
# [INFERRED] the sandbox's names for header/body problems and unknown links (sandbox/account_api.py).
ACCOUNT_ERROR_TYPES: Mapping[str, type[LinkedApiError]] = {
    "accountApiTokenRequired": AuthenticationError,
    "invalidAccountApiToken": AuthenticationError,
    "invalidRequestBody": InvalidRequestError,
    "invalidActionParams": InvalidRequestError,
    "invalidResultHandling": InvalidRequestError,
    "invalidWebhook": InvalidRequestError,
    "noActiveSeats": SubscriptionError,
    "resultNotFound": NotFoundError,
}

# Action names that only read (contract §6): a workflow made only of these may use ``long``.
_READ_ACTION = re.compile(r"(st|nv)\.(open|retrieve|search|doFor)[A-Z]\w*|st\.checkConnectionStatus")


def reads_only(definition: Any) -> bool:
    """Whether every action of a definition only reads (hand-written: the client has no catalog)."""
    actions = iter_actions(definition)
    return bool(actions) and all(_READ_ACTION.fullmatch(action) for action in actions)


def account_error(type: str, message: str, *, http_status: int | None) -> LinkedApiError:
    cls = ACCOUNT_ERROR_TYPES.get(type)
    if cls is not None:
        return cls(type, message, http_status=http_status)
    return error_for(type, message, http_status=http_status)


class NoCancelError(LinkedApiError):
    """This generation has no cancel: the workflow runs to its end."""

    def __init__(self, workflow_id: str) -> None:
        super().__init__(
            NO_CANCEL_TYPE,
            f"The Account API generation this server is configured for (LINKEDAPI_MCP_API) has no cancel: "
            f"workflow {workflow_id} keeps running to its end. Call get_workflow_result for its outcome",
        )


class AccountTokenAuth(httpx.Auth):
    """``account-api-token`` + ``identification-token`` on Account API paths; today's
    ``linked-api-token`` on the direct endpoints this client inherits. ``repr`` masks both."""

    def __init__(self, api_token: str, identification_token: str) -> None:
        self._api_token = api_token
        self._identification_token = identification_token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.url.path.startswith("/account/"):
            request.headers["account-api-token"] = self._api_token
        else:
            request.headers["linked-api-token"] = self._api_token
        request.headers["identification-token"] = self._identification_token
        yield request

    def __repr__(self) -> str:
        return "AccountTokenAuth(account-api-token=***, identification-token=***)"

    __str__ = __repr__


class _Body:
    """A parsed Account API answer: its status word and the parts each status carries."""

    def __init__(self, payload: Any) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("status"), str):
            raise ValueError("not an Account API answer")
        self.status = payload["status"]
        if self.status not in _DONE | _RUNNING | _FAILED:
            raise ValueError("unknown status")
        progress = payload.get("progress", payload.get("process"))
        self.progress: dict[str, Any] = progress if isinstance(progress, dict) else {}
        self.completion = payload.get("completion")
        error = payload.get("error")
        self.error_type: str | None = None
        self.error_message = ""
        if isinstance(error, dict):
            kind = error.get("type", error.get("errorType"))
            self.error_type = clean_text(kind)[:80] if isinstance(kind, str) and kind else None
            message = error.get("message")
            self.error_message = clean_text(message) if isinstance(message, str) else ""
        if self.status in _FAILED and self.error_type is None:
            raise ValueError("a failure without an error type")


class AccountApiClient(LinkedApiClient):
    """The Account API backend: same interface as :class:`LinkedApiClient` (see the module doc)."""

    def __init__(
        self,
        *,
        version: AccountVersion = "000",
        long_reads: bool = False,
        hook_url: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.version = version
        self.long_reads = long_reads
        self.hook_url = hook_url  # handle → the webhook URL its result is pushed to
        api_token, id_token = kwargs["linked_api_token"], kwargs["identification_token"]
        self._http.auth = AccountTokenAuth(api_token, id_token)
        self._long_results: dict[str, WorkflowState] = {}

    def __repr__(self) -> str:
        return f"AccountApiClient(base_url={self.base_url!r}, version={self.version!r})"

    def mode_for(self, definition: Any, *, time_left: float | None = None) -> Mode:
        if self.hook_url is not None:
            return "hook"
        if time_left is not None and time_left < LONG_MIN_WAIT:
            return "reslink"  # the caller will not wait for the end: a handle at once
        return "long" if self.long_reads and reads_only(definition) else "reslink"

    # -- the three workflow methods ------------------------------------------------------------

    async def start_workflow(
        self, definition: dict[str, Any] | list[dict[str, Any]], *, deadline: float | None = None
    ) -> WorkflowStart:
        """``POST /account/workflow``; never re-sent once it may have reached the server."""
        mode = self.mode_for(definition, time_left=None if deadline is None else deadline - self.clock())
        body = drop_none(definition)
        headers: dict[str, str] = {"result-handling": mode}
        hook_handle = None
        if mode == "hook":
            assert self.hook_url is not None
            hook_handle = HOOK_PREFIX + secrets.token_hex(16)  # minted first: the URL carries it
            headers["webhook"] = self.hook_url(hook_handle)

        def parse(answer: _Body, status: int) -> WorkflowStart | Outcome:
            if answer.status in _FAILED:
                # A failed answer to a reslink start is a global error: nothing was started.
                # [INFERRED] to a long start it may also be a workflow that ran and failed; it
                # is reported the same way (the error), and long is only used for reads.
                return self._refusal(answer, status)
            if hook_handle is not None:
                if answer.status not in _RUNNING:
                    return Outcome(Fault.MALFORMED, status=status, detail="a hook start answered a result")
                return WorkflowStart(workflowId=hook_handle, workflowStatus="running", message=HOOK_MESSAGE)
            if mode == "reslink":
                if answer.status not in _RUNNING:
                    return Outcome(Fault.MALFORMED, status=status, detail="a reslink start answered a result")
                handle = self._handle_of(answer.progress.get("resultLink"))
                if handle is None:
                    return Outcome(Fault.MALFORMED, status=status, detail="the result link is not a usable link")
                message = answer.progress.get("message")
                return WorkflowStart(
                    workflowId=handle,
                    workflowStatus="running",
                    message=clean_text(message) if isinstance(message, str) else None,
                )
            if answer.status not in _DONE:
                return Outcome(Fault.MALFORMED, status=status, detail="a long start answered no result")
            handle = LONG_PREFIX + secrets.token_hex(12)
            self._long_results[handle] = WorkflowState(workflowStatus="completed", completion=answer.completion)
            while len(self._long_results) > LONG_RESULTS_KEPT:  # the runner reads each within seconds
                self._long_results.pop(next(iter(self._long_results)))
            # resultHeld: the caller's first look is answered from memory, so it looks at once.
            return WorkflowStart(workflowId=handle, workflowStatus="running", resultHeld=True)

        return await self._account_call(
            "POST",
            START_PATH,
            parse,
            body=body,
            headers=headers,
            deadline=deadline,
            long=mode == "long",
        )

    async def get_workflow(self, workflow_id: str, *, deadline: float | None = None) -> WorkflowState:
        """One look at a result link (a long start's result is answered from memory, once seen)."""
        kept = self._long_results.get(workflow_id)
        if kept is not None:
            return kept
        if workflow_id.startswith(HOOK_PREFIX) and _HASH.fullmatch(workflow_id):
            return WorkflowState(workflowStatus="running", message=HOOK_MESSAGE)
        if workflow_id.startswith(LONG_PREFIX) or not _HASH.fullmatch(workflow_id):
            raise NotFoundError(
                "workflowNotFound",
                f"{workflow_id} is not a result link of this server: a long-polling start's result lives only in "
                "the server process that started it",
            )

        def parse(answer: _Body, status: int) -> WorkflowState | Outcome:
            if answer.status in _RUNNING:
                message = answer.progress.get("message")
                return WorkflowState(
                    workflowStatus="running", message=clean_text(message) if isinstance(message, str) else None
                )
            if answer.status in _DONE:
                return WorkflowState(workflowStatus="completed", completion=answer.completion)
            assert answer.error_type is not None
            return WorkflowState(
                workflowStatus="failed", failure=WorkflowFailure(reason=answer.error_type, message=answer.error_message)
            )

        return await self._account_call("GET", RESULTS_PREFIX + workflow_id, parse, deadline=deadline)

    async def cancel_workflow(self, workflow_id: str, *, deadline: float | None = None) -> bool:
        raise NoCancelError(workflow_id)

    def forget(self, workflow_id: str) -> None:
        """Drop a long start's kept result (once the caller has recorded it)."""
        self._long_results.pop(workflow_id, None)

    # -- plumbing --------------------------------------------------------------------------------

    def _handle_of(self, link: Any) -> str | None:
        """The hash of a result link: a bare hash (002) or a URL under this client's base URL (000)."""
        if not isinstance(link, str):
            return None
        prefix = self.base_url + RESULTS_PREFIX
        digest = link[len(prefix) :] if link.startswith(prefix) else link
        return digest if _HASH.fullmatch(digest) else None

    def _refusal(self, answer: _Body, status: int) -> Outcome:
        assert answer.error_type is not None
        error = account_error(answer.error_type, self._scrub(answer.error_message), http_status=status)
        if status == 429 or error.type == "tooManyRequests":
            return Outcome(Fault.RATE_LIMITED, status=status, error=error)
        return Outcome(Fault.API_ERROR, status=status, error=error)

    async def _account_call(
        self,
        method: str,
        path: str,
        parse: Callable[[_Body, int], T | Outcome],
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        deadline: float | None = None,
        long: bool = False,
    ) -> T:
        def read(response: httpx.Response) -> T | Outcome:
            return self._read_account(response, parse)

        # A long answer comes when the workflow ends: wait for it as long as the caller may (the
        # shared attempt shrinks both limits to the caller's deadline); connecting keeps the
        # client's time-out.
        phases = httpx.Timeout(LONG_WAIT_CAP, connect=self._timeout.connect) if long else None
        return await self._send(
            method,
            path,
            read,
            body=body,
            headers=headers,
            deadline=deadline,
            phases=phases,
            attempt_deadline=LONG_WAIT_CAP if long else None,
        )

    def _read_account(self, response: httpx.Response, parse: Callable[[_Body, int], T | Outcome]) -> T | Outcome:
        status = response.status_code
        try:
            answer = _Body(clean_tree(response.json()))
        except ValueError:
            if status == 429:
                return Outcome(Fault.RATE_LIMITED, status=status, retry_after=self._retry_after(response))
            if not response.is_success:
                return Outcome(
                    Fault.HTTP_ERROR, status=status, detail=f"HTTP {status} {response.reason_phrase}".strip()
                )
            return Outcome(Fault.MALFORMED, status=status, detail=f"HTTP {status}, unreadable body")
        if not response.is_success:
            if answer.error_type is None:
                return Outcome(
                    Fault.HTTP_ERROR, status=status, detail=f"HTTP {status} {response.reason_phrase}".strip()
                )
            return self._refusal(answer, status)
        return parse(answer, status)


def hook_event(handle: str, payload: Any) -> dict[str, Any] | None:
    """A hook delivery's final body as the ``workflow.completed`` event of today's webhooks (contract
    §2.10, fat payload), so the server's one intake logic finishes the workflow; None if unreadable.
    The event id is stable per handle: a re-delivered body is recognised as a duplicate."""
    try:
        answer = _Body(clean_tree(payload))
    except ValueError:
        return None
    if answer.status in _DONE:
        status, result = "completed", {"completion": answer.completion}
    elif answer.status in _FAILED:
        status, result = "failed", {"failure": {"reason": answer.error_type, "message": answer.error_message}}
    else:
        return None  # a running body is no completion
    return {
        "id": f"account.hook:{handle}",
        "type": "workflow.completed",
        "data": {"workflowId": handle, "status": status, "result": result},
    }


def client_for(api: str, **kwargs: Any) -> LinkedApiClient:
    """The client of the configured API generation (``LINKEDAPI_MCP_API``): ``workflows`` (today's),
    ``account`` (origin 000) or ``account-002`` (origin 002). ``long_reads`` only concerns the
    Account API."""
    long_reads = bool(kwargs.pop("long_reads", False))
    hook_url = kwargs.pop("hook_url", None)
    if api == "workflows":
        return LinkedApiClient(**kwargs)
    if api in ("account", "account-002"):
        version: AccountVersion = "002" if api == "account-002" else "000"
        return AccountApiClient(version=version, long_reads=long_reads, hook_url=hook_url, **kwargs)
    raise ValueError(f"unknown API generation {api!r}: workflows, account or account-002")


__all__ = [
    "ACCOUNT_ERROR_TYPES",
    "HOOK_PREFIX",
    "NO_CANCEL_TYPE",
    "AccountApiClient",
    "AccountTokenAuth",
    "NoCancelError",
    "account_error",
    "client_for",
    "hook_event",
    "reads_only",
]
