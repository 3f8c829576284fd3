"""Experiments: every sweep point x policy x replication of a scenario, run, written part by part, compared.

Replication r of every policy (and sweep point) uses the same named random streams (seed, r, ...), so policies
face the same demand, durations, hidden attributes and life events: differences come from the policy (common
random numbers). Each finished run is written at once as its own part, atomically, so an interrupted experiment
resumes where it stopped; the final tables are assembled from the parts in a fixed order, so results are the same
whatever the executor and the number of workers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from simulator.alignment import territory_table
from simulator.catalogue import schema_metadata
from simulator.experiment import run_folder
from simulator.experiment.align_report import assignments
from simulator.experiment.executors import Progress, Session
from simulator.experiment.run_folder import PARTS, ResumeError
from simulator.experiment.runs import TABLES, Task, prepare
from simulator.experiment.sequential import Rounds, Status
from simulator.experiment.sweep import SweepPoint, expand
from simulator.io import git_commit, package_versions, write_json, write_parquet
from simulator.metrics.absorption import absorption_table
from simulator.metrics.tables import RunTables
from simulator.report import build_report
from simulator.scenario import Scenario
from simulator.stats.compare import compare

HEADLINE_METRICS = ["revenue", "share_rep_quarters_at_quota", "median_attainment", "coverage_gap",
                    "unvisited_account_share", "selling_share", "travel_share", "admin_share",
                    "month3_revenue_share", "workload_cv", "annual_turnover", "vacancy_days", "orphaned_account_days"]
__all__ = ["HEADLINE_METRICS", "PARTS", "ExperimentResult", "ResumeError", "run_experiment", "tasks_of"]


@dataclass
class ExperimentResult:
    """Tables of an experiment (long and tidy, run keys on every row) and where they were written."""

    scenario: Scenario
    summary: pd.DataFrame
    rep_quarters: pd.DataFrame
    accounts: pd.DataFrame
    events: pd.DataFrame
    weekly: pd.DataFrame
    comparison: pd.DataFrame
    alignment: pd.DataFrame
    territories: pd.DataFrame
    assignments: pd.DataFrame
    absorption: pd.DataFrame = field(default_factory=pd.DataFrame)  # who absorbed departing reps' accounts
    sweep: list[SweepPoint] = field(default_factory=list)
    folder: Path | None = None
    wall_seconds: float = 0.0
    resumed_parts: int = 0
    runs: dict[tuple[str, int], RunTables] = field(default_factory=dict)
    replications: int = 0
    status: Status | None = None
    recomputed_parts: list[str] = field(default_factory=list)
    searches: dict[int, dict[str, dict]] = field(default_factory=dict)  # sweep point -> policy -> plan search

    def selection(self, sweep_point: int = 0) -> dict | None:
        """The selection of the best policy at a sweep point, by label (None without `experiment.select`)."""
        if self.status is None or sweep_point not in self.status.selections:
            return None
        chosen = self.status.selections[sweep_point]
        labels = [spec.key for spec in self.scenario.policies]
        return {"best": labels[chosen.best] if chosen.best is not None else None,
                "survivors": [labels[i] for i in chosen.survivors],
                "eliminated_at": {labels[i]: r for i, r in chosen.eliminated_at.items()},
                "replications": chosen.replications, "indifference": self.status.deltas.get(sweep_point)}

    def headline(self, sweep_point: int = 0) -> pd.DataFrame:
        """Mean of each headline metric per policy (policies in scenario order) at one sweep point."""
        order = [spec.key for spec in self.scenario.policies]
        rows = self.summary[self.summary["sweep_point"] == sweep_point]
        wide = rows.pivot_table(index="policy", columns="metric", values="value", aggfunc="mean")
        return wide.loc[order, [m for m in HEADLINE_METRICS if m in wide.columns]]


def tasks_of(scenario: Scenario, points: list[SweepPoint], replications: range | None = None) -> list[Task]:
    """Every run of the experiment (of some replications), in the order rows appear in its tables."""
    replications = replications if replications is not None else range(scenario.experiment.replications)
    return [Task(point.scenario, point.index, tuple(point.values.items()), spec.key, index, replication,
                 tuple(prepare(point.scenario).alignments.items()))
            for point in points
            for index, spec in enumerate(scenario.policies)
            for replication in replications]


def run_experiment(scenario: Scenario, *, out: Path | None = None, write: bool = True, keep_runs: bool = False,
                   command: str | None = None, executor: str = "serial", workers: int | None = None,
                   scheduler: str | None = None, resume: Path | None = None, progress: bool = False,
                   stop_after: int | None = None) -> ExperimentResult:
    """Run every sweep point x policy x replication of a scenario; write a run folder; compare policies.

    With `experiment.precision` or `experiment.select`, replications run in rounds (the first of
    `experiment.replications`, then `experiment.batch` more) until the targets hold or `max_replications` is
    reached (`sequential.Rounds`); otherwise `experiment.replications` of them.

    Args:
        scenario: the validated scenario (apply overrides with `Scenario.with_overrides` first).
        out: the results folder; default the scenario's `output.folder`.
        write: write the run folder (parts as runs finish, then the tables, comparison and manifest).
        keep_runs: keep every run's full tables (visits, rep-days, opportunities); serial executor only.
        command: the command line, recorded in the manifest.
        executor: "serial", "local" (process pool) or "dask".
        workers: local processes (default all cores) or Dask workers of a local cluster.
        scheduler: address of an existing Dask scheduler.
        resume: a run folder of the same scenario whose finished parts are kept.
        progress: show a progress bar on standard error.
        stop_after: stop after this many new runs (simulates an interruption; for tests).

    Returns:
        The tables (pandas DataFrames) and the run folder, if written.
    """
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    points = expand(scenario)
    rounds = Rounds(scenario)
    batch = rounds.next_batch(0)
    scenario_folder = (Path(out) if out else scenario.output.folder) / scenario.name
    if resume is not None:
        run_folder.check_resumable(Path(resume), scenario.model_dump(mode="json"))
    elif write:
        run_folder.check_writable(scenario_folder)  # a folder that cannot be created fails before the worlds are built
    tasks = tasks_of(scenario, points, batch)  # prepares every sweep point: bad worlds and events fail before any run
    folder = None
    finished: dict[str, dict[str, pd.DataFrame]] = {}
    done_parts: set[str] = set()
    recomputed: list[str] = []
    if resume is not None:
        folder = Path(resume)
        run_folder.remove_temporary(folder)
        done_parts, recomputed = run_folder.finished_parts(folder)  # corrupt or incomplete: run again
    elif write:
        folder = run_folder.create(scenario_folder, started_at)
    if folder is not None:
        _manifest(folder, scenario, points, started_at, command, status="running")
    runs: dict[tuple[str, int], RunTables] = {}
    primary = scenario.experiment.primary

    def done(task: Task, tables: dict) -> None:
        if "run" in tables:
            key = (task.policy, task.replication) if len(points) == 1 else (task.sweep_point, task.policy,
                                                                             task.replication)
            runs[key] = tables.pop("run")
        _record(rounds, task, tables["summary"], primary)
        if folder is not None:
            run_folder.write_part(folder, task, tables)
        else:
            finished[task.part] = tables

    budget = stop_after
    bar = Progress(0, progress)
    all_tasks: list[Task] = []
    status = Status(0)
    try:  # the progress bar ends however the runs end (a rich live display must be stopped)
        with Session("serial" if keep_runs else executor, workers, scheduler, keep_runs) as session:
            while True:
                all_tasks += tasks
                pending = [task for task in tasks if task.part not in done_parts]
                for task in tasks:
                    if task.part in done_parts:  # resumed: its result counts towards the stopping rule
                        _record(rounds, task, run_folder.read_part(folder, task.part, "summary"), primary)
                cut = budget is not None and len(pending) > budget
                pending = pending[:budget] if budget is not None else pending
                bar.add(len(pending), rounds.note(status) if status.replications else "")
                session.run(pending, done, bar)
                if cut:
                    raise InterruptedError(f"stopped after {stop_after} runs (as asked); resume with the run folder "
                                           f"{folder}")
                if budget is not None:
                    budget -= len(pending)
                status = rounds.check([p.index for p in points], batch.stop)
                if (not scenario.experiment.sequential or status.met
                        or batch.stop >= scenario.experiment.max_replications):
                    break
                batch = rounds.next_batch(batch.stop)
                tasks = tasks_of(scenario, points, batch)
    finally:
        bar.close()
    tables = _assemble(all_tasks, folder, finished)
    result = _finish(scenario, points, tables, folder, runs, len(done_parts))
    result.replications, result.status = status.replications, status
    result.recomputed_parts = recomputed
    result.wall_seconds = time.perf_counter() - started
    if folder is not None:  # finalise: each step can be interrupted; a resume repeats the steps not known done
        _write_tables(folder, result)
        _manifest(folder, scenario, points, started_at, command, status="running",  # the report reads its rounds,
                  wall_seconds=result.wall_seconds, resumed_parts=len(done_parts), result=result)  # and searches
        build_report(folder)
        _manifest(folder, scenario, points, started_at, command, status="complete",
                  wall_seconds=result.wall_seconds, resumed_parts=len(done_parts), result=result)
        run_folder.clean(folder)  # only now: until the manifest says complete, a resume assembles the parts
    return result


def _record(rounds: Rounds, task: Task, summary: pd.DataFrame, primary: str) -> None:
    """Feed a run's primary metric to the stopping rule."""
    value = summary.loc[summary["metric"] == primary, "value"]
    rounds.record(task.sweep_point, task.policy, task.replication, float(value.iloc[0]) if len(value) else math.nan)


def _assemble(tasks: list[Task], folder: Path | None, finished: dict) -> dict[str, pd.DataFrame]:
    ordered = sorted(tasks, key=lambda t: t.order)
    if folder is not None:
        collected = run_folder.read_parts(folder, ordered)
    else:
        collected = {name: [finished[task.part][name] for task in ordered] for name in TABLES}
    return {name: _keys_first(pd.concat(frames, ignore_index=True)) for name, frames in collected.items()}


def _finish(scenario: Scenario, points: list[SweepPoint], tables: dict[str, pd.DataFrame], folder: Path | None,
            runs: dict, resumed: int) -> ExperimentResult:
    summary = tables["summary"]
    for path in scenario.sweep:  # swept values as columns
        summary[path] = summary["sweep_point"].map({p.index: p.values[path] for p in points})
    alignment_rows, territory_rows, assignment_rows = [], [], []
    searches: dict[int, dict[str, dict]] = {}
    cities = {}
    for point in points:
        prepared = prepare(point.scenario)
        cities[point.index] = prepared.world.rep_cities
        keys = {"scenario": scenario.name, "sweep_point": point.index}
        for policy, alignment in prepared.alignments.items():
            if alignment.info.get("optimised"):
                searches.setdefault(point.index, {})[policy] = search_record(scenario, alignment.info)
            alignment_rows.append(alignment.to_frame(prepared.world).assign(**keys, policy=policy))
            territory_rows.append(territory_table(prepared.world, alignment, prepared.world.hours_per_km)
                                  .assign(**keys, policy=policy))
        assignment_rows.append(assignments(prepared.world, prepared.alignments).assign(**keys))
    metrics = list(dict.fromkeys([scenario.experiment.primary, *HEADLINE_METRICS]))
    comparison = compare(summary, scenario.baseline_key(), metrics, scenario.experiment.precision)
    return ExperimentResult(
        scenario=scenario, summary=summary, rep_quarters=tables["rep_quarters"], accounts=tables["accounts"],
        events=tables["events"], weekly=tables["weekly"], comparison=comparison,
        alignment=_keys_first(pd.concat(alignment_rows, ignore_index=True)),
        territories=_keys_first(pd.concat(territory_rows, ignore_index=True)),
        assignments=_keys_first(pd.concat(assignment_rows, ignore_index=True)),
        absorption=absorption_table(tables["events"], summary[["scenario", "sweep_point", "policy", "replication"]],
                                    [spec.key for spec in scenario.policies], cities),
        sweep=points, folder=folder, runs=runs, resumed_parts=resumed, searches=searches)


def search_record(scenario: Scenario, info: dict) -> dict:
    """What a run tells of a plan search: its in-sample difference, its moves, the arms it is compared with again.

    The arms: the start policy (the arm with the start's name and parameters, else the first with its name) and
    `as_is`, when the scenario has them.
    """
    starts = [spec for spec in scenario.policies if spec.name == info["start"]]
    exact = [spec for spec in starts if dict(spec.params) == info["start_params"]]
    against = [spec.key for spec in (exact or starts)[:1]]
    against += [spec.key for spec in scenario.policies if spec.name == "as_is"][:1]
    return {"start": info["start"], "compare_with": against, "primary": info["primary"],
            "search_replications": info["search_replications"], "evaluations": info["evaluations"],
            "proposals_screened": info["proposals_screened"], "confirmations": info["confirmations"],
            "steps": len(info["steps"]),
            "in_sample_difference": info["in_sample_difference"],
            "in_sample_relative_difference": info["in_sample_relative_difference"],
            "moves": [{**move, "step": number, "difference": step["difference"]}
                      for number, step in enumerate(info["steps"], 1) for move in step["moves"]],
            "disruption_share": info["disruption_share"]}


def _keys_first(frame: pd.DataFrame) -> pd.DataFrame:
    first = [c for c in ("scenario", "sweep_point", "policy", "replication") if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def _write_tables(folder: Path, result: ExperimentResult) -> None:
    """The tables; summary and comparison carry the catalogue entries of their metrics as schema metadata."""
    for name in ("summary", "rep_quarters", "accounts", "events", "weekly", "comparison", "alignment", "territories",
                 "assignments", "absorption"):
        frame = getattr(result, name)
        metadata = schema_metadata(sorted(set(frame["metric"]))) if name in ("summary", "comparison") else None
        write_parquet(frame, folder / f"{name}.parquet", metadata)


def _manifest(folder: Path, scenario: Scenario, points: list[SweepPoint], started_at: datetime, command: str | None,
              status: str, wall_seconds: float | None = None, resumed_parts: int = 0,
              result: ExperimentResult | None = None) -> None:
    experiment = scenario.experiment
    rounds = None
    if result is not None and result.status is not None and experiment.sequential:
        reached = result.status.half_width
        rounds = {"primary": experiment.primary, "replications_used": result.replications,
                  "precision_target": experiment.precision,
                  "half_width_reached": round(reached, 6) if math.isfinite(reached) else None,
                  "precision_met": result.status.precision_met if experiment.precision is not None else None,
                  "stopped": "targets met" if result.status.met else "max_replications reached",
                  "selection": {str(p.index): result.selection(p.index) for p in points}
                  if experiment.select is not None else None}
    write_json({
        "status": status,
        "scenario": scenario.name,
        "scenario_file": str(scenario.source) if scenario.source else None,
        "resolved_scenario": scenario.model_dump(mode="json"),
        "seed": scenario.experiment.seed,
        "replications": result.replications if result is not None else experiment.replications,
        "rounds": rounds,
        "searches": {str(k): v for k, v in result.searches.items()} if result is not None else {},
        "policies": [spec.key for spec in scenario.policies],
        "baseline": scenario.baseline_key(),
        "vacancy_policies": {spec.key: scenario.vacancy_policy_of(spec) for spec in scenario.policies},
        "sweep_points": [{"sweep_point": p.index, **p.values} for p in points],
        "command": command,
        "started_at": started_at.isoformat(),
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 3),
        "resumed_parts": resumed_parts,
        "git_commit": git_commit(),
        "package_versions": package_versions(),
        "files": ["summary.parquet", "rep_quarters.parquet", "accounts.parquet", "events.parquet", "weekly.parquet",
                  "comparison.parquet", "alignment.parquet", "territories.parquet", "assignments.parquet",
                  "absorption.parquet", "report.html"],
    }, folder / "manifest.json")

