"""Worlds on the embedded US geography (counties or ZIP points), and the tables behind them.

Accounts are drawn inside units in proportion to labour force (seeded). The as-is split follows history the way
real ones do: reps are allocated to states (small states grouped with a neighbour) by labour force and rounded
to whole reps, then each state group is divided among its reps; rounding leaves some groups over- and some
under-served. Each rep lives in one of the largest centres of its as-is territory (a unit with a large labour
force near the middle of the territory's demand), unless home bases are given. Reps are named "Rep 0", "Rep 1", ...
(or by the given rep_id), with the county nearest their home as home city.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from simulator.scenario import GeographyWorld, Scenario, ScenarioError
from simulator.streams import Streams
from simulator.world.assembly import assemble_world, segments_by_rank, workload_proxy
from simulator.world.geography import EARTH_RADIUS_KM, local_km
from simulator.world.model import World
from simulator.world.power import balanced_centres, every_seat_served, power_assign

LAYERS = {"us_counties": "us_counties.parquet", "us_zips": "us_zips.parquet"}
HOME_DISTANCE_SCALE_KM = 60.0  # a town twice the size is worth living ~40 km further from the middle


@cache
def _table(name: str) -> pd.DataFrame:
    with resources.files("simulator.data").joinpath(name).open("rb") as handle:
        return pd.read_parquet(handle)


def us_counties() -> pd.DataFrame:
    """The embedded contiguous-US county table (a copy)."""
    return _table(LAYERS["us_counties"]).copy()


def us_zips() -> pd.DataFrame:
    """The embedded standard-ZIP table (a copy), with county FIPS and labour-force share."""
    return _table(LAYERS["us_zips"]).copy()


def nearest_county_names(lat: np.ndarray, lon: np.ndarray, max_km: float | None = None) -> list[str | None]:
    """The county (embedded table) whose centre is nearest each point, as "Cook County, IL" ("Parish" in LA).

    None for a point farther than `max_km` from every county centre (outside the contiguous US).
    """
    from scipy.spatial import cKDTree

    counties = _table(LAYERS["us_counties"])
    tree = cKDTree(_unit_vectors(counties["lat"].to_numpy(float), counties["lon"].to_numpy(float)))
    chord, index = tree.query(_unit_vectors(np.asarray(lat, float), np.asarray(lon, float)))
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.atleast_1d(chord) / 2, 1.0))
    names, states = counties["name"].to_numpy(), counties["state"].to_numpy()
    found: list[str | None] = []
    for i, distance in zip(np.atleast_1d(index).tolist(), km.tolist(), strict=True):
        if max_km is not None and distance > max_km:
            found.append(None)
            continue
        kind = "Parish" if states[i] == "LA" else "County"
        found.append(f"{names[i]} {kind}, {states[i]}")
    return found


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def geography_units(config: GeographyWorld, where: str = "scenario") -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """Units of the chosen layer and states: unit_id, lat, lon, state, labour_force, area_km2; and neighbours."""
    counties = us_counties()
    if config.layer == "us_counties":
        units = counties.rename(columns={"fips": "unit_id"})
    else:
        zips = us_zips().merge(counties[["fips", "labour_force", "area_km2"]], left_on="county_fips",
                               right_on="fips", how="inner")
        units = pd.DataFrame({"unit_id": zips["zip"], "lat": zips["lat"], "lon": zips["lon"], "state": zips["state"],
                              "labour_force": zips["labour_force"] * zips["labour_share"],
                              "area_km2": zips["area_km2"] * zips["labour_share"], "county": zips["county_fips"]})
    if config.states:
        unknown = sorted(set(config.states) - set(units["state"]))
        if unknown:
            raise ScenarioError(where, [f"{where}: world.geography.states: unknown or non-contiguous state(s) "
                                        f"{', '.join(unknown)}; expected two-letter codes of the contiguous US"])
        units = units[units["state"].isin(config.states)]
    units = units.reset_index(drop=True)
    neighbours: list[tuple[int, int]] = []
    if config.layer == "us_counties":
        index = {fips: i for i, fips in enumerate(units["unit_id"])}
        neighbours = [(i, index[n]) for i, near in enumerate(units["neighbours"]) for n in near if n in index]
    keep = ["unit_id", "lat", "lon", "state", "labour_force", "area_km2"]
    return units[keep], neighbours


def generate_geography_world(scenario: Scenario) -> World:
    """Build the real-geography world a scenario describes; the same seed gives the same world."""
    config = scenario.world.geography
    assert config is not None, "generate_geography_world needs world.geography"
    where = str(scenario.source or "scenario")
    units, neighbours = geography_units(config, where)
    streams = Streams(config.seed, replication=0)
    unit_xy = local_km(units["lat"].to_numpy(), units["lon"].to_numpy(), float(units["lat"].mean()),
                       float(units["lon"].mean()))
    account_unit, account_xy = _draw_accounts(config, units, unit_xy, streams.generator("world.accounts"))
    potential = config.potential_median * np.exp(
        config.potential_sigma * streams.generator("world.potential").standard_normal(config.accounts))
    segment = segments_by_rank(potential, scenario)
    demand = workload_proxy(account_xy, segment, scenario)

    homes_xy, unit_seat = _as_is(config, units, unit_xy, account_unit, demand, streams, where)
    n_reps = len(homes_xy)
    ref_lat, ref_lon = float(units["lat"].mean()), float(units["lon"].mean())
    acc_lat, acc_lon = _to_latlon(account_xy, ref_lat, ref_lon)
    home_lat, home_lon = _to_latlon(homes_xy, ref_lat, ref_lon)
    given = [h.rep_id for h in config.homes] if config.homes else [None] * n_reps
    accounts = pd.DataFrame({
        "account_id": [f"A{i:06d}" for i in range(config.accounts)], "unit": account_unit.astype(np.int64),
        "lat": acc_lat, "lon": acc_lon, "potential": potential, "segment": segment,
        "owner": unit_seat[account_unit].astype(np.int64),
    })
    reps = pd.DataFrame({
        "rep_id": [rep_id or f"R{i:03d}" for i, rep_id in enumerate(given)],
        "name": [rep_id or f"Rep {i}" for i, rep_id in enumerate(given)],
        "home_city": nearest_county_names(home_lat, home_lon),
        "home_lat": home_lat, "home_lon": home_lon,
        "tenure_days": streams.generator("world.tenure").exponential(config.tenure_years_mean * 365.25, n_reps),
    })
    units = units.assign(owner=unit_seat.astype(np.int64))
    return assemble_world(scenario, units, accounts, reps, name=f"{config.layer}(seed={config.seed})",
                          neighbours=neighbours or None)


def _draw_accounts(config: GeographyWorld, units: pd.DataFrame, unit_xy: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Units in proportion to labour force; points scattered around the unit centre by its size."""
    weight = units["labour_force"].to_numpy(dtype=float)
    unit = rng.choice(len(units), size=config.accounts, p=weight / weight.sum())
    radius = 0.3 * np.sqrt(np.maximum(units["area_km2"].to_numpy(dtype=float), 1.0))
    xy = unit_xy[unit] + rng.standard_normal((config.accounts, 2)) * radius[unit][:, None]
    return unit, xy


def _as_is(config: GeographyWorld, units: pd.DataFrame, unit_xy: np.ndarray, account_unit: np.ndarray,
           demand: np.ndarray, streams: Streams, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Home bases (km coordinates) and the as-is seat of every unit."""
    unit_demand = np.bincount(account_unit, weights=demand, minlength=len(units)) + 1e-9
    if config.homes:
        ref_lat, ref_lon = float(units["lat"].mean()), float(units["lon"].mean())
        homes = local_km(np.array([h.lat for h in config.homes]), np.array([h.lon for h in config.homes]),
                         ref_lat, ref_lon)
        _, bias = balanced_centres(len(homes), unit_xy, unit_demand, streams.generator("world.homes"), homes)
        return homes, power_assign(unit_xy, homes, bias)[0]
    minimum = config.min_group_reps * unit_demand.sum() / config.reps
    groups = state_groups(units, minimum, unit_demand)
    while len(groups) > config.reps:  # fewer reps than states: group more
        minimum *= 1.25
        groups = state_groups(units, minimum, unit_demand)
    group_reps = _allocate(config.reps, np.array([unit_demand[g].sum() for g in groups]))
    unit_seat = np.zeros(len(units), dtype=np.int64)
    homes = []
    labour = units["labour_force"].to_numpy()
    for group_index, (members, k) in enumerate(zip(groups, group_reps, strict=True)):
        rng = streams.generator("world.as_is", group_index)
        centres, bias = balanced_centres(int(k), unit_xy[members], unit_demand[members], rng)
        local = every_seat_served(power_assign(unit_xy[members], centres, bias)[0], unit_xy[members], centres)
        for mine in _by_seat(members, local, int(k)):
            if len(mine):
                unit_seat[mine] = len(homes)
                homes.append(unit_xy[mine[np.argmax(_centre_score(unit_xy[mine], labour[mine], unit_demand[mine]))]])
    if len(homes) != config.reps:
        raise ScenarioError(where, [f"{where}: world.geography.reps: {config.reps} reps cannot be placed in "
                                    f"{len(units)} units"])
    return np.array(homes), unit_seat


def _by_seat(members: np.ndarray, seat: np.ndarray, seats: int) -> list[np.ndarray]:
    """The members of each seat 0..seats-1, in their order."""
    order = np.argsort(seat, kind="stable")
    return np.split(members[order], np.cumsum(np.bincount(seat, minlength=seats))[:-1])


def _centre_score(xy: np.ndarray, labour: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Where a rep lives: a large town (labour force) not far from the middle of the territory's demand."""
    middle = np.average(xy, axis=0, weights=demand)
    return labour * np.exp(-np.linalg.norm(xy - middle, axis=1) / HOME_DISTANCE_SCALE_KM)


def state_groups(units: pd.DataFrame, minimum: float, weight: np.ndarray) -> list[np.ndarray]:
    """Unit indices by state group: states lighter than `minimum` merge into their lightest neighbour state."""
    states = units["state"].to_numpy()
    names = sorted(set(states))
    load = {s: float(weight[states == s].sum()) for s in names}
    adjacent = _state_adjacency(units)
    group_of = {s: s for s in names}
    while True:
        totals: dict[str, float] = {}
        for s in names:
            totals[group_of[s]] = totals.get(group_of[s], 0.0) + load[s]
        light = [g for g, total in sorted(totals.items(), key=lambda item: item[1]) if total < minimum]
        merged = False
        for group in light:
            members = {s for s in names if group_of[s] == group}
            options = {group_of[n] for s in members for n in adjacent.get(s, ())} - {group}
            if options:
                target = min(options, key=lambda g: (totals[g], g))
                for s in members:
                    group_of[s] = target
                merged = True
                break
        if not merged:
            break
    labels = sorted(set(group_of.values()))
    return [np.flatnonzero(np.isin(states, [s for s in names if group_of[s] == label])) for label in labels]


def _state_adjacency(units: pd.DataFrame) -> dict[str, set[str]]:
    """States that touch: counties across the border are neighbours, or ZIP centroids are close."""
    from scipy.spatial import cKDTree

    xy = local_km(units["lat"].to_numpy(), units["lon"].to_numpy(), 39.0, -96.0)
    names, state = np.unique(units["state"].to_numpy(), return_inverse=True)
    pairs = state[cKDTree(xy).query_pairs(r=60.0, output_type="ndarray")].reshape(-1, 2)
    touching: dict[str, set[str]] = {}
    for a, b in np.unique(pairs[pairs[:, 0] != pairs[:, 1]], axis=0).tolist():
        touching.setdefault(names[a], set()).add(names[b])
        touching.setdefault(names[b], set()).add(names[a])
    return touching


def _allocate(reps: int, load: np.ndarray) -> np.ndarray:
    """Whole reps per group in proportion to load, at least one each (largest remainder)."""
    if reps < len(load):
        raise ValueError(f"{reps} reps are fewer than the {len(load)} state groups")
    quota = load / load.sum() * reps
    whole = np.maximum(np.floor(quota).astype(int), 1)
    while whole.sum() > reps:
        whole[np.argmax(np.where(whole > 1, whole - quota, -np.inf))] -= 1
    while whole.sum() < reps:
        whole[np.argmax(quota - whole)] += 1
    return whole


def _to_latlon(xy: np.ndarray, ref_lat: float, ref_lon: float) -> tuple[np.ndarray, np.ndarray]:
    lat = ref_lat + np.degrees(xy[:, 1] / EARTH_RADIUS_KM)
    lon = ref_lon + np.degrees(xy[:, 0] / (EARTH_RADIUS_KM * np.cos(np.radians(ref_lat))))
    return lat, lon
