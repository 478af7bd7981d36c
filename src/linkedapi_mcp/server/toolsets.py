"""Which tools a server exposes: toolsets, read-only mode and the tool mode (core / full).

One :class:`Exposure` decides for registration, for the disclosure tools (``describe_operation``
/ ``run_operation``), for the call-time gate in :mod:`.validation` and for ``linkedapi-mcp tools``,
so what a client sees and what the server lets through cannot drift apart (github-mcp-server's
rule: the read-only filter is applied before toolsets and wins over them).

Tool modes (issue 11). ``full`` lists every enabled operation as a plain, typed tool (within the
40 KB listing budget, tests/server/test_context_budget.py). ``core`` is progressive disclosure:
only the most used operations are plain tools; every other *enabled* operation stays reachable
and typed through ``describe_operation`` (its full input schema) and ``run_operation`` (validated
by the same params model, same envelope, same waiting / dedupe / confirmation path). ``auto``
(the default) is ``full``, except for clients known to cap how many tools they accept, which get
``core`` (:data:`CAPPED_CLIENTS`, decided per session from ``clientInfo.name``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from linkedapi_mcp.server import listing

if TYPE_CHECKING:
    from linkedapi_mcp.settings import Settings

ToolMode = Literal["auto", "core", "full"]
# The catalog's `Toolset` names, read from the listing artifact (server/listing.py, checked
# against the catalog by a test) so that deciding what a server exposes imports no catalog model.
TOOLSETS: tuple[str, ...] = listing.toolsets()
# [INFERRED] everything but custom workflows: a custom workflow can run any action, so it is
# opt-in. There are no admin tools in this server (no account disconnect, billing or token
# regeneration), so there is nothing admin to leave off.
DEFAULT_TOOLSETS: tuple[str, ...] = tuple(t for t in TOOLSETS if t != "workflows")
NO_LINKED_API = (
    "no Linked API account is configured (LINKED_API_TOKEN and IDENTIFICATION_TOKEN); this server runs "
    "Captain Data only"
)
HANDLE_TOOLS: tuple[str, ...] = ("get_workflow_result", "cancel_workflow", "list_workflows")
DESCRIBE_TOOL = "describe_operation"
RUN_TOOL = "run_operation"
DISCLOSURE_TOOLS: tuple[str, ...] = (DESCRIBE_TOOL, RUN_TOOL)

# [INFERRED] The core set: the operations a sales / recruiting agent reaches for first (look a
# person or company up, search, read and answer messages, connect, engage with a post), chosen to fit the 25 KB
# budget together with the handle and disclosure tools (tests/server/test_context_budget.py).
CORE_TOOLS: frozenset[str] = frozenset(
    {
        "fetch_person",
        "search_people",
        "fetch_company",
        "search_companies",
        "get_inbox",
        "get_conversation",
        "send_message",
        "send_connection_request",
        "check_connection_status",
        "retrieve_connections",
        "fetch_post",
        "comment_on_post",
        "react_to_post",
        "get_account_info",
        # Not an operation: the action catalogue, listed wherever custom workflows are enabled.
        "list_workflow_actions",
    }
)

# [INFERRED] Clients known to cap the number of tools they accept, by a marker of their
# ``clientInfo.name`` (lower case, substring, as server/timing.py matches names). Cursor stops at
# 40 tools across all servers and drops the rest without telling the model; Windsurf stops at
# 100 across all servers, so a 51-tool server leaves little room for any other. A capped client
# gets ``core``: 19 listed tools, every other operation through describe_/run_operation.
# VS Code (128) and Claude clients do not cap this low and get every tool.
CAPPED_CLIENTS: tuple[str, ...] = ("cursor", "windsurf", "codeium")


def capped_client(client_name: str | None) -> bool:
    """The client is known to cap its tool count (it gets the core listing in ``auto`` mode)."""
    name = (client_name or "").strip().lower()
    return any(marker in name for marker in CAPPED_CLIENTS)


class ToolsetError(ValueError):
    """A toolset list that names an unknown toolset."""


def parse_toolsets(spec: str | Iterable[str] | None) -> frozenset[str]:
    """``"people,messaging"`` / ``"all"`` / ``"default"`` / None (the default) → toolset names."""
    if spec is None:
        return frozenset(DEFAULT_TOOLSETS)
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = {item.strip().lower() for item in items if item.strip()}
    chosen: set[str] = set()
    for name in names:
        if name == "all":
            chosen.update(TOOLSETS)
        elif name == "default":
            chosen.update(DEFAULT_TOOLSETS)
        elif name in TOOLSETS:
            chosen.add(name)
        else:
            raise ToolsetError(f"unknown toolset '{name}'; choose from {', '.join(TOOLSETS)}, all or default")
    return frozenset(chosen)


@dataclass(frozen=True)
class Exposure:
    """The enabled toolsets, read-only mode and tool mode of one server."""

    toolsets: frozenset[str] = frozenset(DEFAULT_TOOLSETS)
    read_only: bool = False
    mode: ToolMode = "auto"
    # Tools of an optional backend (server/captaindata.py), listed plainly in every mode: they
    # are not catalog operations, so describe_/run_operation cannot reach them.
    extras: frozenset[str] = frozenset()
    # False on a Captain Data-only server (captaindata_settings.captaindata_only): no Linked API
    # account, so its operations are not enabled (the handle tools are).
    linked_api: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> Exposure:
        from linkedapi_mcp.server.captaindata_settings import TOOL_NAMES, captaindata_only, enabled

        return cls(
            toolsets=parse_toolsets(settings.toolsets),
            read_only=settings.read_only,
            mode=settings.tool_mode,
            extras=frozenset(TOOL_NAMES) if enabled(settings) else frozenset(),
            linked_api=not captaindata_only(settings),
        )

    def for_client(self, client_name: str | None) -> Exposure:
        """What one client session sees: ``auto`` becomes ``core`` for a capped client, else ``full``."""
        if self.mode != "auto":
            return self
        return replace(self, mode="core" if capped_client(client_name) else "full")

    def as_core(self) -> Exposure:
        return replace(self, mode="core")

    def refusal(self, name: str) -> str | None:
        """Why the operation or handle tool ``name`` is not enabled here (None: it is enabled).

        Read-only mode is checked first and wins over any toolset choice. Unknown names are
        not this function's business (None): the SDK answers "Unknown tool".
        """
        if name == listing.LIST_ACTIONS:
            # Listed exactly where the custom workflows it describes can run.
            return self.refusal("execute_custom_workflow")
        op = listing.operations().get(name)  # the catalog's toolset and effect, without its models
        if op is None:
            if name == "cancel_workflow" and self.read_only:
                # [INFERRED] cancelling may stop an account-changing workflow another process
                # started: read-only means nothing changes, so it goes too.
                return "read-only mode is on (only tools that read are enabled)"
            return None
        if not self.linked_api:
            return NO_LINKED_API
        if self.read_only and op.effect != "read":
            return "read-only mode is on (only tools that read are enabled)"
        if op.toolset not in self.toolsets:
            return f"its toolset '{op.toolset}' is not enabled (--toolsets / LINKEDAPI_MCP_TOOLSETS)"
        return None

    def enabled(self, name: str) -> bool:
        return self.refusal(name) is None

    def plain(self, name: str) -> bool:
        """Registered as a plain tool (listed in ``tools/list``)."""
        if not self.enabled(name):
            return False
        if name in HANDLE_TOOLS or name in self.extras or self.mode != "core":
            return True
        return name in CORE_TOOLS

    def disclosed(self, names: Iterable[str]) -> list[str]:
        """The enabled operations among ``names`` reachable only through the disclosure tools."""
        return [n for n in names if n not in HANDLE_TOOLS and self.enabled(n) and not self.plain(n)]

    def notice(self) -> str:
        """One line for the server instructions and the CLI."""
        sets = ", ".join(t for t in TOOLSETS if t in self.toolsets) or "none"
        text = f"Enabled toolsets: {sets}."
        if self.read_only:
            text += " READ-ONLY MODE: tools that change the account are disabled."
        if not self.linked_api:
            text += " No Linked API account: Captain Data tools only."
        return text


def describe_description(areas: str) -> str:
    """describe_operation's description (server/disclosure.py; the listing artifact fills it in too)."""
    return (
        f"The description and input schema of an operation not listed as a tool (areas: {areas}); then call {RUN_TOOL}."
    )


def not_enabled_text(name: str, reason: str) -> str:
    return f"[toolNotEnabled] {name} is not enabled: {reason}. Nothing was sent."


__all__ = [
    "CAPPED_CLIENTS",
    "CORE_TOOLS",
    "DEFAULT_TOOLSETS",
    "DESCRIBE_TOOL",
    "DISCLOSURE_TOOLS",
    "HANDLE_TOOLS",
    "NO_LINKED_API",
    "RUN_TOOL",
    "TOOLSETS",
    "Exposure",
    "ToolMode",
    "ToolsetError",
    "capped_client",
    "describe_description",
    "not_enabled_text",
    "parse_toolsets",
]
