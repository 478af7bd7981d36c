"""Issue 13, point 7: the sandbox package has no import cycle (every import counts: module level,
inside functions and under ``TYPE_CHECKING``), and its rooms depend on the state, not on each
other."""

from __future__ import annotations

import ast
from pathlib import Path

import linkedapi_mcp.sandbox

PACKAGE = "linkedapi_mcp.sandbox"
ROOT = Path(linkedapi_mcp.sandbox.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted(ROOT.glob("*.py"))}


def _imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """Sandbox modules that ``name`` imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    found.add(alias.name.removeprefix(PACKAGE + ".").split(".")[0])
                elif alias.name == PACKAGE:
                    found.add("__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:
                continue  # outside the package
            base = node.module or ""
            if node.level == 0:
                if base != PACKAGE and not base.startswith(PACKAGE + "."):
                    continue
                base = base.removeprefix(PACKAGE).lstrip(".")
            if base:
                found.add(base.split(".")[0])
            else:  # ``from . import x`` / ``from linkedapi_mcp.sandbox import x``
                for alias in node.names:
                    found.add(alias.name if alias.name in modules else "__init__")
    found.discard(name)
    return found & (modules | {"__init__"})


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if state.get(target) is None and (found := visit(target)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None and (found := visit(node)) is not None:
            return found
    return None


def test_the_walker_sees_imports_of_every_kind() -> None:
    graph = _graph()
    assert "world" in graph["state"]  # a function-level import
    assert "state" in graph["admin"]  # a TYPE_CHECKING import
    assert "_names" in graph["_generate"]  # ``from . import _names``


def test_there_is_no_import_cycle_inside_the_sandbox_package() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_admin_introspection_and_transport_depend_on_the_state_never_on_the_app_or_each_other() -> None:
    graph = _graph()
    rooms = {"admin", "introspection", "transport"}
    for room in rooms:
        assert "app" not in graph[room], room
        assert not graph[room] & (rooms - {room}), room
        assert "__init__" not in graph[room], room
    assert "app" not in graph["state"]
    assert not graph["state"] & rooms


def test_the_world_state_never_calls_the_engine() -> None:
    graph = _graph()
    assert "engine" not in graph["worldstate"]
    assert "world" not in graph["engine"]
    assert "engine" in graph["world"]
