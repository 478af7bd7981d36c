"""HTTP load: many fresh waiting tool calls in flight while quick calls run.

The server is the real thing, ``linkedapi-mcp serve --transport http`` on 127.0.0.1 in a child
process, with stand-in tokens, pointed (``LINKED_API_BASE_URL``) at a standalone sandbox in
another child process (``linkedapi-mcp sandbox``) at speed 1 (``SANDBOX_SPEED``): the server runs
its real, unscaled poll schedule and the account's queue keeps all but the first workflow pending
for the whole run.
The client speaks raw Streamable HTTP (legacy handshake, SSE answers) with httpx, which costs the
shared 2-core machine far less than one SDK client per call:

1. open ``waits`` **fresh** ``search_people`` calls (distinct terms, so none is deduplicated into
   another; default wait, progress token), spread over a few sessions whose client name gets a
   600 s time-out (so no budget ends during the run); each counts as in flight once its first
   progress notification arrives on the SSE stream (the server has started the workflow and
   waits). The time until all are in flight is a figure;
2. run back-to-back ``get_account_info`` / ``list_workflows`` calls for ``duration`` seconds (at
   least ``calls``) and time each;
3. sample the server's RSS (psutil) all along; stop the child. Every step has a time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import tempfile
import time
from typing import Any

from .common import BenchResult, cpu_seconds, median, percentile
from .stdio import PROTOCOL_VERSION, server_command, server_env

GOAL_P99_MS = 50.0
GOAL_RSS_MB = 200.0  # issue 14: at 1000 waiting calls (the default 500 is well under it)
SANDBOX_SPEED = 1
WAITING_CLIENT = "claude-code"  # a client name the server gives a 600 s time-out (timing.client_timeout)
STEP_TIMEOUT = 180.0  # seconds any one phase may take before the benchmark gives up


def _version(package: str) -> str:
    """The installed version of ``package`` (the server child runs in the same environment)."""
    from importlib.metadata import version

    return version(package)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sse_answer(text: str, request_id: int) -> dict[str, Any]:
    """The JSON-RPC answer with ``request_id`` from an SSE (or plain JSON) body."""
    payloads = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")] or [text]
    for payload in payloads:
        if not payload:
            continue
        message: dict[str, Any] = json.loads(payload)
        if message.get("id") == request_id:
            return message
    raise RuntimeError(f"no answer to request {request_id} in: {text[:200]}")


class Session:
    """One legacy Streamable HTTP session over a shared httpx client."""

    def __init__(self, http: Any, url: str) -> None:
        self.http = http
        self.url = url
        self.headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
        self._next = 0

    def next_id(self) -> int:
        self._next += 1
        return self._next

    async def request(self, method: str, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """One JSON-RPC request and its answer (read from the SSE or JSON body)."""
        request_id = self.next_id()
        response = await self.http.post(
            self.url,
            headers=self.headers,
            json={"jsonrpc": "2.0", "id": request_id, "method": method, "params": params},
        )
        response.raise_for_status()
        return response, sse_answer(response.text, request_id)

    async def open(self, client: str = "bench") -> None:
        response, _ = await self.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": client, "version": "1"}},
        )
        self.headers = {**self.headers, "mcp-protocol-version": PROTOCOL_VERSION}
        if "mcp-session-id" in response.headers:
            self.headers["mcp-session-id"] = response.headers["mcp-session-id"]
        await self.http.post(
            self.url, headers=self.headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        _, answer = await self.request("tools/call", {"name": name, "arguments": arguments})
        if "error" in answer or answer["result"].get("isError"):
            raise RuntimeError(f"{name} failed: {answer}")
        result: dict[str, Any] = answer["result"]
        return result

    async def waiting_call(self, name: str, arguments: dict[str, Any], in_flight: asyncio.Event) -> None:
        """A tool call that sets ``in_flight`` at its first progress notification (the server
        has started the workflow and waits; the stream's opening event, an empty ``data:`` line
        before any work, does not count)."""
        request_id = self.next_id()
        body = {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments, "_meta": {"progressToken": f"p-{id(in_flight)}"}},
        }
        async with self.http.stream("POST", self.url, headers=self.headers, json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:") and '"notifications/progress"' in line:
                    in_flight.set()


async def _sample_rss(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    import psutil  # type: ignore[import-untyped, unused-ignore]

    process = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
            peak[0] = max(peak[0], rss / 2**20)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def _wait_ready(http: Any, url: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError("the HTTP server exited at start")
        with contextlib.suppress(Exception):
            await http.get(url.rsplit("/", 1)[0] + "/", timeout=1)
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the HTTP server did not start listening")


async def run(
    quick: bool = False,
    polls: int | None = None,
    calls: int | None = None,
    duration: float | None = None,
    waits: int | None = None,
) -> BenchResult:
    """``waits`` fresh waiting calls (``polls`` is its old name), then ``calls`` quick calls at
    least, back to back, for at least ``duration`` seconds."""
    import httpx

    waits = waits or polls or (20 if quick else 500)
    calls = calls or (10 if quick else 300)
    duration = duration if duration is not None else (0.0 if quick else 15.0)
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    latencies: list[float] = []
    by_tool: dict[str, list[float]] = {"get_account_info": [], "list_workflows": []}
    timeline: list[tuple[float, str, float]] = []  # (seconds into the quick phase, tool, ms): the plots
    peak = [0.0]
    failed: list[str] = []
    sandbox_port = free_port()
    upstream = f"http://127.0.0.1:{sandbox_port}"
    with tempfile.TemporaryDirectory() as data_dir:
        # Upstream: a standalone sandbox in its own process, as Linked API is another machine. (The
        # embedded sandbox would put its own work, e.g. saving its account after every request, on
        # the server's event loop and into its figures.)
        sandbox = await asyncio.create_subprocess_exec(
            *server_command(),
            "sandbox",
            "--port",
            str(sandbox_port),
            "--speed",
            str(SANDBOX_SPEED),
            "--epoch",
            "2026-11-23T09:00:00Z",
            env=server_env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        command = [*server_command(), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port)]
        process = await asyncio.create_subprocess_exec(
            *command,
            env=server_env(
                LINKEDAPI_MCP_DATA_DIR=data_dir,
                LINKED_API_BASE_URL=upstream,
                LINKED_API_TOKEN="bench-token",
                IDENTIFICATION_TOKEN="bench-token",
            ),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_rss(process.pid, peak, stop))
        limits = httpx.Limits(max_connections=waits + 50, max_keepalive_connections=waits + 50)
        try:
            async with httpx.AsyncClient(limits=limits, timeout=STEP_TIMEOUT * 4) as http:
                await _wait_ready(http, f"{upstream}/_sandbox/samples", sandbox)
                await _wait_ready(http, url, process)
                control = Session(http, url)
                await control.open()
                rss_idle = peak[0]
                # 1. fresh waiting calls, spread over a few sessions as several agents would be
                sessions = [Session(http, url) for _ in range(max(1, waits // 50))]
                for session in sessions:
                    await session.open(WAITING_CLIENT)
                events = [asyncio.Event() for _ in range(waits)]
                opened = time.perf_counter()
                pollers = [
                    asyncio.create_task(
                        sessions[i % len(sessions)].waiting_call("search_people", {"term": f"bench {i}"}, events[i])
                    )
                    for i in range(waits)
                ]
                # the quick phase runs either way: with all of them in flight, or as many as made it
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), STEP_TIMEOUT)
                all_in_flight = time.perf_counter() - opened
                started = sum(1 for e in events if e.is_set())
                in_flight = sum(1 for p in pollers if not p.done())
                # 2. quick calls while the calls wait (and poll the sandbox on their schedule)
                cpu_before = cpu_seconds(process.pid)
                phase_start = time.perf_counter()
                i = 0
                while i < calls or time.perf_counter() - phase_start < duration:
                    tool = "get_account_info" if i % 2 == 0 else "list_workflows"
                    t0 = time.perf_counter()
                    try:
                        await asyncio.wait_for(control.call(tool, {}), STEP_TIMEOUT)
                    except RuntimeError as exc:  # a tool error (e.g. its upstream request timed out)
                        failed.append(str(exc)[:300])
                    elapsed = (time.perf_counter() - t0) * 1000
                    latencies.append(elapsed)
                    by_tool[tool].append(elapsed)
                    timeline.append((round(t0 - phase_start, 4), tool, round(elapsed, 3)))
                    i += 1
                phase = time.perf_counter() - phase_start
                cpu_share = (cpu_seconds(process.pid) - cpu_before) / phase
                still = sum(1 for p in pollers if not p.done())
                for poller in pollers:
                    poller.cancel()
                await asyncio.gather(*pollers, return_exceptions=True)
        finally:
            stop.set()
            await sampler
            for child in (process, sandbox):
                with contextlib.suppress(ProcessLookupError):
                    child.terminate()
                try:
                    await asyncio.wait_for(child.wait(), 10)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        child.kill()
                    await child.wait()
    p99 = percentile(latencies, 99)
    result = BenchResult("http_load")
    result.add(
        "quick-call p99 under load",
        p99,
        "ms",
        f"<= {GOAL_P99_MS:g} ms",
        p99 <= GOAL_P99_MS,
        note=f"{len(latencies)} calls, {in_flight} fresh waiting calls in flight",
    )
    result.add(
        "time until every waiting call was in flight",
        all_in_flight,
        "s",
        note=f"{waits} fresh calls" + ("" if started == waits else f"; only {started} within {STEP_TIMEOUT:g} s"),
    )
    result.add("quick-call p50 under load", median(latencies), "ms")
    result.add(
        "quick calls that failed",
        float(len(failed)),
        "",
        "0",
        not failed,
        note=failed[0][:120] if failed else "",
    )
    result.add("server CPU while the quick calls ran", cpu_share * 100, "%", note="of one core")
    result.add(
        "server peak RSS",
        peak[0],
        "MB",
        f"<= {GOAL_RSS_MB:g} MB",
        peak[0] <= GOAL_RSS_MB,
        note=f"{(peak[0] - rss_idle) / waits * 1000:.0f} kB per waiting call over idle; anyio {_version('anyio')}",
    )
    result.details = {
        "waits": waits,
        "seconds_to_all_in_flight": all_in_flight,
        "started_in_time": started,
        "failed_quick_calls": failed[:20],
        "in_flight_at_start": in_flight,
        "in_flight_at_end": still,
        "quick_calls": len(latencies),
        "quick_phase_seconds": phase,
        "server_cpu_share": cpu_share,
        "per_tool_ms": {t: {"p50": median(v), "p99": percentile(v, 99)} for t, v in by_tool.items() if v},
        "peak_rss_mb": peak[0],
        "quick_calls_timeline": timeline,
    }
    return result
