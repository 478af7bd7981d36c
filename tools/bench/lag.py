"""Result lag and upstream GETs: our server's poll schedule against the SDKs' fixed 5-second poll.

Both runs use a fresh embedded sandbox (same seed, so the same workflow durations) whose clock is
**frozen** (speed 0) and moved only by the pollers' sleeps: a discrete-event simulation, one
workflow at a time (the account runs them one at a time anyway). Every figure is in **virtual
(= real LinkedIn) seconds**:

* The server runs unmodified except for its clocks: the runner's wall / monotonic clocks and the
  ledger's clock read the sandbox's virtual clock, and the runner's sleep advances it
  (``Runner(wall=, monotonic=, sleep=)``). Its policy is the real one (unscaled) and its wait
  budget the real 55 s. So sleeping 1 s costs no wall time and overshoots by nothing; an
  earlier version slept wall seconds divided by the speed and every ~1 ms of wall overshoot
  turned into 0.2 virtual seconds of lag at 200×.
* The baseline sleeps its 5 s the same way (advancing the same kind of clock).
* Lag = ``(virtual time of the GET that saw completion − virtual completion time)`` + the wall
  time from that GET to the result reaching the MCP client. The second part is not scaled:
  delivering a result costs the same milliseconds at any speed.
* The agent is simulated as a client that, when a call returns ``pending``, immediately calls
  ``get_workflow_result`` (what the handle's message tells it to do).
* Baseline: the facade's start + ``GET /workflows/{id}`` every 5 virtual seconds until done
  (contract §9.1, ``poll_interval=5 s``: sleep 5 s after each answer).
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from .common import BenchResult, median

BASELINE_INTERVAL = 5.0  # seconds, the official SDKs' and server's fixed poll interval
DEFAULT_BUDGET = 55.0  # the official server's budget for an unknown client (60 s time-out − 5 s)


def workload(samples: dict[str, Any], quick: bool, rounds: int = 2) -> list[tuple[str, dict[str, Any]]]:
    """A mixed set of workflows lasting from ~12 s to ~5 min of sandbox time.

    The full workload runs ``rounds`` rounds of 14 workflows on other people, companies and
    search terms each round (the lag of a fixed 5 s poll is spread over 0-5 s, so it takes a few
    dozen workflows for its mean to settle near 2.5 s).
    """
    people, companies = samples["personUrls"], samples["companyUrls"]
    if quick:
        return [("fetch_person", {"personUrl": people[0]}), ("search_people", {"term": "engineer", "limit": 5})]
    jobs: list[tuple[str, dict[str, Any]]] = []
    for r in range(rounds):
        p = [people[(r * 5 + i) % len(people)] for i in range(5)]
        c = [companies[(r * 3 + i) % len(companies)] for i in range(3)]
        t = "" if r == 0 else f" {r}"
        jobs += [
            ("fetch_person", {"personUrl": p[0]}),
            ("search_people", {"term": "engineer" + t, "limit": 5}),
            ("fetch_person", {"personUrl": p[1], "retrieveExperience": True, "retrieveEducation": True}),
            ("fetch_company", {"companyUrl": c[0]}),
            ("search_people", {"term": "manager" + t, "limit": 25}),
            (
                "fetch_person",
                {
                    "personUrl": p[2],
                    "retrieveExperience": True,
                    "retrievePosts": True,
                    "postsRetrievalConfig": {"limit": 10},
                },
            ),
            ("search_companies", {"term": "software" + t, "limit": 10}),
            (
                "fetch_company",
                {"companyUrl": c[1], "retrieveEmployees": True, "employeesRetrievalConfig": {"limit": 50}},
            ),
            ("retrieve_connections", {"limit": 50 + r}),
            ("search_people", {"term": "sales" + t, "limit": 100}),
            ("fetch_person", {"personUrl": p[3], "retrieveSkills": True}),
            (
                "fetch_company",
                {"companyUrl": c[2], "retrieveEmployees": True, "employeesRetrievalConfig": {"limit": 300}},
            ),
            ("search_people", {"term": "designer" + t, "limit": 200}),
            ("fetch_person", {"personUrl": p[4]}),
        ]
    return jobs


@dataclass
class Row:
    tool: str
    workflow_id: str
    duration: float  # virtual seconds from acceptance to completion
    lag: float  # virtual seconds from completion to the result in the caller's hands
    poll_lag: float  # part of lag: completion → the GET that saw it (virtual)
    delivery_ms: float  # part of lag: that GET → result delivered (wall milliseconds, unscaled)
    gets: int  # GET /workflows/{id} requests
    calls: int  # MCP tool calls the agent made (1 = the result came back in the first call)


def _rows(sandbox: Any, runs: list[tuple[str, str, float, int]]) -> list[Row]:
    entries = sandbox.requests.entries
    rows = []
    for tool, workflow_id, received, calls in runs:
        record = sandbox.scheduler.get(workflow_id)
        if record is None or record.finished_at is None:
            raise RuntimeError(f"{workflow_id} did not finish")
        gets = [e for e in entries if e.method == "GET" and e.path == f"/workflows/{workflow_id}"]
        last = gets[-1]  # both callers stop polling once they have seen the completion
        poll_lag = max(0.0, (last.virtual_time - record.finished_at).total_seconds())
        delivery = max(0.0, received - last.real_time)
        rows.append(
            Row(
                tool=tool,
                workflow_id=workflow_id,
                duration=(record.finished_at - record.created_at).total_seconds(),
                lag=poll_lag + delivery,
                poll_lag=poll_lag,
                delivery_ms=delivery * 1000,
                gets=len(gets),
                calls=calls,
            )
        )
    return rows


def _virtual_clock(sandbox: Any) -> tuple[Any, Any]:
    """(now, sleep) on the sandbox's frozen clock: sleeping advances it."""

    def now() -> float:
        return float(sandbox.clock.now().timestamp())

    async def sleep(seconds: float) -> None:
        if seconds > 0:  # whole microseconds up: the clock's resolution; rounding down could stall
            sandbox.clock.advance(math.ceil(seconds * 1e6) / 1e6)
        await anyio.lowlevel.checkpoint()  # let the other tasks (the MCP session) run

    return now, sleep


async def run_ours(speed: float, quick: bool, seed: int = 42, budget: float = DEFAULT_BUDGET) -> list[Row]:
    from mcp import Client

    from linkedapi_mcp.sandbox import Sandbox
    from linkedapi_mcp.server.app import build
    from linkedapi_mcp.server.guards import GuardConfig
    from linkedapi_mcp.server.ledger import Ledger
    from linkedapi_mcp.server.runner import Runner
    from linkedapi_mcp.settings import Settings

    del speed  # the virtual clock is frozen: only sleeps move it
    sandbox = Sandbox(seed=seed, speed=0)
    now, sleep = _virtual_clock(sandbox)
    runs: list[tuple[str, str, float, int]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        # Speed 1: the server's policy is the real one; its clocks are the sandbox's.
        settings = Settings(data_dir=Path(data_dir), sandbox_speed=1.0, wait_seconds=budget)
        server, state = build(settings, sandbox=sandbox)
        # The clock hook: build() has no clock parameter, so the lazily built ledger and runner
        # are provided up front, identical but for their clocks.
        ledger = Ledger(Path(data_dir) / "bench-ledger.sqlite3", clock=now)
        state._ledger = ledger
        state._runner = Runner(
            ledger,
            dedupe_window=settings.dedupe_window_seconds,
            guards=GuardConfig.from_settings(settings),
            wall=now,
            monotonic=now,
            sleep=sleep,
        )
        async with Client(server) as client:
            for tool, arguments in workload(sandbox.samples(), quick):
                result = await client.call_tool(tool, arguments)
                calls = 1
                data = result.structured_content or {}
                while not result.is_error and data.get("status") in ("pending", "running"):
                    result = await client.call_tool("get_workflow_result", {"workflowId": data["workflowId"]})
                    data = result.structured_content or {}
                    calls += 1
                received = time.time()
                if result.is_error or data.get("status") != "completed":
                    raise RuntimeError(f"{tool} did not complete: {result.content}")
                runs.append((tool, str(data["workflowId"]), received, calls))
    return _rows(sandbox, runs)


async def run_baseline(speed: float, quick: bool, seed: int = 42) -> list[Row]:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.facade import LinkedApi
    from linkedapi_mcp.sandbox import Sandbox

    del speed
    sandbox = Sandbox(seed=seed, speed=0)
    _now, sleep = _virtual_clock(sandbox)
    client = LinkedApiClient(
        linked_api_token="bench", identification_token="bench", base_url=sandbox.base_url, transport=sandbox.transport()
    )
    api = LinkedApi(client)
    runs: list[tuple[str, str, float, int]] = []
    try:
        for tool, arguments in workload(sandbox.samples(), quick):
            op = CATALOG[tool]
            started = await api.start(op, op.parse(arguments))
            while True:
                snap = await api.status(started.workflowId, op)
                if snap.done:
                    break
                await sleep(BASELINE_INTERVAL)
            runs.append((tool, started.workflowId, time.time(), 1))
    finally:
        await client.aclose()
    return _rows(sandbox, runs)


def simulate_window(durations: list[float], error: float, step: float = 1.0) -> tuple[float, float]:
    """What-if (no I/O): a schedule that knows each duration to within ±``error``.

    It takes a first look at 2 s, then polls every ``step`` seconds from the earliest plausible
    finish, ``predicted × (1 − error)``. Prediction errors are spread evenly over [−error, +error]
    (a deterministic low-discrepancy sequence). Returns (mean lag, mean GETs per workflow).
    """
    lags, gets = [], []
    for i, duration in enumerate(durations):
        spread = 2 * ((i * 0.6180339887) % 1.0) - 1  # in [-1, 1)
        predicted = duration * (1 + error * spread)
        start = max(predicted * (1 - error), 2.0)
        polls = 1 if duration > 2.0 else 0  # the first look at 2 s
        if duration <= 2.0:
            lags.append(2.0 - duration)
            gets.append(1)
            continue
        if duration <= start:
            lags.append(start - duration)
            gets.append(polls + 1)
            continue
        k = math.ceil((duration - start) / step)
        lags.append(start + k * step - duration)
        gets.append(polls + 1 + k)
    return _mean(lags), _mean([float(g) for g in gets])


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# Sandbox seeds: each gives other durations (the sandbox jitters every action's time per target).
# The figures pool all of them, so no schedule knob can be tuned to one seed's luck.
SEEDS = (42, 1, 2, 3, 7)


async def run(quick: bool = False, speed: float | None = None) -> BenchResult:
    speed = speed or (1000.0 if quick else 200.0)
    ours, base, per_seed = [], [], {}
    for seed in SEEDS[:1] if quick else SEEDS:
        mine, theirs = await run_ours(speed, quick, seed), await run_baseline(speed, quick, seed)
        ours += mine
        base += theirs
        half = len(mine) // 2
        per_seed[seed] = {
            "mean_lag_ours": _mean([r.lag for r in mine]),
            "mean_lag_baseline": _mean([r.lag for r in theirs]),
            "gets_ours": _mean([r.gets for r in mine]),
            "gets_baseline": _mean([r.gets for r in theirs]),
            "mean_lag_ours_second_round": _mean([r.lag for r in mine[half:]]),
            "gets_ours_second_round": _mean([r.gets for r in mine[half:]]),
        }
    result = BenchResult("lag")
    lag_ours, lag_base = _mean([r.lag for r in ours]), _mean([r.lag for r in base])
    gets_ours, gets_base = _mean([r.gets for r in ours]), _mean([r.gets for r in base])
    ratio = lag_ours / lag_base if lag_base else float("inf")
    result.add(
        "mean result lag, ours", lag_ours, "s", "<= 1/5 of baseline", ratio <= 0.2, note=f"{ratio:.2f}x baseline"
    )
    result.add("mean result lag, fixed 5 s poll", lag_base, "s")
    result.add("median result lag, ours", median([r.lag for r in ours]), "s")
    result.add("max result lag, ours", max(r.lag for r in ours), "s")
    result.add(
        "delivery after the completing GET, ours (median)",
        median([r.delivery_ms for r in ours]),
        "ms",
        note="wall time: ledger write, mapping, MCP; included in the lag",
    )
    result.add("upstream GETs per workflow, ours", gets_ours, "GETs", "<= baseline", gets_ours <= gets_base)
    result.add("upstream GETs per workflow, fixed 5 s poll", gets_base, "GETs")
    if not quick:
        second_lag = _mean([d["mean_lag_ours_second_round"] for d in per_seed.values()])
        second_gets = _mean([d["gets_ours_second_round"] for d in per_seed.values()])
        result.add(
            "mean result lag, ours, second round only (account with history)",
            second_lag,
            "s",
            note=f"{second_gets:.1f} GETs/workflow",
        )
        for seed, d in per_seed.items():
            result.add(
                f"seed {seed}: mean lag ours / fixed 5 s",
                d["mean_lag_ours"] / d["mean_lag_baseline"],
                "x",
                note=f"{d['mean_lag_ours']:.2f} / {d['mean_lag_baseline']:.2f} s, "
                f"GETs {d['gets_ours']:.1f} / {d['gets_baseline']:.1f}",
            )
    durations = [r.duration for r in ours[: len(ours) // len(per_seed)]]  # the first seed's
    whatif = {}
    for error in (0.05, 0.1, 0.2):
        mean_lag, mean_gets = simulate_window(durations, error)
        whatif[f"±{error:.0%}"] = {"mean_lag": mean_lag, "gets_per_workflow": mean_gets}
        result.add(
            f"what-if: duration known ±{error:.0%}, 1 s polls near the end",
            mean_lag,
            "s",
            note=f"{mean_gets:.1f} GETs/workflow",
        )
    result.details = {
        "whatif_window_1s": whatif,
        "speed": speed,
        "seeds": per_seed,
        "budget_seconds": DEFAULT_BUDGET,
        "unit": "virtual (real LinkedIn) seconds; delivery_ms is wall time",
        "ours": [asdict(r) for r in ours],
        "baseline": [asdict(r) for r in base],
    }
    return result


def describe(result: BenchResult) -> str:
    d = result.details
    lines = [
        f"Per workflow, seed {next(iter(d['seeds']))} (seconds of sandbox time, on its virtual clock):",
        f"  {'tool':<22} {'duration':>8} {'lag ours':>9} {'lag 5s':>7} {'GETs ours':>9} {'GETs 5s':>8} {'calls':>5}",
    ]
    n = len(d["ours"]) // max(len(d["seeds"]), 1)
    for mine, base in zip(d["ours"][:n], d["baseline"][:n], strict=True):
        lines.append(
            f"  {mine['tool']:<22} {mine['duration']:>8.1f} {mine['lag']:>9.2f} {base['lag']:>7.2f} "
            f"{mine['gets']:>9} {base['gets']:>8} {mine['calls']:>5}"
        )
    return "\n".join(lines)
