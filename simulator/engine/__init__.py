"""The SimPy engine: rep workdays, the opportunity pipeline and one run."""

from simulator.engine.run import simulate
from simulator.engine.state import RunState

__all__ = ["RunState", "simulate"]
