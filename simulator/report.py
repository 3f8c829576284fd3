"""The report: a self-contained report.html built only from a run folder's Parquet files and manifest.

Offline by construction: plotly.js is embedded in the page, maps are drawn on plain axes from the embedded county
boundaries (or unit points), and nothing is fetched from the network, so the page works from a file:// URL.
`territory-sim report RUN_DIR` rebuilds it any time. The report imports neither the engine nor the world.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from simulator.catalogue import format_level
from simulator.catalogue import metric as catalogue_metric
from simulator.io import atomic_write

HEADLINE = ["revenue", "share_rep_quarters_at_quota", "median_attainment", "coverage_gap", "unvisited_account_share",
            "selling_share", "travel_share", "admin_share", "month3_revenue_share", "annual_turnover",
            "vacancy_days", "orphaned_account_days"]
QUALITY = ["territories", "workload_cv", "workload_max_deviation", "potential_cv", "potential_max_deviation",
           "share_within_tolerance", "contiguous_share", "compactness_hours", "disruption_account_share",
           "disruption_potential_share"]
SWEEP_METRICS = ["revenue", "coverage_gap", "median_attainment", "orphaned_account_days"]
MAX_POLYGON_UNITS = 4000
SECTIONS = ["scenario", "headline", "differences", "attainment", "coverage", "maps", "pacing", "workforce",
            "quality", "sweeps"]


def build_report(folder: Path) -> Path:
    """Write `folder/report.html` from the run folder's tables; return its path."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    tables = {name: pd.read_parquet(folder / f"{name}.parquet")
              for name in ("summary", "rep_quarters", "comparison", "alignment", "territories", "weekly")}
    policies = manifest["policies"]
    sections = [
        ("scenario", "The scenario", _scenario_paragraph(manifest, tables["summary"])),
        ("headline", "Headline metrics per policy (mean and 95% interval over replications)",
         _headline_table(tables["summary"], policies)),
        ("differences", f"Paired differences versus {manifest['baseline']}",
         _figure(_forest(tables["comparison"], tables["summary"], manifest["baseline"]))),
        ("attainment", "Quota attainment per policy (rep-quarters)",
         _figure(_attainment(tables["rep_quarters"], policies))),
        ("coverage", "Coverage gap per policy and by quarter",
         _figure(_coverage(tables["summary"], tables["rep_quarters"], policies))),
        ("maps", "Territories", "".join(_figure(_map(tables["alignment"], tables["territories"],
                                                     tables["rep_quarters"], policy)) for policy in policies)),
        ("pacing", "Pacing through the quarter", _figure(_pacing(tables["weekly"], policies))),
        ("workforce", "Workforce week by week", _figure(_workforce(tables["weekly"], policies))),
        ("quality", "Alignment quality", _quality_table(tables["summary"], policies)),
        ("sweeps", "Sweeps", _sweeps(tables["summary"], manifest, policies)),
    ]
    body = "\n".join(f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>'
                     for key, title, content in sections)
    page = _PAGE.format(title=html.escape(f"territory-sim: {manifest['scenario']}"), plotly=get_plotlyjs(), body=body)
    path = folder / "report.html"
    atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return path


def _figure(figure: go.Figure) -> str:
    figure.update_layout(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50))
    return figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _scenario_paragraph(manifest: dict, summary: pd.DataFrame) -> str:
    scenario = manifest["resolved_scenario"]
    world = scenario["world"]
    if world.get("synthetic"):
        source = (f"a synthetic world of {world['synthetic']['reps']} reps and {world['synthetic']['accounts']:,} "
                  "accounts")
    elif world.get("geography"):
        geo = world["geography"]
        where = ", ".join(geo["states"]) if geo.get("states") else "the contiguous US"
        source = f"{where} ({geo['layer']}), {geo['reps']} reps and {geo['accounts']:,} accounts"
    else:
        source = f"accounts from {world['files']['accounts']}"
    vacancy = ", ".join(f"{k}: {v}" for k, v in manifest.get("vacancy_policies", {}).items())
    sweep = (f" It sweeps {', '.join(scenario['sweep'])} over {len(manifest['sweep_points'])} points."
             if scenario.get("sweep") else "")
    text = (f"<b>{html.escape(manifest['scenario'])}</b>: {html.escape(scenario.get('description') or '')} "
            f"The world is {html.escape(source)}, simulated for {scenario['calendar']['quarters']} quarters of "
            f"{scenario['calendar']['days_per_quarter']} working days. It compares {len(manifest['policies'])} "
            f"policies ({html.escape(', '.join(manifest['policies']))}; vacancy cover {html.escape(vacancy)}) over "
            f"{manifest['replications']} replications with common random numbers (seed {manifest['seed']}), "
            f"against the baseline {html.escape(manifest['baseline'])}.{html.escape(sweep)}")
    return f"<p>{text}</p>"


def _interval(values: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, 0.0
    return mean, float(stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values)))


def _headline_table(summary: pd.DataFrame, policies: list[str]) -> str:
    rows = summary[summary["sweep_point"] == 0]
    head = "".join(f"<th>{html.escape(p)}</th>" for p in policies)
    body = []
    for metric in HEADLINE:
        cells = []
        for policy in policies:
            values = rows.loc[(rows["policy"] == policy) & (rows["metric"] == metric), "value"].to_numpy()
            if not len(values):
                cells.append("<td></td>")
                continue
            mean, half = _interval(values)
            cells.append(f"<td>{html.escape(format_level(metric, mean, half))}</td>")
        body.append(f"<tr><th>{html.escape(catalogue_metric(metric).label)}</th>{''.join(cells)}</tr>")
    return f'<table class="headline"><tr><th></th>{head}</tr>{"".join(body)}</table>'


def _forest(comparison: pd.DataFrame, summary: pd.DataFrame, baseline: str) -> go.Figure:
    figure = go.Figure()
    rows = comparison[comparison["sweep_point"] == 0]
    base = summary[(summary["sweep_point"] == 0) & (summary["policy"] == baseline)].groupby("metric")["value"].mean()
    for policy, block in rows.groupby("policy", sort=False):
        scale = block["metric"].map(base).abs().replace(0, np.nan).to_numpy()
        mean = block["mean_diff"].to_numpy() / scale
        figure.add_trace(go.Scatter(
            x=mean, y=block["metric"].map(lambda key: catalogue_metric(key).label), mode="markers", name=policy,
            error_x=dict(type="data", symmetric=False, array=block["ci_high"].to_numpy() / scale - mean,
                         arrayminus=mean - block["ci_low"].to_numpy() / scale)))
    figure.add_vline(x=0, line_dash="dot")
    figure.update_layout(title=f"difference versus {baseline}, relative to the baseline's mean (95% CI)",
                         xaxis_tickformat=".0%", height=480)
    return figure


def _staffed(rep_quarters: pd.DataFrame) -> pd.DataFrame:
    days = rep_quarters.groupby("quarter")["rep_days"].transform("max")
    return rep_quarters[(rep_quarters["rep_days"] >= days / 2) & (rep_quarters["quota"] > 0)]


def _attainment(rep_quarters: pd.DataFrame, policies: list[str]) -> go.Figure:
    rows = _staffed(rep_quarters[rep_quarters["sweep_point"] == 0])
    figure = go.Figure([go.Box(y=rows.loc[rows["policy"] == p, "attainment"], name=p, boxmean=True)
                        for p in policies])
    figure.add_hline(y=1.0, line_dash="dot", annotation_text="quota")
    figure.update_layout(yaxis_tickformat=".0%", height=420, showlegend=False)
    return figure


def _coverage(summary: pd.DataFrame, rep_quarters: pd.DataFrame, policies: list[str]) -> go.Figure:
    figure = make_subplots(rows=1, cols=2, subplot_titles=("coverage gap (potential-weighted, accounts)",
                                                           "visits made / required, by quarter (seat totals)"))
    rows = summary[(summary["sweep_point"] == 0) & (summary["metric"] == "coverage_gap")]
    means = [rows.loc[rows["policy"] == p, "value"].mean() for p in policies]
    figure.add_trace(go.Bar(x=policies, y=means, showlegend=False), row=1, col=1)
    quarters = rep_quarters[rep_quarters["sweep_point"] == 0].assign(
        made=lambda f: np.minimum(f["visits"], f["required_visits"]))
    for policy in policies:
        block = quarters[quarters["policy"] == policy].groupby("quarter")[["made", "required_visits"]].sum()
        figure.add_trace(go.Scatter(x=block.index + 1, y=block["made"] / block["required_visits"], name=policy,
                                    mode="lines+markers"), row=1, col=2)
    figure.update_yaxes(tickformat=".0%")
    figure.update_xaxes(title_text="quarter", row=1, col=2)
    figure.update_layout(height=420)
    return figure


@cache
def _boundaries() -> pd.DataFrame | None:
    try:
        with resources.files("simulator.data").joinpath("us_counties.parquet").open("rb") as handle:
            return pd.read_parquet(handle, columns=["fips", "boundary_lat", "boundary_lon"]).set_index("fips")
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def _map(alignment: pd.DataFrame, territories: pd.DataFrame, rep_quarters: pd.DataFrame, policy: str) -> go.Figure:
    units = alignment[(alignment["sweep_point"] == 0) & (alignment["policy"] == policy)]
    seats = territories[(territories["sweep_point"] == 0) & (territories["policy"] == policy)]
    vacancy = rep_quarters[(rep_quarters["sweep_point"] == 0) & (rep_quarters["policy"] == policy)
                           & (rep_quarters["replication"] == 0)].groupby("seat")["vacancy_days"].sum()
    palette = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D",
               "#BAB0AC", "#1F77B4", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#17BECF"]
    figure = go.Figure()
    boundaries = _boundaries()
    polygons = (boundaries is not None and len(units) <= MAX_POLYGON_UNITS
                and units["unit_id"].astype(str).isin(boundaries.index).all())
    for seat, block in units.groupby("seat"):
        colour = palette[int(seat) % len(palette)]
        if polygons:
            lat, lon = [], []
            for unit_id in block["unit_id"].astype(str):
                lat += [*boundaries.at[unit_id, "boundary_lat"], None]
                lon += [*boundaries.at[unit_id, "boundary_lon"], None]
            figure.add_trace(go.Scatter(x=lon, y=lat, fill="toself", mode="lines", line=dict(width=0.3, color="white"),
                                        fillcolor=colour, hoverinfo="text", text=f"seat {seat}", showlegend=False))
        else:
            figure.add_trace(go.Scatter(x=block["lon"], y=block["lat"], mode="markers", marker=dict(size=5,
                                        color=colour), hoverinfo="text", text=block["rep_id"], showlegend=False))
    vacant = seats["seat"].map(lambda s: vacancy.get(s, 0) > 0).to_numpy(dtype=bool)
    figure.add_trace(go.Scatter(x=seats.loc[~vacant, "home_lon"], y=seats.loc[~vacant, "home_lat"], mode="markers",
                                marker=dict(symbol="star", size=9, color="black"), name="home base",
                                text=seats.loc[~vacant, "rep_id"], hoverinfo="text"))
    figure.add_trace(go.Scatter(x=seats.loc[vacant, "home_lon"], y=seats.loc[vacant, "home_lat"], mode="markers",
                                marker=dict(symbol="x-thin-open", size=11, color="#888888", line=dict(width=2)),
                                name="seat vacant at some point (replication 0)", text=seats.loc[vacant, "rep_id"],
                                hoverinfo="text"))
    figure.update_layout(title=f"{policy}: territories by seat", height=520,
                         xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x", scaleratio=1.25),
                         legend=dict(orientation="h"))
    return figure


def _pacing(weekly: pd.DataFrame, policies: list[str]) -> go.Figure:
    rows = weekly[weekly["sweep_point"] == 0]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("visits per working day",
                                                           "revenue closed per working day"))
    for policy in policies:
        block = rows[rows["policy"] == policy].groupby("week_of_quarter")[["visits", "revenue", "days"]].sum()
        figure.add_trace(go.Scatter(x=block.index + 1, y=block["visits"] / block["days"], name=policy,
                                    mode="lines+markers"), row=1, col=1)
        figure.add_trace(go.Scatter(x=block.index + 1, y=block["revenue"] / block["days"], name=policy,
                                    mode="lines+markers", showlegend=False), row=1, col=2)
    figure.update_xaxes(title_text="week of the quarter")
    figure.update_layout(height=420)
    return figure


def _workforce(weekly: pd.DataFrame, policies: list[str]) -> go.Figure:
    rows = weekly[(weekly["sweep_point"] == 0) & (weekly["policy"] == policies[0])]
    block = rows.groupby("week")[["headcount", "vacant_seats", "quits", "hires"]].mean()
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Scatter(x=block.index + 1, y=block["headcount"], name="reps in seats"))
    figure.add_trace(go.Scatter(x=block.index + 1, y=block["vacant_seats"], name="vacant seats"))
    figure.add_trace(go.Bar(x=block.index + 1, y=block["quits"], name="quits"), secondary_y=True)
    figure.add_trace(go.Bar(x=block.index + 1, y=block["hires"], name="hires"), secondary_y=True)
    figure.update_layout(title=f"{policies[0]} (mean over replications)", height=420, barmode="group",
                         xaxis_title="week")
    return figure


def _quality_table(summary: pd.DataFrame, policies: list[str]) -> str:
    rows = summary[(summary["sweep_point"] == 0) & (summary["replication"] == 0)]
    head = "".join(f"<th>{html.escape(p)}</th>" for p in policies)
    body = []
    for metric in QUALITY:
        cells = []
        for policy in policies:
            values = rows.loc[(rows["policy"] == policy) & (rows["metric"] == metric), "value"].to_numpy()
            cells.append(f"<td>{html.escape(format_level(metric, float(values[0])))}</td>" if len(values)
                         else "<td></td>")
        body.append(f"<tr><th>{html.escape(catalogue_metric(metric).label)}</th>{''.join(cells)}</tr>")
    return f'<table class="quality"><tr><th></th>{head}</tr>{"".join(body)}</table>'


def _sweeps(summary: pd.DataFrame, manifest: dict, policies: list[str]) -> str:
    swept = list(manifest["resolved_scenario"].get("sweep") or {})
    if not swept:
        return "<p>This run has no sweep.</p>"
    panels = []
    for parameter in swept:
        figure = make_subplots(rows=1, cols=len(SWEEP_METRICS), subplot_titles=SWEEP_METRICS)
        for column, metric in enumerate(SWEEP_METRICS, start=1):
            rows = summary[summary["metric"] == metric]
            for policy in policies:
                block = rows[rows["policy"] == policy].groupby(parameter)["value"].mean()
                figure.add_trace(go.Scatter(x=[str(v) for v in block.index], y=block.to_numpy(), name=policy,
                                            mode="lines+markers", showlegend=column == 1), row=1, col=column)
        figure.update_layout(title=f"by {parameter}", height=360)
        panels.append(_figure(figure))
    return "".join(panels)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }} th, td {{ padding: 0.25rem 0.7rem; text-align: right; }}
tr:nth-child(even) {{ background: #f6f6f6; }} th:first-child {{ text-align: left; }}
</style>
<script type="text/javascript">{plotly}</script>
</head><body><h1>{title}</h1>
{body}
</body></html>
"""
