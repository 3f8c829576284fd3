"""Hostile numbers: booleans for numbers, astronomically large potential, and what an empty potential becomes."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from simulator.scenario import Scenario
from simulator.schema.limits import MAX_POTENTIAL
from tests.test_scenario_hostile import three_account_world

SMALL = {"name": "h", "world": {"synthetic": {"seed": 3, "reps": 3, "accounts": 60, "metros": 2,
                                              "region": {"width_km": 100, "height_km": 80}}},
         "calendar": {"quarters": 1, "days_per_quarter": 5}, "policies": ["as_is"],
         "experiment": {"replications": 1}}
HEADER = "Id,Name,BillingLatitude,BillingLongitude,BillingPostalCode,BillingState,AnnualRevenue,OwnerId\n"


def _validate(tmp_path, data) -> tuple[int, str]:
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "s.yaml")])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(("change", "field"), [
    ({"calendar": {"quarters": 1, "days_per_quarter": 5, "workday_hours": True}}, "calendar.workday_hours"),
    ({"behaviour": {"admin_share": False}}, "behaviour.admin_share"),
    ({"behaviour": {"ramp": [[3.0, True]]}}, "behaviour.ramp.0.1"),
    ({"pacing": {"effort": [1, True, 1], "effectiveness": [1, 1, 1]}}, "pacing.effort.1"),
    ({"policies": ["as_is", {"name": "balanced", "params": {"tolerance": True}}]}, "params.tolerance"),
    ({"experiment": {"replications": 2, "precision": True}}, "experiment.precision"),
    ({"quota": {"company_target": True}}, "quota.company_target"),
])
def test_a_boolean_for_a_number_is_refused_naming_the_field(tmp_path, change, field):
    code, out = _validate(tmp_path, {**SMALL, **change})
    assert code == 2, out
    assert f"{field}: got a boolean (true/false); expected a number" in out


def test_several_booleans_are_one_problem_each_at_their_own_line(tmp_path):
    code, out = _validate(tmp_path, {**SMALL, "behaviour": {"admin_share": True, "skill_sigma": False}})
    assert code == 2 and "2 problem(s)" in out
    assert "behaviour.admin_share: got a boolean" in out and "behaviour.skill_sigma: got a boolean" in out
    text = (tmp_path / "s.yaml").read_text().splitlines()
    for key in ("admin_share", "skill_sigma"):  # each at the line of its own key
        line = next(i for i, row in enumerate(text, 1) if row.strip().startswith(f"{key}:"))
        assert f"s.yaml:{line}: behaviour.{key}: got a boolean" in out


def test_booleans_stay_fine_where_a_boolean_is_expected_and_numbers_where_numbers_are(tmp_path):
    code, out = _validate(tmp_path, {**SMALL, "behaviour": {"trips": {"enabled": False}, "admin_share": 0.3}})
    assert code == 0, out
    scenario = Scenario.model_validate({**SMALL, "calendar": {"quarters": 1, "workday_hours": 8}})
    assert scenario.calendar.workday_hours == 8.0  # an integer is still a number
    with pytest.raises(ValueError, match="got a boolean"):
        scenario.with_overrides(**{"behaviour.admin_share": True})  # overrides and sweeps are checked the same way


def test_potential_above_the_maximum_is_exit_2_naming_every_row(tmp_path):
    three_account_world(tmp_path, "1e308")
    for command in (["validate"], ["run", "--executor", "serial", "--out", str(tmp_path / "out")]):
        result = CliRunner().invoke(main, [command[0], str(tmp_path / "s.yaml"), *command[1:]])
        assert result.exit_code == 2, result.output
        for line in (2, 3, 4):
            assert f"accounts.csv: line {line}: potential: got '1e308', expected a number >= 0 and at most $1 " \
                   "trillion" in result.output
    assert not (tmp_path / "out").exists()


def test_potential_at_the_maximum_everywhere_runs_to_a_report(tmp_path):
    three_account_world(tmp_path, f"{MAX_POTENTIAL:.0f}")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "s.yaml"), "--executor", "serial", "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "out" / "h").iterdir())
    assert (folder / "report.html").stat().st_size > 0
    summary = pd.read_parquet(folder / "summary.parquet")
    assert all(math.isfinite(v) for v in summary["value"].dropna())


def test_import_crm_rejects_a_potential_above_the_maximum_naming_the_row(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "001A,A,41.8,-87.6,,IL,1e308,U1\n001B,B,41.8,-87.6,,IL,"
                                    f"{MAX_POTENTIAL:.0f},U1\n")
    result = CliRunner().invoke(main, ["import-crm", "--accounts", str(tmp_path / "a.csv"), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rejects = pd.read_csv(tmp_path / "out" / "rejects.csv")
    assert rejects[["line", "reason"]].values.tolist() == [
        [2, "AnnualRevenue above $1 trillion (1,000,000,000,000), the most one account may hold"]]
    assert pd.read_parquet(tmp_path / "out" / "accounts.parquet")["account_id"].tolist() == ["001B"]


@pytest.mark.parametrize(("mode", "expected"), [("zero", 0.0), ("1234.5", 1234.5), ("median", 200.0),
                                                ("segment-median", 300.0)])
def test_default_potential_modes(tmp_path, mode, expected):
    rows = ("Id,BillingLatitude,BillingLongitude,AnnualRevenue,OwnerId,Segment\n001A,41.8,-87.6,100,U1,X\n"
            "001B,41.8,-87.6,300,U1,Y\n001C,41.8,-87.6,200,U1,X\n001D,41.8,-87.6,,U1,Y\n")
    (tmp_path / "a.csv").write_text(rows)
    result = CliRunner().invoke(main, ["import-crm", "--accounts", str(tmp_path / "a.csv"), "--out",
                                       str(tmp_path / "out"), "--default-potential", mode])
    assert result.exit_code == 0, result.output
    accounts = pd.read_parquet(tmp_path / "out" / "accounts.parquet").set_index("account_id")
    assert accounts.loc["001D", "potential"] == expected and accounts.loc["001D", "potential_assumed"]
    assert not accounts.loc[["001A", "001B", "001C"], "potential_assumed"].any()
    assert "no potential: 1 accounts had none; they were given" in result.output


@pytest.mark.parametrize("mode", ["-5", "lots", "1e13"])
def test_a_bad_default_potential_is_exit_2(tmp_path, mode):
    (tmp_path / "a.csv").write_text(HEADER + "001A,A,41.8,-87.6,,IL,,U1\n")
    result = CliRunner().invoke(main, ["import-crm", "--accounts", str(tmp_path / "a.csv"), "--out",
                                       str(tmp_path / "out"), "--default-potential", mode])
    assert result.exit_code == 2 and f"--default-potential '{mode}': expected one of segment-median" in result.output


def test_an_export_without_any_potential_is_exit_2_saying_how_to_map_one(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "001A,A,41.8,-87.6,,IL,,U1\n")
    result = CliRunner().invoke(main, ["import-crm", "--accounts", str(tmp_path / "a.csv"), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2 and "--map potential=COLUMN" in result.output
    assert not (tmp_path / "out" / "accounts.parquet").exists()
