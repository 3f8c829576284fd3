"""Reps' working days: admin first, then a planned route of visits, then the drive home.

Seats interact only at day boundaries (ownership changes at the daily tick), so one step plays every seat's day,
seat after seat, each visit keeping its own time; the pipeline events of a seat's accounts (stage ends, inbound
arrivals) are fired in time order between that seat's visits. Each day the rep picks accounts by priority (overdue
versus required frequency, potential, open opportunities that need a touch), orders them with nearest neighbour
+ 2-opt, and drives the route; a stop that no longer fits with the drive home is skipped, and the day ends when
none fits. Travel and visit durations are drawn (lognormal around the expected value); time is logged as admin,
travel, selling and idle.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.behaviour import cv_to_sigma
from tests.reference_engine.pipeline import PipelineModel
from tests.reference_engine.routing import plan_route
from tests.reference_engine.state import FILLED, MANAGER_DAY, MAX_STOPS, REP_DAY, VACANT, RunState

DUE_CAP = 3.0  # an account three intervals overdue is no more urgent than one two intervals overdue
MIN_ADMIN_SHARE = 0.02  # even a rep in a month-end push spends this share of the day on admin
MAX_PRECOMPUTED_TERRITORY = 2000  # accounts; above this a territory's travel matrix is not held in memory
URGENT_BONUS = 10.0  # due accounts and open opportunities come before top-up visits...
DETOUR_PENALTY = 3.0  # ...unless they lie more than about URGENT_BONUS / DETOUR_PENALTY hours from the anchor


class Workday:
    """Plans and plays out the working days of every seat."""

    def __init__(self, state: RunState, pipeline: PipelineModel):
        self.state = state
        self.pipeline = pipeline
        behaviour = state.scenario.behaviour
        self.admin_share = behaviour.admin_share
        self.admin_sd = behaviour.admin_share_sd
        self.travel_sigma = cv_to_sigma(behaviour.travel_time_cv)
        self.visit_sigma = cv_to_sigma(behaviour.visit_duration_cv)
        self.due_threshold = behaviour.due_threshold
        self.weights = (behaviour.overdue_weight, behaviour.potential_weight, behaviour.opportunity_weight)
        self.manager_share = state.scenario.workforce.manager_share
        n = state.n_seats
        self.inverse_interval: list[np.ndarray] = [np.empty(0)] * n
        self.mean_visit = [1.0] * n
        self.local_travel: list[np.ndarray | None] = [None] * n
        self.round_trip: list[np.ndarray] = [np.empty(0)] * n
        self.potential_score: list[np.ndarray] = [np.empty(0)] * n  # potential weight x rank in territory
        self.longest_round_trip = [0.0] * n  # field hours from which every account of the territory is reachable
        self.every_position: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n
        self.version = [-1] * n
        self.seat_clock = [0.0] * n  # each seat's own simulated time: the end of its last admin block or visit

    def _refresh(self, seat: int) -> None:
        """Rebuild a seat's planning arrays after its territory changed."""
        state = self.state
        members = state.territory[seat]
        self.inverse_interval[seat] = 1.0 / state.interval_days[members]
        self.mean_visit[seat] = float(state.visit_hours[members].mean()) if len(members) else 1.0
        # travel among the seat's home (row 0) and accounts (rows 1..n), computed once per territory
        self.local_travel[seat] = self._territory_travel(seat)
        self.round_trip[seat] = (2 * self._travel(seat, np.array([0]), self.all_positions(seat))[0]
                                 + state.visit_hours[members])
        self.potential_score[seat] = self.weights[1] * state.potential_rank[seat]
        self.longest_round_trip[seat] = float(self.round_trip[seat].max()) if len(members) else 0.0
        self.every_position[seat] = np.arange(len(members))
        self.version[seat] = int(state.territory_version[seat])

    def _territory_travel(self, seat: int) -> np.ndarray | None:
        members = self.state.territory[seat]
        if len(members) > MAX_PRECOMPUTED_TERRITORY:
            return None  # too big to hold: computed day by day instead
        home = self.state.world.home_location(seat)
        return self.state.world.travel.pairwise(np.concatenate(([home], members)))

    def _travel(self, seat: int, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Hours between territory positions (0 = home, i + 1 = the seat's i-th account)."""
        local = self.local_travel[seat]
        if local is not None:
            return local[rows][:, columns]
        locations = np.concatenate(([self.state.world.home_location(seat)], self.state.territory[seat]))
        return self.state.world.travel.between(locations[rows], locations[columns])

    def play_day(self, day: int) -> None:
        """Play one working day of every seat, with the pipeline events of the day in between.

        Every seat's accounts have their events fired in time order between that seat's visits (a stage check
        sees exactly the touches made before it); the day's visits and closes are logged in time order.
        """
        state = self.state
        pipeline = self.pipeline
        horizon = day + 1.0
        groups = pipeline.take_due(horizon)
        visits: list[tuple[float, tuple]] = []
        for seat in range(state.n_seats):
            pipeline.local, pipeline.horizon = groups.pop(seat, []), horizon
            self.play_seat(seat, day, visits)
            pipeline.drain(horizon)
        for orphaned in groups.values():  # accounts nobody owns still have deals stalling and arriving
            pipeline.local = orphaned
            pipeline.drain(horizon)
        pipeline.local = None
        visits.sort(key=_first)
        state.visit_log.extend(visit for _, visit in visits)
        pipeline.end_day()

    def play_seat(self, seat: int, day: int, visits: list[tuple[float, tuple]]) -> None:
        """One seat's day: admin, then the planned route; appends (end time, visit record) to `visits`."""
        state = self.state
        hours = state.hours
        clock_now = self.seat_clock[seat]
        if clock_now < day:
            clock_now = clock_now + (day - clock_now)  # exactly as a timeout to the day's start adds it
        if state.seat_state[seat] == FILLED:
            kind = REP_DAY
        elif state.seat_state[seat] == VACANT and state.manager_covered[seat]:
            kind = MANAGER_DAY
        else:
            self.seat_clock[seat] = clock_now
            return  # nobody works this seat today
        state.day_kind[seat, day] = kind
        if self.version[seat] != state.territory_version[seat]:
            self._refresh(seat)
        z = state.day_normals[seat][day].tolist()
        month = state.month_of_quarter(day)
        admin = min(max(self.admin_share + self.admin_sd * z[0], 0.02), 0.95)
        # pacing effort stretches the field day (squeezing admin, never below MIN_ADMIN_SHARE) or shrinks it
        # (the rep coasts: the hours left over are idle); a manager covering a vacancy gives a share of it
        field = min(hours * (1.0 - admin) * state.effort[month], hours * (1.0 - MIN_ADMIN_SHARE))
        if kind == MANAGER_DAY:
            field *= self.manager_share
        clock = min(hours * admin, hours - field)  # admin hours, spent first
        end = clock + field
        state.admin_hours[seat, day] = clock
        clock_now = clock_now + clock / hours
        pipeline = self.pipeline
        pipeline.drain(clock_now)
        chosen = self.plan(seat, day, field)
        if len(chosen):
            clock, clock_now = self._drive_route(seat, day, chosen, z, month, clock, end, clock_now, visits)
        self.seat_clock[seat] = clock_now
        state.idle_hours[seat, day] = hours - clock

    def _drive_route(self, seat: int, day: int, chosen: np.ndarray, z: list[float], month: int, clock: float,
                     end: float, clock_now: float, visits: list[tuple[float, tuple]]) -> tuple[float, float]:
        """Drive the day's route; returns the hours used and the seat's time after the last visit."""
        state = self.state
        hours = state.hours
        travel_sigma, visit_sigma = self.travel_sigma, self.visit_sigma
        travel_mu = -0.5 * travel_sigma**2
        visit_mu = -0.5 * visit_sigma**2
        visit_hours = state.visit_hours_list
        last_visit = state.last_visit
        visits_in_quarter = state.visits_in_quarter
        pipeline = self.pipeline
        on_visit = pipeline.on_visit
        exp = math.exp
        stops = state.territory[seat][chosen].tolist()
        m = self._route_matrix(seat, chosen)
        order = plan_route(m)
        multiplier = pipeline.seat_multiplier(seat, day) * state.effectiveness[month]
        home_noise = exp(travel_sigma * z[1] + travel_mu)
        here = 0
        for slot, stop in enumerate(order):
            account = stops[stop - 1]
            drive = m[here][stop] * exp(travel_sigma * z[2 + slot] + travel_mu)
            visit = visit_hours[account] * exp(visit_sigma * z[2 + MAX_STOPS + slot] + visit_mu)
            if clock + drive + visit + m[stop][0] * home_noise > end:
                continue  # does not fit: try the next planned stop; none left, the day is over
            clock_now = clock_now + (drive + visit) / hours
            pipeline.drain(clock_now)  # the account's stage ends and arrivals before the visit ends
            visits.append((clock_now, (seat, account, day, day + (clock + drive) / hours, drive, visit)))
            clock += drive + visit
            here = stop
            previous_visit = float(last_visit[account])
            last_visit[account] = clock_now
            count = int(visits_in_quarter[account]) + 1
            visits_in_quarter[account] = count
            on_visit(account, seat, multiplier, previous_visit, clock_now, count)
        if here:
            leg = m[here][0] * home_noise
            state.home_leg_hours[seat, day] = leg
            clock += leg
        return clock, clock_now

    def _route_matrix(self, seat: int, chosen: np.ndarray) -> list[list[float]]:
        """Hours among home (row 0) and the chosen positions (rows 1..k), as lists for the route and the drive."""
        positions = np.concatenate(([0], chosen + 1))
        local = self.local_travel[seat]
        if local is not None:
            return local.take(positions, 0).take(positions, 1).tolist()
        return self._travel(seat, positions, positions).tolist()

    def plan(self, seat: int, day: int, field_hours: float) -> np.ndarray:
        """Accounts to route today: due ones and those needing a touch near the day's anchor, topped up.

        Underloaded reps top their day up with the best accounts not yet due, as real reps do. Accounts too far
        from home for a round trip in today's field time are left out (they show up in the coverage gap).

        Returns:
            Positions of the chosen accounts in the seat's territory array.

        """
        state = self.state
        members = state.territory[seat]
        n_members = len(members)
        if n_members == 0:
            return members
        # an account whose round trip from home does not fit in today's field time cannot be visited today
        if field_hours >= self.longest_round_trip[seat]:
            reachable = self.every_position[seat]
        else:
            reachable = (self.round_trip[seat] <= field_hours).nonzero()[0]
        n = len(reachable)
        wanted = min(MAX_STOPS, n, int(field_hours / (self.mean_visit[seat] + 0.2)) + 2)
        if wanted >= n:
            return reachable
        # score the reachable accounts only: element by element, so the same numbers as scoring them all
        everyone = n == n_members
        if everyone:
            accounts, inverse_interval, potential_score = members, self.inverse_interval[seat], \
                self.potential_score[seat]
        else:
            accounts = members[reachable]
            inverse_interval = self.inverse_interval[seat][reachable]
            potential_score = self.potential_score[seat][reachable]
        due = state.last_visit.take(accounts)
        np.subtract(day, due, out=due)
        due *= inverse_interval  # intervals overdue
        needs_touch = state.needs_touch.take(accounts) > 0
        w_due, _, w_touch = self.weights
        score = np.minimum(due, DUE_CAP)
        score *= w_due
        score += potential_score
        np.add(score, w_touch, out=score, where=needs_touch)
        urgent = due >= self.due_threshold
        urgent |= needs_touch
        np.add(score, URGENT_BONUS, out=score, where=urgent)
        # work one area a day: the most urgent account anchors the day, the rest are picked near it
        anchor = reachable[score.argmax()] + 1
        local = self.local_travel[seat]
        if local is None:
            detour = self._travel(seat, np.array([anchor]), reachable + 1)[0]
        else:
            detour = local[anchor, 1:] if everyone else local[anchor].take(reachable + 1)
        cost = DETOUR_PENALTY * detour
        cost -= score  # exactly -(score - DETOUR_PENALTY x detour), so the same ranking, ascending
        return reachable.take(cost.argpartition(wanted - 1)[:wanted])

    def all_positions(self, seat: int) -> np.ndarray:
        """Positions 1..n of every account of the seat's territory."""
        return np.arange(1, len(self.state.territory[seat]) + 1)


def _first(item: tuple) -> float:
    return item[0]
