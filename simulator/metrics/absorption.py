"""Who absorbed what: for every departing rep, where its accounts went while its seat stood vacant.

Built from the run records only (`events.parquet`): a `vacancy` row names the seat that fell vacant, its leaver
and what it held (accounts, potential, workload); the `reassignment` rows with reason `vacancy_cover` on the same
day that give from that seat say who took what, and the receiver's workload once it had. Each departed rep's
accounts end up in one of three covers:

- `rep`: a receiving rep took them (the neighbours or realign vacancy policies);
- `orphaned`: nobody did (hold, or neighbours without spare capacity);
- `manager`: they stayed with the vacant seat, worked by its manager (the manager policy).

A realign cover may also move accounts between other reps; those moves are in `events.parquet`, not here.

One row per sweep point x policy x departed rep x cover (x receiving rep): the amounts are means over the
replications in which that cover took place (`replications_with` of `replications`), `day` the mean day the rep
left; so a named departure's rows are what happens to that rep's accounts, and random picks give rows per rep
picked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["scenario", "sweep_point", "policy"]
AMOUNTS = ["accounts", "potential", "workload_hours", "workload_after_hours", "workload_after_share"]
COLUMNS = [*KEYS, "departed_rep_id", "departed_rep_name", "day", "cover", "seat", "rep_id", "rep_name", "home_city",
           *AMOUNTS, "replications_with", "replications"]
COVER_ORDER = {"rep": 0, "manager": 1, "orphaned": 2}


def absorption_table(events: pd.DataFrame, runs: pd.DataFrame, policies: list[str],
                     cities: dict[int, np.ndarray] | None = None) -> pd.DataFrame:
    """Who absorbed the accounts of each departing rep, per sweep point and policy (empty without vacancies).

    Args:
        events: the experiment's event rows (run keys on every row), as `events.parquet` holds them.
        runs: one row per run (scenario, sweep_point, policy, replication), to count the replications.
        policies: policy labels in scenario order (the order of the rows).
        cities: home city of every seat, by sweep point (None where unknown).

    Returns:
        The table (columns `COLUMNS`); null where a value does not apply (no receiving rep, no capacity).
    """
    if events.empty or not (events["event"] == "vacancy").any():
        return pd.DataFrame(columns=COLUMNS)
    run_keys = [*KEYS, "replication"]
    vacancies = events.loc[events["event"] == "vacancy", [*run_keys, "day", "seat", "rep_id", "rep_name", "reason",
                                                         "accounts", "potential", "workload_hours"]]
    vacancies = vacancies.rename(columns={"seat": "vacant_seat", "rep_id": "departed_rep_id",
                                          "rep_name": "departed_rep_name", "reason": "vacancy_policy"})
    covers = events[(events["event"] == "reassignment") & (events["reason"] == "vacancy_cover")]
    covers = covers.merge(vacancies[[*run_keys, "day", "vacant_seat", "departed_rep_id", "departed_rep_name"]],
                          left_on=[*run_keys, "day", "from_seat"], right_on=[*run_keys, "day", "vacant_seat"])
    moved = covers.assign(cover=np.where(covers["seat"] >= 0, "rep", "orphaned"),
                          accounts=np.where(covers["seat"] >= 0, covers["accounts"], covers["orphaned"]))
    moved.loc[moved["cover"] == "orphaned", ["workload_after_hours", "workload_after_share"]] = np.nan
    kept = vacancies[vacancies["vacancy_policy"] == "manager"]
    kept = kept.assign(cover="manager", seat=-1, rep_id=None, rep_name=None, workload_after_hours=np.nan,
                       workload_after_share=np.nan)
    rows = pd.concat([frame[[*run_keys, "departed_rep_id", "departed_rep_name", "cover", "seat", "rep_id",
                             "rep_name", *AMOUNTS]] for frame in (moved, kept) if len(frame)], ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    by_rep = (rows["cover"] == "rep").to_numpy()
    rows["seat"] = np.where(by_rep, rows["seat"].to_numpy(), -1)
    for column in ("rep_id", "rep_name"):
        rows[column] = np.where(by_rep, rows[column].to_numpy(dtype=object), None)
    group = [*KEYS, "departed_rep_id", "departed_rep_name", "cover", "seat", "rep_id", "rep_name"]
    per_run = rows.groupby([*group, "replication"], dropna=False, sort=False).agg(
        accounts=("accounts", "sum"), potential=("potential", "sum"),
        workload_hours=("workload_hours", "sum"), workload_after_hours=("workload_after_hours", "max"),
        workload_after_share=("workload_after_share", "max")).reset_index()
    table = per_run.groupby(group, dropna=False, sort=False).agg(
        **{name: (name, "mean") for name in AMOUNTS}, replications_with=("replication", "nunique")).reset_index()
    left = vacancies.groupby([*KEYS, "departed_rep_id"])["day"].mean().rename("day").reset_index()
    table = table.merge(left, on=[*KEYS, "departed_rep_id"], how="left")
    counts = runs.groupby(KEYS)["replication"].nunique().rename("replications").reset_index()
    table = table.merge(counts, on=KEYS, how="left")
    table["home_city"] = [_city(cities, point, seat) for point, seat in
                          zip(table["sweep_point"], table["seat"], strict=True)]
    order = {policy: i for i, policy in enumerate(policies)}
    table = table.assign(_policy=table["policy"].map(order), _cover=table["cover"].map(COVER_ORDER))
    table = table.sort_values(["sweep_point", "_policy", "day", "departed_rep_name", "_cover", "accounts"],
                              ascending=[True, True, True, True, True, False], kind="stable", ignore_index=True)
    table = table[COLUMNS].astype({"seat": np.int64, "replications_with": np.int64, "replications": np.int64})
    for column in ("rep_id", "rep_name", "home_city"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def _city(cities: dict[int, np.ndarray] | None, point: int, seat: int) -> str | None:
    if cities is None or seat < 0 or point not in cities or seat >= len(cities[point]):
        return None
    city = cities[point][seat]
    return None if city is None or (isinstance(city, float) and np.isnan(city)) else str(city)
