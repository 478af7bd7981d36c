"""Fixtures for the hosted (HTTP, authorization) tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .idp import IdentityProvider
from .kit import close_opened
from .oauth_live import ENV_VARS, OAuthLive, chromium_path, serve_oauth


@pytest.fixture(autouse=True)
def _close_hosted_stores() -> Iterator[None]:
    yield
    close_opened()


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    """A test identity provider serving its JWKS on a loopback port (see ``idp.py``)."""
    provider = IdentityProvider()
    try:
        yield provider
    finally:
        provider.close()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's executable for the browser tests (``CHROMIUM_PATH``, default Debian's
    ``/usr/bin/chromium``); missing, the test fails in CI and is skipped elsewhere."""
    return chromium_path()


@pytest.fixture
def oauth_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OAuthLive]:
    """The hosted server with the built-in OAuth authorization server on a loopback port, over a
    sandbox that accepts only ``OAuthLive.linked_api_token`` / ``identification_token`` (see
    ``oauth_live.py``). No token in the environment."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    with serve_oauth(tmp_path) as live:
        yield live
