"""Per-call overhead: ``tools/call`` over stdio minus the same operation through the client directly.

Both go to one standalone sandbox on loopback HTTP (a ``ServerThread`` in this process; the stdio
server is pointed at it with ``LINKED_API_BASE_URL`` and two stand-in tokens, so it uses its real
Linked API client path). Each iteration times a direct ``get_account_info`` (facade ``call``)
then the same tool over stdio, back to back; the figures are percentiles of the per-iteration
difference, which cancels most of the sandbox's own time and the machine's drift.
"""

from __future__ import annotations

import tempfile
import time

from .common import BenchResult, median, percentile
from .stdio import JsonRpcPipe, server_command, server_env

GOAL_P50_MS = 2.0
TOOL = "get_account_info"


async def run(quick: bool = False, iterations: int | None = None) -> BenchResult:
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.facade import LinkedApi
    from linkedapi_mcp.sandbox import Sandbox, ServerThread

    iterations = iterations or (10 if quick else 400)
    warmup = 3 if quick else 30
    op = CATALOG[TOOL]
    params = op.parse({})
    direct: list[float] = []
    mcp: list[float] = []
    with ServerThread(Sandbox(seed=42, speed=1)) as sandbox, tempfile.TemporaryDirectory() as data_dir:
        env = server_env(
            LINKEDAPI_MCP_DATA_DIR=data_dir,
            LINKED_API_BASE_URL=sandbox.base_url,
            LINKED_API_TOKEN="bench-token",
            IDENTIFICATION_TOKEN="bench-token",
        )
        client = LinkedApiClient(
            linked_api_token="bench-token", identification_token="bench-token", base_url=sandbox.base_url
        )
        api = LinkedApi(client)
        pipe = await JsonRpcPipe.spawn(server_command(), env)
        try:
            await pipe.initialize()
            for i in range(warmup + iterations):
                t0 = time.perf_counter()
                await api.call(op, params)
                t1 = time.perf_counter()
                answer = await pipe.request("tools/call", {"name": TOOL, "arguments": {}})
                t2 = time.perf_counter()
                if answer.get("isError"):
                    raise RuntimeError(f"{TOOL} over stdio failed: {answer.get('content')}")
                if i >= warmup:
                    direct.append((t1 - t0) * 1000)
                    mcp.append((t2 - t1) * 1000)
        finally:
            await pipe.close()
            await client.aclose()
    diffs = [m - d for m, d in zip(mcp, direct, strict=True)]
    p50 = percentile(diffs, 50)
    result = BenchResult("overhead")
    result.add(
        "tools/call over stdio minus direct, p50",
        p50,
        "ms",
        f"<= {GOAL_P50_MS:g} ms",
        p50 <= GOAL_P50_MS,
        note=f"{iterations} calls of {TOOL}",
    )
    result.add("tools/call over stdio minus direct, p99", percentile(diffs, 99), "ms")
    result.add("direct call (client → sandbox), p50", median(direct), "ms")
    result.add("tools/call over stdio, p50", median(mcp), "ms")
    result.details = {
        "iterations": iterations,
        "tool": TOOL,
        "direct_ms": {"p50": median(direct), "p99": percentile(direct, 99)},
        "stdio_ms": {"p50": median(mcp), "p99": percentile(mcp, 99)},
        "difference_ms": {"p50": p50, "p90": percentile(diffs, 90), "p99": percentile(diffs, 99)},
    }
    return result
