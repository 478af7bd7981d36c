"""Tool specs: every catalog operation plus the three workflow tools, ready for ``add_tool``.

Registration uses option A of the SDK notes (§1.2): a generated function whose signature has one
keyword-only parameter per params-model field (``Annotated[annotation, FieldInfo]``), so the SDK
publishes a flat input schema with the model's descriptions, bounds, enums and defaults. The
same params model validates arguments in :mod:`.validation` before the SDK sees them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import SkipJsonSchema

from linkedapi_mcp.actions import describe_validation_error
from linkedapi_mcp.catalog.spec import Operation
from linkedapi_mcp.jsonvalues import compact_schema, drop_none
from linkedapi_mcp.server import guards
from linkedapi_mcp.server.envelope import Outcome, WorkflowList
from linkedapi_mcp.server.shaping import shape
from linkedapi_mcp.untrusted import provenance

if TYPE_CHECKING:
    from linkedapi_mcp.server.app import ServerState

WAIT_FIELD = "waitSeconds"
_WAIT_INFO: FieldInfo = cast(
    FieldInfo,
    # --- toolsets: no description on purpose (45 tools take it): what it means is said once, in
    # the server instructions (issue 11, listing budget).
    Field(None, ge=0),
)
# The guard's confirmationId (server/guards.py), without a description on 17 tools (listing
# budget): the confirmation_required result that hands it out says how to use it, and so do the
# server instructions, once.
_CONFIRM_INFO: FieldInfo = cast(FieldInfo, Field(None))

# Reads of a conversation Linked API has not synced yet first run this sync workflow (as the
# official server does), so the agent gets the conversation instead of an error.
SYNC_BEFORE_READ: Mapping[str, str] = {
    "get_conversation": "sync_conversation",
    "nv_get_conversation": "nv_sync_conversation",
}

# Account-changing operations whose effect removes or undoes something (MCP: "destructive" =
# not purely additive). Sending, posting, reacting and accepting only add. [INFERRED] the custom
# workflow can run any action, so it is treated as destructive.
_DESTRUCTIVE = frozenset(
    {"remove_connection", "withdraw_connection_request", "ignore_invitation", "execute_custom_workflow"}
)
# Account-changing operations whose repetition changes nothing more (same end state).
_IDEMPOTENT_WRITES = frozenset(
    {
        "react_to_post",
        "react_to_comment",
        "manage_conversation",
        "nv_manage_conversation",
        "accept_invitation",
        "ignore_invitation",
        "remove_connection",
        "withdraw_connection_request",
    }
)


def annotations_for(op: Operation) -> ToolAnnotations:
    """All four hints, explicitly, from the operation's effect (contract §5 legend R / M / W).

    read → read-only; monitor (sync switches) → changes Linked API state only, repeatable;
    write → changes the LinkedIn account, destructive only where it removes something.
    Everything reaches LinkedIn through Linked API, so the world is open.
    """
    if op.effect == "read":
        return ToolAnnotations(
            title=op.title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        )
    if op.effect == "monitor":
        return ToolAnnotations(
            title=op.title, read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        )
    return ToolAnnotations(
        title=op.title,
        read_only_hint=False,
        destructive_hint=op.tool in _DESTRUCTIVE,
        idempotent_hint=op.tool in _IDEMPOTENT_WRITES,
        open_world_hint=True,
    )


Impl = Callable[["ServerState", Context, BaseModel, dict[str, Any]], Awaitable[BaseModel]]


def render(model: BaseModel) -> CallToolResult:
    """``structuredContent`` in full (it must match the output schema), text content compact.

    Most clients show the model the text block, not ``structuredContent``. The SDK would put
    indented JSON with every null there; the same data without nulls, empty ``errors`` and a
    false ``deduplicated`` says the same in far fewer tokens (an empty ``result`` list stays).
    """
    # Without nulls (issue 11): absent and null say the same, and the published output schema
    # (compact_output_schema) has no null branches, so this is what it describes.
    structured = drop_none(model.model_dump(mode="json", by_alias=True))
    compact = dict(structured)
    if compact.get("errors") == []:
        del compact["errors"]
    if compact.get("deduplicated") is False:
        del compact["deduplicated"]
    text = json.dumps(compact, ensure_ascii=False, separators=(",", ":"))
    # Provenance (issue 12): results carrying LinkedIn text say so, for clients that enforce it.
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=structured, _meta=provenance(structured)
    )


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    params: type[BaseModel]
    extra: Mapping[str, tuple[Any, FieldInfo]]  # tool-only arguments outside the params model
    output: type[BaseModel]
    annotations: ToolAnnotations
    impl: Impl
    effect: str
    # --- guards: parameters a resolver fills before the body runs (the user's answer to a
    # confirmation elicitation); left out of the input schema, handed to ``impl`` in ``extras``.
    resolved: Mapping[str, Any] = field(default_factory=dict)

    def check(self, arguments: Mapping[str, Any]) -> list[str]:
        """Problems with raw ``tools/call`` arguments, one short line each (empty = fine)."""
        args = dict(arguments)
        problems: list[str] = []
        extras = {name: args.pop(name) for name in list(args) if name in self.extra}
        if extras:
            try:
                self._extras_model().model_validate(extras)
            except ValidationError as exc:
                problems.extend(describe_validation_error(exc))
        try:
            self.params.model_validate(args)
        except ValidationError as exc:
            # The SDK turns JSON-encoded strings into lists/objects before validating (clients send
            # '["a"]' for arrays); accept what it would accept.
            try:
                self.params.model_validate(_pre_parse(args))
            except ValidationError:
                problems.extend(describe_validation_error(exc))
        return problems

    def _extras_model(self) -> type[BaseModel]:
        fields: dict[str, Any] = {name: (annotation, info) for name, (annotation, info) in self.extra.items()}
        model: type[BaseModel] = create_model(f"{self.name}_extras", **fields)
        return model

    def parse(self, kwargs: dict[str, Any]) -> tuple[BaseModel, dict[str, Any]]:
        """The params model from SDK-validated kwargs, keeping only values that differ from defaults.

        The SDK passes every field, defaults included; dropping the defaults keeps the request
        identical to the official SDK's (it sends only what the caller set) and makes "omitted"
        and "given the default" the same call for deduplication.
        """
        extras = {name: kwargs.pop(name, None) for name in self.extra}
        fields = self.params.model_fields
        given = {name: kwargs[name] for name in fields if name in kwargs}
        # Compared after validation: run_operation passes raw arguments, where "true" (or 10.0)
        # is the default True (or 10) only once validated; comparing raw values made it another call.
        validated = self.params.model_validate(given)
        explicit: dict[str, Any] = {}
        for name in validated.model_fields_set:
            info = fields[name]
            if not info.is_required() and getattr(validated, name) == info.get_default(call_default_factory=True):
                continue
            explicit[name] = given[name]
        return self.params.model_validate(explicit), extras


def clean_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The published input schema without pydantic's noise, as the catalog's own models show it.

    The SDK builds the schema from a generated argument model, so the params models' schema
    hooks do not apply: here optional arguments lose their ``anyOf [T, null]`` branch and
    ``default: null`` (omitting an argument already means "not given"; clients fill ``anyOf``
    poorly), and auto-generated titles ("Personurl", "send_messageArguments") go.
    Validation is unaffected: it uses the params model, where null stays accepted.
    """
    # --- toolsets: the same cleaning inside nested models ($defs) too: bounds, enums, defaults
    # and descriptions stay, only generated titles and null branches go (context budget).
    out: dict[str, Any] = compact_schema(schema)
    # True to what happens: the validation middleware refuses unknown arguments by name.
    out["additionalProperties"] = False
    _drop_restated(out)
    described = _described_refs(out)
    for name, definition in out.get("$defs", {}).items():
        if name in described and isinstance(definition, dict):
            definition.pop("description", None)  # every property using it says what it is for
    _share_repeated(out)
    return out


_SHARED_NAMES = {"array": "List", "string": "Text", "object": "Object", "integer": "Count", "number": "Number"}


def _share_repeated(schema: dict[str, Any]) -> None:
    """Property schemas repeated within one input schema (``locations``, ``industries`` and
    ``schools`` are each a bounded list of names) said once, under ``$defs``, where that is shorter.

    Each property keeps its own description beside the ``$ref``; the shared part is the type with
    its bounds and enums, unchanged."""
    uses: dict[str, list[dict[str, Any]]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    for prop in value.values():
                        if isinstance(prop, dict) and "$ref" not in prop:
                            core = {k: v for k, v in prop.items() if k != "description"}
                            uses.setdefault(json.dumps(core, sort_keys=True), []).append(prop)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    for key, props in uses.items():
        core = json.loads(key)
        base = _SHARED_NAMES.get(str(core.get("type")), "Value")
        name = base
        n = 1
        while name in defs:
            n += 1
            name = f"{base}{n}"
        ref = f"#/$defs/{name}"
        size = len(json.dumps(core, separators=(",", ":")))
        saved = (size - len(json.dumps({"$ref": ref}, separators=(",", ":")))) * len(props) - size - len(name) - 4
        if len(props) < 2 or saved <= 0:
            continue
        defs[name] = {k: props[0][k] for k in props[0] if k != "description"}
        for prop in props:
            description = prop.get("description")
            prop.clear()
            prop["$ref"] = ref
            if description is not None:
                prop["description"] = description
    if not defs:
        del schema["$defs"]


# Issue 11 (listing budget, 40 KB for every tool): a description that only restates what the
# schema already says costs bytes in every conversation and tells the model nothing. The params
# models keep their full texts (docs, describe_operation's prose); the published schema drops:
# a property description made of its own name's words ("First name." on firstName), one that only
# lists its enum values, and ranges / defaults / lengths a description repeats from the keywords
# beside it ("Maximum results, 1-1000 (default 10)." with minimum/maximum/default → "Maximum results.").
# "add" on a retrieve* flag ("Add skills." on retrieveSkills) says what the name says.
_STOPWORDS = frozenset(
    {"a", "an", "the", "of", "or", "and", "only", "to", "for", "in", "on", "your", "add", "retrieve"}
)
_RESTATED = (
    (("minLength", "maxLength"), re.compile(r",? ?\d+-\d+ characters")),
    (("maxLength",), re.compile(r",? up to \d+ characters")),
    (("minimum", "maximum"), re.compile(r",? \d+-\d+(?= \(|[.,;)]|$)")),
    (("default",), re.compile(r" \(default [^)]*\)")),
)


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return {w.rstrip("s") for w in re.findall(r"[a-z0-9]+", spaced.lower())} - _STOPWORDS


def _drop_restated(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _drop_restated(item)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, prop in properties.items():
            if isinstance(prop, dict) and isinstance(prop.get("description"), str):
                _trim_description(name, prop)
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for prop in value.values():
                _drop_restated(prop)
        elif isinstance(value, (dict, list)):
            _drop_restated(value)


def _trim_description(name: str, prop: dict[str, Any]) -> None:
    text: str = prop["description"]
    keywords = set(prop) | set(prop.get("items") or {})
    for needs, pattern in _RESTATED:
        if any(k in keywords for k in needs):
            text = pattern.sub("", text)
    text = re.sub(r"\s+([.,;:])", r"\1", text).replace(",.", ".").replace(":.", ".")
    enum = prop.get("enum") or (prop.get("items") or {}).get("enum")
    said = _words(text)
    # "Maximum results." on a `limit` with its maximum and default beside it says only "limit".
    is_max = name == "limit" and "maximum" in prop and text.startswith("Maximum ") and len(said) <= 3
    if is_max or said <= _words(name) or (enum and said <= set().union(*(_words(str(v)) for v in enum))):
        del prop["description"]
    else:
        prop["description"] = text


def _described_refs(schema: dict[str, Any]) -> set[str]:
    """Names of ``$defs`` every reference to which sits beside its own description."""
    seen: dict[str, bool] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                seen[name] = seen.get(name, True) and "description" in node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return {name for name, described in seen.items() if described}


def _pre_parse(args: dict[str, Any]) -> dict[str, Any]:
    out = dict(args)
    for key, value in args.items():
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                out[key] = json.loads(value)
    return out


def tool_function(spec: ToolSpec) -> Callable[..., Awaitable[CallToolResult]]:
    """The generated function ``add_tool`` inspects: flat keyword parameters plus a Context.

    It finds the server state through the lifespan context rather than a closure, so the tool
    objects (whose schemas take a while to generate) are built once per process and shared by
    every server instance (see :func:`linkedapi_mcp.server.app.prebuilt_tools`).
    """
    params: list[inspect.Parameter] = []
    annotations: dict[str, Any] = {}
    fields: list[tuple[str, Any]] = [
        (name, Annotated[info.annotation, info]) for name, info in spec.params.model_fields.items()
    ]
    fields += [(name, Annotated[annotation, info]) for name, (annotation, info) in spec.extra.items()]
    for name, annotation in fields:
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
        annotations[name] = annotation
    for name, annotation in spec.resolved.items():  # --- guards
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
        annotations[name] = annotation
    ctx_name = "ctx" if "ctx" not in annotations else "mcp_context"
    params.append(inspect.Parameter(ctx_name, inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    annotations[ctx_name] = Context
    annotations["return"] = spec.output

    async def tool(**kwargs: Any) -> CallToolResult:
        ctx: Context = kwargs.pop(ctx_name)
        state = cast("ServerState", ctx.request_context.lifespan_context)
        resolved = {name: kwargs.pop(name, None) for name in spec.resolved}  # --- guards
        model, extras = spec.parse(kwargs)
        extras.update(resolved)
        from mcp.server.mcpserver.exceptions import ToolError

        from linkedapi_mcp.server.db import StorageFault
        from linkedapi_mcp.server.storage_faults import escaped, noting

        with noting() as sent:  # what this call sends, for a storage fault's message
            try:
                outcome = await spec.impl(state, ctx, model, extras)
            except StorageFault as fault:  # the safety net: never a bare "Error executing tool"
                raise ToolError(escaped(fault, spec.name, sent)) from None
        return render(outcome)

    tool.__name__ = spec.name
    tool.__doc__ = spec.description
    tool.__signature__ = inspect.Signature(params, return_annotation=spec.output)  # type: ignore[attr-defined]
    tool.__annotations__ = annotations
    return tool


# -- the catalog operations -------------------------------------------------------------------


def operation_spec(op: Operation) -> ToolSpec:
    output: type[BaseModel] = Outcome[op.data_type]  # type: ignore[name-defined]
    extra: dict[str, tuple[Any, FieldInfo]] = {}
    if op.kind == "workflow" or op.tool in SYNC_BEFORE_READ:
        extra[WAIT_FIELD] = (float | None, _WAIT_INFO)
    # --- guards: account-changing tools take an optional confirmationId (two-step confirmation)
    # and receive the user's elicitation answer; the guard decides in the runner (server/guards.py).
    resolved: dict[str, Any] = {}
    if op.effect == "write":
        extra[guards.CONFIRM_FIELD] = (str | None, _CONFIRM_INFO)
        parser = _catalog_parser(op, extra)

        def target(arguments: dict[str, Any]) -> tuple[Operation, BaseModel]:
            params = parser(arguments)
            return effective(op, params), params

        resolved[guards.ANSWER_PARAM] = guards.dispatch_answer_annotation(
            op.name, [*op.params.model_fields, *extra], target
        )

    async def impl(state: ServerState, ctx: Context, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
        data = await state.run_operation(
            ctx,
            effective(op, params),
            params,
            wait=extras.get(WAIT_FIELD),
            guard=guards.GuardInput.from_extras(extras),
        )
        return output.model_validate(shape(data))

    return ToolSpec(
        name=op.tool,
        title=op.title,
        description=op.description,
        params=op.params,
        extra=extra,
        output=output,
        annotations=annotations_for(op),
        impl=impl,
        effect=op.effect,
        resolved=resolved,
    )


def effective(op: Operation, params: BaseModel) -> Operation:
    """The operation as this call runs it. Issue 11: a custom workflow made only of read actions is
    a read (no confirmation, no write dedupe window), one with a sync but no write is monitoring;
    its effect comes from the same action table the validator checks it against (actions.py)."""
    if op.tool != "execute_custom_workflow" or op.build is None:
        return op
    from linkedapi_mcp.actions import definition_effect

    effect = definition_effect(op.build(params))
    return op if effect == op.effect else dataclasses.replace(op, effect=effect)


def _catalog_parser(op: Operation, extra: Mapping[str, Any]) -> Callable[[dict[str, Any]], BaseModel]:
    """--- guards: the params model from the arguments a resolver sees (all fields, defaults included)."""

    def parse(arguments: dict[str, Any]) -> BaseModel:
        spec_fields = op.params.model_fields
        explicit = {
            name: value
            for name, value in arguments.items()
            if name in spec_fields
            and name not in extra
            and (spec_fields[name].is_required() or value != spec_fields[name].get_default(call_default_factory=True))
        }
        return op.params.model_validate(explicit)

    return parse


# -- the workflow tools -----------------------------------------------------------------------


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GetWorkflowResultParams(_Params):
    workflowId: str = Field(min_length=1, description="The workflowId a tool returned.")
    # Not needed (the server remembers each workflow's operation); accepted for compatibility
    # with the official server, not published (listing budget).
    operationName: SkipJsonSchema[str | None] = None
    # --- shaping (server/shaping.py): the cached result again, another page of it, or in full.
    offset: int = Field(0, ge=0)  # first item of a list result
    limit: int | None = Field(None, ge=1, le=500, description="Page size (default 50).")
    includeAll: bool = Field(False, description="Also image URLs and deprecated duplicates.")


class CancelWorkflowParams(_Params):
    workflowId: str = Field(min_length=1, description="The workflowId to stop.")


class ListWorkflowsParams(_Params):
    limit: int = Field(10, ge=1, le=50, description="How many recent workflows to list, newest first.")
    offset: int = Field(0, ge=0)
    operationName: str | None = Field(None, description="Only workflows of this operation, e.g. sendMessage.")


class ListWorkflowActionsParams(_Params):
    actionTypes: list[str] | None = Field(
        None, max_length=100, description="Only these action types (default: every one)."
    )


class WorkflowActionInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    actionType: str
    purpose: str
    effect: Literal["read", "monitor", "write"]
    startsWorkflow: str = Field(description="yes, no (only under a parent's then), or yes with its target.")
    targets: list[str] = Field(description="Target parameters: required at the root, taken from the parent below it.")
    parameters: dict[str, Any] = Field(description="JSON schema of its other parameters (beside actionType).")
    then: list[str] = Field(description="Action types allowed in its `then`.")


class WorkflowActionCatalogue(BaseModel):
    """Every action a custom workflow can use (actions.py: the table the validator checks against)."""

    actions: list[WorkflowActionInfo]
    rules: str
    backend: str = "local"


_CATALOGUE_RULES = (
    "A definition is one action object or an array of root actions run in order. An action is "
    '{"actionType": ..., its target and parameters, "label"?: ..., "then"?: action or array}; only actions '
    "with startsWorkflow yes may be roots, and a child takes its target from its parent (do not repeat it). "
    "A definition of read actions only is a read: no confirmation. Run it with execute_custom_workflow."
)


class CancelOutcome(BaseModel):
    workflowId: str
    cancelled: bool = Field(description="True when Linked API stopped the workflow.")
    message: str
    backend: str = Field(description="sandbox = synthetic data, nothing reaches LinkedIn.")


_AnyOutcome: type[BaseModel] = Outcome[Any]


async def _get_result(state: ServerState, ctx: Context, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
    assert isinstance(params, GetWorkflowResultParams)
    data = await state.workflow_result(
        ctx, params.workflowId, operation_name=params.operationName, wait=extras.get(WAIT_FIELD)
    )
    shaped = shape(data, include_all=params.includeAll, offset=params.offset, limit=params.limit)
    return _AnyOutcome.model_validate(shaped)


async def _list_actions(state: ServerState, ctx: Context, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
    from mcp.server.mcpserver.exceptions import ToolError

    from linkedapi_mcp.actions import ACTIONS, action_catalogue

    assert isinstance(params, ListWorkflowActionsParams)
    wanted = params.actionTypes
    unknown = [name for name in wanted or [] if name not in ACTIONS]
    if unknown:
        raise ToolError(f"Unknown action types: {', '.join(unknown)}. Leave actionTypes out to list every one.")
    entries = [e for e in action_catalogue() if wanted is None or e["actionType"] in wanted]
    return WorkflowActionCatalogue.model_validate({"actions": entries, "rules": _CATALOGUE_RULES})


async def _cancel(state: ServerState, ctx: Context, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
    assert isinstance(params, CancelWorkflowParams)
    return await state.cancel(ctx, params.workflowId)


async def _list(state: ServerState, ctx: Context, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
    assert isinstance(params, ListWorkflowsParams)
    return await state.list_workflows(ctx, limit=params.limit, operation=params.operationName, offset=params.offset)


WORKFLOW_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="get_workflow_result",
        title="Get workflow result",
        description=(
            "A started workflow's result (waits for it), or its status. Free once done: ask again for another "
            "page or all fields."
        ),
        params=GetWorkflowResultParams,
        extra={WAIT_FIELD: (float | None, _WAIT_INFO)},
        output=_AnyOutcome,
        annotations=ToolAnnotations(
            title="Get workflow result",
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        ),
        impl=_get_result,
        effect="read",
    ),
    ToolSpec(
        name="cancel_workflow",
        title="Cancel workflow",
        description="Stop a pending or running workflow; actions already done on LinkedIn stay done.",
        params=CancelWorkflowParams,
        extra={},
        output=CancelOutcome,
        annotations=ToolAnnotations(
            title="Cancel workflow",
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=True,
            open_world_hint=True,
        ),
        impl=_cancel,
        effect="write",
    ),
    ToolSpec(
        name="list_workflows",
        title="List workflows",
        description=(
            "Recent workflows of this account (status, arguments, workflowId). Local and free: check it "
            "before repeating a call whose outcome is unknown."
        ),
        params=ListWorkflowsParams,
        extra={},
        output=WorkflowList,
        annotations=ToolAnnotations(
            title="List workflows",
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        ),
        impl=_list,
        effect="read",
    ),
)


# --- issue 11: the action catalogue for custom workflows, in the workflows toolset (listed where
# execute_custom_workflow is; server/listing.py and toolsets.py know it by this name).
LIST_ACTIONS_SPEC = ToolSpec(
    name="list_workflow_actions",
    title="List workflow actions",
    description=(
        "Every action a custom workflow can use: parameters, effect, which actions may follow it, and the "
        "rules of a definition. Local and free."
    ),
    params=ListWorkflowActionsParams,
    extra={},
    output=WorkflowActionCatalogue,
    annotations=ToolAnnotations(
        title="List workflow actions",
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=False,
    ),
    impl=_list_actions,
    effect="read",
)


def all_specs(catalog: Mapping[str, Operation]) -> list[ToolSpec]:
    return [operation_spec(op) for op in catalog.values()] + [LIST_ACTIONS_SPEC, *WORKFLOW_TOOLS]


def build_tool(spec: ToolSpec) -> Tool:
    """The SDK tool for a spec: its function, title, annotations, and the cleaned input schema."""
    tool = Tool.from_function(
        tool_function(spec),
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations,
        structured_output=True,
    )
    tool.parameters = clean_input_schema(tool.parameters)
    if tool.fn_metadata.output_schema is not None:
        # Read live by the SDK (func_metadata): the published schema; results are still checked
        # against the pydantic model, which accepts absent optional fields.
        tool.fn_metadata.output_schema = compact_output_schema(tool.fn_metadata.output_schema)
    return tool


def compact_output_schema(node: Any, *, names: bool = False) -> Any:
    """An output schema for checking results, not for reading: no titles, no descriptions, no
    ``additionalProperties: true`` (the default), and no null branch on object properties
    (``structuredContent`` carries no nulls, :func:`render`), so no nullable property is required.

    A null inside an array (``items``) stays allowed: :func:`~linkedapi_mcp.jsonvalues.drop_none`
    keeps list entries. Types, enums, bounds and ``required`` otherwise stay as pydantic made them.
    """
    if isinstance(node, list):
        return [compact_output_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: compact_output_schema(sub) for name, sub in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "description") and isinstance(value, str):
            continue
        if key == "additionalProperties" and value is True:
            continue
        out[key] = compact_output_schema(value, names=key in ("properties", "$defs"))
    properties = out.get("properties")
    if isinstance(properties, dict):
        nullable = set()
        for name, prop in list(properties.items()):
            if isinstance(prop, dict):
                collapsed = _without_null(prop)
                if collapsed is not prop:
                    nullable.add(name)
                    properties[name] = collapsed
        if nullable and isinstance(out.get("required"), list):
            out["required"] = [r for r in out["required"] if r not in nullable]
            if not out["required"]:
                del out["required"]
    return out


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """``prop`` without its null branch (``anyOf [T, null]`` → T, ``type: null`` → {}); itself if none."""
    if prop.get("type") == "null":
        return {k: v for k, v in prop.items() if k not in ("type", "default")}
    any_of = prop.get("anyOf")
    if not (isinstance(any_of, list) and {"type": "null"} in any_of):
        return prop
    rest = [branch for branch in any_of if branch != {"type": "null"}]
    out = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(rest) == 1 and isinstance(rest[0], dict):
        return {**rest[0], **out}
    return {**out, "anyOf": rest}


__all__ = [
    "SYNC_BEFORE_READ",
    "WORKFLOW_TOOLS",
    "CancelOutcome",
    "ToolSpec",
    "all_specs",
    "annotations_for",
    "clean_input_schema",
    "tool_function",
]
