"""The compiled day step: every seat's working day and its accounts' pipeline, over flat arrays.

Seats interact only at day boundaries (ownership changes at the daily tick), so `play_day` plays a day in phases,
each over all seats: every seat's admin block; the pipeline events of each seat's accounts due before it plans;
every plan (due accounts and open deals near the day's anchor, topped up); every route (nearest neighbour +
2-opt), drive and visit (each visit can create an opportunity); and the rest of the day's pipeline events. One call
per phase, not per seat, matters for speed: a call between compiled functions increfs and decrefs every array of
the named tuples it is handed.

A stage check asks whether the account was visited since the opportunity's stage began. The latest visit at or
before the check is known from two numbers per account (its last visit, and the last one before today, since an
account is visited at most once a day), so a seat's events can be resolved account by account after its visits,
with the same outcome as firing them in time order among the visits.

Every function is a plain function of its arguments (named tuples of arrays, see `simulator.engine.tables`),
compiled by numba and identical, draw for draw, with the JIT disabled (`NUMBA_DISABLE_JIT=1`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.engine.draws import normal, uniform
from simulator.engine.routing import plan_route
from simulator.world.geography import EARTH_RADIUS_KM

MAX_STOPS = 16  # most stops a rep plans in one day
DAY_SLOTS = 2 + 2 * MAX_STOPS  # normal draws per seat-day: admin, home leg, a travel leg and a visit per stop
DUE_CAP = 3.0  # an account three intervals overdue is no more urgent than one two intervals overdue
MIN_ADMIN_SHARE = 0.02  # even a rep in a month-end push spends this share of the day on admin
URGENT_BONUS = 10.0  # due accounts and open opportunities come before top-up visits...
DETOUR_PENALTY = 3.0  # ...unless they lie more than about URGENT_BONUS / DETOUR_PENALTY hours from the anchor
DRIVE_PER_STOP_GUESS = 0.2  # hours of driving the planner allows per stop when sizing the day
WIN_CAP = 0.95
# what a seat does today
NO_WORK, REP_DAY, MANAGER_DAY = 0, 1, 2
# opportunity status, outcome and source
PENDING, OPEN, CLOSED = 0, 1, 2
STILL_OPEN, WON, LOST, STALLED = 0, 1, 2, 3
CARRIED, VISIT, INBOUND = 0, 1, 2
# draws per visit of an account, in its uniform index space: create?, deal value (normal), cycle (normal), win
VISIT_UNIFORMS = 8


@njit(cache=True)
def play_days(first_day, last_day, efforts, effectivenesses, multipliers, behaviour, pipeline, keys, seats,
              territories, accounts, opportunities, visits, counters):
    """Play days first_day .. last_day - 1 one after another: a stretch with no workforce event in between.

    `efforts`, `effectivenesses` (per day) and `multipliers` (day x seat) give each day's pacing and each seat's
    skill x ramp; everything else is as in `play_day`.
    """
    for day in range(first_day, last_day):
        seats.multiplier[:] = multipliers[day - first_day]
        play_day(day, efforts[day - first_day], effectivenesses[day - first_day], behaviour, pipeline, keys, seats,
                 territories, accounts, opportunities, visits, counters)


@njit(cache=True)
def play_day(day, effort, effectiveness, behaviour, pipeline, keys, seats, territories, accounts, opportunities,
             visits, counters):
    """Play one working day of every seat, and the day's pipeline events of every account (unowned ones too).

    Args:
        day: the working day.
        effort: the pacing profile's field-time effort this month.
        effectiveness: the pacing profile's opportunity-creation effectiveness this month.
        behaviour: `tables.Behaviour` (workday and call-planning parameters).
        pipeline: `tables.PipelineParams`.
        keys: `tables.Keys` (counter-based stream keys of this replication).
        seats: `tables.Seats` (today's kind of work, multiplier, empty flag; day logs and revenue).
        territories: `tables.Territories` (accounts by seat, their travel, planning constants).
        accounts: `tables.Accounts`.
        opportunities: `tables.Opportunities` (the pool; `counters[0]` entries used).
        visits: `tables.VisitLog` (`counters[1]` rows used; room for every seat's MAX_STOPS today).
        counters: [opportunities used, visits logged].
    """
    n_seats = seats.kind.shape[0]
    hours = behaviour.workday_hours
    # every working seat's admin block comes first; each seat's accounts then have their events fired up to the
    # end of it, where the seat plans (seats do not interact within a day, so this is one pass over all seats)
    admin = np.zeros(n_seats)
    field = np.zeros(n_seats)
    plan_time = np.full(n_seats + 1, -np.inf)
    for seat in range(n_seats):
        if seats.kind[seat] != NO_WORK:
            admin[seat], field[seat] = admin_block(seat, day, effort, seats.kind[seat] == MANAGER_DAY, behaviour,
                                                   keys)
            seats.admin_hours[seat, day] = admin[seat]
            plan_time[seat] = day + admin[seat] / hours
    resolve_events(plan_time, pipeline, seats, territories, accounts, opportunities)
    working = seats.kind != NO_WORK
    planned = np.empty((n_seats, MAX_STOPS), dtype=np.int64)
    n_planned = np.zeros(n_seats, dtype=np.int64)
    plan_day(day, field, working, behaviour, territories, accounts, planned, n_planned)
    drive_routes(day, admin, field, working, planned, n_planned, effectiveness, behaviour, pipeline, keys, seats,
                 territories, accounts, opportunities, visits, counters)
    # the rest of the day's events, for every seat's accounts and the unowned ones
    resolve_events(np.full(n_seats + 1, day + 1.0), pipeline, seats, territories, accounts, opportunities)


@njit(cache=True)
def admin_block(seat, day, effort, manager, behaviour, keys):
    """A seat's admin hours (spent first) and field hours today.

    Admin is drawn around its mean share; pacing effort stretches the field day (squeezing admin, never below
    MIN_ADMIN_SHARE) or shrinks it (the rep coasts: the hours left over are idle); a manager covering a vacancy
    gives a share of it.
    """
    hours = behaviour.workday_hours
    admin = min(max(behaviour.admin_share + behaviour.admin_share_sd * normal(keys.workday, seat, day * DAY_SLOTS),
                    0.02), 0.95)
    field = min(hours * (1.0 - admin) * effort, hours * (1.0 - MIN_ADMIN_SHARE))
    if manager:
        field *= behaviour.manager_share
    return min(hours * admin, hours - field), field


@njit(cache=True)
def travel_view(travel, first, width):
    """A seat's travel matrix (home = row and column 0, its i-th account = i + 1) as a view of the flat array.

    Empty (0 x 0) when travel is great circle: then `position_hours` computes it from the positions.
    """
    if travel.shape[0] == 0:
        return travel.reshape((0, 0))
    return travel[first:first + width * width].reshape((width, width))


@njit(cache=True, inline="always")
def position_hours(matrix, xyz, first, hours_per_km, a, b):
    """Hours between territory positions a and b (0 = home): from the matrix, or great circle from unit vectors.

    Great circle as `GreatCircleTravel.pairwise` computes it: the chord between the unit vectors, turned into km
    on the sphere, times the driving hours per km.
    """
    if matrix.shape[0] > 0:
        return matrix[a, b]
    dx = xyz[first + a, 0] - xyz[first + b, 0]
    dy = xyz[first + a, 1] - xyz[first + b, 1]
    dz = xyz[first + a, 2] - xyz[first + b, 2]
    chord = math.sqrt(dx * dx + dy * dy + dz * dz)
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(max(chord * 0.5, 0.0), 1.0)) * hours_per_km


@njit(cache=True)
def plan_day(day, field, working, behaviour, territories, accounts, chosen, n_chosen):
    """Every working seat's plan for today: `chosen[seat, :n_chosen[seat]]` are territory positions to route."""
    members, round_trip, potential_score = territories.accounts, territories.round_trip, territories.potential_score
    last_visit, inverse_interval = accounts.last_visit, accounts.inverse_interval
    newest_stage_start = accounts.newest_stage_start
    xyz, hours_per_km = territories.xyz, territories.hours_per_km[0]
    for seat in range(working.shape[0]):
        if working[seat]:
            start = territories.start[seat]
            picked = plan(day, field[seat], behaviour, start, territories.start[seat + 1] - start,
                          territories.mean_visit[seat], members, round_trip, potential_score, last_visit,
                          inverse_interval, newest_stage_start,
                          travel_view(territories.travel, territories.travel_start[seat],
                                      territories.start[seat + 1] - start + 1), xyz,
                          territories.xyz_start[seat], hours_per_km)
            n_chosen[seat] = picked.shape[0]
            chosen[seat, :picked.shape[0]] = picked


@njit(cache=True)
def plan(day, field_hours, behaviour, start, n, mean_visit, members, round_trip, potential_score, last_visit,
         inverse_interval, newest_stage_start, travel, xyz, first, hours_per_km):
    """Positions (in a seat's territory: members[start:start + n]) of the accounts to route today.

    Due accounts and those with deals needing a touch come first, around the most urgent one (the day's anchor);
    underloaded reps top the day up with the best accounts not yet due. Accounts whose round trip from home does
    not fit in today's field time are left out (they show up in the coverage gap).
    """
    reachable = np.empty(n, dtype=np.int64)
    n_reachable = 0
    for position in range(n):
        if round_trip[start + position] <= field_hours:
            reachable[n_reachable] = position
            n_reachable += 1
    wanted = min(MAX_STOPS, n_reachable, int(field_hours / (mean_visit + DRIVE_PER_STOP_GUESS)) + 2)
    if wanted >= n_reachable:
        return reachable[:n_reachable].copy()
    score = np.empty(n_reachable)
    for i in range(n_reachable):
        position = reachable[i]
        account = members[start + position]
        overdue = (day - last_visit[account]) * inverse_interval[account]  # intervals
        touch = newest_stage_start[account] >= last_visit[account]  # an open deal untouched since its stage began
        value = behaviour.overdue_weight * min(overdue, DUE_CAP) + potential_score[start + position]
        if touch:
            value += behaviour.opportunity_weight
        if touch or overdue >= behaviour.due_threshold:
            value += URGENT_BONUS
        score[i] = value
    anchor = reachable[np.argmax(score)] + 1
    cost = np.empty(n_reachable)
    for i in range(n_reachable):
        cost[i] = DETOUR_PENALTY * position_hours(travel, xyz, first, hours_per_km, anchor, reachable[i] + 1) - score[i]
    return reachable[cheapest(cost, wanted)]


@njit(cache=True)
def cheapest(cost, wanted):
    """Indices of the `wanted` smallest costs, cheapest first (ties: the lower index first), in one pass.

    The same as the first `wanted` of a stable argsort: a sorted buffer keeps the best so far, and a cost enters
    only if strictly below the buffer's worst (an equal cost came later, so it loses the tie).
    """
    chosen = np.empty(wanted, dtype=np.int64)
    best = np.empty(wanted)
    size = 0
    for i in range(cost.shape[0]):
        value = cost[i]
        if size == wanted:
            if value >= best[size - 1]:
                continue
            size -= 1  # the worst leaves the buffer
        place = size
        while place > 0 and best[place - 1] > value:  # after every cost <= value: stable
            best[place] = best[place - 1]
            chosen[place] = chosen[place - 1]
            place -= 1
        best[place] = value
        chosen[place] = i
        size += 1
    return chosen


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
