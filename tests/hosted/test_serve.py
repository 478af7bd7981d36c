"""The hosted mode as an operator starts it: one command, HOST/PORT from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_over_http_with_oauth_takes_host_and_port_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LINKEDAPI_MCP_AUTH": "oauth",
        "LINKEDAPI_MCP_SECRET_KEY": "s" * 40,
        "LINKEDAPI_MCP_DATA_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "linkedapi_mcp", "serve", "--transport", "http"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a safety net: the loop ends as soon as the server answers
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(base + "/healthz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None, "the server did not come up"
        ready = httpx.get(base + "/readyz", timeout=5)
        unauthenticated = httpx.post(
            base + "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"accept": "application/json, text/event-stream"},
            timeout=5,
        )
        metadata = httpx.get(base + "/.well-known/oauth-protected-resource/mcp", timeout=5).json()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert unauthenticated.status_code == 401
    assert metadata["resource"] == base + "/mcp"
    assert f"MCP over HTTP at http://127.0.0.1:{port}/mcp" in stderr
    assert "auth: oauth" in stderr
    assert "s" * 40 not in stderr
