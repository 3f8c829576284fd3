"""Routes and visits, compiled: every working seat drives its planned route and makes the visits that fit.

Each drive and visit takes a simulated time (lognormal noise from counter-based draws); a visit mends the
account's relationship and may create an opportunity (the ADBUDG increment of that visit of the quarter).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.engine.draws import normal, uniform
from simulator.engine.events import VISIT, change_factor, create
from simulator.engine.planning import MAX_STOPS, position_hours, travel_view
from simulator.engine.routing import plan_route

DAY_SLOTS = 2 + 2 * MAX_STOPS  # normal draws per seat-day: admin, home leg, a travel leg and a visit per stop
# draws per visit of an account, in its uniform index space: create?, deal value (normal), cycle (normal), win
VISIT_UNIFORMS = 8


@njit(cache=True)
def drive_routes(day, admin, field, working, planned, n_planned, effectiveness, behaviour, pipeline, keys, seats,
                 territories, accounts, opportunities, visits, counters):
    """Every working seat drives its planned route and makes the visits that fit; hours are logged.

    The stops are ordered by `plan_route`; each drive and visit takes a simulated time; a stop that no longer fits
    with the drive home is skipped. A visit mends the account's relationship and may create an opportunity.
    """
    hours = behaviour.workday_hours
    travel_sigma, visit_sigma = behaviour.travel_sigma, behaviour.visit_sigma
    travel_mu, visit_mu = -0.5 * travel_sigma * travel_sigma, -0.5 * visit_sigma * visit_sigma
    members, visit_hours = territories.accounts, accounts.visit_hours
    last_visit, visit_before_today = accounts.last_visit, accounts.visit_before_today
    visits_in_quarter, visit_count = accounts.visits_in_quarter, accounts.visit_count
    account_relationship, interval, required = accounts.relationship, accounts.interval, accounts.required
    propensity, change_day, change_penalty = accounts.propensity, accounts.change_day, accounts.change_penalty
    travel_all, travel_start, xyz, hours_per_km = (territories.travel, territories.travel_start, territories.xyz,
                                                   territories.hours_per_km[0])
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
        matrix = np.zeros((k + 1, k + 1))
        for i in range(k + 1):
            row = 0 if i == 0 else chosen[i - 1] + 1
            for j in range(i + 1, k + 1):  # travel is symmetric: each pair once
                matrix[i, j] = position_hours(travel, xyz, first, hours_per_km, row, chosen[j - 1] + 1)
                matrix[j, i] = matrix[i, j] if travel.shape[0] == 0 else position_hours(
                    travel, xyz, first, hours_per_km, chosen[j - 1] + 1, row)
        order = plan_route(matrix)
        multiplier = seats.multiplier[seat] * effectiveness
        base = day * DAY_SLOTS
        home_noise = math.exp(travel_sigma * normal(keys.workday, seat, base + 1) + travel_mu)
        here = 0
        for slot in range(k):
            stop = order[slot]
            account = members[start + chosen[stop - 1]]
            drive = matrix[here, stop] * math.exp(
                travel_sigma * normal(keys.workday, seat, base + 2 + slot) + travel_mu)
            visit = visit_hours[account] * math.exp(
                visit_sigma * normal(keys.workday, seat, base + 2 + MAX_STOPS + slot) + visit_mu)
            if clock + drive + visit + matrix[stop, 0] * home_noise > end:
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
            previous_visit = last_visit[account]
            visit_before_today[account] = previous_visit
            last_visit[account] = now
            visits_in_quarter[account] += 1
            # the visit mends the relationship (after decay for the time it was overdue); open deals count as
            # touched from now on (a stage check compares its stage start with the visits)
            relationship = account_relationship[account]
            overdue = (now - previous_visit) / interval[account] - 1.0
            if overdue > 0 and relationship > pipeline.floor:
                relationship = max(pipeline.floor, relationship * math.exp(-pipeline.decay * overdue))
            relationship += pipeline.recovery * (1.0 - relationship)
            account_relationship[account] = relationship
            # ... and may create an opportunity: the ADBUDG increment of this visit of the quarter
            draw = VISIT_UNIFORMS * visit_count[account]
            visit_count[account] += 1
            count = visits_in_quarter[account]
            increment = (adbudg(count / required[account], pipeline.r0, pipeline.r_max, pipeline.c, pipeline.d)
                         - adbudg((count - 1) / required[account], pipeline.r0, pipeline.r_max, pipeline.c, pipeline.d))
            chance = propensity[account] * relationship * multiplier * increment
            if change_day[account] != -np.inf:
                chance *= change_factor(now - change_day[account], change_penalty[account], pipeline.penalty_days)
            if uniform(keys.visit, account, draw) < chance:
                value_z = normal(keys.visit, account, draw // 2 + 1)  # uniforms draw + 2, draw + 3
                cycle_z = normal(keys.visit, account, draw // 2 + 2)  # uniforms draw + 4, draw + 5
                win_draw = uniform(keys.visit, account, draw + 6)
                create(account, seat, value_z, cycle_z, win_draw, VISIT, now, pipeline, accounts, opportunities,
                       counters)
        if here:
            leg = matrix[here, 0] * home_noise
            seats.home_leg_hours[seat, day] = leg
            clock += leg
        seats.idle_hours[seat, day] = hours - clock


@njit(cache=True, inline="always")
def adbudg(x, r0, r_max, c, d):
    """ADBUDG response r(x) = r0 + (r_max - r0) * x^c / (d + x^c), for x >= 0."""
    if x <= 0:
        return r0
    xc = x ** c
    return r0 + (r_max - r0) * xc / (d + xc)
