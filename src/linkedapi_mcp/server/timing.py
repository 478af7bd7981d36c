"""Pure timing decisions: how long a tool call may wait, and when to poll next.

Both are plain functions of their inputs so they can be table-tested; the waiting loop in
:mod:`linkedapi_mcp.server.runner` only applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    ``prior`` is the assumed duration of an operation nobody has timed yet. For the embedded
    sandbox every value is divided by its speed factor (:meth:`scaled`), since its clock runs
    that much faster than LinkedIn's.
    """

    first: float = 2.0  # first look: catches instant answers and queue → running early
    floor: float = 1.0  # never poll more often than this
    ceiling: float = 15.0  # once overdue, never leave more than this between polls (bounds the lag)
    # [INFERRED] 20 s: the contract says "~30 s to minutes" (§3); aiming the first real look at
    # 80 % of a lower guess costs a few GETs but keeps a quick workflow from waiting on a slow guess.
    prior: float = 20.0
    early_fraction: float = 0.8  # aim the first real poll at 80 % of the typical duration
    # Once overdue: wait a tenth of the time spent so far, so the result is seen at most ~10 % late
    # (GETs grow with the log of the duration). Tuned with tools/bench/lag.py against the fixed 5 s.
    backoff: float = 0.1

    def scaled(self, factor: float) -> PollPolicy:
        return PollPolicy(
            first=self.first / factor,
            floor=self.floor / factor,
            ceiling=self.ceiling / factor,
            prior=self.prior / factor,
            early_fraction=self.early_fraction,
            backoff=self.backoff,
        )


def next_poll_delay(
    policy: PollPolicy, *, elapsed: float, typical: float | None, remaining: float, polls: int
) -> float:
    """Seconds to sleep before the next status poll.

    * ``elapsed``: time since the workflow was started; ``typical``: the median duration of this
      operation learned from the ledger (``None`` = use the policy's prior);
    * ``remaining``: what is left of the caller's budget; ``polls``: polls already made.

    Schedule: a quick first look; then straight to ``early_fraction`` of the typical duration
    (no point asking earlier; progress heartbeats keep the client informed meanwhile); then
    back off in proportion to the time spent, within [floor, ceiling], so a result is seen about
    10 % late at most (never more than ``ceiling``) and a 10-minute wait costs about 55 GETs instead
    of a fixed 5 s interval's 120. Never past the budget: the last poll lands exactly when it ends.
    An operation the ledger has timed skips the quick first look and sleeps straight to its target.
    """
    if remaining <= 0:
        return 0.0
    expected = typical if typical is not None and typical > 0 else policy.prior
    target = expected * policy.early_fraction
    if polls == 0 and typical is None:
        delay = min(policy.first, max(target - elapsed, policy.floor))  # unknown: a quick first look
    elif elapsed < target:
        delay = max(target - elapsed, policy.floor)  # nothing to learn before then: one long sleep
    else:
        delay = min(max(policy.backoff * elapsed, policy.floor), policy.ceiling)
    return min(delay, remaining)


def poll_after_seconds(policy: PollPolicy, *, elapsed: float, typical: float | None) -> int:
    """The ``pollAfterSeconds`` hint handed to an agent with a pending handle (whole seconds, ≥ 1)."""
    expected = typical if typical is not None and typical > 0 else policy.prior
    hint = expected - elapsed if elapsed < expected else policy.backoff * elapsed
    return max(1, round(min(max(hint, policy.floor), policy.ceiling * 2)))
