"""Experiment throughput: 40 replications of the quickstart world with 1 and 2 local workers and on Dask.

    python benchmarks/experiment.py [--replications 40]

Target (issue 6): at least 1.7x speed-up with 2 workers. Also checks that every executor gives the same tables.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from simulator import load_scenario, run_experiment

QUICKSTART = Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml"


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
    args = parser.parse_args()
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
