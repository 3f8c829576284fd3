"""Alignment and vacancy policies: the registry and the policies that need only a world.

This layer sits below the engine, which looks policies up here by name to realign during a run. It owns the
registry (`registry`), `as_is` and `nearest` (`basic`), `balanced` and `min_disruption` (`balanced`, on the
partition engine, with `pieces`: the measures and the account-level pieces they partition, and `plan`: a
solved partition turned into an alignment) and the vacancy policies (`vacancy`). It may import the alignment, the
partition engine, the world, the scenario schema and the bottom layer, never the engine or anything above it. The
`optimise` policy runs simulations, so it lives above the engine (`simulator.optimise`) and registers itself
there, like a plug-in.
Importing this package registers the policies it holds.
"""

from simulator.policies import balanced, basic  # noqa: F401  (registers as_is, nearest, balanced, min_disruption)
from simulator.policies.registry import AlignmentPolicy, call_policy, get_policy, register, registered_policies

__all__ = ["AlignmentPolicy", "call_policy", "get_policy", "register", "registered_policies"]
