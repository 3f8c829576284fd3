"""A realistic messy CRM export for tests and benchmarks: five Midwest states, 15 reps, 2,000 accounts.

What issue 25 found on a real-looking export, built in on purpose:
- potential is AnnualRevenue, heavy-tailed (lognormal, sigma 1.6), and one account holds `dominant_share` of it;
- about 3% of accounts have no AnnualRevenue (missing potential), about 12% have a ZIP code but no coordinates;
- owners are mostly the nearest rep, but about 8% of accounts belong to a rep far away (history: a rep kept an
  account when it moved, a key account follows its rep), so some accounts are more than a day's drive from their
  owner; about 3% are unowned;
- one account sits at a rep's home;
- reps have names (and the user file a city), so names can be checked in the output.

`write_midwest_export(folder, seed)` writes `Account.csv` and `User.csv` (Salesforce report columns) and returns
their paths. Everything is drawn from one `numpy.random.Generator` seeded by `seed`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from simulator.world.us import us_zips

STATES = ("IL", "IN", "WI", "IA", "MI")
REPS = (  # name, city, lat, lon
    ("Ann Novak", "Chicago", 41.88, -87.63), ("Ben Ortiz", "Chicago", 41.95, -87.75),
    ("Cara Lind", "Peoria", 40.69, -89.59), ("Dev Patel", "Springfield IL", 39.80, -89.64),
    ("Eli Brandt", "Indianapolis", 39.77, -86.16), ("Fay Moreau", "Fort Wayne", 41.08, -85.14),
    ("Gus Keller", "Milwaukee", 43.04, -87.91), ("Hana Sato", "Madison", 43.07, -89.40),
    ("Ivan Petrov", "Green Bay", 44.51, -88.02), ("Jo Walsh", "Des Moines", 41.59, -93.62),
    ("Kai Jensen", "Cedar Rapids", 41.98, -91.67), ("Lea Fischer", "Detroit", 42.33, -83.05),
    ("Max Rowe", "Grand Rapids", 42.96, -85.67), ("Nia Brooks", "Lansing", 42.73, -84.56),
    ("Omar Haddad", "Detroit", 42.45, -83.20),
)


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def midwest_rows(seed: int = 25, accounts: int = 2_000, dominant_share: float = 0.10,
                 far_owner_share: float = 0.08) -> tuple[list[dict], list[dict]]:
    """Account rows and user rows of the export (Salesforce column names, values as a CRM writes them)."""
    rng = np.random.default_rng(seed)
    zips = us_zips()
    zips = zips[zips["state"].isin(STATES)].reset_index(drop=True)
    weight = zips["labour_share"].to_numpy() + 1e-3
    picked = rng.choice(len(zips), size=accounts, p=weight / weight.sum())
    lat = zips["lat"].to_numpy()[picked] + rng.normal(0, 0.02, accounts)
    lon = zips["lon"].to_numpy()[picked] + rng.normal(0, 0.02, accounts)
    revenue = np.round(np.exp(rng.normal(np.log(250_000), 1.6, accounts)), -2)
    others = revenue.sum() - revenue[0]
    revenue[0] = round(dominant_share / (1 - dominant_share) * others, -2)  # account 0 holds dominant_share
    rep_lat = np.array([r[2] for r in REPS])
    rep_lon = np.array([r[3] for r in REPS])
    distance = _haversine_km(lat[:, None], lon[:, None], rep_lat[None, :], rep_lon[None, :])
    owner = distance.argmin(axis=1)
    far = rng.random(accounts) < far_owner_share
    owner[far] = distance[far].argsort(axis=1)[:, -3:][np.arange(far.sum()), rng.integers(0, 3, far.sum())]
    home = 1  # an account at a rep's home
    lat[home], lon[home] = rep_lat[owner[home]], rep_lon[owner[home]]
    no_revenue = rng.random(accounts) < 0.03
    no_revenue[0] = False
    zip_only = rng.random(accounts) < 0.12
    unowned = rng.random(accounts) < 0.03
    unowned[:2] = False
    rows = []
    for i in range(accounts):
        rows.append({
            "Id": f"001M{i:05d}", "Name": f"Customer {i:04d}",
            "BillingLatitude": "" if zip_only[i] else f"{lat[i]:.5f}",
            "BillingLongitude": "" if zip_only[i] else f"{lon[i]:.5f}",
            "BillingPostalCode": zips["zip"].iloc[picked[i]], "BillingState": zips["state"].iloc[picked[i]],
            "AnnualRevenue": "" if no_revenue[i] else f"{revenue[i]:.0f}",
            "OwnerId": "" if unowned[i] else f"005U{owner[i]:03d}",
        })
    users = [{"Id": f"005U{k:03d}", "Name": name, "City": city, "Latitude": f"{la:.4f}", "Longitude": f"{lo:.4f}",
              "PostalCode": ""} for k, (name, city, la, lo) in enumerate(REPS)]
    return rows, users


def write_midwest_export(folder: Path, seed: int = 25, **options) -> tuple[Path, Path]:
    """Write Account.csv and User.csv into `folder`; returns (accounts path, users path)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, users = midwest_rows(seed, **options)
    paths = folder / "Account.csv", folder / "User.csv"
    for path, table in zip(paths, (rows, users), strict=True):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(table[0]))
            writer.writeheader()
            writer.writerows(table)
    return paths


def write_dominant_world(folder: Path, dominant_share: float, seed: int = 5, state: str = "IL",
                         reps: tuple[int, ...] = (0, 1, 2, 3)) -> Path:
    """A small world-files world where one account holds `dominant_share` of all potential (coverage studies).

    The export's accounts in one state that have coordinates and revenue, served by the given reps of `REPS`, each
    account owned by its nearest rep; segments A/B/C by potential rank (10% / 30% / 60%). Writes accounts.parquet
    and reps.parquet into `folder` and returns it.
    """
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    rows, users = midwest_rows(seed=seed, dominant_share=0.0)
    table = pd.DataFrame(rows)
    table = table[(table["BillingState"] == state) & (table["BillingLatitude"] != "")
                  & (table["AnnualRevenue"] != "")]
    chosen = pd.DataFrame(users).iloc[list(reps)]
    lat, lon = table["BillingLatitude"].astype(float).to_numpy(), table["BillingLongitude"].astype(float).to_numpy()
    rep_lat, rep_lon = chosen["Latitude"].astype(float).to_numpy(), chosen["Longitude"].astype(float).to_numpy()
    owner = chosen["Id"].to_numpy()[_haversine_km(lat[:, None], lon[:, None], rep_lat, rep_lon).argmin(axis=1)]
    potential = table["AnnualRevenue"].astype(float).to_numpy().copy()
    potential[0] = dominant_share / (1 - dominant_share) * (potential.sum() - potential[0])
    rank = np.empty(len(potential), dtype=int)
    rank[np.argsort(-potential, kind="stable")] = np.arange(len(potential))
    segment = np.where(rank < 0.1 * len(potential), "A", np.where(rank < 0.4 * len(potential), "B", "C"))
    pd.DataFrame({"account_id": table["Id"].to_numpy(), "lat": lat, "lon": lon, "potential": potential,
                  "segment": segment, "owner": owner, "unit_id": table["BillingPostalCode"].to_numpy()}
                 ).to_parquet(folder / "accounts.parquet")
    pd.DataFrame({"rep_id": chosen["Id"].to_numpy(), "name": chosen["Name"].to_numpy(), "home_lat": rep_lat,
                  "home_lon": rep_lon, "tenure_days": 730.0}).to_parquet(folder / "reps.parquet")
    return folder
