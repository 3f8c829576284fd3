"""Plans improved by their simulated outcome: the `optimise` alignment policy and the search under it.

It owns the feasible boundary moves of a plan (`moves`, on the partition engine's local search), the stochastic
local search that accepts a move only on a paired statistical rule (`search`) and the policy that wires them to
the engine (`policy`). Because the policy runs simulations, this layer sits above the engine and the metrics and may
import them and everything below; the engine never imports it. Importing the package registers `optimise` in the
policy registry (`simulator.policies`), the way a plug-in registers itself; the experiment layer imports it, so
every run and every realignment inside a run can name it.
"""

from simulator.optimise import policy  # noqa: F401  (registers the `optimise` policy)
