"""Progressive disclosure: ``describe_operation`` and ``run_operation`` (core tool mode).

Every enabled operation that is not a plain tool stays reachable and typed:

* ``describe_operation(name)`` returns the operation's description and the very input schema its
  plain tool would publish (same params model, same cleaning, bounds and enums kept);
* ``run_operation(name, arguments)`` validates ``arguments`` with that same params model (the
  middleware in :mod:`.validation` answers with the same short lines, before anything runs) and
  then calls the operation's own tool implementation: same envelope, same waiting, deduplication,
  confirmation and budgets as the plain tool.

Both tools are built per server (their name list depends on the toolsets and read-only mode) from
the process-wide prebuilt specs and tools.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.server import guards
from linkedapi_mcp.server.envelope import Outcome
from linkedapi_mcp.server.tools import ToolSpec, _catalog_parser, _pre_parse, effective
from linkedapi_mcp.server.toolsets import (
    DESCRIBE_TOOL,
    RUN_TOOL,
    TOOLSETS,
    Exposure,
    describe_description,
    not_enabled_text,
)

if TYPE_CHECKING:
    from linkedapi_mcp.server.app import ServerState


class OperationSchema(BaseModel):
    """What ``describe_operation`` returns: everything the plain tool would have shown."""

    name: str
    title: str
    toolset: str
    effect: Literal["read", "monitor", "write"] = Field(
        description="read; monitor: changes Linked API state only; write: changes the LinkedIn account."
    )
    description: str
    inputSchema: dict[str, Any] = Field(description="JSON Schema of run_operation's `arguments` for this operation.")


class RunParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Operation name, from describe_operation's list.")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="The operation's arguments, as its inputSchema (describe_operation)."
    )


_AnyOutcome: type[BaseModel] = Outcome[Any]
_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def refusal_for(exposure: Exposure, name: str) -> str | None:
    """The error text for an operation name ``run_operation`` / ``describe_operation`` cannot take."""
    if name not in CATALOG:
        from linkedapi_mcp.server.validation import unknown_operation_text

        return unknown_operation_text(name)
    reason = exposure.refusal(name)
    return not_enabled_text(name, reason) if reason is not None else None


def disclosure_specs(
    exposure: Exposure, specs: Mapping[str, ToolSpec], tool_of: Callable[[str], Tool]
) -> list[ToolSpec]:
    """The two disclosure tools for this exposure, or none when every enabled operation is plain."""
    names = exposure.disclosed(CATALOG)
    if not names:
        return []
    # The names are said once, as the enum of describe_operation's `name` (typed and validated);
    # the description only says which areas they cover.
    areas = ", ".join(dict.fromkeys(CATALOG[n].toolset for n in sorted(names, key=_toolset_order)))

    # The enum is the list of what is reachable: typed, and said once (run_operation refers to it).
    name_type: Any = Literal[tuple(names)]
    describe_params: type[BaseModel] = create_model(
        "DescribeParams",
        __config__=ConfigDict(extra="forbid"),
        name=(name_type, Field(description="The operation to describe (every unlisted operation).")),
    )

    async def describe(state: ServerState, ctx: Context, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
        name = str(params.model_dump()["name"])
        problem = refusal_for(exposure, name)
        if problem is not None:
            raise ToolError(problem)
        op, tool = CATALOG[name], tool_of(name)  # the plain tool's own schema, built on first need
        return OperationSchema(
            name=name,
            title=op.title,
            toolset=op.toolset,
            effect=op.effect,
            description=op.description,
            inputSchema=tool.parameters,
        )

    async def run(state: ServerState, ctx: Context, params: BaseModel, extras: dict[str, Any]) -> BaseModel:
        assert isinstance(params, RunParams)
        problem = refusal_for(exposure, params.name)
        if problem is not None:  # the middleware refuses first; this holds even without it
            raise ToolError(problem)
        spec = specs[params.name]
        problems = spec.check(params.arguments)
        if problems:
            raise ToolError(invalid_text(spec.name, problems))
        try:
            model, inner = spec.parse(dict(params.arguments))
        except ValidationError:
            model, inner = spec.parse(_pre_parse(params.arguments))
        inner[guards.ANSWER_PARAM] = extras.get(guards.ANSWER_PARAM)
        return await spec.impl(state, ctx, model, inner)

    async def ask(ctx: Context, name: str, arguments: dict[str, Any]) -> Any:
        """The confirmation resolver (server/guards.py), for the operation named in the call."""
        op = CATALOG.get(name)
        spec = specs.get(name)
        if op is None or spec is None or op.effect != "write" or not exposure.enabled(name):
            return guards.NotAsked("policy")  # nothing to confirm: a read, or refused in the body
        parse = _catalog_parser(op, spec.extra)
        try:
            params = parse(_pre_parse(dict(arguments)))
        except ValidationError:
            return guards.NotAsked("policy")  # the body refuses the arguments; nothing is sent
        if effective(op, params).effect != "write":
            return guards.NotAsked("policy")  # a custom workflow of reads only (issue 11)
        return await guards.ask(ctx, op, params)

    return [
        ToolSpec(
            name=DESCRIBE_TOOL,
            title="Describe operation",
            description=describe_description(areas),
            params=describe_params,
            extra={},
            output=OperationSchema,
            annotations=ToolAnnotations(title="Describe operation", **_hints(_READ)),
            impl=describe,
            effect="read",
        ),
        ToolSpec(
            name=RUN_TOOL,
            title="Run operation",
            description=(
                f"Run an operation from {DESCRIBE_TOOL}'s list with arguments matching its inputSchema. "
                "Same result, waiting and safety as a listed tool."
            ),
            params=RunParams,
            extra={},
            output=_AnyOutcome,
            # [INFERRED] it may run an account-changing operation: hints must not promise less.
            annotations=ToolAnnotations(
                title="Run operation",
                read_only_hint=exposure.read_only,
                destructive_hint=not exposure.read_only,
                idempotent_hint=exposure.read_only,
                open_world_hint=True,
            ),
            impl=run,
            effect="read" if exposure.read_only else "write",
            resolved={guards.ANSWER_PARAM: _answer_annotation(ask)},
        ),
    ]


def _toolset_order(name: str) -> int:
    return TOOLSETS.index(CATALOG[name].toolset)


def _answer_annotation(ask: Callable[[Context, str, dict[str, Any]], Awaitable[Any]]) -> Any:
    """``Annotated[Answer, Resolve(...)]`` for run_operation: the guard's question, per named operation."""

    async def resolver(ctx: Context, name: str, arguments: dict[str, Any]) -> Any:
        return await ask(ctx, name, arguments)

    resolver.__annotations__ = {
        "ctx": Context,
        "name": str,
        "arguments": dict[str, Any],
        "return": Elicit[guards.ConfirmAction] | guards.NotAsked,
    }
    # The wire key of the question is module:qualname: stable across workers.
    resolver.__qualname__ = "confirm_run_operation"
    return Annotated[guards.Answer, Resolve(resolver)]


def _hints(annotations: ToolAnnotations) -> dict[str, Any]:
    return {
        "read_only_hint": annotations.read_only_hint,
        "destructive_hint": annotations.destructive_hint,
        "idempotent_hint": annotations.idempotent_hint,
        "open_world_hint": annotations.open_world_hint,
    }


def invalid_text(name: str, problems: list[str]) -> str:
    return f"Invalid arguments for {name}:\n" + "\n".join(f"- {p}" for p in problems)


__all__ = ["OperationSchema", "RunParams", "disclosure_specs", "invalid_text", "refusal_for"]
