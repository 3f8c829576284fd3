"""Registry of alignment policies: plain callables `policy(world, seats, params, rng) -> Alignment`.

Adding a policy is one function plus `@register("name")`; registering also declares the name to the scenario
schema (`simulator.schema.policy_names`), which validates names without importing any policy. The registry is its
own module so that the policy modules import `register` without importing the package that imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from simulator.alignment import Alignment
from simulator.schema.policy_names import declare_alignment_policy
from simulator.world.model import World

AlignmentPolicy = Callable[[World, Sequence[int], dict[str, Any], np.random.Generator], Alignment]

_REGISTRY: dict[str, AlignmentPolicy] = {}


def register(name: str) -> Callable[[AlignmentPolicy], AlignmentPolicy]:
    """Register an alignment policy under `name`."""

    def decorate(policy: AlignmentPolicy) -> AlignmentPolicy:
        if name in _REGISTRY and _REGISTRY[name] is not policy:
            raise ValueError(f"an alignment policy named {name!r} is already registered")
        _REGISTRY[name] = policy
        declare_alignment_policy(name)
        return policy

    return decorate


def get_policy(name: str) -> AlignmentPolicy:
    """The policy registered under `name` (KeyError naming the registered ones otherwise)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown alignment policy {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def call_policy(name: str, world: World, seats: Sequence[int], params: dict[str, Any], rng: np.random.Generator,
                scenario: Any = None) -> Alignment:
    """Run a policy; one that declares `needs_scenario` (it simulates) is handed the scenario too."""
    policy = get_policy(name)
    if getattr(policy, "needs_scenario", False):
        return policy(world, seats, params, rng, scenario=scenario)
    return policy(world, seats, params, rng)


def registered_policies() -> list[str]:
    """Names of every registered policy."""
    return sorted(_REGISTRY)
