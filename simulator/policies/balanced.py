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

from simulator.alignment import Alignment
from simulator.partition.budget import default_move_budget, default_time_limit
from simulator.partition.problem import Problem
from simulator.partition.solve import Result, solve
from simulator.policies.basic import as_is
from simulator.policies.pieces import Pieces, PolicyError, accounts_by_unit, measure_weights, spread_to_accounts
from simulator.policies.plan import balance_info, plan_alignment
from simulator.policies.registry import register
from simulator.schema.policy_params import MinDisruptionParams
from simulator.world.geography import great_circle_km
from simulator.world.model import World

KNOWN_PARAMS = set(MinDisruptionParams.model_fields)  # the schema's table of the parameters
SPLIT_TOLERANCES = 2.0  # a unit heavier than this many tolerances of the smallest target is cut into account groups
COARSE_SHARE = 0.05  # of the moves left, for a coarse attempt with units of a large share of a territory
FINER_SHARE = 0.5  # of the moves left, for a coarse attempt without them
SPLIT_WITHIN_HOURS = 1.25  # default `split_within_hours`: a split unit's accounts stay within a day trip of a seat
__all__ = ["PolicyError", "balance_info", "balanced", "free_tolerance", "measure_weights", "min_disruption",
           "resolve_constraints", "spread_to_accounts"]  # the pieces and the plan assembly live beside it


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
        pieces = Pieces(world, unit_weights, account_weights, locked_accounts, limit)
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
    return plan_alignment(world, seats, pieces, result, locked_accounts, targets, fixed, tolerance, "balanced",
                          effort.info(result), float(params.get("split_within_hours", SPLIT_WITHIN_HOURS)))


def free_tolerance(tolerance: float, targets: np.ndarray, free_targets: np.ndarray) -> float:
    """The tolerance on the movable part that keeps every whole seat within `tolerance` of its target."""
    ratio = np.divide(targets, free_targets, out=np.ones_like(targets), where=free_targets > 0)
    return float(tolerance * ratio.min())


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
    members = accounts_by_unit(world)
    smallest = float(free_targets.min())
    best = None
    for limit in [(1 + tolerance) * smallest, SPLIT_TOLERANCES * tolerance * smallest, tolerance * smallest]:
        pieces = Pieces(world, unit_weights, account_weights, locked_accounts, limit)
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
    alignment = plan_alignment(world, seats, pieces, result, locked_accounts, targets, fixed, tolerance,
                               "min_disruption", effort.info(result),
                               float(params.get("split_within_hours", SPLIT_WITHIN_HOURS)))
    return Alignment(alignment.unit_seat, alignment.n_seats, alignment.overrides, "min_disruption",
                     {**alignment.info, "moved_cost": moved, "moved_share": moved / max(float(cost_of.sum()), 1e-12),
                      "budget_share": float(params.get("budget", 1.0))})
