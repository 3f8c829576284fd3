import re

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulator.crm import CrmError, import_crm
from simulator.scenario import Scenario
from simulator.world import build_world

ACCOUNTS = (
    'Id,Name,BillingLatitude,BillingLongitude,BillingPostalCode,BillingState,AnnualRevenue,OwnerId\n'
    '001A,"Acme, Inc.",41.88,-87.63,60601,IL,120000,U1\n'
    '001B,Béta,,,60614,IL,"50,000",U2\n'          # no coordinates: placed at its ZIP
    '001C,Gamma,,,99999,IL,1000,U1\n'             # unknown ZIP, no coordinates: rejected
    '001A,Dup,41.8,-87.6,,IL,100,U1\n'            # duplicate Id: rejected
    '001D,Delta,41.9,-87.7,,IL,-5,U1\n'           # negative revenue: rejected
    '001E,Eps,41.9,-87.7,,IL,abc,U1\n'            # non-numeric revenue: rejected
    '001F,Phi,41.95,-87.65,,IL,7000,U9\n'         # unknown owner: imported unowned
    '\n'
    '001G,Gee,41.95,-87.65,,IL,,U1\n'             # missing revenue: rejected
)
USERS = "Id;Name;Latitude;Longitude;PostalCode\nU1;Ann;41.9;-87.6;\nU2;Bob;;;60614\nU3;Cy;;;\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_every_row_is_imported_or_rejected_with_its_line(tmp_path, encoding):
    (tmp_path / "acc.csv").write_bytes(ACCOUNTS.encode(encoding))
    (tmp_path / "users.csv").write_bytes(USERS.encode(encoding))
    report = import_crm(tmp_path / "acc.csv", tmp_path / "out", tmp_path / "users.csv")
    assert report.read == {"users": 3, "accounts": 8}
    assert report.imported == {"users": 2, "accounts": 3}
    for kind in report.read:
        rejected = sum(n for (k, _), n in report.rejected.items() if k == kind)
        assert report.read[kind] == report.imported[kind] + rejected  # nothing lost
    rejects = pd.read_csv(tmp_path / "out" / "rejects.csv", dtype={"line": int})
    by_line = dict(zip(rejects.loc[rejects.file.str.endswith("acc.csv"), "line"],
                       rejects.loc[rejects.file.str.endswith("acc.csv"), "reason"], strict=True))
    assert by_line == {4: "no usable location (coordinates or known ZIP code)", 5: "duplicate Id",
                       6: "negative AnnualRevenue", 7: "non-numeric AnnualRevenue", 10: "missing AnnualRevenue"}
    accounts = pd.read_parquet(tmp_path / "out" / "accounts.parquet")
    assert list(accounts["account_id"]) == ["001A", "001B", "001F"]
    assert accounts.set_index("account_id").loc["001B", "potential"] == 50_000
    assert accounts.set_index("account_id").loc["001B", "name"] == "Béta"
    assert abs(accounts.set_index("account_id").loc["001B", "lat"] - 41.92) < 0.05  # ZIP 60614, Chicago
    assert accounts.set_index("account_id").loc["001F", "owner"] == ""
    assert report.unowned == 1 and report.unknown_owner == 1 and report.geocoded == 1
    reps = pd.read_parquet(tmp_path / "out" / "reps.parquet")
    assert list(reps["rep_id"]) == ["U1", "U2"]


def test_map_semicolons_and_decimal_commas(tmp_path):
    (tmp_path / "hub.csv").write_text("AcctNo;Lat;Lng;Rev;Rep\nH1;41,88;-87,63;1.234,50;R1\nH2;40,0;-88,0;99;R1\n",
                                      encoding="utf-8")
    report = import_crm(tmp_path / "hub.csv", tmp_path / "out",
                        maps=["id=AcctNo", "lat=Lat", "lon=Lng", "potential=Rev", "owner=Rep"])
    accounts = pd.read_parquet(tmp_path / "out" / "accounts.parquet")
    assert report.imported["accounts"] == 2
    assert accounts["potential"].tolist() == [1234.5, 99.0]
    assert accounts["lat"].tolist() == [41.88, 40.0]
    assert list(pd.read_parquet(tmp_path / "out" / "reps.parquet")["rep_id"]) == ["R1"]


def test_bad_map_and_missing_column_are_clear(tmp_path):
    (tmp_path / "a.csv").write_text("Foo,Bar\n1,2\n")
    with pytest.raises(CrmError, match="no column 'Id' for id"):
        import_crm(tmp_path / "a.csv", tmp_path / "out")
    with pytest.raises(CrmError, match="unknown field 'revenue'"):
        import_crm(tmp_path / "a.csv", tmp_path / "out", maps=["revenue=Bar"])


def test_imported_folder_is_a_world_and_alignments_export_back(tmp_path):
    (tmp_path / "acc.csv").write_text(ACCOUNTS, encoding="utf-8")
    (tmp_path / "users.csv").write_text(USERS, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["import-crm", "--accounts", str(tmp_path / "acc.csv"), "--users",
                                  str(tmp_path / "users.csv"), "--out", str(tmp_path / "world")])
    assert result.exit_code == 0, result.output
    assert re.search(r"accounts\s+8\s+3\s+5\s+0\n", result.output), result.output
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: crm\nworld:\n  files: {accounts: world/accounts.parquet, reps: world/reps.parquet}\n"
                        "calendar: {quarters: 1}\npolicies: [as_is, nearest]\nexperiment: {replications: 1}\n")
    world = build_world(Scenario.model_validate({"name": "x", "policies": ["as_is"], "world": {"files": {
        "accounts": str(tmp_path / "world" / "accounts.parquet"), "reps": str(tmp_path / "world" / "reps.parquet")}}}))
    assert world.n_accounts == 3 and world.n_reps == 2
    result = runner.invoke(main, ["run", str(scenario), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs" / "crm").iterdir())
    result = runner.invoke(main, ["export-crm", str(run), "--policy", "as_is", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    owners = pd.read_csv(tmp_path / "o.csv", keep_default_na=False)
    assert list(owners.columns) == ["Id", "OwnerId", "PreviousOwnerId", "Changed"]
    assert owners.set_index("Id").loc["001A", "OwnerId"] == "U1"
    assert owners.set_index("Id").loc["001F", "PreviousOwnerId"] == ""
    result = runner.invoke(main, ["export-crm", str(run), "--policy", "nope", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "no policy 'nope'" in result.output
