"""`optimise`: a plan improved by its simulated outcome, not by a static balance score.

It starts from `balanced` (or `min_disruption`: `params.start`) and searches the feasible boundary moves of that
plan (`moves`: contiguous, the chosen measure within the tolerance of each seat's target, locked units and home
units kept, within a disruption budget against as-is) with the stochastic local search of `search`. Moves are
screened on one set of `replications` search replications and confirmed on a second, both with streams of their
own so that the experiment's replications stay out-of-sample; a step is kept only when the one-sided lower bound
of its paired gain on the scenario's primary metric is above zero on the confirmation set. The replications of a
plan run on a local process pool or on Dask (`evaluate`).

A policy needs the scenario to simulate: the registry passes it to policies that declare `needs_scenario`. Where
no scenario is at hand (a realignment event inside a run), `optimise` returns its starting plan, so that a
simulation never runs a search inside itself.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulator.alignment import Alignment
from simulator.catalogue import LOWER
from simulator.catalogue import metric as catalogue_metric
from simulator.optimise.evaluate import PlanEvaluator, SearchContext
from simulator.optimise.moves import PlanMoves
from simulator.optimise.search import Evaluation, SearchResult, search
from simulator.partition.problem import Problem
from simulator.policies.balanced import (
    balance_info,
    free_tolerance,
    measure_weights,
    resolve_constraints,
    spread_to_accounts,
)
from simulator.policies.registry import get_policy, register
from simulator.processes import Progress
from simulator.scenario import PolicySpec
from simulator.schema.policy_params import MinDisruptionParams
from simulator.world.geography import great_circle_km
from simulator.world.model import World

SEARCH_STREAM = 0x5EA2C4  # search replications are keyed apart from the experiment's (seed ^ this)
START_PARAMS = frozenset(MinDisruptionParams.model_fields)  # what the start policy (balanced or min_disruption) takes


@register("optimise")
def optimise(world: World, seats: Sequence[int], params: dict[str, Any], rng: np.random.Generator,
             scenario: Any = None) -> Alignment:
    """The start plan improved by simulated, statistically accepted boundary moves (see the module docstring)."""
    start_name = str(params.get("start", "balanced"))
    start_params = {k: v for k, v in params.items() if k in START_PARAMS}
    start = get_policy(start_name)(world, seats, start_params, rng)
    if scenario is None:
        return Alignment(start.unit_seat, start.n_seats, start.overrides, policy="optimise",
                         info={**start.info, "optimised": False, "reason": "no scenario to simulate with"})
    seats = np.asarray(seats, dtype=np.int64)
    position = {int(s): i for i, s in enumerate(seats)}
    plan = np.array([position[int(s)] for s in start.unit_seat], dtype=np.int64)
    problem = unit_problem(world, seats, start_params, start.overrides, plan)
    as_is = get_policy("as_is")(world, seats.tolist(), {}, rng)
    reference = np.array([position.get(int(s), -1) for s in as_is.unit_seat], dtype=np.int64)
    disruption_budget = float(params.get("disruption_budget", 1.0))
    moves = PlanMoves(problem, plan, reference, disruption_budget)
    start_disruption = moves.disruption()
    primary = scenario.experiment.primary
    context = SearchContext(world, scenario, start.n_seats, dict(start.overrides), arm_of(scenario, params),
                            scenario.experiment.seed ^ SEARCH_STREAM, primary)
    budget = int(params.get("evaluations", 40))
    progress = Progress(budget, enabled=sys.stderr.isatty(), unit="plans simulated")
    with PlanEvaluator(context, int(params.get("replications", 8)), str(params.get("executor", "local")),
                       params.get("workers"), params.get("scheduler"), progress) as evaluate:
        def show(done: int, result: SearchResult) -> None:
            progress.note = f"search: {len(result.steps)} steps kept"

        def evaluate_plan(candidate: np.ndarray, sample: int) -> Evaluation:
            got = evaluate(seats[candidate], sample)  # seats' parts by position in `seats`, as the moves name them
            return Evaluation(got.totals, None if got.parts is None else got.parts[:, seats])

        result = search(moves, evaluate_plan, rng, budget,
                        moves_per_step=int(params.get("moves_per_step", 3)),
                        confidence=float(params.get("confidence", 0.9)),
                        maximise=catalogue_metric(primary).direction != LOWER, progress=show)
    unit_id, rep_id = world.units["unit_id"].astype(str).to_numpy(), world.reps["rep_id"].astype(str).to_numpy()
    steps = [{"moves": [{"unit_id": unit_id[u], "from": rep_id[seats[a]], "to": rep_id[seats[b]]}
                        for u, a, b in step.moves], "difference": step.difference, "lower_bound": step.lower_bound,
              "confidence": step.confidence}
             for step in result.steps]
    start_mean = float(np.mean(result.start_values))
    difference = result.in_sample_difference
    info = {**start.info, "optimised": True, "start": start_name, "start_params": start_params, "primary": primary,
            "search_replications": len(result.values), "evaluations": result.evaluations,
            "proposals_screened": result.screened, "confirmations": result.confirmations,
            # null when the primary metric is undefined on a search replication (then no step is accepted either)
            "in_sample_difference": difference if math.isfinite(difference) else None,
            "in_sample_relative_difference": difference / abs(start_mean)
            if math.isfinite(difference) and math.isfinite(start_mean) and start_mean else None,
            "steps": steps, "disruption_share": moves.disruption(), "disruption_budget": disruption_budget,
            # the start already moves more than the budget allows: the search only ever lowered it
            "start_over_disruption_budget": start_disruption > disruption_budget + 1e-12}
    found = Alignment(seats[result.assignment], start.n_seats, start.overrides, policy="optimise")
    return Alignment(found.unit_seat, found.n_seats, found.overrides, policy="optimise",
                     info={**info, **balance_of(world, seats, start_params, found)})


optimise.needs_scenario = True


def balance_of(world: World, seats: np.ndarray, params: dict[str, Any], alignment: Alignment) -> dict[str, Any]:
    """The plan's deviations from each seat's target on the start's measure, as `balanced` reports them.

    They replace the start plan's own figures, which the search's moves have made stale.
    """
    unit_weights, account_weights = measure_weights(world, params.get("measure", "workload"))
    if account_weights is None:
        account_weights = spread_to_accounts(world, unit_weights)
    _, _, factors = resolve_constraints(world, seats, params)
    position = np.full(alignment.n_seats, -1, dtype=np.int64)
    position[seats] = np.arange(len(seats))
    loads = np.bincount(position[alignment.account_seats(world)], weights=account_weights, minlength=len(seats))
    targets = float(account_weights.sum()) * factors / factors.sum()
    deviation = loads / np.maximum(targets, 1e-12) - 1.0
    return balance_info(world, seats, deviation, float(params.get("tolerance", 0.05)))


def arm_of(scenario: Any, params: dict[str, Any]) -> PolicySpec:
    """The scenario's arm of this `optimise` call (the one with the same parameters).

    Search runs are played as the experiment plays the arm: a realignment inside a run re-runs it (its start plan,
    with the start's parameters), under the arm's vacancy policy.
    """
    for spec in scenario.policies:
        if spec.name == "optimise" and dict(spec.params) == dict(params):
            return spec
    return PolicySpec(name="optimise", params=dict(params))


def unit_problem(world: World, seats: np.ndarray, params: dict[str, Any], overrides: dict[int, int],
                 plan: np.ndarray | None = None) -> Problem:
    """The start policy's constraints on whole units: its measure, per-seat targets, tolerance, locks and anchors.

    Accounts the start plan assigns apart from their unit (split units, locked accounts) stay where they are; their
    measure is a fixed load of their seat, and the tolerance on the movable part is narrowed so that every whole
    seat stays within `tolerance` of its target, as `balanced` does. Each seat's anchor is the unit of its territory
    in `plan` (unit -> position in `seats`) nearest its rep's home: it never moves.
    """
    tolerance = float(params.get("tolerance", 0.05))
    unit_weights, account_weights = measure_weights(world, params.get("measure", "workload"))
    if account_weights is None:  # a unit column: shared among the unit's accounts, as balanced does
        account_weights = spread_to_accounts(world, unit_weights)
    locked_units, _, factors = resolve_constraints(world, seats, params)
    position = {int(s): i for i, s in enumerate(seats)}
    fixed = np.zeros(len(seats))
    weights = unit_weights.astype(float).copy()
    for account, seat in overrides.items():
        fixed[position[int(seat)]] += account_weights[account]
        weights[world.account_unit[account]] -= account_weights[account]
    weights = np.maximum(weights, 0.0)
    targets = float(weights.sum() + fixed.sum()) * factors / factors.sum()
    free_targets = np.maximum(targets - fixed, 0.0)
    neighbours = [np.array(sorted(world.adjacency.neighbors(u)), dtype=np.int64) for u in range(world.n_units)]
    locked = {unit: position[seat] for unit, seat in locked_units.items()}
    return Problem(weights, np.zeros((world.n_units, len(seats))), neighbours, free_targets,
                   free_tolerance(tolerance, targets, free_targets), home_units(world, seats, plan), locked)


def home_units(world: World, seats: np.ndarray, plan: np.ndarray | None) -> np.ndarray:
    """Per seat, the unit of its territory in `plan` nearest its rep's home (-1 for an empty territory).

    Without a plan, the unit nearest the home of all.
    """
    homes = world.reps.iloc[seats]
    km = great_circle_km(homes["home_lat"].to_numpy()[:, None], homes["home_lon"].to_numpy()[:, None],
                         world.units["lat"].to_numpy()[None, :], world.units["lon"].to_numpy()[None, :])
    if plan is not None:
        km = np.where(plan[None, :] == np.arange(len(seats))[:, None], km, np.inf)
    return np.array([int(np.argmin(row)) if np.isfinite(row).any() else -1 for row in km], dtype=np.int64)
