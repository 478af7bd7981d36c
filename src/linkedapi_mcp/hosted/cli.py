"""Operator commands for hosted mode: ``secret-key``, ``accounts``, ``keys``.

Tokens are never taken as command-line flags (they would land in shell history and ``ps``):
``accounts add`` reads them from ``LINKED_API_TOKEN`` / ``IDENTIFICATION_TOKEN`` if set, else
asks for them without echo. API keys are printed once, at creation; the vault keeps a hash.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkedapi_mcp.hosted.vault import Vault
    from linkedapi_mcp.settings import Settings

COMMANDS = ("secret-key", "accounts", "keys")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser], config: object) -> None:
    """``config(parser)`` adds the shared configuration flags (data dir, ...)."""
    add_config = config  # typed loosely: the CLI's own flag adder

    commands.add_parser("secret-key", help="print a new random LINKEDAPI_MCP_SECRET_KEY")

    accounts = commands.add_parser("accounts", help="named LinkedIn accounts in the hosted vault")
    acc = accounts.add_subparsers(dest="action", required=True, metavar="{add,list,remove,default}")
    add = acc.add_parser(
        "add",
        help="connect an account (tokens from LINKED_API_TOKEN / IDENTIFICATION_TOKEN, else asked for)",
    )
    add.add_argument("name", help="account name (lower-case letters, digits, - or _)")
    _principal_flags(add, creating=True)
    add.add_argument("--default", action="store_true", help="make it the principal's default account")
    add.add_argument("--no-check", action="store_true", help="store without asking Linked API whether the tokens work")
    acc.add_parser("list", help="principals and their accounts (no secrets)")
    remove = acc.add_parser("remove", help="remove an account (its API keys are revoked)")
    remove.add_argument("name")
    _principal_flags(remove)
    default = acc.add_parser("default", help="make an account the principal's default")
    default.add_argument("name")
    _principal_flags(default)

    keys = commands.add_parser("keys", help="API keys for machine clients (bearer tokens)")
    kk = keys.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
    create = kk.add_parser("create", help="make a key for one account; printed once")
    create.add_argument("--account", required=True, help="the account the key acts on")
    _principal_flags(create)
    kk.add_parser("list", help="keys (id, principal, account, state)")
    revoke = kk.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")

    for parser in (accounts, keys, add, remove, default, create, revoke):
        add_config(parser)  # type: ignore[operator]


def _principal_flags(parser: argparse.ArgumentParser, *, creating: bool = False) -> None:
    parser.add_argument(
        "--principal",
        help="whose account: a principal id (p_…) from `accounts list`, or with --issuer an identity provider's "
        "subject"
        + (
            "; default: the owner of the Linked API token (as the built-in sign-in page does)"
            if creating
            else "; default: the only principal"
        ),
    )
    parser.add_argument(
        "--issuer", help="the identity provider's issuer for --principal (default: LINKEDAPI_MCP_JWT_ISSUER)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "secret-key":
        from linkedapi_mcp.hosted.crypto import new_secret_key

        print(new_secret_key())
        return 0
    from linkedapi_mcp.hosted.setup import open_vault
    from linkedapi_mcp.hosted.vault import VaultError
    from linkedapi_mcp.settings import ConfigurationError

    try:
        vault = open_vault(settings)
    except ConfigurationError as exc:
        print(f"linkedapi-mcp: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "accounts":
            return _accounts(args, settings, vault)
        return _keys(args, settings, vault)
    except VaultError as exc:
        print(f"linkedapi-mcp: {exc}", file=sys.stderr)
        return 1
    finally:
        vault.close()


def _resolve_principal(args: argparse.Namespace, settings: Settings, vault: Vault, *, create: bool = False) -> str:
    from linkedapi_mcp.hosted.vault import VaultError

    given = args.principal
    if given and given.startswith("p_") and args.issuer is None:
        if given not in {pid for pid, _, _ in vault.principals()}:
            raise VaultError(f"No principal {given}; see `linkedapi-mcp accounts list`.")
        return str(given)
    if given:
        issuer = args.issuer or settings.jwt_issuer
        if not issuer:
            raise VaultError("Pass --issuer (or set LINKEDAPI_MCP_JWT_ISSUER) with a subject for --principal.")
        principal = vault.principal(issuer, given, create=create)
        if principal is None:
            raise VaultError(f"No principal {given!r} of {issuer}.")
        return principal
    everyone = vault.principals()
    if len(everyone) == 1:
        return everyone[0][0]
    raise VaultError("Say whose account with --principal (see `linkedapi-mcp accounts list`).")


def _tokens() -> tuple[str, str]:
    api = os.environ.get("LINKED_API_TOKEN", "").strip()
    ident = os.environ.get("IDENTIFICATION_TOKEN", "").strip()
    if not api:
        api = getpass.getpass("Linked API token: ").strip()
    if not ident:
        ident = getpass.getpass("Identification token: ").strip()
    if not (api and ident):
        from linkedapi_mcp.hosted.vault import VaultError

        raise VaultError("Both tokens are needed.")
    return api, ident


def _check(settings: Settings, api: str, ident: str) -> str | None:
    """Ask Linked API whether the tokens work: the account's name, or raise VaultError."""
    import anyio

    from linkedapi_mcp.client import LinkedApiClient
    from linkedapi_mcp.client.errors import LinkedApiError
    from linkedapi_mcp.hosted.vault import VaultError

    async def ask() -> str | None:
        async with LinkedApiClient(linked_api_token=api, identification_token=ident, base_url=settings.base_url) as c:
            info = await c.get_account(deadline=c.clock() + 30.0)
        return str(info.get("name") or "") or None

    try:
        return anyio.run(ask)
    except LinkedApiError as exc:
        raise VaultError(f"Linked API did not accept these tokens: [{exc.type}] {exc.message}") from None


def _accounts(args: argparse.Namespace, settings: Settings, vault: Vault) -> int:
    from linkedapi_mcp.hosted.vault import builtin_principal

    if args.action == "list":
        for pid, issuer, subject in vault.principals():
            who = "Linked API token owner" if issuer.startswith("linkedapi-mcp:") else f"{issuer} subject {subject}"
            print(f"{pid}  ({who})")
            for account in vault.accounts(pid):
                mark = " (default)" if account.is_default else ""
                print(f"    {account.name}{mark}  {account.label or ''}".rstrip())
        return 0
    if args.action == "add":
        api, ident = _tokens()
        label = None if args.no_check else _check(settings, api, ident)
        if args.principal:
            principal = _resolve_principal(args, settings, vault, create=True)
        else:
            issuer, subject = builtin_principal(vault, api)
            principal = vault.principal(issuer, subject) or ""
        account = vault.put_account(
            principal,
            args.name,
            linked_api_token=api,
            identification_token=ident,
            account_key=vault.account_key_for(principal, ident),
            label=label,
            make_default=args.default,
        )
        print(f"account {account.name} of {principal} stored{' (default)' if account.is_default else ''}")
        return 0
    principal = _resolve_principal(args, settings, vault)
    if args.action == "remove":
        if not vault.remove_account(principal, args.name):
            print(f"linkedapi-mcp: no account named {args.name!r}", file=sys.stderr)
            return 1
        print(f"account {args.name} removed; its API keys are revoked")
        return 0
    vault.set_default(principal, args.name)
    print(f"account {args.name} is now the default")
    return 0


def _keys(args: argparse.Namespace, settings: Settings, vault: Vault) -> int:
    if args.action == "list":
        for key in vault.api_keys():
            state = "revoked" if key.revoked_at is not None else "active"
            print(f"{key.id}  {key.principal}  account={key.account or '(default)'}  {state}")
        return 0
    if args.action == "revoke":
        if not vault.revoke_api_key(args.key_id):
            print(f"linkedapi-mcp: no active key {args.key_id}", file=sys.stderr)
            return 1
        print(f"key {args.key_id} revoked")
        return 0
    principal = _resolve_principal(args, settings, vault)
    record, secret = vault.create_api_key(principal, args.account)
    print(secret)
    print(
        f"(key {record.id} for account {args.account}: shown once, store it now; send it as 'Authorization: Bearer …')",
        file=sys.stderr,
    )
    return 0


__all__ = ["COMMANDS", "add_parsers", "run"]
