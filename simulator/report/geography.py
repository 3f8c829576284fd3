"""The report's map background and place names, from the geography embedded in the package (`simulator.data`).

An imported world's units are ZIP points: drawn alone they float on a blank page, and a reader cannot tell
Illinois from Iowa. So the map draws, under the account dots, the outlines of the states the world's units and
rep homes fall in (`us_states.parquet`, built by `simulator.data.build_us_geography`), and its extent is those
states, not the whole country. Place names replace raw identifiers where a person reads them: a county unit is
"Cook County, IL", a ZIP unit "ZIP 60601", a rep's home "near Cook County, IL" when the run folder has no city.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

MIN_STATE_SHARE = 0.01  # a state holding fewer of the points (placed by position) gets no outline
PAD = 0.03  # the map extent: the states' bounding box and 3% of its size on each side
DECIMALS = 2  # outline coordinates in the page, in degrees (about 1 km)


@cache
def _table(name: str, columns: tuple[str, ...]) -> pd.DataFrame | None:
    try:
        with resources.files("simulator.data").joinpath(name).open("rb") as handle:
            return pd.read_parquet(handle, columns=list(columns))
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def _states() -> pd.DataFrame | None:
    return _table("us_states.parquet", ("state", "boundary_lat", "boundary_lon"))


def _inside(lat: np.ndarray, lon: np.ndarray, ring_lat: np.ndarray, ring_lon: np.ndarray) -> np.ndarray:
    """Whether each point lies inside the rings (NaN-separated; even-odd rule, so holes and islands work)."""
    inside = np.zeros(len(lat), dtype=bool)
    breaks = np.flatnonzero(np.isnan(ring_lat))
    for ring in np.split(np.arange(len(ring_lat)), breaks):
        ring = ring[~np.isnan(ring_lat[ring])]
        if len(ring) < 3:
            continue
        y0, x0 = ring_lat[ring], ring_lon[ring]
        y1, x1 = np.roll(y0, -1), np.roll(x0, -1)
        crosses = (y0[None, :] > lat[:, None]) != (y1[None, :] > lat[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x0[None, :] + (lat[:, None] - y0[None, :]) * (x1 - x0)[None, :] / (y1 - y0)[None, :]
        inside ^= (crosses & (lon[:, None] < x_at)).sum(axis=1) % 2 == 1
    return inside


def states_of(lat: np.ndarray, lon: np.ndarray, unit_ids: pd.Series | None = None) -> list[str]:
    """The states (postal codes, sorted) the units are in; empty outside the contiguous US.

    ZIP and county units take their state from the embedded tables (exact). Other points are placed by their
    position in the outlines, and a state counts when it holds at least `MIN_STATE_SHARE` of them: a point on a
    border river can fall on the wrong side of a 2 km outline, and must not add a neighbouring state.
    """
    table = _states()
    if table is None or not len(lat):
        return []
    known = _known_states(unit_ids)
    if known is not None:
        return sorted(set(known) & set(table["state"]))
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    found = []
    for row in table.itertuples():
        ring_lat = np.asarray(row.boundary_lat, dtype=float)
        ring_lon = np.asarray(row.boundary_lon, dtype=float)
        near = ((lat >= np.nanmin(ring_lat)) & (lat <= np.nanmax(ring_lat)) & (lon >= np.nanmin(ring_lon))
                & (lon <= np.nanmax(ring_lon)))
        if near.sum() >= MIN_STATE_SHARE * len(lat) and \
                _inside(lat[near], lon[near], ring_lat, ring_lon).sum() >= MIN_STATE_SHARE * len(lat):
            found.append(str(row.state))
    return sorted(found)


def _known_states(unit_ids: pd.Series | None) -> list[str] | None:
    """The units' states when every unit is a county (FIPS) or every unit a ZIP of the embedded tables."""
    if unit_ids is None:
        return None
    ids = unit_ids.astype(str)
    for name, key in (("us_counties.parquet", "fips"), ("us_zips.parquet", "zip")):
        table = _table(name, (key, "state"))
        if table is not None and ids.isin(table[key]).all():
            return table.set_index(key)["state"].reindex(ids.unique()).unique().tolist()
    return None


def outlines(lat: np.ndarray, lon: np.ndarray, unit_ids: pd.Series | None = None,
             home_lat: np.ndarray | None = None, home_lon: np.ndarray | None = None) -> dict | None:
    """The outlines of the units' states, and the map extent around them and every point; None without states.

    The extent is the states' bounding box, widened to hold every unit and rep home (an account or a home
    outside the outlined states stays on the map), with `PAD` on each side.

    Returns:
        {"states": postal codes, "x": longitudes, "y": latitudes (rings separated by null, as plotly draws
        them), "extent": {"lon": [west, east], "lat": [south, north]}}.
    """
    wanted = states_of(lat, lon, unit_ids)
    if not wanted:
        return None
    table = _states().set_index("state")
    x: list[float | None] = []
    y: list[float | None] = []
    for state in wanted:
        ring_lat = np.round(np.asarray(table.at[state, "boundary_lat"], dtype=float), DECIMALS)
        ring_lon = np.round(np.asarray(table.at[state, "boundary_lon"], dtype=float), DECIMALS)
        for ring in np.split(np.arange(len(ring_lat)), np.flatnonzero(np.isnan(ring_lat))):
            ring = ring[~np.isnan(ring_lat[ring])]
            x += [*ring_lon[ring].tolist(), float(ring_lon[ring[0]]), None]
            y += [*ring_lat[ring].tolist(), float(ring_lat[ring[0]]), None]
    xs = np.array([v for v in x if v is not None] + list(lon) + list(home_lon if home_lon is not None else []))
    ys = np.array([v for v in y if v is not None] + list(lat) + list(home_lat if home_lat is not None else []))
    pad_x, pad_y = PAD * (xs.max() - xs.min()), PAD * (ys.max() - ys.min())
    return {"states": wanted, "x": x[:-1], "y": y[:-1], "extent": {
        "lon": [round(float(xs.min() - pad_x), DECIMALS), round(float(xs.max() + pad_x), DECIMALS)],
        "lat": [round(float(ys.min() - pad_y), DECIMALS), round(float(ys.max() + pad_y), DECIMALS)]}}


def unit_labels(unit_ids: pd.Series) -> list[str]:
    """How a person reads each unit: a county by its name, a ZIP as "ZIP 60601", anything else as it is."""
    ids = unit_ids.astype(str)
    counties = _table("us_counties.parquet", ("fips", "name", "state"))
    zips = _table("us_zips.parquet", ("zip",))
    if counties is not None and ids.isin(counties["fips"]).all():
        named = counties.set_index("fips")
        return [_county_name(named.at[i, "name"], named.at[i, "state"]) for i in ids]
    if zips is not None and ids.isin(zips["zip"]).all():
        return [f"ZIP {i}" for i in ids]
    return ids.tolist()


def nearest_places(lat: np.ndarray, lon: np.ndarray, max_km: float = 50.0) -> list[str | None]:
    """'near <the nearest county>, ST' for each point (its centre within `max_km`), else None."""
    counties = _table("us_counties.parquet", ("name", "state", "lat", "lon"))
    if counties is None:
        return [None] * len(lat)
    c_lat = np.radians(counties["lat"].to_numpy(dtype=float))
    c_lon = np.radians(counties["lon"].to_numpy(dtype=float))
    places: list[str | None] = []
    for p_lat, p_lon in zip(np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float)), strict=True):
        km = 6371.0 * np.hypot(c_lat - p_lat, (c_lon - p_lon) * np.cos(p_lat))  # equirectangular: fine at 50 km
        best = int(np.argmin(km))
        places.append(f"near {_county_name(counties['name'].iat[best], counties['state'].iat[best])}"
                      if km[best] <= max_km else None)
    return places


def _county_name(name: str, state: str) -> str:
    return f"{name} {'Parish' if state == 'LA' else 'County'}, {state}"
