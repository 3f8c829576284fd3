"""The static world: units, accounts, reps, adjacency and travel, from a generator, from files or from a CRM.

It owns the `World` value (`model`), geometry and travel (`geography`, `travel`), home placement (`power`), what
every way of making a world shares (`assembly`), the synthetic and US-geography generators (`synthetic`, `us`),
world files (`files`), seats opened by planned events (`planned`), the CRM importer and exporter (`crm`,
`crm_read`, `crm_potential`, `crm_export`), the data checks run before simulating (`checks`) and the commented
starter scenario for an imported folder (`starter`). It may import the scenario, its schema and the bottom layer;
never an alignment, a policy or the engine.
"""

from __future__ import annotations

from simulator.scenario import Scenario
from simulator.world.files import WorldDataError, load_world
from simulator.world.model import World
from simulator.world.planned import with_planned_seats
from simulator.world.synthetic import generate_world
from simulator.world.us import generate_geography_world


def build_world(scenario: Scenario) -> World:
    """The world a scenario describes (synthetic or from its files), with the seats its events will open."""
    if scenario.world.synthetic is not None:
        base = generate_world(scenario)
    elif scenario.world.geography is not None:
        base = generate_geography_world(scenario)
    else:
        base = load_world(scenario)
    return with_planned_seats(base, scenario)


__all__ = ["World", "WorldDataError", "build_world", "generate_world", "load_world"]
