"""Workforce dynamics: quarters, quits, notice, vacancies, hiring, planned events, and who covers the gap.

The run's SimPy calendar calls `tick` at the start of a working day, before any rep moves: it opens quarters
(quotas, inbound demand), carries out what is due that day (a notice period ending, a new hire starting), applies the
scenario's planned events, draws each rep's quit hazard and records the day's coverage. `next_event_day` tells the
calendar the next day when a tick can change anything (the next quit is foreseen from its keyed draw), so the days
in between are played in one kernel call with the same record.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from simulator.alignment import Alignment, account_workload
from simulator.behaviour import seat_quotas, time_to_fill_lognormal
from simulator.engine.draws import uniform_grid
from simulator.engine.pipeline import PipelineModel
from simulator.engine.state import CLOSED, DAYS_PER_MONTH, FILLED, VACANT, Rep, RunState
from simulator.policies import get_policy
from simulator.policies.vacancy import CoverageView, VacancyPolicy
from simulator.scenario import DepartureEvent, HeadcountEvent, HireEvent, RealignEvent

Aligner = Callable[[Sequence[int]], Alignment]
HIRE_REASON = {"realign": "realignment"}  # otherwise accounts coming back to a filled seat are a "return"


class WorkforceModel:
    """The daily tick of a run: workforce events and quarter starts."""

    def __init__(self, state: RunState, pipeline: PipelineModel, align: Aligner, vacancy_name: str,
                 vacancy: VacancyPolicy):
        self.state = state
        self.pipeline = pipeline
        self.align = align
        self.vacancy_name = vacancy_name
        self.vacancy = vacancy
        workforce = state.scenario.workforce
        self.attrition = workforce.attrition
        self.hiring = workforce.hiring
        relationships = workforce.relationships
        self.penalties = (relationships.change_penalty, relationships.new_hire_change_penalty)
        self.max_load = workforce.neighbours_max_load
        self.return_on_hire = workforce.neighbours_return_on_hire
        self.capacity_hours = state.capacity_hours
        # hours per quarter each account asks for (visits x (visit + drive per visit)), for the workload quota
        self.account_workload = (account_workload(state.world, state.world.hours_per_km)
                                 if state.scenario.quota.policy == "workload" else np.zeros(state.n_accounts))
        self.days_per_year = 4 * state.days_per_quarter
        self.due: dict[int, list[Callable[[int], None]]] = defaultdict(list)
        self.former: dict[int, np.ndarray] = {}
        self.hires = np.zeros(state.n_seats, dtype=np.int64)
        self.hire_rngs: dict[int, np.random.Generator] = {}
        self.bad_quarters = np.zeros(state.n_seats, dtype=np.int64)
        self.unfair = np.zeros(state.n_seats, dtype=bool)
        self.planned = self._resolve_events()
        self.day_hooks: list[Callable[[RunState, int], None]] = []
        self.orphans_counted = -1
        self.orphans = (0.0, 0.0)  # orphaned accounts and their potential, as of `orphans_counted` reassignments
        # the quit forecast's column for the day it foresaw a quit: (day, candidates, probabilities, draws)
        self.foreseen: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None

    # -- the tick -----------------------------------------------------------------------------------------
    def tick(self, day: int) -> None:
        """Start a working day: quarter start, what falls due, planned events, quits, the day's record."""
        state = self.state
        if day % state.days_per_quarter == 0:
            self.quarter_start(day // state.days_per_quarter)
        for action in self.due.pop(day, []):
            action(day)
        for index, event in self.planned.get(day, []):
            self.apply(index, event, day)
        self.quits(day)
        self.record(day)

    def next_event_day(self, day: int) -> int:
        """The first day after `day` whose tick can change anything (the horizon if none).

        That is the next quarter start, notice end, hire or planned event, or the next day a quit draw falls under
        its hazard: the hazard is fixed between quarter starts (except the end of early tenure, which it follows)
        and the draws are keyed by (seat, day), so the next quit is known ahead. Days before it need no tick:
        their record is the same as today's. With day hooks (tests), every day is ticked.
        """
        state = self.state
        limit = min(state.n_days, (day // state.days_per_quarter + 1) * state.days_per_quarter)
        if self.day_hooks:
            return day + 1
        upcoming = [d for d in self.due if d > day] + [d for d in self.planned if d > day]
        if upcoming:
            limit = min(limit, min(upcoming))
        if limit > day + 1 and self.attrition.enabled:
            candidates = self._quit_candidates()
            if len(candidates):
                days = np.arange(day + 1, limit)
                draws = uniform_grid(state.quit_key, candidates, day + 1, len(days))
                daily = self._daily_quit_probability(candidates, days)
                quitting = np.flatnonzero((draws < daily).any(axis=0))
                if len(quitting):
                    limit = int(days[quitting[0]])
                    # nothing else happens before that day's tick (it comes before every other event), so its quit
                    # draws are these: `quits` takes them instead of drawing again
                    self.foreseen = (limit, candidates, daily[:, quitting[0]], draws[:, quitting[0]])
        return limit

    def record_until(self, day: int, until: int) -> None:
        """Days day+1 .. until-1 record the same seat states and orphans as `day` (nothing happens on them)."""
        state = self.state
        state.seat_state_log[:, day + 1:until] = state.seat_state[:, None]
        state.orphans_by_day[day + 1:until] = state.orphans_by_day[day]
        state.orphan_potential_by_day[day + 1:until] = state.orphan_potential_by_day[day]

    def quarter_start(self, quarter: int) -> None:
        """Score the last quarter, set quotas and fairness, schedule inbound demand."""
        state = self.state
        open_seats = np.flatnonzero((state.seat_state == FILLED) | (state.seat_state == VACANT))
        if quarter > 0:
            quota = state.quota[:, quarter - 1]
            attainment = np.divide(state.seat_revenue[:, quarter - 1], quota, out=np.ones_like(quota),
                                   where=quota > 0)
            bad = attainment < self.attrition.low_attainment
            self.bad_quarters = np.where(bad, self.bad_quarters + 1, 0)
        potential = np.array([float(state.potential[state.territory[s]].sum()) for s in range(state.n_seats)])
        quota = state.scenario.quota
        target = quota.company_target or quota.share_of_potential * float(state.potential.sum())
        state.quota[:, quarter] = 0.0
        if len(open_seats):
            owned = state.account_seat >= 0
            workload = np.bincount(state.account_seat[owned], weights=self.account_workload[owned],
                                   minlength=state.n_seats)
            state.quota[open_seats, quarter] = seat_quotas(quota.policy, target, potential[open_seats],
                                                           workload[open_seats], self.capacity_hours)
            mean = potential[open_seats].mean()
            self.unfair = potential < self.attrition.unfair_potential_ratio * mean
        self.pipeline.inbound(quarter)

    def quits(self, day: int) -> None:
        """Each settled rep not yet on notice may quit today, with the hazard of their tenure and deal."""
        state = self.state
        if not self.attrition.enabled:
            return
        candidates = self._quit_candidates()
        if not len(candidates):
            return
        foreseen, self.foreseen = self.foreseen, None
        if foreseen is not None and foreseen[0] == day and np.array_equal(foreseen[1], candidates):
            daily, draws = foreseen[2], foreseen[3]
        else:
            daily = self._daily_quit_probability(candidates, np.array([day]))[:, 0]
            draws = uniform_grid(state.quit_key, candidates, day, 1)[:, 0]
        for seat in candidates[draws < daily].tolist():
            rep = state.occupant[seat]
            rep.notice = float(day)
            state.seat_on_notice[seat] = True
            state.log_event("notice", seat, reason="quit")
            if self.attrition.notice_days == 0:
                self.vacate(seat, day, "quit", backfill=True)
            else:
                self.due[day + self.attrition.notice_days].append(lambda d, s=seat, r=rep: self._notice_ends(s, r, d))

    def _quit_candidates(self) -> np.ndarray:
        """Seats whose rep may quit: filled, not on notice."""
        state = self.state
        return np.flatnonzero((state.seat_state == FILLED) & ~state.seat_on_notice)

    def _daily_quit_probability(self, seats: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Quit probability of each seat's rep (rows) on each day (columns).

        The annual rate, raised early in tenure, on unfair seats and after bad quarters, as a daily probability
        that compounds to it over a year.
        """
        state, a = self.state, self.attrition
        months = (days[None, :] - state.seat_hired[seats][:, None]) * state.calendar_days_per_day / DAYS_PER_MONTH
        annual = np.full(months.shape, a.annual_quit_rate)
        annual[months < 12 * a.early_tenure_years] *= a.early_tenure_multiplier
        annual[self.unfair[seats]] *= a.unfairness_multiplier
        annual[self.bad_quarters[seats] >= a.low_attainment_quarters] *= a.low_attainment_multiplier
        return 1.0 - (1.0 - np.clip(annual, 0.0, 0.999)) ** (1.0 / self.days_per_year)

    def record(self, day: int) -> None:
        """The day's seat states and orphaned accounts; then any hooks (tests check invariants here)."""
        state = self.state
        state.seat_state_log[:, day] = state.seat_state
        if self.orphans_counted != state.ownership_changes:  # orphans change only when accounts move
            orphaned = state.account_seat < 0
            self.orphans = (float(orphaned.sum()), float(state.potential[orphaned].sum()))
            self.orphans_counted = state.ownership_changes
        state.orphans_by_day[day], state.orphan_potential_by_day[day] = self.orphans
        for hook in self.day_hooks:
            hook(state, day)

    # -- vacancies and hires -----------------------------------------------------------------------------
    def filled(self, excluding: int = -1) -> tuple[int, ...]:
        """Seats with a rep in them."""
        filled = self.state.seat_state == FILLED
        if excluding >= 0:
            filled[excluding] = False
        return tuple(np.flatnonzero(filled).tolist())

    def view(self, filled: Sequence[int]) -> CoverageView:
        """What a vacancy policy sees now."""
        seats = self.state.account_seat.copy()
        seats.setflags(write=False)
        return CoverageView(self.state.world, seats, tuple(filled), self.capacity_hours, self.max_load,
                            self.align, self.return_on_hire)

    def _notice_ends(self, seat: int, rep: Rep, day: int) -> None:
        """The notice period of `rep` ends: it leaves, unless it already left (a planned departure came first)."""
        if self.state.occupant[seat] is rep:
            self.vacate(seat, day, "quit", backfill=True)

    def vacate(self, seat: int, day: int, reason: str, backfill: bool, close: bool = False) -> None:
        """The rep in `seat` leaves today; the vacancy policy covers the accounts; a hire may be scheduled."""
        state = self.state
        rep = state.occupant[seat]
        if rep is None or rep.left is not None:
            return
        rep.left, rep.reason = float(day), reason
        state.log_event("departure", seat, reason=reason)
        state.seat_out(seat)
        state.seat_state[seat] = CLOSED if close else VACANT
        self.former[seat] = state.account_seat == seat
        cover = self.vacancy.on_vacancy(self.view(self.filled(excluding=seat)), seat)
        state.manager_covered[seat] = cover.manager
        state.reassign(cover.account_seat, "vacancy_cover", *self.penalties, covering_for=seat)
        hire_day = -1
        if backfill and not close and self.hiring.enabled:
            hire_day = day + self._time_to_fill(seat)
            if hire_day < state.n_days:
                self.due[hire_day].append(lambda d, s=seat: self.fill(s, d))
        former = self.former[seat]
        state.log_event("vacancy", seat, reason=self.vacancy_name, hire_day=float(hire_day),
                        accounts=int(former.sum()), potential=float(state.potential[former].sum()),
                        workload_hours=float(state.account_workload[former].sum()))

    def fill(self, seat: int, day: int) -> None:
        """A new hire takes the seat; the vacancy policy hands accounts back."""
        state = self.state
        rng = self._hire_rng(seat)
        skill = math.exp(state.scenario.behaviour.skill_sigma * float(rng.standard_normal())
                         - 0.5 * state.scenario.behaviour.skill_sigma ** 2)
        self.hires[seat] += 1
        base, count = state.seat_ids[seat], self.hires[seat]
        state.seat_in(seat, Rep(f"{base}-H{count}", seat, float(day), skill, False,
                                name=f"New hire {count} ({state.seat_names[seat]}'s seat)"))
        state.log_event("hire", seat)
        former = self.former.pop(seat, np.zeros(state.n_accounts, dtype=bool))
        returned = self.vacancy.on_hire(self.view(self.filled()), seat, former)
        state.reassign(returned, HIRE_REASON.get(self.vacancy_name, "return"), *self.penalties)

    def _hire_rng(self, seat: int) -> np.random.Generator:
        if seat not in self.hire_rngs:
            self.hire_rngs[seat] = self.state.streams.generator("hire", seat)
        return self.hire_rngs[seat]

    def _time_to_fill(self, seat: int) -> int:
        """Working days until the seat is filled (at least one), drawn from the seat's hire stream."""
        mu, sigma = time_to_fill_lognormal(self.hiring.time_to_fill_mean_days, self.hiring.time_to_fill_sd_days)
        calendar_days = math.exp(mu + sigma * float(self._hire_rng(seat).standard_normal()))
        return max(1, math.ceil(calendar_days / self.state.calendar_days_per_day))

    # -- planned events ---------------------------------------------------------------------------------
    def _resolve_events(self) -> dict[int, list[tuple[int, object]]]:
        state = self.state
        planned: dict[int, list[tuple[int, object]]] = defaultdict(list)
        for index, event in enumerate(state.scenario.events):
            drawn = None
            if event.day is None and event.at is None:  # a day drawn inside the quarter
                drawn = int(state.streams.generator("events", index).integers(state.days_per_quarter))
            planned[event.event_day(state.days_per_quarter, drawn)].append((index, event))
        return planned

    def apply(self, index: int, event: object, day: int) -> None:
        """Carry out one planned event."""
        state = self.state
        if isinstance(event, DepartureEvent):
            seats = (self._seat_of(event.rep) if event.rep is not None
                     else self._pick(event.count, event.pick, index, day))
            for seat in seats:
                self.vacate(seat, day, "departure", backfill=event.backfill)
        elif isinstance(event, HeadcountEvent) and event.change < 0:
            for seat in self._pick(-event.change, event.pick, index, day):
                self.vacate(seat, day, "headcount", backfill=False, close=True)
        elif isinstance(event, HireEvent | HeadcountEvent):
            takes = event.takes if isinstance(event, HireEvent) else "nearest"
            for seat in np.flatnonzero(state.world.reps["event"].to_numpy() == index).tolist():
                self._open(seat, day, takes)
        elif isinstance(event, RealignEvent):
            if not self.filled():
                state.log_event("skipped_realign", -1, reason="no seat is filled")
                return
            policy = get_policy(event.policy)
            alignment = policy(state.world, self.filled(), dict(event.params),
                               state.streams.generator(f"events.realign.{index}"))
            state.log_event("realign", -1, reason=event.policy)
            state.reassign(alignment.account_seats(state.world), "realignment", *self.penalties)

    def _seat_of(self, rep: str) -> list[int]:
        """The seat of the rep an event names (by rep_id or name, `World.seats_of_rep`), if still in it."""
        state = self.state
        initial = state.world.initial_seats()
        for seat in state.world.seats_of_rep(rep, initial)[:1]:  # check_events refused an ambiguous name
            occupant = state.occupant[seat]
            if occupant is not None and occupant.rep_id == state.seat_ids[seat]:
                return [seat]
        state.log_event("skipped_departure", -1, reason=f"{rep} is no longer in a seat")
        return []

    def _pick(self, count: int, pick: str, index: int, day: int) -> list[int]:
        """`count` filled seats: at random, or the top / bottom performers by attainment so far."""
        state = self.state
        candidates = np.array(self.filled(), dtype=np.int64)
        if pick == "random":
            order = state.streams.generator("events.pick", index).permutation(len(candidates))
            return candidates[order][:count].tolist()
        quarter = min(day // state.days_per_quarter, state.quarters - 1)
        elapsed = (day % state.days_per_quarter) / state.days_per_quarter
        quota = state.quota[candidates, :quarter].sum(axis=1) + state.quota[candidates, quarter] * elapsed
        revenue = state.seat_revenue[candidates, :quarter + 1].sum(axis=1)
        attainment = np.divide(revenue, quota, out=np.zeros(len(candidates)), where=quota > 0)
        order = np.argsort(-attainment if pick == "top" else attainment, kind="stable")
        return candidates[order][:count].tolist()

    def _open(self, seat: int, day: int, takes: str) -> None:
        """A planned seat opens with a new rep, taking the accounts nearer to its home (or by a realignment)."""
        state = self.state
        rng = self._hire_rng(seat)
        skill = math.exp(state.scenario.behaviour.skill_sigma * float(rng.standard_normal())
                         - 0.5 * state.scenario.behaviour.skill_sigma ** 2)
        state.seat_in(seat, Rep(state.seat_ids[seat], seat, float(day), skill, False, name=state.seat_names[seat]))
        state.log_event("seat_opened", seat, reason=takes)
        if takes == "realign":
            seats = self.align(self.filled()).account_seats(state.world)
        else:
            seats = state.account_seat.copy()
            world = state.world
            everyone = np.arange(state.n_accounts)
            new_home = world.travel.between(np.array([world.home_location(seat)]), everyone)[0]
            current = np.full(state.n_accounts, np.inf)
            for owner in set(seats.tolist()) - {-1}:
                members = np.flatnonzero(seats == owner)
                current[members] = world.travel.between(np.array([world.home_location(owner)]), members)[0]
            orphans = np.flatnonzero(seats < 0)
            others = [s for s in self.filled() if s != seat]
            if len(orphans) and others:  # an orphan goes to the new seat only if no other rep is nearer
                current[orphans] = world.travel.between(world.home_location(np.array(others)), orphans).min(axis=0)
            seats[new_home < current] = seat
        state.reassign(seats, "realignment", *self.penalties)
