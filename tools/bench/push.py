"""Result lag with webhook push vs polling vs a fixed 5-second poll, on the same workload (issue 10).

Three modes run side by side on the wall clock, each against its **own** standalone sandbox
(``ServerThread``, same seed, so the same workflows and durations) over loopback HTTP:

* **baseline**: the official server's policy straight against the sandbox — ``GET /workflows/{id}``
  at once after the start, then 5 s (real) after each answer, until done;
* **polling**: ``linkedapi-mcp serve --transport http`` (a child process, stand-in tokens,
  ``LINKED_API_BASE_URL`` at its sandbox; its real, unscaled poll schedule) called over raw
  Streamable HTTP as an agent would: the tool, then ``get_workflow_result`` while it answers a
  handle;
* **polling fast**: the same server with ``LINKEDAPI_MCP_POLL_INTERVAL_SECONDS=1`` (``--poll-interval``):
  the operator's trade of GETs for lag without webhooks (at most a GET per second, not per 5 s);
* **push**: the same server with ``LINKEDAPI_MCP_WEBHOOK_SECRET``, the account subscribed with
  ``linkedapi-mcp webhooks setup --public-url`` (fat, signed): the sandbox delivers
  ``workflow.completed`` to ``/webhooks/linkedapi``; polling stays on as the fallback.

The workload is the first ``count`` (8) of the lag benchmark's short workflows
(``lag.short_workload``: profiles, small searches, a company, connections; 14-50 s), one at a time
per mode (the account runs them one at a time anyway), the three modes side by side: about 3.5
minutes. The sandbox runs at **speed 1** by default: against a Linked API URL the server polls on
its real, unscaled schedule (``PollPolicy`` is scaled only for the embedded sandbox), so a faster
sandbox would pit its LinkedIn-tuned priors against workflows ``speed`` times shorter and measure
an artefact (at speed 4 polling came out at 1.22x the baseline; docs/benchmarks.md). Push lag does
not depend on the speed. **Lag** = wall time the result reached the caller − wall time the sandbox finished
the workflow (its virtual completion time mapped to the wall clock through the request log's
``virtualTime``/``realTime`` pairs; constant speed). GETs = ``GET /workflows/{id}`` in each
sandbox's request log. The sandbox announces completions on its webhook thread every
``webhook_sync_seconds`` (0.2 s by default: part of the push lag, ~0.1 s on average).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

from .common import BenchResult, percentile, render_table
from .http_load import Session, _wait_ready, free_port
from .lag import short_workload
from .stdio import server_command, server_env

BASELINE_INTERVAL = 5.0
GOAL_PUSH = 0.05  # mean lag with push ≤ 0.05× the baseline's
GOAL_POLL = 0.2  # ≤ 0.2× with polling alone (the 1 s poll interval; the default spends ≤ the baseline's GETs)
FAST_INTERVAL = 1.0  # LINKEDAPI_MCP_POLL_INTERVAL_SECONDS of the "polling fast" mode
SPEED = 1.0  # the server's real schedule against LinkedIn-long workflows (see the module docstring)
SEED = 42
QUICK_SPEED = 20.0  # --quick only checks that everything runs
COUNT = 8  # short workflows per mode: about 3.5 minutes at speed 1
WEBHOOK_SYNC = 0.2  # the sandbox's default: how often (real seconds) it announces completions
CALL_TIMEOUT = 180.0  # seconds any one tool call may take
TOKENS = {"LINKED_API_TOKEN": "lat-bench-123456", "IDENTIFICATION_TOKEN": "idt-bench-123456"}


@dataclass
class Row:
    tool: str
    workflow_id: str
    duration: float  # wall seconds from acceptance to completion (sandbox time / speed)
    lag: float  # wall seconds from completion to the result in the caller's hands
    gets: int
    calls: int


def _rows(sandbox: Any, runs: list[tuple[str, str, float, int]], speed: float) -> list[Row]:
    entries = list(sandbox.requests.entries)
    rows = []
    for tool, workflow_id, received, calls in runs:
        record = sandbox.scheduler.get(workflow_id)
        if record is None or record.finished_at is None:
            raise RuntimeError(f"{workflow_id} did not finish")
        # the wall time at which the sandbox clock passed finished_at, from the nearest logged request
        anchor = min(entries, key=lambda e: abs((e.virtual_time - record.finished_at).total_seconds()))
        finished_real = anchor.real_time + (record.finished_at - anchor.virtual_time).total_seconds() / speed
        gets = sum(1 for e in entries if e.method == "GET" and e.path == f"/workflows/{workflow_id}")
        rows.append(
            Row(
                tool=tool,
                workflow_id=workflow_id,
                duration=(record.finished_at - record.created_at).total_seconds() / speed,
                lag=max(0.0, received - finished_real),
                gets=gets,
                calls=calls,
            )
        )
    return rows


async def run_baseline(sandbox: Any, base_url: str, jobs: list[tuple[str, dict[str, Any]]], speed: float) -> list[Row]:
    """The official server's SDK policy: a GET at once after the start, then 5 s after each answer."""
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.facade import LinkedApi

    client = LinkedApiClient(
        linked_api_token=TOKENS["LINKED_API_TOKEN"],
        identification_token=TOKENS["IDENTIFICATION_TOKEN"],
        base_url=base_url,
    )
    api = LinkedApi(client)
    runs: list[tuple[str, str, float, int]] = []
    try:
        for tool, arguments in jobs:
            op = CATALOG[tool]
            started = await api.start(op, op.parse(arguments))
            deadline = time.monotonic() + CALL_TIMEOUT
            while time.monotonic() < deadline:
                snap = await api.status(started.workflowId, op)
                if snap.done:
                    break
                await asyncio.sleep(BASELINE_INTERVAL)
            else:
                raise RuntimeError(f"{tool}: not done within {CALL_TIMEOUT:g} s")
            runs.append((tool, started.workflowId, time.time(), 1))
    finally:
        await client.aclose()
    return _rows(sandbox, runs, speed)


def _webhook_setup(sandbox_url: str, public_url: str) -> str:
    """``linkedapi-mcp webhooks setup`` as a user runs it; the signing secret it prints."""
    done = subprocess.run(
        [*server_command(), "webhooks", "setup", "--public-url", public_url],
        env=server_env(LINKED_API_BASE_URL=sandbox_url, **TOKENS),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"webhooks setup failed: {done.stderr[-500:]}")
    return done.stdout.strip()


async def run_server(
    sandbox: Any,
    base_url: str,
    jobs: list[tuple[str, dict[str, Any]]],
    speed: float,
    *,
    push: bool,
    poll_interval: float | None = None,
) -> list[Row]:
    """Our HTTP server (a child process) against ``base_url``; with ``push``, subscribed to its webhooks."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    extra = dict(TOKENS)
    if poll_interval is not None:
        extra["LINKEDAPI_MCP_POLL_INTERVAL_SECONDS"] = f"{poll_interval:g}"
    if push:
        extra["LINKEDAPI_MCP_WEBHOOK_SECRET"] = await asyncio.to_thread(
            _webhook_setup, base_url, f"http://127.0.0.1:{port}"
        )
    runs: list[tuple[str, str, float, int]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        process = await asyncio.create_subprocess_exec(
            *server_command(),
            "serve",
            "--transport",
            "http",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=server_env(LINKEDAPI_MCP_DATA_DIR=data_dir, LINKED_API_BASE_URL=base_url, **extra),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as http:
                await _wait_ready(http, url, process)
                session = Session(http, url)
                await session.open()
                for tool, arguments in jobs:
                    result = await asyncio.wait_for(session.call(tool, arguments), CALL_TIMEOUT)
                    calls = 1
                    data = result.get("structuredContent") or {}
                    while data.get("status") in ("pending", "running") and calls < 20:
                        follow = {"workflowId": data["workflowId"]}
                        result = await asyncio.wait_for(session.call("get_workflow_result", follow), CALL_TIMEOUT)
                        data = result.get("structuredContent") or {}
                        calls += 1
                    received = time.time()
                    if data.get("status") != "completed":
                        raise RuntimeError(f"{tool} did not complete: {str(result)[:300]}")
                    runs.append((tool, str(data["workflowId"]), received, calls))
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    return _rows(sandbox, runs, speed)


def _summary(rows: list[Row]) -> dict[str, float]:
    lags = [r.lag for r in rows]
    return {
        "mean": statistics.fmean(lags),
        "p50": percentile(lags, 50),
        "p90": percentile(lags, 90),
        "gets": statistics.fmean(r.gets for r in rows),
        "n": float(len(rows)),
    }


async def run(
    quick: bool = False,
    speed: float | None = None,
    count: int | None = None,
    webhook_sync: float = WEBHOOK_SYNC,
    poll_interval: float = FAST_INTERVAL,
) -> BenchResult:
    """``count`` short workflows per mode on sandboxes at ``speed`` (default 1; quick: 20, two workflows)."""
    from linkedapi_mcp.sandbox import Sandbox, ServerThread
    from linkedapi_mcp.sandbox.config import SandboxConfig

    count = count or (2 if quick else COUNT)
    speed = speed or (QUICK_SPEED if quick else SPEED)
    jobs = short_workload(Sandbox(seed=SEED, speed=0).samples(), quick, count=count)
    rows: dict[str, list[Row]] = {}
    with contextlib.ExitStack() as stack:
        threads = {
            mode: stack.enter_context(
                ServerThread(Sandbox(config=SandboxConfig(seed=SEED, speed=speed, webhook_sync_seconds=webhook_sync)))
            )
            for mode in ("baseline", "polling", "polling fast", "push")
        }
        started = time.monotonic()

        async def one(mode: str) -> None:
            thread = threads[mode]
            if mode == "baseline":
                rows[mode] = await run_baseline(thread.sandbox, thread.base_url, jobs, speed)
            else:
                fast = poll_interval if mode == "polling fast" else None
                rows[mode] = await run_server(
                    thread.sandbox, thread.base_url, jobs, speed, push=mode == "push", poll_interval=fast
                )

        await asyncio.gather(*(one(mode) for mode in threads))
        wall = time.monotonic() - started
    s = {mode: _summary(r) for mode, r in rows.items()}
    base = s["baseline"]["mean"]
    label = {"polling fast": f"polling at {poll_interval:g} s", "polling": "polling at 5 s (default)"}
    result = BenchResult("push")
    for mode, goal in (("push", GOAL_PUSH), ("polling fast", GOAL_POLL), ("polling", None)):
        ratio = s[mode]["mean"] / base if base else float("inf")
        result.add(
            f"mean result lag, {label.get(mode, mode)} / fixed 5 s poll",
            ratio,
            "x",
            f"<= {goal:g}x" if goal is not None else "",
            ratio <= goal if goal is not None else None,
            note=f"{s[mode]['mean']:.3f} / {base:.3f} s; p50 {s[mode]['p50']:.3f} s, p90 {s[mode]['p90']:.3f} s",
        )
    for mode in ("push", "polling fast", "polling", "baseline"):
        result.add(
            f"upstream GETs per workflow, {label.get(mode, mode)}",
            s[mode]["gets"],
            "GETs",
            note=f"mean lag {s[mode]['mean']:.3f} s, p50 {s[mode]['p50']:.3f}, p90 {s[mode]['p90']:.3f}",
        )
    result.details = {
        "speed": speed,
        "webhook_sync_seconds": webhook_sync,
        "poll_interval": poll_interval,
        "seed": SEED,
        "workflows": len(jobs),
        "wall_seconds": wall,
        "summary": s,
        "rows": {mode: [asdict(r) for r in r_] for mode, r_ in rows.items()},
        "unit": "wall seconds (the sandbox runs `speed` times faster than LinkedIn)",
    }
    return result


def describe(result: BenchResult) -> str:
    d = result.details
    lines = [
        f"push: {d['workflows']} workflows at sandbox speed {d['speed']:g} (webhook sync every "
        f"{d['webhook_sync_seconds']:g} s), {d['wall_seconds']:.0f} s wall "
        "(lag and duration in wall seconds)",
        f"  {'tool':<20} {'duration':>8} {'push':>7} {'fast':>7} {'poll':>7} {'base':>7}  GETs push/fast/poll/base",
    ]
    rows = d["rows"]
    for p, f, q, b in zip(rows["push"], rows["polling fast"], rows["polling"], rows["baseline"], strict=True):
        lines.append(
            f"  {p['tool']:<20} {b['duration']:>8.1f} {p['lag']:>7.3f} {f['lag']:>7.3f} {q['lag']:>7.3f} "
            f"{b['lag']:>7.3f}  {p['gets']}/{f['gets']}/{q['gets']}/{b['gets']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.push", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two workflows: only checks that it runs")
    parser.add_argument("--speed", type=float, help=f"sandbox speed (default {SPEED:g}; --quick {QUICK_SPEED:g})")
    parser.add_argument("--count", type=int, help=f"workflows per mode (default {COUNT})")
    parser.add_argument(
        "--webhook-sync",
        type=float,
        default=WEBHOOK_SYNC,
        help=f"the sandbox's webhook sync period, real seconds (default {WEBHOOK_SYNC:g}, the sandbox's own)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=FAST_INTERVAL,
        help=f"LINKEDAPI_MCP_POLL_INTERVAL_SECONDS of the fast polling mode (default {FAST_INTERVAL:g})",
    )
    parser.add_argument("--json", help="also write the figures and details to this file")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.quick, args.speed, args.count, args.webhook_sync, args.poll_interval))
    print(describe(result), file=sys.stderr)
    print(render_table([result]))
    if args.json:
        import json

        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result.to_json(), f, indent=2)
    return 0 if all(f.passed is not False for f in result.figures) else 1


if __name__ == "__main__":
    sys.exit(main())
