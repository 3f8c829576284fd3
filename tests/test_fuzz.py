"""Fuzzing the front door: mutated scenarios and world files end in exit 0 or 2, never a traceback or a NaN/inf.

Each case is a valid small scenario (or world folder) with one to three mutations of the kinds users make and
attackers try: a value of the wrong type, zero, negative, huge, NaN or infinite; a key deleted or misspelt; a
mapping where a list is expected; a world file with a column dropped, a non-numeric or empty cell, a duplicate id,
an unknown owner, a row cut short. `validate` then `run` (serial, a few days) must exit 0 or 2; on 0 every numeric
column of every table written must be free of NaN and inf (undefined values are nulls). CI runs a few dozen cases;
`FUZZ_EXAMPLES=600 python -m pytest tests/test_fuzz.py` runs a longer campaign.
"""

from __future__ import annotations

import copy
import math
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli import main
from simulator.scenario import load_scenario
from simulator.schema.limits import preflight
from tests.conftest import small_scenario

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
MAX_RUN_SECONDS = 3.0  # a mutation that asks for a bigger run is validated, not run (the pre-flight says how big)
BASE = small_scenario(**{"calendar.days_per_quarter": 6}).model_dump(mode="json", exclude={"source"})
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

VALUES = st.one_of(
    st.sampled_from([0, -1, 1, 2, 10**9, 10**30, 0.0, -0.5, 1e-300, 1e300, math.nan, math.inf, -math.inf, True,
                     False, None, "", "x", "..", "~/nowhere", [], {}, [1, 2], {"a": 1}, "1e3", "=cmd()"]),
    st.integers(-10, 10_000), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))


def _paths(data, prefix=()):
    """Every path (tuple of keys/indices) in a nested scenario mapping."""
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _paths(value, (*prefix, index))
    return out


PATHS = _paths(BASE)


def _mutate(data, path, action, value):
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "misspell" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    else:
        parent[last] = value


MUTATIONS = st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "set", "set", "delete", "misspell"]),
                               VALUES), min_size=1, max_size=3)


def _no_nan_or_inf(folder):
    """Every float column of every Parquet table in a run folder: no NaN, no inf (nulls are fine)."""
    for path in folder.glob("*.parquet"):
        table = pq.read_table(path)
        for name, column in zip(table.column_names, table.columns, strict=True):
            if pa.types.is_floating(column.type):
                values = column.drop_null().to_numpy()
                assert not np.isnan(values).any(), (path.name, name, "NaN")
                assert np.isfinite(values).all(), (path.name, name, "inf")


def _exercise(tmp_path, scenario_text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(scenario_text)
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(path)])
    assert checked.exit_code in (0, 2), checked.output
    assert "Traceback" not in checked.output
    if checked.exit_code != 0:
        event("refused by validate (exit 2)")
        return
    scenario = load_scenario(path)
    if preflight(scenario).seconds > MAX_RUN_SECONDS:
        event("valid, too big to run here")
        return
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(path), "--executor", "serial", "--quiet", "--out", str(out)])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    event(f"run: exit {result.exit_code}")
    if result.exit_code == 0:
        for folder in out.glob("*/*"):
            _no_nan_or_inf(folder)


@SETTINGS
@given(mutations=MUTATIONS)
def test_mutated_scenarios_exit_0_or_2_and_write_no_nan(tmp_path_factory, mutations):
    data = copy.deepcopy(BASE)
    for path, action, value in mutations:
        try:
            _mutate(data, path, action, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path's parent
    text = yaml.safe_dump(data, allow_unicode=True)
    _exercise(tmp_path_factory.mktemp("scenario"), text)


ACCOUNTS = ("account_id,lat,lon,potential,segment,owner\n"
            + "".join(f"A{i},{40 + i * 0.05:.2f},{-90 - (i % 7) * 0.07:.2f},{50_000 + 1_000 * i},{'ABC'[i % 3]},"
                      f"R{i % 3}\n" for i in range(30)))
REPS = "rep_id,home_lat,home_lon,tenure_days\nR0,40.1,-90.1,500\nR1,40.8,-90.3,900\nR2,41.2,-90.2,60\n"
CELLS = ["", "x", "nan", "inf", "-1", "0", "1e308", "=1+1", "R9", "A0", "999", "\"", ";"]


@st.composite
def world_files(draw):
    """A valid accounts + reps pair with one to three cell, row or column mutations."""
    files = {"accounts.csv": [line.split(",") for line in ACCOUNTS.strip().split("\n")],
             "reps.csv": [line.split(",") for line in REPS.strip().split("\n")]}
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(files)))
        rows = files[name]
        kind = draw(st.sampled_from(["cell", "cell", "cell", "drop_column", "drop_row", "short_row", "duplicate"]))
        if kind == "cell" and len(rows) > 1:
            row = draw(st.integers(1, len(rows) - 1))
            column = draw(st.integers(0, len(rows[row]) - 1)) if rows[row] else 0
            if rows[row]:
                rows[row][column] = draw(st.sampled_from(CELLS) | st.text(max_size=6).filter(lambda t: "," not in t
                                                                                             and "\n" not in t))
        elif kind == "drop_column" and rows and rows[0]:
            column = draw(st.integers(0, len(rows[0]) - 1))
            for row in rows:
                if column < len(row):
                    del row[column]
        elif kind == "drop_row" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif kind == "short_row" and len(rows) > 1:
            row = draw(st.integers(1, len(rows) - 1))
            rows[row] = rows[row][: max(len(rows[row]) - 2, 0)]
        elif kind == "duplicate" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
    return {name: "\n".join(",".join(row) for row in rows) + "\n" for name, rows in files.items()}


@SETTINGS
@given(files=world_files())
def test_mutated_world_files_exit_0_or_2_and_write_no_nan(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("world")
    for name, text in files.items():
        (folder / name).write_text(text)
    data = copy.deepcopy(BASE)
    data["world"] = {"files": {"accounts": str(folder / "accounts.csv"), "reps": str(folder / "reps.csv")}}
    _exercise(folder, yaml.safe_dump(data))


@pytest.mark.parametrize("mutation", [("calendar", "quarters", 10**9), ("world", "synthetic", "accounts", 10**12)])
def test_sizes_that_cannot_fit_are_refused_before_anything_runs(tmp_path, mutation):
    data = copy.deepcopy(BASE)
    _mutate(data, mutation[:-1], "set", mutation[-1])
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["run", str(path), "--executor", "serial", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
