"""territory-sim: simulate sales reps working their territories, to try a reorganisation before committing.

The Python API for notebooks: `load_scenario(path)` then `run_experiment(scenario)`.
"""

from simulator.experiment import ExperimentResult, run_experiment
from simulator.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = ["ExperimentResult", "Scenario", "ScenarioError", "load_scenario", "run_experiment"]
