"""Pictures of the benchmark figures (issue 15, point 7), for docs/benchmarks.md.

    python -m tools.bench --only context,lag,http --json bench.json     # the figures (a few minutes)
    python -m tools.bench.plots bench.json \
        --peer-cmd 'node --require ./tools/bench/peer_upstream.cjs PEER/dist/index.js'

reads what ``python -m tools.bench --json`` wrote and draws three SVG files into ``docs/img/``
(``--out`` to change):

* ``bench-lag.svg``: the distribution (empirical CDF) of result lag per workflow, ours against the
  official server's polling policy (the emulated peer of the same run; the real server's rows too
  when the run had ``--peer-cmd``), means marked.
* ``bench-context.svg``: model-facing bytes of ``tools/list`` (name, description, input schema as
  compact JSON: what clients show the model), ours in the default core tool mode and with every
  operation listed, against the official server's, and per tool for the tools both servers have.
  The official server's sizes are measured here from its own ``tools/list`` when ``--peer-cmd``
  starts it (the benchmark run does not record them); without it that bar is left out.
* ``bench-http.svg``: quick-call latency while hundreds of fresh calls wait over HTTP: every call
  over time, and the distribution with p50 / p99 and the 50 ms goal.

matplotlib draws them (the ``bench`` extra); SVG text stays text, and the files are reproducible
(no date, a fixed hash salt) so a re-run changes them only when the figures change.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "docs" / "img"
OURS, PEER, REAL_PEER = "#1f6feb", "#d29922", "#8250df"  # colours: this server, the peer's policy, the real peer


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "linkedapi-mcp", "svg.fonttype": "none", "font.size": 10})
    return plt


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    fig.clf()
    return path


def _bench(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((b for b in report.get("benchmarks", []) if b.get("bench") == name), None)


def _ecdf(values: Sequence[float]) -> tuple[list[float], list[float]]:
    """Points of the empirical CDF as a post-step line, from 0 at the smallest value."""
    xs = sorted(values)
    return [xs[0], *xs], [0.0] + [(i + 1) / len(xs) for i in range(len(xs))]


def _stamp(report: dict[str, Any], bench: dict[str, Any]) -> str:
    machine = bench.get("machine") or report.get("machine") or {}
    quick = " (--quick: figures meaningless)" if report.get("quick") else ""
    return f"run {machine.get('date', '?')}, {machine.get('cpus', '?')} CPUs{quick}"


def plot_lag(report: dict[str, Any], out: Path) -> Path | None:
    bench = _bench(report, "lag")
    if bench is None or not bench["details"].get("ours"):
        return None
    details = bench["details"]
    series = [
        ("this server", details["ours"], OURS),
        ("official server's policy (emulated)", details["baseline"], PEER),
    ]
    real = details.get("real")  # with --peer-cmd: the real official server, short workflows, wall clock
    if isinstance(real, dict) and real.get("peer"):
        series.append(("official server (real, short workflows, wall clock)", real["peer"], REAL_PEER))
        series.append(("this server (same short workflows, wall clock)", real["ours"], "#54aeff"))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for label, rows, colour in series:
        lags = [float(r["lag"]) for r in rows]
        xs, ys = _ecdf(lags)
        mean = sum(lags) / len(lags)
        ax.step(xs, ys, where="post", color=colour, label=f"{label}: mean {mean:.2f} s, n={len(lags)}")
        ax.axvline(mean, color=colour, linestyle=":", linewidth=1)
    ax.set_xlabel("result lag per workflow: seen by the agent − finished upstream (s)")
    ax.set_ylabel("share of workflows")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"Result lag, same workflows on the sandbox\n{_stamp(report, bench)}", fontsize=10)
    return _save(fig, out / "bench-lag.svg")


async def _peer_tools(peer_cmd: str) -> list[dict[str, Any]]:
    from .stdio import JsonRpcPipe, server_env

    # Stand-in tokens; the preload (peer_upstream.cjs) keeps it on loopback. tools/list sends nothing.
    env = server_env(
        LINKED_API_TOKEN="bench", IDENTIFICATION_TOKEN="bench", LINKEDAPI_BENCH_UPSTREAM="http://127.0.0.1:9"
    )
    pipe = await JsonRpcPipe.spawn(shlex.split(peer_cmd), env)
    try:
        await asyncio.wait_for(pipe.initialize(), 60)
        listed = await asyncio.wait_for(pipe.request("tools/list", {}), 60)
    finally:
        await pipe.close()
    tools: list[dict[str, Any]] = listed["tools"]
    return tools


def peer_sizes(peer_cmd: str) -> dict[str, int]:
    """The official server's model-facing bytes per tool, from its own ``tools/list``."""
    from .context import compact_size, model_facing

    return {t["name"]: compact_size(model_facing(t)) for t in asyncio.run(_peer_tools(peer_cmd))}


def _figure(bench: dict[str, Any], starts: str) -> float | None:
    found = next((f for f in bench.get("figures", []) if str(f.get("name", "")).startswith(starts)), None)
    return None if found is None else float(found["value"])


def our_sizes(**settings: str) -> dict[str, int]:
    """Ours per tool with these settings (the context benchmark's own measure; sizes are a property
    of the code, not of the run)."""
    from .context import compact_size, list_tools, model_facing

    tools = asyncio.run(list_tools(**settings))
    return {t["name"]: compact_size(model_facing(t)) for t in tools}


def plot_context(report: dict[str, Any], out: Path, peer: dict[str, int] | None) -> Path | None:
    bench = _bench(report, "context")
    if bench is None:
        return None
    # As the context benchmark counts them: the core listing (default toolsets) and every operation.
    core, full = our_sizes(tool_mode="core"), our_sizes(tool_mode="full", toolsets="all")
    bars = [
        (f"this server, core tool mode ({len(core)} tools)", float(sum(core.values())), OURS),
        (f"this server, every operation a tool ({len(full)})", float(sum(full.values())), "#79c0ff"),
    ]
    goals = [_goal_bytes(bench, "core listing"), _goal_bytes(bench, "model-facing bytes (name")]
    if peer:
        bars.append((f"official server ({len(peer)} tools)", float(sum(peer.values())), PEER))
    plt = _pyplot()
    rows = 2 if peer else 1
    fig, axes = plt.subplots(rows, 1, figsize=(7.5, 2.4 + (4.2 if peer else 0)), squeeze=False)
    ax = axes[0][0]
    labels = [b[0] for b in bars]
    ax.barh(labels, [b[1] / 1000 for b in bars], color=[b[2] for b in bars])
    for i, (_, value, _) in enumerate(bars):
        ax.text(value / 1000, i, f" {value / 1000:.1f} kB ≈ {value / 4000:.1f}k tokens", va="center", fontsize=8)
    for i, goal in enumerate(goals):
        if goal is not None:
            ax.plot([goal / 1000] * 2, [i - 0.45, i + 0.45], color="#cf222e", linestyle="--", linewidth=1)
            ax.text(goal / 1000, i + 0.42, f" goal {goal / 1000:.0f} kB", color="#cf222e", fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("model-facing bytes of tools/list (kB; name + description + input schema, compact JSON)")
    ax.set_xlim(0, max(b[1] for b in bars) / 1000 * 1.45)
    ax.set_title(f"What the tool definitions cost every conversation\n{_stamp(report, bench)}", fontsize=10)
    if peer:
        common = sorted(set(peer) & set(full), key=lambda n: -max(peer[n], full[n]))[:14]
        ax2 = axes[1][0]
        ys = list(range(len(common)))
        ax2.barh([y - 0.2 for y in ys], [full[n] for n in common], height=0.4, color=OURS, label="this server")
        ax2.barh([y + 0.2 for y in ys], [peer[n] for n in common], height=0.4, color=PEER, label="official server")
        ax2.set_yticks(ys, common, fontsize=8)
        ax2.invert_yaxis()
        ax2.set_xlabel("bytes per tool (the largest tools both servers have)")
        ax2.legend(fontsize=8, loc="lower right")
        ax2.grid(axis="x", alpha=0.3)
    return _save(fig, out / "bench-context.svg")


def _goal_bytes(bench: dict[str, Any], name: str) -> float | None:
    """The goal (``<= N B``) of the context figure whose name starts with ``name``."""
    for figure in bench.get("figures", []):
        goal = str(figure.get("goal") or "")
        if str(figure.get("name", "")).startswith(name) and goal.startswith("<="):
            digits = "".join(ch for ch in goal if ch.isdigit())
            if digits:
                return float(digits)
    return None


def plot_http(report: dict[str, Any], out: Path) -> Path | None:
    bench = _bench(report, "http_load")
    if bench is None or not bench["details"].get("quick_calls_timeline"):
        return None
    details = bench["details"]
    timeline = details["quick_calls_timeline"]
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.0), gridspec_kw={"width_ratios": [3, 2]})
    colours = {"get_account_info": OURS, "list_workflows": "#2da44e"}
    for tool, colour in colours.items():
        points = [(t, ms) for t, name, ms in timeline if name == tool]
        if points:
            left.scatter([p[0] for p in points], [p[1] for p in points], s=6, color=colour, label=tool, alpha=0.7)
    left.set_yscale("log")
    left.axhline(50, color="#cf222e", linestyle="--", linewidth=1)
    left.set_xlabel("seconds into the quick phase")
    left.set_ylabel("quick-call latency (ms, log)")
    left.legend(fontsize=8, loc="upper right")
    left.grid(alpha=0.3, which="both")
    latencies = [ms for _, _, ms in timeline]
    xs, ys = _ecdf(latencies)
    right.step(xs, ys, where="post", color=OURS)
    right.set_xscale("log")
    p50 = _figure(bench, "quick-call p50")
    p99 = _figure(bench, "quick-call p99")
    for value, name in ((p50, "p50"), (p99, "p99")):
        if value is not None:
            right.axvline(value, color="#57606a", linestyle=":", linewidth=1)
            right.text(value, 0.05, f" {name} {value:.0f} ms", rotation=90, fontsize=8, va="bottom")
    right.axvline(50, color="#cf222e", linestyle="--", linewidth=1)
    right.text(50, 0.6, " goal p99 50 ms", color="#cf222e", rotation=90, fontsize=8)
    right.set_xlabel("quick-call latency (ms, log)")
    right.set_ylabel("share of calls")
    right.grid(alpha=0.3, which="both")
    fig.suptitle(
        f"HTTP under load: {len(latencies)} quick calls while {details['in_flight_at_start']} fresh calls wait "
        f"(peak RSS {details['peak_rss_mb']:.0f} MB)\n{_stamp(report, bench)}",
        fontsize=10,
    )
    return _save(fig, out / "bench-http.svg")


def draw(report: dict[str, Any], out: Path = DEFAULT_OUT, peer_cmd: str | None = None) -> list[Path]:
    """Every picture the report has data for; returns the files written."""
    peer = peer_sizes(peer_cmd) if peer_cmd else None
    written = [plot_lag(report, out), plot_context(report, out, peer), plot_http(report, out)]
    return [p for p in written if p is not None]


def merged(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One report from several runs (e.g. ``--only lag`` and ``--only http``): the last run's machine
    line, and each benchmark from the last run that has it."""
    benchmarks: dict[str, dict[str, Any]] = {}
    for report in reports:
        # Each benchmark keeps the machine line (date) of its own run, for the pictures' captions.
        benchmarks |= {b["bench"]: {**b, "machine": report.get("machine")} for b in report.get("benchmarks", [])}
    return {**reports[-1], "benchmarks": list(benchmarks.values())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.plots", description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", help="JSON files `python -m tools.bench --json` wrote (a later run wins)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where the SVG files go (default docs/img)")
    parser.add_argument("--peer-cmd", help="start the official server to measure its tools/list (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    report = merged([json.loads(Path(p).read_text()) for p in args.reports])
    for path in draw(report, Path(args.out), args.peer_cmd):
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
