"""Searching plans by their simulated outcome: stochastic local search with common random numbers (issue 15 core).

The method is a stochastic local search over feasible plans in the spirit of COMPASS (Hong, L. J. and Nelson, B. L.
(2006), "Discrete optimization via simulation using COMPASS", Operations Research 54(1): 115-129): from the current
plan, propose a neighbouring plan (a feasible boundary move, `moves.PlanMoves`; a few of them once single moves are
exhausted), simulate it on the same fixed set of search replications as the current plan (common random numbers),
and accept it only on a statistical rule: the one-sided lower confidence bound of the paired mean improvement must
be above zero. One lucky replication is therefore not enough to move, and with common random numbers the paired
differences are far less noisy than the runs themselves; but each proposal is tested on its own (at confidence 0.9
about one neutral proposal in ten still passes), so the plan found is re-evaluated on fresh replications. The
evaluation budget is a count of plan evaluations, so the search is deterministic for a seed. As in COMPASS, every
simulated plan is remembered, and a plan is left only for one that is shown better on the same replications; a plan
whose whole single-move neighbourhood has been simulated without a better one is a local optimum, and the search
then tries compound moves. Every accepted step is recorded with the difference it made and the bound it was accepted
on (in-sample, biased by selection).

This module is the search loop on arrays; it takes the evaluator as a function so that it can be tested on synthetic
objectives with a known best. `policy` wires it to the engine (`evaluate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from simulator.optimise.moves import Move, PlanMoves

MAX_REPEATS = 200  # compound moves in a row that reach no new plan before a neighbourhood counts as exhausted
Evaluator = Callable[[np.ndarray], np.ndarray]  # plan (unit -> seat) -> primary metric per search replication


@dataclass
class Step:
    """An accepted change: its moves, the difference it made and the bound it was accepted on.

    `difference` is the paired mean of new minus old in the metric (negative for a metric where lower is better);
    `lower_bound` is the one-sided lower confidence bound of the improvement, above zero for every accepted step.
    """

    moves: list[Move]
    difference: float
    lower_bound: float


@dataclass
class SearchResult:
    """The best plan found, how it got there and what it cost."""

    assignment: np.ndarray
    values: np.ndarray  # the primary metric of the final plan on the search replications
    start_values: np.ndarray
    steps: list[Step] = field(default_factory=list)
    evaluations: int = 0

    @property
    def in_sample_difference(self) -> float:
        """Mean difference of the plan found from the start on the search replications (biased by selection)."""
        return float(np.mean(self.values - self.start_values))


def lower_bound(differences: np.ndarray, confidence: float) -> float:
    """One-sided lower t confidence bound of the mean of paired differences (-inf with fewer than two)."""
    n = len(differences)
    if n < 2:
        return -math.inf
    spread = float(np.std(differences, ddof=1))
    mean = float(np.mean(differences))
    if spread == 0:
        return mean
    return mean - float(stats.t.ppf(confidence, n - 1)) * spread / math.sqrt(n)


def search(moves: PlanMoves, evaluate: Evaluator, rng: np.random.Generator, evaluations: int,
           moves_per_step: int = 3, confidence: float = 0.9, maximise: bool = True,
           progress: Callable[[int, SearchResult], None] | None = None) -> SearchResult:
    """Improve the plan in `moves` by accepted steps, spending at most `evaluations` plan evaluations.

    The neighbourhoods grow as in variable neighbourhood search (Mladenovic, N. and Hansen, P. (1997), "Variable
    neighborhood search", Computers & Operations Research 24(11): 1097-1100): from the current plan every feasible
    single move is tried once, in an order drawn from `rng`, until one is accepted (first improvement), and the
    neighbourhood of the new plan is drawn afresh; when every single move has been tried and none accepted, plans
    two moves away (a swap, a chain) are drawn at random, then three, up to `moves_per_step`; a neighbourhood counts
    as exhausted after `MAX_REPEATS` draws in a row that reach no new plan. A plan already simulated is never
    simulated again: its values are remembered (they are the same replications). The search ends when the budget is
    spent, or at a plan no neighbourhood up to `moves_per_step` moves improves (a local optimum).

    Args:
        moves: the feasible moves of the starting plan (changed in place as steps are accepted).
        evaluate: simulates a plan on the fixed search replications; returns one primary value per replication.
        rng: the search's own named stream (the order neighbours are tried in).
        evaluations: plan evaluations to spend, the start's included.
        moves_per_step: the largest neighbourhood, in boundary moves.
        confidence: a proposal is accepted when the one-sided lower bound of its paired gain at this confidence
            is above zero.
        maximise: larger primary values are better (False: smaller are).
        progress: called after every evaluation with the count so far and the current result.
    """
    sign = 1.0 if maximise else -1.0
    seen: dict[bytes, np.ndarray] = {}
    start = moves.assignment.copy()
    result = SearchResult(start.copy(), np.empty(0), np.empty(0))

    def values_of(plan: np.ndarray) -> np.ndarray:
        key = plan.tobytes()
        if key not in seen:
            seen[key] = np.asarray(evaluate(plan.copy()), dtype=float)
            result.evaluations += 1
            if progress is not None:
                progress(result.evaluations, result)
        return seen[key]

    current = values_of(start)
    result.values, result.start_values = current.copy(), current.copy()
    size, untried, repeats = 1, single_moves(moves, rng), 0
    while result.evaluations < evaluations:
        if size == 1 and untried:
            applied = untried.pop()
            trial = _after(moves, applied)
        elif size == 1 or repeats >= MAX_REPEATS:  # this neighbourhood is exhausted: a larger one
            if size >= moves_per_step:
                break  # a local optimum for every neighbourhood up to moves_per_step moves
            size, repeats = size + 1, 0
            continue
        else:
            trial = PlanMoves(moves.problem, moves.assignment.copy(), moves.reference, moves.budget)
            applied = compound_move(trial, size, rng)
            if applied is None or trial.assignment.tobytes() in seen:
                repeats += 1  # no such move from here, or a plan already simulated
                continue
            repeats = 0
        values = values_of(trial.assignment)
        differences = sign * (values - current)
        bound = lower_bound(differences, confidence)
        if bound > 0:
            for move in applied:
                moves.apply(move)
            result.steps.append(Step(applied, float(np.mean(values - current)), bound))
            current = values
            result.assignment, result.values = moves.assignment.copy(), current.copy()
            size, untried, repeats = 1, single_moves(moves, rng), 0
    return result


def single_moves(moves: PlanMoves, rng: np.random.Generator) -> list[list[Move]]:
    """Every feasible single move of a unit with weight, in an order drawn from `rng` (popped from the end).

    A unit without accounts changes no simulated outcome, so moving one alone is not worth a simulation.
    """
    weights = moves.problem.weights
    singles = [[move] for move in moves.candidates() if weights[move[0]] > 0]
    return [singles[i] for i in rng.permutation(len(singles))]


def compound_move(trial: PlanMoves, size: int, rng: np.random.Generator) -> list[Move] | None:
    """`size` feasible moves drawn one after the other and carried out on `trial` (None if there are not so many).

    Each move is feasible after the ones before it, so no constraint is broken on the way; a unit moves at most once,
    and only units with weight move.
    """
    weights = trial.problem.weights
    applied: list[Move] = []
    for _ in range(size):
        moved = {move[0] for move in applied}
        candidates = [move for move in trial.candidates() if weights[move[0]] > 0 and move[0] not in moved]
        if not candidates:
            return None
        move = candidates[int(rng.integers(len(candidates)))]
        trial.apply(move)
        applied.append(move)
    return applied


def _after(moves: PlanMoves, applied: list[Move]) -> PlanMoves:
    """A copy of `moves` with `applied` carried out."""
    trial = PlanMoves(moves.problem, moves.assignment.copy(), moves.reference, moves.budget)
    for move in applied:
        trial.apply(move)
    return trial
