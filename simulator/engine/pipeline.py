"""Opportunities: created by visits (ADBUDG response) or inbound, advanced by touches, closed won or lost.

The day step (`simulator.engine.kernels`) creates opportunities at visits and resolves every stage end: an
opportunity advances if its account was visited during the stage, otherwise it stalls, and after too many
untouched checks it is lost; at the last stage it closes, won with a probability set by the owner's skill and
ramp. Revenue goes to whoever owns the account at close. This module is the Python side: the pipeline a sales
force already has on day 0, each quarter's inbound demand (queued in the pool as arrivals), and the skill x ramp
multiplier of every seat.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from simulator.behaviour import adbudg, ramp_multiplier
from simulator.engine.events import CARRIED, INBOUND, OPEN, PENDING, STILL_OPEN, link_opportunities
from simulator.engine.state import DAYS_PER_MONTH, RunState
from simulator.engine.tables import PipelineParams

MANAGER_MULTIPLIER = 1.0  # a sales manager covering a vacant seat sells like an average, settled rep


class PipelineModel:
    """Seeds and feeds the opportunity pool of a run's state."""

    def __init__(self, state: RunState):
        self.state = state
        params = state.scenario.behaviour.pipeline
        self.response = state.scenario.behaviour.response
        self.ramp = state.scenario.behaviour.ramp
        relationships = state.scenario.workforce.relationships
        self.cycle_median_days = params.sales_cycle_median_days / state.calendar_days_per_day
        self.params = PipelineParams(
            stages=int(params.stages), max_stalls=int(params.max_stalls), cycle_median_days=self.cycle_median_days,
            cycle_sigma=float(params.sales_cycle_sigma), stall_days=params.stall_days / state.calendar_days_per_day,
            value_share=float(params.deal_value_share), value_sigma=float(params.deal_value_sigma),
            win_probability=float(params.win_probability), decay=float(relationships.decay_per_interval),
            floor=float(relationships.floor), recovery=float(relationships.recovery_per_visit),
            penalty_days=relationships.penalty_days / state.calendar_days_per_day, r0=float(self.response.r0),
            r_max=float(self.response.r_max), c=float(self.response.c), d=float(self.response.d),
            days_per_quarter=float(state.days_per_quarter))

    def seat_multipliers(self, day: float) -> np.ndarray:
        """Skill x ramp of the rep in every seat; a manager covering an empty seat counts as 1."""
        state = self.state
        months = (day - state.seat_hired) * state.calendar_days_per_day / DAYS_PER_MONTH
        return np.where(state.seat_has_rep, state.seat_skill * ramp_multiplier(months, self.ramp), MANAGER_MULTIPLIER)

    def carry_over(self) -> None:
        """Open the pipeline a sales force already has on day 0, so the first quarter is not a warm-up.

        Each account holds Poisson(propensity x r(1) x median cycle / quarter) opportunities (the steady state
        at the required visit frequency), with ages uniform over a median cycle; each is in the stage its age
        puts it in, and counts as touched (it was being worked).
        """
        state = self.state
        r = self.response
        rng = state.streams.generator("pipeline.carry_over")
        rate = state.propensity * adbudg(1.0, r.r0, r.r_max, r.c, r.d) * self.cycle_median_days / state.days_per_quarter
        accounts = np.repeat(np.arange(state.n_accounts), rng.poisson(rate))
        ages = rng.random(len(accounts)) * self.cycle_median_days
        value_z, cycle_z, win_z = rng.standard_normal((len(accounts), 3)).T
        cycle = self.cycle_median_days * np.exp(self.params.cycle_sigma * cycle_z)
        alive = ages < cycle  # older ones would have closed already
        accounts, ages, value_z, cycle, win_z = accounts[alive], ages[alive], value_z[alive], cycle[alive], win_z[alive]
        stage_days = cycle / self.params.stages
        stage = np.minimum(ages // stage_days, self.params.stages - 1).astype(np.int64)
        self._add(accounts, state.account_seat[accounts], value_z, stage_days, _uniform(win_z), CARRIED, OPEN,
                  created=-ages, stage=stage, stage_began=np.full(len(accounts), -np.inf),
                  next_check=np.maximum((stage + 1) * stage_days - ages, 1e-9))

    def inbound(self, quarter: int) -> None:
        """Queue this quarter's inbound opportunities (the ADBUDG r0: demand with no call) as arrivals."""
        state = self.state
        rng = state.streams.generator("inbound", quarter)
        now = float(state.env.now)
        relationship = state.relationship_now(slice(None), now)
        counts = rng.poisson(state.propensity * relationship * self.response.r0)
        accounts = np.repeat(np.arange(state.n_accounts), counts)
        arrival = quarter * state.days_per_quarter + rng.random(len(accounts)) * state.days_per_quarter
        value_z, cycle_z, win_z = rng.standard_normal((len(accounts), 3)).T
        stage_days = self.cycle_median_days * np.exp(self.params.cycle_sigma * cycle_z) / self.params.stages
        self._add(accounts, np.full(len(accounts), -1), value_z, stage_days, _uniform(win_z), INBOUND, PENDING,
                  created=arrival, stage=np.zeros(len(accounts), dtype=np.int64), stage_began=arrival,
                  next_check=arrival)

    def _add(self, accounts: np.ndarray, seat: np.ndarray, value_z: np.ndarray, stage_days: np.ndarray,
             win_draw: np.ndarray, source: int, status: int, created: np.ndarray, stage: np.ndarray,
             stage_began: np.ndarray, next_check: np.ndarray) -> None:
        """Append opportunities made in Python (carried over, inbound) to the pool and their accounts' lists."""
        state = self.state
        n = len(accounts)
        state.reserve(n, 0)
        first = int(state.counters[0])
        rows = slice(first, first + n)
        pool = state.opportunities
        sigma = self.params.value_sigma
        pool.account[rows] = accounts
        pool.seat_created[rows] = seat
        pool.value[rows] = state.potential[accounts] * self.params.value_share * np.exp(sigma * value_z
                                                                                        - 0.5 * sigma * sigma)
        pool.created[rows] = created
        pool.stage[rows] = stage
        pool.stalls[rows] = 0
        pool.win_draw[rows] = win_draw
        pool.stage_began[rows] = stage_began
        pool.next_check[rows] = next_check
        pool.stage_days[rows] = stage_days
        pool.source[rows] = source
        pool.status[rows] = status
        pool.outcome[rows] = STILL_OPEN
        pool.closed[rows] = np.nan
        pool.seat_closed[rows] = -1
        pool.vacancy[rows] = False
        state.counters[0] += n
        link_opportunities(first, n, state.accounts(), pool)


def _uniform(z: np.ndarray) -> np.ndarray:
    """Standard normal draws turned into uniform ones (the normal CDF)."""
    return ndtr(z)
