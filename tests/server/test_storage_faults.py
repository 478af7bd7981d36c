"""Storage faults are explained and contained (issue 12, point 4), through a real MCP client.

A damaged, locked, read-only or full ledger (and an unreachable PostgreSQL server) must not turn
every tool into a bare "Error executing tool X": account-changing tools are refused with an
actionable message naming the data directory (or database), the cause and that nothing was sent
— zero requests reach the sandbox — while read-only tools keep working without the ledger (one
start reaches the sandbox). A damaged ledger is never deleted or replaced: ``linkedapi-mcp ledger
move-aside`` keeps it under a timestamped name, and the next call starts a fresh one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, Implementation

from linkedapi_mcp.cli import main as cli_main
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import LEDGER_FILE, ServerState, build
from linkedapi_mcp.server.db import StorageFault
from linkedapi_mcp.settings import Settings

from .conftest import POLL_SPEED, Upstream

pytestmark = pytest.mark.anyio

Text = Callable[[CallToolResult], str]


def _send(sandbox: Sandbox, i: int = 0) -> dict[str, Any]:
    return {"personUrl": sandbox.samples()["connectionUrls"][i], "text": f"Hello {i}", "waitSeconds": 0}


def _fetch(sandbox: Sandbox, i: int = 0) -> dict[str, Any]:
    return {"personUrl": sandbox.samples()["personUrls"][i], "waitSeconds": 0}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def _settings(data_dir: Path, **extra: Any) -> Settings:
    return Settings(data_dir=data_dir, sandbox_speed=POLL_SPEED, ledger_timeout_seconds=0.3, **extra)


@pytest.fixture
async def served(data_dir: Path, sandbox: Sandbox) -> AsyncIterator[tuple[Client, ServerState]]:
    server, state = build(_settings(data_dir), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        yield client, state


def _structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    return dict(result.structured_content)


def _kept(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.iterdir() if p.name.startswith(f"{LEDGER_FILE}.damaged-")]


def _refused_write(result: CallToolResult, text_of: Text, *, where: str, cause: str) -> str:
    """An account-changing call refused for a storage fault: isError, actionable, nothing sent."""
    text = text_of(result)
    assert result.is_error, text
    assert "[ledgerUnavailable]" in text
    assert where in text
    assert cause in text
    assert "Nothing was sent to Linked API" in text
    assert "refused" in text
    return text


# -- a damaged ledger --------------------------------------------------------------------------------


async def test_a_damaged_ledger_refuses_writes_serves_reads_and_is_never_replaced(
    data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text
) -> None:
    ledger = data_dir / LEDGER_FILE
    garbage = os.urandom(3000) + b"not a ledger at all" * 50
    ledger.write_bytes(garbage)
    server, _state = build(_settings(data_dir), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        # The server starts and lists its tools although the ledger cannot be opened.
        assert {t.name for t in (await client.list_tools()).tools} >= {"send_message", "fetch_person"}

        refused = await client.call_tool("send_message", _send(sandbox))
        text = _refused_write(refused, text_of, where=str(data_dir), cause="damaged")
        assert "file is not a database" in text  # the store's own words
        assert f"linkedapi-mcp ledger move-aside --data-dir {data_dir}" in text
        assert upstream.posts == 0

        # A read runs without the ledger: one start, and its handle with a word that it is not recorded.
        read = await client.call_tool("fetch_person", _fetch(sandbox))
        assert not read.is_error, text_of(read)
        outcome = _structured(read)
        assert outcome["status"] in ("pending", "running")
        workflow_id = outcome["workflowId"]
        assert workflow_id
        assert "not recorded in the ledger" in outcome["message"]
        assert "not checked against or counted in the local budgets" in outcome["message"]
        assert str(data_dir) in outcome["message"]
        assert f"operationName {outcome['operationName']}" in outcome["message"]
        assert upstream.posts == 1
        assert upstream.gets == 0  # waitSeconds 0: the start alone reached the sandbox

        # get_workflow_result: without operationName it cannot tell the operation, and says how;
        # with it, the handle is looked up on Linked API directly (a GET, no new start).
        unnamed = await client.call_tool("get_workflow_result", {"workflowId": workflow_id, "waitSeconds": 0})
        assert unnamed.is_error
        assert "pass operationName" in text_of(unnamed)
        assert str(data_dir) in text_of(unnamed)
        sandbox.advance(3600)
        gets = upstream.gets
        looked = await client.call_tool(
            "get_workflow_result",
            {"workflowId": workflow_id, "operationName": outcome["operationName"], "waitSeconds": 0},
        )
        assert not looked.is_error, text_of(looked)
        done = _structured(looked)
        assert done["status"] == "completed"
        assert done["workflowId"] == workflow_id
        assert done["result"]
        assert "looked up on Linked API directly" in done["message"]
        assert upstream.gets == gets + 1
        assert upstream.posts == 1

        # list_workflows reads only the ledger: explained, not a bare error.
        listed = await client.call_tool("list_workflows", {})
        assert listed.is_error
        assert "[ledgerUnavailable]" in text_of(listed)
        assert str(data_dir) in text_of(listed)
        assert "Nothing was sent" in text_of(listed)

        # A direct read needs no ledger at all.
        account = await client.call_tool("get_account_info", {})
        assert not account.is_error, text_of(account)

        # A read that first needs a sync (a Linked API state change) says so; the sync is not started.
        unsynced = await client.call_tool("get_conversation", {"personUrl": sandbox.samples()["connectionUrls"][2]})
        assert unsynced.is_error
        assert "first needs a step that changes Linked API state" in text_of(unsynced)
        assert "no workflow was started" in text_of(unsynced)
        assert upstream.posts == 1

        # Never deleted or silently replaced.
        assert ledger.read_bytes() == garbage

        # The command from the message keeps the file and lets the next call start fresh.
        assert cli_main(["ledger", "move-aside", "--data-dir", str(data_dir)]) == 0
        kept = _kept(data_dir)
        assert len(kept) == 1
        assert kept[0].read_bytes() == garbage
        assert not ledger.exists()

        sent = await client.call_tool("send_message", _send(sandbox))
        assert not sent.is_error, text_of(sent)
        assert upstream.posts == 2
        assert ledger.exists()
        assert kept[0].read_bytes() == garbage


async def test_move_aside_leaves_a_healthy_ledger_alone_unless_forced(
    served: tuple[Client, ServerState], data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, _state = served
    assert not (await client.call_tool("list_workflows", {})).is_error  # the ledger exists and is fine
    ledger = data_dir / LEDGER_FILE
    assert cli_main(["ledger", "move-aside", "--data-dir", str(data_dir)]) == 1
    assert "Nothing was moved" in capsys.readouterr().out
    assert ledger.exists()
    assert cli_main(["ledger", "move-aside", "--data-dir", str(data_dir), "--force"]) == 0
    assert not ledger.exists()
    assert _kept(data_dir)


async def test_move_aside_without_a_ledger_moves_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["ledger", "move-aside", "--data-dir", str(data_dir)]) == 1
    assert "nothing to move" in capsys.readouterr().out
    assert not _kept(data_dir)
    assert not (data_dir / LEDGER_FILE).exists()


# -- a locked ledger ---------------------------------------------------------------------------------


async def test_a_ledger_locked_by_another_process_refuses_writes_and_keeps_reads(
    served: tuple[Client, ServerState], data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text
) -> None:
    client, _state = served
    # Two workflows recorded before the lock: one to wait for, one to cancel.
    waited = _structured(await client.call_tool("fetch_person", _fetch(sandbox, 0)))["workflowId"]
    cancelled = _structured(await client.call_tool("fetch_person", _fetch(sandbox, 1)))["workflowId"]
    assert upstream.posts == 2
    other = sqlite3.connect(data_dir / LEDGER_FILE, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # held past the server's 0.3 s busy time-out
    try:
        refused = await client.call_tool("send_message", _send(sandbox))
        text = _refused_write(refused, text_of, where=str(data_dir), cause="locked by another process")
        assert "database is locked" in text
        assert "fuser" in text
        assert upstream.posts == 2

        read = await client.call_tool("fetch_person", _fetch(sandbox, 2))
        assert not read.is_error, text_of(read)
        assert "not recorded in the ledger" in _structured(read)["message"]
        assert "checked against the local budgets but not counted" in _structured(read)["message"]
        assert upstream.posts == 3

        listed = await client.call_tool("list_workflows", {})  # WAL: reading goes on under the lock
        assert not listed.is_error, text_of(listed)

        # A cancel (before the clock moves on) reaches Linked API; it says it was sent, not recorded.
        stop = await client.call_tool("cancel_workflow", {"workflowId": cancelled})
        assert not stop.is_error, text_of(stop)
        assert f"cancel of workflow {cancelled} was sent" in text_of(stop)
        assert "could not record it" in text_of(stop)
        assert upstream.posts == 3

        # A recorded workflow is still waited for: its operation is read from the ledger, the
        # look goes to Linked API directly (its progress cannot be written).
        sandbox.advance(3600)
        gets = upstream.gets
        result = await client.call_tool("get_workflow_result", {"workflowId": waited, "waitSeconds": 0})
        assert not result.is_error, text_of(result)
        done = _structured(result)
        assert done["status"] == "completed"
        assert done["result"]
        assert "looked up on Linked API directly" in done["message"]
        assert upstream.gets == gets + 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    sent = await client.call_tool("send_message", _send(sandbox))  # the lock is gone: as usual
    assert not sent.is_error, text_of(sent)
    assert upstream.posts == 4


# -- a full disk -------------------------------------------------------------------------------------


def _fill(state: ServerState) -> None:
    """Simulate a full disk on the server's own connection: no page beyond the current ones
    (``max_page_count``), and the workflows table's pages filled with small rows of another account."""
    db = state.database
    with db.tx() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages}")
    columns = [r[1] for r in db_columns(state) if r[1] != "id"]
    names = ",".join(columns)
    values = ",".join("'filler'" if c == "account" else ("'{}'" if c == "args_json" else c) for c in columns)
    fault: StorageFault | None = None
    for _ in range(100_000):
        try:
            with db.tx() as conn:
                conn.execute(f"INSERT INTO workflows ({names}) SELECT {values} FROM workflows ORDER BY id LIMIT 1")
        except StorageFault as exc:
            fault = exc
            break
    assert fault is not None
    assert fault.kind == "full"


def db_columns(state: ServerState) -> list[Any]:
    with state.database.read() as conn:
        return list(conn.execute("PRAGMA table_info(workflows)").fetchall())


async def test_a_full_disk_refuses_writes_and_keeps_reads(
    served: tuple[Client, ServerState], data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text
) -> None:
    client, state = served
    first = await client.call_tool("fetch_person", _fetch(sandbox, 0))  # a row to copy, and the ledger open
    assert not first.is_error, text_of(first)
    assert upstream.posts == 1
    _fill(state)

    refused = await client.call_tool("send_message", _send(sandbox))
    text = _refused_write(refused, text_of, where=str(data_dir), cause="is full")
    assert "SQLITE_FULL" in text
    assert upstream.posts == 1  # nothing more was sent

    read = await client.call_tool("fetch_person", _fetch(sandbox, 1))
    assert not read.is_error, text_of(read)
    assert "not recorded in the ledger" in _structured(read)["message"]
    assert upstream.posts == 2

    listed = await client.call_tool("list_workflows", {})
    assert not listed.is_error, text_of(listed)


# -- a read-only data directory ------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import anyio
    from mcp import Client
    from mcp.types import Implementation

    from linkedapi_mcp.sandbox import Sandbox
    from linkedapi_mcp.server.app import build
    from linkedapi_mcp.settings import Settings


    async def main(data_dir: str) -> None:
        sandbox = Sandbox(seed=42, speed=0)
        settings = Settings(data_dir=Path(data_dir), sandbox_speed=1000.0, ledger_timeout_seconds=0.3)
        server, _ = build(settings, sandbox=sandbox)
        samples = sandbox.samples()
        calls = [
            ("send_message", {"personUrl": samples["connectionUrls"][0], "text": "Hello", "waitSeconds": 0}),
            ("fetch_person", {"personUrl": samples["personUrls"][0], "waitSeconds": 0}),
            ("list_workflows", {}),
        ]
        out = []
        async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
            listed = len((await client.list_tools()).tools)
            for name, arguments in calls:
                posts = sum(1 for r in sandbox.requests if r.method == "POST" and r.path == "/workflows")
                result = await client.call_tool(name, arguments)
                after = sum(1 for r in sandbox.requests if r.method == "POST" and r.path == "/workflows")
                text = "\\n".join(getattr(b, "text", "") for b in result.content)
                out.append({"tool": name, "isError": result.is_error, "text": text,
                            "structured": result.structured_content, "posts": after - posts})
        print(json.dumps({"listed": listed, "calls": out}))


    anyio.run(main, sys.argv[1])
    """
)


def _unprivileged(argv: list[str]) -> list[str]:
    """As root, permissions do not bind: run without the capabilities that bypass them."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only directory cannot be enforced")
    drop = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", *argv]


def _run_read_only(data_dir: Path) -> dict[str, Any]:
    """The child server's report, run with ``data_dir`` read-only (and permissions binding)."""
    argv = _unprivileged([sys.executable, "-c", _CHILD, str(data_dir)])
    data_dir.chmod(0o555)
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            check=False,
        )
    finally:
        data_dir.chmod(0o755)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize("existing", [True, False], ids=["existing-ledger", "no-ledger-yet"])
async def test_a_read_only_data_directory_refuses_writes_and_keeps_reads(
    data_dir: Path, sandbox: Sandbox, existing: bool
) -> None:
    if existing:  # a ledger written earlier, then the directory made read-only
        server, _state = build(_settings(data_dir), sandbox=sandbox)
        async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
            assert not (await client.call_tool("list_workflows", {})).is_error
        assert (data_dir / LEDGER_FILE).exists()
    report = await anyio.to_thread.run_sync(_run_read_only, data_dir)
    assert report["listed"] > 0  # the server starts and lists its tools
    send, fetch, listed = report["calls"]

    assert send["isError"], send["text"]
    assert "[ledgerUnavailable]" in send["text"]
    assert f"data directory {data_dir}" in send["text"]
    assert "read-only" in send["text"] or "cannot be opened" in send["text"]
    assert "Nothing was sent to Linked API" in send["text"]
    assert send["posts"] == 0

    assert not fetch["isError"], fetch["text"]
    assert "not recorded in the ledger" in fetch["structured"]["message"]
    assert fetch["posts"] == 1

    assert listed["isError"]
    assert str(data_dir) in listed["text"]
    assert "Nothing was sent" in listed["text"]


# -- PostgreSQL unreachable ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_postgresql_refuses_writes_without_its_password_and_keeps_reads(
    data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text
) -> None:
    port = _free_port()  # nothing listens there
    settings = _settings(data_dir, database_url=f"postgresql://ledger:s3cr3t-pw@127.0.0.1:{port}/ledgerdb")
    server, _state = build(settings, sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        refused = await client.call_tool("send_message", _send(sandbox))
        text = _refused_write(
            refused, text_of, where=f"PostgreSQL 127.0.0.1:{port}/ledgerdb", cause="cannot be reached"
        )
        assert "s3cr3t-pw" not in text
        assert upstream.posts == 0

        read = await client.call_tool("fetch_person", _fetch(sandbox))
        assert not read.is_error, text_of(read)
        assert "not recorded in the ledger" in _structured(read)["message"]
        assert "s3cr3t-pw" not in text_of(read)
        assert upstream.posts == 1


# -- a fault after Linked API accepted the start ------------------------------------------------------


class _AfterStart(httpx.AsyncBaseTransport):
    """The sandbox's own transport, calling ``then()`` once a start has been answered (and
    ``on_look()`` once a status look has)."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, then: Callable[[], None], on_look: Callable[[], None] | None = None
    ) -> None:
        self.inner, self.then, self.on_look = inner, then, on_look

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path == "/workflows":
            self.then()
        elif request.method == "GET" and request.url.path.startswith("/workflows/") and self.on_look is not None:
            self.on_look()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _LockingSandbox(Sandbox):
    """A sandbox whose answer to a start is followed by another process locking the ledger."""

    def __init__(self, ledger: Path, *, unlock_on_look: bool = False) -> None:
        super().__init__(seed=42, speed=0)
        self.ledger_file = ledger
        self.holder: sqlite3.Connection | None = None
        self.unlock_on_look = unlock_on_look

    def lock_ledger(self) -> None:
        if self.holder is None:
            self.holder = sqlite3.connect(self.ledger_file, isolation_level=None)
            self.holder.execute("BEGIN EXCLUSIVE")

    def unlock_ledger(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None

    def transport(self) -> Any:
        return _AfterStart(super().transport(), self.lock_ledger, self.unlock_ledger if self.unlock_on_look else None)


async def test_a_ledger_locked_after_an_accepted_start_says_it_was_sent_once_and_never_resends(
    data_dir: Path, upstream: Upstream, text_of: Text
) -> None:
    sandbox = _LockingSandbox(data_dir / LEDGER_FILE)
    upstream.sandbox = sandbox
    server, _state = build(_settings(data_dir), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        assert not (await client.call_tool("list_workflows", {})).is_error  # the ledger exists
        try:
            sent = await client.call_tool("send_message", _send(sandbox))
            assert not sent.is_error, text_of(sent)
            outcome = _structured(sent)
            assert upstream.posts == 1
            assert outcome["workflowId"]
            assert outcome["status"] in ("pending", "running")
            message = outcome["message"]
            assert f"accepted the start of sendMessage as workflow {outcome['workflowId']} (sent once)" in message
            assert "could not record it" in message
            assert "locked by another process" in message
            assert str(data_dir) in message
            assert "Do not start the same tool again" in message
        finally:
            sandbox.unlock_ledger()
        # The claim written before the start still holds: the same call is not sent again.
        again = await client.call_tool("send_message", _send(sandbox))
        assert upstream.posts == 1, text_of(again)


@pytest.mark.parametrize("era", ["auto", "legacy"])
async def test_a_client_that_could_be_asked_is_not_asked_when_the_ledger_is_damaged(
    data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text, monkeypatch: pytest.MonkeyPatch, era: str
) -> None:
    monkeypatch.setenv("LINKEDAPI_MCP_CONFIRM", "elicit-or-preview")
    (data_dir / LEDGER_FILE).write_bytes(b"\x00garbage" * 500)
    questions: list[str] = []

    async def human(_context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    server, _state = build(_settings(data_dir), sandbox=sandbox)
    async with Client(
        server, mode=era, elicitation_callback=human, client_info=Implementation(name="pytest", version="1")
    ) as client:
        refused = await client.call_tool("send_message", _send(sandbox))
    _refused_write(refused, text_of, where=str(data_dir), cause="damaged")
    assert questions == []  # nobody is asked to approve what could not be protected
    assert upstream.posts == 0


async def test_a_read_only_postgresql_database_refuses_writes_and_keeps_reads(
    data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text, postgres_url: str
) -> None:
    import psycopg

    server, _state = build(_settings(data_dir, database_url=postgres_url), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        assert not (await client.call_tool("list_workflows", {})).is_error  # the schema is there
    name = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # e.g. a standby, or a database set so
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")

    server, _state = build(_settings(data_dir, database_url=postgres_url), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        refused = await client.call_tool("send_message", _send(sandbox))
        text = _refused_write(refused, text_of, where=f"/{name}", cause="accepts no writes")
        assert "read-only transaction" in text
        assert "[25006]" in text
        assert upstream.posts == 0

        read = await client.call_tool("fetch_person", _fetch(sandbox))
        assert not read.is_error, text_of(read)
        assert "not recorded in the ledger" in _structured(read)["message"]
        assert upstream.posts == 1


async def test_a_ledger_damaged_while_the_server_runs_is_replaced_only_by_move_aside_and_the_server_goes_on(
    served: tuple[Client, ServerState], data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text
) -> None:
    client, state = served
    assert not (await client.call_tool("send_message", _send(sandbox, 0))).is_error  # schema applied, one send
    assert upstream.posts == 1
    ledger = data_dir / LEDGER_FILE
    # The file is damaged under the running server. (Closing its connection stands in for SQLite
    # reading the file again, which it does when another process has written to it.)
    state.database.close()
    garbage = b"\x13damaged by a disk fault" * 400
    _replace(ledger, garbage)

    refused = await client.call_tool("send_message", _send(sandbox, 1))
    _refused_write(refused, text_of, where=str(data_dir), cause="damaged")
    assert upstream.posts == 1

    assert cli_main(["ledger", "move-aside", "--data-dir", str(data_dir)]) == 0
    # The next call of the same server makes a fresh ledger, with its tables, and works.
    sent = await client.call_tool("send_message", _send(sandbox, 1))
    assert not sent.is_error, text_of(sent)
    assert upstream.posts == 2
    listed = _structured(await client.call_tool("list_workflows", {}))
    assert [w["operationName"] for w in listed["workflows"]] == ["sendMessage"]  # only what it saw since
    assert _kept(data_dir)[0].read_bytes() == garbage


def _replace(ledger: Path, content: bytes) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{ledger}{suffix}").unlink(missing_ok=True)
    ledger.write_bytes(content)


async def test_a_read_over_its_budget_is_refused_while_the_ledger_is_locked(
    data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text
) -> None:
    server, _state = build(_settings(data_dir, budgets="stPersonProfileViews=1/day"), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        assert not (await client.call_tool("fetch_person", _fetch(sandbox, 0))).is_error  # the day's one view
        other = sqlite3.connect(data_dir / LEDGER_FILE, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            refused = await client.call_tool("fetch_person", _fetch(sandbox, 1))
        finally:
            other.execute("ROLLBACK")
            other.close()
    assert refused.is_error
    assert "[budgetExceeded]" in text_of(refused)
    assert "stPersonProfileViews" in text_of(refused)
    assert "[ledgerUnavailable]" in text_of(refused)
    assert upstream.posts == 1


async def test_a_lock_released_while_the_call_waits_lets_the_accepted_start_be_recorded(
    data_dir: Path, upstream: Upstream, text_of: Text
) -> None:
    sandbox = _LockingSandbox(data_dir / LEDGER_FILE, unlock_on_look=True)  # locked by the start, freed by a look
    upstream.sandbox = sandbox
    server, _state = build(_settings(data_dir), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        assert not (await client.call_tool("list_workflows", {})).is_error
        try:
            first = await client.call_tool("send_message", {**_send(sandbox), "waitSeconds": 1})
        finally:
            sandbox.unlock_ledger()
        assert not first.is_error, text_of(first)
        outcome = _structured(first)
        assert "recorded once the lock was released" in outcome["message"]
        assert upstream.posts == 1
        # The duplicate check knows it again: the identical call returns the same workflow.
        again = _structured(await client.call_tool("send_message", _send(sandbox)))
        assert again["deduplicated"] is True
        assert again["workflowId"] == outcome["workflowId"]
        assert upstream.posts == 1
        # And get_workflow_result finds it in the ledger (no operationName needed).
        looked = await client.call_tool("get_workflow_result", {"workflowId": outcome["workflowId"], "waitSeconds": 0})
        assert not looked.is_error, text_of(looked)
        assert "ledgerUnavailable" not in text_of(looked)


async def test_a_server_that_serves_only_recorded_handles_says_an_unrecorded_one_cannot_be_fetched_there(
    data_dir: Path, sandbox: Sandbox, upstream: Upstream, text_of: Text
) -> None:
    (data_dir / LEDGER_FILE).write_bytes(b"\x00garbage" * 500)
    server, state = build(_settings(data_dir), sandbox=sandbox)
    state.runner.ledger_only = True  # as hosted HTTP sets it: many principals, only their own handles
    async with Client(server, client_info=Implementation(name="pytest", version="1")) as client:
        read = _structured(await client.call_tool("fetch_person", _fetch(sandbox)))
        assert f"workflow {read['workflowId']} cannot be fetched here later" in read["message"]
        assert upstream.posts == 1
        looked = await client.call_tool(
            "get_workflow_result", {"workflowId": read["workflowId"], "operationName": "fetchPerson", "waitSeconds": 0}
        )
        assert looked.is_error
        assert "serves only the handles it recorded" in text_of(looked)
        assert "Nothing was sent" in text_of(looked)
        stop = await client.call_tool("cancel_workflow", {"workflowId": read["workflowId"]})
        assert stop.is_error
        assert "cannot check that the workflow is yours" in text_of(stop)
    assert upstream.gets == 0
    assert upstream.total == 1
