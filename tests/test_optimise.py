"""The `optimise` policy: a start plan improved by simulated, statistically accepted boundary moves."""

import numpy as np
import pandas as pd
import pytest

from simulator.alignment import alignment_quality
from simulator.experiment.runs import build_alignments
from simulator.policies import get_policy
from simulator.scenario import ScenarioError
from simulator.streams import Streams
from simulator.world import build_world
from tests.conftest import small_scenario

PARAMS = {"tolerance": 0.1, "evaluations": 12, "replications": 4, "executor": "serial"}
# two reps, twelve units: a world whose balanced plan has a better neighbour on the coverage gap (the first world of
# test_optimise_known_best), so that a short search keeps a step
WORLD = {"calendar.days_per_quarter": 30, "calendar.quarters": 2, "world.synthetic.reps": 2,
         "world.synthetic.accounts": 200, "world.synthetic.units": 12, "world.synthetic.seed": 7,
         "experiment.primary": "coverage_gap"}


def _scenario(**params):
    return small_scenario(**WORLD, policies=["as_is", {"name": "optimise", "params": {**PARAMS, **params}}])


def test_optimise_keeps_the_constraints_records_its_steps_and_repeats_itself():
    scenario = _scenario(disruption_budget=0.3)
    world = build_world(scenario)
    first, second = (build_alignments(scenario, world)["optimise"] for _ in range(2))
    assert np.array_equal(first.unit_seat, second.unit_seat)  # the same seed, the same plan
    assert first.info["optimised"] and first.info["evaluations"] <= PARAMS["evaluations"]
    assert first.info["steps"] and all(step["lower_bound"] > 0 and step["moves"] for step in first.info["steps"])
    baseline = get_policy("as_is")(world, world.initial_seats(), {}, Streams(0).generator("as_is"))
    quality = alignment_quality(world, first, world.hours_per_km, PARAMS["tolerance"], baseline)
    assert quality["contiguous_share"] == 1.0 and quality["share_within_tolerance"] == 1.0
    # the balance it reports is the plan's own (workload: the measure), not the start's
    assert first.info["within_tolerance"] and not first.info["seats_missing"]
    assert first.info["max_deviation"] == pytest.approx(quality["workload_max_deviation"], abs=1e-9)
    assert first.info["disruption_share"] <= 0.3 + 1e-9


def test_without_a_scenario_optimise_returns_its_start_plan():
    scenario = _scenario()
    world = build_world(scenario)
    rng = Streams(1).generator("x")
    plain = get_policy("optimise")(world, world.initial_seats(), PARAMS, rng)
    balanced = get_policy("balanced")(world, world.initial_seats(), {"tolerance": 0.1}, Streams(1).generator("x"))
    assert not plain.info["optimised"] and np.array_equal(plain.unit_seat, balanced.unit_seat)


def test_optimise_parameters_are_checked_with_the_scenario():
    with pytest.raises((ScenarioError, ValueError), match="evaluatons"):
        _scenario(evaluatons=5)


def test_the_search_finds_the_same_plan_serially_on_a_process_pool_and_on_dask():
    from distributed import LocalCluster

    plans = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for executor, extra in (("serial", {}), ("local", {"workers": 2}),
                                ("dask", {"scheduler": cluster.scheduler_address})):
            scenario = _scenario(executor=executor, evaluations=6, **extra)
            world = build_world(scenario)
            plans[executor] = build_alignments(scenario, world)["optimise"]
    assert np.array_equal(plans["serial"].unit_seat, plans["local"].unit_seat)
    assert np.array_equal(plans["serial"].unit_seat, plans["dask"].unit_seat)
    assert plans["serial"].info["steps"] == plans["dask"].info["steps"]


def test_a_run_reports_the_in_sample_difference_beside_fresh_paired_differences(tmp_path):
    from simulator.experiment import run_experiment
    from simulator.experiment.run_folder import read_manifest
    from simulator.experiment.terminal import render
    from simulator.report.territories import rep_names

    scenario = small_scenario(**WORLD, **{"experiment.replications": 3},
                              policies=["as_is", {"name": "balanced", "params": {"tolerance": 0.1}},
                                        {"name": "optimise", "params": PARAMS}])
    result = run_experiment(scenario, out=tmp_path)
    search = result.searches[0]["optimise"]
    assert search["compare_with"] == ["balanced", "as_is"] and search["evaluations"] <= PARAMS["evaluations"]
    text = render(result)
    assert "optimise searched" in text and "in-sample" in text
    assert text.count("Out-of-sample, on this run's fresh replications: optimise") == 1  # against balanced
    assert "Out-of-sample against as_is: the verdict above" in text  # as_is is the baseline: not repeated
    assert "over balanced" in text or "from balanced" in text
    manifest = read_manifest(result.folder)
    assert manifest["searches"]["0"]["optimise"]["steps"] == search["steps"]
    page = (result.folder / "report.html").read_text()
    assert "optimise searched" in page  # the report's verdict has the search too
    assert manifest["searches"]["0"]["optimise"]["moves"]  # this search (seeded) keeps a step
    seats = pd.read_parquet(result.folder / "territories.parquet").query("policy == 'optimise'")
    named = dict(zip(seats["rep_id"], rep_names(seats), strict=True))  # reps by name, not by Id
    for move in manifest["searches"]["0"]["optimise"]["moves"]:  # and its map marks every unit the search moved
        assert f"step {move['step']} of the search moved it from {named[move['from']]} to {named[move['to']]}" in page


def test_align_json_lists_every_accepted_step_with_its_difference(tmp_path):
    import json

    import yaml
    from click.testing import CliRunner

    from cli import main

    data = yaml.safe_load(_scenario().model_dump_json())
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({key: data[key] for key in ("name", "world", "calendar", "policies", "workforce",
                                                                "experiment")}))
    result = CliRunner().invoke(main, ["align", str(path), "--policy", "optimise", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["evaluations"] <= PARAMS["evaluations"] and report["steps"]
    for step in report["steps"]:
        assert step["lower_bound"] > 0 and -step["difference"] >= step["lower_bound"]  # a lower gap is better
        assert all({"unit_id", "from", "to"} <= set(move) for move in step["moves"])
    assert report["in_sample_difference"] == pytest.approx(sum(step["difference"] for step in report["steps"]),
                                                           rel=1e-9)
    assert 0 < report["confirmations"] and all(0.5 < step["confidence"] < 1 for step in report["steps"])
    text = CliRunner().invoke(main, ["align", str(path), "--policy", "optimise"])  # the same steps, for people
    assert text.exit_code == 0, text.output
    assert text.output.count("  accepted: ") == len(report["steps"]) and "% confidence)" in text.output


@pytest.mark.parametrize(("params", "overrides", "expected"), [
    ({"scheduler": "tcp://127.0.0.1:1"}, {}, "params.scheduler: a Dask scheduler is used only with executor: dask"),
    ({"executor": "serial", "workers": 2}, {}, "params.workers"),
    ({"budget": 0.3}, {}, "params.budget: a parameter of min_disruption"),
    ({}, {"experiment.primary": "workload_cv"}, "experiment.primary: 'workload_cv' is a property of the plan"),
    ({}, {"experiment.primary": "month3_revenue_share"}, "'month3_revenue_share' has no better direction"),
])
def test_a_search_that_could_not_use_its_settings_is_refused_naming_the_field(params, overrides, expected):
    with pytest.raises((ScenarioError, ValueError), match=expected.replace("(", r"\(").replace(".", r"\.")):
        small_scenario(**overrides, policies=["as_is", {"name": "optimise", "params": params}])


def test_the_search_plays_its_runs_as_the_experiment_plays_the_arm():
    from simulator.optimise.policy import arm_of

    scenario = small_scenario(policies=["as_is", {"name": "optimise", "params": PARAMS, "vacancy_policy": "realign"}])
    spec = scenario.policies[1]
    arm = arm_of(scenario, dict(spec.params))
    assert arm is spec and arm.vacancy_policy == "realign"  # its parameters and vacancy policy, not a bare start
    assert arm_of(scenario, {**spec.params, "evaluations": 99}).params["evaluations"] == 99
