"""The partitioning problem: unit weights, unit-to-seat costs, adjacency, targets and what may not move.

It is the one value every step of the partition engine reads (`start`, `search`, `solve`) and that the plan search
of the `optimise` policy builds; it lives apart from `solve` so that the steps import it without importing the
solver that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Problem:
    """A partitioning problem.

    Attributes:
        weights: measure of every unit (>= 0).
        cost: unit x seat cost (travel hours from the seat's home): compactness.
        neighbours: adjacency list of every unit.
        targets: target load of every seat (they sum to the total weight).
        tolerance: allowed relative deviation from the target (0.05 = +-5%).
        anchors: a unit per seat that stays with it (its home unit), -1 for none.
        locked: unit -> seat for units that must not move.
    """

    weights: np.ndarray
    cost: np.ndarray
    neighbours: list[np.ndarray]
    targets: np.ndarray
    tolerance: float
    anchors: np.ndarray
    locked: dict[int, int] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self.weights)

    @property
    def n_seats(self) -> int:
        """Number of seats."""
        return len(self.targets)
