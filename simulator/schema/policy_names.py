"""The names a scenario may give an alignment or vacancy policy, kept at the schema layer (names only).

A scenario is validated below the policies: checking `policies: [balanced]` must not import the policy code
(which imports the world, the partition engine and, for `optimise`, the simulation). The shipped alignment policies
are the keys of the parameter table (`policy_params.POLICY_PARAMS`); the shipped vacancy policies are listed here.
A policy registered elsewhere (a plug-in) declares its name through the registry's `register`, so the scenario
accepts it too. `tests/test_architecture.py` checks that these names and the registries agree.
"""

from __future__ import annotations

from simulator.schema.policy_params import POLICY_PARAMS

VACANCY_POLICIES = ("hold", "manager", "neighbours", "realign")

_alignment: set[str] = set(POLICY_PARAMS)
_vacancy: set[str] = set(VACANCY_POLICIES)


def declare_alignment_policy(name: str) -> None:
    """Accept `name` as an alignment policy in scenarios (called by `simulator.policies.register`)."""
    _alignment.add(name)


def declare_vacancy_policy(name: str) -> None:
    """Accept `name` as a vacancy policy in scenarios (called by `simulator.policies.vacancy.register_vacancy`)."""
    _vacancy.add(name)


def alignment_policy_names() -> list[str]:
    """Names of every alignment policy a scenario may name, sorted."""
    return sorted(_alignment)


def vacancy_policy_names() -> list[str]:
    """Names of every vacancy policy a scenario may name, sorted."""
    return sorted(_vacancy)
