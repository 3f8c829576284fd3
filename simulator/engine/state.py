"""The mutable state of one simulation run: clock, account and seat state, random streams and logs.

Built once per run from a world, an alignment and a scenario. Account, seat and opportunity state are flat
arrays (`simulator.engine.tables`) that the compiled day step updates in place; the workforce tick (Python)
changes ownership and seats between days; `metrics` turns the logs into tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from simulator.alignment import Alignment, account_workload
from simulator.behaviour import pacing_profile
from simulator.engine.draws import stream_key
from simulator.engine.events import CLOSED as OPPORTUNITY_CLOSED
from simulator.engine.events import OPEN
from simulator.engine.planning import MAX_STOPS
from simulator.engine.tables import (
    OPPORTUNITY_TYPES,
    VISIT_TYPES,
    Accounts,
    Keys,
    Opportunities,
    VisitLog,
    columns,
    empty_pool,
    reserve,
)
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world.model import World

# seat states
PENDING, FILLED, VACANT, CLOSED = 0, 1, 2, 3
CALENDAR_DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = CALENDAR_DAYS_PER_YEAR / 12


@dataclass(eq=False)
class Rep:
    """A person in a seat: hired on `hired` (a simulated day; negative for reps hired before day 0)."""

    rep_id: str
    seat: int
    hired: float
    skill: float
    initial: bool
    notice: float | None = None
    left: float | None = None
    reason: str | None = None
    name: str | None = None  # display name (the world's for an initial rep, made up for a hire)


@dataclass(eq=False)
class RunState:
    """Everything that changes during one run, plus the constants the hot loops need as plain arrays."""

    world: World
    scenario: Scenario
    alignment: Alignment
    streams: Streams
    env: simpy.Environment = field(default_factory=simpy.Environment)

    def __post_init__(self) -> None:
        sc, world = self.scenario, self.world
        cal = sc.calendar
        self.hours = cal.workday_hours
        self.days_per_quarter = cal.days_per_quarter
        self.quarters = cal.quarters
        self.n_days = cal.days_per_quarter * cal.quarters
        self.calendar_days_per_day = CALENDAR_DAYS_PER_YEAR / 4 / cal.days_per_quarter
        self.effort, self.effectiveness = pacing_profile(sc.pacing)
        n_acc, n_seats = world.n_accounts, world.n_reps
        self.n_accounts, self.n_seats = n_acc, n_seats

        # static account attributes
        self.potential = world.account_potential
        self.required = world.account_visits_required
        self.visit_hours = world.account_visit_hours
        self.interval_days = cal.days_per_quarter / self.required
        self.inverse_interval = 1.0 / self.interval_days
        self.required_float = self.required.astype(float)
        self.potential_float = self.potential.astype(float)

        # hidden attributes: drawn once per replication, before (and whatever) the policy
        behaviour = sc.behaviour
        self.propensity = _mean_one_lognormal(self.streams.generator("hidden.propensity"), n_acc,
                                              behaviour.propensity_sigma)
        skill = _mean_one_lognormal(self.streams.generator("hidden.skill"), n_seats, behaviour.skill_sigma)

        # seats and the reps in them; planned seats (hire events) open later
        opens = world.reps["opens_day"].to_numpy() if "opens_day" in world.reps else np.zeros(n_seats, dtype=int)
        tenure_days = world.reps["tenure_days"].to_numpy(dtype=float)
        self.seat_state = np.where(opens == 0, FILLED, PENDING)
        self.manager_covered = np.zeros(n_seats, dtype=bool)
        self.reps: list[Rep] = []
        self.occupant: list[Rep | None] = [None] * n_seats
        self.seat_ids: list[str] = [str(rep_id) for rep_id in world.reps["rep_id"]]  # the seat's original rep id
        self.seat_names: list[str] = [str(name) for name in world.rep_names]  # ... and its display name
        self.last_occupant: list[Rep | None] = [None] * n_seats  # who held a seat last (its leaver, when empty)
        self.seat_skill = np.ones(n_seats)
        self.seat_hired = np.zeros(n_seats)
        self.seat_has_rep = np.zeros(n_seats, dtype=bool)
        self.seat_on_notice = np.zeros(n_seats, dtype=bool)
        self.ownership_changes = 0  # reassignments so far (orphan counts are recomputed only after one)
        # what a change of rep does to an account's open deals: `PipelineModel.hand_over`, set by the pipeline
        self.hand_over: Callable[[np.ndarray, np.ndarray, float], None] | None = None
        for seat in np.flatnonzero(self.seat_state == FILLED):
            self.seat_in(int(seat), Rep(self.seat_ids[seat], int(seat),
                                        -tenure_days[seat] / self.calendar_days_per_day, float(skill[seat]), True,
                                        name=self.seat_names[seat]))

        # dynamic account state
        offsets = self.streams.generator("hidden.last_visit").random(n_acc)
        self.last_visit = -offsets * self.interval_days
        self.visit_before_today = self.last_visit.copy()
        self.last_remote = np.full(n_acc, -np.inf)  # remote touches (calls), as visits
        self.remote_before_today = self.last_remote.copy()
        self.visit_count = np.zeros(n_acc, dtype=np.int64)  # visits ever: the index of the next visit's draws
        # visits in the quarter `visit_quarter` (the quarter of the latest visit): the visit cap counts them
        self.quarter_visits = np.zeros(n_acc, dtype=np.int64)
        self.visit_quarter = np.full(n_acc, -1, dtype=np.int64)
        # most visits an account gets in a quarter: `max_visits_over_required` x its required visits, rounded up
        self.visit_cap = np.ceil(behaviour.max_visits_over_required * self.required_float - 1e-9)
        self.relationship = np.ones(n_acc)
        segments = world.accounts["segment"].to_numpy()
        self.visit_only = np.isin(segments, list(behaviour.remote.visit_segments)) | (not behaviour.remote.enabled)
        # effort stock (visits per quarter, exponentially weighted) and demand pool, both at their steady state
        # under the required visit rhythm on day 0 (`pipeline.PipelineModel.steady_state` sets them)
        self.stock = np.zeros(n_acc)
        self.stock_time = np.zeros(n_acc)
        self.need = np.zeros(n_acc)
        self.need_time = np.zeros(n_acc)
        response = behaviour.response
        self.need_rate = self.propensity * response.demand_per_quarter / cal.days_per_quarter  # per working day
        self.need_expiry = np.full(n_acc, self.calendar_days_per_day / response.demand_life_days)  # per working day
        self.change_day = np.full(n_acc, -np.inf)
        self.change_penalty = np.zeros(n_acc)
        self.first_opportunity = np.full(n_acc, -1, dtype=np.int64)  # each account's open opportunities: a list
        self.next_event = np.full(n_acc, np.inf)  # the time of the account's next pipeline event
        self.newest_stage_start = np.full(n_acc, -np.inf)  # the newest stage start among its open opportunities
        self.newest_call_start = np.full(n_acc, -np.inf)  # ... among those a call can advance (not the last stage)

        # ownership: seat of every account, -1 = explicitly orphaned (changed in place, the kernels hold it)
        self.account_seat = self.alignment.account_seats(world).astype(np.int64)
        self.territory: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n_seats
        self.potential_rank: list[np.ndarray] = [np.empty(0)] * n_seats
        self.territory_version = np.zeros(n_seats, dtype=np.int64)
        for seat in range(n_seats):
            self._refresh_territory(seat)
        self.orphan_since = np.where(self.account_seat < 0, 0.0, np.nan)
        self.days_without_owner = np.zeros(n_acc)
        self.rep_changes = np.zeros(n_acc, dtype=np.int64)
        self.covering_for = np.full(n_acc, -1, dtype=np.int64)  # vacant seat whose account this is, if any

        # counter-based draws: keyed by (seed, replication, stream) here, by entity and index in the kernels
        seed, replication = self.streams.seed, self.streams.replication
        self.keys = Keys(stream_key(seed, replication, "workday"), stream_key(seed, replication, "visit"))
        self.quit_key = stream_key(seed, replication, "quit")
        self.inbound_key = stream_key(seed, replication, "inbound")
        self.handover_key = stream_key(seed, replication, "handover")
        self.handovers_drawn = np.zeros(n_acc, dtype=np.int64)  # per account: hand-over loss draws used so far

        # pools: opportunities (open and closed: the opportunity log) and the visit log, grown by doubling
        self.opportunities = empty_pool(Opportunities, OPPORTUNITY_TYPES, max(1024, n_acc))
        self.visits = empty_pool(VisitLog, VISIT_TYPES, max(1024, n_seats * MAX_STOPS * 8))
        self.counters = np.zeros(2, dtype=np.int64)  # opportunities used, visits logged

        # logs
        self.day_kind = np.zeros((n_seats, self.n_days), dtype=np.int8)
        self.seat_state_log = np.zeros((n_seats, self.n_days), dtype=np.int8)
        self.orphans_by_day = np.zeros(self.n_days)
        self.orphan_potential_by_day = np.zeros(self.n_days)
        self.ownership_log: list[tuple[float, str, np.ndarray, np.ndarray, np.ndarray]] = []
        self.event_log: list[dict] = []
        # field hours a seat offers per quarter, and the hours per quarter each account asks for (workload)
        self.capacity_hours = cal.days_per_quarter * self.hours * (1 - sc.behaviour.admin_share)
        self.account_workload = account_workload(world, world.hours_per_km)
        self.seat_revenue = np.zeros((n_seats, self.quarters))
        self.admin_hours = np.zeros((n_seats, self.n_days))
        self.home_leg_hours = np.zeros((n_seats, self.n_days))
        self.idle_hours = np.zeros((n_seats, self.n_days))
        self.remote_hours = np.zeros((n_seats, self.n_days))
        self.nights = np.zeros((n_seats, self.n_days))
        self.flights = np.zeros((n_seats, self.n_days))  # round-trip flights of fly-in trips, on their first day
        # seat state the day step carries from day to day: admin put off, the trip under way
        self.backlog = np.zeros(n_seats)
        self.open_deals = np.zeros(n_seats, dtype=np.int64)
        self.trip_base = np.zeros(n_seats, dtype=np.int64)
        self.trip_left = np.zeros(n_seats, dtype=np.int64)
        self.trip_day = np.zeros(n_seats, dtype=np.int64)
        self.trip_flown = np.zeros(n_seats, dtype=np.bool_)  # the trip under way is a fly-in
        self.quota = np.zeros((n_seats, self.quarters))

    def accounts(self) -> Accounts:
        """The account arrays, as the kernels take them."""
        return Accounts(self.account_seat, self.covering_for, self.last_visit, self.visit_before_today,
                        self.last_remote, self.remote_before_today, self.visit_count, self.inverse_interval,
                        self.interval_days, self.visit_hours, self.required_float, self.visit_only, self.propensity,
                        self.relationship, self.stock, self.stock_time, self.need, self.need_time, self.need_rate,
                        self.need_expiry, self.change_day, self.change_penalty, self.potential_float,
                        self.first_opportunity, self.next_event, self.newest_stage_start, self.newest_call_start,
                        self.quarter_visits, self.visit_quarter)

    def reserve(self, opportunities: int, visits: int) -> None:
        """Make room for this many more opportunities and visits."""
        self.opportunities = reserve(self.opportunities, int(self.counters[0]), opportunities)
        self.visits = reserve(self.visits, int(self.counters[1]), visits)

    def visit_columns(self) -> dict[str, np.ndarray]:
        """The visit log: seat, account, day, start, travel_hours (the leg before), visit_hours."""
        return columns(self.visits, int(self.counters[1]))

    def opportunity_columns(self) -> dict[str, np.ndarray]:
        """Every opportunity made so far (arrived inbound ones), open or closed, by pool column."""
        used = columns(self.opportunities, int(self.counters[0]))
        made = (used["status"] == OPEN) | (used["status"] == OPPORTUNITY_CLOSED)
        return {name: column[made] for name, column in used.items()} | {"opportunity": np.flatnonzero(made) + 1}

    def seat_in(self, seat: int, rep: Rep) -> None:
        """Put a rep in a seat."""
        self.occupant[seat] = rep
        self.reps.append(rep)
        self.seat_skill[seat] = rep.skill
        self.seat_hired[seat] = rep.hired
        self.seat_has_rep[seat] = True
        self.seat_on_notice[seat] = False
        self.seat_state[seat] = FILLED
        self.manager_covered[seat] = False

    def seat_out(self, seat: int) -> None:
        """The rep in a seat leaves it empty."""
        self.last_occupant[seat] = self.occupant[seat]
        self.occupant[seat] = None
        self.seat_has_rep[seat] = False
        self.seat_on_notice[seat] = False

    def rep_of(self, seat: int) -> tuple[str | None, str | None]:
        """(rep_id, name) of the rep in a seat, or of the last one to leave it; (None, None) for no seat (-1)."""
        if seat < 0:
            return None, None
        rep = self.occupant[seat] or self.last_occupant[seat]
        if rep is None:  # a seat nobody has held yet
            return self.seat_ids[seat], self.seat_names[seat]
        return rep.rep_id, rep.name or rep.rep_id

    def log_event(self, event: str, seat: int = -1, **detail: object) -> None:
        """Append to the workforce event log (quits, vacancies, hires, reassignments)."""
        rep_id, rep_name = self.rep_of(seat)
        self.event_log.append({"day": float(self.env.now), "event": event, "seat": seat, "rep_id": rep_id,
                               "rep_name": rep_name, **detail})

    def reassign(self, new_seat: np.ndarray, reason: str, penalty: float, new_hire_penalty: float,
                 covering_for: int = -1) -> int:
        """Move accounts to the owners in `new_seat` (-1 = orphaned); log it and return how many moved.

        Accounts that gain a rep get the relationship penalty of a change of rep (larger when the receiving
        rep is still ramping); orphan time is accounted; the territories of every touched seat are rebuilt.
        """
        old = self.account_seat
        moved = np.flatnonzero(new_seat != old)
        if len(moved) == 0:
            return 0
        now = float(self.env.now)
        source, target = old[moved], new_seat[moved]
        back = moved[source < 0]
        self.days_without_owner[back] += now - self.orphan_since[back]
        self.orphan_since[back] = np.nan
        self.orphan_since[moved[target < 0]] = now
        gained = moved[target >= 0]
        self.rep_changes[gained] += 1
        ramping = self._ramping_seats()[new_seat[gained]]
        self.change_day[gained] = now
        self.change_penalty[gained] = np.where(ramping, new_hire_penalty, penalty)
        if self.hand_over is not None:
            self.hand_over(gained, ramping, now)
        self.covering_for[moved] = covering_for if covering_for >= 0 else -1
        self.account_seat[:] = new_seat
        self.ownership_changes += 1
        self.ownership_log.append((now, reason, moved, source, target))
        for seat in set(source.tolist()) | set(target.tolist()):
            if seat >= 0:
                self._refresh_territory(int(seat))
        self._log_reassignment(reason, moved, source, target)
        return len(moved)

    def _log_reassignment(self, reason: str, moved: np.ndarray, source: np.ndarray, target: np.ndarray) -> None:
        """One `reassignment` row per (giving seat, receiving seat): accounts, potential and workload moved.

        The receiving seat is the row's `seat` (-1: orphaned), the giving one `from_seat` (-1: orphaned before);
        `workload_after_hours` is the receiver's workload once the move is done (and as a share of capacity).
        """
        pairs = np.unique(np.stack([source, target], axis=1), axis=0)
        for giver, receiver in pairs.tolist():
            accounts = moved[(source == giver) & (target == receiver)]
            from_id, from_name = self.rep_of(giver)
            after = float(self.account_workload[self.territory[receiver]].sum()) if receiver >= 0 else np.nan
            self.log_event("reassignment", receiver, reason=reason,
                           accounts=len(accounts) if receiver >= 0 else 0,
                           orphaned=len(accounts) if receiver < 0 else 0,
                           potential=float(self.potential[accounts].sum()),
                           workload_hours=float(self.account_workload[accounts].sum()),
                           workload_after_hours=after,
                           workload_after_share=after / self.capacity_hours if self.capacity_hours > 0 else np.nan,
                           from_seat=giver, from_rep_id=from_id, from_rep_name=from_name)

    def _ramping_seats(self) -> np.ndarray:
        """Whether each seat's rep is still on the ramp now (False for an empty seat)."""
        steps = self.scenario.behaviour.ramp
        if not steps:
            return np.zeros(self.n_seats, dtype=bool)
        months = (self.env.now - self.seat_hired) * self.calendar_days_per_day / DAYS_PER_MONTH
        return self.seat_has_rep & (months < steps[-1][0])

    def _refresh_territory(self, seat: int) -> None:
        members = np.flatnonzero(self.account_seat == seat)
        self.territory[seat] = members
        self.potential_rank[seat] = _rank01(self.potential[members])
        self.territory_version[seat] += 1

    def relationship_now(self, accounts: np.ndarray | slice, day: float) -> np.ndarray:
        """Relationship multiplier of accounts at `day`, decayed for the time they are overdue."""
        behaviour = self.scenario.workforce.relationships
        overdue = np.maximum((day - self.last_visit[accounts]) / self.interval_days[accounts] - 1.0, 0.0)
        decayed = self.relationship[accounts] * np.exp(-behaviour.decay_per_interval * overdue)
        return np.maximum(decayed, np.minimum(behaviour.floor, self.relationship[accounts]))



def _mean_one_lognormal(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    return np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma * sigma)


def _rank01(values: np.ndarray) -> np.ndarray:
    """Rank of each value scaled to [0, 1] (1 = largest)."""
    if len(values) <= 1:
        return np.ones(len(values))
    rank = np.empty(len(values))
    rank[np.argsort(values, kind="stable")] = np.arange(len(values))
    return rank / (len(values) - 1)
