"""World-build scaling: seconds and peak memory to build a synthetic world at growing size (issue 10, step 4).

    python benchmarks/scale_world.py [--sizes 100x10000 300x30000 1000x100000]

Each size is built in a fresh process, so the peak RSS printed is that build's own (the interpreter and imports
included; the baseline after imports is printed too). Target: 1,000 reps x 100,000 accounts in a few seconds and
well under 4 GB; 100 x 10,000 in well under a second. `world_build_rows` is what `benchmarks/scale.py` calls.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from simulator.scenario import Scenario
from simulator.world import build_world

DEFAULT_SIZES = ((100, 10_000), (300, 30_000), (1_000, 100_000))
ACCOUNTS_PER_KM2 = 100_000 / (3_000 * 2_000)  # the density of the largest size: 3,000 x 2,000 km, 40 metros
ACCOUNTS_PER_METRO = 2_500


def synthetic_scenario(reps: int, accounts: int, seed: int = 1) -> Scenario:
    """A synthetic scenario whose region and metro count grow with the accounts at a constant density."""
    area = accounts / ACCOUNTS_PER_KM2
    width = (area * 1.5) ** 0.5
    return Scenario.model_validate({
        "name": f"scale-{reps}x{accounts}",
        "world": {"synthetic": {"seed": seed, "reps": reps, "accounts": accounts,
                                "metros": max(2, round(accounts / ACCOUNTS_PER_METRO)),
                                "region": {"width_km": round(width), "height_km": round(width / 1.5)}}},
        "policies": ["as_is"],
    })


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def time_world_build(reps: int, accounts: int) -> dict[str, float]:
    """Build one synthetic world in this process: seconds, peak RSS before and after (MB)."""
    scenario = synthetic_scenario(reps, accounts)
    baseline = peak_rss_mb()
    started = time.perf_counter()
    world = build_world(scenario)
    seconds = time.perf_counter() - started
    assert world.n_reps == reps and world.n_accounts == accounts
    config = scenario.world.synthetic
    return {"reps": reps, "accounts": accounts, "metros": config.metros, "width_km": config.region.width_km,
            "height_km": config.region.height_km, "seconds": seconds, "baseline_rss_mb": baseline,
            "peak_rss_mb": peak_rss_mb()}


def world_build_rows(sizes: tuple[tuple[int, int], ...] = DEFAULT_SIZES) -> list[dict[str, float]]:
    """Time the world build at each (reps, accounts), each in its own process so peak RSS is per size."""
    rows = []
    for reps, accounts in sizes:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            rows.append(pool.submit(time_world_build, reps, accounts).result())
    return rows


def _size(text: str) -> tuple[int, int]:
    reps, accounts = text.lower().split("x")
    return int(reps), int(accounts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=_size, default=list(DEFAULT_SIZES),
                        help="REPSxACCOUNTS, e.g. 100x10000")
    args = parser.parse_args()
    print(f"{'reps':>6} {'accounts':>9} {'region km':>11} {'metros':>6} {'build s':>8} {'peak RSS MB':>12} "
          f"{'after imports MB':>17}")
    for row in world_build_rows(tuple(args.sizes)):
        region = f"{row['width_km']:.0f}x{row['height_km']:.0f}"
        print(f"{row['reps']:>6} {row['accounts']:>9,} {region:>11} {row['metros']:>6} {row['seconds']:>8.2f} "
              f"{row['peak_rss_mb']:>12,.0f} {row['baseline_rss_mb']:>17,.0f}", flush=True)


if __name__ == "__main__":
    main()
