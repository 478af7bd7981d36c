"""The benchmark suite (tools/bench) still runs: every benchmark on a tiny workload, no timing asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.bench import plots  # noqa: E402
from tools.bench import run as bench  # noqa: E402
from tools.bench.common import render_table  # noqa: E402

EXPECTED_GOALS = {
    "context": {
        "model-facing bytes (name+description+inputSchema)",
        "what-if compacted model-facing bytes",
        "core listing model-facing bytes (capped clients)",
        "whole tools/list result",
    },
    "lag": {
        "mean result lag, ours / peer emulation",
        "polling for speed (LINKEDAPI_MCP_POLL_INTERVAL_SECONDS=1): mean lag / peer emulation",
        "workflows with more GETs than the peer emulation",
    },
    "overhead": {"tools/call over stdio minus the raw HTTP call, ours, p50"},
    "coldstart": {"cold start ratio ours / floor", "spawn to first tool result, ours / floor"},
    "http_load": {"quick-call p99 under load", "quick calls that failed", "server peak RSS"},
    "ledger_scale": {
        "list_workflows, 2k rows / 2 rows",
        "new call, waitSeconds 0, 2k rows / 2 rows",
        "waiting call's duration prediction, 2k rows / 2 rows",
        "get_workflow_result (finished), 2k rows / 2 rows",
        "ledger file at 2k rows",
    },
    "results": {"after / before"},
}


@pytest.mark.anyio
async def test_every_benchmark_produces_its_figures_with_a_verdict_on_each_goal(tmp_path: Path) -> None:
    results = await bench.run_all(list(bench.BENCHMARKS), quick=True, say=lambda _text: None)

    assert [r.bench for r in results] == list(EXPECTED_GOALS)
    for result in results:
        judged = {f.name for f in result.figures if f.passed is not None}
        assert judged == EXPECTED_GOALS[result.bench]
        # Shape only: a figure is a finite number. Its size is the benchmark's to report, not a test's to judge
        # (a difference of two wall-clock timings, e.g. stdio minus direct, can be negative on a busy machine).
        assert all(isinstance(f.value, int | float) and math.isfinite(f.value) for f in result.figures)
    lag = next(r for r in results if r.bench == "lag")
    assert len(lag.details["ours"]) == len(lag.details["baseline"]) == len(lag.details["fast"]) == 2
    assert all(row["gets"] >= 1 for row in lag.details["ours"] + lag.details["baseline"])
    http = next(r for r in results if r.bench == "http_load")
    # The load was really there: every call still waiting at the end, except perhaps the first, whose
    # workflow runs at once (the others queue behind it) and may finish on a slow machine.
    assert http.details["in_flight_at_end"] >= http.details["waits"] - 1

    # issue 15: the pictures docs/benchmarks.md shows are drawn from the same report.
    pictures = await anyio.to_thread.run_sync(plots.draw, bench.report(results, True), tmp_path)
    assert [p.name for p in pictures] == ["bench-lag.svg", "bench-context.svg", "bench-http.svg"]
    texts = [p.read_text() for p in pictures]
    assert "this server: mean" in texts[0]
    assert "policy (emulated): mean" in texts[0]
    assert "core tool mode" in texts[1]
    assert "quick-call latency" in texts[2]

    table = render_table(results).splitlines()
    assert table[0].split() == ["benchmark", "figure", "value", "goal", "result", "note"]
    assert len(table) == 2 + sum(len(r.figures) for r in results)
    verdicts = sum(" PASS " in f"{line} " or " FAIL " in f"{line} " for line in table)
    assert verdicts == sum(len(g) for g in EXPECTED_GOALS.values())


def test_the_json_report_holds_the_same_rows_as_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"

    assert bench.main(["--only", "context", "--quick", "--quiet", "--json", str(out)]) == 0

    report = json.loads(out.read_text())
    assert set(report) == {"machine", "quick", "summary", "benchmarks"}
    assert report["machine"]["cpus"] >= 1
    # The versions the figures move with are on record beside them (anyio's task cost: pyproject's cap).
    assert set(report["machine"]["packages"]) == {"mcp", "anyio", "httpx", "pydantic"}
    table_rows = capsys.readouterr().out.strip().splitlines()[2:]
    assert len(report["summary"]) == len(table_rows)
    headline = report["summary"][0]
    assert set(headline) == {"bench", "figure", "value", "unit", "goal", "result", "note"}
    assert headline["result"] in ("PASS", "FAIL")
    context = report["benchmarks"][0]["details"]
    assert len(context["largest_model_facing"]) == 5
    assert sum(row["bytes"] for row in context["per_toolset"].values()) == context["model_facing_bytes"]


def test_an_unknown_benchmark_name_is_refused() -> None:
    with pytest.raises(SystemExit):
        bench.main(["--only", "context,nope"])


def test_the_documented_command_starts_from_the_repository_root() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert "--only" in done.stdout
    assert "python -m tools.bench" in (ROOT / "docs" / "benchmarks.md").read_text()


@pytest.mark.anyio
async def test_the_wall_clock_lag_run_ends_when_our_finished_result_names_get_workflow_result() -> None:
    """Ours answers a finished workflow with hints that name ``get_workflow_result`` and the
    workflowId (the call for all fields or the next page); the run must take that as the end, not
    as the official server's time-out message, or it re-calls for ever."""
    from tools.bench import lag
    from tools.bench.stdio import server_command

    samples = lag._samples()
    person = {"personUrl": samples["personUrls"][0], "retrievePosts": True, "postsRetrievalConfig": {"limit": 10}}
    job = ("fetch_person", person)
    rows = await lag.run_real(server_command(), [job], seed=lag.SEEDS[0], speed=40.0)
    assert [row.tool for row in rows] == ["fetch_person"]
    assert rows[0].calls <= 3
