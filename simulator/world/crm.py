"""CRM import and export: Salesforce-style report exports in, a world folder out; a new alignment back out.

Import reads an Account export (and optionally a User export), in UTF-8 with or without BOM, UTF-16 or
Windows-1252, delimited by comma, semicolon, tab or pipe, quoted or not (see simulator.world.crm_read for the rules,
e.g. fields up to 1 MiB). Every row is accounted for: it is imported (to accounts.parquet / reps.parquet, in the
world-files format a scenario can load) or written to rejects.csv with the line where it starts and the reason.
Accounts without coordinates but with a known ZIP code are placed at the ZIP's point (offline). An account with
an empty potential cell is imported with an assumed potential (`--default-potential`: the median of its segment by
default) and marked in the column `potential_assumed`; an unowned account has a null owner. Every CSV written
(rejects.csv, the export in `crm_export`) is written atomically and is safe from CSV injection (formula-like cells
get a ' prefix).
"""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.io import write_parquet
from simulator.schema.limits import MAX_POTENTIAL, MAX_POTENTIAL_TEXT
from simulator.world.checks import DataChecks, import_checks
from simulator.world.crm_potential import DEFAULT_POTENTIAL_MODES, assume_potential, parse_default_potential
from simulator.world.crm_read import (
    CrmError,
    Row,
    describe_columns,
    parse_number,
    printable_row,
    read_export,
    write_csv,
)

__all__ = ["DEFAULT_POTENTIAL_MODES", "CrmError", "ImportReport", "import_crm", "parse_default_potential",
           "parse_maps", "read_export"]

ACCOUNT_FIELDS = {  # our field -> Salesforce Account report column
    "id": "Id", "name": "Name", "lat": "BillingLatitude", "lon": "BillingLongitude",
    "postal_code": "BillingPostalCode", "state": "BillingState", "potential": "AnnualRevenue", "owner": "OwnerId",
    "segment": "Segment",
}
USER_FIELDS = {"id": "Id", "name": "Name", "lat": "Latitude", "lon": "Longitude", "postal_code": "PostalCode",
               "city": "City"}
HOME_COUNTY_MAX_KM = 80.0  # a user without a City gets the nearest county within this distance as home city
SEGMENT_SHARES = (("A", 0.1), ("B", 0.3), ("C", 0.6))  # by potential rank when the export has no segment
DEFAULT_TENURE_DAYS = 730.0
REJECT_COLUMNS = ("file", "line", "reason", "row")
ACCOUNT_COLUMNS = ["account_id", "name", "lat", "lon", "potential", "potential_assumed", "segment", "owner",
                   "unit_id", "state", "source_line"]


@dataclass
class ImportReport:
    """What happened to every row."""

    read: dict[str, int] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)
    rejected: Counter = field(default_factory=Counter)
    geocoded: int = 0
    unowned: int = 0
    unknown_owner: int = 0
    out: Path | None = None
    potential_column: str = ACCOUNT_FIELDS["potential"]
    default_potential: str | float = "segment-median"
    assumed: int = 0
    assumed_rule: str = ""
    checks: DataChecks | None = None

    def next_command(self) -> str:
        """The commands to run next: `new` on the folder written, then `run` on the scenario it writes."""
        world = self.out or Path("world")
        scenario = world.parent / f"{world.resolve().name}.yaml"  # where `new` writes by default
        return (f"next: territory-sim new --world {shlex.quote(str(world))} --out {shlex.quote(str(scenario))}, "
                f"then territory-sim run {shlex.quote(str(scenario))}")

    def lines(self) -> list[str]:
        """An aligned table of counts per file (read = imported + rejected, lost 0), then the reasons."""
        lines = [f"{'file':<10}{'read':>10}{'imported':>10}{'rejected':>10}{'lost':>6}"]
        for kind in self.read:
            rejected = sum(n for (k, _), n in self.rejected.items() if k == kind)
            lost = self.read[kind] - self.imported.get(kind, 0) - rejected
            lines.append(f"{kind:<10}{self.read[kind]:>10,}{self.imported.get(kind, 0):>10,}{rejected:>10,}{lost:>6}")
        if self.rejected:
            lines.append("rejected rows by reason (line numbers in rejects.csv):")
        for (kind, reason), count in sorted(self.rejected.items()):
            lines.append(f"  {kind:<9}{count:>7,}  {reason}")
        lines.append(f"accounts placed from their ZIP code: {self.geocoded:,}")
        lines.append(f"accounts imported unowned: {self.unowned:,} (of which owner not among the users: "
                     f"{self.unknown_owner:,})")
        if self.potential_column == ACCOUNT_FIELDS["potential"]:
            lines.append(f"potential is {self.potential_column}: the customer's own revenue, not what it could buy "
                         "from you; map a better field with --map potential=Wallet_Share__c (docs/scenarios.md)")
        return lines


def parse_maps(maps: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """--map field=column (accounts) and --map user.field=column (users) over the Salesforce defaults."""
    accounts, users = dict(ACCOUNT_FIELDS), dict(USER_FIELDS)
    for item in maps:
        name, sep, column = item.partition("=")
        if not sep or not column:
            raise CrmError(f"--map {item!r}: expected field=column, e.g. potential=Revenue_2025")
        target, key = (users, name[5:]) if name.startswith("user.") else (accounts, name)
        if key not in target:
            known = ", ".join(sorted(ACCOUNT_FIELDS) + [f"user.{k}" for k in sorted(USER_FIELDS)])
            raise CrmError(f"--map {item!r}: unknown field {name!r}; expected one of {known}")
        target[key] = column
    return accounts, users


def _column(header: list[str], fields: dict[str, str], key: str, path: Path, required: bool,
            rows: list[Row]) -> int | None:
    wanted = fields[key]
    lowered = [h.lower() for h in header]
    if wanted.lower() in lowered:
        return lowered.index(wanted.lower())
    if required:
        raise CrmError(f"{path}: no column {wanted!r} for {key}; columns are: {describe_columns(header, rows)} "
                       f"(use --map {key}=COLUMN)")
    return None


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


class ZipGeocoder:
    """Offline ZIP -> (lat, lon) from the embedded ZIP table (first five digits)."""

    def __init__(self) -> None:
        from simulator.world.us import us_zips

        table = us_zips()
        self.points = dict(zip(table["zip"], zip(table["lat"], table["lon"], strict=True), strict=True))

    def __call__(self, postal_code: str) -> tuple[float, float] | None:
        """The ZIP's point, or None for an unknown or malformed code."""
        digits = "".join(ch for ch in postal_code if ch.isdigit())[:5]
        if len(digits) < 3:
            return None
        return self.points.get(digits.zfill(5))


def _location(cells: list[str], columns: dict[str, int | None], geocode: ZipGeocoder) -> tuple[float, float, bool]:
    lat, lon = parse_number(_cell(cells, columns["lat"])), parse_number(_cell(cells, columns["lon"]))
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0, 0):
        return lat, lon, False
    point = geocode(_cell(cells, columns["postal_code"]))
    if point is None:
        return np.nan, np.nan, False
    return point[0], point[1], True


def import_crm(accounts_path: Path, out: Path, users_path: Path | None = None,
               maps: list[str] | None = None, default_potential: str | float = "segment-median") -> ImportReport:
    """Import a CRM export into a world folder (accounts.parquet, reps.parquet, rejects.csv).

    Args:
        accounts_path: the Account export.
        out: the folder to write.
        users_path: the User export (optional: without it, owners become reps at their accounts' median).
        maps: `field=column` overrides of the Salesforce column names.
        default_potential: what an account with an empty potential cell gets (see `parse_default_potential`).

    Raises:
        CrmError: when a file is missing, unreadable, not a table, has no header, or lacks a required column; or
            when `out` is not a folder or cannot be written.
    """
    account_fields, user_fields = parse_maps(maps or [])
    if isinstance(default_potential, str):
        default_potential = parse_default_potential(default_potential)
    if out.exists() and not out.is_dir():
        raise CrmError(f"--out {out}: exists and is not a folder; expected a folder to write the world to")
    geocode = ZipGeocoder()
    report = ImportReport(out=out, potential_column=account_fields["potential"], default_potential=default_potential)
    rejects: list[dict] = []
    reps = _import_users(users_path, user_fields, geocode, report, rejects) if users_path else pd.DataFrame(
        columns=["rep_id", "name", "home_lat", "home_lon", "tenure_days"])
    accounts = _import_accounts(accounts_path, account_fields, geocode, set(reps["rep_id"]), users_path is not None,
                                report, rejects)
    if users_path is None:  # no user file: owners become reps placed at their accounts' centre
        reps = _reps_from_owners(accounts)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_parquet(accounts, out / "accounts.parquet")
        write_parquet(reps, out / "reps.parquet")
    except OSError as exc:
        raise CrmError(f"{out}: cannot write the world there ({exc.strerror or type(exc).__name__})") from exc
    write_csv(out / "rejects.csv", REJECT_COLUMNS, ([r[c] for c in REJECT_COLUMNS] for r in rejects))
    if len(accounts) and len(reps):
        report.checks = import_checks(accounts, reps, report.assumed_rule)
    return report


def _import_users(path: Path, fields: dict[str, str], geocode: ZipGeocoder, report: ImportReport,
                  rejects: list[dict]) -> pd.DataFrame:
    """The users as reps: rep_id, name, home_city (the City column, else the nearest county), home, tenure."""
    from simulator.world.us import nearest_county_names

    header, rows = read_export(path)
    cols = {key: _column(header, fields, key, path, required=key == "id", rows=rows) for key in fields}
    report.read["users"] = len(rows)
    seen, kept = set(), []
    for line, cells, problem in rows:
        if problem:
            _reject(rejects, report, "users", path, line, problem, cells)
            continue
        user_id = _cell(cells, cols["id"])
        lat, lon, _ = _location(cells, cols, geocode)
        reason = ("missing Id" if not user_id else "duplicate Id" if user_id in seen
                  else "no usable location (coordinates or known ZIP code)" if np.isnan(lat) else None)
        if reason:
            _reject(rejects, report, "users", path, line, reason, cells)
            continue
        seen.add(user_id)
        kept.append({"rep_id": user_id, "name": _cell(cells, cols["name"]) or None,
                     "home_city": _cell(cells, cols["city"]) or None, "home_lat": lat, "home_lon": lon,
                     "tenure_days": DEFAULT_TENURE_DAYS})
    report.imported["users"] = len(kept)
    frame = pd.DataFrame(kept, columns=["rep_id", "name", "home_city", "home_lat", "home_lon", "tenure_days"])
    missing = frame["home_city"].isna().to_numpy()
    if missing.any():
        frame.loc[missing, "home_city"] = nearest_county_names(frame.loc[missing, "home_lat"].to_numpy(float),
                                                               frame.loc[missing, "home_lon"].to_numpy(float),
                                                               HOME_COUNTY_MAX_KM)
    return frame


def _import_accounts(path: Path, fields: dict[str, str], geocode: ZipGeocoder, users: set[str], have_users: bool,
                     report: ImportReport, rejects: list[dict]) -> pd.DataFrame:
    header, rows = read_export(path)
    required = {"id", "potential"}
    cols = {key: _column(header, fields, key, path, required=key in required, rows=rows) for key in fields}
    report.read["accounts"] = len(rows)
    seen, kept = set(), []
    for line, cells, problem in rows:
        account_id = _cell(cells, cols["id"])
        revenue_text = _cell(cells, cols["potential"])
        revenue = parse_number(revenue_text)
        lat, lon, geocoded = _location(cells, cols, geocode)
        if problem:
            reason = problem
        elif not account_id:
            reason = "missing Id"
        elif account_id in seen:
            reason = "duplicate Id"
        elif not revenue_text and report.default_potential == "reject":
            reason = f"missing {fields['potential']}"
        elif revenue is None and revenue_text:
            reason = f"non-numeric {fields['potential']}"
        elif revenue is not None and revenue < 0:
            reason = f"negative {fields['potential']}"
        elif revenue is not None and revenue > MAX_POTENTIAL:
            reason = f"{fields['potential']} above {MAX_POTENTIAL_TEXT}, the most one account may hold"
        elif np.isnan(lat):
            reason = "no usable location (coordinates or known ZIP code)"
        else:
            reason = None
        if reason:
            _reject(rejects, report, "accounts", path, line, reason, cells)
            continue
        seen.add(account_id)
        owner: str | None = _cell(cells, cols["owner"])
        if not owner or (have_users and owner not in users):
            report.unowned += 1
            report.unknown_owner += bool(owner)
            owner = None  # null, as in a run folder: an empty string would read as a rep called ""
        report.geocoded += geocoded
        postal = "".join(ch for ch in _cell(cells, cols["postal_code"]) if ch.isdigit())[:5]
        kept.append({"account_id": account_id, "name": _cell(cells, cols["name"]), "lat": lat, "lon": lon,
                     "potential": np.nan if revenue is None else revenue, "potential_assumed": revenue is None,
                     "segment": _cell(cells, cols["segment"]), "owner": owner,
                     "unit_id": postal.zfill(5) if len(postal) >= 3 else account_id,
                     "state": _cell(cells, cols["state"]), "source_line": line})
    report.imported["accounts"] = len(kept)
    frame = pd.DataFrame(kept, columns=ACCOUNT_COLUMNS).astype({"potential_assumed": bool, "owner": object})
    report.assumed = int(frame["potential_assumed"].sum())
    if report.assumed:
        frame["potential"], report.assumed_rule = assume_potential(path, frame, report.default_potential,
                                                                       fields["potential"])
    missing = frame["segment"] == ""
    if missing.any():
        frame.loc[missing, "segment"] = _segments_by_potential(frame.loc[missing, "potential"].to_numpy())
    return frame


def _segments_by_potential(potential: np.ndarray) -> np.ndarray:
    order = np.argsort(-potential, kind="stable")
    labels = np.empty(len(potential), dtype=object)
    bounds = np.cumsum([share for _, share in SEGMENT_SHARES]) * len(potential)
    for rank, index in enumerate(order):
        labels[index] = SEGMENT_SHARES[min(int(np.searchsorted(bounds, rank, side="right")),
                                           len(SEGMENT_SHARES) - 1)][0]
    return labels


def _reps_from_owners(accounts: pd.DataFrame) -> pd.DataFrame:
    owned = accounts[accounts["owner"].notna()]
    centre = owned.groupby("owner")[["lat", "lon"]].median().reset_index()
    return pd.DataFrame({"rep_id": centre["owner"], "name": centre["owner"], "home_lat": centre["lat"],
                         "home_lon": centre["lon"], "tenure_days": DEFAULT_TENURE_DAYS})


def _reject(rejects: list[dict], report: ImportReport, kind: str, path: Path, line: int, reason: str,
            cells: list[str]) -> None:
    report.rejected[(kind, reason)] += 1
    rejects.append({"file": str(path), "line": line, "reason": reason, "row": printable_row(cells)})
