"""The ``captaindata`` toolset's server side (issue 17, docs/captaindata.md): Captain Data jobs as
workflows of the same runner, ledger and guards.

A launch is a run of one of two operations — :data:`CD_READ` for templates that only read,
:data:`CD_WRITE` for templates that act on the account — so it goes through the one pipeline of
server/pipeline.py: validate → confirm (writes) → budget → claim (dedupe) → start → wait. The
handle is ``cd-<job_uid>``, recorded in the ledger under the account of the call's backend, so
``get_workflow_result`` collects it, ``list_workflows`` shows it and ``cancel_workflow`` stops it.

:class:`RoutingApi` is the backend's facade when Captain Data is enabled: starts and looks of the
two operations go to the Captain Data client, a ``cd-`` handle's cancel too, everything else to
Linked API. The client (client/captaindata.py) applies the retry rules: reads retry with backoff,
a launch is never repeated blindly.

[INFERRED] choices:

* A template is read-only when Captain Data's answer says so (the sandbox's ``x-read-only``) or its
  step permalink is a known read (:data:`READ_PERMALINKS`); any other template is treated as acting
  on the account (confirmation, write dedupe window) — the safe side.
* Budgets count what a launch does on LinkedIn as the Linked API actions it stands for
  (:data:`EQUIVALENT_ACTIONS`, one per input row), carried under ``then`` of the launch so
  guards.units_for counts them; the Captain Data client sends only ``workflow_uid`` and ``body``.
* Captain Data jobs are recorded under the ledger account of the Linked API backend (or the
  sandbox): one account's caps cover both services. A Captain Data-only server (no Linked API
  account, captaindata_settings.captaindata_only) records them under an account of its own, keyed
  by the Captain Data base URL, key and project (:func:`alone`); its backend kind is ``linkedapi``
  (a real service: the output schemas know only ``sandbox`` and ``linkedapi``).
* A launch that acts on the account is confirmed like a Linked API write: by elicitation when the
  client can (:func:`_answer_annotation`), else the two-step preview; the question names the
  workflow, the job, every input row, the parameters and the Captain Data integration account(s)
  it runs from (:func:`launch_text`). When ``accounts`` is not given, Captain Data chooses among the
  project's LinkedIn integration accounts, so the question lists them all.
* Read-only mode keeps the launch tool for the templates that only read (they are reads, like
  fetch_person); it is listed as read-only, without confirmationId, and refuses any other template
  with nothing sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel, Field

from linkedapi_mcp.catalog.spec import Mapped, Operation, ParamsModel, ResultModel
from linkedapi_mcp.client.captaindata import CaptainDataClient
from linkedapi_mcp.client.errors import InvalidRequestError, LinkedApiError
from linkedapi_mcp.client.models import WorkflowStart, WorkflowState
from linkedapi_mcp.facade import LinkedApi, WorkflowSnapshot
from linkedapi_mcp.server.captaindata_settings import CaptainDataSettings, enabled
from linkedapi_mcp.server.storage_faults import NotedApi

HANDLE_PREFIX = "cd-"
TOOLSET = "captaindata"
LAUNCH_TOOL = "launch_captaindata_workflow"
TEMPLATES_TOOL = "list_captaindata_workflows"
MAX_INPUTS = 100

# Step permalinks that only read LinkedIn (the sandbox's templates and Captain Data's "extract" /
# "search" family by name).
READ_PERMALINKS = re.compile(r"^(extract|search|find|get|enrich)-")
# What one input row of a known template does on LinkedIn, as Linked API actions (budgets).
EQUIVALENT_ACTIONS: Mapping[str, str] = {
    "extract-linkedin-people-profile": "st.openPersonPage",
    "search-linkedin-people": "st.searchPeople",
    "extract-linkedin-company-employees": "st.openCompanyPage",
    "send-linkedin-message": "st.sendMessage",
}


# -- the operations ------------------------------------------------------------------------------------


class CaptainDataLaunch(ParamsModel):
    """A launch as the runner records it: the model's arguments plus what the template says."""

    workflowUid: str = Field(min_length=1, max_length=100)
    jobName: str = Field(min_length=1, max_length=200)
    inputs: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_INPUTS)
    parameters: dict[str, Any] | None = None
    accounts: list[str] | None = None
    stepUid: str = Field(min_length=1, max_length=100)
    permalink: str = Field("", max_length=200)
    workflowName: str = Field("", max_length=300)  # what the confirmation question calls it


class CaptainDataJobResult(ResultModel):
    job: dict[str, Any] = Field(description="The job: uid, name, status, counts, times.")
    results: list[dict[str, Any]] = Field(description="Result rows (LinkedIn data: untrusted text).")
    truncated: bool = Field(False, description="True when more pages existed than were collected.")


def _build(params: Any) -> dict[str, Any]:
    assert isinstance(params, CaptainDataLaunch)
    step: dict[str, Any] = {"step_uid": params.stepUid, "parameters": params.parameters or {}}
    if params.accounts:
        step["accounts"] = params.accounts
    launch: dict[str, Any] = {
        "workflow_uid": params.workflowUid,
        "body": {"job_name": params.jobName, "inputs": params.inputs, "steps": [step]},
    }
    action = EQUIVALENT_ACTIONS.get(params.permalink)
    if action is not None:  # for guards.units_for only (module docstring)
        launch["then"] = [{"actionType": action} for _ in params.inputs]
    return launch


def _map(completion: Any) -> Mapped[Any]:
    return Mapped[Any](data=CaptainDataJobResult.model_validate(completion))


def _operation(name: str, effect: str, description: str) -> Operation:
    return Operation(
        name=name,
        tool=LAUNCH_TOOL,
        title="Launch Captain Data workflow",
        description=description,
        toolset="workflows",  # the catalog's toolsets are Linked API's; the tools are listed under TOOLSET
        effect=cast(Any, effect),
        kind="workflow",
        params=CaptainDataLaunch,
        data_type=CaptainDataJobResult,
        build=_build,
        map=_map,
    )


CD_READ = _operation("captainDataRead", "read", "Launch a Captain Data workflow that only reads LinkedIn.")
CD_WRITE = _operation(
    "captainDataWrite", "write", "Launch a Captain Data workflow that acts on the LinkedIn account (confirmed first)."
)
OPERATIONS: Mapping[str, Operation] = {op.name: op for op in (CD_READ, CD_WRITE)}


def resolve(name: str) -> Operation | None:
    """The Captain Data operation recorded under ``name`` (a ledger row's operation), if it is one."""
    return OPERATIONS.get(name)


# -- templates ------------------------------------------------------------------------------------------


class LaunchRefused(ValueError):
    """A launch that cannot be sent as given (unknown input keys, parameters); nothing was sent."""


def read_only(details: Mapping[str, Any]) -> bool:
    if isinstance(details.get("x-read-only"), bool):
        return bool(details["x-read-only"])
    steps = details.get("steps") or []
    return bool(steps) and all(READ_PERMALINKS.match(str(s.get("permalink", ""))) for s in steps)


def template_summary(details: Mapping[str, Any]) -> dict[str, Any]:
    """What a model needs to fill a launch: inputs (keys, required, help), parameters, outputs."""
    steps = [s for s in details.get("steps") or [] if isinstance(s, dict)]
    first = steps[0] if steps else {}
    schema = first.get("input_schema") or {}
    inputs = [
        {"key": key, "required": bool(spec.get("required")), "help": spec.get("help")}
        for key, spec in schema.items()
        if isinstance(spec, dict)
    ]
    parameters = (first.get("parameters_schema") or {}).get("properties") or {}
    return {
        "workflowUid": details.get("uid"),
        "name": details.get("name"),
        "readOnly": read_only(details),
        "inputs": inputs,
        "parameters": parameters,
        "outputs": first.get("output_schema") or [],
        "steps": [{"stepUid": s.get("step_uid"), "name": s.get("step_name")} for s in steps],
    }


def launch_for(
    details: Mapping[str, Any],
    *,
    job_name: str,
    inputs: list[dict[str, Any]],
    parameters: dict[str, Any] | None,
    accounts: list[str] | None,
) -> tuple[Operation, CaptainDataLaunch]:
    """The operation and recorded params of a launch, checked against the template locally: a bad
    launch is refused here with what to change, and nothing reaches Captain Data."""
    summary = template_summary(details)
    steps = summary["steps"]
    if len(steps) != 1:
        raise LaunchRefused(
            f"Workflow {summary['workflowUid']} has {len(steps)} steps; only one-step workflows launch here."
        )
    keys = {i["key"] for i in summary["inputs"]}
    required = {i["key"] for i in summary["inputs"] if i["required"]}
    for index, row in enumerate(inputs):
        unknown = sorted(set(row) - keys - {"meta"})
        missing = sorted(k for k in required if not row.get(k))
        if unknown or missing:
            parts = [f"unknown keys {unknown}" if unknown else "", f"missing {missing}" if missing else ""]
            raise LaunchRefused(
                f"inputs[{index}]: {'; '.join(p for p in parts if p)}. This workflow's input keys: {sorted(keys)}."
            )
    unknown_parameters = sorted(set(parameters or {}) - set(summary["parameters"]))
    if unknown_parameters:
        raise LaunchRefused(
            f"Unknown parameters {unknown_parameters}; this workflow takes {sorted(summary['parameters'])}."
        )
    step = (details.get("steps") or [{}])[0]
    params = CaptainDataLaunch(
        workflowUid=str(summary["workflowUid"]),
        jobName=job_name,
        inputs=inputs,
        parameters=parameters,
        accounts=accounts,
        stepUid=str(step.get("step_uid")),
        permalink=str(step.get("permalink") or ""),
        workflowName=str(summary.get("name") or ""),
    )
    return (CD_READ if summary["readOnly"] else CD_WRITE), params


# -- the backend ----------------------------------------------------------------------------------------


class HandleClient:
    """The Captain Data client as the facade sees a workflow client: handles are ``cd-<job_uid>``."""

    def __init__(self, client: CaptainDataClient) -> None:
        self.client = client
        self.clock = client.clock

    async def start_workflow(self, launch: Any, *, deadline: float | None = None) -> WorkflowStart:
        body = {k: v for k, v in dict(launch).items() if k != "then"}
        start = await self.client.start_workflow(body, deadline=deadline)
        return WorkflowStart(workflowId=HANDLE_PREFIX + start.workflowId, workflowStatus=start.workflowStatus)

    async def get_workflow(self, workflow_id: str, *, deadline: float | None = None) -> WorkflowState:
        return await self.client.get_workflow(workflow_id.removeprefix(HANDLE_PREFIX), deadline=deadline)

    async def cancel_workflow(self, workflow_id: str, *, deadline: float | None = None) -> bool:
        return await self.client.cancel_workflow(workflow_id.removeprefix(HANDLE_PREFIX), deadline=deadline)


class RoutingApi(NotedApi):
    """Linked API's facade, with Captain Data's operations and handles sent to Captain Data."""

    def __init__(self, linked: LinkedApi, captaindata: CaptainDataClient) -> None:
        super().__init__(linked.client)
        self.linked = linked
        self.captaindata = captaindata
        self._cd = NotedApi(cast(Any, HandleClient(captaindata)))

    async def start(self, op: Operation, params: BaseModel, *, deadline: float | None = None) -> WorkflowStart:
        if op.name in OPERATIONS:
            return await self._cd.start(op, params, deadline=deadline)
        return await self.linked.start(op, params, deadline=deadline)

    async def status(self, workflow_id: str, op: Operation, *, deadline: float | None = None) -> WorkflowSnapshot:
        if op.name in OPERATIONS:
            return await self._cd.status(workflow_id, op, deadline=deadline)
        return await self.linked.status(workflow_id, op, deadline=deadline)

    async def cancel(self, workflow_id: str) -> bool:
        if workflow_id.startswith(HANDLE_PREFIX):
            return await self._cd.cancel(workflow_id)
        return await self.linked.cancel(workflow_id)

    async def call(self, op: Operation, params: BaseModel, *, deadline: float | None = None) -> Mapped[Any]:
        return await self.linked.call(op, params, deadline=deadline)


def _no_linked_api() -> LinkedApiError:
    from linkedapi_mcp.server.toolsets import NO_LINKED_API

    return InvalidRequestError("notConfigured", NO_LINKED_API[0].upper() + NO_LINKED_API[1:] + ".")


class CaptainDataOnlyApi(NotedApi):
    """The facade of a Captain Data-only server: Captain Data's operations and ``cd-`` handles;
    anything of Linked API is refused before any request (there is no Linked API account)."""

    def __init__(self, captaindata: CaptainDataClient) -> None:
        super().__init__(cast(Any, HandleClient(captaindata)))
        self.captaindata = captaindata

    async def start(self, op: Operation, params: BaseModel, *, deadline: float | None = None) -> WorkflowStart:
        if op.name not in OPERATIONS:
            raise _no_linked_api()
        return await super().start(op, params, deadline=deadline)

    async def status(self, workflow_id: str, op: Operation, *, deadline: float | None = None) -> WorkflowSnapshot:
        if op.name not in OPERATIONS or not workflow_id.startswith(HANDLE_PREFIX):
            raise _no_linked_api()
        return await super().status(workflow_id, op, deadline=deadline)

    async def cancel(self, workflow_id: str) -> bool:
        if not workflow_id.startswith(HANDLE_PREFIX):
            raise _no_linked_api()
        return await super().cancel(workflow_id)

    async def call(self, op: Operation, params: BaseModel, *, deadline: float | None = None) -> Mapped[Any]:
        raise _no_linked_api()


# -- the MCP tools (registered by server/app.py when the toolset is enabled) ---------------------------


class ListCaptainDataParams(ParamsModel):
    """No arguments: every workflow of the Captain Data project."""


class CaptainDataTemplates(BaseModel):
    workflows: list[dict[str, Any]] = Field(
        description="Each workflow: workflowUid, name, readOnly, inputs (key, required, help), parameters, outputs."
    )
    integrationAccounts: list[dict[str, Any]] = Field(description="LinkedIn integration accounts: uid, name, level.")


class LaunchParams(ParamsModel):
    """Launch one Captain Data workflow of the project on a list of inputs."""

    workflowUid: str = Field(min_length=1, max_length=100, description="From list_captaindata_workflows.")
    jobName: str = Field(min_length=1, max_length=200, description="A name for this run (job).")
    inputs: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_INPUTS, description="One object per input row, keyed by the workflow's input keys."
    )
    parameters: dict[str, Any] | None = Field(None, description="The workflow's parameters, e.g. max_results.")
    accounts: list[str] | None = Field(None, description="Integration account uids (default: the project's).")


def _client_for(state: Any) -> CaptainDataClient:
    client: CaptainDataClient | None = getattr(state, "_captaindata_client", None)
    if client is None or client.is_closed:  # the last connection's end closed the clients
        config = CaptainDataSettings()
        assert config.api_key is not None
        assert config.project_id is not None
        on_sandbox = state.settings.uses_sandbox and not state.captaindata_only
        if config.sandbox and not on_sandbox:
            # The key "sandbox" would otherwise go to the real Captain Data and come back a 401.
            from mcp.server.mcpserver.exceptions import ToolError

            raise ToolError(
                "[toolNotEnabled] CAPTAINDATA_API_KEY=sandbox selects the built-in Captain Data emulator, "
                "which runs only beside the built-in Linked API sandbox (no LINKED_API_TOKEN set). Set your "
                "Captain Data API key in CAPTAINDATA_API_KEY, or unset the Linked API tokens. Nothing was sent."
            )
        sandbox = state.sandbox if on_sandbox else None
        client = CaptainDataClient(
            api_key=config.api_key.get_secret_value(),
            project_id=config.project_id,
            base_url=sandbox.base_url + "/v3" if sandbox is not None else config.base_url,
            transport=sandbox.transport() if sandbox is not None else None,
        )
        state._captaindata_client = client
        state._clients.append(client)  # closed with the Linked API clients
    return client


def routed(state: Any, backend: Any) -> Any:
    """``backend`` with Captain Data's operations and handles routed (unchanged when disabled)."""
    if not enabled(state.settings):
        return backend
    from dataclasses import replace

    cache: dict[int, Any] = state.__dict__.setdefault("_captaindata_backends", {})
    found = cache.get(id(backend))
    if found is None or found[0] is not backend or found[1].api.captaindata.is_closed:
        api = backend.api if isinstance(backend.api, RoutingApi) else RoutingApi(backend.api, _client_for(state))
        found = (backend, replace(backend, api=api))
        cache[id(backend)] = found
    return found[1]


def alone(state: Any) -> Any:
    """The backend of a Captain Data-only server (no Linked API account): its own ledger account,
    keyed by the Captain Data base URL, key and project (never stored in clear), polled at
    LinkedIn's pace."""
    from linkedapi_mcp.server.ledger import account_key
    from linkedapi_mcp.server.runner import Backend
    from linkedapi_mcp.server.timing import PollPolicy

    found: Any = state.__dict__.get("_captaindata_alone")
    if found is None or found.api.captaindata.is_closed:
        config = CaptainDataSettings()
        assert config.api_key is not None
        key = account_key("captaindata", config.base_url, config.api_key.get_secret_value(), str(config.project_id))
        found = Backend(kind="linkedapi", account=key, api=CaptainDataOnlyApi(_client_for(state)), policy=PollPolicy())
        state._captaindata_alone = found
    return found


async def _list_impl(state: Any, ctx: Any, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
    from linkedapi_mcp.server.errors import tool_error

    state.backend(ctx)  # the sandbox exists once a backend was chosen
    client = _client_for(state)
    try:
        workflows = await client.list_workflows(deadline=client.clock() + 60.0)
        accounts = await client.list_accounts(deadline=client.clock() + 60.0)
    except LinkedApiError as exc:
        raise tool_error(exc) from None
    return CaptainDataTemplates(
        workflows=[template_summary(w) for w in workflows],
        integrationAccounts=[
            {"uid": a.get("uid"), "name": a.get("name"), "level": a.get("level")}
            for a in accounts.get("accounts") or []
        ],
    )


# -- confirmation: what the user is asked --------------------------------------------------------

_SHOWN_ROWS = 20  # input rows spelled out in a question; the rest are counted
_SHOWN_VALUE = 300  # characters of one input value


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f"«{text[:_SHOWN_VALUE]}{'…' if len(text) > _SHOWN_VALUE else ''}»"


async def _integration_accounts(backend: Any, deadline: float) -> dict[str, str]:
    """uid → name of the project's LinkedIn integration accounts ({} when they cannot be read)."""
    client: CaptainDataClient | None = getattr(backend.api, "captaindata", None)
    if client is None:
        return {}
    try:
        listed = await client.list_accounts(deadline=deadline)
    except Exception:  # the question is still asked, naming the uids only
        return {}
    return {str(a.get("uid")): str(a.get("name") or "") for a in listed.get("accounts") or [] if isinstance(a, dict)}


async def launch_text(backend: Any, op: Operation, params: BaseModel) -> str:
    """The whole question for a launch (previews.action_text hands Captain Data's operations here):
    which workflow and job, every input row with its values, the parameters, and the Captain Data
    integration account(s) it runs from."""
    assert isinstance(params, CaptainDataLaunch)
    client: CaptainDataClient | None = getattr(backend.api, "captaindata", None)
    deadline = (client.clock() if client is not None else 0.0) + 10.0
    name = f"«{params.workflowName}» " if params.workflowName else ""
    effect = "acts on the LinkedIn account" if op.effect == "write" else "only reads LinkedIn"
    lines = [
        f"Launch the Captain Data workflow {name}({params.permalink or params.workflowUid}; {effect}) as the job "
        f"«{params.jobName}» on {len(params.inputs)} input row(s):"
    ]
    for number, row in enumerate(params.inputs[:_SHOWN_ROWS], start=1):
        lines.append(f"{number}. " + ", ".join(f"{key} = {_value(value)}" for key, value in row.items()))
    if len(params.inputs) > _SHOWN_ROWS:
        lines.append(f"… and {len(params.inputs) - _SHOWN_ROWS} more row(s).")
    given = params.parameters or {}
    lines.append(
        "Parameters: " + (", ".join(f"{k} = {_value(v)}" for k, v in given.items()) if given else "the defaults")
    )
    known = await _integration_accounts(backend, deadline)

    def who(uid: str) -> str:
        return f"{known[uid]} ({uid})" if known.get(uid) else f"{uid} (name not known to this server)"

    if params.accounts:
        lines.append("From the Captain Data integration account(s): " + ", ".join(who(u) for u in params.accounts))
    elif known:
        lines.append(
            "From the project's LinkedIn integration account (Captain Data chooses among): "
            + ", ".join(who(u) for u in known)
        )
    else:
        lines.append("From the project's LinkedIn integration account (chosen by Captain Data; not listed).")
    text = "\n".join(lines)
    return text + (" [sandbox: synthetic, nothing reaches LinkedIn]" if backend.kind == "sandbox" else "")


# -- the tools ---------------------------------------------------------------------------------------


def _launch_params(arguments: Mapping[str, Any]) -> LaunchParams:
    return LaunchParams.model_validate(
        {k: v for k, v in arguments.items() if k in LaunchParams.model_fields and v is not None}
    )


async def _prepare(state: Any, ctx: Any, params: LaunchParams) -> tuple[Operation, CaptainDataLaunch]:
    """The template read (a retried GET) and the launch checked against it; raises
    :class:`LinkedApiError` or :class:`LaunchRefused` with nothing launched."""
    state.backend(ctx)  # the sandbox exists once a backend was chosen
    client = _client_for(state)
    details = await client.get_workflow_details(params.workflowUid, deadline=client.clock() + 60.0)
    return launch_for(
        details, job_name=params.jobName, inputs=params.inputs, parameters=params.parameters, accounts=params.accounts
    )


def _answer_annotation(argument_names: list[str]) -> Any:
    """The elicitation resolver of the launch tool (guards.dispatch_answer_annotation's shape, with
    an async look at the template first: only a launch that acts on the account is asked about)."""
    import inspect
    from typing import Annotated

    from mcp.server.mcpserver import Context, Elicit, Resolve

    from linkedapi_mcp.server import guards

    async def resolver(ctx: Context, **arguments: Any) -> Elicit[guards.ConfirmAction] | guards.NotAsked:
        state = ctx.request_context.lifespan_context
        try:
            op, launch = await _prepare(state, ctx, _launch_params(arguments))
        except Exception:  # the tool body reports it (nothing is launched unconfirmed: preview step)
            return guards.NotAsked("not-needed")
        if op.effect != "write":
            return guards.NotAsked("not-needed")
        return await guards.ask(ctx, op, launch)

    names = list(dict.fromkeys(argument_names))
    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    parameters += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in names]
    resolver.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    resolver.__annotations__ = {"ctx": Context, "return": Elicit[guards.ConfirmAction] | guards.NotAsked}
    resolver.__qualname__ = "confirm_captainDataLaunch"  # the question's wire key, stable across workers
    return Annotated[guards.Answer, Resolve(resolver)]


def tool_specs(*, read_only: bool = False) -> tuple[Any, ...]:
    """The toolset's two tools as ToolSpecs of server/tools.py. In read-only mode the launch tool
    runs only the templates that read: listed read-only, without confirmationId."""
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    from linkedapi_mcp.server import guards
    from linkedapi_mcp.server.envelope import Outcome
    from linkedapi_mcp.server.errors import tool_error
    from linkedapi_mcp.server.shaping import shape
    from linkedapi_mcp.server.tools import _CONFIRM_INFO, _WAIT_INFO, WAIT_FIELD, ToolSpec

    output: type[BaseModel] = Outcome[CaptainDataJobResult]

    async def launch_impl(state: Any, ctx: Any, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
        assert isinstance(params, LaunchParams)
        try:
            op, launch = await _prepare(state, ctx, params)
        except LinkedApiError as exc:
            raise tool_error(exc) from None
        except LaunchRefused as exc:
            raise ToolError(f"[invalidInput] {exc} Nothing was sent.") from None
        if op.effect == "write" and state.settings.read_only:
            raise ToolError(
                f"[toolNotEnabled] Workflow {params.workflowUid} acts on the account and read-only mode is on "
                "(only workflows with readOnly run). Nothing was sent."
            )
        data = await state.run_operation(
            ctx, op, launch, wait=extras.get(WAIT_FIELD), guard=guards.GuardInput.from_extras(extras)
        )
        return output.model_validate(shape(data))

    extra: dict[str, Any] = {WAIT_FIELD: (float | None, _WAIT_INFO)}
    resolved: dict[str, Any] = {}
    if read_only:
        description = (
            "Launch a Captain Data workflow with readOnly on input rows (read-only mode: no other runs); waits "
            "for the job and returns its rows (a handle for get_workflow_result otherwise)."
        )
    else:
        extra[guards.CONFIRM_FIELD] = (str | None, _CONFIRM_INFO)
        resolved[guards.ANSWER_PARAM] = _answer_annotation([*LaunchParams.model_fields, *extra])
        description = (
            "Launch a Captain Data workflow on input rows; waits for the job and returns its rows (a handle "
            "for get_workflow_result otherwise). A workflow that is not readOnly acts on the account: it is "
            "confirmed first and counted in the budgets."
        )
    return (
        ToolSpec(
            name=TEMPLATES_TOOL,
            title="List Captain Data workflows",
            description=(
                "The Captain Data project's workflows with their input keys, parameters and outputs, whether each "
                "only reads (readOnly), and the LinkedIn integration accounts. Free."
            ),
            params=ListCaptainDataParams,
            extra={},
            output=CaptainDataTemplates,
            annotations=ToolAnnotations(
                title="List Captain Data workflows",
                read_only_hint=True,
                destructive_hint=False,
                idempotent_hint=True,
                open_world_hint=True,
            ),
            impl=_list_impl,
            effect="read",
        ),
        ToolSpec(
            name=LAUNCH_TOOL,
            title="Launch Captain Data workflow",
            description=description,
            params=LaunchParams,
            extra=extra,
            output=output,
            annotations=ToolAnnotations(
                title="Launch Captain Data workflow",
                read_only_hint=read_only,
                destructive_hint=False,
                idempotent_hint=False,
                open_world_hint=True,
            ),
            impl=launch_impl,
            effect="read" if read_only else "write",
            resolved=resolved,
        ),
    )


__all__ = [
    "CD_READ",
    "CD_WRITE",
    "HANDLE_PREFIX",
    "LAUNCH_TOOL",
    "TEMPLATES_TOOL",
    "CaptainDataJobResult",
    "CaptainDataLaunch",
    "CaptainDataOnlyApi",
    "CaptainDataSettings",
    "HandleClient",
    "LaunchParams",
    "LaunchRefused",
    "RoutingApi",
    "alone",
    "enabled",
    "launch_for",
    "launch_text",
    "resolve",
    "routed",
    "template_summary",
    "tool_specs",
]
