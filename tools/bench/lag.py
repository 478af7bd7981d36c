"""Result lag and upstream GETs: our server's poll schedule against the official server's policy.

The official server (v1.0.1, its Node SDK's ``pollWorkflowResult``) sends ``GET /workflows/{id}``
at once after the start, then sleeps 5 s after each answer, for 60 s (its time-out for an
unknown client); then the agent calls its ``get_workflow_result``, which does the same. On a
clock where requests take no time that is one GET at 0, 5, 10 … seconds: the **peer emulation**.

Both run on a fresh embedded sandbox (same seed, so the same workflow durations) whose clock is
**frozen** (speed 0) and moved only by the pollers' sleeps: a discrete-event simulation, one
workflow at a time (the account runs them one at a time anyway). Every figure is in **virtual
(= real LinkedIn) seconds**:

* The server runs unmodified except for its clocks: the runner's wall / monotonic clocks and the
  ledger's clock read the sandbox's virtual clock, and the runner's sleep advances it
  (``Runner(wall=, monotonic=, sleep=)``). Its policy is the real one (unscaled) and its wait
  budget the real 55 s. Each seed starts with an empty ledger: a brand-new account.
* Lag = ``(virtual time of the GET that saw completion − virtual completion time)`` + the wall
  time from that GET to the result reaching the MCP client (not scaled).
* The agent is simulated as a client that, when a call returns ``pending``, immediately calls
  ``get_workflow_result`` (what the handle's message tells it to do).

With ``--peer-cmd`` the real official server also runs (:func:`run_real`), and so does ours as a
stdio child, each against its own loopback sandbox on the wall clock (speed 1 by default), on the
short workflows only (a wall-clock run takes as long as the workflows do).
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from .common import BenchResult, median

BASELINE_INTERVAL = 5.0  # seconds, the official SDK's poll interval (a GET at once, then every 5 s)
DEFAULT_BUDGET = 55.0  # our budget for an unknown client (its 60 s time-out − 5 s)


SHORT = 90.0  # seconds: workflows up to this long count as short
# LINKEDAPI_MCP_POLL_INTERVAL_SECONDS for the "results sooner" arm: the operator's trade of GETs
# for lag when webhooks are not available (issue 10's polling goal, docs/benchmarks.md).
FAST_INTERVAL = 1.0


def workload(samples: dict[str, Any], quick: bool, rounds: int = 2) -> list[tuple[str, dict[str, Any]]]:
    """An ordinary mix: per round ten short workflows (about 10-90 s of sandbox time: profiles with
    and without retrievals, small searches, a company, connections) and four long ones (1.5-5 min:
    large searches, a company with hundreds of employees), interleaved.

    Each round uses other people, companies and search terms (the lag of a 5 s poll is spread
    over 0-5 s, so it takes a few dozen workflows for its mean to settle near 2.5 s).
    """
    people, companies = samples["personUrls"], samples["companyUrls"]
    if quick:
        return [("fetch_person", {"personUrl": people[0]}), ("search_people", {"term": "engineer", "limit": 5})]
    jobs: list[tuple[str, dict[str, Any]]] = []
    for r in range(rounds):
        p = [people[(r * 7 + i) % len(people)] for i in range(7)]
        c = [companies[(r * 4 + i) % len(companies)] for i in range(4)]
        t = "" if r == 0 else f" {r}"
        jobs += [
            ("fetch_person", {"personUrl": p[0]}),
            ("search_people", {"term": "engineer" + t, "limit": 5}),
            ("fetch_person", {"personUrl": p[1], "retrieveExperience": True, "retrieveEducation": True}),
            ("fetch_company", {"companyUrl": c[0]}),
            ("search_people", {"term": "sales" + t, "limit": 100}),
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
                {"companyUrl": c[2], "retrieveEmployees": True, "employeesRetrievalConfig": {"limit": 300}},
            ),
            ("retrieve_connections", {"limit": 50 + r}),
            ("fetch_person", {"personUrl": p[3], "retrieveSkills": True}),
            (
                "fetch_company",
                {"companyUrl": c[1], "retrieveEmployees": True, "employeesRetrievalConfig": {"limit": 50}},
            ),
            ("search_people", {"term": "designer" + t, "limit": 200}),
            ("fetch_person", {"personUrl": p[4]}),
            ("search_companies", {"term": "health" + t, "limit": 25}),
            ("fetch_person", {"personUrl": p[5], "retrieveExperience": True}),
            ("fetch_company", {"companyUrl": c[3], "retrievePosts": True}),
            ("search_people", {"term": "founder" + t, "limit": 50}),
        ]
    return jobs


def short_workload(samples: dict[str, Any], quick: bool, count: int = 10) -> list[tuple[str, dict[str, Any]]]:
    """The first round's workflows that usually finish within ``SHORT`` seconds (for wall-clock runs)."""
    long_ones = {("search_people", 100), ("search_people", 200)}
    jobs = []
    for tool, arguments in workload(samples, quick, rounds=1):
        limit = arguments.get("limit") or (arguments.get("employeesRetrievalConfig") or {}).get("limit")
        if (tool, limit) in long_ones or (tool == "fetch_company" and limit == 300):
            continue
        jobs.append((tool, arguments))
    return jobs[:count]


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


async def run_ours(
    quick: bool, seed: int = 42, budget: float = DEFAULT_BUDGET, poll_interval: float = BASELINE_INTERVAL
) -> list[Row]:
    from mcp import Client

    from linkedapi_mcp.sandbox import Sandbox
    from linkedapi_mcp.server.app import build
    from linkedapi_mcp.server.guards import GuardConfig
    from linkedapi_mcp.server.ledger import Ledger
    from linkedapi_mcp.server.runner import Runner
    from linkedapi_mcp.settings import Settings

    sandbox = Sandbox(seed=seed, speed=0)
    now, sleep = _virtual_clock(sandbox)
    runs: list[tuple[str, str, float, int]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        # Speed 1: the server's policy is the real one; its clocks are the sandbox's.
        settings = Settings(
            data_dir=Path(data_dir), sandbox_speed=1.0, wait_seconds=budget, poll_interval_seconds=poll_interval
        )
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


async def run_baseline(quick: bool, seed: int = 42) -> list[Row]:
    """The peer emulation: its start, then ``GET /workflows/{id}`` at once and every 5 s until done."""
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.facade import LinkedApi
    from linkedapi_mcp.sandbox import Sandbox

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


PEER_TIMEOUT = 600.0  # seconds any one wall-clock tool call may take before the run gives up
# Tool calls per workflow in a wall-clock run before it gives up: a short workflow at speed 1
# takes one or two calls of either server (their 60 s time-out, our 55 s budget).
MAX_CALLS = 20
_WORKFLOW_ID = re.compile(r"workflowId[\"':\s]+([A-Za-z0-9_-]+)")
_OPERATION = re.compile(r"operationName[\"':\s]+([A-Za-z0-9_-]+)")


async def run_real(
    command: list[str], jobs: list[tuple[str, dict[str, Any]]], *, seed: int, speed: float = 1.0
) -> list[Row]:
    """One stdio MCP server (ours, or the official one with ``--peer-cmd``) against its own loopback
    sandbox on the wall clock: each workflow called as an agent would, one at a time, re-calling
    ``get_workflow_result`` while the answer is a handle. The official server learns the sandbox's
    address from ``LINKEDAPI_BENCH_UPSTREAM`` through ``peer_upstream.cjs`` (docs/benchmarks.md);
    ours from ``LINKED_API_BASE_URL``."""
    from linkedapi_mcp.sandbox import Sandbox, ServerThread

    from .stdio import JsonRpcPipe, server_env

    sandbox = Sandbox(seed=seed, speed=speed)
    runs: list[tuple[str, str, float, int]] = []
    with ServerThread(sandbox) as thread, tempfile.TemporaryDirectory() as data_dir:
        env = server_env(
            LINKEDAPI_MCP_DATA_DIR=data_dir,
            LINKED_API_BASE_URL=thread.base_url,
            LINKEDAPI_BENCH_UPSTREAM=thread.base_url,
            LINKED_API_TOKEN="bench-token",
            IDENTIFICATION_TOKEN="bench-token",
        )
        pipe = await JsonRpcPipe.spawn(command, env)
        try:
            await anyio_wait(pipe.initialize(), 60)
            for tool, arguments in jobs:
                known = {r.id for r in sandbox.scheduler.all()}
                answer = await anyio_wait(
                    pipe.request("tools/call", {"name": tool, "arguments": arguments}), PEER_TIMEOUT
                )
                calls = 1
                while True:
                    data = answer.get("structuredContent") or {}
                    text = " ".join(c.get("text", "") for c in answer.get("content", []) if isinstance(c, dict))
                    if data.get("status") in ("pending", "running"):  # ours: a handle
                        follow = {"workflowId": data["workflowId"]}
                    elif "status" in data:
                        # ours, finished: its text may name get_workflow_result and the workflowId
                        # too (a page hint), which is not a time-out.
                        break
                    elif "get_workflow_result" in text and _WORKFLOW_ID.search(text):  # theirs: a time-out
                        follow = {"workflowId": _WORKFLOW_ID.search(text)[1]}  # type: ignore[index]
                        operation = _OPERATION.search(text)
                        if operation:
                            follow["operationName"] = operation[1]
                    else:
                        break
                    if calls >= MAX_CALLS:  # a misread answer must not turn into an endless loop
                        raise RuntimeError(f"{tool}: still no result after {calls} calls: {text[:200]}")
                    answer = await anyio_wait(
                        pipe.request("tools/call", {"name": "get_workflow_result", "arguments": follow}), PEER_TIMEOUT
                    )
                    calls += 1
                received = time.time()
                if answer.get("isError"):
                    raise RuntimeError(f"{tool} failed: {answer.get('content')}")
                new = [r for r in sandbox.scheduler.all() if r.id not in known]
                if len(new) != 1:
                    raise RuntimeError(f"{tool}: expected one new workflow, saw {len(new)}")
                runs.append((tool, new[0].id, received, calls))
        finally:
            await pipe.close()
        return _rows(sandbox, runs)


async def anyio_wait(awaitable: Any, seconds: float) -> Any:
    with anyio.fail_after(seconds):
        return await awaitable


def simulate_credit(duration: float, prediction: Any, budget: float = DEFAULT_BUDGET) -> tuple[int, float]:
    """What-if (no I/O): (GETs, lag) of the server's schedule (``timing.next_look``, credit over
    calls) for a workflow of ``duration`` s predicted as ``prediction``, on a virtual clock, the
    agent re-calling ``get_workflow_result`` at once whenever a call ends with a handle."""
    from linkedapi_mcp.server.timing import GetBook, PollPolicy, next_look

    policy, book = PollPolicy(), GetBook()
    now = call_start = 0.0
    polls = gets = 0
    look_now = False
    while True:
        remaining = call_start + budget - now
        delay: float | None
        if look_now and polls == 0:
            delay = 0.0
        elif remaining <= 0:
            delay = None
        else:
            delay = next_look(
                policy,
                elapsed=now,
                prediction=prediction,
                remaining=remaining,
                polls=polls,
                since_call=now - call_start,
                workflow="what-if",
                since_created=now,
                book=book,
            )
        if delay is None:
            now = max(now, call_start + budget)
            call_start, polls, look_now = now, 0, True
            continue
        now += delay
        polls += 1
        gets += 1
        if now >= duration:
            return gets, now - duration


def oracle(durations: list[float], jitter: float) -> tuple[float, float]:
    """Mean lag and GETs if every duration were predicted as well as the sandbox allows: its
    per-target jitter (each action's time × U(0.8, 1.3)) is unknowable before the run, so the
    prediction is off by that much (a deterministic low-discrepancy sample of it) with a spread
    of ``jitter`` × the duration (σ of U(0.8, 1.3) ≈ 0.14)."""
    from linkedapi_mcp.server.durations import Prediction

    lags, gets = [], []
    for i, duration in enumerate(durations):
        factor = 0.8 + 0.5 * ((i * 0.6180339887) % 1.0)  # where this target's jitter fell
        predicted = duration / factor * 1.05  # the mean of U(0.8, 1.3)
        n, lag = simulate_credit(duration, Prediction(mean=predicted, spread=jitter * predicted))
        lags.append(lag)
        gets.append(float(n))
    return _mean(lags), _mean(gets)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# Sandbox seeds: each gives other durations (the sandbox jitters every action's time per target).
# The figures pool all of them, so no schedule knob can be tuned to one seed's luck.
SEEDS = (42, 1, 2, 3, 7)


def peer_gets(duration: float, interval: float = BASELINE_INTERVAL) -> int:
    """GETs of the peer's policy for a workflow of ``duration`` s: at 0, 5, 10 … until one sees it done."""
    return math.ceil(round(duration, 6) / interval) + 1


def _split(rows: list[Row], peer: list[Row]) -> dict[str, float]:
    """Mean lags and GETs of ours and the peer's over the same workflows."""
    return {
        "n": len(rows),
        "lag_ours": _mean([r.lag for r in rows]),
        "lag_peer": _mean([r.lag for r in peer]),
        "gets_ours": _mean([float(r.gets) for r in rows]),
        "gets_peer": _mean([float(r.gets) for r in peer]),
    }


def _ratio(d: dict[str, float]) -> float:
    return d["lag_ours"] / d["lag_peer"] if d["lag_peer"] else float("inf")


async def run(quick: bool = False, peer_cmd: list[str] | None = None, peer_speed: float = 1.0) -> BenchResult:
    ours, base, fast, per_seed = [], [], [], {}
    rounds_ours: dict[str, list[Row]] = {"first": [], "second": []}
    rounds_base: dict[str, list[Row]] = {"first": [], "second": []}
    for seed in SEEDS[:1] if quick else SEEDS:
        mine, theirs = await run_ours(quick, seed), await run_baseline(quick, seed)
        fast += await run_ours(quick, seed, poll_interval=FAST_INTERVAL)
        ours += mine
        base += theirs
        half = len(mine) // 2
        rounds_ours["first"] += mine[:half]
        rounds_ours["second"] += mine[half:]
        rounds_base["first"] += theirs[:half]
        rounds_base["second"] += theirs[half:]
        per_seed[seed] = _split(mine, theirs)
    result = BenchResult("lag")
    pooled = _split(ours, base)
    ratio = _ratio(pooled)
    ratios = [_ratio(d) for d in per_seed.values()]
    result.add(
        "mean result lag, ours / peer emulation",
        ratio,
        "x",
        "<= 0.2x",
        ratio <= 0.2,
        note=f"{pooled['lag_ours']:.2f} / {pooled['lag_peer']:.2f} s over {len(ours)} workflows; "
        f"per seed {min(ratios):.2f}-{max(ratios):.2f}x",
    )
    quick_ = _split(fast, base)
    result.add(
        f"polling for speed (LINKEDAPI_MCP_POLL_INTERVAL_SECONDS={FAST_INTERVAL:g}): mean lag / peer emulation",
        _ratio(quick_),
        "x",
        "<= 0.2x",
        _ratio(quick_) <= 0.2,
        note=f"{quick_['lag_ours']:.2f} / {quick_['lag_peer']:.2f} s at {quick_['gets_ours']:.2f} GETs per workflow "
        f"({quick_['gets_ours'] / quick_['gets_peer']:.2f}x the peer's); workflows over one GET per "
        f"{FAST_INTERVAL:g} s: {sum(1 for m in fast if m.gets > peer_gets(m.duration, FAST_INTERVAL))}",
    )
    short = [i for i, r in enumerate(base) if r.duration <= SHORT]
    long_ = [i for i, r in enumerate(base) if r.duration > SHORT]
    groups = {
        f"short (<= {SHORT:.0f} s)": _split([ours[i] for i in short], [base[i] for i in short]),
        f"long (> {SHORT:.0f} s)": _split([ours[i] for i in long_], [base[i] for i in long_]),
        "first round (new account)": _split(rounds_ours["first"], rounds_base["first"]),
        "second round (with history)": _split(rounds_ours["second"], rounds_base["second"]),
    }
    for name, d in groups.items():
        if d["n"]:
            result.add(
                f"mean lag ours / peer, {name}",
                _ratio(d),
                "x",
                note=f"{d['lag_ours']:.2f} / {d['lag_peer']:.2f} s, GETs {d['gets_ours']:.1f} / "
                f"{d['gets_peer']:.1f}, {d['n']:.0f} workflows",
            )
    # Per workflow against what the peer's policy would have sent for *that* run's duration (a
    # sandbox duration can differ a little between the two runs: the per-target jitter is drawn
    # when the workflow runs).
    over = [(m.gets - peer_gets(m.duration), m) for m in ours if m.gets > peer_gets(m.duration)]
    result.add(
        "workflows with more GETs than the peer emulation",
        float(len(over)),
        "",
        "0",
        not over,
        note=f"of {len(ours)}" + (f"; worst +{max(o for o, _ in over)}" if over else ""),
    )
    result.add(
        "upstream GETs per workflow, ours / peer emulation",
        pooled["gets_ours"],
        "GETs",
        note=f"peer {pooled['gets_peer']:.2f}",
    )
    result.add(
        "median / max result lag, ours",
        median([r.lag for r in ours]),
        "s",
        note=f"max {max(r.lag for r in ours):.2f} s",
    )
    result.add(
        "delivery after the completing GET, ours (median)",
        median([r.delivery_ms for r in ours]),
        "ms",
        note="wall time: ledger write, mapping, MCP; included in the lag",
    )
    oracle_lag, oracle_gets = oracle([r.duration for r in ours], 0.14)
    result.add(
        "what-if: every duration predicted to within the sandbox's own jitter, ours / peer",
        oracle_lag / pooled["lag_peer"] if pooled["lag_peer"] else float("inf"),
        "x",
        note=f"{oracle_lag:.2f} s at {oracle_gets:.1f} GETs/workflow (the schedule's bound on this mix)",
    )
    details: dict[str, Any] = {
        "oracle": {"mean_lag": oracle_lag, "gets_per_workflow": oracle_gets},
        "seeds": per_seed,
        "groups": groups,
        "budget_seconds": DEFAULT_BUDGET,
        "unit": "virtual (real LinkedIn) seconds; delivery_ms is wall time",
        "ours": [asdict(r) for r in ours],
        "baseline": [asdict(r) for r in base],
        "fast_interval": FAST_INTERVAL,
        "fast": [asdict(r) for r in fast],
    }
    if peer_cmd:
        from .stdio import server_command

        jobs = short_workload(_samples(), quick, count=2 if quick else 10)
        async with anyio.create_task_group() as tg:  # both on the wall clock: side by side
            real: dict[str, list[Row]] = {}

            async def one(name: str, command: list[str]) -> None:
                real[name] = await run_real(command, jobs, seed=SEEDS[0], speed=peer_speed)

            tg.start_soon(one, "peer", peer_cmd)
            tg.start_soon(one, "ours", server_command())
        d = _split(real["ours"], real["peer"])
        emulated = [_ratio(d)]
        result.add(
            "real peer: mean lag ours / official server (wall clock)",
            _ratio(d),
            "x",
            "<= 0.2x",
            _ratio(d) <= 0.2,
            note=f"{d['lag_ours']:.2f} / {d['lag_peer']:.2f} s, GETs {d['gets_ours']:.2f} / {d['gets_peer']:.2f}, "
            f"{len(jobs)} short workflows at sandbox speed {peer_speed:g}",
        )
        worse = sum(1 for m in real["ours"] if m.gets > peer_gets(m.duration, BASELINE_INTERVAL * peer_speed))
        result.add("real peer: workflows with more GETs than the official server", float(worse), "", "0", worse == 0)
        details["real"] = {
            "speed": peer_speed,
            "command": peer_cmd,
            "summary": d,
            "emulated_ratio": emulated,
            "ours": [asdict(r) for r in real["ours"]],
            "peer": [asdict(r) for r in real["peer"]],
        }
    result.details = details
    return result


def _samples() -> dict[str, Any]:
    from linkedapi_mcp.sandbox import Sandbox

    samples: dict[str, Any] = Sandbox(seed=SEEDS[0], speed=0).samples()
    return samples


def describe(result: BenchResult) -> str:
    d = result.details
    lines = [
        f"Per workflow, seed {next(iter(d['seeds']))} (seconds of sandbox time, on its virtual clock):",
        f"  {'tool':<22} {'duration':>8} {'lag ours':>9} {'lag peer':>8} "
        f"{'GETs ours':>9} {'GETs peer':>9} {'calls':>5}",
    ]
    n = len(d["ours"]) // max(len(d["seeds"]), 1)
    for mine, base in zip(d["ours"][:n], d["baseline"][:n], strict=True):
        lines.append(
            f"  {mine['tool']:<22} {mine['duration']:>8.1f} {mine['lag']:>9.2f} {base['lag']:>8.2f} "
            f"{mine['gets']:>9} {base['gets']:>9} {mine['calls']:>5}"
        )
    return "\n".join(lines)
