"""Engine throughput: simulated visits per second against a bare SimPy timeout loop in the same process.

One replication of a 100-rep, 10,000-account, 8-quarter synthetic world under the as_is alignment.
Target (issue 10): at least 0.25 simulated visits per bare-SimPy timeout (design goal 0.4). Also prints the CPU
seconds of the replication and the compiled kernels' first-run compile time (in a fresh process with an empty
numba cache) and their load time from the cache. Both rates are the best of three runs, as `timeit` reports.

    python benchmarks/engine.py [--reps 100] [--accounts 10000] [--quarters 8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.engine import simulate  # noqa: E402
from simulator.experiment.runs import build_alignments  # noqa: E402
from simulator.scenario import Scenario  # noqa: E402
from simulator.streams import Streams  # noqa: E402
from simulator.world import build_world  # noqa: E402

TARGET, GOAL = 0.25, 0.4
REPEATS = 3
TINY = "from tests.conftest import small_scenario; from simulator.experiment.experiment import run_experiment; " \
       "run_experiment(small_scenario(**{'calendar.days_per_quarter': 5}), write=False, executor='serial')"


def bare_simpy_timeouts_per_second(n: int = 1_000_000) -> float:
    """Timeouts per second of the simplest SimPy process: `yield env.timeout(1)` in a loop."""
    env = simpy.Environment()

    def ticker(env: simpy.Environment):
        while True:
            yield env.timeout(1)

    env.process(ticker(env))
    start = time.perf_counter()
    env.run(until=n)
    return n / (time.perf_counter() - start)


def first_run_seconds(cache_dir: str | None) -> float:
    """Wall seconds of a tiny run in a fresh process (an empty cache folder: compile; the default: load)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import simulator"], check=True, env=env, cwd=ROOT)
    imported = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", TINY], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - start - imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--quarters", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as empty:
        compile_seconds = first_run_seconds(empty)
    cached_seconds = first_run_seconds(None)
    scenario = Scenario.model_validate({
        "name": "bench",
        "world": {"synthetic": {"seed": 1, "reps": args.reps, "accounts": args.accounts, "metros": 10,
                                "region": {"width_km": 900, "height_km": 700}}},
        "calendar": {"quarters": args.quarters},
        "policies": ["as_is"],
    })
    start = time.perf_counter()
    world = build_world(scenario)
    alignment = build_alignments(scenario, world)["as_is"]
    setup = time.perf_counter() - start
    simulate(world, alignment, scenario.with_overrides(**{"calendar.quarters": 1}), Streams(1, 0))  # warm up
    timings = []
    for _ in range(REPEATS):  # best of REPEATS for both rates, as timeit does: the least disturbed run of each
        start, cpu = time.perf_counter(), time.process_time()
        state = simulate(world, alignment, scenario, Streams(1, 0))
        timings.append((time.perf_counter() - start, time.process_time() - cpu))
    elapsed, cpu = min(timings)
    visits = int(state.counters[1])
    visit_rate = visits / elapsed
    bare = max(bare_simpy_timeouts_per_second() for _ in range(REPEATS))
    ratio = visit_rate / bare
    print(f"world: {args.reps} reps, {args.accounts} accounts, {args.quarters} quarters "
          f"(world + alignment built in {setup:.1f} s)")
    print(f"kernels: first-run compile {compile_seconds:.1f} s (empty cache); load from cache {cached_seconds:.1f} s")
    print(f"simulated visits:          {visits:,} in {elapsed:.2f} s wall, {cpu:.2f} CPU s per replication "
          f"(best of {REPEATS})")
    print(f"simulated visits / second: {visit_rate:,.0f}")
    print(f"bare SimPy timeouts / s:   {bare:,.0f} (best of {REPEATS})")
    met = "met" if ratio >= TARGET else "NOT met"
    print(f"ratio (visits per bare timeout): {ratio:.3f}   target >= {TARGET}: {met}"
          f"   (design goal >= {GOAL}: {'met' if ratio >= GOAL else 'not yet'})")


if __name__ == "__main__":
    main()
