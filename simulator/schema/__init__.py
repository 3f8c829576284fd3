"""The sections of a scenario file, one module per concept; `simulator.scenario` assembles them.

It also owns what a scenario checks about policies without importing them: the names a scenario may use
(`policy_names`) and the parameters of each shipped policy (`policy_params`). It sits below the scenario and may
import nothing else from the package (only pydantic, PyYAML and the standard library).
"""
