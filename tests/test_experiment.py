import numpy as np
import pandas as pd
import pytest

from simulator.catalogue import metric
from simulator.experiment.experiment import run_experiment
from simulator.experiment.sweep import expand
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS, NO_CLEAR, SMALL, compare, paired_interval
from tests.conftest import small_scenario


def _scenario(**extra):
    return small_scenario(**{"experiment.replications": 3, "workforce.attrition.enabled": True,
                             "workforce.attrition.annual_quit_rate": 0.3, **extra})


def _tables(result):
    return {name: getattr(result, name) for name in ("summary", "rep_quarters", "accounts", "events", "comparison")}


def test_same_policy_under_two_names_has_exactly_zero_paired_differences():
    scenario = _scenario(policies=[{"name": "nearest", "label": "a"}, {"name": "nearest", "label": "b"}])
    result = run_experiment(scenario, write=False)
    comparison = result.comparison
    assert len(comparison) > 0 and (comparison["policy"] == "b").all()
    assert (comparison["mean_diff"] == 0).all()
    assert ((comparison["ci_low"] == 0) & (comparison["ci_high"] == 0)).all()
    assert (comparison["n"] == 3).all()
    assert (comparison["verdict"] == NO_CLEAR).all()  # two identical policies: never a clear difference


def test_serial_local_and_dask_give_identical_tables(tmp_path):
    distributed = pytest.importorskip("distributed")
    scenario = _scenario(**{"experiment.replications": 2})
    serial = run_experiment(scenario, write=False, executor="serial")
    local = run_experiment(scenario, write=False, executor="local", workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = run_experiment(scenario, write=False, executor="dask", scheduler=cluster.scheduler_address)
    for other in (local, dask):
        for name, frame in _tables(serial).items():
            pd.testing.assert_frame_equal(frame, _tables(other)[name], check_dtype=False)


def test_interrupted_experiment_resumes_to_identical_tables(tmp_path):
    scenario = _scenario()
    whole = run_experiment(scenario, out=tmp_path / "whole")
    with pytest.raises(InterruptedError):
        run_experiment(scenario, out=tmp_path / "cut", stop_after=2)
    folder = next((tmp_path / "cut" / scenario.name).iterdir())
    parts = sorted(p.name for p in (folder / "parts").iterdir())
    assert len(parts) == 2 and not [p for p in parts if p.endswith(".tmp")]
    resumed = run_experiment(scenario, resume=folder)
    assert resumed.resumed_parts == 2
    for name in ("summary", "rep_quarters", "accounts", "events", "comparison"):
        pd.testing.assert_frame_equal(pd.read_parquet(folder / f"{name}.parquet"),
                                      pd.read_parquet(whole.folder / f"{name}.parquet"))
    with pytest.raises(Exception, match="already complete"):
        run_experiment(scenario, resume=folder)
    with pytest.raises(InterruptedError):
        run_experiment(scenario, out=tmp_path / "cut2", stop_after=1)
    other = next((tmp_path / "cut2" / scenario.name).iterdir())
    with pytest.raises(Exception, match="another scenario"):
        run_experiment(scenario.with_overrides(**{"experiment.seed": 99}), resume=other)


def test_paired_interval_covers_a_known_difference_at_about_the_nominal_rate():
    rng = np.random.default_rng(2026)
    true_difference, trials, covered = 0.7, 2000, 0
    for _ in range(trials):
        baseline = rng.normal(10, 3, size=8)
        shared = baseline + true_difference + rng.normal(0, 0.5, size=8)  # paired: most noise is common
        _, low, high = paired_interval(shared - baseline)
        covered += low <= true_difference <= high
    # binomial sd at 95% over 2000 trials is 0.5%: allow 3 sd
    assert abs(covered / trials - 0.95) < 0.015


def _two_policy_summary(revenue_new: list[float], gap_new: list[float]) -> pd.DataFrame:
    n = len(revenue_new)
    base_revenue = [10.0 + (r % 3) for r in range(n)]
    base_gap = [0.3 + 0.01 * (r % 3) for r in range(n)]
    return pd.DataFrame({
        "sweep_point": 0, "replication": list(range(n)) * 4,
        "policy": (["base"] * n + ["new"] * n) * 2,
        "metric": ["revenue"] * 2 * n + ["coverage_gap"] * 2 * n,
        "value": base_revenue + revenue_new + base_gap + gap_new})


def test_compare_reports_better_and_worse_in_words():
    n = MIN_CLEAR_REPLICATIONS
    summary = _two_policy_summary([12.0 + (r % 3) + 0.1 * (r % 2) for r in range(n)],
                                  [0.2 + 0.01 * (r % 3) for r in range(n)])
    comparison = compare(summary, "base", ["revenue", "coverage_gap"]).set_index("metric")
    assert comparison.loc["revenue", "verdict"] == "better"  # higher revenue
    assert comparison.loc["coverage_gap", "verdict"] == "better"  # a lower gap
    worse = compare(summary.assign(policy=summary["policy"].map({"base": "new", "new": "base"})), "base",
                    ["revenue"])
    assert worse["verdict"].tolist() == ["worse"]
    # the same differences on fewer pairs than the minimum are never called, however narrow the interval
    few = summary[summary["replication"] < n - 1]
    called = compare(few, "base", ["revenue", "coverage_gap"])
    assert (called["ci_low"] > 0).any() and (called["verdict"] == NO_CLEAR).all()


def test_a_clear_difference_below_the_practical_threshold_is_small_but_clear():
    n = MIN_CLEAR_REPLICATIONS
    base = [10.0 + (r % 3) for r in range(n)]
    summary = _two_policy_summary([b * 1.002 for b in base], [0.3 + 0.01 * (r % 3) for r in range(n)])
    row = compare(summary, "base", ["revenue"]).iloc[0]
    assert row["ci_low"] > 0 and row["relative_diff"] < metric("revenue").threshold
    assert row["verdict"] == SMALL


def test_sweep_expands_to_the_grid():
    scenario = small_scenario(sweep={"workforce.attrition.annual_quit_rate": [0.1, 0.2, 0.3],
                                     "workforce.vacancy_policy": ["hold", "manager"]})
    points = expand(scenario)
    assert len(points) == 6
    assert [p.values for p in points[:2]] == [
        {"workforce.attrition.annual_quit_rate": 0.1, "workforce.vacancy_policy": "hold"},
        {"workforce.attrition.annual_quit_rate": 0.1, "workforce.vacancy_policy": "manager"}]
    assert points[5].scenario.workforce.attrition.annual_quit_rate == 0.3
    assert points[5].scenario.workforce.vacancy_policy == "manager"
    assert all(p.scenario.sweep == {} for p in points)
    with pytest.raises(ValueError, match="no such parameter"):
        small_scenario(sweep={"workforce.attrition.annual_quit_rat": [0.1]})
    with pytest.raises(ValueError, match="is not valid"):
        small_scenario(sweep={"workforce.attrition.annual_quit_rate": [2.0]})


def test_sweep_runs_every_point_with_its_values_in_the_summary():
    scenario = _scenario(**{"experiment.replications": 2, "policies": ["as_is"],
                            "sweep": {"workforce.attrition.annual_quit_rate": [0.0, 0.6]}})
    result = run_experiment(scenario, write=False)
    summary = result.summary
    assert set(summary["sweep_point"]) == {0, 1}
    rates = summary.groupby("sweep_point")["workforce.attrition.annual_quit_rate"].first()
    assert rates.to_dict() == {0: 0.0, 1: 0.6}
    quits = summary[summary.metric == "quits"].groupby("sweep_point")["value"].sum()
    assert quits[0] == 0 and quits[1] > 0
