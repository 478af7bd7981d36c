"""A Captain Data API v3 emulator beside the Linked API one (docs/captaindata.md).

Same process, same synthetic world, same virtual clock and scheduler: a Captain Data *job* is one
Linked API workflow (a list of actions, one per input row) queued on the account's scheduler, so it
waits its turn, runs over virtual time, honours the working hours, and its effects (a sent
message) land in the world. Only the door differs:

* ``GET  /v3/workflows`` and ``GET /v3/workflows/{uid}/details``: the project's workflow templates;
* ``POST /v3/workflows/{uid}/schedule``: launch a job (``job_name``, ``inputs``, ``steps``);
* ``GET  /v3/workflows/{uid}/jobs?page=N``, ``GET /v3/jobs/{job_uid}``: jobs and their status;
* ``GET  /v3/jobs/{job_uid}/results?cursor=…``: result rows, a page at a time;
* ``POST /v3/jobs/{job_uid}/cancel``: stop a job that has not ended;
* ``GET  /v3/integrations/linkedin/accounts``: the integration account (the sandbox's "me").

Faults (:mod:`.faults`) and the request log apply as for every API path: the fault layer of
:mod:`.app` wraps these routes too.

[INFERRED] choices (what docs/captaindata.md marks so): the error body (the later APIs'
``error_label``/``error_scope``/``error_ref``/``message``/``status_code``/``params``), the cancel
path, the templates list, cursor paging of results (``paging.have_next_page``/``paging.next``,
25 rows a page), job statuses derived from per-input outcomes, the job fields beyond ``status``
and ``error_message``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .clock import format_time
from .scheduler import CANCELLED_REASON, WorkflowRecord

if TYPE_CHECKING:
    from .state import SandboxState

logger = logging.getLogger(__name__)

PREFIX = "/v3"
PAGE_SIZE = 25  # [INFERRED] rows per results page
JOBS_PAGE_SIZE = 20  # [INFERRED] jobs per page of a workflow's job list
MAX_INPUTS = 100  # [INFERRED] input rows per job
MAX_RESULTS = 100  # the templates' ``max_results`` ceiling
SCHEDULED_MESSAGE = "Bot successfully scheduled."  # [LW]
PROFILE_URL = re.compile(r"^https://(www\.)?linkedin\.com/in/[^/?#\s]+/?$")
COMPANY_URL = re.compile(r"^https://(www\.)?linkedin\.com/company/[^/?#\s]+/?$")
_NAMESPACE = uuid.UUID("6f1c1e52-1c7e-4b0a-9d0e-4f7c2a9b5d10")


class CaptainDataError(Exception):
    """A request-level refusal, answered with Captain Data's error body."""

    def __init__(self, label: str, message: str, status: int = 400, scope: str = "input") -> None:
        super().__init__(message)
        self.label = label
        self.message = message
        self.status = status
        self.scope = scope

    def response(self) -> Response:
        body = {
            "error_label": self.label,
            "error_scope": self.scope,
            "error_ref": f"ERR-{uuid.uuid4().hex[:8].upper()}",
            "message": self.message,
            "status_code": self.status,
            "params": {},
        }
        return JSONResponse(body, self.status)


# ---------------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class InputKey:
    name: str
    help: str
    pattern: re.Pattern[str] | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Template:
    permalink: str
    name: str
    step_name: str
    inputs: tuple[InputKey, ...]
    output_schema: tuple[str, ...]
    parameters: dict[str, int] = field(default_factory=dict)  # name → default
    read_only: bool = True

    def action(self, row: dict[str, Any], parameters: dict[str, int]) -> dict[str, Any]:
        """The Linked API action that does this template's work for one input row."""
        limit = parameters.get("max_results", 0)
        if self.permalink == "extract-linkedin-people-profile":
            return {"actionType": "st.openPersonPage", "basicInfo": True, "personUrl": row["linkedin_profile_url"]}
        if self.permalink == "search-linkedin-people":
            return {"actionType": "st.searchPeople", "term": row["keywords"], "limit": limit}
        if self.permalink == "extract-linkedin-company-employees":
            return {
                "actionType": "st.openCompanyPage",
                "basicInfo": False,
                "companyUrl": row["linkedin_company_url"],
                "then": [{"actionType": "st.retrieveCompanyEmployees", "limit": limit}],
            }
        return {"actionType": "st.sendMessage", "personUrl": row["linkedin_profile_url"], "text": row["message"]}

    def rows(self, row: dict[str, Any], outcome: dict[str, Any]) -> list[dict[str, Any]]:
        """Result rows of one successful input (an action result of the completion)."""
        data = outcome.get("data")
        if self.permalink == "extract-linkedin-people-profile":
            return [_person(data or {})]
        if self.permalink == "search-linkedin-people":
            return [_person(item) for item in data or []]
        if self.permalink == "extract-linkedin-company-employees":
            employees: list[dict[str, Any]] = []
            for child in (data or {}).get("then", []):
                if child.get("success"):
                    employees.extend(_person(item) for item in child.get("data") or [])
            return employees
        return [{"linkedin_profile_url": row["linkedin_profile_url"], "message": row["message"], "status": "sent"}]

    def step_uid(self, seed: int) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{seed}:step:{self.permalink}"))

    def uid(self, seed: int) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{seed}:workflow:{self.permalink}"))

    def details(self, seed: int) -> dict[str, Any]:
        """The answer of ``GET /workflows/{uid}/details`` [GW], plus ``x-read-only`` (ours)."""
        input_schema = {
            key.name: {"required": 1, "primary": index == 0, "help": key.help, "variations": []}
            for index, key in enumerate(self.inputs)
        }
        return {
            "name": self.name,
            "uid": self.uid(seed),
            "x-read-only": self.read_only,
            "steps": [
                {
                    "step_uid": self.step_uid(seed),
                    "step_name": self.step_name,
                    "position": 0,
                    "permalink": self.permalink,
                    "integrations": ["linkedin"],
                    "input_schema": input_schema,
                    "output_schema": list(self.output_schema),
                    "parameters_schema": {"properties": dict(self.parameters)},
                }
            ],
        }


_PERSON_FIELDS = (
    "linkedin_profile_url",
    "linkedin_profile_id",
    "full_name",
    "first_name",
    "last_name",
    "headline",
    "job_title",
    "company_name",
    "location",
    "connection_degree",
)


def _person(data: dict[str, Any]) -> dict[str, Any]:
    name = str(data.get("name") or "")
    first, _, last = name.partition(" ")
    return {
        "linkedin_profile_url": data.get("publicUrl"),
        "linkedin_profile_id": data.get("urn"),
        "full_name": name or None,
        "first_name": first or None,
        "last_name": last or None,
        "headline": data.get("headline"),
        "job_title": data.get("position"),
        "company_name": data.get("companyName"),
        "location": data.get("location"),
        "connection_degree": (data.get("viewerState") or {}).get("connectionDegree"),
    }


TEMPLATES: tuple[Template, ...] = (
    Template(
        permalink="extract-linkedin-people-profile",
        name="Extract LinkedIn People Profile",
        step_name="Extract LinkedIn People Profile",
        inputs=(
            InputKey("linkedin_profile_url", "A LinkedIn profile URL: https://www.linkedin.com/in/…", PROFILE_URL),
        ),
        output_schema=_PERSON_FIELDS,
    ),
    Template(
        permalink="search-linkedin-people",
        name="Search LinkedIn People",
        step_name="Search LinkedIn People",
        inputs=(InputKey("keywords", "Keywords of a LinkedIn people search.", max_length=200),),
        output_schema=_PERSON_FIELDS,
        parameters={"max_results": 50},
    ),
    Template(
        permalink="extract-linkedin-company-employees",
        name="Extract LinkedIn Company Employees",
        step_name="Extract LinkedIn Company Employees",
        inputs=(
            InputKey("linkedin_company_url", "A LinkedIn company URL: https://www.linkedin.com/company/…", COMPANY_URL),
        ),
        output_schema=_PERSON_FIELDS,
        parameters={"max_results": 50},
    ),
    Template(
        permalink="send-linkedin-message",
        name="Send LinkedIn Message",
        step_name="Send LinkedIn Message",
        inputs=(
            InputKey("linkedin_profile_url", "The LinkedIn profile URL of a 1st-degree connection.", PROFILE_URL),
            InputKey("message", "The text of the message.", max_length=8000),
        ),
        output_schema=("linkedin_profile_url", "message", "status"),
        read_only=False,
    ),
)


# ---------------------------------------------------------------------------------------------------
# Jobs


@dataclass
class Job:
    uid: str
    name: str
    permalink: str
    workflow_uid: str
    record_id: str
    rows: list[dict[str, Any]]
    metas: list[Any]

    @property
    def template(self) -> Template:
        return next(t for t in TEMPLATES if t.permalink == self.permalink)


# Jobs live on the scheduler they were queued on (an attribute of ours): a persistent sandbox
# pickles the scheduler, so its jobs survive a restart, and a reset (a new scheduler) forgets them
# together with their workflows — workflow ids are drawn from the seed, so a job kept elsewhere
# could point at a new workflow of the same id after a reset.
JOBS_ATTRIBUTE = "captaindata_jobs"


class CaptainData:
    """The emulator's state (templates, jobs) and its routes, over a :class:`SandboxState`.

    ``api_key`` / ``project_id``: ``None`` accepts any non-empty value (as the Linked API side does
    with unpinned tokens); set them to check the headers exactly.
    """

    def __init__(self, sandbox: SandboxState, *, api_key: str | None = None, project_id: str | None = None) -> None:
        self.sandbox = sandbox
        self.api_key = api_key
        self.project_id = project_id

    @property
    def _jobs(self) -> dict[str, Job]:
        scheduler = self.sandbox.scheduler
        jobs: dict[str, Job] | None = getattr(scheduler, JOBS_ATTRIBUTE, None)
        if jobs is None:
            jobs = {}
            setattr(scheduler, JOBS_ATTRIBUTE, jobs)
        return jobs

    # -- state --------------------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return int(self.sandbox.config.seed)

    def templates(self) -> dict[str, Template]:
        return {template.uid(self.seed): template for template in TEMPLATES}

    def template_uid(self, permalink: str) -> str:
        """The workflow UID of a template in this sandbox (tests and docs)."""
        return next(t.uid(self.seed) for t in TEMPLATES if t.permalink == permalink)

    def account_uid(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.seed}:account:linkedin"))

    def _job(self, job_uid: str) -> tuple[Job, WorkflowRecord]:
        job = self._jobs.get(job_uid)
        record = self.sandbox.scheduler.get(job.record_id) if job is not None else None
        if job is None or record is None:
            raise CaptainDataError("JOB_NOT_FOUND", f"Job '{job_uid}' was not found.", 404, "param")
        return job, record

    def _status(self, job: Job, record: WorkflowRecord) -> tuple[str, str | None]:
        """Captain Data's status and error_message of a job from its workflow ([INFERRED] mapping)."""
        if record.status in ("pending", "running"):
            return record.status, None
        if record.status == "failed":
            failure = record.failure or {}
            reason = failure.get("reason", "")
            message = failure.get("message")
            if reason == CANCELLED_REASON:
                return "stopped", None
            if reason == "linkedinAccountSignedOut":
                return "paused", message
            return "shutdown", message
        outcomes = record.completion if isinstance(record.completion, list) else [record.completion]
        failed = [o for o in outcomes if not (isinstance(o, dict) and o.get("success"))]
        if outcomes and len(failed) == len(outcomes):
            first = failed[0].get("error", {}) if isinstance(failed[0], dict) else {}
            return "warning", str(first.get("message") or "Every input failed.")
        return "completed", None

    def _rows(self, job: Job, record: WorkflowRecord) -> list[dict[str, Any]]:
        if record.status != "completed":
            return []
        outcomes = record.completion if isinstance(record.completion, list) else [record.completion]
        rows: list[dict[str, Any]] = []
        for row, meta, outcome in zip(job.rows, job.metas, outcomes, strict=False):
            if not (isinstance(outcome, dict) and outcome.get("success")):
                continue
            for result in job.template.rows(row, outcome):
                if meta is not None:
                    result = {**result, "meta": meta}
                rows.append(result)
        return rows

    def _job_json(self, job: Job, record: WorkflowRecord) -> dict[str, Any]:
        status, error = self._status(job, record)
        return {
            "uid": job.uid,
            "name": job.name,
            "status": status,
            "error_message": error,
            "workflow_uid": job.workflow_uid,
            "workflow_name": job.template.name,
            "created_at": format_time(record.created_at),
            "started_at": format_time(record.started_at) if record.started_at else None,
            "finished_at": format_time(record.finished_at) if record.finished_at else None,
            "inputs_count": len(job.rows),
            "results_count": len(self._rows(job, record)),
        }

    # -- HTTP ---------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        wrap = self._endpoint
        return [
            Route(PREFIX + "/workflows", wrap(self._list_workflows), methods=["GET"]),
            Route(PREFIX + "/workflows/{uid}/details", wrap(self._details), methods=["GET"]),
            Route(PREFIX + "/workflows/{uid}/schedule", wrap(self._schedule), methods=["POST"]),
            Route(PREFIX + "/workflows/{uid}/jobs", wrap(self._workflow_jobs), methods=["GET"]),
            Route(PREFIX + "/jobs/{job_uid}", wrap(self._get_job), methods=["GET"]),
            Route(PREFIX + "/jobs/{job_uid}/results", wrap(self._results), methods=["GET"]),
            Route(PREFIX + "/jobs/{job_uid}/cancel", wrap(self._cancel), methods=["POST"]),
            Route(PREFIX + "/integrations/{integration}/accounts", wrap(self._accounts), methods=["GET"]),
        ]

    def _endpoint(self, handler: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                self._check_auth(request)
                body = await handler(request)
                if self.sandbox.persist_to is not None:
                    await anyio.to_thread.run_sync(self.sandbox.after_request)
            except CaptainDataError as exc:
                return exc.response()
            except Exception:
                logger.exception("captain data emulator failed on %s %s", request.method, request.url.path)
                return CaptainDataError("INTERNAL_ERROR", "Internal server error.", 500, "server").response()
            return JSONResponse(body)

        return endpoint

    def _check_auth(self, request: Request) -> None:
        header = request.headers.get("authorization", "").strip()
        # [WL] documents "Authorization: x-api-key <key>"; the generated cURL of [LW] sends the bare key.
        key = header[len("x-api-key") :].strip() if header.lower().startswith("x-api-key") else header
        if not key:
            raise CaptainDataError(
                "UNAUTHORIZED", "The Authorization header must hold 'x-api-key <API key>'.", 401, "auth"
            )
        if self.api_key is not None and key != self.api_key:
            raise CaptainDataError("UNAUTHORIZED", "The API key is invalid.", 401, "auth")
        project = request.headers.get("x-project-id", "").strip()
        if not project:
            raise CaptainDataError("UNAUTHORIZED", "The 'x-project-id' header is missing.", 401, "auth")
        if self.project_id is not None and project != self.project_id:
            raise CaptainDataError("PROJECT_NOT_FOUND", f"Project '{project}' was not found.", 404, "auth")

    def _template(self, request: Request) -> tuple[str, Template]:
        uid = request.path_params["uid"]
        template = self.templates().get(uid)
        if template is None:
            raise CaptainDataError("WORKFLOW_NOT_FOUND", f"Workflow '{uid}' was not found.", 404, "param")
        return uid, template

    async def _list_workflows(self, request: Request) -> Any:
        return {"workflows": [t.details(self.seed) for t in TEMPLATES]}

    async def _details(self, request: Request) -> Any:
        return self._template(request)[1].details(self.seed)

    async def _schedule(self, request: Request) -> Any:
        uid, template = self._template(request)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise CaptainDataError("INVALID_INPUT", "The body must be a JSON object.")
        job_name, rows, metas, parameters = self._validate(template, body)
        sandbox = self.sandbox
        definition = [template.action(row, parameters) for row in rows]
        with sandbox.lock:
            now = sandbox.sync()
            record = sandbox.submit(definition, now)
            job_uid = record.id.removeprefix("wf-")
            self._jobs[job_uid] = Job(job_uid, job_name, template.permalink, uid, record.id, rows, metas)
        return {
            "workflow": {
                "uid": uid,
                "permalink": template.permalink,
                "name": template.name,
                "created_at": format_time(record.created_at),
                "template_uid": uid,
            },
            "message": SCHEDULED_MESSAGE,
            "job_uid": job_uid,
        }

    def _validate(
        self, template: Template, body: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]], list[Any], dict[str, int]]:
        job_name = body.get("job_name")
        if not isinstance(job_name, str) or not job_name.strip():
            raise CaptainDataError("INVALID_INPUT", "'job_name' is required (a non-empty string).")
        if body.get("repeat_option") is not None:
            raise CaptainDataError(
                "INVALID_PARAMETER",
                "'repeat_option' is not supported by the sandbox: launch one job at a time.",
                400,
                "param",
            )
        steps = body.get("steps")
        step_uid = template.step_uid(self.seed)
        if not isinstance(steps, list) or len(steps) != 1 or not isinstance(steps[0], dict):
            raise CaptainDataError(
                "INVALID_PARAMETER", f"'steps' must hold exactly one step, with step_uid '{step_uid}'.", 400, "param"
            )
        step = steps[0]
        if step.get("step_uid") != step_uid:
            raise CaptainDataError(
                "INVALID_PARAMETER", f"Unknown step_uid; this workflow's step is '{step_uid}'.", 400, "param"
            )
        accounts = step.get("accounts", [])
        if not isinstance(accounts, list) or any(a != self.account_uid() for a in accounts):
            raise CaptainDataError(
                "ACCOUNT_NOT_FOUND",
                f"Unknown integration account; the LinkedIn account is '{self.account_uid()}'.",
                400,
                "param",
            )
        given = step.get("parameters") or {}
        if not isinstance(given, dict):
            raise CaptainDataError("INVALID_PARAMETER", "'parameters' must be an object.", 400, "param")
        unknown = sorted(set(given) - set(template.parameters))
        if unknown:
            raise CaptainDataError("INVALID_PARAMETER", f"Unknown parameters: {', '.join(unknown)}.", 400, "param")
        parameters = dict(template.parameters)
        for name, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RESULTS:
                raise CaptainDataError(
                    "INVALID_PARAMETER", f"'{name}' must be an integer from 1 to {MAX_RESULTS}.", 400, "param"
                )
            parameters[name] = value
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs or len(inputs) > MAX_INPUTS:
            raise CaptainDataError("INVALID_INPUT", f"'inputs' must hold 1 to {MAX_INPUTS} objects.")
        rows: list[dict[str, Any]] = []
        metas: list[Any] = []
        for index, item in enumerate(inputs):
            if not isinstance(item, dict):
                raise CaptainDataError("INVALID_INPUT", f"inputs[{index}] must be an object.")
            row: dict[str, Any] = {}
            for key in template.inputs:
                value = item.get(key.name)
                if not isinstance(value, str) or not value.strip():
                    raise CaptainDataError("INVALID_INPUT", f"inputs[{index}].{key.name} is required: {key.help}")
                if key.pattern is not None and not key.pattern.match(value):
                    raise CaptainDataError("INVALID_INPUT", f"inputs[{index}].{key.name} is invalid: {key.help}")
                if key.max_length is not None and len(value) > key.max_length:
                    raise CaptainDataError(
                        "INVALID_INPUT", f"inputs[{index}].{key.name} is longer than {key.max_length} characters."
                    )
                row[key.name] = value
            rows.append(row)
            metas.append(item.get("meta"))
        return job_name.strip(), rows, metas, parameters

    async def _workflow_jobs(self, request: Request) -> Any:
        uid, _ = self._template(request)
        page = _int_query(request, "page", 0)
        with self.sandbox.lock:
            self.sandbox.sync()
            jobs = []
            for job in reversed(list(self._jobs.values())):
                record = self.sandbox.scheduler.get(job.record_id)
                if job.workflow_uid == uid and record is not None:
                    jobs.append(self._job_json(job, record))
        chunk = jobs[page * JOBS_PAGE_SIZE : (page + 1) * JOBS_PAGE_SIZE]
        return {"jobs": chunk, "next_page_exist": (page + 1) * JOBS_PAGE_SIZE < len(jobs)}

    async def _get_job(self, request: Request) -> Any:
        with self.sandbox.lock:
            self.sandbox.sync()
            job, record = self._job(request.path_params["job_uid"])
            return self._job_json(job, record)

    async def _results(self, request: Request) -> Any:
        cursor = request.query_params.get("cursor")
        offset = _decode_cursor(cursor) if cursor else 0
        with self.sandbox.lock:
            self.sandbox.sync()
            job, record = self._job(request.path_params["job_uid"])
            rows = self._rows(job, record)
        page = rows[offset : offset + PAGE_SIZE]
        more = offset + PAGE_SIZE < len(rows)
        return {
            "results": page,
            "paging": {"have_next_page": more, "next": _encode_cursor(offset + PAGE_SIZE) if more else None},
        }

    async def _cancel(self, request: Request) -> Any:
        sandbox = self.sandbox
        with sandbox.lock:
            job, record = self._job(request.path_params["job_uid"])
            sandbox.scheduler.cancel(record.id, sandbox.clock.now())
            sandbox.sync()
            return self._job_json(job, record)

    async def _accounts(self, request: Request) -> Any:
        integration = request.path_params["integration"]
        if integration != "linkedin":
            raise CaptainDataError("NOT_FOUND", f"Integration '{integration}' has no accounts here.", 404, "param")
        with self.sandbox.lock:
            me = self.sandbox.world.account_info()
        level = "Sales Navigator" if self.sandbox.config.sales_navigator else "Classic"
        account = {"uid": self.account_uid(), "name": me["name"], "level": level, "is_valid": True}
        return {
            "integration": {"uid": "linkedin", "title": "LinkedIn"},
            "accounts": [account],
            "next_page_exist": False,
            "number_total_acounts": 1,  # sic [LA]
        }


def _int_query(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise CaptainDataError("INVALID_PARAMETER", f"'{name}' must be a non-negative integer.", 400, "param")
    return value


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("o:") and int(text[2:]) >= 0:
            return int(text[2:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise CaptainDataError("INVALID_PARAMETER", "The cursor is invalid: use paging.next as given.", 400, "param")


__all__ = ["TEMPLATES", "CaptainData", "CaptainDataError", "Template"]
