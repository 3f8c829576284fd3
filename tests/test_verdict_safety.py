"""Issue 25, build 1 and 5: safe defaults, the minimum before a difference is called, coverage, the first screen."""

import re

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from simulator.experiment.coverage import coverage_study, paired_pool
from simulator.experiment.experiment import run_experiment
from simulator.experiment.terminal import render
from simulator.scenario import DEFAULT_PRECISION, Experiment, Scenario
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS
from tests.conftest import small_scenario
from tests.crm_world import write_dominant_world

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_a_scenario_that_says_nothing_replicates_until_clear_and_one_that_names_replications_gets_them():
    world = {"synthetic": {"reps": 3, "accounts": 60}}
    unsaid = Scenario.model_validate({"name": "x", "world": world, "policies": ["as_is"]}).experiment
    assert unsaid.precision == DEFAULT_PRECISION and unsaid.replications == MIN_CLEAR_REPLICATIONS
    assert unsaid.sequential and unsaid.max_replications == 100
    fixed = Scenario.model_validate({"name": "x", "world": world, "policies": ["as_is"],
                                     "experiment": {"replications": 3}}).experiment
    assert fixed.precision is None and fixed.replications == 3
    assert Experiment(seed=4).precision == DEFAULT_PRECISION  # a seed alone says nothing about how many


@pytest.fixture(scope="module")
def dominant(tmp_path_factory):
    """A small world where one account holds a quarter of all potential, and a pool of 200 paired replications."""
    folder = write_dominant_world(tmp_path_factory.mktemp("dominant"), 0.25)
    scenario = Scenario.model_validate({
        "name": "dominant", "world": {"files": {"accounts": str(folder / "accounts.parquet"),
                                                "reps": str(folder / "reps.parquet")}},
        "calendar": {"quarters": 1, "days_per_quarter": 40}, "policies": ["as_is", "balanced"],
        "experiment": {"replications": 200, "seed": 3}})
    result = run_experiment(scenario, write=False, executor="serial")
    return scenario, result


def test_at_default_settings_the_interval_keeps_its_coverage_when_one_account_dominates(dominant):
    _, result = dominant
    pool = paired_pool(result.summary, "balanced", "as_is", "revenue")
    assert len(pool) == 200
    found = coverage_study(pool, Experiment(), "revenue", 400, np.random.default_rng(1))
    # 400 replays: the Monte Carlo sd of a 95% coverage is 1.1 pp; allow 2.5 sd below nominal
    assert found.coverage >= 0.95 - 0.027
    assert found.wrong_sign <= 0.025  # a clear verdict of the wrong sign no more often than a 95% interval allows
    loose = coverage_study(pool, Experiment(precision=0.1), "revenue", 400, np.random.default_rng(4))
    assert loose.coverage >= 0.95 - 0.027 and loose.wrong_sign <= 0.025  # stopping early on a loose target too


def test_the_stopping_rule_never_stops_before_the_minimum_and_below_it_nothing_is_called(dominant):
    _, result = dominant
    pool = paired_pool(result.summary, "balanced", "as_is", "revenue")
    loose = Experiment(precision=0.9, replications=2, batch=1)  # met at once, but may not stop before the minimum
    found = coverage_study(pool, loose, "revenue", 50, np.random.default_rng(2))
    assert found.mean_replications == MIN_CLEAR_REPLICATIONS
    few = coverage_study(pool, Experiment(replications=MIN_CLEAR_REPLICATIONS - 1), "revenue", 50,
                         np.random.default_rng(3))
    assert few.called == 0


def test_too_few_replications_are_not_called_nor_coloured_and_say_so(tmp_path):
    scenario = small_scenario(**{"calendar.days_per_quarter": 20, "policies": ["as_is", "nearest"],
                                 "experiment.replications": 3})
    result = run_experiment(scenario, write=False)
    text = render(result, colour=True, width=100)
    assert "\x1b[32m" not in text and "\x1b[31m" not in text  # no green, no red
    plain = " ".join(ANSI.sub("", text).split())  # sentences and cells are wrapped to the width
    assert f"not called (3 of the {MIN_CLEAR_REPLICATIONS} paired replications needed)" in plain
    assert f"not called: 3 paired replications, and a difference is called on at least {MIN_CLEAR_REPLICATIONS}" \
        in plain
    assert (result.comparison["verdict"] == "no clear difference").all()


def test_run_with_replications_alone_runs_exactly_that_many(tmp_path):
    path = tmp_path / "s.yaml"
    scenario = small_scenario(**{"calendar.days_per_quarter": 10, "output.folder": str(tmp_path / "out"),
                                 "experiment.replications": 20, "experiment.precision": 0.01})
    path.write_text(__import__("yaml").safe_dump(scenario.model_dump(mode="json", exclude={"source"})))
    result = CliRunner().invoke(main, ["run", str(path), "--replications", "2", "--executor", "serial", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("scenario small: 2 policies x 2 replications")


def test_at_80_columns_the_first_screen_holds_the_decision_summary():
    scenario = small_scenario(**{"calendar.days_per_quarter": 20, "policies": ["as_is", "nearest", "balanced"],
                                 "experiment.replications": MIN_CLEAR_REPLICATIONS})
    result = run_experiment(scenario, write=False)
    screen = render(result, width=80).splitlines()[:24]
    assert all(len(line.rstrip()) <= 80 for line in screen)
    start = next(i for i, line in enumerate(screen) if line.startswith("Decision: each plan against as_is"))
    for policy in ("nearest", "balanced"):
        block = [line for line in screen[start:] if line.startswith(policy)]
        assert block, f"{policy} is not on the first screen"
        said = r"(clearly better|clearly worse|small but clear|no clear difference)"
        assert re.search(r"revenue [+-][\d.]+% \(.*\): " + said, block[0])
    assert any("moves " in line and "of accounts to a new rep" in line for line in screen[start:])


def _findings_with_selection(best, survivors, revenue_new):
    import pandas as pd

    from simulator.report.verdict import Findings
    from simulator.stats.compare import compare

    n = MIN_CLEAR_REPLICATIONS
    base = [100.0 + 10 * (r % 4) for r in range(n)]
    new = [b + d for b, d in zip(base, revenue_new(n), strict=True)]
    summary = pd.DataFrame({"sweep_point": 0, "replication": list(range(n)) * 2, "policy": ["base"] * n + ["new"] * n,
                            "metric": "revenue", "value": base + new})
    return Findings(["base", "new"], "base", "revenue", compare(summary, "base", ["revenue"]), summary,
                    select={"confidence": 0.95, "indifference": 0.05},
                    selections={0: {"best": best, "survivors": survivors, "replications": n, "indifference": 5.0}})


def test_a_selection_that_seems_to_contradict_the_verdict_says_why():
    from simulator.report.verdict import verdict_lines

    noisy = _findings_with_selection("new", ["new"], lambda n: [(-1) ** r * 3.0 + 0.5 for r in range(n)])
    text = " ".join(verdict_lines(noisy))
    assert "Best on revenue: new" in text and "The verdict does not call new better than base" in text
    assert "indifference zone as ties" in text
    clear = _findings_with_selection("base", ["base"], lambda n: [2.0 + 0.1 * (r % 3) for r in range(n)])
    text = " ".join(verdict_lines(clear))
    assert "Yet the verdict calls new better than base" in text
    agreeing = _findings_with_selection("new", ["new"], lambda n: [2.0 + 0.1 * (r % 3) for r in range(n)])
    assert "The two answer different questions" not in " ".join(verdict_lines(agreeing))


def test_validate_says_how_many_replications_a_scenario_runs():
    assert Experiment(replications=3).replications_text() == "3 replications"
    assert Experiment().replications_text() == "20 to 100 replications until every difference is known within ±1%"
    assert Experiment(precision=0.05, replications=5, max_replications=40).replications_text() == \
        "20 to 40 replications until every difference is known within ±5%"
    # a cap below the minimum lowers the first batch the user did not write, instead of refusing it
    assert Experiment(max_replications=10).replications == 10 and Experiment(max_replications=10).sequential


def test_one_policy_stops_at_the_minimum_and_shows_no_empty_decision():
    scenario = small_scenario(**{"calendar.days_per_quarter": 10, "policies": ["as_is"]})
    scenario = scenario.with_overrides(**{"experiment": {"seed": 2}})  # says nothing about replications
    assert scenario.experiment.precision == DEFAULT_PRECISION
    result = run_experiment(scenario, write=False)
    assert result.replications == MIN_CLEAR_REPLICATIONS  # nothing to compare: the target is met at once
    assert "Decision:" not in render(result, width=80)
