"""Opportunities: found by visits in an account's demand pool, or inbound; advanced by touches; closed.

The day step (`simulator.engine.kernels`) creates opportunities at visits and resolves every stage end: an
opportunity advances if its account was touched during the stage, otherwise it stalls, and after too many
untouched checks it is lost; at the last stage it closes, won with a probability set by the owner's skill.
Revenue goes to whoever owns the account at close. This module is the Python side: the pipeline, effort stock
and demand pool a sales force already has on day 0 (their steady state under the required visit rhythm), each
quarter's inbound demand (queued in the pool as arrivals), every seat's skill and ramp (a new hire's ramp scales
one thing, the share of field time it can sell), its open deals, and what a hand-over does to open deals.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from simulator.behaviour import ramp_multiplier
from simulator.engine.draws import normals_at, poisson_quantiles, uniforms_at
from simulator.engine.events import (
    CARRIED,
    INBOUND,
    LOST_AT_HANDOVER,
    OPEN,
    PENDING,
    STILL_OPEN,
    link_opportunities,
    open_deals_of,
)
from simulator.engine.gather import open_deals_by_seat
from simulator.engine.state import DAYS_PER_MONTH, RunState
from simulator.engine.tables import PipelineParams

# inbound draws of an account: a block of INBOUND_SLOTS uniforms per quarter, the first for the count, then
# INBOUND_DRAWS per opportunity (arrival, a spare, deal value (a normal: two uniforms), cycle (two), win, push)
INBOUND_SLOTS, INBOUND_DRAWS = 1024, 8
MAX_INBOUND = INBOUND_SLOTS // INBOUND_DRAWS - 1  # inbound opportunities of one account in a quarter, at most
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
        per_day = state.calendar_days_per_day
        self.params = PipelineParams(
            stages=int(params.stages), max_stalls=int(params.max_stalls), cycle_median_days=self.cycle_median_days,
            cycle_sigma=float(params.sales_cycle_sigma), stall_days=params.stall_days / per_day,
            value_share=float(params.deal_value_share), value_sigma=float(params.deal_value_sigma),
            win_probability=float(params.win_probability), decay=float(relationships.decay_per_interval),
            floor=float(relationships.floor), recovery=float(relationships.recovery_per_visit),
            penalty_days=relationships.penalty_days / per_day, discovery_max=float(self.response.discovery_max),
            c=float(self.response.c), d=float(self.response.d), memory_days=self.response.memory_days / per_day,
            max_open=int(self.response.max_open_deals), quarter_end_days=params.quarter_end_days / per_day,
            pull_in=float(params.pull_in_probability), pull_in_discount=float(params.pull_in_discount),
            slip=float(params.slip_probability), days_per_quarter=float(state.days_per_quarter))
        self.handover = (float(relationships.handover_loss), float(relationships.new_hire_handover_loss),
                         relationships.handover_slip_days / per_day)
        state.hand_over = self.hand_over
        self.counted_at = -1  # ownership changes when open deals per seat were last counted from the pool

    def realigned_from_day_0(self) -> None:
        """A plan compared from day 0 pays its change cost.

        Accounts it moves from their current (as-is) owner change rep on day 0, with the relationship penalty and
        the hand-over of their carried pipeline.
        """
        state = self.state
        owner = state.world.accounts["owner"].to_numpy(dtype=np.int64)
        moved = np.flatnonzero((owner >= 0) & (state.account_seat >= 0) & (owner != state.account_seat))
        if not len(moved):
            return
        relationships = state.scenario.workforce.relationships
        state.change_day[moved] = 0.0
        state.change_penalty[moved] = relationships.change_penalty
        state.rep_changes[moved] += 1
        self.hand_over(moved, np.zeros(len(moved), dtype=bool), 0.0)

    def seat_skills(self) -> np.ndarray:
        """Skill of the rep in every seat; a manager covering an empty seat counts as an average, settled rep."""
        state = self.state
        return np.where(state.seat_has_rep, state.seat_skill, MANAGER_MULTIPLIER)

    def seat_ramps(self, days: np.ndarray) -> np.ndarray:
        """Share of a settled rep's field time each seat's rep can sell on each of `days` (days x seats).

        The rest is onboarding.
        """
        state = self.state
        months = (np.asarray(days, dtype=float)[:, None] - state.seat_hired) * state.calendar_days_per_day
        return np.where(state.seat_has_rep, ramp_multiplier(months / DAYS_PER_MONTH, self.ramp), 1.0)

    def open_deals(self) -> np.ndarray:
        """Open deals of every seat now (on the accounts it owns).

        This is `state.open_deals`, which the day step keeps current as deals open and close; it is counted afresh
        from the pool after accounts changed owner.
        """
        state = self.state
        if self.counted_at != state.ownership_changes:
            pool = state.opportunities
            state.open_deals[:] = open_deals_by_seat(state.account_seat, pool.account, pool.status,
                                                     int(state.counters[0]), OPEN, state.n_seats)
            self.counted_at = state.ownership_changes
        return state.open_deals

    def steady_state(self) -> dict[str, np.ndarray]:
        """Effort stock, demand pool and visit-made opportunities per quarter of every account on day 0.

        The sales force has been visiting every account at its required rhythm (the last visit `state.last_visit`
        ago): the stock right after a visit is w / (1 - exp(-T / tau)) (w: one visit's weight in visits per
        quarter, T: the interval, tau: the memory), the pool just before a visit N solves
        N = (N (1 - s) e^{-u}) + (a / delta)(1 - e^{-u}) with u = delta T, and each visit makes a deal with
        probability 1 - exp(-s N).
        """
        state, p = self.state, self.params
        interval = state.interval_days
        after = (p.days_per_quarter / p.memory_days) / -np.expm1(-interval / p.memory_days)
        x = (after / state.required_float) ** p.c
        share = np.minimum(p.discovery_max * x / (p.d + x), 1.0)
        kept = np.exp(-state.need_expiry * interval)
        saturation = state.need_rate / state.need_expiry
        before = saturation * (1 - kept) / (1 - (1 - share) * kept)
        since = -state.last_visit  # working days since the last visit, on day 0
        later = np.exp(-state.need_expiry * since)
        return {"stock": after * np.exp(-since / p.memory_days),
                "need": before * (1 - share) * later + saturation * (1 - later),
                "per_quarter": -np.expm1(-share * before) * state.required_float}

    def carry_over(self) -> None:
        """Open the pipeline, effort stock and demand pool a sales force already has on day 0.

        Stock and pool are at their steady state (`steady_state`). Each account holds Poisson((visit-made +
        inbound opportunities per quarter) x median cycle / quarter) open opportunities, with ages uniform over a
        median cycle; each is in the stage its age puts it in, and counts as touched (it was being worked).
        """
        state = self.state
        steady = self.steady_state()
        state.stock[:] = steady["stock"]
        state.need[:] = steady["need"]
        rng = state.streams.generator("pipeline.carry_over")
        per_quarter = steady["per_quarter"] + state.propensity * self.response.inbound
        rate = per_quarter * self.cycle_median_days / state.days_per_quarter
        accounts = np.repeat(np.arange(state.n_accounts), rng.poisson(rate))
        ages = rng.random(len(accounts)) * self.cycle_median_days
        value_z, cycle_z, win_z, push_z = rng.standard_normal((len(accounts), 4)).T
        cycle = self.cycle_median_days * np.exp(self.params.cycle_sigma * cycle_z)
        alive = ages < cycle  # older ones would have closed already
        accounts, ages, value_z, cycle = accounts[alive], ages[alive], value_z[alive], cycle[alive]
        win_z, push_z = win_z[alive], push_z[alive]
        stage_days = cycle / self.params.stages
        stage = np.minimum(ages // stage_days, self.params.stages - 1).astype(np.int64)
        self._add(accounts, state.account_seat[accounts], value_z, stage_days, _uniform(win_z), _uniform(push_z),
                  CARRIED, OPEN, created=-ages, stage=stage, stage_began=np.full(len(accounts), -np.inf),
                  next_check=np.maximum((stage + 1) * stage_days - ages, 1e-9))

    def hand_over(self, accounts: np.ndarray, ramping: np.ndarray, now: float) -> None:
        """Open deals of accounts that changed rep: some are lost (more with a ramping rep), the rest slip.

        A lost deal closes as lost at once (marked, closed by the day step); the others' next check moves
        `handover_slip_days` later (the new rep has to pick the thread up). The loss draws are keyed by
        (account, the account's count of deals handed over so far), not taken in turn from one stream: a plan
        that moves one more account then changes no other account's draws, so common random numbers stay common
        across plans (a stream drawn in turn shifted every later account's draw, and with it half the seats).
        """
        state = self.state
        used = int(state.counters[0])
        if not len(accounts) or not used:
            return
        pool = state.opportunities
        rows = open_deals_of(np.asarray(accounts, dtype=np.int64), state.first_opportunity, pool.next_of_account,
                             pool.status, pool.handover)
        if not len(rows):
            return
        loss = np.zeros(state.n_accounts)
        loss[accounts] = np.where(ramping, self.handover[1], self.handover[0])
        owners = pool.account[rows]
        order = np.argsort(owners, kind="stable")  # a deal's place among its account's deals handed over now
        place = np.empty(len(rows), dtype=np.int64)
        place[order] = np.arange(len(rows)) - np.searchsorted(owners[order], owners[order], side="left")
        draw = state.handovers_drawn[owners] + place
        np.add.at(state.handovers_drawn, owners, 1)
        lost = uniforms_at(state.handover_key, owners, draw) < loss[owners]
        gone, kept = rows[lost], rows[~lost]
        pool.handover[gone] = LOST_AT_HANDOVER
        pool.next_check[gone] = now
        pool.next_check[kept] += self.handover[2]
        touched = pool.account[rows]
        np.minimum.at(state.next_event, touched, pool.next_check[rows])

    def inbound(self, quarter: int) -> None:
        """Queue this quarter's inbound opportunities (demand that comes with no call) as arrivals.

        Every draw is keyed by (account, quarter, draw) (`draws`): the count is the Poisson quantile of one keyed
        uniform, so an account whose rate differs between two policies gets a count that differs as little as it
        can, and no other account's draws move (common random numbers stay common).
        """
        state = self.state
        now = float(state.env.now)
        relationship = state.relationship_now(slice(None), now)
        rate = state.propensity * relationship * self.response.inbound
        first = quarter * INBOUND_SLOTS
        every = np.arange(state.n_accounts, dtype=np.int64)
        chance = uniforms_at(state.inbound_key, every, np.full(state.n_accounts, first, dtype=np.int64))
        counts = poisson_quantiles(chance, np.asarray(rate, dtype=float), MAX_INBOUND)
        accounts = np.repeat(every, counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        draw = first + INBOUND_DRAWS * (np.arange(len(accounts)) - starts + 1)  # the account's i-th: draws of i + 1
        arrival = quarter * state.days_per_quarter + uniforms_at(state.inbound_key, accounts, draw) \
            * state.days_per_quarter
        value_z = normals_at(state.inbound_key, accounts, draw // 2 + 1)  # uniforms draw + 2, draw + 3
        cycle_z = normals_at(state.inbound_key, accounts, draw // 2 + 2)  # uniforms draw + 4, draw + 5
        win, push = (uniforms_at(state.inbound_key, accounts, draw + 6),
                     uniforms_at(state.inbound_key, accounts, draw + 7))
        stage_days = self.cycle_median_days * np.exp(self.params.cycle_sigma * cycle_z) / self.params.stages
        self._add(accounts, np.full(len(accounts), -1), value_z, stage_days, win, push,
                  INBOUND, PENDING, created=arrival, stage=np.zeros(len(accounts), dtype=np.int64),
                  stage_began=arrival, next_check=arrival)

    def _add(self, accounts: np.ndarray, seat: np.ndarray, value_z: np.ndarray, stage_days: np.ndarray,
             win_draw: np.ndarray, push_draw: np.ndarray, source: int, status: int, created: np.ndarray,
             stage: np.ndarray, stage_began: np.ndarray, next_check: np.ndarray) -> None:
        """Append opportunities made in Python (carried over, inbound) to the pool and their accounts' lists.

        Columns left unwritten (hand-over mark, discount, pulled in, slipped) keep the pool's zeros: rows are
        never reused.
        """
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
        pool.push_draw[rows] = push_draw
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
        link_opportunities(first, n, self.params.stages, state.accounts(), pool)


def _uniform(z: np.ndarray) -> np.ndarray:
    """Standard normal draws turned into uniform ones (the normal CDF)."""
    return ndtr(z)
