"""Fixtures shared by the catalog tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from linkedapi_mcp.client import LinkedApiClient
from linkedapi_mcp.sandbox import Sandbox


@pytest.fixture
def client_for() -> Callable[[Sandbox], LinkedApiClient]:
    """Build a Linked API client that talks to a sandbox in-process, with stand-in tokens."""

    def make(sandbox: Sandbox) -> LinkedApiClient:
        return LinkedApiClient(
            linked_api_token="test-linked-api-token",
            identification_token="test-identification-token",
            base_url=sandbox.base_url,
            transport=sandbox.transport(),
        )

    return make
