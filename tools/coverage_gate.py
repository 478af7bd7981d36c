"""Branch coverage of the safety modules, from the last `pytest --cov` run (.coverage); exit 1 under the floor.

python -m tools.coverage_gate                 # the safety modules together >= 90 % (what CI holds)
python -m tools.coverage_gate --per-module    # each of them >= 90 %
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAFETY_MODULES = [
    "src/linkedapi_mcp/server/ledger.py",
    "src/linkedapi_mcp/server/pipeline.py",  # dedupe, confirmation, budgets, claims (issue 10's pipeline)
    "src/linkedapi_mcp/server/holders.py",  # who holds a claim, and whether it is gone
    "src/linkedapi_mcp/server/guards.py",
    "src/linkedapi_mcp/client/retry.py",
    "src/linkedapi_mcp/client/errors.py",
    "src/linkedapi_mcp/client/transport.py",  # whether a request may have reached upstream (never resend a start)
    "src/linkedapi_mcp/untrusted.py",
    "src/linkedapi_mcp/server/validation.py",
    "src/linkedapi_mcp/catalog/params.py",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--floor", type=float, default=90.0, help="minimum branch coverage, percent")
    parser.add_argument("--per-module", action="store_true", help="hold every module to the floor, not only the total")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", "-q", "-o", str(out), "--include", ",".join(SAFETY_MODULES)],
            cwd=ROOT,
            check=True,
        )
        files = json.loads(out.read_text())["files"]
    failed = False
    total_branches = total_covered = 0
    print(f"{'safety module':45} {'lines':>7} {'branches':>9}")
    for path in SAFETY_MODULES:
        summary = files.get(path, {}).get("summary")
        if summary is None:
            print(f"{path:45} not measured")
            failed = True
            continue
        branches, covered = summary["num_branches"], summary["covered_branches"]
        total_branches += branches
        total_covered += covered
        percent = 100.0 * covered / branches if branches else 100.0
        low = percent < args.floor
        failed |= low and args.per_module
        print(f"{path:45} {summary['percent_covered_display']:>6}% {percent:8.1f}%{'  < floor' if low else ''}")
    overall = 100.0 * total_covered / total_branches if total_branches else 100.0
    print(f"{'all safety modules':45} {'':>7} {overall:8.1f}%  (branches {total_covered}/{total_branches})")
    if failed or overall < args.floor:
        print(f"FAIL: branch coverage of the safety modules is under {args.floor:.0f} %")
        return 1
    print(f"OK: the safety modules' branch coverage is at least {args.floor:.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
