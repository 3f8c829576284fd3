"""Sweeps: a grid of parameter values in the scenario, expanded to sweep points."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from simulator.scenario import Scenario


@dataclass(frozen=True)
class SweepPoint:
    """One combination of swept values, and the scenario with them applied (and no sweep of its own)."""

    index: int
    values: dict[str, Any]
    scenario: Scenario


def expand(scenario: Scenario) -> list[SweepPoint]:
    """Every combination of the scenario's sweep values, in grid order (the first path varies slowest).

    A scenario without a sweep has one point, index 0, with no values.
    """
    paths = list(scenario.sweep)
    points = []
    for index, combination in enumerate(itertools.product(*(scenario.sweep[p] for p in paths))):
        values = dict(zip(paths, combination, strict=True))
        points.append(SweepPoint(index, values, scenario.with_overrides(**values, sweep={})))
    return points
