"""Workforce tables and metrics: who was in which seat, the event log, turnover, vacancies and coverage.

Split from `metrics` to keep each module on one concept: this one reads the workforce side of a run's state
(reps, seat states by day, ownership changes and orphaned accounts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.engine.state import CALENDAR_DAYS_PER_YEAR, VACANT, RunState

EVENT_COLUMNS = ["day", "event", "seat", "rep_id", "rep_name", "reason", "accounts", "orphaned", "potential",
                 "hire_day", "from_seat", "from_rep_id", "from_rep_name", "workload_hours", "workload_after_hours",
                 "workload_after_share"]
NUMERIC_EVENT_COLUMNS = ("accounts", "orphaned", "potential", "hire_day", "workload_hours", "workload_after_hours",
                         "workload_after_share")
TEXT_EVENT_COLUMNS = ("rep_id", "rep_name", "from_rep_id", "from_rep_name")
CHANGE_REASONS = ("realignment", "vacancy_cover", "return")


def reps_frame(state: RunState) -> pd.DataFrame:
    """Every rep who held a seat during the run, with hire, notice and leaving days (simulated days)."""
    rows = [{"rep_id": r.rep_id, "rep_name": r.name or r.rep_id, "seat": r.seat, "initial": r.initial,
             "hired": r.hired, "skill": r.skill, "notice": np.nan if r.notice is None else r.notice,
             "left": np.nan if r.left is None else r.left, "reason": r.reason or ""} for r in state.reps]
    return pd.DataFrame(rows, columns=["rep_id", "rep_name", "seat", "initial", "hired", "skill", "notice", "left",
                                       "reason"])


def events_frame(state: RunState) -> pd.DataFrame:
    """The event log: notices, departures, vacancies, hires, seats opened, realignments and reassignments.

    A reassignment has one row per giving and receiving seat (`from_seat` -> `seat`, -1 for nobody). Rep ids and
    names are null where there is no rep (seat -1); numbers an event does not have are null.
    """
    frame = pd.DataFrame(state.event_log)
    for column in EVENT_COLUMNS:
        if column not in frame:
            frame[column] = np.nan if column in NUMERIC_EVENT_COLUMNS else None
    frame = frame[EVENT_COLUMNS]
    frame["from_seat"] = frame["from_seat"].fillna(-1)
    frame["reason"] = frame["reason"].fillna("")
    frame = frame.astype({"day": float, "seat": np.int64, "reason": str, "from_seat": np.int64,
                          **{column: float for column in NUMERIC_EVENT_COLUMNS}})
    for column in TEXT_EVENT_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    # a vacancy that is never re-hired (no backfill, hiring disabled) has no hire day: null, not -1
    frame["hire_day"] = frame["hire_day"].where(frame["hire_day"] >= 0)
    return frame


def occupants_at(state: RunState, day: int, names: bool = False) -> np.ndarray:
    """rep_id (or name) of whoever held each seat on `day` (None, written as null, where nobody did), in one pass."""
    held = np.full(state.n_seats, None, dtype=object)
    for rep in state.reps:
        if rep.hired <= day and (rep.left is None or day < rep.left):
            held[rep.seat] = (rep.name or rep.rep_id) if names else rep.rep_id
    return held


def ownership_at(state: RunState, day: float) -> np.ndarray:
    """Owner seat of every account at the start of `day`, replayed from the ownership log."""
    seats = state.alignment.account_seats(state.world)
    for when, _reason, moved, _source, target in state.ownership_log:
        if when > day:
            break
        seats[moved] = target
    return seats


def workforce_summary(state: RunState, opportunities: pd.DataFrame) -> dict[str, float]:
    """Turnover, tenure of leavers, vacancies, orphaned accounts, reassignments and revenue on vacancies."""
    reps = reps_frame(state)
    years = state.n_days / (4 * state.days_per_quarter)
    headcount = (state.day_kind == 1).sum(axis=0).mean() if state.n_days else 0.0
    leavers = reps[reps["left"].notna()]
    quits = int((leavers["reason"] == "quit").sum())
    tenure_years = (leavers["left"] - leavers["hired"]) * state.calendar_days_per_day / CALENDAR_DAYS_PER_YEAR
    changed = {reason: 0 for reason in CHANGE_REASONS}
    orphaned_moves = 0
    for _when, reason, _moved, _source, target in state.ownership_log:
        changed[reason] = changed.get(reason, 0) + int((target >= 0).sum())
        orphaned_moves += int((target < 0).sum())
    won = opportunities[opportunities["outcome"] == "won"]
    revenue = float(won["value"].sum())
    vacancy_revenue = float(won.loc[won["vacancy"].astype(bool), "value"].sum())
    potential_days = float(state.potential.sum()) * state.n_days
    return {
        "quits": float(quits),
        "departures": float(len(leavers)),
        "hires": float(int((~reps["initial"]).sum())),
        "mean_headcount": float(headcount),
        "annual_turnover": float(len(leavers) / headcount / years) if headcount else np.nan,
        "annual_quit_rate": float(quits / headcount / years) if headcount else np.nan,
        "mean_tenure_of_leavers_years": float(tenure_years.mean()) if len(leavers) else np.nan,
        "vacancy_days": float((state.seat_state_log == VACANT).sum()),
        "orphaned_account_days": float(state.orphans_by_day.sum()),
        "orphaned_potential_share": float(state.orphan_potential_by_day.sum() / potential_days)
        if potential_days else 0.0,
        **{f"accounts_changed_{reason}": float(count) for reason, count in changed.items()},
        "accounts_orphaned": float(orphaned_moves),
        "accounts_changed_rep_share": float((state.rep_changes > 0).mean()),
        "revenue_vacant_seat_accounts": vacancy_revenue,
        "revenue_vacant_seat_share": vacancy_revenue / revenue if revenue else 0.0,
    }
