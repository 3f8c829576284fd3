"""Alignment benchmark: balanced territories on real geography, against spopt's max-p where it is installed.

    python benchmarks/align.py [--quick]

Workloads (targets of issue 5, checked here rather than in timed tests):
- 3,109 US counties -> 50 and 100 territories balanced on labour force (target for 50: every territory
  contiguous, max |deviation| <= 5%, <= 10 s on 2 cores);
- ~29,000 US ZIP points -> 200 territories balanced on workload (target: contiguous, within 5%, <= 60 s);
- min_disruption (minimising accounts moved) from the national as-is split (workload CV ~0.3) versus balanced:
  within tolerance while moving under a third of the accounts balanced moves.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np

from simulator.alignment import Alignment, footprints
from simulator.policies import get_policy
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world import World, build_world


def geography_world(layer: str, reps: int, accounts: int) -> World:
    scenario = Scenario.model_validate({"name": "bench", "policies": ["as_is"], "world": {
        "geography": {"layer": layer, "reps": reps, "accounts": accounts, "seed": 11}}})
    return build_world(scenario)


def measure_loads(world: World, alignment: Alignment, unit_values: np.ndarray) -> np.ndarray:
    """Per-seat load of a unit measure, a split unit's value shared among its accounts' seats."""
    seats = alignment.account_seats(world)
    counts = np.bincount(world.account_unit, minlength=world.n_units)
    loads = np.zeros(world.n_reps)
    np.add.at(loads, seats, unit_values[world.account_unit] / counts[world.account_unit])
    empty = counts == 0
    np.add.at(loads, alignment.unit_seat[empty], unit_values[empty])
    return loads


def contiguous_territories(world: World, alignment: Alignment) -> int:
    """Territories whose footprint (assigned units plus the split units they share) is connected."""
    return sum(nx.is_connected(world.adjacency.subgraph(units)) for units in footprints(world, alignment) if units)


def report(label: str, world: World, alignment: Alignment, loads: np.ndarray, seconds: float) -> None:
    deviation = loads / loads.mean() - 1
    print(f"{label:<44} {seconds:7.2f} s   CV {loads.std() / loads.mean():.4f}   "
          f"max|dev| {np.abs(deviation).max():6.2%}   contiguous {contiguous_territories(world, alignment)}"
          f"/{alignment.n_seats}   split units {len(alignment.info.get('splits', []))}   {search_effort(alignment)}")


def search_effort(alignment: Alignment) -> str:
    """Moves spent of the move budget, and whether the budget or the wall-clock safety net stopped the search."""
    info = alignment.info
    return (f"moves {info['moves_spent']}/{info['move_budget']}"
            f"{' (budget hit)' if info['move_budget_hit'] else ''}"
            f"{'   TIME LIMIT HIT: machine-dependent' if info['time_limit_hit'] else ''}")


def run_balanced(world: World, params: dict) -> tuple[Alignment, float]:
    started = time.perf_counter()
    alignment = get_policy("balanced")(world, world.initial_seats(), params, Streams(1).generator("bench"))
    return alignment, time.perf_counter() - started


def _maxp_child(world: World, regions: int, queue) -> None:  # runs in a child process (time cap)
    import pandas as pd
    from libpysal.weights import W
    from spopt.region import MaxPHeuristic

    frame = pd.DataFrame(world.units[["unit_id", "labour_force"]])
    weights = W({i: list(world.adjacency.neighbors(i)) for i in range(world.n_units)}, silence_warnings=True)
    threshold = float(frame["labour_force"].sum() / regions * 0.8)
    started = time.perf_counter()
    model = MaxPHeuristic(frame, weights, ["labour_force"], "labour_force", threshold, top_n=2,
                          max_iterations_construction=3)
    model.solve()
    queue.put((time.perf_counter() - started, np.asarray(model.labels_)))


def spopt_maxp(world: World, regions: int, cap_seconds: float) -> None:
    """PySAL spopt's max-p heuristic on the same counties (threshold 80% of an equal share), under a time cap."""
    try:
        import spopt.region  # noqa: F401
    except ImportError:
        print("spopt MaxPHeuristic: not installed (pip install spopt) - skipped")
        return
    import multiprocessing

    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_maxp_child, args=(world, regions, queue))
    started = time.perf_counter()
    child.start()
    child.join(cap_seconds)
    label = f"spopt MaxPHeuristic: counties, threshold for ~{regions}"
    if child.is_alive():
        child.terminate()
        print(f"{label:<44} stopped at the {cap_seconds:.0f} s cap without a solution")
        return
    if queue.empty():
        print(f"{label:<44} failed after {time.perf_counter() - started:.1f} s")
        return
    seconds, labels = queue.get()
    loads = np.bincount(labels - labels.min(), weights=world.units["labour_force"].to_numpy(dtype=float))
    loads = loads[loads > 0]
    deviation = np.abs(loads / loads.mean() - 1).max()
    print(f"{label:<44} {seconds:7.2f} s   regions {len(loads)}   CV {loads.std() / loads.mean():.4f}   "
          f"max|dev| {deviation:6.2%}   largest/smallest {loads.max() / loads.min():.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Counties only (skip the ZIP layer and spopt).")
    parser.add_argument("--spopt-cap", type=float, default=300.0, help="Seconds spopt's max-p may run.")
    args = parser.parse_args()
    for reps in (50, 100):
        world = geography_world("us_counties", reps, 10_000)
        alignment, seconds = run_balanced(world, {"measure": "labour_force"})
        loads = measure_loads(world, alignment, world.units["labour_force"].to_numpy(dtype=float))
        report(f"balanced: {world.n_units} counties -> {reps} (labour force)", world, alignment, loads, seconds)
    if not args.quick:
        world = geography_world("us_zips", 200, 40_000)
        alignment, seconds = run_balanced(world, {"measure": "workload"})
        from simulator.policies.pieces import account_measure

        loads = np.bincount(alignment.account_seats(world), weights=account_measure(world, "workload"),
                            minlength=world.n_reps)
        report(f"balanced: {world.n_units} ZIPs -> 200 (workload)", world, alignment, loads, seconds)
    world = geography_world("us_counties", 100, 10_000)
    seats = world.initial_seats()
    as_is = get_policy("as_is")(world, seats, {}, None).account_seats(world)
    from simulator.policies.pieces import account_measure

    workload = account_measure(world, "workload")
    as_is_loads = np.bincount(as_is, weights=workload, minlength=world.n_reps)
    target = as_is_loads.mean()
    floor = np.maximum(as_is_loads - 1.05 * target, 0).sum() / as_is_loads.sum()
    print(f"as-is national split: workload CV {as_is_loads.std() / as_is_loads.mean():.3f}; workload that must "
          f"leave seats above +5% (a lower bound on any fix): {floor:.1%}")
    moved_share = {}
    for name, params in (("balanced", {}), ("min_disruption", {"disruption": "accounts"})):
        started = time.perf_counter()
        alignment = get_policy(name)(world, seats, params, Streams(1).generator("bench"))
        seconds = time.perf_counter() - started
        moved = alignment.account_seats(world) != as_is
        moved_share[name] = moved.mean()
        print(f"{name:<16} {seconds:6.2f} s   within 5%: {alignment.info['within_tolerance']}   "
              f"max|dev| {alignment.info['max_deviation']:.2%}   accounts moved {moved.mean():.1%}   "
              f"workload moved {workload[moved].sum() / workload.sum():.1%}   {search_effort(alignment)}")
    print(f"min_disruption moves {moved_share['min_disruption'] / moved_share['balanced']:.2f} of the accounts "
          "balanced moves (target < 0.33)")
    if not args.quick:
        spopt_maxp(geography_world("us_counties", 50, 10_000), 50, args.spopt_cap)


if __name__ == "__main__":
    main()
