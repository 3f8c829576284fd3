"""The mutable state of one simulation run: clock, account and seat state, random streams and logs.

Built once per run from a world, an alignment and a scenario; the workday and pipeline processes read and
update it, and `metrics` turns its logs into tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from simulator.alignment import Alignment
from simulator.behaviour import pacing_profile
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world.model import World

MAX_STOPS = 16  # most stops a rep plans in one day
DRAWS_PER_DAY = 2 + 2 * MAX_STOPS  # admin, home leg, travel legs, visit durations
CALENDAR_DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = CALENDAR_DAYS_PER_YEAR / 12


@dataclass(eq=False)
class Opportunity:
    """One opportunity on its way through the stages."""

    number: int
    account: int
    seat_created: int
    value: float
    created: float
    source: str
    win_draw: float
    stage: int = 0
    touched: bool = False
    stalls: int = 0


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

        # hidden attributes: drawn once per replication, before (and whatever) the policy
        behaviour = sc.behaviour
        self.propensity = _mean_one_lognormal(self.streams.generator("hidden.propensity"), n_acc,
                                              behaviour.propensity_sigma)
        self.skill = _mean_one_lognormal(self.streams.generator("hidden.skill"), n_seats, behaviour.skill_sigma)
        self.tenure_days = world.reps["tenure_days"].to_numpy(dtype=float)

        # dynamic account state
        offsets = self.streams.generator("hidden.last_visit").random(n_acc)
        self.last_visit = -offsets * self.interval_days
        self.visits_in_quarter = np.zeros(n_acc, dtype=np.int64)
        self.needs_touch = np.zeros(n_acc, dtype=np.int64)
        self.open_opportunities: list[list[Opportunity]] = [[] for _ in range(n_acc)]
        self.account_seat = alignment_seats = self.alignment.account_seats(world)
        self.territory = [np.flatnonzero(alignment_seats == s) for s in range(n_seats)]
        self.potential_rank = [_rank01(self.potential[idx]) for idx in self.territory]
        self._visit_rngs: dict[int, np.random.Generator] = {}

        # per seat, one fixed block of standard normals per day: common random numbers by (seat, day, slot)
        self.day_normals = [self.streams.generator("workday", s).standard_normal((self.n_days, DRAWS_PER_DAY))
                            for s in range(n_seats)]

        # logs
        self.visit_log: list[tuple[int, int, int, float, float, float]] = []
        self.admin_hours = np.zeros((n_seats, self.n_days))
        self.home_leg_hours = np.zeros((n_seats, self.n_days))
        self.idle_hours = np.zeros((n_seats, self.n_days))
        self.quota = np.zeros((n_seats, self.quarters))
        self.opportunity_log: list[tuple] = []
        self.opportunity_count = 0

    def visit_rng(self, account: int) -> np.random.Generator:
        """The account's visit stream (created on first use)."""
        rng = self._visit_rngs.get(account)
        if rng is None:
            rng = self._visit_rngs[account] = self.streams.generator("visit", account)
        return rng

    def months_in_job(self, seat: int, day: float) -> float:
        """Months since the seat's rep was hired, at simulated day `day`."""
        return (self.tenure_days[seat] + day * self.calendar_days_per_day) / DAYS_PER_MONTH

    def month_of_quarter(self, day: float) -> int:
        """0, 1 or 2."""
        return int((day % self.days_per_quarter) * 3 // self.days_per_quarter)


def _mean_one_lognormal(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    return np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma * sigma)


def _rank01(values: np.ndarray) -> np.ndarray:
    """Rank of each value scaled to [0, 1] (1 = largest)."""
    if len(values) <= 1:
        return np.ones(len(values))
    rank = np.empty(len(values))
    rank[np.argsort(values, kind="stable")] = np.arange(len(values))
    return rank / (len(values) - 1)
