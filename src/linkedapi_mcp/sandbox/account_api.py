"""The Account API generation (origin documents 000 and 002) beside ``/workflows``.

Same world, same scheduler, same workflow language: only the door differs.

* ``POST /account/workflow`` takes a workflow definition; the ``result-handling`` header picks how
  the result comes back: ``long`` (the default when the header is absent) holds the response until
  the workflow ends, ``reslink`` answers at once with a result link to poll, ``hook`` answers at
  once and POSTs the final body to the URL in the ``webhook`` header.
* ``GET /account/results/{hash}`` answers the running body again until the workflow ends, then
  its final body.

Two vocabularies (``SandboxConfig.account_api``, ``--account-api 000|002``):

=========  ==========================================  ==========================================
           ``000`` (later, the default)                ``002`` (earlier)
=========  ==========================================  ==========================================
done       ``{"status": "completed", "completion"}``   ``{"status": "complete", "completion"}``
running    ``{"status": "running", "progress": {…}}``  ``{"status": "processing", "process": {…}}``
failed     ``{"status": "failed", "error": {type}}``   ``{"status": "error", "error": {errorType}}``
link       full URL ``<base>/account/results/<hash>``  a short hash
=========  ==========================================  ==========================================

Auth is that generation's: ``account-api-token`` (checked like today's ``linked-api-token``) and
``identification-token``. There is no envelope (``success``) and no cancel.

[INFERRED] choices (the origin documents show bodies, not statuses or edge cases):

* HTTP statuses: 200 for every workflow outcome (completed *or* failed workflow, running);
  request-level refusals keep the statuses of the current API in this sandbox (401 tokens, 400 bad
  definition or headers, 403 plan, 409 working hours "reject", 404 unknown result link).
* A refused definition is ``invalidWorkflow`` in 000 and ``invalidRequestBody`` ("The request body
  is invalid: …") in 002; tokens give ``accountApiTokenRequired`` / ``invalidAccountApiToken`` /
  ``identificationTokenRequired`` / ``invalidIdentificationToken``.
* An unknown ``result-handling`` value is ``invalidResultHandling``; a missing or unusable
  ``webhook`` header with ``hook`` is ``invalidWebhook`` (same URL rules as the Admin API's webhooks).
* 002 shows ``"webhook": ""`` in its accepted body, most likely an elided value: the sandbox echoes
  the URL in both vocabularies.
* An unknown result hash answers 404 with ``resultNotFound``.
* The result hash is derived from the workflow id (32 hex characters in 000, the first 16 in 002),
  so links survive a persistent sandbox's restart without extra state.
* Hook deliveries: one POST of the final body (``Content-Type: application/json``, no signature:
  neither document mentions one), any 2xx acknowledges, otherwise retried with the webhook
  settings' backoff (``webhook_max_attempts`` …) like the current API's deliveries. Pending hooks
  live in memory only: a persistent (embedded) sandbox that restarts forgets them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

import anyio
import anyio.to_thread
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from linkedapi_mcp.actions import WorkflowDefinitionError, iter_actions, validate_definition

from .errors import SandboxRequestError
from .scheduler import WorkflowRecord
from .webhooks import check_url

if TYPE_CHECKING:
    from .state import SandboxState

logger = logging.getLogger(__name__)

AccountApiVersion = Literal["000", "002"]
ACCOUNT_API_VERSIONS: tuple[str, ...] = get_args(AccountApiVersion)
ResultHandling = Literal["long", "reslink", "hook"]
RESULT_HANDLINGS: tuple[str, ...] = get_args(ResultHandling)

START_PATH = "/account/workflow"
RESULTS_PREFIX = "/account/results/"
# The fault kind (faults.py) that makes the next accepted start answer an unusable result link.
MALFORMED_LINK_FAULT = "malformedResultLink"
MALFORMED_LINK = "{someHash}"  # the documents' own placeholder, never expanded

TOKEN_MESSAGES = {
    "accountApiTokenRequired": "'account-api-token' is missing in request headers.",
    "invalidAccountApiToken": "The provided 'account-api-token' is invalid.",
    "identificationTokenRequired": "'identification-token' is missing in request headers.",
    "invalidIdentificationToken": "The provided 'identification-token' is invalid.",
}
PLUS_PLAN_MESSAGE = "Some actions in this workflow require the Plus plan."
OUTSIDE_HOURS_MESSAGE = (
    "The account is outside its working hours and its off-hours policy refuses new work. "
    "Retry once the working hours reopen, or ask the owner to change the off-hours policy."
)


@dataclass(frozen=True)
class Vocabulary:
    """The words of one generation."""

    completed: str
    running: str
    failed: str
    progress_key: str
    error_key: str
    link_message: str
    poll_message: str
    hook_message: str
    invalid_body: str
    full_links: bool

    def final(self, record: WorkflowRecord) -> dict[str, Any]:
        if record.status == "completed":
            return {"status": self.completed, "completion": record.completion}
        failure = record.failure or {"reason": "unexpectedError", "message": "An unexpected error occurred."}
        return self.error(failure["reason"], failure["message"])

    def error(self, type: str, message: str) -> dict[str, Any]:
        return {"status": self.failed, "error": {self.error_key: type, "message": message}}

    def running_link(self, link: str, *, polled: bool) -> dict[str, Any]:
        message = self.poll_message if polled else self.link_message
        return {"status": self.running, self.progress_key: {"message": message, "resultLink": link}}

    def running_hook(self, url: str) -> dict[str, Any]:
        return {"status": self.running, self.progress_key: {"message": self.hook_message, "webhook": url}}


VOCABULARIES: dict[str, Vocabulary] = {
    # origin/000: POST /account/workflow, completed/running/failed, progress.resultLink a full URL.
    "000": Vocabulary(
        completed="completed",
        running="running",
        failed="failed",
        progress_key="progress",
        error_key="type",
        link_message="Your workflow is running. Please check the resultLink periodically.",
        poll_message="Your workflow is running. Please check the resultLink periodically.",
        hook_message="Your workflow is running. The result will be sent to the webhook.",
        invalid_body="invalidWorkflow",
        full_links=True,
    ),
    # origin/002: complete/processing/error, process.resultLink a short hash, error.errorType.
    "002": Vocabulary(
        completed="complete",
        running="processing",
        failed="error",
        progress_key="process",
        error_key="errorType",
        link_message="Your request is being processed. Please check the resultLink periodically.",
        poll_message="Your request is being processed. Please check the resultLink later.",
        hook_message="Your request is being processed. The result will be sent to the webhook.",
        invalid_body="invalidRequestBody",
        full_links=False,
    ),
}


def check_version(value: str) -> AccountApiVersion:
    if value not in ACCOUNT_API_VERSIONS:
        raise ValueError(f"account API version must be one of {', '.join(ACCOUNT_API_VERSIONS)}")
    return "002" if value == "002" else "000"


def result_hash(workflow_id: str, version: str) -> str:
    """The result link's hash of a workflow (derived, so no table has to be kept or persisted)."""
    hexed = workflow_id.removeprefix("wf-").replace("-", "")
    return hexed if version == "000" else hexed[:16]


@dataclass
class HookDelivery:
    """One webhook delivery of a final body (the introspection view is :meth:`to_json`)."""

    workflow_id: str
    url: str
    body: bytes
    status: str = "pending"  # pending | success | failed
    attempts: int = 0
    response_status_code: int | None = None
    last_error: str | None = None
    due: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "workflowId": self.workflow_id,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
            "responseStatusCode": self.response_status_code,
            "lastError": self.last_error,
        }


class AccountApi:
    """The Account API routes of one sandbox, plus its hook deliveries (a daemon thread that runs
    only while a hook waits for its workflow or a delivery is due)."""

    def __init__(self, sandbox: SandboxState, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.sandbox = sandbox
        self._monotonic = monotonic
        self._cond = threading.Condition(threading.Lock())
        self._hooks: dict[str, tuple[str, str]] = {}  # workflow id → (url, version)
        self._queue: list[HookDelivery] = []
        self._log: list[HookDelivery] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self.held = 0  # long responses being held right now (tests order on it)
        check_version(str(getattr(sandbox.config, "account_api", "000")))

    @property
    def version(self) -> AccountApiVersion:
        return check_version(str(getattr(self.sandbox.config, "account_api", "000")))

    @property
    def words(self) -> Vocabulary:
        return VOCABULARIES[self.version]

    def link_for(self, record: WorkflowRecord) -> str:
        digest = result_hash(record.id, self.version)
        if self.words.full_links:
            return f"{self.sandbox.base_url.rstrip('/')}{RESULTS_PREFIX}{digest}"
        return digest

    def find(self, digest: str) -> WorkflowRecord | None:
        if not digest or len(digest) not in (16, 32):
            return None
        for record in self.sandbox.scheduler.all():
            if result_hash(record.id, "000").startswith(digest):
                return record
        return None

    # -- routes -------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route(START_PATH, self._start, methods=["POST"]),
            Route(RESULTS_PREFIX + "{digest}", self._result, methods=["GET"]),
        ]

    def _answer(self, body: dict[str, Any], status: int = 200) -> Response:
        return JSONResponse(body, status)

    def _refusal(self, exc: SandboxRequestError) -> Response:
        return self._answer(self.words.error(exc.type, exc.message), exc.status)

    async def _start(self, request: Request) -> Response:
        sandbox = self.sandbox
        words = self.words
        try:
            self._check_tokens(request)
            mode = self._mode(request)
            webhook = self._webhook(request) if mode == "hook" else None
            definition = await self._definition(request)
            with sandbox.lock:
                if sandbox.config.seat == "core" and any(a.startswith("nv.") for a in iter_actions(definition)):
                    raise SandboxRequestError("plusPlanRequired", PLUS_PLAN_MESSAGE, 403)
                now = sandbox.sync()
                hours = sandbox.scheduler.working_hours
                if hours is not None and hours.policy == "reject" and not hours.is_open(now):
                    raise SandboxRequestError("outsideWorkingHours", OUTSIDE_HOURS_MESSAGE, 409)
                record = sandbox.scheduler.submit(definition, now)
                sandbox.sync()
        except SandboxRequestError as exc:
            return self._refusal(exc)
        await self._persist()
        if mode == "reslink":
            broken = request.scope.get("sandbox.fault") == MALFORMED_LINK_FAULT
            return self._answer(words.running_link(MALFORMED_LINK if broken else self.link_for(record), polled=False))
        if mode == "hook":
            assert webhook is not None
            self._register(record.id, webhook)
            return self._answer(words.running_hook(webhook))
        return self._answer(await self._hold(record.id))

    async def _result(self, request: Request) -> Response:
        sandbox = self.sandbox
        try:
            self._check_tokens(request)
            with sandbox.lock:
                sandbox.sync()
                record = self.find(request.path_params["digest"])
                if record is None:
                    raise SandboxRequestError("resultNotFound", "No workflow result is known for this link.", 404)
                if record.terminal:
                    body = self.words.final(record)
                else:
                    body = self.words.running_link(self.link_for(record), polled=True)
        except SandboxRequestError as exc:
            return self._refusal(exc)
        await self._persist()
        return self._answer(body)

    async def _persist(self) -> None:
        if self.sandbox.persist_to is not None:
            await anyio.to_thread.run_sync(self.sandbox.after_request)

    def _check_tokens(self, request: Request) -> None:
        config = self.sandbox.config
        _check_token(request, "account-api-token", "AccountApiToken", config.linked_api_token)
        expected = self.sandbox.admin.regenerated_token or config.identification_token
        _check_token(request, "identification-token", "IdentificationToken", expected)

    def _mode(self, request: Request) -> ResultHandling:
        raw = request.headers.get("result-handling")
        value = "long" if raw is None or not raw.strip() else raw.strip().lower()
        if value == "reslink":
            return "reslink"
        if value == "hook":
            return "hook"
        if value == "long":
            return "long"
        raise SandboxRequestError(
            "invalidResultHandling", "The 'result-handling' header must be one of: long, reslink, hook.", 400
        )

    def _webhook(self, request: Request) -> str:
        try:
            return check_url(request.headers.get("webhook"))
        except SandboxRequestError as exc:
            detail = exc.message.removeprefix("Request payload is invalid: ").replace("'url'", "The 'webhook' header")
            raise SandboxRequestError("invalidWebhook", detail, 400) from None

    async def _definition(self, request: Request) -> Any:
        words = self.words
        raw = await request.body()
        try:
            definition = json.loads(raw) if raw.strip() else None
        except ValueError:
            definition = None
            problem = "the body is not valid JSON"
        else:
            problem = "the body is empty" if definition is None else ""
        if not problem:
            try:
                validate_definition(definition)
            except WorkflowDefinitionError as exc:
                problem = exc.message
        if not problem:
            return definition
        if words.invalid_body == "invalidRequestBody":
            raise SandboxRequestError("invalidRequestBody", f"The request body is invalid: {problem.rstrip('.')}.", 400)
        raise SandboxRequestError("invalidWorkflow", problem, 400)

    # -- long: hold the answer until the workflow ends -------------------------------------------------
    async def _hold(self, workflow_id: str) -> dict[str, Any]:
        """The final body, once the workflow ends on the virtual clock.

        No background work: each look syncs the state; between looks it sleeps until the
        workflow's planned end on a running clock (at most 0.1 s, so a jump of the clock or a
        sign-out is noticed), or 0.02 s on a frozen clock (only ``advance`` moves it then).
        Cut by the sandbox's faults (``dropAfterAccept``, ``slow`` past the client's read time-out)
        like any other answer.
        """
        sandbox = self.sandbox
        self.held += 1
        try:
            while True:
                with sandbox.lock:
                    now = sandbox.sync()
                    record = sandbox.scheduler.get(workflow_id)
                    if record is None:  # the sandbox was reset under the held request
                        return self.words.error("unexpectedError", "The workflow was lost.")
                    if record.terminal:
                        return self.words.final(record)
                    wait = _real_wait(record.finish_at, now, sandbox.clock.speed)
                await anyio.sleep(wait)
        finally:
            self.held -= 1

    # -- hook: deliver the final body ------------------------------------------------------------------
    def _register(self, workflow_id: str, url: str) -> None:
        with self._cond:
            self._hooks[workflow_id] = (url, self.version)
            self._start_thread()
            self._cond.notify_all()

    def deliveries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [delivery.to_json() for delivery in self._log]

    def close(self, *, wait: float | None = None) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        thread = self._thread
        if wait is not None and thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    def _start_thread(self) -> None:
        if self._closed or (self._thread is not None and self._thread.is_alive()):
            return
        self._thread = threading.Thread(target=self._run, name="linkedapi-sandbox-account-hooks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        config = self.sandbox.config
        with httpx.Client(timeout=config.webhook_timeout_seconds, follow_redirects=False) as client:
            while True:
                self._collect_finished()
                with self._cond:
                    if self._closed:
                        return
                    delivery = self._take_due()
                    if delivery is None:
                        if not self._hooks and not self._queue:
                            self._thread = None
                            return
                        self._cond.wait(self._idle_time())
                        continue
                self._send(client, delivery)

    def _collect_finished(self) -> None:
        """Queue the final body of every hooked workflow that has ended (lock order: state, then ours)."""
        sandbox = self.sandbox
        with self._cond:
            if not self._hooks:
                return
        with sandbox.lock:
            if sandbox.clock.speed > 0:
                sandbox.sync()
            with self._cond:
                for workflow_id, (url, version) in list(self._hooks.items()):
                    record = sandbox.scheduler.get(workflow_id)
                    if record is None:  # reset meanwhile: nothing to tell
                        del self._hooks[workflow_id]
                        continue
                    if not record.terminal:
                        continue
                    del self._hooks[workflow_id]
                    body = json.dumps(VOCABULARIES[version].final(record), ensure_ascii=False).encode("utf-8")
                    delivery = HookDelivery(workflow_id, url, body, due=self._monotonic())
                    self._queue.append(delivery)
                    self._log.append(delivery)
                    del self._log[:-1000]

    def _take_due(self) -> HookDelivery | None:
        now = self._monotonic()
        delivery = next((d for d in self._queue if d.due <= now), None)
        if delivery is not None:
            self._queue.remove(delivery)
            delivery.attempts += 1
        return delivery

    def _idle_time(self) -> float:
        config = self.sandbox.config
        now = self._monotonic()
        waits = [max(d.due - now, 0.0) for d in self._queue]
        if self._hooks:
            waits.append(config.webhook_sync_seconds)
        return min(waits) if waits else config.webhook_sync_seconds

    def _send(self, client: httpx.Client, delivery: HookDelivery) -> None:
        config = self.sandbox.config
        status: int | None = None
        error: str | None = None
        try:
            response = client.post(delivery.url, content=delivery.body, headers={"content-type": "application/json"})
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        with self._cond:
            delivery.response_status_code = status
            delivery.last_error = error
            if error is None:
                delivery.status = "success"
            elif delivery.attempts >= config.webhook_max_attempts or self._closed:
                delivery.status = "failed"
            else:
                backoff = config.webhook_retry_base_seconds * 2 ** (delivery.attempts - 1)
                delivery.due = self._monotonic() + min(backoff, config.webhook_retry_max_seconds)
                self._queue.append(delivery)
            self._cond.notify_all()


def _real_wait(finish_at: datetime | None, now: datetime, speed: float) -> float:
    if speed <= 0:
        return 0.02
    if finish_at is None:  # still queued: its start is near on a running clock
        return 0.01
    return min(max((finish_at - now).total_seconds() / speed, 0.001), 0.1)


def _check_token(request: Request, header: str, suffix: str, expected: str | None) -> None:
    value = request.headers.get(header)
    name = suffix[0].lower() + suffix[1:]
    if value is None or not value.strip():
        raise SandboxRequestError(f"{name}Required", TOKEN_MESSAGES[f"{name}Required"], 401)
    if expected is not None and value != expected:
        raise SandboxRequestError(f"invalid{suffix}", TOKEN_MESSAGES[f"invalid{suffix}"], 401)


__all__ = [
    "ACCOUNT_API_VERSIONS",
    "MALFORMED_LINK",
    "MALFORMED_LINK_FAULT",
    "RESULT_HANDLINGS",
    "VOCABULARIES",
    "AccountApi",
    "AccountApiVersion",
    "HookDelivery",
    "ResultHandling",
    "Vocabulary",
    "check_version",
    "result_hash",
]
