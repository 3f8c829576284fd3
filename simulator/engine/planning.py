"""Call planning, compiled: which accounts a rep routes today, from home or from a trip's lodging.

On every day, due accounts and those with deals needing a touch come first, around the most urgent one (the
day's anchor), but only within `max_detour_hours` of it; underloaded reps top the day up with the best accounts
not yet due. No account is planned once it has had `max_visits_over_required` x its required visits this quarter
(rounded up), nor on the day after a visit unless a deal of it needs a touch (`may_visit`): time the cap frees
goes to calls and admin, then idle (`visits.end_days`). The day is sized with the territory's expected drive per
stop. Whether today is a day trip from home or a day of an overnight trip is decided first (`trips`). Plain
functions over flat arrays, identical with `NUMBA_DISABLE_JIT=1`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.world.geography import EARTH_RADIUS_KM

MAX_STOPS = 16  # most stops a rep plans in one day
DUE_CAP = 3.0  # an account three intervals overdue is no more urgent than one two intervals overdue
URGENT_BONUS = 10.0  # due accounts and open opportunities come before top-up visits
DETOUR_PENALTY = 3.0  # hours of detour from the anchor weigh this much against an account's score
ANCHOR_DISTANCE = 1.0  # an hour from the day's base weighs this much against an anchor's score
LONG_OVERDUE = 1.5  # an account this many intervals overdue is long overdue (a trip goes for it)
NEGLECTED = 2.0  # an account this many intervals without a visit is neglected: the longest neglected comes first

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


@njit(cache=True, inline="always")
def neglect(day, last, inverse_interval):
    """Days an account has waited for a visit if it is neglected (NEGLECTED intervals or more), else -inf."""
    return day - last if (day - last) * inverse_interval >= NEGLECTED else -np.inf


@njit(cache=True, inline="always")
def may_visit(day, last, last_remote, newest_stage_start, quarter_visits, visit_quarter, visit_cap, inverse_interval,
              days_per_quarter):
    """Whether an account may be planned today: under its cap and not seen yesterday with no deal waiting.

    Under its visit cap this quarter, and not visited since yesterday began unless a deal of it needs a touch or
    its visit interval is two working days or less (an account that asks for a visit every day or two gets it).
    Takes the account's values, as `urgency` does.
    """
    if visit_quarter == day // days_per_quarter and quarter_visits >= visit_cap:
        return False
    return last < day - 1 or inverse_interval >= 0.5 or newest_stage_start >= max(last, last_remote)


@njit(cache=True, inline="always")
def urgency(day, last, last_remote, inverse_interval, newest_stage_start, position_score, behaviour):
    """(score, urgent, long overdue) of an account today: how overdue, its potential, whether a deal waits.

    Takes the account's values, not its arrays: an array handed to a function, even an inlined one, costs a
    reference count per call, and this runs for every account of every working seat every day.
    """
    overdue = (day - last) * inverse_interval  # intervals
    touch = newest_stage_start >= max(last, last_remote)
    value = behaviour.overdue_weight * min(overdue, DUE_CAP) + position_score
    if touch:
        value += behaviour.opportunity_weight
    urgent = touch or overdue >= behaviour.due_threshold
    if urgent:
        value += URGENT_BONUS
    return value, urgent, overdue >= LONG_OVERDUE


@njit(cache=True)
def plan(day, field_hours, bases, remote_limits, working, behaviour, territories, accounts, chosen, n_chosen):
    """How many accounts each working seat routes today (`n_chosen`); their territory positions go to `chosen`.

    From home (`bases[seat]` 0): accounts within `remote_limits[seat]` whose round trip fits in today's field time.
    From a trip's lodging (`bases[seat]` = its position): accounts within `trips.radius_hours` of it whose round
    trip from it fits; none at its visit cap or seen yesterday with no deal waiting (`may_visit`). Due accounts and
    those with deals needing a touch come first, around the anchor: the neglected account (NEGLECTED) longest without
    a visit, if any (so an overloaded rep still sees every customer in turn), else the most urgent one,
    within `max_detour_hours` of it (a due account farther off waits for a day near it); the day
    holds about field time / (visit + expected drive per stop) stops, plus one (stops that do not fit are skipped
    on the road). One call plans every seat: the arrays are taken out of the named tuples once a day, not once a
    seat (each array handed to a function costs a reference count per call).
    """
    members, from_home, visit_at = territories.accounts, territories.from_home, territories.visit_hours
    potential_score, xyz, hours_per_km = territories.potential_score, territories.xyz, territories.hours_per_km[0]
    # per-account constants come in territory order (a sequential read, not a gather): visit hours, 1 / interval
    interval_at = territories.inverse_interval
    last_visit, last_remote, newest_stage_start = accounts.last_visit, accounts.last_remote, accounts.newest_stage_start
    quarter_visits, visit_quarter, visit_cap = accounts.quarter_visits, accounts.visit_quarter, territories.visit_cap
    largest = 0
    for seat in range(working.shape[0]):
        largest = max(largest, territories.start[seat + 1] - territories.start[seat])
    # room for the largest territory, allocated once a day
    reachable, score, urgent = np.empty(largest, dtype=np.int64), np.empty(largest), np.empty(largest, dtype=np.bool_)
    away_of, cost, waited = np.empty(largest), np.empty(largest), np.empty(largest)
    order, best_costs = np.empty(MAX_STOPS, dtype=np.int64), np.empty(MAX_STOPS)
    others_lose = (DETOUR_PENALTY * behaviour.max_detour - URGENT_BONUS
                   < -(behaviour.overdue_weight * behaviour.due_threshold + behaviour.potential_weight))
    for seat in range(working.shape[0]):
        n_chosen[seat] = 0
        if not working[seat]:
            continue
        start = territories.start[seat]
        n = territories.start[seat + 1] - start
        travel = travel_view(territories.travel, territories.travel_start[seat], n + 1)
        first = territories.xyz_start[seat]
        base, hours = bases[seat], field_hours[seat]
        n_reachable = 0
        for position in range(n):
            if base == 0:
                away = from_home[start + position]
                if away > remote_limits[seat]:
                    continue
            else:
                away = position_hours(travel, xyz, first, hours_per_km, base, position + 1)
                if away > behaviour.trip_radius:
                    continue
            if 2.0 * away + visit_at[start + position] > hours:
                continue
            account = members[start + position]
            if not may_visit(day, last_visit[account], last_remote[account], newest_stage_start[account],
                             quarter_visits[account], visit_quarter[account], visit_cap[start + position],
                             interval_at[start + position], behaviour.days_per_quarter):
                continue  # at its visit cap this quarter, or seen yesterday with no deal waiting
            value, is_urgent, _ = urgency(day, last_visit[account], last_remote[account],
                                          interval_at[start + position], newest_stage_start[account],
                                          potential_score[start + position], behaviour)
            reachable[n_reachable] = position
            away_of[n_reachable] = away
            waited[n_reachable] = neglect(day, last_visit[account], interval_at[start + position])
            score[n_reachable], urgent[n_reachable] = value, is_urgent
            n_reachable += 1
        if n_reachable == 0:
            continue
        per_stop = territories.mean_visit[seat] + territories.drive_per_stop[seat]
        wanted = min(MAX_STOPS, n_reachable, int(hours / per_stop) + 1)
        best, anchor, longest = -np.inf, 0, -np.inf
        for i in range(n_reachable):  # the most urgent account, a little nearer preferred...
            value = score[i] - ANCHOR_DISTANCE * away_of[i]
            if value > best:
                best, anchor = value, reachable[i] + 1
        for i in range(n_reachable):  # ...unless one is neglected: the one longest without a visit
            if waited[i] > longest:
                longest, anchor = waited[i], reachable[i] + 1
        # urgent accounts first: an urgent one within the detour bound costs at most DETOUR_PENALTY x max_detour -
        # URGENT_BONUS; if that is below any account not due can cost and there are enough of them, the others
        # cannot be chosen and their detours need not be computed
        close_urgent = 0
        for i in range(n_reachable):
            if urgent[i]:
                detour = position_hours(travel, xyz, first, hours_per_km, anchor, reachable[i] + 1)
                cost[i] = DETOUR_PENALTY * detour - score[i] if detour <= behaviour.max_detour else np.inf
                if detour <= behaviour.max_detour:
                    close_urgent += 1
        for i in range(n_reachable):
            if not urgent[i]:
                if others_lose and close_urgent >= wanted:
                    cost[i] = np.inf
                else:
                    cost[i] = DETOUR_PENALTY * position_hours(travel, xyz, first, hours_per_km, anchor,
                                                              reachable[i] + 1) - score[i]
        cheapest_into(cost[:n_reachable], wanted, order, best_costs)
        k = 0
        while k < wanted and cost[order[k]] < np.inf:
            chosen[seat, k] = reachable[order[k]]
            k += 1
        n_chosen[seat] = k


@njit(cache=True)
def cheapest(cost, wanted):
    """Indices of the `wanted` smallest costs, cheapest first (ties: the lower index first), in one pass.

    The same as the first `wanted` of a stable argsort: a sorted buffer keeps the best so far, and a cost enters
    only if strictly below the buffer's worst (an equal cost came later, so it loses the tie).
    """
    chosen = np.empty(wanted, dtype=np.int64)
    cheapest_into(cost, wanted, chosen, np.empty(wanted))
    return chosen


@njit(cache=True)
def cheapest_into(cost, wanted, chosen, best):
    """`cheapest`, written into `chosen` (and `best`, the buffer of costs), each with room for `wanted`."""
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
