"""The coverage study behind the verdict: does its interval keep its promise, and how often is a clear sign wrong?

A pool of paired replications (a baseline's and a plan's primary metric, replication by replication, from real
runs) stands for the world's distribution of outcomes, and its mean difference for the long-run difference. An
experiment is replayed many times on replications resampled from the pool: the stopping rule (`Rounds`, with the
scenario's `experiment` settings: first batch, batches, precision target, cap, and the minimum of
`MIN_CLEAR_REPLICATIONS`) decides when to stop, then the paired t interval and the verdict are computed as a run
computes them. Coverage is the share of replays whose interval holds the long-run difference; the wrong-sign rate is
the share that call a clear difference (clear, or small but clear) of the wrong sign. `benchmarks/coverage.py` runs
it on worlds where one account holds 10% to 40% of all potential; `tests/test_verdict_safety.py` on a small one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from simulator.experiment.sequential import Rounds
from simulator.schema.base import Strict
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS, NO_CLEAR, paired_interval, verdict

BASE, PLAN = "baseline", "plan"


@dataclass(frozen=True)
class Coverage:
    """What the replays found.

    Attributes:
        replays: experiments replayed.
        long_run: the pool's mean paired difference, the truth the intervals should hold.
        coverage: share of replays whose 95% interval holds `long_run` (NaN when no interval was defined).
        wrong_sign: share of replays calling a clear difference whose sign is not `long_run`'s.
        called: share of replays calling any clear difference.
        mean_replications: mean replications per replay (where the stopping rule stopped).
    """

    replays: int
    long_run: float
    coverage: float
    wrong_sign: float
    called: float
    mean_replications: float


def _rounds(experiment: Strict, minimum: int) -> Rounds:
    """The stopping rule of a two-policy experiment with these settings."""
    scenario = SimpleNamespace(experiment=experiment, policies=[SimpleNamespace(key=BASE), SimpleNamespace(key=PLAN)],
                               baseline_key=lambda: BASE)
    return Rounds(scenario, minimum)  # type: ignore[arg-type]  # Rounds reads only these three


def replay(pool: np.ndarray, experiment: Strict, key: str, rng: np.random.Generator,
           minimum: int = MIN_CLEAR_REPLICATIONS) -> tuple[int, float, float, str]:
    """One experiment on replications drawn from `pool` (rows: replications; columns: baseline, plan).

    `minimum`: the fewest replications to stop at and call a difference on (the run's is `MIN_CLEAR_REPLICATIONS`).

    Returns:
        (replications used, interval low, interval high, verdict), as a run with these settings would give them.
    """
    rounds = _rounds(experiment, minimum)
    done = 0
    while True:
        batch = rounds.next_batch(done)
        for replication, row in zip(batch, pool[rng.integers(0, len(pool), len(batch))], strict=True):
            rounds.record(0, BASE, replication, float(row[0]))
            rounds.record(0, PLAN, replication, float(row[1]))
        done = batch.stop
        if not experiment.sequential or rounds.check([0], done).met or done >= experiment.max_replications:
            break
    data = rounds.matrix(0, done)
    mean, low, high = paired_interval(data[:, 1] - data[:, 0])
    return done, low, high, verdict(key, mean, low, high, float(data[:, 0].mean()), done, minimum)


def coverage_study(pool: np.ndarray, experiment: Strict, key: str, replays: int, rng: np.random.Generator,
                   minimum: int = MIN_CLEAR_REPLICATIONS) -> Coverage:
    """Replay the experiment `replays` times on `pool` and measure its coverage and wrong-sign rate."""
    long_run = float((pool[:, 1] - pool[:, 0]).mean())
    held, wrong, called, used, defined = 0, 0, 0, 0, 0
    for _ in range(replays):
        n, low, high, said = replay(pool, experiment, key, rng, minimum)
        used += n
        if math.isfinite(low):
            defined += 1
            held += low <= long_run <= high
        if said != NO_CLEAR:
            called += 1
            wrong += (low > 0 and long_run < 0) or (high < 0 and long_run > 0)
    return Coverage(replays, long_run, held / defined if defined else math.nan, wrong / replays, called / replays,
                    used / replays)


def paired_pool(summary, plan: str, baseline: str, key: str, sweep_point: int = 0) -> np.ndarray:
    """Replications x (baseline, plan) of one metric from a summary table (rows with both values only)."""
    rows = summary[(summary["metric"] == key) & (summary["sweep_point"] == sweep_point)]
    wide = rows.pivot_table(index="replication", columns="policy", values="value", aggfunc="first")
    return wide[[baseline, plan]].dropna().to_numpy(dtype=float)
