import json
import re

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from simulator.catalogue import format_level, metric
from tests.conftest import SCENARIOS

REQUIRED_METRICS = {"revenue", "share_rep_quarters_at_quota", "median_attainment", "coverage_gap",
                    "unvisited_account_share", "selling_share", "travel_share", "admin_share",
                    "month3_revenue_share", "workload_cv"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_runs(path, tmp_path):
    data = yaml.safe_load(path.read_text())
    searched = [p for p in data["policies"] if isinstance(p, dict) and p.get("name") == "optimise"]
    for policy in searched:  # a plan search in short: three plans on two replications
        policy["params"].update(evaluations=3, replications=2, executor="serial")
    if searched:
        path = tmp_path / path.name
        path.write_text(yaml.safe_dump(data))
    # two replications and no more: a scenario with a precision target stops after its first batch
    result = CliRunner().invoke(main, ["run", str(path), "--quarters", "2", "--replications", "2",
                                       "--max-replications", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "results written to" in result.output


def test_run_writes_the_run_folder(tmp_path):
    path = [p for p in SCENARIOS if p.name == "quickstart.yaml"][0]
    result = CliRunner().invoke(main, ["run", str(path), "--quarters", "1", "--replications", "2", "--seed", "9",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for label in ("Revenue", "Coverage gap", "Median quota attainment"):  # catalogue labels, not identifiers
        assert label in result.output
    folders = list((tmp_path / "quickstart").iterdir())
    assert len(folders) == 1
    folder = folders[0]
    names = {p.name for p in folder.iterdir()}
    assert {"manifest.json", "summary.parquet", "rep_quarters.parquet", "accounts.parquet",
            "alignment.parquet"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 9 and manifest["replications"] == 2
    assert manifest["resolved_scenario"]["calendar"]["quarters"] == 1
    assert manifest["package_versions"]["simpy"]
    assert "git_commit" in manifest and manifest["wall_seconds"] > 0
    summary = pd.read_parquet(folder / "summary.parquet")
    assert list(summary.columns) == ["scenario", "sweep_point", "policy", "replication", "metric", "value"]
    assert REQUIRED_METRICS <= set(summary["metric"])
    assert set(summary["policy"]) == {"as_is", "nearest", "balanced"}
    assert set(summary["replication"]) == {0, 1}
    rep_quarters = pd.read_parquet(folder / "rep_quarters.parquet")
    assert {"scenario", "policy", "replication", "quarter", "rep_id", "revenue", "quota", "attainment",
            "visits", "required_visits", "selling_hours", "travel_hours", "admin_hours", "accounts_owned",
            "accounts_not_visited", "pipeline_created", "pipeline_won", "vacancy_days"} <= set(rep_quarters.columns)
    alignment = pd.read_parquet(folder / "alignment.parquet")
    assert alignment.groupby("policy")["unit"].apply(lambda u: u.is_unique).all()


def test_run_with_bad_world_file_is_one_clear_message(tmp_path):
    (tmp_path / "reps.csv").write_text("rep_id,home_lat,home_lon\nR1,41.0,-88.0\n")
    (tmp_path / "accounts.csv").write_text(
        "account_id,lat,lon,potential,segment,owner\nA1,41.1,-88.1,1000,A,R1\nA2,,-88.2,500,B,R9\n")
    (tmp_path / "s.yaml").write_text(
        "name: files\nworld:\n  files: {accounts: accounts.csv, reps: reps.csv}\npolicies: [as_is]\n")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "accounts.csv: line 3: lat" in result.output
    assert "accounts.csv: line 3: owner: unknown rep 'R9'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_align_prints_catalogue_labels_and_writes_the_alignment(tmp_path):
    path = [p for p in SCENARIOS if p.name == "quickstart.yaml"][0]
    out = tmp_path / "plan.csv"
    result = CliRunner().invoke(main, ["align", str(path), "--policy", "balanced", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(CliRunner().invoke(main, ["align", str(path), "--policy", "balanced", "--json"]).output)
    for key in ("workload_cv", "compactness_hours", "disruption_account_share"):  # a label, never the identifier
        assert metric(key).label in result.output and key not in result.output
    assert format_level("workload_max_deviation", report["workload_max_deviation"]) in result.output
    count = report["territories"]
    assert f"{report['seats_within_tolerance']} of {count} territories within" in result.output
    assert f"alignment written to {out.resolve()}" in result.output
    assert len(pd.read_csv(out)) >= count and not re.search(r"\de[+-]\d", result.output)  # no scientific notation
