"""Server configuration from the environment (and CLI flags, which override it).

Token names match the official `@linkedapi/mcp` server (contract §9.2) so an existing client
configuration works unchanged. Every other knob carries the ``LINKEDAPI_MCP_`` prefix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.linkedapi.io"


class ConfigurationError(Exception):
    """The configuration cannot work (e.g. only one of the two tokens is set)."""


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


def _unsendable_position(token: str) -> int | None:
    """1-based position of the first character a header value cannot carry (tokens are visible ASCII)."""
    for i, ch in enumerate(token, start=1):
        if not ("!" <= ch <= "~"):
            return i
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    linked_api_token: SecretStr | None = Field(None, validation_alias=_env("LINKED_API_TOKEN", "linked_api_token"))
    identification_token: SecretStr | None = Field(
        None, validation_alias=_env("IDENTIFICATION_TOKEN", "identification_token")
    )
    base_url: str = Field(DEFAULT_BASE_URL, validation_alias=_env("LINKED_API_BASE_URL", "base_url"))
    data_dir: Path | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_DATA_DIR", "data_dir"))
    # PostgreSQL for replicas (server/db.py); unset = SQLite files in the data directory.
    database_url: SecretStr | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_DATABASE_URL", "database_url"))
    # How long a ledger call waits for another process's lock (SQLite) or a connection (PostgreSQL)
    # before the tool call explains the fault (server/storage_faults.py).
    ledger_timeout_seconds: float = Field(
        10.0, gt=0, validation_alias=_env("LINKEDAPI_MCP_LEDGER_TIMEOUT_SECONDS", "ledger_timeout_seconds")
    )

    # Waiting inside a workflow tool call. `wait_seconds` replaces the per-client default budget
    # (client time-out − margin); `max_wait_seconds` caps every budget, including `waitSeconds`.
    wait_seconds: float | None = Field(None, ge=0, validation_alias=_env("LINKEDAPI_MCP_WAIT_SECONDS", "wait_seconds"))
    max_wait_seconds: float = Field(
        595.0, ge=0, validation_alias=_env("LINKEDAPI_MCP_MAX_WAIT_SECONDS", "max_wait_seconds")
    )
    # Status GETs per workflow (server/timing.py): at most one per this many seconds of its life,
    # counted from its start. 5 = the official server's rate, so never more GETs than it; lower buys
    # a smaller result lag with more GETs (docs/benchmarks.md, "the trade-off curve": 1 s gives
    # about 0.15x the lag of a fixed 5 s poll at about 2.2x its GETs). Webhook push (below) makes
    # polling a fallback whatever this is.
    poll_interval_seconds: float = Field(
        5.0, ge=0.5, le=60.0, validation_alias=_env("LINKEDAPI_MCP_POLL_INTERVAL_SECONDS", "poll_interval_seconds")
    )
    # Identical write calls within this window return the earlier handle instead of a new POST.
    dedupe_window_seconds: float = Field(
        600.0, ge=0, validation_alias=_env("LINKEDAPI_MCP_DEDUPE_WINDOW_SECONDS", "dedupe_window_seconds")
    )

    # Which generation of the Linked API to speak (docs/account-api.md): today's /workflows, or the
    # Account API of the origin documents (POST /account/workflow) in its later (000) or earlier
    # (002) vocabulary. With the Account API, reslink is used for every start; "long-reads" lets
    # workflows that only read hold the start answer until they end (client/account_api.py says why
    # account-changing ones never do); "hook" has every result pushed to this server (needs
    # LINKEDAPI_MCP_PUBLIC_URL and LINKEDAPI_MCP_WEBHOOK_SECRET; server/account_hooks.py).
    api: Literal["workflows", "account", "account-002"] = Field(
        "workflows", validation_alias=_env("LINKEDAPI_MCP_API", "api")
    )
    account_result_handling: Literal["reslink", "long-reads", "hook"] = Field(
        "reslink", validation_alias=_env("LINKEDAPI_MCP_ACCOUNT_RESULT_HANDLING", "account_result_handling")
    )

    # The embedded sandbox (used when no token is configured).
    sandbox_seed: int = Field(42, validation_alias=_env("LINKEDAPI_MCP_SANDBOX_SEED", "sandbox_seed"))
    # [INFERRED] 10× makes a plain fetch (~30 s of simulated time) finish in about 3 s of wall time.
    sandbox_speed: float = Field(10.0, gt=0, validation_alias=_env("LINKEDAPI_MCP_SANDBOX_SPEED", "sandbox_speed"))

    # --- guards (server/guards.py): confirmation policy for account-changing tools when the client
    # cannot be asked (elicitation), and local action budgets ("stMessages=30/day,..." or "off").
    confirm: Literal["elicit-or-preview", "elicit-or-allow", "never"] = Field(
        "elicit-or-preview", validation_alias=_env("LINKEDAPI_MCP_CONFIRM", "confirm")
    )
    budgets: str | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_BUDGETS", "budgets"))

    # --- toolsets (server/toolsets.py): which tools are exposed. Toolsets "people,messaging" / "all"
    # (default: all but custom workflows); read-only wins over any toolset; tool mode full lists every
    # enabled operation, core the most used ones plainly and the rest through describe_operation /
    # run_operation, auto (default) full except for clients known to cap tool counts (core).
    toolsets: str | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_TOOLSETS", "toolsets"))
    read_only: bool = Field(False, validation_alias=_env("LINKEDAPI_MCP_READ_ONLY", "read_only"))
    tool_mode: Literal["auto", "core", "full"] = Field(
        "auto", validation_alias=_env("LINKEDAPI_MCP_TOOL_MODE", "tool_mode")
    )

    # --- hosted HTTP (hosted/): who may call, and where their accounts come from. `auth` unset
    # means "none" on a loopback address and a refusal to start on any other.
    auth: Literal["oauth", "jwt", "none"] | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_AUTH", "auth"))
    public_url: str | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_PUBLIC_URL", "public_url"))
    secret_key: SecretStr | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_SECRET_KEY", "secret_key"))
    jwt_issuer: str | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_JWT_ISSUER", "jwt_issuer"))
    jwt_jwks_url: str | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_JWT_JWKS_URL", "jwt_jwks_url"))
    jwt_audience: str | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_JWT_AUDIENCE", "jwt_audience"))
    host: str = Field("127.0.0.1", validation_alias=_env("HOST", "LINKEDAPI_MCP_HOST", "host"))
    port: int = Field(8000, ge=0, le=65535, validation_alias=_env("PORT", "LINKEDAPI_MCP_PORT", "port"))
    # Linked API webhook deliveries at /webhooks/linkedapi (server/webhooks.py): the signing
    # secret(s), comma-separated while one rotates. Unset: no webhook endpoint, polling only.
    webhook_secret: SecretStr | None = Field(
        None, validation_alias=_env("LINKEDAPI_MCP_WEBHOOK_SECRET", "webhook_secret")
    )
    # Named accounts on stdio / local HTTP (hosted/accounts.py): a TOML file of accounts.
    accounts_file: Path | None = Field(None, validation_alias=_env("LINKEDAPI_MCP_ACCOUNTS_FILE", "accounts_file"))

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "WARNING", validation_alias=_env("LINKEDAPI_MCP_LOG_LEVEL", "log_level")
    )

    @field_validator("linked_api_token", "identification_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # Client configs often carry `"LINKED_API_TOKEN": ""` as a placeholder: treat it as unset.
        # Whitespace around a pasted token (a trailing newline) is never part of it.
        if isinstance(value, str):
            return value.strip() or None
        return value

    @property
    def uses_sandbox(self) -> bool:
        """No token at all → the embedded sandbox. Exactly one token is an error (see :meth:`check`)."""
        return self.linked_api_token is None and self.identification_token is None

    def check(self) -> None:
        """Refuse a half configuration rather than silently running on the sandbox."""
        if self.budgets is not None:  # unset = the defaults, nothing to check (and no guards import at start)
            from linkedapi_mcp.server.guards import ConfigError, parse_budgets  # --- guards

            try:
                parse_budgets(self.budgets)
            except ConfigError as exc:
                raise ConfigurationError(f"LINKEDAPI_MCP_BUDGETS: {exc}") from None
        from linkedapi_mcp.server.toolsets import ToolsetError, parse_toolsets  # --- toolsets

        try:
            parse_toolsets(self.toolsets)
        except ToolsetError as exc:
            raise ConfigurationError(f"LINKEDAPI_MCP_TOOLSETS: {exc}") from None
        for env_name, secret in (
            ("LINKED_API_TOKEN", self.linked_api_token),
            ("IDENTIFICATION_TOKEN", self.identification_token),
        ):
            bad = _unsendable_position(secret.get_secret_value() if secret is not None else "")
            if bad is not None:
                # Says where, never what: the character may be part of the secret.
                raise ConfigurationError(
                    f"{env_name} has a character at position {bad} that cannot be sent in an HTTP header "
                    "(a space, a line break or a non-ASCII character such as a curly quote). Copy the "
                    "token again from the Linked API platform."
                )
        if self.api != "workflows" and self.account_result_handling == "hook":
            from linkedapi_mcp.server.account_hooks import client_options

            client_options(self)  # raises ConfigurationError without a public URL and a secret
        if (self.linked_api_token is None) != (self.identification_token is None):
            missing = "IDENTIFICATION_TOKEN" if self.identification_token is None else "LINKED_API_TOKEN"
            raise ConfigurationError(
                f"{missing} is not set. Set both LINKED_API_TOKEN and IDENTIFICATION_TOKEN to use your "
                "Linked API account, or neither to use the built-in sandbox."
            )

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        from platformdirs import user_data_dir  # lazily: only when the ledger is first opened

        return Path(user_data_dir("linkedapi-mcp", appauthor=False))
