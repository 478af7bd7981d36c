"""The shape of one catalog entry, shared by the catalog and the MCP layer.

An :class:`Operation` is plain data plus three small functions: ``build`` turns validated
params into the exact workflow definition the official SDK would send, ``map`` turns a
completion into a :class:`Mapped` result, and ``call`` runs a direct (non-workflow) read.
Nothing here knows about MCP; the server layer reads these values to register tools.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from linkedapi_mcp.actions import describe_validation_error
from linkedapi_mcp.catalog.bounds import Truncation, bound, paging_advice

if TYPE_CHECKING:
    from linkedapi_mcp.client import LinkedApiClient

Effect = Literal["read", "monitor", "write"]  # contract §5 legend R / M / W
Toolset = Literal[
    "people", "companies", "search", "jobs", "messaging", "network", "posts", "salesnav", "account", "workflows"
]

T = TypeVar("T")


class ResultModel(BaseModel):
    """Base of every result model: lenient, so a field the API adds later never breaks a call."""

    # defer_build: a model's validator and serializer are built when it is first used, not when the
    # catalog is imported. A call uses a handful of the ~150 models; building all of them cost the
    # first call ~0.1 s of CPU (issue 14, spawn → first result). Thread-safe from pydantic 2.14,
    # which rebuilds under a lock (pyproject's floor), as the warm-up thread and the event loop
    # may both be first to use a model.
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class ActionError(ResultModel):
    """One failed action inside a completed workflow, kept beside the data that did arrive."""

    type: str = Field(description="Error type, e.g. personNotFound, limitExceeded, retrievingNotAllowed.")
    message: str = Field("", description="Human-readable explanation from Linked API.")
    actionType: str | None = Field(None, description="The action that failed, e.g. st.retrievePersonPosts.")
    label: str | None = Field(None, description="The failing action's label, when the definition gave one.")


class Mapped(BaseModel, Generic[T]):
    """What an operation returns: its data (None when there is none) and any partial action errors."""

    data: T | None = Field(None, description="The operation's result; null for actions that return nothing.")
    errors: list[ActionError] = Field(
        default_factory=list, description="Actions that failed; the rest of the data is still valid."
    )
    truncated: Truncation | None = Field(
        None, description="Set when the result was too large and cut: what was left out and how to get it."
    )


def _flatten_nullable(schema: dict[str, Any]) -> None:
    """Show optional fields as their plain type instead of ``anyOf[T, null]``.

    MCP clients render and fill ``anyOf`` poorly; an omitted optional argument already means
    "not given", so the null branch adds nothing for the caller.
    """
    for prop in schema.get("properties", {}).values():
        # Titles derived from field names ("Personurl") only cost tokens.
        prop.pop("title", None)
        any_of = prop.get("anyOf")
        if not isinstance(any_of, list):
            continue
        rest = [s for s in any_of if s != {"type": "null"}]
        if len(rest) == len(any_of):
            continue
        if prop.get("default", "") is None:
            del prop["default"]
        del prop["anyOf"]
        if len(rest) == 1:
            for key, value in rest[0].items():
                prop.setdefault(key, value)  # the field's own description wins over the type's
        else:
            prop["anyOf"] = rest


class ParamsModel(BaseModel):
    """Base of every tool input: camelCase wire names, unknown arguments refused by name."""

    # Strict: ``true`` is not an integer and ``"3"`` is not 3. Every string is bounded: a field
    # says its own limit, anything else (ids, URLs) stops at 2,048 characters [INFERRED].
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        strict=True,
        str_max_length=2048,
        defer_build=True,  # as ResultModel
        json_schema_extra=lambda schema, _cls: _flatten_nullable(schema),
    )

    @model_validator(mode="before")
    @classmethod
    def _null_means_absent(cls, data: Any) -> Any:
        # Clients often send null for "not given"; treat it so, so a field with a default (limit: 10)
        # takes its default instead of failing, and a required one still reports "is required".
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    # Defaults the SDK does send (its model has a non-None default), e.g. reactToComment's type.
    wire_defaults: ClassVar[tuple[str, ...]] = ()

    def wire(self) -> dict[str, Any]:
        """The params as the SDK serialises them: explicitly given, non-null values only.

        [INFERRED] Defaults stay out of the request on purpose: the SDK sends only what the caller set and
        the API applies the same defaults, so requests match the official SDK byte for byte.
        """
        given = self.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        full = self.model_dump(mode="json", include=set(self.wire_defaults))
        return {**full, **given}


class InvalidParamsError(ValueError):
    """Arguments that fail an operation's input model; the message says what to change."""

    def __init__(self, tool: str, problems: list[str]) -> None:
        self.tool = tool
        self.problems = problems
        super().__init__(f"Invalid arguments for {tool}: " + "; ".join(problems))


class ResultShapeError(ValueError):
    """A completion that cannot be read as the operation's result (the API changed a type)."""


Build = Callable[[Any], "dict[str, Any] | list[dict[str, Any]]"]
MapFn = Callable[[Any], "Mapped[Any]"]
# Direct reads take (client, params, deadline); deadline is absolute on ``client.clock``.
CallFn = Callable[["LinkedApiClient", Any, "float | None"], Awaitable["Mapped[Any]"]]


def bounded(mapped: Mapped[Any], fields: set[str]) -> Mapped[Any]:
    """``mapped`` with its data cut to the result size cap (catalog/bounds.py), saying so."""
    if mapped.data is None:
        return mapped
    plain = mapped.model_dump(mode="json")["data"]
    data, truncation = bound(plain, paging=paging_advice(fields))
    if truncation is None:
        return mapped
    if isinstance(data, dict):
        data = {**data, "truncated": truncation.model_dump(mode="json")}
    return Mapped[Any](data=data, errors=mapped.errors, truncated=truncation)


def _bounded_call(fields: set[str], call_fn: CallFn) -> CallFn:
    async def call(client: LinkedApiClient, params: Any, deadline: float | None) -> Mapped[Any]:
        return bounded(await call_fn(client, params, deadline), fields)

    call._bounded = True  # type: ignore[attr-defined]
    return call


def _shape_checked(name: str, map_fn: MapFn, fields: set[str] | None = None) -> MapFn:
    """``map_fn`` whose every failure on an unexpected completion is a :class:`ResultShapeError`.

    A completion of the wrong type (a string where an object belongs, say) would otherwise raise
    ``AttributeError``/``TypeError`` and reach the model as a bare "Error executing tool".
    """

    def checked(completion: Any) -> Mapped[Any]:
        try:
            mapped = map_fn(completion)
        except ResultShapeError:
            raise
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise ResultShapeError(
                f"the completion of {name} ({type(completion).__name__}) does not have the expected shape: "
                f"{type(exc).__name__}"
            ) from None
        return bounded(mapped, fields or set())

    checked._shape_checked = True  # type: ignore[attr-defined]
    return checked


@dataclass(frozen=True)
class Operation:
    name: str  # Linked API operationName, camelCase, e.g. "fetchPerson"
    tool: str  # MCP tool name, snake_case, the official server's where it has one
    title: str
    description: str  # short, front-loaded: what it does, cost / side effect
    toolset: Toolset
    effect: Effect
    kind: Literal["workflow", "direct"]
    params: type[ParamsModel]
    data_type: Any  # type of Mapped.data: a ResultModel subclass, list[...] of one, or None
    root_action: str | None = None
    build: Build | None = None
    map: MapFn | None = None
    call: CallFn | None = None

    def __post_init__(self) -> None:
        fields = set(self.params.model_fields)
        if self.map is not None and not getattr(self.map, "_shape_checked", False):
            object.__setattr__(self, "map", _shape_checked(self.name, self.map, fields))
        if self.call is not None and not getattr(self.call, "_bounded", False):
            object.__setattr__(self, "call", _bounded_call(fields, self.call))

    def parse(self, arguments: dict[str, Any]) -> ParamsModel:
        """Validate raw tool arguments; raises :class:`InvalidParamsError` with short, actionable lines."""
        try:
            return self.params.model_validate(arguments)
        except ValidationError as exc:
            raise InvalidParamsError(self.tool, describe_validation_error(exc)) from None
