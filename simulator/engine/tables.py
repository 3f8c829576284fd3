"""The flat arrays of a run, as named tuples the compiled kernels take: structure of arrays, no per-visit objects.

A kernel reads `accounts.last_visit[account]` or `opportunities.stage[o]`; Python code builds these tuples from
the run state and grows the pools (opportunities, the visit log) by doubling before each call, so a kernel never
runs out of room.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

Behaviour = namedtuple("Behaviour", [
    "workday_hours", "admin_share", "admin_share_sd", "manager_share", "travel_sigma", "visit_sigma",
    "due_threshold", "overdue_weight", "opportunity_weight", "potential_weight", "max_detour", "trips",
    "overnight_beyond", "trip_max_days", "trip_radius", "fly_in_beyond", "flight_hours", "remote", "remote_hours",
    "remote_weight", "days_per_quarter"])
PipelineParams = namedtuple("PipelineParams", [
    "stages", "max_stalls", "cycle_median_days", "cycle_sigma", "stall_days", "value_share", "value_sigma",
    "win_probability", "decay", "floor", "recovery", "penalty_days", "discovery_max", "c", "d", "memory_days",
    "max_open", "quarter_end_days", "pull_in", "pull_in_discount", "slip", "days_per_quarter"])
Keys = namedtuple("Keys", ["workday", "visit"])
Seats = namedtuple("Seats", [
    "kind", "multiplier", "ramp", "empty", "open_deals", "calls_due", "backlog", "trip_base", "trip_left", "trip_day",
    "trip_flown", "admin_hours", "home_leg_hours", "idle_hours", "remote_hours", "nights", "flights", "revenue",
    "group_next"])
Territories = namedtuple("Territories", [
    "start", "accounts", "from_home", "visit_hours", "inverse_interval", "farthest", "potential_score", "mean_visit",
    "drive_per_stop", "travel_start", "travel", "xyz_start", "xyz", "hours_per_km", "visit_cap"])
Accounts = namedtuple("Accounts", [
    "seat", "covering_for", "last_visit", "visit_before_today", "last_remote", "remote_before_today", "visit_count",
    "inverse_interval", "interval", "visit_hours", "required", "visit_only", "propensity", "relationship",
    "stock", "stock_time", "need", "need_time", "need_rate", "need_expiry", "change_day", "change_penalty",
    "potential", "first_opportunity", "next_event", "newest_stage_start", "newest_call_start", "quarter_visits",
    "visit_quarter"])

OPPORTUNITY_TYPES = {
    "account": np.int64, "seat_created": np.int64, "value": np.float64, "created": np.float64, "stage": np.int64,
    "stalls": np.int64, "win_draw": np.float64, "stage_began": np.float64, "next_check": np.float64,
    "stage_days": np.float64, "source": np.int8, "status": np.int8, "outcome": np.int8, "closed": np.float64,
    "seat_closed": np.int64, "vacancy": np.bool_, "next_of_account": np.int64, "push_draw": np.float64,
    "handover": np.int8, "discount": np.float64, "pulled": np.bool_, "slipped": np.bool_,
}
Opportunities = namedtuple("Opportunities", list(OPPORTUNITY_TYPES))
VISIT_TYPES = {"seat": np.int64, "account": np.int64, "day": np.int64, "start": np.float64,
               "travel_hours": np.float64, "visit_hours": np.float64}
VisitLog = namedtuple("VisitLog", list(VISIT_TYPES))


def empty_pool(kind: type, types: dict[str, type], capacity: int) -> tuple:
    """A pool of `capacity` rows of every column."""
    return kind(*(np.zeros(capacity, dtype=dtype) for dtype in types.values()))


def reserve(pool: tuple, used: int, extra: int) -> tuple:
    """The pool itself if `extra` more rows fit, else a copy with at least double the room."""
    capacity = len(pool[0])
    if used + extra <= capacity:
        return pool
    capacity = max(2 * capacity, used + extra)
    grown = []
    for column in pool:
        bigger = np.zeros(capacity, dtype=column.dtype)
        bigger[:used] = column[:used]
        grown.append(bigger)
    return type(pool)(*grown)


def columns(pool: tuple, used: int) -> dict[str, np.ndarray]:
    """The used rows of every column, by name."""
    return {name: column[:used] for name, column in zip(pool._fields, pool, strict=True)}
