"""How long will this workflow take? A prediction from the request, learned from this account's history.

Why: one learned duration per *operation* is useless when a ``searchPeople`` with ``limit: 5`` and
one with ``limit: 500`` differ 50×, and the poll schedule (:mod:`.timing`) can only look densely
around the end if it knows where the end is. So the prediction is made from the workflow
**definition** — what any client of Linked API can see — and calibrated on the durations this
server measured for the same account (the ledger's completed rows keep their arguments).

The model (Bayesian linear regression, small enough to solve in pure Python):

* **Features** of a definition: for each action type ``t`` in its tree, ``n:t`` = how many times
  it runs, and for actions returning lists ``items:t`` = items requested (its ``limit``) or, with
  no ``limit``, ``default:t`` = how many times it runs with the API's default count. Actions under
  an iterator (``doForPeople`` …) run once per item of their parent, so their features are
  multiplied by that fan-out. Nothing here knows how long any action takes.
* **Duration ≈ Σ weight × feature**: a constant per action run plus a rate per item. Weights
  start from a deliberately vague prior (``PRIOR_*``, in seconds) and are learned jointly over
  every timed completion of the account, so a rate learned from ``fetchCompany`` with employees
  also informs a custom workflow that retrieves employees.
* **Uncertainty**: the noise level is estimated robustly (1.4826 × median absolute leave-one-out
  residual, shrunk towards a prior for small histories) and the prediction's spread adds the
  weights' remaining uncertainty, so an operation never seen before gets a wide spread (and the
  schedule a wide, sparse window) while a well-known one gets a narrow, dense one.

Per account: the embedded sandbox and a real account never teach each other (the ledger's
account key differs), and accounts differ in speed.

History: the account's latest ``SAMPLE`` timed completions, which the ledger keeps as a bounded
window (its ``duration_samples`` table, one row added as a timed workflow completes, the oldest
dropped) rather than finding them in the whole workflow history; an unchanged window is not read
again, and the fit for it is cached (:func:`predict_row`), so a prediction costs the same at 10
ledger rows as at 100,000 (``tools/bench/ledger_scale.py``).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Features = Mapping[str, float]

# [INFERRED] Priors, in seconds. The contract only says "~30 s to minutes" and that fetches with
# many retrievals and large searches are slowest (§3): an action ~10 s, an item ~1 s, both vague.
PRIOR_ACTION = (10.0, 5.0)  # (mean, std) seconds per action run
PRIOR_ITEM = (1.0, 1.0)  # seconds per requested item
PRIOR_DEFAULT = (15.0, 20.0)  # seconds per list action run with the API's default count
PRIOR_NOISE = 3.0  # noise std before any history, seconds
PRIOR_NOISE_WEIGHT = 2.0  # the prior noise counts as this many residuals
MIN_NOISE = 0.5  # measured durations are only known to about ± half a poll interval
# [INFERRED] An iterator over a list action with no explicit limit: assume this many items.
DEFAULT_FANOUT = 10.0
SAMPLE = 200  # completed rows a prediction learns from (newest first)


@dataclass(frozen=True)
class Prediction:
    """Predicted run time (``mean``) and its standard deviation (``spread``), in seconds."""

    mean: float
    spread: float
    samples: int = 0  # timed completions it learned from

    def scaled(self, factor: float) -> Prediction:
        return Prediction(self.mean / factor, self.spread / factor, self.samples)


# -- features -----------------------------------------------------------------------------------


def definition_features(definition: Any) -> dict[str, float]:
    """The work a definition asks for (see the module docstring); ``{}`` for an unreadable one."""
    from linkedapi_mcp.actions import ACTIONS

    features: dict[str, float] = {}

    def add(key: str, value: float) -> None:
        features[key] = features.get(key, 0.0) + value

    def children(then: Any) -> list[dict[str, Any]]:
        if isinstance(then, dict):
            return [then]
        if isinstance(then, list):
            return [c for c in then if isinstance(c, dict)]
        return []

    def walk(node: dict[str, Any], runs: float, parent_items: float) -> None:
        action = str(node.get("actionType", ""))
        spec = ACTIONS.get(action)
        if spec is not None and spec.is_iterator:
            for child in children(node.get("then")):  # once per item of the parent
                walk(child, runs * parent_items, 1.0)
            return
        add("n:" + action, runs)
        items = 1.0
        if spec is not None and spec.data == "array":
            limit = node.get("limit")
            if isinstance(limit, int | float) and not isinstance(limit, bool) and limit > 0:
                items = float(limit)
                add("items:" + action, runs * items)
            else:
                items = DEFAULT_FANOUT
                add("default:" + action, runs)
        for child in children(node.get("then")):
            walk(child, runs, items)

    nodes = definition if isinstance(definition, list) else [definition]
    for node in nodes:
        if isinstance(node, dict):
            walk(node, 1.0, 1.0)
    return features


@lru_cache(maxsize=4096)
def _cached_features(operation: str, args_json: str) -> tuple[tuple[str, float], ...]:
    from linkedapi_mcp.catalog import by_operation_name

    try:
        op = by_operation_name(operation)
        if op.build is None:
            return ()
        definition = op.build(op.parse(json.loads(args_json)))
    except Exception:  # an old row whose arguments no longer parse teaches nothing
        return ()
    return tuple(sorted(definition_features(definition).items()))


def request_features(operation: str, arguments: Mapping[str, Any]) -> dict[str, float]:
    """Features of an operation called with these (wire) arguments; ``{}`` if it cannot be built."""
    args_json = json.dumps(dict(arguments), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return dict(_cached_features(operation, args_json))


def row_features(operation: str, args_json: str) -> dict[str, float]:
    return dict(_cached_features(operation, args_json))


# -- the model ----------------------------------------------------------------------------------


def _prior(key: str) -> tuple[float, float]:
    if key.startswith("items:"):
        return PRIOR_ITEM
    if key.startswith("default:"):
        return PRIOR_DEFAULT
    return PRIOR_ACTION


def _invert(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan inverse of a symmetric positive-definite matrix (small: a few dozen rows)."""
    n = len(matrix)
    a = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        p = a[col][col]
        a[col] = [v / p for v in a[col]]
        for r in range(n):
            if r != col and a[r][col] != 0.0:
                f = a[r][col]
                a[r] = [v - f * w for v, w in zip(a[r], a[col], strict=True)]
    return [row[n:] for row in a]


def _quad(x: Sequence[float], m: Sequence[Sequence[float]]) -> float:
    return sum(x[i] * sum(m[i][j] * x[j] for j in range(len(x))) for i in range(len(x)))


def _fit(
    keys: list[str], xs: list[list[float]], ys: list[float], noise: float
) -> tuple[list[float], list[list[float]]]:
    """Posterior mean and covariance of the weights, for a given noise std."""
    p = len(keys)
    precision = [[0.0] * p for _ in range(p)]
    rhs = [0.0] * p
    for i, key in enumerate(keys):
        mean, std = _prior(key)
        precision[i][i] += 1.0 / std**2
        rhs[i] += mean / std**2
    inv_noise = 1.0 / noise**2
    for x, y in zip(xs, ys, strict=True):
        nz = [(i, v) for i, v in enumerate(x) if v]
        for i, vi in nz:
            rhs[i] += vi * y * inv_noise
            for j, vj in nz:
                precision[i][j] += vi * vj * inv_noise
    cov = _invert(precision)
    weights = [sum(cov[i][j] * rhs[j] for j in range(p)) for i in range(p)]
    return weights, cov


@dataclass(frozen=True)
class Fit:
    """The learned weights of one account's history: posterior mean and covariance, noise level."""

    keys: tuple[str, ...]
    weights: tuple[float, ...]
    cov: tuple[tuple[float, ...], ...]
    noise: float
    samples: int

    def predict(self, features: Features) -> Prediction | None:
        if not features:
            return None
        x = [features.get(k, 0.0) for k in self.keys]
        mean = sum(w * v for w, v in zip(self.weights, x, strict=True))
        variance = max(_quad(x, self.cov), 0.0)
        for key, value in features.items():  # never seen: its weight is still the prior's
            if key not in self.keys:
                prior_mean, prior_std = _prior(key)
                mean += value * prior_mean
                variance += (value * prior_std) ** 2
        spread = math.sqrt(self.noise**2 + variance)
        return Prediction(mean=max(mean, 0.0), spread=spread, samples=self.samples)


def fit(history: Iterable[tuple[Features, float]]) -> Fit:
    """Learn the weights from ``(features, duration)`` pairs (durations in LinkedIn seconds)."""
    samples = [(f, d) for f, d in history if f and d >= 0]
    keys = sorted(set().union(*(f.keys() for f, _ in samples)))
    xs = [[f.get(k, 0.0) for k in keys] for f, _ in samples]
    ys = [d for _, d in samples]
    noise = PRIOR_NOISE
    weights: list[float] = []
    cov: list[list[float]] = []
    for _ in range(2):  # estimate the noise from leave-one-out residuals, refit with it
        weights, cov = _fit(keys, xs, ys, noise)
        if not samples:
            break
        loo = []
        for x, y in zip(xs, ys, strict=True):
            fitted = sum(w * v for w, v in zip(weights, x, strict=True))
            leverage = min(_quad(x, cov) / noise**2, 0.95)
            loo.append(abs(y - fitted) / (1.0 - leverage))
        robust = 1.4826 * statistics.median(loo)
        n = len(loo)
        noise = math.sqrt((n * robust**2 + PRIOR_NOISE_WEIGHT * PRIOR_NOISE**2) / (n + PRIOR_NOISE_WEIGHT))
        noise = max(noise, MIN_NOISE)
    return Fit(tuple(keys), tuple(weights), tuple(tuple(row) for row in cov), noise, len(samples))


def predict(
    features: Features, history: Iterable[tuple[Features, float]], *, clock_factor: float = 1.0
) -> Prediction | None:
    """Predicted duration of a workflow with ``features``, learned from ``(features, duration)``
    pairs of the same account; ``None`` when the request's work cannot be read (the schedule then
    falls back to its prior). Durations are on a clock ``clock_factor`` times faster than
    LinkedIn's (the embedded sandbox's speed); the priors are in LinkedIn seconds."""
    learned = fit((f, d * clock_factor) for f, d in history)
    prediction = learned.predict(features)
    return None if prediction is None else prediction.scaled(clock_factor)


@lru_cache(maxsize=16)
def _fit_rows(history: tuple[tuple[str, str, float], ...], clock_factor: float) -> Fit:
    # One fit per account history: every wait between two completions reuses it.
    return fit((row_features(op, args), duration * clock_factor) for op, args, duration in history)


def predict_row(
    operation: str, args_json: str, history: Iterable[tuple[str, str, float]], *, clock_factor: float = 1.0
) -> Prediction | None:
    """:func:`predict` for a ledger row, with history rows as the ledger keeps them
    ``(operation, args_json, duration)``."""
    prediction = _fit_rows(tuple(history), clock_factor).predict(row_features(operation, args_json))
    return None if prediction is None else prediction.scaled(clock_factor)


__all__ = [
    "Fit",
    "Prediction",
    "definition_features",
    "fit",
    "predict",
    "predict_row",
    "request_features",
    "row_features",
]
