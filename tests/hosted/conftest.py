"""Fixtures for the hosted (HTTP, authorization) tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .idp import IdentityProvider


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    """A test identity provider serving its JWKS on a loopback port (see ``idp.py``)."""
    provider = IdentityProvider()
    try:
        yield provider
    finally:
        provider.close()
