"""Opportunities: created by visits (ADBUDG response) or inbound, advanced by touches, closed won or lost.

Each opportunity waits for the end of its current stage on a queue of timed pipeline events (stage ends and
inbound arrivals); the day step resolves the events of each seat's accounts in time order between that seat's
visits, so a stage check sees exactly the touches made before it. At the end of a stage an opportunity advances
if the owner touched it during the stage, otherwise it stalls, and after too many untouched checks it is lost. At
the last stage it closes, won with a probability set by the owner's skill and ramp. Revenue goes to whoever owns
the account at close.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from simulator.behaviour import adbudg, mean_one_lognormal, normal_cdf, ramp_multiplier, visit_opportunity_probability
from tests.reference_engine.state import Opportunity, RunState

MANAGER_MULTIPLIER = 1.0  # a sales manager covering a vacant seat sells like an average, settled rep
SQRT2 = math.sqrt(2.0)
STAGE_END, ARRIVAL = 0, 1  # kinds of pipeline event

# A pipeline event: (time, sequence, kind, account, payload); the sequence breaks ties in scheduling order.
PipelineEvent = tuple[float, int, int, int, object]


class PipelineModel:
    """Creates, advances and closes opportunities on a run's state."""

    def __init__(self, state: RunState):
        self.state = state
        params = state.scenario.behaviour.pipeline
        self.response = state.scenario.behaviour.response
        self.ramp = state.scenario.behaviour.ramp
        self.stages = params.stages
        self.cycle_median_days = params.sales_cycle_median_days / state.calendar_days_per_day
        self.cycle_sigma = params.sales_cycle_sigma
        self.stall_days = params.stall_days / state.calendar_days_per_day
        self.max_stalls = params.max_stalls
        self.value_share = params.deal_value_share
        self.value_sigma = params.deal_value_sigma
        self.win_probability = params.win_probability
        relationships = state.scenario.workforce.relationships
        self.decay = relationships.decay_per_interval
        self.floor = relationships.floor
        self.recovery = relationships.recovery_per_visit
        self.penalty_days = relationships.penalty_days / state.calendar_days_per_day
        self._increments: dict[tuple[int, float], float] = {}  # visit_opportunity_probability by (k, required)
        self.pending: list[PipelineEvent] = []  # heap of every event not yet taken by a day step
        self.sequence = 0
        self.local: list[PipelineEvent] | None = None  # while a seat's day plays: its accounts' events...
        self.horizon = 0.0  # ...before this time (the next day's tick)
        self.created_today: list[tuple[float, Opportunity]] = []  # numbered in time order at the end of the day
        self.closed_today: list[tuple[float, Opportunity, int, str, bool]] = []

    # -- the event queue ---------------------------------------------------------------------------------
    def take_due(self, horizon: float) -> dict[int, list[PipelineEvent]]:
        """Remove the events before `horizon` from the queue, grouped by the seat that owns their account.

        Ownership changes only at the daily tick, so a group's events concern that seat's accounts only; each
        group comes in time order (a sorted list is a heap).
        """
        pending, owner = self.pending, self.state.account_seat
        groups: dict[int, list[PipelineEvent]] = {}
        while pending and pending[0][0] < horizon:
            event = heapq.heappop(pending)
            seat = int(owner[event[3]])
            group = groups.get(seat)
            if group is None:
                groups[seat] = [event]
            else:
                group.append(event)
        return groups

    def drain(self, until: float) -> None:
        """Fire the current seat's events due before `until`, in time order (new ones join as they are made)."""
        local = self.local
        while local and local[0][0] < until:
            time, _, kind, account, payload = heapq.heappop(local)
            if kind == STAGE_END:
                opportunity, stage_days = payload
                self._check(opportunity, stage_days, time)
            else:
                value_z, cycle_z, win_z = payload
                self.create(account, int(self.state.account_seat[account]), value_z, cycle_z, normal_cdf(win_z),
                            "inbound", time)

    def _push(self, time: float, kind: int, account: int, payload: object) -> None:
        self.sequence += 1
        event = (time, self.sequence, kind, account, payload)
        if self.local is not None and time < self.horizon:
            heapq.heappush(self.local, event)  # due later today: the seat's day step fires it
        else:
            heapq.heappush(self.pending, event)

    def end_day(self) -> None:
        """Number the day's new opportunities in the order they were created and log the day's closes in time order."""
        state = self.state
        self.created_today.sort(key=_first)
        for _, opportunity in self.created_today:
            state.opportunity_count += 1
            opportunity.number = state.opportunity_count
        self.created_today.clear()
        self.closed_today.sort(key=_first)
        for time, o, seat, outcome, vacancy in self.closed_today:
            state.opportunity_log.append((o.number, o.account, o.seat_created, seat, o.value, o.created, time,
                                          outcome, o.stage, o.source, vacancy))
        self.closed_today.clear()

    def seat_multiplier(self, seat: int, day: float) -> float:
        """Skill x ramp of the rep in a seat; a manager covering an empty seat counts as 1."""
        state = self.state
        rep = state.occupant[seat]
        if rep is None:
            return MANAGER_MULTIPLIER
        return rep.skill * ramp_multiplier(state.months_in_job(seat, day), self.ramp)

    def change_factor(self, account: int, day: float) -> float:
        """Relationship penalty after a change of rep, fading linearly over `penalty_days`."""
        state = self.state
        fade = 1.0 - (day - state.change_day[account]) / self.penalty_days
        return 1.0 - state.change_penalty[account] * fade if fade > 0 else 1.0

    def on_visit(self, account: int, seat: int, multiplier: float, previous_visit: float, now: float,
                 visit_number: int) -> None:
        """A completed visit: mend the relationship, touch open opportunities, then maybe create one.

        Args:
            account: the account visited.
            seat: the seat whose rep (or covering manager) made the visit.
            multiplier: the seat's skill x ramp x the month's effectiveness.
            previous_visit: when the account was last visited before this visit.
            now: the end of this visit (the current simulated time).
            visit_number: the account's visits this quarter, this one included.

        """
        state = self.state
        relationship = float(state.relationship[account])
        overdue = (now - previous_visit) / state.interval_list[account] - 1.0
        if overdue > 0 and relationship > self.floor:
            relationship = max(self.floor, relationship * math.exp(-self.decay * overdue))
        relationship += self.recovery * (1.0 - relationship)
        state.relationship[account] = relationship
        if state.needs_touch[account]:
            for opportunity in state.open_opportunities[account]:
                opportunity.touched = True
            state.needs_touch[account] = 0
        draws = state.visit_draws(account)
        key = (visit_number, state.required_list[account])
        increment = self._increments.get(key)
        if increment is None:
            r = self.response
            increment = self._increments[key] = visit_opportunity_probability(*key, r.r0, r.r_max, r.c, r.d)
        chance = state.propensity_list[account] * relationship * multiplier * increment
        if state.change_day[account] != -math.inf:  # no change of rep yet: the factor is 1
            chance *= self.change_factor(account, now)
        if 0.5 * math.erfc(-draws[0] / SQRT2) < chance:  # normal_cdf, inlined
            self.create(account, seat, draws[1], draws[2], normal_cdf(draws[3]), "visit", now)

    def create(self, account: int, seat: int, value_z: float, cycle_z: float, win_draw: float, source: str,
               now: float, age: float = 0.0) -> None:
        """Open an opportunity at simulated time `now`, created `age` days earlier; schedule its stage end.

        A new opportunity (age 0) starts its first stage untouched. One carried over from before the horizon
        starts in the stage its age puts it in, touched (it was being worked).
        """
        state = self.state
        value = state.potential_list[account] * self.value_share * mean_one_lognormal(value_z, self.value_sigma)
        cycle = self.cycle_median_days * float(np.exp(self.cycle_sigma * cycle_z))
        stage_days = cycle / self.stages
        opportunity = Opportunity(0, account, seat, float(value), now - age, source, win_draw)
        self.created_today.append((now, opportunity))
        opportunity.stage = min(int(age // stage_days), self.stages - 1)
        opportunity.touched = age > 0
        state.open_opportunities[account].append(opportunity)
        if not opportunity.touched:
            state.needs_touch[account] += 1
        remaining = max((opportunity.stage + 1) * stage_days - age, 1e-9)
        self._schedule(opportunity, now, remaining, stage_days)

    def carry_over(self) -> None:
        """Open the pipeline a sales force already has on day 0, so the first quarter is not a warm-up.

        Each account holds Poisson(propensity x r(1) x median cycle / quarter) opportunities (the steady state
        at the required visit frequency), with ages uniform over a median cycle.
        """
        state = self.state
        r = self.response
        rng = state.streams.generator("pipeline.carry_over")
        rate = state.propensity * adbudg(1.0, r.r0, r.r_max, r.c, r.d) * self.cycle_median_days / state.days_per_quarter
        counts = rng.poisson(rate)
        accounts = np.repeat(np.arange(state.n_accounts), counts)
        ages = rng.random(len(accounts)) * self.cycle_median_days
        draws = rng.standard_normal((len(accounts), 3))
        for account, age, (value_z, cycle_z, win_z) in zip(accounts.tolist(), ages.tolist(), draws.tolist(),
                                                           strict=True):
            cycle = self.cycle_median_days * float(np.exp(self.cycle_sigma * cycle_z))
            if age < cycle:  # older ones would have closed already
                self.create(account, int(state.account_seat[account]), value_z, cycle_z, normal_cdf(win_z),
                            "carried", 0.0, age=age)
        self.end_day()  # numbered in account order

    def _schedule(self, opportunity: Opportunity, now: float, delay: float, stage_days: float) -> None:
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self._push(now + delay, STAGE_END, opportunity.account, (opportunity, stage_days))

    def _check(self, opportunity: Opportunity, stage_days: float, now: float) -> None:
        state = self.state
        account = opportunity.account
        if opportunity.touched:
            opportunity.stage += 1
            opportunity.stalls = 0
            if opportunity.stage >= self.stages:
                seat = int(state.account_seat[account])
                won = seat >= 0 and opportunity.win_draw < min(
                    0.95, self.win_probability * self.seat_multiplier(seat, now) * self.change_factor(account, now))
                self._close(opportunity, seat, "won" if won else "lost", now)
                return
            opportunity.touched = False
            state.needs_touch[account] += 1
            self._schedule(opportunity, now, stage_days, stage_days)
            return
        opportunity.stalls += 1
        if opportunity.stalls > self.max_stalls:
            state.needs_touch[account] -= 1
            self._close(opportunity, int(state.account_seat[account]), "stalled", now)
            return
        self._schedule(opportunity, now, self.stall_days, stage_days)

    def _close(self, opportunity: Opportunity, seat: int, outcome: str, now: float) -> None:
        state = self.state
        account = opportunity.account
        state.open_opportunities[account].remove(opportunity)
        vacancy = bool(seat < 0 or state.covering_for[account] >= 0 or state.occupant[seat] is None)
        if outcome == "won" and seat >= 0:
            quarter = min(int(now // state.days_per_quarter), state.quarters - 1)
            state.seat_revenue[seat, quarter] += opportunity.value
        self.closed_today.append((now, opportunity, seat, outcome, vacancy))

    def inbound(self, quarter: int) -> None:
        """Queue this quarter's inbound opportunities (the ADBUDG r0: demand with no call)."""
        state = self.state
        rng = state.streams.generator("inbound", quarter)
        now = float(state.env.now)
        relationship = state.relationship_now(slice(None), now)
        counts = rng.poisson(state.propensity * relationship * self.response.r0)
        accounts = np.repeat(np.arange(state.n_accounts), counts)
        days = rng.random(len(accounts)) * state.days_per_quarter
        draws = rng.standard_normal((len(accounts), 3))
        start = quarter * state.days_per_quarter
        for account, day, draw in zip(accounts.tolist(), days.tolist(), draws.tolist(), strict=True):
            delay = start + day - now
            if delay < 0:
                raise ValueError(f"Negative delay {delay}")
            self._push(now + delay, ARRIVAL, account, draw)


def _first(item: tuple) -> float:
    return item[0]
