"""Opportunities, compiled: made at visits (`visits`), advanced or stalled at stage ends, closed won, lost or stalled.

A stage check asks whether the account was touched since the opportunity's stage began: visited, or, where a
visit is not needed (a segment outside `remote.visit_segments`, a stage before the last), called. The latest
visit (or call) at or before the check is known from two numbers per account (the last one, and the last one
before today, since an account is visited and called at most once a day), so a seat's events can be resolved
account by account after its visits, with the same outcome as firing them in time order among the visits. Each
account's opportunities form a linked list in the pool (`first_opportunity`, `next_of_account`).

At the quarter's end a deal due to close in its last weeks slips into the next quarter when its account was not
visited in those weeks (`pipeline.slip_probability`); a deal pulled in by a visit closes at a discount. A deal
marked at a hand-over (`handover`) is lost at its next check. Each seat's count of open deals is kept current
(`seats.open_deals`): a rep works at most `response.max_open_deals`.
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
LOST_AT_HANDOVER = 1  # `handover` mark: the deal is lost at its next check


@njit(cache=True, inline="always")
def change_factor(days_since_change, penalty, penalty_days):
    """Relationship penalty after a change of rep, fading linearly over `penalty_days`."""
    fade = 1.0 - days_since_change / penalty_days
    return 1.0 - penalty * fade if fade > 0 else 1.0


@njit(cache=True, inline="always")
def latest(last, before_today, when):
    """The latest of an account's visits (or calls) at or before `when`: its last, or the last before today."""
    return last if last <= when else before_today


@njit(cache=True)
def resolve_events(until, pipeline, seats, territories, accounts, opportunities):
    """Fire every seat's pipeline events before `until[seat]` (the last group: unowned accounts).

    Per account: arrivals, stage ends, stalls, slips and closes, each opportunity's in time order. A group whose
    earliest next event (`seats.group_next`) is not due is skipped at the cost of one read, and so is an account
    whose next event is not due; the walk over an account's opportunities also refreshes its next event time and
    the newest stage starts among its open deals.
    """
    members, first_opportunity, account_seat = territories.accounts, accounts.first_opportunity, accounts.seat
    next_event, newest_stage_start = accounts.next_event, accounts.newest_stage_start
    newest_call_start = accounts.newest_call_start
    next_check, status, next_of_account = opportunities.next_check, opportunities.status, opportunities.next_of_account
    stage_began, created, stage_days = opportunities.stage_began, opportunities.created, opportunities.stage_days
    stage, stalls, win_draw = opportunities.stage, opportunities.stalls, opportunities.win_draw
    last_visit, visit_before_today = accounts.last_visit, accounts.visit_before_today
    change_day, change_penalty, multiplier = accounts.change_day, accounts.change_penalty, seats.multiplier
    quarter_end_days, days_per_quarter = pipeline.quarter_end_days, pipeline.days_per_quarter
    group_next = seats.group_next
    for seat in range(until.shape[0]):
        limit = until[seat]
        if group_next[seat] >= limit:  # none of the group's accounts has an event due
            continue
        earliest = np.inf
        i, end = territories.start[seat], territories.start[seat + 1]
        while True:
            # accounts with nothing due only count towards the group's earliest event: a tight loop of their own, with
            # a minimum of its own (kept in a register; the group's `earliest` went to the stack in this loop)
            skipped = np.inf
            while i < end and next_event[members[i]] >= limit:
                skipped = min(skipped, next_event[members[i]])
                i += 1
            earliest = min(earliest, skipped)
            if i == end:
                break
            account = members[i]
            i += 1
            previous = -1
            soonest, newest, newest_call = np.inf, -np.inf, -np.inf
            o = first_opportunity[account]
            while o >= 0:
                following = next_of_account[o]
                closed = False
                while next_check[o] < limit:
                    when = next_check[o]
                    owner = account_seat[account]
                    if status[o] == PENDING:  # an inbound opportunity arrives
                        status[o] = OPEN
                        created[o] = when
                        stage_began[o] = when
                        opportunities.seat_created[o] = owner
                        next_check[o] = when + stage_days[o]
                        if owner >= 0:
                            seats.open_deals[owner] += 1
                            seats.calls_due[owner] = True
                        continue
                    if opportunities.handover[o] == LOST_AT_HANDOVER:
                        outcome = LOST
                    else:
                        # the end of a stage (or of a stall): advance if the account was touched since the stage
                        # began, else stall; the last stage closes won or lost (or slips at the quarter's end),
                        # too many stalls close it as stalled
                        touched = latest(last_visit[account], visit_before_today[account], when)
                        if not accounts.visit_only[account] and stage[o] < pipeline.stages - 1:
                            touched = max(touched, latest(accounts.last_remote[account],
                                                          accounts.remote_before_today[account], when))
                        if touched > stage_began[o]:
                            if stage[o] < pipeline.stages - 1:
                                stage[o] += 1
                                stalls[o] = 0
                                stage_began[o] = when
                                next_check[o] = when + stage_days[o]
                                if owner >= 0:
                                    seats.calls_due[owner] = True
                                continue
                            quarter_end = (math.floor(when / days_per_quarter) + 1.0) * days_per_quarter
                            if (not opportunities.pulled[o] and not opportunities.slipped[o]
                                    and quarter_end - when <= quarter_end_days
                                    and touched < quarter_end - quarter_end_days
                                    and opportunities.push_draw[o] > 1.0 - pipeline.slip):
                                opportunities.slipped[o] = True  # the customer puts it off to next quarter
                                next_check[o] = quarter_end + pipeline.stall_days
                                continue
                            stage[o] = pipeline.stages
                            stalls[o] = 0
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
                    if opportunities.pulled[o] and outcome == WON:
                        opportunities.discount[o] = opportunities.value[o] * pipeline.pull_in_discount
                        opportunities.value[o] -= opportunities.discount[o]
                    close(o, owner, outcome, when, days_per_quarter, opportunities.outcome,
                          opportunities.closed, opportunities.seat_closed, opportunities.vacancy, opportunities.value,
                          status, next_check, accounts.covering_for[account] >= 0, seats.empty, seats.revenue)
                    if owner >= 0:
                        seats.open_deals[owner] -= 1
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
                        if stage[o] < pipeline.stages - 1:
                            newest_call = max(newest_call, stage_began[o])
                o = following
            next_event[account] = soonest
            earliest = min(earliest, soonest)
            newest_stage_start[account] = newest
            newest_call_start[account] = newest_call
        group_next[seat] = earliest


@njit(cache=True)
def pull_in(account, seat, now, quarter_end, chance, stages, window, first_opportunity, next_event, group_next,
            status, stage, next_check, handover, push_draw, pulled, next_of_account):
    """A visit in the quarter's last weeks (`window` days before `quarter_end`) may pull in late-stage deals.

    Each of the account's deals in its last stage and closing within `window` after the quarter is pulled in with
    probability `chance` (`pull_in_probability` x the month's pacing effort, leaving room for the slip draw): its
    close is checked now (this visit is its touch), at a discount.
    """
    o = first_opportunity[account]
    while o >= 0:
        if (status[o] == OPEN and stage[o] == stages - 1 and quarter_end <= next_check[o] <= quarter_end + window
                and handover[o] == 0 and push_draw[o] < chance):
            pulled[o] = True
            next_check[o] = now
            next_event[account] = min(next_event[account], now)
            group_next[seat] = min(group_next[seat], now)
        o = next_of_account[o]


@njit(cache=True, inline="always")
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
def link_opportunities(first, count, stages, accounts, opportunities):
    """Put pool entries first..first+count-1 at the head of their accounts' lists (Python-made entries)."""
    for o in range(first, first + count):
        account = opportunities.account[o]
        opportunities.next_of_account[o] = accounts.first_opportunity[account]
        accounts.first_opportunity[account] = o
        accounts.next_event[account] = min(accounts.next_event[account], opportunities.next_check[o])
        if opportunities.status[o] == OPEN:
            accounts.newest_stage_start[account] = max(accounts.newest_stage_start[account],
                                                       opportunities.stage_began[o])
            if opportunities.stage[o] < stages - 1:
                accounts.newest_call_start[account] = max(accounts.newest_call_start[account],
                                                          opportunities.stage_began[o])


@njit(cache=True)
def open_deals_of(accounts, first_opportunity, next_of_account, status, handover):
    """Pool rows of the open, unmarked deals of the given accounts (in increasing row order)."""
    count = 0
    for i in range(accounts.shape[0]):
        o = first_opportunity[accounts[i]]
        while o >= 0:
            if status[o] == OPEN and handover[o] == 0:
                count += 1
            o = next_of_account[o]
    rows = np.empty(count, dtype=np.int64)
    count = 0
    for i in range(accounts.shape[0]):
        o = first_opportunity[accounts[i]]
        while o >= 0:
            if status[o] == OPEN and handover[o] == 0:
                rows[count] = o
                count += 1
            o = next_of_account[o]
    return np.sort(rows)
