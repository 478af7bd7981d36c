"""Guards on every workflow start: the user's confirmation and the local action budgets.

Confirmation (account-changing tools, catalog effect ``write``):

* A client that supports elicitation is asked *before* anything is claimed or sent: a resolver
  (``Annotated[..., Resolve(fn)]``, SDK notes §2) runs ahead of the tool body in both protocol
  eras and returns either "not asked" (policy ``never``, no elicitation support, a deduplicated
  call, a call over budget) or an :class:`~mcp.server.mcpserver.Elicit` with the exact action.
* Without elicitation the policy decides: ``elicit-or-preview`` (default) hands back a
  ``confirmation_required`` preview with a short-lived ``confirmationId`` bound to account +
  operation + canonical arguments; the same call with that id executes. ``elicit-or-allow``
  sends at once (the tool's destructive/open-world hints still make the client ask), ``never``
  always sends (automation).

Budgets: every workflow start counts its actions per Linked API limit category (contract §2.9)
against local daily/hourly caps, inside the ledger transaction that claims the start; units of
actions that did not happen are given back (the budget step of server/pipeline.py).
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast, get_args

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from linkedapi_mcp.actions import ACTIONS
from linkedapi_mcp.server import previews
from linkedapi_mcp.server.previews import describe_action

if TYPE_CHECKING:
    from linkedapi_mcp.catalog.spec import Operation
    from linkedapi_mcp.server.app import ServerState
    from linkedapi_mcp.settings import Settings

ConfirmPolicy = Literal["elicit-or-preview", "elicit-or-allow", "never"]
CONFIRM_POLICIES: tuple[str, ...] = get_args(ConfirmPolicy)

CONFIRM_FIELD = "confirmationId"
CONFIRM_INFO: FieldInfo = cast(
    FieldInfo,
    Field(
        None,
        description="Only after a confirmation_required result the user approved: its confirmationId, "
        "with the very same arguments.",
    ),
)
# The resolver-filled parameter carrying the user's answer (never in the input schema).
ANSWER_PARAM = "userConfirmation"

# [INFERRED] 10 minutes: long enough for a person to read the preview and answer, short enough
# that an old approval cannot be replayed later in the conversation.
CONFIRM_TTL_SECONDS = 600.0

# [INFERRED] Local daily caps per Linked API limit category (contract §2.9). Linked API's docs show
# stMessages 50/day and stConnectionRequests 10/day as its own defaults; the others follow the
# tolerances commonly reported for LinkedIn accounts (≈100 invitations a week, ≈100–150 profile
# views a day, a handful of posts), kept at the cautious end. Hourly caps exist but are off by default.
DEFAULT_BUDGETS: Mapping[str, int] = {
    "stMessages": 50,
    "nvMessages": 50,
    "stConnectionRequests": 10,  # never above Linked API's documented default (client/errors.DOCUMENTED_LIMITS)
    "stComments": 30,
    "stReactions": 50,
    "stPosts": 5,
    "stEndorsements": 20,
    "stPersonProfileViews": 100,
    "nvPersonProfileViews": 150,
    "stCompanyPageViews": 100,
    "nvCompanyPageViews": 150,
    "stSearchQueries": 100,
}
CATEGORIES: tuple[str, ...] = tuple(DEFAULT_BUDGETS)

Period = Literal["day", "hour"]
_PERIOD_SECONDS: dict[str, float] = {"day": 86400.0, "hour": 3600.0}


@dataclass(frozen=True)
class Cap:
    """A local action budget: at most ``limit`` actions of ``category`` per UTC ``period``."""

    category: str
    period: Period
    limit: int

    def window(self, now: float) -> tuple[float, float]:
        """``(start, end)`` of the current window. [INFERRED] fixed UTC calendar days / clock hours:
        the reset time is then plain to state ("00:00 UTC")."""
        length = _PERIOD_SECONDS[self.period]
        start = (now // length) * length
        return start, start + length


class ConfigError(ValueError):
    """A budget specification that cannot be read."""


def parse_budgets(spec: str | None) -> tuple[Cap, ...]:
    """The caps in force: the defaults, changed by ``spec``.

    ``spec`` is a comma-separated list of ``category=N/day`` or ``category=N/hour`` (``N`` may be
    ``off`` to drop that cap); ``off`` alone drops every cap. Example:
    ``stMessages=30/day,stMessages=10/hour,stSearchQueries=off``.
    """
    caps: dict[tuple[str, Period], int | None] = {(c, "day"): n for c, n in DEFAULT_BUDGETS.items()}
    text = (spec or "").strip()
    if text.lower() in ("off", "none"):
        return ()
    for item in filter(None, (part.strip() for part in text.split(","))):
        category, sep, value = item.partition("=")
        category, value = category.strip(), value.strip()
        if not sep or category not in DEFAULT_BUDGETS:
            raise ConfigError(
                f"Budget '{item}': expected category=N/day or category=N/hour with a category among "
                f"{', '.join(CATEGORIES)}."
            )
        amount, _, period = value.partition("/")
        period = period.strip() or "day"
        if period not in ("day", "hour"):
            raise ConfigError(f"Budget '{item}': the period must be day or hour.")
        if amount.strip().lower() == "off":
            caps[(category, cast(Period, period))] = None
            if period == "day":
                caps.pop((category, "hour"), None)
            continue
        try:
            limit = int(amount)
        except ValueError:
            raise ConfigError(f"Budget '{item}': {amount!r} is not a whole number.") from None
        if limit < 0:
            raise ConfigError(f"Budget '{item}': the cap cannot be negative.")
        caps[(category, cast(Period, period))] = limit
    return tuple(Cap(c, p, n) for (c, p), n in caps.items() if n is not None)


@dataclass(frozen=True)
class GuardConfig:
    confirm: ConfirmPolicy = "elicit-or-preview"
    caps: tuple[Cap, ...] = tuple(Cap(c, "day", n) for c, n in DEFAULT_BUDGETS.items())
    confirm_ttl: float = CONFIRM_TTL_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> GuardConfig:
        return cls(confirm=settings.confirm, caps=parse_budgets(settings.budgets))

    def caps_for(self, units: Mapping[str, int]) -> tuple[Cap, ...]:
        return tuple(cap for cap in self.caps if units.get(cap.category))


def units_for(op: Operation, params: BaseModel) -> dict[str, int]:
    """How many actions of each limit category a start of ``op`` with ``params`` performs.

    Every action of the definition counts (a custom workflow messaging five people is five
    messages). Actions without a limit category (syncs, retrievals) cost nothing.
    """
    if op.build is None:
        return {}
    try:
        definition = op.build(params)
    except Exception:  # a definition the runner cannot build is refused elsewhere
        return {}
    counts: Counter[str] = Counter()

    def walk(node: Any, times: int, source: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, times, source)
            return
        if not isinstance(node, dict):
            return
        spec = ACTIONS.get(str(node.get("actionType")))
        if spec is not None and spec.is_iterator:
            # What sits under an iterator runs once per item the action above it hands over.
            times *= _items_reached(node, source)
        elif spec is not None and spec.limit_category is not None:
            counts[spec.limit_category] += times
        if node.get("then") is not None:
            walk(node["then"], times, node)

    walk(definition, 1, None)
    return dict(counts)


# [INFERRED] LinkedIn lists at most 100 skills on a profile: doForSkills without patterns
# ("all skills") may endorse that many.
_MAX_SKILLS = 100


def _items_reached(iterator: dict[str, Any], source: Any) -> int:
    """How many items an iterator can run its actions for: at most what its source returns.

    [INFERRED] Counted at the most the source can return: its ``limit`` when given, else that
    parameter's maximum (a budget must not be passed by leaving ``limit`` out). doForSkills runs
    once per ``skillNamePatterns`` entry (a pattern names a skill), or for all skills without them.
    """
    patterns = iterator.get("skillNamePatterns")
    if isinstance(patterns, list) and patterns:
        return len(patterns)
    if not isinstance(source, dict):
        return 1
    limit = source.get("limit")
    # A custom definition keeps its raw values ("20", 20.0 or even true pass validation): read the
    # number it means; true is not a count, so it falls through to the maximum.
    if isinstance(limit, int | float | str) and not isinstance(limit, bool):
        try:
            count = int(float(limit))
        except ValueError:
            count = 0
        if count > 0:
            return count
    spec = ACTIONS.get(str(source.get("actionType")))
    field_info = spec.params.model_fields.get("limit") if spec is not None else None
    if field_info is None:
        return _MAX_SKILLS if iterator.get("actionType") == "st.doForSkills" else 1
    bounds = [m.le for m in field_info.metadata if getattr(m, "le", None) is not None]
    return int(bounds[0]) if bounds else 1


# -- what the user is shown -----------------------------------------------------------------


# The text (who, what, from which account) is built in server/previews.py.


class ConfirmAction(BaseModel):
    """The elicitation form: one primitive field (elicitation schemas must be flat)."""

    confirm: bool = Field(True, title="Do it", description="Leave checked and accept to go ahead.")


@dataclass(frozen=True)
class NotAsked:
    """A resolver's answer when it did not ask the user, and why."""

    reason: Literal["policy", "no-elicitation", "deduplicated", "over-budget", "not-needed"]


Answer = ElicitationResult[ConfirmAction]


def _supports_elicitation(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    # A bare `elicitation: {}` is form support; url-only is not (same rule as the SDK's resolver).
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    # From 2026-07-28 the question travels in the result (input_required); before, it needs a
    # back-channel to the client, which stateless or JSON-response HTTP does not have.
    version = ctx.protocol_version
    if version is not None and is_version_at_least(version, "2026-07-28"):
        return True
    try:
        return bool(ctx.session.can_send_request)
    except Exception:
        return False


async def ask(ctx: Context, op: Operation, params: BaseModel) -> Elicit[ConfirmAction] | NotAsked:
    """The resolver body: ask only when the call would really start something."""
    state = cast("ServerState", ctx.request_context.lifespan_context)
    config = state.runner.guards
    if config.confirm == "never":
        return NotAsked("policy")
    if not _supports_elicitation(ctx):
        return NotAsked("no-elicitation")
    backend = state.backend(ctx)
    from mcp.server.mcpserver.exceptions import ToolError

    from linkedapi_mcp.server.db import StorageFault
    from linkedapi_mcp.server.storage_faults import refusal

    try:
        verdict = await state.runner.preflight(backend, op, params)
    except StorageFault as fault:  # nothing asked, nothing sent (server/storage_faults.py)
        raise ToolError(refusal(fault, op.tool)) from None
    if verdict is not None:
        return NotAsked(verdict)
    return Elicit(f"{await previews.action_text(backend, op, params)}\n\nGo ahead?", ConfirmAction)


def answer_annotation(
    op: Operation, argument_names: Iterable[str], parse: Callable[[dict[str, Any]], BaseModel]
) -> Any:
    """``Annotated[ElicitationResult[ConfirmAction], Resolve(resolver)]`` for one catalog tool.

    The resolver takes the tool's own arguments by name (the SDK passes the validated ones) and
    turns them into the params model with ``parse``.
    """
    return dispatch_answer_annotation(op.name, argument_names, lambda arguments: (op, parse(arguments)))


def dispatch_answer_annotation(
    key: str,
    argument_names: Iterable[str],
    resolve: Callable[[dict[str, Any]], tuple[Operation, BaseModel] | None],
) -> Any:
    """The same for a tool that runs operations chosen by its arguments (e.g. ``run_operation``).

    ``resolve`` maps the tool's arguments to ``(operation, params)``, or ``None`` when there is
    nothing to confirm. Arguments it cannot read are not asked about: the tool body reports
    them, and a write that still reaches the runner unconfirmed gets the preview step instead.
    """
    names = list(dict.fromkeys(argument_names))

    async def resolver(ctx: Context, **arguments: Any) -> Elicit[ConfirmAction] | NotAsked:
        try:
            target = resolve(arguments)
        except Exception:
            return NotAsked("not-needed")
        if target is None or target[0].effect != "write":
            return NotAsked("not-needed")
        return await ask(ctx, *target)

    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    parameters += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in names]
    resolver.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    resolver.__annotations__ = {"ctx": Context, "return": Elicit[ConfirmAction] | NotAsked}
    # The wire key of the question is module:qualname; one per tool keeps it stable across workers.
    resolver.__qualname__ = f"confirm_{key}"
    return Annotated[Answer, Resolve(resolver)]


# -- what the runner is told ----------------------------------------------------------------

Gate = Literal["go", "declined", "issue", "consume"]


@dataclass(frozen=True)
class GuardInput:
    """What a write tool call brings to the guard: its confirmationId and the user's answer."""

    confirmation_id: str | None = None
    answer: Any = None  # an ElicitationResult from the resolver, or None when none ran

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> GuardInput:
        value = extras.get(CONFIRM_FIELD)
        return cls(
            confirmation_id=value.strip() if isinstance(value, str) and value.strip() else None,
            answer=extras.get(ANSWER_PARAM),
        )


def gate(config: GuardConfig, op: Operation, guard: GuardInput | None) -> Gate:
    """Whether a start may go ahead, was declined, needs a preview, or redeems a confirmationId.

    [INFERRED] A declined or cancelled question is an outcome (``status: "declined"``), not an
    ``isError``: the user decided, nothing failed, and the agent must not treat it as retryable.
    """
    if op.effect != "write" or config.confirm == "never":
        return "go"
    guard = guard or GuardInput()
    answer = guard.answer
    if isinstance(answer, AcceptedElicitation):
        data = answer.data
        if isinstance(data, ConfirmAction):
            return "go" if data.confirm else "declined"
    elif answer is not None:  # declined or cancelled
        return "declined"
    # Not asked (no elicitation support, or the situation changed since the resolver looked).
    if guard.confirmation_id is not None:
        return "consume"
    if config.confirm == "elicit-or-allow" and (
        answer is None or (isinstance(answer.data, NotAsked) and answer.data.reason == "no-elicitation")
    ):
        return "go"
    return "issue"


def rejected_text(reason: str, op: Operation) -> str:
    return (
        f"[confirmationRejected] {reason} Nothing was sent. Call {op.tool} without confirmationId to get a "
        "new preview, show it to the user, and pass its confirmationId only if they approve."
    )


def preview_text(op: Operation, action: str, confirmation_id: str, expires: str) -> str:
    return (
        f"Nothing was sent yet. Ask the user to approve exactly this: {action}. If they approve, call "
        f'{op.tool} again with the same arguments plus confirmationId="{confirmation_id}" (valid until '
        f"{expires}, once). Any other argument needs a new preview."
    )


DECLINED_TEXT = "The user declined this action; nothing was sent. Do not retry it unless the user asks for it again."


def budget_text(cap: Cap, used: int, resets: str, requested: int = 1) -> str:
    period = "daily" if cap.period == "day" else "hourly"
    if requested > 1:  # e.g. an iterator's actions: say why a budget not yet used up refuses it
        return (
            f"[budgetExceeded] This call counts up to {requested} {cap.category} actions (once per item an "
            f"iteration can reach; a smaller limit or fewer skill patterns count less), more than the local {period} "
            f"budget leaves ({used} of {cap.limit} used); nothing was sent. It resets at {resets} (UTC). The user "
            "can change it with LINKEDAPI_MCP_BUDGETS."
        )
    return (
        f"[budgetExceeded] The local {period} budget for {cap.category} is reached ({used} of {cap.limit} used); "
        f"nothing was sent. It resets at {resets} (UTC). The user can change it with LINKEDAPI_MCP_BUDGETS."
    )


def cap_summary(caps: Sequence[Cap]) -> str:
    return ", ".join(f"{c.category}={c.limit}/{c.period}" for c in caps)


__all__ = [
    "ANSWER_PARAM",
    "CONFIRM_FIELD",
    "CONFIRM_INFO",
    "DEFAULT_BUDGETS",
    "Cap",
    "ConfirmAction",
    "ConfirmPolicy",
    "GuardConfig",
    "GuardInput",
    "NotAsked",
    "answer_annotation",
    "describe_action",
    "dispatch_answer_annotation",
    "gate",
    "parse_budgets",
    "units_for",
]
