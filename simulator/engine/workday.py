"""Reps' working days, one step for all seats: the Python side of the compiled day kernel.

Seats interact only at day boundaries (ownership changes at the daily tick), so each working day one call of
`kernels.play_day` plays every active seat's day: admin, the pipeline events due before planning, call planning
(overdue versus required frequency, potential, open deals that need a touch, one area a day), a route by nearest
neighbour + 2-opt, simulated drive and visit times, opportunities created by visits, and the rest of the day's
stage ends and arrivals. This module keeps the kernel's inputs current: which seats work today and how well
(skill x ramp), and each territory's accounts and travel matrix (home and accounts, from the world's travel
model: great circle or road graph), rebuilt only for seats whose territory changed.
"""

from __future__ import annotations

import numpy as np

from simulator.behaviour import cv_to_sigma
from simulator.engine.kernels import MANAGER_DAY, MAX_STOPS, NO_WORK, REP_DAY, play_day
from simulator.engine.pipeline import PipelineModel
from simulator.engine.state import FILLED, VACANT, RunState
from simulator.engine.tables import Behaviour, Seats, Territories


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
            opportunity_weight=float(behaviour.opportunity_weight))
        self.potential_weight = float(behaviour.potential_weight)
        n = state.n_seats
        # per seat: travel among home (row 0) and its accounts (rows 1..n), flattened into one array
        self.travel = np.zeros(1024)
        self.travel_used = 0
        self.travel_start = np.zeros(n, dtype=np.int64)
        self.travel_room = np.zeros(n, dtype=np.int64)
        self.round_trip: list[np.ndarray] = [np.empty(0)] * n
        self.potential_score: list[np.ndarray] = [np.empty(0)] * n
        self.mean_visit = np.ones(n)
        self.version = np.full(n, -1, dtype=np.int64)
        self.territories: Territories | None = None

    def play_day(self, day: int) -> None:
        """Play one working day of every seat (after the day's workforce tick)."""
        state = self.state
        if self.territories is None or np.any(self.version != state.territory_version):
            self.territories = self._territories()
        kind = np.where(state.seat_state == FILLED, REP_DAY,
                        np.where((state.seat_state == VACANT) & state.manager_covered, MANAGER_DAY, NO_WORK))
        state.day_kind[:, day] = kind
        seats = Seats(kind.astype(np.int8), self.pipeline.seat_multipliers(day), ~state.seat_has_rep, state.admin_hours,
                      state.home_leg_hours, state.idle_hours, state.seat_revenue)
        state.reserve(state.n_seats * MAX_STOPS, state.n_seats * MAX_STOPS)
        month = state.month_of_quarter(day)
        play_day(day, float(state.effort[month]), float(state.effectiveness[month]), self.behaviour,
                 self.pipeline.params, state.keys, seats, self.territories, state.accounts(), state.opportunities,
                 state.visits, state.counters)

    def _territories(self) -> Territories:
        """Accounts grouped by seat (unowned last), with each territory's travel matrix and planning constants.

        Only seats whose territory changed are recomputed; a changed matrix is written over its old place in the
        flat travel array when it fits there, else appended (the array grows by doubling).
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
        round_trip = np.concatenate([*self.round_trip, no_score])
        potential_score = np.concatenate([*self.potential_score, no_score])
        return Territories(start, accounts, round_trip, potential_score, self.mean_visit.copy(),
                           self.travel_start.copy(), self.travel)

    def _refresh(self, seat: int) -> None:
        """Recompute one seat's travel matrix and planning constants after its territory changed."""
        state = self.state
        members = state.territory[seat]
        home = state.world.home_location(seat)
        matrix = np.asarray(state.world.travel.pairwise(np.concatenate(([home], members))), dtype=float)
        self.round_trip[seat] = 2 * matrix[0, 1:] + state.visit_hours[members]
        self.potential_score[seat] = self.potential_weight * state.potential_rank[seat]
        self.mean_visit[seat] = float(state.visit_hours[members].mean()) if len(members) else 1.0
        size = matrix.size
        if size > self.travel_room[seat]:  # does not fit its old place: append
            if self.travel_used + size > len(self.travel):
                grown = np.zeros(max(2 * len(self.travel), self.travel_used + size))
                grown[:self.travel_used] = self.travel[:self.travel_used]
                self.travel = grown
            self.travel_start[seat] = self.travel_used
            self.travel_room[seat] = size
            self.travel_used += size
        self.travel[self.travel_start[seat]:self.travel_start[seat] + size] = matrix.ravel()
        self.version[seat] = state.territory_version[seat]
