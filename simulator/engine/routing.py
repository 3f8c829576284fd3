"""Daily routes: nearest neighbour from home, then 2-opt, on a small travel-time matrix (compiled)."""

from __future__ import annotations

import numpy as np
from numba import njit

IMPROVEMENT = 1e-12  # a reversal must shorten the tour by more than this (no cycling on rounding noise)


@njit(cache=True)
def plan_route(hours: np.ndarray) -> np.ndarray:
    """Order in which to visit stops 1..k of a (k+1)x(k+1) travel matrix whose index 0 is home.

    The tour starts and ends at home. Nearest neighbour builds it (ties go to the lowest stop index); 2-opt then
    reverses segments while that shortens the closed tour.

    Returns:
        Stop indices (1..k) in visiting order.

    """
    k = hours.shape[0] - 1
    return plan_route_into(hours, np.empty(k + 2, dtype=np.int64), np.empty(k + 1, dtype=np.bool_)).copy()


@njit(cache=True)
def plan_route_into(hours, tour, visited):
    """`plan_route` in scratch buffers (`tour`: room for k + 2 stops, `visited`: k + 1), no allocation.

    Returns a view of `tour`: the stops in visiting order. The day kernel routes every seat every day, so the
    buffers are allocated once a day, not once a route.
    """
    k = hours.shape[0] - 1
    tour[0] = 0  # home, the stops, home
    tour[k + 1] = 0
    visited[:k + 1] = False
    here = 0
    for position in range(1, k + 1):
        best, best_hours = -1, np.inf
        for stop in range(1, k + 1):
            if not visited[stop] and hours[here, stop] < best_hours:
                best, best_hours = stop, hours[here, stop]
        visited[best] = True
        tour[position] = best
        here = best
    if k >= 3:
        _two_opt(tour[:k + 2], hours)
    return tour[1:k + 1]


@njit(cache=True)
def _two_opt(tour: np.ndarray, hours: np.ndarray) -> None:
    """Improve a closed tour in place by segment reversals until no reversal helps."""
    n = tour.shape[0]
    improved = True
    while improved:
        improved = False
        for i in range(1, n - 2):
            for j in range(i + 1, n - 1):
                a, b, c, d = tour[i - 1], tour[i], tour[j], tour[j + 1]
                if hours[a, c] + hours[b, d] < hours[a, b] + hours[c, d] - IMPROVEMENT:
                    low, high = i, j  # reverse tour[i..j] in place
                    while low < high:
                        tour[low], tour[high] = tour[high], tour[low]
                        low += 1
                        high -= 1
                    improved = True


def tour_hours(hours: np.ndarray, order: np.ndarray | list[int]) -> float:
    """Length of the closed tour home -> order -> home."""
    path = [0, *[int(stop) for stop in order], 0]
    return float(sum(hours[a, b] for a, b in zip(path[:-1], path[1:], strict=True)))
