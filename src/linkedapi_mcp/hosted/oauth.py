"""The built-in OAuth 2.1 authorization server, as the SDK's provider protocol over the vault.

The SDK (``mcp.server.auth``) serves the endpoints — metadata (RFC 8414, RFC 9728), dynamic
client registration (RFC 7591), ``/authorize`` with PKCE, ``/token``, ``/revoke`` — and checks
what the protocol fixes (PKCE verifier, redirect URI, client authentication, expiry). This
module keeps their state in the vault and decides what is ours to decide:

* ``/authorize`` parks the request and sends the person to the connect page
  (:mod:`.pages`), where they paste their Linked API tokens; only that page creates a code.
* Codes live 5 minutes and are good once; access tokens an hour; refresh tokens 30 days and
  rotate on every use (the old pair is revoked); revoking either token revokes both.
* Tokens are bound to this server's resource (RFC 8707): a request for another resource is
  refused with ``invalid_target``, and one without a resource is bound to ours.
* Bearer values that start with :data:`~.vault.API_KEY_PREFIX` are API keys from
  ``linkedapi-mcp keys create``, checked against the vault the same way.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl

from linkedapi_mcp.hosted.crypto import random_token
from linkedapi_mcp.hosted.vault import API_KEY_PREFIX, Vault

SCOPE = "linkedapi"
CODE_SECONDS = 300.0
REQUEST_SECONDS = 900.0  # time to find and paste two tokens on the connect page
ACCESS_SECONDS = 3600
REFRESH_SECONDS = 30 * 86400


class HostedAccessToken(AccessToken):
    """An access token as the tools see it: ``subject`` is the vault principal's id."""

    family: str | None = None  # the authorization it came from (revoked together)
    account: str | None = None  # an API key's account; None = the principal's default


class HostedRefreshToken(RefreshToken):
    family: str


async def api_key_access(vault: Vault, token: str, *, resource: str, issuer: str) -> HostedAccessToken | None:
    """The access an API key from ``linkedapi-mcp keys create`` grants (None: unknown or revoked):
    the same in every auth mode, bound to its principal and account."""
    key = await vault.run(lambda: vault.api_key(token))
    if key is None:
        return None
    return HostedAccessToken(
        token=token,
        client_id=f"api-key:{key.id}",
        scopes=[SCOPE],
        resource=resource,
        subject=key.principal,
        claims={"iss": issuer},
        account=key.account,
    )


def same_resource(a: str | None, b: str) -> bool:
    return a is not None and a.rstrip("/") == b.rstrip("/")


class VaultAuthProvider:
    """``OAuthAuthorizationServerProvider`` over :class:`~.vault.Vault`."""

    def __init__(
        self, vault: Vault, *, issuer_url: str, resource_url: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.vault = vault
        self.issuer_url = issuer_url.rstrip("/")
        self.resource_url = resource_url
        self._clock = clock

    # -- clients ------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        info = await self.vault.run(lambda: self.vault.client(client_id))
        return None if info is None else OAuthClientInformationFull.model_validate(info)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None  # the SDK's registration handler assigns it
        info = client_info.model_dump(mode="json", exclude_none=True)
        await self.vault.run(lambda: self.vault.save_client(str(client_info.client_id), info))

    # -- authorization ------------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and not same_resource(params.resource, self.resource_url):
            raise AuthorizeError("invalid_target", f"This server issues tokens only for {self.resource_url}.")
        record = {
            "state": params.state,
            "scopes": params.scopes or [SCOPE],
            "code_challenge": params.code_challenge,
            "redirect_uri": str(params.redirect_uri),
            "redirect_uri_provided_explicitly": params.redirect_uri_provided_explicitly,
            "resource": self.resource_url,
        }
        assert client.client_id is not None
        client_id = client.client_id
        request_id = await self.vault.run(lambda: self.vault.save_request(client_id, record, REQUEST_SECONDS))
        return f"{self.issuer_url}/connect?request={request_id}"

    def issue_code(self, client_id: str, principal: str, record: dict[str, Any]) -> str:
        """The connect page's approval: a code for the parked request, and where to send it.
        Synchronous (called through :meth:`Vault.run`)."""
        code = secrets.token_urlsafe(32)
        self.vault.save_code(code, client_id, principal, record, CODE_SECONDS)
        return construct_redirect_uri(record["redirect_uri"], code=code, state=record.get("state"))

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        assert client.client_id is not None
        client_id = client.client_id
        found = await self.vault.run(lambda: self.vault.code(authorization_code, client_id))
        if found is None:
            return None
        principal, record, expires_at = found
        return AuthorizationCode(
            code=authorization_code,
            scopes=record["scopes"],
            expires_at=expires_at,
            client_id=client_id,
            code_challenge=record["code_challenge"],
            redirect_uri=AnyUrl(record["redirect_uri"]),
            redirect_uri_provided_explicitly=record["redirect_uri_provided_explicitly"],
            resource=record["resource"],
            subject=principal,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        assert client.client_id is not None
        client_id = client.client_id
        # Used up here, atomically: of two exchanges of one code, one wins.
        taken = await self.vault.run(lambda: self.vault.code(authorization_code.code, client_id, take=True))
        if taken is None:
            raise TokenError("invalid_grant", "The authorization code was already used or has expired.")
        principal = taken[0]
        return await self._issue(client_id, principal, authorization_code.scopes, authorization_code.resource)

    async def _issue(self, client_id: str, principal: str, scopes: list[str], resource: str | None) -> OAuthToken:
        access, refresh, family = random_token("lama_"), random_token("lamr_"), secrets.token_hex(12)
        now = self._clock()

        def save() -> None:
            for token, kind, life in ((access, "access", ACCESS_SECONDS), (refresh, "refresh", REFRESH_SECONDS)):
                self.vault.save_token(
                    token,
                    kind=kind,  # type: ignore[arg-type]
                    family=family,
                    client_id=client_id,
                    principal=principal,
                    scopes=scopes,
                    resource=resource,
                    expires_at=now + life,
                )

        await self.vault.run(save)
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=ACCESS_SECONDS,
            refresh_token=refresh,
            scope=" ".join(scopes),
        )

    # -- refresh ------------------------------------------------------------------------------

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> HostedRefreshToken | None:
        record = await self.vault.run(lambda: self.vault.token(refresh_token, "refresh"))
        if record is None or record.client_id != client.client_id:
            return None
        return HostedRefreshToken(
            token=refresh_token,
            client_id=record.client_id,
            scopes=record.scopes,
            expires_at=None if record.expires_at is None else int(record.expires_at),
            resource=record.resource,
            subject=record.principal,
            family=record.family,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: HostedRefreshToken, scopes: list[str]
    ) -> OAuthToken:
        assert client.client_id is not None
        assert refresh_token.subject is not None
        # Rotation: the old pair dies with the exchange, so a stolen refresh token that is used
        # after the real client refreshed no longer works (and vice versa).
        await self.vault.run(lambda: self.vault.revoke_family(refresh_token.family))
        return await self._issue(
            client.client_id, refresh_token.subject, scopes or refresh_token.scopes, refresh_token.resource
        )

    # -- access -------------------------------------------------------------------------------

    async def load_access_token(self, token: str) -> HostedAccessToken | None:
        if token.startswith(API_KEY_PREFIX):
            return await api_key_access(self.vault, token, resource=self.resource_url, issuer=self.issuer_url)
        record = await self.vault.run(lambda: self.vault.token(token, "access"))
        if record is None:
            return None
        return HostedAccessToken(
            token=token,
            client_id=record.client_id,
            scopes=record.scopes,
            expires_at=None if record.expires_at is None else int(record.expires_at),
            resource=record.resource,
            subject=record.principal,
            claims={"iss": self.issuer_url},
            family=record.family,
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        family = getattr(token, "family", None)
        if family is not None:
            await self.vault.run(lambda: self.vault.revoke_family(family))

    async def exchange_identity_assertion(self, client: OAuthClientInformationFull, params: Any) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "The JWT bearer grant is not supported by this server.")


__all__ = ["SCOPE", "HostedAccessToken", "VaultAuthProvider"]
