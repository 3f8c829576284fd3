"""The decision summary: the first thing a sales leader reads, one short block per plan.

Per plan against the baseline: what it does to the primary metric and whether that difference is clear (clearly
better or worse, small but clear, no clear difference, or not called on too few paired replications), what else
it clearly gains and costs, and how many accounts it moves to a new rep. It reads the same `Findings` as the
verdict, so the two never disagree; the verdict's full sentences follow it.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.markup import escape
from rich.table import Table

from simulator.catalogue import format_level, in_sentence, metric
from simulator.report.verdict import MOVE_METRIC, Findings, amount_text, comparison_at, interval_text, mean_level
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS, NO_CLEAR, SMALL

SHOWN = 2  # gains and costs named per plan


def clarity(row: pd.Series) -> str:
    """Whether a paired difference is clear, in words."""
    n = int(row["n"])
    if n < MIN_CLEAR_REPLICATIONS:
        return f"not called ({n} of the {MIN_CLEAR_REPLICATIONS} paired replications needed)"
    if row["verdict"] == NO_CLEAR:
        return "no clear difference"
    if row["verdict"] == SMALL:
        return "small but clear"
    return f"clearly {row['verdict']}"  # better / worse, or higher / lower for a metric with no better direction


def _named(key: str, row: pd.Series) -> str:
    return f"{in_sentence(metric(key).label)} {amount_text(key, row)}"


def decision_blocks(findings: Findings, sweep_point: int = 0) -> list[tuple[str, list[str]]]:
    """Per plan but the baseline: (its label, its lines: the primary change, gains, costs, accounts moved)."""
    rows = comparison_at(findings, sweep_point)
    primary, baseline = findings.primary, findings.baseline
    blocks = []
    for policy in [p for p in findings.policies if p != baseline]:
        mine = rows[rows["policy"] == policy].set_index("metric")
        if primary not in mine.index:
            continue
        row = mine.loc[primary]
        lines = [f"{_named(primary, row)}: {clarity(row)}"
                 + (f", 95% CI {interval_text(primary, row)}" if math.isfinite(row["ci_low"]) else "")]
        called = mine[(mine.index != primary) & (mine["verdict"].isin(["better", "worse"]))]
        for word, verdict in (("gains", "better"), ("costs", "worse")):
            keys = list(called.index[called["verdict"] == verdict])[:SHOWN]
            if keys:
                lines.append(f"{word}: " + "; ".join(_named(k, mine.loc[k]) for k in keys))
        moved = mean_level(findings, sweep_point, policy, MOVE_METRIC)
        if math.isfinite(moved) and moved > 0:
            lines.append(f"moves {format_level(MOVE_METRIC, moved)} of accounts to a new rep")
        blocks.append((policy, lines))
    return blocks


def decision_table(findings: Findings, sweep_point: int = 0) -> Table | None:
    """The decision summary as a two-column table that wraps to the console's width (None with no plan to compare)."""
    blocks = decision_blocks(findings, sweep_point)
    if not blocks:
        return None
    rows = comparison_at(findings, sweep_point)
    primary = rows[rows["metric"] == findings.primary]
    pairs = int(primary["n"].max()) if len(primary) else 0
    table = Table(title=f"Decision: each plan against {escape(findings.baseline)} ({pairs} paired replications)",
                  title_justify="left", box=None, pad_edge=False, show_header=False)
    table.add_column("plan", no_wrap=True, style="bold")
    table.add_column("what it does", ratio=1, overflow="fold")
    for policy, lines in blocks:
        table.add_row(escape(policy), escape("\n".join(lines)))
    return table
