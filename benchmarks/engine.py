"""Engine throughput: simulated visits per second against a bare SimPy timeout loop in the same process.

One replication of a 100-rep, 10,000-account, 8-quarter synthetic world under the as_is alignment.
Design goal (issue 2): at least 0.1 simulated visits per bare-SimPy timeout (longer term 0.25).

    python benchmarks/engine.py [--reps 100] [--accounts 10000] [--quarters 8]
"""

from __future__ import annotations

import argparse
import time

import simpy

from simulator.engine import simulate
from simulator.runs import build_alignments
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world import build_world


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--quarters", type=int, default=8)
    args = parser.parse_args()
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
    start = time.perf_counter()
    state = simulate(world, alignment, scenario, Streams(1, 0))
    elapsed = time.perf_counter() - start
    visits = len(state.visit_log)
    visit_rate = visits / elapsed
    bare = bare_simpy_timeouts_per_second()
    print(f"world: {args.reps} reps, {args.accounts} accounts, {args.quarters} quarters "
          f"(world + alignment built in {setup:.1f} s)")
    print(f"simulated visits:          {visits:,} in {elapsed:.2f} s")
    print(f"simulated visits / second: {visit_rate:,.0f}")
    print(f"bare SimPy timeouts / s:   {bare:,.0f}")
    print(f"ratio (visits per bare timeout): {visit_rate / bare:.3f}   (goal >= 0.1, longer term 0.25)")


if __name__ == "__main__":
    main()
