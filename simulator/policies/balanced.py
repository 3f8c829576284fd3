"""The `balanced` and `min_disruption` policies: contiguous territories within a hard tolerance.

Parameters (the scenario's `params` of the policy, all optional):
- measure: "workload" (default; required visits x (visit hours + local drive per visit)), "potential",
  "accounts", the name of a numeric unit column (e.g. "labour_force"), or a mix {"workload": 0.5, "potential": 0.5}
  (each measure normalised to its total first);
- tolerance: allowed deviation from each seat's target (default 0.05);
- targets: {rep_id: factor} per-seat target factors (default 1; a part-timer 0.5, a senior rep 1.2);
- locked_units: {unit_id: rep_id}; locked_accounts: {account_id: rep_id} (named accounts that stay);
- move_budget: the most search moves (default 10 per unit, at least 20,000): the search stops on this count, never
  on the clock, so an alignment (and a realignment during a simulation) is the same on any machine and under any load;
- time_limit: a wall-clock safety net in seconds (default 10 per 1,000 units, at least 30), for pathological inputs
  only; when it stops the search, `info["time_limit_hit"]` is true and the result may depend on the machine;
- split: split units too big for one territory at account level (default true; balanced only);
- split_within_hours: a split unit's accounts stay within this drive (default 1.25 h, a day trip's reach) of
  another unit or the home of the seat that serves them: an account farther from the seat its piece went to goes
  to the seat, among those holding part of the unit, whose other units or home are nearest
  (`info["split_accounts_moved_near"]` counts them), so no piece lands far from its territory;
- budget (min_disruption): the most potential share that may move (default 1.0);
- disruption (min_disruption): "potential" (default) or "accounts": what moving costs.

The returned alignment's `info` says how balanced it is, which seats miss the tolerance and by how much, the
tolerance achieved, which units were split, the moves spent of the move budget and whether it ran out
(`move_budget_hit`), whether the safety net was hit (`time_limit_hit`), and the seconds spent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulator.alignment import Alignment, account_workload, hours_to_territory
from simulator.partition.budget import default_move_budget, default_time_limit
from simulator.partition.problem import Problem
from simulator.partition.solve import Result, solve
from simulator.policies.basic import as_is
from simulator.policies.registry import register
from simulator.schema.policy_params import MinDisruptionParams
from simulator.world.geography import great_circle_km
from simulator.world.model import World

KNOWN_PARAMS = set(MinDisruptionParams.model_fields)  # the schema's table of the parameters
SPLIT_TOLERANCES = 2.0  # a unit heavier than this many tolerances of the smallest target is cut into account groups
COARSE_SHARE = 0.05  # of the moves left, for a coarse attempt with units of a large share of a territory
FINER_SHARE = 0.5  # of the moves left, for a coarse attempt without them
SPLIT_WITHIN_HOURS = 1.25  # default `split_within_hours`: a split unit's accounts stay within a day trip of a seat


class PolicyError(ValueError):
    """Parameters a policy cannot use (unknown measure, rep or unit)."""


def account_measure(world: World, name: str) -> np.ndarray | None:
    """Per-account values of an account measure (None if `name` is a unit column)."""
    if name == "accounts":
        return np.ones(world.n_accounts)
    if name == "potential":
        return world.account_potential.copy()
    if name == "workload":
        return account_workload(world, world.hours_per_km)
    return None



def measure_weights(world: World, measure: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """(unit weights, account weights or None) for a measure name or a weighted mix."""
    if isinstance(measure, dict):
        unit_total = np.zeros(world.n_units)
        account_total = np.zeros(world.n_accounts)
        for name, share in measure.items():
            units, accounts = measure_weights(world, name)
            scale = float(share) / max(units.sum(), 1e-12)
            unit_total += units * scale
            account_total += (accounts if accounts is not None else spread_to_accounts(world, units)) * scale
        return unit_total, account_total
    accounts = account_measure(world, measure)
    if accounts is not None:
        return np.bincount(world.account_unit, weights=accounts, minlength=world.n_units), accounts
    if measure in world.units.columns and np.issubdtype(world.units[measure].dtype, np.number):
        units = world.units[measure].to_numpy(dtype=float)
        return units, None
    raise PolicyError(f"unknown measure {measure!r}; expected workload, potential, accounts, a numeric unit column "
                      f"({', '.join(c for c in world.units.columns if c not in ('unit_id', 'lat', 'lon'))}) "
                      "or a mix")


def spread_to_accounts(world: World, unit_values: np.ndarray) -> np.ndarray:
    """A unit measure shared equally among the unit's accounts."""
    counts = np.bincount(world.account_unit, minlength=world.n_units)
    return unit_values[world.account_unit] / np.maximum(counts[world.account_unit], 1)


class _Pieces:
    """Units, with the too-heavy ones cut into groups of accounts (pieces) that partition like units."""

    def __init__(self, world: World, unit_weights: np.ndarray, account_weights: np.ndarray | None,
                 locked_accounts: dict[int, int], limit: float | None):
        self.world = world
        self.parent: list[int] = []
        self.accounts: list[np.ndarray | None] = []
        weights = []
        members = _accounts_by_unit(world)
        free_weights = account_weights if account_weights is not None else spread_to_accounts(world, unit_weights)
        for unit in range(world.n_units):
            mine = np.array([a for a in members[unit] if a not in locked_accounts], dtype=np.int64)
            unit_weight = float(free_weights[mine].sum()) if account_weights is not None or len(mine) else float(
                unit_weights[unit])
            if limit is not None and unit_weight > limit and len(mine) > 1:
                for group in _cut(world, mine, free_weights[mine], int(np.ceil(unit_weight / limit))):
                    self.parent.append(unit)
                    self.accounts.append(group)
                    weights.append(float(free_weights[group].sum()))
            else:
                self.parent.append(unit)
                self.accounts.append(None)
                weights.append(unit_weight)
        self.weights = np.array(weights)
        self.parent_array = np.array(self.parent, dtype=np.int64)
        self.account_weights = free_weights

    def neighbours(self) -> list[np.ndarray]:
        """Pieces of adjacent units are adjacent; pieces of one unit are adjacent to each other."""
        children: dict[int, list[int]] = {}
        for piece, unit in enumerate(self.parent):
            children.setdefault(unit, []).append(piece)
        out = []
        for piece, unit in enumerate(self.parent):
            near = [c for n in self.world.adjacency.neighbors(unit) for c in children.get(n, ())]
            near += [c for c in children[unit] if c != piece]
            out.append(np.array(sorted(set(near)), dtype=np.int64))
        return out

    def centroids(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of each piece (a unit's centroid, or its accounts' mean)."""
        lat = self.world.units["lat"].to_numpy()[self.parent_array].astype(float)
        lon = self.world.units["lon"].to_numpy()[self.parent_array].astype(float)
        for piece, group in enumerate(self.accounts):
            if group is not None:
                lat[piece] = self.world.accounts["lat"].to_numpy()[group].mean()
                lon[piece] = self.world.accounts["lon"].to_numpy()[group].mean()
        return lat, lon


def _accounts_by_unit(world: World) -> list[list[int]]:
    members: list[list[int]] = [[] for _ in range(world.n_units)]
    for account, unit in enumerate(world.account_unit.tolist()):
        members[unit].append(account)
    return members


def _cut(world: World, accounts: np.ndarray, weights: np.ndarray, parts: int) -> list[np.ndarray]:
    """Cut a unit's accounts into `parts` groups of similar weight, west to east (or south to north)."""
    lat = world.accounts["lat"].to_numpy()[accounts]
    lon = world.accounts["lon"].to_numpy()[accounts]
    key = lon if np.ptp(lon) * np.cos(np.radians(lat.mean())) >= np.ptp(lat) else lat
    order = np.argsort(key, kind="stable")
    cumulative = np.cumsum(weights[order])
    bounds = np.searchsorted(cumulative, cumulative[-1] * np.arange(1, parts) / parts)
    return [g for g in np.split(accounts[order], bounds) if len(g)]


def resolve_constraints(world: World, seats: np.ndarray,
                        params: dict[str, Any]) -> tuple[dict[int, int], dict[int, int], np.ndarray]:
    """Locked units, locked accounts (indices -> seat) and per-seat target factors from the parameters."""
    rep_seat = {rep: i for i, rep in enumerate(world.reps["rep_id"].astype(str))}
    unit_index = {u: i for i, u in enumerate(world.units["unit_id"].astype(str))}
    account_index = {a: i for i, a in enumerate(world.accounts["account_id"].astype(str))}
    in_play = set(seats.tolist())

    unknown = set(params) - KNOWN_PARAMS
    if unknown:
        raise PolicyError(f"unknown parameter(s) {', '.join(sorted(unknown))}; "
                          f"expected {', '.join(sorted(KNOWN_PARAMS))}")

    def seat_of(rep: str, what: str) -> int | None:
        """The rep's seat; None when the rep is not in a seat being aligned now (a realignment after it left)."""
        seat = rep_seat.get(str(rep))
        if seat is None:
            raise PolicyError(f"{what}: unknown rep {rep!r}")
        return seat if seat in in_play else None

    locked_units = {}
    for unit, rep in (params.get("locked_units") or {}).items():
        if str(unit) not in unit_index:
            raise PolicyError(f"locked_units: unknown unit {unit!r}")
        seat = seat_of(rep, f"locked_units.{unit}")
        if seat is not None:
            locked_units[unit_index[str(unit)]] = seat
    locked_accounts = {}
    for account, rep in (params.get("locked_accounts") or {}).items():
        if str(account) not in account_index:
            raise PolicyError(f"locked_accounts: unknown account {account!r}")
        seat = seat_of(rep, f"locked_accounts.{account}")
        if seat is not None:
            locked_accounts[account_index[str(account)]] = seat
    factors = np.ones(len(seats))
    for rep, factor in (params.get("targets") or {}).items():
        seat = seat_of(rep, f"targets.{rep}")
        if seat is not None:
            factors[list(seats).index(seat)] = float(factor)
    return locked_units, locked_accounts, factors


def home_anchors(pieces_lat: np.ndarray, pieces_lon: np.ndarray, world: World, seats: np.ndarray,
             taken: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """A distinct piece per seat, nearest its home (the seat's anchor), and the home-to-piece distances (km)."""
    reps = world.reps.iloc[seats]
    km = great_circle_km(reps["home_lat"].to_numpy()[:, None], reps["home_lon"].to_numpy()[:, None],
                         pieces_lat[None, :], pieces_lon[None, :])
    anchors = np.full(len(seats), -1, dtype=np.int64)
    used = set(taken)
    for seat in np.argsort(km.min(axis=1), kind="stable"):
        for piece in np.argsort(km[seat], kind="stable")[:50]:
            if int(piece) not in used:
                anchors[seat] = piece
                used.add(int(piece))
                break
    return anchors, km


class _Effort:
    """The move budget and the wall-clock safety net of one policy call, shared by its attempts (coarse to fine)."""

    def __init__(self, world: World, params: dict[str, Any]):
        move_budget = params.get("move_budget", default_move_budget(world.n_units))
        time_limit = params.get("time_limit", default_time_limit(world.n_units))
        try:
            self.move_budget, self.time_limit = int(move_budget), float(time_limit)
        except (TypeError, ValueError):
            self.move_budget, self.time_limit = -1, 0.0
        if self.move_budget < 0 or self.time_limit <= 0 or self.move_budget != move_budget:
            raise PolicyError(f"move_budget must be a whole number >= 0 and time_limit a number of seconds > 0; "
                              f"got {move_budget!r} and {time_limit!r}")
        self.deadline = time.perf_counter() + self.time_limit
        self.spent = 0
        self.time_limit_hit = False

    @property
    def stopped(self) -> bool:
        """No moves left, or the safety net was hit."""
        return self.time_limit_hit or self.spent >= self.move_budget

    def solve(self, problem: Problem, share: float = 1.0, **options: Any) -> Result:
        """One attempt with `share` of the moves left, under what is left of the safety net."""
        result = solve(problem, max(self.deadline - time.perf_counter(), 0.0),
                       move_budget=int((self.move_budget - self.spent) * share), **options)
        self.spent += result.moves_spent
        self.time_limit_hit |= result.time_limit_hit
        return result

    def info(self, result: Result) -> dict[str, Any]:
        """What the search spent, and whether the chosen attempt ran out of moves or any hit the safety net."""
        return {"move_budget": self.move_budget, "moves_spent": self.spent, "move_budget_hit": result.budget_hit,
                "time_limit": self.time_limit, "time_limit_hit": self.time_limit_hit}


@register("balanced")
def balanced(world: World, seats: Sequence[int], params: dict[str, Any], rng: np.random.Generator) -> Alignment:
    """Contiguous territories balanced on a measure within a hard tolerance, compact around homes."""
    seats = np.asarray(seats, dtype=np.int64)
    tolerance = float(params.get("tolerance", 0.05))
    unit_weights, account_weights = measure_weights(world, params.get("measure", "workload"))
    locked_units, locked_accounts, factors = resolve_constraints(world, seats, params)
    fixed = np.zeros(len(seats))
    spread = account_weights if account_weights is not None else spread_to_accounts(world, unit_weights)
    for account, seat in locked_accounts.items():
        fixed[list(seats).index(seat)] += spread[account]
    total = float(unit_weights.sum()) if account_weights is None else float(account_weights.sum())
    targets = total * factors / factors.sum()
    free_targets = np.maximum(targets - fixed, 0.0)
    effort = _Effort(world, params)
    smallest = float(free_targets.min())
    # first split only units too big for any territory; if the tolerance is then out of reach, cut finer
    limits = [(1 + tolerance) * smallest, SPLIT_TOLERANCES * tolerance * smallest, tolerance * smallest] \
        if params.get("split", True) else [None]
    best = None
    for limit in limits:
        pieces = _Pieces(world, unit_weights, account_weights, locked_accounts, limit)
        lat, lon = pieces.centroids()
        seat_position = {int(s): i for i, s in enumerate(seats)}
        locked = {p: seat_position[locked_units[u]] for p, u in enumerate(pieces.parent) if u in locked_units}
        anchors, km = home_anchors(lat, lon, world, seats, set(locked))
        problem = Problem(weights=pieces.weights, cost=(km * world.hours_per_km).T, neighbours=pieces.neighbours(),
                          targets=free_targets, tolerance=free_tolerance(tolerance, targets, free_targets),
                          anchors=anchors, locked=locked)
        last = limit == limits[-1]
        lumpy = not last and pieces.weights.max() > SPLIT_TOLERANCES * tolerance * smallest
        # with units of a large share of a territory, the coarse attempts rarely succeed: give them a short try
        result = effort.solve(problem, 1.0 if last else COARSE_SHARE if lumpy else FINER_SHARE)
        if best is None or (result.contiguous.all(), -result.max_deviation) > (best[1].contiguous.all(),
                                                                                -best[1].max_deviation):
            best = (pieces, result)
        if result.max_deviation <= problem.tolerance or effort.stopped:
            break
    pieces, result = best
    return _alignment(world, seats, pieces, result, locked_accounts, targets, fixed, tolerance, "balanced",
                      effort.info(result), float(params.get("split_within_hours", SPLIT_WITHIN_HOURS)))


def free_tolerance(tolerance: float, targets: np.ndarray, free_targets: np.ndarray) -> float:
    """The tolerance on the movable part that keeps every whole seat within `tolerance` of its target."""
    ratio = np.divide(targets, free_targets, out=np.ones_like(targets), where=free_targets > 0)
    return float(tolerance * ratio.min())


def _alignment(world: World, seats: np.ndarray, pieces: _Pieces, result: Result, locked_accounts: dict[int, int],
               targets: np.ndarray, fixed: np.ndarray, tolerance: float, policy: str,
               search: dict[str, Any], reach_hours: float) -> Alignment:
    seat_of_piece = seats[result.assignment]
    unit_seat = np.zeros(world.n_units, dtype=np.int64)
    share: dict[int, dict[int, float]] = {}
    for piece, unit in enumerate(pieces.parent):
        share.setdefault(unit, {}).setdefault(int(seat_of_piece[piece]), 0.0)
        share[unit][int(seat_of_piece[piece])] += pieces.weights[piece] + 1e-12
    for unit, by_seat in share.items():
        unit_seat[unit] = max(by_seat, key=lambda s: (by_seat[s], -s))
    solved = seats[result.assignment][_piece_of_accounts(world, pieces)]  # every account's seat by its piece
    free = np.ones(world.n_accounts, dtype=bool)
    free[list(locked_accounts)] = False
    seat_of, moved_near = _keep_pieces_near(world, solved, free, unit_seat, reach_hours)
    # a split unit goes to the seat with most of it; its other accounts are exceptions
    weights = pieces.account_weights
    for unit in np.unique(world.account_unit[free & (seat_of != unit_seat[world.account_unit])]).tolist():
        mine = np.flatnonzero(free & (world.account_unit == unit))
        by_seat = np.bincount(seat_of[mine], weights=weights[mine] + 1e-12, minlength=world.n_reps)
        unit_seat[unit] = int(np.argmax(by_seat))
    overrides = dict(locked_accounts)
    away = np.flatnonzero(free & (seat_of != unit_seat[world.account_unit]))
    overrides.update({int(a): int(seat_of[a]) for a in away})
    position = np.full(world.n_reps, -1, dtype=np.int64)
    position[seats] = np.arange(len(seats))
    loads = np.array(result.loads, dtype=float)
    changed = np.flatnonzero(free & (seat_of != solved))
    np.subtract.at(loads, position[solved[changed]], weights[changed])
    np.add.at(loads, position[seat_of[changed]], weights[changed])
    splits = [{"unit_id": str(world.units["unit_id"].iat[unit]),
               "rep_ids": [str(world.reps["rep_id"].iat[s]) for s in sorted({int(unit_seat[unit]),
                                                                             *seat_of[away[world.account_unit[away]
                                                                                           == unit]].tolist()})]}
              for unit in sorted(set(world.account_unit[away].tolist()))]
    deviation = (loads + fixed) / np.maximum(targets, 1e-12) - 1.0
    info = {
        **balance_info(world, seats, deviation, tolerance),
        "contiguous_seats": int(result.contiguous.sum()), "splits": splits, "split_accounts_moved_near": moved_near,
        "seconds": round(result.seconds, 3),
        "moves": result.moves, "exact_search": result.exact, **search,
    }
    return Alignment(unit_seat, world.n_reps, overrides, policy=policy, info=info)


def _piece_of_accounts(world: World, pieces: _Pieces) -> np.ndarray:
    """The piece of every account (a locked account: its unit's piece, never read)."""
    piece_of = np.zeros(world.n_accounts, dtype=np.int64)
    first_piece: dict[int, int] = {}
    for piece, (unit, group) in enumerate(zip(pieces.parent, pieces.accounts, strict=True)):
        first_piece.setdefault(unit, piece)
        if group is not None:
            piece_of[group] = piece
    whole = np.array([first_piece[u] for u in range(world.n_units)], dtype=np.int64)
    in_whole = np.ones(world.n_accounts, dtype=bool)
    for group in pieces.accounts:
        if group is not None:
            in_whole[group] = False
    piece_of[in_whole] = whole[world.account_unit[in_whole]]
    return piece_of


def _keep_pieces_near(world: World, seat_of: np.ndarray, free: np.ndarray, unit_seat: np.ndarray,
                      reach_hours: float) -> tuple[np.ndarray, int]:
    """Accounts of split units far from the rest of their seat's territory go to the nearest seat holding a piece.

    Far: more than `reach_hours` from the seat's other units and home (`hours_to_territory`); the seat chosen is,
    among those holding part of the unit, the one whose other units or home are nearest. Returns the new seats
    and how many accounts moved.
    """
    seat_of = seat_of.copy()
    split = np.flatnonzero(np.bincount(world.account_unit[free & (seat_of != unit_seat[world.account_unit])],
                                       minlength=world.n_units))
    moved = 0
    for unit in split.tolist():
        mine = np.flatnonzero(free & (world.account_unit == unit))
        holders = np.unique(seat_of[mine])
        hours = np.stack([hours_to_territory(world, unit_seat, mine, np.full(len(mine), s), world.hours_per_km)
                          for s in holders])
        own = hours[np.searchsorted(holders, seat_of[mine]), np.arange(len(mine))]
        nearest = holders[np.argmin(hours, axis=0)]
        far = own > reach_hours
        moved += int((far & (nearest != seat_of[mine])).sum())
        seat_of[mine[far]] = nearest[far]
    return seat_of, moved


def balance_info(world: World, seats: np.ndarray, deviation: np.ndarray, tolerance: float) -> dict[str, Any]:
    """How a plan's seats deviate from their targets, as the balanced policies report it (`deviation` per seat)."""
    rep_ids = world.reps["rep_id"].astype(str).to_numpy()[seats]
    missing = [{"rep_id": str(rep), "deviation": round(float(d), 4)}
               for rep, d in zip(rep_ids, deviation, strict=True) if abs(d) > tolerance + 1e-12]
    return {"tolerance": tolerance, "within_tolerance": not missing, "seats_missing": missing,
            "achievable_tolerance": round(float(np.abs(deviation).max()), 4),
            "max_deviation": float(np.abs(deviation).max())}


@register("min_disruption")
def min_disruption(world: World, seats: Sequence[int], params: dict[str, Any],
                   rng: np.random.Generator) -> Alignment:
    """From the as-is alignment, move as little as possible until every seat is within the tolerance."""
    seats = np.asarray(seats, dtype=np.int64)
    tolerance = float(params.get("tolerance", 0.05))
    start = as_is(world, seats, {}, rng)
    unit_weights, account_weights = measure_weights(world, params.get("measure", "workload"))
    locked_units, locked_accounts, factors = resolve_constraints(world, seats, params)
    locked_accounts = {**{a: s for a, s in start.overrides.items() if s in set(seats.tolist())}, **locked_accounts}
    fixed = np.zeros(len(seats))
    position = {int(s): i for i, s in enumerate(seats)}
    spread = account_weights if account_weights is not None else spread_to_accounts(world, unit_weights)
    for account, seat in locked_accounts.items():
        fixed[position[seat]] += spread[account]
    total = float(unit_weights.sum()) if account_weights is None else float(account_weights.sum())
    targets = total * factors / factors.sum()
    free_targets = np.maximum(targets - fixed, 0.0)
    cost_of = world.account_potential if params.get("disruption", "potential") == "potential" else np.ones(
        world.n_accounts)
    budget = float(params.get("budget", 1.0)) * float(cost_of.sum())
    effort = _Effort(world, params)
    members = _accounts_by_unit(world)
    smallest = float(free_targets.min())
    best = None
    for limit in [(1 + tolerance) * smallest, SPLIT_TOLERANCES * tolerance * smallest, tolerance * smallest]:
        pieces = _Pieces(world, unit_weights, account_weights, locked_accounts, limit)
        lat, lon = pieces.centroids()
        locked = {p: position[locked_units[u]] for p, u in enumerate(pieces.parent) if u in locked_units}
        _, km = home_anchors(lat, lon, world, seats, set())
        move_cost = np.array([cost_of[group].sum() if group is not None else
                              cost_of[[a for a in members[u] if a not in locked_accounts]].sum()
                              for u, group in zip(pieces.parent, pieces.accounts, strict=True)])
        problem = Problem(weights=pieces.weights, cost=(km * world.hours_per_km).T,
                          neighbours=pieces.neighbours(), targets=free_targets,
                          tolerance=free_tolerance(tolerance, targets, free_targets),
                          anchors=np.full(len(seats), -1, dtype=np.int64), locked=locked)
        begin = np.array([position[int(start.unit_seat[u])] for u in pieces.parent], dtype=np.int64)
        result = effort.solve(problem, start=begin, move_cost=move_cost, budget=budget)
        moved = float(move_cost[result.assignment != begin].sum())
        if best is None or (result.contiguous.all(), -result.max_deviation) > (best[1].contiguous.all(),
                                                                                -best[1].max_deviation):
            best = (pieces, result, moved)
        if result.max_deviation <= problem.tolerance or effort.stopped:
            break
    pieces, result, moved = best
    alignment = _alignment(world, seats, pieces, result, locked_accounts, targets, fixed, tolerance, "min_disruption",
                           effort.info(result), float(params.get("split_within_hours", SPLIT_WITHIN_HOURS)))
    return Alignment(alignment.unit_seat, alignment.n_seats, alignment.overrides, "min_disruption",
                     {**alignment.info, "moved_cost": moved, "moved_share": moved / max(float(cost_of.sum()), 1e-12),
                      "budget_share": float(params.get("budget", 1.0))})
