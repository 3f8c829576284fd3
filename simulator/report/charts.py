"""The report's charts: effects with their direction applied, attainment, coverage, pacing, workforce, sweeps.

One colour per policy everywhere and in every report (`policy_colour`: a function of the label alone); every axis
says what it measures; every metric is named by its catalogue label and shown in its own unit, or as a share of the
baseline where that is what matters.
"""

from __future__ import annotations

import hashlib
import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.catalogue import GROUPS, NEITHER, metric

# the verdict's colours: a difference clearly better, clearly worse, or not clear (the page's CSS uses these)
BETTER_COLOUR, WORSE_COLOUR, UNCLEAR_COLOUR = "#137333", "#b3261e", "#777777"
# a policy's colour depends on its label only, so it is the same in every report and every chart: the registered
# policies have fixed colours, any other label one picked by a stable hash; none is a green, a red or a grey
REGISTERED_COLOURS = {"as_is": "#1f77b4", "balanced": "#ff7f0e", "nearest": "#9467bd", "min_disruption": "#e377c2",
                      "optimise": "#17becf"}
OTHER_COLOURS = ["#e7ba52", "#393b79", "#7b4173", "#6baed6", "#fdae6b", "#756bb1", "#ce6dbd", "#8c6d31", "#5254a3",
                 "#a55194"]
SWEEP_METRICS = ["revenue", "coverage_gap", "median_attainment", "orphaned_account_days"]
ROW_HEIGHT = 40  # pixels per metric in the effects chart, plus 18 per policy


def shown(text: str) -> str:
    """A user's label as plotly shows it: HTML-escaped (plotly reads tags in names, titles and categories)."""
    return html.escape(str(text))


def policy_colour(label: str) -> str:
    """A policy's colour, a function of its label alone (a fixed colour for a registered policy name, else a hash)."""
    if label in REGISTERED_COLOURS:
        return REGISTERED_COLOURS[label]
    digest = hashlib.sha256(label.encode("utf-8")).digest()  # not hash(): Python salts it per process
    return OTHER_COLOURS[int.from_bytes(digest[:4], "big") % len(OTHER_COLOURS)]


def policy_colours(policies: list[str]) -> dict[str, str]:
    """The one policy -> colour map of the page, in the policies' order."""
    return {policy: policy_colour(policy) for policy in policies}


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


def coverage(summary: pd.DataFrame, accounts: pd.DataFrame, policies: list[str], colours: dict[str, str],
             quarters: int, cap: float | None) -> go.Figure:
    """Coverage gap per policy, and accounts by their visits as a multiple of their requirement, with the cap.

    `cap`: the scenario's per-account cap (`behaviour.max_visits_over_required`: at most this multiple of an
    account's required visits in a quarter, rounded up; None when the run's scenario has none). The bars group
    accounts by visits over required visits across the horizon; "beyond the cap" counts accounts whose visits over
    the horizon exceed the quarters times their rounded-up cap, so at least one quarter went past it.
    """
    figure = make_subplots(rows=1, cols=2, column_widths=[0.35, 0.65], subplot_titles=(
        "coverage gap (potential-weighted)", "accounts by visits as a multiple of their required visits"))
    rows = summary[(summary["sweep_point"] == 0) & (summary["metric"] == "coverage_gap")]
    figure.add_trace(go.Bar(x=[shown(p) for p in policies], y=[rows.loc[rows["policy"] == p, "value"].mean()
                                                              for p in policies],
                            marker_color=[colours[p] for p in policies], showlegend=False), row=1, col=1)
    edges = sorted({1.0, 1.5, 2.0, 3.0, 5.0} | ({float(cap)} if cap is not None else set()))
    mine = accounts[(accounts["sweep_point"] == 0) & (accounts["required_visits"] > 0)]
    ratio = (mine["visits"] / mine["required_visits"]).to_numpy(dtype=float)
    bins = np.searchsorted(edges, ratio, side="right")  # 0: below need; k: edges[k-1] to edges[k]; last: beyond
    labels = ["below need", *[f"{low:g}x to {high:g}x" for low, high in zip(edges, edges[1:], strict=False)],
              f"{edges[-1]:g}x or more"]
    if cap is not None:
        per_quarter = mine["required_visits"].to_numpy(dtype=float) / max(quarters, 1)
        over = mine["visits"].to_numpy(dtype=float) > max(quarters, 1) * np.ceil(cap * per_quarter - 1e-9)
    heights, beyond_cap = [], []
    for policy in policies:
        picked = (mine["policy"] == policy).to_numpy()
        replications = max(int(mine.loc[picked, "replication"].nunique()), 1)
        counts = pd.Series(bins[picked]).value_counts().reindex(range(len(labels)), fill_value=0) / replications
        beyond = float(over[picked].sum()) / replications if cap is not None else None
        heights += counts[counts > 0].tolist()
        if beyond is not None:
            beyond_cap.append(f"{shown(policy)} {beyond:,.0f}")
        figure.add_trace(go.Bar(
            x=list(counts.index), y=counts.to_numpy(), name=shown(policy), marker_color=colours[policy],
            customdata=labels, hovertemplate=f"{shown(policy)}: %{{y:,.1f}} accounts, %{{customdata}}<extra>"
            + (f"{beyond:,.1f} beyond the cap" if beyond is not None else "no cap") + "</extra>"), row=1, col=2)
    if cap is not None:
        figure.add_vline(x=edges.index(float(cap)) + 0.5, line_dash="dash", line_color="#444", row=1, col=2,
                         annotation_text=f"cap: {cap:g}x the required visits a quarter<br>accounts "
                                         f"beyond it: {', '.join(beyond_cap)}",
                         annotation_position="top right")
    else:
        figure.add_annotation(text="this run's scenario sets no per-account cap", xref="x2 domain",
                              yref="y2 domain", x=0.98, y=0.98, showarrow=False)
    figure.update_yaxes(tickformat=".0%", title_text="share of required visits not made", row=1, col=1)
    low, high = (min(heights), max(heights)) if heights else (1.0, 10.0)  # a log axis: one account stays visible
    figure.update_yaxes(type="log", range=[np.log10(low) - 0.15, np.log10(high) + 0.15], dtick=1,
                        title_text="accounts (per replication, log scale)", row=1, col=2)
    figure.update_xaxes(tickvals=list(range(len(labels))), ticktext=labels, row=1, col=2)
    figure.update_layout(height=420, barmode="group", legend=dict(orientation="h", y=-0.15))
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
