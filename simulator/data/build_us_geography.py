"""Build the embedded US geography: contiguous-US counties, state outlines and standard ZIP points, as Parquet.

Run once, when the sources change; the outputs are committed next to this script:

    pip install ".[geodata]"      # bokeh_sampledata, shapely, zipcodes (build time only)
    python -m simulator.data.build_us_geography

Sources (both offline, in PyPI packages):
- counties: Census TIGER/Line 2009 county polygons and the 2009 BLS Local Area Unemployment Statistics labour
  force, as shipped by `bokeh_sampledata` (Census and BLS data, public domain / redistributable with credit);
- ZIP codes: the `zipcodes` package (MIT), standard ZIPs with their coordinates and county name.

Outputs:
- us_counties.parquet: fips, name, state, lat, lon (polygon centroid), area_km2, labour_force, neighbours
  (FIPS of counties sharing boundary, Queen contiguity), boundary_lat / boundary_lon (simplified exterior rings,
  rings separated by NaN);
- us_states.parquet: state, boundary_lat / boundary_lon (the state's outline: its counties dissolved, then
  simplified to about 2 km, islands under ~10 km2 dropped; rings separated by NaN), drawn under the accounts on the
  report's map, which would otherwise show imported accounts (ZIP points) on a blank page;
- us_zips.parquet: zip, state, lat, lon, county_fips, labour_share (the ZIP's share of its county's labour
  force: an equal split over the county's standard ZIPs, as no per-ZIP population ships offline).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
NOT_CONTIGUOUS = {"AK", "HI", "PR", "VI", "GU", "AS", "MP"}
TOUCH_DEGREES = 1e-3  # polygons closer than ~100 m count as sharing a boundary (simplified TIGER has slivers)
SIMPLIFY_DEGREES = 0.01
STATE_SIMPLIFY_DEGREES = 0.02  # outlines only: coarser than the county polygons, the file stays small
STATE_GAP_DEGREES = 0.005  # closes the slivers between simplified TIGER counties before dissolving
STATE_MIN_RING_DEGREES2 = 1e-3  # ~10 km2: smaller islands are dropped from the outlines
KM_PER_DEGREE = 111.32


def labour_force_by_fips() -> dict[str, int]:
    """2009 labour force per county FIPS from the BLS LAUS table shipped with bokeh_sampledata."""
    raw = resources.files("bokeh_sampledata").joinpath("_data/unemployment09.csv.gz").read_bytes()
    table = {}
    for row in csv.reader(io.StringIO(gzip.decompress(raw).decode("latin-1"))):
        fips = row[1].strip().zfill(2) + row[2].strip().zfill(3)
        table[fips] = int(row[5].replace(",", "").strip())
    return table


def counties() -> pd.DataFrame:
    """Contiguous-US counties with labour force, area, Queen neighbours and simplified boundaries."""
    from bokeh_sampledata.us_counties import records
    from shapely import STRtree

    labour = labour_force_by_fips()
    kept = [r for r in records() if r["state"] not in NOT_CONTIGUOUS and r["fips"] in labour]
    geometries = [r["geometry"] for r in kept]
    tree = STRtree(geometries)
    left, right = tree.query(geometries, predicate="dwithin", distance=TOUCH_DEGREES)
    neighbours: list[list[str]] = [[] for _ in kept]
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a != b:
            neighbours[a].append(kept[b]["fips"])
    rows = []
    for record, geometry, near in zip(kept, geometries, neighbours, strict=True):
        centroid = geometry.centroid
        lat_scale = math.cos(math.radians(centroid.y))
        ring_lat, ring_lon = _rings(geometry.simplify(SIMPLIFY_DEGREES, preserve_topology=True))
        rows.append({
            "fips": record["fips"], "name": record["name"], "state": record["state"],
            "lat": centroid.y, "lon": centroid.x,
            "area_km2": geometry.area * KM_PER_DEGREE**2 * lat_scale,
            "labour_force": labour[record["fips"]],
            "neighbours": sorted(near),
            "boundary_lat": ring_lat, "boundary_lon": ring_lon,
        })
    return pd.DataFrame(rows).sort_values("fips", ignore_index=True)


def states() -> pd.DataFrame:
    """Contiguous-US state outlines: each state's counties dissolved into one (multi)polygon, then simplified."""
    from bokeh_sampledata.us_counties import records
    from shapely import union_all

    labour = labour_force_by_fips()
    by_state: dict[str, list] = {}
    for record in records():
        if record["state"] not in NOT_CONTIGUOUS and record["fips"] in labour:
            by_state.setdefault(record["state"], []).append(record["geometry"].buffer(STATE_GAP_DEGREES))
    rows = []
    for state, parts in sorted(by_state.items()):
        outline = union_all(parts).buffer(-STATE_GAP_DEGREES).simplify(STATE_SIMPLIFY_DEGREES)
        pieces = [p for p in (outline.geoms if hasattr(outline, "geoms") else [outline])
                  if p.geom_type == "Polygon" and p.area >= STATE_MIN_RING_DEGREES2]
        ring_lat, ring_lon = _rings(union_all(pieces))
        rows.append({"state": state, "boundary_lat": ring_lat, "boundary_lon": ring_lon})
    return pd.DataFrame(rows)


def _rings(geometry) -> tuple[np.ndarray, np.ndarray]:
    parts = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
    lat, lon = [], []
    for part in parts:
        if part.geom_type != "Polygon":
            continue
        xs, ys = part.exterior.coords.xy
        lon += [*xs, np.nan]
        lat += [*ys, np.nan]
    return np.array(lat[:-1], dtype=np.float32), np.array(lon[:-1], dtype=np.float32)


def zips(county_table: pd.DataFrame) -> pd.DataFrame:
    """Standard, active contiguous-US ZIPs with coordinates, matched to a county of the county table."""
    import zipcodes

    by_name = {(row.state, _plain(row.name)): row.fips for row in county_table.itertuples()}
    rows = []
    for z in zipcodes.list_all():
        if z["zip_code_type"] != "STANDARD" or not z["active"] or z["state"] in NOT_CONTIGUOUS:
            continue
        if not z["lat"] or not z["long"]:
            continue
        fips = by_name.get((z["state"], _plain(z["county"] or "")))
        if fips is None:
            continue
        rows.append({"zip": z["zip_code"], "state": z["state"], "lat": float(z["lat"]), "lon": float(z["long"]),
                     "county_fips": fips})
    table = pd.DataFrame(rows).sort_values("zip", ignore_index=True)
    table["labour_share"] = 1.0 / table.groupby("county_fips")["zip"].transform("count")
    return table


def _plain(name: str) -> str:
    """County name without its kind ('Autauga County' -> 'autauga'), for matching across sources."""
    name = name.lower().replace("saint ", "st. ").replace("st ", "st. ")
    for suffix in (" county", " parish", " city and borough", " borough", " census area", " municipality"):
        name = name.removesuffix(suffix)
    return name.replace(".", "").replace("'", "").replace(" ", "")


def main() -> None:
    """Build both tables and write them next to this script."""
    county_table = counties()
    zip_table = zips(county_table)
    county_table.to_parquet(HERE / "us_counties.parquet", index=False, compression="zstd")
    state_table = states()
    state_table.to_parquet(HERE / "us_states.parquet", index=False, compression="zstd")
    zip_table.to_parquet(HERE / "us_zips.parquet", index=False, compression="zstd")
    print(f"{len(county_table)} counties, {len(state_table)} state outlines, {len(zip_table)} ZIPs "
          f"({zip_table['county_fips'].nunique()} counties with a ZIP) written to {HERE}")


if __name__ == "__main__":
    main()
