"""Captain Data API v3 (docs/captaindata.md) as a second workflow backend of the client.

Knows nothing of MCP. A Captain Data *job* is the long-running unit, like a Linked API workflow:
:meth:`CaptainDataClient.launch` answers its ``job_uid`` (the handle), :meth:`get_workflow` reads
its status as a :class:`~linkedapi_mcp.client.models.WorkflowState` (so the server's runner can
wait for it as for any handle) and, once it completed, collects every result page into the
completion.

Retry rules are the client's (retry.py), applied to this API's paths:

* reads (``GET``) retry on connect errors, time-outs, dropped connections, 5xx pages, malformed
  bodies and 429 (after ``Retry-After``), with capped exponential backoff;
* a launch (``POST /workflows/{uid}/schedule``) is sent once: Captain Data has no idempotency key,
  so a launch whose answer was lost (time-out, dropped connection, 5xx, malformed body) raises
  :class:`OutcomeUnknownError` and is never re-sent; a 429 raises :class:`RateLimitedError`
  (nothing was created) and the caller decides;
* a cancel (``POST /jobs/{uid}/cancel``, [INFERRED] path) is a POST too and is not re-sent blindly.

Error bodies (``error_label``/``error_scope``/``message``/``status_code``, [INFERRED] for v3) map
once, by HTTP status, onto the client's error classes (:data:`CAPTAINDATA_ERRORS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from linkedapi_mcp.client.errors import (
    AuthenticationError,
    InvalidRequestError,
    LinkedApiError,
    NotFoundError,
    RateLimitedError,
    SubscriptionError,
    UpstreamUnavailableError,
)
from linkedapi_mcp.client.models import WorkflowStart, WorkflowState
from linkedapi_mcp.client.retry import Fault, Outcome, RetryPolicy
from linkedapi_mcp.client.transport import HttpApiClient
from linkedapi_mcp.untrusted import clean_text, clean_tree

logger = logging.getLogger("linkedapi_mcp.client")

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.captaindata.co/v3"
# Statuses of a job [QS]; ``finished`` is the older name of success [ST].
RUNNING_STATUSES = frozenset({"pending", "running"})
DONE_STATUSES = frozenset({"completed", "finished"})
FAILED_STATUSES = frozenset({"warning", "shutdown", "stopped", "paused"})
# [INFERRED] at most this many result pages are collected for one job (25 rows a page in the
# sandbox): a job larger than that is reported with the rows read and ``truncated``.
MAX_RESULT_PAGES = 400

# One place where a Captain Data error chooses its class, by HTTP status [ER].
CAPTAINDATA_ERRORS: Mapping[int, type[LinkedApiError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: SubscriptionError,
    404: NotFoundError,
    422: InvalidRequestError,
}


class _KeyAuth(httpx.Auth):
    """``Authorization: x-api-key <key>`` and ``x-project-id`` on every request; repr masks both."""

    def __init__(self, api_key: str, project_id: str) -> None:
        self._api_key = api_key
        self._project_id = project_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"x-api-key {self._api_key}"
        request.headers["x-project-id"] = self._project_id
        yield request

    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,)

    def __repr__(self) -> str:
        return "_KeyAuth(api_key=***, project_id=***)"


class CaptainDataClient(HttpApiClient):
    """Async client for Captain Data API v3 (or the sandbox's emulator under ``<sandbox>/v3``).

    The connection, time-outs, deadlines and attempts are the shared ones (transport.py); what is
    Captain Data's own here is its key, its paths and the reading of its answers."""

    def __init__(
        self,
        *,
        api_key: str,
        project_id: str,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        auth = _KeyAuth(api_key, project_id)
        super().__init__(
            base_url=base_url, auth=auth, secrets=auth.secrets(), transport=transport, timeout=timeout, retry=retry
        )

    # -- workflows (templates) -------------------------------------------------------------------
    async def list_workflows(self, *, deadline: float | None = None) -> list[dict[str, Any]]:
        """The project's workflows with their steps (inputs, parameters, outputs)."""

        def parse(body: Any) -> list[dict[str, Any]]:
            workflows = body.get("workflows") if isinstance(body, dict) else body
            if not isinstance(workflows, list) or not all(isinstance(w, dict) for w in workflows):
                raise ValueError("no workflow list")
            return list(workflows)

        return await self._request("GET", "/workflows", parse=parse, deadline=deadline)

    async def get_workflow_details(self, workflow_uid: str, *, deadline: float | None = None) -> dict[str, Any]:
        return await self._request("GET", f"/workflows/{_seg(workflow_uid)}/details", parse=_dict, deadline=deadline)

    async def list_accounts(self, integration: str = "linkedin", *, deadline: float | None = None) -> dict[str, Any]:
        """Integration accounts; cookies (credentials of the account) are dropped from the answer."""
        body = await self._request("GET", f"/integrations/{_seg(integration)}/accounts", parse=_dict, deadline=deadline)
        accounts = body.get("accounts")
        if isinstance(accounts, list):
            body["accounts"] = [{k: v for k, v in a.items() if k != "cookies"} for a in accounts if isinstance(a, dict)]
        return body

    # -- jobs ------------------------------------------------------------------------------------
    async def launch(self, workflow_uid: str, body: dict[str, Any], *, deadline: float | None = None) -> str:
        """``POST /workflows/{uid}/schedule`` → the ``job_uid``. Never re-sent (module docstring)."""

        def parse(answer: Any) -> str:
            job_uid = answer.get("job_uid") if isinstance(answer, dict) else None
            if not isinstance(job_uid, str) or not job_uid:
                raise ValueError("no job_uid")
            return job_uid

        return await self._request(
            "POST", f"/workflows/{_seg(workflow_uid)}/schedule", body=body, parse=parse, deadline=deadline
        )

    async def start_workflow(self, launch: dict[str, Any], *, deadline: float | None = None) -> WorkflowStart:
        """The runner's start: ``launch`` = ``{"workflow_uid": …, "body": {…}}`` → the job as a handle."""
        job_uid = await self.launch(str(launch["workflow_uid"]), dict(launch["body"]), deadline=deadline)
        return WorkflowStart(workflowId=job_uid, workflowStatus="pending")

    async def get_job(self, job_uid: str, *, deadline: float | None = None) -> dict[str, Any]:
        return await self._request("GET", f"/jobs/{_seg(job_uid)}", parse=_dict, deadline=deadline)

    async def get_results_page(
        self, job_uid: str, cursor: str | None = None, *, deadline: float | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a job's results and the cursor of the next page (``None`` on the last)."""

        def parse(body: Any) -> tuple[list[dict[str, Any]], str | None]:
            rows = body.get("results") if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise ValueError("no results")
            paging = body.get("paging") or {}
            following = paging.get("next") if isinstance(paging, dict) and paging.get("have_next_page") else None
            return [r for r in rows if isinstance(r, dict)], following if isinstance(following, str) else None

        path = f"/jobs/{_seg(job_uid)}/results"
        if cursor:
            path += "?cursor=" + quote(cursor, safe="")
        return await self._request("GET", path, parse=parse, deadline=deadline)

    async def get_results(self, job_uid: str, *, deadline: float | None = None) -> tuple[list[dict[str, Any]], bool]:
        """Every result row of a job (page after page) and whether the page cap cut it short."""
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_RESULT_PAGES):
            page, cursor = await self.get_results_page(job_uid, cursor, deadline=deadline)
            rows.extend(page)
            if cursor is None:
                return rows, False
        return rows, True

    async def get_workflow(self, job_uid: str, *, deadline: float | None = None) -> WorkflowState:
        """The job as the runner sees any workflow: pending/running, completed with its rows as the
        completion (``{"job": …, "results": [...], "truncated": bool}``), or failed."""
        job = await self.get_job(job_uid, deadline=deadline)
        status = str(job.get("status", ""))
        if status in RUNNING_STATUSES:
            return WorkflowState(workflowStatus=status)
        if status in DONE_STATUSES:
            rows, truncated = await self.get_results(job_uid, deadline=deadline)
            return WorkflowState(
                workflowStatus="completed", completion={"job": job, "results": rows, "truncated": truncated}
            )
        if status in FAILED_STATUSES:
            message = job.get("error_message") or f"The Captain Data job ended with status '{status}'."
            return WorkflowState.model_validate(
                {"workflowStatus": "failed", "failure": {"reason": f"captainData.{status}", "message": message}}
            )
        # [INFERRED] a status outside the documented ones is reported as failed-unknown, never running.
        logger.warning("Captain Data job %s reported an unknown status %r", job_uid, status[:80])
        return WorkflowState.model_validate(
            {"workflowStatus": "failed", "failure": {"reason": "captainData.unknownStatus", "message": status[:80]}}
        )

    async def cancel_workflow(self, job_uid: str, *, deadline: float | None = None) -> bool:
        """Stop a job ([INFERRED] ``POST /jobs/{uid}/cancel``) → whether it is now stopped."""
        job = await self._request("POST", f"/jobs/{_seg(job_uid)}/cancel", parse=_dict, deadline=deadline)
        return job.get("status") == "stopped"

    # -- transport -------------------------------------------------------------------------------
    async def _request(
        self, method: str, path: str, *, parse: Callable[[Any], T], body: Any = None, deadline: float | None = None
    ) -> T:
        try:
            return await super()._request(method, path, parse=parse, body=body, deadline=deadline)
        except UpstreamUnavailableError as exc:
            # retry.py words its errors for Linked API; this backend is Captain Data.
            raise UpstreamUnavailableError(
                exc.type, exc.message.replace("Linked API", "Captain Data"), http_status=exc.http_status
            ) from None

    def _read(self, response: httpx.Response, parse: Callable[[Any], T]) -> T | Outcome:
        status = response.status_code
        try:
            payload: Any = response.json()
        except ValueError:
            payload = None
        retry_after = self._retry_after(response)
        label = payload.get("error_label") if isinstance(payload, dict) else None
        if status == 429:
            message = _message(payload) or "Captain Data is rate limiting requests; try again later."
            error = RateLimitedError("tooManyRequests", self._scrub(message), http_status=429, retry_after=retry_after)
            return Outcome(Fault.RATE_LIMITED, status=status, error=error, retry_after=retry_after)
        # A labelled 4xx is the server's final word; a 5xx (labelled or not) is transient for a read
        # and outcome unknown for a launch [ER: "500 … retry with backoff"].
        if isinstance(label, str) and label and 400 <= status < 500:
            kind = clean_text(label)[:80]
            cls = CAPTAINDATA_ERRORS.get(status, LinkedApiError)
            refusal = cls(kind, self._scrub(clean_text(_message(payload))), http_status=status)
            return Outcome(Fault.API_ERROR, status=status, error=refusal)
        if not response.is_success:
            return Outcome(
                Fault.HTTP_ERROR,
                status=status,
                retry_after=retry_after,
                detail=f"HTTP {status} {response.reason_phrase}",
            )
        try:
            # Everything past this point came from LinkedIn via Captain Data: third-party text.
            return parse(clean_tree(payload))
        except (ValueError, TypeError, AttributeError):
            return Outcome(Fault.MALFORMED, status=status, detail=f"HTTP {status}, unreadable body")


def _message(payload: Any) -> str:
    message = payload.get("message") if isinstance(payload, dict) else None
    return message if isinstance(message, str) else ""


def _dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("not an object")
    return body


def _seg(value: str) -> str:
    return quote(value, safe="")


def client_for(
    api_key: str, project_id: str, *, base_url: str | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> CaptainDataClient:
    return CaptainDataClient(
        api_key=api_key, project_id=project_id, base_url=base_url or DEFAULT_BASE_URL, transport=transport
    )


__all__ = ["CAPTAINDATA_ERRORS", "DEFAULT_BASE_URL", "CaptainDataClient", "client_for"]
