"""Issue 12 point 10: property-based tests from each tool's published input schema.

For every operation tool, Hypothesis draws arguments from the tool's own ``inputSchema`` (as
``tools/list`` publishes it; LinkedIn URLs from the sandbox's samples mixed with arbitrary text)
and from mutations of them (a required argument dropped, an unknown one added, a value replaced
by one of the wrong type, whitespace-only or oversized text, deep nesting, null). Each is sent
through a real MCP client to the server on the sandbox, and:

* nothing crashes or hangs: every answer arrives within 30 s and is never the SDK's bare
  "Error executing tool X";
* an input the operation's model refuses is an ``isError`` with zero upstream requests;
* an input it accepts reaches the sandbox exactly once (an identical workflow call still in
  flight is deduplicated: zero), counted in the sandbox's request log.

The example budget is fixed and derandomized in CI (``LINKEDAPI_MCP_PROPERTY_EXAMPLES``, default
10 per tool); set it higher for the long mode by hand, e.g.
``LINKEDAPI_MCP_PROPERTY_EXAMPLES=400 pytest tests/server/test_hardening_properties.py``,
which also switches derandomization off (``LINKEDAPI_MCP_PROPERTY_SEED`` pins a seed).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import Implementation

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.app import build
from linkedapi_mcp.settings import Settings

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("LINKEDAPI_MCP_PROPERTY_EXAMPLES", "10"))
LONG_MODE = "LINKEDAPI_MCP_PROPERTY_EXAMPLES" in os.environ
PINNED_SEED = os.environ.get("LINKEDAPI_MCP_PROPERTY_SEED")

# Arguments of the server, not of the operation: always set (no waiting) or left out.
SERVER_ARGUMENTS = ("waitSeconds", "confirmationId", "account")
# Reads that may start a sync workflow first (more than one request when valid).
SYNC_FIRST = {"get_conversation", "nv_get_conversation"}
TOOLS = sorted(CATALOG)


def url_pool(samples: dict[str, Any]) -> dict[str, list[str]]:
    people = samples["personUrls"][:3] + samples["connectionUrls"][:3] + samples["hashedPersonUrls"][:1]
    return {
        "personUrl": people + samples["nvPersonUrls"][:1],
        "personHashedUrl": samples["nvPersonUrls"][:2] + samples["hashedPersonUrls"][:1],
        "companyUrl": samples["companyUrls"][:3],
        "companyHashedUrl": samples["nvCompanyUrls"][:2] + samples["companyUrls"][:1],
        "postUrl": samples["postUrls"][:3],
        "postUrn": samples["postUrns"][:3],
        "jobUrl": samples["jobUrls"][:3],
        "commentUrl": samples["commentUrls"][:3],
        "newsletterUrl": samples["newsletterUrls"][:2],
        "threadId": samples["threadIds"][:2],
        "customSearchUrl": ["https://www.linkedin.com/search/results/people/?keywords=engineer"],
    }


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


class SchemaStrategies:
    """Hypothesis strategies for JSON values of a (pydantic-generated) JSON schema."""

    def __init__(self, schema: dict[str, Any], urls: dict[str, list[str]]) -> None:
        self.defs = schema.get("$defs", {})
        self.urls = urls

    def of(self, schema: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
        if "$ref" in schema:
            return self.of(self.defs[schema["$ref"].rsplit("/", 1)[-1]], name)
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                return st.one_of([self.of(branch, name) for branch in schema[combinator]])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "const" in schema:
            return st.just(schema["const"])
        kind = schema.get("type")
        if kind == "string":
            low, high = schema.get("minLength", 0), min(schema.get("maxLength", 40), 40)
            text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=low, max_size=high)
            if name in self.urls:
                return st.one_of(st.sampled_from(self.urls[name]), text)
            if "date" in (schema.get("format") or "") or name in ("since", "start", "end"):
                return st.one_of(st.sampled_from(["2026-05-01T00:00:00Z", "2026-05-20T00:00:00Z", "2026-05-01"]), text)
            return text
        if kind == "integer":
            return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
        if kind == "number":
            return st.floats(schema.get("minimum", 0), schema.get("maximum", 10**6), allow_nan=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "array":
            items = self.of(schema.get("items", {}), name)
            return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3))
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            required = [p for p in schema.get("required", []) if p not in SERVER_ARGUMENTS]
            return st.fixed_dictionaries(
                {p: self.of(props[p], p) for p in required},
                optional={
                    p: self.of(s, p) for p, s in props.items() if p not in required and p not in SERVER_ARGUMENTS
                },
            )
        return st.none()


WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.sampled_from(["", "   ", "\n\t", "3", "true", "x" * 5000]),
    st.just([[[[[[[[[[[[["deep"]]]]]]]]]]]]]),
    st.just({"unexpected": {"nested": [1, 2, 3]}}),
    st.lists(TEXT, min_size=60, max_size=80),
)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    args = dict(draw(base))
    how = draw(st.sampled_from(["drop", "unknown", "wrong", "blank", "huge"]))
    if how == "drop" and args:
        del args[draw(st.sampled_from(sorted(args)))]
    elif how == "unknown":
        args[draw(st.sampled_from(["limitt", "personURL", "__proto__", "note ", "dryRun"]))] = draw(WRONG_VALUES)
    elif how in ("wrong", "blank", "huge") and args:
        key = draw(st.sampled_from(sorted(args)))
        args[key] = {"wrong": draw(WRONG_VALUES), "blank": " \u3000\n ", "huge": "h" * 300_000}[how]
    else:
        args["unexpected"] = draw(WRONG_VALUES)
    return args


def accepted(tool: str, args: dict[str, Any]) -> str | None:
    """The call's dedupe key as the server computes it, or None when the model refuses the call.

    The server's tool function receives every top-level argument with its default filled in (the
    SDK's argument model does that), so spelling out a top-level default (``unfollow: true``) is
    the same call; nested objects are compared as given.
    """
    op = CATALOG[tool]
    try:
        op.parse(args)
    except ValueError:
        return None
    filled: dict[str, Any] = {}
    for name, field in op.params.model_fields.items():
        if not field.is_required():
            default = field.get_default(call_default_factory=True)
            if default is not None:
                filled[name] = default
    filled.update({k: v for k, v in args.items() if v is not None})
    return json.dumps(op.parse(filled).wire(), sort_keys=True)


@pytest.fixture
async def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Client, Sandbox]]:
    monkeypatch.setenv("LINKEDAPI_MCP_TOOL_MODE", "full")
    monkeypatch.setenv("LINKEDAPI_MCP_BUDGETS", "off")  # a daily cap would refuse valid calls
    sandbox = Sandbox(seed=42, speed=0)
    server, _ = build(Settings(data_dir=tmp_path / "data", sandbox_speed=1000.0), sandbox=sandbox)
    async with Client(server, client_info=Implementation(name="hypothesis", version="1")) as client:
        yield client, sandbox


def upstream(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if not r.path.startswith("/_sandbox"))


@pytest.mark.parametrize("tool", TOOLS)
async def test_any_input_drawn_from_the_schema_or_mutated_is_answered_and_sent_only_when_valid(
    env: tuple[Client, Sandbox], tool: str
) -> None:
    client, sandbox = env
    listed = {t.name: t for t in (await client.list_tools()).tools}
    schema = listed[tool].input_schema
    strategies = SchemaStrategies(schema, url_pool(sandbox.samples()))
    valid_like = strategies.of(schema)
    assert isinstance(valid_like, st.SearchStrategy)
    seen: set[str] = set()
    waits = "waitSeconds" in schema.get("properties", {})
    # An identical workflow call while the first is still running (the sandbox clock is frozen)
    # returns that workflow: zero requests. Direct reads are read again every time.
    dedupes = CATALOG[tool].kind == "workflow"
    figures = {"tried": 0, "accepted": 0}

    async def call(args: dict[str, Any]) -> tuple[bool, str, int]:
        before = upstream(sandbox)
        with anyio.fail_after(30):
            result = await client.call_tool(tool, {**args, "waitSeconds": 0} if waits else args)
        text = "\n".join(getattr(block, "text", "") for block in result.content)
        return result.is_error, text, upstream(sandbox) - before

    def check(args: dict[str, Any]) -> None:
        is_error, text, sent = anyio.from_thread.run(call, args)
        figures["tried"] += 1
        assert text.strip() != f"Error executing tool {tool}", f"crash on {args!r}"
        assert "Traceback" not in text
        key = accepted(tool, args)
        if key is None:
            assert is_error, f"{tool} accepted what its model refuses: {args!r}"
            assert sent == 0, f"{tool} sent {sent} request(s) for refused input {args!r}"
            return
        figures["accepted"] += 1
        already = key in seen
        seen.add(key)  # before asserting: the server has it now, whatever this check concludes
        if tool in SYNC_FIRST:
            assert sent >= 1
        elif dedupes and already:
            assert sent == 0, f"{tool} re-sent an identical call still in flight {args!r}"
        else:
            assert sent == 1, f"{tool} sent {sent} request(s) for valid input {args!r}: {text[:300]}"

    budget = settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not LONG_MODE,
        database=None,
        # No shrinking: the server keeps state between examples (the ledger, in-flight workflows),
        # so the first failing example is the one to read, not a replay of a smaller one.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )

    def run() -> None:
        property_test = budget(given(st.one_of(valid_like, mutated(valid_like)))(check))
        if PINNED_SEED is not None:
            property_test = seed(int(PINNED_SEED))(property_test)
        property_test()

    await anyio.to_thread.run_sync(run)
    assert figures["tried"] >= min(EXAMPLES, 5)
    if LONG_MODE:
        print(f"{tool}: {figures['tried']} examples, {figures['accepted']} accepted")
