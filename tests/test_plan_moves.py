"""Feasible boundary moves of a plan: every move a plan search may try keeps the hard constraints."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.optimise.moves import PlanMoves
from simulator.partition import Problem, solve
from tests.test_partition import connected, grid


@st.composite
def plans(draw):
    """A random grid partitioned by the balanced solver, and a reference plan to measure disruption against."""
    rows, cols = draw(st.sampled_from([(4, 4), (4, 6), (5, 5), (6, 6)]))
    n, k = rows * cols, draw(st.integers(2, 4))
    weights = np.array(draw(st.lists(st.floats(0.5, 3.0), min_size=n, max_size=n)))
    neighbours = grid(rows, cols)
    xy = np.array([(i // cols, i % cols) for i in range(n)], dtype=float)
    homes = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True)))
    cost = np.abs(xy[:, None, :] - xy[homes][None, :, :]).sum(axis=2)
    locked = {int(u): int(s) for u, s in zip(homes[:1], [0], strict=True)}  # one locked unit: seat 0's home
    problem = Problem(weights, cost, neighbours, np.full(k, weights.sum() / k), draw(st.sampled_from([0.1, 0.2])),
                      homes, locked)
    result = solve(problem)
    reference = np.argmin(cost, axis=1)  # "as-is": every unit with its nearest home
    return problem, result.assignment.copy(), reference, draw(st.sampled_from([0.3, 0.6, 1.0])), draw(
        st.lists(st.integers(0, 10_000), min_size=1, max_size=25))


def _deviations(problem, assignment):
    loads = np.bincount(assignment, weights=problem.weights, minlength=problem.n_seats)
    return np.abs(loads / problem.targets - 1.0)


@settings(max_examples=40, deadline=None)
@given(case=plans())
def test_every_feasible_move_keeps_contiguity_the_band_locks_anchors_and_the_disruption_budget(case):
    problem, start, reference, budget, picks = case
    moves = PlanMoves(problem, start.copy(), reference, budget)
    before_disrupted = moves.disruption()
    for pick in picks:
        candidates = moves.candidates()
        if not candidates:
            break
        before = _deviations(problem, moves.assignment)
        unit, donor, receiver = candidates[pick % len(candidates)]
        moves.apply((unit, donor, receiver))
        after = _deviations(problem, moves.assignment)
        assignment = moves.assignment
        assert all(connected(problem.neighbours, np.flatnonzero(assignment == s)) for s in range(problem.n_seats)
                   if (start == s).any() and connected(problem.neighbours, np.flatnonzero(start == s)))
        for seat in (donor, receiver):  # inside the band stays inside; outside only moves toward it
            assert after[seat] <= problem.tolerance + 1e-9 or after[seat] < before[seat]
        assert all(assignment[u] == s for u, s in problem.locked.items())
        assert all(assignment[u] == s for s, u in enumerate(problem.anchors))
        disrupted = problem.weights[assignment != reference].sum() / problem.weights.sum()
        assert disrupted == pytest.approx(moves.disruption())
        assert disrupted <= max(budget, before_disrupted) + 1e-9


def test_an_infeasible_move_is_refused():
    neighbours = grid(1, 4)
    problem = Problem(np.ones(4), np.zeros((4, 2)), neighbours, np.array([2.0, 2.0]), 0.1, np.array([0, 3]), {})
    moves = PlanMoves(problem, np.array([0, 0, 1, 1]))
    assert moves.candidates() == []  # any move takes a seat to 1 of 2: outside the 10% band
    with pytest.raises(ValueError, match="breaks a constraint"):
        moves.apply((1, 0, 1))
    loose = Problem(np.ones(4), np.zeros((4, 2)), neighbours, np.array([2.0, 2.0]), 0.5, np.array([0, 3]), {})
    assert PlanMoves(loose, np.array([0, 0, 1, 1])).candidates() == [(1, 0, 1), (2, 1, 0)]
    # a disruption budget of an eighth of the weight allows one move away from the reference, not two
    line = Problem(np.ones(8), np.zeros((8, 2)), grid(1, 8), np.array([4.0, 4.0]), 0.5, np.array([0, 7]), {})
    plan = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    free = PlanMoves(line, plan.copy())
    free.apply((3, 0, 1))
    assert (2, 0, 1) in free.candidates()  # the band alone allows a second move
    budgeted = PlanMoves(line, plan.copy(), reference=plan, disruption_budget=1 / 8)
    budgeted.apply((3, 0, 1))
    assert budgeted.disruption() == pytest.approx(1 / 8)
    assert (2, 0, 1) not in budgeted.candidates() and (3, 1, 0) in budgeted.candidates()  # going back is free


@settings(max_examples=25, deadline=None)
@given(case=plans(), seed=st.integers(0, 2**16))
def test_every_plan_the_search_accepts_keeps_the_constraints(case, seed):
    from simulator.optimise.search import search

    problem, start, reference, budget, _ = case
    worth = np.random.default_rng(seed).normal(0, 1, (problem.n_units, problem.n_seats))
    current_plans = []  # the search's current plan after every evaluation: every plan it accepted

    def evaluate(plan, sample):  # a noisy objective on 6 replications
        noise = np.random.default_rng([seed, len(current_plans), sample]).normal(0, 0.2, 6)
        return worth[np.arange(problem.n_units), plan].sum() + noise

    def record(_, result):
        current_plans.append(result.assignment.copy())

    moves = PlanMoves(problem, start.copy(), reference, budget)
    start_disrupted = moves.disruption()
    result = search(moves, evaluate, np.random.default_rng(seed), evaluations=30, moves_per_step=3, progress=record)
    start_deviation = _deviations(problem, start)
    for assignment in [*current_plans, result.assignment]:
        assert all(connected(problem.neighbours, np.flatnonzero(assignment == s)) for s in range(problem.n_seats)
                   if connected(problem.neighbours, np.flatnonzero(start == s)))
        deviation = _deviations(problem, assignment)
        assert np.all((deviation <= problem.tolerance + 1e-9) | (deviation <= start_deviation + 1e-9))
        assert all(assignment[u] == s for u, s in problem.locked.items())
        assert all(assignment[u] == s for s, u in enumerate(problem.anchors))
        disrupted = problem.weights[assignment != reference].sum() / problem.weights.sum()
        assert disrupted <= max(budget, start_disrupted) + 1e-9
