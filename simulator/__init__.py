"""territory-sim: simulate sales reps working their territories, to try a reorganisation before committing.

The Python API for notebooks: `load_scenario(path)` then `run_experiment(scenario)`.

The package is layered. `LAYERS` lists its folders and top-level modules from the top to the bottom; a module
imports only from its own folder or module and from layers below its own, and the members of one layer do not
import each other. `tests/test_architecture.py` reads `LAYERS` and fails on any import loop and on any import that
goes up (imports inside functions and under `TYPE_CHECKING` count). Top to bottom, and why there:

- `calibration` runs experiments against published benchmarks, so it sits on top (only the CLI imports it).
- `experiment` builds and executes runs, writes run folders and answers in the terminal; it imports
  `optimise`, so every run can name every shipped policy.
- `optimise` is the alignment policy that improves a plan by simulating it; it runs the engine and reads the
  metrics, so it sits above both and registers itself in the policy registry like a plug-in.
- `metrics` turns the engine's final state into tables; `engine` plays out one run.
- `policies` holds the registry (the engine looks policies up by name to realign) and the policies that need
  only a world; `alignment` is the immutable who-serves-what value they return.
- `world` generates, loads and imports worlds from a scenario; `scenario` validates scenario files from the
  sections in `schema`, which also holds the policy names a scenario may use (names only, no policy code).
- `report` reads run folders only (no scenario, world or engine) and `partition` is graph partitioning on
  plain arrays; both are independent of everything above, and of each other.
- `stats` (paired intervals, selection of the best) reads only the metric catalogue at the bottom:
  `catalogue`, `behaviour`, `io`, `processes` (worker processes and progress, shared by the experiment's
  executors and the plan search), `streams` and `data` import nothing from the package.

This module is the public face: it may import any layer, and no module inside the package imports it.
"""

from simulator.experiment import ExperimentResult, run_experiment
from simulator.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("calibration",),
    ("experiment",),
    ("optimise",),
    ("metrics",),
    ("engine",),
    ("policies",),
    ("alignment",),
    ("world",),
    ("scenario",),
    ("schema",),
    ("report", "partition"),
    ("stats",),
    ("catalogue", "behaviour", "io", "processes", "streams", "data"),
)

__all__ = ["LAYERS", "ExperimentResult", "Scenario", "ScenarioError", "load_scenario", "run_experiment"]
