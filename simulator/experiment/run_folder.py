"""Run folders: checked before any run, written part by part, resumed, finalised so a kill can always be resumed.

A run folder holds `manifest.json` (status "running" until the folder is complete), one `parts/<part>` folder per
finished run (written atomically) and, once finalised, the assembled tables and `report.html`. Finalising writes the
tables from the parts, then the report, then marks the manifest complete, and only then removes the parts: a resume
after a kill before the manifest says complete assembles the tables again from the parts; a resume after it only
removes what is left. Parts are deterministic, so corrupt or missing parts are recomputed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from simulator.experiment.runs import TABLES, Task

PARTS = "parts"
MANIFEST = "manifest.json"
_RUN_NAME = "20260101T000000Z-abcdef"  # the shape of a run folder's name: its length bounds the path checks


class RunFolderError(Exception):
    """A run folder that cannot be written or read; the message names the path and what is expected."""


class ResumeError(RunFolderError):
    """A run folder that cannot be resumed (not a run folder, or another scenario)."""


def run_folder_name(started_at: datetime) -> str:
    """The name of a new run folder: its start time (UTC) and a random suffix."""
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def check_writable(scenario_folder: Path) -> None:
    """Fail unless a run folder can be created in `scenario_folder` (the output folder / scenario name).

    Checks, without creating anything: every existing ancestor is a folder this process may create folders in,
    and no name in the path (the scenario's `name` is one) is longer than the file system allows.

    Raises:
        RunFolderError: naming the path and what is expected.
    """
    probe = Path(os.path.abspath(scenario_folder)) / _RUN_NAME
    existing = probe
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        raise RunFolderError(f"the output folder {scenario_folder} cannot be created: {existing} is a file, not a "
                             "folder; expected --out (or the scenario's output.folder) to be a folder or a path "
                             "that can become one")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunFolderError(f"the output folder {scenario_folder} cannot be created: no permission to write in "
                             f"{existing}; expected --out (or output.folder) to be a folder you can write to")
    name_max = _pathconf(existing, "PC_NAME_MAX", 255)
    for component in probe.relative_to(existing).parts:
        if len(os.fsencode(component)) > name_max:
            is_name = component == Path(scenario_folder).name
            what, fix = ("the scenario's `name`", "shorten it") if is_name else ("a folder name", "a shorter --out")
            raise RunFolderError(f"the output folder {_short(scenario_folder)} cannot be created: {what} "
                                 f"{_short(component)!r} is {len(os.fsencode(component))} bytes long; expected at "
                                 f"most {name_max} bytes ({fix})")
    path_max = _pathconf(existing, "PC_PATH_MAX", 4096)
    if len(os.fsencode(str(probe))) + 64 > path_max:  # room for parts/<part>/<table>.parquet
        raise RunFolderError(f"the output folder {_short(scenario_folder)} cannot be created: its path is "
                             f"{len(os.fsencode(str(probe)))} bytes long; expected at most {path_max - 64}")


def create(scenario_folder: Path, started_at: datetime) -> Path:
    """Create a new, empty run folder in `scenario_folder`.

    Raises:
        RunFolderError: when the folder cannot be created (naming it and why).
    """
    check_writable(scenario_folder)
    folder = Path(scenario_folder) / run_folder_name(started_at)
    try:
        folder.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise RunFolderError(f"cannot create the run folder {_short(folder)}: {exc.strerror or exc}; expected --out "
                             "(or the scenario's output.folder) to be a folder you can write to") from exc
    return folder


def read_manifest(folder: Path) -> dict:
    """The manifest of a run folder.

    Raises:
        ResumeError: when there is none, or it is not the JSON object `territory-sim run` writes.
    """
    path = Path(folder) / MANIFEST
    if not Path(folder).is_dir():
        raise ResumeError(f"{folder}: not a folder; expected a run folder written by `territory-sim run`")
    if not path.exists():
        raise ResumeError(f"{folder}: no {MANIFEST}; expected a run folder written by `territory-sim run`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ResumeError(f"{path}: cannot be read ({exc}); expected the JSON manifest `territory-sim run` writes "
                          "(the folder cannot be resumed: start a new run)") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("resolved_scenario"), dict) \
            or manifest.get("status") not in ("running", "complete"):
        raise ResumeError(f"{path}: not a run manifest; expected a JSON object with `status` (running or "
                          "complete) and `resolved_scenario`, as `territory-sim run` writes")
    return manifest


def check_resumable(folder: Path, resolved_scenario: dict) -> None:
    """Fail unless `folder` is an unfinished run folder of this (resolved) scenario.

    A folder whose manifest is complete is complete: the parts and temporary files a kill may have left after
    the manifest was marked complete are removed first.

    Raises:
        ResumeError: naming the folder and why it cannot be resumed.
    """
    manifest = read_manifest(folder)
    if manifest["status"] == "complete":
        leftovers = clean(folder)
        note = " (removed the parts and temporary files an interruption left)" if leftovers else ""
        raise ResumeError(f"{folder}: this experiment is already complete; nothing to resume{note}")
    if manifest["resolved_scenario"] != resolved_scenario:
        raise ResumeError(f"{folder}: it holds another scenario (or other overrides) than the one given; "
                          "resume with the same scenario file and options")


def remove_temporary(folder: Path) -> int:
    """Remove the temporary files and folders (`.*.tmp`) an interrupted run left; how many there were."""
    found = [*Path(folder).glob(".*.tmp"), *(Path(folder) / PARTS).glob(".*.tmp")]
    for path in found:
        _remove(path)
    return len(found)


def clean(folder: Path) -> int:
    """Remove the parts and temporary files of a complete run folder; how many there were."""
    removed = remove_temporary(folder)
    parts = Path(folder) / PARTS
    if parts.exists():
        removed += 1
        shutil.rmtree(parts)
    return removed


def finished_parts(folder: Path) -> tuple[set[str], list[str]]:
    """The parts of a run folder that are complete and readable, and those removed to be recomputed.

    A part is kept when every one of its tables reads as parquet; a part with a missing, truncated or otherwise
    unreadable table is removed (its run is deterministic: the experiment runs it again).
    """
    good: set[str] = set()
    removed: list[str] = []
    for part in sorted((Path(folder) / PARTS).glob("s*-p*-r*")):
        if part.is_dir() and all(_readable(part / f"{name}.parquet") for name in TABLES):
            good.add(part.name)
        else:
            _remove(part)
            removed.append(part.name)
    return good, removed


def write_part(folder: Path, task: Task, tables: dict[str, pd.DataFrame]) -> None:
    """Write one run's tables into a temporary folder, then rename it into place (atomic)."""
    parts = Path(folder) / PARTS
    parts.mkdir(exist_ok=True)
    temporary = parts / f".{task.part}.{secrets.token_hex(4)}.tmp"
    temporary.mkdir()
    try:
        for name in TABLES:
            tables[name].to_parquet(temporary / f"{name}.parquet", index=False)
        if (parts / task.part).exists():  # a corrupt copy was removed; never merge into an old folder
            shutil.rmtree(parts / task.part)
        os.replace(temporary, parts / task.part)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def read_part(folder: Path, part: str, name: str) -> pd.DataFrame:
    """One table of a part.

    Raises:
        RunFolderError: when it cannot be read (naming the file).
    """
    path = Path(folder) / PARTS / part / f"{name}.parquet"
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise RunFolderError(f"{path}: cannot be read ({exc}); expected a parquet table written by this run; "
                             "resume the run folder with --resume to recompute the part") from exc


def read_parts(folder: Path, tasks: Iterable[Task]) -> dict[str, list[pd.DataFrame]]:
    """Every table of the parts of `tasks`, in their order."""
    collected: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for task in tasks:
        for name in TABLES:
            collected[name].append(read_part(folder, task.part, name))
    return collected


def _readable(path: Path) -> bool:
    try:
        pq.read_table(path)
    except (OSError, ValueError):  # missing, truncated, not parquet (ArrowInvalid is a ValueError)
        return False
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _pathconf(path: Path, name: str, default: int) -> int:
    try:
        return os.pathconf(path, name)
    except (OSError, ValueError, AttributeError):  # not on this platform or file system
        return default


def _short(text: object, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"

