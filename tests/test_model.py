"""The behaviour model's mechanisms, each checked on real output: trips, memory in the response, the ramp,
hand-overs and quarter-end closing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.calibration import calibration_targets, pool_ramp_sums, ramp_productivity, ramp_sums
from simulator.engine import simulate
from simulator.engine.events import OPEN
from simulator.experiment.experiment import run_experiment
from simulator.experiment.runs import prepare
from simulator.metrics import run_tables
from simulator.policies import get_policy
from simulator.scenario import load_scenario
from simulator.streams import Streams
from simulator.world.assembly import assemble_world
from tests.conftest import ROOT, small_scenario


def _cluster_world(scenario, near: int, far: int, far_lon: float):
    """One rep at (0, 0): `near` accounts within 0.3 degrees east, `far` accounts around `far_lon` degrees east."""
    lons = list(np.linspace(0.05, 0.3, near)) + list(far_lon + np.linspace(0.0, 0.1, far))
    n = len(lons)
    units = pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "lat": [0.0] * n, "lon": lons})
    accounts = pd.DataFrame({
        "account_id": [f"A{i}" for i in range(n)], "unit": list(range(n)), "lat": [0.0] * n, "lon": lons,
        "potential": [100_000.0] * n, "segment": ["B"] * n, "owner": [0] * n,
    })
    reps = pd.DataFrame({"rep_id": ["R0"], "home_lat": [0.0], "home_lon": [0.0], "tenure_days": [3000.0]})
    return assemble_world(scenario, units, accounts, reps, name="clusters")


def _run(world, scenario, replication=0):
    alignment = get_policy("as_is")(world, [0], {}, Streams(0).generator("x"))
    return simulate(world, alignment, scenario, Streams(11, replication))


def test_overnight_trips_cover_accounts_beyond_a_day_trip():
    # 3.5 h of driving each way (1.2 degrees at 50 km/h, circuity 1.3): no day trip reaches them
    scenario = small_scenario(**{
        "segments": {"B": {"share": 1.0, "visits_per_quarter": 2, "visit_hours": 1.0}}, "calendar.quarters": 2})
    world = _cluster_world(scenario, near=8, far=8, far_lon=1.2)
    far = np.arange(8, 16)
    with_trips = run_tables(_run(world, scenario))
    without = run_tables(_run(world, scenario.with_overrides(**{"behaviour.trips.enabled": False})))
    assert with_trips.accounts.loc[far, "visits"].sum() >= 8 * 2 * 2 * 0.75  # most required visits delivered
    assert without.accounts.loc[far, "visits"].sum() == 0
    assert with_trips.rep_quarters["nights_away"].sum() > 0
    assert with_trips.rep_quarters["trip_cost"].sum() == pytest.approx(
        with_trips.rep_quarters["nights_away"].sum() * scenario.behaviour.trips.night_cost)
    assert without.rep_quarters["nights_away"].sum() == 0
    assert with_trips.summary["coverage_gap"] < without.summary["coverage_gap"] - 0.3
    # hours still add up to the workday on trip days (long drives come out of admin, never out of nothing)
    days = with_trips.rep_days
    total = days[["selling_hours", "travel_hours", "admin_hours", "remote_hours", "idle_hours"]].sum(axis=1)
    assert np.allclose(total, scenario.calendar.workday_hours)
    assert (days[["selling_hours", "travel_hours", "admin_hours", "remote_hours", "idle_hours"]] >= -1e-9).all().all()


def test_a_visit_soon_after_another_finds_less_than_one_after_a_long_gap():
    # forty identical accounts in one place: the only difference between visits is how long since the last one
    scenario = small_scenario(**{
        "segments": {"B": {"share": 1.0, "visits_per_quarter": 4, "visit_hours": 1.0}}, "calendar.quarters": 4,
        "behaviour.response.max_open_deals": 10_000, "behaviour.propensity_sigma": 0.0})
    world = _cluster_world(scenario, near=40, far=0, far_lon=0.0)
    rows = []
    for replication in range(3):
        tables = run_tables(_run(world, scenario, replication))
        visits = tables.visits.sort_values(["account", "start"])
        gap = visits.groupby("account")["start"].diff()
        made = tables.opportunities[tables.opportunities["source"] == "visit"]
        ends = set(zip(made["account"], np.round(made["created"], 9), strict=True))
        end = np.round(visits["start"] + visits["visit_hours"] / scenario.calendar.workday_hours, 9)
        created = [(a, e) in ends for a, e in zip(visits["account"], end, strict=True)]
        rows.append(pd.DataFrame({"gap": gap, "created": created}))
    visits = pd.concat(rows).dropna()
    soon = visits[visits["gap"] <= 5]["created"]
    late = visits[visits["gap"] >= 12]["created"]
    assert len(soon) >= 50 and len(late) >= 50
    # fewer deals found soon after a visit (its needs were just met): a one-sided two-proportion z test
    pooled = pd.concat([soon, late]).mean()
    z = (late.mean() - soon.mean()) / np.sqrt(pooled * (1 - pooled) * (1 / len(soon) + 1 / len(late)))
    assert z > 3, (soon.mean(), late.mean(), z)


def test_ramp_measured_on_output_follows_the_input_ramp():
    # high turnover in a small world, so there are new hires to measure
    scenario = small_scenario(**{
        "calendar.quarters": 8, "world.synthetic.reps": 8, "world.synthetic.accounts": 600,
        "workforce.attrition": {"enabled": True, "annual_quit_rate": 0.45}, "policies": ["as_is"],
        "experiment.replications": 4})
    result = run_experiment(scenario, write=False, keep_runs=True)
    target = next(t for t in calibration_targets() if t["metric"] == "ramp")
    territories = result.territories[["seat", "potential"]]
    per_day = 365.25 / 4 / scenario.calendar.days_per_quarter
    bands = [tuple(band) for band in target["bands_months"]]
    sums = [ramp_sums(run.rep_days, run.reps, run.opportunities, territories, per_day, bands,
                      target["settled_months"]) for run in result.runs.values()]
    measured = ramp_productivity(pool_ramp_sums(sums), 60)["productivity"].to_numpy()
    ramp = dict(scenario.behaviour.ramp)
    assert measured[0] == pytest.approx(ramp[3.0], abs=0.15)
    assert measured[1] == pytest.approx(ramp[6.0], abs=0.2)
    assert measured[0] < measured[1] < 1.0 + 0.2


def test_hand_over_loses_open_deals_and_penalises_the_new_rep():
    base = small_scenario(**{"calendar.quarters": 1})
    prepared = prepare(base)
    owner = prepared.world.accounts["owner"].to_numpy()
    moved = np.flatnonzero(prepared.alignments["nearest"].account_seats(prepared.world) != owner)
    assert len(moved) > 10

    def run(**overrides):
        scenario = base.with_overrides(**overrides)
        state = simulate(prepared.world, prepared.alignments["nearest"], scenario, Streams(5, 0))
        return run_tables(state)

    lost = run(**{"workforce.relationships.handover_loss": 1.0}).opportunities
    kept = run(**{"workforce.relationships.handover_loss": 0.0}).opportunities
    at_once = lost[(lost["source"] == "carried") & (lost["closed"] == 0) & (lost["outcome"] == "lost")]
    carried_moved = lost[(lost["source"] == "carried") & lost["account"].isin(moved)]
    assert len(at_once) == len(carried_moved) > 0  # every carried deal of a moved account, and no other
    assert set(at_once["account"]) <= set(moved)
    assert not ((kept["source"] == "carried") & (kept["closed"] == 0)).any()
    # the relationship penalty: moved accounts yield fewer deals from visits in the quarter after the change
    penalised = run(**{"workforce.relationships.change_penalty": 0.9})
    free = run(**{"workforce.relationships.change_penalty": 0.0})

    def made_on_moved(tables):
        made = tables.opportunities
        return int(((made["source"] == "visit") & made["account"].isin(moved)).sum())

    assert made_on_moved(penalised) < 0.5 * made_on_moved(free)


def test_back_loaded_pacing_moves_revenue_into_month_three():
    def shares(pacing):  # the quickstart world: enough deals per quarter that a month's share is not a few deals
        # 60 replications: trips reach every remote account, so the paired month-3 share is noisier than when
        # far accounts were never visited (12 gave t = 1.4 on an effect of 2 points)
        scenario = load_scenario(ROOT / "scenarios" / "quickstart.yaml").with_overrides(
            **{"pacing": pacing, "calendar.quarters": 4, "policies": ["as_is"], "experiment.replications": 60})
        summary = run_experiment(scenario, write=False).summary
        return summary.pivot_table(index="replication", columns="metric", values="value")

    even, pushed = shares("even"), shares("back_loaded")
    # a month-3 push pulls late-stage deals into the quarter (at a discount) and lets fewer slip out of it
    def paired_t(metric):
        more = pushed[metric] - even[metric]
        return more.mean(), more.mean() / (more.std(ddof=1) / np.sqrt(len(more)))

    more, t = paired_t("month3_revenue_share")
    assert more > 0.01 and t > 2.0
    assert paired_t("pulled_in_revenue_share")[0] > 0  # more of it pulled in (few deals: noisier than the above)
    assert (pushed["pull_in_discount_share"] > 0).all()


def test_open_deals_kept_by_the_day_step_match_a_count_from_the_pool():
    # quits, vacancies covered by neighbours and hires move accounts between seats during the run
    scenario = small_scenario(**{"calendar.quarters": 2, "workforce.attrition.annual_quit_rate": 0.6,
                                 "workforce.attrition.enabled": True, "workforce.vacancy_policy": "neighbours"})
    prepared = prepare(scenario)
    state = simulate(prepared.world, prepared.alignments["as_is"], scenario, Streams(3, 0))
    assert state.ownership_changes > 0
    used = int(state.counters[0])
    pool = state.opportunities
    owner = state.account_seat[pool.account[:used][pool.status[:used] == OPEN]]
    counted = np.bincount(owner[owner >= 0], minlength=state.n_seats)
    assert counted.sum() > 0
    assert np.array_equal(state.open_deals, counted)
