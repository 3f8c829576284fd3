"""The report's charts: effects with their direction applied, attainment, coverage, pacing, workforce, sweeps.

One colour per policy everywhere (`policy_colours`); every axis says what it measures; every metric is named by
its catalogue label and shown in its own unit, or as a share of the baseline where that is what matters.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.catalogue import GROUPS, NEITHER, metric

POLICY_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                  "#bcbd22", "#17becf"]
SWEEP_METRICS = ["revenue", "coverage_gap", "median_attainment", "orphaned_account_days"]
ROW_HEIGHT = 40  # pixels per metric in the effects chart, plus 18 per policy


def shown(text: str) -> str:
    """A user's label as plotly shows it: HTML-escaped (plotly reads tags in names, titles and categories)."""
    return html.escape(str(text))


def policy_colours(policies: list[str]) -> dict[str, str]:
    """The one policy -> colour map of the page."""
    return {policy: POLICY_PALETTE[i % len(POLICY_PALETTE)] for i, policy in enumerate(policies)}


def effects(comparison: pd.DataFrame, baseline: str, colours: dict[str, str]) -> go.Figure | None:
    """One row per metric with a direction, grouped, right = better: the paired difference and its 95% interval.

    Money, counts and days are shown as a share of the baseline's mean; shares in percentage points; ratios as is.
    """
    rows = comparison[(comparison["sweep_point"] == 0) & comparison["n"].ge(2)]
    keys = [k for k in dict.fromkeys(rows["metric"]) if metric(k).direction != NEITHER]
    keys.sort(key=lambda k: list(GROUPS).index(metric(k).group))
    if not keys:
        return None
    titles = []
    for key in keys:
        entry = metric(key)
        unit = (f"% of {baseline}" if entry.relative else "percentage points" if entry.unit == "share"
                else entry.unit)
        titles.append(f"{GROUPS[entry.group]}: {entry.label} ({unit}; right is better)")
    figure = make_subplots(rows=len(keys), cols=1, subplot_titles=titles, vertical_spacing=0.5 / len(keys))
    for row, key in enumerate(keys, start=1):
        entry = metric(key)
        sign = 1.0 if entry.direction == "higher" else -1.0
        for policy in colours:
            block = rows[(rows["metric"] == key) & (rows["policy"] == policy)]
            if block.empty:
                continue
            r = block.iloc[0]
            if entry.relative:
                mean, low, high, scale, suffix = r["relative_diff"], r["relative_ci_low"], r["relative_ci_high"], \
                    100.0, "%"
            else:
                mean, low, high = r["mean_diff"], r["ci_low"], r["ci_high"]
                scale, suffix = (100.0, " pp") if entry.unit == "share" else (1.0, "")
            x, lo, hi = sign * mean * scale, sign * low * scale, sign * high * scale
            left, right = min(lo, hi), max(lo, hi)
            figure.add_trace(go.Scatter(
                x=[x], y=[shown(policy)], mode="markers", marker=dict(color=colours.get(policy), size=10),
                error_x=dict(type="data", symmetric=False, array=[right - x], arrayminus=[x - left],
                             color=colours.get(policy)),
                name=shown(policy), legendgroup=shown(policy), showlegend=row == 1,
                hovertemplate=f"%{{y}}: %{{x:.2f}}{suffix} ({r['verdict']})<extra>{entry.label}</extra>"),
                row=row, col=1)
        figure.add_vline(x=0, line_dash="dot", line_color="#888", row=row, col=1)
    compared = [shown(p) for p in colours if p != baseline]
    figure.update_yaxes(categoryorder="array", categoryarray=compared[::-1], tickfont=dict(size=11))
    figure.update_layout(height=120 + (ROW_HEIGHT + 18 * len(compared)) * len(keys),
                         legend=dict(orientation="h", y=1.0, yanchor="bottom"),
                         title=f"Paired differences versus {shown(baseline)} (95% interval), right is better")
    return figure


def _box_stats(values: np.ndarray) -> dict[str, float]:
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    spread = 1.5 * (q3 - q1)
    inside = values[(values >= q1 - spread) & (values <= q3 + spread)]
    return {"q1": q1, "median": median, "q3": q3, "lowerfence": inside.min(), "upperfence": inside.max(),
            "mean": values.mean()}


def attainment(rep_quarters: pd.DataFrame, policies: list[str], colours: dict[str, str]) -> go.Figure:
    """Quota attainment over staffed rep-quarters, per policy (box statistics computed here: the page stays small)."""
    rows = rep_quarters[(rep_quarters["sweep_point"] == 0) & (rep_quarters["quota"] > 0)]
    rows = rows[rows["rep_days"] >= rows.groupby("quarter")["rep_days"].transform("max") / 2]
    figure = go.Figure()
    for policy in policies:
        values = rows.loc[rows["policy"] == policy, "attainment"].dropna().to_numpy(dtype=float)
        if not len(values):
            continue
        stats = _box_stats(values)
        figure.add_trace(go.Box(x=[shown(policy)], name=shown(policy), marker_color=colours[policy], boxpoints=False,
                                **{k: [v] for k, v in stats.items()}))
    figure.add_hline(y=1.0, line_dash="dot", annotation_text="quota")
    figure.update_layout(yaxis_tickformat=".0%", yaxis_title="attainment (revenue / quota)", height=420,
                         showlegend=False)
    return figure


def coverage(summary: pd.DataFrame, rep_quarters: pd.DataFrame, policies: list[str],
             colours: dict[str, str]) -> go.Figure:
    """Coverage gap per policy, and the share of required visits made quarter by quarter."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("coverage gap (potential-weighted)",
                                                           "required visits made, by quarter"))
    rows = summary[(summary["sweep_point"] == 0) & (summary["metric"] == "coverage_gap")]
    figure.add_trace(go.Bar(x=[shown(p) for p in policies], y=[rows.loc[rows["policy"] == p, "value"].mean()
                                                              for p in policies],
                            marker_color=[colours[p] for p in policies], showlegend=False), row=1, col=1)
    quarters = rep_quarters[rep_quarters["sweep_point"] == 0].assign(
        made=lambda f: np.minimum(f["visits"], f["required_visits"]))
    for policy in policies:
        block = quarters[quarters["policy"] == policy].groupby("quarter")[["made", "required_visits"]].sum()
        figure.add_trace(go.Scatter(x=block.index + 1, y=block["made"] / block["required_visits"], name=shown(policy),
                                    mode="lines+markers", line_color=colours[policy]), row=1, col=2)
    figure.update_yaxes(tickformat=".0%")
    figure.update_yaxes(title_text="share of required visits not made", row=1, col=1)
    figure.update_yaxes(title_text="share of required visits made", row=1, col=2)
    figure.update_xaxes(title_text="quarter", dtick=1, row=1, col=2)
    figure.update_layout(height=420)
    return figure


def pacing(weekly: pd.DataFrame, policies: list[str], colours: dict[str, str]) -> go.Figure:
    """Visits and revenue per working day, by week of the quarter (all quarters and replications together)."""
    rows = weekly[weekly["sweep_point"] == 0]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("visits per working day", "revenue closed per working day"))
    for policy in policies:
        block = rows[rows["policy"] == policy].groupby("week_of_quarter")[["visits", "revenue", "days"]].sum()
        for column, field in ((1, "visits"), (2, "revenue")):
            figure.add_trace(go.Scatter(x=block.index + 1, y=block[field] / block["days"], name=shown(policy),
                                        legendgroup=shown(policy), showlegend=column == 1, mode="lines+markers",
                                        line_color=colours[policy]), row=1, col=column)
    figure.update_xaxes(title_text="week of the quarter", dtick=1)
    figure.update_yaxes(title_text="visits per working day", row=1, col=1)
    figure.update_yaxes(title_text="$ per working day", tickprefix="$", row=1, col=2)
    figure.update_layout(height=420)
    return figure


def workforce(weekly: pd.DataFrame, policies: list[str], colours: dict[str, str]) -> go.Figure:
    """Reps in seats and vacant seats week by week, and quits and hires so far (means per replication)."""
    rows = weekly[weekly["sweep_point"] == 0]
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                           subplot_titles=("reps in seats", "vacant seats",
                                           "quits (solid) and hires (dotted) so far"))
    for policy in policies:
        block = rows[rows["policy"] == policy]
        per_week = block.groupby("week")[["headcount", "vacant_seats", "quits", "hires"]].mean()
        weeks = per_week.index + 1
        style = dict(legendgroup=shown(policy), line_color=colours[policy], mode="lines")
        figure.add_trace(go.Scatter(x=weeks, y=per_week["headcount"], name=shown(policy), **style), row=1, col=1)
        figure.add_trace(go.Scatter(x=weeks, y=per_week["vacant_seats"], showlegend=False, name=shown(policy),
                                    **style),
                         row=2, col=1)
        figure.add_trace(go.Scatter(x=weeks, y=per_week["quits"].cumsum(), showlegend=False,
                                    name=f"{shown(policy)} quits", **style), row=3, col=1)
        figure.add_trace(go.Scatter(x=weeks, y=per_week["hires"].cumsum(), showlegend=False,
                                    name=f"{shown(policy)} hires", line_dash="dot", **style), row=3, col=1)
    figure.update_yaxes(title_text="reps", row=1, col=1)
    figure.update_yaxes(title_text="seats", rangemode="tozero", row=2, col=1)
    figure.update_yaxes(title_text="people", rangemode="tozero", row=3, col=1)
    figure.update_xaxes(title_text="week of the horizon", row=3, col=1)
    figure.update_layout(height=640)
    return figure


def sweeps(summary: pd.DataFrame, swept: list[str], policies: list[str], colours: dict[str, str]) -> list[go.Figure]:
    """One panel per swept parameter: the mean of a few metrics at each value, per policy."""
    panels = []
    for parameter in swept:
        figure = make_subplots(rows=1, cols=len(SWEEP_METRICS),
                               subplot_titles=[metric(m).label for m in SWEEP_METRICS])
        for column, key in enumerate(SWEEP_METRICS, start=1):
            rows = summary[summary["metric"] == key]
            for policy in policies:
                block = rows[rows["policy"] == policy].groupby(parameter)["value"].mean()
                figure.add_trace(go.Scatter(x=[shown(str(v)) for v in block.index], y=block.to_numpy(),
                                            name=shown(policy), legendgroup=shown(policy),
                                            line_color=colours[policy], mode="lines+markers",
                                            showlegend=column == 1), row=1, col=column)
            figure.update_xaxes(title_text=parameter, row=1, col=column)
        figure.update_layout(title=f"by {shown(parameter)}", height=360)
        panels.append(figure)
    return panels
