"""Turn a run's logs into tidy tables: rep-quarters, accounts, opportunities and the run's headline metrics.

Every row carries its run keys (scenario, policy, replication), as Ciw's records and Mesa's batch rows do, so
tables from many runs concatenate and read directly in pandas, DuckDB or Polars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.behaviour import gini
from simulator.engine.state import RunState
from simulator.metrics.workforce import events_frame, occupants_at, ownership_at, reps_frame, workforce_summary

VISIT_COLUMNS = ["seat", "account", "day", "start", "travel_hours", "visit_hours"]
OUTCOMES = np.array(["open", "won", "lost", "stalled"])  # by events.STILL_OPEN, WON, LOST, STALLED
SOURCES = np.array(["carried", "visit", "inbound"])  # by events.CARRIED, VISIT, INBOUND
OPPORTUNITY_COLUMNS = ["opportunity", "account", "seat_created", "seat_closed", "value", "created", "closed",
                       "outcome", "stage", "source", "vacancy", "pulled_in", "discount", "slipped"]


@dataclass
class RunTables:
    """The tables of one run (policy x replication)."""

    rep_quarters: pd.DataFrame
    accounts: pd.DataFrame
    opportunities: pd.DataFrame
    visits: pd.DataFrame
    rep_days: pd.DataFrame
    summary: dict[str, float]
    events: pd.DataFrame
    reps: pd.DataFrame
    weekly: pd.DataFrame


def visits_frame(state: RunState) -> pd.DataFrame:
    """The visit log: one row per visit with its drive (the leg before it) and visit hours."""
    frame = pd.DataFrame(state.visit_columns())[VISIT_COLUMNS]
    frame["quarter"] = frame["day"] // state.days_per_quarter
    return frame


def opportunities_frame(state: RunState) -> pd.DataFrame:
    """Every opportunity, closed or still open, with created/closed times in simulated working days."""
    made = state.opportunity_columns()
    frame = pd.DataFrame({
        **{name: made[name] for name in ("opportunity", "account", "seat_created", "seat_closed", "value",
                                         "created", "closed", "stage", "discount")},
        "pulled_in": made["pulled"], "slipped": made["slipped"],
        "outcome": OUTCOMES[made["outcome"]], "source": SOURCES[made["source"]], "vacancy": made["vacancy"],
    })[OPPORTUNITY_COLUMNS]
    frame["closed_quarter"] = np.floor(frame["closed"] / state.days_per_quarter)
    frame["created_quarter"] = np.floor(frame["created"] / state.days_per_quarter)
    frame["cycle_calendar_days"] = (frame["closed"] - frame["created"]) * state.calendar_days_per_day
    return frame.sort_values("opportunity", ignore_index=True)


def rep_days_frame(state: RunState, visits: pd.DataFrame) -> pd.DataFrame:
    """Hours of every seat on every day, whether the night was spent away, and fly-in round trips begun.

    Hours: admin (with onboarding), travel (legs, drives home or to and from a trip's lodging), selling (visits),
    remote (calls), idle.

    `kind` says who worked the seat that day: its rep, a manager covering a vacancy, or nobody.
    """
    seats, days = np.meshgrid(np.arange(state.n_seats), np.arange(state.n_days), indexing="ij")
    shape = (state.n_seats, state.n_days)
    flat = visits["seat"].to_numpy(dtype=np.int64) * state.n_days + visits["day"].to_numpy(dtype=np.int64)
    size = state.n_seats * state.n_days
    selling = np.bincount(flat, weights=visits["visit_hours"].to_numpy(float), minlength=size).reshape(shape)
    legs = np.bincount(flat, weights=visits["travel_hours"].to_numpy(float), minlength=size).reshape(shape)
    count = np.bincount(flat, minlength=size).reshape(shape)
    return pd.DataFrame({
        "seat": seats.ravel(), "day": days.ravel(), "quarter": days.ravel() // state.days_per_quarter,
        "kind": np.array(["none", "rep", "manager"])[state.day_kind.ravel()],
        "seat_state": np.array(["pending", "filled", "vacant", "closed"])[state.seat_state_log.ravel()],
        "visits": count.ravel(), "selling_hours": selling.ravel(),
        "travel_hours": (legs + state.home_leg_hours).ravel(), "admin_hours": state.admin_hours.ravel(),
        "remote_hours": state.remote_hours.ravel(), "idle_hours": state.idle_hours.ravel(),
        "nights_away": state.nights.ravel().astype(np.int64), "flights": state.flights.ravel().astype(np.int64),
    })


def run_tables(state: RunState) -> RunTables:
    """All tables of one finished run (without run keys; `experiment` adds them)."""
    visits = visits_frame(state)
    opportunities = opportunities_frame(state)
    rep_days = rep_days_frame(state, visits)
    account_quarter_visits = _account_quarter_visits(state, visits)
    rep_quarters = _rep_quarters(state, rep_days, opportunities, account_quarter_visits)
    accounts = _accounts(state, visits, opportunities, account_quarter_visits)
    summary = _summary(state, rep_quarters, rep_days, opportunities, account_quarter_visits)
    summary.update(workforce_summary(state, opportunities))
    events = events_frame(state)
    return RunTables(rep_quarters, accounts, opportunities, visits, rep_days, summary, events, reps_frame(state),
                     weekly_frame(state, rep_days, opportunities, events))


def weekly_frame(state: RunState, rep_days: pd.DataFrame, opportunities: pd.DataFrame,
                 events: pd.DataFrame) -> pd.DataFrame:
    """Week by week (five working days): visits, revenue closed, headcount, vacant seats, quits and hires.

    The week's position in its quarter (`week_of_quarter`) gives the pacing curve; the rest the workforce timeline.
    """
    days_per_week = 5
    weeks = int(np.ceil(state.n_days / days_per_week))
    week_of_day = np.arange(state.n_days) // days_per_week
    visits = np.bincount(week_of_day[rep_days["day"].to_numpy()], weights=rep_days["visits"].to_numpy(float),
                         minlength=weeks)
    won = opportunities[opportunities["outcome"] == "won"]
    revenue = np.bincount((won["closed"].to_numpy() // days_per_week).astype(np.int64).clip(0, weeks - 1),
                          weights=won["value"].to_numpy(float), minlength=weeks)
    filled = (state.seat_state_log == 1).sum(axis=0)
    vacant = (state.seat_state_log == 2).sum(axis=0)
    event_week = (events["day"].to_numpy() // days_per_week).astype(np.int64)

    def count(kind: str, reason: str | None = None) -> np.ndarray:
        mask = events["event"].to_numpy() == kind
        if reason is not None:
            mask &= events["reason"].to_numpy() == reason
        return np.bincount(event_week[mask], minlength=weeks)[:weeks]

    return pd.DataFrame({
        "week": np.arange(weeks),
        "week_of_quarter": (np.arange(weeks) * days_per_week % state.days_per_quarter) // days_per_week,
        "days": np.bincount(week_of_day, minlength=weeks),
        "visits": visits, "revenue": revenue,
        "headcount": np.bincount(week_of_day, weights=filled, minlength=weeks) / np.bincount(week_of_day),
        "vacant_seats": np.bincount(week_of_day, weights=vacant, minlength=weeks) / np.bincount(week_of_day),
        "quits": count("departure", "quit"), "departures": count("departure"), "hires": count("hire"),
    })


def _account_quarter_visits(state: RunState, visits: pd.DataFrame) -> np.ndarray:
    return _quarter_visits(visits, state.n_accounts, state.quarters)


def _quarter_visits(visits: pd.DataFrame, accounts: int, quarters: int) -> np.ndarray:
    """Visits per account (rows) and quarter (columns)."""
    flat = visits["account"].to_numpy(dtype=np.int64) * quarters + visits["quarter"].to_numpy(dtype=np.int64)
    return np.bincount(flat, minlength=accounts * quarters).reshape(accounts, quarters)


def coverage_gap(required: np.ndarray, quarter_visits: np.ndarray, potential: np.ndarray) -> float:
    """Potential-weighted share of required visits not delivered over the horizon.

    Visits count up to ceil(required) per quarter, so extra calls in one quarter do not make up for a missed
    one, while an account required every other quarter (0.5) visited every other quarter has no gap.
    """
    return float(coverage_shortfall(required, quarter_visits, potential).sum())


def coverage_shortfall(required: np.ndarray, quarter_visits: np.ndarray, potential: np.ndarray) -> np.ndarray:
    """Each account's part of the coverage gap: its shortfall of required visits times its share of potential."""
    quarters = quarter_visits.shape[1]
    delivered = np.minimum(quarter_visits, np.ceil(required)[:, None]).sum(axis=1)
    needed = required * quarters
    shortfall = np.maximum(needed - delivered, 0) / needed
    return shortfall * potential / potential.sum() if potential.sum() > 0 else shortfall / len(shortfall)


def _won(opportunities: pd.DataFrame) -> pd.DataFrame:
    return opportunities[opportunities["outcome"] == "won"]


def _rep_quarters(state: RunState, rep_days: pd.DataFrame, opportunities: pd.DataFrame,
                  account_quarter_visits: np.ndarray) -> pd.DataFrame:
    """One row per seat and quarter, computed a quarter at a time over all seats at once."""
    worked = rep_days.assign(rep_days=rep_days["kind"] == "rep", vacancy_days=rep_days["seat_state"] == "vacant")
    hour_columns = ["selling_hours", "travel_hours", "admin_hours", "remote_hours", "idle_hours"]
    worked.loc[~worked["rep_days"], hour_columns] = 0.0  # a covering manager's hours are not the rep's
    summed = ["visits", *hour_columns, "nights_away", "flights", "rep_days", "vacancy_days"]
    index = pd.MultiIndex.from_product([range(state.n_seats), range(state.quarters)], names=["seat", "quarter"])
    hours = worked.groupby(["seat", "quarter"])[summed].sum().reindex(index, fill_value=0)
    won = _won(opportunities)
    revenue = _by_seat_quarter(state, won["seat_closed"], won["closed_quarter"], won["value"])
    created = _by_seat_quarter(state, opportunities["seat_created"], opportunities["created_quarter"],
                               opportunities["value"])
    seats = np.arange(state.n_seats)
    frames = []
    for quarter in range(state.quarters):
        owner = ownership_at(state, quarter * state.days_per_quarter)
        owned = owner >= 0
        quota = state.quota[:, quarter]
        frames.append(pd.DataFrame({
            "seat": seats, "rep_id": occupants_at(state, (quarter + 1) * state.days_per_quarter - 1),
            "rep_name": occupants_at(state, (quarter + 1) * state.days_per_quarter - 1, names=True),
            "quarter": quarter, "revenue": revenue[:, quarter], "quota": quota,
            "attainment": np.divide(revenue[:, quarter], quota, out=np.full(state.n_seats, np.nan),
                                    where=quota > 0),
            **{column: hours[column].to_numpy().reshape(state.n_seats, state.quarters)[:, quarter]
               for column in summed},
            "required_visits": np.bincount(owner[owned], weights=state.required[owned], minlength=state.n_seats),
            "accounts_owned": np.bincount(owner[owned], minlength=state.n_seats),
            "accounts_not_visited": np.bincount(owner[owned & (account_quarter_visits[:, quarter] == 0)],
                                                minlength=state.n_seats),
            "pipeline_created": created[:, quarter], "pipeline_won": revenue[:, quarter],
        }))
    frame = pd.concat(frames).sort_values(["seat", "quarter"], kind="stable", ignore_index=True)
    counts = ["visits", "nights_away", "flights", "rep_days", "vacancy_days"]
    frame[counts] = frame[counts].astype(np.int64)
    trips = state.scenario.behaviour.trips
    frame["trip_cost"] = frame["nights_away"] * trips.night_cost + frame["flights"] * trips.flight_cost
    return frame


def _by_seat_quarter(state: RunState, seat: pd.Series, quarter: pd.Series, value: pd.Series) -> np.ndarray:
    """Sum of `value` by seat (>= 0) and quarter (within the horizon), as a seats x quarters array."""
    seat, quarter, value = seat.to_numpy(), quarter.to_numpy(), value.to_numpy(dtype=float)
    keep = (seat >= 0) & (quarter >= 0) & (quarter < state.quarters)
    flat = seat[keep].astype(np.int64) * state.quarters + quarter[keep].astype(np.int64)
    return np.bincount(flat, weights=value[keep], minlength=state.n_seats * state.quarters).reshape(
        state.n_seats, state.quarters)


def _accounts(state: RunState, visits: pd.DataFrame, opportunities: pd.DataFrame,
              account_quarter_visits: np.ndarray) -> pd.DataFrame:
    won = _won(opportunities)
    revenue = np.bincount(won["account"].to_numpy(dtype=np.int64), weights=won["value"].to_numpy(float),
                          minlength=state.n_accounts)
    seat = state.account_seat
    return pd.DataFrame({
        "account": np.arange(state.n_accounts),
        "account_id": state.world.accounts["account_id"].to_numpy(),
        "account_name": (state.world.accounts["name"].to_numpy(dtype=object) if "name" in state.world.accounts
                         else np.full(state.n_accounts, None, dtype=object)),  # the CRM's name, null if none
        "segment": state.world.accounts["segment"].to_numpy(),
        "potential": state.potential,
        "seat": seat,
        # null for an unowned account, and for one whose seat is empty at the end
        "rep_id": np.where(seat >= 0, occupants_at(state, state.n_days - 1)[np.maximum(seat, 0)], None),
        "rep_name": np.where(seat >= 0, occupants_at(state, state.n_days - 1, names=True)[np.maximum(seat, 0)],
                             None),
        "visits": account_quarter_visits.sum(axis=1),
        "required_visits": state.required * state.quarters,
        "quarters_without_visit": (account_quarter_visits == 0).sum(axis=1),
        "days_without_owner": state.days_without_owner,
        "days_since_last_visit": state.n_days - state.last_visit,
        "rep_changes": state.rep_changes,
        "revenue": revenue,
    })


def _cv_or_null(values: np.ndarray) -> float:
    """Coefficient of variation; null with fewer than two values, a mean of 0 or a spread too large to compute."""
    if len(values) < 2 or not values.mean() > 0:
        return np.nan
    with np.errstate(over="ignore", invalid="ignore"):
        cv = float(values.std() / values.mean())
    return cv if np.isfinite(cv) else np.nan


def _summary(state: RunState, rep_quarters: pd.DataFrame, rep_days: pd.DataFrame, opportunities: pd.DataFrame,
             account_quarter_visits: np.ndarray) -> dict[str, float]:
    rep_days = rep_days[rep_days["kind"] == "rep"]  # time shares are of reps' paid time
    paid_hours = max(len(rep_days), 1) * state.hours
    staffed = rep_quarters["rep_days"] >= state.days_per_quarter / 2  # rep-quarters: a rep held the seat
    attainment = rep_quarters.loc[staffed, "attainment"].dropna().to_numpy()
    gap = coverage_gap(state.required, account_quarter_visits, state.potential)
    regular = state.required >= 1  # accounts due at least once a quarter
    won = _won(opportunities)
    closed = opportunities[opportunities["outcome"] != "open"]
    month = ((won["closed"] % state.days_per_quarter) * 3 // state.days_per_quarter).to_numpy()
    revenue = float(won["value"].sum())
    new = (opportunities["created"] >= 0).to_numpy()  # created in the horizon, not carried over into it
    return {
        "revenue": revenue,
        "share_rep_quarters_at_quota": float(np.mean(attainment >= 1.0)) if len(attainment) else np.nan,
        "median_attainment": float(np.median(attainment)) if len(attainment) else np.nan,
        "attainment_cv": _cv_or_null(attainment),
        "attainment_gini": gini(np.maximum(attainment, 0)),
        "coverage_gap": gap,
        "unvisited_account_share": float(np.mean(account_quarter_visits[regular] == 0)) if regular.any() else 0.0,
        "selling_share": float(rep_days["selling_hours"].sum() / paid_hours),
        "travel_share": float(rep_days["travel_hours"].sum() / paid_hours),
        "admin_share": float(rep_days["admin_hours"].sum() / paid_hours),
        "remote_share": float(rep_days["remote_hours"].sum() / paid_hours),
        "idle_share": float(rep_days["idle_hours"].sum() / paid_hours),
        "visits_per_rep_day": float(rep_days["visits"].sum() / max(len(rep_days), 1)),
        "month3_revenue_share": float(won["value"].to_numpy()[month == 2].sum() / revenue) if revenue else np.nan,
        "pulled_in_revenue_share": float(won.loc[won["pulled_in"], "value"].sum() / revenue) if revenue else np.nan,
        "pull_in_discount_share": float(won["discount"].sum() / (revenue + won["discount"].sum()))
        if revenue else np.nan,
        "trip_cost_per_rep_quarter": float(rep_quarters.loc[staffed, "trip_cost"].mean()) if staffed.any() else 0.0,
        "win_rate": float((closed["outcome"] == "won").mean()) if len(closed) else np.nan,
        "median_sales_cycle_days": float(closed["cycle_calendar_days"].median()) if len(closed) else np.nan,
        "pipeline_created": float(opportunities.loc[new, "value"].sum()),
        "opportunities_created": float(new.sum()),
    }


def account_contributions(tables: RunTables, metric: str) -> np.ndarray | None:
    """Each account's share of a summary metric that adds up over accounts (None for any other metric).

    Revenue is the value won on the account; the coverage gap is the account's share of required visits not
    delivered, weighted by its share of potential. The shares add up to `tables.summary[metric]`, which is what
    lets a plan search judge a move on the accounts of the seats it touches.
    """
    accounts = tables.accounts
    if metric == "revenue":
        return accounts["revenue"].to_numpy(dtype=float)
    if metric == "coverage_gap":
        quarters = int(tables.rep_quarters["quarter"].max()) + 1
        required = accounts["required_visits"].to_numpy(dtype=float) / quarters
        return coverage_shortfall(required, _quarter_visits(tables.visits, len(accounts), quarters),
                                  accounts["potential"].to_numpy(dtype=float))
    return None
