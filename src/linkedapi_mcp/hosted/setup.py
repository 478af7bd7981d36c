"""Hosted mode from the settings: the vault, who issues tokens, and what the MCP server needs.

``--auth oauth``: the built-in authorization server (:mod:`.oauth`) with its connect page.
``--auth jwt``: an external identity provider's JWTs (:mod:`.jwt`); the operator links its
principals to accounts with ``linkedapi-mcp accounts add``. Both accept the vault's API keys.
``--auth none``: nobody is authenticated — allowed only on a loopback address.

The MCP layer sees only three things of this: ``server_kwargs`` for ``MCPServer`` (auth settings
plus provider or verifier), the extra routes, and an :class:`~.accounts.AccountDirectory`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from starlette.routing import Route

from linkedapi_mcp.hosted.accounts import VaultAccounts
from linkedapi_mcp.hosted.crypto import SecretBox, SecretKeyError
from linkedapi_mcp.hosted.oauth import SCOPE, HostedAccessToken, VaultAuthProvider, api_key_access
from linkedapi_mcp.hosted.pages import ConnectPage, VerifyTokens
from linkedapi_mcp.hosted.vault import API_KEY_PREFIX, Vault
from linkedapi_mcp.server.db import Database
from linkedapi_mcp.settings import ConfigurationError, Settings

VAULT_FILE = "vault.sqlite3"
MCP_PATH = "/mcp"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_mode(settings: Settings, *, host: str) -> Literal["oauth", "jwt", "none"]:
    """The authentication a server on ``host`` runs with; refuses an open non-loopback server."""
    mode = settings.auth or "none"
    if mode == "none" and not is_loopback(host):
        raise ConfigurationError(
            f"Refusing to serve on {host} without authentication: anyone who reaches the port would drive the "
            "LinkedIn account. Pass --auth oauth (or jwt) with --public-url, or bind to 127.0.0.1."
        )
    return mode


def open_vault(settings: Settings, database: Database | None = None) -> Vault:
    """The vault: in ``database`` (the server's shared PostgreSQL store) when the settings name
    one, else in ``vault.sqlite3`` in the data directory."""
    if settings.secret_key is None:
        raise ConfigurationError(
            "LINKEDAPI_MCP_SECRET_KEY is not set: the vault encrypts the Linked API tokens with it. "
            "Make one with `linkedapi-mcp secret-key` and keep it safe (losing it means reconnecting every account)."
        )
    try:
        box = SecretBox(settings.secret_key.get_secret_value())
    except SecretKeyError as exc:
        raise ConfigurationError(str(exc)) from None
    if settings.database_url is not None:
        if database is None:
            from linkedapi_mcp.server.db import open_database

            database = open_database(settings.database_url.get_secret_value(), settings.resolved_data_dir())
        return Vault(database, box)
    return Vault(settings.resolved_data_dir() / VAULT_FILE, box)


class _ApiKeysThen:
    """Token verifier: the vault's API keys first, then the external provider's JWTs, whose
    ``(iss, sub)`` become a vault principal."""

    def __init__(self, vault: Vault, jwt: Any, issuer: str) -> None:
        self.vault, self.jwt, self.issuer = vault, jwt, issuer

    async def verify_token(self, token: str) -> AccessToken | None:
        if token.startswith(API_KEY_PREFIX):
            return await api_key_access(self.vault, token, resource=self.jwt.audience, issuer="api-key")
        verified: AccessToken | None = await self.jwt.verify_token(token)
        if verified is None or verified.subject is None:
            return None
        sub = verified.subject
        principal = await self.vault.run(lambda: self.vault.principal(self.issuer, sub))
        return HostedAccessToken(**{**verified.model_dump(), "subject": principal, "claims": {"iss": self.issuer}})


@dataclass
class Hosted:
    mode: Literal["oauth", "jwt"]
    public_url: str
    vault: Vault
    provider: VaultAuthProvider | None = None
    verifier: Any = None
    routes: list[Route] = field(default_factory=list)

    @property
    def resource_url(self) -> str:
        return self.public_url + MCP_PATH

    def server_kwargs(self) -> dict[str, Any]:
        auth = AuthSettings(
            issuer_url=self.public_url if self.mode == "oauth" else self.verifier.jwt.issuer,
            resource_server_url=self.resource_url,
            required_scopes=[SCOPE] if self.mode == "oauth" else None,
            # The built-in server binds tokens to our resource; in jwt mode the verifier checks the
            # audience itself (which may be configured to differ from the resource URL).
            validate_token_resource=self.mode == "oauth",
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]
            )
            if self.mode == "oauth"
            else None,
            revocation_options=RevocationOptions(enabled=True) if self.mode == "oauth" else None,
        )
        if self.provider is not None:
            return {"auth": auth, "auth_server_provider": self.provider}
        return {"auth": auth, "token_verifier": self.verifier}

    def accounts(self) -> VaultAccounts:
        if self.mode == "oauth":
            how = "Reconnect this server in your app (its connect page adds accounts)."
        else:
            how = "Ask the server's operator to link one: `linkedapi-mcp accounts add NAME --principal YOUR_SUBJECT`."
        return VaultAccounts(self.vault, how_to_connect=how)


def public_url(settings: Settings, *, host: str, port: int) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if is_loopback(host):
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', 'localhost') else host}:{port}"
    raise ConfigurationError(
        "--public-url (LINKEDAPI_MCP_PUBLIC_URL) is required with --auth on a public address: the https URL "
        "clients reach this server at, e.g. https://mcp.example.com."
    )


def build_hosted(
    settings: Settings,
    *,
    host: str,
    port: int,
    verify_tokens: Callable[[], VerifyTokens] | None = None,
    database: Callable[[], Database] | None = None,
) -> Hosted | None:
    """The hosted configuration, or None for ``--auth none``. Raises ``ConfigurationError``."""
    mode = auth_mode(settings, host=host)
    if mode == "none":
        return None
    url = public_url(settings, host=host, port=port)
    vault = open_vault(settings, database() if database is not None and settings.database_url else None)
    if mode == "oauth":
        provider = VaultAuthProvider(vault, issuer_url=url, resource_url=url + MCP_PATH)
        hosted = Hosted("oauth", url, vault, provider=provider)
        if verify_tokens is not None:
            hosted.routes = ConnectPage(provider, verify_tokens()).routes()
        return hosted
    if not (settings.jwt_issuer and settings.jwt_jwks_url):
        raise ConfigurationError(
            "--auth jwt needs LINKEDAPI_MCP_JWT_ISSUER (your identity provider's issuer) and "
            "LINKEDAPI_MCP_JWT_JWKS_URL (its JWKS address)."
        )
    from linkedapi_mcp.hosted.jwt import JwtVerifier

    try:
        jwt = JwtVerifier(
            issuer=settings.jwt_issuer, audience=settings.jwt_audience or url + MCP_PATH, jwks_url=settings.jwt_jwks_url
        )
    except ValueError as exc:
        raise ConfigurationError(f"--auth jwt: {exc}") from None
    return Hosted("jwt", url, vault, verifier=_ApiKeysThen(vault, jwt, settings.jwt_issuer))


def vault_path(settings: Settings) -> Path:
    return settings.resolved_data_dir() / VAULT_FILE


__all__ = ["Hosted", "auth_mode", "build_hosted", "is_loopback", "open_vault", "public_url"]
