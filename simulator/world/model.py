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
        reps: one row per rep seat (index 0..r-1): rep_id, name (display name) and home_city (both may be null),
            home_lat, home_lon, tenure_days (at day 0).
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
    def rep_names(self) -> np.ndarray:
        """Display name of each seat's rep: its `name`, or its rep_id where it has none."""
        ids = self.reps["rep_id"].astype(str).to_numpy(dtype=object)
        if "name" not in self.reps:
            return ids
        names = self.reps["name"].astype("string").str.strip()
        return np.where((names.notna() & (names != "")).to_numpy(dtype=bool), names.astype(object), ids)

    @cached_property
    def rep_cities(self) -> np.ndarray:
        """Home city (or county) of each seat's rep; None where the world does not know it."""
        if "home_city" not in self.reps:
            return np.full(self.n_reps, None, dtype=object)
        cities = self.reps["home_city"].astype("string").str.strip()
        known = (cities.notna() & (cities != "")).to_numpy(dtype=bool)
        return np.where(known, cities.astype(object), None)

    def seats_of_rep(self, text: str, seats: list[int] | None = None) -> list[int]:
        """Seats (among `seats`, default all) whose rep is `text`: by rep_id, else by name.

        A rep_id matches exactly; a name matches ignoring case and repeated spaces, so "ann  novak" finds
        "Ann Novak". Several seats come back when several reps share the name (ambiguous).
        """
        seats = list(range(self.n_reps)) if seats is None else seats
        ids = self.reps["rep_id"].astype(str).to_numpy()
        by_id = [s for s in seats if ids[s] == text]
        if by_id:
            return by_id
        wanted = _folded(text)
        return [s for s in seats if _folded(str(self.rep_names[s])) == wanted]

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


def _folded(name: str) -> str:
    """A name as compared: case-folded, runs of spaces as one."""
    return " ".join(name.split()).casefold()
