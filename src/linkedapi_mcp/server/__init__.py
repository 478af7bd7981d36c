"""The MCP layer: catalog operations as typed tools, with durable, deduplicated workflow handles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkedapi_mcp.server.app import ServerState, build, build_server

__all__ = ["ServerState", "build", "build_server"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing one submodule (`python -m linkedapi_mcp.server.listing`) does not
    # import the server and the SDK first.
    if name in __all__:
        from linkedapi_mcp.server import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
