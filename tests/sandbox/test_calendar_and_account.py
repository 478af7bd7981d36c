"""Issue 13, points 1 and 2: the user-facing sandbox follows today's calendar; the embedded sandbox
is one persistent account in the data directory that later processes continue."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import DEFAULT_EPOCH, Sandbox
from linkedapi_mcp.sandbox.clock import format_time
from linkedapi_mcp.sandbox.persist import FILE_NAME, account_file

pytestmark = pytest.mark.anyio

TOKENS = {"linked-api-token": "t", "identification-token": "i"}


async def complete(client: httpx.AsyncClient, sandbox: Sandbox, definition: Any) -> Any:
    started = (await client.post("/workflows", json=definition)).json()["result"]
    sandbox.advance(3600)
    result = (await client.get(f"/workflows/{started['workflowId']}")).json()["result"]
    assert result["workflowStatus"] == "completed", result
    return result["completion"]


def _client(sandbox: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url, headers=TOKENS)


# -- today's calendar -----------------------------------------------------------------------------------


def test_the_test_facing_constructor_keeps_the_fixed_epoch() -> None:
    assert Sandbox(seed=42, speed=0).clock.now() == DEFAULT_EPOCH


async def test_a_sandbox_on_today_dates_its_world_relative_to_today() -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    sandbox = Sandbox(seed=42, speed=0, epoch="now")
    start = sandbox.clock.now()
    assert before <= start <= datetime.now(UTC)
    async with _client(sandbox) as client:
        week = await complete(
            client, sandbox, {"actionType": "st.searchPosts", "term": "AI", "filter": {"datePosted": "pastWeek"}}
        )
        assert week["data"], "posts from this week"
        assert all(start - timedelta(days=7, hours=1) <= _at(p["time"]) <= start for p in week["data"])
        viewers = await complete(client, sandbox, {"actionType": "st.retrieveProfileViewers", "limit": 5})
        assert start - _at(viewers["data"][0]["viewedAt"]) < timedelta(days=3)
        # Usage of the last 24 hours: the actions just run.
        now = sandbox.clock.now()
        stats = await client.get(
            "/stats/actions", params={"start": format_time(now - timedelta(hours=24)), "end": format_time(now)}
        )
        assert {"st.searchPosts", "st.retrieveProfileViewers"} <= {s["actionType"] for s in stats.json()["result"]}


async def test_the_same_seed_and_epoch_give_identical_bodies() -> None:
    async def bodies(sandbox: Sandbox) -> list[bytes]:
        async with _client(sandbox) as client:
            out = [(await client.get("/_sandbox/samples")).content]
            ack = await client.post("/workflows", json={"actionType": "st.searchPosts", "term": "hiring"})
            sandbox.advance(600)
            out += [ack.content, (await client.get(f"/workflows/{ack.json()['result']['workflowId']}")).content]
            return out

    epoch = "2027-03-02T10:30:00Z"
    assert await bodies(Sandbox(seed=9, speed=0, epoch=epoch)) == await bodies(Sandbox(seed=9, speed=0, epoch=epoch))


def test_the_standalone_sandbox_starts_today_unless_an_epoch_is_pinned() -> None:
    def clock(*extra: str) -> str:
        process = subprocess.Popen(
            [sys.executable, "-m", "linkedapi_mcp.sandbox", "--port", "0", "--speed", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().split()[5]
            now: str = httpx.get(f"{base_url}/_sandbox/clock", timeout=10).json()["now"]
            return now
        finally:
            process.terminate()
            process.wait(timeout=10)

    before = datetime.now(UTC) - timedelta(seconds=1)
    assert before <= _at(clock()) <= datetime.now(UTC)
    assert clock("--epoch", "2026-11-23T09:00:00Z") == "2026-11-23T09:00:00Z"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the persistent account ---------------------------------------------------------------------------


async def test_a_persistent_sandbox_continues_its_workflows_and_world_in_the_next_process(tmp_path: Path) -> None:
    path = account_file(tmp_path)
    first = Sandbox(seed=42, speed=0, epoch="now", persist_to=path)
    assert path.exists()  # saved at once: the account id is stable from the start
    person = first.samples()["connectionUrls"][0]
    stranger = first.samples()["personUrls"][0]
    async with _client(first) as client:
        sent = (await client.post("/workflows", json={
            "actionType": "st.sendMessage", "personUrl": person, "text": "Hello from yesterday",
        })).json()["result"]
        pending = (await client.post("/workflows", json={
            "actionType": "st.sendConnectionRequest", "personUrl": stranger,
        })).json()["result"]
        first.advance(30)
    later = Sandbox(seed=42, speed=0, epoch="now", persist_to=path)
    assert later.account_id == first.account_id
    async with _client(later) as client:
        later.advance(3600)
        for ack in (sent, pending):
            result = (await client.get(f"/workflows/{ack['workflowId']}")).json()["result"]
            assert result["workflowStatus"] == "completed"
        status = await complete(client, later, {
            "actionType": "st.checkConnectionStatus", "personUrl": stranger,
        })
        assert status["data"]["connectionStatus"] == "pending"
        await complete(client, later, [{"actionType": "st.syncConversation", "personUrl": person}])
    third = Sandbox(seed=42, speed=0, epoch="now", persist_to=path)
    texts = [m.text for t in third.world.threads if t.person.public_url == person for m in t.messages]
    assert "Hello from yesterday" in texts


def test_an_in_memory_sandbox_writes_nothing_and_each_has_its_own_account(tmp_path: Path) -> None:
    one, two = Sandbox(seed=42, speed=0), Sandbox(seed=42, speed=0)
    assert one.account_id != two.account_id
    one.save()  # no file: a no-op
    assert list(tmp_path.iterdir()) == []


def test_resetting_a_persistent_sandbox_starts_a_new_account(tmp_path: Path) -> None:
    path = account_file(tmp_path)
    sandbox = Sandbox(seed=42, speed=0, persist_to=path)
    old = sandbox.account_id
    sandbox.reset()
    assert sandbox.account_id != old
    assert Sandbox(seed=42, speed=0, persist_to=path).account_id == sandbox.account_id


def test_an_unreadable_or_foreign_account_file_is_set_aside_for_a_fresh_account(tmp_path: Path) -> None:
    path = account_file(tmp_path)
    path.write_bytes(json.dumps({"format": "linkedapi-mcp-sandbox-account", "version": 999}).encode() + b"\n...")
    sandbox = Sandbox(seed=42, speed=0, persist_to=path)
    assert (tmp_path / (FILE_NAME + ".unreadable")).exists()
    assert Sandbox(seed=42, speed=0, persist_to=path).account_id == sandbox.account_id
    # Written atomically: no temporary file is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME, FILE_NAME + ".unreadable"]
    assert path.stat().st_mode & 0o777 == 0o600


def _cli(data_dir: Path, *args: str, wait: str = "60") -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN")}
    env.update(LINKEDAPI_MCP_DATA_DIR=str(data_dir), LINKEDAPI_MCP_WAIT_SECONDS=wait)
    done = subprocess.run(
        [sys.executable, "-m", "linkedapi_mcp.cli", *args],
        stdin=subprocess.DEVNULL,  # a script, not a person at a terminal
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _body(output: str) -> dict[str, Any]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("{"))
    # the JSON result (stdout), then whatever the CLI said on stderr
    body: dict[str, Any] = json.JSONDecoder().raw_decode("\n".join(lines[start:]))[0]
    return body


def test_a_confirmation_and_a_handle_from_one_call_process_are_completed_by_the_next(tmp_path: Path) -> None:
    args = ["call", "send_message", "personUrl=https://www.linkedin.com/in/lena-muller", "text=Hi Lena"]
    # Nobody at a terminal: the CLI refuses, and its message carries the preview's confirmationId.
    code, preview = _cli(tmp_path, *args)
    assert code == 2, preview
    confirmation = re.search(r"confirmationId=(\S+)", preview)
    assert confirmation is not None, preview
    code, started = _cli(tmp_path, "call", "--json", "--no-wait", *args[1:], confirmation.group(0), wait="0")
    assert code == 0, started
    assert _body(started)["status"] == "pending"  # handed back at once: the next process finishes it
    workflow_id = _body(started)["workflowId"]
    code, finished = _cli(tmp_path, "call", "--json", "get_workflow_result", f"workflowId={workflow_id}")
    assert code == 0, finished
    assert _body(finished)["status"] == "completed"
    # `linkedapi-mcp sandbox reset` starts over: the old handle belongs to a gone account.
    code, reset = _cli(tmp_path, "sandbox", "reset")
    assert code == 0
    assert "removed" in reset
    assert not account_file(tmp_path).exists()
    code, gone = _cli(tmp_path, "call", "get_workflow_result", f"workflowId={workflow_id}")
    assert code != 0
    assert "workflowNotFound" in gone


async def test_an_account_that_cannot_be_saved_goes_on_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    sandbox = Sandbox(seed=42, speed=0, persist_to=blocker / FILE_NAME)
    async with _client(sandbox) as client:
        assert (await complete(client, sandbox, {"actionType": "st.retrieveSSI"}))["success"] is True
    assert "could not be saved" in caplog.text
