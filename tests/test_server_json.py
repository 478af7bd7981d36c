"""server.json (the MCP registry manifest) is valid against the registry's official schema and in step
with the package.

The schema is vendored (tests/registry_schema/, with its source and licence): CI has no network. The
cross-file rules the registry enforces beyond the schema (the README's ownership marker, versions
that match the published package) are checked here too.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "tests" / "registry_schema" / "server.schema.2025-12-11.json"
# The published file's digest (tests/registry_schema/README.md): the vendored copy is the official one.
SCHEMA_SHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "server.json").read_text())
    return data


def _project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_the_vendored_schema_is_the_published_one_server_json_names() -> None:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert json.loads(SCHEMA_FILE.read_text())["$id"] == _manifest()["$schema"]


def test_server_json_satisfies_the_official_registry_schema() -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(_manifest())]
    assert errors == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda m: m.update(description="x" * 101), "is too long"),
        (lambda m: m.update(name="linkedapi mcp"), "does not match"),
        (lambda m: m["packages"][0].update(version="latest"), "should not be valid"),
        (lambda m: m["packages"][0].pop("transport"), "'transport' is a required property"),
        (lambda m: m["packages"][0]["environmentVariables"][0].pop("name"), "'name' is a required property"),
    ],
)
def test_the_schema_refuses_what_the_registry_would(change: Any, complaint: str) -> None:
    manifest = copy.deepcopy(_manifest())
    change(manifest)
    messages = [e.message for e in _validator().iter_errors(manifest)]
    messages += [c.message for e in _validator().iter_errors(manifest) for c in e.context or []]
    assert any(complaint in m for m in messages), messages


def test_server_json_versions_follow_pyproject() -> None:
    manifest, project = _manifest(), _project()
    assert manifest["version"] == project["version"]
    assert [p["version"] for p in manifest["packages"]] == [project["version"]]
    assert manifest["packages"][0]["identifier"] == project["name"]


def test_readme_carries_the_registry_ownership_marker() -> None:
    marker = re.search(r"mcp-name:\s*(\S+)", (ROOT / "README.md").read_text())
    assert marker is not None
    assert marker.group(1).rstrip("-> ") == _manifest()["name"]


def test_every_environment_variable_the_manifest_names_is_read_by_the_server() -> None:
    settings_source = (ROOT / "src" / "linkedapi_mcp" / "settings.py").read_text()
    for var in _manifest()["packages"][0]["environmentVariables"]:
        assert var["name"].lower() in settings_source.lower(), var["name"]
