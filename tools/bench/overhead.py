"""Per-call overhead: an MCP ``tools/call`` over stdio minus the raw HTTP request it makes upstream.

One standalone sandbox on loopback HTTP (a ``ServerThread`` in this process). The server under
test (ours; with ``--peer-cmd`` also the official one) runs as a stdio child pointed at it (ours
with ``LINKED_API_BASE_URL``, theirs through ``peer_upstream.cjs``) with two stand-in tokens, so
both use their real Linked API client path. The tool is ``get_api_usage`` (both servers have it;
it is one ``GET /stats/actions`` upstream, answered at once). The raw call is that same request,
path and query copied from the sandbox's request log, sent with ``http.client`` on one kept-alive
connection: no client library of ours in the way. Each iteration times the raw request, then the
tool call, back to back; the figures are percentiles of the per-iteration difference.

Beside them, the SDK's floor: the round trip of a ``tools/call`` to a one-tool ``MCPServer``
(``floor_server.py --our-stdio``, its ``echo`` tool, no upstream request) on the stdio transport
ours uses. That much of ours is the SDK's dispatch and the pipes, before any code of ours runs or
any request goes upstream; what ours adds over it is our own call path and our HTTP client.

And the upstream client's layers, in this process against the same sandbox, alternated, the same
``GET``: ``http.client`` (blocking), httpcore's async pool (what httpx sends through), a bare
``httpx.AsyncClient``, and ours (``LinkedApiClient.get_action_stats``: httpx plus our retry,
lanes and reading). The sandbox is a thread of this process, so each figure includes its answer;
the differences between them are the layers'.
"""

from __future__ import annotations

import http.client
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit

from .common import BenchResult, median, percentile
from .stdio import JsonRpcPipe, floor_command, server_command, server_env

GOAL_P50_MS = 2.0
TOOL = "get_api_usage"
ARGUMENTS = {"start": "2026-11-01T00:00:00Z", "end": "2026-11-30T00:00:00Z"}
TOKENS = {"linked-api-token": "bench-token", "identification-token": "bench-token"}


async def measure(command: list[str], sandbox: Any, base_url: str, iterations: int, warmup: int) -> list[float]:
    """Per-iteration ``tools/call − raw request`` in ms (and the raw and MCP timings in details)."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = server_env(
            LINKEDAPI_MCP_DATA_DIR=data_dir,
            LINKED_API_BASE_URL=base_url,
            LINKEDAPI_BENCH_UPSTREAM=base_url,
            LINKED_API_TOKEN="bench-token",
            IDENTIFICATION_TOKEN="bench-token",
            LINKEDAPI_MCP_TOOL_MODE="full",
        )
        pipe = await JsonRpcPipe.spawn(command, env)
        try:
            await pipe.initialize()
            before = len(sandbox.requests.entries)
            answer = await pipe.request("tools/call", {"name": TOOL, "arguments": ARGUMENTS})
            if answer.get("isError"):
                raise RuntimeError(f"{TOOL} failed: {answer.get('content')}")
            upstream = sandbox.requests.entries[before:]
            if len(upstream) != 1:
                raise RuntimeError(f"{TOOL} sent {len(upstream)} requests upstream, expected 1")
            entry = upstream[0]
            target = entry.path + (f"?{entry.query}" if entry.query else "")
            host = urlsplit(base_url)
            conn = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=30)
            diffs: list[float] = []
            raw: list[float] = []
            mcp: list[float] = []
            try:
                for i in range(warmup + iterations):
                    t0 = time.perf_counter()
                    conn.request(entry.method, target, headers=TOKENS)
                    response = conn.getresponse()
                    response.read()
                    t1 = time.perf_counter()
                    if response.status != 200:
                        raise RuntimeError(f"raw {entry.method} {target}: HTTP {response.status}")
                    answer = await pipe.request("tools/call", {"name": TOOL, "arguments": ARGUMENTS})
                    t2 = time.perf_counter()
                    if answer.get("isError"):
                        raise RuntimeError(f"{TOOL} failed: {answer.get('content')}")
                    if i >= warmup:
                        raw.append((t1 - t0) * 1000)
                        mcp.append((t2 - t1) * 1000)
                        diffs.append(mcp[-1] - raw[-1])
            finally:
                conn.close()
        finally:
            await pipe.close()
    measure.last = {"raw": raw, "mcp": mcp, "target": target}  # type: ignore[attr-defined]
    return diffs


async def floor_round_trips(iterations: int, warmup: int) -> list[float]:
    """Round trips in ms of ``tools/call`` to the one-tool SDK floor server on our stdio transport."""
    pipe = await JsonRpcPipe.spawn([*floor_command(), "--our-stdio"], server_env())
    times: list[float] = []
    try:
        await pipe.initialize()
        for i in range(warmup + iterations):
            t0 = time.perf_counter()
            answer = await pipe.request("tools/call", {"name": "echo", "arguments": {"text": "hi"}})
            t1 = time.perf_counter()
            if answer.get("isError"):
                raise RuntimeError(f"echo failed: {answer.get('content')}")
            if i >= warmup:
                times.append((t1 - t0) * 1000)
    finally:
        await pipe.close()
    return times


async def client_layers(base_url: str, target: str, iterations: int, warmup: int) -> dict[str, list[float]]:
    """Milliseconds per ``GET target`` through each client layer (see the module docstring)."""
    import httpcore
    import httpx

    from linkedapi_mcp.client import LinkedApiClient

    host = urlsplit(base_url)
    headers = {**TOKENS, "client": "bench", "Content-Type": "application/json"}
    raw = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=30)
    pool = httpcore.AsyncConnectionPool()
    core_headers = [(k.encode(), v.encode()) for k, v in {**headers, "host": host.netloc}.items()]
    bare = httpx.AsyncClient(base_url=base_url, headers=headers)
    ours = LinkedApiClient(linked_api_token="bench-token", identification_token="bench-token", base_url=base_url)

    async def with_http_client() -> None:
        raw.request("GET", target, headers=headers)
        raw.getresponse().read()

    async def with_httpcore() -> None:
        await pool.request(b"GET", (base_url + target).encode(), headers=core_headers)

    async def with_httpx() -> None:
        (await bare.get(target)).raise_for_status()

    async def with_ours() -> None:
        await ours.get_action_stats(ARGUMENTS["start"], ARGUMENTS["end"])

    layers = {"http.client": with_http_client, "httpcore": with_httpcore, "httpx": with_httpx, "ours": with_ours}
    times: dict[str, list[float]] = {name: [] for name in layers}
    try:
        for i in range(warmup + iterations):
            for name, send in layers.items():
                t0 = time.perf_counter()
                await send()
                if i >= warmup:
                    times[name].append((time.perf_counter() - t0) * 1000)
    finally:
        raw.close()
        await pool.aclose()
        await bare.aclose()
        await ours.aclose()
    return times


async def run(quick: bool = False, iterations: int | None = None, peer_cmd: list[str] | None = None) -> BenchResult:
    from linkedapi_mcp.sandbox import Sandbox, ServerThread

    iterations = iterations or (10 if quick else 400)
    warmup = 3 if quick else 30
    result = BenchResult("overhead")
    details: dict[str, Any] = {"iterations": iterations, "tool": TOOL}
    servers = [("ours", server_command())] + ([("official", peer_cmd)] if peer_cmd else [])
    p50s: dict[str, float] = {}
    for name, command in servers:
        sandbox = Sandbox(seed=42, speed=1)
        with ServerThread(sandbox) as thread:
            diffs = await measure(command, sandbox, thread.base_url, iterations, warmup)
        timings = measure.last  # type: ignore[attr-defined]
        p50s[name] = percentile(diffs, 50)
        details[name] = {
            "target": timings["target"],
            "raw_ms": {"p50": median(timings["raw"]), "p99": percentile(timings["raw"], 99)},
            "mcp_ms": {"p50": median(timings["mcp"]), "p99": percentile(timings["mcp"], 99)},
            "overhead_ms": {"p50": p50s[name], "p90": percentile(diffs, 90), "p99": percentile(diffs, 99)},
        }
        note = f"{iterations} calls of {TOOL}; p99 {percentile(diffs, 99):.2f} ms"
        if name == "ours":
            result.add(
                "tools/call over stdio minus the raw HTTP call, ours, p50",
                p50s[name],
                "ms",
                f"<= {GOAL_P50_MS:g} ms",
                p50s[name] <= GOAL_P50_MS,
                note=note,
            )
        else:
            result.add("the same, official server, p50", p50s[name], "ms", note=note)
            result.add(
                "per-call overhead, ours / official (p50)",
                p50s["ours"] / p50s[name],
                "x",
                "<= 1x",
                p50s["ours"] <= p50s[name],
            )
    result.add("raw HTTP call, p50", details["ours"]["raw_ms"]["p50"], "ms")
    sandbox = Sandbox(seed=42, speed=1)
    with ServerThread(sandbox) as thread:
        layers = await client_layers(thread.base_url, details["ours"]["target"], iterations, warmup)
    p50 = {name: median(times) for name, times in layers.items()}
    details["client_layers_ms"] = {name: {"p50": p50[name], "p99": percentile(t, 99)} for name, t in layers.items()}
    result.add(
        "our upstream client over http.client, one GET in process, p50",
        p50["ours"] - p50["http.client"],
        "ms",
        note=f"httpcore +{p50['httpcore'] - p50['http.client']:.2f}, httpx +{p50['httpx'] - p50['httpcore']:.2f}, "
        f"ours +{p50['ours'] - p50['httpx']:.2f} ms",
    )
    floor = await floor_round_trips(iterations, warmup)
    details["sdk_floor_round_trip_ms"] = {"p50": median(floor), "p99": percentile(floor, 99)}
    result.add(
        "SDK floor: a one-tool MCPServer's tools/call round trip on our stdio, no upstream, p50",
        median(floor),
        "ms",
        note=f"ours minus it: {p50s['ours'] - median(floor):.2f} ms",
    )
    result.details = details
    return result
