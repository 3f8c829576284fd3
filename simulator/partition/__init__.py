"""The partition engine: balanced, contiguous graph partitioning on plain arrays, knowing nothing of worlds.

It owns the problem (`problem`), the starting partitions (`start`), the local search (`search`), the deterministic
work budget (`budget`) and the solver that runs them in turn (`solve`). It may import nothing else from
`simulator` (only numpy, networkx and the standard library), so policies above it reuse it and tests drive it on
tiny grids. `Problem`, `Result` and `solve` are re-exported here as the package's public face.
"""

from simulator.partition.problem import Problem
from simulator.partition.solve import Result, solve

__all__ = ["Problem", "Result", "solve"]
