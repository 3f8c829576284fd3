"""Calibration: the ramp measured on hand-made tables, the elasticity interval, and the command's exit status."""

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import cli
from simulator.calibration import (
    CALENDAR_DAYS_PER_YEAR,
    ELASTICITY_REPLICATIONS,
    calibration_targets,
    mean_interval,
    paired_elasticities,
    pool_ramp_sums,
    ramp_productivity,
    ramp_sums,
)

DAYS_PER_QUARTER = 63  # 21 working days a month
CALENDAR_DAYS_PER_DAY = CALENDAR_DAYS_PER_YEAR / 4 / DAYS_PER_QUARTER
MONTH = 21
BANDS = [(0, 3), (3, 6), (6, 7)]
RATE = 0.001  # pipeline a settled rep creates per working day per unit of territory potential


def synthetic_run(ramp=(0.3, 0.7, 1.0), days: int = 20 + 8 * MONTH):
    """Two seats. Seat 0: a settled rep all along (potential 2M). Seat 1 (potential 1M): a settled rep until day 10,
    a manager covering days 10-19, then a new hire from day 20 creating `ramp[i]` of the settled rate in band i.

    Pipeline the measure must ignore: the covering manager's, inbound and carried opportunities.
    """
    potential = {0: 2e6, 1: 1e6}
    rep_days, opportunities = [], []

    def worked(seat: int, day: int, kind: str, share: float) -> None:
        rep_days.append({"seat": seat, "day": day, "quarter": day // DAYS_PER_QUARTER, "kind": kind})
        opportunities.append({"seat_created": seat, "created": day + 0.4, "value": share * RATE * potential[seat],
                              "source": "visit"})

    for day in range(days):
        worked(0, day, "rep", 1.0)
        if day < 10:
            worked(1, day, "rep", 1.0)
        elif day < 20:
            worked(1, day, "manager", 50.0)
        else:
            band = min((day - 20) // (3 * MONTH), 2)
            worked(1, day, "rep", ramp[band])
    opportunities += [{"seat_created": 1, "created": 25.5, "value": 1e6, "source": "inbound"},
                      {"seat_created": 1, "created": -5.0, "value": 1e6, "source": "carried"}]
    reps = pd.DataFrame({"rep_id": ["R0", "R1", "R1-H1"], "seat": [0, 1, 1], "hired": [-1000.0, -2000.0, 20.0],
                         "left": [np.nan, 10.0, np.nan]})
    seat_potential = pd.DataFrame({"seat": list(potential), "potential": list(potential.values())})
    return pd.DataFrame(rep_days), reps, pd.DataFrame(opportunities), seat_potential


def test_ramp_measures_the_new_hire_against_settled_reps():
    sums = ramp_sums(*synthetic_run(), CALENDAR_DAYS_PER_DAY, BANDS, settled_months=7)
    assert list(sums.index) == ["months 1-3", "months 4-6", "month 7", "settled"]
    assert sums["rep_days"].tolist() == [63, 63, 21, 2 * (20 + 8 * MONTH) - 10 - 7 * MONTH]
    table = ramp_productivity(sums, min_rep_days=20)
    assert table["productivity"].to_numpy() == pytest.approx([0.3, 0.7, 1.0, 1.0])


def test_ramp_is_a_ratio_of_sums_pooled_over_runs_and_na_when_too_few_rep_days():
    slow = ramp_sums(*synthetic_run(ramp=(0.2, 0.6, 1.0)), CALENDAR_DAYS_PER_DAY, BANDS, settled_months=7)
    fast = ramp_sums(*synthetic_run(ramp=(0.4, 0.8, 1.0)), CALENDAR_DAYS_PER_DAY, BANDS, settled_months=7)
    pooled = pool_ramp_sums([slow, fast])
    assert pooled["rep_days"].tolist() == (2 * slow["rep_days"]).tolist()
    table = ramp_productivity(pooled, min_rep_days=60)
    assert table["productivity"].iloc[:2].to_numpy() == pytest.approx([0.3, 0.7])
    assert np.isnan(table.loc["month 7", "productivity"])  # 42 rep-days in month 7 < 60
    short = ramp_productivity(slow, min_rep_days=400)  # too few settled rep-days: nothing to compare with
    assert short["productivity"].isna().all()


def test_ramp_follows_potential_by_quarter_when_given():
    rep_days, reps, opportunities, constant = synthetic_run()
    # seat 1's territory doubles from quarter 2 (day 126) and so does the pipeline it creates
    later = (opportunities["seat_created"] == 1) & (np.floor(opportunities["created"]) // DAYS_PER_QUARTER >= 2)
    opportunities.loc[later & (opportunities["source"] == "visit"), "value"] *= 2
    by_quarter = pd.DataFrame([{"seat": seat, "quarter": quarter,
                                "potential": 2e6 if seat == 0 else 1e6 * (2 if quarter >= 2 else 1)}
                               for seat in (0, 1) for quarter in range(4)])
    sums = ramp_sums(rep_days, reps, opportunities, by_quarter, CALENDAR_DAYS_PER_DAY, BANDS, settled_months=7)
    assert ramp_productivity(sums, 20)["productivity"].to_numpy() == pytest.approx([0.3, 0.7, 1.0, 1.0])
    flat = ramp_sums(rep_days, reps, opportunities, constant, CALENDAR_DAYS_PER_DAY, BANDS, settled_months=7)
    assert ramp_productivity(flat, 20)["productivity"].iloc[2] > 1.5  # one potential for the run misreads it


def paired_summaries(elasticities: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base and pushed summaries whose per-replication elasticities are the ones given (calls +5%)."""
    base, pushed = [], []
    for replication, elasticity in enumerate(elasticities):
        revenue, calls = 1e6 * (1 + replication / 10), 3.0 + replication / 10
        for rows, factor, rev in ((base, 1.0, revenue), (pushed, 1.05, revenue * 1.05 ** elasticity)):
            rows += [{"replication": replication, "metric": "revenue", "value": rev},
                     {"replication": replication, "metric": "visits_per_rep_day", "value": calls * factor},
                     {"replication": replication, "metric": "selling_share", "value": 0.3 * factor ** 2},
                     {"replication": replication, "metric": "win_rate", "value": 0.2}]
    return pd.DataFrame(base), pd.DataFrame(pushed)


def test_elasticity_interval_from_paired_replications():
    values = [0.25, 0.35] * 5  # mean 0.30, sd 0.05 * sqrt(10 / 9)
    elasticities = paired_elasticities(*paired_summaries(values))
    assert elasticities.to_numpy() == pytest.approx(values)
    interval = mean_interval(elasticities)
    half = 2.2621571627 * 0.05 * np.sqrt(10 / 9) / np.sqrt(10)  # t(0.975, 9) * sd / sqrt(n)
    assert interval["n"] == 10
    assert interval["mean"] == pytest.approx(0.30)
    assert interval["low"] < 0.30 < interval["high"]
    assert (interval["low"], interval["high"]) == pytest.approx((0.30 - half, 0.30 + half))
    assert np.isnan(mean_interval([0.3])["low"])


def test_shipped_ramp_row_is_measured_with_its_tolerance():
    ramp = next(t for t in calibration_targets() if t["metric"] == "ramp")
    assert ramp["expected"] == [0.3, 0.7, 1.0] and ramp["tolerance"] == pytest.approx(0.10)
    assert len(ramp["bands_months"]) == len(ramp["expected"])


TINY = """\
name: tiny
world:
  synthetic: {seed: 3, reps: 4, accounts: 300, metros: 2, region: {width_km: 150, height_km: 120}}
policies: [as_is]
experiment: {replications: 1, seed: 5}
"""


def test_calibrate_exit_status_matches_the_table(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = CliRunner().invoke(cli.main, ["calibrate", str(path), "--quarters", "1", "--replications", "1",
                                           "--workers", "1"])
    rows = re.findall(r"^ *\d+ .* (pass|FAIL)$", result.output, flags=re.MULTILINE)
    assert len(rows) == 11, result.output
    assert re.search(r" 11 .* -?\d+\.\d\d \(95% CI -?\d+\.\d\d to -?\d+\.\d\d, n=\d+\) ", result.output)
    assert re.search(rf"elasticity over \d+ paired replications \(at least {ELASTICITY_REPLICATIONS}", result.output)
    passed = rows.count("pass")
    assert f"{passed} of 11 rows inside their band (tiny, 1 quarters, 1 replications)" in result.output
    assert result.exit_code == (0 if passed == 11 else 1), result.output


@pytest.mark.parametrize("outcomes, status", [([True] * 11, 0), ([True] * 10 + [False], 1)])
def test_calibrate_exits_1_when_any_row_fails(monkeypatch, tmp_path, outcomes, status):
    table = pd.DataFrame({"row": range(1, 12), "quantity": "q", "simulated": "1", "band": "0 - 2", "pass": outcomes,
                          "source": "s", "note": ""})
    monkeypatch.setattr(cli, "calibrate_scenario", lambda scenario, **options: table)
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = CliRunner().invoke(cli.main, ["calibrate", str(path)])
    assert result.exit_code == status, result.output
    assert f"{sum(outcomes)} of 11 rows inside their band" in result.output
    assert ("FAIL" in result.output) == (status == 1)


def test_calibrate_bad_scenario_exits_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\npolicies: [no_such_policy]\n")
    result = CliRunner().invoke(cli.main, ["calibrate", str(path)])
    assert result.exit_code == 2, result.output
