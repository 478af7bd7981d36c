"""Keys for the vault: encryption at rest, keyed lookups, hashes of bearer secrets.

Nothing here is hand-made cryptography: Fernet (AES-128-CBC + HMAC-SHA256, from
``cryptography``) encrypts, HKDF derives one sub-key per purpose from the operator's
``LINKEDAPI_MCP_SECRET_KEY``, and HMAC-SHA256 / SHA-256 come from the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_SECRET_KEY_LENGTH = 32
_SALT = b"linkedapi-mcp/vault/v1"


class SecretKeyError(ValueError):
    """The configured secret key is missing, too short, or does not open the vault."""


def new_secret_key() -> str:
    """A fresh key for ``LINKEDAPI_MCP_SECRET_KEY`` (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(secret.encode())


class SecretBox:
    """Encrypts and authenticates the vault's secrets with keys derived from one operator secret."""

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise SecretKeyError(
                f"LINKEDAPI_MCP_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters; "
                "make one with `linkedapi-mcp secret-key`."
            )
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"encrypt")))
        self._mac_key = _derive(secret_key, b"lookup")
        self._csrf_key = _derive(secret_key, b"csrf")
        # Seals the SDK's requestState (elicitation rounds on 2026-07-28): with one key on every
        # replica, an answer may come back to another replica than the one that asked.
        self.request_state_key = _derive(secret_key, b"request-state")

    def encrypt(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, ciphertext: str) -> bytes:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii"))
        except InvalidToken:
            raise SecretKeyError(
                "The vault was written with another LINKEDAPI_MCP_SECRET_KEY: set the key it was created with."
            ) from None

    def lookup(self, purpose: str, value: str) -> str:
        """A keyed, non-reversible identifier for a secret (e.g. which principal owns a Linked API
        token): without the operator's key, a leaked vault does not even confirm a guessed token."""
        return hmac.new(self._mac_key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, *parts: str) -> str:
        return hmac.new(self._csrf_key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def bearer_hash(token: str) -> str:
    """What the vault stores of an access token, refresh token, API key or authorization code.

    A plain SHA-256 is right here (not a slow password hash): these are 256-bit random strings
    the server made, so there is nothing to brute-force, and every request must look one up.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def random_token(prefix: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(32)}"


__all__ = ["SecretBox", "SecretKeyError", "bearer_hash", "new_secret_key", "random_token"]
