"""The compiled day step: every seat's working day and its accounts' pipeline, over flat arrays.

Seats interact only at day boundaries (ownership changes at the daily tick), so `play_day` plays a day in phases,
each over all seats: every seat's admin block; the pipeline events of each seat's accounts due before it plans;
every plan (a trip started or carried on; due accounts and open deals near the day's anchor, topped up); every
route (nearest neighbour + 2-opt), drive and visit (each visit can find needs and make an opportunity), then the
calls and the admin put off; and the rest of the day's pipeline events. One call
per phase, not per seat, matters for speed: a call between compiled functions increfs and decrefs every array of
the named tuples it is handed.

The phases live in `trips` (overnight trips), `planning` (call planning), `visits` (routes, drives, visits and
the deals they open; calls and the rest of the day) and `events` (opportunities: stage ends, closes).

Every function is a plain function of its arguments (named tuples of arrays, see `simulator.engine.tables`),
compiled by numba and identical, draw for draw, with the JIT disabled (`NUMBA_DISABLE_JIT=1`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.engine.draws import normal
from simulator.engine.events import resolve_events
from simulator.engine.planning import MAX_STOPS
from simulator.engine.trips import plan_day
from simulator.engine.visits import DAY_SLOTS, MIN_ADMIN_SHARE, drive_routes, end_days

CATCH_UP = 0.5  # a morning admin block takes up to this much more than today's need while admin is put off
# what a seat does today
NO_WORK, REP_DAY, MANAGER_DAY = 0, 1, 2


@njit(cache=True)
def play_days(first_day, last_day, efforts, effectivenesses, ramps, behaviour, pipeline, keys, seats,
              territories, accounts, opportunities, visits, counters):
    """Play days first_day .. last_day - 1 one after another: a stretch with no workforce event in between.

    `efforts`, `effectivenesses` (per day) and `ramps` (day x seat) give each day's pacing and each seat's
    selling capacity on the ramp; everything else is as in `play_day`.
    """
    for day in range(first_day, last_day):
        seats.ramp[:] = ramps[day - first_day]
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
        behaviour: `tables.Behaviour` (workday, call-planning, trip and call parameters).
        pipeline: `tables.PipelineParams`.
        keys: `tables.Keys` (counter-based stream keys of this replication).
        seats: `tables.Seats` (today's kind of work, skill, ramp, trips, admin put off; day logs and revenue).
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
    training = np.zeros(n_seats)
    plan_time = np.full(n_seats + 1, -np.inf)
    backlog, ramp = seats.backlog, seats.ramp  # taken out of the named tuple once, not per seat
    for seat in range(n_seats):
        if seats.kind[seat] != REP_DAY:
            seats.trip_left[seat] = 0  # nobody, or a manager covering the seat, carries on its rep's trip
        if seats.kind[seat] == NO_WORK:
            continue
        on_trip = seats.trip_left[seat] > 0
        admin[seat], field[seat], training[seat] = admin_block(seat, day, effort, seats.kind[seat] == MANAGER_DAY,
                                                               on_trip, behaviour, backlog, ramp, keys.workday)
        seats.admin_hours[seat, day] = admin[seat] + training[seat]
        plan_time[seat] = day + admin[seat] / hours
    resolve_events(plan_time, pipeline, seats, territories, accounts, opportunities)
    working = seats.kind != NO_WORK
    planned = np.empty((n_seats, MAX_STOPS), dtype=np.int64)
    n_planned = np.zeros(n_seats, dtype=np.int64)
    bases = np.zeros(n_seats, dtype=np.int64)
    legs = np.zeros((n_seats, 2))
    plan_day(day, field, effort, working, seats.kind == REP_DAY, behaviour, seats, territories, accounts, planned,
             n_planned, bases, legs)
    clocks = np.zeros(n_seats)  # the hour each seat is back at its base
    drive_routes(day, admin, field, training, working, planned, n_planned, bases, legs, effort, effectiveness,
                 behaviour, pipeline, keys, seats, territories, accounts, opportunities, visits, counters, clocks)
    end_days(day, admin, training, clocks, working, behaviour, pipeline, seats, territories, accounts)
    for seat in range(n_seats):  # a trip day is over: a night away unless it was the last
        if seats.trip_left[seat] > 0:
            seats.trip_left[seat] -= 1
            seats.trip_day[seat] += 1
            seats.nights[seat, day] = 1.0 if seats.trip_left[seat] > 0 else 0.0
    # the rest of the day's events, for every seat's accounts and the unowned ones
    resolve_events(np.full(n_seats + 1, day + 1.0), pipeline, seats, territories, accounts, opportunities)


@njit(cache=True)
def admin_block(seat, day, effort, manager, on_trip, behaviour, backlog, ramp, workday_key):
    """A seat's admin hours (spent first), field hours and onboarding hours today.

    Today's admin need is drawn around its mean share and joins the admin the rep has put off; the morning
    block takes up to today's need (half as much again while catching up) but shrinks to MIN_ADMIN_SHARE on a
    trip day, the rest waiting for time left at the end of a day. Pacing effort stretches the field day
    (squeezing admin, never below MIN_ADMIN_SHARE) or shrinks it (the rep coasts). A ramping rep spends the
    share of the field day it cannot yet sell in onboarding; a manager covering a vacancy gives a share of it.
    """
    hours = behaviour.workday_hours
    share = min(max(behaviour.admin_share + behaviour.admin_share_sd * normal(workday_key, seat, day * DAY_SLOTS),
                    MIN_ADMIN_SHARE), 0.95)
    need = hours * share
    backlog[seat] += need
    block = MIN_ADMIN_SHARE * hours if on_trip else min(need * (1.0 + CATCH_UP), backlog[seat])
    field = min((hours - block) * effort, hours * (1.0 - MIN_ADMIN_SHARE))
    block = min(block, hours - field)
    backlog[seat] = max(backlog[seat] - block, 0.0)
    if manager:
        field *= behaviour.manager_share
    training = field * (1.0 - ramp[seat])
    return block, field - training, training
