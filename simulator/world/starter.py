"""A first scenario for an imported world folder (`territory-sim new --world DIR`): commented YAML to edit and run.

The file names the folder's world files (relative to where the scenario is written), declares the segments the
accounts use, compares `as_is` with `balanced` and `min_disruption`, replicates to a precision target (the default
first batch and target, written out to be edited), and carries a commented departure with a real rep's name, so the
planner's first question is one uncommented block away. Every section has a comment saying what it does; the file
validates and runs as written.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from simulator.io import atomic_write
from simulator.scenario import DEFAULT_PRECISION, Experiment
from simulator.schema.world import default_segments
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS
from simulator.world.files import WorldDataError, read_table

WORLD_FILES = ("accounts", "reps")
CAP = Experiment.model_fields["max_replications"].default  # the experiment's own default cap


class StarterError(Exception):
    """A world folder a scenario cannot be written for, or a file that cannot be written."""


def world_files(world: Path) -> dict[str, Path]:
    """The folder's accounts and reps files (Parquet from import-crm, or CSV).

    Raises:
        StarterError: when the folder or one of its files is missing.
    """
    if not world.is_dir():
        raise StarterError(f"--world {world}: not a folder; expected a folder written by `territory-sim import-crm`")
    found = {}
    for kind in WORLD_FILES:
        candidates = [world / f"{kind}.{ext}" for ext in ("parquet", "csv")]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise StarterError(f"--world {world}: no {kind}.parquet or {kind}.csv; expected a folder written by "
                               "`territory-sim import-crm`")
        found[kind] = path
    return found


def starter_yaml(world: Path, out: Path) -> str:
    """The commented scenario text for the world folder `world`, to be written at `out`.

    Raises:
        StarterError: when the folder lacks its files or they cannot be read.
    """
    files = world_files(world)
    try:
        accounts, reps = read_table(files["accounts"]), read_table(files["reps"])
    except WorldDataError as exc:
        raise StarterError(str(exc)) from exc
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", out.stem).strip("-.") or "scenario"
    relative = {kind: Path(os.path.relpath(path.resolve(), out.resolve().parent)).as_posix()
                for kind, path in files.items()}
    lines = [
        f"# A first scenario for the world in {world} (written by territory-sim new).",
        "# Check it:  territory-sim validate " + out.name,
        "# Run it:    territory-sim run " + out.name,
        f"name: {name}                       # the run folders go to <output.folder>/{name}/",
        "",
        "# The world: the accounts and reps import-crm wrote (paths are relative to this file).",
        "world:",
        f"  files: {{accounts: {relative['accounts']}, reps: {relative['reps']}}}",
        "",
        *_segment_lines(accounts),
        "",
        "# The plans compared: as_is keeps today's owners (the baseline); balanced redraws contiguous territories",
        "# of even workload; min_disruption balances while moving as few accounts as it can.",
        "policies: [as_is, balanced, min_disruption]",
        "",
        "# How long each plan is simulated: quarters of working days.",
        "calendar: {quarters: 4}",
        "",
        "# How many times each plan is replayed (with common random numbers): in batches until every plan's revenue",
        f"# difference from as_is is known within ±{DEFAULT_PRECISION:.0%} (a 95% interval), at most "
        f"{CAP} times.",
        "experiment:",
        f"  replications: {MIN_CLEAR_REPLICATIONS}        # the first batch: the fewest a difference is called on",
        f"  precision: {DEFAULT_PRECISION}",
        f"  max_replications: {CAP}",
        "",
        *_event_lines(accounts, reps),
    ]
    return "\n".join(lines) + "\n"


def default_out(world: Path) -> Path:
    """Where `new` writes by default: beside the folder, named after it (crm/ -> crm.yaml)."""
    return world.parent / f"{world.resolve().name}.yaml"


def write_starter(world: Path, out: Path, force: bool = False) -> Path:
    """Write the starter scenario at `out` (atomically); refuses to overwrite a file unless `force`.

    Raises:
        StarterError: when `out` exists (without `force`) or is a folder, or the world folder is not usable.
    """
    if out.is_dir():
        raise StarterError(f"--out {out}: is a folder; expected a file name, e.g. {out / 'scenario.yaml'}")
    if out.exists() and not force:
        raise StarterError(f"--out {out}: exists; choose another name or pass --force to overwrite it")
    text = starter_yaml(world, out)
    try:
        return atomic_write(out, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise StarterError(f"--out {out}: cannot be written ({exc.strerror or type(exc).__name__})") from exc


def _segment_lines(accounts: pd.DataFrame) -> list[str]:
    """Segments: the ones the accounts use, with the default visit rules where the name is a default one."""
    defaults = default_segments()
    counts = accounts["segment"].astype(str).str.strip().value_counts() if "segment" in accounts else pd.Series()
    names = sorted(counts.index) or list(defaults)
    lines = ["# Account segments: required visits per quarter and hours per visit (share: of the accounts; only",
             "# generated worlds use it). A, B and C are import-crm's bands by potential (top 10%, next 30%, rest).",
             "segments:"]
    for segment in names:
        rule = defaults.get(segment, defaults[list(defaults)[-1]])
        share = float(counts.get(segment, 0)) / max(float(counts.sum()), 1.0)
        note = "" if segment in defaults else "   # not a default segment: set its visits"
        lines.append(f"  {_yaml_key(segment)}: {{share: {share:.3f}, visits_per_quarter: {rule.visits_per_quarter:g}, "
                     f"visit_hours: {rule.visit_hours:g}}}{note}")
    return lines


def _event_lines(accounts: pd.DataFrame, reps: pd.DataFrame) -> list[str]:
    """A commented departure of the rep owning the most accounts (by name when the reps file has names)."""
    owners = accounts["owner"].dropna().astype(str) if "owner" in accounts else pd.Series(dtype=str)
    owners = owners[owners.str.strip() != ""]
    rep_id = owners.value_counts().index[0] if len(owners) else str(reps["rep_id"].iloc[0])
    names = dict(zip(reps["rep_id"].astype(str), reps["name"], strict=True)) if "name" in reps else {}
    name = names.get(rep_id)
    shared = sum(str(n).strip().casefold() == str(name).strip().casefold() for n in names.values()) > 1
    who = str(name).strip() if isinstance(name, str) and name.strip() and not shared else rep_id  # a shared name
    # would be refused as ambiguous: the Id then
    return [
        "# Planned changes during the horizon. Uncomment to ask: this rep leaves at the start of quarter 2; who",
        "# absorbs the accounts? (workforce.vacancy_policy says who covers them until the seat is filled again).",
        "# events:",
        "#   - type: departure",
        f"#     rep: {_yaml_value(who)}" + (f"              # the rep's name or CRM Id ({rep_id})" if who != rep_id
                                            else "              # the rep's CRM Id"),
        "#     quarter: 2",
        "#     at: start                  # its first working day (end: its last; or day: N instead of quarter)",
        "#     backfill: true             # the seat is re-hired",
        "# workforce: {vacancy_policy: neighbours}   # hold, neighbours, realign or manager",
    ]


YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}  # read as booleans or null


def _yaml_key(text: str) -> str:
    """A mapping key as YAML reads it back: plain when safe, else a double-quoted (JSON) string."""
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text) and text.lower() not in YAML_WORDS
    return text if plain else json.dumps(text)


def _yaml_value(text: str) -> str:
    """A scalar value (a name with spaces is fine plain) as YAML reads it back."""
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9_ .-]*[A-Za-z0-9_.]", text) and text.lower() not in YAML_WORDS
    return text if plain else json.dumps(text)
