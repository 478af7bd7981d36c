"""``python -m linkedapi_mcp.sandbox`` serves real HTTP and says where."""

from __future__ import annotations

import subprocess
import sys

import httpx

EPOCH = ["--epoch", "2026-11-23T09:00:00Z"]


def test_the_standalone_sandbox_prints_its_base_url_and_serves_the_api() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "linkedapi_mcp.sandbox", "--port", "0", "--seed", "3", "--speed", "0", *EPOCH],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Linked API sandbox listening on http://127.0.0.1:")
        base_url = line.split()[5]
        headers = {"linked-api-token": "t", "identification-token": "i"}
        response = httpx.get(f"{base_url}/account", headers=headers, timeout=5)
        assert response.json()["success"] is True
        assert httpx.get(f"{base_url}/_sandbox/clock", timeout=5).json()["now"] == "2026-11-23T09:00:00Z"
    finally:
        process.terminate()
        process.wait(timeout=10)
