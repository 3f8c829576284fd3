"""Daily routes: nearest neighbour from home, then 2-opt, on a small travel-time matrix."""

from __future__ import annotations

import numpy as np


def plan_route(hours: np.ndarray | list[list[float]]) -> list[int]:
    """Order in which to visit stops 1..k of a (k+1)x(k+1) travel matrix whose index 0 is home.

    The tour starts and ends at home. Nearest neighbour builds it; 2-opt then reverses segments while that
    shortens the closed tour. Small k (a day's stops), so plain Python lists are fastest: the matrix may be
    given as a list of rows already.

    Returns:
        Stop indices (1..k) in visiting order.

    """
    k = len(hours) - 1
    if k <= 1:
        return list(range(1, k + 1))
    m = hours.tolist() if isinstance(hours, np.ndarray) else hours
    unvisited = list(range(1, k + 1))  # ascending, so ties go to the lowest stop index
    tour = [0]
    row = m[0]
    while unvisited:
        nxt = min(unvisited, key=row.__getitem__)
        tour.append(nxt)
        unvisited.remove(nxt)
        row = m[nxt]
    tour.append(0)
    if k >= 3:
        _two_opt(tour, m)
    return tour[1:-1]


def _two_opt(tour: list[int], m: list[list[float]]) -> None:
    """Improve a closed tour in place by segment reversals until no reversal helps."""
    n = len(tour)
    improved = True
    while improved:
        improved = False
        for i in range(1, n - 2):
            row_a = m[tour[i - 1]]
            b = tour[i]
            row_b = m[b]
            ab = row_a[b]
            for j in range(i + 1, n - 1):
                c = tour[j]
                if row_a[c] + row_b[tour[j + 1]] < ab + m[c][tour[j + 1]] - 1e-12:
                    tour[i:j + 1] = tour[i:j + 1][::-1]
                    improved = True
                    b = tour[i]
                    row_b = m[b]
                    ab = row_a[b]


def tour_hours(hours: np.ndarray, order: list[int]) -> float:
    """Length of the closed tour home -> order -> home."""
    path = [0, *order, 0]
    return float(sum(hours[a, b] for a, b in zip(path[:-1], path[1:], strict=True)))
