"""The world a simulation runs in: units, accounts, reps, their adjacency and the travel model."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd

from simulator.scenario import Segment
from simulator.world.geography import local_km, tour_km_per_stop
from simulator.world.travel import Travel


@dataclass(frozen=True, eq=False)
class World:
    """Everything static about a territory-planning problem.

    Attributes:
        units: one row per unit (index 0..n-1): unit_id, lat, lon.
        accounts: one row per account (index 0..m-1): account_id, unit (unit index), lat, lon, potential,
            segment (name), owner (rep index, -1 for none); from world files also `name` and `potential_assumed`
            when the accounts file has them.
        reps: one row per rep seat (index 0..r-1): rep_id, home_lat, home_lon, tenure_days (at day 0).
        segments: segment name -> required visits and visit duration.
        adjacency: unit adjacency graph on unit indices.
        travel: travel times among locations: accounts 0..m-1, then rep homes m..m+r-1.
        name: a label for messages.
        hours_per_km: driving hours per straight-line km (circuity / speed), for travel estimates.

    """

    units: pd.DataFrame
    accounts: pd.DataFrame
    reps: pd.DataFrame
    segments: dict[str, Segment]
    adjacency: nx.Graph
    travel: Travel
    name: str = "world"
    hours_per_km: float = 1.3 / 50.0
    meta: dict = field(default_factory=dict)

    @property
    def n_accounts(self) -> int:
        """Number of accounts."""
        return len(self.accounts)

    @property
    def n_reps(self) -> int:
        """Number of rep seats."""
        return len(self.reps)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self.units)

    def home_location(self, seat: int | np.ndarray) -> int | np.ndarray:
        """Travel-location id of a seat's home base."""
        return self.n_accounts + seat

    def initial_seats(self) -> list[int]:
        """Seats filled on day 0 (planned seats open later, by their event)."""
        if "opens_day" not in self.reps:
            return list(range(self.n_reps))
        return [int(s) for s in (self.reps["opens_day"].to_numpy() == 0).nonzero()[0]]

    @cached_property
    def segment_names(self) -> list[str]:
        """Segment names in scenario order."""
        return list(self.segments)

    @cached_property
    def account_visits_required(self) -> np.ndarray:
        """Required visits per quarter of each account."""
        per_segment = {name: seg.visits_per_quarter for name, seg in self.segments.items()}
        return self.accounts["segment"].map(per_segment).to_numpy(dtype=float)

    @cached_property
    def account_visit_hours(self) -> np.ndarray:
        """Mean visit duration (hours) of each account."""
        per_segment = {name: seg.visit_hours for name, seg in self.segments.items()}
        return self.accounts["segment"].map(per_segment).to_numpy(dtype=float)

    @cached_property
    def tour_km_per_visit(self) -> np.ndarray:
        """Expected km driven per visit to each account on a day's tour, from the local account density."""
        lat, lon = self.accounts["lat"].to_numpy(), self.accounts["lon"].to_numpy()
        return tour_km_per_stop(local_km(lat, lon, float(lat.mean()), float(lon.mean())))

    @cached_property
    def account_potential(self) -> np.ndarray:
        """Annual potential of each account."""
        return self.accounts["potential"].to_numpy(dtype=float)

    @cached_property
    def account_unit(self) -> np.ndarray:
        """Unit index of each account."""
        return self.accounts["unit"].to_numpy(dtype=np.int64)
