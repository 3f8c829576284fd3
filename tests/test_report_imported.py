"""The report for an imported world (issue 25, point 7): state outlines under the dots, names, the cap, colours.

One short run of the messy Midwest export (tests/crm_world.py), imported by `import_crm`: as_is and balanced, one
quarter, one replication, serial; a second run lists its policies in another order and adds a labelled one.
"""

import base64
import colorsys
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulator.experiment.experiment import run_experiment
from simulator.report import build_report, charts
from simulator.scenario import load_scenario
from simulator.world.crm import import_crm
from tests.crm_world import REPS, STATES, write_midwest_export
from tests.test_report import CHROMIUM, NO_NETWORK

MIDWEST = {"lon": (-96.7, -82.1), "lat": (36.9, 48.4)}  # the five states' outlines span this box


def _run(root: Path, name: str, policies: list) -> Path:
    scenario = {"name": name, "world": {"files": {"accounts": "world/accounts.parquet",
                                                  "reps": "world/reps.parquet"}},
                "policies": policies, "calendar": {"quarters": 1},
                "experiment": {"replications": 1, "baseline": "as_is"}}
    (root / f"{name}.yaml").write_text(yaml.safe_dump(scenario))
    folder = run_experiment(load_scenario(root / f"{name}.yaml"), out=root / "runs", executor="serial").folder
    _with_rep_names(folder, root / "world" / "reps.parquet")
    return folder


def _with_rep_names(folder: Path, reps_path: Path) -> None:
    """Until the run folder carries `rep_name` (issue 25, point 4, another branch), add it as that change writes it."""
    table = pd.read_parquet(folder / "territories.parquet")
    if "rep_name" not in table:
        names = pd.read_parquet(reps_path).set_index("rep_id")["name"]
        table.assign(rep_name=table["rep_id"].map(names)).to_parquet(folder / "territories.parquet")
        build_report(folder)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("imported")
    accounts, users = write_midwest_export(root / "export")
    import_crm(accounts, root / "world", users)
    first = _run(root, "midwest", ["as_is", "balanced"])
    second = _run(root, "midwest_reordered", ["balanced", {"name": "nearest", "label": "closest home"}, "as_is"])
    return first, second


def _map_data(page: str) -> dict:
    return json.loads(re.search(r"<script type='application/json' id='map-data'>(.*?)</script>", page, re.S)
                      .group(1))


def _figures(page: str) -> list[tuple[list, dict]]:
    """Every plotly figure written into the page: (traces, layout)."""
    decoder, found = json.JSONDecoder(), []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page):
        traces, end = decoder.raw_decode(page, match.end())
        layout, _ = decoder.raw_decode(page, page.index("{", end))
        found.append((traces, layout))
    return found


def _values(array) -> list:
    """A trace's array as plotly wrote it: a list, or {"dtype", "bdata"} (base64 of the numbers)."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def _section(page: str, key: str) -> str:
    return re.search(rf'<section id="{key}">.*?</section>', page, re.S).group(0)


def test_the_map_outlines_the_five_states_and_keeps_to_them(runs):
    data = _map_data((runs[0] / "report.html").read_text())
    outlines = data["outlines"]
    assert sorted(outlines["states"]) == sorted(STATES)  # no neighbour state from a ZIP on a border river
    xs = [x for x in outlines["x"] if x is not None]
    ys = [y for y in outlines["y"] if y is not None]
    assert len(xs) > 200 and outlines["x"].count(None) >= len(STATES) - 1  # one ring per state at least
    extent = outlines["extent"]
    west, east = extent["lon"]
    south, north = extent["lat"]
    assert west <= min(xs) and east >= max(xs) and south <= min(ys) and north >= max(ys)
    assert west <= min(data["units"]["lon"]) and east >= max(data["units"]["lon"])
    assert MIDWEST["lon"][0] - 1.5 < west < MIDWEST["lon"][0] and MIDWEST["lon"][1] < east < MIDWEST["lon"][1] + 1.5
    assert MIDWEST["lat"][0] - 1.5 < south < MIDWEST["lat"][0] and MIDWEST["lat"][1] < north < MIDWEST["lat"][1] + 1.5
    assert all(label.startswith("ZIP ") for label in data["units"]["id"])  # units read as places


def test_the_territory_table_names_reps_and_keeps_the_crm_id(runs):
    data = _map_data((runs[0] / "report.html").read_text())
    assert data["id_label"] == "CRM Id"
    names = {name for name, *_ in REPS}
    ids = set(pd.read_parquet(runs[0].parent.parent.parent / "world" / "reps.parquet")["rep_id"])
    for policy in ("as_is", "balanced"):
        text = data["plans"][policy]["text"].values()
        assert {t["rep"] for t in text} == names  # the user file's names, every seat
        assert {t["rep_id"] for t in text} == ids  # and the Id, in its own column
        assert all(not re.match(r"^-?\d", t["home"]) for t in text)  # a place, not coordinates
    chicago = [t for t in data["plans"]["as_is"]["text"].values() if t["rep"] == "Ann Novak"][0]
    assert "Chicago" in chicago["home"] or "Cook County, IL" in chicago["home"]


def test_an_old_run_folder_without_names_labels_reps_readably(runs, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(runs[0], folder)
    table = pd.read_parquet(folder / "territories.parquet")
    table.drop(columns=[c for c in ("rep_name", "home_city") if c in table]).to_parquet(
        folder / "territories.parquet")
    data = _map_data(build_report(folder).read_text())
    for row in data["plans"]["as_is"]["text"].values():
        assert re.fullmatch(r"rep in seat \d+", row["rep"]) and row["rep_id"].startswith("005U")
        assert row["home"].startswith("near ") and row["home"].endswith(tuple(STATES))


def test_the_coverage_chart_carries_the_per_account_cap(runs, tmp_path):
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    cap = manifest["resolved_scenario"]["behaviour"]["max_visits_over_required"]
    quarters = manifest["resolved_scenario"]["calendar"]["quarters"]
    ((traces, layout),) = _figures(_section((runs[0] / "report.html").read_text(), "coverage"))
    edges = sorted({1.0, 1.5, 2.0, 3.0, 5.0, float(cap)})
    line = [s for s in layout["shapes"] if s.get("xref") == "x2"]
    assert len(line) == 1 and line[0]["x0"] == line[0]["x1"] == edges.index(float(cap)) + 0.5
    label = [a["text"] for a in layout["annotations"] if a["text"].startswith("cap: ")]
    assert label and f"cap: {cap:g}x the required visits a quarter" in label[0]
    accounts = pd.read_parquet(runs[0] / "accounts.parquet")
    for policy in ("as_is", "balanced"):
        mine = accounts[(accounts["policy"] == policy) & (accounts["required_visits"] > 0)]
        allowed = quarters * np.ceil(cap * mine["required_visits"] / quarters - 1e-9)
        beyond = int((mine["visits"] > allowed).sum())
        assert beyond == 0  # the engine keeps the cap
        assert f"{policy} {beyond:,}" in label[0]
        bars = [t for t in traces if t["type"] == "bar" and t.get("name") == policy][0]
        assert sum(_values(bars["y"])) == pytest.approx(len(mine))  # every account with a requirement is a bar
    folder = tmp_path / "uncapped"  # an older run folder, without the setting: the chart says so
    shutil.copytree(runs[0], folder)
    del manifest["resolved_scenario"]["behaviour"]["max_visits_over_required"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    build_report(folder)
    ((_, layout),) = _figures(_section((folder / "report.html").read_text(), "coverage"))
    assert any("sets no per-account cap" in a["text"] for a in layout["annotations"])


def _colours_by_policy(page: str) -> dict[str, set[str]]:
    colours: dict[str, set[str]] = {}
    for traces, _ in _figures(page):
        for trace in traces:
            name = trace.get("name") or (trace.get("x") or [None])[0]
            colour = (trace.get("marker") or {}).get("color") or (trace.get("line") or {}).get("color")
            if isinstance(colour, list):  # one bar per policy
                for x, c in zip(trace["x"], colour, strict=True):
                    colours.setdefault(x, set()).add(c)
            elif name and colour:
                colours.setdefault(re.sub(r" (quits|hires)$", "", name), set()).add(colour)
    return colours


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def test_policy_colours_are_stable_across_reports_and_not_the_verdict_colours(runs):
    pages = [(folder / "report.html").read_text() for folder in runs]
    first, second = (_colours_by_policy(page) for page in pages)
    assert set(first) == {"as_is", "balanced"} and set(second) == {"as_is", "balanced", "closest home"}
    assert all(len(colours) == 1 for colours in [*first.values(), *second.values()])  # one per policy per report
    assert all(first[p] == second[p] for p in first)  # the same in both, whatever the order
    assert second["closest home"] == {charts.policy_colour("closest home")}
    verdict = {re.search(rf"td\.{kind} {{ color: (#[0-9a-f]{{6}})", pages[0]).group(1)
               for kind in ("better", "worse", "unclear")}
    assert verdict == {charts.BETTER_COLOUR, charts.WORSE_COLOUR, charts.UNCLEAR_COLOUR}
    green, red = (_hue(charts.BETTER_COLOUR), _hue(charts.WORSE_COLOUR))
    for colour in [*charts.REGISTERED_COLOURS.values(), *charts.OTHER_COLOURS]:  # every colour a policy can get
        hue, saturation = _hue(colour), colorsys.rgb_to_hsv(*_rgb(colour))[1]
        assert colour not in verdict and saturation > 0.3, colour  # a colour, not the grey of "no clear difference"
        assert _apart(hue, green) > 40 and _apart(hue, red) > 20, colour  # no green, no red


def _hue(colour: str) -> float:
    return 360 * colorsys.rgb_to_hsv(*_rgb(colour))[0]


def _apart(a: float, b: float) -> float:
    return min(abs(a - b), 360 - abs(a - b))


def test_a_policy_colour_is_a_function_of_its_label_in_any_process():
    labels = ["balanced, tight", "optimise (10 steps)", "my plan", "closest home"]
    script = f"from simulator.report.charts import policy_colour; print([policy_colour(x) for x in {labels!r}])"
    root = str(Path(__file__).resolve().parents[1])
    seen = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": root}).stdout
            for seed in ("1", "2")}  # str hashes differ between these two processes; the colours must not
    assert len(seen) == 1 and seen.pop().strip() == str([charts.policy_colour(x) for x in labels])


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_the_browser_draws_outlines_beneath_the_dots_and_names_in_the_table(runs, tmp_path):
    url = (runs[0] / "report.html").resolve().as_uri()
    dom = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                          "--disable-background-networking", "--disable-component-update", "--no-first-run",
                          f"--user-data-dir={tmp_path}", *NO_NETWORK, "--virtual-time-budget=20000", "--dump-dom",
                          f"{url}#policy=balanced"], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    traces = re.search(r'data-traces="([^"]*)"', dom.stdout).group(1).split(",")
    assert traces[0] == "state outlines" and traces.index("state outlines") < traces.index("units")
    (west, east), (south, north) = json.loads(re.search(r'data-extent="([^"]*)"', dom.stdout).group(1)
                                              .replace("&quot;", '"'))
    # the plot keeps degrees of latitude 1.25 times longer than of longitude, so a wide plot area shows more
    # longitude than the states span; the contiguous US would span 58 degrees
    assert west <= MIDWEST["lon"][0] and east >= MIDWEST["lon"][1] and east - west < 30
    assert south <= MIDWEST["lat"][0] and north >= MIDWEST["lat"][1] and north - south < 20
    table = dom.stdout.split('id="territory-table"', 1)[1].split("</table>", 1)[0]
    assert "CRM Id" in table and "Ann Novak" in table and "005U000" in table
