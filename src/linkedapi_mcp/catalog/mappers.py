"""Request builders and completion mappers (contract §4.2–§4.3), one small function per shape.

Builders reproduce the official SDK's wire definitions exactly (checked against its request
mappers in the tests). Mappers follow the SDK's Then / Simple / Array / Void / sendMessage /
Custom readers with one deliberate difference: a failed action's error is never dropped, and it
carries the failing ``actionType`` and ``label`` so a caller can tell *which* part failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from linkedapi_mcp.catalog.spec import ActionError, Mapped, ParamsModel, ResultShapeError

Definition = dict[str, Any]


# --- builders -------------------------------------------------------------------------------


def build_simple(action_type: str, **fixed: Any) -> Callable[[ParamsModel], Definition]:
    """One action carrying the params as given (Simple / Array / Void operations)."""

    def build(params: ParamsModel) -> Definition:
        return {"actionType": action_type, **fixed, **params.wire()}

    return build


@dataclass(frozen=True)
class Child:
    """A ``retrieve…`` flag that adds a child action, its optional config, and the result property."""

    flag: str
    action_type: str
    prop: str
    config: str | None = None


def build_then(action_type: str, children: Sequence[Child], **fixed: Any) -> Callable[[ParamsModel], Definition]:
    """Root action + one child per true flag, in the SDK's fixed order, configs copied into the child.

    Flags and configs never reach the API; ``then`` is always an array (``[]`` when no flag is set).
    """

    def build(params: ParamsModel) -> Definition:
        given = params.wire()
        then: list[Definition] = []
        for child in children:
            if getattr(params, child.flag) is True:
                action: Definition = {"actionType": child.action_type}
                if child.config:
                    action.update(given.get(child.config) or {})
                then.append(action)
            given.pop(child.flag, None)
            if child.config:
                given.pop(child.config, None)
        return {"actionType": action_type, **fixed, **given, "then": then}

    return build


# --- reading completions --------------------------------------------------------------------


def action_error(action: dict[str, Any]) -> ActionError | None:
    """The error of one action result, tagged with its actionType and label; None if it succeeded."""
    err = action.get("error")
    if not isinstance(err, dict) and action.get("success") is not False:
        return None
    err = err if isinstance(err, dict) else {}
    return ActionError.model_validate(
        {
            **err,
            "type": str(err.get("type") or "unexpectedError"),
            "message": str(err.get("message") or ""),
            "actionType": action.get("actionType"),
            "label": action.get("label"),
        }
    )


def _as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _errors(actions: Any) -> list[ActionError]:
    return [e for a in _as_list(actions) if (e := action_error(a)) is not None]


class _Reader:
    """Validates mapped data into the operation's result type, once per type."""

    def __init__(self, data_type: Any) -> None:
        self._type = data_type
        # Built on first use: ~50 readers are made when the catalog is imported, and building their
        # adapters then slowed the first call of every process (issue 14, spawn → first result).
        self._adapter: TypeAdapter[Any] | None = None

    def __call__(self, data: Any) -> Any:
        if data is None or self._type is None:
            return data
        adapter = self._adapter
        if adapter is None:
            adapter = self._adapter = TypeAdapter(self._type)
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise ResultShapeError(f"Linked API returned a result this server cannot read: {exc}") from None


MapFn = Callable[[Any], Mapped[Any]]


def _batch(read: _Reader, completion: list[Any], *, keep_empty: bool) -> Mapped[Any]:
    # A batch (array) completion: the SDK's Simple/Then readers keep non-empty item datas, Array keeps all.
    items = _as_list(completion)
    datas = [a.get("data") for a in items if keep_empty or a.get("data")]
    return Mapped(data=read(datas), errors=_errors(items))


def map_void(completion: Any) -> Mapped[Any]:
    """Actions without data: only their errors matter."""
    return Mapped(data=None, errors=_errors(completion))


def map_simple(data_type: Any) -> MapFn:
    read = _Reader(data_type)
    item_read = _Reader(list[data_type]) if data_type is not None else read

    def mapper(completion: Any) -> Mapped[Any]:
        if isinstance(completion, list):
            return _batch(item_read, completion, keep_empty=False)
        error = action_error(completion)
        if error is not None:
            return Mapped(data=None, errors=[error])
        return Mapped(data=read(completion.get("data")), errors=[])

    return mapper


def map_array(item_type: Any) -> MapFn:
    read = _Reader(list[item_type])

    def mapper(completion: Any) -> Mapped[Any]:
        if isinstance(completion, list):
            return _batch(read, completion, keep_empty=True)
        error = action_error(completion)
        if error is not None:
            return Mapped(data=None, errors=[error])
        data = completion.get("data")
        items = data if isinstance(data, list) else ([] if data is None else [data])
        # Per-item child results (custom children are impossible here, but keep any error seen).
        child_errors = [e for item in items if isinstance(item, dict) for e in _errors(item.get("then"))]
        return Mapped(data=read(items), errors=child_errors)

    return mapper


def map_then(data_type: Any, children: Sequence[Child]) -> MapFn:
    """Root data minus ``then``, plus each child's data under its named property (contract §4.3 Then).

    A failed child leaves its property null and its error in ``errors``; the rest of the profile is kept.
    """
    read = _Reader(data_type)
    list_read = _Reader(list[data_type])
    props = {c.action_type: c.prop for c in children}

    def mapper(completion: Any) -> Mapped[Any]:
        if isinstance(completion, list):
            return _batch(list_read, completion, keep_empty=False)
        error = action_error(completion)
        if error is not None:
            return Mapped(data=None, errors=[error])
        data = completion.get("data")
        if not isinstance(data, dict):
            raise ResultShapeError(f"{completion.get('actionType')} completed without data")
        result = {k: v for k, v in data.items() if k != "then"}
        errors: list[ActionError] = []
        filled: set[str] = set()
        for child in _as_list(data.get("then")):
            prop = props.get(str(child.get("actionType")))
            if prop is not None and prop not in filled:  # the first result of each child type, as the SDK
                result[prop] = child.get("data")
                filled.add(prop)
            child_error = action_error(child)
            if child_error is not None:
                errors.append(child_error)
        return Mapped(data=read(result), errors=errors)

    return mapper


def map_send_message(completion: Any) -> Mapped[Any]:
    """Errors of the message and of its manageConversation child (contract §4.3 sendMessage)."""
    if isinstance(completion, list):
        return map_void(completion)
    errors = _errors(completion)
    data = completion.get("data")
    if isinstance(data, dict):
        errors.extend(_errors(data.get("then")))
    return Mapped(data=None, errors=errors)


def map_endorsements(data_type: Any) -> MapFn:
    """openPersonPage → retrievePersonSkills → doForSkills → endorsePersonSkill, one entry per selected skill."""
    read = _Reader(data_type)

    def mapper(completion: Any) -> Mapped[Any]:
        error = action_error(completion)
        if error is not None:
            return Mapped(data=None, errors=[error])
        data = completion.get("data") or {}
        skills_action = next(
            (a for a in _as_list(data.get("then")) if a.get("actionType") == "st.retrievePersonSkills"), None
        )
        if skills_action is None:
            raise ResultShapeError("endorsePersonSkills completed without its st.retrievePersonSkills result")
        skills_error = action_error(skills_action)
        if skills_error is not None:
            return Mapped(data=None, errors=[skills_error])
        outcomes: list[dict[str, Any]] = []
        for skill in _as_list(skills_action.get("data")):
            for child in _as_list(skill.get("then")):
                if child.get("actionType") == "st.endorsePersonSkill":
                    err = action_error(child)
                    outcomes.append({"skillName": skill.get("name"), "success": err is None, "error": err})
                    break
        # [INFERRED] failed endorsements stay in the list (success=false) and are also surfaced as
        # errors (the SDK reports errors=[] here), so no failure hides inside a "successful" result.
        errors = [o["error"] for o in outcomes if o["error"] is not None]
        return Mapped(data=read(outcomes), errors=errors)

    return mapper


def collect_errors(node: Any) -> list[ActionError]:
    """Every failed action anywhere in a completion tree (object data ``then`` and per-item ``then``)."""
    found: list[ActionError] = []

    def walk(value: Any) -> None:
        for action in _as_list(value):
            error = action_error(action)
            if error is not None:
                found.append(error)
            data = action.get("data")
            if isinstance(data, dict):
                walk(data.get("then"))
            elif isinstance(data, list):
                for item in data:
                    if isinstance(item, dict):
                        walk(item.get("then"))

    walk(node)
    return found


def map_custom(completion: Any) -> Mapped[Any]:
    """The raw completion, plus every failed action listed so none goes unnoticed.

    [INFERRED] the SDK's Custom mapper returns ``errors=[]``; listing failures beside the raw data
    changes nothing for callers that read ``data`` and helps those that don't walk the tree.
    """
    return Mapped(data=completion, errors=collect_errors(completion))
