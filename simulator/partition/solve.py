"""Balanced, contiguous graph partitioning: the engine under the `balanced` and `min_disruption` policies.

Works on plain arrays (unit weights, unit-to-seat costs, adjacency lists), knows nothing of worlds:

1. start: a power diagram — each unit goes to the seat minimising cost minus a seat price; prices rise for light
   seats and fall for heavy ones until the loads are close to the targets (a capacitated assignment by its dual);
2. contiguity repair: pieces of a seat cut off from its anchor unit go to an adjacent seat;
3. local search: boundary units move between adjacent seats while that lowers the sum of squared relative
   deviations (a diffusion that carries load across seats), never disconnecting a seat, never moving a locked unit,
   until every seat is within the tolerance or the move budget is spent; from a given start (min-disruption)
   only the excess beyond the tolerance counts, and the cheapest moves per unit of excess removed go first;
4. small problems that the heuristic cannot solve are searched exhaustively, so a feasible answer is found
   whenever one exists.

The search stops on a deterministic move budget (`simulator.partition.budget`), so the partition depends only on the
problem; a wall-clock time limit is an outer safety net only, and the result says when it was hit.
"""


from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, replace

import numpy as np

from simulator.partition.budget import EXACT_STEPS_PER_MOVE, MoveBudget, default_move_budget
from simulator.partition.problem import Problem
from simulator.partition.search import LocalSearch, articulation_points
from simulator.partition.start import grow_regions, power_diagram, repair_contiguity

EXACT_SEARCH_LIMIT = 200_000  # assignments; below this an unsolved problem is enumerated
SEARCH_AIM = 0.6  # balanced: keep improving until every seat is within this share of the tolerance

__all__ = ["MoveBudget", "Problem", "Result", "articulation_points", "default_move_budget", "exhaustive",
           "grow_regions", "power_diagram", "repair_contiguity", "solve"]


@dataclass
class Result:
    """A partition, how good it is and what finding it cost.

    Attributes:
        assignment: seat of every unit.
        loads: load of every seat.
        deviation: load / target - 1 per seat.
        contiguous: whether each seat is connected.
        seconds: wall-clock seconds spent (reported only: no decision depends on it).
        moves: units moved.
        exact: found by the exhaustive search.
        moves_spent: moves spent from the move budget (attempts included).
        budget_hit: the move budget ran out before the search was done.
        time_limit_hit: the wall-clock safety net stopped the search: the result may depend on machine load.
    """

    assignment: np.ndarray
    loads: np.ndarray
    deviation: np.ndarray
    contiguous: np.ndarray
    seconds: float
    moves: int
    exact: bool = False
    moves_spent: int = 0
    budget_hit: bool = False
    time_limit_hit: bool = False

    @property
    def max_deviation(self) -> float:
        """Largest |relative deviation| over seats."""
        return float(np.abs(self.deviation).max()) if len(self.deviation) else 0.0

    def within(self, tolerance: float) -> np.ndarray:
        """Seats within the tolerance."""
        return np.abs(self.deviation) <= tolerance + 1e-12


def solve(problem: Problem, time_limit: float = math.inf, start: np.ndarray | None = None,
          move_cost: np.ndarray | None = None, budget: float = np.inf, move_budget: int | None = None) -> Result:
    """Partition `problem`: from a power diagram (or from `start`), repaired and balanced by local search.

    Args:
        problem: the problem.
        time_limit: wall-clock safety net in seconds; when it stops the search the best partition so far is returned
            with `time_limit_hit` set (the result may then depend on machine load).
        start: an assignment to improve instead of the power diagram (min-disruption mode).
        move_cost: with `start`, the cost of moving each unit away from its starting seat; moves that cost least
            per unit of deviation removed go first, and only moves toward balance are made.
        budget: with `move_cost`, the most total cost of units away from their starting seat.
        move_budget: the most moves the search may spend (default `default_move_budget(problem.n_units)`); the
            result depends only on the problem and this budget.

    Returns:
        The best partition found, with `budget_hit` set when the move budget ran out first.
    """
    began = time.perf_counter()
    work = MoveBudget(default_move_budget(problem.n_units) if move_budget is None else move_budget,
                      began + time_limit)
    if start is not None:
        return _finish(_improve_start(problem, start, move_cost, budget, work, began), work, began)
    starts = []
    for make in (grow_regions, power_diagram):
        candidate = make(problem)
        repair_contiguity(problem, candidate)
        starts.append(candidate)
    starts.sort(key=lambda a: _squared_deviation(problem, a))
    best, moves = None, 0
    for assignment in starts:  # the better start first; the other only if that one falls short
        search = LocalSearch(problem, assignment, work, None, None, aim=SEARCH_AIM)
        moves += search.run()
        result = _result(problem, search.assignment, began, moves)
        if best is None or (result.contiguous.all(), -result.max_deviation) > (best.contiguous.all(),
                                                                                -best.max_deviation):
            best = result
        if (best.max_deviation <= problem.tolerance and best.contiguous.all()) or work.stopped:
            break
    if (best.max_deviation > problem.tolerance or not best.contiguous.all()) and not work.stopped:
        exact = exhaustive(problem, work)
        if exact is not None:
            best = _result(problem, exact, began, moves, exact=True)
    return _finish(best, work, began)


def _improve_start(problem: Problem, start: np.ndarray, move_cost: np.ndarray | None, budget: float,
                   work: MoveBudget, began: float) -> Result:
    """Improve a given start (min-disruption mode: cheapest moves first when `move_cost` is given)."""
    origin = start if move_cost is not None else None
    search = LocalSearch(problem, np.array(start, dtype=np.int64), work, origin, move_cost, budget)
    moves = search.run()
    result = _result(problem, search.assignment, began, moves)
    if result.max_deviation > problem.tolerance and not work.stopped:
        # the excess alone is stuck: polish on squared deviations (still cheapest moves first)
        polish = LocalSearch(problem, search.assignment.copy(), work, origin, move_cost, budget, squares=True)
        polish.spent = search.spent
        polished = _result(problem, polish.assignment, began, moves + polish.run())
        if polished.max_deviation < result.max_deviation:
            result = polished
    return result


def _squared_deviation(problem: Problem, assignment: np.ndarray) -> float:
    loads = np.bincount(assignment, weights=problem.weights, minlength=problem.n_seats)
    return float((((loads / np.maximum(problem.targets, 1e-12)) - 1.0) ** 2).sum())


def _result(problem: Problem, assignment: np.ndarray, began: float, moves: int, exact: bool = False) -> Result:
    loads = np.bincount(assignment, weights=problem.weights, minlength=problem.n_seats)
    deviation = np.divide(loads, problem.targets, out=np.zeros_like(loads), where=problem.targets > 0) - 1.0
    contiguous = np.array([_is_connected(problem, np.flatnonzero(assignment == s)) for s in range(problem.n_seats)])
    return Result(assignment, loads, deviation, contiguous, time.perf_counter() - began, moves, exact)


def _finish(result: Result, work: MoveBudget, began: float) -> Result:
    """The chosen result with what the whole search spent: seconds, moves of the budget, and why it stopped."""
    return replace(result, seconds=time.perf_counter() - began, moves_spent=work.spent, budget_hit=work.exhausted,
                   time_limit_hit=work.time_limit_hit)


def _is_connected(problem: Problem, units: np.ndarray) -> bool:
    return len(units) <= 1 or articulation_points(set(units.tolist()), problem.neighbours)[1] == 1


def exhaustive(problem: Problem, work: MoveBudget) -> np.ndarray | None:
    """For small problems: the most compact contiguous assignment within tolerance, by enumeration (or None).

    Args:
        problem: the problem.
        work: the move budget; every `EXACT_STEPS_PER_MOVE` assignments enumerated spend one move, and the best
            assignment so far is returned when it runs out.
    """
    n, k = problem.n_units, problem.n_seats
    free = [u for u in range(n) if u not in problem.locked and u not in set(problem.anchors.tolist())]
    if k ** len(free) > EXACT_SEARCH_LIMIT:
        return None
    base = np.zeros(n, dtype=np.int64)
    for unit, seat in problem.locked.items():
        base[unit] = seat
    for seat, unit in enumerate(problem.anchors.tolist()):
        if unit >= 0 and unit not in problem.locked:
            base[unit] = seat
    best, best_cost = None, np.inf
    lower, upper = problem.targets * (1 - problem.tolerance), problem.targets * (1 + problem.tolerance)
    for step, combination in enumerate(itertools.product(range(k), repeat=len(free))):
        if step % EXACT_STEPS_PER_MOVE == 0 and not work.take():
            break
        candidate = base.copy()
        candidate[free] = combination
        loads = np.bincount(candidate, weights=problem.weights, minlength=k)
        if np.any(loads < lower - 1e-9) or np.any(loads > upper + 1e-9):
            continue
        total = float(problem.cost[np.arange(n), candidate].sum())
        if total >= best_cost:
            continue
        if all(_is_connected(problem, np.flatnonzero(candidate == s)) for s in range(k)):
            best, best_cost = candidate, total
    return best

