"""Decision-grade answers: the metric catalogue, replicating to a precision target, selecting the best policy."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulator.catalogue import (
    CATALOGUE,
    GROUPS,
    HIGHER,
    LOWER,
    NEITHER,
    UNITS,
    format_difference,
    format_level,
    format_relative,
)
from simulator.engine import simulate
from simulator.experiment.experiment import run_experiment
from simulator.experiment.runs import prepare
from simulator.experiment.sequential import Rounds
from simulator.metrics import run_tables
from simulator.metrics.workforce import CHANGE_REASONS
from simulator.stats.compare import replications_for, t_quantile
from simulator.stats.selection import kn_select
from simulator.streams import Streams
from tests.conftest import SCENARIOS, small_scenario

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def test_catalogue_covers_every_metric_the_summary_writes():
    scenario = small_scenario(**{"workforce.attrition.enabled": True, "workforce.attrition.annual_quit_rate": 0.9,
                                 "calendar.quarters": 2})
    prepared = prepare(scenario)
    written = set(run_tables(simulate(prepared.world, prepared.alignments["nearest"], scenario,
                                      Streams(1, 0))).summary)
    written |= set(next(iter(prepared.quality.values())))
    written |= {f"accounts_changed_{reason}" for reason in CHANGE_REASONS}
    missing = sorted(written - set(CATALOGUE))
    assert not missing, f"metrics without a catalogue entry (add them to simulator/catalogue.py): {missing}"
    for entry in CATALOGUE.values():
        assert entry.label and entry.definition.endswith(".") and entry.threshold > 0
        assert entry.unit in UNITS and entry.direction in (HIGHER, LOWER, NEITHER) and entry.group in GROUPS


@pytest.mark.parametrize("value", [6.187e-06, -1.535e-06, 1e-12, 3.9762e8, 1.2e12, 0.0, -0.0, 12345.678])
def test_numbers_for_people_have_no_scientific_notation(value):
    for key in CATALOGUE:
        for text in (format_level(key, value), format_level(key, value, abs(value)), format_difference(key, value),
                     format_relative(value)):
            assert not SCIENTIFIC.search(text), (key, text)
            assert "-0.0" not in text and "nan" not in text.lower()


def test_formats_use_the_metric_unit():
    assert format_level("revenue", 397.62e6, 3.6343e6) == "$397.6M ±$3.63M"
    assert format_difference("revenue", 18.6e6) == "+$18.60M"
    assert format_difference("revenue", -15_230.0) == "-$15.2k"
    assert format_level("share_rep_quarters_at_quota", 0.4567) == "45.7%"
    assert format_difference("coverage_gap", -0.0132) == "-1.3 pp"
    assert format_difference("admin_share", -6.187e-06) == "0.0 pp"
    assert format_level("vacancy_days", 1234.4) == "1,234 days"
    assert format_relative(0.041) == "+4.1%"
    assert format_level("revenue", float("nan")) == "n/a"


def test_kn_selects_the_best_of_five_with_at_least_the_nominal_probability():
    rng = np.random.default_rng(2026)
    k, n0, delta, trials, correct = 5, 10, 0.5, 400, 0
    for _ in range(trials):
        common = rng.standard_normal((4000, 1))  # common random numbers: positively correlated systems
        values = 0.6 * common + 0.8 * rng.standard_normal((4000, k))
        values[:, 3] += delta  # the best is exactly one indifference zone ahead of the rest (the hardest case)
        selection = kn_select(values, delta, n0, alpha=0.05)
        assert selection.done
        correct += selection.best == 3
    # the guarantee is P(correct) >= 0.95; KN is conservative (about 0.98 here), so 400 trials clear 0.95
    assert correct / trials >= 0.95


def test_kn_minimises_and_cannot_separate_identical_systems():
    rng = np.random.default_rng(7)
    values = rng.standard_normal((60, 3))
    values[:, 1] -= 2.0
    assert kn_select(values, 0.5, 10, maximise=False).best == 1
    same = np.repeat(rng.standard_normal((40, 1)), 3, axis=1)
    tie = kn_select(same, 0.5, 10)  # identical systems: all equally good, the first is selected at once
    assert tie.done and tie.best == 0 and tie.replications == 10
    close = rng.standard_normal((12, 3))  # too few replications to separate noisy systems: it says so
    undecided = kn_select(close, 0.05, 10)
    assert not undecided.done and len(undecided.survivors) >= 2 and undecided.replications == 12


def test_precision_rounds_stop_at_the_analytically_expected_number_of_replications():
    sigma, mean, precision, batch = 2.0, 100.0, 0.01, 5
    expected = replications_for(sigma, precision * mean)
    assert t_quantile(expected) * sigma / math.sqrt(expected) <= 1.0 < t_quantile(expected - 1) * sigma / math.sqrt(
        expected - 1)
    scenario = small_scenario(**{"experiment.precision": precision, "experiment.replications": batch,
                                 "experiment.batch": batch, "experiment.max_replications": 500})
    rng = np.random.default_rng(11)
    stops = []
    for _ in range(200):
        rounds = Rounds(scenario)
        done = 0
        while True:
            batch_range = rounds.next_batch(done)
            for r in batch_range:
                base = mean + 10.0 * rng.standard_normal()  # large noise common to both policies
                rounds.record(0, "as_is", r, base)
                rounds.record(0, "nearest", r, base + sigma * rng.standard_normal())
            done = batch_range.stop
            status = rounds.check([0], done)
            if status.met:
                break
        assert status.half_width <= precision
        stops.append(done)
    # the stop is the first batch boundary whose interval is narrow enough: about `expected`, within a batch
    assert abs(float(np.median(stops)) - expected) <= batch


def test_run_with_a_precision_target_stops_and_prints_the_verdict_first(tmp_path):
    path = tmp_path / "small.yaml"
    scenario = small_scenario(**{"calendar.days_per_quarter": 20, "output.folder": str(tmp_path / "out"),
                                 "experiment.replications": 2, "experiment.select": {"indifference": 0.05}})
    path.write_text(__import__("yaml").safe_dump(scenario.model_dump(mode="json", exclude={"source"})))
    result = CliRunner().invoke(main, ["run", str(path), "--precision", "0.5", "--replications", "2",
                                       "--max-replications", "6", "--executor", "serial"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("scenario small: 2 policies x ")
    assert "replicated until every revenue difference was known within ±50.0%" in lines[1] or \
        "stopped at the maximum of 6 replications" in lines[1]
    decision = next(i for i, line in enumerate(lines) if line.startswith("Decision: each plan against as_is"))
    assert lines[decision + 1].startswith("nearest")
    verdict = lines.index("Verdict")
    assert lines[verdict + 1].strip().startswith("nearest")
    words = " ".join(result.output.split())  # the verdict's sentences are wrapped to the terminal's width
    assert "  Best on revenue: " in result.output and words.index("Best on revenue: ") > words.index("Verdict")
    assert result.output.index("Paired differences versus as_is") < result.output.index("Levels")
    assert not SCIENTIFIC.search(result.output.split("results written to")[0])  # (folder names hold hex ids)
    folder = next((tmp_path / "out" / "small").iterdir())
    comparison = pd.read_parquet(folder / "comparison.parquet")
    assert {"relative_diff", "relative_ci_low", "relative_ci_high", "verdict", "n"} <= set(comparison.columns)
    manifest = __import__("json").loads((folder / "manifest.json").read_text())
    assert manifest["rounds"]["precision_target"] == 0.5
    assert set(manifest["rounds"]["selection"]["0"]["survivors"]) <= {"as_is", "nearest"}
    assert manifest["replications"] == comparison["n"].max()
    metadata = __import__("pyarrow.parquet", fromlist=["x"]).read_schema(folder / "summary.parquet").metadata
    assert b"territory_sim.metrics" in metadata


def test_inbound_draws_stay_paired_when_a_policy_changes_other_accounts_rates():
    scenario = small_scenario(**{"calendar.quarters": 2, "calendar.days_per_quarter": 30})
    prepared = prepare(scenario)
    second = {}
    for policy in ("as_is", "nearest"):
        frame = run_tables(simulate(prepared.world, prepared.alignments[policy], scenario, Streams(4, 0)))
        opportunities = frame.opportunities
        inbound = opportunities[(opportunities["source"] == "inbound") & (opportunities["created_quarter"] == 1)]
        second[policy] = inbound.groupby("account")["created"].apply(lambda s: tuple(sorted(s)))
    both = second["as_is"].index.intersection(second["nearest"].index)
    same_count = [a for a in both if len(second["as_is"][a]) == len(second["nearest"][a])]
    assert len(same_count) > 20
    # an account with as many inbound deals under both policies gets them at the same moments: its draws are its own
    assert all(second["as_is"][a] == second["nearest"][a] for a in same_count)


@pytest.mark.parametrize("path", [p for p in SCENARIOS if p.stem == "us_national"], ids=lambda p: p.stem)
def test_national_scenario_asks_for_a_precision_target(path):
    from simulator.scenario import load_scenario

    experiment = load_scenario(path).experiment
    assert experiment.precision is not None and experiment.precision <= 0.01


def test_precision_rounds_resume_and_run_on_a_pool_to_the_same_stop(tmp_path):
    scenario = small_scenario(**{"calendar.days_per_quarter": 15, "experiment.replications": 2,
                                 "experiment.batch": 2, "experiment.precision": 0.02,
                                 "experiment.max_replications": 6})
    whole = run_experiment(scenario, out=tmp_path / "whole", executor="serial")
    assert whole.replications == 6 or whole.status.precision_met
    pooled = run_experiment(scenario, write=False, executor="local", workers=2)
    pd.testing.assert_frame_equal(pooled.comparison, whole.comparison)
    with pytest.raises(InterruptedError):  # cut in the second batch
        run_experiment(scenario, out=tmp_path / "cut", stop_after=6, executor="serial")
    folder = next((tmp_path / "cut" / scenario.name).iterdir())
    resumed = run_experiment(scenario, resume=folder, executor="serial")
    assert resumed.replications == whole.replications and resumed.resumed_parts == 6
    for name in ("summary", "comparison"):
        pd.testing.assert_frame_equal(pd.read_parquet(folder / f"{name}.parquet"),
                                      pd.read_parquet(whole.folder / f"{name}.parquet"))


def test_compiled_poisson_quantiles_equal_scipy_away_from_cdf_steps():
    from scipy.stats import poisson

    from simulator.engine.draws import poisson_quantiles

    rng = np.random.default_rng(3)
    chances, rates = rng.random(200_000), rng.exponential(0.5, 200_000)
    rates[:1000] = 0.0
    ours = poisson_quantiles(chances, rates, 127)
    theirs = np.minimum(poisson.ppf(chances, rates), 127).astype(np.int64)
    differ = ours != theirs
    # only where the chance sits within rounding of a CDF step can the two sums disagree
    assert differ.sum() <= 2
    assert np.all(np.abs(poisson.cdf(theirs[differ], rates[differ]) - chances[differ]) < 1e-12)


def test_hostile_policy_labels_reach_the_terminal_and_the_report_as_text(tmp_path):
    label = "[/red]<img src=x onerror=alert(1)>%{x}"
    scenario = small_scenario(**{"calendar.days_per_quarter": 10, "experiment.replications": 2,
                                 "output.folder": str(tmp_path / "out")},
                              policies=["as_is", {"name": "nearest", "label": label}])
    path = tmp_path / "hostile.yaml"
    path.write_text(__import__("yaml").safe_dump(scenario.model_dump(mode="json", exclude={"source"})))
    result = CliRunner().invoke(main, ["run", str(path), "--executor", "serial"])
    assert result.exit_code == 0, result.output
    assert label in result.output  # printed as the user wrote it, not read as markup
    page = next((tmp_path / "out").glob("*/*/report.html")).read_text()
    assert "<img src=x" not in page  # escaped in the HTML, in the figures and in the embedded data
