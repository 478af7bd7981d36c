"""HTTP load on two replicas sharing one PostgreSQL (issue 10).

Everything is a real process on loopback: a throwaway PostgreSQL cluster started from the
machine's binaries (``initdb`` + ``pg_ctl``, fsync off, as the ``postgres`` user when run as root),
a standalone sandbox (``linkedapi-mcp sandbox``, speed 1: the servers run their real, unscaled poll
schedule and the account's queue keeps every workflow but the first pending), and two
``linkedapi-mcp serve --transport http`` replicas with the same ``LINKEDAPI_MCP_DATABASE_URL``,
secret key and stand-in tokens (one account), each with its own data directory.

1. ``waits`` **fresh** ``search_people`` calls (distinct terms, default wait, progress token), in
   sessions of 50 alternating between the replicas, whose client name gets a 600 s time-out; each
   counts as in flight at its first progress notification. The time until all are in flight;
2. ``shared`` calls of ``get_workflow_result`` on **one** workflow, half on each replica (one
   poller per workflow: they should cost the GETs of one waiter; counted from the call that
   started the workflow, against one GET at once and one every 5 s);
3. ``get_account_info`` / ``list_workflows`` back to back for ``duration`` seconds (``calls`` at
   least), alternating replicas; p50/p99 overall and per replica;
4. RSS of each replica sampled every 50 ms (psutil); upstream ``GET /workflows/{id}`` per workflow
   from the sandbox's request log (``/_sandbox/requests``), against what the official server's
   fixed 5 s poll would send over the same time (one GET at once, then one every 5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import BenchResult, median, percentile, render_table
from .http_load import WAITING_CLIENT, Session, _sample_rss, _wait_ready, free_port
from .stdio import server_command, server_env

GOAL_P99_MS = 50.0
GOAL_RSS_MB = 200.0  # per replica, as the single-server goal (issue 14)
STEP_TIMEOUT = 180.0
BASELINE_INTERVAL = 5.0
TOKENS = {"LINKED_API_TOKEN": "lat-bench-123456", "IDENTIFICATION_TOKEN": "idt-bench-123456"}


# -- a throwaway PostgreSQL cluster from the machine's binaries --------------------------------------


def _postgres_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the ``postgres`` user Debian's package creates."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextlib.contextmanager
def postgres_cluster(max_connections: int = 300) -> Iterator[str]:
    """The URL of a fresh PostgreSQL cluster on a loopback port (trust auth, fsync off); removed after."""
    bindir = _postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed here (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="linkedapi-bench-postgres-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def run(*argv: str) -> None:
        subprocess.run(_as_postgres([str(bindir / argv[0]), *argv[1:]]), check=True, capture_output=True, timeout=120)

    try:
        run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c synchronous_commit=off -c max_connections={max_connections}"
        )
        run("pg_ctl", "-D", str(data), "-l", str(base / "log"), "-o", options, "-w", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- the benchmark ------------------------------------------------------------------------------------


async def _stop(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def _spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *server_command(),
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def run(
    quick: bool = False,
    waits: int | None = None,
    shared: int | None = None,
    calls: int | None = None,
    duration: float | None = None,
) -> BenchResult:
    import httpx

    waits = waits or (20 if quick else 500)
    shared = shared or (4 if quick else 50)
    calls = calls or (10 if quick else 300)
    duration = duration if duration is not None else (0.0 if quick else 15.0)
    sandbox_port = free_port()
    upstream = f"http://127.0.0.1:{sandbox_port}"
    latencies: dict[str, list[float]] = {"a": [], "b": []}
    failed: list[str] = []
    peaks = {"a": [0.0], "b": [0.0]}
    with postgres_cluster() as database_url, tempfile.TemporaryDirectory() as tmp:
        sandbox = await _spawn(
            "sandbox", "--port", str(sandbox_port), "--speed", "1", "--epoch", "2026-11-23T09:00:00Z", env=server_env()
        )
        env = server_env(
            LINKED_API_BASE_URL=upstream,
            LINKEDAPI_MCP_DATABASE_URL=database_url,
            LINKEDAPI_MCP_SECRET_KEY="bench-replica-shared-secret-" + "x" * 20,
            **TOKENS,
        )
        ports = {"a": free_port(), "b": free_port()}
        replicas: dict[str, asyncio.subprocess.Process] = {}
        stop = asyncio.Event()
        samplers: list[asyncio.Task[None]] = []
        try:
            for name, port in ports.items():
                replicas[name] = await _spawn(
                    "serve",
                    "--transport",
                    "http",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    env={**env, "LINKEDAPI_MCP_DATA_DIR": str(Path(tmp) / name)},
                )
            samplers = [asyncio.create_task(_sample_rss(p.pid, peaks[n], stop)) for n, p in replicas.items()]
            urls = {name: f"http://127.0.0.1:{port}/mcp" for name, port in ports.items()}
            limits = httpx.Limits(max_connections=waits + shared + 50, max_keepalive_connections=waits + shared + 50)
            async with httpx.AsyncClient(limits=limits, timeout=STEP_TIMEOUT * 4) as http:
                await _wait_ready(http, f"{upstream}/_sandbox/samples", sandbox)
                for name in replicas:
                    await _wait_ready(http, urls[name], replicas[name])
                controls = {name: Session(http, urls[name]) for name in urls}
                for control in controls.values():
                    await control.open()
                idle = {n: p[0] for n, p in peaks.items()}
                # 1. fresh waiting calls, sessions of 50 alternating between the replicas
                names = sorted(urls)
                sessions = [Session(http, urls[names[i % 2]]) for i in range(max(2, math.ceil(waits / 50)))]
                for session in sessions:
                    await session.open(WAITING_CLIENT)
                events = [asyncio.Event() for _ in range(waits)]
                opened = time.perf_counter()
                window_start = time.time()
                tasks = [
                    asyncio.create_task(
                        sessions[i % len(sessions)].waiting_call("search_people", {"term": f"bench {i}"}, events[i])
                    )
                    for i in range(waits)
                ]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), STEP_TIMEOUT)
                all_in_flight = time.perf_counter() - opened
                started = sum(1 for e in events if e.is_set())
                # 2. many waiters on one workflow, half on each replica
                shared_start = time.time()  # the workflow's GET credit starts with the call that starts it
                one = await controls["a"].call("search_people", {"term": "shared wait", "waitSeconds": 0})
                shared_id = str((one.get("structuredContent") or {})["workflowId"])
                shared_events = [asyncio.Event() for _ in range(shared)]
                waiter_sessions = [Session(http, urls[n]) for n in names]
                for session in waiter_sessions:
                    await session.open(WAITING_CLIENT)
                tasks += [
                    asyncio.create_task(
                        waiter_sessions[i % 2].waiting_call(
                            "get_workflow_result", {"workflowId": shared_id, "waitSeconds": 600}, shared_events[i]
                        )
                    )
                    for i in range(shared)
                ]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in shared_events)), STEP_TIMEOUT)
                in_flight = sum(1 for t in tasks if not t.done())
                # 3. quick calls while they all wait
                phase_start = time.perf_counter()
                i = 0
                while i < calls or time.perf_counter() - phase_start < duration:
                    name = names[i % 2]
                    tool = "get_account_info" if (i // 2) % 2 == 0 else "list_workflows"
                    t0 = time.perf_counter()
                    try:
                        await asyncio.wait_for(controls[name].call(tool, {}), STEP_TIMEOUT)
                    except (RuntimeError, httpx.HTTPError) as exc:
                        failed.append(f"{name} {tool}: {str(exc)[:300]}")
                    latencies[name].append((time.perf_counter() - t0) * 1000)
                    i += 1
                phase = time.perf_counter() - phase_start
                window_end = time.time()
                still = sum(1 for t in tasks if not t.done())
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                log = (await http.get(f"{upstream}/_sandbox/requests", timeout=60)).json()
        finally:
            stop.set()
            await asyncio.gather(*samplers, return_exceptions=True)
            for process in [*replicas.values(), sandbox]:
                await _stop(process)
    entries: list[dict[str, Any]] = log if isinstance(log, list) else log.get("requests", log.get("entries", []))
    gets: dict[str, int] = {}
    shared_gets = 0  # GETs of the shared workflow from the call that started it on
    offsets: list[float] = []  # every GET of the shared workflow, seconds after that call was sent
    for e in entries:
        path = str(e.get("path", ""))
        if e.get("method") == "GET" and path.startswith("/workflows/") and path.count("/") == 2:
            workflow = path.rsplit("/", 1)[1]
            gets[workflow] = gets.get(workflow, 0) + 1
            if workflow == shared_id:
                offsets.append(round(float(e.get("realTime") or 0) - shared_start, 3))
                shared_gets += offsets[-1] >= 0
    posts = sum(1 for e in entries if e.get("method") == "POST" and e.get("path") == "/workflows")
    window = window_end - window_start
    shared_window = window_end - shared_start
    per_workflow = sum(gets.values()) / max(posts, 1)
    fixed = window / BASELINE_INTERVAL + 1  # the official policy over the same time, per workflow
    # what one waiter on the official policy sends from the start: a GET at once, then every 5 s
    one_waiter = math.floor(shared_window / BASELINE_INTERVAL) + 1
    everything = latencies["a"] + latencies["b"]
    p99 = percentile(everything, 99)
    result = BenchResult("replicas")
    result.add(
        "quick-call p99, two replicas under load",
        p99,
        "ms",
        f"<= {GOAL_P99_MS:g} ms",
        p99 <= GOAL_P99_MS,
        note=f"{len(everything)} calls; {in_flight} waiting calls in flight; "
        f"p99 a {percentile(latencies['a'], 99):.0f} / b {percentile(latencies['b'], 99):.0f} ms",
    )
    result.add("quick-call p50, two replicas under load", median(everything), "ms")
    result.add(
        "quick calls that failed", float(len(failed)), "", "0", not failed, note=failed[0][:120] if failed else ""
    )
    result.add(
        "time until every waiting call was in flight",
        all_in_flight,
        "s",
        note=f"{waits} fresh calls over both replicas"
        + ("" if started == waits else f"; only {started} within {STEP_TIMEOUT:g} s"),
    )
    for name in names:
        result.add(
            f"replica {name} peak RSS",
            peaks[name][0],
            "MB",
            f"<= {GOAL_RSS_MB:g} MB",
            peaks[name][0] <= GOAL_RSS_MB,
            note=f"idle {idle[name]:.0f} MB",
        )
    result.add(
        "upstream GETs per workflow",
        per_workflow,
        "GETs",
        f"<= fixed 5 s poll ({fixed:.1f})",
        per_workflow <= fixed,
        note=f"{sum(gets.values())} GETs / {posts} workflows over {window:.0f} s",
    )
    result.add(
        f"GETs on one workflow with {shared} waiters over both replicas",
        float(shared_gets),
        "GETs",
        f"<= one 5 s poller ({one_waiter})",
        shared_gets <= one_waiter,
        note=f"over {shared_window:.0f} s",
    )
    result.details = {
        "waits": waits,
        "shared_waiters": shared,
        "started_in_time": started,
        "in_flight_at_start": in_flight,
        "in_flight_at_end": still,
        "seconds_to_all_in_flight": all_in_flight,
        "quick_phase_seconds": phase,
        "per_replica_ms": {n: {"p50": median(v), "p99": percentile(v, 99), "n": len(v)} for n, v in latencies.items()},
        "failed_quick_calls": failed[:20],
        "peak_rss_mb": {n: p[0] for n, p in peaks.items()},
        "idle_rss_mb": idle,
        "get_requests": sum(gets.values()),
        "workflows_started": posts,
        "window_seconds": window,
        "shared_workflow_gets": shared_gets,
        "shared_window_seconds": shared_window,
        "shared_get_offsets": offsets,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.replicas", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny workload: only checks that it runs")
    parser.add_argument("--waits", type=int, help="fresh waiting calls (default 500)")
    parser.add_argument("--shared", type=int, help="calls waiting on the one shared workflow (default 50)")
    parser.add_argument("--duration", type=float, help="seconds of quick calls at least (default 15)")
    parser.add_argument("--json", help="also write the figures and details to this file")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.quick, waits=args.waits, shared=args.shared, duration=args.duration))
    print(
        f"GETs of the shared workflow, seconds after the call that started it: {result.details['shared_get_offsets']}",
        file=sys.stderr,
    )
    print(render_table([result]))
    if args.json:
        import json

        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result.to_json(), f, indent=2)
    return 0 if all(f.passed is not False for f in result.figures) else 1


if __name__ == "__main__":
    sys.exit(main())
