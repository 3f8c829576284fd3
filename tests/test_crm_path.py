"""The guided path: import-crm -> new -> validate -> run -> export-crm --changed-only, and --version."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from simulator.io import own_version
from tests.crm_world import write_midwest_export


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    """A small Midwest export imported, a scenario written by `new`, run for one short quarter."""
    folder = tmp_path_factory.mktemp("path")
    accounts_csv, users_csv = write_midwest_export(folder / "export", seed=7, accounts=240)
    runner = CliRunner()
    imported = runner.invoke(main, ["import-crm", "--accounts", str(accounts_csv), "--users", str(users_csv),
                                    "--out", str(folder / "world")])
    assert imported.exit_code == 0, imported.output
    new = runner.invoke(main, ["new", "--world", str(folder / "world")])
    assert new.exit_code == 0, new.output
    scenario = folder / "world.yaml"
    ran = runner.invoke(main, ["run", str(scenario), "--quarters", "1", "--replications", "2", "--max-replications",
                               "2", "--executor", "serial", "--out", str(folder / "runs")])
    assert ran.exit_code == 0, ran.output
    return {"folder": folder, "imported": imported, "new": new, "scenario": scenario, "ran": ran,
            "run": next((folder / "runs" / "world").iterdir())}


def test_import_crm_ends_with_the_next_command(path):
    last = path["imported"].output.strip().splitlines()[-1]
    world = path["folder"] / "world"
    assert last == f"next: territory-sim new --world {world} --out {world}.yaml, then territory-sim run {world}.yaml"


def test_new_writes_a_commented_scenario_that_validates_and_runs(path):
    text = path["scenario"].read_text()
    data = yaml.safe_load(text)
    assert data["world"]["files"] == {"accounts": "world/accounts.parquet", "reps": "world/reps.parquet"}
    assert [p if isinstance(p, str) else p["name"] for p in data["policies"]] == ["as_is", "balanced",
                                                                                  "min_disruption"]
    assert data["experiment"]["precision"] > 0 and data["experiment"]["max_replications"] >= 20
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 10  # every section says what it does
    reps = pd.read_parquet(path["folder"] / "world" / "reps.parquet")
    named = re.search(r"#\s+rep: (.+?)\s+# the rep's name or CRM Id \((\w+)\)", text)
    assert named and named.group(1) in set(reps["name"])  # a real rep's name from the world
    assert reps.set_index("rep_id").loc[named.group(2), "name"] == named.group(1)
    validated = CliRunner().invoke(main, ["validate", str(path["scenario"])])
    assert validated.exit_code == 0, validated.output
    assert "valid scenario 'world' (3 policies" in validated.output
    assert "results written to" in path["ran"].stdout  # and it ran (one quarter, two replications, serial)


def test_the_commented_departure_validates_when_uncommented(path, tmp_path):
    text = path["scenario"].read_text()
    rep_id = re.search(r"CRM Id \((\w+)\)", text).group(1)
    block = re.search(r"# events:\n((?:#   .*\n)+)", text)
    events = "events:\n" + "".join(line[1:] + "\n" for line in block.group(1).splitlines())
    world = path["folder"] / "world"
    body = (text.replace("world/accounts.parquet", str(world / "accounts.parquet"))
            .replace("world/reps.parquet", str(world / "reps.parquet")))
    for written in (events, re.sub(r"rep: .+", f"rep: {rep_id}", events)):  # as written (a name), and by its Id
        uncommented = tmp_path / "departure.yaml"
        uncommented.write_text(body + written)
        result = CliRunner().invoke(main, ["validate", str(uncommented)])
        assert result.exit_code == 0, result.output
        event = yaml.safe_load(uncommented.read_text())["events"][0]
        assert event["type"] == "departure" and event["quarter"] == 2 and event["at"] == "start"


def test_new_refuses_to_overwrite_and_a_folder_that_is_not_a_world(path, tmp_path):
    result = CliRunner().invoke(main, ["new", "--world", str(path["folder"] / "world")])
    assert result.exit_code == 2 and "exists; choose another name or pass --force" in result.output
    result = CliRunner().invoke(main, ["new", "--world", str(tmp_path)])
    assert result.exit_code == 2 and "no accounts.parquet or accounts.csv" in result.output


def test_run_prints_the_data_warnings_on_stderr_before_the_verdict(path):
    ran = path["ran"]
    assert "warning: " in ran.stderr and "data checks (territory-sim validate" in ran.stderr
    assert "warning: " not in ran.stdout  # stdout stays the verdict


def test_export_crm_changed_only_writes_the_moves_and_names_the_rest(path, tmp_path):
    out = tmp_path / "moves.csv"
    result = CliRunner().invoke(main, ["export-crm", str(path["run"]), "--policy", "balanced", "--out", str(out),
                                       "--changed-only"])
    assert result.exit_code == 0, result.output
    moves = pd.read_csv(out, dtype=str, keep_default_na=False)
    assignments = pd.read_parquet(path["run"] / "assignments.parquet")
    chosen = assignments[assignments["policy"] == "balanced"]
    changed = chosen[chosen["rep_id"] != chosen["current_rep_id"]]
    assert set(moves["Id"]) == set(changed["account_id"]) and (moves["Changed"] == "True").all()
    assert list(moves.columns) == ["Id", "OwnerId", "PreviousOwnerId", "Changed", "OwnerName", "PreviousOwnerName"]
    reps = pd.read_parquet(path["folder"] / "world" / "reps.parquet").set_index("rep_id")["name"]
    assert (moves["OwnerName"] == moves["OwnerId"].map(reps)).all()  # the CRM Id kept, the name beside it
    left = pd.read_csv(tmp_path / "moves.unchanged.csv", dtype=str, keep_default_na=False)
    assert len(left) + len(moves) == len(chosen) and not set(left["Id"]) & set(moves["Id"])
    assert f"{len(moves):,} accounts written, {len(moves):,} of them change owner under balanced" in result.output
    assert f"left out {len(left):,} accounts whose owner stays ({left['Id'].iloc[0]}," in result.output
    assert str(tmp_path / "moves.unchanged.csv") in result.output
    everything = CliRunner().invoke(main, ["export-crm", str(path["run"]), "--policy", "balanced", "--out",
                                           str(tmp_path / "all.csv")])
    assert everything.exit_code == 0 and len(pd.read_csv(tmp_path / "all.csv")) == len(chosen)


def test_version_is_the_package_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"territory-sim {own_version()}"
    assert own_version() == metadata.version("territory-sim")  # installed here; pyproject is the fallback


def test_readme_quick_start_says_venv_first_in_two_one_command_blocks():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    quick = readme.split("## Quick start")[1].split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.*?)```", quick, re.DOTALL)
    assert len(blocks) == 2 and all(len(block.strip().splitlines()) == 1 for block in blocks)
    before = quick.split("```")[0]
    assert "python -m venv .venv && . .venv/bin/activate" in before  # the sentence before the commands
