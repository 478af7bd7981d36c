"""Cold start: spawn the stdio server → ``initialize`` → ``tools/list`` answered → first tool result.

Measured alternately against a trivial one-tool ``MCPServer`` (``floor_server.py``, its first
result is its ``echo`` tool) in the same run, so the figures are ratios that survive a noisy,
shared machine. Median of ``runs`` each. The first tool call is sent at once after the listing
(the worst case: no time for a warm-up) and is ``get_api_usage`` — one ``GET /stats/actions`` — against
a loopback sandbox (``ServerThread``) with stand-in tokens, ours through ``LINKED_API_BASE_URL``,
the official server (``--peer-cmd``) through ``peer_upstream.cjs``.

Beside the wall-clock figures, the CPU time the process has used (user + system, all its threads,
psutil) when the first result arrives: on a shared machine the wall clock
moves with the neighbours, the CPU a start costs much less.
"""

from __future__ import annotations

import compileall
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import BenchResult, cpu_seconds, median
from .stdio import JsonRpcPipe, floor_command, server_command, server_env

GOAL_RATIO = 1.25


FIRST_CALL = {"name": "get_api_usage", "arguments": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-30T00:00:00Z"}}
FLOOR_CALL = {"name": "echo", "arguments": {"text": "hi"}}


async def time_once(
    command: list[str], env: dict[str, str], call: dict[str, Any] | None = None
) -> tuple[float, int, float, float]:
    """Seconds from spawn to the ``tools/list`` answer, how many tools it listed, seconds from spawn
    to the answer of ``call`` sent right after the listing (0 without one), and the CPU seconds the
    process had used by then."""
    started = time.perf_counter()
    pipe = await JsonRpcPipe.spawn(command, env)
    first = 0.0
    try:
        await pipe.initialize()
        tools = await pipe.request("tools/list")
        elapsed = time.perf_counter() - started
        if call is not None:
            answer = await pipe.request("tools/call", call)
            if answer.get("isError"):
                raise RuntimeError(f"{call['name']} failed: {answer.get('content')}")
            first = time.perf_counter() - started
        cpu = cpu_seconds(pipe.process.pid)
    finally:
        await pipe.close()
    return elapsed, len(tools["tools"]), first, cpu


def compile_package() -> None:
    """Write the bytecode of our package, as ``pip install`` does for a wheel.

    The SDK and every other dependency were compiled when pip installed them; a development
    checkout (an editable install) has only what earlier imports happened to write, and a fresh
    clone under ``PYTHONDONTWRITEBYTECODE=1`` (set on this machine, so in CI) has none: there every
    spawn compiled the ~21,000 lines it imports again, ~150 ms of CPU that no installed user pays,
    charged to ours and not to the floor.
    """
    import linkedapi_mcp

    compileall.compile_dir(Path(linkedapi_mcp.__file__).parent, quiet=1)


async def run(quick: bool = False, runs: int | None = None, peer_cmd: list[str] | None = None) -> BenchResult:
    from linkedapi_mcp.sandbox import Sandbox, ServerThread

    compile_package()

    runs = runs or (1 if quick else 9)
    ours: list[float] = []
    floor: list[float] = []
    ours_first: list[float] = []
    floor_first: list[float] = []
    peer_first: list[float] = []
    cpu: dict[str, list[float]] = {"ours": [], "floor": [], "official": []}
    counts = (0, 0)
    with tempfile.TemporaryDirectory() as data_dir, ServerThread(Sandbox(seed=42, speed=1)) as upstream:
        env = server_env(LINKEDAPI_MCP_DATA_DIR=data_dir)
        # What a user's MCP client starts: the default configuration. The other benchmarks turn
        # local budgets and confirmation off because they make hundreds of calls; this one makes
        # one, and a budgets spec is checked at start (it imports the guards: ~25 ms).
        for name in ("LINKEDAPI_MCP_BUDGETS", "LINKEDAPI_MCP_CONFIRM"):
            env.pop(name, None)
        # … with a (stand-in) account: the real Linked API client path, like the official server's
        env.update(
            LINKED_API_BASE_URL=upstream.base_url,
            LINKEDAPI_BENCH_UPSTREAM=upstream.base_url,
            LINKED_API_TOKEN="bench-token",
            IDENTIFICATION_TOKEN="bench-token",
        )
        if not quick:  # warm the disk cache for all
            await time_once(server_command(), env, FIRST_CALL)
            await time_once(floor_command(), env, FLOOR_CALL)
            if peer_cmd:
                await time_once(peer_cmd, env, FIRST_CALL)
        for _ in range(runs):
            seconds, n_ours, first, used = await time_once(server_command(), env, FIRST_CALL)
            ours.append(seconds)
            ours_first.append(first)
            cpu["ours"].append(used)
            seconds, n_floor, first, used = await time_once(floor_command(), env, FLOOR_CALL)
            floor.append(seconds)
            floor_first.append(first)
            cpu["floor"].append(used)
            counts = (n_ours, n_floor)
            if peer_cmd:
                _, _, first, used = await time_once(peer_cmd, env, FIRST_CALL)
                peer_first.append(first)
                cpu["official"].append(used)
    ratio = median(ours) / median(floor)
    first_ratio = median(ours_first) / median(floor_first)
    result = BenchResult("coldstart")
    result.add("cold start to tools/list, ours (median)", median(ours) * 1000, "ms", note=f"{runs} runs")
    result.add("cold start, one-tool MCPServer floor (median)", median(floor) * 1000, "ms")
    result.add("cold start ratio ours / floor", ratio, "x", f"<= {GOAL_RATIO}x", ratio <= GOAL_RATIO)
    result.add(
        "spawn to first tool result, ours / floor",
        first_ratio,
        "x",
        f"<= {GOAL_RATIO}x",
        first_ratio <= GOAL_RATIO,
        note=f"{median(ours_first) * 1000:.0f} / {median(floor_first) * 1000:.0f} ms",
    )
    result.add(
        "CPU used by the first tool result, ours / floor",
        median(cpu["ours"]) / median(cpu["floor"]),
        "x",
        note=f"{median(cpu['ours']) * 1000:.0f} / {median(cpu['floor']) * 1000:.0f} ms (all threads)",
    )
    if peer_first:
        result.add(
            "spawn to first tool result, official server (median)",
            median(peer_first) * 1000,
            "ms",
            note=f"ours / official {median(ours_first) / median(peer_first):.2f}x"
            + f"; its CPU {median(cpu['official']) * 1000:.0f} ms",
        )
    result.details = {
        "runs": runs,
        "ours_ms": [round(s * 1000, 1) for s in ours],
        "floor_ms": [round(s * 1000, 1) for s in floor],
        "ours_first_result_ms": [round(s * 1000, 1) for s in ours_first],
        "floor_first_result_ms": [round(s * 1000, 1) for s in floor_first],
        "official_first_result_ms": [round(s * 1000, 1) for s in peer_first],
        "cpu_at_first_result_ms": {name: [round(s * 1000) for s in used] for name, used in cpu.items()},
        "tools_listed": {"ours": counts[0], "floor": counts[1]},
        "command": server_command(),
    }
    return result
