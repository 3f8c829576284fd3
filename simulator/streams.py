"""Named random streams, so that common random numbers stay common when policies differ.

Every draw comes from a generator keyed by (seed, replication, decision point, entity), in the manner of
vivarium's randomness streams: two policies in the same replication get the same stream for "visit durations
of seat 7" whatever else they do. Nothing here touches global random state.
"""

from __future__ import annotations

import zlib

import numpy as np


def _decision_key(decision_point: str) -> int:
    return zlib.crc32(decision_point.encode("utf-8"))


class Streams:
    """Factory of independent generators keyed by decision point and entity.

    Args:
        seed: the experiment seed.
        replication: the replication number; replications are independent of each other.

    """

    def __init__(self, seed: int, replication: int = 0):
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, decision_point: str, entity: int = 0) -> np.random.Generator:
        """A fresh generator for one decision point and entity; the same key always gives the same draws."""
        sequence = np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, _decision_key(decision_point), int(entity)))
        return np.random.Generator(np.random.PCG64(sequence))

    def __repr__(self) -> str:
        return f"Streams(seed={self.seed}, replication={self.replication})"
