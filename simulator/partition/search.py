"""Local search on a partition: boundary moves between adjacent seats, and flows of load when moves are stuck.

Moves never disconnect a seat (cut vertices come from an iterative Tarjan search on the adjacency lists) and never
move a locked unit or an anchor. The objective is the sum of squared relative deviations, or, from a given start
(min-disruption), only the excess beyond the tolerance with the cheapest moves per unit of excess first. Every step
is paid for from a `MoveBudget` (`simulator.partition.budget`), so where the search stops depends only on its inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from simulator.partition.budget import MoveBudget
    from simulator.partition.problem import Problem

COMPACTNESS_WEIGHT = 1e-3  # tie-breaker: relative-deviation units per hour of extra distance
MAX_FLOW_ROUNDS = 8  # rounds of planned flows between seats when single moves are stuck
FLOW_SCALE = 1000  # flow units per seat target


class LocalSearch:
    """Boundary moves between adjacent seats that lower the sum of squared relative deviations."""

    def __init__(self, problem: Problem, assignment: np.ndarray, work: MoveBudget, origin: np.ndarray | None,
                 move_cost: np.ndarray | None, budget: float = np.inf, aim: float = 1.0,
                 squares: bool | None = None):
        self.p = problem
        self.work = work  # moves this search (and the searches sharing it) may still spend
        self.aim = aim  # search on toward aim x tolerance: slack makes the last seats easier to fit
        self.budget = budget
        self.spent = 0.0
        self.assignment = assignment
        self.origin = origin
        self.move_cost = move_cost
        self.loads = np.bincount(assignment, weights=problem.weights, minlength=problem.n_seats)
        self.targets = np.maximum(problem.targets, 1e-12)
        self.members = [set(np.flatnonzero(assignment == s).tolist()) for s in range(problem.n_seats)]
        self.anchor_set = {int(u) for u in problem.anchors if u >= 0}
        self._cut_cache: dict[int, set[int]] = {}
        self._movable_cache: dict[int, list[int]] = {}
        self._adjacent_cache: dict[int, set[int]] = {}
        self.nb = [a.tolist() for a in problem.neighbours]
        # objective: sum of squared deviations, or only the excess beyond the tolerance (min-disruption)
        self.squares = move_cost is None if squares is None else squares

    def deviation(self, seat: int) -> float:
        """Relative deviation of a seat's load from its target."""
        return self.loads[seat] / self.targets[seat] - 1.0

    def run(self) -> int:
        """Move until every seat is within the aim, nothing helps, or the move budget is spent; return the moves."""
        moves = 0
        tolerance = self.p.tolerance * self.aim
        stuck: set[int] = set()
        switches = 0
        while True:
            deviation = self.loads / self.targets - 1.0
            if np.abs(deviation).max() <= tolerance or not self.work.take():
                break
            order = [int(s) for s in np.argsort(-np.abs(deviation)) if abs(deviation[s]) > tolerance]
            order = [s for s in order if s not in stuck] or []
            if not order:
                # stuck seat by seat: plan flows of load between adjacent seats (a min-cost flow on the seat
                # graph, through seats inside the band) and carry them out by boundary moves; a few rounds at most
                if switches >= MAX_FLOW_ROUNDS:
                    break
                switches += 1
                made = self.flow_round()
                if not made:
                    break
                moves += made
                stuck.clear()
                continue
            seat = order[0]
            moved = self._improve(seat)
            if moved is None:
                stuck.add(seat)
                continue
            donor, receiver = moved  # seats next to these may have a move now
            stuck -= {donor, receiver} | self._adjacent_seats(donor) | self._adjacent_seats(receiver)
            moves += 1
        return moves

    def _improve(self, seat: int) -> tuple[int, int] | None:
        """Make the best move that sheds load from (or brings load to) `seat`; return (donor, receiver)."""
        over = self.deviation(seat) > 0
        best = None
        assignment = self.assignment
        if over:
            for unit in self.movable(seat):
                for receiver in self.receivers(unit, seat):
                    best = self._better(best, unit, seat, receiver)
        else:
            for donor in self._adjacent_seats(seat):
                for unit in self.movable(donor):
                    if any(assignment[v] == seat for v in self.nb[unit]):
                        best = self._better(best, unit, donor, seat)
        if best is None:
            return None
        _, unit, donor, receiver = best
        self.move(unit, donor, receiver)
        return donor, receiver

    def _better(self, best: tuple | None, unit: int, donor: int, receiver: int) -> tuple | None:
        w = self.p.weights[unit]
        d_donor, d_receiver = self.deviation(donor), self.deviation(receiver)
        new_donor = d_donor - w / self.targets[donor]
        new_receiver = d_receiver + w / self.targets[receiver]
        if self.squares:
            gain = d_donor**2 + d_receiver**2 - new_donor**2 - new_receiver**2
        else:  # min-disruption: only the excess beyond the tolerance counts
            gain = (self._excess(d_donor) + self._excess(d_receiver) - self._excess(new_donor)
                    - self._excess(new_receiver))
        if gain <= 1e-15:
            return best
        if self.move_cost is not None:  # min-disruption: cheapest move per unit of improvement; going home is free
            if self.origin is not None and int(self.origin[unit]) == receiver:
                score = gain * 1e6
            elif self.origin is not None and int(self.origin[unit]) != donor:
                score = gain / (1e-3 * self.move_cost[unit] + 1e-12)  # already moved: moving on costs nothing new
            elif self.spent + self.move_cost[unit] > self.budget:
                return best
            else:
                score = gain / (self.move_cost[unit] + 1e-12)
        else:
            extra = self.p.cost[unit, receiver] - self.p.cost[unit, donor]
            score = gain - COMPACTNESS_WEIGHT * extra
        if best is None or score > best[0]:
            return (score, unit, donor, receiver)
        return best

    def flow_round(self) -> int:
        """Move load along a min-cost flow from seats over the band to seats under it; return moves made.

        Seats below the band must receive their shortfall, seats above must ship their excess; seats inside the
        band pass flow on, and absorb (or supply) what does not balance, up to the band's edge. Each hop between
        adjacent seats costs one; the flow is then carried out by boundary moves.
        """
        p, tolerance = self.p, self.p.tolerance * 0.8
        unit = self.targets / FLOW_SCALE
        graph = nx.DiGraph()
        total = 0
        room, spare = {}, {}
        for seat in range(p.n_seats):
            low, high = self.targets[seat] * (1 - tolerance), self.targets[seat] * (1 + tolerance)
            load = self.loads[seat]
            need = int(np.ceil((low - load) / unit[seat])) if load < low else 0
            give = int(np.ceil((load - high) / unit[seat])) if load > high else 0
            graph.add_node(seat, demand=need - give)
            total += need - give
            room[seat] = int((high - load) / unit[seat]) if load < high else 0
            spare[seat] = int((load - low) / unit[seat]) if load > low else 0
        if total > 0:  # more shortfall than excess: seats inside the band supply the rest
            graph.add_node("supply", demand=-total)
            for seat, amount in spare.items():
                if amount > 0:
                    graph.add_edge("supply", seat, capacity=amount, weight=0)
        elif total < 0:  # more excess than shortfall: seats inside the band absorb the rest
            graph.add_node("absorb", demand=-total)
            for seat, amount in room.items():
                if amount > 0:
                    graph.add_edge(seat, "absorb", capacity=amount, weight=0)
        for seat in range(p.n_seats):
            for other in self._adjacent_seats(seat):
                graph.add_edge(seat, other, weight=1)
        try:
            flow = nx.min_cost_flow(graph)
        except (nx.NetworkXUnfeasible, nx.NetworkXUnbounded):
            return 0
        made = 0
        for donor, outgoing in flow.items():
            if not isinstance(donor, int | np.integer):
                continue
            for receiver, amount in outgoing.items():
                if isinstance(receiver, int | np.integer) and amount > 0:
                    made += self._carry(int(donor), int(receiver), amount * unit[donor])
        return made

    def _carry(self, donor: int, receiver: int, amount: float) -> int:
        """Move boundary units from donor to receiver until about `amount` of load has moved."""
        made = 0
        while amount > 0:
            options = [u for u in self.movable(donor)
                       if any(self.assignment[v] == receiver for v in self.nb[u]) and self.p.weights[u] <= amount * 1.5]
            if not options or not self.work.take():
                break
            cost = self.move_cost if self.move_cost is not None else np.ones(self.p.n_units)
            unit = min(options, key=lambda u: (cost[u] / max(self.p.weights[u], 1e-12), u))
            self.move(unit, donor, receiver)
            amount -= self.p.weights[unit]
            made += 1
        return made

    def _excess(self, deviation: float) -> float:
        return max(0.0, abs(deviation) - self.p.tolerance) ** 2

    def _adjacent_seats(self, seat: int) -> set[int]:
        cached = self._adjacent_cache.get(seat)
        if cached is None:
            assignment = self.assignment
            cached = {int(assignment[v]) for u in self.members[seat] for v in self.nb[u]} - {seat}
            self._adjacent_cache[seat] = cached
        return cached

    def receivers(self, unit: int, seat: int) -> set[int]:
        """Seats adjacent to `unit` other than its own `seat`."""
        return {int(self.assignment[v]) for v in self.nb[unit]} - {seat}

    def movable(self, seat: int) -> list[int]:
        """Boundary units of `seat` whose removal keeps it connected (not locked, not its anchor)."""
        cached = self._movable_cache.get(seat)
        if cached is not None:
            return cached
        members = self.members[seat]
        out: list[int] = []
        if len(members) > 1:
            cut = self._cut_vertices(seat)
            assignment = self.assignment
            for unit in members:
                if unit in cut or unit in self.p.locked or unit in self.anchor_set:
                    continue
                if any(assignment[v] != seat for v in self.nb[unit]):
                    out.append(unit)
        self._movable_cache[seat] = out
        return out

    def _cut_vertices(self, seat: int) -> set[int]:
        cached = self._cut_cache.get(seat)
        if cached is None:
            members = self.members[seat]
            cuts, pieces = articulation_points(members, self.p.neighbours)
            if pieces == 1:
                cached = cuts
            else:  # already in pieces (locked units, or a start that was not contiguous): keep pieces as they are
                cached = set(members) if self.origin is None else cuts
            self._cut_cache[seat] = cached
        return cached

    def move(self, unit: int, donor: int, receiver: int) -> None:
        """Move `unit` from `donor` to `receiver`, keeping loads, members and the caches current."""
        if self.origin is not None and self.move_cost is not None:
            if int(self.origin[unit]) == donor:
                self.spent += self.move_cost[unit]
            elif int(self.origin[unit]) == receiver:
                self.spent -= self.move_cost[unit]
        self.assignment[unit] = receiver
        w = self.p.weights[unit]
        self.loads[donor] -= w
        self.loads[receiver] += w
        self.members[donor].discard(unit)
        self.members[receiver].add(unit)
        touched = {donor, receiver} | {int(self.assignment[v]) for v in self.nb[unit]}
        for seat in touched:  # boundaries and seat adjacency change around the moved unit
            self._movable_cache.pop(seat, None)
            self._adjacent_cache.pop(seat, None)
        self._cut_cache.pop(donor, None)
        self._cut_cache.pop(receiver, None)


def articulation_points(members: set[int], neighbours: list[np.ndarray]) -> tuple[set[int], int]:
    """Cut vertices of the subgraph induced by `members` (of every piece), and how many pieces it has.

    Iterative Tarjan (lowpoint) search on the adjacency lists: no graph object is built.
    """
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    cuts: set[int] = set()
    pieces = 0
    counter = 0
    for root in members:
        if root in index:
            continue
        pieces += 1
        index[root] = low[root] = counter
        counter += 1
        root_children = 0
        stack = [(root, -1, iter(neighbours[root].tolist()))]
        while stack:
            node, parent, children = stack[-1]
            advanced = False
            for child in children:
                if child not in members:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append((child, node, iter(neighbours[child].tolist())))
                    advanced = True
                    break
                if child != parent:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            stack.pop()
            if parent >= 0:
                low[parent] = min(low[parent], low[node])
                if parent == root:
                    root_children += 1
                elif low[node] >= index[parent]:
                    cuts.add(parent)
        if root_children > 1:
            cuts.add(root)
    return cuts, pieces


