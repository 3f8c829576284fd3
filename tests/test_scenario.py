import json

import pytest
from click.testing import CliRunner

from cli import main
from simulator.scenario import ScenarioError, load_scenario
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_validates(path):
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid scenario" in result.output


def test_misspelt_key_exits_2_naming_key_line_and_hint(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\nworld:\n  synthetic:\n    acounts: 100\npolicies: [as_is]\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: world.synthetic.acounts: unknown key; did you mean 'accounts'?" in result.output
    assert "Traceback" not in result.output


def test_every_problem_is_listed(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("name: many\nworld:\n  synthetic:\n    reps: 0\ncalendar:\n  quaters: 2\n"
                    "policies: [as_is, neares]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = "\n".join(info.value.problems)
    assert "world.synthetic.reps" in text and "greater than or equal to 1" in text
    assert "did you mean 'quarters'" in text
    assert "unknown policy 'neares'; did you mean 'nearest'" in text
    assert len(info.value.problems) == 3


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nworld:\n  synthetic: {reps: 3\npolicies: [as_is]\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "YAML syntax error at line" in result.output and "column" in result.output


def test_missing_world_source_is_reported(tmp_path):
    path = tmp_path / "noworld.yaml"
    path.write_text("name: x\nworld: {}\npolicies: [as_is]\n")
    with pytest.raises(ScenarioError, match="exactly one of 'synthetic', 'geography' or 'files'"):
        load_scenario(path)


def test_schema_is_json_schema_of_the_format():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"name", "world", "policies", "calendar", "behaviour"} <= set(schema["properties"])
    assert "source" not in schema["properties"]


def test_overrides_are_revalidated(small):
    assert small.with_overrides(**{"calendar.quarters": 2}).calendar.quarters == 2
    with pytest.raises(ValueError):
        small.with_overrides(**{"calendar.quarters": 0})


def test_error_inside_a_named_segment_points_at_it(tmp_path):
    path = tmp_path / "seg.yaml"
    path.write_text("name: s\nworld: {synthetic: {}}\nsegments:\n  A: {share: 1, visits_per_quarter: -2, "
                    "visit_hours: 1}\npolicies: [as_is]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [f"{path}:4: segments.A.visits_per_quarter: Input should be greater than 0"]


def test_negative_pacing_is_refused(tmp_path):
    path = tmp_path / "pace.yaml"
    path.write_text("name: p\nworld: {synthetic: {}}\npacing: {effort: [-1, 1, 1], effectiveness: [1, 1, 1]}\n"
                    "policies: [as_is]\n")
    with pytest.raises(ScenarioError, match=r"pacing\.effort\.0: Input should be greater than or equal to 0"):
        load_scenario(path)


def test_scenario_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: t\n\xff\xfe: 1\n")
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load_scenario(path)


def test_error_inside_an_event_names_the_event_field_and_line(tmp_path):
    path = tmp_path / "event.yaml"
    path.write_text("name: e\nworld: {synthetic: {}}\npolicies: [as_is]\nevents:\n  - type: departure\n"
                    "    day: 3\n    cout: 2\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == [f"{path}:7: events.0.cout: unknown key; did you mean 'count'?"]
