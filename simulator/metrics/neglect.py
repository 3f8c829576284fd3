"""Customers nobody visited: the accounts an owner held all horizon that got no visit, so none goes unseen silently.

An overloaded territory cannot meet every account's required visits; the planner still rotates through the ones
waiting longest (engine/planning.py), but where even that falls short the run says which accounts went without a
visit, per policy, with their rep, instead of leaving them inside an average.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["sweep_point", "policy", "account_id", "account_name", "rep_name", "potential", "replications",
           "of_replications"]


def never_visited(accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts owned all horizon with no visit in at least one replication, per sweep point and policy.

    `replications` is in how many replications that happened, `of_replications` how many were run; rows are
    ordered by potential, largest first.
    """
    if accounts.empty or "days_without_owner" not in accounts:
        return pd.DataFrame(columns=COLUMNS)
    runs = accounts.groupby(["sweep_point", "policy"], observed=True)["replication"].nunique().rename(
        "of_replications")
    missed = accounts[(accounts["days_without_owner"] == 0) & (accounts["visits"] == 0)]
    if missed.empty:
        return pd.DataFrame(columns=COLUMNS)
    name = missed["account_name"] if "account_name" in missed else pd.Series(None, index=missed.index)
    rows = (missed.assign(account_name=name)
            .groupby(["sweep_point", "policy", "account_id"], observed=True, dropna=False)
            .agg(account_name=("account_name", "first"), rep_name=("rep_name", "first"),
                 potential=("potential", "first"), replications=("replication", "nunique"))
            .reset_index().join(runs, on=["sweep_point", "policy"]))
    return rows.sort_values(["sweep_point", "policy", "potential"], ascending=[True, True, False])[COLUMNS]
