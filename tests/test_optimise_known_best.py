"""`optimise` on a small simulated world whose best plan is known by simulating every feasible plan."""

import numpy as np
import pytest

from simulator.experiment.runs import build_alignments
from simulator.optimise.evaluate import PlanEvaluator, SearchContext
from simulator.optimise.moves import PlanMoves
from simulator.optimise.policy import unit_problem
from simulator.world import build_world
from tests.conftest import small_scenario

TOLERANCE = 0.1
TRUTH_REPLICATIONS = 16  # the known values: every feasible plan on replications the search never sees
T_975 = 2.13  # t quantile, 15 degrees of freedom


def _reachable(problem, start):
    """Every plan reachable from `start` by feasible moves of units with accounts (breadth first)."""
    plans, seen, frontier = [start.copy()], {tuple(start)}, [start.copy()]
    while frontier:
        following = []
        for plan in frontier:
            for move in PlanMoves(problem, plan.copy()).candidates():
                if problem.weights[move[0]] > 0:
                    after = PlanMoves(problem, plan.copy())
                    after.apply(move)
                    if tuple(after.assignment) not in seen:
                        seen.add(tuple(after.assignment))
                        plans.append(after.assignment.copy())
                        following.append(after.assignment.copy())
        frontier = following
    return plans


def _paired(a, b):
    """Mean and standard error of a - b over paired replications."""
    difference = a - b
    return difference.mean(), difference.std(ddof=1) / np.sqrt(len(difference))


# Two reps, twelve units, two quarters: few enough feasible plans (8 and 12) to simulate them all, and in both the
# balanced start is clearly not the best (the seeds are the first two, from 7 on, where that precondition holds
# under the current model: with issue 25's trips and visit cap, seed 8's start is within 1.4 standard errors of its
# best, so the world of seed 11 replaced it; seeds 9 and 10 have too few plans).
# A local search can stop in a local optimum: in the world of seed 4 (20
# plans) it stops two steps up, at a plan 3 standard errors short of the best, none of whose neighbours up to four
# moves away is better on its replications.
@pytest.mark.parametrize("world_seed", [7, 11])
def test_optimise_finds_the_known_best_plan_or_one_not_distinguishable_from_it(world_seed):
    scenario = small_scenario(**{"calendar.days_per_quarter": 30, "calendar.quarters": 2, "world.synthetic.reps": 2,
                                 "world.synthetic.accounts": 200, "world.synthetic.units": 12,
                                 "world.synthetic.seed": world_seed, "experiment.primary": "coverage_gap"},
                              policies=["as_is", {"name": "balanced", "params": {"tolerance": TOLERANCE}},
                                        {"name": "optimise", "params": {
                                            "tolerance": TOLERANCE, "evaluations": 40, "replications": 16,
                                            "moves_per_step": 4, "executor": "serial"}}])
    world = build_world(scenario)
    built = build_alignments(scenario, world)
    balanced, optimised = built["balanced"], built["optimise"]
    problem = unit_problem(world, np.arange(balanced.n_seats), {"tolerance": TOLERANCE}, balanced.overrides,
                           balanced.unit_seat)
    plans = _reachable(problem, balanced.unit_seat)
    assert 8 <= len(plans) <= 40  # a few candidate plans: exhaustive simulation is affordable

    arm = scenario.policies[2]  # the optimise arm, played as the experiment plays it
    truth = PlanEvaluator(SearchContext(world, scenario, balanced.n_seats, dict(balanced.overrides), arm, 777,
                                        "coverage_gap"), TRUTH_REPLICATIONS)
    known = np.array([truth(plan).totals for plan in plans])  # plans x truth replications; a lower gap is better
    best = int(np.argmin(known.mean(axis=1)))
    climb, climb_se = _paired(known[0], known[best])
    assert climb > T_975 * climb_se  # the balanced start is clearly not the best: there is something to find

    assert tuple(optimised.unit_seat) in {tuple(plan) for plan in plans}  # every constraint kept
    assert optimised.info["steps"] and all(step["lower_bound"] > 0 for step in optimised.info["steps"])
    assert all(step["difference"] < 0 for step in optimised.info["steps"])  # a lower coverage gap is better
    found = truth(optimised.unit_seat).totals
    shortfall, shortfall_se = _paired(found, known[best])
    assert shortfall <= T_975 * shortfall_se + 1e-12  # the known best, or a plan not distinguishable from it
    gained, _ = _paired(known[0], found)
    assert gained > 0  # and better than where it started, on replications it never saw
