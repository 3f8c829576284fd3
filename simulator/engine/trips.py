"""Overnight trips, compiled: when a rep leaves home for remote accounts, where it lodges, and how it gets there.

A rep's week is planned by area. Accounts more than `trips.overnight_beyond_hours` from home are covered by
overnight trips: on a day that starts no trip, a rep whose remote accounts are due (or hold deals needing a
touch) starts one, anchored at the most urgent of them however far it is (the neglected one longest without a
visit first), when the due work near it fills a day or its anchor is long overdue. It lasts long enough for the
due work within `trips.radius_hours` of the anchor and for the legs out and back (two to `trips.max_days` days,
never over a weekend: an account whose shortest trip does not fit in what is left of the week waits for
Monday); the lodging is near that anchor. The legs are driven, or flown (`trips.flight_hours` door to door each
way, `trips.flight_cost` the round trip) when the anchor is more than `trips.fly_in_beyond_hours` from home, or
when the drive out and a visit would not fit in the day's field time but a flight and a visit would (`flies`).
When nothing neglected (or, failing that, nothing due) is left near the lodging, the rep drives on in the
morning to the next such remote account within half a day's field time and lodges there (the drive is travel
time). Other days are day trips from home (`planning.plan` chooses every day's stops). Plain functions over
flat arrays, identical with `NUMBA_DISABLE_JIT=1`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.engine.planning import ANCHOR_DISTANCE, may_visit, neglect, plan, position_hours, travel_view, urgency
from simulator.engine.visits import MIN_ADMIN_SHARE

WEEK_DAYS = 5  # working days in a week; trips end by its last
TRIP_MIN_DAYS = 2
TRIP_MIN_WORK = 1.0  # a trip is worth it when its due work fills a field day (or its anchor is long overdue)
LEG_SHARE = 0.5  # a trip is long enough that its legs out and back take at most this share of its field time
SOON_DAYS = 10  # a trip also takes in the remote accounts near its anchor falling due within two weeks
MOVE_SHARE = 0.5  # the drive on to the next lodging takes at most this share of the day's field time


@njit(cache=True, inline="always")
def flies(away, visit_hours, field_hours, behaviour):
    """Whether a trip to a lodging `away` hours' drive from home is flown.

    Flown beyond `trips.fly_in_beyond_hours`, or when the drive out and a visit would not fit in a trip day's
    field time but a flight and a visit would.
    """
    return away > behaviour.fly_in_beyond or (away + visit_hours > field_hours
                                              and behaviour.flight_hours + visit_hours <= field_hours)


@njit(cache=True, inline="always")
def trip_leg(away, flown, behaviour):
    """Hours of a trip's leg out (or back) to a lodging `away` hours' drive from home: flown or driven."""
    return behaviour.flight_hours if flown else away


@njit(cache=True)
def plan_day(day, field, effort, working, may_travel, behaviour, seats, territories, accounts, chosen, n_chosen,
             bases, legs):
    """Every working seat's plan for today: `chosen[seat, :n_chosen[seat]]` are territory positions to route.

    A seat that may travel (a rep, not a covering manager) on no trip may start one today (`seats.trip_*`; a
    fly-in's round-trip flight is logged in `seats.flights` on its first day); on a trip with nothing due near
    the lodging it may move on (`next_lodging`). `bases[seat]` gets today's base (0 = home, else the lodging's
    position) and `legs[seat]` the long legs: out to the lodging (first trip day) or on to the next one, and back
    home (last trip day). Then `plan` chooses every seat's stops.
    """
    members, potential_score, from_home = territories.accounts, territories.potential_score, territories.from_home
    xyz, hours_per_km = territories.xyz, territories.hours_per_km[0]
    # the arrays planning reads, taken out of the named tuples once: handing a tuple of arrays to a function costs
    # a reference count per array per call
    arrays = (accounts.last_visit, accounts.last_remote, accounts.newest_stage_start, accounts.quarter_visits,
              accounts.visit_quarter)
    trip_base, trip_left, trip_day, trip_flown = seats.trip_base, seats.trip_left, seats.trip_day, seats.trip_flown
    field_left = np.zeros(working.shape[0])  # today's field hours less the long legs of a trip
    remote_limits = np.full(working.shape[0], np.inf)  # farthest from home a day trip goes
    for seat in range(working.shape[0]):
        bases[seat], legs[seat, 0], legs[seat, 1] = 0, 0.0, 0.0
        if not working[seat]:
            continue
        start = territories.start[seat]
        n = territories.start[seat + 1] - start
        per_stop = territories.mean_visit[seat] + territories.drive_per_stop[seat]
        travel = travel_view(territories.travel, territories.travel_start[seat], n + 1)
        first = territories.xyz_start[seat]
        if behaviour.trips and may_travel[seat]:
            remote_limits[seat] = behaviour.overnight_beyond
            # a trip day's field time: the morning admin block shrinks to MIN_ADMIN_SHARE (as in `admin_block`)
            trip_field = min(behaviour.workday_hours * (1.0 - MIN_ADMIN_SHARE) * effort,
                             behaviour.workday_hours * (1.0 - MIN_ADMIN_SHARE)) * seats.ramp[seat]
            if (trip_left[seat] == 0 and day % WEEK_DAYS <= WEEK_DAYS - TRIP_MIN_DAYS
                    and territories.farthest[seat] > behaviour.overnight_beyond):  # (no remote account: no trip)
                days, anchor = start_trip(day, trip_field, behaviour, start, n, per_stop, members, from_home,
                                          territories.visit_hours, territories.inverse_interval, potential_score,
                                          arrays, travel, xyz, first, hours_per_km, territories.visit_cap)
                if days > 0:
                    trip_base[seat], trip_left[seat], trip_day[seat] = anchor, days, 0
                    trip_flown[seat] = flies(from_home[start + anchor - 1], territories.visit_hours[start + anchor - 1],
                                             trip_field, behaviour)
                    if trip_flown[seat]:
                        seats.flights[seat, day] = 1.0  # the round trip's fare, on the day it flies out
        if trip_left[seat] > 0:
            base = trip_base[seat]
            if trip_day[seat] == 0:
                legs[seat, 0] = trip_leg(from_home[start + base - 1], trip_flown[seat], behaviour)
            elif trip_left[seat] > 1:
                moved, drive = next_lodging(day, base, MOVE_SHARE * field[seat], behaviour, start, n, members,
                                            from_home, territories.inverse_interval, potential_score, arrays,
                                            travel, xyz, first, hours_per_km, territories.visit_cap)
                base, legs[seat, 0] = moved, drive
                trip_base[seat] = base
            if trip_left[seat] == 1:
                legs[seat, 1] = trip_leg(from_home[start + base - 1], trip_flown[seat], behaviour)
            bases[seat] = base
        field_left[seat] = field[seat] - legs[seat, 0] - legs[seat, 1]
    plan(day, field_left, bases, remote_limits, working, behaviour, territories, accounts, chosen, n_chosen)


@njit(cache=True)
def start_trip(day, field_hours, behaviour, start, n, per_stop, members, from_home, visit_at, interval_at,
               potential_score, arrays, travel, xyz, first, hours_per_km, visit_cap):
    """(days, anchor position) of an overnight trip to start today if remote accounts are due, else (0, 0).

    The anchor is the most urgent remote account that may be visited (`planning.may_visit`) whose leg out (driven,
    or flown beyond `trips.fly_in_beyond_hours`) and a visit fit in today's field time, however far; a
    neglected one (`planning.NEGLECTED`) first, the one longest without a visit (in days), so neither deals
    waiting elsewhere nor bigger accounts keep a rep from a small one for good. The trip goes when the due remote
    work within `trips.radius_hours` of the anchor fills a field day or the anchor is long overdue
    (`planning.LONG_OVERDUE`). It lasts long enough for
    that work plus the legs out and back, and at least `shortest_trip`, at most `trips.max_days` and never past
    the week's last day; an account whose shortest trip does not fit in what is left of the week waits for
    Monday (a nearer one may go today).
    """
    last_visit, last_remote, newest_stage_start, quarter_visits, visit_quarter = arrays
    best, best_score, pressing, neglected = -1, -np.inf, False, False
    days_left = min(WEEK_DAYS - day % WEEK_DAYS, behaviour.trip_max_days)
    for position in range(n):
        away = from_home[start + position]
        if away <= behaviour.overnight_beyond:
            continue  # near enough for a day trip
        flown = flies(away, visit_at[start + position], field_hours, behaviour)
        if trip_leg(away, flown, behaviour) + visit_at[start + position] > field_hours:
            continue  # the leg out and a visit do not fit in today's field time (a new hire stays nearer home)
        if shortest_trip(away, flown, field_hours, behaviour) > days_left:
            continue  # its trip does not fit in what is left of the week: it waits for Monday
        account = members[start + position]
        if not may_visit(day, last_visit[account], last_remote[account], newest_stage_start[account],
                         quarter_visits[account], visit_quarter[account], visit_cap[start + position],
                         interval_at[start + position], behaviour.days_per_quarter):
            continue
        value, urgent, long_overdue = urgency(day, last_visit[account], last_remote[account],
                                              interval_at[start + position], newest_stage_start[account],
                                              potential_score[start + position], behaviour)
        waited = neglect(day, last_visit[account], interval_at[start + position])
        if waited > -np.inf:  # among neglected accounts, the one longest without a visit
            value = waited
        if urgent and (waited > -np.inf, value) > (neglected, best_score):
            best, best_score, pressing, neglected = position, value, long_overdue, waited > -np.inf
    if best < 0:
        return 0, 0
    work = 0.0
    for position in range(n):
        if from_home[start + position] <= behaviour.overnight_beyond:
            continue
        if position_hours(travel, xyz, first, hours_per_km, best + 1, position + 1) > behaviour.trip_radius:
            continue
        account = members[start + position]
        soon = (day + SOON_DAYS - last_visit[account]) * interval_at[start + position]
        if soon >= behaviour.due_threshold or urgency(day, last_visit[account], last_remote[account],
                                                      interval_at[start + position], newest_stage_start[account],
                                                      potential_score[start + position], behaviour)[1]:
            work += per_stop
    if work < TRIP_MIN_WORK * field_hours and not pressing:
        return 0, 0  # not worth a trip yet
    away = from_home[start + best]
    flown = flies(away, visit_at[start + best], field_hours, behaviour)
    legs = 2.0 * trip_leg(away, flown, behaviour)
    # long enough for the work and the legs (and at least `shortest_trip`), within what is left of the week
    days = max(int(math.ceil((work + legs) / max(field_hours, 1e-9))), shortest_trip(away, flown, field_hours,
                                                                                         behaviour))
    return min(days, days_left), best + 1


@njit(cache=True, inline="always")
def shortest_trip(away, flown, field_hours, behaviour):
    """Fewest days of a trip to a lodging `away` hours from home.

    Two, and enough that its legs out and back take at most LEG_SHARE of its field time.
    """
    legs = 2.0 * trip_leg(away, flown, behaviour)
    return max(TRIP_MIN_DAYS, int(math.ceil(legs / (LEG_SHARE * max(field_hours, 1e-9)))))


@njit(cache=True)
def next_lodging(day, base, reach, behaviour, start, n, members, from_home, interval_at, potential_score, arrays,
                 travel, xyz, first, hours_per_km, visit_cap):
    """(lodging, hours of the drive to it) for a trip day after the first.

    The rep stays while a neglected account (`planning.NEGLECTED`) is left near the lodging; else it drives on
    to the neglected remote account longest without a visit within `reach` hours; with none, it stays while due
    work is left near the lodging, else drives on to the most urgent remote account within reach (a nearer one
    preferred); with none of these, it stays.
    """
    last_visit, last_remote, newest_stage_start, quarter_visits, visit_quarter = arrays
    near_long, near_urgent = False, False
    long_best, long_waited, long_drive = base, -np.inf, 0.0
    due_best, due_score, due_drive = base, -np.inf, 0.0
    for position in range(n):
        if from_home[start + position] <= behaviour.overnight_beyond:
            continue
        account = members[start + position]
        if not may_visit(day, last_visit[account], last_remote[account], newest_stage_start[account],
                         quarter_visits[account], visit_quarter[account], visit_cap[start + position],
                         interval_at[start + position], behaviour.days_per_quarter):
            continue
        value, urgent, _ = urgency(day, last_visit[account], last_remote[account], interval_at[start + position],
                                   newest_stage_start[account], potential_score[start + position], behaviour)
        if not urgent:
            continue
        away = position_hours(travel, xyz, first, hours_per_km, base, position + 1)
        waited = neglect(day, last_visit[account], interval_at[start + position])
        if away <= behaviour.trip_radius:
            near_long |= waited > -np.inf
            near_urgent = True
        elif away <= reach:
            if waited > long_waited:
                long_best, long_waited, long_drive = position + 1, waited, away
            if value - ANCHOR_DISTANCE * away > due_score:
                due_best, due_score, due_drive = position + 1, value - ANCHOR_DISTANCE * away, away
    if near_long:
        return base, 0.0
    if long_waited > -np.inf:
        return long_best, long_drive
    if near_urgent:
        return base, 0.0
    return due_best, due_drive
