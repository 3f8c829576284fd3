"""Paired comparisons: every policy against the baseline, replication by replication.

Replication r of two policies shares its random streams, so the difference within a replication removes the noise
both face; the mean difference gets a t interval on the paired differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# which way is better, for the words in the printed comparison
HIGHER_IS_BETTER = {"revenue", "share_rep_quarters_at_quota", "median_attainment", "selling_share"}
LOWER_IS_BETTER = {"coverage_gap", "unvisited_account_share", "travel_share", "admin_share", "workload_cv",
                   "annual_turnover", "vacancy_days", "orphaned_account_days", "attainment_cv", "attainment_gini",
                   "workload_max_deviation", "disruption_account_share", "disruption_potential_share"}
COLUMNS = ["sweep_point", "policy", "baseline", "metric", "mean_diff", "ci_low", "ci_high", "n"]


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
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * spread / np.sqrt(n)
    return mean, mean - half, mean + half


def compare(summary: pd.DataFrame, baseline: str, metrics: list[str]) -> pd.DataFrame:
    """Paired differences of every policy versus `baseline`, per sweep point and metric."""
    rows = []
    wide = summary[summary["metric"].isin(metrics)].pivot_table(
        index=["sweep_point", "replication", "metric"], columns="policy", values="value", aggfunc="first")
    for (sweep_point, metric), block in wide.groupby(level=["sweep_point", "metric"]):
        for policy in block.columns:
            if policy == baseline:
                continue
            pairs = block[[policy, baseline]].dropna()
            mean, low, high = paired_interval((pairs[policy] - pairs[baseline]).to_numpy())
            rows.append({"sweep_point": int(sweep_point), "policy": policy, "baseline": baseline, "metric": metric,
                         "mean_diff": mean, "ci_low": low, "ci_high": high, "n": len(pairs)})
    return pd.DataFrame(rows, columns=COLUMNS)


def verdicts(comparison: pd.DataFrame) -> list[str]:
    """One sentence per difference whose interval excludes zero, saying which policy is better on what."""
    lines = []
    for row in comparison.itertuples():
        if not (row.ci_low > 0 or row.ci_high < 0):
            continue
        up = row.ci_low > 0
        if row.metric in HIGHER_IS_BETTER:
            judgement = "better" if up else "worse"
        elif row.metric in LOWER_IS_BETTER:
            judgement = "worse" if up else "better"
        else:
            judgement = "higher" if up else "lower"
        where = f"[sweep point {row.sweep_point}] " if comparison["sweep_point"].nunique() > 1 else ""
        lines.append(f"{where}{row.policy} is {judgement} than {row.baseline} on {row.metric}: "
                     f"{row.mean_diff:+.4g} (95% CI {row.ci_low:+.4g} to {row.ci_high:+.4g}, n={row.n})")
    return lines
