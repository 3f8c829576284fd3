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
            remote=bool(behaviour.remote.enabled), remote_hours=float(behaviour.remote.hours),
            remote_weight=float(behaviour.remote.relationship_weight))
        # expected drive per stop to each account, from the local account density: sizes a day's plan
        self.drive_per_visit = travel_per_visit_hours(state.world, state.world.hours_per_km)
        self.potential_weight = float(behaviour.potential_weight)
        n = state.n_seats
        # per seat: its home (position 0) and accounts (1..n), as unit vectors (great circle) or a travel matrix
        self.great_circle = isinstance(state.world.travel, GreatCircleTravel)
        self.hours_per_km = float(getattr(state.world.travel, "hours_per_km", 0.0))
        self.xyz: list[np.ndarray] = [np.zeros((1, 3))] * n
        self.matrices: list[np.ndarray] = [np.zeros((1, 1))] * n
        self.from_home: list[np.ndarray] = [np.empty(0)] * n
        self.potential_score: list[np.ndarray] = [np.empty(0)] * n
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
                      state.trip_base, state.trip_left, state.trip_day, state.admin_hours, state.home_leg_hours,
                      state.idle_hours, state.remote_hours, state.nights, state.seat_revenue,
                      self._group_next())
        room = len(days) * state.n_seats * MAX_STOPS
        state.reserve(room, room)
        play_days(first_day, last_day, np.asarray(state.effort, dtype=float)[months],
                  np.asarray(state.effectiveness, dtype=float)[months], ramps, self.behaviour,
                  self.pipeline.params, state.keys, seats, self.territories, state.accounts(), state.opportunities,
                  state.visits, state.counters)

    def _group_next(self) -> np.ndarray:
        """The earliest next pipeline event of each seat's accounts (and of the unowned ones, last); inf if none."""
        start = self.territories.start
        earliest = np.full(len(start) - 1, np.inf)
        filled = np.flatnonzero(np.diff(start) > 0)
        if len(filled):
            times = self.state.next_event[self.territories.accounts]
            earliest[filled] = np.minimum.reduceat(times, start[filled])
        return earliest

    def _territories(self) -> Territories:
        """Accounts grouped by seat (unowned last), with each territory's travel and planning constants.

        Great-circle travel is computed in the kernel from the unit vectors of each territory's home and accounts
        (a few kB per territory, so a day's work stays in cache); any other travel model (a road graph) gives a
        travel matrix per territory. Only seats whose territory changed are recomputed.
        """
        state = self.state
        n = state.n_seats
        for seat in np.flatnonzero(self.version != state.territory_version).tolist():
            self._refresh(seat)
        members = [*state.territory, np.flatnonzero(state.account_seat < 0)]
        sizes = np.array([len(m) for m in members], dtype=np.int64)
        start = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        accounts = np.concatenate(members).astype(np.int64)
        no_score = np.zeros(int(sizes[n]))
        from_home = np.concatenate([*self.from_home, no_score])
        potential_score = np.concatenate([*self.potential_score, no_score])
        if self.great_circle:
            xyz = np.concatenate(self.xyz)
            xyz_start = np.concatenate(([0], np.cumsum([len(x) for x in self.xyz])[:-1])).astype(np.int64)
            travel, travel_start = np.zeros(0), np.zeros(n, dtype=np.int64)
        else:
            xyz, xyz_start = np.zeros((0, 3)), np.zeros(n, dtype=np.int64)
            travel = np.concatenate([m.ravel() for m in self.matrices])
            travel_start = np.concatenate(([0], np.cumsum([m.size for m in self.matrices])[:-1])).astype(np.int64)
        return Territories(start, accounts, from_home, self.state.visit_hours[accounts], self.farthest.copy(),
                           potential_score, self.mean_visit.copy(), self.drive_per_stop.copy(), travel_start, travel,
                           xyz_start, xyz, np.array([self.hours_per_km]))

    def _refresh(self, seat: int) -> None:
        """Recompute one seat's travel data and planning constants after its territory changed."""
        state = self.state
        members = state.territory[seat]
        locations = np.concatenate(([state.world.home_location(seat)], members))
        travel = state.world.travel
        if self.great_circle:
            self.xyz[seat] = travel.xyz[locations]
            from_home = travel.between(locations[:1], members)[0]
        else:
            self.matrices[seat] = np.asarray(travel.pairwise(locations), dtype=float)
            from_home = self.matrices[seat][0, 1:]
        self.from_home[seat] = np.asarray(from_home, dtype=float)
        self.farthest[seat] = float(self.from_home[seat].max()) if len(members) else 0.0
        self.potential_score[seat] = self.potential_weight * state.potential_rank[seat]
        self.mean_visit[seat] = float(state.visit_hours[members].mean()) if len(members) else 1.0
        self.drive_per_stop[seat] = float(self.drive_per_visit[members].mean()) if len(members) else 0.5
        self.version[seat] = state.territory_version[seat]
