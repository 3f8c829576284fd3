"""Paired comparisons: every policy against the baseline, replication by replication.

Replication r of two policies shares its random streams (common random numbers), so the difference within a
replication removes the noise both face; the mean difference gets a t interval on the paired differences. A
difference is called (better, worse; higher or lower for a metric without a direction) only on at least
`MIN_CLEAR_REPLICATIONS` pairs, when its interval excludes zero *and* it is at least the metric's practical threshold
(`catalogue`); a clear difference below that threshold is "small but clear"; otherwise it is "no clear
difference". The correlation of a policy's values with the baseline's across replications shows what the pairing
buys: `replications_needed` is what the paired interval needs to reach a target half-width, and
`replications_needed_unpaired` what independent runs would need for the same.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from simulator.catalogue import NEITHER, metric

COLUMNS = ["sweep_point", "policy", "baseline", "metric", "mean_diff", "ci_low", "ci_high", "n", "baseline_mean",
           "relative_diff", "relative_ci_low", "relative_ci_high", "verdict", "correlation", "replications_needed",
           "replications_needed_unpaired"]
NO_CLEAR = "no clear difference"
SMALL = "small but clear"
MIN_CLEAR_REPLICATIONS = 20  # fewest paired replications a difference is ever called on (benchmarks/coverage.py)
DEFAULT_TARGET = 0.01  # half-width (a fraction of the baseline mean) the replications-needed columns aim at


def t_quantile(n: int, level: float = 0.95) -> float:
    """Two-sided t quantile for a mean of n observations."""
    return float(stats.t.ppf(0.5 + level / 2, n - 1))


def level_interval(values: np.ndarray, level: float = 0.95) -> tuple[float | None, float | None]:
    """Mean of replications' values and the half-width of its t interval (None when undefined)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return None, None
    half = t_quantile(len(values), level) * float(values.std(ddof=1)) / math.sqrt(len(values)) \
        if len(values) > 1 else None
    return float(values.mean()), half


def paired_interval(differences: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t confidence interval of paired differences (NaN bounds with fewer than two pairs)."""
    differences = np.asarray(differences, dtype=float)
    n = len(differences)
    mean = float(differences.mean()) if n else float("nan")
    if n < 2:
        return mean, float("nan"), float("nan")
    spread = float(differences.std(ddof=1))
    if spread == 0:
        return mean, mean, mean
    half = t_quantile(n, level) * spread / np.sqrt(n)
    return mean, mean - half, mean + half


def replications_for(spread: float, half_width: float, level: float = 0.95) -> int | None:
    """Fewest replications n >= 2 whose t interval of a mean with this standard deviation is at most half_width.

    None when the target is not positive or the spread is undefined.
    """
    if not (half_width > 0 and math.isfinite(spread)):
        return None
    if spread == 0:
        return 2
    n = max(2, math.ceil((1.96 * spread / half_width) ** 2))
    while t_quantile(n, level) * spread / math.sqrt(n) > half_width:
        n += 1
    return n


def verdict(key: str, mean_diff: float, low: float, high: float, baseline_mean: float, n: int,
            minimum: int = MIN_CLEAR_REPLICATIONS) -> str:
    """Better / worse (or higher / lower without a direction) when clear and practical.

    Clear means the interval excludes zero on at least `MIN_CLEAR_REPLICATIONS` pairs: on fewer, a t interval
    does not keep its coverage when a few accounts dominate the metric (benchmarks/coverage.py), so nothing is
    called (`minimum` is there for the coverage study of other minimums). A clear difference below the metric's
    practical threshold is "small but clear", never hidden.
    """
    if n < minimum or not (math.isfinite(low) and math.isfinite(high)) or (low <= 0 <= high):
        return NO_CLEAR
    entry = metric(key)
    if not entry.practical(mean_diff, baseline_mean):
        return SMALL
    if entry.direction == NEITHER:
        return "higher" if mean_diff > 0 else "lower"
    return "better" if entry.better(mean_diff) else "worse"


def compare(summary: pd.DataFrame, baseline: str, metrics: list[str], target: float | None = None) -> pd.DataFrame:
    """Paired differences of every policy versus `baseline`, per sweep point and metric.

    `target`: the half-width (a fraction of the baseline mean) the replications-needed columns aim at (default 1%).
    Undefined values (an interval from fewer than two pairs, a relative difference from a zero baseline) are NaN,
    written as null.
    """
    target = target or DEFAULT_TARGET
    rows = []
    wide = summary[summary["metric"].isin(metrics)].pivot_table(
        index=["sweep_point", "replication", "metric"], columns="policy", values="value", aggfunc="first",
        dropna=False)
    present = set(wide.index.get_level_values("metric"))
    order = list(dict.fromkeys(summary["policy"]))  # policies in the order the summary lists them (the scenario's)
    for sweep_point, by_point in wide.groupby(level="sweep_point"):
        for key in [m for m in dict.fromkeys(metrics) if m in present]:  # metrics in the order asked
            block = by_point.xs(key, level="metric")
            if baseline not in block.columns:
                continue
            rows.extend(_policy_rows(int(sweep_point), key, block, baseline, target, order))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("replications_needed", "replications_needed_unpaired"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _policy_rows(sweep_point: int, key: str, block: pd.DataFrame, baseline: str, target: float,
                 order: list[str]) -> list[dict]:
    """Comparison rows of every policy (in `order`) of one sweep point and metric (`block`: replications x policies)."""
    rows = []
    for policy in [p for p in order if p in block.columns]:
        if policy == baseline:
            continue
        pairs = block[[policy, baseline]].dropna()
        own, base = pairs[policy].to_numpy(), pairs[baseline].to_numpy()
        mean, low, high = paired_interval(own - base)
        base_mean = float(base.mean()) if len(base) else math.nan
        scale = abs(base_mean) if base_mean else math.nan
        rows.append({
            "sweep_point": sweep_point, "policy": policy, "baseline": baseline, "metric": key,
            "mean_diff": mean, "ci_low": low, "ci_high": high, "n": len(pairs), "baseline_mean": base_mean,
            "relative_diff": mean / scale, "relative_ci_low": low / scale, "relative_ci_high": high / scale,
            "verdict": verdict(key, mean, low, high, base_mean, len(pairs)),
            **_pairing(own, base, target * scale),
        })
    return rows


def _pairing(own: np.ndarray, base: np.ndarray, half_width: float) -> dict[str, float | int | None]:
    """Correlation with the baseline across replications, and replications needed paired and unpaired."""
    if len(own) < 3 or own.std() == 0 or base.std() == 0:
        correlation = math.nan
    else:
        correlation = float(np.corrcoef(own, base)[0, 1])
    if len(own) < 2:
        return {"correlation": correlation, "replications_needed": None, "replications_needed_unpaired": None}
    paired = float((own - base).std(ddof=1))
    unpaired = math.sqrt(float(own.var(ddof=1)) + float(base.var(ddof=1)))
    return {"correlation": correlation, "replications_needed": replications_for(paired, half_width),
            "replications_needed_unpaired": replications_for(unpaired, half_width)}
