"""The typed async HTTP client for the Linked API main endpoints (contract §1, §2.1–§2.8).

One ``httpx.AsyncClient``; every call goes through ``_request``, which turns each attempt into
either a parsed result or an ``Outcome`` and lets ``RetryPolicy`` decide what happens next. The
connection and the attempt itself (deadlines, transport faults) are shared with the other
backends (transport.py); what is Linked API's own here is the tokens and reading its envelope.
Response reading follows the official SDKs (contract §1.2): a 2xx body must be an envelope with
``success``; an error envelope (on any status) is the server's final word; a non-2xx without an
envelope is the transient ``httpError``.

Secrets: the tokens travel only in headers. Nothing here logs headers or bodies, error texts are
built from response bodies and exception class names, and the raw ``httpx`` exception is dropped
inside the ``except`` block (see ``retry.RetryPolicy.run``), so no token can leak via ``__cause__``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import ValidationError

from linkedapi_mcp.client.errors import (
    InvalidRequestError,
    LinkedApiError,
    RateLimitedError,
    UnknownStatusError,
    error_for,
    is_known_type,
)
from linkedapi_mcp.client.models import KNOWN_STATUSES, Envelope, WorkflowStart, WorkflowState
from linkedapi_mcp.client.retry import Fault, Outcome, RetryPolicy

# DEFAULT_ATTEMPT_DEADLINE, DEFAULT_TIMEOUT and mask_tokens moved to transport.py (shared by
# every backend); they stay importable from here, where they were first published.
from linkedapi_mcp.client.transport import (
    DEFAULT_ATTEMPT_DEADLINE,
    DEFAULT_TIMEOUT,
    HttpApiClient,
    mask_tokens,
)
from linkedapi_mcp.jsonvalues import drop_none
from linkedapi_mcp.untrusted import clean_text, clean_tree

logger = logging.getLogger("linkedapi_mcp.client")

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.linkedapi.io"

CONVERSATIONS_NOT_SYNCED = "conversationsNotSynced"


class TokenAuth(httpx.Auth):
    """Adds the two Linked API tokens to each request; its ``repr`` never shows them.

    The tokens live only here, never in the client's default header dict, so ``repr()`` of the
    client, of its headers or of this object cannot reveal them.
    """

    def __init__(self, linked_api_token: str, identification_token: str) -> None:
        self._linked_api_token = linked_api_token
        self._identification_token = identification_token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["linked-api-token"] = self._linked_api_token
        request.headers["identification-token"] = self._identification_token
        yield request

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._linked_api_token, self._identification_token) if s)

    def __repr__(self) -> str:
        return "TokenAuth(linked-api-token=***, identification-token=***)"

    __str__ = __repr__


class _MalformedResult(Exception):
    """A success envelope whose ``result`` does not have the shape the endpoint promises."""


class LinkedApiClient(HttpApiClient):
    """Async client for ``api.linkedapi.io`` (or the sandbox): workflows and direct endpoints.

    ``deadline`` arguments are absolute times on ``self.clock`` (the retry policy's monotonic
    clock); retries never sleep past them.
    """

    status_prefix = "/workflows/"  # GET /workflows/{id}: the status reads of waiting calls
    # POST /workflows. (The Account API's start, a subclass's, is not gated: in its long mode a
    # start holds its connection until the workflow ends.)
    start_paths = ("/workflows",)

    def __init__(
        self,
        *,
        linked_api_token: str,
        identification_token: str,
        base_url: str = DEFAULT_BASE_URL,
        client_name: str = "linkedapi-mcp",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        auth = TokenAuth(linked_api_token, identification_token)
        super().__init__(
            base_url=base_url,
            auth=auth,
            secrets=auth.secrets(),
            headers={"client": client_name},
            transport=transport,
            timeout=timeout,
            retry=retry,
        )

    # -- workflows -------------------------------------------------------------------------

    async def start_workflow(
        self, definition: dict[str, Any] | list[dict[str, Any]], *, deadline: float | None = None
    ) -> WorkflowStart:
        """``POST /workflows``. Never re-sent once it may have reached the server (see retry.py).

        ``deadline`` bounds the whole start: past it, a start that was sent is outcome unknown.
        """
        return await self._request(
            "POST", "/workflows", body=drop_none(definition), parse=WorkflowStart.model_validate, deadline=deadline
        )

    async def get_workflow(self, workflow_id: str, *, deadline: float | None = None) -> WorkflowState:
        """``GET /workflows/{id}``: one snapshot (pending/running/completed/failed).

        A status outside the contract's four raises :class:`UnknownStatusError` (with the raw
        value, logged at WARNING) instead of passing for "running".
        """
        state = await self._request(
            "GET", _workflow_path(workflow_id), parse=WorkflowState.model_validate, deadline=deadline
        )
        if state.workflowStatus not in KNOWN_STATUSES:
            raw = state.workflowStatus[:80]
            logger.warning("workflow %s reported an unknown status %r; reported as unknown", workflow_id, raw)
            raise UnknownStatusError(raw)
        return state

    async def cancel_workflow(self, workflow_id: str, *, deadline: float | None = None) -> bool:
        """``DELETE /workflows/{id}`` → whether it was cancelled (false e.g. when already done)."""

        def parse(result: Any) -> bool:
            if not isinstance(result, dict) or not isinstance(result.get("cancelled"), bool):
                raise _MalformedResult
            return bool(result["cancelled"])

        return await self._request("DELETE", _workflow_path(workflow_id), parse=parse, deadline=deadline)

    # -- direct endpoints --------------------------------------------------------------------

    async def poll_conversations(
        self, items: list[dict[str, Any]], *, deadline: float | None = None
    ) -> list[dict[str, Any]]:
        """``POST /conversations/poll`` (legacy): one result per requested conversation.

        [INFERRED] Like the SDK, ``conversationsNotSynced`` is not raised but returned as a result
        error. The API refuses the whole batch without saying which conversation is unsynced, so
        every requested item comes back as ``{personUrl, type, since?, messages: [], error:
        {type, message}}`` and the caller can tell the agent to sync first.
        """
        body = drop_none(items)
        try:
            return await self._request(
                "POST", "/conversations/poll", body=body, parse=_list_of_dicts, deadline=deadline
            )
        except LinkedApiError as exc:
            if exc.type != CONVERSATIONS_NOT_SYNCED:
                raise
            error = {"type": exc.type, "message": exc.message}
        return [{**item, "messages": [], "error": dict(error)} for item in body]

    async def poll_inbox(self, body: dict[str, Any], *, deadline: float | None = None) -> dict[str, Any]:
        """``POST /inbox/poll`` → ``{messages: [...]}`` (plus ``threads`` in the person view)."""
        return await self._request("POST", "/inbox/poll", body=drop_none(body), parse=_dict, deadline=deadline)

    async def poll_network(self, body: dict[str, Any], *, deadline: float | None = None) -> dict[str, Any]:
        """``POST /network/poll`` → ``{events: [...]}``."""
        return await self._request("POST", "/network/poll", body=drop_none(body), parse=_dict, deadline=deadline)

    async def get_account(self, *, deadline: float | None = None) -> dict[str, Any]:
        """``GET /account`` → ``{name, url}`` of the LinkedIn account behind the tokens."""
        return await self._request("GET", "/account", parse=_dict, deadline=deadline)

    async def get_action_stats(self, start: str, end: str, *, deadline: float | None = None) -> list[dict[str, Any]]:
        """``GET /stats/actions?start=&end=`` → executed actions in the period (≤ 30 days)."""
        path = "/stats/actions?" + urlencode({"start": start, "end": end})
        return await self._request("GET", path, parse=_list_of_dicts, deadline=deadline)

    # -- plumbing ------------------------------------------------------------------------------

    def _read(self, response: httpx.Response, parse: Callable[[Any], T]) -> T | Outcome:
        status = response.status_code
        try:
            payload: Any = response.json()
        except ValueError:
            payload = None
        envelope_error = _error_body(payload)

        if envelope_error is not None:
            kind, message = envelope_error
            kind = clean_text(kind)[:80]
            error = error_for(kind, self._scrub(clean_text(message)), http_status=status)
            if not is_known_type(kind):
                logger.warning("Linked API answered an unknown error type %r (HTTP %d)", kind, status)
            elif isinstance(error, InvalidRequestError) and kind == "invalidRequestPayload":
                logger.warning(
                    "Linked API refused a request payload as invalid (HTTP %d): our own validation probably "
                    "let something through (a validation gap): %s",
                    status,
                    error.message[:300],
                )
            if isinstance(error, RateLimitedError) or status == 429:
                return Outcome(Fault.RATE_LIMITED, status=status, error=error, retry_after=self._retry_after(response))
            return Outcome(Fault.API_ERROR, status=status, error=error)

        if not response.is_success:
            fault = Fault.RATE_LIMITED if status == 429 else Fault.HTTP_ERROR
            return Outcome(
                fault,
                status=status,
                retry_after=self._retry_after(response),
                detail=f"HTTP {status} {response.reason_phrase}".strip(),
            )

        try:
            envelope = Envelope.model_validate(payload)
            if not envelope.success or envelope.result is None:
                raise _MalformedResult
            # Everything past this point came from LinkedIn via Linked API: third-party text.
            return parse(clean_tree(envelope.result))
        except (ValidationError, _MalformedResult):
            return Outcome(Fault.MALFORMED, status=status, detail=f"HTTP {status}, unreadable body")


def _error_body(payload: Any) -> tuple[str, str] | None:
    """``(type, message)`` of an error envelope (any status), else ``None``."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("type"), str) or not error["type"]:
        return None
    if payload.get("success") is True:
        return None
    message = error.get("message")
    return error["type"], message if isinstance(message, str) else ""


def _workflow_path(workflow_id: str) -> str:
    return "/workflows/" + quote(workflow_id, safe="")


def _dict(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise _MalformedResult
    return result


def _list_of_dicts(result: Any) -> list[dict[str, Any]]:
    if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
        raise _MalformedResult
    return result


__all__ = [
    "DEFAULT_ATTEMPT_DEADLINE",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "LinkedApiClient",
    "TokenAuth",
    "drop_none",
    "mask_tokens",
]
