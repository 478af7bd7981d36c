"""The floor: a trivial one-tool MCPServer over stdio (same SDK, nothing else).

``python floor_server.py`` serves it with the SDK's own ``run()`` (the cold-start floor);
``--our-stdio`` serves it on this server's stdio transport instead (``server/stdio.py``: the event
loop's pipes), so the per-call overhead benchmark can subtract the SDK's dispatch on the very
transport ours uses.
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("floor")


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text


if __name__ == "__main__":
    if "--our-stdio" in sys.argv[1:]:
        import anyio

        from linkedapi_mcp.server.stdio import run_stdio

        anyio.run(run_stdio, server)
    else:
        server.run()
