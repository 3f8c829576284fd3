"""Shared fixtures: tiny worlds and short scenarios."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.scenario import Scenario
from simulator.world.assembly import assemble_world

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def small_scenario(**overrides) -> Scenario:
    """A 4-rep, 300-account synthetic scenario over one quarter, nobody quitting."""
    data = {
        "name": "small",
        "world": {"synthetic": {"seed": 3, "reps": 4, "accounts": 300, "metros": 2,
                                "region": {"width_km": 150, "height_km": 120}}},
        "calendar": {"quarters": 1},
        "policies": ["as_is", "nearest"],
        "workforce": {"attrition": {"enabled": False}},
        "experiment": {"replications": 1, "seed": 5},
    }
    scenario = Scenario.model_validate(data)
    return scenario.with_overrides(**overrides) if overrides else scenario


@pytest.fixture
def small() -> Scenario:
    return small_scenario()


def line_world(scenario: Scenario, account_lons: list[float]):
    """One rep at (0, 0) and accounts on the equator at the given longitudes, each its own unit."""
    n = len(account_lons)
    units = pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "lat": [0.0] * n, "lon": account_lons})
    accounts = pd.DataFrame({
        "account_id": [f"A{i}" for i in range(n)], "unit": list(range(n)), "lat": [0.0] * n,
        "lon": account_lons, "potential": [100_000.0] * n, "segment": ["A"] * n, "owner": [0] * n,
    })
    reps = pd.DataFrame({"rep_id": ["R0"], "home_lat": [0.0], "home_lon": [0.0], "tenure_days": [3000.0]})
    return assemble_world(scenario, units, accounts, reps, name="line")
