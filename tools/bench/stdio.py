"""Raw JSON-RPC over a child's stdin/stdout: cheaper and steadier to time than an SDK client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

PROTOCOL_VERSION = "2025-11-25"  # the legacy handshake every MCP host speaks today
_LINE_LIMIT = 64 * 1024 * 1024  # tools/list is one long line


def server_command() -> list[str]:
    """How an MCP host starts this server: the ``linkedapi-mcp`` console script (else ``-m``)."""
    script = Path(sys.executable).with_name("linkedapi-mcp")
    if script.exists():
        return [str(script)]
    found = shutil.which("linkedapi-mcp")
    return [found] if found else [sys.executable, "-m", "linkedapi_mcp"]


def floor_command() -> list[str]:
    return [sys.executable, str(Path(__file__).with_name("floor_server.py"))]


def server_env(**extra: str) -> dict[str, str]:
    """The parent's environment minus any Linked API tokens (benchmarks never use a real account)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN") and not k.startswith("LINKEDAPI_MCP_")
    }
    # --- guards: benchmarks start hundreds of sandbox searches and never send real messages, so
    # the local action budgets and the confirmation step would only get in the way of measuring.
    env.update({"LINKEDAPI_MCP_BUDGETS": "off", "LINKEDAPI_MCP_CONFIRM": "never"})
    env.update(extra)
    return env


class JsonRpcPipe:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._next_id = 0

    @classmethod
    async def spawn(cls, command: list[str], env: dict[str, str]) -> JsonRpcPipe:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            limit=_LINE_LIMIT,
        )
        return cls(process)

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self._send(message)

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next_id += 1
        request_id = self._next_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        await self._send(message)
        assert self.process.stdout is not None
        while True:
            line = await self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the server closed stdout before answering {method}")
            answer: dict[str, Any] = json.loads(line)
            if answer.get("id") == request_id:
                if "error" in answer:
                    raise RuntimeError(f"{method} failed: {answer['error']}")
                result: dict[str, Any] = answer["result"]
                return result
            # Anything else (notifications, server requests) is not ours to time.

    async def initialize(self) -> dict[str, Any]:
        result = await self.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
        )
        await self.notify("notifications/initialized")
        return result

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
