"""Mutation testing of the safety-critical code (issue 18), with mutmut 3.

python -m tools.mutation                 # the safety functions (what CI runs), fresh, both cores
python -m tools.mutation --all           # every function of the safety modules (slow: ~40 min on 2 cores)
python -m tools.mutation --only 'linkedapi_mcp.server.ledger.*'   # a subset, by mutant-name glob
python -m tools.mutation --report        # only report on the last run's results (mutants/)
python -m tools.mutation --record        # the safety functions, then record the baseline if none survived
python -m tools.mutation --changed       # only the safety modules changed since the recorded baseline (CI)

mutmut's configuration ([tool.mutmut] in pyproject.toml) names the modules and the focused test files
each mutant is run against. mutmut changes one function of a copy of ``src/`` (in ``mutants/``) at a
time and runs the tests that reach it; a mutant the tests do not notice *survives*.

A survivor fails the run unless it is equivalent: listed in ``mutation/equivalent.toml`` with the
reason it cannot change what a user sees, or matched by one of the two rules below (SQLite reads SQL
keywords, table and column names, and ``sqlite3.Row`` keys, case-insensitively). A new survivor
needs a test that kills it (named for what would go wrong for the user), or, when it truly cannot
change behaviour, an entry in that file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "mutation" / "equivalent.toml"
BASELINE_FILE = ROOT / "mutation" / "baseline.json"
MUTMUT = [sys.executable, "-m", "mutmut"]

# The safety functions (mutmut names: module.x_function, or module.xǁClassǁmethod). CI runs these.
_L, _G, _R = "linkedapi_mcp.server.ledger", "linkedapi_mcp.server.guards", "linkedapi_mcp.client.retry"
_P = "linkedapi_mcp.catalog.params"
SAFETY = [
    # the call pipeline's policies: dedupe and claims (dead claimers), confirmation, budgets and refunds
    "linkedapi_mcp.server.pipeline.*",
    "linkedapi_mcp.server.holders.*",
    # the store's atomic claim primitives
    f"{_L}.xǁLedgerǁatomically__mutmut_*",
    f"{_L}.xǁLedgerǁrelease__mutmut_*",
    f"{_L}.xǁLedgerǁrenew_claim__mutmut_*",
    f"{_L}.xǁClaimTxǁ*__mutmut_*",
    f"{_L}.x_canonical_args__mutmut_*",
    f"{_L}.x__state__mutmut_*",
    # budget and confirmation configuration
    f"{_G}.xǁCapǁwindow__mutmut_*",
    f"{_G}.x_units_for__mutmut_*",
    f"{_G}.x__items_reached__mutmut_*",
    f"{_G}.x_gate__mutmut_*",
    f"{_G}.x_parse_budgets__mutmut_*",
    f"{_G}.xǁGuardInputǁfrom_extras__mutmut_*",
    f"{_G}.xǁGuardConfigǁcaps_for__mutmut_*",
    # retry classification
    f"{_R}.x_is_idempotent__mutmut_*",
    f"{_R}.x_classify__mutmut_*",
    f"{_R}.x_parse_retry_after__mutmut_*",
    f"{_R}.x_backoff__mutmut_*",
    f"{_R}.xǁRetryPolicyǁwait_before_retry__mutmut_*",
    "linkedapi_mcp.client.errors.x_error_for__mutmut_*",
    # the sanitiser
    "linkedapi_mcp.untrusted.*",
    # input validation
    "linkedapi_mcp.server.validation.xǁValidateArgumentsǁ_check__mutmut_*",
    f"{_P}.x__*__mutmut_*",  # every helper validator (_linkedin_url, _email, _one_post_target, …)
    f"{_P}.*ǁ_*__mutmut_*",  # every model validator (_rules, _recipient, _period, …)
]
EVERYTHING = ["linkedapi_mcp.*"]

KILLED = {"killed", "timeout", "caught by type check"}
_last_summary = ""  # timeout: the mutant made a test hang


@dataclass(frozen=True)
class Mutant:
    name: str
    status: str

    @property
    def function(self) -> str:
        return self.name.rsplit("__mutmut_", 1)[0]


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return removed, added


_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|WHERE|VALUES|RETURNING|COALESCE|AND|OR)\b")
_QUOTED = re.compile(r"'[^']*'")


def _outside_quotes(text: str) -> tuple[str, list[str]]:
    return _QUOTED.sub("''", text).casefold(), _QUOTED.findall(text)


def rule_for(mutant: Mutant, diff: str) -> str | None:
    """The reason a survivor is equivalent by a general rule, or None."""
    removed, added = changed_lines(diff)
    if len(removed) != 1 or len(added) != 1:
        return None
    old, new = removed[0], added[0]
    if old.casefold() == new.casefold() and _SQL.search(old) and _outside_quotes(old) == _outside_quotes(new):
        return (
            "SQL text changed only in letter case outside its quoted values: SQLite keywords, table and "
            "column names are case-insensitive."
        )
    if mutant.function.startswith("linkedapi_mcp.server.ledger."):
        keys_old = re.findall(r'\b(?:found|row)\["(\w+)"\]', old)
        keys_new = re.findall(r'\b(?:found|row)\["(\w+)"\]', new)
        if (
            keys_old
            and [k.casefold() for k in keys_old] == [k.casefold() for k in keys_new]
            and (old.casefold() == new.casefold())
        ):
            return (
                "A row's column key changed only in letter case: sqlite3.Row (the store of the mutation run) looks "
                "keys up case-insensitively; PostgreSQL rows do not, and the suite's postgresql variants of the "
                "ledger, budget and confirmation tests read these rows."
            )
    return None


def load_equivalents() -> list[dict[str, str]]:
    data = tomllib.loads(EQUIVALENT_FILE.read_text()) if EQUIVALENT_FILE.exists() else {}
    return list(data.get("mutant", []))


def listed_reason(mutant: Mutant, diff: str, equivalents: list[dict[str, str]]) -> str | None:
    removed, added = changed_lines(diff)
    for entry in equivalents:
        if entry["function"] != mutant.function:
            continue
        want_removed, want_added = changed_lines(entry["diff"])
        if (want_removed, want_added) == (removed, added):
            return entry["reason"]
    return None


def results() -> list[Mutant]:
    out = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True)
    found = []
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found.append(Mutant(name, status))
    return found


def diff_of(name: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return str(get_diff_for_mutant(name))


def selected(mutants: list[Mutant], patterns: list[str]) -> list[Mutant]:
    import fnmatch

    return [m for m in mutants if any(fnmatch.fnmatchcase(m.name, p) for p in patterns)]


def report(patterns: list[str], *, elapsed: float | None, unchecked_ok: bool = False) -> int:
    os.chdir(ROOT)
    mutants = selected(results(), patterns)
    equivalents = load_equivalents()
    counts: Counter[str] = Counter()
    surviving: list[tuple[Mutant, str]] = []
    reasons: Counter[str] = Counter()
    for mutant in mutants:
        if mutant.status in KILLED:
            counts["timeout" if mutant.status == "timeout" else "killed"] += 1
            continue
        if mutant.status == "not checked":
            counts["not checked"] += 1
            continue
        diff = diff_of(mutant.name)
        reason = rule_for(mutant, diff) or listed_reason(mutant, diff, equivalents)
        if reason is not None:
            counts["equivalent"] += 1
            reasons[reason] += 1
            continue
        counts["survived"] += 1
        surviving.append((mutant, diff))

    for mutant, diff in surviving:
        print(f"\nSURVIVED ({mutant.status}): {mutant.name}")
        print("\n".join(line for line in diff.splitlines() if not line.startswith(("---", "+++"))))
    print("\n== mutation summary")
    if reasons:
        print("equivalent mutants, by reason:")
        for reason, n in reasons.most_common():
            print(f"  {n:4d}  {reason}")
    took = f" in {elapsed:.0f} s" if elapsed is not None else ""
    global _last_summary
    _last_summary = (
        f"mutants: {len(mutants)}{took}; killed {counts['killed']}, timed out (killed) {counts['timeout']}, "
        f"equivalent {counts['equivalent']}, survived {counts['survived']}, not checked {counts['not checked']}"
    )
    print(_last_summary)
    if counts["not checked"] and not unchecked_ok:
        print("FAIL: some mutants were not run")
        return 1
    if surviving:
        print(
            "FAIL: a surviving mutant is a change the tests do not notice. Add a test that kills it (named for "
            "what would go wrong for the user), or, if it cannot change behaviour, list it in "
            f"{EQUIVALENT_FILE.relative_to(ROOT)} with the reason."
        )
        return 1
    if counts["not checked"]:
        print(
            f"OK for the {len(mutants) - counts['not checked']} mutants checked within the time limit (the slowest "
            f"{counts['not checked']} were not run: python -m tools.mutation runs them all)"
        )
        return 0
    print("OK: no surviving mutant that is not equivalent")
    return 0


def module_file(pattern: str) -> str:
    """``linkedapi_mcp.server.ledger.x_…`` → ``src/linkedapi_mcp/server/ledger.py``."""
    parts = pattern.split(".")
    module = [p for p in parts[:-1] if p and not p.startswith(("x_", "xǁ", "*"))]
    return "src/" + "/".join(module) + ".py"


def fingerprints(patterns: list[str]) -> dict[str, str]:
    files = sorted({module_file(p) for p in patterns} | {str(EQUIVALENT_FILE.relative_to(ROOT))})
    return {f: hashlib.sha256((ROOT / f).read_bytes()).hexdigest() for f in files if (ROOT / f).exists()}


def changed_patterns(patterns: list[str]) -> list[str]:
    """The patterns whose module changed since the baseline (all of them if the equivalents changed)."""
    if not BASELINE_FILE.exists():
        return patterns
    recorded = json.loads(BASELINE_FILE.read_text()).get("files", {})
    now = fingerprints(patterns)
    if now.get(str(EQUIVALENT_FILE.relative_to(ROOT))) != recorded.get(str(EQUIVALENT_FILE.relative_to(ROOT))):
        return patterns
    return [p for p in patterns if now.get(module_file(p)) != recorded.get(module_file(p))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="every function of the configured modules")
    parser.add_argument("--only", action="append", default=[], help="mutant-name glob (repeatable)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds; mutants not checked by then are reported, not failed"
    )
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ (mutmut's cache) instead of starting fresh")
    parser.add_argument("--report", action="store_true", help="only report on the results in mutants/")
    parser.add_argument("--record", action="store_true", help="record the baseline after a run with no survivor")
    parser.add_argument("--changed", action="store_true", help="only modules changed since the baseline")
    args = parser.parse_args(argv)
    patterns = args.only or (EVERYTHING if args.all else SAFETY)
    os.chdir(ROOT)
    if args.report:
        return _recorded(args.record, patterns, report(patterns, elapsed=None))
    if args.changed:
        baseline = json.loads(BASELINE_FILE.read_text()) if BASELINE_FILE.exists() else {}
        patterns = changed_patterns(patterns)
        if not patterns:
            print("== mutation summary")
            print("No safety module changed since the recorded baseline; its run: " + baseline.get("summary", "?"))
            return 0
        print("Changed since the baseline: " + ", ".join(sorted({module_file(p) for p in patterns})))
    if not args.keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    started = time.monotonic()
    log = ROOT / "mutants.log"  # mutmut's own output is a progress spinner: kept aside, shown on failure
    timed_out = False
    with log.open("w") as out:
        run = subprocess.Popen(
            [*MUTMUT, "run", "--max-children", str(args.max_children), *patterns],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its forked workers go with it at the time limit
        )
        try:
            returncode = run.wait(timeout=args.time_limit)
        except subprocess.TimeoutExpired:
            # Mutants run fastest first and each result is saved as it comes: report what was checked.
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
            timed_out, returncode = True, 0
            print(f"The time limit ({args.time_limit:.0f} s) stopped the run; the mutants checked by then:")
    if returncode != 0:
        print(log.read_text()[-3000:])
        print(f"FAIL: mutmut run exited with {returncode}")
        return 1
    status = report(patterns, elapsed=time.monotonic() - started, unchecked_ok=timed_out)
    return _recorded(args.record and not timed_out, patterns, status)


def _recorded(record: bool, patterns: list[str], status: int) -> int:
    if record and status == 0:
        BASELINE_FILE.write_text(
            json.dumps({"files": fingerprints(patterns), "summary": _last_summary}, indent=2, sort_keys=True) + "\n"
        )
        print(f"recorded {BASELINE_FILE.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
