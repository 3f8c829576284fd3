"""Selecting the best policy: Kim & Nelson's fully sequential indifference-zone procedure (KN).

Kim, S.-H. and Nelson, B. L. (2001), "A fully sequential procedure for indifference-zone selection in
simulation", ACM Transactions on Modeling and Computer Simulation 11(3): 251-273. With k systems, a first stage
of n0 replications, confidence 1 - alpha and an indifference zone delta, KN returns a system whose mean is within
delta of the best with probability at least 1 - alpha. It works on the variances of *paired differences*, so it
is valid with common random numbers, and profits from them: the more two policies' replications move together,
the sooner one of them is screened out.

    eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2,   h2 = 2 eta (n0 - 1)
    S2_il = sample variance of X_i - X_l over the first n0 replications
    after each replication r >= n0, system i survives if for every other survivor l
        mean_i(r) >= mean_l(r) - W_il(r),   W_il(r) = max(0, delta / (2 r) (h2 S2_il / delta^2 - r))
    stop when one survivor is left, or past the last stage N = max floor(h2 S2_il / delta^2), selecting the largest
    mean (this ends ties: two identical policies are equally good, so either is a correct selection).

An experiment runs every policy in every replication (its tables stay complete and paired), and applies the
screening replication by replication to what has been run, so the answer is the same as if systems had been
dropped as they were screened out. `delta` is the indifference zone in the metric's unit: the experiment sets it
once from the first stage, as `select.indifference` x |baseline mean|.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Selection:
    """What KN concluded from the replications so far.

    Attributes:
        best: index of the selected system, or None while more than one survives.
        survivors: indices still in contention (one when done).
        eliminated_at: replication count at which each screened-out system left.
        replications: replications the procedure used (its last screening).
    """

    best: int | None
    survivors: list[int]
    eliminated_at: dict[int, int] = field(default_factory=dict)
    replications: int = 0

    @property
    def done(self) -> bool:
        """One system is left."""
        return self.best is not None


def kn_constant(k: int, n0: int, alpha: float = 0.05) -> float:
    """h^2 of KN for k systems, first-stage size n0 and confidence 1 - alpha."""
    if k < 2 or n0 < 2:
        raise ValueError("KN needs at least two systems and a first stage of at least two replications")
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def kn_select(values: np.ndarray, delta: float, n0: int, alpha: float = 0.05, maximise: bool = True) -> Selection:
    """Run KN over replications x systems `values` (row r: replication r of every system, common random numbers).

    Args:
        values: a (replications, systems) array, replications in the order they were run.
        delta: the indifference zone (> 0), in the values' unit.
        n0: first-stage size (the first n0 rows estimate the variances).
        alpha: 1 - the confidence of a correct selection.
        maximise: larger is better (False: smaller is better).

    Returns:
        The selection after the last row (not done if the rows ran out first).
    """
    data = np.asarray(values, dtype=float)
    if not maximise:
        data = -data
    n, k = data.shape
    if k == 1:
        return Selection(0, [0], {}, n)
    if n < n0:
        return Selection(None, list(range(k)), {}, 0)
    if not delta > 0:
        raise ValueError(f"the indifference zone must be positive, got {delta}")
    h2 = kn_constant(k, n0, alpha)
    first = data[:n0]
    differences = first[:, :, None] - first[:, None, :]  # [r, i, l] = X_i - X_l
    s2 = differences.var(axis=0, ddof=1)
    sums = data[:n0].sum(axis=0)
    survivors = list(range(k))
    eliminated: dict[int, int] = {}
    r = n0
    while True:
        means = sums / r
        slack = np.maximum(0.0, delta / (2 * r) * (h2 * s2 / delta ** 2 - r))
        keep = [i for i in survivors
                if all(means[i] >= means[other] - slack[i, other] for other in survivors if other != i)]
        for i in survivors:
            if i not in keep:
                eliminated[i] = r
        survivors = keep
        if len(survivors) == 1:
            return Selection(survivors[0], survivors, eliminated, r)
        if r > max(math.floor(h2 * s2[i, j] / delta ** 2) for i in survivors for j in survivors if i != j):
            # past KN's last stage N = max floor(h2 S2_il / delta^2): the largest mean is selected (ties: the first)
            best = max(survivors, key=lambda i: (means[i], -i))
            return Selection(best, [best], eliminated, r)
        if r == n:
            return Selection(None, survivors, eliminated, r)
        sums = sums + data[r]
        r += 1
