"""How long a tool call waits, and when it polls: pure functions, checked as tables."""

from __future__ import annotations

import pytest

from linkedapi_mcp.server.timing import PollPolicy, client_timeout, next_poll_delay, poll_after_seconds, wait_budget


@pytest.mark.parametrize(
    ("client", "timeout"),
    [
        ("claude-code", 600),
        ("Claude Code", 600),
        ("codex-cli", 600),
        ("openai-codex", 600),  # codex wins over openai
        ("cursor-vscode", 600),
        ("Visual Studio Code", 600),
        ("windsurf", 600),
        ("claude-ai", 180),  # Claude Desktop's clientInfo name
        ("claude-desktop", 180),
        ("anthropic", 180),
        ("chatgpt", 50),
        ("openai-mcp", 50),
        ("mcp-inspector", 60),
        (None, 60),
        ("", 60),
    ],
)
def test_client_timeouts_follow_the_official_servers_table(client: str | None, timeout: float) -> None:
    assert client_timeout(client) == timeout


@pytest.mark.parametrize(
    ("client", "requested", "configured", "maximum", "budget"),
    [
        ("claude-code", None, None, 595, 595),  # 600 − 5 s margin
        ("claude-ai", None, None, 595, 175),
        ("chatgpt", None, None, 595, 45),
        ("unknown", None, None, 595, 55),
        ("claude-code", None, None, 120, 120),  # the operator's cap wins
        ("chatgpt", 0, None, 595, 0),  # waitSeconds 0 = hand back the handle at once
        ("chatgpt", 20, None, 595, 20),
        ("chatgpt", 500, None, 595, 45),  # never longer than the client will wait
        ("chatgpt", None, 300, 595, 300),  # an operator-configured budget replaces the client's
        ("chatgpt", 1000, 300, 595, 300),
        ("chatgpt", None, 900, 595, 595),
    ],
)
def test_wait_budget_is_the_client_timeout_minus_a_margin_lowered_by_wait_seconds(
    client: str, requested: float | None, configured: float | None, maximum: float, budget: float
) -> None:
    assert wait_budget(client_name=client, requested=requested, configured=configured, maximum=maximum) == budget


POLICY = PollPolicy()  # first 2 s, floor 1 s, ceiling 15 s, prior 20 s, aim at 80 %, back off 10 %


@pytest.mark.parametrize(
    ("elapsed", "typical", "remaining", "polls", "delay"),
    [
        (0, None, 600, 0, 2),  # an operation never timed: a quick first look
        (2, None, 600, 1, 14),  # then straight to 80 % of the 20 s prior
        (16, None, 600, 2, 1.6),  # overdue: a tenth of the elapsed time …
        (60, None, 600, 9, 6),
        (400, None, 600, 30, 15),  # … never more than the ceiling
        (0, 5, 600, 0, 4),  # timed by the ledger: no quick look, straight to 80 % of 5 s
        (4, 5, 600, 1, 1),  # overdue at once: floor 1 s
        (0, 300, 600, 0, 240),  # a 5-minute search: one long sleep
        (0, 0.5, 600, 0, 1),  # never more often than the floor
        (2, None, 3.5, 1, 3.5),  # the last poll lands exactly at the end of the budget
        (2, None, 0, 1, 0),
    ],
)
def test_poll_schedule_looks_early_then_aims_at_the_typical_duration_then_backs_off(
    elapsed: float, typical: float | None, remaining: float, polls: int, delay: float
) -> None:
    assert next_poll_delay(POLICY, elapsed=elapsed, typical=typical, remaining=remaining, polls=polls) == pytest.approx(
        delay
    )


def test_a_whole_ten_minute_wait_costs_a_few_dozen_polls_not_a_hundred_and_twenty() -> None:
    elapsed, polls = 0.0, 0
    while elapsed < 600:
        elapsed += next_poll_delay(POLICY, elapsed=elapsed, typical=None, remaining=600 - elapsed, polls=polls)
        polls += 1
    assert 30 <= polls <= 60  # a fixed 5 s interval would be 120


def test_sandbox_policy_is_the_same_schedule_on_a_faster_clock() -> None:
    fast = POLICY.scaled(10)
    assert next_poll_delay(fast, elapsed=0.2, typical=None, remaining=60, polls=1) == pytest.approx(1.4)
    assert fast.floor == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("elapsed", "typical", "hint"),
    [(0, None, 20), (10, None, 10), (100, None, 10), (10, 60, 30), (1000, None, 30)],
)
def test_poll_after_hint_points_at_the_expected_finish(elapsed: float, typical: float | None, hint: int) -> None:
    assert poll_after_seconds(POLICY, elapsed=elapsed, typical=typical) == hint
