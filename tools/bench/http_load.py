"""HTTP load: many ``get_workflow_result`` long-polls in flight while quick calls run.

The server is the real thing, ``linkedapi-mcp serve --transport http`` on 127.0.0.1 in a child
process, with its embedded sandbox at speed 10 (see ``SANDBOX_SPEED``). The client speaks raw Streamable
HTTP (legacy handshake, SSE answers) with httpx, which costs the shared 2-core machine far less
than one SDK client per long-poll:

1. start ``polls`` distinct ``search_people`` workflows with ``waitSeconds: 0`` (handles only);
2. open one ``get_workflow_result`` per handle with a progress token and treat it as in flight
   once its first progress notification arrives on the SSE stream (the server is then waiting);
3. run ``quick`` back-to-back ``get_account_info`` / ``list_workflows`` calls and time each;
4. sample the server's RSS (psutil) all along; stop the child. Every step has a time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import tempfile
import time
from typing import Any

from .common import BenchResult, median, percentile
from .stdio import PROTOCOL_VERSION, server_command, server_env

GOAL_P99_MS = 50.0
GOAL_RSS_MB = 300.0
# The default embedded speed: the server's poll schedule is divided by it, so 500 long-polls
# poll the sandbox ~10x as often as they would poll Linked API (a stress, not a best case),
# while the account's queue keeps all but the first few workflows pending for the whole run.
SANDBOX_SPEED = 10
STEP_TIMEOUT = 120.0  # seconds any one phase may take before the benchmark gives up


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

    async def open(self) -> None:
        response, _ = await self.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
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

    async def long_poll(self, workflow_id: str, wait: float, in_flight: asyncio.Event) -> None:
        """``get_workflow_result`` that sets ``in_flight`` at its first progress notification."""
        request_id = self.next_id()
        body = {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {
                "name": "get_workflow_result",
                "arguments": {"workflowId": workflow_id, "waitSeconds": wait},
                "_meta": {"progressToken": f"p-{workflow_id}"},
            },
        }
        async with self.http.stream("POST", self.url, headers=self.headers, json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
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


def _cpu_seconds(pid: int) -> float:
    import psutil  # type: ignore[import-untyped, unused-ignore]

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def run(
    quick: bool = False, polls: int | None = None, calls: int | None = None, duration: float | None = None
) -> BenchResult:
    """``calls`` quick calls at least, back to back, for at least ``duration`` seconds."""
    import httpx

    polls = polls or (20 if quick else 500)
    calls = calls or (10 if quick else 300)
    duration = duration if duration is not None else (0.0 if quick else 15.0)
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    latencies: list[float] = []
    by_tool: dict[str, list[float]] = {"get_account_info": [], "list_workflows": []}
    peak = [0.0]
    with tempfile.TemporaryDirectory() as data_dir:
        command = [
            *server_command(),
            "serve",
            "--transport",
            "http",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--sandbox-speed",
            "1",
        ]
        process = await asyncio.create_subprocess_exec(
            *command,
            env=server_env(LINKEDAPI_MCP_DATA_DIR=data_dir),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_rss(process.pid, peak, stop))
        limits = httpx.Limits(max_connections=polls + 50, max_keepalive_connections=polls + 50)
        try:
            async with httpx.AsyncClient(limits=limits, timeout=STEP_TIMEOUT) as http:
                await _wait_ready(http, url, process)
                control = Session(http, url)
                await control.open()
                # 1. handles: distinct searches so none is deduplicated into another
                semaphore = asyncio.Semaphore(16)

                async def start(i: int) -> str:
                    async with semaphore:
                        result = await control.call("search_people", {"term": f"bench {i}", "waitSeconds": 0})
                        return str(result["structuredContent"]["workflowId"])

                handles = await asyncio.wait_for(asyncio.gather(*(start(i) for i in range(polls))), STEP_TIMEOUT)
                # 2. long-polls, spread over a few sessions as several agents would be
                sessions = [Session(http, url) for _ in range(max(1, polls // 50))]
                for session in sessions:
                    await session.open()
                events = [asyncio.Event() for _ in handles]
                pollers = [
                    asyncio.create_task(sessions[i % len(sessions)].long_poll(h, STEP_TIMEOUT, events[i]))
                    for i, h in enumerate(handles)
                ]
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), STEP_TIMEOUT)
                in_flight = sum(1 for p in pollers if not p.done())
                # 3. quick calls while every long-poll waits (and polls the sandbox on its schedule)
                cpu_before = _cpu_seconds(process.pid)
                phase_start = time.perf_counter()
                i = 0
                while i < calls or time.perf_counter() - phase_start < duration:
                    tool = "get_account_info" if i % 2 == 0 else "list_workflows"
                    t0 = time.perf_counter()
                    await asyncio.wait_for(control.call(tool, {}), STEP_TIMEOUT)
                    elapsed = (time.perf_counter() - t0) * 1000
                    latencies.append(elapsed)
                    by_tool[tool].append(elapsed)
                    i += 1
                phase = time.perf_counter() - phase_start
                cpu_share = (_cpu_seconds(process.pid) - cpu_before) / phase
                still = sum(1 for p in pollers if not p.done())
                for poller in pollers:
                    poller.cancel()
                await asyncio.gather(*pollers, return_exceptions=True)
        finally:
            stop.set()
            await sampler
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    p99 = percentile(latencies, 99)
    result = BenchResult("http_load")
    result.add(
        "quick-call p99 under load",
        p99,
        "ms",
        f"<= {GOAL_P99_MS:g} ms",
        p99 <= GOAL_P99_MS,
        note=f"{len(latencies)} calls, {in_flight} long-polls in flight",
    )
    result.add("quick-call p50 under load", median(latencies), "ms")
    result.add("server CPU while the quick calls ran", cpu_share * 100, "%", note="of one core")
    result.add("server peak RSS", peak[0], "MB", f"<= {GOAL_RSS_MB:g} MB", peak[0] <= GOAL_RSS_MB)
    result.details = {
        "long_polls": polls,
        "in_flight_at_start": in_flight,
        "in_flight_at_end": still,
        "quick_calls": len(latencies),
        "quick_phase_seconds": phase,
        "server_cpu_share": cpu_share,
        "per_tool_ms": {t: {"p50": median(v), "p99": percentile(v, 99)} for t, v in by_tool.items() if v},
        "peak_rss_mb": peak[0],
    }
    return result
