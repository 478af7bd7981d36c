"""The ``linkedapi-mcp`` command: tools, call, configuration errors, and the banner for humans."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.cli import main, parse_arguments, parse_value
from linkedapi_mcp.terminal import ArgumentError


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("2.5", 2.5),
        ("true", True),
        ("null", None),
        ('["Berlin", "Paris"]', ["Berlin", "Paris"]),
        ('{"locations": ["Berlin"]}', {"locations": ["Berlin"]}),
        ("engineer", "engineer"),
        ("https://www.linkedin.com/in/jane", "https://www.linkedin.com/in/jane"),
        ("[not json", "[not json"),
        ("", ""),
    ],
)
def test_call_values_are_json_when_they_look_like_json(text: str, value: Any) -> None:
    assert parse_value(text) == value


def test_call_arguments_must_be_key_value_pairs() -> None:
    assert parse_arguments(["term=data engineer", "limit=3"]) == {"term": "data engineer", "limit": 3}
    with pytest.raises(ArgumentError, match="expected key=value"):
        parse_arguments(["limit"])


def test_tools_lists_every_tool_with_its_effect(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--toolsets", "all", "--tool-mode", "full"]) == 0
    header, _columns, _rule, *lines = capsys.readouterr().out.splitlines()
    assert header.startswith("Enabled toolsets: people, companies")
    assert len(lines) == len(CATALOG) + 3  # every operation and the three workflow tools, one line each
    send = next(line for line in lines if line.startswith("send_message "))
    assert " write " in send
    assert any(line.startswith("get_workflow_result ") for line in lines)


def test_call_runs_one_tool_on_the_sandbox_and_prints_it_readably(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = main(
        ["call", "search_people", "term=engineer", "limit=2", "--data-dir", str(tmp_path), "--sandbox-speed", "100000"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("status: completed  operationName: searchPeople")
    assert "backend: sandbox" in out
    assert '"publicUrl"' in out
    assert "Search people" in err  # progress goes to stderr


def test_call_with_bad_arguments_prints_the_reason_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["call", "search_people", "limit=0", "--data-dir", str(tmp_path)]) == 1
    assert "'limit' must be ≥ 1 (got 0)" in capsys.readouterr().err


def test_only_one_token_is_a_startup_error_not_a_silent_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKED_API_TOKEN", "only-this-one")
    monkeypatch.delenv("IDENTIFICATION_TOKEN", raising=False)
    assert main(["call", "retrieve_ssi", "--data-dir", str(tmp_path)]) == 2
    assert "IDENTIFICATION_TOKEN is not set" in capsys.readouterr().err


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN")}
    return {**env, "LINKEDAPI_MCP_DATA_DIR": str(tmp_path), **extra}


def test_serve_with_only_one_token_exits_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTIFICATION_TOKEN", "x")
    monkeypatch.delenv("LINKED_API_TOKEN", raising=False)
    assert main(["--data-dir", str(tmp_path)]) == 2  # refused before touching stdin
    out, err = capsys.readouterr()
    assert "LINKED_API_TOKEN is not set" in err
    assert out == ""


def test_started_from_a_terminal_it_explains_itself_on_stderr_only(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "linkedapi_mcp"],
        env=_env(tmp_path),
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        banner = b""
        deadline = time.monotonic() + 120  # a safety net only: a loaded CI machine took over 20 s to start
        while b"Waiting for an MCP client" not in banner and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            banner += line
    finally:
        process.terminate()
        stdout, _ = process.communicate(timeout=10)
        os.close(controller)
        os.close(terminal)
    text = banner.decode()
    assert "built-in SANDBOX" in text
    assert "claude mcp add" in text
    assert stdout == b""  # stdout belongs to the protocol


def test_the_sandbox_subcommand_is_the_sandboxs_own_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "--help"])
    assert exited.value.code == 0
    assert "--speed" in capsys.readouterr().out


def test_a_token_that_cannot_travel_in_a_header_is_refused_without_echoing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKED_API_TOKEN", "linked_SECRET\u201d42")  # a pasted curly quote
    monkeypatch.setenv("IDENTIFICATION_TOKEN", "  ident_SECRET_7\n")  # surrounding whitespace is fine
    assert main(["call", "retrieve_ssi", "--data-dir", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "LINKED_API_TOKEN has a character at position 14" in err
    assert "SECRET" not in out + err
