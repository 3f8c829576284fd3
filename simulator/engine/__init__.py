"""The SimPy engine: one run of a world, an alignment and a scenario, day by day.

It owns the run state (`state`, `tables`), the rep workday and its compiled kernels (`workday`, `kernels`,
`planning`, `routing`, `visits`, `draws`), the opportunity pipeline (`pipeline`, `events`, `gather`), the
workforce (`workforce`) and the run itself (`run`). It may import the policies (it looks up the arm's policy by
name to realign, and the vacancy policy), the alignment, the world, the scenario and the bottom layer; never the
metrics, the optimise policy, the experiment or the report, which all sit above it. Its kernels' disk cache is
stamped with all the sources they are compiled from (`jitcache`), installed here before any kernel is decorated.
"""

from simulator.engine import jitcache

jitcache.install()

from simulator.engine.run import simulate  # noqa: E402  (after the cache locators are in place)
from simulator.engine.state import RunState  # noqa: E402

__all__ = ["RunState", "simulate"]
