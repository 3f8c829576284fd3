"""Balanced home bases and power-diagram territories, in time linear in the places served.

A synthetic sales force is hired where the work is: home bases split the workload evenly, and each place (account
or unit) is served by the home with the smallest power distance, its distance minus the home's bias (km). Only a
place's `CANDIDATE_HOMES` nearest homes compete for it, so no places x homes matrix is ever built: one k-d tree
query gives every place its candidates, and a balancing pass is a few operations over that (places x 16) table.
Keeping the competition among nearby homes is also the model: nobody is served by a rep thirty homes away.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

CANDIDATE_HOMES = 16  # homes that compete for a place: its nearest ones
BALANCING_PASSES = 150  # bias passes for the final homes
RELAXATION_ROUNDS = 2  # moves of every home to the middle of its cell's workload
ROUND_PASSES = 40  # bias passes before each move
MAX_GAIN = 0.5  # a cell of radius r grows by about 2 dr / r of its load when its bias grows by dr
HOME_JITTER_KM = 1e-3  # keeps two homes from sharing a point


def nearest_homes(xy: np.ndarray, homes: np.ndarray, k: int = CANDIDATE_HOMES) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) to and index of each point's `k` nearest homes, nearest first (points x k).

    Single precision (a tenth of a metre at 1,000 km) halves the memory each balancing pass reads.
    """
    k = min(k, len(homes))
    distance, home = cKDTree(homes).query(xy, k=k)
    return distance.reshape(len(xy), k).astype(np.float32), home.reshape(len(xy), k).astype(np.int32)


def choose_home(distance: np.ndarray, candidate: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a `nearest_homes` table, the candidate with the smallest distance minus bias, and its distance."""
    power = np.take(bias.astype(np.float32), candidate)
    np.subtract(distance, power, out=power)
    chosen = power.argmin(axis=1) + np.arange(0, distance.size, distance.shape[1])
    return candidate.ravel()[chosen].astype(np.int64), distance.ravel()[chosen].astype(float)


def power_assign(xy: np.ndarray, homes: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's home by power distance among its nearest homes, and the plain distance to it (km).

    Args:
        xy: points (n x 2, km).
        homes: home bases (r x 2, km).
        bias: per-home bias (km); a larger bias reaches further.

    """
    distance, candidate = nearest_homes(xy, homes)
    return choose_home(distance, candidate, bias)


def balanced_centres(reps: int, xy: np.ndarray, weight: np.ndarray, rng: np.random.Generator,
                     fixed_homes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Home bases where a company would have hired its reps, and the biases (km) that balance their workload.

    Homes start at the middles of a recursive weighted bisection of the points (`bisection_centres`), so each
    starts with about its share of the work. Then, twice, the biases are balanced and every home moves to the
    weighted middle of its power cell (a balanced Lloyd step, which makes territories rounder); the last biases
    are balanced longer. With `fixed_homes` only the biases move.

    Args:
        reps: number of homes.
        xy: points (n x 2, km).
        weight: workload of each point.
        rng: jitters the homes so that no two coincide.
        fixed_homes: home bases to keep (reps x 2, km), if any.

    Returns:
        Homes (reps x 2, km) and their biases (km).

    """
    if fixed_homes is not None:
        homes, rounds = np.array(fixed_homes, dtype=float), 0
    else:
        homes = bisection_centres(reps, xy, weight) + rng.normal(scale=HOME_JITTER_KM, size=(reps, 2))
        rounds = RELAXATION_ROUNDS
    bias = np.zeros(len(homes))
    for _ in range(rounds):
        distance, candidate = nearest_homes(xy, homes)
        bias = balancing_bias(distance, candidate, weight, bias, ROUND_PASSES)
        homes = _cell_middles(choose_home(distance, candidate, bias)[0], xy, weight, homes)
    distance, candidate = nearest_homes(xy, homes)
    return homes, balancing_bias(distance, candidate, weight, bias, BALANCING_PASSES)


def bisection_centres(reps: int, xy: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The weighted middle of each part of a recursive weighted bisection into `reps` parts.

    A part with k reps is cut across its wider side where its weight reaches floor(k/2)/k of the total, so every
    final part holds about 1/reps of the weight. A part with fewer points than reps shares them out.
    """
    centres = np.empty((reps, 2))
    parts = [(np.arange(len(xy)), reps, 0)]  # (points, reps, index of its first centre)
    while parts:
        members, k, first = parts.pop()
        if k == 1 or len(members) <= 1:
            centres[first:first + k] = _middle(xy[members], weight[members])
            continue
        left_reps = k // 2
        axis = int(np.ptp(xy[members, 1]) > np.ptp(xy[members, 0]))
        order = members[np.argsort(xy[members, axis], kind="stable")]
        cumulative = np.cumsum(weight[order])
        cut = int(np.searchsorted(cumulative, cumulative[-1] * left_reps / k))
        low, high = (left_reps, len(order) - (k - left_reps)) if len(order) >= k else (1, len(order) - 1)
        cut = min(max(cut, low), high)
        parts.append((order[:cut], left_reps, first))
        parts.append((order[cut:], k - left_reps, first + left_reps))
    return centres


def _middle(xy: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return np.average(xy, axis=0, weights=weight) if weight.sum() > 0 else xy.mean(axis=0)


def _cell_middles(home: np.ndarray, xy: np.ndarray, weight: np.ndarray, homes: np.ndarray) -> np.ndarray:
    """Each home moved to the weighted middle of the points it serves (a home serving none stays)."""
    load = np.bincount(home, weights=weight, minlength=len(homes))
    moved = homes.copy()
    for axis in range(2):
        summed = np.bincount(home, weights=weight * xy[:, axis], minlength=len(homes))
        moved[:, axis] = np.where(load > 0, summed / np.maximum(load, 1e-12), homes[:, axis])
    return moved


def balancing_bias(distance: np.ndarray, candidate: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                   passes: int = BALANCING_PASSES) -> np.ndarray:
    """Per-home biases (km) under which the power cells hold similar workload: the best of `passes` passes.

    Each pass moves a home's bias by gain x its cell's mean radius x its relative shortfall (clipped to +-1),
    damped as passes go on. The gain starts at `MAX_GAIN` and halves whenever the shortfall changes sign (the
    neighbours moved too and the home overshot), then grows back by a fifth per pass.

    Args:
        distance: places x candidate homes, km (from `nearest_homes`).
        candidate: the candidate homes' indices.
        weight: workload of each place.
        bias: the biases to start from (one per home).
        passes: number of passes.

    """
    reps = len(bias)
    bias = np.array(bias, dtype=float)
    best_bias, best_deviation = bias.copy(), np.inf
    target = weight.sum() / reps
    gain, last_error = np.full(reps, MAX_GAIN), np.zeros(reps)
    for iteration in range(passes):
        home, to_home = choose_home(distance, candidate, bias)
        load = np.bincount(home, weights=weight, minlength=reps)
        deviation = float(np.abs(load / target - 1).max())
        if deviation < best_deviation:
            best_bias, best_deviation = bias.copy(), deviation
        error = np.clip((target - load) / target, -1, 1)
        gain = np.where(error * last_error < 0, gain / 2, np.minimum(gain * 1.2, MAX_GAIN))
        last_error = error
        bias += gain * _cell_radius(home, to_home, reps) * error / (1 + iteration / 50)
    return best_bias


def _cell_radius(home: np.ndarray, to_home: np.ndarray, reps: int) -> np.ndarray:
    """Mean distance from each home to the places it serves; the typical one for a home serving none."""
    count = np.bincount(home, minlength=reps)
    radius = np.bincount(home, weights=to_home, minlength=reps) / np.maximum(count, 1)
    if not count.all():
        radius[count == 0] = np.median(to_home)
    return radius + 1e-3


def every_seat_served(seat: np.ndarray, xy: np.ndarray, homes: np.ndarray,
                      eligible: np.ndarray | None = None) -> np.ndarray:
    """Give each seat left without a point the nearest eligible point of a seat that has several.

    Args:
        seat: seat of every point.
        xy: the points (km).
        homes: the seats' homes (km).
        eligible: the points that count and may move (default all).

    """
    seat = seat.copy()
    eligible = np.ones(len(seat), dtype=bool) if eligible is None else eligible
    counts = np.bincount(seat[eligible], minlength=len(homes))
    for empty in np.flatnonzero(counts == 0):
        spare = np.flatnonzero(eligible & (counts[seat] > 1))
        if len(spare):
            taken = spare[np.argmin(np.linalg.norm(xy[spare] - homes[empty], axis=1))]
            counts[seat[taken]] -= 1
            counts[empty] += 1
            seat[taken] = empty
    return seat


__all__ = ["CANDIDATE_HOMES", "balanced_centres", "balancing_bias", "bisection_centres", "choose_home",
           "every_seat_served", "nearest_homes", "power_assign"]
