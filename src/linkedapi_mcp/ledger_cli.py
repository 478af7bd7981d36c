"""``linkedapi-mcp ledger move-aside``: keep a damaged ledger file and let the next start make a fresh one.

The ledger remembers what was sent (server/ledger.py), so a damaged file is never deleted or
silently replaced by the server: a fresh ledger would forget recent sends and could repeat them.
This command is the user's explicit step. It renames the file (and its ``-wal`` / ``-shm``
companions, which may hold its latest writes) with a UTC timestamp in the same directory, so
nothing is lost and the file can still be inspected or repaired (``sqlite3 … .recover``).

A ledger that opens and passes ``PRAGMA quick_check`` is left alone unless ``--force`` is given:
moving a healthy ledger aside would forget its workflows for no reason. A locked or unreadable
one (not shown to be damaged) is also left alone without ``--force``: its fault is elsewhere.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkedapi_mcp.settings import Settings

LEDGER_FILE = "ledger.sqlite3"  # as server/app.py names it
_COMPANIONS = ("", "-wal", "-shm")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], data_flags: Callable[..., Any]) -> None:
    ledger = commands.add_parser("ledger", help="the workflow ledger in the data directory")
    actions = ledger.add_subparsers(dest="action", required=True, metavar="{move-aside}")
    move = actions.add_parser(
        "move-aside",
        help="rename a damaged ledger file with a timestamp (kept, never deleted); the next start makes a fresh one",
    )
    data_flags(move)
    move.add_argument("--force", action="store_true", help="move it even if it looks healthy")


def health(path: Path) -> tuple[str, str]:
    """``("ok" | "damaged" | "unknown", detail)`` of the SQLite file at ``path``, read-only."""
    import sqlite3  # here, not at the top: `linkedapi-mcp` builds its parser (this module's) at every start

    from linkedapi_mcp.server.db import sqlite_fault

    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        fault = sqlite_fault(exc, path)
        if fault is not None and fault.kind == "corrupt":
            return "damaged", fault.cause
        return "unknown", fault.cause if fault is not None else str(exc)
    verdict = "; ".join(str(r[0]) for r in rows[:5])
    return ("ok", verdict) if verdict == "ok" else ("damaged", f"quick_check: {verdict}")


def move_aside(path: Path, *, now: float | None = None) -> Path:
    """Rename ``path`` (and its ``-wal`` / ``-shm`` files) to ``<name>.damaged-<UTC stamp>``; the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while any(Path(f"{target}{suffix}").exists() for suffix in _COMPANIONS):
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    for suffix in _COMPANIONS:
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(Path(f"{target}{suffix}"))
    return target


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_url is not None:
        print(
            "The ledger is in the PostgreSQL database of LINKEDAPI_MCP_DATABASE_URL; move-aside applies to the "
            "SQLite file of the data directory. Have the database checked or restored by its administrator."
        )
        return 2
    path = settings.resolved_data_dir() / LEDGER_FILE
    if not path.exists():
        print(f"No ledger file at {path}: nothing to move. The next start makes a fresh one.")
        return 1
    state, detail = health(path)
    if state != "damaged" and not args.force:
        if state == "ok":
            print(
                f"The ledger {path} opens and passes its check ({detail}): moving it aside would forget the "
                "workflows it remembers, so an identical call could be sent again. Nothing was moved. "
                "Use --force to move it anyway."
            )
        else:
            print(
                f"The ledger {path} could not be checked ({detail}), which does not show it is damaged "
                "(a lock or a permission is more likely). Nothing was moved. Use --force to move it anyway."
            )
        return 1
    target = move_aside(path)
    print(
        f"Moved the ledger {path} to {target} (kept, with its -wal/-shm files if any).\n"
        "The next start (or the next tool call of a running server) makes a fresh, empty ledger. It does not "
        "know the workflows started before: check the account before repeating recent account-changing calls."
    )
    return 0


__all__ = ["add_parser", "health", "move_aside", "run"]
