"""``linkedapi-mcp webhooks setup`` run again, or for a new address, against the sandbox's Admin API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkedapi_mcp.sandbox import Sandbox, ServerThread
from linkedapi_mcp.server.webhook_setup import SetupError, setup

TOKEN = "lat-team-123456"


@pytest.fixture
def live() -> Iterator[ServerThread]:
    with ServerThread(Sandbox(seed=42, speed=0)) as running:
        yield running


def test_running_setup_again_keeps_the_subscription_and_its_secret(live: ServerThread) -> None:
    first = setup(live.base_url, TOKEN, "https://mcp.example.com")
    again = setup(live.base_url, TOKEN, "https://mcp.example.com/")
    assert again == first  # the replicas' configured secret stays valid


def test_a_subscription_for_another_address_is_replaced_only_when_asked(live: ServerThread) -> None:
    first = setup(live.base_url, TOKEN, "https://old.example.com")
    with pytest.raises(SetupError, match=r"already delivers webhooks to https://old\.example\.com/webhooks/linkedapi"):
        setup(live.base_url, TOKEN, "https://mcp.example.com")
    replaced = setup(live.base_url, TOKEN, "https://mcp.example.com", replace=True)
    assert replaced != first
    assert setup(live.base_url, TOKEN, "https://mcp.example.com") == replaced
