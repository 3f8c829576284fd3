"""Reps' working days, one step for all seats: the Python side of the compiled day kernel.

Seats interact only at day boundaries (ownership changes at the daily tick), so each working day one step
(`kernels.play_day`) plays every active seat's day, and one call plays the days up to the next workforce event:
admin, the pipeline events due before planning, call planning (overdue versus required frequency, potential,
open deals that need a touch, one area a day), a route by nearest neighbour + 2-opt, simulated drive and visit
times, opportunities created by visits, and the rest of the day's stage ends and arrivals. This module keeps the
kernel's inputs current: which seats work and how well (skill x ramp, day by day), and each territory's accounts
and travel (home and accounts: unit vectors for great-circle travel, a matrix from the world's road graph
otherwise), rebuilt only for seats whose territory changed.
"""

from __future__ import annotations

import numpy as np

from simulator.alignment import travel_per_visit_hours
from simulator.behaviour import cv_to_sigma
from simulator.engine.gather import group_accounts, group_next, owned_values, territory_points
from simulator.engine.kernels import MANAGER_DAY, NO_WORK, REP_DAY, play_days
from simulator.engine.pipeline import PipelineModel
from simulator.engine.planning import MAX_STOPS
from simulator.engine.state import FILLED, VACANT, RunState
from simulator.engine.tables import Behaviour, Seats, Territories
from simulator.world.travel import GreatCircleTravel


class Workday:
    """Plays out the working days of every seat."""

    def __init__(self, state: RunState, pipeline: PipelineModel):
        self.state = state
        self.pipeline = pipeline
        behaviour = state.scenario.behaviour
        self.behaviour = Behaviour(
            workday_hours=float(state.hours), admin_share=float(behaviour.admin_share),
            admin_share_sd=float(behaviour.admin_share_sd), manager_share=float(state.scenario.workforce.manager_share),
            travel_sigma=cv_to_sigma(behaviour.travel_time_cv), visit_sigma=cv_to_sigma(behaviour.visit_duration_cv),
            due_threshold=float(behaviour.due_threshold), overdue_weight=float(behaviour.overdue_weight),
            opportunity_weight=float(behaviour.opportunity_weight), potential_weight=float(behaviour.potential_weight),
            max_detour=float(behaviour.max_detour_hours),
            trips=bool(behaviour.trips.enabled), overnight_beyond=float(behaviour.trips.overnight_beyond_hours),
            trip_max_days=int(behaviour.trips.max_days), trip_radius=float(behaviour.trips.radius_hours),
            fly_in_beyond=float(behaviour.trips.fly_in_beyond_hours), flight_hours=float(behaviour.trips.flight_hours),
            remote=bool(behaviour.remote.enabled), remote_hours=float(behaviour.remote.hours),
            remote_weight=float(behaviour.remote.relationship_weight),
            days_per_quarter=int(state.days_per_quarter))
        # expected drive per stop to each account, from the local account density: sizes a day's plan
        self.drive_per_visit = travel_per_visit_hours(state.world, state.world.hours_per_km)
        self.potential_weight = float(behaviour.potential_weight)
        n = state.n_seats
        # per seat: its home (position 0) and accounts (1..n), as unit vectors (great circle) or a travel matrix
        self.great_circle = isinstance(state.world.travel, GreatCircleTravel)
        self.hours_per_km = float(getattr(state.world.travel, "hours_per_km", 0.0))
        self.matrices: list[np.ndarray] = [np.zeros((1, 1))] * n
        # per account, as of its owner's last refresh: hours from the owner's home, potential score in its territory
        self.from_home_of = np.zeros(state.n_accounts)
        self.score_of = np.zeros(state.n_accounts)
        self.mean_visit = np.ones(n)
        self.drive_per_stop = np.full(n, 0.5)
        self.farthest = np.zeros(n)  # hours from home to the territory's farthest account
        self.version = np.full(n, -1, dtype=np.int64)
        self.territories: Territories | None = None

    def play_days(self, first_day: int, last_day: int) -> None:
        """Play days first_day .. last_day - 1 of every seat (a stretch after a workforce tick, none in between)."""
        state = self.state
        if self.territories is None or np.any(self.version != state.territory_version):
            state.trip_left[self.version != state.territory_version] = 0  # positions change: a trip ends
            self.territories = self._territories()
        kind = np.where(state.seat_state == FILLED, REP_DAY,
                        np.where((state.seat_state == VACANT) & state.manager_covered, MANAGER_DAY, NO_WORK))
        state.day_kind[:, first_day:last_day] = kind[:, None]
        days = np.arange(first_day, last_day)
        months = (days % state.days_per_quarter) * 3 // state.days_per_quarter  # month of the quarter: 0, 1, 2
        ramps = self.pipeline.seat_ramps(days)
        seats = Seats(kind.astype(np.int8), self.pipeline.seat_skills(), ramps[0].copy(), ~state.seat_has_rep,
                      self.pipeline.open_deals(), np.ones(state.n_seats, dtype=np.bool_), state.backlog,
                      state.trip_base, state.trip_left, state.trip_day, state.trip_flown, state.admin_hours,
                      state.home_leg_hours, state.idle_hours, state.remote_hours, state.nights, state.flights,
                      state.seat_revenue, self._group_next())
        room = len(days) * state.n_seats * MAX_STOPS
        state.reserve(room, room)
        play_days(first_day, last_day, np.asarray(state.effort, dtype=float)[months],
                  np.asarray(state.effectiveness, dtype=float)[months], ramps, self.behaviour,
                  self.pipeline.params, state.keys, seats, self.territories, state.accounts(), state.opportunities,
                  state.visits, state.counters)

    def _group_next(self) -> np.ndarray:
        """The earliest next pipeline event of each seat's accounts (and of the unowned ones, last); inf if none."""
        return group_next(self.territories.start, self.territories.accounts, self.state.next_event)

    def _territories(self) -> Territories:
        """Accounts grouped by seat (unowned last), with each territory's travel and planning constants.

        Great-circle travel is computed in the kernel from the unit vectors of each territory's home and accounts
        (a few kB per territory, so a day's work stays in cache); any other travel model (a road graph) gives a
        travel matrix per territory. Only seats whose territory changed are recomputed; the rest is gathered by
        account in one pass (per-account values of the owner's territory: hours from its home, potential score).
        """
        state = self.state
        n = state.n_seats
        for seat in np.flatnonzero(self.version != state.territory_version).tolist():
            self._refresh(seat)
        # the same groups as state.territory (and the unowned accounts), gathered in one compiled pass
        start, accounts = group_accounts(state.account_seat, n)
        owned = int(start[n])
        from_home = owned_values(self.from_home_of, accounts, owned)
        potential_score = owned_values(self.score_of, accounts, owned)
        if self.great_circle:
            # each territory's home, then its accounts: home position s + start[s]
            xyz = territory_points(state.world.travel.xyz, start, accounts,
                                   np.asarray(state.world.home_location(np.arange(n)), dtype=np.int64))
            xyz_start = start[:n] + np.arange(n)
            travel, travel_start = np.zeros(0), np.zeros(n, dtype=np.int64)
        else:
            xyz, xyz_start = np.zeros((0, 3)), np.zeros(n, dtype=np.int64)
            travel = np.concatenate([m.ravel() for m in self.matrices])
            travel_start = np.concatenate(([0], np.cumsum([m.size for m in self.matrices])[:-1])).astype(np.int64)
        return Territories(start, accounts, from_home, state.visit_hours[accounts], state.inverse_interval[accounts],
                           self.farthest.copy(),
                           potential_score, self.mean_visit.copy(), self.drive_per_stop.copy(), travel_start, travel,
                           xyz_start, xyz, np.array([self.hours_per_km]), state.visit_cap[accounts])

    def _refresh(self, seat: int) -> None:
        """Recompute one seat's travel data and planning constants after its territory changed."""
        state = self.state
        members = state.territory[seat]
        travel = state.world.travel
        if self.great_circle:
            from_home = travel.between(np.array([state.world.home_location(seat)]), members)[0]
        else:
            locations = np.concatenate(([state.world.home_location(seat)], members))
            self.matrices[seat] = np.asarray(travel.pairwise(locations), dtype=float)
            from_home = self.matrices[seat][0, 1:]
        from_home = np.asarray(from_home, dtype=float)
        self.from_home_of[members] = from_home
        self.score_of[members] = self.potential_weight * state.potential_rank[seat]
        self.farthest[seat] = float(from_home.max()) if len(members) else 0.0
        self.mean_visit[seat] = float(state.visit_hours[members].mean()) if len(members) else 1.0
        self.drive_per_stop[seat] = float(self.drive_per_visit[members].mean()) if len(members) else 0.5
        self.version[seat] = state.territory_version[seat]
