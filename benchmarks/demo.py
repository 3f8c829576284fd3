"""The default demo, measured: what `territory-sim demo` runs, how long it takes and how big its report is.

Runs the shipped default scenario (`scenarios/us_national.yaml`, replicated until every revenue difference is known
within its precision target) on a local process pool of all cores, as `territory-sim demo` does, into a temporary
folder. Targets: the verdict's primary interval half-width at most 1% of the baseline's revenue, in at most 90 s on
2 cores (issue 12); the report at most 6 MB (issue 13).

    python benchmarks/demo.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.catalogue import format_relative  # noqa: E402
from simulator.experiment.experiment import ExperimentResult, run_experiment  # noqa: E402
from simulator.scenario import Scenario, load_scenario  # noqa: E402

WALL_TARGET, HALF_WIDTH_TARGET, REPORT_TARGET_MB = 90.0, 0.01, 6.0


def run_shipped(name: str) -> tuple[Scenario, ExperimentResult, float, float]:
    """Run a shipped scenario on a local pool of all cores into a temporary folder: result, wall s, report MB."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_experiment(scenario, out=Path(out), executor="local")
        wall = time.perf_counter() - start
        size = (result.folder / "report.html").stat().st_size / 1e6
    return scenario, result, wall, size


def main() -> None:
    scenario, result, wall, size = run_shipped("us_national")
    half = result.status.half_width
    print(f"demo: {scenario.name}, {len(scenario.policies)} policies x {result.replications} replications")
    print(f"wall time:            {wall:.1f} s   target <= {WALL_TARGET:.0f} s: "
          f"{'met' if wall <= WALL_TARGET else 'NOT met'}")
    print(f"revenue half-width:   ±{format_relative(half).lstrip('+')} of the baseline   target <= "
          f"±{format_relative(HALF_WIDTH_TARGET).lstrip('+')}: {'met' if half <= HALF_WIDTH_TARGET else 'NOT met'}")
    print(f"report.html:          {size:.2f} MB   target <= {REPORT_TARGET_MB:.0f} MB: "
          f"{'met' if size <= REPORT_TARGET_MB else 'NOT met'}")


if __name__ == "__main__":
    main()
