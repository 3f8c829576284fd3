"""Searching plans by their simulated outcome: stochastic local search with common random numbers (issue 15 core).

The method is a stochastic local search over feasible plans in the spirit of COMPASS (Hong, L. J. and Nelson,
B. L. (2006), "Discrete optimization via simulation using COMPASS", Operations Research 54(1): 115-129): from the
current plan, propose a neighbouring plan (a few feasible boundary moves, `moves.PlanMoves`), simulate it on the
same fixed set of search replications as the current plan (common random numbers), and accept it only on a
statistical rule: the one-sided lower confidence bound of the paired mean improvement must be above zero. A noisy
lucky run is therefore not enough to move, and with common random numbers the paired differences are far less noisy
than the runs themselves. The evaluation budget is a count of plan evaluations, so the search is deterministic for a
seed. Every accepted step is recorded with the gain it was accepted on (the in-sample gain, biased upward by
selection: the caller re-evaluates the result on fresh replications).

This module is the search loop on arrays; it takes the evaluator as a function so that it can be tested on
synthetic objectives with a known best. `policy` wires it to the engine (`evaluate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from simulator.optimise.moves import Move, PlanMoves

Evaluator = Callable[[np.ndarray], np.ndarray]  # plan (unit -> seat) -> primary metric per search replication


@dataclass
class Step:
    """An accepted change: its moves, the paired mean gain and the lower confidence bound it was accepted on."""

    moves: list[Move]
    gain: float
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
    def in_sample_gain(self) -> float:
        """Mean gain over the start on the search replications (biased upward by selection)."""
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

    Args:
        moves: the feasible moves of the starting plan (changed in place as steps are accepted).
        evaluate: simulates a plan on the fixed search replications; returns one primary value per replication.
        rng: the search's own named stream (which moves to propose).
        evaluations: plan evaluations to spend, the start's included.
        moves_per_step: most boundary moves per proposal (one to this many, drawn; two make a swap).
        confidence: a proposal is accepted when the one-sided lower bound of its paired gain at this confidence
            is above zero.
        maximise: larger primary values are better (False: smaller are).
        progress: called after every evaluation with the count so far and the current result.
    """
    sign = 1.0 if maximise else -1.0
    start = moves.assignment.copy()
    current = np.asarray(evaluate(start.copy()), dtype=float)
    result = SearchResult(start.copy(), current.copy(), current.copy(), evaluations=1)
    while result.evaluations < evaluations:
        trial = PlanMoves(moves.problem, moves.assignment.copy(), moves.reference, moves.budget)
        applied = _propose(trial, rng, int(rng.integers(1, moves_per_step + 1)))
        if not applied:
            break  # no feasible move left
        values = np.asarray(evaluate(trial.assignment.copy()), dtype=float)
        result.evaluations += 1
        differences = sign * (values - current)
        bound = lower_bound(differences, confidence)
        if bound > 0:
            for move in applied:
                moves.apply(move)
            current = values
            result.steps.append(Step(applied, float(np.mean(differences)), bound))
            result.assignment, result.values = moves.assignment.copy(), current.copy()
        if progress is not None:
            progress(result.evaluations, result)
    return result


def _propose(trial: PlanMoves, rng: np.random.Generator, count: int) -> list[Move]:
    """Up to `count` feasible moves made one after the other on `trial` (a swap of two units takes two).

    Each move is drawn from the moves feasible after the previous one, so a proposal never breaks a constraint on
    the way; a unit moves at most once. Units of no weight (no accounts) are not proposed: moving one changes no
    simulated outcome, so evaluating it would waste a simulation.
    """
    applied: list[Move] = []
    weights = trial.problem.weights
    for _ in range(count):
        moved = {move[0] for move in applied}
        candidates = [move for move in trial.candidates() if move[0] not in moved and weights[move[0]] > 0]
        if not candidates:
            break
        move = candidates[int(rng.integers(len(candidates)))]
        trial.apply(move)
        applied.append(move)
    return applied
