"""How long a tool call waits, and when it polls: pure functions, checked as tables."""

from __future__ import annotations

import pytest

from linkedapi_mcp.server.durations import Prediction
from linkedapi_mcp.server.timing import (
    PollPolicy,
    client_timeout,
    next_look,
    next_poll_delay,
    poll_after_seconds,
    wait_budget,
)


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


POLICY = PollPolicy()  # first 2 s, floor 0.5 s, dense ≤ 2 s, window ± 1.5 spreads in ~12 looks, ceiling 15 s
KNOWN = Prediction(mean=60, spread=4)  # window 54-66 s, a look every 1 s
SHARP = Prediction(mean=300, spread=1)  # window 298.5-301.5 s: finer than the floor, so 0.5 s
VAGUE = Prediction(mean=30, spread=20)  # window 0-60 s: looks no closer than every 2 s


@pytest.mark.parametrize(
    ("elapsed", "prediction", "remaining", "polls", "delay"),
    [
        (0, KNOWN, 600, 0, 2),  # the early look (instant answers, fast failures, a queued start)
        (2, KNOWN, 600, 1, 52),  # then one long sleep to the start of the predicted window
        (54, KNOWN, 600, 2, 1),  # inside the window: a look every step
        (65.5, KNOWN, 600, 13, 1),
        (66, KNOWN, 600, 14, 6.6),  # past it the prediction was wrong: a tenth of the time spent …
        (300, KNOWN, 600, 30, 15),  # … never more than the ceiling
        (299, SHARP, 600, 3, 0.5),  # a sharp prediction: the floor, never faster
        (0, VAGUE, 600, 0, 2),  # a vague one: the window starts at once, at its coarsest step
        (0, Prediction(mean=1, spread=0.2), 600, 0, 0.7),  # window opens before the early look
        (0, None, 600, 0, 2),  # work unknown: the early look …
        (16, None, 600, 2, 1.6),  # … then a tenth of the time spent
        (400, None, 600, 30, 15),
        (2, KNOWN, 3.5, 1, 3.5),  # the last poll lands exactly at the end of the budget
        (2, KNOWN, 0, 1, 0),
    ],
)
def test_poll_schedule_looks_early_then_sleeps_to_the_predicted_window_then_polls_densely(
    elapsed: float, prediction: Prediction | None, remaining: float, polls: int, delay: float
) -> None:
    got = next_poll_delay(POLICY, elapsed=elapsed, prediction=prediction, remaining=remaining, polls=polls)
    assert got == pytest.approx(delay)


def _wait(duration: float, prediction: Prediction | None) -> tuple[float, int]:
    """(lag, polls) of waiting for a workflow of ``duration`` on the schedule."""
    elapsed, polls = 0.0, 0
    while True:
        elapsed += next_poll_delay(POLICY, elapsed=elapsed, prediction=prediction, remaining=3600, polls=polls)
        polls += 1
        if elapsed >= duration:
            return elapsed - duration, polls


@pytest.mark.parametrize("duration", [14.0, 47.0, 161.0, 313.0])
def test_a_well_predicted_workflow_is_seen_within_one_dense_step_with_fewer_looks_than_a_fixed_5_s_poll(
    duration: float,
) -> None:
    for error in (-0.05, 0.0, 0.05):  # predicted within ±5 %, spread as the model would report
        lag, polls = _wait(duration, Prediction(mean=duration * (1 + error), spread=max(2.0, 0.05 * duration)))
        assert lag <= POLICY.dense
        assert polls <= max(duration // 5 + 1, 14)  # fixed 5 s: one look per 5 s


def test_a_badly_predicted_workflow_is_still_seen_about_ten_percent_late() -> None:
    lag, polls = _wait(200.0, Prediction(mean=60, spread=4))  # three times longer than predicted
    assert lag <= 0.1 * 200 + 1
    assert polls <= 40


def test_a_whole_ten_minute_wait_without_prediction_costs_a_few_dozen_polls_not_a_hundred_and_twenty() -> None:
    elapsed, polls = 0.0, 0
    while elapsed < 600:
        elapsed += next_poll_delay(POLICY, elapsed=elapsed, prediction=None, remaining=600 - elapsed, polls=polls)
        polls += 1
    assert 30 <= polls <= 80  # a fixed 5 s interval would be 120


def test_sandbox_policy_is_the_same_schedule_on_a_faster_clock() -> None:
    fast = POLICY.scaled(10)
    scaled = Prediction(mean=6, spread=0.4)  # KNOWN on a 10x clock
    assert next_poll_delay(fast, elapsed=0.2, prediction=scaled, remaining=60, polls=1) == pytest.approx(5.2)
    assert next_poll_delay(fast, elapsed=5.4, prediction=scaled, remaining=60, polls=2) == pytest.approx(0.1)
    assert fast.floor == pytest.approx(0.05)
    assert fast.clock_factor == 10


@pytest.mark.parametrize(
    ("elapsed", "prediction", "hint"),
    [(0, KNOWN, 30), (40, KNOWN, 14), (60, KNOWN, 6), (0, None, 5), (10, None, 1), (1000, None, 30)],  # ≤ 2 ceilings
)
def test_poll_after_hint_points_at_the_predicted_window(
    elapsed: float, prediction: Prediction | None, hint: int
) -> None:
    assert poll_after_seconds(POLICY, elapsed=elapsed, prediction=prediction) == hint


def test_an_event_that_says_look_now_gets_the_earliest_look_the_get_credit_allows() -> None:
    # The workflow a queued one waited behind has ended: look as soon as the credit allows (here
    # at once: no GET spent for 30 s), not when the queued back-off would (3 s on).
    policy = PollPolicy()

    def look(polls: int, *, soon: bool = False) -> float | None:
        return next_look(policy, elapsed=30.0, prediction=None, remaining=25.0, polls=polls, since_call=30.0, soon=soon)

    assert look(0) == pytest.approx(3.0)
    assert look(0, soon=True) == 0.0
    # and never earlier than the credit: six GETs in 30 s leave one due now, seven the next in 5 s
    assert look(6, soon=True) == pytest.approx(0.0)
    assert look(7, soon=True) == pytest.approx(5.0)
