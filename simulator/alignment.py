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

from simulator.world.geography import hull_area_km2, local_km
from simulator.world.model import World

BHH_CONSTANT = 0.7124  # Beardwood-Halton-Hammersley tour constant in the plane


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

    def __post_init__(self) -> None:
        seats = np.array(self.unit_seat, dtype=np.int64, copy=True)
        if seats.size and (seats.min() < 0 or seats.max() >= self.n_seats):
            raise ValueError(f"unit seats must be in [0, {self.n_seats}); got {seats.min()}..{seats.max()}")
        seats.setflags(write=False)
        object.__setattr__(self, "unit_seat", seats)
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

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
        return Alignment(seats, self.n_seats, self.overrides, policy or self.policy), made

    def to_frame(self, world: World) -> pd.DataFrame:
        """One row per unit: unit index and id, seat index and rep id."""
        return pd.DataFrame({
            "unit": np.arange(world.n_units),
            "unit_id": world.units["unit_id"].to_numpy(),
            "seat": self.unit_seat,
            "rep_id": world.reps["rep_id"].to_numpy()[self.unit_seat],
        })


def territory_table(world: World, alignment: Alignment, hours_per_km: float, stops_per_day: float) -> pd.DataFrame:
    """Per-seat accounts, potential, workload (hours/quarter), unit components and compactness of an alignment."""
    table = seat_loads(world, alignment.account_seats(world), alignment.n_seats, hours_per_km, stops_per_day)
    units = [np.flatnonzero(alignment.unit_seat == seat) for seat in range(alignment.n_seats)]
    table.insert(table.columns.get_loc("compactness_hours"), "units", [len(u) for u in units])
    table.insert(table.columns.get_loc("compactness_hours"), "components",
                 [nx.number_connected_components(world.adjacency.subgraph(u.tolist())) if len(u) else 0
                  for u in units])
    return table


def seat_loads(world: World, account_seat: np.ndarray, n_seats: int, hours_per_km: float,
               stops_per_day: float) -> pd.DataFrame:
    """Per-seat accounts, potential, required visits and workload (hours per quarter) for an ownership array.

    Workload = sum over accounts of required visits x (visit hours + expected travel per visit). Travel per visit
    comes from a daily tour of `stops_per_day` stops: the BHH length 0.7124 * sqrt((k+1) * A) over the convex
    hull area A of the territory's accounts, plus the stem from home when home lies outside the territory.
    Accounts with seat -1 (orphaned) belong to no row.
    """
    required = world.account_visits_required
    visit_hours = world.account_visit_hours
    potential = world.account_potential
    rows = []
    xy_all = local_km(world.accounts["lat"].to_numpy(), world.accounts["lon"].to_numpy(),
                      float(world.accounts["lat"].mean()), float(world.accounts["lon"].mean()))
    for seat in range(n_seats):
        members = np.flatnonzero(account_seat == seat)
        if len(members) == 0:
            rows.append(dict(seat=seat, accounts=0, potential=0.0, required_visits=0.0, visit_hours=0.0,
                             travel_hours=0.0, workload_hours=0.0, compactness_hours=0.0))
            continue
        from_home = world.travel.between(np.array([world.home_location(seat)]), members)[0]
        n_visits = float(required[members].sum())
        area = hull_area_km2(xy_all[members])
        radius_hours = np.sqrt(area / np.pi) * hours_per_km
        stem = max(0.0, float(np.average(from_home, weights=required[members])) - radius_hours)
        tour = BHH_CONSTANT * np.sqrt((stops_per_day + 1) * area) * hours_per_km + 2 * stem
        travel_hours = n_visits / stops_per_day * tour
        weights = potential[members] if potential[members].sum() > 0 else None
        rows.append(dict(
            seat=seat, accounts=len(members), potential=float(potential[members].sum()), required_visits=n_visits,
            visit_hours=float((required[members] * visit_hours[members]).sum()), travel_hours=float(travel_hours),
            workload_hours=float((required[members] * visit_hours[members]).sum() + travel_hours),
            compactness_hours=float(np.average(from_home, weights=weights)),
        ))
    table = pd.DataFrame(rows)
    table.insert(1, "rep_id", world.reps["rep_id"].to_numpy()[table["seat"].to_numpy()])
    return table


def _cv(values: np.ndarray) -> float:
    mean = values.mean()
    return float(values.std() / mean) if mean > 0 else 0.0


def _max_deviation(values: np.ndarray) -> float:
    mean = values.mean()
    return float(np.abs(values - mean).max() / mean) if mean > 0 else 0.0


def alignment_quality(world: World, alignment: Alignment, hours_per_km: float, stops_per_day: float,
                      tolerance: float = 0.05, baseline: Alignment | None = None) -> dict[str, float]:
    """The alignment quality metrics of MODEL.md section 2, as a flat dict of floats.

    Args:
        world: the world.
        alignment: the alignment to judge.
        hours_per_km: driving hours per straight-line km (circuity / speed).
        stops_per_day: expected stops per working day (for the travel estimate).
        tolerance: balance tolerance as a share of the mean workload.
        baseline: the as-is alignment for disruption (none: disruption is 0).

    """
    table = territory_table(world, alignment, hours_per_km, stops_per_day)
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
        "contiguous_share": float(np.mean(table["components"].to_numpy() <= 1)),
        "territory_components": float(table["components"].sum()),
        "compactness_hours": float(np.average(table["compactness_hours"], weights=np.maximum(potential, 1e-12))),
    }
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
