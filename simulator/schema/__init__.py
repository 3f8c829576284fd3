"""The sections of a scenario file, one module per concept; `simulator.scenario` assembles them.

It also owns what a scenario checks about policies without importing them: the names a scenario may use
(`policy_names`) and the parameters of each shipped policy (`policy_params`). It sits below the scenario and may
import from the package only what lies below it: the experiment section (`experiment`) reads the metric catalogue
(which metrics a primary may name) and `stats` (the fewest paired replications a difference is called on).
"""
