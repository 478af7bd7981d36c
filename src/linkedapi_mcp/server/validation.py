"""Validate ``tools/call`` arguments with the tool's own params model before anything else runs.

The SDK's own validation would answer with pydantic's full text (URLs, input echoes) and cannot
see ``extra="forbid"`` (SDK notes §1.2); this middleware answers with one short line per
problem instead, and nothing reaches Linked API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

from linkedapi_mcp.server.tools import ToolSpec


class ValidateArguments:
    """Server middleware (SDK notes §1.4): refuses bad arguments with an ``isError`` result."""

    def __init__(self, specs: Mapping[str, ToolSpec]) -> None:
        self._specs = specs

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and isinstance(ctx.params, Mapping):
            spec = self._specs.get(str(ctx.params.get("name")))
            arguments = ctx.params.get("arguments")
            if spec is not None:
                if arguments is None:
                    arguments = {}
                if not isinstance(arguments, Mapping):
                    problems = ["arguments must be a JSON object"]
                else:
                    problems = spec.check(arguments)
                if problems:
                    text = f"Invalid arguments for {spec.name}:\n" + "\n".join(f"- {p}" for p in problems)
                    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
        return await call_next(ctx)


__all__ = ["ValidateArguments"]
