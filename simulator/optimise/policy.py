"""`optimise`: a plan improved by its simulated outcome, not by a static balance score (issue 15, first version).

It starts from `balanced` (or `min_disruption`: `params.start`) and searches the feasible boundary moves of that
plan (`plan_moves`: contiguous, within the workload tolerance, locks and home units kept, within a disruption
budget against as-is) with the stochastic local search of `plan_search`. Every proposal is simulated on a fixed set
of search replications, with their own streams so that the experiment's replications stay out-of-sample, and kept
only when the one-sided lower bound of its paired gain on the scenario's primary metric is above zero.

A policy needs the scenario to simulate: the registry passes it to policies that declare `needs_scenario`. Where
no scenario is at hand (a realignment event inside a run), `optimise` returns its starting plan, so that a
simulation never runs a search inside itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from simulator.alignment import Alignment, account_workload
from simulator.catalogue import LOWER
from simulator.catalogue import metric as catalogue_metric
from simulator.optimise.moves import PlanMoves
from simulator.optimise.search import search
from simulator.partition.problem import Problem
from simulator.policies.registry import get_policy, register
from simulator.world.model import World

SEARCH_STREAM = 0x5EA2C4  # search replications are keyed apart from the experiment's (seed ^ this)
START_PARAMS = ("measure", "tolerance", "targets", "locked_units", "locked_accounts", "move_budget", "time_limit",
                "split", "budget", "disruption")


@register("optimise")
def optimise(world: World, seats: Sequence[int], params: dict[str, Any], rng: np.random.Generator,
             scenario: Any = None) -> Alignment:
    """The start plan improved by simulated, statistically accepted boundary moves (see the module docstring)."""
    start_name = str(params.get("start", "balanced"))
    start = get_policy(start_name)(world, seats, {k: v for k, v in params.items() if k in START_PARAMS}, rng)
    if scenario is None:
        return Alignment(start.unit_seat, start.n_seats, start.overrides, policy="optimise",
                         info={**start.info, "optimised": False, "reason": "no scenario to simulate with"})
    seats = np.asarray(seats, dtype=np.int64)
    problem = unit_problem(world, seats, float(params.get("tolerance", 0.05)))
    position = {int(s): i for i, s in enumerate(seats)}
    plan = np.array([position[int(s)] for s in start.unit_seat], dtype=np.int64)
    as_is = get_policy("as_is")(world, seats.tolist(), {}, rng)
    reference = np.array([position.get(int(s), -1) for s in as_is.unit_seat], dtype=np.int64)
    moves = PlanMoves(problem, plan, reference, float(params.get("disruption_budget", 1.0)))
    primary = scenario.experiment.primary
    replications = range(int(params.get("replications", 8)))

    def evaluate(candidate: np.ndarray) -> np.ndarray:
        return simulate_plan(world, scenario, Alignment(seats[candidate], start.n_seats, start.overrides,
                                                        policy="optimise"), start_name, replications, primary)

    result = search(moves, evaluate, rng, int(params.get("evaluations", 40)),
                    moves_per_step=int(params.get("moves_per_step", 3)),
                    confidence=float(params.get("confidence", 0.9)),
                    maximise=catalogue_metric(primary).direction != LOWER)
    steps = [{"moves": [{"unit_id": str(world.units["unit_id"].iat[u]), "from": str(world.reps["rep_id"].iat[
        seats[a]]), "to": str(world.reps["rep_id"].iat[seats[b]])} for u, a, b in step.moves],
              "gain": step.gain, "lower_bound": step.lower_bound} for step in result.steps]
    info = {**start.info, "optimised": True, "start": start_name, "primary": primary,
            "search_replications": len(replications), "evaluations": result.evaluations,
            "in_sample_gain": result.in_sample_gain, "steps": steps,
            "disruption_share": moves.disruption()}
    return Alignment(seats[result.assignment], start.n_seats, start.overrides, policy="optimise", info=info)


optimise.needs_scenario = True


def unit_problem(world: World, seats: np.ndarray, tolerance: float) -> Problem:
    """The unit-level partitioning problem of the seats: workload per unit, equal targets, home units anchored."""
    workload = np.bincount(world.account_unit, weights=account_workload(world, world.hours_per_km),
                           minlength=world.n_units)
    neighbours = [np.array(sorted(world.adjacency.neighbors(u)), dtype=np.int64) for u in range(world.n_units)]
    unit_xy = world.units[["lat", "lon"]].to_numpy(dtype=float)
    homes = world.reps[["home_lat", "home_lon"]].to_numpy(dtype=float)[seats]
    anchors = np.array([int(np.argmin(((unit_xy - home) ** 2).sum(axis=1))) for home in homes], dtype=np.int64)
    targets = np.full(len(seats), workload.sum() / len(seats))
    return Problem(workload, np.zeros((world.n_units, len(seats))), neighbours, targets, tolerance, anchors, {})


def simulate_plan(world: World, scenario: Any, alignment: Alignment, realign_with: str, replications: range,
                  primary: str) -> np.ndarray:
    """The primary metric of a plan on the search replications (their own streams: seed ^ SEARCH_STREAM)."""
    from simulator.engine import simulate
    from simulator.metrics.tables import run_tables
    from simulator.scenario import PolicySpec
    from simulator.streams import Streams

    seed = scenario.experiment.seed ^ SEARCH_STREAM
    arm = PolicySpec(name=realign_with)
    return np.array([run_tables(simulate(world, alignment, scenario, Streams(seed, r), arm=arm)).summary[primary]
                     for r in replications], dtype=float)
