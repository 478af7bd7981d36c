"""Shared pieces: one figure of a benchmark, the summary table and its JSON form."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    """One measured figure with its goal. ``passed`` is None for informational figures."""

    bench: str
    name: str
    value: float
    unit: str
    goal: str = ""
    passed: bool | None = None
    note: str = ""

    def verdict(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "FAIL")

    def shown(self) -> str:
        if self.unit == "bytes":
            return f"{self.value:,.0f} B"
        if self.unit in ("ms", "s"):
            return f"{self.value:,.2f} {self.unit}"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        if self.unit in ("tokens", "GETs"):
            return f"{self.value:,.{0 if self.unit == 'tokens' else 2}f} {self.unit}"
        if self.unit == "MB":
            return f"{self.value:,.1f} MB"
        return f"{self.value:,.2f} {self.unit}".strip()


@dataclass
class BenchResult:
    """What a benchmark returns: headline figures plus free-form details (tables, per-item rows)."""

    bench: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(
        self, name: str, value: float, unit: str, goal: str = "", passed: bool | None = None, note: str = ""
    ) -> None:
        self.figures.append(Figure(self.bench, name, value, unit, goal, passed, note))

    def to_json(self) -> dict[str, Any]:
        return {"bench": self.bench, "figures": [asdict(f) for f in self.figures], "details": self.details}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far, all its threads (psutil)."""
    import psutil  # type: ignore[import-untyped, unused-ignore]

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def render_table(results: list[BenchResult]) -> str:
    rows = [("benchmark", "figure", "value", "goal", "result", "note")]
    for result in results:
        for f in result.figures:
            rows.append((f.bench, f.name, f.shown(), f.goal, f.verdict(), f.note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
