"""Coverage study: does the verdict's 95% interval hold the long-run difference when one account dominates?

    python benchmarks/coverage.py [--pool 400] [--replays 2000] [--quarters 4]

For worlds where one account holds 10%, 25% and 40% of all potential (377 Illinois accounts, 4 reps, from
tests/crm_world.py), and the five-state Midwest export (1,930 accounts, 15 reps; its top account holds 10%), it runs
a pool of paired replications of as_is and balanced (common random numbers), takes the pool's mean revenue difference
as the long-run difference, and replays experiments on replications resampled from the pool
(`simulator.experiment.coverage`): the default settings (precision target, first batch, cap), looser precision
targets a user may set, and fixed replication counts. It prints, per world and setting, the interval's coverage,
the share of replays calling a clear difference of the wrong sign, and the mean replications used; then the
fixed-n coverage of the plain t interval on disjoint blocks of the pool (real seeds, no resampling).

Targets: at the default settings, coverage >= 94% (nominal 95%, less two Monte Carlo sd at 2,000 replays) on every
world, and a wrong-sign rate <= 2.5% (the one-sided error a 95% interval allows).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from crm_world import write_dominant_world, write_midwest_export  # noqa: E402

from simulator.experiment.coverage import coverage_study, paired_pool  # noqa: E402
from simulator.experiment.experiment import run_experiment  # noqa: E402
from simulator.scenario import Experiment, Scenario  # noqa: E402
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS, paired_interval  # noqa: E402
from simulator.world.crm import import_crm  # noqa: E402

TARGET_COVERAGE, TARGET_WRONG_SIGN = 0.94, 0.025


def pool_of(folder: Path, replications: int, quarters: int) -> np.ndarray:
    """Replications x (as_is, balanced) revenue of a world-files world."""
    scenario = Scenario.model_validate({
        "name": "coverage", "world": {"files": {"accounts": str(folder / "accounts.parquet"),
                                                "reps": str(folder / "reps.parquet")}},
        "calendar": {"quarters": quarters}, "policies": ["as_is", "balanced"],
        "experiment": {"replications": replications, "seed": 11}})
    result = run_experiment(scenario, write=False, executor="local")
    return paired_pool(result.summary, "balanced", "as_is", "revenue")


def settings() -> dict[str, tuple[Experiment, int]]:
    """The experiments replayed, with the minimum they stop at: the default, looser targets, other minimums."""
    low = MIN_CLEAR_REPLICATIONS
    return {"default (±1%, first batch 20, cap 100)": (Experiment(), low),
            "precision ±5%": (Experiment(precision=0.05), low),
            "precision ±10%": (Experiment(precision=0.1), low),
            "precision ±10%, if the minimum were 3": (Experiment(precision=0.1, replications=3), 3),
            "precision ±10%, if the minimum were 10": (Experiment(precision=0.1, replications=10), 10),
            "fixed 3 (never called)": (Experiment(replications=3), low),
            "fixed 3, if called": (Experiment(replications=3), 3),
            f"fixed {low}": (Experiment(replications=low), low)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", type=int, default=400)
    parser.add_argument("--replays", type=int, default=2000)
    parser.add_argument("--quarters", type=int, default=4)
    args = parser.parse_args()
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        worlds = {f"one account {share:.0%} of potential": write_dominant_world(Path(tmp) / f"w{share}", share)
                  for share in (0.10, 0.25, 0.40)}
        accounts, users = write_midwest_export(Path(tmp) / "export")
        import_crm(accounts, Path(tmp) / "midwest", users)
        worlds["Midwest export (top account 10%)"] = Path(tmp) / "midwest"
        for name, folder in worlds.items():
            started = time.perf_counter()
            pool = pool_of(folder, args.pool, args.quarters)
            differences = pool[:, 1] - pool[:, 0]
            print(f"\n{name}: {len(pool)} paired replications in {time.perf_counter() - started:.0f} s; long-run "
                  f"difference {differences.mean() / pool[:, 0].mean():+.1%} of as_is revenue, sd of one pair "
                  f"{differences.std(ddof=1) / pool[:, 0].mean():.1%}")
            for label, (experiment, minimum) in settings().items():
                found = coverage_study(pool, experiment, "revenue", args.replays, np.random.default_rng(7), minimum)
                default = label.startswith("default")
                ok = found.coverage >= TARGET_COVERAGE and found.wrong_sign <= TARGET_WRONG_SIGN
                met &= ok or not default
                print(f"  {label:<42} coverage {found.coverage:6.1%}  wrong sign {found.wrong_sign:5.1%}  called "
                      f"{found.called:6.1%}  mean replications {found.mean_replications:5.1f}"
                      + (f"   target: {'met' if ok else 'NOT met'}" if default else ""))
            blocks = []
            for n in (3, 5, 10, 20, 40):
                cuts = [differences[i:i + n] for i in range(0, len(differences) - n + 1, n)]
                held = [low <= differences.mean() <= high for _, low, high in map(paired_interval, cuts)]
                blocks.append(f"n={n}: {np.mean(held):.0%} of {len(cuts)}")
            print("  t interval on disjoint blocks of the pool: " + ", ".join(blocks))
    print(f"\ntargets at the default settings: coverage >= {TARGET_COVERAGE:.0%}, wrong sign <= "
          f"{TARGET_WRONG_SIGN:.1%}: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
