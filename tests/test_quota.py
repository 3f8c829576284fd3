"""Quota policies: equal, potential, and workload (the potential a rep can cover with the hours they have)."""

import numpy as np
import pytest

from simulator.alignment import account_workload
from simulator.behaviour import seat_quotas
from simulator.engine import simulate
from simulator.experiment.runs import prepare
from simulator.streams import Streams
from tests.conftest import small_scenario


def test_workload_quota_is_potential_quota_when_every_territory_can_be_covered():
    potential = np.array([1.0, 2.0, 3.0])
    workload = np.array([100.0, 300.0, 500.0])
    assert np.allclose(seat_quotas("workload", 60.0, potential, workload, capacity_hours=500.0),
                       seat_quotas("potential", 60.0, potential))


def test_workload_quota_charges_only_the_coverable_share_of_an_overloaded_territory():
    # two territories with the same potential; the second needs twice the hours a rep has (visits and travel)
    quota = seat_quotas("workload", 90.0, np.array([1.0, 1.0]), np.array([400.0, 1000.0]), capacity_hours=500.0)
    assert quota.sum() == pytest.approx(90.0)  # the company target is still split in full
    assert quota[0] / quota[1] == pytest.approx(2.0)  # the second can cover half its potential


def test_workload_quota_needs_workloads():
    with pytest.raises(ValueError, match="workload"):
        seat_quotas("workload", 10.0, np.ones(2))


def test_a_run_sets_workload_quotas_from_the_territories_it_owns():
    scenario = small_scenario(**{"quota.policy": "workload", "calendar.quarters": 1,
                                 "segments.A.visits_per_quarter": 12, "segments.B.visits_per_quarter": 6})
    prepared = prepare(scenario)
    world, alignment = prepared.world, prepared.alignments["as_is"]
    state = simulate(world, alignment, scenario, Streams(1, 0))
    seats = alignment.account_seats(world)
    workload = np.bincount(seats, weights=account_workload(world, world.hours_per_km), minlength=world.n_reps)
    potential = np.bincount(seats, weights=world.account_potential, minlength=world.n_reps)
    capacity = scenario.calendar.days_per_quarter * scenario.calendar.workday_hours * (
        1 - scenario.behaviour.admin_share)
    overloaded = workload > capacity
    assert overloaded.any() and not overloaded.all()  # the test world has overloaded territories and others...
    target = scenario.quota.share_of_potential * world.account_potential.sum()
    assert np.allclose(state.quota[:, 0], seat_quotas("workload", target, potential, workload, capacity))
    share = state.quota[:, 0] / potential  # ...which carry less quota per dollar of potential than the others
    assert share[overloaded].max() < share[~overloaded].min()
