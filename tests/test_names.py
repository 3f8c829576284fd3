"""Names everywhere (issue 25): reps by name in events, `at: start|end`, and who absorbed a leaver's accounts."""

from __future__ import annotations

import html
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from simulator.experiment.experiment import run_experiment
from simulator.scenario import Scenario
from simulator.world import build_world
from simulator.world.crm import import_crm
from tests.conftest import small_scenario
from tests.crm_world import write_midwest_export

DAYS_PER_QUARTER = 63


def _departure_scenario(root: Path, rep: str, name: str = "names_departure") -> Path:
    data = {
        "name": name,
        "world": {"files": {"accounts": "world/accounts.parquet", "reps": "world/reps.parquet"}},
        "calendar": {"quarters": 2, "days_per_quarter": DAYS_PER_QUARTER},
        "workforce": {"attrition": {"enabled": False}, "vacancy_policy": "neighbours"},
        "events": [{"type": "departure", "rep": rep, "quarter": 2, "at": "start"}],
        "policies": ["as_is"],
        "experiment": {"replications": 1, "seed": 3},
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def departure(tmp_path_factory):
    """The Midwest export imported, and a run where its busiest rep (by name) leaves at the start of Q2."""
    root = tmp_path_factory.mktemp("names")
    accounts, users = write_midwest_export(root / "export")
    import_crm(accounts, root / "world", users)
    reps = pd.read_parquet(root / "world" / "reps.parquet")
    owners = pd.read_parquet(root / "world" / "accounts.parquet")["owner"]
    assert owners.isna().any() and not (owners == "").any()  # unowned is null, never ""
    busiest = owners.dropna().value_counts().index[0]
    leaver = str(reps.set_index("rep_id").loc[busiest, "name"])
    path = _departure_scenario(root, leaver)
    result = CliRunner().invoke(main, ["run", str(path), "--replications", "1",
                                       "--executor", "serial", "--out", str(root / "runs")])
    assert result.exit_code == 0, result.output
    folder = next((root / "runs" / "names_departure").iterdir())
    return SimpleNamespace(root=root, output=result.output, folder=folder, leaver=leaver, leaver_id=busiest,
                           reps=reps, absorption=pd.read_parquet(folder / "absorption.parquet"),
                           events=pd.read_parquet(folder / "events.parquet"))


def test_a_departure_by_name_at_the_start_of_q2_prints_who_absorbed_the_accounts(departure):
    out = departure.output
    assert "Who absorbed the accounts of reps who left" in out
    table = out[out.index("Who absorbed"):]
    assert departure.leaver in table and "Q2 day 1" in table
    receivers = departure.absorption[departure.absorption["cover"] == "rep"]
    assert len(receivers) >= 1
    names = dict(zip(departure.reps["rep_id"], departure.reps["name"], strict=True))
    for row in receivers.itertuples():
        assert row.rep_name == names[row.rep_id] and row.rep_name in table  # the receiving rep, by name
        assert row.home_city in table  # with the home city of the user file
        assert 0 < row.workload_after_share < 10 and row.workload_after_hours > row.workload_hours > 0
    assert set(departure.absorption["departed_rep_name"]) == {departure.leaver}
    assert set(departure.absorption["departed_rep_id"]) == {departure.leaver_id}  # the CRM Id kept as a column


def test_the_accounts_taken_add_up_to_the_leavers_accounts(departure):
    events, absorbed = departure.events, departure.absorption
    vacancy = events[events["event"] == "vacancy"]
    assert len(vacancy) == 1 and vacancy["rep_name"].iloc[0] == departure.leaver
    covers = events[(events["event"] == "reassignment") & (events["reason"] == "vacancy_cover")
                    & (events["from_rep_id"] == departure.leaver_id)]
    moved = covers["accounts"].sum() + covers["orphaned"].sum()
    assert absorbed["accounts"].sum() == moved == vacancy["accounts"].iloc[0]
    assert absorbed["potential"].sum() == pytest.approx(vacancy["potential"].iloc[0])
    assert absorbed.loc[absorbed["cover"] == "rep", "accounts"].sum() == covers["accounts"].sum()
    # what the leaver held at the start of Q2, from another table of the run folder
    quarters = pd.read_parquet(departure.folder / "rep_quarters.parquet")
    seat = int(vacancy["seat"].iloc[0])
    held = quarters[(quarters["seat"] == seat) & (quarters["quarter"] == 0)]["accounts_owned"].iloc[0]
    assert held == vacancy["accounts"].iloc[0]  # nothing moved before the departure


def test_the_departure_is_on_the_first_day_of_quarter_2(departure):
    events = departure.events
    left = events[events["event"] == "departure"]
    assert left["day"].tolist() == [float(DAYS_PER_QUARTER)]
    assert left["rep_name"].tolist() == [departure.leaver] and left["rep_id"].tolist() == [departure.leaver_id]
    assert departure.absorption["day"].eq(DAYS_PER_QUARTER).all()


def test_reassignment_rows_carry_both_reps_by_id_and_name(departure):
    events = departure.events
    names = dict(zip(departure.reps["rep_id"], departure.reps["name"], strict=True))
    moves = events[events["event"] == "reassignment"]
    assert len(moves) >= 2  # the cover, and the return to the new hire
    for row in moves.itertuples():
        for seat, rep_id, rep_name in ((row.seat, row.rep_id, row.rep_name),
                                       (row.from_seat, row.from_rep_id, row.from_rep_name)):
            if seat < 0:
                assert pd.isna(rep_id) and pd.isna(rep_name)
            elif rep_id in names:
                assert rep_name == names[rep_id]
            else:  # the leaver's successor
                assert rep_id == f"{departure.leaver_id}-H1"
                assert rep_name == f"New hire 1 ({departure.leaver}'s seat)"
    cover = moves[moves["reason"] == "vacancy_cover"]
    assert (cover["from_rep_name"] == departure.leaver).all()
    assert cover["rep_name"].notna().eq(cover["seat"] >= 0).all()  # a receiving rep, or nobody (orphaned)
    table = pq.read_table(departure.folder / "events.parquet")
    for column in ("rep_id", "rep_name", "from_rep_id", "from_rep_name"):  # text, null where there is no rep
        assert str(table.schema.field(column).type) in ("string", "large_string")
        assert "" not in table.column(column).to_pylist() and table.column(column).null_count > 0


def test_every_table_with_a_rep_id_has_the_rep_name(departure):
    checked = 0
    for path in sorted(departure.folder.glob("*.parquet")):
        columns = pq.read_schema(path).names
        for column in [c for c in columns if c.endswith("rep_id")]:
            assert column.replace("rep_id", "rep_name") in columns, (path.name, column)
            checked += 1
    assert checked >= 7
    accounts = pd.read_parquet(departure.folder / "accounts.parquet")
    owned = accounts[accounts["rep_id"].notna()]
    names = dict(zip(departure.reps["rep_id"], departure.reps["name"], strict=True))
    initial = owned[owned["rep_id"].isin(list(names))]
    assert (initial["rep_name"] == initial["rep_id"].map(names)).all()


def test_the_report_shows_who_absorbed(departure):
    page = (departure.folder / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="absorption"'):]
    section = section[:section.index("</section>")]
    for name in departure.absorption["rep_name"].dropna():
        assert html.escape(name) in section
    assert html.escape(departure.leaver) in section


def test_an_unknown_name_is_an_exit_2_error_naming_the_event_and_its_line(departure, tmp_path):
    (tmp_path / "world").symlink_to(departure.root / "world")
    typo = departure.leaver[:-1]
    path = _departure_scenario(tmp_path, typo, name="typo")
    line = path.read_text().splitlines().index("- type: departure") + 1
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "runs")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2, result.output
        assert f"{path}:{line}: events.0.rep: unknown rep '{typo}'" in result.output
        assert f"did you mean '{departure.leaver}'" in result.output
        assert f"{departure.leaver} ({departure.leaver_id})" in result.output  # the known reps, name and Id
    assert not (tmp_path / "runs").exists()


def test_a_name_two_reps_share_is_ambiguous(tmp_path):
    (tmp_path / "reps.csv").write_text("rep_id,name,home_city,home_lat,home_lon\nR1,Sam Lee,Joliet,41,-88\n"
                                       "R2,Sam Lee,,41.2,-88.2\nR3,Ana Ruiz,Aurora,41.1,-88.4\n")
    (tmp_path / "accounts.csv").write_text("account_id,lat,lon,potential,segment,owner\nA1,41,-88,1000,A,R1\n"
                                           "A2,41.2,-88.2,2000,B,R2\nA3,41.1,-88.4,500,C,R3\n")
    data = {"name": "w", "world": {"files": {"accounts": "accounts.csv", "reps": "reps.csv"}}, "policies": ["as_is"],
            "events": [{"type": "departure", "rep": "sam  LEE", "day": 3}]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "events.0.rep: 2 reps are called 'sam  LEE' (R1, R2); name the one who leaves by its rep_id" in result.output
    world = build_world(Scenario.model_validate({**data, "source": path, "world": {"files": {
        "accounts": tmp_path / "accounts.csv", "reps": tmp_path / "reps.csv"}}}))
    assert list(world.rep_names) == ["Sam Lee", "Sam Lee", "Ana Ruiz"]
    assert list(world.rep_cities) == ["Joliet", None, "Aurora"]
    assert world.seats_of_rep("ana ruiz") == [2] and world.seats_of_rep("R2") == [1]


def test_at_start_end_and_a_drawn_day():
    def departure_day(**timing):
        scenario = small_scenario(**{"calendar.quarters": 2, "policies": ["as_is", "nearest"], "events": [
            {"type": "departure", "rep": timing.pop("rep", "Rep 1"), **timing}]})
        events = run_experiment(scenario, write=False).events
        days = events.loc[events["event"] == "departure"].groupby("policy")["day"].first()
        assert days.nunique() == 1  # the same day in every arm
        return int(days.iloc[0]), events

    days = small_scenario().calendar.days_per_quarter
    assert departure_day(quarter=2, at="start")[0] == days
    assert departure_day(quarter=1, at="end")[0] == days - 1
    drawn, _ = departure_day(quarter=2)
    assert days <= drawn < 2 * days
    by_name, by_id = departure_day(day=5)[1], departure_day(day=5, rep="R001")[1]
    pd.testing.assert_frame_equal(by_name, by_id)
    with pytest.raises(ValueError, match="'at' goes with 'quarter'"):
        small_scenario(**{"events": [{"type": "departure", "rep": "R001", "day": 3, "at": "start"}]})
    with pytest.raises(ValueError, match="Input should be 'start' or 'end'"):
        small_scenario(**{"events": [{"type": "departure", "rep": "R001", "quarter": 1, "at": "middle"}]})


def test_generated_worlds_have_readable_names_and_geography_a_home_county():
    synthetic = build_world(small_scenario())
    assert list(synthetic.rep_names) == [f"Rep {i}" for i in range(synthetic.n_reps)]
    assert all(city is None for city in synthetic.rep_cities)  # a synthetic region is not a real place
    geography = build_world(Scenario.model_validate({"name": "geo", "policies": ["as_is"], "world": {"geography": {
        "layer": "us_counties", "states": ["IL"], "reps": 3, "accounts": 300, "seed": 2}}}))
    assert list(geography.rep_names) == ["Rep 0", "Rep 1", "Rep 2"]
    assert all(city.endswith(" County, IL") for city in geography.rep_cities)


def test_the_align_export_names_the_reps(tmp_path):
    out = tmp_path / "plan.csv"
    result = CliRunner().invoke(main, ["align", str(Path(__file__).parent.parent / "scenarios" / "quickstart.yaml"),
                                       "--policy", "nearest", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["kind", "id", "rep_id", "rep_name"]
    assert (rows["rep_name"] == "Rep " + rows["rep_id"].str[1:].astype(int).astype(str)).all()
