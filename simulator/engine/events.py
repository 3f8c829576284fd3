"""Opportunities, compiled: created at visits, advanced or stalled at stage ends, closed won, lost or stalled.

A stage check asks whether the account was visited since the opportunity's stage began. The latest visit at or
before the check is known from two numbers per account (its last visit, and the last one before today, since an
account is visited at most once a day), so a seat's events can be resolved account by account after its visits,
with the same outcome as firing them in time order among the visits. Each account's opportunities form a linked
list in the pool (`first_opportunity`, `next_of_account`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# opportunity status, outcome and source
PENDING, OPEN, CLOSED = 0, 1, 2
STILL_OPEN, WON, LOST, STALLED = 0, 1, 2, 3
CARRIED, VISIT, INBOUND = 0, 1, 2
WIN_CAP = 0.95  # no deal is a sure win


@njit(cache=True, inline="always")
def change_factor(days_since_change, penalty, penalty_days):
    """Relationship penalty after a change of rep, fading linearly over `penalty_days`."""
    fade = 1.0 - days_since_change / penalty_days
    return 1.0 - penalty * fade if fade > 0 else 1.0


@njit(cache=True)
def create(account, seat, value_z, cycle_z, win_draw, source, now, pipeline, accounts, opportunities, counters):
    """Open an opportunity at `now`, untouched, its first stage ending a stage's length later."""
    o = counters[0]
    counters[0] += 1
    sigma = pipeline.value_sigma
    opportunities.account[o] = account
    opportunities.seat_created[o] = seat
    opportunities.value[o] = accounts.potential[account] * pipeline.value_share * math.exp(
        sigma * value_z - 0.5 * sigma * sigma)
    stage_days = pipeline.cycle_median_days * math.exp(pipeline.cycle_sigma * cycle_z) / pipeline.stages
    opportunities.stage_days[o] = stage_days
    opportunities.created[o] = now
    opportunities.win_draw[o] = win_draw
    opportunities.source[o] = source
    opportunities.stage[o] = 0
    opportunities.stalls[o] = 0
    opportunities.status[o] = OPEN
    opportunities.outcome[o] = STILL_OPEN
    opportunities.stage_began[o] = now
    opportunities.next_check[o] = now + stage_days
    opportunities.closed[o] = np.nan
    opportunities.seat_closed[o] = -1
    opportunities.vacancy[o] = False
    opportunities.next_of_account[o] = accounts.first_opportunity[account]
    accounts.first_opportunity[account] = o
    accounts.next_event[account] = min(accounts.next_event[account], now + stage_days)
    accounts.newest_stage_start[account] = max(accounts.newest_stage_start[account], now)


@njit(cache=True)
def resolve_events(until, pipeline, seats, territories, accounts, opportunities):
    """Fire every seat's pipeline events before `until[seat]` (the last group: unowned accounts).

    Per account: arrivals, stage ends, stalls and closes, each opportunity's in time order. An account whose
    next event is not due is skipped at the cost of one read; the walk over its opportunities also refreshes
    its next event time and the newest stage start among its open deals.
    """
    members, first_opportunity, account_seat = territories.accounts, accounts.first_opportunity, accounts.seat
    next_event, newest_stage_start = accounts.next_event, accounts.newest_stage_start
    next_check, status, next_of_account = opportunities.next_check, opportunities.status, opportunities.next_of_account
    stage_began, created, stage_days = opportunities.stage_began, opportunities.created, opportunities.stage_days
    stage, stalls, win_draw = opportunities.stage, opportunities.stalls, opportunities.win_draw
    last_visit, visit_before_today = accounts.last_visit, accounts.visit_before_today
    change_day, change_penalty, multiplier = accounts.change_day, accounts.change_penalty, seats.multiplier
    for seat in range(until.shape[0]):
        limit = until[seat]
        for i in range(territories.start[seat], territories.start[seat + 1]):
            account = members[i]
            if next_event[account] >= limit:
                continue
            previous = -1
            soonest, newest = np.inf, -np.inf
            o = first_opportunity[account]
            while o >= 0:
                following = next_of_account[o]
                closed = False
                while next_check[o] < limit:
                    when = next_check[o]
                    if status[o] == PENDING:  # an inbound opportunity arrives
                        status[o] = OPEN
                        created[o] = when
                        stage_began[o] = when
                        opportunities.seat_created[o] = account_seat[account]
                        next_check[o] = when + stage_days[o]
                        continue
                    # the end of a stage (or of a stall): advance if the account was visited since the stage
                    # began, else stall; the last stage closes won or lost, too many stalls close it as stalled
                    last = last_visit[account]
                    latest_visit = last if last <= when else visit_before_today[account]  # at or before `when`
                    owner = account_seat[account]
                    if latest_visit > stage_began[o]:  # touched during the stage
                        stage[o] += 1
                        stalls[o] = 0
                        if stage[o] < pipeline.stages:
                            stage_began[o] = when
                            next_check[o] = when + stage_days[o]
                            continue
                        factor = 1.0
                        if change_day[account] != -np.inf:
                            factor = change_factor(when - change_day[account], change_penalty[account],
                                                   pipeline.penalty_days)
                        won = owner >= 0 and win_draw[o] < min(
                            WIN_CAP, pipeline.win_probability * multiplier[owner] * factor)
                        outcome = WON if won else LOST
                    else:
                        stalls[o] += 1
                        if stalls[o] <= pipeline.max_stalls:
                            next_check[o] = when + pipeline.stall_days
                            continue
                        outcome = STALLED
                    close(o, owner, outcome, when, pipeline.days_per_quarter, opportunities.outcome,
                          opportunities.closed, opportunities.seat_closed, opportunities.vacancy, opportunities.value,
                          status, next_check, accounts.covering_for[account] >= 0, seats.empty, seats.revenue)
                    closed = True
                    break
                if closed:  # unlink
                    if previous < 0:
                        first_opportunity[account] = following
                    else:
                        next_of_account[previous] = following
                else:
                    previous = o
                    soonest = min(soonest, next_check[o])
                    if status[o] == OPEN:
                        newest = max(newest, stage_began[o])
                o = following
            next_event[account] = soonest
            newest_stage_start[account] = newest


@njit(cache=True)
def close(o, seat, outcome, now, days_per_quarter, outcomes, closed, seat_closed, vacancy, value, status, next_check,
          covered, seat_empty, revenue):
    """Close opportunity `o`; a win is revenue of the seat that owns the account now.

    `covered`: the account is covered for a vacant seat (it then counts as closed on a vacancy).
    """
    status[o] = CLOSED
    outcomes[o] = outcome
    closed[o] = now
    seat_closed[o] = seat
    next_check[o] = np.inf
    vacancy[o] = seat < 0 or covered or seat_empty[seat]
    if outcome == WON and seat >= 0:
        quarter = min(int(now // days_per_quarter), revenue.shape[1] - 1)
        revenue[seat, quarter] += value[o]


@njit(cache=True)
def link_opportunities(first, count, accounts, opportunities):
    """Put pool entries first..first+count-1 at the head of their accounts' lists (Python-made entries)."""
    for o in range(first, first + count):
        account = opportunities.account[o]
        opportunities.next_of_account[o] = accounts.first_opportunity[account]
        accounts.first_opportunity[account] = o
        accounts.next_event[account] = min(accounts.next_event[account], opportunities.next_check[o])
        if opportunities.status[o] == OPEN:
            accounts.newest_stage_start[account] = max(accounts.newest_stage_start[account],
                                                       opportunities.stage_began[o])
