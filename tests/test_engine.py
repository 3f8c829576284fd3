import numpy as np
import pandas as pd
import pytest

from simulator.engine import simulate
from simulator.experiment.experiment import run_experiment
from simulator.experiment.runs import build_alignments
from simulator.metrics import run_tables
from simulator.policies import get_policy
from simulator.streams import Streams
from simulator.world import build_world
from simulator.world.geography import great_circle_km
from tests.conftest import line_world, small_scenario


@pytest.fixture(scope="module")
def small_run():
    scenario = small_scenario(**{"calendar.quarters": 2})
    return run_experiment(scenario, write=False, keep_runs=True)


def test_hours_never_exceed_the_workday(small_run):
    for tables in small_run.runs.values():
        days = tables.rep_days
        worked = days["selling_hours"] + days["travel_hours"] + days["admin_hours"] + days["remote_hours"]
        assert (worked <= 9.0 + 1e-9).all()
        on = days["kind"] != "none"
        assert np.allclose(worked[on] + days.loc[on, "idle_hours"], 9.0)
        assert np.allclose(worked[~on] + days.loc[~on, "idle_hours"], 0.0)
        assert (days.loc[~on, "visits"] == 0).all()
        hours = ["selling_hours", "travel_hours", "admin_hours", "remote_hours", "idle_hours"]
        assert (days[hours] >= -1e-12).all().all()


def test_rep_quarter_hours_equal_the_logged_visits_and_drives(small_run):
    for tables in small_run.runs.values():
        assert (tables.rep_days["kind"] != "manager").all()  # (no manager cover here: default is hold)
        visits = tables.visits
        by_seat = visits.groupby(["seat", "quarter"])[["visit_hours", "travel_hours"]].sum()
        rq = tables.rep_quarters.set_index(["seat", "quarter"])
        home_legs = tables.rep_days.groupby(["seat", "quarter"])["travel_hours"].sum() - by_seat["travel_hours"]
        assert np.allclose(rq.loc[by_seat.index, "selling_hours"], by_seat["visit_hours"])
        assert np.allclose(rq.loc[by_seat.index, "travel_hours"], by_seat["travel_hours"] + home_legs)
        assert (home_legs >= 0).all()
        assert rq["visits"].sum() == len(visits)


def test_analytic_day_with_zero_variance():
    # one rep at (0,0); accounts 0.1 and 0.2 degrees east on the equator; circuity 1, 50 km/h, no noise
    scenario = small_scenario(**{
        "travel.circuity": 1.0, "travel.speed_kmh": 50.0,
        "behaviour.travel_time_cv": 0.0, "behaviour.visit_duration_cv": 0.0, "behaviour.admin_share_sd": 0.0,
        "behaviour.admin_share": 0.4,
        "segments": {"A": {"share": 1.0, "visits_per_quarter": 60, "visit_hours": 1.0}},
    })
    world = line_world(scenario, [0.1, 0.2])
    alignment = get_policy("as_is")(world, [0], {}, Streams(0).generator("x"))
    tables = run_tables(simulate(world, alignment, scenario, Streams(1, 0)))
    leg = float(great_circle_km(0.0, 0.0, 0.0, 0.1)[()]) / 50.0
    days = tables.rep_days
    # home -> A0 -> A1 -> home every day: legs of 1, 1 and 2 tenths of a degree
    assert np.allclose(days["travel_hours"], 4 * leg)
    assert np.allclose(days["selling_hours"], 2.0)
    assert np.allclose(days["admin_hours"], 0.4 * 9.0)
    assert np.allclose(days["idle_hours"], 9.0 - 3.6 - 2.0 - 4 * leg)
    first_day = tables.visits[tables.visits["day"] == 0].sort_values("start")
    assert list(first_day["account"]) == [0, 1]
    assert np.allclose(first_day["start"], [(3.6 + leg) / 9.0, (3.6 + 2 * leg + 1.0) / 9.0])


def test_revenue_equals_sum_of_won_opportunities(small_run):
    for (policy, replication), tables in small_run.runs.items():
        won = tables.opportunities[tables.opportunities["outcome"] == "won"]
        summary = small_run.summary
        revenue = summary[(summary.policy == policy) & (summary.replication == replication)
                          & (summary.metric == "revenue")]["value"].item()
        assert revenue == pytest.approx(won["value"].sum())
        assert tables.rep_quarters["revenue"].sum() == pytest.approx(won["value"].sum())
        assert tables.accounts["revenue"].sum() == pytest.approx(won["value"].sum())
        assert revenue > 0


def test_every_account_belongs_to_exactly_one_seat(small):
    world = build_world(small)
    for alignment in build_alignments(small, world).values():
        seats = alignment.account_seats(world)
        assert len(seats) == world.n_accounts
        assert ((seats >= 0) & (seats < world.n_reps)).all()
        assert len(alignment.unit_seat) == world.n_units


def _tables(seed):
    scenario = small_scenario(**{"experiment.seed": seed})
    return run_experiment(scenario, write=False)


def test_same_seed_identical_different_seed_different():
    a, b, c = _tables(11), _tables(11), _tables(12)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.rep_quarters, b.rep_quarters)
    pd.testing.assert_frame_equal(a.accounts, b.accounts)
    assert not a.rep_quarters["revenue"].equals(c.rep_quarters["revenue"])
    assert not a.accounts["visits"].equals(c.accounts["visits"])


def _metric(result, name, policy="as_is"):
    s = result.summary
    return s[(s.metric == name) & (s.policy == policy)]["value"].mean()


def test_doubling_required_visits_raises_coverage_gap(small):
    doubled = {name: {**seg.model_dump(), "visits_per_quarter": 2 * seg.visits_per_quarter}
               for name, seg in small.segments.items()}
    base = run_experiment(small, write=False)
    heavy = run_experiment(small.with_overrides(segments=doubled), write=False)
    assert _metric(heavy, "coverage_gap") > _metric(base, "coverage_gap") + 0.05


def test_back_loaded_pacing_puts_more_visits_in_month_three():
    def month3_share(pacing):
        result = run_experiment(small_scenario(pacing=pacing), write=False, keep_runs=True)
        visits = result.runs[("as_is", 0)].visits
        month = (visits["day"] % 63) * 3 // 63
        return (month == 2).mean()

    assert month3_share("back_loaded") > month3_share("even") + 0.03
