"""Which LinkedIn account a tool call drives: the caller's named accounts.

Two directories answer the same two questions — what accounts may this caller use, and what
are the credentials of the one it chose:

* :class:`VaultAccounts` (hosted HTTP): the principal behind the request's bearer token owns
  accounts in the vault; nobody else's are visible.
* :class:`FileAccounts` (stdio or local HTTP): one person's accounts in a TOML file, for agencies
  that run several accounts from one desktop::

      [accounts.acme]
      linked_api_token = "env:ACME_LINKED_API_TOKEN"   # or the token itself
      identification_token = "env:ACME_IDENTIFICATION_TOKEN"
      default = true

When a caller has more than one account, every tool gains an optional ``account`` argument
whose enum is exactly those names (see :func:`add_account_argument`), so a model cannot invent
one; without it the default account is used.
"""

from __future__ import annotations

import contextvars
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken

if TYPE_CHECKING:
    from linkedapi_mcp.hosted.vault import Vault

ACCOUNT_ARGUMENT = "account"
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
ACCOUNT_NAME_RULE = "1-32 characters: lower-case letters, digits, '-' or '_', starting with a letter or digit"

# The account a tools/call chose, set by the validation middleware for the call's task.
selected_account: contextvars.ContextVar[str | None] = contextvars.ContextVar("selected_account", default=None)


class AccountError(Exception):
    """The caller has no usable account (the message says what to do)."""


@dataclass(frozen=True)
class Chosen:
    name: str
    ledger_key: str | None  # None: derive from the tokens (as for environment tokens)
    linked_api_token: str
    identification_token: str


class AccountDirectory(Protocol):
    def names(self) -> list[str]:
        """The current caller's account names, default first (empty: none connected)."""
        ...

    def choose(self, name: str | None) -> Chosen:
        """The named account, or the default; raises :class:`AccountError`."""
        ...


def _unknown(name: str, names: Sequence[str]) -> AccountError:
    return AccountError(f"[unknownAccount] No account named {name!r}. Your accounts: {', '.join(names)}.")


class VaultAccounts:
    """The accounts of the principal whose bearer token this request carries."""

    def __init__(self, vault: Vault, *, how_to_connect: str) -> None:
        self.vault = vault
        self.how_to_connect = how_to_connect

    @staticmethod
    def _token() -> AccessToken | None:
        return get_access_token()

    def names(self) -> list[str]:
        token = self._token()
        if token is None or token.subject is None:
            return []
        bound = getattr(token, "account", None)
        names = [a.name for a in self.vault.accounts(token.subject)]
        # An API key made for one account sees only that account.
        return [bound] if bound in names else names if bound is None else []

    def choose(self, name: str | None) -> Chosen:
        token = self._token()
        if token is None or token.subject is None:  # the HTTP layer refuses such requests first
            raise AccountError("[unauthorized] This request carries no valid access token.")
        bound = getattr(token, "account", None)
        if bound is not None and name not in (None, bound):
            raise AccountError(f"[unknownAccount] This API key is for the account {bound!r} only.")
        creds = self.vault.credentials(token.subject, name or bound)
        if creds is None:
            names = self.names()
            if name is not None and names:
                raise _unknown(name, names)
            raise AccountError(f"[noAccount] No LinkedIn account is connected for you. {self.how_to_connect}")
        return Chosen(creds.account.name, creds.account.account_key, creds.linked_api_token, creds.identification_token)


class FileAccounts:
    """Named accounts from a TOML file (read once at start; restart the server after editing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise AccountError(f"The accounts file {path} cannot be read: {exc}") from None
        table = data.get("accounts")
        if not isinstance(table, dict) or not table:
            raise AccountError(f"The accounts file {path} has no [accounts.NAME] tables.")
        self._accounts: dict[str, tuple[str, str]] = {}
        default: str | None = None
        for name, entry in table.items():
            if not ACCOUNT_NAME.match(name):
                raise AccountError(
                    f"The accounts file {path}: account name {name!r} is not valid: {ACCOUNT_NAME_RULE}."
                )
            if not isinstance(entry, dict):
                raise AccountError(f"The accounts file {path}: [accounts.{name}] must be a table.")
            self._accounts[name] = (
                self._secret(entry, "linked_api_token", name),
                self._secret(entry, "identification_token", name),
            )
            if entry.get("default") is True:
                default = name
        self.default = default or next(iter(self._accounts))

    def _secret(self, entry: dict[str, Any], key: str, name: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise AccountError(f"The accounts file {self.path}: [accounts.{name}] needs {key}.")
        value = value.strip()
        if value.startswith("env:"):
            var = value[4:]
            resolved = os.environ.get(var, "").strip()
            if not resolved:
                raise AccountError(
                    f"The accounts file {self.path}: [accounts.{name}] {key} names {var}, which is unset."
                )
            return resolved
        return value

    def names(self) -> list[str]:
        return [self.default, *(n for n in self._accounts if n != self.default)]

    def choose(self, name: str | None) -> Chosen:
        name = name or self.default
        if name not in self._accounts:
            raise _unknown(name, self.names())
        api, ident = self._accounts[name]
        return Chosen(name, None, api, ident)


def add_account_argument(schema: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """A tool's input schema with the optional ``account`` argument (enum of ``names``)."""
    properties = dict(schema.get("properties") or {})
    properties[ACCOUNT_ARGUMENT] = {
        "type": "string",
        "enum": list(names),
        "description": f"Which of your LinkedIn accounts to act on (default {names[0]}).",
    }
    return {**schema, "properties": properties}


__all__ = [
    "ACCOUNT_ARGUMENT",
    "AccountDirectory",
    "AccountError",
    "Chosen",
    "FileAccounts",
    "VaultAccounts",
    "add_account_argument",
    "selected_account",
]
