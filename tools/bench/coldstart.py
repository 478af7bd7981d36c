"""Cold start: spawn the stdio server → ``initialize`` → ``tools/list`` answered.

Measured alternately against a trivial one-tool ``MCPServer`` (``floor_server.py``) in the same
run, so the figure is a ratio that survives a noisy, shared machine. Median of ``runs`` each.
"""

from __future__ import annotations

import tempfile
import time

from .common import BenchResult, median
from .stdio import JsonRpcPipe, floor_command, server_command, server_env

GOAL_RATIO = 1.25


async def time_once(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds from spawn to the ``tools/list`` answer, and how many tools it listed."""
    started = time.perf_counter()
    pipe = await JsonRpcPipe.spawn(command, env)
    try:
        await pipe.initialize()
        tools = await pipe.request("tools/list")
        elapsed = time.perf_counter() - started
    finally:
        await pipe.close()
    return elapsed, len(tools["tools"])


async def run(quick: bool = False, runs: int | None = None) -> BenchResult:
    runs = runs or (1 if quick else 9)
    ours: list[float] = []
    floor: list[float] = []
    counts = (0, 0)
    with tempfile.TemporaryDirectory() as data_dir:
        env = server_env(LINKEDAPI_MCP_DATA_DIR=data_dir)
        # What a user's MCP client starts: the default configuration. The other benchmarks turn
        # local budgets and confirmation off because they make hundreds of calls; this one makes
        # none, and a budgets spec is checked at start (it imports the guards: ~25 ms).
        for name in ("LINKEDAPI_MCP_BUDGETS", "LINKEDAPI_MCP_CONFIRM"):
            env.pop(name, None)
        if not quick:  # warm the disk cache and .pyc files for both
            await time_once(server_command(), env)
            await time_once(floor_command(), env)
        for _ in range(runs):
            seconds, n_ours = await time_once(server_command(), env)
            ours.append(seconds)
            seconds, n_floor = await time_once(floor_command(), env)
            floor.append(seconds)
            counts = (n_ours, n_floor)
    ratio = median(ours) / median(floor)
    result = BenchResult("coldstart")
    result.add("cold start to tools/list, ours (median)", median(ours) * 1000, "ms", note=f"{runs} runs")
    result.add("cold start, one-tool MCPServer floor (median)", median(floor) * 1000, "ms")
    result.add("cold start ratio ours / floor", ratio, "x", f"<= {GOAL_RATIO}x", ratio <= GOAL_RATIO)
    result.details = {
        "runs": runs,
        "ours_ms": [round(s * 1000, 1) for s in ours],
        "floor_ms": [round(s * 1000, 1) for s in floor],
        "tools_listed": {"ours": counts[0], "floor": counts[1]},
        "command": server_command(),
    }
    return result
