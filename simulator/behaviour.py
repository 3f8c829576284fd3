"""Small, pure behavioural functions: pacing, ramp-up, noise, quota and inequality.

Kept free of SimPy and of the world so each one can be tested on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

PACING_PROFILES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    # name: (field-time effort by month, opportunity-creation effectiveness by month)
    "even": ((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
    # Reps below the top 20% coast early and cram calls into month 3, each call less effective.
    "back_loaded": ((0.85, 0.95, 1.25), (1.0, 1.0, 0.8)),
}


def ramp_multiplier(months_since_hire: float | np.ndarray, steps: Sequence[tuple[float, float]]) -> float | np.ndarray:
    """Productivity of a rep `months_since_hire` into the job: the first step whose month bound is above it.

    Works on one number or elementwise on an array.
    """
    months = np.asarray(months_since_hire, dtype=float)
    ramp = np.ones(months.shape)
    for month_bound, multiplier in reversed(steps):  # earlier steps overwrite later ones: the first above wins
        ramp[months < month_bound] = multiplier
    return float(ramp) if ramp.ndim == 0 else ramp


def cv_to_sigma(cv: float) -> float:
    """Log-sd of a lognormal with the given coefficient of variation."""
    return math.sqrt(math.log1p(cv * cv))


def pacing_profile(pacing: object) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Effort and effectiveness by month for a named profile or an explicit one."""
    if isinstance(pacing, str):
        return PACING_PROFILES[pacing]
    return tuple(pacing.effort), tuple(pacing.effectiveness)  # type: ignore[attr-defined]


def seat_quotas(policy: str, company_target: float, seat_potential: np.ndarray,
                seat_workload: np.ndarray | None = None, capacity_hours: float | None = None) -> np.ndarray:
    """Quota per seat for one quarter.

    Args:
        policy: "equal" splits the target evenly; "potential" splits it by territory potential; "workload" splits
            it by the potential a rep can cover: potential x min(1, capacity_hours / workload), so a territory whose
            visits and travel need more hours than a rep has carries quota only for the share it can work.
        company_target: the company's quarterly target ($).
        seat_potential: annual potential per seat.
        seat_workload: hours per quarter each seat's accounts ask for (visits x (visit + drive)); "workload" only.
        capacity_hours: a rep's field hours per quarter; "workload" only.

    """
    seats = len(seat_potential)
    if policy == "workload":
        if seat_workload is None or capacity_hours is None:
            raise ValueError("the workload quota policy needs seat_workload and capacity_hours")
        coverable = np.minimum(1.0, np.divide(capacity_hours, seat_workload, out=np.ones(seats),
                                              where=seat_workload > 0))
        return seat_quotas("potential", company_target, seat_potential * coverable)
    if policy == "equal" or seat_potential.sum() <= 0:
        return np.full(seats, company_target / seats)
    if policy == "potential":
        return company_target * seat_potential / seat_potential.sum()
    raise ValueError(f"unknown quota policy {policy!r}")


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = all equal)."""
    values = np.sort(np.asarray(values, dtype=float))
    n = len(values)
    if n == 0 or values.sum() <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * ranks - n - 1) @ values / (n * values.sum()))


def time_to_fill_lognormal(mean_days: float, sd_days: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with the given mean and standard deviation."""
    sigma2 = math.log1p((sd_days / mean_days) ** 2)
    return math.log(mean_days) - 0.5 * sigma2, math.sqrt(sigma2)
