"""The listing artifact: ``tools/list`` at start without building a model, and never out of date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from linkedapi_mcp import cli
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server import app, listing
from linkedapi_mcp.server.app import build, built_listing
from linkedapi_mcp.server.toolsets import TOOLSETS, Exposure, parse_toolsets
from linkedapi_mcp.settings import Settings


def test_the_listing_artifact_holds_exactly_what_the_models_generate() -> None:
    """Fails on any change to a model, description, hint or toolset until the file is regenerated."""
    generated = listing.generate()
    committed = json.loads(listing.ARTIFACT.read_text(encoding="utf-8"))
    if listing.ARTIFACT.read_text(encoding="utf-8") != listing.render(generated):
        stale = _differences(committed, generated)
        pytest.fail(
            f"{listing.ARTIFACT.name} is out of date with the tool models (differs in: {', '.join(stale)}): "
            f"run `{listing.REGENERATE}` and review the diff (the tools/list snapshots change with it)"
        )


def _differences(committed: dict[str, Any], generated: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for part in sorted(set(committed) | set(generated)):
        old, new = committed.get(part), generated.get(part)
        if isinstance(old, dict) and isinstance(new, dict):
            keys = list(new) + [k for k in old if k not in new]
            changed = [k for k in keys if old.get(k) != new.get(k)]
            if not changed and list(old) != list(new):
                changed = ["(order)"]
            out += [f"{part}.{k}" for k in changed]
        elif old != new:
            out.append(part)
    return out or ["formatting"]


EXPOSURES = {
    "default": Exposure(),
    "all-core": Exposure(toolsets=parse_toolsets("all")),
    "all-full": Exposure(toolsets=parse_toolsets("all"), mode="full"),
    "read-only-core": Exposure(toolsets=parse_toolsets("all"), read_only=True),
    "read-only-full": Exposure(read_only=True, mode="full"),
    "salesnav-jobs": Exposure(toolsets=parse_toolsets("salesnav,jobs")),
    "none": Exposure(toolsets=frozenset()),
    **{f"only-{name}": Exposure(toolsets=frozenset({name})) for name in TOOLSETS},  # "workflows": one name
    **{f"only-{name}-read-only": Exposure(toolsets=frozenset({name}), read_only=True) for name in TOOLSETS},
}


@pytest.mark.parametrize("exposure", EXPOSURES.values(), ids=EXPOSURES.keys())
def test_the_listing_served_at_start_is_byte_identical_to_the_one_built_from_the_models(exposure: Exposure) -> None:
    served = json.dumps(listing.entries(exposure), ensure_ascii=False)
    built = json.dumps(built_listing(exposure), ensure_ascii=False)
    assert served == built


def test_starting_and_listing_tools_imports_no_catalog_client_sandbox_or_ledger_and_touches_no_file(
    tmp_path: Path,
) -> None:
    # A fresh interpreter: what the stdio command does up to its tools/list answer.
    data_dir = tmp_path / "data"
    script = textwrap.dedent(
        f"""
        import json, sys
        import anyio
        from linkedapi_mcp.cli import _parser, _settings
        from linkedapi_mcp.server.app import build

        args = _parser("serve").parse_args(["serve", "--data-dir", {str(data_dir)!r}])
        server, _ = build(_settings(args))
        tools = anyio.run(server.list_tools)
        heavy = ["linkedapi_mcp.catalog", "linkedapi_mcp.client", "linkedapi_mcp.sandbox", "linkedapi_mcp.facade",
                 "linkedapi_mcp.server.ledger", "linkedapi_mcp.server.runner", "linkedapi_mcp.server.tools",
                 "httpx", "sqlite3", "platformdirs"]
        print(json.dumps({{"tools": len(tools), "imported": [m for m in heavy if m in sys.modules]}}))
        """
    )
    env = {"PATH": "/usr/bin:/bin", "LINKEDAPI_MCP_CONFIRM": "never"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tools"] > 10
    assert report["imported"] == []
    assert not data_dir.exists()  # the ledger opens on the first call, not at start


def test_the_server_command_skips_httpxs_own_command_line_tool_and_httpx_main_still_runs() -> None:
    # httpx imports its CLI (click, rich's progress bars, pygments) at `import httpx` when those are
    # installed; serve defers it (issue 14, spawn → first result) without breaking httpx.main or a
    # later `import httpx._main`.
    script = textwrap.dedent(
        """
        import json, sys
        from linkedapi_mcp.cli import _defer_httpx_cli

        _defer_httpx_cli()
        import httpx

        loaded = [m for m in ("httpx._main", "click", "pygments", "rich.progress") if m in sys.modules]
        import httpx._main

        print(json.dumps({"loaded": loaded, "real": httpx._main.__file__}), flush=True)
        sys.argv = ["httpx", "--help"]
        httpx.main()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    first, _, rest = done.stdout.partition("\n")
    report = json.loads(first)
    assert report["loaded"] == []
    assert report["real"].endswith(os.path.join("httpx", "_main.py"))
    assert done.returncode == 0, done.stderr
    assert "Usage: httpx" in rest  # httpx.main ran the real command-line tool


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_serve_freezes_the_startup_heap_and_makes_full_collections_rarer_before_it_serves(
    tmp_path: Path, transport: str
) -> None:
    # issue 14: a full collection walks every tracked object; with 1000 waiting calls it stopped
    # the event loop for 0.2-0.5 s. The stand-in anyio.run reports the collector's state at the
    # moment serving would begin, and a cycle made after it is still collected.
    script = textwrap.dedent(
        """
        import gc, json, sys
        import anyio
        from linkedapi_mcp import cli

        def report(*args, **kwargs):
            class Cycle:
                pass
            a, b = Cycle(), Cycle()
            a.other, b.other = b, a
            del a, b
            full = gc.get_stats()[2]["collections"]
            enabled = gc.isenabled()
            found = gc.collect(0) + gc.collect(1)
            print(json.dumps({"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold(), "found": found,
                              "full_collections_by_then": full, "enabled": enabled}))

        anyio.run = report
        sys.exit(cli.main(sys.argv[1:]))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("LINKED_API_TOKEN", "IDENTIFICATION_TOKEN")}
    env["LINKEDAPI_MCP_DATA_DIR"] = str(tmp_path / "data")  # the sandbox: no account is touched
    done = subprocess.run(
        [sys.executable, "-c", script, "serve", "--transport", transport, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["frozen"] > 50_000  # the modules and objects the build made (~90,000)
    assert report["threshold"][2] == cli.FULL_COLLECTION_AFTER > 10  # the interpreter's default is 10
    assert report["found"] >= 2  # the young generations still free new cycles
    assert report["enabled"]
    assert report["full_collections_by_then"] == 0  # none while the start made objects that live on


def test_serve_leaves_the_collector_on_when_it_stops_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    monkeypatch.setenv("LINKEDAPI_MCP_PORT", "not-a-port")
    assert cli.main(["serve"]) == 2  # a malformed setting: refused before the build
    assert gc.isenabled()


@pytest.mark.anyio
async def test_the_commands_server_builds_its_tools_after_the_first_listing_and_lists_and_calls_the_same(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "_WARM_UP_DELAY", 0.0)
    server, _ = build(Settings(data_dir=tmp_path / "data"), sandbox=sandbox, warm_up=True)
    assert isinstance(server, app.LinkedApiServer)
    async with Client(server) as client:
        from_artifact = (await client.list_tools()).tools
        assert server.warm_up_thread is not None
        server.warm_up_thread.join(timeout=60)
        assert not server.warm_up_thread.is_alive()
        # The first call builds the one tool it calls, not all fifty (spawn → first result, issue 14).
        result = await client.call_tool("get_account_info", {})
        assert not server._server_tools.built
        server._lazy_tools.fill()
        from_models = (await client.list_tools()).tools  # now the SDK's own listing of the built tools
        again = await client.call_tool("get_account_info", {})
    # Built from the models, the listing is the artifact's, in its order (the tool built first
    # does not move to the front).
    assert [t.model_dump() for t in from_models] == [t.model_dump() for t in from_artifact]
    assert not result.is_error
    assert not again.is_error
