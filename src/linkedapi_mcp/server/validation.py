"""Gate and validate ``tools/call`` before anything else runs.

1. **Exposure** (server/toolsets.py): a tool that read-only mode or the toolset choice disabled
   is refused by name even though it is not listed (a client may call a name it remembers), with
   an ``isError`` "not enabled" result and no upstream request. In core tool mode an enabled
   operation that is not listed is still callable by its own name: the call is handed to
   ``run_operation`` (so a confirmation preview that says "call send_message again" works).
2. **Arguments**: validated with the tool's own params model (for ``run_operation``, the named
   operation's). The SDK's own validation would answer with pydantic's full text (URLs, input
   echoes) and cannot see ``extra="forbid"`` (SDK notes §1.2); this answers with one short line
   per problem instead, and nothing reaches Linked API.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent

from linkedapi_mcp.hosted.accounts import ACCOUNT_ARGUMENT, selected_account
from linkedapi_mcp.server import listing
from linkedapi_mcp.server.toolsets import DESCRIBE_TOOL, RUN_TOOL, Exposure, not_enabled_text

if TYPE_CHECKING:
    from linkedapi_mcp.hosted.accounts import AccountDirectory
    from linkedapi_mcp.server.tools import ToolSpec


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class ValidateArguments:
    """Server middleware (SDK notes §1.4): refuses disabled tools and bad arguments with ``isError``.

    ``specs`` holds every operation and handle tool of the catalog (enabled or not) plus the
    disclosure tools of this server; ``exposure`` says which are enabled and which are listed.
    It is looked up only for ``tools/call`` (the server passes a mapping built on first use).
    """

    def __init__(
        self,
        specs: Mapping[str, ToolSpec],
        exposure: Exposure | None = None,
        *,
        accounts: AccountDirectory | None = None,
    ) -> None:
        self._specs = specs
        self._exposure = exposure or Exposure(mode="full")
        self._accounts = accounts

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and isinstance(ctx.params, Mapping):
            ctx = _canonical_names(ctx, self._specs)
            assert isinstance(ctx.params, Mapping)
            name = str(ctx.params.get("name"))
            spec = self._specs.get(name)
            if spec is not None:
                if "arguments" in ctx.params and ctx.params["arguments"] is None:
                    # An explicit null is not "no arguments": refuse it rather than run the tool
                    # with nothing (an unfiltered search). Leave `arguments` out, or send {}.
                    return _error(
                        f"Invalid arguments for {name}:\n- arguments must be a JSON object "
                        "(leave it out or send {} when there are none), not null"
                    )
                arguments = ctx.params.get("arguments")
                if arguments is None:
                    arguments = {}
                if self._accounts is not None and isinstance(arguments, Mapping) and ACCOUNT_ARGUMENT in arguments:
                    # Named accounts (hosted/accounts.py): `account` chooses one of the caller's
                    # own; it is not part of any operation's model.
                    chosen = arguments[ACCOUNT_ARGUMENT]
                    names = self._accounts.names()
                    if chosen not in names:
                        listed = ", ".join(names) or "none connected"
                        return _error(f"Invalid arguments for {name}:\n- account: must be one of: {listed}")
                    arguments = {k: v for k, v in arguments.items() if k != ACCOUNT_ARGUMENT}
                    ctx = dataclasses.replace(ctx, params={**dict(ctx.params), "arguments": arguments})
                    selected_account.set(str(chosen))
                if name not in (RUN_TOOL, DESCRIBE_TOOL):
                    reason = self._exposure.refusal(name)
                    if reason is not None:
                        return _error(not_enabled_text(name, reason))
                    if not self._exposure.plain(name) and RUN_TOOL in self._specs:
                        # Enabled but not listed (core mode): run it as run_operation would.
                        inner = {"name": name, "arguments": arguments}
                        params = {**dict(ctx.params or {}), "name": RUN_TOOL, "arguments": inner}
                        ctx = dataclasses.replace(ctx, params=params)
                        spec, arguments = self._specs[RUN_TOOL], params["arguments"]
                problem = self._check(spec, arguments)
                if problem is not None:
                    return _error(problem)
                if isinstance(arguments, Mapping) and any(v is None for v in arguments.values()):
                    # null means "not given" to the params models; the SDK's own argument model
                    # would refuse it where a default exists (limit: null) with pydantic's full text.
                    given = {k: v for k, v in arguments.items() if v is not None}
                    ctx = dataclasses.replace(ctx, params={**dict(ctx.params or {}), "arguments": given})
        result = await call_next(ctx)
        if ctx.method == "tools/call" and self._exposure.mode == "auto":
            view = self._exposure.for_client(_client_name(ctx))
            if view.mode == "core":
                return _hints_for(view, result)
        return result

    def _check(self, spec: ToolSpec, arguments: Any) -> str | None:
        if not isinstance(arguments, Mapping):
            return f"Invalid arguments for {spec.name}:\n- arguments must be a JSON object"
        target = arguments.get("name")
        if spec.name in (RUN_TOOL, DESCRIBE_TOOL) and isinstance(target, str):
            # The named operation must exist and be enabled (checked before the name's enum, so a
            # disabled operation is reported as such, not as "not one of ...").
            from linkedapi_mcp.catalog import CATALOG  # the specs are built by now: no extra cost

            if target not in CATALOG:
                return unknown_operation_text(target)
            reason = self._exposure.refusal(target)
            if reason is not None:
                return not_enabled_text(target, reason)
        problems = spec.check(arguments)
        if problems:
            return f"Invalid arguments for {spec.name}:\n" + "\n".join(f"- {p}" for p in problems)
        if spec.name == RUN_TOOL and isinstance(target, str) and target in self._specs:
            inner = arguments.get("arguments")
            if isinstance(inner, str):  # some clients send objects JSON-encoded; the SDK decodes them
                with contextlib.suppress(ValueError):
                    inner = json.loads(inner)
            return self._check(self._specs[target], {} if inner is None else inner)
        return None


_CALL = re.compile(r"\b([Cc]all) ([a-z][a-z_]*[a-z])\b")


def _client_name(ctx: ServerRequestContext[Any, Any]) -> str | None:
    try:
        info = ctx.session.client_params.client_info  # type: ignore[union-attr]
    except Exception:
        return None
    return str(info.name) if info is not None and info.name else None


def _hints_for(view: Exposure, result: HandlerResult) -> HandlerResult:
    """Issue 11: a capped client's session sees the core listing, where a hint to "call X" for an
    operation X that is not listed there must name the tool that is: run_operation with X's name.
    ``result`` is the handler's answer: the wire dict, or a ``CallToolResult``."""

    def rewrite(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            tool = match.group(2)
            if tool not in listing.operations() or view.plain(tool) or not view.enabled(tool):
                return match.group(0)
            return f'{match.group(1)} {RUN_TOOL}(name="{tool}", arguments=…)'

        return _CALL.sub(one, text)

    if isinstance(result, dict):
        out = dict(result)
        blocks = result.get("content")
        if isinstance(blocks, list):
            out["content"] = [
                {**b, "text": rewrite(b["text"])} if isinstance(b, dict) and isinstance(b.get("text"), str) else b
                for b in blocks
            ]
        data = result.get("structuredContent")
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            out["structuredContent"] = {**data, "message": rewrite(data["message"])}
        return out
    if not isinstance(result, CallToolResult):
        return result
    content = [
        block.model_copy(update={"text": rewrite(block.text)}) if isinstance(block, TextContent) else block
        for block in result.content
    ]
    structured = result.structured_content
    if isinstance(structured, dict) and isinstance(structured.get("message"), str):
        structured = {**structured, "message": rewrite(structured["message"])}
    return result.model_copy(update={"content": content, "structured_content": structured})


_NAME_ARGUMENT = {RUN_TOOL: "name", DESCRIBE_TOOL: "name"}
_OPERATION_NAME_TOOLS = ("get_workflow_result", "list_workflows")


def _canonical_names(
    ctx: ServerRequestContext[Any, Any], specs: Mapping[str, ToolSpec]
) -> ServerRequestContext[Any, Any]:
    """Both name forms wherever a name is taken (issue 11): results say ``nvSearchPeople`` (Linked
    API's operationName), tools are ``nv_search_people``. A tool name, describe_/run_operation's
    ``name`` and an ``operationName`` filter are each turned into the form the tool expects."""
    params = dict(ctx.params or {})
    name = str(params.get("name"))
    changed = False
    if name not in specs:
        tool = tool_name(name)
        if tool is not None and tool in specs:
            params["name"], name, changed = tool, tool, True
    arguments = params.get("arguments")
    if isinstance(arguments, Mapping):
        if name in _NAME_ARGUMENT and isinstance(arguments.get("name"), str):
            tool = tool_name(arguments["name"])
            if tool is not None and tool != arguments["name"]:
                params["arguments"], changed = {**arguments, "name": tool}, True
        elif name in _OPERATION_NAME_TOOLS and isinstance(arguments.get("operationName"), str):
            operation = operation_name(arguments["operationName"])
            if operation is not None and operation != arguments["operationName"]:
                params["arguments"], changed = {**arguments, "operationName": operation}, True
    return dataclasses.replace(ctx, params=params) if changed else ctx


def tool_name(name: str) -> str | None:
    """The catalog tool name for ``name`` in either form (``nvSearchPeople`` / ``nv_search_people``)."""
    from linkedapi_mcp.catalog import CATALOG

    if name in CATALOG:
        return name
    for op in CATALOG.values():
        if op.name == name:
            return op.tool
    return None


def operation_name(name: str) -> str | None:
    """The Linked API operationName for ``name`` in either form."""
    from linkedapi_mcp.catalog import CATALOG

    tool = tool_name(name)
    return CATALOG[tool].name if tool is not None else None


def unknown_operation_text(name: str) -> str:
    """No tool named here: the nearest operation names instead (every listed mode can call them)."""
    import difflib

    from linkedapi_mcp.catalog import CATALOG

    near = difflib.get_close_matches(name, list(CATALOG), n=3, cutoff=0.8)
    hint = f" Did you mean {' or '.join(near)}?" if near else ""
    return f"[unknownOperation] '{name}' is not an operation.{hint} Nothing was sent."


__all__ = ["ValidateArguments", "operation_name", "tool_name", "unknown_operation_text"]
