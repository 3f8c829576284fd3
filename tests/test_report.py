import re
import shutil
import subprocess

import pandas as pd
import pytest

from simulator.experiment.experiment import run_experiment
from simulator.policies import get_policy
from simulator.report import SECTIONS, build_report
from simulator.report.territories import TERRITORY_COLOURS, territory_colours, unit_adjacency, unit_frame
from simulator.scenario import load_scenario
from simulator.streams import Streams
from simulator.world import build_world
from tests.conftest import ROOT, small_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_NETWORK = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    scenario = small_scenario(**{
        "calendar.quarters": 2, "experiment.replications": 2, "workforce.attrition.enabled": True,
        "workforce.attrition.annual_quit_rate": 0.4, "policies": ["as_is", "balanced"],
        "sweep": {"workforce.vacancy_policy": ["hold", "manager"]}})
    return run_experiment(scenario, out=tmp_path_factory.mktemp("runs")).folder


def test_report_has_every_section_and_figure(run_folder):
    page = (run_folder / "report.html").read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
    assert page.index('<section id="verdict">') < page.index('<section id="effects">')  # the verdict comes first
    # two paired replications: below the minimum a difference is called on, so nothing is called or coloured
    assert "balanced against as_is: " in page and "not called: 2 paired replications" in page
    assert "<table class='decision'>" in page and "not called (2 of the" in page
    assert "<td class='better'" not in page and "<td class='worse'" not in page
    # plots: effects, attainment, coverage, pacing, workforce, 1 sweep panel (written now); the map (drawn by script)
    assert page.count('class="plotly-graph-div"') == 6
    assert page.count("class='plotly-graph-div'") == 1 and "id='policy-select'" in page
    assert "by workforce.vacancy_policy" in page
    assert "Coverage gap" in page and "coverage_gap</" not in page  # labels, not identifiers
    assert "cdn.plot.ly" not in page.split("<script type=\"text/javascript\">", 1)[0]
    assert not re.search(r'src="https?://', page)  # nothing loaded from the network


def test_adjacent_territories_never_share_a_colour_on_the_national_map():
    scenario = load_scenario(ROOT / "scenarios" / "us_national.yaml")
    world = build_world(scenario)
    for name in ("as_is", "nearest"):
        frame = get_policy(name)(world, world.initial_seats(), {}, Streams(1).generator(name)).to_frame(world)
        units = unit_frame(frame.assign(policy=name))
        adjacency = unit_adjacency(units)
        assert len(adjacency) > 3 * len(units) / 2  # county borders: about three neighbours each on average
        seats = frame.sort_values("unit")["seat"].to_numpy()
        colour = territory_colours(seats, adjacency)
        touching = {(seats[a], seats[b]) for a, b in adjacency if seats[a] != seats[b]}
        assert touching and all(colour[s] != colour[t] for s, t in touching)
        assert max(colour.values()) < len(TERRITORY_COLOURS)


def test_report_rebuilds_from_the_folder_alone(run_folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    (copy / "report.html").unlink()
    path = build_report(copy)
    assert path.exists() and path.stat().st_size > 1_000_000  # plotly.js is embedded


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_renders_offline_in_a_real_browser(run_folder, tmp_path):
    url = (run_folder / "report.html").resolve().as_uri()
    common = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path}",
              *NO_NETWORK, "--virtual-time-budget=20000"]
    seats = int(pd.read_parquet(run_folder / "territories.parquet").query("policy == 'balanced'")["seat"].nunique())
    for policy in ("as_is", "balanced"):  # the selector's handler, driven through the page's address
        dom = subprocess.run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom", f"{url}#policy={policy}"],
                             capture_output=True, text=True, timeout=180)
        assert dom.returncode == 0, dom.stderr[-2000:]
        console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
        assert not [line for line in console if re.search(r"error|uncaught", line, re.IGNORECASE)], console
        assert "Verdict</h2>" in dom.stdout and "paired replications" in dom.stdout
        graphs = len(re.findall(r'class="plotly-graph-div', dom.stdout))
        assert graphs == 7  # six charts and the map
        # every plot drew its SVG (plotly adds one 'main-svg' layer or more per graph)
        assert len(re.findall(r'class="main-svg"', dom.stdout)) >= graphs
        assert dom.stdout.count("js-plotly-plot") >= graphs  # plotly marks every graph it drew
        assert f'data-policy="{policy}"' in dom.stdout and f"{policy}: territories" in dom.stdout
        table = dom.stdout.split('id="territory-table"', 1)[1].split("</table>", 1)[0]
        assert table.count("<tr>") == seats + 1  # a header and one row per seat
    shot = run_folder / "report.png"
    subprocess.run([*common, "--window-size=1300,5000", f"--screenshot={shot}", url], capture_output=True,
                   timeout=180, check=True)
    assert shot.exists() and shot.stat().st_size > 50_000
