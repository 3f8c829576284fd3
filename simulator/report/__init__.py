"""The report: a self-contained report.html built only from a run folder's Parquet files and manifest.

Top to bottom: the verdict (the same sentences as the terminal, and the paired differences in the metrics' own
units, green where clearly better, red where clearly worse); the effects chart (one row per metric with a
direction, right is better); the levels per policy; the territories (one map with a policy selector, territories
coloured so that neighbours differ, a view of what moves, and a sortable territory table with a CSV download);
attainment, coverage, pacing and the workforce; who absorbed the accounts of reps who left (`absorption`); the
alignment quality; sweeps; and the scenario in words.

Offline by construction: plotly.js is embedded in the page, maps are drawn on plain axes from the embedded county
boundaries (or unit points) over the embedded state outlines, and nothing is fetched from the network, so the page
works from a file:// URL.
`territory-sim report RUN_DIR` rebuilds it any time. The report imports neither the engine nor the world.

The package owns the page (this module, `page`, `charts`, `territories`, `geography`) and the verdict both the page
and the terminal read (`verdict`). It may import only the statistics (`stats`), the metric catalogue and `io`: it reads
run folders, never a scenario, a world or the engine, and the experiment above it calls `build_report`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from simulator.io import atomic_write
from simulator.report import charts
from simulator.report.absorption import absorption_section
from simulator.report.page import levels_table, scenario_section, territories_section, verdict_section
from simulator.report.territories import map_data
from simulator.report.verdict import Findings

LEVELS = ["revenue", "share_rep_quarters_at_quota", "median_attainment", "coverage_gap", "unvisited_account_share",
          "selling_share", "travel_share", "admin_share", "month3_revenue_share", "annual_turnover",
          "vacancy_days", "orphaned_account_days"]
QUALITY = ["territories", "workload_cv", "workload_max_deviation", "potential_cv", "potential_max_deviation",
           "share_within_tolerance", "contiguous_share", "compactness_hours", "disruption_account_share",
           "disruption_potential_share"]
SECTIONS = ["verdict", "effects", "levels", "territories", "attainment", "coverage", "pacing", "workforce",
            "absorption", "quality", "sweeps", "scenario"]
TABLES = ("summary", "rep_quarters", "comparison", "alignment", "territories", "weekly", "accounts", "assignments")


def build_report(folder: Path) -> Path:
    """Write `folder/report.html` from the run folder's tables; return its path."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    policies, baseline = manifest["policies"], manifest["baseline"]
    colours = charts.policy_colours(policies)
    findings = Findings.from_folder(manifest, tables["summary"], tables["comparison"])
    effects = charts.effects(tables["comparison"], baseline, colours)
    scenario = manifest["resolved_scenario"]
    swept = list(scenario.get("sweep") or {})
    world = scenario.get("world") or {}
    territory_data = map_data(policies, baseline, tables["alignment"], tables["territories"],
                              tables["rep_quarters"], tables["accounts"], tables["assignments"],
                              (manifest.get("searches") or {}).get("0", {}), real_places=not world.get("synthetic"),
                              id_label="CRM Id" if world.get("files") else "rep Id")
    cap = (scenario.get("behaviour") or {}).get("max_visits_over_required")  # None: an older run, or no cap
    sections = [
        ("verdict", "Verdict", verdict_section(findings, manifest)),
        ("effects", f"Effects versus {baseline}", _figure(effects) if effects is not None
         else "<p>One replication: no intervals to show.</p>"),
        ("levels", "Levels per policy (mean ± 95% interval over replications)",
         levels_table(tables["summary"], policies, LEVELS)),
        ("territories", "Territories", territories_section(territory_data)),
        ("attainment", "Quota attainment per policy (staffed rep-quarters)",
         _figure(charts.attainment(tables["rep_quarters"], policies, colours))),
        ("coverage", "Coverage", _figure(charts.coverage(tables["summary"], tables["accounts"], policies, colours,
                                                          scenario["calendar"]["quarters"], cap))),
        ("pacing", "Pacing through the quarter (per working day, by week of the quarter)",
         _figure(charts.pacing(tables["weekly"], policies, colours))),
        ("workforce", "Workforce week by week (means over replications)",
         _figure(charts.workforce(tables["weekly"], policies, colours))),
        ("absorption", "Who absorbed the accounts of reps who left",
         absorption_section(_optional_table(folder, "absorption"), manifest)),
        ("quality", "Alignment quality", levels_table(tables["summary"][tables["summary"]["replication"] == 0],
                                                      policies, QUALITY)),
        ("sweeps", "Sweeps", "".join(_figure(f) for f in charts.sweeps(tables["summary"], swept, policies, colours))
         if swept else "<p>This run has no sweep.</p>"),
        ("scenario", "The scenario", scenario_section(manifest)),
    ]
    body = "\n".join(f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>'
                     for key, title, content in sections)
    page = _PAGE.format(title=html.escape(f"territory-sim: {manifest['scenario']}"), plotly=get_plotlyjs(), body=body,
                        better=charts.BETTER_COLOUR, worse=charts.WORSE_COLOUR, unclear=charts.UNCLEAR_COLOUR)
    path = folder / "report.html"
    atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return path


def _optional_table(folder: Path, name: str) -> pd.DataFrame | None:
    """A table that run folders written before it existed lack (None then)."""
    path = folder / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def _figure(figure: go.Figure) -> str:
    figure.update_layout(template="plotly_white", margin=dict(l=60, r=20, t=60, b=50))
    return figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; font-size: 0.9rem; margin: 0.8rem 0; }}
th, td {{ padding: 0.25rem 0.7rem; text-align: right; }} caption {{ text-align: left; color: #555; }}
tr:nth-child(even) {{ background: #f6f6f6; }} th:first-child {{ text-align: left; }}
table.decision td {{ text-align: left; }}
.verdict p {{ font-size: 1.05rem; line-height: 1.45; }} .note {{ color: #555; }}
td.better {{ color: {better}; font-weight: 600; }} td.worse {{ color: {worse}; font-weight: 600; }}
td.unclear {{ color: {unclear}; }}
table.territories th {{ cursor: pointer; position: sticky; top: 0; background: #fff; }}
.controls {{ display: flex; gap: 1.5rem; align-items: center; margin: 0.5rem 0; }}
</style>
<script type="text/javascript">{plotly}</script>
</head><body><h1>{title}</h1>
{body}
</body></html>
"""
