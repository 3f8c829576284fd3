"""Experiment throughput: the national default at scale, and the executors on the quickstart world.

    python benchmarks/experiment.py [--national-replications 30] [--replications 40] [--skip-executors]

Targets: the national default (us_national.yaml), 3 policies (as_is, nearest, balanced) x 30 replications on the
local executor with 2 workers, in at most 120 s (issue 10; design goal 60 s), alignments and world included; and
(issue 6) at least 1.7x speed-up with 2 workers on 40 quickstart replications, with identical tables on every
executor.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from simulator import load_scenario, run_experiment

QUICKSTART = Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml"
NATIONAL = Path(__file__).resolve().parent.parent / "scenarios" / "us_national.yaml"
NATIONAL_POLICIES = ("as_is", "nearest", "balanced")
NATIONAL_TARGET_S, NATIONAL_GOAL_S = 120.0, 60.0


def national(replications: int) -> None:
    """The national default, 3 policies x `replications`, local executor on 2 workers."""
    scenario = load_scenario(NATIONAL)
    # a fixed number of replications (the shipped scenario replicates to a precision target: benchmarks/demo.py)
    scenario = scenario.with_overrides(**{"experiment.replications": replications, "experiment.precision": None},
                                       policies=[p.model_dump() for p in scenario.policies
                                                 if p.key in NATIONAL_POLICIES])
    started = time.perf_counter()
    run_experiment(scenario, write=False, executor="local", workers=2)
    seconds = time.perf_counter() - started
    runs = len(scenario.policies) * replications
    met = "met" if seconds <= NATIONAL_TARGET_S else "NOT met"
    goal = "met" if seconds <= NATIONAL_GOAL_S else "not yet"
    print(f"national default: {runs} runs ({len(scenario.policies)} policies x {replications} replications, "
          f"{scenario.calendar.quarters} quarters, {scenario.world.geography.reps} reps) on 2 local workers: "
          f"{seconds:.1f} s   target <= {NATIONAL_TARGET_S:.0f} s: {met}   (design goal <= {NATIONAL_GOAL_S:.0f} s: "
          f"{goal})")


def timed(label: str, **options: object) -> tuple[float, pd.DataFrame]:
    started = time.perf_counter()
    result = run_experiment(SCENARIO, write=False, **options)
    seconds = time.perf_counter() - started
    print(f"{label:<32} {seconds:7.1f} s")
    return seconds, result.summary


def main() -> None:
    global SCENARIO
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--national-replications", type=int, default=30)
    parser.add_argument("--skip-executors", action="store_true", help="only the national benchmark")
    args = parser.parse_args()
    national(args.national_replications)
    if args.skip_executors:
        return
    SCENARIO = load_scenario(QUICKSTART).with_overrides(**{"experiment.replications": args.replications})
    runs = len(SCENARIO.policies) * args.replications
    print(f"quickstart world: {runs} runs ({len(SCENARIO.policies)} policies x {args.replications} replications, "
          f"{SCENARIO.calendar.quarters} quarters)")
    one, reference = timed("local, 1 worker", executor="local", workers=1)
    two, local2 = timed("local, 2 workers", executor="local", workers=2)
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask_seconds, dask = timed("dask LocalCluster, 2 workers", executor="dask",
                                   scheduler=cluster.scheduler_address)
    for other in (local2, dask):
        pd.testing.assert_frame_equal(reference, other)
    print(f"speed-up with 2 local workers: {one / two:.2f}x   with 2 Dask workers: {one / dask_seconds:.2f}x "
          "(target >= 1.7x); summary tables identical across executors")


SCENARIO = None

if __name__ == "__main__":
    main()
