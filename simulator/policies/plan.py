"""From a solved partition of pieces to an `Alignment`: units to seats, split accounts as exceptions, balance.

A split unit goes to the seat holding most of its weight and its other accounts become named exceptions; an
exception farther than `split_within_hours` from the rest of its seat's territory goes to the nearest seat holding
part of the unit, so no piece lands far from its territory. `balance_info` reports how each seat deviates from its
target, as the balanced policies and the plan search report it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.alignment import Alignment, hours_to_territory
from simulator.partition.solve import Result
from simulator.policies.pieces import Pieces
from simulator.world.model import World


def plan_alignment(world: World, seats: np.ndarray, pieces: Pieces, result: Result, locked_accounts: dict[int, int],
               targets: np.ndarray, fixed: np.ndarray, tolerance: float, policy: str,
               search: dict[str, Any], reach_hours: float) -> Alignment:
    """The alignment of a solved partition of `pieces` (seat positions in `result.assignment`), with its info."""
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


def _piece_of_accounts(world: World, pieces: Pieces) -> np.ndarray:
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
