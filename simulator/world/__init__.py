"""The static world: units, accounts, reps, adjacency and travel, from a generator or from files."""

from __future__ import annotations

from simulator.scenario import Scenario
from simulator.world.files import WorldDataError, load_world
from simulator.world.model import World
from simulator.world.synthetic import generate_world


def build_world(scenario: Scenario) -> World:
    """The world a scenario describes (synthetic or loaded from its files)."""
    if scenario.world.synthetic is not None:
        return generate_world(scenario)
    return load_world(scenario)


__all__ = ["World", "WorldDataError", "build_world", "generate_world", "load_world"]
