"""Bearer tokens from an external authorization server: JWTs checked against its JWKS.

An operator who already runs an identity provider (Keycloak, Auth0, Okta, Entra ID, …) points
the server at it with three values: the issuer, the audience (this server's resource URL,
``<public-url>/mcp``), and the URL of the provider's JSON Web Key Set. :class:`JwtVerifier`
implements the ``mcp`` SDK's ``TokenVerifier`` protocol; a token it refuses makes the SDK's bearer
middleware answer ``401``. What is checked, and why:

- **Signature**, with a public key from the JWKS chosen by the token's ``kid``. Only asymmetric
  algorithms are accepted (RS*, PS*, ES*, EdDSA by default): ``alg: none`` and every HMAC
  algorithm are refused before a key is looked at, so a token "signed" with the provider's
  *public* key as an HMAC secret (the classic algorithm-confusion attack) never verifies. The
  token's ``alg`` must also fit the key's type (an RSA key never checks an ES256 signature).
- **Issuer** (``iss``) equal to the configured issuer, character for character: a token from
  another tenant of the same provider is someone else's.
- **Audience** (``aud``, a string or a list) containing the configured audience: a token the
  provider issued for another API cannot be replayed here (RFC 8707, RFC 9068 §4, and the MCP
  authorization specification's "MUST NOT accept tokens not issued for this server").
- **Expiry** (``exp``) required and in the future; ``nbf`` and ``iat``, when present, not in the
  future — all with a small leeway for clock skew between the provider and this host.
- **Subject** (``sub``) required and non-empty: it names the principal, which the vault maps to
  the LinkedIn accounts it may use (principals are keyed by issuer *and* subject).

Keys come from PyJWT's ``PyJWKClient`` and its JWK Set cache. Fetching is blocking, so it runs in
a worker thread, one fetch at a time. A ``kid`` the cached set does not hold (the provider rotated
its keys) triggers one refetch, but never more than one per ``min_refetch_interval``, so a flood of
made-up ``kid`` values cannot turn this server into a load generator against the provider. An
unreachable or broken JWKS endpoint refuses the token (``401``) and logs a warning naming the URL;
it never crashes a request. When the cached set expires and the provider cannot be reached, tokens
are refused rather than checked against stale keys (a rotation may have withdrawn a leaked key).

A token is never logged, at any level: only the reason it was refused ("expired", "wrong
audience", …). None of the cryptography is written here; PyJWT and ``cryptography`` do all of it.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import jwt
from mcp.server.auth.provider import AccessToken

__all__ = ["ASYMMETRIC_ALGORITHMS", "DEFAULT_ALGORITHMS", "JwtVerifier"]

logger = logging.getLogger(__name__)

# Which JWS algorithms each JWK key type ("kty") can verify.
_KEY_TYPE_ALGORITHMS: dict[str, frozenset[str]] = {
    "RSA": frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
    "EC": frozenset({"ES256", "ES384", "ES512"}),
    "OKP": frozenset({"EdDSA"}),
}
ASYMMETRIC_ALGORITHMS: frozenset[str] = frozenset().union(*_KEY_TYPE_ALGORITHMS.values())
DEFAULT_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256", "PS256", "EdDSA")
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


class _Refused(Exception):
    """A token is refused; the message is the reason, safe to log (it never holds the token)."""


class JwtVerifier:
    """The SDK's ``TokenVerifier`` for JWT access tokens from an external authorization server.

    ``issuer`` and ``audience`` are compared exactly; ``audience`` should be this server's resource
    URL (``<public-url>/mcp``), which the verifier reports as ``AccessToken.resource``, so the SDK's
    ``validate_token_resource`` check passes as well. ``algorithms`` may hold only asymmetric
    algorithms. ``jwks_url`` must be ``https`` (``http`` only on a loopback address, or with
    ``allow_http=True`` for a provider reached over a private network the operator trusts).
    ``token_types``, when given, is the set of accepted ``typ`` header values (e.g. ``{"at+jwt"}``
    for providers that follow RFC 9068; many do not, so the default checks nothing — the audience
    check already keeps ID tokens, whose audience is a client, out). ``clock`` (monotonic seconds)
    times the refetch floor; tests replace it.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str,
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
        leeway: float = 30.0,
        jwks_cache_seconds: float = 300.0,
        min_refetch_interval: float = 30.0,
        jwks_timeout: float = 5.0,
        token_types: Collection[str] | None = None,
        allow_http: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not issuer:
            raise ValueError("the JWT issuer must not be empty")
        if not audience:
            raise ValueError("the JWT audience must not be empty")
        algorithms = tuple(algorithms)
        if not algorithms:
            raise ValueError("at least one JWT algorithm must be allowed")
        refused = [alg for alg in algorithms if alg not in ASYMMETRIC_ALGORITHMS]
        if refused:
            raise ValueError(
                f"JWT algorithms {', '.join(refused)} are not allowed: only asymmetric algorithms "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}) can be checked against a JWKS"
            )
        _check_jwks_url(jwks_url, allow_http=allow_http)
        if leeway < 0:
            raise ValueError("the JWT leeway must not be negative")
        if min_refetch_interval < 0:
            raise ValueError("the JWKS refetch interval must not be negative")
        if jwks_cache_seconds <= min_refetch_interval:
            raise ValueError("the JWKS cache must outlive the refetch interval")
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.algorithms = algorithms
        self.leeway = leeway
        self.min_refetch_interval = min_refetch_interval
        self.token_types = None if token_types is None else frozenset(_normalize_typ(t) for t in token_types)
        self._clock = clock
        # PyJWKClient's own unknown-kid cooldown is off: this class decides when to refetch, so
        # that cached lookups stay on the event loop and only real fetches take a worker thread.
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=jwks_cache_seconds, timeout=jwks_timeout, cooldown_duration=0
        )
        self._last_fetch_attempt: float | None = None
        self._fetch_lock: anyio.Lock | None = None

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's access info, or None (the SDK answers ``401``) if it is not to be trusted."""
        try:
            return await self._verify(token)
        except _Refused as refused:
            logger.debug("JWT refused: %s", refused)
            return None

    async def _verify(self, token: str) -> AccessToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.exceptions.PyJWTError:
            raise _Refused("malformed token") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise _Refused("algorithm not allowed")
        if self.token_types is not None:
            typ = header.get("typ")
            if not isinstance(typ, str) or _normalize_typ(typ) not in self.token_types:
                raise _Refused("wrong token type")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _Refused("no key id")
        key = await self._signing_key(kid)
        if alg not in _KEY_TYPE_ALGORITHMS.get(key.key_type or "", frozenset()):
            raise _Refused("algorithm does not fit the key")
        claims = self._decode(token, key, alg)
        return _access_token(token, claims, self.audience)

    def _decode(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": _REQUIRED_CLAIMS, "strict_aud": False},
            )
        except jwt.exceptions.ExpiredSignatureError:
            raise _Refused("expired") from None
        except jwt.exceptions.ImmatureSignatureError:
            raise _Refused("not yet valid") from None
        except jwt.exceptions.InvalidAudienceError:
            raise _Refused("wrong audience") from None
        except jwt.exceptions.InvalidIssuerError:
            raise _Refused("wrong issuer") from None
        except jwt.exceptions.MissingRequiredClaimError as missing:
            raise _Refused(f"no {missing.claim} claim") from None
        except jwt.exceptions.InvalidSignatureError:
            raise _Refused("bad signature") from None
        except jwt.exceptions.InvalidAlgorithmError:
            raise _Refused("algorithm not allowed") from None
        except jwt.exceptions.InvalidSubjectError:
            raise _Refused("malformed sub claim") from None
        except jwt.exceptions.InvalidIssuedAtError:
            raise _Refused("malformed iat claim") from None
        except jwt.exceptions.PyJWTError:
            raise _Refused("malformed token") from None
        return claims

    async def _signing_key(self, kid: str) -> jwt.PyJWK:
        key = self._cached_key(kid)
        if key is not None:
            return key
        if self._fetch_lock is None:
            self._fetch_lock = anyio.Lock()
        async with self._fetch_lock:
            # Another request may have fetched the set while this one waited.
            key = self._cached_key(kid)
            if key is not None:
                return key
            now = self._clock()
            if self._last_fetch_attempt is not None and now - self._last_fetch_attempt < self.min_refetch_interval:
                fresh = self._cached_keys() is not None
                raise _Refused("unknown key id" if fresh else "JWKS unavailable (fetched too recently to retry)")
            self._last_fetch_attempt = now
            keys = await anyio.to_thread.run_sync(self._fetch)
        if keys is None:
            raise _Refused("JWKS unavailable")
        key = _match(keys, kid)
        if key is None:
            raise _Refused("unknown key id")
        return key

    def _cached_keys(self) -> list[jwt.PyJWK] | None:
        """The signing keys of the cached JWK Set, None when there is none or it has expired."""
        cache = self._jwks.jwk_set_cache
        jwk_set = cache.get() if cache is not None else None
        return None if jwk_set is None else _signing_keys(jwk_set)

    def _cached_key(self, kid: str) -> jwt.PyJWK | None:
        keys = self._cached_keys()
        return None if keys is None else _match(keys, kid)

    def _fetch(self) -> list[jwt.PyJWK] | None:
        """Fetch the JWK Set (in a worker thread); None, with a warning, when it cannot be had."""
        try:
            return _signing_keys(self._jwks.get_jwk_set(refresh=True))
        except jwt.exceptions.PyJWKClientConnectionError as error:
            logger.warning("JWKS %s unreachable: %s", self.jwks_url, error.__cause__ or error)
        except (
            jwt.exceptions.PyJWKClientError,
            jwt.exceptions.PyJWKSetError,
            jwt.exceptions.PyJWKError,
            ValueError,
        ) as error:
            logger.warning("JWKS %s unusable: %s", self.jwks_url, error)
        return None


def _signing_keys(jwk_set: jwt.PyJWKSet) -> list[jwt.PyJWK]:
    return [key for key in jwk_set.keys if key.public_key_use in ("sig", None) and key.key_id]


def _match(keys: list[jwt.PyJWK], kid: str) -> jwt.PyJWK | None:
    return next((key for key in keys if key.key_id == kid), None)


def _access_token(token: str, claims: dict[str, Any], audience: str) -> AccessToken:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _Refused("empty sub claim")
    client_id = next(
        (value for name in ("client_id", "azp") if isinstance(value := claims.get(name), str) and value), "jwt"
    )
    return AccessToken(
        token=token,
        client_id=client_id,
        scopes=_scopes(claims),
        expires_at=int(claims["exp"]),
        resource=audience,
        subject=subject,
        claims={"iss": claims["iss"]},
    )


def _scopes(claims: dict[str, Any]) -> list[str]:
    """Scopes from ``scope`` (RFC 9068: space-separated) or ``scp`` (a list, or a string, as some providers send)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return [scope for item in value for scope in item.split()]
        raise _Refused(f"malformed {name} claim")
    return []


def _normalize_typ(typ: str) -> str:
    """RFC 7515 §4.1.9: ``typ`` is a media type that may omit its ``application/`` prefix."""
    typ = typ.lower()
    return typ.removeprefix("application/")


def _check_jwks_url(url: str, *, allow_http: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and (allow_http or _is_loopback(parts.hostname)):
        return
    raise ValueError(
        "the JWKS URL must be https:// (http:// only on a loopback address): "
        "keys fetched in the clear could be replaced by anyone on the path"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
