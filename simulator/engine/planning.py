"""Call planning, compiled: which accounts a rep routes today, and travel within a territory.

Due accounts and those with deals needing a touch come first, around the most urgent one (the day's anchor);
underloaded reps top the day up with the best accounts not yet due; accounts whose round trip does not fit in the
day's field time are left out. Plain functions over flat arrays, identical with `NUMBA_DISABLE_JIT=1`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.world.geography import EARTH_RADIUS_KM

MAX_STOPS = 16  # most stops a rep plans in one day
DUE_CAP = 3.0  # an account three intervals overdue is no more urgent than one two intervals overdue
URGENT_BONUS = 10.0  # due accounts and open opportunities come before top-up visits...
DETOUR_PENALTY = 3.0  # ...unless they lie more than about URGENT_BONUS / DETOUR_PENALTY hours from the anchor
DRIVE_PER_STOP_GUESS = 0.2  # hours of driving the planner allows per stop when sizing the day


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
