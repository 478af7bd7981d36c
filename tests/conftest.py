"""Shared pytest configuration: every async test runs on asyncio through anyio; where the shared
fixtures are."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


# -- PostgreSQL: a real server, started once per test session from the machine's binaries ----------
# (.ci/run installs Debian's postgresql package; no server needs to be running beforehand.)


def _postgres_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _as_postgres_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: CI and these machines run as root, so drop to the
    ``postgres`` user the Debian package creates."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a throwaway PostgreSQL cluster (trust auth on loopback, fsync off)."""
    import shutil
    import socket
    import subprocess
    import tempfile

    bindir = _postgres_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql package.")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    # Not under pytest's tmp folders: those are private to the user running the tests.
    base = Path(tempfile.mkdtemp(prefix="linkedapi-mcp-postgres-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *argv: subprocess.run(  # noqa: E731
        _as_postgres_user([str(bindir / argv[0]), *argv[1:]]), check=True, capture_output=True, timeout=120
    )
    run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    run("pg_ctl", "-D", str(data), "-l", str(base / "log"), "-o", options, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's server, for one test."""
    import secrets

    import psycopg

    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def both_stores(request: pytest.FixtureRequest) -> str | None:
    """A test using this runs twice: on SQLite (None) and on a real PostgreSQL database (its URL)."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
