"""Run the benchmarks and print one summary table (figure, goal, PASS/FAIL).

    python -m tools.bench                      # everything (about a minute on 2 cores)
    python -m tools.bench --only context,lag   # a selection
    python -m tools.bench --quick              # tiny workloads: checks that it all still runs
    python -m tools.bench --json bench.json    # also write the figures as JSON
    python -m tools.bench --peer-cmd 'node --require ./tools/bench/peer_upstream.cjs PEER/dist/index.js'
                                               # also against the official server (docs/benchmarks.md)

Everything runs offline against the sandbox, on loopback only.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python tools/bench/run.py`: make `tools.bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "tools.bench"

import anyio
from tools.bench import coldstart, context, http_load, lag, ledger_scale, overhead, results
from tools.bench.common import BenchResult, render_table

Options = dict[str, Any]  # --peer-cmd and friends, for the benchmarks that use them
BENCHMARKS: dict[str, Callable[[bool, Options], Awaitable[BenchResult]]] = {
    "context": lambda quick, _o: context.run(quick),
    "lag": lambda quick, o: lag.run(quick, peer_cmd=o.get("peer_cmd"), peer_speed=o.get("peer_speed", 1.0)),
    "overhead": lambda quick, o: overhead.run(quick, peer_cmd=o.get("peer_cmd")),
    "coldstart": lambda quick, o: coldstart.run(quick, peer_cmd=o.get("peer_cmd")),
    "http": lambda quick, o: http_load.run(quick, waits=o.get("http_waits")),
    "ledger": lambda quick, _o: ledger_scale.run(quick),
    "results": lambda quick, _o: results.run(quick),
}
DESCRIBE: dict[str, Callable[[BenchResult], str]] = {
    "context": context.describe,
    "results": results.describe,
    "lag": lag.describe,
    "ledger": ledger_scale.describe,
}


def machine() -> dict[str, Any]:
    import os
    from importlib.metadata import version

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # The libraries the figures move with (anyio's task cost: pyproject's cap; pydantic's builds).
        "packages": {name: version(name) for name in ("mcp", "anyio", "httpx", "pydantic")},
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated subset of: {','.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="tiny workloads (a smoke run, figures meaningless)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="only the summary table")
    parser.add_argument(
        "--peer-cmd",
        metavar="COMMAND",
        help="also run the official Linked API MCP server (a stdio command line, e.g. "
        "'node --require ./tools/bench/peer_upstream.cjs /path/to/dist/index.js'; docs/benchmarks.md)",
    )
    parser.add_argument(
        "--peer-speed", type=float, default=1.0, help="sandbox speed of the wall-clock lag run (default 1)"
    )
    parser.add_argument("--http-waits", type=int, help="fresh waiting calls of the http benchmark (default 500)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in (args.only or ",".join(BENCHMARKS)).split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.names = names
    args.options = {
        "peer_cmd": shlex.split(args.peer_cmd) if args.peer_cmd else None,
        "peer_speed": args.peer_speed,
        "http_waits": args.http_waits,
    }
    return args


async def run_all(
    names: Sequence[str], quick: bool, say: Callable[[str], None], options: Options | None = None
) -> list[BenchResult]:
    results = []
    for name in names:
        started = time.perf_counter()
        say(f"== {name} ...")
        result = await BENCHMARKS[name](quick, options or {})
        result.details["seconds"] = round(time.perf_counter() - started, 2)
        if name in DESCRIBE:
            say(DESCRIBE[name](result))
        results.append(result)
    return results


def report(results: list[BenchResult], quick: bool) -> dict[str, Any]:
    return {
        "machine": machine(),
        "quick": quick,
        "summary": [
            {
                "bench": f.bench,
                "figure": f.name,
                "value": f.value,
                "unit": f.unit,
                "goal": f.goal,
                "result": f.verdict() or None,
                "note": f.note,
            }
            for r in results
            for f in r.figures
        ],
        "benchmarks": [r.to_json() for r in results],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    results = anyio.run(run_all, args.names, args.quick, say, args.options)
    print(render_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(report(results, args.quick), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
