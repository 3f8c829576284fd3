"""Searching plans by their simulated outcome: screened boundary moves, confirmed on replications of their own.

The method is a stochastic local search over feasible plans with common random numbers (COMPASS: Hong, L. J. and
Nelson, B. L. (2006), "Discrete optimization via simulation using COMPASS", Operations Research 54(1): 115-129):
from the current plan, propose neighbouring plans (feasible boundary moves, `moves.PlanMoves`; a few of them once
single moves are exhausted), simulate them on the same replications as the current plan, and move only on a
statistical rule, the one-sided lower confidence bound of the paired mean improvement above zero.

Three things make it work at national scale, where one boundary unit holds a few of ten thousand accounts:

- **Many moves per simulation (screening).** The primary metrics that add up over accounts (revenue, the coverage
  gap) add up over the seats that own them, and with counter-based draws keyed by account and seat a move changes
  the outcome of its own seats only. So a batch of moves that touch pairwise different seats is played in one
  simulated plan, and each move is judged on its own seats' paired difference: one simulation screens dozens of
  moves. This is group screening (Bettonvil, B. and Kleijnen, J. P. C. (1997), "Searching for important factors in
  simulation models with many factors: sequential bifurcation", European Journal of Operational Research 96(1):
  180-194) made exact by the seat structure. For a metric that does not add up over seats, a batch is one proposal.
- **Confirmation on other replications (split sample).** The moves that pass the screen are the best of many noisy
  estimates, so their screening gain is biased upward (the winner's curse). They are therefore applied together and
  the combined plan is kept only when its paired gain on a second, separate set of replications passes the same
  rule. A step is recorded with the difference it made on those confirmation replications, which are also what the
  in-sample difference is measured on; the run re-evaluates the result on fresh replications besides.
- **A budget for false steps (alpha-investing).** A search tries many confirmations, so a fixed level for each
  (10%) would keep about one step in ten of those that change nothing: on the national world, where no move makes
  a difference the replications can show, such a rule kept two steps that did not hold on fresh replications. The
  confirmations are therefore tested sequentially under alpha-investing (Foster, D. P. and Stine, R. A. (2008),
  "alpha-investing: a procedure for sequential control of expected false discoveries", Journal of the Royal
  Statistical Society B 70(2): 429-444): the search starts with a wealth of alpha (1 - `confidence`) times
  1 - alpha, tests each confirmation at a level costing half its wealth, loses that cost when the step fails and
  earns alpha when it is kept. The expected number of kept steps that do not improve the plan is then at most alpha
  times (the expected number kept, plus 1 - alpha), however many are tried: a search that finds real gains keeps
  the power to find more, one that finds only noise runs out of wealth and ends where it started.

The neighbourhoods grow as in variable neighbourhood search (Mladenovic, N. and Hansen, P. (1997), "Variable
neighborhood search", Computers & Operations Research 24(11): 1097-1100): every single move of the current plan is
screened once, in an order drawn from the search's stream; when all have been and none is confirmed, proposals of
two moves (a swap, a chain), then more, up to `moves_per_step`. The evaluation budget is a count of plan
evaluations, so the search is deterministic for a seed; a plan is never simulated twice on the same replications.

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
SCREEN, CONFIRM = 0, 1  # the two sets of search replications


@dataclass(frozen=True)
class Evaluation:
    """A plan's primary metric on one set of search replications.

    `totals` is the metric per replication; `parts` (replications x seats), when the metric adds up over accounts,
    is each seat's share of it (the accounts the seat owns in the plan), and the parts add up to the totals.
    """

    totals: np.ndarray
    parts: np.ndarray | None = None


Evaluator = Callable[[np.ndarray, int], "Evaluation | np.ndarray"]  # (plan, SCREEN or CONFIRM) -> its evaluation


@dataclass
class Step:
    """An accepted change: its moves, the difference it made and the bound it was accepted on.

    `difference` is the paired mean of new minus old in the metric on the confirmation replications (negative for
    a metric where lower is better); `lower_bound` is the one-sided lower confidence bound of the improvement
    there at `confidence`, the level alpha-investing tested the step at, above zero for every accepted step.
    """

    moves: list[Move]
    difference: float
    lower_bound: float
    confidence: float


@dataclass
class SearchResult:
    """The best plan found, how it got there and what it cost."""

    assignment: np.ndarray
    values: np.ndarray  # the primary metric of the final plan on the confirmation replications
    start_values: np.ndarray
    steps: list[Step] = field(default_factory=list)
    evaluations: int = 0
    screened: int = 0  # proposals screened
    confirmations: int = 0  # combined steps tested on the confirmation replications (kept or not)

    @property
    def in_sample_difference(self) -> float:
        """Mean difference of the plan found from the start on the search's replications (biased by selection)."""
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
    """Improve the plan in `moves` by confirmed steps, spending at most `evaluations` plan evaluations.

    Args:
        moves: the feasible moves of the starting plan (changed in place as steps are accepted).
        evaluate: simulates a plan on the screening or the confirmation replications (`SCREEN`, `CONFIRM`); returns
            an `Evaluation` (or the totals alone, for a metric that does not add up over seats).
        rng: the search's own named stream (the order proposals are drawn in).
        evaluations: plan evaluations to spend (one plan on one set of replications each), the start's included.
        moves_per_step: the largest proposal, in boundary moves.
        confidence: a proposal passes the screen when the one-sided lower bound of its paired gain at this
            confidence is above zero; 1 - confidence is the alpha of the confirmations' alpha-investing.
        maximise: larger primary values are better (False: smaller are).
        progress: called after every evaluation with the count so far and the current result.
    """
    sign = 1.0 if maximise else -1.0
    alpha = 1.0 - confidence
    wealth = alpha * (1.0 - alpha)  # alpha-investing: W(0) = alpha * eta, eta = 1 - alpha
    seen: dict[tuple[bytes, int], Evaluation] = {}
    start = moves.assignment.copy()
    result = SearchResult(start.copy(), np.empty(0), np.empty(0))

    def values_of(plan: np.ndarray, sample: int) -> Evaluation:
        key = (plan.tobytes(), sample)
        if key not in seen:
            got = evaluate(plan.copy(), sample)
            seen[key] = got if isinstance(got, Evaluation) else Evaluation(np.asarray(got, dtype=float))
            result.evaluations += 1
            if progress is not None:
                progress(result.evaluations, result)
        return seen[key]

    screen, confirm = values_of(start, SCREEN), values_of(start, CONFIRM)
    result.values, result.start_values = confirm.totals.copy(), confirm.totals.copy()
    additive = screen.parts is not None
    size, untried, repeats = 1, single_moves(moves, rng), 0
    tried: set[Move] = set()  # single moves screened (and not confirmed) while their seats stayed as they are
    pending: list[list[Move]] = []  # proposals that passed the screen, on pairwise disjoint seats, to confirm
    while result.evaluations < evaluations:
        last = result.evaluations + 1 >= evaluations  # one evaluation left: confirm what passed, if anything did
        full = len(_seats(pending)) >= max(2, moves.problem.n_seats // 2) or (pending and not additive)
        batch = [] if last or full else \
            _batch(moves, size, untried, rng, additive, pending) if size == 1 or repeats < MAX_REPEATS else []
        if batch:
            trial, _ = _after(moves, [move for proposal in pending + batch for move in proposal])
            if (trial.assignment.tobytes(), SCREEN) in seen:
                repeats += 1  # a plan already screened
                continue
            repeats = 0
            screened = values_of(trial.assignment, SCREEN)
            result.screened += len(batch)
            tried.update(proposal[0] for proposal in batch if len(proposal) == 1)
            pending += [proposal for proposal in batch
                        if lower_bound(sign * _gain(screened, screen, proposal, additive), confidence) > 0]
            continue
        if not pending:
            if last or size >= moves_per_step:
                break  # a local optimum for every neighbourhood up to moves_per_step moves
            size, repeats = size + 1, 0
            continue
        chosen, applied = _after(moves, [move for proposal in pending for move in proposal])
        pending = []
        confirmed = values_of(chosen.assignment, CONFIRM)
        level = investment(wealth)
        bound = lower_bound(sign * (confirmed.totals - confirm.totals), 1.0 - level)
        result.confirmations += 1
        if bound <= 0:
            wealth -= level / (1.0 - level)  # the cost of a test that found nothing
            continue
        wealth += alpha  # the payout of a kept step
        for move in applied:
            moves.apply(move)
        result.steps.append(Step(applied, float(np.mean(confirmed.totals - confirm.totals)), bound, 1.0 - level))
        confirm = confirmed
        result.assignment, result.values = moves.assignment.copy(), confirm.totals.copy()
        changed = _seats([applied])  # a move between other seats would screen as it did: not again
        tried = {move for move in tried if not {move[1], move[2]} & changed}
        size, untried, repeats = 1, [single for single in single_moves(moves, rng) if single[0] not in tried], 0
        if result.evaluations < evaluations:
            screen = values_of(moves.assignment, SCREEN)  # the new plan's screening baseline
    return result


def investment(wealth: float) -> float:
    """The level of the next confirmation under alpha-investing: its cost, level / (1 - level), is half the wealth.

    Spending a share of what is left, never all of it, keeps the search able to test until its budget is spent.
    """
    return (wealth / 2.0) / (1.0 + wealth / 2.0)


def _seats(proposals: list[list[Move]]) -> set[int]:
    """The seats a list of proposals touches (donors and receivers)."""
    return {seat for proposal in proposals for move in proposal for seat in move[1:]}


def _gain(screened: Evaluation, current: Evaluation, proposal: list[Move], additive: bool) -> np.ndarray:
    """Paired differences of a proposal on the screening replications: on its own seats when the metric adds up."""
    if not additive:
        return screened.totals - current.totals
    seats = sorted(_seats([proposal]))
    return screened.parts[:, seats].sum(axis=1) - current.parts[:, seats].sum(axis=1)


def _batch(moves: PlanMoves, size: int, untried: list[list[Move]], rng: np.random.Generator,
           additive: bool, pending: list[list[Move]]) -> list[list[Move]]:
    """Proposals to screen together: untried single moves (size 1) or drawn compound moves, on pairwise disjoint seats.

    Without a metric that adds up over seats, a batch is one proposal. The seats of `pending` proposals are taken,
    and the batch is feasible together with them: each proposal is carried out on a copy after the ones before it,
    and one that no longer fits is left for a later batch.
    """
    trial, _ = _after(moves, [move for proposal in pending for move in proposal])
    taken = _seats(pending)
    batch: list[list[Move]] = []
    left: list[list[Move]] = []
    draws = 0
    while (untried if size == 1 else draws < max(1, moves.problem.n_seats // size)) and (additive or not batch):
        if size == 1:
            proposal = untried.pop()
        else:
            draws += 1
            probe = PlanMoves(moves.problem, moves.assignment.copy(), moves.reference, moves.budget)
            proposal = compound_move(probe, size, rng) or []
            if not proposal:
                continue
        seats = _seats([proposal])
        fits = not seats & taken
        if fits:
            probe, applied = _after(trial, proposal)
            fits = len(applied) == len(proposal)
        if not fits:
            if size == 1:
                left.append(proposal)
            continue
        trial = probe
        batch.append(proposal)
        taken |= seats
    untried.extend(reversed(left))  # still to screen, in their drawn order
    return batch


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


def _after(moves: PlanMoves, proposed: list[Move]) -> tuple[PlanMoves, list[Move]]:
    """A copy of `moves` with the `proposed` moves carried out in turn, and the moves it carried out.

    A proposed move that no longer fits after the ones before it is skipped.
    """
    trial = PlanMoves(moves.problem, moves.assignment.copy(), moves.reference, moves.budget)
    applied = []
    for move in proposed:
        if trial.feasible(*move):
            trial.apply(move)
            applied.append(move)
    return trial, applied
