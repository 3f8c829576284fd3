"""The two reference policies: `as_is` (current owners) and `nearest` (closest rep home by travel time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from simulator.alignment import Alignment
from simulator.policies.registry import register
from simulator.world.geography import great_circle_km
from simulator.world.model import World


def _unit_home_hours(world: World, seats: np.ndarray) -> np.ndarray:
    """Travel hours from each seat's home (rows) to each unit (columns).

    A unit with accounts is as far as the mean travel time to its accounts; an empty unit uses the
    great-circle distance to its centroid at the model's average speed.
    """
    homes = world.home_location(seats)
    to_accounts = world.travel.between(homes, np.arange(world.n_accounts))
    units = world.account_unit
    counts = np.bincount(units, minlength=world.n_units)
    summed = np.stack([np.bincount(units, weights=row, minlength=world.n_units) for row in to_accounts])
    hours = summed / np.maximum(counts, 1)
    empty = counts == 0
    if empty.any():
        reps = world.reps.iloc[seats]
        km = great_circle_km(reps["home_lat"].to_numpy()[:, None], reps["home_lon"].to_numpy()[:, None],
                             world.units["lat"].to_numpy()[empty][None, :],
                             world.units["lon"].to_numpy()[empty][None, :])
        scale = world.hours_per_km
        hours[:, empty] = km * scale
    return hours



@register("nearest")
def nearest(world: World, seats: Sequence[int], params: dict[str, Any], rng: np.random.Generator) -> Alignment:
    """Each unit to the seat whose home base is nearest by travel time."""
    seats = np.asarray(seats, dtype=np.int64)
    hours = _unit_home_hours(world, seats)
    return Alignment(seats[np.argmin(hours, axis=0)], world.n_reps, policy="nearest")


@register("as_is")
def as_is(world: World, seats: Sequence[int], params: dict[str, Any], rng: np.random.Generator) -> Alignment:
    """Keep the current owners.

    A unit goes to the seat owning most of its potential; accounts owned by another seat become named-account
    overrides. Units with no owned account keep the world's recorded unit owner (column `owner` of the units,
    when there is one and that seat is in play), else go to the nearest seat; unowned accounts follow their unit.
    """
    seats = np.asarray(seats, dtype=np.int64)
    owner = world.accounts["owner"].to_numpy(dtype=np.int64)
    owned = np.isin(owner, seats)
    unit = world.account_unit
    weight = np.maximum(world.account_potential, 1e-9)
    share = np.zeros((world.n_units, world.n_reps))
    np.add.at(share, (unit[owned], owner[owned]), weight[owned])
    unit_seat = np.argmax(share, axis=1)
    orphan_units = share.max(axis=1) <= 0
    if "owner" in world.units:  # units without owned accounts keep the unit's recorded owner, if it is in play
        recorded = world.units["owner"].to_numpy(dtype=np.int64)
        keep = orphan_units & np.isin(recorded, seats)
        unit_seat[keep] = recorded[keep]
        orphan_units &= ~keep
    if orphan_units.any():
        nearest_seat = seats[np.argmin(_unit_home_hours(world, seats), axis=0)]
        unit_seat[orphan_units] = nearest_seat[orphan_units]
    by_unit = unit_seat[unit]
    exceptions = np.flatnonzero(owned & (owner != by_unit))
    overrides = {int(a): int(owner[a]) for a in exceptions}
    return Alignment(unit_seat, world.n_reps, overrides, policy="as_is")
