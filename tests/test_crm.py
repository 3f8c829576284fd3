import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulator.scenario import Scenario
from simulator.world import build_world
from simulator.world.crm import CrmError, import_crm

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
    '001G,Gee,41.95,-87.65,,IL,,U1\n'             # missing revenue: rejected with --default-potential reject
)
USERS = "Id;Name;Latitude;Longitude;PostalCode\nU1;Ann;41.9;-87.6;\nU2;Bob;;;60614\nU3;Cy;;;\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_every_row_is_imported_or_rejected_with_its_line(tmp_path, encoding):
    (tmp_path / "acc.csv").write_bytes(ACCOUNTS.encode(encoding))
    (tmp_path / "users.csv").write_bytes(USERS.encode(encoding))
    report = import_crm(tmp_path / "acc.csv", tmp_path / "out", tmp_path / "users.csv", default_potential="reject")
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
    assert pd.isna(accounts.set_index("account_id").loc["001F", "owner"])  # null, not "": unowned
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
    assert re.search(r"accounts\s+8\s+4\s+4\s+0\n", result.output), result.output  # 001G: assumed potential
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: crm\nworld:\n  files: {accounts: world/accounts.parquet, reps: world/reps.parquet}\n"
                        "calendar: {quarters: 1}\npolicies: [as_is, nearest]\nexperiment: {replications: 1}\n")
    world = build_world(Scenario.model_validate({"name": "x", "policies": ["as_is"], "world": {"files": {
        "accounts": str(tmp_path / "world" / "accounts.parquet"), "reps": str(tmp_path / "world" / "reps.parquet")}}}))
    assert world.n_accounts == 4 and world.n_reps == 2
    assert world.accounts.set_index("account_id").loc["001F", "owner"] == -1  # a null owner is unowned
    result = runner.invoke(main, ["run", str(scenario), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs" / "crm").iterdir())
    result = runner.invoke(main, ["export-crm", str(run), "--policy", "as_is", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    owners = pd.read_csv(tmp_path / "o.csv", keep_default_na=False)
    assert list(owners.columns) == ["Id", "OwnerId", "PreviousOwnerId", "Changed", "OwnerName", "PreviousOwnerName"]
    assert owners.set_index("Id").loc["001A", "OwnerName"] == "Ann"  # from the world's reps file
    assert owners.set_index("Id").loc["001A", "OwnerId"] == "U1"
    assert owners.set_index("Id").loc["001F", "PreviousOwnerId"] == ""
    result = runner.invoke(main, ["export-crm", str(run), "--policy", "nope", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "no policy 'nope'" in result.output


HEADER = "Id,Name,BillingLatitude,BillingLongitude,BillingPostalCode,BillingState,AnnualRevenue,OwnerId\n"
GOOD = "001B,Ok,41.8,-87.6,,IL,100,U1\n"


def _import(tmp_path, content: bytes, name="acc.csv", *options: str):
    (tmp_path / name).write_bytes(content)
    result = CliRunner().invoke(main, ["import-crm", "--accounts", str(tmp_path / name), "--out",
                                       str(tmp_path / "out"), *options])
    assert "Traceback" not in result.output
    return result


def _rejects(tmp_path) -> pd.DataFrame:
    return pd.read_csv(tmp_path / "out" / "rejects.csv", dtype={"line": int}, keep_default_na=False)


def test_a_field_over_the_limit_rejects_its_row_and_large_fields_import(tmp_path):
    limit = 1_048_576
    body = (HEADER + f'001A,"{"x" * (limit + 1)}",41.8,-87.6,,IL,100,U1\n' + GOOD
            + f'001C,"{"y" * 200_000}",41.8,-87.6,,IL,100,U1\n')  # over csv's 131,072 default, under ours
    result = _import(tmp_path, body.encode())
    assert result.exit_code == 0, result.output
    assert list(pd.read_parquet(tmp_path / "out" / "accounts.parquet")["account_id"]) == ["001B", "001C"]
    rejects = _rejects(tmp_path)
    assert rejects["line"].tolist() == [2]
    assert rejects["reason"].tolist() == ["field longer than 1,048,576 characters in column 'Name'"]
    assert len(rejects["row"][0]) < 2_000  # the huge cell is cut in rejects.csv
    assert csv.field_size_limit() == 131_072  # restored


@pytest.mark.parametrize("kind", ["folder", "binary", "xlsx", "unreadable", "prose"])
def test_a_file_that_is_not_a_table_is_exit_2_naming_it_without_echoing_it(tmp_path, kind, monkeypatch):
    path = tmp_path / "acc.csv"
    if kind == "folder":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00SECRET" + bytes(range(256)))
    elif kind == "xlsx":
        path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00SECRET[Content_Types].xml")
    elif kind == "unreadable":  # as if mode 000 (a chmod would not stop root, who may run the tests)
        path.write_text(HEADER + "SECRET\n")
        monkeypatch.setattr(Path, "read_bytes", lambda self: (_ for _ in ()).throw(PermissionError(13, "Permission "
                                                                                                       "denied")))
    else:
        path.write_text("Dear team, SECRET plans follow\nline two\nline three\n")
    result = CliRunner().invoke(main, ["import-crm", "--accounts", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and "Traceback" not in result.output and "SECRET" not in result.output
    expected = {"folder": "is a folder", "binary": "binary content", "xlsx": "Excel workbook",
                "unreadable": "cannot be read", "prose": "is this a CSV export?"}[kind]
    assert expected in result.output


def test_utf8_with_bom_and_one_bad_byte_rejects_that_row_not_the_file(tmp_path):
    body = (b"\xef\xbb\xbf" + HEADER.encode() + b"001A,B\xe9ta,41.8,-87.6,,IL,100,U1\n"
            + "001B,Café,41.8,-87.6,,IL,100,U1\n".encode())
    result = _import(tmp_path, body)
    assert result.exit_code == 0, result.output
    accounts = pd.read_parquet(tmp_path / "out" / "accounts.parquet")
    assert accounts["name"].tolist() == ["Café"]  # decoded as UTF-8, not Windows-1252 ('CafÃ©')
    rejects = _rejects(tmp_path)
    assert rejects["line"].tolist() == [2]
    assert rejects["reason"][0] == "byte 0xE9 in column 'Name' is not valid UTF-8 (the rest of the file is UTF-8)"
    assert rejects["row"][0] == "001A,B\\xe9ta,41.8,-87.6,,IL,100,U1"
    bad_header = b"\xef\xbb\xbf" + HEADER.replace("Name", "N\xe9me").encode("latin-1") + GOOD.encode()
    result = _import(tmp_path, bad_header)
    assert result.exit_code == 2
    assert "line 1 (the header), column 2: byte 0xE9 is not valid UTF-8" in result.output
    assert "no column" not in result.output


@pytest.mark.parametrize("delimiter", ["\t", "|", ";", ","])
def test_tab_pipe_semicolon_and_comma_exports_are_read(tmp_path, delimiter):
    rows = ["001A,NAME,41.8,-87.6,,IL,100,U1", "001B,Ok,41.9,-87.7,,IL,200,U2"]
    body = "".join(line.replace(",", delimiter) + "\n" for line in [HEADER.strip(), *rows])
    body = body.replace("NAME", '"Acme, Inc; A|B\tC"')  # the other delimiters inside a quoted cell
    result = _import(tmp_path, body.encode())
    assert result.exit_code == 0, result.output
    accounts = pd.read_parquet(tmp_path / "out" / "accounts.parquet")
    assert accounts["account_id"].tolist() == ["001A", "001B"]
    assert accounts["potential"].tolist() == [100.0, 200.0]
    assert accounts["name"][0] == "Acme, Inc; A|B\tC"


def test_a_multi_line_record_is_reported_at_the_line_where_it_starts(tmp_path):
    body = HEADER + GOOD + '001A,"first\nsecond\nthird",41.8,-87.6,,IL,-5,U1\n' + "\n" + "001C,C,41.8,-87.6,,IL,,U1\n"
    result = _import(tmp_path, body.encode(), "acc.csv", "--default-potential", "reject")
    assert result.exit_code == 0, result.output
    rejects = _rejects(tmp_path)
    assert dict(zip(rejects["line"], rejects["reason"], strict=True)) == {3: "negative AnnualRevenue",
                                                                         7: "missing AnnualRevenue"}


FORMULA = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _injection_safe(path) -> bool:
    with open(path, encoding="utf-8", newline="") as handle:
        return all(not FORMULA.match(cell) or PLAIN_NUMBER.fullmatch(cell) for row in csv.reader(handle)
                   for cell in row)


def test_rejects_csv_is_injection_safe(tmp_path):
    body = HEADER + '=HYPERLINK("http://x"),@SUM(1),41.8,-87.6,,IL,-5,U1\n' + "+1+2,\tTab,41.8,-87.6,,IL,,U1\n"
    result = _import(tmp_path, body.encode(), "acc.csv", "--default-potential", "reject")
    assert result.exit_code == 0, result.output
    assert _injection_safe(tmp_path / "out" / "rejects.csv")
    rows = _rejects(tmp_path)["row"].tolist()
    assert rows[0] == '"\'=HYPERLINK(""http://x"")",\'@SUM(1),41.8,-87.6,,IL,-5,U1'  # -87.6, -5: numbers
    assert rows[1].startswith("'+1+2,")


def _run_folder(tmp_path, accounts=("001A", "=1+2", "-3"), owners=("U1", "@U2", "U3"), previous=("U1", "+U9", None)):
    run = tmp_path / "run"
    run.mkdir()
    pd.DataFrame({"policy": "nearest", "account_id": list(accounts), "seat": range(len(accounts)),
                  "rep_id": list(owners), "current_rep_id": list(previous)}).to_parquet(run / "assignments.parquet")
    return run


def test_export_crm_is_injection_safe_and_atomic(tmp_path):
    run = _run_folder(tmp_path)
    out = tmp_path / "owners.csv"
    out.write_text("old\n")
    result = CliRunner().invoke(main, ["export-crm", str(run), "--policy", "nearest", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _injection_safe(out)
    owners = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert owners["Id"].tolist() == ["001A", "'=1+2", "-3"]
    assert owners["OwnerId"].tolist() == ["U1", "'@U2", "U3"]
    assert owners["PreviousOwnerId"].tolist() == ["U1", "'+U9", ""]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("problem", ["truncated", "not_parquet", "no_columns", "out_folder"])
def test_export_crm_on_a_bad_run_folder_or_out_is_exit_2(tmp_path, problem):
    run = _run_folder(tmp_path)
    parquet, out = run / "assignments.parquet", tmp_path / "owners.csv"
    if problem == "truncated":
        parquet.write_bytes(parquet.read_bytes()[:200])
    elif problem == "not_parquet":
        parquet.write_text("Id,OwnerId\n1,2\n")
    elif problem == "no_columns":
        pd.DataFrame({"x": [1]}).to_parquet(parquet)
    else:
        out.mkdir()
    result = CliRunner().invoke(main, ["export-crm", str(run), "--policy", "nearest", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    named = str(out) if problem == "out_folder" else str(parquet)
    assert named in result.output
    assert ("is a folder" if problem == "out_folder" else "not a readable assignments table") in result.output


def test_import_crm_out_an_existing_file_is_exit_2(tmp_path):
    (tmp_path / "out").write_text("x")
    result = _import(tmp_path, (HEADER + GOOD).encode())
    assert result.exit_code == 2 and "exists and is not a folder" in result.output


def test_export_crm_names_owners_from_the_assignments_rep_name_column(tmp_path):
    run = _run_folder(tmp_path, accounts=("001A", "001B", "001C"), owners=("U1", "U2", "U2"),
                      previous=("U1", "U1", None))
    table = pd.read_parquet(run / "assignments.parquet")
    table["rep_name"] = table["rep_id"].map({"U1": "Ann", "U2": "Bob"})
    table.to_parquet(run / "assignments.parquet")  # no manifest: the names come from the run folder only
    out = tmp_path / "moves.csv"
    result = CliRunner().invoke(main, ["export-crm", str(run), "--policy", "nearest", "--out", str(out),
                                       "--changed-only"])
    assert result.exit_code == 0, result.output
    moves = pd.read_csv(out, keep_default_na=False).set_index("Id")
    assert list(moves.index) == ["001B", "001C"]  # 001C was unowned: it changes owner too
    assert moves.loc["001B", ["OwnerName", "PreviousOwnerName"]].tolist() == ["Bob", "Ann"]
    assert moves.loc["001C", ["OwnerName", "PreviousOwnerName"]].tolist() == ["Bob", ""]
    assert "left out 1 accounts whose owner stays (001A)" in result.output
    assert pd.read_csv(tmp_path / "moves.unchanged.csv")["Id"].tolist() == ["001A"]
