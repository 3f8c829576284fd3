"""A policy's alignment back out to the CRM: an owner-update CSV, optionally of the changed accounts only.

The file keeps the CRM Ids (`Id` of the account, `OwnerId` the new owner, `PreviousOwnerId` the owner the world
recorded, empty if it had none) and `Changed`; it adds `OwnerName` and `PreviousOwnerName` when names are known:
from the run folder's assignments (a `rep_name` column) or else from the world's reps file (its `name` column),
found through the run's manifest. With `changed_only`, accounts whose owner stays are left out of the file, and
are listed in a side file next to it (`<name>.unchanged.csv`) so nothing disappears unnamed. Every file is written
atomically and is safe from CSV injection (simulator.world.crm_read.write_csv).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from simulator.world.crm_read import CrmError, write_csv

COLUMNS = ["policy", "account_id", "rep_id", "current_rep_id"]
LISTED = 5  # accounts named in the summary line


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: how many accounts, how many change owner, which were left out and where they went."""

    written: int
    changed: int
    left_out: tuple[str, ...]
    left_out_file: Path | None
    names: bool

    def lines(self, out: Path, policy: str) -> list[str]:
        """What was written, in sentences."""
        lines = [f"{out}: {self.written:,} accounts written, {self.changed:,} of them change owner under {policy}"
                 + ("" if self.names else " (no rep names found: Ids only)")]
        if self.left_out:
            shown = ", ".join(self.left_out[:LISTED]) + (", ..." if len(self.left_out) > LISTED else "")
            lines.append(f"left out {len(self.left_out):,} accounts whose owner stays ({shown}); all listed in "
                         f"{self.left_out_file}")
        return lines


def export_alignment(run_folder: Path, policy: str, out: Path, changed_only: bool = False) -> ExportResult:
    """Write a policy's account owners as a CRM update file (Id, OwnerId, PreviousOwnerId, Changed [, names]).

    Args:
        run_folder: a folder written by `territory-sim run`.
        policy: the policy label whose alignment to export.
        out: the CSV file to write.
        changed_only: write only the accounts whose owner changes (the rest go to `<out stem>.unchanged.csv`).

    Raises:
        CrmError: when the run folder, its assignments or the policy are missing or unreadable, or `out` is a folder.
    """
    table = _assignments(run_folder, out)
    policies = sorted(str(p) for p in table["policy"].unique())
    if policy not in policies:
        raise CrmError(f"{run_folder}: no policy {policy!r} in this run; it has: {', '.join(policies)}")
    chosen = table[table["policy"].astype(str) == policy]
    frame = pd.DataFrame({"Id": chosen["account_id"].to_numpy(), "OwnerId": chosen["rep_id"].to_numpy(),
                          "PreviousOwnerId": chosen["current_rep_id"].to_numpy()})
    frame["Changed"] = (frame["OwnerId"] != frame["PreviousOwnerId"]).to_numpy()
    names = rep_names(run_folder, table)
    if names:
        frame["OwnerName"] = frame["OwnerId"].map(names)
        frame["PreviousOwnerName"] = frame["PreviousOwnerId"].map(names)
    left_out, side = (), None
    if changed_only:
        kept = frame[~frame["Changed"]]
        left_out = tuple(str(a) for a in kept["Id"])
        side = out.with_name(f"{out.stem}.unchanged.csv")
        _write(side, kept.drop(columns=["Changed", "PreviousOwnerId"]
                               + (["PreviousOwnerName"] if names else [])))
        frame = frame[frame["Changed"]]
    _write(out, frame)
    return ExportResult(written=len(frame), changed=int(frame["Changed"].sum()), left_out=left_out,
                        left_out_file=side, names=bool(names))


def _assignments(run_folder: Path, out: Path) -> pd.DataFrame:
    path = run_folder / "assignments.parquet"
    if not run_folder.is_dir():
        raise CrmError(f"{run_folder}: not a folder; expected a run folder written by `territory-sim run`")
    if not path.exists():
        raise CrmError(f"{run_folder}: no assignments.parquet; expected a run folder written by `territory-sim run`")
    if out.is_dir():
        raise CrmError(f"--out {out}: is a folder; expected a file name to write, e.g. {out / 'owners.csv'}")
    try:
        table = pd.read_parquet(path)
        return table[[*COLUMNS, *(["rep_name"] if "rep_name" in table.columns else [])]]
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise CrmError(f"{path}: not a readable assignments table ({reason}); expected columns "
                       f"{', '.join(COLUMNS)}, as written by `territory-sim run`") from exc


def rep_names(run_folder: Path, table: pd.DataFrame) -> dict[str, str]:
    """rep_id -> name, from the assignments' `rep_name` column, else from the world's reps file (empty if neither)."""
    names: dict[str, str] = {}
    reps = _world_reps_file(run_folder)
    if reps is not None:
        try:
            parquet = reps.suffix.lower() in (".parquet", ".pq")
            frame = pd.read_parquet(reps) if parquet else pd.read_csv(reps, dtype=str)
        except (OSError, ValueError, pa.ArrowException):
            frame = pd.DataFrame()
        if {"rep_id", "name"} <= set(frame.columns):
            names.update({str(r): str(n) for r, n in zip(frame["rep_id"], frame["name"], strict=True)
                          if pd.notna(r) and pd.notna(n) and str(n).strip()})
    if "rep_name" in table.columns:
        names.update({str(r): str(n) for r, n in zip(table["rep_id"], table["rep_name"], strict=True)
                      if pd.notna(r) and pd.notna(n) and str(n).strip()})
    return names


def _world_reps_file(run_folder: Path) -> Path | None:
    """The reps file of the run's world, if the manifest names one that is still there (from this folder)."""
    try:
        manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
        reps = manifest["resolved_scenario"]["world"]["files"]["reps"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(reps, str):
        return None
    return Path(reps) if Path(reps).is_file() else None


def _write(path: Path, frame: pd.DataFrame) -> None:
    write_csv(path, list(frame.columns), frame.astype(object).where(frame.notna(), None).itertuples(index=False))
