"""The workflow ledger: one SQLite row per started workflow, shared by every server process.

Why it exists: Linked API has no idempotency key (contract §2.1), so every accepted
``POST /workflows`` is real work on a real LinkedIn account. The ledger remembers what was
started (and by which account), so that

* a restart, a crash or a cancelled tool call never loses a workflow handle;
* the same call made twice (by a retrying agent, or by two processes) sends one POST;
* a finished result is served from disk the second time.

Concurrency: WAL mode plus a busy time-out lets several processes share the file. A new start
first inserts a *claim* row inside ``BEGIN IMMEDIATE`` (which takes the database write lock; on
PostgreSQL an advisory lock per account), so of two identical calls arriving together exactly one
gets to POST; the other finds the claim.

This module is storage only: rows, and the primitives of an atomic claim (:class:`ClaimTx`). The
policies built on them (dedupe, confirmation, budgets, dead claimers) are the steps of
server/pipeline.py, run inside :meth:`Ledger.atomically`.

Rows hold an account *key* (a hash, see :func:`account_key`), never a token.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import statistics
import threading
import time
import weakref
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio.to_thread

from linkedapi_mcp.server.db import Conn, Database, Dialect, Migration, SqliteDatabase
from linkedapi_mcp.server.durations import SAMPLE

RowState = Literal["claimed", "pending", "running", "completed", "failed", "cancelled", "outcome_unknown"]
IN_FLIGHT: tuple[RowState, ...] = ("claimed", "pending", "running")

_T = TypeVar("_T")

# [INFERRED] Finished workflows are kept 30 days: long enough to look back at what an agent did,
# short enough that the file stays small. Unfinished ones are never pruned.
RETENTION_SECONDS = 30 * 24 * 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workflows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    operation TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    args_json TEXT NOT NULL,
    effect TEXT NOT NULL,
    workflow_id TEXT,
    state TEXT NOT NULL,
    pending_reason TEXT,
    message TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    duration REAL,
    result_json TEXT,
    error_json TEXT
);
CREATE INDEX IF NOT EXISTS workflows_by_key ON workflows (account, operation, args_hash, id);
CREATE INDEX IF NOT EXISTS workflows_by_handle ON workflows (workflow_id);
CREATE INDEX IF NOT EXISTS workflows_by_operation ON workflows (account, operation, state, id);
CREATE TABLE IF NOT EXISTS confirmations (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    operation TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS budget_usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    category TEXT NOT NULL,
    units INTEGER NOT NULL,
    workflow_row INTEGER,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS budget_usage_by_account ON budget_usage (account, category, at);
"""

# A started workflow not yet finished (``claimed`` rows have no workflow on Linked API yet).
_STARTED_UNFINISHED = "state IN ('pending','running')"
_MIGRATIONS = (
    Migration(1, _SCHEMA),
    # One poller per workflow (issue 10): the waiting call that polls holds a lease on the row.
    Migration(2, "ALTER TABLE workflows ADD COLUMN poller TEXT; ALTER TABLE workflows ADD COLUMN lease_until REAL"),
    # Webhook deliveries seen (deduplicated by event id); inbox/network events kept for reading.
    Migration(
        3,
        "CREATE TABLE IF NOT EXISTS webhook_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, "
        "account_id TEXT, data_json TEXT, received_at REAL NOT NULL); "
        "CREATE INDEX IF NOT EXISTS webhook_events_by_time ON webhook_events (received_at)",
    ),
    # A ledger that costs the same at 100,000 rows as at 10 (issue 14): an index for every query on
    # the hot path (tests/server/test_ledger_scale.py checks each plan), results stored compressed
    # (result_z; result_json stays readable for rows written before), and the duration model's
    # bounded sample window (see record_completed), filled from the history once.
    Migration(
        4,
        "CREATE INDEX IF NOT EXISTS workflows_by_account ON workflows (account, id); "
        "CREATE INDEX IF NOT EXISTS workflows_by_account_operation ON workflows (account, operation, id); "
        "CREATE INDEX IF NOT EXISTS workflows_by_finish ON workflows (finished_at); "
        "CREATE INDEX IF NOT EXISTS budget_usage_by_time ON budget_usage (at); "
        "CREATE INDEX IF NOT EXISTS budget_usage_by_workflow ON budget_usage (workflow_row); "
        "CREATE INDEX IF NOT EXISTS confirmations_by_expiry ON confirmations (expires_at); "
        "ALTER TABLE workflows ADD COLUMN result_z BLOB; "
        "CREATE TABLE IF NOT EXISTS duration_samples (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "account TEXT NOT NULL, operation TEXT NOT NULL, args_json TEXT NOT NULL, duration REAL NOT NULL, "
        "at REAL NOT NULL); "
        "CREATE INDEX IF NOT EXISTS duration_samples_by_account ON duration_samples (account, id); "
        "CREATE INDEX IF NOT EXISTS duration_samples_by_time ON duration_samples (at); "
        # (account, operation, state, id) is covered by workflows_by_account_operation now: one
        # index fewer to write and store per row.
        "DROP INDEX IF EXISTS workflows_by_operation",
        then=lambda conn, dialect: _fill_duration_samples(conn, dialect),
    ),
    # A file of at most 100 MiB at 100,000 rows (issue 14): results move to a table of their own,
    # kept RESULT_KEEP_SECONDS (see _create_results). Rows written before keep result_z/result_json.
    Migration(5, "", then=lambda conn, dialect: _create_results(conn, dialect)),
    # list_workflows' total (issue 11) without counting the account's rows each time: a count per
    # (account, operation), kept with every insert and delete of a workflow row, filled once here.
    Migration(
        6,
        "CREATE TABLE IF NOT EXISTS workflow_counts (account TEXT NOT NULL, operation TEXT NOT NULL, "
        "n INTEGER NOT NULL, PRIMARY KEY (account, operation)); "
        "INSERT INTO workflow_counts (account, operation, n) "
        "SELECT account, operation, COUNT(*) FROM workflows GROUP BY account, operation",
    ),
    # A queued workflow waits behind the account's earlier one that a call polls (issue 14,
    # Ledger.polled_ahead): the account's started, unfinished rows by id, whatever the history.
    # The predicate is written exactly as the query's, so both SQLite and PostgreSQL use it.
    Migration(
        7, f"CREATE INDEX IF NOT EXISTS workflows_in_flight ON workflows (account, id) WHERE {_STARTED_UNFINISHED}"
    ),
)
# [INFERRED] A finished workflow's result is kept here 7 days (its row, for list_workflows, dedupe and
# budgets, the whole RETENTION_SECONDS): an agent reads a result within minutes or hours, and 30
# days of every result is what made a busy account's file 220 MiB (docs/benchmarks.md, ledger).
# Later, get_workflow_result fetches it again from Linked API by its handle (Runner._settle), which
# keeps workflow results (the contract does not say how long; the sandbox keeps them all).
RESULT_KEEP_SECONDS = 7 * 24 * 3600.0
# Every read of whole rows that may need the result: the row, and its kept result if any.
_ROWS = (
    "SELECT workflows.*, workflow_results.body AS result_kept FROM workflows "
    "LEFT JOIN workflow_results ON workflow_results.row_id = workflows.id"
)
# The duration model learns from this many of an account's latest timed completions (newest first);
# duration_samples keeps no more than that per account.
DURATION_SAMPLES = SAMPLE
# Retention deletes expired rows this many at a time, each batch its own short transaction, by index.
PRUNE_BATCH = 500
# A long-running process prunes again this often (seconds).
PRUNE_EVERY = 3600.0
# Where row changes are announced to every process on a PostgreSQL store.
CHANGES_CHANNEL = "linkedapi_mcp_workflows"
# Waiters re-read a row this often even without a notification (SQLite across processes has none;
# on PostgreSQL it is only a safety net).
RECHECK_SECONDS = {"sqlite": 0.5, "postgresql": 2.0}

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", re.S)


def _add_missing_columns(conn: Conn) -> None:
    """Upgrade a ledger written by an earlier version: add the columns it lacks.

    ``CREATE TABLE IF NOT EXISTS`` leaves an existing table as it was, so a column added to
    ``_SCHEMA`` later (always nullable) would be missing from a user's old ledger file.
    """
    for table, body in _TABLE.findall(_SCHEMA):
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
        for line in body.split(",\n"):
            name, _, decl = line.strip().partition(" ")
            if name and name not in have and "PRIMARY KEY" not in decl and "NOT NULL" not in decl:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")


def _fill_duration_samples(conn: Conn, dialect: Dialect) -> None:
    """Migration 4's data step: each account's latest timed completions, oldest first (so that ids
    keep their order), into the bounded sample window the duration model now reads."""
    if dialect == "sqlite":
        _add_missing_columns(conn)  # a file from before `duration` existed: add it before reading it
    conn.execute(
        "INSERT INTO duration_samples (account, operation, args_json, duration, at) "
        "SELECT account, operation, args_json, duration, COALESCE(finished_at, updated_at) FROM ("
        "SELECT id, account, operation, args_json, duration, finished_at, updated_at, "
        "ROW_NUMBER() OVER (PARTITION BY account ORDER BY id DESC) AS newest FROM workflows "
        "WHERE state='completed' AND duration IS NOT NULL AND duration >= 0) AS timed "
        "WHERE newest <= ? ORDER BY id",
        (DURATION_SAMPLES,),
    )


def _create_results(conn: Conn, dialect: Dialect) -> None:
    """Migration 5: the kept results, one row per completed workflow row (same id), until dropped.

    A table of their own, not a column of ``workflows``: dropping a result then frees whole pages
    that new results reuse, where emptying a column would leave the old rows' pages two-thirds empty
    for the rest of their 30 days; and reading or listing rows never pages through results.
    """
    key = "row_id INTEGER PRIMARY KEY" if dialect == "sqlite" else "row_id BIGINT PRIMARY KEY"  # SQLite: the rowid
    body = "BLOB" if dialect == "sqlite" else "BYTEA"
    conn.execute(f"CREATE TABLE IF NOT EXISTS workflow_results ({key}, kept_at REAL NOT NULL, body {body} NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS workflow_results_by_time ON workflow_results (kept_at)")


# Stored results are compact JSON, deflated with a preset dictionary (zlib's ``zdict``, standard
# library): the result models' field names and the LinkedIn URL and URN prefixes the contract
# documents, so that even a small result (most are: a profile, a sent message) does not pay for
# spelling them out; 10-11 % smaller on the benchmark's mix, 26-36 % on single profiles. A blob is one
# format byte, then raw deflate. The dictionary of a version is frozen (old blobs must read for
# ever): result_zdict_v1.txt, written once from catalog/results.py (every model's fields as a JSON
# skeleton, in name order) and the contract's prefixes; a new one is a new file and format byte.
# Blobs of schema 4 are plain zlib streams (first byte 0x78, whose low nibble 8 no format byte has).
_RESULT_FORMAT = 1
_ZDICTS: dict[int, bytes] = {}


def _zdict(version: int) -> bytes:
    if version not in _ZDICTS:
        _ZDICTS[version] = (Path(__file__).with_name(f"result_zdict_v{version}.txt")).read_bytes()
    return _ZDICTS[version]


def encode_result(result: Any) -> bytes:
    """A result as the ledger stores it (see _RESULT_FORMAT)."""
    text = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode()
    packer = zlib.compressobj(6, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict=_zdict(_RESULT_FORMAT))
    return bytes([_RESULT_FORMAT]) + packer.compress(text) + packer.flush()


def decode_result(blob: bytes) -> Any:
    """A stored result back: :func:`encode_result`'s, or a schema-4 zlib stream."""
    if blob[0] & 0x0F == 8:  # zlib's header (deflate), as schema 4 wrote
        return json.loads(zlib.decompress(blob))
    unpacker = zlib.decompressobj(-15, zdict=_zdict(blob[0]))
    return json.loads(unpacker.decompress(blob[1:]) + unpacker.flush())


def account_key(*parts: str) -> str:
    """A stable, non-reversible key for an account: a salted SHA-256 of its tokens (and base URL).

    Only the first 32 hex characters are kept: enough to keep accounts apart, and too short to
    be mistaken for (or to help recover) a token.
    """
    digest = hashlib.sha256("\x1f".join(("linkedapi-mcp/account/v1", *parts)).encode()).hexdigest()
    return digest[:32]


def canonical_args(arguments: dict[str, Any]) -> tuple[str, str]:
    """``(json, hash)`` of arguments in canonical form: sorted keys, no whitespace, UTF-8."""
    text = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text, hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Row:
    id: int
    account: str
    operation: str
    args_hash: str
    args_json: str
    effect: str
    workflow_id: str | None
    state: RowState
    pending_reason: str | None
    message: str | None
    created_at: float
    updated_at: float
    finished_at: float | None
    duration: float | None  # estimated start-to-completion seconds, when this server saw it finish
    result_json: str | None
    error_json: str | None
    # Who holds the row, until lease_until: while ``claimed``, the process sending the start (its
    # identity, server/holders.py); once started, the waiting call that polls Linked API for it.
    poller: str | None = None
    lease_until: float | None = None
    result_z: bytes | None = None  # rows written by schema 4: the result, compressed (encode_result)
    # The result as kept now (workflow_results.body, encode_result): read with the row by every
    # read that may answer with it (_ROWS); None in list_workflows' rows, which never need it.
    result_kept: bytes | None = None

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    @property
    def result(self) -> Any:
        for blob in (self.result_kept, self.result_z):
            if blob is not None:
                return decode_result(bytes(blob))
        return None if self.result_json is None else json.loads(self.result_json)

    @property
    def result_dropped(self) -> bool:
        """Completed, and its result no longer kept here (RESULT_KEEP_SECONDS): Linked API has it.
        (Meaningful for rows read with their result, :data:`_ROWS`: not those of ``recent``.)"""
        return (
            self.state == "completed"
            and self.result_kept is None
            and self.result_z is None
            and self.result_json is None
        )

    @property
    def error(self) -> dict[str, Any] | None:
        return None if self.error_json is None else dict(json.loads(self.error_json))

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(json.loads(self.args_json))


class Ledger:
    """Async façade over the workflow store (server/db.py: SQLite or PostgreSQL); every query runs
    in a worker thread."""

    def __init__(
        self,
        db: Path | Database,
        *,
        clock: Callable[[], float] = time.time,
        prune_batch: int = PRUNE_BATCH,
        prune_in_background: bool = True,
    ) -> None:
        self.db: Database = SqliteDatabase(db) if isinstance(db, Path) else db
        self.path = db if isinstance(db, Path) else None
        self._clock = clock
        self._ready = False
        self._ready_lock = threading.Lock()
        # Retention (see _prune_batch): one batch at open, the rest in a background thread, again
        # every PRUNE_EVERY seconds; ``prune_in_background=False`` leaves the rest to prune().
        self.prune_batch = prune_batch
        self.prune_in_background = prune_in_background
        self._prune_more = False
        self._next_prune = 0.0
        self._pruner: threading.Thread | None = None
        self._prune_lock = threading.Lock()
        self._stop_pruning = threading.Event()
        # Each account's duration sample window as last read, with its mark (completed_samples).
        self._samples: dict[str, tuple[tuple[Any, ...], list[tuple[str, str, float]]]] = {}
        # Waiting calls of this process, by row id: woken when the row changes (here, or on
        # another replica through the store's notifications).
        self._waiters: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._waiters_lock = threading.Lock()
        self._stop_listening: Callable[[], None] | None = None
        self._listening = False
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    # -- plumbing -------------------------------------------------------------------------------

    def _ensure(self) -> Database:
        if not self._ready:
            with self._ready_lock:
                if not self._ready:
                    self._stop_pruning.clear()
                    self.db.migrate("ledger", _MIGRATIONS, after=self._on_open)
                    self._ready = True
        if self._prune_more or self._clock() >= self._next_prune:
            self._start_pruning()
        return self.db

    def _on_open(self, conn: Conn) -> None:
        if self.db.dialect == "sqlite":
            _add_missing_columns(conn)  # a file written before schema versions existed
        # Retention at open is one bounded batch (start is not held up by a large backlog).
        now = self._clock()
        self._prune_more = self._prune_batch(conn, now)
        self._next_prune = now + PRUNE_EVERY

    def _prune_batch(self, conn: Conn, now: float) -> bool:
        """One batch of retention: at most ``prune_batch`` expired rows of each table, found by an
        index on their time (no table scan); True if a table may have more.

        Finished workflows (and the duration samples taken from them) are kept RETENTION_SECONDS,
        their results RESULT_KEEP_SECONDS (then fetched again from Linked API when asked for),
        and so are webhook events (inbox/network tools read them; a replayed id older than the
        signature's 300 s window is refused anyway); budget windows are at most a day and
        confirmations live minutes: those keep two days.
        """
        more = False
        for table, key, column, keep in (
            ("workflows", "id", "finished_at", RETENTION_SECONDS),
            ("workflow_results", "row_id", "kept_at", RESULT_KEEP_SECONDS),
            ("duration_samples", "id", "at", RETENTION_SECONDS),
            ("webhook_events", "id", "received_at", RETENTION_SECONDS),
            ("budget_usage", "id", "at", 2 * 86400.0),
            ("confirmations", "id", "expires_at", 2 * 86400.0),
        ):
            delete = (
                f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {column} < ? "
                f"ORDER BY {column} LIMIT ?)"
            )
            if table == "workflows":  # and what it deleted: for workflow_counts, and the rows' results
                gone = conn.execute(
                    f"{delete} RETURNING id, account, operation", (now - keep, self.prune_batch)
                ).fetchall()
                for (account, operation), n in sorted(Counter((str(r[1]), str(r[2])) for r in gone).items()):
                    _count(conn, account, operation, -n)
                if gone:  # (kept with their rows, or completed late: none is left without its row)
                    marks = ",".join("?" for _ in gone)
                    conn.execute(f"DELETE FROM workflow_results WHERE row_id IN ({marks})", [r[0] for r in gone])
                deleted = len(gone)
            else:
                deleted = conn.execute(delete, (now - keep, self.prune_batch)).rowcount
            more = more or deleted >= self.prune_batch
        return more

    def _prune_once(self) -> bool:
        with self._tx() as conn:
            return self._prune_batch(conn, self._clock())

    def _start_pruning(self) -> None:
        with self._prune_lock:
            self._prune_more = False
            self._next_prune = self._clock() + PRUNE_EVERY
            if not self.prune_in_background or (self._pruner is not None and self._pruner.is_alive()):
                return
            self._pruner = threading.Thread(target=self._prune_loop, name="ledger-retention", daemon=True)
            self._pruner.start()

    def _prune_loop(self) -> None:
        while not self._stop_pruning.is_set() and self._prune_once():
            self._stop_pruning.wait(0.01)  # between batches, other writers go first

    async def prune(self) -> int:
        """Run retention to the end now, batch after batch; the number of batches."""

        def work() -> int:
            batches = 1
            while self._prune_once():
                batches += 1
            return batches

        return await self._run(work)

    def wait_pruned(self, timeout: float = 30.0) -> None:
        """Wait for the background retention thread, if one runs, to finish."""
        pruner = self._pruner
        if pruner is not None:
            pruner.join(timeout)

    @contextmanager
    def _tx(self, lock: str | None = None) -> Iterator[Conn]:
        """One write transaction; ``lock`` (an account key) serialises claims across replicas."""
        with self._ensure().tx(lock) as conn:
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[Conn]:
        with self._ensure().read() as conn:
            yield conn

    async def _run(self, fn: Callable[[], _T]) -> _T:
        # Not abandoned on cancellation: a ledger write that has begun always finishes.
        return await anyio.to_thread.run_sync(fn, limiter=self._limiter())

    def _limiter(self) -> anyio.CapacityLimiter:
        """The worker threads this ledger's queries run in, per event loop: as many as the store
        can serve at once (SQLite: one connection behind a lock; PostgreSQL: its pool), not
        anyio's default 40. With a thousand waiting calls, forty threads queued on one SQLite lock
        only added memory and GIL hand-offs (issue 14, RSS and quick-call latency)."""
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.db.concurrency)
        return limiter

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        with self._reading() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [Row(**dict(r)) for r in rows]

    def close(self) -> None:
        self._stop_pruning.set()
        self.wait_pruned()
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        self._listening = False
        self.db.close()
        self._ready = False

    # -- change notifications -------------------------------------------------------------------

    def _changed(self, row_id: int) -> None:
        """Wake this process's calls waiting on the row (from any thread)."""
        with self._waiters_lock:
            waiting = list(self._waiters.get(row_id, ()))
        for loop, event in waiting:
            loop.call_soon_threadsafe(event.set)

    def _on_notification(self, payload: str) -> None:
        if payload.isdigit():
            self._changed(int(payload))

    # -- starting -------------------------------------------------------------------------------

    async def atomically(self, account: str, work: Callable[[ClaimTx], _T]) -> _T:
        """Run ``work`` (the call pipeline's policy steps, server/pipeline.py) as ONE write
        transaction of ``account``: on PostgreSQL under the account's advisory lock, on SQLite under
        the database write lock. Whatever ``work`` reads and writes through the :class:`ClaimTx` is
        atomic across processes and replicas; an exception rolls all of it back."""

        def run() -> _T:
            with self._tx(account) as conn:
                tx = ClaimTx(conn, account, self._clock())
                out = work(tx)
                for row_id in tx.changed:
                    self.db.notify(conn, CHANGES_CHANNEL, str(row_id))
            for row_id in tx.changed:
                self._changed(row_id)
            return out

        return await self._run(run)

    async def peek(self, account: str, work: Callable[[ClaimTx], _T]) -> _T:
        """Run read-only ``work`` on a consistent snapshot (no lock, nothing written)."""

        def run() -> _T:
            with self._reading() as conn:
                return work(ClaimTx(conn, account, self._clock()))

        return await self._run(run)

    async def record_start(
        self, row_id: int, *, workflow_id: str, status: str, pending_reason: str | None, message: str | None
    ) -> Row:
        return await self._update(
            row_id,
            # The claimer's lease ends with the start: from here ``poller`` names the polling call.
            "workflow_id=?, state=?, pending_reason=?, message=?, poller=NULL, lease_until=NULL",
            (workflow_id, _state(status), pending_reason, message),
        )

    async def record_outcome_unknown(self, row_id: int, message: str) -> Row:
        return await self._update(row_id, "state='outcome_unknown', message=?", (message,))

    async def release(self, row_id: int) -> None:
        """Drop a claim whose POST was refused outright: nothing was started, a retry is fine.

        Its budget units are given back too.
        """

        def work() -> None:
            with self._tx() as conn:
                gone = conn.execute(
                    "DELETE FROM workflows WHERE id=? AND state='claimed' RETURNING account, operation", (row_id,)
                ).fetchone()
                if gone is not None:
                    _count(conn, str(gone[0]), str(gone[1]), -1)
                    conn.execute("DELETE FROM budget_usage WHERE workflow_row=?", (row_id,))

        await self._run(work)

    async def renew_claim(self, row_id: int, holder: str, *, lease: float) -> bool:
        """The claimer's heartbeat while its start is on the wire: its claim stays live ``lease``
        seconds more. False once the row is no longer its claim."""

        def work() -> bool:
            with self._tx() as conn:
                renewed = conn.execute(
                    "UPDATE workflows SET lease_until=? WHERE id=? AND state='claimed' AND poller=?",
                    (self._clock() + lease, row_id, holder),
                ).rowcount
            return bool(renewed)

        return await self._run(work)

    # -- progress -------------------------------------------------------------------------------

    async def record_status(self, row_id: int, *, status: str, pending_reason: str | None, message: str | None) -> Row:
        return await self._update(
            row_id,
            "state=?, pending_reason=?, message=?",
            (_state(status), pending_reason, message),
            only_in_flight=True,
        )

    async def record_completed(
        self, row_id: int, result: Any, *, duration: float | None = None, keep_with_row: bool = False
    ) -> Row:
        """Keep the result (compressed: :func:`encode_result`, in workflow_results) RESULT_KEEP_SECONDS,
        or, with ``keep_with_row`` (a result nobody can fetch again), as long as its row.
        ``duration`` (estimated run time) feeds :meth:`typical_duration` and the duration model's
        samples (:meth:`completed_samples`)."""
        now = self._clock()
        body = encode_result(result)
        # kept_at is when the keep is counted from: moved on so that it ends with the row's retention
        kept_at = now + (RETENTION_SECONDS - RESULT_KEEP_SECONDS if keep_with_row else 0.0)

        def keep(conn: Conn) -> None:
            if duration is not None and duration >= 0:
                _add_duration_sample(conn, row_id, duration, now)
            conn.execute(
                "INSERT INTO workflow_results (row_id, kept_at, body) VALUES (?,?,?) "
                "ON CONFLICT (row_id) DO UPDATE SET kept_at=excluded.kept_at, body=excluded.body",
                (row_id, kept_at, body),
            )

        return await self._update(
            row_id,
            "state='completed', pending_reason=NULL, result_json=NULL, result_z=NULL, finished_at=?, duration=?",
            (now, duration),
            before=keep,
        )

    async def record_failed(self, row_id: int, *, error_type: str, message: str) -> Row:
        return await self._update(
            row_id,
            "state='failed', pending_reason=NULL, error_json=?, finished_at=?",
            (json.dumps({"type": error_type, "message": message}), self._clock()),
        )

    async def record_cancelled(self, row_id: int) -> Row:
        return await self._update(
            row_id, "state='cancelled', pending_reason=NULL, finished_at=?", (self._clock(),), only_in_flight=True
        )

    async def adopt(self, *, account: str, operation: str, workflow_id: str, effect: str) -> Row:
        """Record a workflow this ledger never saw start (e.g. one started by the official server)."""

        def work() -> Row:
            now = self._clock()
            with self._tx() as conn:
                row = conn.execute(
                    "INSERT INTO workflows (account, operation, args_hash, args_json, effect, workflow_id, "
                    "state, created_at, updated_at) VALUES (?,?,'','{}',?,?,'running',?,?) RETURNING *",
                    (account, operation, effect, workflow_id, now, now),
                ).fetchone()
                _count(conn, account, operation, 1)
                return Row(**dict(row))

        return await self._run(work)

    async def _update(
        self,
        row_id: int,
        assignments: str,
        params: tuple[Any, ...],
        *,
        only_in_flight: bool = False,
        before: Callable[[Conn], None] | None = None,
    ) -> Row:
        guard = " AND state IN ('claimed','pending','running')" if only_in_flight else ""

        def work() -> Row:
            with self._tx() as conn:
                if before is not None:  # in the same transaction, seeing the row as it was
                    before(conn)
                conn.execute(
                    f"UPDATE workflows SET {assignments}, updated_at=? WHERE id=?{guard}",
                    (*params, self._clock(), row_id),
                )
                self.db.notify(conn, CHANGES_CHANNEL, str(row_id))
                row = Row(**dict(conn.execute(f"{_ROWS} WHERE id=?", (row_id,)).fetchone()))
            self._changed(row_id)
            return row

        return await self._run(work)

    # -- one poller per workflow ----------------------------------------------------------------

    async def take_lease(self, row_id: int, holder: str, *, until: float) -> bool:
        """Become (or stay) the one poller of an in-flight workflow until ``until`` (wall time):
        only if nobody else holds a live lease. Atomic across processes and replicas."""

        def work() -> bool:
            now = self._clock()
            with self._tx() as conn:
                taken = conn.execute(
                    "UPDATE workflows SET poller=?, lease_until=? WHERE id=? "
                    "AND state IN ('claimed','pending','running') "
                    "AND (poller IS NULL OR poller=? OR lease_until IS NULL OR lease_until<?)",
                    (holder, until, row_id, holder, now),
                ).rowcount
            return bool(taken)

        return await self._run(work)

    async def release_lease(self, row_id: int, holder: str) -> None:
        """Stop polling (the call's budget ended): the next waiter takes over at once."""

        def work() -> None:
            with self._tx() as conn:
                released = conn.execute(
                    "UPDATE workflows SET lease_until=0 WHERE id=? AND poller=?", (row_id, holder)
                ).rowcount
                if released:
                    self.db.notify(conn, CHANGES_CHANNEL, str(row_id))
            if released:
                self._changed(row_id)

        await self._run(work)

    async def record_event(self, event_id: str, type: str, account_id: str | None, data: Any) -> bool:
        """Remember a webhook event; False if its id was seen before (a retry or a replay)."""

        def work() -> bool:
            with self._tx() as conn:
                inserted = conn.execute(
                    "INSERT INTO webhook_events (id, type, account_id, data_json, received_at) VALUES (?,?,?,?,?) "
                    "ON CONFLICT (id) DO NOTHING",
                    (event_id, type, account_id, json.dumps(data, ensure_ascii=False), self._clock()),
                ).rowcount
            return bool(inserted)

        return await self._run(work)

    async def events(self, *, types: tuple[str, ...], since: float = 0.0, limit: int = 500) -> list[dict[str, Any]]:
        """Recorded inbox/network events of these types, oldest first."""
        marks = ",".join("?" for _ in types)

        def work() -> list[dict[str, Any]]:
            with self._reading() as conn:
                rows = conn.execute(
                    f"SELECT id, type, account_id, data_json, received_at FROM webhook_events WHERE type IN ({marks}) "
                    "AND received_at >= ? ORDER BY received_at LIMIT ?",
                    (*types, since, limit),
                ).fetchall()
            return [
                {"id": r[0], "type": r[1], "accountId": r[2], "data": json.loads(r[3] or "null"), "receivedAt": r[4]}
                for r in rows
            ]

        return await self._run(work)

    async def poke(self, row_id: int) -> None:
        """Tell the row's waiters, here and on other replicas, to look now (a thin webhook)."""
        await self._update(row_id, "message=message", (), only_in_flight=True)

    @contextmanager
    def watching(self, row_id: int) -> Iterator[asyncio.Event]:
        """An event set whenever the row may have changed (this process's writes; on PostgreSQL,
        every replica's), for a caller that reads the row itself and only when told to."""
        if not self._listening:
            self._listening = True
            self._stop_listening = self._ensure().listen(CHANGES_CHANNEL, self._on_notification)
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._waiters_lock:
            self._waiters.setdefault(row_id, []).append(entry)
        try:
            yield event
        finally:
            with self._waiters_lock:
                entries = self._waiters.get(row_id, [])
                if entry in entries:
                    entries.remove(entry)
                if not entries:
                    self._waiters.pop(row_id, None)

    async def wait_change(
        self,
        row: Row,
        *,
        within: float,
        lease: bool = True,
        differs: Callable[[Row, Row], bool] | None = None,
        recheck: float | None = None,
    ) -> Row:
        """The row once it differs from ``row`` (state, status or its poller's lease; or as
        ``differs(row, fresh)`` says), or as it is after ``within`` seconds. Woken by this process's
        writes and, on PostgreSQL, by every replica's (LISTEN/NOTIFY); re-reads every ``recheck``
        seconds (default :data:`RECHECK_SECONDS`) in case a notification was missed or another
        process wrote the SQLite file."""
        recheck = RECHECK_SECONDS[self.db.dialect] if recheck is None else max(recheck, 0.01)
        changed = differs or (_differs_leased if lease else _differs)
        end = time.monotonic() + max(within, 0.0)
        with self.watching(row.id) as event:
            while True:
                fresh = await self.get(row.id)
                if fresh is None:
                    return row
                if changed(row, fresh):
                    return fresh
                left = end - time.monotonic()
                if left <= 0:
                    return fresh
                with anyio.move_on_after(min(left, recheck)):
                    await event.wait()
                event.clear()

    # -- reading --------------------------------------------------------------------------------

    async def get(self, row_id: int) -> Row | None:
        rows = await self._run(lambda: self._read(f"{_ROWS} WHERE id=?", (row_id,)))
        return rows[0] if rows else None

    async def find(self, workflow_id: str) -> list[Row]:
        """Every row (newest first, any account) for a workflow id."""
        return await self._run(
            lambda: self._read(f"{_ROWS} WHERE workflow_id=? ORDER BY id DESC", (workflow_id,))
        )

    async def recent(
        self, account: str, *, limit: int = 20, operation: str | None = None, offset: int = 0
    ) -> list[Row]:
        """The account's workflows, newest first: ``limit`` of them after skipping ``offset`` (without
        their kept results: a listing never shows them)."""
        where, args = _account_filter(account, operation)
        sql = f"SELECT * FROM workflows WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?"
        return await self._run(lambda: self._read(sql, (*args, limit, offset)))

    async def polled_ahead(self, row: Row) -> Row | None:
        """The account's latest workflow started before ``row`` that has not finished and that a
        waiting call still polls (a live lease): what a queued ``row`` waits behind. (Rows nobody
        polls any more are not: what the ledger says of them may be long out of date.) By the
        partial index ``workflows_in_flight``: the account's unfinished rows only."""
        sql = (
            f"SELECT * FROM workflows WHERE account=? AND id<? AND {_STARTED_UNFINISHED} "
            "AND lease_until>? ORDER BY id DESC LIMIT 1"
        )
        rows = await self._run(lambda: self._read(sql, (row.account, row.id, self._clock())))
        return rows[0] if rows else None

    async def count(self, account: str, *, operation: str | None = None) -> int:
        """How many workflows of the account (of one operation) the ledger holds: from workflow_counts
        (one row per operation the account used), not by counting its rows."""
        where, args = _account_filter(account, operation)

        def work() -> int:
            with self._reading() as conn:
                found = conn.execute(f"SELECT COALESCE(SUM(n), 0) FROM workflow_counts WHERE {where}", args)
                return int(found.fetchone()[0])

        return await self._run(work)

    async def typical_duration(self, operation: str, account: str, *, sample: int = 20) -> float | None:
        """Median estimated run time of this account's last ``sample`` timed completions.

        Per account: the sandbox (10× faster) and a real account must not teach each other.
        Only runs whose end this server bracketed between two close looks are timed (see the
        runner); a result fetched hours later says nothing about how long the work took.
        """

        def work() -> float | None:
            with self._reading() as conn:
                rows = (
                    conn.execute(
                        "SELECT duration FROM workflows WHERE operation=? AND account=? AND state='completed' "
                        "AND duration IS NOT NULL ORDER BY id DESC LIMIT ?",
                        (operation, account, sample),
                    )
                    .fetchall()
                )
            durations = [float(r[0]) for r in rows if r[0] >= 0]
            return statistics.median(durations) if durations else None

        return await self._run(work)

    async def completed_samples(self, account: str, *, limit: int = 200) -> list[tuple[str, str, float]]:
        """``(operation, args_json, duration)`` of this account's last ``limit`` timed completions.

        What :mod:`linkedapi_mcp.server.durations` learns run times from (newest first).
        """

        def work() -> list[tuple[str, str, float]]:
            # From the bounded sample window (at most DURATION_SAMPLES rows per account, kept as
            # workflows complete), not from the history: the same cost at 10 rows as at 100,000.
            # The window is read again only when it changed (here or in another process): its
            # (oldest id, newest id, count), three index lookups, says so. Unchanged, the same
            # strings come back, and the duration fit cached for them is found at once.
            with self._reading() as conn:
                mark = tuple(
                    conn.execute(
                        "SELECT MIN(id), MAX(id), COUNT(*) FROM duration_samples WHERE account=?", (account,)
                    ).fetchone()
                )
                cached = self._samples.get(account)
                if cached is not None and cached[0] == mark:
                    return cached[1][:limit]
                rows = conn.execute(
                    "SELECT operation, args_json, duration FROM duration_samples WHERE account=? "
                    "ORDER BY id DESC LIMIT ?",
                    (account, DURATION_SAMPLES),
                ).fetchall()
            window = [(str(r[0]), str(r[1]), float(r[2])) for r in rows]
            if len(self._samples) >= 64:  # a few accounts per process; never unbounded
                self._samples.clear()
            self._samples[account] = (mark, window)
            return window[:limit]

        return await self._run(work)


@dataclass(frozen=True)
class Confirmation:
    """An issued confirmation id, as stored."""

    id: str
    account: str
    operation: str
    args_hash: str
    created_at: float
    expires_at: float
    used_at: float | None


class ClaimTx:
    """One account's transaction on the store (see :meth:`Ledger.atomically`): the primitives the
    call pipeline's policies are built from. Rows and atomic claims only, no policy: which rows may
    be reused, what a budget allows and when a confirmation is valid are decided in
    server/pipeline.py."""

    def __init__(self, conn: Conn, account: str, now: float) -> None:
        self.conn, self.account, self.now = conn, account, now
        self.changed: list[int] = []  # rows whose waiters are woken once the transaction commits

    def live_row(self, operation: str, args_hash: str, *, finished_since: float | None) -> Row | None:
        """The newest row with this key that is in flight or, with ``finished_since``, completed
        since then (counted from when it finished) or outcome-unknown since then (from its start)."""
        finished = ""
        params: tuple[Any, ...] = (self.account, operation, args_hash)
        if finished_since is not None:
            # A completed row counts from when it *finished* (the promise in the server instructions):
            # a send queued for longer than the window was otherwise sent again the moment it completed.
            # An outcome-unknown row never finished: it counts from its start (its message says until when).
            finished = (
                " OR (state='completed' AND COALESCE(finished_at, created_at)>=?)"
                " OR (state='outcome_unknown' AND created_at>=?)"
            )
            params += (finished_since, finished_since)
        found = self.conn.execute(
            f"{_ROWS} WHERE account=? AND operation=? AND args_hash=? "
            f"AND (state IN ('claimed','pending','running'){finished}) ORDER BY id DESC LIMIT 1",
            params,
        ).fetchone()
        return None if found is None else Row(**dict(found))

    def insert_claim(
        self, operation: str, args_hash: str, args_json: str, effect: str, *, holder: str, lease_until: float
    ) -> Row:
        """A new ``claimed`` row held by ``holder`` (the claiming process) until ``lease_until``."""
        row = self.conn.execute(
            "INSERT INTO workflows (account, operation, args_hash, args_json, effect, state, created_at, "
            "updated_at, poller, lease_until) VALUES (?,?,?,?,?,'claimed',?,?,?,?) RETURNING *",
            (self.account, operation, args_hash, args_json, effect, self.now, self.now, holder, lease_until),
        ).fetchone()
        _count(self.conn, self.account, operation, 1)
        return Row(**dict(row))

    def abandon_claim(self, row_id: int, message: str) -> bool:
        """A ``claimed`` row becomes ``outcome_unknown`` with ``message`` (False: no longer claimed)."""
        done = self.conn.execute(
            "UPDATE workflows SET state='outcome_unknown', message=?, updated_at=? WHERE id=? AND state='claimed'",
            (message, self.now, row_id),
        ).rowcount
        if done:
            self.changed.append(row_id)
        return bool(done)

    def get(self, row_id: int) -> Row | None:
        found = self.conn.execute(f"{_ROWS} WHERE id=?", (row_id,)).fetchone()
        return None if found is None else Row(**dict(found))

    def confirmation(self, confirmation_id: str) -> Confirmation | None:
        found = self.conn.execute("SELECT * FROM confirmations WHERE id=?", (confirmation_id,)).fetchone()
        return None if found is None else Confirmation(**dict(found))

    def use_confirmation(self, confirmation_id: str) -> bool:
        """Mark a confirmation used, once: False if it was already used (or does not exist)."""
        return bool(
            self.conn.execute(
                "UPDATE confirmations SET used_at=? WHERE id=? AND used_at IS NULL", (self.now, confirmation_id)
            ).rowcount
        )

    def add_confirmation(self, confirmation_id: str, operation: str, args_hash: str, expires_at: float) -> None:
        self.conn.execute(
            "INSERT INTO confirmations (id, account, operation, args_hash, created_at, expires_at) "
            "VALUES (?,?,?,?,?,?)",
            (confirmation_id, self.account, operation, args_hash, self.now, expires_at),
        )

    def units_used(self, category: str, since: float) -> int:
        """Units of ``category`` this account recorded at or after ``since`` (refunds subtract)."""
        return int(
            self.conn.execute(
                "SELECT COALESCE(SUM(units), 0) FROM budget_usage WHERE account=? AND category=? AND at>=?",
                (self.account, category, since),
            ).fetchone()[0]
        )

    def record_units(self, row_id: int, units: Mapping[str, int], *, at: Mapping[str, float] | None = None) -> None:
        """Record units against a workflow row (negative: given back), at ``at[category]`` or now."""
        for category, n in units.items():
            self.conn.execute(
                "INSERT INTO budget_usage (account, category, units, workflow_row, at) VALUES (?,?,?,?,?)",
                (self.account, category, n, row_id, (at or {}).get(category, self.now)),
            )

    def row_units(self, row_id: int) -> list[tuple[str, int, float]]:
        """``(category, units, at)`` recorded against a workflow row, in order."""
        rows = self.conn.execute(
            "SELECT category, units, at FROM budget_usage WHERE account=? AND workflow_row=? ORDER BY id",
            (self.account, row_id),
        ).fetchall()
        return [(str(r[0]), int(r[1]), float(r[2])) for r in rows]


def _add_duration_sample(conn: Conn, row_id: int, duration: float, now: float) -> None:
    """Keep a timed completion in its account's sample window, dropping the window's oldest beyond
    DURATION_SAMPLES (by index: one or two rows). Once per workflow: not if it was timed before."""
    found = conn.execute(
        "SELECT account, operation, args_json FROM workflows WHERE id=? "
        "AND NOT (state='completed' AND duration IS NOT NULL)",
        (row_id,),
    ).fetchone()
    if found is None:
        return
    account = str(found[0])
    conn.execute(
        "INSERT INTO duration_samples (account, operation, args_json, duration, at) VALUES (?,?,?,?,?)",
        (account, found[1], found[2], duration, now),
    )
    conn.execute(
        "DELETE FROM duration_samples WHERE account=? AND id <= (SELECT id FROM duration_samples WHERE account=? "
        "ORDER BY id DESC LIMIT 1 OFFSET ?)",
        (account, account, DURATION_SAMPLES),
    )


def _differs(then: Row, now: Row) -> bool:
    """The row has changed state or been written (a status, a push, a poke)."""
    return (now.updated_at, now.state) != (then.updated_at, then.state)


def _differs_leased(then: Row, now: Row) -> bool:
    """As :func:`_differs`, or another call has become (or stopped being) its poller: what a
    follower of the row waits for."""
    return _differs(then, now) or (now.poller, now.lease_until) != (then.poller, then.lease_until)


def _count(conn: Conn, account: str, operation: str, delta: int) -> None:
    """Keep workflow_counts: ``delta`` rows of the account's operation added (or, negative, deleted)."""
    conn.execute(
        "INSERT INTO workflow_counts (account, operation, n) VALUES (?,?,?) "
        "ON CONFLICT (account, operation) DO UPDATE SET n = workflow_counts.n + excluded.n",
        (account, operation, delta),
    )


def _state(status: str) -> RowState:
    if status in ("pending", "running", "completed", "failed", "cancelled"):
        return status  # type: ignore[return-value]
    # [INFERRED] an unknown in-progress status from a newer API is treated as running.
    return "running"


def _account_filter(account: str, operation: str | None) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its arguments) of one account's workflows, of one operation or all."""
    if operation is None:
        return "account=?", (account,)
    return "account=? AND operation=?", (account, operation)

