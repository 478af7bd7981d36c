"""The two settings of the ``captaindata`` toolset (server/captaindata.py), importable at start-up
without the catalog, the clients or the ledger (tests/server/test_listing.py)."""

from __future__ import annotations

import functools
import os
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Captain Data API v3 (docs/captaindata.md); the client module keeps the same default.
DEFAULT_BASE_URL = "https://api.captaindata.co/v3"
# The toolset's tools (server/captaindata.py): listed plainly in every tool mode when enabled.
TOOL_NAMES: tuple[str, ...] = ("list_captaindata_workflows", "launch_captaindata_workflow")
# [INFERRED] CAPTAINDATA_API_KEY=sandbox (any project id) with no Linked API tokens: the built-in
# sandbox with its Captain Data emulator. Any other key without Linked API tokens is a real
# Captain Data key: the server runs Captain Data only (:func:`captaindata_only`).
SANDBOX_KEY = "sandbox"


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

    @property
    def sandbox(self) -> bool:
        """The key asks for the built-in sandbox's emulator (:data:`SANDBOX_KEY`)."""
        return self.api_key is not None and self.api_key.get_secret_value().strip().lower() == SANDBOX_KEY


_NAMES = ("CAPTAINDATA_API_KEY", "CAPTAINDATA_PROJECT_ID", "CAPTAINDATA_BASE_URL")


@functools.lru_cache(maxsize=8)
def _read(_values: tuple[str | None, ...]) -> CaptainDataSettings:
    return CaptainDataSettings()


def current() -> CaptainDataSettings:
    """The settings as the environment holds them now, read once per distinct value of the three
    variables: building a settings object costs about half a millisecond, and every tool call asks
    (server/app.py)."""
    return _read(tuple(os.environ.get(name) for name in _NAMES))


def enabled(settings: Any = None) -> bool:
    """The toolset is on when both settings are given (against the sandbox any values do).
    ``settings`` (the server's) is accepted for symmetry; the two values come from the environment."""
    return current().enabled


# Appended to the server instructions of a Captain Data-only server (server/app.py).
ONLY_INSTRUCTIONS = (
    "\n\nThis server runs Captain Data only: no Linked API account is configured, so none of Linked API's "
    "tools is enabled. Call list_captaindata_workflows, then launch_captaindata_workflow; get_workflow_result, "
    "list_workflows and cancel_workflow take its cd-… handles."
)


def captaindata_only(settings: Any) -> bool:
    """A Captain Data-only server: a real Captain Data key and project, and no Linked API account
    (no tokens, no accounts file). [INFERRED] Its Linked API tools are hidden rather than run on
    the built-in sandbox: a user who set up Captain Data alone expects every tool to act on real
    data, and a model must not mistake a synthetic message for a sent one. Hosted HTTP (accounts
    from the vault) is decided by server/app.py's build, which knows whether it is hosted."""
    config = current()
    return (
        config.enabled
        and not config.sandbox
        and bool(settings.uses_sandbox)
        and getattr(settings, "accounts_file", None) is None
    )


__all__ = [
    "DEFAULT_BASE_URL",
    "ONLY_INSTRUCTIONS",
    "SANDBOX_KEY",
    "TOOL_NAMES",
    "CaptainDataSettings",
    "captaindata_only",
    "current",
    "enabled",
]
