"""A test identity provider: real key pairs, a JWKS served over loopback HTTP, and a token mint.

Use it through the ``idp`` fixture (``tests/hosted/conftest.py``); import the class for type hints
with ``from .idp import IdentityProvider`` (the tests run with ``--import-mode=importlib``, where
relative imports inside ``tests/`` work and ``tests.hosted...`` does not).

The provider signs with an RSA key (RS256) by default, and also holds an EC P-256 key (ES256).
:meth:`IdentityProvider.rotate` replaces the signing keys by new ones under new key ids, as a
provider's scheduled rotation does. ``available = False`` makes the JWKS endpoint answer ``503``;
``jwks_requests`` counts the fetches it has served (or refused).
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

AUDIENCE = "https://mcp.example.test/mcp"
JWKS_PATH = "/.well-known/jwks.json"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    def jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class IdentityProvider:
    """A running test identity provider; ``close()`` stops its HTTP server."""

    def __init__(self, *, audience: str = AUDIENCE) -> None:
        self.audience = audience
        self.available = True
        self.jwks_requests = 0
        self.published: list[SigningKey] = []
        self._kids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="test-idp", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.issuer = f"http://{host!s}:{port}"
        self.jwks_url = self.issuer + JWKS_PATH
        self.rsa, self.ec = self._new_keys()
        self.published = [self.rsa, self.ec]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- keys -----------------------------------------------------------------------------------

    def _new_keys(self) -> tuple[SigningKey, SigningKey]:
        n = next(self._kids)
        return (
            SigningKey(f"rsa-{n}", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            SigningKey(f"ec-{n}", "ES256", ec.generate_private_key(ec.SECP256R1())),
        )

    def rotate(self, *, keep_old: bool = False) -> None:
        """New signing keys under new ids; the old ones leave the JWKS unless ``keep_old``."""
        old = self.published
        self.rsa, self.ec = self._new_keys()
        self.published = [self.rsa, self.ec, *(old if keep_old else [])]

    @staticmethod
    def stranger_key() -> SigningKey:
        """A key the provider never published (to sign tokens nobody should accept)."""
        return SigningKey("rsa-1", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.published]}

    # -- tokens ---------------------------------------------------------------------------------

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Sensible claims for a token issued to this server; an override of None drops a claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": "user-1",
            "client_id": "test-client",
            "scope": "mcp",
            "iat": now,
            "exp": now + 3600,
            "jti": f"jti-{now}-{next(self._kids)}",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(self, *, key: SigningKey | None = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        """A signed token (RS256 by the current RSA key unless ``key`` says otherwise)."""
        key = key or self.rsa
        return jwt.encode(
            self.claims(**claims),
            key.private_key,
            algorithm=key.algorithm,
            headers={name: value for name, value in {"kid": key.kid, **(headers or {})}.items() if value is not None},
        )

    @staticmethod
    def forge(
        header: dict[str, Any], claims: dict[str, Any], signature: bytes | None = None, *, hmac_key: bytes = b""
    ) -> str:
        """An attacker's hand-made token: ``hmac_key`` signs it with HMAC-SHA256, else ``signature`` (or nothing)."""

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        if hmac_key:
            signature = hmac.new(hmac_key, signing_input.encode(), "sha256").digest()
        return f"{signing_input}.{b64(signature or b'')}"

    # -- HTTP -----------------------------------------------------------------------------------

    @contextmanager
    def down(self) -> Iterator[None]:
        """The JWKS endpoint answers 503 inside the block."""
        self.available = False
        try:
            yield
        finally:
            self.available = True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == JWKS_PATH:
                    with idp._lock:
                        idp.jwks_requests += 1
                    if not idp.available:
                        self._send(503, {"error": "temporarily_unavailable"})
                    else:
                        self._send(200, idp.jwks())
                elif self.path == "/.well-known/openid-configuration":
                    self._send(200, {"issuer": idp.issuer, "jwks_uri": idp.jwks_url})
                else:
                    self._send(404, {"error": "not_found"})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        return Handler
