import re
import shutil
import subprocess

import pytest

from simulator.experiment import run_experiment
from simulator.report import SECTIONS, build_report
from tests.conftest import small_scenario

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
    # plots: differences, attainment, coverage, 2 maps, pacing, workforce, 1 sweep panel
    assert page.count('class="plotly-graph-div"') == 8
    assert "as_is: territories by seat" in page and "balanced: territories by seat" in page
    assert "by workforce.vacancy_policy" in page
    assert "revenue" in page and "coverage_gap" in page
    assert "cdn.plot.ly" not in page.split("<script type=\"text/javascript\">", 1)[0]
    assert not re.search(r'src="https?://', page)  # nothing loaded from the network


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
    dom = subprocess.run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom", url], capture_output=True,
                         text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not [line for line in console if re.search(r"error|uncaught", line, re.IGNORECASE)], console
    graphs = len(re.findall(r'class="plotly-graph-div', dom.stdout))
    assert graphs == 8
    # every plot drew its SVG (plotly adds one 'main-svg' layer or more per graph)
    assert len(re.findall(r'class="main-svg"', dom.stdout)) >= graphs
    assert dom.stdout.count("js-plotly-plot") >= graphs  # plotly marks every graph it drew
    shot = run_folder / "report.png"
    subprocess.run([*common, "--window-size=1300,5000", f"--screenshot={shot}", url], capture_output=True,
                   timeout=180, check=True)
    assert shot.exists() and shot.stat().st_size > 50_000
