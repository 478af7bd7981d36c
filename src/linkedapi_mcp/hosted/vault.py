"""The vault: principals, their named LinkedIn accounts, API keys, and the OAuth server's state.

One SQLite file (``vault.sqlite3`` in the data directory) beside the workflow ledger. What it
holds of each secret:

* Linked API and identification tokens: **encrypted** (Fernet, key from
  ``LINKEDAPI_MCP_SECRET_KEY``) — the server must send them upstream, so it must be able to
  read them back; a copy of the file without the key reveals nothing.
* Access tokens, refresh tokens, authorization codes and API keys: only a SHA-256 hash — the
  server never needs them back, it only recognises them.
* Registered OAuth clients: encrypted as a whole (a confidential client's secret is inside).

A *principal* is whoever a bearer token speaks for: ``(issuer, subject)``. The built-in
authorization server's principals are Linked API customers, identified by a keyed hash of their
Linked API token (whoever can paste that token owns its accounts); an external identity
provider's are its ``(iss, sub)`` pairs, linked to accounts by the operator.

Every method is synchronous and short; callers on the event loop go through :meth:`run`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio.to_thread

from linkedapi_mcp.hosted.accounts import ACCOUNT_NAME, ACCOUNT_NAME_RULE
from linkedapi_mcp.hosted.crypto import SecretBox, bearer_hash, random_token
from linkedapi_mcp.server.db import Conn, Database, Migration, SqliteDatabase

_T = TypeVar("_T")

API_KEY_PREFIX = "lamk_"  # recognisable in a leak scanner, and told apart from OAuth tokens at once

_SCHEMA = """
CREATE TABLE IF NOT EXISTS principals (
    id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE TABLE IF NOT EXISTS accounts (
    principal TEXT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    label TEXT,
    secret TEXT NOT NULL,
    account_key TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    PRIMARY KEY (principal, name)
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    principal TEXT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    account TEXT,
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_requests (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    principal TEXT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    record TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    family TEXT NOT NULL,
    client_id TEXT NOT NULL,
    principal TEXT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    resource TEXT,
    expires_at REAL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS oauth_tokens_by_family ON oauth_tokens (family);
"""


# The built-in authorization server's principals: Linked API customers, by a keyed hash of their
# Linked API token (a fixed issuer, so a new public URL keeps everyone's accounts).
BUILTIN_ISSUER = "linkedapi-mcp:linked-api-token"


def builtin_principal(vault: Vault, linked_api_token: str) -> tuple[str, str]:
    """``(issuer, subject)`` of whoever holds this Linked API token."""
    return BUILTIN_ISSUER, vault.box.lookup("linked-api-token", linked_api_token)


class VaultError(Exception):
    """A vault request that cannot be done as asked (the message says why, for a person)."""


@dataclass(frozen=True)
class Account:
    """A named LinkedIn account of a principal (no secrets)."""

    principal: str
    name: str
    label: str | None
    account_key: str  # the ledger's account key: rows, budgets and confirmations live under it
    is_default: bool
    created_at: float


@dataclass(frozen=True)
class Credentials:
    account: Account
    linked_api_token: str
    identification_token: str


@dataclass(frozen=True)
class TokenRecord:
    kind: Literal["access", "refresh"]
    family: str
    client_id: str
    principal: str
    scopes: list[str]
    resource: str | None
    expires_at: float | None


@dataclass(frozen=True)
class ApiKey:
    id: str
    principal: str
    account: str | None
    created_at: float
    revoked_at: float | None


class Vault:
    def __init__(self, db: Path | Database, box: SecretBox, *, clock: Callable[[], float] = time.time) -> None:
        """On a SQLite file of its own (desktop, one host) or on the shared PostgreSQL database
        (replicas: every replica sees the same principals, accounts, clients and tokens)."""
        self.db: Database = SqliteDatabase(db) if isinstance(db, Path) else db
        self.box = box
        self._clock = clock
        self.db.migrate("vault", (Migration(1, _SCHEMA),), after=None)
        if isinstance(db, Path):
            db.chmod(0o600)  # tokens are encrypted, but the file is still nobody else's business

    def close(self) -> None:
        self.db.close()

    async def run(self, fn: Callable[[], _T]) -> _T:
        return await anyio.to_thread.run_sync(fn)

    @contextmanager
    def _tx(self, lock: str | None = "vault") -> Iterator[Conn]:
        with self.db.tx(lock) as conn:
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[Conn]:
        with self.db.read() as conn:
            yield conn

    # -- principals ---------------------------------------------------------------------------

    def principal(self, issuer: str, subject: str, *, create: bool = True) -> str | None:
        with self._tx() as c:
            row = c.execute("SELECT id FROM principals WHERE issuer = ? AND subject = ?", (issuer, subject)).fetchone()
            if row is not None:
                return str(row[0])
            if not create:
                return None
            pid = "p_" + secrets.token_hex(8)
            c.execute(
                "INSERT INTO principals (id, issuer, subject, created_at) VALUES (?, ?, ?, ?)",
                (pid, issuer, subject, self._clock()),
            )
            return pid

    def principals(self) -> list[tuple[str, str, str]]:
        """``(id, issuer, subject)`` of every principal, oldest first."""
        with self._reading() as conn:
            rows = conn.execute("SELECT id, issuer, subject FROM principals ORDER BY created_at").fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    # -- accounts -----------------------------------------------------------------------------

    def account_key_for(self, principal: str, identification_token: str) -> str:
        """The ledger key of one principal's use of one LinkedIn account: two principals who
        connect the same account still never share workflow rows, budgets or confirmations."""
        return "h" + self.box.lookup("ledger-account", f"{principal}\x1f{identification_token}")[:31]

    def put_account(
        self,
        principal: str,
        name: str,
        *,
        linked_api_token: str,
        identification_token: str,
        account_key: str,
        label: str | None = None,
        make_default: bool = False,
    ) -> Account:
        """Add the account, or replace its tokens if the principal already has one by that name.
        The principal's first account becomes its default."""
        if not ACCOUNT_NAME.match(name):
            raise VaultError(f"Account name {name!r} is not valid: {ACCOUNT_NAME_RULE}.")
        secret = self.box.encrypt(
            json.dumps({"linked_api_token": linked_api_token, "identification_token": identification_token}).encode()
        )
        with self._tx() as c:
            has_default = c.execute(
                "SELECT 1 FROM accounts WHERE principal = ? AND is_default = 1 AND name != ?", (principal, name)
            ).fetchone()
            default = make_default or not has_default
            if default:
                c.execute("UPDATE accounts SET is_default = 0 WHERE principal = ?", (principal,))
            c.execute(
                "INSERT INTO accounts (principal, name, label, secret, account_key, is_default, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (principal, name) DO UPDATE SET "
                "label = excluded.label, secret = excluded.secret, account_key = excluded.account_key, "
                "is_default = CASE WHEN accounts.is_default > excluded.is_default THEN accounts.is_default "
                "ELSE excluded.is_default END",
                (principal, name, label, secret, account_key, int(default), self._clock()),
            )
        account = self.account(principal, name)
        assert account is not None
        return account

    def accounts(self, principal: str) -> list[Account]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT principal, name, label, account_key, is_default, created_at FROM accounts "
                "WHERE principal = ? ORDER BY is_default DESC, name",
                (principal,),
            ).fetchall()
        return [Account(str(p), str(n), lb, str(k), bool(d), float(t)) for p, n, lb, k, d, t in rows]

    def account(self, principal: str, name: str | None = None) -> Account | None:
        """The named account, or the principal's default with ``name=None``."""
        for account in self.accounts(principal):
            if (account.name == name) if name is not None else account.is_default:
                return account
        return None

    def credentials(self, principal: str, name: str | None = None) -> Credentials | None:
        account = self.account(principal, name)
        if account is None:
            return None
        with self._reading() as conn:
            row = conn.execute(
                "SELECT secret FROM accounts WHERE principal = ? AND name = ?", (principal, account.name)
            ).fetchone()
        if row is None:  # removed in between
            return None
        tokens = json.loads(self.box.decrypt(str(row[0])))
        return Credentials(account, tokens["linked_api_token"], tokens["identification_token"])

    def set_default(self, principal: str, name: str) -> None:
        with self._tx() as c:
            if (
                c.execute("SELECT 1 FROM accounts WHERE principal = ? AND name = ?", (principal, name)).fetchone()
                is None
            ):
                raise VaultError(f"No account named {name!r}.")
            c.execute(
                "UPDATE accounts SET is_default = CASE WHEN name = ? THEN 1 ELSE 0 END WHERE principal = ?",
                (name, principal),
            )

    def remove_account(self, principal: str, name: str) -> bool:
        """Remove the account and revoke the API keys bound to it; another account becomes the
        default if this one was."""
        with self._tx() as c:
            gone = c.execute("DELETE FROM accounts WHERE principal = ? AND name = ?", (principal, name)).rowcount
            c.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE principal = ? AND account = ? AND revoked_at IS NULL",
                (self._clock(), principal, name),
            )
            if (
                gone
                and not c.execute(
                    "SELECT 1 FROM accounts WHERE principal = ? AND is_default = 1", (principal,)
                ).fetchone()
            ):
                c.execute(
                    "UPDATE accounts SET is_default = 1 WHERE principal = ? AND name = "
                    "(SELECT name FROM accounts WHERE principal = ? ORDER BY created_at LIMIT 1)",
                    (principal, principal),
                )
        return bool(gone)

    # -- API keys -----------------------------------------------------------------------------

    def create_api_key(self, principal: str, account: str | None) -> tuple[ApiKey, str]:
        """A new key (returned once, in clear, to be shown to the operator) bound to one account,
        or to the principal's default with ``account=None``."""
        if account is not None and self.account(principal, account) is None:
            raise VaultError(f"No account named {account!r}.")
        key = random_token(API_KEY_PREFIX)
        record = ApiKey("k_" + secrets.token_hex(6), principal, account, self._clock(), None)
        with self._tx() as c:
            c.execute(
                "INSERT INTO api_keys (id, key_hash, principal, account, created_at) VALUES (?, ?, ?, ?, ?)",
                (record.id, bearer_hash(key), principal, account, record.created_at),
            )
        return record, key

    def api_key(self, key: str) -> ApiKey | None:
        """The live key behind a bearer value, or None (unknown or revoked)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT id, principal, account, created_at, revoked_at FROM api_keys WHERE key_hash = ?",
                (bearer_hash(key),),
            ).fetchone()
        if row is None or row[4] is not None:
            return None
        return ApiKey(str(row[0]), str(row[1]), row[2], float(row[3]), None)

    def api_keys(self) -> list[ApiKey]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, principal, account, created_at, revoked_at FROM api_keys ORDER BY created_at"
            ).fetchall()
        return [ApiKey(str(a), str(b), c, float(d), e) for a, b, c, d, e in rows]

    def revoke_api_key(self, key_id: str) -> bool:
        with self._tx() as c:
            return bool(
                c.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (self._clock(), key_id)
                ).rowcount
            )

    # -- OAuth clients, pending authorizations, codes, tokens ------------------------------------

    def save_client(self, client_id: str, info: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT INTO oauth_clients (client_id, secret, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (client_id) DO UPDATE SET secret = excluded.secret",
                (client_id, self.box.encrypt(json.dumps(info).encode()), self._clock()),
            )

    def client(self, client_id: str) -> dict[str, Any] | None:
        with self._reading() as conn:
            row = conn.execute("SELECT secret FROM oauth_clients WHERE client_id = ?", (client_id,)).fetchone()
        return None if row is None else dict(json.loads(self.box.decrypt(str(row[0]))))

    def save_request(self, client_id: str, params: dict[str, Any], ttl: float) -> str:
        request_id = secrets.token_urlsafe(24)
        now = self._clock()
        with self._tx() as c:
            c.execute("DELETE FROM oauth_requests WHERE expires_at < ?", (now,))
            c.execute(
                "INSERT INTO oauth_requests (id, client_id, params, expires_at) VALUES (?, ?, ?, ?)",
                (request_id, client_id, json.dumps(params), now + ttl),
            )
        return request_id

    def request(self, request_id: str, *, take: bool = False) -> tuple[str, dict[str, Any]] | None:
        """A pending authorization ``(client_id, params)``; ``take`` removes it (it is answered)."""
        with self._tx() as c:
            row = c.execute(
                "SELECT client_id, params FROM oauth_requests WHERE id = ? AND expires_at >= ?",
                (request_id, self._clock()),
            ).fetchone()
            if row is not None and take:
                c.execute("DELETE FROM oauth_requests WHERE id = ?", (request_id,))
        return None if row is None else (str(row[0]), dict(json.loads(row[1])))

    def save_code(self, code: str, client_id: str, principal: str, record: dict[str, Any], ttl: float) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM oauth_codes WHERE expires_at < ?", (self._clock(),))
            c.execute(
                "INSERT INTO oauth_codes (code_hash, client_id, principal, record, expires_at) VALUES (?, ?, ?, ?, ?)",
                (bearer_hash(code), client_id, principal, json.dumps(record), self._clock() + ttl),
            )

    def code(self, code: str, client_id: str, *, take: bool = False) -> tuple[str, dict[str, Any], float] | None:
        """``(principal, record, expires_at)`` of an unused code issued to this client; ``take``
        uses it up (a code is good for one exchange)."""
        with self._tx() as c:
            row = c.execute(
                "SELECT principal, record, expires_at FROM oauth_codes WHERE code_hash = ? AND client_id = ?",
                (bearer_hash(code), client_id),
            ).fetchone()
            if row is not None and take:
                c.execute("DELETE FROM oauth_codes WHERE code_hash = ?", (bearer_hash(code),))
        return None if row is None else (str(row[0]), dict(json.loads(row[1])), float(row[2]))

    def save_token(
        self,
        token: str,
        *,
        kind: Literal["access", "refresh"],
        family: str,
        client_id: str,
        principal: str,
        scopes: list[str],
        resource: str | None,
        expires_at: float | None,
    ) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT INTO oauth_tokens (token_hash, kind, family, client_id, principal, scopes, resource, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (bearer_hash(token), kind, family, client_id, principal, " ".join(scopes), resource, expires_at),
            )

    def token(self, token: str, kind: Literal["access", "refresh"]) -> TokenRecord | None:
        """A live (unexpired, unrevoked) token of this kind, or None."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT family, client_id, principal, scopes, resource, expires_at FROM oauth_tokens "
                "WHERE token_hash = ? AND kind = ? AND revoked_at IS NULL",
                (bearer_hash(token), kind),
            ).fetchone()
        if row is None or (row[5] is not None and row[5] < self._clock()):
            return None
        return TokenRecord(kind, str(row[0]), str(row[1]), str(row[2]), str(row[3]).split(), row[4], row[5])

    def revoke_family(self, family: str) -> None:
        """Revoke every token issued from one authorization (the access and refresh tokens alike)."""
        with self._tx() as c:
            c.execute(
                "UPDATE oauth_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
                (self._clock(), family),
            )

    def prune(self) -> None:
        """Forget expired tokens (revoked ones are kept until they expire, so reuse is detected)."""
        with self._tx() as c:
            c.execute("DELETE FROM oauth_tokens WHERE expires_at IS NOT NULL AND expires_at < ?", (self._clock(),))


__all__ = [
    "API_KEY_PREFIX",
    "Account",
    "ApiKey",
    "Credentials",
    "TokenRecord",
    "Vault",
    "VaultError",
]
