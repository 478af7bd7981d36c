"""``linkedapi-mcp call`` with a person at the keyboard, in a real pseudo-terminal (pexpect).

The CLI runs as its own process against a standalone sandbox in this test process (a frozen clock:
a workflow finishes when the test calls ``advance``), so the sandbox's request log is the proof of
what was sent: a declined call sends nothing, an accepted one exactly one start. Also: the progress
bar, Ctrl-C leaving a handle, a script without a terminal refused (or allowed with ``--yes``), the
preview's ``confirmationId`` redeemed by the next ``call``, schema-typed arguments, malformed JSON,
a closed pipe, and the ``tools`` table.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
from mcp import Client

from linkedapi_mcp.cli import main
from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings
from linkedapi_mcp.terminal import ArgumentError, parse_arguments

pytestmark = pytest.mark.anyio

HOUR = 3600.0
SAFETY = 60.0  # generous bound on a live wait; the tests end by events well before


@pytest.fixture
def live() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


def _env(tmp_path: Path, base_url: str) -> dict[str, str]:
    """The CLI's environment: the standalone sandbox as 'your Linked API account', nothing inherited
    that would change the server's policy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINKEDAPI_MCP_", "LINKED_API_"))}
    env.pop("IDENTIFICATION_TOKEN", None)
    return {
        **env,
        "LINKED_API_TOKEN": "test-linked-api-token",
        "IDENTIFICATION_TOKEN": "test-identification-token",
        "LINKED_API_BASE_URL": base_url,
        "LINKEDAPI_MCP_DATA_DIR": str(tmp_path / "data"),
        "TERM": "xterm-256color",
        "COLUMNS": "160",
        "LINES": "40",
    }


def _posts(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.method == "POST" and r.path == "/workflows")


def _workflow_gets(sandbox: Sandbox) -> list[str]:
    return [r.path for r in sandbox.requests if r.method == "GET" and r.path.startswith("/workflows/")]


def _spawn(tmp_path: Path, live: ServerThread, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "linkedapi_mcp", "call", *args],
        env=_env(tmp_path, live.base_url),
        encoding="utf-8",
        timeout=SAFETY,
        dimensions=(40, 160),
    )


class Screen:
    """Everything the child wrote to its terminal, read as it comes (a full terminal buffer would
    block the child's live display)."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.text = ""

    def pump_until(self, condition: Callable[[], bool], limit: float = SAFETY) -> None:
        deadline = time.monotonic() + limit
        while not condition():
            assert time.monotonic() < deadline, f"condition not met; the terminal showed:\n{self.plain()[-2000:]}"
            try:
                self.text += self.child.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                assert condition(), f"the CLI ended first; the terminal showed:\n{self.plain()[-2000:]}"
                return

    def expect(self, pattern: str) -> None:
        self.pump_until(lambda: re.search(pattern, self.plain()) is not None)

    def finish(self) -> int:
        self.text += self.child.read()  # to EOF
        self.child.close()
        assert self.child.exitstatus is not None, "the CLI was killed"
        return int(self.child.exitstatus)

    def plain(self) -> str:
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.text)


def _person(live: ServerThread) -> str:
    return str(live.sandbox.world.samples()["connectionUrls"][0])


def test_a_declined_call_sends_nothing(tmp_path: Path, live: ServerThread) -> None:
    child = _spawn(tmp_path, live, "send_message", f"personUrl={_person(live)}", "text=Hello from a terminal")
    screen = Screen(child)
    screen.expect(r"Send it\? \[y/N\]")
    shown = " ".join(screen.plain().split())  # the terminal wraps long lines
    assert "About to: Send this LinkedIn message to" in shown
    assert "«Hello from a terminal»" in shown
    child.sendline("n")
    assert screen.finish() == 1
    assert "Not confirmed: nothing was sent." in screen.plain()
    assert [r for r in live.sandbox.requests if r.method != "GET"] == []  # no start, no action of any kind


def test_an_accepted_call_is_sent_once_and_waited_for_with_a_progress_bar(tmp_path: Path, live: ServerThread) -> None:
    child = _spawn(tmp_path, live, "send_message", f"personUrl={_person(live)}", "text=Yes, send it")
    screen = Screen(child)
    screen.expect(r"Send it\? \[y/N\]")
    assert _posts(live.sandbox) == 0
    child.sendline("y")
    screen.pump_until(lambda: _posts(live.sandbox) == 1)
    # The live bar: the operation's title, the bar itself, the time waited.
    screen.expect(r"Send message: .*━+.*\d:\d\d:\d\d")
    live.sandbox.advance(HOUR)  # the workflow finishes; the CLI's next look sees it
    assert screen.finish() == 0
    out = screen.plain()
    assert "status: completed  operationName: sendMessage" in out
    assert _posts(live.sandbox) == 1  # the preview sent nothing, the confirmed call exactly one start


def test_ctrl_c_while_waiting_stops_waiting_and_prints_the_handle(tmp_path: Path, live: ServerThread) -> None:
    child = _spawn(tmp_path, live, "search_people", "term=engineer", "limit=2")
    screen = Screen(child)
    screen.pump_until(lambda: len(_workflow_gets(live.sandbox)) >= 1)  # started, and being waited for
    screen.expect(r"Search people: .*━")
    screen.expect(r"━ ~\d+ s left")  # the server's predicted duration (progress total) as the estimate
    workflow_id = _workflow_gets(live.sandbox)[0].rsplit("/", 1)[-1]
    child.kill(signal.SIGINT)
    assert screen.finish() == 130
    out = screen.plain()
    assert f"Handle: workflowId={workflow_id}" in out
    assert f"linkedapi-mcp call get_workflow_result workflowId={workflow_id}" in out
    assert "Traceback" not in out
    assert _posts(live.sandbox) == 1
    assert not any(r.method == "DELETE" for r in live.sandbox.requests)  # the workflow goes on


def _run(tmp_path: Path, live: ServerThread, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linkedapi_mcp", "call", *args],
        env=_env(tmp_path, live.base_url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SAFETY * 2,
        check=False,
    )


def test_without_a_terminal_it_refuses_and_the_previews_confirmation_id_then_goes_through(
    tmp_path: Path, live: ServerThread
) -> None:
    arguments = [f"personUrl={_person(live)}", "text=From a script", "waitSeconds=0"]
    refused = _run(tmp_path, live, "send_message", *arguments)
    assert refused.returncode == 2
    assert "standard input is not a terminal" in refused.stderr
    assert "nothing was sent" in refused.stderr
    assert _posts(live.sandbox) == 0
    approve = re.search(r"approve this preview: (linkedapi-mcp call .*)$", refused.stderr, flags=re.M)
    assert approve is not None
    confirmation = re.search(r"confirmationId=(\S+)$", approve.group(1))
    assert confirmation is not None
    # The command the refusal suggests, run as printed: the server redeems the preview's id.
    done = _run(tmp_path, live, "send_message", *arguments, f"confirmationId={confirmation.group(1)}")
    assert done.returncode == 0, done.stderr
    assert "status: pending" in done.stdout  # waitSeconds=0: the person's own choice not to wait
    assert _posts(live.sandbox) == 1
    # The same command again: the identical call within the dedupe window is the same workflow.
    again = _run(tmp_path, live, "send_message", *arguments, f"confirmationId={confirmation.group(1)}")
    assert again.returncode == 0, again.stderr
    assert "deduplicated: yes" in again.stdout
    assert _posts(live.sandbox) == 1


def test_yes_confirms_for_a_script(tmp_path: Path, live: ServerThread) -> None:
    done = _run(tmp_path, live, "send_message", f"personUrl={_person(live)}", "text=Scripted", "--yes", "--no-wait")
    assert done.returncode == 0, done.stderr
    assert "--yes: confirmed." in done.stderr
    assert _posts(live.sandbox) == 1
    assert re.search(r"status: (pending|running)", done.stdout)


async def test_values_are_typed_by_the_tools_input_schema(tmp_path: Path) -> None:
    server, _state = build(Settings(data_dir=tmp_path))
    async with Client(server) as client:
        tools = {t.name: t.input_schema for t in (await client.list_tools()).tools}
    schema = tools["search_people"]
    typed = parse_arguments(["term=2024", "limit=3", 'filter={"locations": ["Berlin"]}'], schema)
    assert typed == {"term": "2024", "limit": 3, "filter": {"locations": ["Berlin"]}}
    assert parse_arguments(["text=true", "personUrl=https://www.linkedin.com/in/x"], tools["send_message"]) == {
        "text": "true",
        "personUrl": "https://www.linkedin.com/in/x",
    }
    with pytest.raises(ArgumentError, match=r"filter: malformed JSON \(Expecting value at column 15\)"):
        parse_arguments(['filter={"locations":[Berlin]}'], schema)


def test_malformed_json_is_reported_as_such_and_nothing_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = main(["call", "search_people", "filter={locations: [Berlin]}", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "filter: malformed JSON (Expecting property name enclosed in double quotes" in err
    assert "Nothing was sent." in err
    code = main(["call", "list_workflows", "--data-dir", str(tmp_path), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["workflows"] == []  # nothing was started


@pytest.mark.parametrize(
    "command", [["tools", "--toolsets", "all"], ["tools", "--json"], ["call", "list_workflows", "--json"]]
)
def test_output_to_a_closed_pipe_ends_quietly(tmp_path: Path, command: list[str]) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before anything is written, like `| head` that has had enough
    try:
        done = subprocess.run(
            [sys.executable, "-m", "linkedapi_mcp", *command],
            env={
                **{k: v for k, v in os.environ.items() if k not in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN")},
                "LINKEDAPI_MCP_DATA_DIR": str(tmp_path),
            },
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=SAFETY,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.returncode == 1  # rich's (and our) quiet ending for a reader that left
    assert done.stderr == ""  # no traceback, no "Exception ignored"


def test_tools_prints_a_table_and_json_for_machines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--toolsets", "all", "--tool-mode", "core"]) == 0
    notice, header, rule, *rows = capsys.readouterr().out.splitlines()
    assert notice.startswith("Enabled toolsets: people, companies")
    assert header.split() == ["tool", "effect", "toolset", "what", "it", "does"]
    assert set(rule.strip()) == {"─"}
    send = next(row for row in rows if row.startswith("send_message "))
    assert send.split()[1:3] == ["write", "messaging"]
    hidden = next(row for row in rows if row.startswith("  manage_conversation "))
    assert hidden.rstrip().endswith("(via run_operation)")
    assert main(["tools", "--toolsets", "all", "--tool-mode", "core", "--json"]) == 0
    machine = json.loads(capsys.readouterr().out)
    assert {"name": "send_message", "effect": "write", "toolset": "messaging", "listed": True}.items() <= next(
        row for row in machine if row["name"] == "send_message"
    ).items()
    assert len(machine) == len(rows)
    assert any(row["name"] == "manage_conversation" and not row["listed"] for row in machine)


async def test_the_progress_view_shows_the_servers_estimate() -> None:
    from rich.console import Console

    from linkedapi_mcp.terminal import ProgressView

    console = Console(force_terminal=True, width=120, record=True, color_system=None)
    with ProgressView(console, "Search people: starting") as view:
        await view(3.0, 40.0, "Search people: running on LinkedIn (3 s so far).")
    shown = console.export_text()
    assert "Search people: running on LinkedIn (3 s so far)." in shown
    assert "~37 s left" in shown
