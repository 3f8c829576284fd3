"""What the balanced policies partition and weigh: units, heavy units cut into account pieces, and the measures.

A measure (workload, potential, accounts, a numeric unit column or a weighted mix) gives every unit and account a
weight; a unit heavier than a limit is cut into groups of accounts (pieces) of similar weight that partition like
units: pieces of adjacent units are adjacent, and so are the pieces of one unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.alignment import account_workload
from simulator.world.model import World


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


class Pieces:
    """Units, with the too-heavy ones cut into groups of accounts (pieces) that partition like units."""

    def __init__(self, world: World, unit_weights: np.ndarray, account_weights: np.ndarray | None,
                 locked_accounts: dict[int, int], limit: float | None):
        self.world = world
        self.parent: list[int] = []
        self.accounts: list[np.ndarray | None] = []
        weights = []
        members = accounts_by_unit(world)
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


def accounts_by_unit(world: World) -> list[list[int]]:
    """Every unit's account indices."""
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
