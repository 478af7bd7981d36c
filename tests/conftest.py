"""Shared pytest configuration: every async test runs on asyncio through anyio."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
