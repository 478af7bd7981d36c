"""The two settings of the ``captaindata`` toolset (server/captaindata.py), importable at start-up
without the catalog, the clients or the ledger (tests/server/test_listing.py)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Captain Data API v3 (docs/captaindata.md); the client module keeps the same default.
DEFAULT_BASE_URL = "https://api.captaindata.co/v3"


class CaptainDataSettings(BaseSettings):
    """``CAPTAINDATA_API_KEY`` and ``CAPTAINDATA_PROJECT_ID`` enable the toolset against Captain Data;
    ``CAPTAINDATA_BASE_URL`` overrides the API base."""

    model_config = SettingsConfigDict(env_prefix="CAPTAINDATA_", extra="ignore")

    api_key: SecretStr | None = None
    project_id: str | None = None
    base_url: str = DEFAULT_BASE_URL

    @property
    def enabled(self) -> bool:
        return self.api_key is not None and bool(self.project_id)


def enabled(settings: Any = None) -> bool:
    """The toolset is on when both settings are given (against the sandbox any values do).
    ``settings`` (the server's) is accepted for symmetry; the two values come from the environment."""
    return CaptainDataSettings().enabled


__all__ = ["DEFAULT_BASE_URL", "CaptainDataSettings", "enabled"]
