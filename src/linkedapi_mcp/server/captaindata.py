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
  sandbox): one account's caps cover both services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel, Field

from linkedapi_mcp.catalog.spec import Mapped, Operation, ParamsModel, ResultModel
from linkedapi_mcp.client.captaindata import CaptainDataClient
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
        sandbox = state.sandbox if state.settings.uses_sandbox else None
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


async def _list_impl(state: Any, ctx: Any, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
    from linkedapi_mcp.client.errors import LinkedApiError
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


def tool_specs() -> tuple[Any, ...]:
    """The toolset's two tools as ToolSpecs of server/tools.py."""
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    from linkedapi_mcp.client.errors import LinkedApiError
    from linkedapi_mcp.server import guards
    from linkedapi_mcp.server.envelope import Outcome
    from linkedapi_mcp.server.errors import tool_error
    from linkedapi_mcp.server.shaping import shape
    from linkedapi_mcp.server.tools import _CONFIRM_INFO, _WAIT_INFO, WAIT_FIELD, ToolSpec

    output: type[BaseModel] = Outcome[CaptainDataJobResult]

    async def launch_impl(state: Any, ctx: Any, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
        assert isinstance(params, LaunchParams)
        state.backend(ctx)
        client = _client_for(state)
        try:
            details = await client.get_workflow_details(params.workflowUid, deadline=client.clock() + 60.0)
        except LinkedApiError as exc:
            raise tool_error(exc) from None
        try:
            op, launch = launch_for(
                details,
                job_name=params.jobName,
                inputs=params.inputs,
                parameters=params.parameters,
                accounts=params.accounts,
            )
        except LaunchRefused as exc:
            raise ToolError(f"[invalidInput] {exc} Nothing was sent.") from None
        if op.effect == "write" and state.settings.read_only:
            raise ToolError(
                f"[toolNotEnabled] Workflow {params.workflowUid} acts on the account and read-only mode is on. "
                "Nothing was sent."
            )
        data = await state.run_operation(
            ctx, op, launch, wait=extras.get(WAIT_FIELD), guard=guards.GuardInput.from_extras(extras)
        )
        return output.model_validate(shape(data))

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
            description=(
                "Launch a Captain Data workflow on input rows; waits for the job and returns its rows (a handle "
                "for get_workflow_result otherwise). A workflow that is not readOnly acts on the account: it is "
                "confirmed first and counted in the budgets."
            ),
            params=LaunchParams,
            extra={WAIT_FIELD: (float | None, _WAIT_INFO), guards.CONFIRM_FIELD: (str | None, _CONFIRM_INFO)},
            output=output,
            annotations=ToolAnnotations(
                title="Launch Captain Data workflow",
                read_only_hint=False,
                destructive_hint=False,
                idempotent_hint=False,
                open_world_hint=True,
            ),
            impl=launch_impl,
            effect="write",
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
    "CaptainDataSettings",
    "HandleClient",
    "LaunchParams",
    "LaunchRefused",
    "RoutingApi",
    "enabled",
    "launch_for",
    "resolve",
    "routed",
    "template_summary",
    "tool_specs",
]
