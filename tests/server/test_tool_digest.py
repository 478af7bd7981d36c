"""A digest of every tool's input a reviewer can read: bounds, enums, defaults and required fields.

The tools/list snapshots hold tens of thousands of lines of JSON; a one-character bound change
(``maximum: 1000`` → ``10000``) is easy to miss there. The digest has one line per argument, so
the same change is a one-line diff of ``snapshots/tool_digest.txt``. ``UPDATE_SNAPSHOTS=1``
regenerates it. The invariant tests below pin the bounds that protect the account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linkedapi_mcp.actions import ACTIONS
from linkedapi_mcp.catalog import CATALOG, InvalidParamsError

from ..conftest import check_snapshot

SNAPSHOTS = Path(__file__).parent / "snapshots"
TOOLS_LIST = SNAPSHOTS / "tools_list.json"  # the whole catalog (test_tools_list.py keeps it current)
DIGEST = SNAPSHOTS / "tool_digest.txt"

_BOUNDS = [
    ("minimum", ">="),
    ("exclusiveMinimum", ">"),
    ("maximum", "<="),
    ("exclusiveMaximum", "<"),
    ("minLength", "len>="),
    ("maxLength", "len<="),
    ("minItems", "items>="),
    ("maxItems", "items<="),
]


def _tools() -> list[dict[str, Any]]:
    return list(json.loads(TOOLS_LIST.read_text(encoding="utf-8")))


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        return {**defs[name], **{k: v for k, v in schema.items() if k != "$ref"}}, name
    return schema, None


def _facts(schema: dict[str, Any]) -> str:
    parts: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        parts.append("|".join(kind) if isinstance(kind, list) else str(kind))
    if "enum" in schema:
        parts.append("one of " + "|".join(json.dumps(v) for v in schema["enum"]))
    if "const" in schema:
        parts.append(f"= {json.dumps(schema['const'])}")
    parts += [f"{sign}{schema[key]}" for key, sign in _BOUNDS if key in schema]
    if "pattern" in schema:
        parts.append(f"pattern {schema['pattern']}")
    if "format" in schema:
        parts.append(f"format {schema['format']}")
    if "default" in schema:
        parts.append(f"default {json.dumps(schema['default'])}")
    return " ".join(parts)


def _lines(schema: dict[str, Any], defs: dict[str, Any], path: str, seen: tuple[str, ...]) -> list[str]:
    schema, ref = _resolve(schema, defs)
    if ref is not None and ref in seen:
        return [f"  {path}: (recursive {ref})"]
    seen = (*seen, ref) if ref else seen
    out: list[str] = []
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        facts = _facts(schema)
        out.append(f"  {path}: any of{f' ({facts})' if facts else ''}")
        for i, variant in enumerate(variants, 1):
            out += _lines(variant, defs, f"{path}<{i}>", seen)
        return out
    facts = _facts(schema)
    props: dict[str, Any] = schema.get("properties") or {}
    if path and (facts or not props):
        out.append(f"  {path}: {facts}".rstrip())
    if props:
        required = schema.get("required") or []
        if required:
            out.append(f"  {path or '(arguments)'} requires: {', '.join(required)}")
        if schema.get("additionalProperties") is not False:
            out.append(f"  {path or '(arguments)'} allows other keys")
        for name in sorted(props):
            out += _lines(props[name], defs, f"{path}.{name}" if path else name, seen)
    if isinstance(schema.get("items"), dict):
        out += _lines(schema["items"], defs, f"{path}[]", seen)
    return out


def digest(tools: list[dict[str, Any]]) -> str:
    blocks = []
    for tool in tools:
        hints = tool.get("annotations") or {}
        flags = " ".join(
            f"{name.removesuffix('Hint')}={json.dumps(hints.get(name))}"
            for name in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
        )
        schema = tool["inputSchema"]
        lines = [f"{tool['name']} [{flags}]"]
        lines += _lines(schema, schema.get("$defs") or {}, "", ())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def test_the_digest_of_every_tools_bounds_enums_and_required_fields_matches_the_committed_one() -> None:
    check_snapshot(DIGEST, digest(_tools()), "the tool digest (bounds, enums, required fields)")


# -- invariants of the bounds that protect the account --------------------------------------------


def _top_level(tool: dict[str, Any]) -> dict[str, Any]:
    return dict(tool["inputSchema"].get("properties") or {})


def test_every_tool_refuses_arguments_it_does_not_know_so_a_misspelt_safety_flag_is_never_ignored() -> None:
    for tool in _tools():
        assert tool["inputSchema"].get("additionalProperties") is False, tool["name"]


def test_every_result_count_a_model_can_ask_for_is_bounded_from_one_to_what_linked_api_allows() -> None:
    # An unbounded or zero limit would fetch (and count against the budgets) an arbitrary amount.
    biggest = max(
        int(m.le) for spec in ACTIONS.values() if "limit" in spec.params.model_fields
        for m in spec.params.model_fields["limit"].metadata if getattr(m, "le", None) is not None
    )
    limits = 0
    for tool in _tools():
        for name, prop in _top_level(tool).items():
            if name == "limit":
                limits += 1
                assert prop.get("type") == "integer", tool["name"]
                assert prop.get("minimum") == 1, tool["name"]
                assert 1 <= prop.get("maximum", 0) <= biggest, tool["name"]
    assert limits >= 10


@pytest.mark.parametrize(
    ("tool", "field", "arguments"),
    [
        ("send_message", "text", {"personUrl": "https://www.linkedin.com/in/jane"}),
        ("nv_send_message", "text", {"personUrl": "https://www.linkedin.com/in/jane", "subject": "Hi"}),
        ("send_connection_request", "note", {"personUrl": "https://www.linkedin.com/in/jane"}),
        ("comment_on_post", "text", {"postUrl": "https://www.linkedin.com/feed/update/urn:li:activity:1"}),
        ("create_post", "text", {}),
    ],
)
def test_text_sent_to_linkedin_on_the_users_behalf_is_never_empty(
    tool: str, field: str, arguments: dict[str, Any]
) -> None:
    [listed] = [t for t in _tools() if t["name"] == tool]
    assert _top_level(listed)[field].get("minLength", 0) >= 1
    with pytest.raises(InvalidParamsError):
        CATALOG[tool].parse({**arguments, field: ""})


def test_the_bounds_the_model_is_shown_are_the_bounds_the_server_enforces() -> None:
    # A maximum advertised in the schema but not checked would let a call past it reach Linked API.
    checked = 0
    for tool in _tools():
        op = CATALOG.get(tool["name"])
        if op is None:
            continue
        for name, prop in _top_level(tool).items():
            if prop.get("type") != "integer" or "maximum" not in prop:
                continue
            for value in (prop["maximum"] + 1, prop.get("minimum", 0) - 1):
                with pytest.raises(InvalidParamsError, match=name):
                    op.parse({name: value})
                checked += 1
    assert checked >= 20


def test_waiting_can_never_be_negative() -> None:
    for tool in _tools():
        wait = _top_level(tool).get("waitSeconds")
        if wait is not None:
            assert wait.get("minimum") == 0, tool["name"]
