"""The cold-start floor: a trivial one-tool MCPServer over stdio (same SDK, nothing else)."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("floor")


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text


if __name__ == "__main__":
    server.run()
