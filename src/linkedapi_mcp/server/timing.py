"""Timing decisions: how long a tool call may wait, and when to poll next.

Plain functions of their inputs so they can be table-tested; the waiting loop in
:mod:`linkedapi_mcp.server.runner` only applies them. The runner polls through
:func:`next_look`, which never sends more status GETs than the official server's policy (a GET at
once, then one every 5 s) and keeps the one piece of state, the GETs already sent per workflow,
in a :class:`GetBook`; :func:`next_poll_delay` without ``since_call`` is the schedule without
that credit.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from statistics import NormalDist

from linkedapi_mcp.server.durations import Prediction

# Request time-outs of MCP clients, by normalised client name (contract §9.2, the official
# server's table). Checked in order; the first group whose marker occurs in the name wins.
# [INFERRED] Substring matching instead of exact names: real hosts report names like
# "claude-ai", "cursor-vscode" or "Visual Studio Code", which exact matching would miss.
_CLIENT_TIMEOUTS: tuple[tuple[tuple[str, ...], float], ...] = (
    (
        ("codex", "claude-code", "claude_code", "claude code", "cursor", "vscode", "visual studio code", "windsurf"),
        600.0,
    ),
    (("chatgpt", "openai"), 50.0),
    (("claude", "anthropic"), 180.0),
)
DEFAULT_CLIENT_TIMEOUT = 60.0
TIMEOUT_MARGIN = 5.0  # answer this long before the client gives up on the request


def client_timeout(client_name: str | None) -> float:
    """The request time-out we assume for a client, from its ``clientInfo.name``."""
    name = (client_name or "").strip().lower()
    for markers, timeout in _CLIENT_TIMEOUTS:
        if any(marker in name for marker in markers):
            return timeout
    return DEFAULT_CLIENT_TIMEOUT


def wait_budget(
    *,
    client_name: str | None,
    requested: float | None,
    configured: float | None,
    maximum: float,
) -> float:
    """Seconds a tool call may spend waiting for a workflow before it returns a handle.

    The ceiling is the operator's ``configured`` budget if set, else the client's time-out minus
    a margin, never above ``maximum``. An agent's ``requested`` ``waitSeconds`` can only lower
    it (0 = return the handle at once): asking for more than the client will wait would just
    turn a useful handle into a client-side time-out.
    """
    ceiling = configured if configured is not None else max(client_timeout(client_name) - TIMEOUT_MARGIN, 0.0)
    ceiling = max(min(ceiling, maximum), 0.0)
    if requested is None:
        return ceiling
    return max(min(requested, ceiling), 0.0)


@dataclass(frozen=True)
class PollPolicy:
    """Knobs of the polling schedule, in seconds of wall time.

    For the embedded sandbox every duration is divided by its speed factor (:meth:`scaled`),
    since its clock runs that much faster than LinkedIn's; ``clock_factor`` remembers the factor
    so the duration model can scale its priors the same way.
    """

    first: float = 2.0  # the early look: catches instant answers, fast failures, a queued start
    # [INFERRED] Never poll one workflow more often than every 0.5 s. The contract sets no limit on
    # status GETs (they run no LinkedIn action); this keeps the dense phase, a few seconds around
    # a well-predicted end, at two requests per second at most.
    floor: float = 0.5
    # Inside the predicted window: about ``window_polls`` looks over predicted ± ``window_sigmas``
    # spreads, never further apart than ``dense``. Tuned with tools/bench/lag.py over several
    # sandbox seeds so the GETs per workflow stay under a fixed 5 s poll's (docs/benchmarks.md).
    dense: float = 2.0
    window_sigmas: float = 1.5
    window_polls: float = 12.0
    ceiling: float = 15.0  # once overdue, never leave more than this between polls (bounds the lag)
    # [INFERRED] 20 s when nothing at all is known: the contract says "~30 s to minutes" (§3).
    prior: float = 20.0
    # Overdue or unpredictable: wait a tenth of the time spent so far, so the result is seen at
    # most ~10 % late (GETs grow with the log of the duration).
    backoff: float = 0.1
    # The official server's policy (its SDK): a GET at once, then one every ``interval`` seconds.
    # With ``since_call`` (:func:`next_look`) the schedule never spends more GETs than that policy
    # would have by the same moment: the k-th GET of a call comes no earlier than k intervals
    # after the call began, and a call leaves its last interval unspent for the next call's
    # immediate look (``get_workflow_result``), so back-to-back calls stay within it too.
    interval: float = 5.0
    # Looks within the credit (next_look): at evenly spaced quantiles of the prediction widened
    # ``spacing`` times (0: evenly spaced in time), up to ``credit_sigmas`` spreads past the
    # predicted end. Tuned with tools/bench/lag.py over five sandbox seeds (docs/benchmarks.md).
    spacing: float = 1.0
    credit_sigmas: float = 2.0
    clock_factor: float = 1.0

    @classmethod
    def every(cls, interval: float) -> PollPolicy:
        """The policy for a credit of one GET per ``interval`` seconds
        (``LINKEDAPI_MCP_POLL_INTERVAL_SECONDS``). At the default (5 s) and above, past a failed
        prediction the back-off saves GETs (a tenth of the time spent, up to 15 s apart). Below
        it the operator has chosen results sooner for more GETs, so once a prediction has failed
        (or there is none) the server looks at the credit's full rate, once per interval, instead
        of leaving up to 15 s between looks (tools/bench/lag.py and push.py measure both)."""
        return cls(interval=interval, ceiling=cls.ceiling if interval >= cls.interval else interval)

    def scaled(self, factor: float) -> PollPolicy:
        return replace(
            self,
            first=self.first / factor,
            floor=self.floor / factor,
            dense=self.dense / factor,
            ceiling=self.ceiling / factor,
            prior=self.prior / factor,
            interval=self.interval / factor,
            clock_factor=self.clock_factor * factor,
        )


def poll_window(policy: PollPolicy, prediction: Prediction) -> tuple[float, float, float]:
    """``(start, end, step)``: where the end is likely (predicted ± ``window_sigmas`` spreads) and
    how often to look there — about ``window_polls`` looks across it, every ``floor`` to ``dense``
    seconds. A well-predicted end gets a short window and a fine step, a poorly predicted one a
    wide window at the coarsest dense step."""
    half = policy.window_sigmas * prediction.spread
    start, end = max(prediction.mean - half, 0.0), prediction.mean + half
    step = min(max((end - start) / policy.window_polls, policy.floor), policy.dense)
    return start, end, step


def next_poll_delay(
    policy: PollPolicy,
    *,
    elapsed: float,
    prediction: Prediction | None,
    remaining: float,
    polls: int,
    since_call: float | None = None,
) -> float:
    """Seconds to sleep before the next status poll.

    * ``elapsed``: time since the workflow was created, or since it was last seen still queued
      (the predicted end moves with the queue); ``prediction``: its predicted run time from
      :mod:`.durations` (``None``: its work is unknown, or it is queued and its start unknown);
    * ``remaining``: what is left of the caller's budget; ``polls``: polls already made.

    Schedule: one early look (``first``); then one sleep to the start of the predicted window;
    then a look every ``step`` (:func:`poll_window`) until its end; past it the prediction was
    wrong, so back off in proportion to the time spent, within [step, ceiling]. Without a
    prediction: the early look, then that back-off. Never past the budget: the last poll lands
    exactly when it ends. Mean lag ≈ step / 2 when the prediction holds; GETs ≈ 2 + window_polls.

    With ``since_call`` (seconds since the credit's start and ``polls`` GETs spent since; see
    :func:`next_look`, which enforces the credit) the schedule changes: no early look, a window
    of predicted ± ``credit_sigmas`` spreads, and in it as many looks as the credit will allow by
    its end, at evenly spaced quantiles of the (``spacing``-widened) prediction given that the end
    has not come yet — dense where the end is likely. Past the window: the back-off.
    """
    if remaining <= 0:
        return 0.0
    if prediction is None:
        if polls == 0 and elapsed < policy.first:
            delay = policy.first - elapsed
        else:
            delay = min(max(policy.backoff * elapsed, policy.floor), policy.ceiling)
        return min(delay, remaining)
    if since_call is not None:
        # Within the GET credit: no early look (one of a short workflow's few GETs); the GETs
        # the credit will allow by the window's end placed over what is left of the window.
        start, end, step = poll_window(replace(policy, window_sigmas=policy.credit_sigmas), prediction)
        if elapsed >= end:
            return min(min(max(policy.backoff * elapsed, step), policy.ceiling), remaining)
        credits = max(1, math.floor((since_call + end - elapsed) / policy.interval) + 1 - polls)
        if policy.spacing > 0:
            delay = _quantile_look(policy, elapsed, prediction, end, credits)
        else:
            step = max(step, (end - max(start, elapsed)) / credits)
            delay = start - elapsed + step if elapsed < start else step
        return min(max(delay, policy.floor), remaining)
    start, end, step = poll_window(policy, prediction)
    if polls == 0 and elapsed < policy.first < start:
        delay = policy.first - elapsed  # the early look
    elif elapsed < start:
        delay = max(start - elapsed, step)  # nothing to learn before then: one long sleep
    elif elapsed < end:
        delay = step
    else:
        delay = min(max(policy.backoff * elapsed, step), policy.ceiling)
    return min(delay, remaining)


def _quantile_look(policy: PollPolicy, elapsed: float, prediction: Prediction, end: float, credits: int) -> float:
    """Seconds to the first of ``credits`` looks placed from now to ``end`` at evenly spaced
    quantiles of the predicted end, given that it has not come yet: dense where the end is
    likely, sparse in the tails. The quantiles are of the prediction widened ``spacing`` times
    (√2: looks spaced as 1/√density, which minimises the mean lag of a fixed number of looks)."""
    dist = NormalDist(prediction.mean, max(prediction.spread * policy.spacing, 1e-6))
    low, high = dist.cdf(elapsed), dist.cdf(end)
    if high - low < 1e-9:
        return end - elapsed
    return dist.inv_cdf(min(low + (high - low) / credits, 1 - 1e-12)) - elapsed


def credit_delay(policy: PollPolicy, *, since_call: float, remaining: float, polls: int) -> float | None:
    """The earliest moment, in seconds from now, the next GET of this call may be sent so that it
    never spends more GETs than the official server's policy (a GET at once, then one every
    ``interval``), or ``None``: no GET is left in this call.

    The k-th GET of a call (``polls`` = k, from 0) is due ``k × interval`` after the call began.
    A call of length L thus sends at most ``⌊L / interval⌋`` GETs: the credit that would come due
    in its last interval is left for the next call's immediate look, so n back-to-back calls
    never send more than ``⌊t / interval⌋ + 1`` GETs in their first t seconds — what the
    official server sends (its GETs at 0, 5, 10 … seconds).
    """
    due = polls * policy.interval
    if due > since_call + remaining - policy.interval:
        return None
    return max(due - since_call, 0.0)


class GetBook:
    """How many status GETs this process has sent for each workflow, across tool calls (the
    newest ``size`` workflows). It lets a ``get_workflow_result`` call spend the credit that the
    earlier calls on the same workflow left unspent, instead of starting from nothing.

    A workflow it does not know (another process polled it, or it was forgotten) is assumed to
    have spent all the credit its earlier calls could have: ``⌊call start / interval⌋`` GETs,
    what :func:`credit_delay` allows calls that began at creation and went back to back.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._calls: OrderedDict[str, tuple[float, int, int]] = OrderedDict()  # call start, its GETs, before

    def before(self, workflow: str, call_start: float, interval: float) -> int:
        """GETs sent for ``workflow`` before the call that began ``call_start`` s after its creation."""
        known = self._calls.get(workflow)
        if known is None:
            return math.floor(call_start / interval + 1e-9)
        start, sent, before = known
        return before if abs(start - call_start) < 1e-3 else before + sent

    def spend(self, workflow: str, call_start: float, interval: float, sent: int) -> None:
        """Record that the call that began at ``call_start`` has sent ``sent`` GETs so far."""
        self._calls[workflow] = (call_start, sent, self.before(workflow, call_start, interval))
        self._calls.move_to_end(workflow)
        while len(self._calls) > self._size:
            self._calls.popitem(last=False)


GETS = GetBook()


def next_look(
    policy: PollPolicy,
    *,
    elapsed: float,
    prediction: Prediction | None,
    remaining: float,
    polls: int,
    since_call: float,
    workflow: str | None = None,
    since_created: float | None = None,
    book: GetBook | None = None,
    soon: bool = False,
) -> float | None:
    """:func:`next_poll_delay` within the GET credit of :func:`credit_delay`: seconds to sleep
    before the next status poll, or ``None`` when this call has no GET left (sleep out the
    budget and hand back the handle).

    With ``workflow`` and ``since_created`` (seconds since the workflow was created) the credit
    counts from the creation over every call on it that ``book`` (default :data:`GETS`) saw, so
    a call that follows another spends what that one saved; each returned delay is booked as one
    GET. Without them, each call has its own credit from its start. With ``soon`` (something
    other than a GET says the state has likely changed: the workflow it was queued behind has
    ended) the look is as early as the credit allows, whatever the schedule."""
    anchor, spent = since_call, polls
    call: tuple[GetBook, str, float] | None = None
    if workflow is not None and since_created is not None:
        call = (GETS if book is None else book, workflow, since_created - since_call)
        anchor, spent = since_created, call[0].before(workflow, call[2], policy.interval) + polls
    earliest = credit_delay(policy, since_call=anchor, remaining=remaining, polls=spent)
    if call is not None:  # what this call has sent, and the GET it is about to send (if any)
        call[0].spend(call[1], call[2], policy.interval, polls + (earliest is not None))
    if earliest is None:
        return None
    if soon:
        return earliest
    delay = next_poll_delay(
        policy, elapsed=elapsed, prediction=prediction, remaining=remaining, polls=spent, since_call=anchor
    )
    return max(delay, earliest)


def poll_after_seconds(policy: PollPolicy, *, elapsed: float, prediction: Prediction | None) -> int:
    """The ``pollAfterSeconds`` hint handed to an agent with a pending handle (whole seconds, ≥ 1):
    the start of the predicted window, or a tenth of the time spent once inside or past it."""
    if prediction is None:
        prediction = Prediction(policy.prior, policy.prior / 2)
    start, _end, _step = poll_window(policy, prediction)
    hint = start - elapsed if elapsed < start else policy.backoff * elapsed
    return max(1, round(min(max(hint, policy.floor), policy.ceiling * 2)))
