"""Experiments: every policy x replication of a scenario, run and written as one run folder.

Replication r of every policy uses the same named random streams (seed, r, ...), so policies face the same
demand, durations and hidden attributes: differences between them come from the policy (common random numbers).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.alignment import Alignment, alignment_quality, territory_table
from simulator.engine import simulate
from simulator.io import atomic_write, git_commit, package_versions, write_json, write_parquet
from simulator.metrics import RunTables, run_tables
from simulator.policies import get_policy
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world import World, build_world
from simulator.world.planned import check_events

HEADLINE_METRICS = ["revenue", "share_rep_quarters_at_quota", "median_attainment", "coverage_gap",
                    "unvisited_account_share", "selling_share", "travel_share", "admin_share",
                    "month3_revenue_share", "workload_cv", "annual_turnover", "vacancy_days", "orphaned_account_days"]


@dataclass
class ExperimentResult:
    """Tables of an experiment (long and tidy, with run keys on every row) and where they were written."""

    scenario: Scenario
    summary: pd.DataFrame
    rep_quarters: pd.DataFrame
    accounts: pd.DataFrame
    alignment: pd.DataFrame
    territories: pd.DataFrame
    events: pd.DataFrame
    assignments: pd.DataFrame
    folder: Path | None = None
    wall_seconds: float = 0.0
    runs: dict[tuple[str, int], RunTables] = field(default_factory=dict)

    def headline(self) -> pd.DataFrame:
        """Mean of each headline metric per policy (policies in scenario order)."""
        order = [spec.key for spec in self.scenario.policies]
        wide = self.summary.pivot_table(index="policy", columns="metric", values="value", aggfunc="mean")
        return wide.loc[order, [m for m in HEADLINE_METRICS if m in wide.columns]]


def build_alignments(scenario: Scenario, world: World) -> dict[str, Alignment]:
    """The alignment of every policy in the scenario, keyed by label."""
    seats = world.initial_seats()
    streams = Streams(scenario.experiment.seed, replication=0)
    return {spec.key: get_policy(spec.name)(world, seats, dict(spec.params), streams.generator(f"policy.{spec.key}"))
            for spec in scenario.policies}


def run_experiment(scenario: Scenario, *, out: Path | None = None, write: bool = True, keep_runs: bool = False,
                   command: str | None = None) -> ExperimentResult:
    """Run every policy x replication of a scenario and (by default) write a run folder.

    Args:
        scenario: the validated scenario (apply overrides with `Scenario.with_overrides` first).
        out: the results folder; default the scenario's `output.folder`.
        write: write the run folder (manifest and parquet tables).
        keep_runs: keep every run's full tables (visits, rep-days, opportunities) in the result.
        command: the command line, recorded in the manifest.

    Returns:
        The tables, and the run folder if written.

    """
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    world = build_world(scenario)
    check_events(scenario, world)
    alignments = build_alignments(scenario, world)
    baseline = get_policy("as_is")(world, world.initial_seats(), {}, Streams(0).generator("as_is"))
    hours_per_km = scenario.travel.circuity / scenario.travel.speed_kmh
    quality = {key: alignment_quality(world, a, hours_per_km, _tolerance(scenario, key), baseline=baseline)
               for key, a in alignments.items()}

    keys = {"scenario": scenario.name}
    summary_rows, rep_quarters, accounts, events, runs = [], [], [], [], {}
    for replication in range(scenario.experiment.replications):
        streams = Streams(scenario.experiment.seed, replication)
        for policy, alignment in alignments.items():
            spec = next(spec for spec in scenario.policies if spec.key == policy)
            tables = run_tables(simulate(world, alignment, scenario, streams, arm=spec))
            run_keys = {**keys, "policy": policy, "replication": replication}
            metrics = {**tables.summary, **{k: quality[policy][k] for k in quality[policy]}}
            summary_rows += [{**run_keys, "metric": name, "value": float(value)} for name, value in metrics.items()]
            rep_quarters.append(tables.rep_quarters.assign(**run_keys))
            accounts.append(tables.accounts.assign(**run_keys))
            events.append(tables.events.assign(**run_keys))
            if keep_runs:
                runs[(policy, replication)] = tables

    result = ExperimentResult(
        scenario=scenario,
        summary=pd.DataFrame(summary_rows),
        rep_quarters=_keys_first(pd.concat(rep_quarters, ignore_index=True)),
        accounts=_keys_first(pd.concat(accounts, ignore_index=True)),
        events=_keys_first(pd.concat(events, ignore_index=True)),
        alignment=pd.concat([a.to_frame(world).assign(**keys, policy=p) for p, a in alignments.items()],
                            ignore_index=True).pipe(_keys_first),
        territories=pd.concat([territory_table(world, a, hours_per_km).assign(**keys, policy=p)
                               for p, a in alignments.items()], ignore_index=True).pipe(_keys_first),
        assignments=_assignments(world, alignments, baseline).assign(**keys).pipe(_keys_first),
        runs=runs,
    )
    result.wall_seconds = time.perf_counter() - started
    if write:
        result.folder = _write(result, Path(out) if out else scenario.output.folder, started_at, command)
    return result


def align_report(scenario: Scenario, policy: str) -> tuple[dict, pd.DataFrame]:
    """Align the scenario's world with one policy (by label or name): its quality metrics and the alignment.

    Returns:
        (report, alignment rows): the report's keys are territories, workload_cv, workload_max_deviation,
        potential_cv, potential_max_deviation, seats_within_tolerance, contiguous_territories, compactness_hours,
        disruption_account_share, disruption_potential_share, seconds, plus what the policy reports (seats missing
        the tolerance, achievable tolerance, split units).
    """
    world = build_world(scenario)
    spec = next((s for s in scenario.policies if policy in (s.key, s.name)), None)
    name, params = (spec.name, dict(spec.params)) if spec else (policy, {})
    seats = world.initial_seats()
    baseline = get_policy("as_is")(world, seats, {}, Streams(0).generator("as_is"))
    started = time.perf_counter()
    alignment = get_policy(name)(world, seats, params, Streams(scenario.experiment.seed).generator(f"policy.{policy}"))
    seconds = time.perf_counter() - started
    tolerance = float(params.get("tolerance", 0.05))
    quality = alignment_quality(world, alignment, scenario.travel.circuity / scenario.travel.speed_kmh, tolerance,
                                baseline)
    report = {
        "policy": policy, "territories": int(quality["territories"]),
        "workload_cv": quality["workload_cv"], "workload_max_deviation": quality["workload_max_deviation"],
        "potential_cv": quality["potential_cv"], "potential_max_deviation": quality["potential_max_deviation"],
        "seats_within_tolerance": int(round(quality["share_within_tolerance"] * quality["territories"])),
        "contiguous_territories": int(round(quality["contiguous_share"] * quality["territories"])),
        "compactness_hours": quality["compactness_hours"],
        "disruption_account_share": quality["disruption_account_share"],
        "disruption_potential_share": quality["disruption_potential_share"],
        "seconds": round(seconds, 3),
        "tolerance": tolerance,
        "achievable_tolerance": alignment.info.get("achievable_tolerance", quality["workload_max_deviation"]),
        "seats_missing": list(alignment.info.get("seats_missing", [])),
        "splits": list(alignment.info.get("splits", [])),
    }
    return report, alignment_rows(world, alignment)


def alignment_rows(world: World, alignment: Alignment) -> pd.DataFrame:
    """An alignment as rows: every unit's rep, then every named-account exception."""
    rep_ids = world.reps["rep_id"].astype(str).to_numpy()
    units = pd.DataFrame({"kind": "unit", "id": world.units["unit_id"].astype(str).to_numpy(),
                          "rep_id": rep_ids[alignment.unit_seat]})
    accounts = pd.DataFrame({"kind": "account",
                             "id": [str(world.accounts["account_id"].iat[a]) for a in alignment.overrides],
                             "rep_id": [rep_ids[s] for s in alignment.overrides.values()]})
    return pd.concat([units, accounts], ignore_index=True)


def write_alignment(frame: pd.DataFrame, path: Path) -> None:
    """Write alignment rows as CSV or Parquet (by extension), atomically."""
    if path.suffix.lower() in (".parquet", ".pq"):
        write_parquet(frame, path)
    else:
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def _assignments(world: World, alignments: dict[str, Alignment], baseline: Alignment) -> pd.DataFrame:
    """Owner of every account under each policy's alignment (before any workforce change), and today's owner."""
    rep_ids = world.reps["rep_id"].to_numpy()
    recorded = world.accounts["owner"].to_numpy(dtype=np.int64)
    current = np.where(recorded >= 0, rep_ids[np.maximum(recorded, 0)], "")
    return pd.concat([pd.DataFrame({"policy": policy, "account_id": world.accounts["account_id"].to_numpy(),
                                    "seat": alignment.account_seats(world),
                                    "rep_id": rep_ids[alignment.account_seats(world)], "current_rep_id": current})
                      for policy, alignment in alignments.items()], ignore_index=True)


def _tolerance(scenario: Scenario, key: str) -> float:
    spec = next(s for s in scenario.policies if s.key == key)
    return float(spec.params.get("tolerance", 0.05))


def _keys_first(frame: pd.DataFrame) -> pd.DataFrame:
    first = [c for c in ("scenario", "policy", "replication") if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def _write(result: ExperimentResult, root: Path, started_at: datetime, command: str | None) -> Path:
    scenario = result.scenario
    folder = root / scenario.name / f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True, exist_ok=False)
    tables = {"summary": result.summary, "rep_quarters": result.rep_quarters, "accounts": result.accounts,
              "alignment": result.alignment, "territories": result.territories, "events": result.events,
              "assignments": result.assignments}
    for name, frame in tables.items():
        write_parquet(frame, folder / f"{name}.parquet")
    write_json({
        "scenario": scenario.name,
        "scenario_file": str(scenario.source) if scenario.source else None,
        "resolved_scenario": scenario.model_dump(mode="json"),
        "seed": scenario.experiment.seed,
        "replications": scenario.experiment.replications,
        "policies": [spec.key for spec in scenario.policies],
        "vacancy_policies": {spec.key: scenario.vacancy_policy_of(spec) for spec in scenario.policies},
        "command": command,
        "started_at": started_at.isoformat(),
        "wall_seconds": round(result.wall_seconds, 3),
        "git_commit": git_commit(),
        "package_versions": package_versions(),
        "files": sorted(f"{name}.parquet" for name in tables),
    }, folder / "manifest.json")
    return folder
