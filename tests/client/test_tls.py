"""One TLS context per process (client/tls.py): a hosted server keeps an upstream client per
connected account, and httpx would otherwise load the CA bundle for each (~40 ms and ~0.8 MB)."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from linkedapi_mcp.client import LinkedApiClient, tls
from linkedapi_mcp.client.captaindata import CaptainDataClient
from linkedapi_mcp.client.transport import HttpApiClient

pytestmark = pytest.mark.anyio


def context_of(client: HttpApiClient) -> Any:
    # httpx 0.28 / httpcore 1.0: the default transport's connection pool holds the TLS context.
    return client._http._transport._pool._ssl_context  # type: ignore[attr-defined]


async def test_clients_for_many_accounts_and_backends_share_one_verifying_tls_context() -> None:
    clients: list[HttpApiClient] = [
        LinkedApiClient(linked_api_token=f"tok-{i}", identification_token=f"id-{i}", base_url="https://api.invalid")
        for i in range(3)
    ]
    clients.append(CaptainDataClient(api_key="cd-key", project_id="cd-project", base_url="https://cd.invalid"))
    try:
        shared = tls.context()
        assert all(context_of(client) is shared for client in clients)
        # httpx's defaults, built once: certificates verified, host names checked.
        assert shared.verify_mode == ssl.CERT_REQUIRED
        assert shared.check_hostname
    finally:
        for client in clients:
            await client.aclose()
