"""A ledger file written by an earlier version keeps working after an upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from linkedapi_mcp.server import pipeline
from linkedapi_mcp.server.ledger import Ledger
from linkedapi_mcp.server.pipeline import Call, Claim

pytestmark = pytest.mark.anyio

# The workflows table as the first version of the ledger created it (before `duration`).
FIRST_SCHEMA = """
CREATE TABLE workflows (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, operation TEXT NOT NULL,
    args_hash TEXT NOT NULL, args_json TEXT NOT NULL, effect TEXT NOT NULL, workflow_id TEXT,
    state TEXT NOT NULL, pending_reason TEXT, message TEXT, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, finished_at REAL, result_json TEXT, error_json TEXT
);
"""


async def test_an_old_ledger_is_upgraded_in_place_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(FIRST_SCHEMA)
    old.execute(
        "INSERT INTO workflows (account, operation, args_hash, args_json, effect, workflow_id, state, "
        "created_at, updated_at) VALUES ('acct', 'retrieveSSI', 'h', '{}', 'read', 'wf-old', 'running', 1, 1)"
    )
    old.commit()
    old.close()

    ledger = Ledger(path)
    claim = await pipeline.claim(
        ledger,
        Call.of(
            account="acct", operation="sendMessage", arguments={"text": "hi"}, effect="write", reuse_finished_within=600
        ),
    )
    assert isinstance(claim, Claim)
    assert not claim.existing
    assert [row.workflow_id for row in await ledger.find("wf-old")] == ["wf-old"]
