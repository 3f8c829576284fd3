"""Counter-based random numbers for the compiled kernels: a draw is a pure function of its key.

Every draw is keyed by (seed, replication, stream, entity, index) — for example the third draw of the fifth visit
of account 812 — and computed by hashing that key, as counter-based generators (Salmon et al. 2011, "Parallel
random numbers: as easy as 1, 2, 3") do. Nothing is carried from one draw to the next, so common random numbers
line up across policies whatever order seats and accounts are played in, and results do not depend on the number
of workers.

The hash is Chris Wellons' `lowbias32` integer mixer, applied in a chain over the key's 32-bit words on two
independent lanes; a uniform takes 26 + 27 bits from the two lanes. Only 32-bit values are ever multiplied
(products fit an int64 and their low 32 bits are kept), so the same functions give identical numbers compiled
by numba and in plain Python (`NUMBA_DISABLE_JIT=1`).
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from numba import njit

MASK32 = 0xFFFFFFFF
LANE_B = 0x632BE5AB  # salt of the second lane
TWO_PI = 2.0 * math.pi
INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def mix32(x: int) -> int:
    """Wellons' lowbias32: a bijective, well-avalanching mix of a 32-bit integer."""
    x = int(x) & 0xFFFFFFFF  # a plain integer: no fixed-width overflow without the JIT either
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


def stream_key(seed: int, replication: int, stream: str) -> int:
    """The 32-bit key of a named stream of one replication (entity and index are added per draw)."""
    key = mix32(int(seed) & MASK32)
    key = mix32(key ^ ((int(seed) >> 32) & MASK32))
    key = mix32(key ^ (int(replication) & MASK32))
    return mix32(key ^ zlib.crc32(stream.encode("utf-8")))


@njit(cache=True)
def uniform(key: int, entity: int, index: int) -> float:
    """A uniform number in (0, 1) for draw `index` of `entity` in the stream `key`."""
    a = mix32(key ^ mix32(entity ^ mix32(index)))
    b = mix32((key ^ 0x632BE5AB) ^ mix32((entity ^ 0x632BE5AB) ^ mix32(index ^ 0x632BE5AB) ^ 0x85EBCA6B))
    return ((a >> 5) * 67108864 + (b >> 6) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def normal(key: int, entity: int, index: int) -> float:
    """A standard normal number for draw `index` of `entity` (Box–Muller on draws 2·index and 2·index + 1)."""
    u1 = uniform(key, entity, 2 * index)
    u2 = uniform(key, entity, 2 * index + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True)
def uniform_grid(key: int, entities: np.ndarray, first_index: int, count: int) -> np.ndarray:
    """`uniform(key, entity, index)` for each of `entities` (rows) and index first_index.. (columns)."""
    out = np.empty((entities.shape[0], count))
    for i in range(entities.shape[0]):
        for j in range(count):
            out[i, j] = uniform(key, entities[i], first_index + j)
    return out


@njit(cache=True)
def uniforms_at(key: int, entities: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """`uniform(key, entities[i], indices[i])` for every i."""
    out = np.empty(entities.shape[0])
    for i in range(entities.shape[0]):
        out[i] = uniform(key, entities[i], indices[i])
    return out


@njit(cache=True)
def normals_at(key: int, entities: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """`normal(key, entities[i], indices[i])` for every i."""
    out = np.empty(entities.shape[0])
    for i in range(entities.shape[0]):
        out[i] = normal(key, entities[i], indices[i])
    return out


@njit(cache=True)
def poisson_quantiles(chances: np.ndarray, rates: np.ndarray, cap: int) -> np.ndarray:
    """The Poisson(rates[i]) quantile of chances[i] (the smallest k whose CDF reaches it), at most `cap`.

    Inversion by summing the probabilities k = 0, 1, ...: rates here are small (a few needs a quarter), so it
    takes a few steps, and it is the same number as `scipy.stats.poisson.ppf` except within rounding of a step
    of the CDF (tested).
    """
    out = np.zeros(chances.shape[0], dtype=np.int64)
    for i in range(chances.shape[0]):
        rate = rates[i]
        if rate <= 0.0:
            continue
        term = math.exp(-rate)
        cdf = term
        k = 0
        while chances[i] > cdf and k < cap:
            k += 1
            term *= rate / k
            cdf += term
        out[i] = k
    return out
