"""Scale: one replication at 100 x 10k, 300 x 30k and 1,000 reps x 100,000 accounts x 8 quarters.

Each size runs in a fresh process (so its peak RSS is its own): world build, alignment (as_is), simulation and
the run's tables are timed separately. Targets (issue 10), at the largest size: at most 60 s wall including the
world build, and at most 4 GB peak RSS; microseconds per simulated visit should grow about linearly at most.

    python benchmarks/scale.py [--quarters 8] [--sizes 100x10000 300x30000 1000x100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WALL_TARGET_S, RSS_TARGET_MB = 60.0, 4096.0
ONE_SIZE = """
import json, sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from scale_world import peak_rss_mb, synthetic_scenario
from simulator.engine import simulate
from simulator.metrics import run_tables
from simulator.policies import get_policy
from simulator.streams import Streams
from simulator.world import build_world
scenario = synthetic_scenario({reps}, {accounts}).with_overrides(**{{"calendar.quarters": {quarters}}})
began = time.perf_counter()
world = build_world(scenario)
built = time.perf_counter()
alignment = get_policy("as_is")(world, world.initial_seats(), {{}}, Streams(1).generator("as_is"))
aligned = time.perf_counter()
state = simulate(world, alignment, scenario, Streams(1, 0))
simulated = time.perf_counter()
tables = run_tables(state)
ended = time.perf_counter()
print(json.dumps({{"world_s": built - began, "align_s": aligned - built, "simulate_s": simulated - aligned,
                  "tables_s": ended - simulated, "total_s": ended - began, "visits": int(state.counters[1]),
                  "peak_rss_mb": peak_rss_mb()}}))
"""


def run_size(reps: int, accounts: int, quarters: int) -> dict[str, float]:
    """One size in a fresh process (the kernels load from the numba cache, compiled by a warm-up run first)."""
    code = ONE_SIZE.format(root=str(ROOT), bench=str(ROOT / "benchmarks"), reps=reps, accounts=accounts,
                           quarters=quarters)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--sizes", nargs="+", default=["100x10000", "300x30000", "1000x100000"])
    args = parser.parse_args()
    run_size(10, 1000, 1)  # compile the kernels into the cache once, so no size pays for it
    print(f"{'reps':>5} {'accounts':>9} {'world s':>8} {'align s':>8} {'simulate s':>11} {'tables s':>9} "
          f"{'total s':>8} {'visits':>10} {'us/visit':>9} {'peak RSS MB':>12}")
    last = None
    for size in args.sizes:
        reps, accounts = (int(x) for x in size.split("x"))
        began = time.perf_counter()
        row = run_size(reps, accounts, args.quarters)
        wall = time.perf_counter() - began
        per_visit = 1e6 * row["simulate_s"] / max(row["visits"], 1)
        print(f"{reps:>5} {accounts:>9,} {row['world_s']:>8.1f} {row['align_s']:>8.1f} {row['simulate_s']:>11.1f} "
              f"{row['tables_s']:>9.1f} {row['total_s']:>8.1f} {row['visits']:>10,} {per_visit:>9.2f} "
              f"{row['peak_rss_mb']:>12,.0f}   (process wall {wall:.1f} s)")
        last = (row, wall)
    row, wall = last
    fast = "met" if row["total_s"] <= WALL_TARGET_S else "NOT met"
    small = "met" if row["peak_rss_mb"] <= RSS_TARGET_MB else "NOT met"
    print(f"largest size: {row['total_s']:.1f} s wall in the run (world build included; {wall:.1f} s with the "
          f"interpreter start), target <= {WALL_TARGET_S:.0f} s: {fast}; peak RSS {row['peak_rss_mb']:,.0f} MB, "
          f"target <= {RSS_TARGET_MB:,.0f} MB: {small}")


if __name__ == "__main__":
    main()
