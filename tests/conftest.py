"""Shared pytest configuration: every async test runs on asyncio through anyio; where the shared
fixtures are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR_VARIABLE = "LINKEDAPI_MCP_SHARED_DIR"


def shared_fixtures() -> Path:
    """The recorded Linked API exchanges (``linkedapi-fixtures``) of the project's ``shared/`` folder.

    Found beside the repository (``../shared`` from its root, as CI lays it out) or where
    ``LINKEDAPI_MCP_SHARED_DIR`` points. Missing, it is an error: tests that compare against the
    fixtures must never pass by silently comparing against nothing.
    """
    shared = Path(os.environ.get(SHARED_DIR_VARIABLE) or ROOT.parent / "shared")
    fixtures = shared / "linkedapi-fixtures"
    if not fixtures.is_dir() or not any(fixtures.glob("*.json")):
        raise pytest.UsageError(
            f"The shared Linked API fixtures are missing: no *.json in {fixtures}. Lay the project's shared/ "
            f"folder beside the repository, or set {SHARED_DIR_VARIABLE} to it."
        )
    return fixtures


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


UPDATE_VARIABLE = "UPDATE_SNAPSHOTS"


def check_snapshot(path: Path, current: str, what: str) -> None:
    """Compare ``current`` with the committed snapshot at ``path``.

    A missing or different snapshot fails, on every machine: a snapshot never approves itself.
    Only an explicit ``UPDATE_SNAPSHOTS=1`` writes it (then review the diff and commit it).
    """
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{what}: the snapshot {path.name} is missing. Run {UPDATE_VARIABLE}=1 pytest and commit it.")
    if current != path.read_text(encoding="utf-8"):
        pytest.fail(f"{what} changed: review the diff of {path.name} after {UPDATE_VARIABLE}=1 pytest, then commit it.")
