"""Common random numbers stay common: a plan that moves one unit changes the outcome of its two seats only.

The plan search screens many boundary moves in one simulated plan and judges each on the accounts of the seats it
touches (`optimise.search`); that is exact only if a move leaves every other seat's run as it was, draw for draw.
"""

import numpy as np
import pytest

from simulator.alignment import Alignment
from simulator.engine import simulate
from simulator.experiment.runs import prepare
from simulator.metrics.tables import account_contributions, run_tables
from simulator.streams import Streams
from tests.conftest import small_scenario


def _runs(scenario, alignments, replications):
    world = prepare(scenario).world
    return world, [[run_tables(simulate(world, alignment, scenario, Streams(5, r), arm=scenario.policies[1]))
                    for r in range(replications)] for alignment in alignments]


def test_moving_one_unit_changes_the_runs_of_its_two_seats_only():
    scenario = small_scenario(**{"world.synthetic.reps": 6, "world.synthetic.accounts": 400},
                              policies=["as_is", {"name": "balanced", "params": {"tolerance": 0.1}}])
    prepared = prepare(scenario)
    world, start = prepared.world, prepared.alignments["balanced"]
    per_unit = np.bincount(world.account_unit, minlength=world.n_units)
    moved = 0
    for unit in np.flatnonzero(per_unit >= 2)[:6]:  # several moves, each of a unit with accounts to a neighbour
        donor = start.unit_seat[unit]
        receivers = {int(start.unit_seat[v]) for v in world.adjacency.neighbors(unit)} - {int(donor)}
        if not receivers:
            continue
        receiver = min(receivers)
        plan = start.unit_seat.copy()
        plan[unit] = receiver
        other = Alignment(plan, start.n_seats, start.overrides, policy="moved")
        _, (before, after) = _runs(scenario, [start, other], 2)
        for a, b in zip(before, after, strict=True):
            untouched = ~a.rep_quarters["seat"].isin([donor, receiver])
            shared = a.rep_quarters[untouched], b.rep_quarters[untouched]
            # revenue, visits, hours, quits: all identical; a quota is a share of the total potential, whose sum
            # may differ in its last bit when it is added up in another order
            exact = [column for column in shared[0].columns if column not in ("quota", "attainment")]
            assert shared[0][exact].equals(shared[1][exact])
            assert np.allclose(shared[0]["quota"], shared[1]["quota"], rtol=1e-12, atol=0)
            seat_of = other.account_seats(world)
            assert a.accounts[~np.isin(seat_of, [donor, receiver])]["revenue"].equals(
                b.accounts[~np.isin(seat_of, [donor, receiver])]["revenue"])
        moved += 1
    assert moved >= 3


@pytest.mark.parametrize("metric", ["revenue", "coverage_gap"])
def test_account_contributions_add_up_to_the_summary_metric(metric):
    scenario = small_scenario(policies=["as_is", {"name": "balanced", "params": {"tolerance": 0.1}}])
    prepared = prepare(scenario)
    tables = run_tables(simulate(prepared.world, prepared.alignments["balanced"], scenario, Streams(5, 0),
                                 arm=scenario.policies[1]))
    parts = account_contributions(tables, metric)
    assert len(parts) == len(tables.accounts) and np.all(parts >= 0)
    assert parts.sum() == pytest.approx(tables.summary[metric], rel=1e-12)
    assert account_contributions(tables, "share_rep_quarters_at_quota") is None  # does not add up over accounts
