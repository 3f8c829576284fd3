"""One run of an experiment (sweep point x policy x replication), as any executor's worker performs it.

A worker builds the world and the alignments of a sweep point once and keeps them (they are deterministic), so
the results of a run do not depend on where, or after which other runs, it is executed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from simulator.alignment import Alignment, alignment_quality
from simulator.engine import simulate
from simulator.metrics.tables import RunTables, run_tables
from simulator.policies import call_policy, get_policy
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world import World, build_world
from simulator.world.planned import check_events

TABLES = ("summary", "rep_quarters", "accounts", "events", "weekly")


@dataclass(frozen=True)
class Task:
    """What one run needs: the sweep point's scenario and which policy and replication to run."""

    scenario: Scenario
    sweep_point: int
    sweep_values: tuple[tuple[str, object], ...]
    policy: str
    policy_index: int
    replication: int
    alignments: tuple[tuple[str, Alignment], ...] = ()  # computed once by the parent: every worker uses the same

    @property
    def part(self) -> str:
        """Folder-safe name of the run's part."""
        return f"s{self.sweep_point:03d}-p{self.policy_index:02d}-r{self.replication:04d}"

    @property
    def order(self) -> tuple[int, int, int]:
        """Sort key: the order rows appear in the assembled tables."""
        return self.sweep_point, self.policy_index, self.replication


@dataclass
class Prepared:
    """A sweep point's world, alignments and alignment quality."""

    world: World
    baseline: Alignment
    alignments: dict[str, Alignment]
    quality: dict[str, dict[str, float]]


_PREPARED: dict[str, Prepared] = {}


def build_alignments(scenario: Scenario, world: World) -> dict[str, Alignment]:
    """The alignment of every policy in the scenario, keyed by label."""
    seats = world.initial_seats()
    streams = Streams(scenario.experiment.seed, replication=0)
    return {spec.key: call_policy(spec.name, world, seats, dict(spec.params), streams.generator(f"policy.{spec.key}"),
                                  scenario)
            for spec in scenario.policies}


def prepare(scenario: Scenario, alignments: dict[str, Alignment] | None = None) -> Prepared:
    """World, alignments and quality of a (sweep point's) scenario, built once per process.

    Alignments computed elsewhere (by the parent process) are used as given, so every worker simulates exactly
    the alignments the run folder records, even for a policy stopped by its time limit.
    """
    key = hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()
    found = _PREPARED.get(key)
    if found is None:
        world = build_world(scenario)
        check_events(scenario, world)
        alignments = alignments or build_alignments(scenario, world)
        baseline = get_policy("as_is")(world, world.initial_seats(), {}, Streams(0).generator("as_is"))
        quality = {spec.key: alignment_quality(world, alignments[spec.key], world.hours_per_km,
                                               float(spec.params.get("tolerance", 0.05)), baseline)
                   for spec in scenario.policies}
        found = _PREPARED[key] = Prepared(world, baseline, alignments, quality)
    return found


def run_task(task: Task, keep: bool = False) -> dict[str, pd.DataFrame | RunTables]:
    """Run one task; its tables with the run keys (scenario, sweep point, policy, replication) on every row."""
    scenario = task.scenario
    prepared = prepare(scenario, dict(task.alignments) or None)
    spec = next(s for s in scenario.policies if s.key == task.policy)
    tables = run_tables(simulate(prepared.world, prepared.alignments[task.policy], scenario,
                                 Streams(scenario.experiment.seed, task.replication), arm=spec))
    keys = {"scenario": scenario.name, "sweep_point": task.sweep_point, "policy": task.policy,
            "replication": task.replication}
    metrics = {**tables.summary, **prepared.quality[task.policy]}
    summary = pd.DataFrame({**keys, "metric": list(metrics), "value": [float(v) for v in metrics.values()]})
    out: dict[str, pd.DataFrame | RunTables] = {
        "summary": summary,
        "rep_quarters": tables.rep_quarters.assign(**keys),
        "accounts": tables.accounts.assign(**keys),
        "events": tables.events.assign(**keys),
        "weekly": tables.weekly.assign(**keys),
    }
    if keep:
        out["run"] = tables
    return out
