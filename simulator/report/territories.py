"""The report's territories: one map with a policy selector, coloured so that neighbours differ, and a table.

The units' shapes are embedded once (county polygons from the packaged boundaries, delta-coded integers at 0.01
degree; other units as points), and every policy adds only its unit -> territory assignment, each territory's
colour and its row of numbers. The page's script draws the selected policy (`page.MAP_SCRIPT`). Territories are
coloured by greedy graph colouring (networkx) of the territory adjacency (two territories touch when two of their
units do: shared county borders, or the Delaunay triangulation of unit points), so adjacent territories never
share a colour.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import Delaunay

from simulator.catalogue import format_difference, format_level, in_sentence, metric
from simulator.report.geography import nearest_places, outlines, unit_labels

# a qualitative palette: the greedy colouring of a planar map needs few colours, rarely more than six
TERRITORY_COLOURS = ["#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#ffffb3",
                     "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9"]
SCALE = 100  # polygon coordinates are sent as integers of 0.01 degree (about 1 km)
MAX_POLYGON_UNITS = 4000


@cache
def _boundaries() -> pd.DataFrame | None:
    try:
        with resources.files("simulator.data").joinpath("us_counties.parquet").open("rb") as handle:
            return pd.read_parquet(handle, columns=["fips", "neighbours", "boundary_lat", "boundary_lon"]) \
                .set_index("fips")
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def unit_frame(alignment: pd.DataFrame) -> pd.DataFrame:
    """The units (in unit order) with their position: unit, unit_id, lat, lon."""
    first = alignment[alignment["policy"] == alignment["policy"].iloc[0]]
    return first[["unit", "unit_id", "lat", "lon"]].sort_values("unit").reset_index(drop=True)


def unit_adjacency(units: pd.DataFrame) -> list[tuple[int, int]]:
    """Pairs of unit positions that touch: county neighbours when the units are counties, else Delaunay edges."""
    ids = units["unit_id"].astype(str)
    boundaries = _boundaries()
    if boundaries is not None and ids.isin(boundaries.index).all():
        position = {unit_id: i for i, unit_id in enumerate(ids)}
        return [(i, position[n]) for i, unit_id in enumerate(ids)
                for n in boundaries.at[unit_id, "neighbours"] if n in position and position[n] > i]
    points = units[["lon", "lat"]].to_numpy(dtype=float)
    if len(points) < 3:
        return [(i, j) for i in range(len(points)) for j in range(i + 1, len(points))]
    try:
        triangles = Delaunay(points).simplices
    except Exception:  # noqa: BLE001 - collinear or duplicate points: fall back to nearest neighbours in order
        order = np.lexsort((points[:, 1], points[:, 0]))
        return [(int(a), int(b)) for a, b in zip(order[:-1], order[1:], strict=True)]
    edges = {tuple(sorted((int(t[a]), int(t[b])))) for t in triangles for a, b in ((0, 1), (1, 2), (0, 2))}
    return sorted(edges)


def territory_colours(unit_seats: np.ndarray, adjacency: list[tuple[int, int]]) -> dict[int, int]:
    """A colour index per seat such that territories with touching units never share one (greedy colouring)."""
    graph = nx.Graph()
    graph.add_nodes_from(int(s) for s in np.unique(unit_seats) if s >= 0)
    graph.add_edges_from((int(unit_seats[a]), int(unit_seats[b])) for a, b in adjacency
                         if unit_seats[a] != unit_seats[b] and unit_seats[a] >= 0 and unit_seats[b] >= 0)
    return nx.greedy_color(graph, strategy="saturation_largest_first")


def encoded_shapes(units: pd.DataFrame) -> dict:
    """The units' shapes for the page: polygons (delta-coded 0.01-degree integers, rings split by NaN) or points."""
    ids = units["unit_id"].astype(str)
    boundaries = _boundaries()
    if boundaries is None or len(units) > MAX_POLYGON_UNITS or not ids.isin(boundaries.index).all():
        return {"kind": "points"}
    shapes = []
    for unit_id in ids:
        lat = np.asarray(boundaries.at[unit_id, "boundary_lat"], dtype=float)
        lon = np.asarray(boundaries.at[unit_id, "boundary_lon"], dtype=float)
        rings = np.split(np.arange(len(lat)), np.flatnonzero(np.isnan(lat)))
        coded = []
        for ring in rings:
            ring = ring[~np.isnan(lat[ring])]
            if len(ring) < 3:
                continue
            x, y = np.round(lon[ring] * SCALE).astype(int), np.round(lat[ring] * SCALE).astype(int)
            keep = np.r_[True, (np.diff(x) != 0) | (np.diff(y) != 0)]  # drop points that round onto the last
            x, y = x[keep], y[keep]
            coded.append([int(x[0]), int(y[0]), *np.ravel(np.column_stack((np.diff(x), np.diff(y)))).tolist()])
        shapes.append(coded)
    return {"kind": "polygons", "scale": SCALE, "shapes": shapes}


def territory_rows(policy: str, territories: pd.DataFrame, rep_quarters: pd.DataFrame, accounts: pd.DataFrame,
                   assignments: pd.DataFrame, baseline: str) -> list[dict]:
    """One row per seat of a policy's plan: rep, home, size, workload, money, attainment, coverage, vacancies, moves."""
    seats = territories[territories["policy"] == policy].sort_values("seat")
    quarters = rep_quarters[rep_quarters["policy"] == policy]
    replications = max(int(quarters["replication"].nunique()), 1)
    staffed = quarters[(quarters["quota"] > 0) & (quarters["rep_days"] >= quarters["rep_days"].max() / 2)]
    attainment = staffed.groupby("seat")["attainment"].agg(["mean", "min", "max"])
    quota = quarters[quarters["quota"] > 0].groupby("seat")["quota"].mean()
    vacancy = quarters.groupby("seat")["vacancy_days"].sum() / replications
    mine = accounts[accounts["policy"] == policy]
    weight = mine["potential"] * mine["required_visits"]
    made = mine["potential"] * np.minimum(mine["visits"], mine["required_visits"])
    per_seat = pd.DataFrame({"seat": mine["seat"], "weight": weight, "made": made}).groupby("seat").sum()
    gap = 1 - per_seat["made"] / per_seat["weight"].replace(0, np.nan)
    plan = assignments[assignments["policy"] == policy].set_index("account_id")["seat"]
    base = assignments[assignments["policy"] == baseline].set_index("account_id")["seat"].reindex(plan.index)
    gained = plan[plan != base].value_counts()
    lost = base[plan != base].value_counts()
    names, homes = rep_names(seats), rep_homes(seats)
    rows = []
    for seat, name, home in zip(seats.itertuples(), names, homes, strict=True):
        s = int(seat.seat)
        att = attainment.loc[s] if s in attainment.index else None
        rows.append({
            "seat": s, "rep": name, "rep_id": None if pd.isna(seat.rep_id) else str(seat.rep_id), "home": home,
            "accounts": int(seat.accounts), "workload": float(seat.workload_hours), "potential": float(seat.potential),
            "quota": _finite(quota.get(s)), "attainment": _finite(att["mean"] if att is not None else None),
            "attainment_low": _finite(att["min"] if att is not None else None),
            "attainment_high": _finite(att["max"] if att is not None else None),
            "coverage_gap": _finite(gap.get(s)), "vacancy_days": float(vacancy.get(s, 0.0)),
            "gained": int(gained.get(s, 0)), "lost": int(lost.get(s, 0)),
            "home_lat": float(seat.home_lat), "home_lon": float(seat.home_lon),
        })
    return rows


def rep_names(seats: pd.DataFrame) -> list[str]:
    """Each seat's rep as a person reads it: the run folder's `rep_name`, else "rep in seat N" (old run folders).

    A raw CRM Id is never the only label: it has its own column in the table.
    """
    names = seats["rep_name"] if "rep_name" in seats else pd.Series(None, index=seats.index, dtype=object)
    return [str(name).strip() if isinstance(name, str) and name.strip() else
            (f"rep in seat {int(seat) + 1}" if isinstance(rep, str) and rep else f"vacant seat {int(seat) + 1}")
            for name, rep, seat in zip(names, seats["rep_id"], seats["seat"], strict=True)]


def rep_homes(seats: pd.DataFrame) -> list[str]:
    """Each seat's home: the run folder's `home_city`, else the nearest county, else its coordinates."""
    cities = seats["home_city"] if "home_city" in seats else pd.Series(None, index=seats.index, dtype=object)
    near = nearest_places(seats["home_lat"].to_numpy(dtype=float), seats["home_lon"].to_numpy(dtype=float))
    return [str(city).strip() if isinstance(city, str) and city.strip() else place or f"{lat:.2f}, {lon:.2f}"
            for city, place, lat, lon in zip(cities, near, seats["home_lat"], seats["home_lon"], strict=True)]


def _finite(value: object) -> float | None:
    """A float, or None (null in the page's JSON) when undefined."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def row_text(row: dict) -> dict[str, str]:
    """A territory row's numbers as text (the metric catalogue's formats where a metric applies)."""
    attainment = format_level("median_attainment", row["attainment"])
    if row["attainment_low"] is not None:
        attainment += (f" ({format_level('median_attainment', row['attainment_low'])} to "
                       f"{format_level('median_attainment', row['attainment_high'])})")
    return {
        "rep": row["rep"], "rep_id": row["rep_id"] or "", "home": row["home"], "accounts": f"{row['accounts']:,}",
        "workload": f"{row['workload']:,.0f} h", "potential": format_level("revenue", row["potential"]),
        "quota": format_level("revenue", row["quota"]), "attainment": attainment,
        "coverage_gap": format_level("coverage_gap", row["coverage_gap"]),
        "vacancy_days": format_level("vacancy_days", row["vacancy_days"]),
        "gained": f"{row['gained']:,}", "lost": f"{row['lost']:,}",
    }


def map_data(policies: list[str], baseline: str, alignment: pd.DataFrame, territories: pd.DataFrame,
             rep_quarters: pd.DataFrame, accounts: pd.DataFrame, assignments: pd.DataFrame,
             searches: dict[str, dict] | None = None, real_places: bool = True, id_label: str = "rep Id") -> dict:
    """Everything the page's map and territory table need, for every policy (sweep point 0).

    `real_places`: the units are real places, so the map draws the outlines of their states beneath them and
    keeps to those states (False for a synthetic world, whose positions only borrow a region's coordinates).
    `id_label` heads the column of rep identifiers ("CRM Id" for an imported world).

    `searches` (policy -> the manifest's plan search record): the units a search moved are marked, with the step
    and the simulated difference each made (on the search's replications), for the map's "moved" view.
    """
    alignment = alignment[alignment["sweep_point"] == 0]
    units = unit_frame(alignment)
    adjacency = unit_adjacency(units)
    base_seats = _unit_seats(alignment, baseline, len(units))
    plans = {}
    for policy in policies:
        seats = _unit_seats(alignment, policy, len(units))
        colours = territory_colours(seats, adjacency)
        rows = territory_rows(policy, territories[territories["sweep_point"] == 0],
                              rep_quarters[rep_quarters["sweep_point"] == 0], accounts[accounts["sweep_point"] == 0],
                              assignments[assignments["sweep_point"] == 0], baseline)
        searched, named = {}, {r["rep_id"]: r["rep"] for r in rows}
        for move in (searches or {}).get(policy, {}).get("moves", []):
            key = (searches or {})[policy]["primary"]
            searched[move["unit_id"]] = (f"step {move['step']} of the search moved it from "
                                         f"{named.get(move['from'], move['from'])} to "
                                         f"{named.get(move['to'], move['to'])} (a simulated "
                                         f"{format_difference(key, move['difference'])} "
                                         f"in {in_sentence(metric(key).label)})")
        plans[policy] = {
            "unit_seat": seats.tolist(), "moved": (seats != base_seats).astype(int).tolist(),
            "searched": {str(u): searched[i] for u, i in enumerate(units["unit_id"].astype(str)) if i in searched},
            "colour": {str(seat): TERRITORY_COLOURS[c % len(TERRITORY_COLOURS)] for seat, c in colours.items()},
            "rows": rows, "text": {str(r["seat"]): row_text(r) for r in rows},
        }
    homes = territories[territories["sweep_point"] == 0]
    background = outlines(units["lat"].to_numpy(dtype=float), units["lon"].to_numpy(dtype=float), units["unit_id"],
                          homes["home_lat"].to_numpy(dtype=float), homes["home_lon"].to_numpy(dtype=float)) \
        if real_places else None
    return {"policies": policies, "baseline": baseline, "id_label": id_label, "units": {
        "lat": np.round(units["lat"].to_numpy(dtype=float), 3).tolist(),
        "lon": np.round(units["lon"].to_numpy(dtype=float), 3).tolist(),
        "id": unit_labels(units["unit_id"])}, "shapes": encoded_shapes(units), "outlines": background,
        "plans": plans}


def _unit_seats(alignment: pd.DataFrame, policy: str, n: int) -> np.ndarray:
    seats = np.full(n, -1, dtype=np.int64)
    rows = alignment[alignment["policy"] == policy]
    seats[rows["unit"].to_numpy(dtype=np.int64)] = rows["seat"].to_numpy(dtype=np.int64)
    return seats
