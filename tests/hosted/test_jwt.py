"""JwtVerifier against a real (test) identity provider: what it accepts, what it refuses, and why."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import anyio
import pytest

from linkedapi_mcp.hosted.jwt import JwtVerifier

from .idp import IdentityProvider

pytestmark = pytest.mark.anyio

PAST = 1_000_000_000  # 2001-09-09
FUTURE = 4_000_000_000  # 2096-10-02


class Clock:
    """Monotonic seconds the test moves by hand (the refetch floor's clock)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def verifier(idp: IdentityProvider, **options: Any) -> JwtVerifier:
    return JwtVerifier(issuer=idp.issuer, audience=idp.audience, jwks_url=idp.jwks_url, **options)


async def test_valid_token_gives_subject_scopes_resource_and_issuer(idp: IdentityProvider) -> None:
    token = idp.mint(sub="alice", scope="mcp linkedin.read", exp=FUTURE)
    access = await verifier(idp).verify_token(token)
    assert access is not None
    assert access.token == token
    assert access.subject == "alice"
    assert access.scopes == ["mcp", "linkedin.read"]
    assert access.resource == idp.audience
    assert access.client_id == "test-client"
    assert access.expires_at == FUTURE
    assert access.claims == {"iss": idp.issuer}


async def test_ec_key_audience_list_scp_and_azp(idp: IdentityProvider) -> None:
    token = idp.mint(
        key=idp.ec, aud=["https://other.example/api", idp.audience], scope=None, scp=["a", "b"],
        client_id=None, azp="spa",
    )  # fmt: skip
    access = await verifier(idp).verify_token(token)
    assert access is not None
    assert (access.resource, access.scopes, access.client_id) == (idp.audience, ["a", "b"], "spa")


async def test_no_client_claim_and_no_scope(idp: IdentityProvider) -> None:
    access = await verifier(idp).verify_token(idp.mint(client_id=None, scope=None))
    assert access is not None
    assert (access.client_id, access.scopes) == ("jwt", [])


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "https://other.example/mcp"}, "wrong audience"),
        ({"aud": ["https://other.example/mcp", "https://mcp.example.test/mcp/extra"]}, "wrong audience"),
        ({"aud": None}, "no aud claim"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"iss": None}, "no iss claim"),
        ({"exp": PAST}, "expired"),
        ({"exp": None}, "no exp claim"),
        ({"nbf": FUTURE}, "not yet valid"),
        ({"iat": FUTURE}, "not yet valid"),
        ({"sub": None}, "no sub claim"),
        ({"sub": ""}, "empty sub claim"),
        ({"sub": 42}, "malformed sub claim"),
        ({"scope": ["mcp", 1]}, "malformed scope claim"),
        ({"scope": None, "scp": {"mcp": True}}, "malformed scp claim"),
    ],
)
async def test_bad_claims_are_refused(
    idp: IdentityProvider, caplog: pytest.LogCaptureFixture, claims: dict[str, Any], reason: str
) -> None:
    token = idp.mint(**claims)
    with caplog.at_level(logging.DEBUG, logger="linkedapi_mcp"):
        assert await verifier(idp).verify_token(token) is None
    assert f"JWT refused: {reason}" in caplog.text
    assert token not in caplog.text


async def test_leeway_tolerates_small_clock_skew(idp: IdentityProvider) -> None:
    # A token that expired a few seconds ago or becomes valid in a few seconds is still accepted
    # with the default 30 s leeway; the margins (10 s either side of it) keep wall-clock time out.
    now = int(time.time())
    v = verifier(idp)
    assert await v.verify_token(idp.mint(exp=now - 10, iat=now - 3600)) is not None
    assert await v.verify_token(idp.mint(nbf=now + 10)) is not None
    assert await verifier(idp, leeway=0).verify_token(idp.mint(exp=now - 10, iat=now - 3600)) is None


async def test_signature_by_another_key_is_refused(idp: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    stranger = idp.stranger_key()
    assert stranger.kid == idp.rsa.kid  # same key id as the published key: only the signature differs
    with caplog.at_level(logging.DEBUG, logger="linkedapi_mcp"):
        assert await verifier(idp).verify_token(idp.mint(key=stranger)) is None
    assert "JWT refused: bad signature" in caplog.text


async def test_tampered_claims_are_refused(idp: IdentityProvider) -> None:
    header, _, signature = idp.mint(sub="alice").split(".")
    _, claims, _ = idp.mint(sub="admin").split(".")
    assert await verifier(idp).verify_token(f"{header}.{claims}.{signature}") is None


async def test_alg_none_is_refused(idp: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    for alg in ("none", "None", "NONE"):
        token = idp.forge({"alg": alg, "typ": "JWT", "kid": idp.rsa.kid}, idp.claims())
        with caplog.at_level(logging.DEBUG, logger="linkedapi_mcp"):
            assert await verifier(idp).verify_token(token) is None
    assert "JWT refused: algorithm not allowed" in caplog.text


async def test_hmac_signed_with_the_public_key_is_refused(idp: IdentityProvider) -> None:
    # The algorithm-confusion attack: the public key (which anyone can fetch) used as an HMAC secret.
    v = verifier(idp)
    for alg in ("HS256", "HS384", "HS512"):
        for secret in (idp.rsa.public_pem(), idp.rsa.public_pem().strip()):
            token = idp.forge({"alg": alg, "typ": "JWT", "kid": idp.rsa.kid}, idp.claims(), hmac_key=secret)
            assert await v.verify_token(token) is None


def test_symmetric_or_none_algorithms_cannot_be_configured(idp: IdentityProvider) -> None:
    for algorithms in (["HS256"], ["RS256", "none"], []):
        with pytest.raises(ValueError, match="algorithm"):
            verifier(idp, algorithms=algorithms)


def test_jwks_url_must_be_https_off_loopback() -> None:
    for url in ("http://idp.example/jwks.json", "file:///etc/passwd", "idp.example/jwks.json"):
        with pytest.raises(ValueError, match="JWKS URL"):
            JwtVerifier(issuer="https://idp.example", audience="https://mcp.example/mcp", jwks_url=url)
    JwtVerifier(issuer="https://idp.example", audience="https://mcp.example/mcp", jwks_url="https://idp.example/k")
    JwtVerifier(issuer="https://i", audience="https://m/mcp", jwks_url="http://idp.internal/k", allow_http=True)


async def test_alg_must_fit_the_key_type(idp: IdentityProvider) -> None:
    # An ES256 token naming the RSA key's id: the key type decides, not the token's header.
    token = idp.mint(key=idp.ec, headers={"kid": idp.rsa.kid})
    assert await verifier(idp).verify_token(token) is None


async def test_algorithm_outside_the_configured_list_is_refused(idp: IdentityProvider) -> None:
    assert await verifier(idp, algorithms=["RS256"]).verify_token(idp.mint(key=idp.ec)) is None


async def test_token_type_check_when_configured(idp: IdentityProvider) -> None:
    v = verifier(idp, token_types=["at+jwt"])
    assert await v.verify_token(idp.mint(headers={"typ": "at+jwt"})) is not None
    assert await v.verify_token(idp.mint(headers={"typ": "application/AT+JWT"})) is not None
    assert await v.verify_token(idp.mint()) is None  # typ "JWT", e.g. an ID token


async def test_garbage_is_refused(idp: IdentityProvider) -> None:
    v = verifier(idp)
    for token in ("", "not-a-jwt", "a.b.c", "Bearer x", idp.mint() + "x"):
        assert await v.verify_token(token) is None
    assert await v.verify_token(idp.mint(headers={"kid": None})) is None


async def test_keys_are_cached(idp: IdentityProvider) -> None:
    v = verifier(idp)
    for _ in range(5):
        assert await v.verify_token(idp.mint()) is not None
        assert await v.verify_token(idp.mint(key=idp.ec)) is not None
    assert idp.jwks_requests == 1


async def test_rotated_key_is_accepted_after_one_refetch(idp: IdentityProvider) -> None:
    clock = Clock()
    v = verifier(idp, clock=clock)
    assert await v.verify_token(idp.mint()) is not None
    idp.rotate()
    clock.now += 31  # past the refetch floor
    assert await v.verify_token(idp.mint()) is not None
    assert idp.jwks_requests == 2
    assert await v.verify_token(idp.mint(key=idp.ec)) is not None
    assert idp.jwks_requests == 2


async def test_unknown_kids_cannot_hammer_the_provider(idp: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    v = verifier(idp, clock=clock)
    assert await v.verify_token(idp.mint()) is not None
    with caplog.at_level(logging.DEBUG, logger="linkedapi_mcp"):
        async with anyio.create_task_group() as tg:
            for n in range(50):
                tg.start_soon(v.verify_token, idp.mint(headers={"kid": f"made-up-{n}"}))
    assert idp.jwks_requests == 1  # inside the floor: not one refetch
    assert "JWT refused: unknown key id" in caplog.text
    # A rotation inside the floor waits for it; after it, one refetch picks the new key up.
    idp.rotate()
    assert await v.verify_token(idp.mint()) is None
    clock.now += 30
    for n in range(10):
        await v.verify_token(idp.mint(headers={"kid": f"made-up-{n}"}))
    assert await v.verify_token(idp.mint()) is not None
    assert idp.jwks_requests == 2


async def test_jwks_down_refuses_with_a_warning(idp: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    v = verifier(idp, clock=clock)
    token = idp.mint()
    with idp.down(), caplog.at_level(logging.DEBUG, logger="linkedapi_mcp"):
        assert await v.verify_token(token) is None
        assert await v.verify_token(token) is None  # inside the floor: refused without a second fetch
    assert idp.jwks_requests == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert idp.jwks_url in warnings[0].getMessage()
    assert token not in caplog.text
    clock.now += 30  # the provider is back
    assert await v.verify_token(token) is not None


async def test_jwks_unreachable_refuses_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    jwks_url = f"http://127.0.0.1:{port}/jwks.json"
    v = JwtVerifier(issuer="https://idp.example", audience="https://mcp.example/mcp", jwks_url=jwks_url)
    idp = IdentityProvider()
    try:
        token = idp.mint()
    finally:
        idp.close()
    with caplog.at_level(logging.WARNING, logger="linkedapi_mcp"):
        assert await v.verify_token(token) is None
    assert f"JWKS {jwks_url} unreachable" in caplog.text


async def test_jwks_without_usable_keys_refuses_with_a_warning(
    idp: IdentityProvider, caplog: pytest.LogCaptureFixture
) -> None:
    token = idp.mint()
    idp.published = []
    with caplog.at_level(logging.WARNING, logger="linkedapi_mcp"):
        assert await verifier(idp).verify_token(token) is None
    assert f"JWKS {idp.jwks_url} unusable" in caplog.text


async def test_token_never_logged(idp: IdentityProvider, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    v = verifier(idp, clock=clock)
    tokens = [
        idp.mint(),
        idp.mint(exp=PAST),
        idp.mint(aud="https://other.example"),
        idp.mint(headers={"kid": "unknown"}),
        idp.mint(key=idp.stranger_key()),
    ]
    with caplog.at_level(logging.DEBUG):
        for token in tokens:
            await v.verify_token(token)
        with idp.down():
            clock.now += 3600
            await JwtVerifier(issuer=idp.issuer, audience=idp.audience, jwks_url=idp.jwks_url).verify_token(tokens[0])
    assert caplog.records
    for token in tokens:
        signature = token.rsplit(".", 1)[1]
        assert token not in caplog.text
        assert signature not in caplog.text
