"""Hostile and degenerate scenario input: every bad input is one clear message and exit 2, never a traceback."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from simulator.catalogue import CATALOGUE
from simulator.experiment.experiment import run_experiment
from simulator.scenario import Scenario, ScenarioError, load_scenario
from simulator.schema.limits import preflight
from tests.conftest import SCENARIOS

SMALL = {"name": "h", "world": {"synthetic": {"seed": 3, "reps": 3, "accounts": 60, "metros": 2,
                                              "region": {"width_km": 100, "height_km": 80}}},
         "calendar": {"quarters": 1, "days_per_quarter": 5}, "policies": ["as_is"],
         "experiment": {"replications": 1}}


def _validate(tmp_path: Path, text: str, name: str = "s.yaml") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _with(tmp_path: Path, **sections) -> tuple[int, str]:
    data = {**SMALL, **sections}
    return _validate(tmp_path, yaml.safe_dump(data, sort_keys=False))


# -- A: sizes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("section", "field"), [
    ({"world": {"synthetic": {"accounts": 10**12}}}, "world.synthetic.accounts"),
    ({"world": {"synthetic": {"reps": 10**9}}}, "world.synthetic.reps"),
    ({"world": {"synthetic": {"units": 10**10}}}, "world.synthetic.units"),
    ({"calendar": {"quarters": 10**7}}, "calendar.quarters"),
    ({"calendar": {"days_per_quarter": 10**7}}, "calendar.days_per_quarter"),
    ({"experiment": {"replications": 10**9}}, "experiment.replications"),
    ({"sweep": {"behaviour.skill_sigma": [0.1] * 40, "behaviour.admin_share": [0.3] * 40}}, "sweep"),
])
def test_sizes_have_documented_maxima(tmp_path, section, field):
    code, out = _with(tmp_path, **section)
    assert code == 2 and field in out


def test_preflight_refuses_what_cannot_fit_and_validate_prints_the_estimate(tmp_path):
    code, out = _with(tmp_path, world={"synthetic": {"accounts": 2_000_000, "reps": 5_000}},
                      calendar={"quarters": 40, "days_per_quarter": 92})
    assert code == 2 and "too big for this machine" in out and "GB" in out
    code, out = _with(tmp_path)
    assert code == 0 and "of memory per run" in out
    assert preflight(Scenario.model_validate(SMALL)).fits


# -- B, I: zero, degenerate and silently accepted values ---------------------------------------------------------
@pytest.mark.parametrize(("section", "field"), [
    ({"world": {"synthetic": {"seed": -1}}}, "world.synthetic.seed"),
    ({"world": {"synthetic": {"reps": True}}}, "world.synthetic.reps"),
    ({"travel": {"speed_kmh": 0}}, "travel.speed_kmh"),
    ({"quota": {"share_of_potential": 1e-300}}, "quota.share_of_potential"),
    ({"behaviour": {"visit_duration_cv": 1e300}}, "behaviour.visit_duration_cv"),
    ({"segments": {"A": {"share": 0.25, "visits_per_quarter": 1, "visit_hours": 1},
                   "B": {"share": 0.25, "visits_per_quarter": 1, "visit_hours": 1}}}, "segments"),
    ({"segments": {"A": {"share": 1, "visits_per_quarter": 1, "visit_hours": 1},
                   "B": {"share": 1, "visits_per_quarter": 1, "visit_hours": 1}}}, "segments"),
    ({"policies": [{"name": "balanced", "params": {"tolerence": 0.1}}]}, "did you mean 'tolerance'"),
    ({"policies": [{"name": "balanced", "params": {"tolerance": math.nan}}]}, "params.tolerance"),
    ({"policies": [{"name": "min_disruption", "params": {"budget": -1}}]}, "params.budget"),
    ({"policies": [{"name": "nearest", "params": {"foo": 1}}]}, "params.foo"),
    ({"policies": [{"name": "balanced", "params": {"measure": "workloadd"}}]}, "unknown measure"),
    ({"policies": [{"name": "balanced", "params": {"targets": {"R999": 1.2}}}]}, "unknown rep 'R999'"),
    ({"events": [{"type": "headcount", "change": 50, "day": 1}]}, "only 3 of the 50 new seats"),
    ({"events": [{"type": "departure", "count": 10, "day": 1}]}, "events.0.count"),
])
def test_degenerate_or_unused_values_are_refused(tmp_path, section, field):
    code, out = _with(tmp_path, **section)
    assert code == 2 and field in out, out


# -- C: a string where a mapping is expected ---------------------------------------------------------------------
@pytest.mark.parametrize("params", [{"targets": "R001"}, {"locked_units": "U1"}, "tolerance"])
def test_string_for_a_mapping_is_a_schema_error(tmp_path, params):
    code, out = _with(tmp_path, policies=[{"name": "balanced", "params": params}])
    assert code == 2 and "policies.0" in out


# -- F: paths ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["..", ".", "..."])
def test_names_of_only_dots_are_refused(tmp_path, name):
    code, out = _with(tmp_path, name=name)
    assert code == 2 and "not a folder name" in out


def test_home_folder_is_expanded_in_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({**SMALL, "output": {"folder": "~/runs"}}))
    assert load_scenario("~/s.yaml").output.folder == tmp_path / "runs"


# -- H: YAML hazards --------------------------------------------------------------------------------------------
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefg", "bcdefgh", strict=True))


@pytest.mark.parametrize(("text", "expected"), [
    (LAUGHS, "aliases are expanded"),
    ("name: " + "[" * 50_000 + "]" * 50_000, "levels deep"),
    ("name: x\nseed: " + "9" * 5_000, "integer of 5000 digits"),
    ("name: a\nname: b\n", "s.yaml:2: duplicate key 'name'"),
    ("a: &a [*a]\n", "recursive alias"),
    ("name: x\n" + "#" * 3_000_000, "bytes"),
])
def test_yaml_hazards_are_refused_with_file_and_line(tmp_path, text, expected):
    code, out = _validate(tmp_path, text)
    assert code == 2 and expected in out, out


# -- J: messages ------------------------------------------------------------------------------------------------
def test_problem_list_is_capped(tmp_path):
    junk = "name: x\nworld: {synthetic: {}}\npolicies: [as_is]\n" + "".join(f"junk{i}: 1\n" for i in range(2_000))
    code, out = _validate(tmp_path, junk)
    assert code == 2 and "... and 1,950 more" in out and len(out.splitlines()) < 60


# -- D, G: world files and road graphs ---------------------------------------------------------------------------
def _files_world(tmp_path: Path, reps: str = "rep_id,home_lat,home_lon\nR1,41,-88\nR2,41.2,-88.2\n",
                 accounts: str | None = None, **extra) -> tuple[int, str]:
    (tmp_path / "reps.csv").write_text(reps)
    (tmp_path / "accounts.csv").write_text(accounts or "account_id,lat,lon,potential,segment,owner\n"
                                           "A1,41,-88,1000,A,R1\nA2,41.1,-88.1,2000,B,R1\nA3,41.2,-88.2,x,C,R2\n")
    data = {"name": "w", "world": {"files": {"accounts": "accounts.csv", "reps": "reps.csv"}},
            "policies": ["as_is"], **extra}
    return _validate(tmp_path, yaml.safe_dump(data))


def test_non_numeric_cell_names_file_line_and_column(tmp_path):
    code, out = _files_world(tmp_path)
    assert code == 2 and "accounts.csv: line 4: potential: got 'x'" in out


def test_a_text_file_is_not_echoed(tmp_path):
    code, out = _files_world(tmp_path, reps="my secret first line\nanother\n")
    assert code == 2 and "secret" not in out and "not a header" in out


GOOD_GRAPH = """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="lat" for="node" attr.name="lat" attr.type="double"/>
<key id="lon" for="node" attr.name="lon" attr.type="double"/>
<key id="len" for="edge" attr.name="length" attr.type="{kind}"/>
<graph edgedefault="undirected">
<node id="a"><data key="lat">41</data><data key="lon">-88</data></node>
{second}
<edge source="a" target="b"><data key="len">{length}</data></edge>
</graph></graphml>"""
SECOND = '<node id="b"><data key="lat">41.2</data><data key="lon">-88.2</data></node>'


@pytest.mark.parametrize(("graph", "expected"), [
    ("", "not a readable GraphML"),
    ("<graphml><graph>", "not a readable GraphML"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><graphml/>', "DOCTYPE or ENTITY"),
    (GOOD_GRAPH.format(kind="double", second=SECOND, length="-5"), "expected a travel_time"),
    (GOOD_GRAPH.format(kind="string", second=SECOND, length="far"), "expected a travel_time"),
    (GOOD_GRAPH.format(kind="double", second="", length="5").replace(
        '<edge source="a" target="b"><data key="len">5</data></edge>', ""), "at least 2"),
    (None, "not a regular file"),
])
def test_bad_road_graphs_name_the_file(tmp_path, graph, expected):
    accounts = "account_id,lat,lon,potential,segment,owner\nA1,41,-88,1000,A,R1\nA2,41.1,-88.1,2000,B,R2\n"
    target = "/dev/zero" if graph is None else str(tmp_path / "roads.graphml")
    if graph is not None:
        Path(target).write_text(graph)
    code, out = _files_world(tmp_path, accounts=accounts, travel={"road_graph": target})
    assert code == 2 and expected in out and ("roads.graphml" in out or "/dev/zero" in out), out


# -- E: degenerate worlds never give NaN or inf in the summary ----------------------------------------------------
def _null_documented(key: str) -> bool:
    return "null" in CATALOGUE[key].definition


def _assert_clean(scenario: Scenario) -> None:
    result = run_experiment(scenario, write=False, executor="serial")
    for key, value in zip(result.summary["metric"], result.summary["value"], strict=True):
        assert not math.isinf(value), f"{scenario.name}: {key} is inf"
        assert not math.isnan(value) or _null_documented(key), f"{scenario.name}: {key} is NaN, not documented"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_have_no_inf_and_only_documented_nulls(path):
    scenario = load_scenario(path)
    quarters = max([1] + [event.quarter or 1 for event in scenario.events])  # events stay inside the horizon
    scenario = scenario.with_overrides(**{"calendar.quarters": quarters, "calendar.days_per_quarter": 5,
                                          "experiment.replications": 1, "experiment.precision": None})
    _assert_clean(scenario)


@pytest.mark.parametrize(("accounts", "reps"), [(1, 1), (2, 1), (2, 5)])
def test_tiny_worlds_have_no_inf_and_only_documented_nulls(accounts, reps):
    data = {**SMALL, "world": {"synthetic": {"seed": 1, "reps": reps, "accounts": accounts}},
            "policies": ["as_is", "nearest", "balanced"]}
    _assert_clean(Scenario.model_validate(data))


def three_account_world(tmp_path, potential: str) -> None:
    """Two reps, three accounts of the same potential, as world files with scenario s.yaml in `tmp_path`."""
    (tmp_path / "reps.csv").write_text("rep_id,home_lat,home_lon\nR1,41,-88\nR2,41.2,-88.2\n")
    (tmp_path / "accounts.csv").write_text(f"account_id,lat,lon,potential,segment,owner\nA1,41,-88,{potential},A,R1\n"
                                           f"A2,41.1,-88.1,{potential},B,R1\nA3,41.2,-88.2,{potential},C,R2\n")
    data = {**SMALL, "world": {"files": {"accounts": "accounts.csv", "reps": "reps.csv"}},
            "policies": ["as_is", "nearest"]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))


@pytest.mark.parametrize("potential", ["0", "1e-300"])
def test_zero_or_tiny_potential_world_has_no_inf(tmp_path, potential):
    three_account_world(tmp_path, potential)
    _assert_clean(load_scenario(tmp_path / "s.yaml"))


def test_scenario_error_lists_every_problem():
    with pytest.raises(ScenarioError):
        load_scenario(Path("/nonexistent/scenario.yaml"))


def test_a_vacancy_never_refilled_has_a_null_hire_day():
    data = {**SMALL, "events": [{"type": "departure", "count": 1, "day": 1, "backfill": False}]}
    events = run_experiment(Scenario.model_validate(data), write=False, executor="serial").events
    vacancies = events[events["event"] == "vacancy"]
    assert len(vacancies) and vacancies["hire_day"].isna().all()
    assert not (events["hire_day"] < 0).any()
