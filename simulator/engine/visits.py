"""Routes, visits and calls, compiled: every working seat drives its planned route and makes what fits.

Each drive and visit takes a simulated time (lognormal noise from counter-based draws). A visit mends the
account's relationship, adds to its effort stock and uncovers a share of its demand pool (`Response`): the needs
it finds may make an opportunity. The day ends at home, or at a trip's lodging. Calls on deals that wait for a
touch a call can give come before admin: from the time left at the end of the day, then from the morning's admin
block (that admin is put off); time still left goes to admin put off earlier; what is left is idle.

The visit, and the opportunity it may open, are written out in the route loop, over arrays taken out of the named
tuples once a day: a named tuple of arrays handed to a function, even an inlined one, costs a reference count per
array per call.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.engine.draws import normal, uniform
from simulator.engine.events import OPEN, VISIT, change_factor, pull_in
from simulator.engine.planning import MAX_STOPS, position_hours, travel_view
from simulator.engine.routing import plan_route_into

MIN_ADMIN_SHARE = 0.02  # even a rep in a month-end push or on a trip spends this share of the day on admin

# normal draws per seat-day: admin, the leg back to the day's base, the drives out to and back from a trip's
# lodging, then a travel leg and a visit per stop
DAY_SLOTS = 4 + 2 * MAX_STOPS
# draws per visit of an account, in its uniform index space: create?, deal value (normal), cycle (normal), win, push
VISIT_UNIFORMS = 8


@njit(cache=True)
def drive_routes(day, admin, field, training, working, planned, n_planned, bases, legs, effort, effectiveness,
                 behaviour, pipeline, keys, seats, territories, accounts, opportunities, visits, counters, clocks):
    """Every working seat drives its planned route and makes the visits that fit; `clocks` gets when it is back.

    The stops are ordered by `plan_route` around the day's base (home or lodging); each drive and visit takes a
    simulated time; a stop that no longer fits with the drive back to the base (and home, on a trip's last day)
    is skipped. The drives to and from the base are logged as home-leg hours; the rest of the day is `end_days`.
    """
    hours = behaviour.workday_hours
    travel_sigma, visit_sigma = behaviour.travel_sigma, behaviour.visit_sigma
    travel_mu, visit_mu = -0.5 * travel_sigma * travel_sigma, -0.5 * visit_sigma * visit_sigma
    members, visit_hours = territories.accounts, accounts.visit_hours
    travel_all, travel_start, xyz, hours_per_km = (territories.travel, territories.travel_start, territories.xyz,
                                                   territories.hours_per_km[0])
    # every array a visit touches, taken out of the named tuples once: handing a tuple of arrays to a function,
    # even an inlined one, costs a reference count per array per call, which per visit was a third of the run
    (last_visit, visit_before_today, relationships, intervals, stocks, stock_times, needs, need_times, need_rates,
     need_expiries, required, change_day, change_penalty, visit_count) = visit_arrays(accounts)
    open_deals, calls_due = seats.open_deals, seats.calls_due
    first_opportunity, next_event = accounts.first_opportunity, accounts.next_event
    potential, newest_stage_start, group_next = accounts.potential, accounts.newest_stage_start, seats.group_next
    status, stage, next_check, handover, push_draw, pulled, next_of_account = (
        opportunities.status, opportunities.stage, opportunities.next_check, opportunities.handover,
        opportunities.push_draw, opportunities.pulled, opportunities.next_of_account)
    deal_account, seat_created, value, stage_days, created, win_draw, source, stage_began, closed, seat_closed = (
        opportunities.account, opportunities.seat_created, opportunities.value, opportunities.stage_days,
        opportunities.created, opportunities.win_draw, opportunities.source, opportunities.stage_began,
        opportunities.closed, opportunities.seat_closed)
    value_sigma = pipeline.value_sigma
    newest_call_start = accounts.newest_call_start
    quarter_visits, visit_quarter = accounts.quarter_visits, accounts.visit_quarter
    quarter = day // behaviour.days_per_quarter
    pull_chance = min(pipeline.pull_in * effort, 1.0 - pipeline.slip)
    # a route's travel matrix and tour in buffers allocated once a day, not once a seat
    cells = np.empty((MAX_STOPS + 1) * (MAX_STOPS + 1))
    tour, visited = np.empty(MAX_STOPS + 2, dtype=np.int64), np.empty(MAX_STOPS + 1, dtype=np.bool_)
    for seat in range(working.shape[0]):
        if not working[seat]:
            continue
        clock = admin[seat]
        end = clock + field[seat]
        k = n_planned[seat]
        chosen = planned[seat, :k]
        start = territories.start[seat]
        travel = travel_view(travel_all, travel_start[seat], territories.start[seat + 1] - start + 1)
        first = territories.xyz_start[seat]
        base = bases[seat]
        matrix = cells[:(k + 1) * (k + 1)].reshape((k + 1, k + 1))
        for i in range(k + 1):
            row = base if i == 0 else chosen[i - 1] + 1
            matrix[i, i] = 0.0
            for j in range(i + 1, k + 1):  # travel is symmetric: each pair once
                matrix[i, j] = position_hours(travel, xyz, first, hours_per_km, row, chosen[j - 1] + 1)
                matrix[j, i] = matrix[i, j] if travel.shape[0] == 0 else position_hours(
                    travel, xyz, first, hours_per_km, chosen[j - 1] + 1, row)
        order = plan_route_into(matrix, tour, visited)
        multiplier = seats.multiplier[seat] * effectiveness
        slot0 = day * DAY_SLOTS
        base_noise = math.exp(travel_sigma * normal(keys.workday, seat, slot0 + 1) + travel_mu)
        out = legs[seat, 0] * math.exp(travel_sigma * normal(keys.workday, seat, slot0 + 2) + travel_mu)
        back = legs[seat, 1] * math.exp(travel_sigma * normal(keys.workday, seat, slot0 + 3) + travel_mu)
        clock += out
        here = 0
        for slot in range(k):
            stop = order[slot]
            account = members[start + chosen[stop - 1]]
            drive = matrix[here, stop] * math.exp(
                travel_sigma * normal(keys.workday, seat, slot0 + 4 + slot) + travel_mu)
            visit = visit_hours[account] * math.exp(
                visit_sigma * normal(keys.workday, seat, slot0 + 4 + MAX_STOPS + slot) + visit_mu)
            if clock + drive + visit + matrix[stop, 0] * base_noise + back > end:
                continue  # does not fit: try the next planned stop; none left, the day is over
            now = day + (clock + drive + visit) / hours
            row = counters[1]
            counters[1] += 1
            visits.seat[row] = seat
            visits.account[row] = account
            visits.day[row] = day
            visits.start[row] = day + (clock + drive) / hours
            visits.travel_hours[row] = drive
            visits.visit_hours[row] = visit
            clock += drive + visit
            here = stop
            # the visit: relationship mended, effort stock raised, demand found (maybe an opportunity)
            previous_visit = last_visit[account]
            visit_before_today[account] = previous_visit
            last_visit[account] = now
            relationships[account] = mended(relationships[account], (now - previous_visit) / intervals[account] - 1.0,
                                            pipeline)
            stock = add_to_stock(account, now, 1.0, pipeline, stocks, stock_times)
            need = demand_now(account, now, needs, need_times, need_rates, need_expiries, relationships)
            draw = VISIT_UNIFORMS * visit_count[account]
            visit_count[account] += 1
            if visit_quarter[account] != quarter:  # the first visit this quarter: the visit cap's count restarts
                visit_quarter[account], quarter_visits[account] = quarter, 0
            quarter_visits[account] += 1
            share = discovery(stock / required[account], pipeline) * multiplier
            if change_day[account] != -np.inf:
                share *= change_factor(now - change_day[account], change_penalty[account], pipeline.penalty_days)
            found = min(share, 1.0) * need
            if found > 0 and open_deals[seat] < pipeline.max_open:  # a rep at capacity leaves the needs waiting
                if uniform(keys.visit, account, draw) < -math.expm1(-found):  # at least one need found: a deal
                    # it bundles the needs found: found / P(at least one) of them on average, its value with them
                    bundled = min(found / -math.expm1(-found), max(need, 1.0))
                    value_z = normal(keys.visit, account, draw // 2 + 1)  # uniforms draw + 2, draw + 3
                    cycle_z = normal(keys.visit, account, draw // 2 + 2)  # uniforms draw + 4, draw + 5
                    # the deal opens untouched, its first stage ending a stage's length later (written out here,
                    # not in a function: see the module's docstring); hand-over, discount and pull-in/slip flags,
                    # stage, stalls, outcome (still open) and vacancy keep the pool's zeros: rows are never reused
                    o = counters[0]
                    counters[0] += 1
                    deal_account[o], seat_created[o], source[o], status[o] = account, seat, VISIT, OPEN
                    value[o] = bundled * potential[account] * pipeline.value_share * math.exp(
                        value_sigma * value_z - 0.5 * value_sigma * value_sigma)
                    length = pipeline.cycle_median_days * math.exp(pipeline.cycle_sigma * cycle_z) / pipeline.stages
                    stage_days[o], created[o], stage_began[o], next_check[o] = length, now, now, now + length
                    win_draw[o] = uniform(keys.visit, account, draw + 6)
                    push_draw[o] = uniform(keys.visit, account, draw + 7)
                    closed[o], seat_closed[o] = np.nan, -1
                    next_of_account[o] = first_opportunity[account]
                    first_opportunity[account] = o
                    next_event[account] = min(next_event[account], now + length)
                    group_next[seat] = min(group_next[seat], now + length)
                    newest_stage_start[account] = max(newest_stage_start[account], now)
                    if pipeline.stages > 1:  # its first stage can be advanced by a call
                        newest_call_start[account] = max(newest_call_start[account], now)
                    open_deals[seat] += 1
                    calls_due[seat] = True
                    needs[account] = max(0.0, need - bundled)
            # in the quarter's last weeks it may pull in the account's deals due soon after the quarter, the more
            # likely the harder the rep pushes (`effort`, the month's pacing effort)
            quarter_end = (math.floor(now / pipeline.days_per_quarter) + 1.0) * pipeline.days_per_quarter
            if pipeline.pull_in > 0 and quarter_end - now <= pipeline.quarter_end_days:
                pull_in(account, seat, now, quarter_end, pull_chance, pipeline.stages, pipeline.quarter_end_days,
                        first_opportunity, next_event, group_next, status, stage, next_check, handover, push_draw,
                        pulled, next_of_account)
        leg = matrix[here, 0] * base_noise + back if here else back
        seats.home_leg_hours[seat, day] = out + leg
        clocks[seat] = clock + leg


@njit(cache=True, inline="always")
def mended(relationship, overdue, pipeline):
    """The relationship after a visit: decayed for the intervals it was overdue (to the floor), then mended."""
    if overdue > 0 and relationship > pipeline.floor:
        relationship = max(pipeline.floor, relationship * math.exp(-pipeline.decay * overdue))
    return relationship + pipeline.recovery * (1.0 - relationship)


@njit(cache=True, inline="always")
def discovery(x, pipeline):
    """Share of an account's open needs a visit uncovers at effort stock x (visits per quarter / required).

    ADBUDG in the stock: discovery_max x^c / (d + x^c).
    """
    xc = x ** pipeline.c
    return pipeline.discovery_max * xc / (pipeline.d + xc)


@njit(cache=True, inline="always")
def visit_arrays(accounts):
    """The account arrays a visit updates, in the order `drive_routes` takes them."""
    return (accounts.last_visit, accounts.visit_before_today, accounts.relationship, accounts.interval,
            accounts.stock, accounts.stock_time, accounts.need, accounts.need_time, accounts.need_rate,
            accounts.need_expiry, accounts.required, accounts.change_day, accounts.change_penalty,
            accounts.visit_count)


@njit(cache=True, inline="always")
def add_to_stock(account, now, weight, pipeline, stocks, stock_times):
    """Decay an account's effort stock (visits per quarter, exponentially weighted) to `now` and add a touch."""
    stock = stocks[account] * math.exp(-(now - stock_times[account]) / pipeline.memory_days)
    stock += weight * pipeline.days_per_quarter / pipeline.memory_days
    stocks[account] = stock
    stock_times[account] = now
    return stock


@njit(cache=True, inline="always")
def demand_now(account, now, needs, need_times, need_rates, need_expiries, relationships):
    """The account's demand pool at `now`: needs arrive (scaled by the relationship) and expire meanwhile."""
    expiry = need_expiries[account]
    kept = math.exp(-expiry * (now - need_times[account]))
    need = needs[account] * kept + need_rates[account] * relationships[account] / expiry * (1.0 - kept)
    needs[account] = need
    need_times[account] = now
    return need


@njit(cache=True)
def end_days(day, admin, training, clocks, working, behaviour, pipeline, seats, territories, accounts):
    """Every working seat's day after its route (back at `clocks[seat]` hours): calls, admin put off, idle time.

    A drive that overran the day comes out of onboarding, then of the admin block. Calls on deals waiting for a
    touch come before admin: from time left, then from the admin block (the admin it displaces is put off); calls
    go to accounts with a deal a call can advance (not a visit-only segment, not the last stage). Time still left
    catches up on admin put off; the rest is idle. Seats touch only their own accounts, so every seat's routes can
    come first; the call loop is written out here, over arrays taken out of the named tuples once a day.
    """
    hours = behaviour.workday_hours
    members = territories.accounts
    visit_only, last_visit, last_remote, remote_before_today = (accounts.visit_only, accounts.last_visit,
                                                               accounts.last_remote, accounts.remote_before_today)
    newest_call_start, relationships, stocks, stock_times = (accounts.newest_call_start, accounts.relationship,
                                                             accounts.stock, accounts.stock_time)
    for seat in range(working.shape[0]):
        if not working[seat]:
            continue
        clock = clocks[seat]
        left = hours - training[seat] - clock
        block = admin[seat]
        if left < 0:  # a trip's long drive overran the day: it comes out of onboarding, then of the admin block
            lost = min(training[seat], -left)
            seats.admin_hours[seat, day] -= lost
            left += lost
            lost = min(block, -left)
            block -= lost
            seats.admin_hours[seat, day] -= lost
            seats.backlog[seat] += lost
            left += lost
            if left < 0:  # rare: the rest of the drive is the evening's (not paid time)
                seats.home_leg_hours[seat, day] += left
                clock += left
                left = 0.0
        spare = max(block - MIN_ADMIN_SHARE * hours, 0.0)
        start, n = territories.start[seat], territories.start[seat + 1] - territories.start[seat]
        if behaviour.remote and seats.calls_due[seat] and left + spare >= behaviour.remote_hours:
            most = int((left + spare) // behaviour.remote_hours)
            calls = 0
            # a different first account each day; the index wraps (no division per account)
            i = (day * 7) % n if n > 0 else 0
            for _ in range(n):
                if calls == most:
                    break
                account = members[start + i]
                i = i + 1 if i + 1 < n else 0
                # a deal a call can advance waits if its stage began at or after the account's last touch (a deal
                # made at a visit needs a later touch); the newest such stage start is kept per account
                if visit_only[account] or newest_call_start[account] < max(last_visit[account], last_remote[account]):
                    continue
                calls += 1
                now = day + (clock + calls * behaviour.remote_hours) / hours
                remote_before_today[account] = last_remote[account]
                last_remote[account] = now
                relationships[account] += behaviour.remote_weight * pipeline.recovery * (1.0 - relationships[account])
                add_to_stock(account, now, behaviour.remote_weight, pipeline, stocks, stock_times)
            # fewer calls than time for: every deal waiting was called, and none waits until a new stage begins
            seats.calls_due[seat] = calls == most
            calling = calls * behaviour.remote_hours
            seats.remote_hours[seat, day] = calling
            displaced = max(calling - max(left, 0.0), 0.0)
            seats.admin_hours[seat, day] -= displaced
            seats.backlog[seat] += displaced
            left -= calling - displaced
        catch_up = min(max(left, 0.0), seats.backlog[seat])
        seats.backlog[seat] -= catch_up
        seats.admin_hours[seat, day] += catch_up
        seats.idle_hours[seat, day] = left - catch_up
