"""The store's schema on PostgreSQL: replicas starting together migrate it once, without errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from linkedapi_mcp.hosted.crypto import SecretBox
from linkedapi_mcp.hosted.vault import Vault
from linkedapi_mcp.server.db import PostgresDatabase
from linkedapi_mcp.server.ledger import _MIGRATIONS, Ledger


def test_replicas_starting_together_apply_the_schema_once(postgres_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[PostgresDatabase] = []
    start = threading.Barrier(4)

    def replica() -> None:
        db = PostgresDatabase(postgres_url, max_size=2)
        stores.append(db)
        try:
            start.wait()
            Ledger(db)._ensure()  # what the first tool call does
            Vault(db, SecretBox("k" * 40))
        except BaseException as exc:  # collected: the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with stores[0].read() as conn:
        versions = dict(conn.execute("SELECT component, version FROM schema_versions").fetchall())
    for db in stores:
        db.close()
    assert versions == {"ledger": _MIGRATIONS[-1].version, "vault": 1}


@pytest.mark.anyio
async def test_a_fresh_sqlite_ledger_reaches_the_latest_schema_version(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    await ledger.recent("acct")
    with ledger.db.read() as conn:
        version = conn.execute("SELECT version FROM schema_versions WHERE component='ledger'").fetchone()[0]
    ledger.close()
    assert version == _MIGRATIONS[-1].version == 7
