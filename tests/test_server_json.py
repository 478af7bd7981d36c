"""server.json (the MCP registry manifest) is valid and in step with the package.

The registry's schema cannot be fetched here, so the rules that matter are written down below
from the 2025-12-11 schema's documented constraints (name pattern, description length, exact
versions, PyPI package with stdio transport, environment variables) and checked with
jsonschema, plus the cross-file rules the registry enforces (README ownership marker).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[1]

_INPUT = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
        "description": {"type": "string"},
        "isRequired": {"type": "boolean"},
        "isSecret": {"type": "boolean"},
        "format": {"enum": ["string", "number", "boolean", "filepath"]},
        "default": {"type": "string"},
        "choices": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
_EXACT_VERSION = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "not": {"pattern": r"^(latest|[\^~><=].*|.*[x*])$"},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["$schema", "name", "description", "version", "packages"],
    "properties": {
        "$schema": {"const": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"},
        "name": {"type": "string", "pattern": "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$", "minLength": 3, "maxLength": 200},
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "minLength": 1, "maxLength": 100},
        "version": _EXACT_VERSION,
        "repository": {
            "type": "object",
            "required": ["url", "source"],
            "properties": {"url": {"type": "string", "pattern": "^https://"}, "source": {"type": "string"}},
        },
        "packages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["registryType", "identifier", "version", "transport"],
                "additionalProperties": False,
                "properties": {
                    "registryType": {"const": "pypi"},
                    "registryBaseUrl": {"const": "https://pypi.org"},
                    "identifier": {"type": "string"},
                    "version": _EXACT_VERSION,
                    "runtimeHint": {"type": "string"},
                    "transport": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {"type": {"const": "stdio"}},
                    },
                    "environmentVariables": {"type": "array", "items": _INPUT},
                },
            },
        },
    },
}


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "server.json").read_text())
    return data


def _project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


def test_server_json_satisfies_the_registry_rules() -> None:
    jsonschema.validate(_manifest(), SCHEMA)


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
