"""Experiments: a scenario expanded into runs (sweep point x policy x replication), executed, written, compared.

It owns the expansion (`sweep`), one run as a worker performs it (`runs`), the executors (`executors`), the run
folder (`run_folder`), when to stop replicating (`sequential`), aligning a scenario's world outside a run
(`align_report`), the experiment itself (`experiment`) and its terminal answer (`terminal`). It is the layer that
builds runs, so it may import every layer below it (the optimise policy, metrics, engine, policies, world, scenario,
report, statistics); only calibration and the CLI import it. Importing it registers the `optimise` policy
(`simulator.optimise`), so runs, realignments inside runs and `align` can name every shipped policy.
"""

import simulator.optimise  # noqa: F401  (registers the `optimise` alignment policy)
from simulator.experiment.experiment import ExperimentResult, run_experiment

__all__ = ["ExperimentResult", "run_experiment"]
