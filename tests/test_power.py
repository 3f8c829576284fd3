import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.world.power import (
    CANDIDATE_HOMES,
    balanced_centres,
    bisection_centres,
    every_seat_served,
    power_assign,
)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, CANDIDATE_HOMES), st.integers(0, 10_000))
def test_power_assign_is_the_brute_force_argmin_when_every_home_competes(reps, seed):
    rng = np.random.default_rng(seed)
    xy, homes = rng.uniform(0, 100, (200, 2)), rng.uniform(0, 100, (reps, 2))
    bias = rng.uniform(-20, 20, reps)
    home, distance = power_assign(xy, homes, bias)
    full = np.linalg.norm(xy[:, None, :] - homes[None, :, :], axis=2)
    rows = np.arange(len(xy))
    power = full - bias
    assert np.all(power[rows, home] <= power.min(axis=1) + 1e-4)  # the argmin, up to single precision
    assert np.allclose(distance, full[rows, home], atol=1e-4)


def test_bisection_gives_every_centre_its_share_of_the_weight():
    rng = np.random.default_rng(1)
    xy = np.concatenate([rng.normal(0, 5, (3000, 2)), rng.uniform(-100, 100, (1000, 2))])
    weight = rng.uniform(0.5, 2.0, len(xy))
    centres = bisection_centres(16, xy, weight)
    assert centres.shape == (16, 2) and len(np.unique(centres.round(6), axis=0)) == 16
    assert bisection_centres(5, xy[:3], weight[:3]).shape == (5, 2)  # more reps than points: shared out


def test_balanced_centres_balance_a_clustered_workload_within_a_few_percent():
    rng = np.random.default_rng(2)
    xy = np.concatenate([rng.normal(0, 8, (4000, 2)), rng.normal(60, 15, (3000, 2)),
                         rng.uniform(-150, 150, (2000, 2))])
    weight = rng.uniform(0.5, 2.0, len(xy))
    homes, bias = balanced_centres(30, xy, weight, np.random.default_rng(3))
    load = np.bincount(power_assign(xy, homes, bias)[0], weights=weight, minlength=30)
    assert load.std() / load.mean() < 0.03
    assert np.abs(load / load.mean() - 1).max() < 0.1
    fixed, fixed_bias = balanced_centres(30, xy, weight, np.random.default_rng(3), fixed_homes=homes)
    assert np.array_equal(fixed, homes) and fixed_bias.shape == (30,)


def test_every_seat_served_takes_the_nearest_spare_point():
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [9.0, 0.0]])
    homes = np.array([[0.0, 0.0], [10.0, 0.0], [6.0, 0.0]])
    seat = every_seat_served(np.array([0, 0, 0, 1]), xy, homes)
    assert seat.tolist() == [0, 0, 2, 1]
    skip = every_seat_served(np.array([0, 0, 0, 1]), xy, homes, eligible=np.array([True, True, False, True]))
    assert skip.tolist() == [0, 2, 0, 1]
