"""Worlds from data files: accounts, reps and (optionally) units as CSV or Parquet.

Columns (docs/scenarios.md, "World files"):
- accounts: account_id, lat, lon, potential, segment, [owner (rep_id, empty or null = unowned)], [unit_id],
  [name], [potential_assumed (true where the potential was assumed, e.g. by import-crm --default-potential)]
- reps: rep_id, home_lat, home_lon, [tenure_days], [name], [home_city] (display name and home city; empty = none)
- units: unit_id, lat, lon, [neighbours (unit ids separated by ';')]

Every file is checked on load; all bad rows are reported together, naming the file, the line and the field.
Nothing is dropped silently: a file with bad rows is refused as a whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.scenario import Scenario
from simulator.schema.limits import MAX_POTENTIAL, MAX_POTENTIAL_TEXT
from simulator.world.assembly import assemble_world
from simulator.world.model import World

DEFAULT_TENURE_DAYS = 730.0
MAX_LISTED = 25


class WorldDataError(Exception):
    """World files that cannot be used; `problems` has one line per bad row or field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_LISTED]
        more = len(problems) - len(shown)
        super().__init__("\n".join(shown + ([f"... and {more} more problems"] if more else [])))


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file as strings-or-numbers, keeping empty cells as missing."""
    if not path.exists():
        raise WorldDataError([f"{path}: file not found"])
    if not path.is_file():
        raise WorldDataError([f"{path}: not a regular file; expected a CSV or Parquet table"])
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            table = pd.read_parquet(path)
            # same types as a CSV: text cells, missing ones as NA (numbers are parsed and checked later)
            return table.astype("string").astype(object).where(table.notna(), None)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorldDataError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError, ValueError) as exc:
        raise WorldDataError([f"{path}: cannot read the table ({str(exc).strip()})"]) from exc


def load_world(scenario: Scenario) -> World:
    """Load the world named by `scenario.world.files`; raise WorldDataError listing every problem."""
    files = scenario.world.files
    assert files is not None, "load_world needs world.files"
    problems: list[str] = []
    reps = _reps(files.reps, read_table(files.reps), problems)
    accounts = _accounts(files.accounts, read_table(files.accounts), scenario, reps, problems)
    units, neighbours = (_units(files.units, read_table(files.units), problems) if files.units
                         else _units_from_accounts(accounts))
    if not problems:
        _link_units(files.accounts, accounts, units, problems)
    if problems:
        raise WorldDataError(problems)
    accounts = accounts.drop(columns=["line"])
    return assemble_world(scenario, units, accounts, reps.drop(columns=["line"]),
                          name=str(files.accounts), neighbours=neighbours)


def _line(index: int) -> int:
    return index + 2  # header is line 1


def _require(path: Path, table: pd.DataFrame, columns: list[str], problems: list[str]) -> bool:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        problems.append(f"{path}: missing column(s) {', '.join(missing)}; {_found(table)}")
    return not missing


def _found(table: pd.DataFrame) -> str:
    """The columns a file has, named only when its first line looks like a table's header (never other text)."""
    names = [str(c) for c in table.columns]
    if len(names) >= 2 and all(len(n) <= 64 and n.isprintable() and not n.startswith("Unnamed") for n in names):
        shown = names[:30]
        return "found: " + ", ".join(shown) + (f", ... ({len(names)} columns)" if len(names) > len(shown) else "")
    return "the first line is not a header of comma-separated column names (is this the right file?)"


def _numbers(path: Path, table: pd.DataFrame, column: str, problems: list[str], low: float | None = None,
             high: float | None = None, what: str = "a number") -> np.ndarray:
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    for i in np.flatnonzero(bad):
        cell = table[column].iloc[i]
        got = "an empty cell" if pd.isna(cell) else repr(cell)
        problems.append(f"{path}: line {_line(i)}: {column}: got {got}, expected {what}")
    return values


def _unique_ids(path: Path, table: pd.DataFrame, column: str, problems: list[str]) -> pd.Series:
    ids = table[column].astype("string").str.strip()
    for i in np.flatnonzero(ids.isna().to_numpy() | (ids == "").fillna(True).to_numpy()):
        problems.append(f"{path}: line {_line(i)}: {column}: empty, expected an id")
    duplicated = ids.duplicated(keep="first").fillna(False).to_numpy()
    for i in np.flatnonzero(duplicated):
        problems.append(f"{path}: line {_line(i)}: {column}: duplicate id {ids.iloc[i]!r}")
    return ids


def _reps(path: Path, table: pd.DataFrame, problems: list[str]) -> pd.DataFrame:
    if not _require(path, table, ["rep_id", "home_lat", "home_lon"], problems):
        return pd.DataFrame(columns=["rep_id", "name", "home_city", "home_lat", "home_lon", "tenure_days", "line"])
    if table.empty:
        problems.append(f"{path}: no reps; expected at least one row")
    tenure = (_numbers(path, table, "tenure_days", problems, low=0, what="days >= 0")
              if "tenure_days" in table.columns else np.full(len(table), DEFAULT_TENURE_DAYS))
    return pd.DataFrame({
        "rep_id": _unique_ids(path, table, "rep_id", problems).astype(str),
        "name": _optional_text(table, "name"),
        "home_city": _optional_text(table, "home_city"),
        "home_lat": _numbers(path, table, "home_lat", problems, -90, 90, "a latitude in [-90, 90]"),
        "home_lon": _numbers(path, table, "home_lon", problems, -180, 180, "a longitude in [-180, 180]"),
        "tenure_days": tenure,
        "line": np.arange(len(table)) + 2,
    })


def _optional_text(table: pd.DataFrame, column: str) -> np.ndarray:
    """A text column's cells, stripped; None for an empty cell or a missing column."""
    if column not in table.columns:
        return np.full(len(table), None, dtype=object)
    text = table[column].astype("string").str.strip()
    return np.where((text.notna() & (text != "")).to_numpy(dtype=bool), text.astype(object), None)


def _accounts(path: Path, table: pd.DataFrame, scenario: Scenario, reps: pd.DataFrame,
              problems: list[str]) -> pd.DataFrame:
    needed = ["account_id", "lat", "lon", "potential", "segment"]
    if not _require(path, table, needed, problems):
        return pd.DataFrame(columns=[*needed, "owner", "unit_id", "line"])
    if table.empty:
        problems.append(f"{path}: no accounts; expected at least one row")
    segment = table["segment"].astype("string").str.strip()
    known = set(scenario.segments)
    for i in np.flatnonzero(~segment.isin(known).fillna(False).to_numpy()):
        problems.append(f"{path}: line {_line(i)}: segment: got {segment.iloc[i]!r}, "
                        f"expected one of {', '.join(sorted(known))} (the scenario's segments)")
    rep_index = {rep: i for i, rep in enumerate(reps["rep_id"])}
    owner = np.full(len(table), -1, dtype=np.int64)
    if "owner" in table.columns:
        for i, value in enumerate(table["owner"]):
            if isinstance(value, str) and value.strip():
                if value.strip() not in rep_index:
                    problems.append(f"{path}: line {_line(i)}: owner: unknown rep {value.strip()!r}; "
                                    "expected a rep_id of the reps file or an empty cell (unowned)")
                else:
                    owner[i] = rep_index[value.strip()]
    unit_id = (table["unit_id"].astype("string").str.strip() if "unit_id" in table.columns
               else table["account_id"].astype("string").str.strip())
    frame = pd.DataFrame({
        "account_id": _unique_ids(path, table, "account_id", problems).astype(str),
        "lat": _numbers(path, table, "lat", problems, -90, 90, "a latitude in [-90, 90]"),
        "lon": _numbers(path, table, "lon", problems, -180, 180, "a longitude in [-180, 180]"),
        "potential": _numbers(path, table, "potential", problems, low=0, high=MAX_POTENTIAL,
                              what=f"a number >= 0 and at most {MAX_POTENTIAL_TEXT}, the most one account may hold"),
        "segment": segment.astype(str),
        "owner": owner,
        "unit_id": unit_id.astype(str),
        "line": np.arange(len(table)) + 2,
    })
    if "name" in table.columns:  # kept for messages (the data checks name accounts)
        frame["name"] = table["name"].astype("string").str.strip().fillna("").astype(str).to_numpy()
    if "potential_assumed" in table.columns:
        frame["potential_assumed"] = _flags(path, table, "potential_assumed", problems)
    return frame


TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no", ""}


def _flags(path: Path, table: pd.DataFrame, column: str, problems: list[str]) -> np.ndarray:
    """A true/false column (true, 1, yes / false, 0, no, empty; any case)."""
    words = table[column].astype("string").str.strip().str.lower().fillna("")
    for i in np.flatnonzero(~words.isin(TRUE_WORDS | FALSE_WORDS).to_numpy()):
        problems.append(f"{path}: line {_line(i)}: {column}: got {table[column].iloc[i]!r}, expected true or false")
    return words.isin(TRUE_WORDS).to_numpy()


def _units(path: Path, table: pd.DataFrame, problems: list[str]) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    if not _require(path, table, ["unit_id", "lat", "lon"], problems):
        return pd.DataFrame(columns=["unit_id", "lat", "lon"]), []
    units = pd.DataFrame({
        "unit_id": _unique_ids(path, table, "unit_id", problems).astype(str),
        "lat": _numbers(path, table, "lat", problems, -90, 90, "a latitude in [-90, 90]"),
        "lon": _numbers(path, table, "lon", problems, -180, 180, "a longitude in [-180, 180]"),
    })
    edges: list[tuple[int, int]] = []
    if "neighbours" in table.columns:
        index = {unit: i for i, unit in enumerate(units["unit_id"])}
        for i, cell in enumerate(table["neighbours"]):
            for other in (str(cell).split(";") if isinstance(cell, str) else []):
                other = other.strip()
                if not other:
                    continue
                if other not in index:
                    problems.append(f"{path}: line {_line(i)}: neighbours: unknown unit {other!r}")
                elif index[other] != i:
                    edges.append((i, index[other]))
    return units, edges


def _units_from_accounts(accounts: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    grouped = accounts.groupby("unit_id", sort=True)[["lat", "lon"]].mean().reset_index()
    return grouped[["unit_id", "lat", "lon"]], []


def _link_units(path: Path, accounts: pd.DataFrame, units: pd.DataFrame, problems: list[str]) -> None:
    index = {unit: i for i, unit in enumerate(units["unit_id"])}
    unit = accounts["unit_id"].map(index)
    for i in np.flatnonzero(unit.isna().to_numpy()):
        problems.append(f"{path}: line {accounts['line'].iloc[i]}: unit_id: unknown unit "
                        f"{accounts['unit_id'].iloc[i]!r}; expected a unit_id of the units file")
    accounts["unit"] = unit.fillna(-1).astype(np.int64)
