"""Alignments (who serves what) as immutable values, and the quality metrics of an alignment.

An alignment maps every unit to one seat, with named-account exceptions. Changing it returns a new alignment
and the list of moves, so disruption is always countable (GerryChain's `Partition.flip` works the same way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import networkx as nx
import numpy as np
import pandas as pd

from simulator.world.geography import great_circle_km
from simulator.world.model import World

# an account owned apart from its unit is a far exception beyond this drive (a day trip's reach, the default
# `trips.overnight_beyond_hours`) from every unit its seat holds and from the seat's home
FAR_EXCEPTION_HOURS = 1.25


@dataclass(frozen=True)
class Move:
    """One unit (or named account) changing seat."""

    kind: str  # "unit" or "account"
    index: int
    from_seat: int
    to_seat: int


@dataclass(frozen=True, eq=False)
class Alignment:
    """Unit -> seat map plus named-account overrides; never mutated.

    Attributes:
        unit_seat: seat index of every unit (read-only array).
        n_seats: number of seats (some may hold no unit).
        overrides: account index -> seat, for accounts served apart from their unit.
        policy: the policy that produced it.

    """

    unit_seat: np.ndarray
    n_seats: int
    overrides: Mapping[int, int] = field(default_factory=dict)
    policy: str = ""
    info: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seats = np.array(self.unit_seat, dtype=np.int64, copy=True)
        if seats.size and (seats.min() < 0 or seats.max() >= self.n_seats):
            raise ValueError(f"unit seats must be in [0, {self.n_seats}); got {seats.min()}..{seats.max()}")
        seats.setflags(write=False)
        object.__setattr__(self, "unit_seat", seats)
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))

    def __reduce__(self) -> tuple:
        """Pickle through the constructor (read-only mappings do not pickle), for process pools and Dask."""
        return Alignment, (np.array(self.unit_seat), self.n_seats, dict(self.overrides), self.policy, dict(self.info))

    def account_seats(self, world: World) -> np.ndarray:
        """Seat of every account: its unit's seat unless overridden."""
        seats = self.unit_seat[world.account_unit].copy()
        for account, seat in self.overrides.items():
            seats[account] = seat
        return seats

    def with_unit_moves(self, moves: Mapping[int, int], policy: str | None = None) -> tuple[Alignment, list[Move]]:
        """A new alignment with units moved to new seats, and the moves actually made."""
        seats = self.unit_seat.copy()
        made = []
        for unit, seat in moves.items():
            if seats[unit] != seat:
                made.append(Move("unit", int(unit), int(seats[unit]), int(seat)))
                seats[unit] = seat
        return Alignment(seats, self.n_seats, self.overrides, policy or self.policy, self.info), made

    def to_frame(self, world: World) -> pd.DataFrame:
        """One row per unit: unit index, id and centroid, seat index, rep id and rep name."""
        return pd.DataFrame({
            "unit": np.arange(world.n_units),
            "unit_id": world.units["unit_id"].to_numpy(),
            "lat": world.units["lat"].to_numpy(dtype=float),
            "lon": world.units["lon"].to_numpy(dtype=float),
            "seat": self.unit_seat,
            "rep_id": world.reps["rep_id"].to_numpy()[self.unit_seat],
            "rep_name": world.rep_names[self.unit_seat],
        })


def territory_table(world: World, alignment: Alignment, hours_per_km: float) -> pd.DataFrame:
    """Per-seat accounts, potential, workload (hours/quarter), unit components and compactness of an alignment."""
    table = seat_loads(world, alignment.account_seats(world), alignment.n_seats, hours_per_km)
    units = footprints(world, alignment)
    table.insert(table.columns.get_loc("compactness_hours"), "units", [len(u) for u in units])
    table.insert(table.columns.get_loc("compactness_hours"), "components",
                 [nx.number_connected_components(world.adjacency.subgraph(u)) if u else 0 for u in units])
    return table


def footprints(world: World, alignment: Alignment) -> list[list[int]]:
    """Units each seat serves: those it is assigned, plus those where it owns a split unit's accounts.

    A territory is contiguous when its footprint is connected on the unit graph; a unit split at account level
    belongs to the footprint of every seat that serves part of it. (Single named-account exceptions far from a
    territory are not counted: they are exceptions, not territory.)
    """
    seats: list[set[int]] = [set() for _ in range(alignment.n_seats)]
    for unit, seat in enumerate(alignment.unit_seat.tolist()):
        seats[seat].add(unit)
    split = alignment.info.get("splits", [])
    if split:
        unit_index = {u: i for i, u in enumerate(world.units["unit_id"].astype(str))}
        rep_index = {r: i for i, r in enumerate(world.reps["rep_id"].astype(str))}
        for entry in split:
            for rep in entry["rep_ids"]:
                seats[rep_index[rep]].add(unit_index[entry["unit_id"]])
    return [sorted(units) for units in seats]


def hours_to_territory(world: World, unit_seat: np.ndarray, accounts: np.ndarray, seats: np.ndarray,
                       hours_per_km: float) -> np.ndarray:
    """Hours from each account to the rest of its seat's territory.

    The drive (straight line x `hours_per_km`) to the nearest unit the seat is assigned, other than the account's
    own unit, or to the seat's home.
    """
    hours = np.full(len(accounts), np.inf)
    units_lat, units_lon = world.units["lat"].to_numpy(float), world.units["lon"].to_numpy(float)
    lat_of, lon_of = world.accounts["lat"].to_numpy(float), world.accounts["lon"].to_numpy(float)
    for seat in np.unique(seats).tolist():
        mine = np.flatnonzero(seats == seat)
        whole = np.flatnonzero(unit_seat == seat)
        lat = np.append(units_lat[whole], float(world.reps["home_lat"].iat[seat]))
        lon = np.append(units_lon[whole], float(world.reps["home_lon"].iat[seat]))
        own = np.append(whole, -1)[None, :] == world.account_unit[accounts[mine]][:, None]
        km = great_circle_km(lat_of[accounts[mine]][:, None], lon_of[accounts[mine]][:, None], lat[None, :],
                             lon[None, :])
        hours[mine] = np.where(own, np.inf, km).min(axis=1) * hours_per_km
    return hours


def far_exceptions(world: World, alignment: Alignment, hours_per_km: float,
                   reach_hours: float = FAR_EXCEPTION_HOURS) -> pd.DataFrame:
    """Accounts served apart from the rest of their territory: account-level exceptions far from it.

    The candidates are named exceptions and every account of a unit split between seats (the piece its unit's
    seat keeps too). Far: more than `reach_hours` of driving from every other unit the seat is assigned and from
    the seat's home (`hours_to_territory`). One row per such account: account, seat, hours.
    """
    seat_of = alignment.account_seats(world)
    split_units = {int(world.account_unit[a]) for a, s in alignment.overrides.items()
                   if s >= 0 and alignment.unit_seat[world.account_unit[a]] != s}
    candidates = np.array(sorted({a for a, s in alignment.overrides.items() if s >= 0}
                                 | set(np.flatnonzero(np.isin(world.account_unit, list(split_units))).tolist())),
                          dtype=np.int64)
    candidates = candidates[seat_of[candidates] >= 0]
    hours = hours_to_territory(world, alignment.unit_seat, candidates, seat_of[candidates], hours_per_km)
    far = hours > reach_hours
    return pd.DataFrame({"account": candidates[far], "seat": seat_of[candidates][far].astype(np.int64),
                         "hours": hours[far]})


def travel_per_visit_hours(world: World, hours_per_km: float) -> np.ndarray:
    """Expected drive per visit to each account, from the local account density (`World.tour_km_per_visit`)."""
    return world.tour_km_per_visit * hours_per_km


def account_workload(world: World, hours_per_km: float) -> np.ndarray:
    """Hours per quarter each account asks for: required visits x (visit hours + expected drive per visit)."""
    return world.account_visits_required * (world.account_visit_hours + travel_per_visit_hours(world, hours_per_km))


def seat_loads(world: World, account_seat: np.ndarray, n_seats: int, hours_per_km: float) -> pd.DataFrame:
    """Per-seat accounts, potential, required visits and workload (hours per quarter) for an ownership array.

    Workload = sum over the seat's accounts of required visits x (visit hours + expected drive per visit), the
    drive from the local account density (`travel_per_visit_hours`). It adds up over accounts, so it is the same
    quantity the `balanced` policy balances. Compactness (potential-weighted hours from home) is reported apart.
    Accounts with seat -1 (orphaned) belong to no row.
    """
    required = world.account_visits_required
    visit = required * world.account_visit_hours
    travel = required * travel_per_visit_hours(world, hours_per_km)
    potential = world.account_potential
    owned = account_seat >= 0
    seats = account_seat[owned]

    def per_seat(values: np.ndarray) -> np.ndarray:
        return np.bincount(seats, weights=values[owned], minlength=n_seats)

    compactness = np.zeros(n_seats)
    for seat in np.unique(seats).tolist():
        members = np.flatnonzero(account_seat == seat)
        from_home = world.travel.between(np.array([world.home_location(seat)]), members)[0]
        weights = potential[members] if potential[members].sum() > 0 else None
        compactness[seat] = float(np.average(from_home, weights=weights))
    table = pd.DataFrame({
        "seat": np.arange(n_seats),
        "accounts": np.bincount(seats, minlength=n_seats),
        "potential": per_seat(potential), "required_visits": per_seat(required),
        "visit_hours": per_seat(visit), "travel_hours": per_seat(travel),
        "workload_hours": per_seat(visit + travel), "compactness_hours": compactness,
    })
    table.insert(1, "rep_id", world.reps["rep_id"].to_numpy()[table["seat"].to_numpy()])
    table.insert(2, "rep_name", world.rep_names[table["seat"].to_numpy()])
    table.insert(3, "home_city", world.rep_cities[table["seat"].to_numpy()])
    table["home_lat"] = world.reps["home_lat"].to_numpy(dtype=float)[table["seat"].to_numpy()]
    table["home_lon"] = world.reps["home_lon"].to_numpy(dtype=float)[table["seat"].to_numpy()]
    return table


def _cv(values: np.ndarray) -> float:
    mean = values.mean()
    return float(values.std() / mean) if mean > 0 else 0.0


def _max_deviation(values: np.ndarray) -> float:
    mean = values.mean()
    return float(np.abs(values - mean).max() / mean) if mean > 0 else 0.0


def alignment_quality(world: World, alignment: Alignment, hours_per_km: float, tolerance: float = 0.05,
                      baseline: Alignment | None = None) -> dict[str, float]:
    """The alignment quality metrics of MODEL.md section 2, as a flat dict of floats.

    A territory counts as contiguous when its units are connected on the unit graph and none of its account
    exceptions is far from it (`far_exceptions`, counted in `far_exceptions`).

    Args:
        world: the world.
        alignment: the alignment to judge.
        hours_per_km: driving hours per straight-line km (circuity / speed).
        tolerance: balance tolerance as a share of the mean workload.
        baseline: the as-is alignment for disruption (none: disruption is 0).

    """
    table = territory_table(world, alignment, hours_per_km)
    far = far_exceptions(world, alignment, hours_per_km)
    # a territory with an account exception far from it is not one connected piece
    apart = np.isin(table["seat"].to_numpy(), far["seat"].to_numpy())
    workload = table["workload_hours"].to_numpy()
    potential = table["potential"].to_numpy()
    quality = {
        "territories": float(len(table)),
        "workload_mean_hours": float(workload.mean()),
        "workload_cv": _cv(workload),
        "workload_max_deviation": _max_deviation(workload),
        "potential_cv": _cv(potential),
        "potential_max_deviation": _max_deviation(potential),
        "accounts_cv": _cv(table["accounts"].to_numpy(dtype=float)),
        "share_within_tolerance": float(np.mean(np.abs(workload - workload.mean()) <= tolerance * workload.mean())),
        "contiguous_share": float(np.mean((table["components"].to_numpy() <= 1) & ~apart)),
        "far_exceptions": float(len(far)),
        "territory_components": float(table["components"].sum()),
        "compactness_hours": float(np.average(table["compactness_hours"], weights=np.maximum(potential, 1e-12))),
    }
    if not np.isfinite(quality["compactness_hours"]):  # a road graph with no path to some accounts
        quality["compactness_hours"] = float("nan")
    quality.update(disruption(world, alignment, baseline))
    return quality


def disruption(world: World, alignment: Alignment, baseline: Alignment | None) -> dict[str, float]:
    """Share of accounts and of potential whose seat differs from the baseline alignment."""
    if baseline is None:
        return {"disruption_account_share": 0.0, "disruption_potential_share": 0.0}
    moved = alignment.account_seats(world) != baseline.account_seats(world)
    potential = world.account_potential
    return {
        "disruption_account_share": float(moved.mean()) if len(moved) else 0.0,
        "disruption_potential_share": float(potential[moved].sum() / potential.sum()) if potential.sum() else 0.0,
    }
