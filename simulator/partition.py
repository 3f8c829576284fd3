"""Balanced, contiguous graph partitioning: the engine under the `balanced` and `min_disruption` policies.

Works on plain arrays (unit weights, unit-to-seat costs, adjacency lists), knows nothing of worlds:

1. start: a power diagram — each unit goes to the seat minimising cost minus a seat price; prices rise for light
   seats and fall for heavy ones until the loads are close to the targets (a capacitated assignment by its dual);
2. contiguity repair: pieces of a seat cut off from its anchor unit go to an adjacent seat;
3. local search: boundary units move between adjacent seats while that lowers the sum of squared relative
   deviations (a diffusion that carries load across seats), never disconnecting a seat, never moving a locked unit,
   until every seat is within the tolerance or the time limit is reached; from a given start (min-disruption)
   only the excess beyond the tolerance counts, and the cheapest moves per unit of excess removed go first;
4. small problems that the heuristic cannot solve are searched exhaustively, so a feasible answer is found
   whenever one exists.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

EXACT_SEARCH_LIMIT = 200_000  # assignments; below this an unsolved problem is enumerated
COMPACTNESS_WEIGHT = 1e-3  # tie-breaker: relative-deviation units per hour of extra distance
SEARCH_AIM = 0.6  # balanced: keep improving until every seat is within this share of the tolerance
MAX_FLOW_ROUNDS = 8  # rounds of planned flows between seats when single moves are stuck
FLOW_SCALE = 1000  # flow units per seat target


@dataclass
class Problem:
    """A partitioning problem.

    Attributes:
        weights: measure of every unit (>= 0).
        cost: unit x seat cost (travel hours from the seat's home): compactness.
        neighbours: adjacency list of every unit.
        targets: target load of every seat (they sum to the total weight).
        tolerance: allowed relative deviation from the target (0.05 = +-5%).
        anchors: a unit per seat that stays with it (its home unit), -1 for none.
        locked: unit -> seat for units that must not move.
    """

    weights: np.ndarray
    cost: np.ndarray
    neighbours: list[np.ndarray]
    targets: np.ndarray
    tolerance: float
    anchors: np.ndarray
    locked: dict[int, int] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self.weights)

    @property
    def n_seats(self) -> int:
        """Number of seats."""
        return len(self.targets)


@dataclass
class Result:
    """A partition and how good it is."""

    assignment: np.ndarray
    loads: np.ndarray
    deviation: np.ndarray  # load / target - 1 per seat
    contiguous: np.ndarray  # per seat
    seconds: float
    moves: int
    exact: bool = False

    @property
    def max_deviation(self) -> float:
        """Largest |relative deviation| over seats."""
        return float(np.abs(self.deviation).max()) if len(self.deviation) else 0.0

    def within(self, tolerance: float) -> np.ndarray:
        """Seats within the tolerance."""
        return np.abs(self.deviation) <= tolerance + 1e-12


def solve(problem: Problem, time_limit: float, start: np.ndarray | None = None,
          move_cost: np.ndarray | None = None, budget: float = np.inf) -> Result:
    """Partition `problem`: from a power diagram (or from `start`), repaired and balanced by local search.

    Args:
        problem: the problem.
        time_limit: seconds before the best partition so far is returned.
        start: an assignment to improve instead of the power diagram (min-disruption mode).
        move_cost: with `start`, the cost of moving each unit away from its starting seat; moves that cost least
            per unit of deviation removed go first, and only moves toward balance are made.
        budget: with `move_cost`, the most total cost of units away from their starting seat.
    """
    began = time.perf_counter()
    deadline = began + time_limit
    if start is not None:
        origin = start if move_cost is not None else None
        search = _LocalSearch(problem, np.array(start, dtype=np.int64), deadline, origin, move_cost, budget)
        moves = search.run()
        result = _result(problem, search.assignment, began, moves)
        if result.max_deviation > problem.tolerance and time.perf_counter() < deadline:
            # the excess alone is stuck: polish on squared deviations (still cheapest moves first)
            polish = _LocalSearch(problem, search.assignment.copy(), deadline, origin, move_cost, budget,
                                  squares=True)
            polish.spent = search.spent
            polished = _result(problem, polish.assignment, began, moves + polish.run())
            if polished.max_deviation < result.max_deviation:
                result = polished
        return result
    starts = []
    for make in (grow_regions, power_diagram):
        candidate = make(problem)
        repair_contiguity(problem, candidate)
        starts.append(candidate)
    starts.sort(key=lambda a: _squared_deviation(problem, a))
    best, moves = None, 0
    for assignment in starts:  # the better start first; the other only if that one falls short
        search = _LocalSearch(problem, assignment, deadline, None, None, aim=SEARCH_AIM)
        moves += search.run()
        result = _result(problem, search.assignment, began, moves)
        if best is None or (result.contiguous.all(), -result.max_deviation) > (best.contiguous.all(),
                                                                                -best.max_deviation):
            best = result
        if (best.max_deviation <= problem.tolerance and best.contiguous.all()) or time.perf_counter() >= deadline:
            break
    if best.max_deviation > problem.tolerance or not best.contiguous.all():
        exact = exhaustive(problem, deadline)
        if exact is not None:
            best = _result(problem, exact, began, moves, exact=True)
    return best


def _squared_deviation(problem: Problem, assignment: np.ndarray) -> float:
    loads = np.bincount(assignment, weights=problem.weights, minlength=problem.n_seats)
    return float((((loads / np.maximum(problem.targets, 1e-12)) - 1.0) ** 2).sum())


def grow_regions(problem: Problem) -> np.ndarray:
    """Seeded region growing: the lightest seat (relative to target) takes its cheapest adjacent free unit.

    Contiguous by construction; units no seat could reach (enclosed) go to an adjacent seat afterwards.
    """
    import heapq

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


def _result(problem: Problem, assignment: np.ndarray, began: float, moves: int, exact: bool = False) -> Result:
    loads = np.bincount(assignment, weights=problem.weights, minlength=problem.n_seats)
    deviation = np.divide(loads, problem.targets, out=np.zeros_like(loads), where=problem.targets > 0) - 1.0
    contiguous = np.array([_is_connected(problem, np.flatnonzero(assignment == s)) for s in range(problem.n_seats)])
    return Result(assignment, loads, deviation, contiguous, time.perf_counter() - began, moves, exact)


def _is_connected(problem: Problem, units: np.ndarray) -> bool:
    if len(units) <= 1:
        return True
    members = set(units.tolist())
    seen = {int(units[0])}
    stack = [int(units[0])]
    while stack:
        u = stack.pop()
        for v in problem.neighbours[u].tolist():
            if v in members and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(members)


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


class _LocalSearch:
    """Boundary moves between adjacent seats that lower the sum of squared relative deviations."""

    def __init__(self, problem: Problem, assignment: np.ndarray, deadline: float, origin: np.ndarray | None,
                 move_cost: np.ndarray | None, budget: float = np.inf, aim: float = 1.0,
                 squares: bool | None = None):
        self.p = problem
        self.aim = aim  # search on toward aim x tolerance: slack makes the last seats easier to fit
        self.budget = budget
        self.spent = 0.0
        self.assignment = assignment
        self.deadline = deadline
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
        return self.loads[seat] / self.targets[seat] - 1.0

    def run(self) -> int:
        moves = 0
        tolerance = self.p.tolerance * self.aim
        stuck: set[int] = set()
        switches = 0
        while time.perf_counter() < self.deadline:
            deviation = self.loads / self.targets - 1.0
            if np.abs(deviation).max() <= tolerance:
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
            for unit in self._movable(seat):
                for receiver in self._receivers(unit, seat):
                    best = self._better(best, unit, seat, receiver)
        else:
            for donor in self._adjacent_seats(seat):
                for unit in self._movable(donor):
                    if any(assignment[v] == seat for v in self.nb[unit]):
                        best = self._better(best, unit, donor, seat)
        if best is None:
            return None
        _, unit, donor, receiver = best
        self._move(unit, donor, receiver)
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
        while amount > 0 and time.perf_counter() < self.deadline:
            options = [u for u in self._movable(donor)
                       if any(self.assignment[v] == receiver for v in self.nb[u]) and self.p.weights[u] <= amount * 1.5]
            if not options:
                break
            cost = self.move_cost if self.move_cost is not None else np.ones(self.p.n_units)
            unit = min(options, key=lambda u: (cost[u] / max(self.p.weights[u], 1e-12), u))
            self._move(unit, donor, receiver)
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

    def _receivers(self, unit: int, seat: int) -> set[int]:
        return {int(self.assignment[v]) for v in self.nb[unit]} - {seat}

    def _movable(self, seat: int) -> list[int]:
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

    def _move(self, unit: int, donor: int, receiver: int) -> None:
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


def exhaustive(problem: Problem, deadline: float) -> np.ndarray | None:
    """For small problems: the most compact contiguous assignment within tolerance, by enumeration (or None)."""
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
    for combination in itertools.product(range(k), repeat=len(free)):
        if time.perf_counter() > deadline:
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
