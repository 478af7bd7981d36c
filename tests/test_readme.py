"""The README stays true: its tool list is generated from the server, and CI runs its test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_the_readme_tool_list_matches_the_server() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_tool_docs.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(block.strip() for block in _code_blocks() if "pytest" in block)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_the_quick_start_installs_and_runs_the_server() -> None:
    first = _code_blocks()[0].strip()
    assert "pip install" in first
    assert first.endswith(".venv/bin/linkedapi-mcp")
