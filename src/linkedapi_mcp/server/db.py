"""The storage seam: rows and atomic transactions in SQLite (embedded) or PostgreSQL (replicas).

The ledger and the vault write their SQL once, in the common subset of both dialects (``?``
placeholders, ``RETURNING``, ``ON CONFLICT``), and run it through a :class:`Database`:

* :class:`SqliteDatabase` — one file, WAL; a write transaction takes the whole database
  (``BEGIN IMMEDIATE``), which is how two *processes* on one machine agree.
* :class:`PostgresDatabase` — ``LINKEDAPI_MCP_DATABASE_URL=postgresql://…``, through psycopg 3
  and its connection pool; a write transaction takes a transaction-scoped advisory lock on the
  key it names (an account), which is how two *replicas* agree: identical calls on two machines
  serialise on the same key, and unrelated accounts never wait for each other.

Both run in worker threads (the callers are async; a transaction that has begun always finishes,
even if the tool call that started it is cancelled). The schema is versioned per component and
applied at start under a lock, so two replicas starting together apply it once. (A small runner
of our own rather than Alembic: two components of a few tables, two dialects, no ORM — SQLAlchemy
would double the server's import time for it.)
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]

# How long a statement waits for another process's lock (SQLite's busy time-out) or for a
# connection (PostgreSQL's pool) before the store counts as unusable. [INFERRED] 10 s: longer
# than any transaction of ours holds the lock, short enough for a tool call to explain itself.
DEFAULT_TIMEOUT_SECONDS = 10.0

# -- storage faults --------------------------------------------------------------------------------

FaultKind = Literal["corrupt", "locked", "read_only", "full", "io_error", "cannot_open", "unreachable"]


class StorageFault(Exception):
    """The store cannot be used: which kind of fault, where, and the store's own words.

    Raised by every :class:`Database` in place of the driver's error when the cause is the
    storage itself (a damaged or locked file, a read-only or full disk, an unreachable server),
    so callers can tell it from a bug and explain it (server/storage_faults.py). Programming
    errors (a constraint, bad SQL) keep the driver's exception.
    """

    def __init__(self, kind: FaultKind, *, dialect: Dialect, where: str, cause: str, path: Path | None = None) -> None:
        super().__init__(f"{kind}: {where}: {cause}")
        self.kind: FaultKind = kind
        self.dialect: Dialect = dialect
        self.where = where  # the data directory, or the PostgreSQL server and database (no secrets)
        self.cause = cause
        self.path = path  # the SQLite file
        self.timeout = DEFAULT_TIMEOUT_SECONDS


_SQLITE_KINDS: tuple[tuple[str, FaultKind], ...] = (
    ("SQLITE_NOTADB", "corrupt"),
    ("SQLITE_CORRUPT", "corrupt"),
    ("SQLITE_BUSY", "locked"),
    ("SQLITE_LOCKED", "locked"),
    ("SQLITE_READONLY", "read_only"),
    ("SQLITE_PERM", "read_only"),
    ("SQLITE_FULL", "full"),
    ("SQLITE_IOERR", "io_error"),
    ("SQLITE_CANTOPEN", "cannot_open"),
)


def sqlite_fault(exc: BaseException, path: Path, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> StorageFault | None:
    """The storage fault behind an error of the SQLite file at ``path``; None for any other error."""
    kind: FaultKind | None = None
    if isinstance(exc, sqlite3.Error):
        name = str(getattr(exc, "sqlite_errorname", "") or "")
        kind = next((k for prefix, k in _SQLITE_KINDS if name.startswith(prefix)), None)
        cause = f"{exc} [{name}]" if name else str(exc)
    elif isinstance(exc, OSError):  # creating the data directory
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            kind = "read_only"
        elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
            kind = "full"
        else:
            kind = "cannot_open"
        cause = f"{exc.strerror or exc} [{errno.errorcode.get(exc.errno or 0, 'OSError')}]"
    if kind is None:
        return None
    if kind == "cannot_open" and path.parent.is_dir() and not os.access(path.parent, os.W_OK, effective_ids=True):
        kind = "read_only"  # a file that cannot be created in a directory that cannot be written
    fault = StorageFault(kind, dialect="sqlite", where=str(path.parent), cause=cause, path=path)
    fault.timeout = timeout
    return fault


# PostgreSQL SQLSTATE classes and codes that are the storage's fault, not ours.
_PG_KINDS: tuple[tuple[str, FaultKind], ...] = (
    ("53100", "full"),  # disk_full
    ("53", "full"),  # insufficient resources (out of memory, too many connections): the server's capacity
    ("25006", "read_only"),  # read_only_sql_transaction (a standby, or default_transaction_read_only)
    ("55P03", "locked"),  # lock_not_available
    ("57014", "locked"),  # query_canceled (statement/lock time-out)
    ("XX001", "corrupt"),  # data_corrupted
    ("XX002", "corrupt"),  # index_corrupted
    ("58", "io_error"),  # system error (I/O)
    ("08", "unreachable"),  # connection exception
    ("57P", "unreachable"),  # admin/crash shutdown, cannot connect now
)


def postgres_where(url: str) -> str:
    """``host:port/dbname`` of a PostgreSQL URL: enough to find it, never the user or password."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(url)
    except Exception:
        return "the PostgreSQL database of LINKEDAPI_MCP_DATABASE_URL"
    host, port, db = info.get("host") or "localhost", info.get("port") or "5432", info.get("dbname") or ""
    return f"PostgreSQL {host}:{port}/{db}"


def postgres_fault(exc: BaseException, url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> StorageFault | None:
    """The storage fault behind a psycopg (or pool) error; None for any other error."""
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg is installed whenever a URL is used
        return None
    if not isinstance(exc, psycopg.Error):
        return None
    sqlstate = str(getattr(exc, "sqlstate", None) or "")
    kind: FaultKind | None
    if isinstance(exc, PoolTimeout) or (not sqlstate and isinstance(exc, psycopg.OperationalError)):
        kind = "unreachable"  # no connection within the pool's wait, or the connection failed
    else:
        kind = next((k for prefix, k in _PG_KINDS if sqlstate.startswith(prefix)), None)
    if kind is None:
        return None
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    password = _password(url)
    if password:
        first = first.replace(password, "***")
    cause = f"{first} [{sqlstate or type(exc).__name__}]"
    fault = StorageFault(kind, dialect="postgresql", where=postgres_where(url), cause=cause)
    fault.timeout = timeout
    return fault


def _password(url: str) -> str | None:
    try:
        from psycopg.conninfo import conninfo_to_dict

        password = conninfo_to_dict(url).get("password")
        return str(password) if password else None
    except Exception:
        return None


@dataclass(frozen=True)
class Migration:
    """One step of a component's schema, in SQLite's dialect (translated for PostgreSQL)."""

    version: int
    sql: str
    # A data step run after ``sql`` in the same transaction (e.g. a backfill that needs Python).
    then: Callable[[Conn, Dialect], None] | None = None


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Conn(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...


class Database(Protocol):
    dialect: Dialect
    concurrency: int  # queries it serves at once: how many worker threads the ledger gives it

    def migrate(self, component: str, migrations: Sequence[Migration], *, after: Callable[[Conn], None] | None) -> None:
        """Apply the component's pending migrations (then ``after``, e.g. pruning) under a lock."""
        ...

    def tx(self, lock: str | None = None) -> Any:
        """A context manager: one write transaction; ``lock`` names what it serialises on."""
        ...

    def read(self) -> Any:
        """A context manager: a connection for reads (autocommit)."""
        ...

    def notify(self, conn: Conn, channel: str, payload: str) -> None:
        """Tell every process on this store, when the transaction commits (no-op on SQLite)."""
        ...

    def listen(self, channel: str, on_payload: Callable[[str], None]) -> Callable[[], None] | None:
        """Call ``on_payload`` (from a thread) for each notification; returns a stopper, or None
        when the store has no notifications (SQLite: readers re-read instead)."""
        ...

    def close(self) -> None: ...


_VERSIONS_DDL = "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def _current(conn: Conn, component: str) -> int:
    conn.execute(_VERSIONS_DDL)
    row = conn.execute("SELECT version FROM schema_versions WHERE component=?", (component,)).fetchone()
    return 0 if row is None else int(row[0])


def _set_version(conn: Conn, component: str, version: int) -> None:
    conn.execute(
        "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
        "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
        (component, version),
    )


# -- SQLite ----------------------------------------------------------------------------------------


class SqliteDatabase:
    dialect: Dialect = "sqlite"
    # Queries at once: one connection behind a lock; a second thread prepares the next one.
    concurrency = 2

    def __init__(self, path: Path, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.path = path
        self.timeout = timeout  # SQLite's busy time-out: how long a write waits for another's lock
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        # The schemas applied through this object, applied again to the file a reconnection after
        # a fault finds (a damaged ledger moved aside while the server runs: a fresh, empty file).
        self._schemas: dict[str, tuple[Sequence[Migration], Callable[[Conn], None] | None]] = {}
        self._reapply = False

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            if self._reapply and self._schemas:
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    for component, (migrations, after) in self._schemas.items():
                        conn.execute("BEGIN IMMEDIATE")
                        _apply(conn, component, migrations, after, self.dialect)  # type: ignore[arg-type]
                        conn.execute("COMMIT")
                except BaseException:
                    conn.close()
                    raise
            self._reapply = False
            self._conn = conn
        return self._conn

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """Driver errors that are the storage's fault become :class:`StorageFault` (held lock)."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            fault = sqlite_fault(exc, self.path, self.timeout)
            if fault is None:
                raise
            if fault.kind in ("corrupt", "cannot_open", "read_only", "io_error") and self._conn is not None:
                # Reopened by the next call: once the file is moved aside (or the directory made
                # writable) the server goes on without a restart.
                self._conn.close()
                self._conn = None
                self._reapply = True
            raise fault from exc

    def migrate(self, component: str, migrations: Sequence[Migration], *, after: Callable[[Conn], None] | None) -> None:
        # Switching to WAL and creating the schema can meet another process doing the same at
        # that moment; SQLite does not always wait on its busy handler there, so retry — a lock,
        # for at most the busy time-out; any other fault (a damaged file, a read-only directory)
        # at once, as a StorageFault.
        give_up = time.monotonic() + self.timeout
        while True:
            try:
                with self._lock, self._faults():
                    conn = self._connect()
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                with self.tx() as c:
                    _apply(c, component, migrations, after, self.dialect)
                self._schemas[component] = (migrations, after)
                return
            except StorageFault as fault:
                if fault.kind != "locked" or time.monotonic() >= give_up:
                    raise
                time.sleep(0.02)

    @contextmanager
    def tx(self, lock: str | None = None) -> Iterator[Conn]:
        """One write transaction holding the database lock from its first statement."""
        with self._lock, self._faults():
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn  # type: ignore[misc]
                conn.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back after some faults (a full disk, I/O): a second
                # ROLLBACK would then replace the real error with "no transaction is active".
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self) -> Iterator[Conn]:
        with self._lock, self._faults():
            yield self._connect()  # type: ignore[misc]

    def notify(self, conn: Conn, channel: str, payload: str) -> None:
        return None

    def listen(self, channel: str, on_payload: Callable[[str], None]) -> Callable[[], None] | None:
        return None

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Hand every statement run from now on (parameters filled in) to ``callback``; None stops.
        (What tests/server/test_ledger_scale.py checks the query plans of.)"""
        with self._lock:
            self._connect().set_trace_callback(callback)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _apply(
    conn: Conn, component: str, migrations: Sequence[Migration], after: Callable[[Conn], None] | None, dialect: Dialect
) -> None:
    """The component's pending migrations, then ``after``, in the caller's transaction."""
    version = _current(conn, component)
    for step in migrations:
        if step.version > version:
            for statement in _statements(step.sql):
                conn.execute(statement)
            if step.then is not None:
                step.then(conn, dialect)
            _set_version(conn, component, step.version)
    if after is not None:
        after(conn)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# -- PostgreSQL ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\?")


def to_postgres(sql: str) -> str:
    """The few spellings that differ: placeholders, auto-increment keys, floating point, bytes."""
    sql = sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
    sql = re.sub(r"\bBLOB\b", "BYTEA", sql)
    return _PLACEHOLDER.sub("%s", sql)


def lock_key(name: str) -> int:
    """A stable 32-bit advisory-lock key for a name (the same on every replica)."""
    return zlib.crc32(name.encode()) - 2**31


class _Row(dict[str, Any]):
    """A row that behaves as ``sqlite3.Row`` does, which the shared code relies on: by name
    (``row["id"]``, ``dict(row)``), by position (``row[0]``), and iterated (or unpacked) as its
    values in column order."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self.values()))


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], _Row]:
    names = [c.name for c in cursor.description or ()]
    return lambda values: _Row(zip(names, values, strict=True))


class _PgConn:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cursor: Cursor = self._conn.execute(to_postgres(sql), tuple(params))
        return cursor


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        from psycopg_pool import ConnectionPool

        self.url = url
        self.timeout = timeout  # how long a call waits for a connection before the store counts as unreachable
        self.concurrency = max_size
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True, "row_factory": _row_factory},
            open=True,
            name="linkedapi-mcp",
            timeout=timeout,
        )

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """psycopg errors that are the storage's fault become :class:`StorageFault`."""
        try:
            yield
        except Exception as exc:
            fault = postgres_fault(exc, self.url, self.timeout)
            if fault is None:
                raise
            raise fault from exc

    def migrate(self, component: str, migrations: Sequence[Migration], *, after: Callable[[Conn], None] | None) -> None:
        with self._faults(), self._pool.connection() as raw:
            conn = _PgConn(raw)
            # Session-level advisory lock: replicas starting together migrate one after the other.
            raw.execute("SELECT pg_advisory_lock(%s)", (lock_key("linkedapi-mcp/migrations"),))
            try:
                with raw.transaction():
                    version = _current(conn, component)
                    for step in migrations:
                        if step.version > version:
                            for statement in _statements(step.sql):
                                conn.execute(statement)
                            if step.then is not None:
                                step.then(conn, self.dialect)
                            _set_version(conn, component, step.version)
                    if after is not None:
                        after(conn)
            finally:
                raw.execute("SELECT pg_advisory_unlock(%s)", (lock_key("linkedapi-mcp/migrations"),))

    @contextmanager
    def tx(self, lock: str | None = None) -> Iterator[Conn]:
        with self._faults(), self._pool.connection() as raw, raw.transaction():
            if lock is not None:
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(lock),))
            yield _PgConn(raw)

    @contextmanager
    def read(self) -> Iterator[Conn]:
        with self._faults(), self._pool.connection() as raw:
            yield _PgConn(raw)

    def notify(self, conn: Conn, channel: str, payload: str) -> None:
        conn.execute("SELECT pg_notify(?, ?)", (channel, payload))

    def listen(self, channel: str, on_payload: Callable[[str], None]) -> Callable[[], None] | None:
        """LISTEN on a connection of its own, in a daemon thread (reconnecting if it drops)."""
        import psycopg

        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                try:
                    with psycopg.connect(self.url, autocommit=True) as conn:
                        conn.execute(f"LISTEN {channel}")
                        while not stop.is_set():
                            for note in conn.notifies(timeout=1.0):
                                on_payload(note.payload)
                except psycopg.Error:
                    stop.wait(1.0)  # the server went away: readers fall back to re-reading meanwhile

        threading.Thread(target=loop, name=f"listen-{channel}", daemon=True).start()
        return stop.set

    def close(self) -> None:
        self._pool.close()


def open_database(
    url: str | None, sqlite_path: Path, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> SqliteDatabase | PostgresDatabase:
    """PostgreSQL for a ``postgresql://`` URL, else the SQLite file. ``timeout``: how long a call
    waits for another process's lock (SQLite) or for a connection (PostgreSQL)."""
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("LINKEDAPI_MCP_DATABASE_URL must be a postgresql:// URL")
        return PostgresDatabase(url, timeout=timeout)
    return SqliteDatabase(sqlite_path, timeout=timeout)


__all__ = [
    "Conn",
    "Database",
    "Migration",
    "PostgresDatabase",
    "SqliteDatabase",
    "StorageFault",
    "lock_key",
    "open_database",
    "postgres_fault",
    "sqlite_fault",
    "to_postgres",
]
