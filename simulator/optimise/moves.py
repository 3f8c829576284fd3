"""Feasible boundary moves of a plan: what a search for the best simulated plan may try (issue 15, first part).

A plan search (the coming `optimise` policy) changes a balanced plan one boundary unit at a time and keeps a change
only when simulation says it pays. Every change it may try must keep the hard constraints `balanced` guarantees:

- contiguity: a unit leaves its seat only if the seat stays connected without it, and joins an adjacent seat;
- the workload band: a seat inside its tolerance stays inside it (a seat outside may only move toward it);
- locks and anchors: a locked unit and a seat's home unit never move;
- a disruption budget: the share of the measure assigned differently from the reference plan (as-is) stays within
  the budget.

`PlanMoves` lists the moves that keep all four, and applies one, keeping its bookkeeping (loads, members, cut
vertices) current. It reuses the partition engine's local search for boundary units and cut vertices.
"""

from __future__ import annotations

import numpy as np

from simulator.partition.budget import MoveBudget
from simulator.partition.problem import Problem
from simulator.partition.search import LocalSearch

Move = tuple[int, int, int]  # (unit, from seat, to seat)


class PlanMoves:
    """The feasible single-unit boundary moves of a plan, under the hard constraints.

    Args:
        problem: the partitioning problem (weights, adjacency, targets, tolerance, anchors, locks).
        assignment: unit -> seat of the current plan (changed in place by `apply`).
        reference: unit -> seat of the plan disruption is measured against (None: no disruption budget).
        disruption_budget: the largest share of the total weight assigned differently from `reference`.
    """

    def __init__(self, problem: Problem, assignment: np.ndarray, reference: np.ndarray | None = None,
                 disruption_budget: float = 1.0):
        self.problem = problem
        self.search = LocalSearch(problem, assignment, MoveBudget(0), origin=None, move_cost=None)
        self.reference = reference
        self.total = float(problem.weights.sum()) or 1.0
        self.budget = disruption_budget
        moved = assignment != reference if reference is not None else np.zeros(len(assignment), dtype=bool)
        self.disrupted = float(problem.weights[moved].sum())

    @property
    def assignment(self) -> np.ndarray:
        """The current plan (unit -> seat)."""
        return self.search.assignment

    def disruption(self) -> float:
        """Share of the total weight assigned differently from the reference plan."""
        return self.disrupted / self.total

    def feasible(self, unit: int, donor: int, receiver: int) -> bool:
        """Whether moving `unit` from `donor` to the adjacent `receiver` keeps every hard constraint."""
        search, p = self.search, self.problem
        if search.assignment[unit] != donor or receiver == donor or unit not in search.movable(donor):
            return False
        if receiver not in search.receivers(unit, donor):
            return False
        weight = p.weights[unit]
        for seat, change in ((donor, -weight), (receiver, weight)):
            before = search.loads[seat] / search.targets[seat] - 1.0
            after = (search.loads[seat] + change) / search.targets[seat] - 1.0
            if abs(after) > p.tolerance + 1e-12 and abs(after) >= abs(before):
                return False  # leaves the band, or moves away from it
        if self.reference is not None:
            delta = self._disruption_change(unit, receiver)
            if delta > 0 and (self.disrupted + delta) / self.total > self.budget + 1e-12:
                return False
        return True

    def candidates(self) -> list[Move]:
        """Every feasible move, in a fixed order (seats, then units, then receivers ascending)."""
        out = []
        for donor in range(self.problem.n_seats):
            for unit in sorted(self.search.movable(donor)):
                for receiver in sorted(self.search.receivers(unit, donor)):
                    if self.feasible(unit, donor, receiver):
                        out.append((unit, donor, receiver))
        return out

    def apply(self, move: Move) -> None:
        """Carry out a feasible move (ValueError if it is not)."""
        unit, donor, receiver = move
        if not self.feasible(unit, donor, receiver):
            raise ValueError(f"move of unit {unit} from seat {donor} to seat {receiver} breaks a constraint")
        if self.reference is not None:
            self.disrupted += self._disruption_change(unit, receiver)
        self.search.move(unit, donor, receiver)

    def _disruption_change(self, unit: int, receiver: int) -> float:
        """How much the disrupted weight changes if `unit` goes to `receiver`."""
        weight = float(self.problem.weights[unit])
        was = self.search.assignment[unit] != self.reference[unit]
        will = receiver != self.reference[unit]
        return weight * (int(will) - int(was))
