"""The data checks: concentration, reach, unowned and assumed potential, printed by import-crm, validate and run."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulator.scenario import Scenario
from simulator.world import build_world
from simulator.world.checks import DECIDING_VARIANCE_SHARE, data_checks, import_checks
from tests.crm_world import REPS, _haversine_km, write_midwest_export

HOURS_PER_KM = 1.3 / 50.0  # the default travel model: circuity / speed


@pytest.fixture(scope="module")
def midwest(tmp_path_factory):
    """The Midwest export imported by the CLI: (folder, export paths, the command's output)."""
    folder = tmp_path_factory.mktemp("midwest")
    accounts_csv, users_csv = write_midwest_export(folder / "export", seed=25)
    result = CliRunner().invoke(main, ["import-crm", "--accounts", str(accounts_csv), "--users", str(users_csv),
                                       "--out", str(folder / "world")])
    assert result.exit_code == 0, result.output
    return folder, accounts_csv, result.output


def _count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return int(found.group(1).replace(",", ""))


def test_import_crm_warns_that_one_account_can_decide_the_verdict(midwest):
    _, _, output = midwest
    top = float(re.search(r"the top account ([\d.]+)%", output).group(1))
    assert 9.5 <= top <= 11.0  # the export's dominant account holds about 10% of the potential
    warning = next(line for line in output.splitlines() if "one account can decide the verdict" in line)
    assert warning.startswith("warning: ") and "Customer 0000 (001M00000)" in warning
    shares = [float(s) for s in re.findall(r"the top (?:account|\d+) ([\d.]+)%", output)]
    assert len(shares) == 3 and shares == sorted(shares)  # top 1 <= top 5 <= top 10
    assert output.index("lost") < output.index("data checks:") < output.index("written to")  # after the counts


def test_import_crm_counts_far_accounts_as_the_travel_model_does(midwest):
    folder, _, output = midwest
    accounts = pd.read_parquet(folder / "world" / "accounts.parquet")
    homes = {f"005U{k:03d}": (lat, lon) for k, (_, _, lat, lon) in enumerate(REPS)}
    owned = accounts[accounts["owner"].notna()]
    home = np.array([homes[o] for o in owned["owner"]])
    hours = _haversine_km(owned["lat"].to_numpy(), owned["lon"].to_numpy(), home[:, 0], home[:, 1]) * HOURS_PER_KM
    assert _count(r"reach: ([\d,]+) of ([\d,]+) owned accounts", output) == int((hours <= 1.25).sum())
    overnight = _count(r"; ([\d,]+) \([\d.]+% of potential\) further: overnight trips", output)
    assert overnight == int(((hours > 1.25) & (hours <= 6.0)).sum())
    flown = _count(r"; ([\d,]+) \([\d.]+% of potential\) beyond 6 h: fly-in trips", output)
    assert flown == int((hours > 6.0).sum()) >= int((hours > 9.0).sum()) > 0  # the far-owned accounts fly in
    assert "over a working day's drive" not in output  # nothing beyond a day's drive is left uncovered
    far = owned.iloc[int(hours.argmax())]
    rep_name = REPS[int(far["owner"][4:])][0]
    assert f"the farthest is {far['name']} ({far['account_id']}), {hours.max():,.1f} h from {rep_name}" in output


def test_import_crm_assumes_and_counts_empty_potential(midwest):
    folder, accounts_csv, output = midwest
    export = pd.read_csv(accounts_csv, dtype=str, keep_default_na=False)
    empty = set(export.loc[export["AnnualRevenue"] == "", "Id"])
    accounts = pd.read_parquet(folder / "world" / "accounts.parquet")
    assert accounts["potential_assumed"].dtype == bool
    assert set(accounts.loc[accounts["potential_assumed"], "account_id"]) == empty  # imported, not rejected
    assumed = accounts.loc[accounts["potential_assumed"], "potential"]
    known = accounts.loc[~accounts["potential_assumed"], "potential"]
    assert np.allclose(assumed, known.median())  # the export has no segment: the median of all accounts
    line = next(line for line in output.splitlines() if "no potential:" in line)
    assert _count(r"no potential: ([\d,]+) accounts had none", line) == len(empty) > 0
    assert "the export has no segment" in line and "potential_assumed" in line
    assert "potential is AnnualRevenue: the customer's own revenue" in output  # what the column means
    assert _count(r"accounts imported unowned: ([\d,]+)", output) == int(accounts["owner"].isna().sum())


def test_validate_prints_the_checks_after_valid_scenario(midwest):
    folder, _, _ = midwest
    path = folder / "mw.yaml"
    path.write_text("name: mw\nworld:\n  files: {accounts: world/accounts.parquet, reps: world/reps.parquet}\n"
                    "policies: [as_is]\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.index("valid scenario") < result.output.index("data checks: 2,000 accounts")
    warning = "warning: one account can decide the verdict: Customer 0000 (001M00000)"
    assert warning in result.output
    after = result.output.split(warning)[1].splitlines()[1]
    assert after.startswith("  trust only a verdict on many paired replications")  # what to do, on the next line
    assert re.search(r"no potential: [\d,]+ accounts had none; they were given an assumed potential of \$[\d.]+k "
                     r"each, marked in column potential_assumed: Customer", result.output)
    assert re.search(r"unowned: [\d,]+ accounts", result.output)


def _frames(potential, owner=None, lat=None):
    n = len(potential)
    accounts = pd.DataFrame({"account_id": [f"A{i}" for i in range(n)], "name": [f"Acc {i}" for i in range(n)],
                             "lat": lat if lat is not None else np.full(n, 41.0), "lon": np.full(n, -88.0),
                             "potential": np.asarray(potential, float), "potential_assumed": np.zeros(n, bool),
                             "owner": owner if owner is not None else ["R1"] * n})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bob"], "home_lat": [41.0, 45.0],
                         "home_lon": [-88.0, -88.0]})
    return accounts, reps


@pytest.mark.parametrize(("top", "warns"), [(1.0, False), (2.0, False), (3.0, True), (50.0, True)])
def test_the_concentration_rule_is_the_top_accounts_share_of_the_variance(top, warns):
    potential = [top] + [1.0] * 24  # top² / (top² + 24): 4%, 14%, 27%, 99% (the line is at 25%: top = √8)
    checks = import_checks(*_frames(potential), "n/a")
    assert checks.top_variance_share == pytest.approx(top**2 / (top**2 + 24))
    assert checks.top_shares[0] == pytest.approx(top / (top + 24))
    assert (checks.top_variance_share > DECIDING_VARIANCE_SHARE) == warns
    assert any("decide the verdict" in w for w in checks.warnings) == warns


def test_unowned_far_and_zero_potential_accounts_are_counted():
    lat = np.array([41.0, 41.1, 43.0, 41.0, 41.0])  # A2 is 222 km (5.8 h) from Ann; A3 is Bob's, 444 km (11.6 h)
    accounts, reps = _frames([10, 0, 20, 30, 40], owner=["R1", "R1", "R1", "R2", None], lat=lat)
    checks = import_checks(accounts, reps, "n/a")
    assert (checks.day_trip, checks.overnight, checks.fly_in, checks.unowned, checks.zero_potential) == (2, 1, 1, 1, 1)
    assert checks.beyond_workday == 0 and "Acc 3 (A3), 11.6 h from Bob" == checks.farthest  # A3 flies in (> 6 h)
    text = "\n".join(checks.lines())
    assert "unowned: 1 accounts (40.0% of potential)" in text and "as_is gives each" in text
    assert "zero potential: 1 accounts" in text


def test_checks_of_a_built_world_read_its_owners_and_scenario_trips(tmp_path):
    (tmp_path / "reps.csv").write_text("rep_id,home_lat,home_lon\nR1,41,-88\nR2,45,-88\n")
    (tmp_path / "accounts.csv").write_text("account_id,lat,lon,potential,segment,owner,potential_assumed\n"
                                           "A1,41,-88,100,A,R1,false\nA2,41.3,-88,100,B,R1,true\n"
                                           "A3,45,-88,100,C,,false\n")
    scenario = Scenario.model_validate({"name": "c", "policies": ["as_is"], "world": {"files": {
        "accounts": str(tmp_path / "accounts.csv"), "reps": str(tmp_path / "reps.csv")}},
        "behaviour": {"trips": {"enabled": False, "overnight_beyond_hours": 0.5}}})
    checks = data_checks(build_world(scenario), scenario)
    assert (checks.day_trip, checks.overnight, checks.unowned) == (1, 1, 1)  # A2: 33 km = 0.87 h > 0.5 h
    assert checks.assumed == ("A2",)
    assert any("trips are disabled" in w for w in checks.warnings)
    assert "day trips only" in "\n".join(checks.lines())


def test_fly_in_trips_are_counted_when_the_scenario_has_the_threshold():
    from types import SimpleNamespace

    from simulator.world import checks as module

    accounts, reps = _frames([10, 20, 30], owner=["R1", "R1", "R1"], lat=np.array([41.0, 42.0, 45.0]))
    hours = np.array([0.0, 2.9, 11.6])  # one way from Ann's home: at home, 111 km, 444 km
    trips = SimpleNamespace(enabled=True, overnight_beyond_hours=1.25, fly_in_beyond_hours=6.0)
    found = module._checks(module._labels(accounts), accounts["potential"].to_numpy(float), np.zeros(3, np.int64),
                           hours, module._rep_labels(reps), None, "n/a", trips, 9.0)
    assert (found.day_trip, found.overnight, found.fly_in, found.beyond_workday) == (1, 1, 1, 0)
    assert "beyond 6 h: fly-in trips" in "\n".join(found.lines())
    assert not any("working day's drive" in w for w in found.warnings)  # the far account flies in
