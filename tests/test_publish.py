"""Ready to publish (issue 15, point 6): the licence, the package metadata an index shows, the README's
install paths in the order users should try them, every setting documented, and CI's wheel check.

The wheel check itself (build, install into a fresh environment outside the repository, run the
command) is ``.ci/wheel-check``, which CI runs; it takes minutes of installing, so not here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import AliasChoices

from linkedapi_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


def _readme() -> str:
    return (ROOT / "README.md").read_text()


def test_the_mit_licence_ships_with_the_package() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in licence
    project = _project()
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]


def test_the_index_page_has_urls_authors_classifiers_and_keywords() -> None:
    project = _project()
    repository = "https://github.com/linkedapi-mcp/linkedapi-mcp"
    assert project["urls"]["Repository"] == repository
    assert {"Homepage", "Issues", "Documentation"} <= set(project["urls"])
    assert all(url.startswith(repository) for url in project["urls"].values())
    assert project["authors"]
    assert {"mcp", "linkedin"} <= set(project["keywords"])
    classifiers = set(project["classifiers"])
    assert "Typing :: Typed" in classifiers
    assert (ROOT / "src" / "linkedapi_mcp" / "py.typed").exists()  # what Typing :: Typed promises
    versions = {c.rsplit(" ", 1)[-1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")}
    floor = project["requires-python"].removeprefix(">=")
    assert min(versions, key=lambda v: tuple(map(int, v.split(".")))) == floor
    # A licence classifier beside the SPDX expression is refused by current build back-ends.
    assert not any(c.startswith("License ::") for c in classifiers)


def test_the_readme_installs_with_uvx_then_pipx_then_pip_then_a_clone() -> None:
    install = _readme().split("## Install", 1)[1].split("\n## ", 1)[0]
    positions = [
        install.index("uvx linkedapi-mcp"),
        install.index("pipx install linkedapi-mcp"),
        install.index("pip install linkedapi-mcp"),
        install.index("Contributors clone the repository"),
    ]
    assert positions == sorted(positions)


def test_every_client_snippet_starts_the_installed_command() -> None:
    readme = _readme()
    snippets = "".join(re.findall(r"```json\n(.*?)```", readme, flags=re.S))
    commands = re.findall(r'"command":\s*"([^"]+)"', snippets)
    assert len(commands) >= 3  # Claude Desktop, Cursor, VS Code
    assert set(commands) == {"linkedapi-mcp"}
    assert "claude mcp add linkedapi -e LINKED_API_TOKEN=… -e IDENTIFICATION_TOKEN=… -- linkedapi-mcp" in readme
    assert "/path/to/" not in readme


def _environment_names(alias: object) -> list[str]:
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
    return [c for c in choices if isinstance(c, str) and c.isupper()]


def test_every_setting_is_documented() -> None:
    docs = _readme() + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    undocumented = []
    for name, field in Settings.model_fields.items():
        names = _environment_names(field.validation_alias)
        assert names, f"setting {name} has no environment variable"
        undocumented += [n for n in names if not re.search(rf"`{n}`|\b{n}=", docs)]
    assert undocumented == []


def test_ci_checks_the_wheel_outside_the_repository() -> None:
    assert "bash .ci/wheel-check" in (ROOT / ".ci" / "run").read_text()
    check = (ROOT / ".ci" / "wheel-check").read_text()
    assert "python -m build" in check
    assert "run tools" in check
    assert "call search_people" in check
