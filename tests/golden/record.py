"""Record the golden visit and opportunity logs that the day-stepped engine must reproduce exactly.

The logs were recorded once, with the event-per-visit SimPy engine of commit c394da4 (the engine before the
day-stepped restructuring), by running this script from a checkout of that commit:

    python tests/golden/record.py OUT_FOLDER

It saves the quickstart world (seed 7) as tables, so the golden runs do not depend on the world generator, and
for each golden arm (quickstart's as_is and nearest; departures' four vacancy policies) one replication's visit
log and opportunity log. `tests/test_golden.py` rebuilds the world from the tables and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulator.policies import get_policy  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402
from simulator.streams import Streams  # noqa: E402
from simulator.world import build_world  # noqa: E402
from simulator.world.planned import check_events  # noqa: E402
from simulator.world.synthetic import assemble_world  # noqa: E402
from tests.reference_engine import simulate  # noqa: E402

GOLDEN_SCENARIOS = ("quickstart", "departures")
QUICKSTART_ARMS = ("as_is", "nearest")
REPLICATION = 1
VISIT_COLUMNS = ["seat", "account", "day", "start", "travel_hours", "visit_hours"]
OPPORTUNITY_COLUMNS = ["number", "account", "seat_created", "seat_closed", "value", "created", "closed", "outcome",
                       "stage", "source", "vacancy"]


def logs(state) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's visit log and opportunity log as data frames, in log order."""
    visits = pd.DataFrame(state.visit_log, columns=VISIT_COLUMNS)
    opportunities = pd.DataFrame(state.opportunity_log, columns=OPPORTUNITY_COLUMNS)
    return visits, opportunities


def save_world(world, out: Path) -> None:
    """The world's tables and adjacency edges, enough for `assemble_world` to rebuild it exactly."""
    world.units.to_parquet(out / "units.parquet")
    world.accounts.to_parquet(out / "accounts.parquet")
    world.reps.to_parquet(out / "reps.parquet")
    pd.DataFrame(list(nx.Graph(world.adjacency).edges()), columns=["a", "b"]).to_parquet(out / "edges.parquet")


def golden_world(folder: Path, scenario):
    """The saved world, assembled for `scenario` (whose segments and travel settings apply)."""
    edges = pd.read_parquet(folder / "edges.parquet")
    return assemble_world(scenario, pd.read_parquet(folder / "units.parquet"),
                          pd.read_parquet(folder / "accounts.parquet"), pd.read_parquet(folder / "reps.parquet"),
                          name="golden", neighbours=list(zip(edges["a"].tolist(), edges["b"].tolist(), strict=True)))


def golden_runs(folder: Path):
    """(scenario name, arm, world, scenario) of every golden run, on the saved world."""
    for name in GOLDEN_SCENARIOS:
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        world = golden_world(folder, scenario)
        check_events(scenario, world)
        for spec in scenario.policies:
            if name != "quickstart" or spec.key in QUICKSTART_ARMS:
                yield name, spec, world, scenario


def run_golden(spec, world, scenario):
    """One golden run's final state."""
    alignment = get_policy(spec.name)(world, world.initial_seats(), dict(spec.params),
                                      Streams(scenario.experiment.seed, 0).generator(f"policy.{spec.key}"))
    return simulate(world, alignment, scenario, Streams(scenario.experiment.seed, REPLICATION), arm=spec)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    save_world(build_world(load_scenario(ROOT / "scenarios" / "quickstart.yaml")), out)
    for name, spec, world, scenario in golden_runs(out):
        visits, opportunities = logs(run_golden(spec, world, scenario))
        visits.to_parquet(out / f"{name}-{spec.key}-visits.parquet", compression="zstd")
        opportunities.to_parquet(out / f"{name}-{spec.key}-opportunities.parquet", compression="zstd")
        print(name, spec.key, len(visits), "visits", len(opportunities), "opportunities")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
