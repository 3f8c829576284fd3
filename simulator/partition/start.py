"""Starting partitions: seeded region growing, a power diagram (capacitated assignment by dual prices), repair.

Each start gives every unit a seat; `repair_contiguity` then hands pieces cut off from a seat's anchor to an
adjacent seat, so the local search (`simulator.partition.search`) begins from contiguous territories.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulator.partition.problem import Problem


def grow_regions(problem: Problem) -> np.ndarray:
    """Seeded region growing: the lightest seat (relative to target) takes its cheapest adjacent free unit.

    Contiguous by construction; units no seat could reach (enclosed) go to an adjacent seat afterwards.
    """
    n, k = problem.n_units, problem.n_seats
    assignment = np.full(n, -1, dtype=np.int64)
    loads = np.zeros(k)
    targets = np.maximum(problem.targets, 1e-12)
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for unit, seat in problem.locked.items():
        assignment[unit] = seat
        loads[seat] += problem.weights[unit]
    for seat, unit in enumerate(problem.anchors.tolist()):
        if unit >= 0 and assignment[unit] < 0:
            assignment[unit] = seat
            loads[seat] += problem.weights[unit]
    for unit in np.flatnonzero(assignment >= 0).tolist():
        seat = int(assignment[unit])
        for v in problem.neighbours[unit].tolist():
            if assignment[v] < 0:
                heapq.heappush(frontier[seat], (float(problem.cost[v, seat]), v))
    for seat in range(k):  # a seat with neither anchor nor lock starts at its cheapest unit
        if not frontier[seat] and loads[seat] == 0:
            heapq.heappush(frontier[seat], (float(problem.cost[:, seat].min()), int(np.argmin(problem.cost[:, seat]))))
    queue = [(loads[s] / targets[s], s) for s in range(k)]
    heapq.heapify(queue)
    while queue:
        _, seat = heapq.heappop(queue)
        heap = frontier[seat]
        while heap and assignment[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            continue  # enclosed: this seat stops growing
        _, unit = heapq.heappop(heap)
        assignment[unit] = seat
        loads[seat] += problem.weights[unit]
        for v in problem.neighbours[unit].tolist():
            if assignment[v] < 0:
                heapq.heappush(heap, (float(problem.cost[v, seat]), v))
        heapq.heappush(queue, (loads[seat] / targets[seat], seat))
    for _ in range(n):  # leftovers (unreachable from any seat's region) join an adjacent region
        left = np.flatnonzero(assignment < 0)
        if not len(left):
            break
        for unit in left.tolist():
            around = [int(assignment[v]) for v in problem.neighbours[unit].tolist() if assignment[v] >= 0]
            if around:
                assignment[unit] = min(around, key=lambda s: (loads[s] / targets[s], s))
                loads[assignment[unit]] += problem.weights[unit]
    assignment[assignment < 0] = np.argmin(problem.cost[assignment < 0], axis=1)
    return assignment


def power_diagram(problem: Problem, iterations: int = 300) -> np.ndarray:
    """Units to seats by cost minus seat price, prices adjusted until loads approach targets (best kept)."""
    cost, weights, targets = problem.cost, problem.weights, problem.targets
    k = problem.n_seats
    nearest = min(k, 16)
    candidates = np.argpartition(cost, nearest - 1, axis=1)[:, :nearest] if nearest < k else \
        np.tile(np.arange(k), (problem.n_units, 1))
    candidate_cost = np.take_along_axis(cost, candidates, axis=1)
    scale = float(np.median(candidate_cost[:, 0])) + 1e-6
    price = np.zeros(k)
    best, best_dev = None, np.inf
    locked_units = np.array(list(problem.locked), dtype=np.int64)
    locked_seats = np.array([problem.locked[u] for u in locked_units.tolist()], dtype=np.int64)
    rows = np.arange(problem.n_units)
    for iteration in range(iterations):
        choice = candidates[rows, np.argmin(candidate_cost - price[candidates], axis=1)]
        choice[locked_units] = locked_seats
        _place_anchors(problem, choice)
        loads = np.bincount(choice, weights=weights, minlength=k)
        relative = loads / np.maximum(targets, 1e-12) - 1.0
        worst = float(np.abs(relative).max())
        if worst < best_dev:
            best, best_dev = choice.copy(), worst
        if worst <= problem.tolerance / 2:
            break
        price -= 0.5 * scale * np.clip(relative, -1, 1) / (1 + iteration / 60)
    return best


def _place_anchors(problem: Problem, assignment: np.ndarray) -> None:
    for seat, unit in enumerate(problem.anchors.tolist()):
        if unit >= 0 and unit not in problem.locked:
            assignment[unit] = seat


def repair_contiguity(problem: Problem, assignment: np.ndarray) -> None:
    """Give every piece of a seat not connected to its anchor (or its heaviest piece) to an adjacent seat."""
    for _ in range(problem.n_seats * 4):
        changed = False
        for seat in range(problem.n_seats):
            units = np.flatnonzero(assignment == seat)
            if len(units) <= 1:
                continue
            pieces = _pieces(problem, units)
            if len(pieces) == 1:
                continue
            anchor = problem.anchors[seat]
            keep = next((p for p in pieces if anchor in p), None) or max(
                pieces, key=lambda p: problem.weights[list(p)].sum())
            for piece in pieces:
                if piece is keep or any(u in problem.locked for u in piece):
                    continue
                receiver = _adjacent_receiver(problem, assignment, piece, seat)
                if receiver is not None:
                    assignment[list(piece)] = receiver
                    changed = True
        if not changed:
            return


def _pieces(problem: Problem, units: np.ndarray) -> list[set[int]]:
    members = set(units.tolist())
    pieces = []
    while members:
        start = members.pop()
        piece, stack = {start}, [start]
        while stack:
            u = stack.pop()
            for v in problem.neighbours[u].tolist():
                if v in members:
                    members.remove(v)
                    piece.add(v)
                    stack.append(v)
        pieces.append(piece)
    return pieces


def _adjacent_receiver(problem: Problem, assignment: np.ndarray, piece: set[int], seat: int) -> int | None:
    around = {int(assignment[v]) for u in piece for v in problem.neighbours[u].tolist()} - {seat}
    if not around:
        return None
    loads = np.bincount(assignment, weights=problem.weights, minlength=problem.n_seats)
    return min(around, key=lambda r: (loads[r] / max(problem.targets[r], 1e-12), r))


