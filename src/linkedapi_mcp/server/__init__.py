"""The MCP layer: catalog operations as typed tools, with durable, deduplicated workflow handles."""

from linkedapi_mcp.server.app import ServerState, build, build_server

__all__ = ["ServerState", "build", "build_server"]
