"""What an experiment means, in the user's words: the verdict, the paired differences, then the levels.

The verdict leads: for each policy, how it changes the primary metric against the baseline (relative and in the
metric's unit, with its 95% interval across paired replications), what else clearly changes, and how many accounts
it moves. A difference whose interval spans zero, or that is below the metric's practical threshold, is "no clear
difference". Then the table of paired differences (green better, red worse), the per-policy levels, and what the
common random numbers bought. Every number is formatted by the metric catalogue.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator.catalogue import NEITHER, format_difference, format_level, format_relative, in_sentence, metric
from simulator.stats.compare import NO_CLEAR, level_interval

if TYPE_CHECKING:
    from simulator.experiment import ExperimentResult

MOVE_METRIC = "disruption_account_share"
ALSO_CLEAR = 3  # other clear differences named in a policy's verdict
STYLE = {"better": "green", "worse": "red", "higher": "", "lower": "", NO_CLEAR: "dim"}


@dataclass
class Findings:
    """What the verdict is drawn from: an experiment's result, or a run folder's manifest and tables."""

    policies: list[str]
    baseline: str
    primary: str
    comparison: pd.DataFrame
    summary: pd.DataFrame
    precision: float | None = None
    select: dict | None = None  # {"confidence", "indifference"} of experiment.select
    selections: dict[int, dict] = field(default_factory=dict)  # sweep point -> `ExperimentResult.selection`

    @classmethod
    def of(cls, result: ExperimentResult) -> Findings:
        """The findings of an experiment just run."""
        experiment = result.scenario.experiment
        return cls([spec.key for spec in result.scenario.policies], result.scenario.baseline_key(),
                   experiment.primary, result.comparison, result.summary, experiment.precision,
                   experiment.select.model_dump() if experiment.select else None,
                   {p.index: chosen for p in result.sweep if (chosen := result.selection(p.index))})

    @classmethod
    def from_folder(cls, manifest: dict, summary: pd.DataFrame, comparison: pd.DataFrame) -> Findings:
        """The findings recorded in a run folder."""
        experiment = manifest["resolved_scenario"]["experiment"]
        rounds = manifest.get("rounds") or {}
        selections = {int(k): v for k, v in (rounds.get("selection") or {}).items() if v}
        return cls(manifest["policies"], manifest["baseline"], experiment.get("primary", "revenue"), comparison,
                   summary, experiment.get("precision"), experiment.get("select"), selections)


def render(result: ExperimentResult, colour: bool = False, width: int = 160) -> str:
    """The whole terminal answer as text (ANSI colours if `colour`)."""
    console = Console(file=io.StringIO(), width=width, force_terminal=colour, color_system="standard" if colour
                      else None, highlight=False)
    console.print(_header(result), markup=False)
    findings = Findings.of(result)
    for point in result.sweep:
        if len(result.sweep) > 1:
            console.print(f"\n[bold]Sweep point {point.index}[/bold]: "
                          + escape(", ".join(f"{k} = {v}" for k, v in point.values.items())))
        console.print("\n[bold]Verdict[/bold]")
        for line in verdict_lines(findings, point.index):
            console.print(f"  {line}", soft_wrap=True, markup=False)  # labels are the user's text
        console.print()
        console.print(differences_table(findings, point.index))
        console.print(levels_table(findings, point.index))
        pairing = pairing_line(findings, point.index)
        if pairing:
            console.print(pairing, markup=False)
    if result.folder is not None:
        console.print(f"\nresults written to {result.folder.resolve()}", soft_wrap=True, markup=False)
        console.print(f"report: {(result.folder / 'report.html').resolve()}", soft_wrap=True, markup=False)
    return console.file.getvalue()


def _header(result: ExperimentResult) -> str:
    scenario = result.scenario
    points = len(result.sweep)
    text = (f"scenario {scenario.name}: {len(scenario.policies)} policies x {result.replications} replications"
            + (f" x {points} sweep points" if points > 1 else "")
            + f", {scenario.calendar.quarters} quarters, seed {scenario.experiment.seed} "
            + f"({result.wall_seconds:,.1f} s" + (f", {result.resumed_parts} runs resumed" if result.resumed_parts
                                                  else "") + ")")
    return text + _rounds_sentence(result)


def _rounds_sentence(result: ExperimentResult) -> str:
    """How the replications were decided, for a precision-driven or selecting experiment."""
    experiment, status = result.scenario.experiment, result.status
    if status is None or not experiment.sequential:
        return ""
    label = in_sentence(metric(experiment.primary).label)
    if experiment.precision is not None:
        reached = format_relative(status.half_width).lstrip("+") if math.isfinite(status.half_width) else "n/a"
        target = format_relative(experiment.precision).lstrip("+")
        if status.precision_met:
            return (f"\nreplicated until every {label} difference was known within ±{target} of the baseline: "
                    f"±{reached} after {result.replications} replications")
        return (f"\nstopped at the maximum of {experiment.max_replications} replications before the precision "
                f"target: {label} differences known within ±{reached}, target ±{target}")
    if status.selected:
        return f"\nreplicated until one policy was best on {label}: {result.replications} replications"
    return (f"\nstopped at the maximum of {experiment.max_replications} replications before one policy was "
            f"best on {label}")


def _rows(findings: Findings, sweep_point: int) -> pd.DataFrame:
    comparison = findings.comparison
    return comparison[comparison["sweep_point"] == sweep_point]


def _mean_level(findings: Findings, sweep_point: int, policy: str, key: str) -> float:
    summary = findings.summary
    values = summary.loc[(summary["sweep_point"] == sweep_point) & (summary["policy"] == policy)
                         & (summary["metric"] == key), "value"]
    return float(values.mean()) if values.notna().any() else math.nan


def verdict_lines(findings: Findings, sweep_point: int = 0) -> list[str]:
    """The verdict: one sentence per policy on the primary metric, other clear changes, accounts moved; selection."""
    primary, baseline = findings.primary, findings.baseline
    rows = _rows(findings, sweep_point)
    lines = []
    for policy in [p for p in findings.policies if p != baseline]:
        mine = rows[rows["policy"] == policy].set_index("metric")
        if primary not in mine.index:
            continue
        row = mine.loc[primary]
        sentence = _primary_sentence(policy, baseline, primary, row)
        moved = _mean_level(findings, sweep_point, policy, MOVE_METRIC)
        if math.isfinite(moved) and moved > 0:
            sentence += f", moving {format_level(MOVE_METRIC, moved)} of accounts to a new rep"
        others = [_change(key, mine.loc[key]) for key in mine.index
                  if key != primary and mine.loc[key, "verdict"] != NO_CLEAR]
        if others:
            sentence += "; also " + ", ".join(others[:ALSO_CLEAR])
        lines.append(sentence + ".")
    selection = findings.selections.get(sweep_point)
    if selection is not None and findings.select is not None:
        lines.append(_selection_sentence(findings, selection, primary))
    return lines


def _primary_sentence(policy: str, baseline: str, key: str, row: pd.Series) -> str:
    entry = metric(key)
    n = int(row["n"])
    if n < 2:
        return (f"{policy} against {baseline}: {format_difference(key, row['mean_diff'])} in "
                f"{in_sentence(entry.label)} from one replication, with no interval (run more replications, or set "
                f"a precision target)")
    interval = _interval(key, row)
    if row["verdict"] == NO_CLEAR:
        reason = ("below the difference worth reporting" if not (row["ci_low"] <= 0 <= row["ci_high"])
                  else "the interval spans zero")
        return (f"{policy}: no clear difference in {in_sentence(entry.label)} from {baseline}: {_amount(key, row)}, "
                f"95% CI {interval}, {reason} ({n} paired replications)")
    verb = "raises" if row["mean_diff"] > 0 else "lowers"
    return (f"{policy} {verb} {in_sentence(entry.label)} by {_amount(key, row, unsigned=True)} over {baseline} "
            f"(95% CI {interval}, {n} paired replications)")


def _amount(key: str, row: pd.Series, unsigned: bool = False) -> str:
    """A difference as people read it: relative (and absolute) for money and counts, else in its own unit."""
    entry = metric(key)
    absolute = format_difference(key, row["mean_diff"])
    if entry.relative and math.isfinite(row["relative_diff"]):
        relative = format_relative(row["relative_diff"])
        text = f"{relative} ({absolute})"
    else:
        text = absolute
    return text.replace("+", "").replace("-", "") if unsigned else text


def _interval(key: str, row: pd.Series) -> str:
    if metric(key).relative and math.isfinite(row["relative_ci_low"]):
        return f"{format_relative(row['relative_ci_low'])} to {format_relative(row['relative_ci_high'])}"
    return f"{format_difference(key, row['ci_low'])} to {format_difference(key, row['ci_high'])}"


def _change(key: str, row: pd.Series) -> str:
    entry = metric(key)
    verb = "raises" if row["mean_diff"] > 0 else "lowers"
    judgement = f" ({row['verdict']})" if row["verdict"] in ("better", "worse") else ""
    return f"{verb} {in_sentence(entry.label)} by {_amount(key, row, unsigned=True)}{judgement}"


def _selection_sentence(findings: Findings, selection: dict, primary: str) -> str:
    entry = metric(primary)
    confidence = findings.select["confidence"]
    zone = findings.select["indifference"]
    delta = selection.get("indifference")
    zone_text = format_relative(zone).lstrip("+") + (f" = {format_difference(primary, delta).lstrip('+')}"
                                                     if delta is not None else "")
    procedure = (f"Kim & Nelson's selection, {confidence:.0%} confidence, policies within {zone_text} count as "
                 f"equally good")
    if selection["best"] is not None:
        return (f"Best on {in_sentence(entry.label)}: {selection['best']} ({procedure}; decided after "
                f"{selection['replications']} replications).")
    return (f"Best on {in_sentence(entry.label)}: cannot separate {', '.join(selection['survivors'])} after "
            f"{selection['replications']} replications ({procedure}).")


def differences_table(findings: Findings, sweep_point: int = 0) -> Table:
    """Headline metrics (rows) x policies (columns): paired difference from the baseline ± 95% half-width."""
    baseline = findings.baseline
    policies = [p for p in findings.policies if p != baseline]
    table = Table(title=f"Paired differences versus {escape(baseline)} (mean ± 95% CI half-width)",
                  title_justify="left",
                  box=None, pad_edge=False)
    table.add_column("metric")
    table.add_column("better if")
    for policy in policies:
        table.add_column(escape(policy), justify="right")
    for key, cells in difference_cells(findings, sweep_point):
        entry = metric(key)
        styled = [f"[{STYLE[verdict]}]{escape(text)}[/{STYLE[verdict]}]" if STYLE.get(verdict) else escape(text)
                  for text, verdict in cells]
        direction = {"higher": "higher", "lower": "lower", NEITHER: "-"}[entry.direction]
        table.add_row(entry.label, direction, *styled)
    return table


def difference_cells(findings: Findings, sweep_point: int = 0) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per compared metric, per policy but the baseline: (the difference ± half-width as text, its verdict)."""
    rows = _rows(findings, sweep_point)
    policies = [p for p in findings.policies if p != findings.baseline]
    out = []
    for key in dict.fromkeys(rows["metric"]):
        cells = []
        for policy in policies:
            found = rows[(rows["policy"] == policy) & (rows["metric"] == key)]
            if found.empty:
                cells.append(("", NO_CLEAR))
                continue
            row = found.iloc[0]
            text = _amount(key, row)
            half = (row["ci_high"] - row["ci_low"]) / 2
            if math.isfinite(half) and half > 0:
                text += " ±" + format_difference(key, half).lstrip("+")
            cells.append((text, row["verdict"]))
        out.append((key, cells))
    return out


def levels_table(findings: Findings, sweep_point: int = 0) -> Table:
    """Headline metrics (rows) x policies (columns): mean over replications ± 95% CI half-width."""
    summary = findings.summary[findings.summary["sweep_point"] == sweep_point]
    keys = list(dict.fromkeys(_rows(findings, sweep_point)["metric"])) or [findings.primary]
    table = Table(title="\nLevels (mean ± 95% CI half-width over replications)", title_justify="left", box=None,
                  pad_edge=False)
    table.add_column("metric")
    policies = findings.policies
    for policy in policies:
        table.add_column(escape(policy), justify="right")
    for key in keys:
        cells = []
        for policy in policies:
            mean, half = level_interval(summary.loc[(summary["policy"] == policy) & (summary["metric"] == key),
                                                    "value"].to_numpy(dtype=float))
            cells.append(format_level(key, mean, half))
        table.add_row(metric(key).label, *cells)
    return table


def pairing_line(findings: Findings, sweep_point: int = 0) -> str:
    """What common random numbers bought on the primary metric: correlation and replications needed."""
    rows = _rows(findings, sweep_point)
    rows = rows[(rows["metric"] == findings.primary) & rows["replications_needed"].notna()]
    if rows.empty:
        return ""
    target = format_relative(findings.precision or 0.01).lstrip("+")
    parts = []
    for row in rows.itertuples():
        correlation = f"{row.correlation:.2f}" if math.isfinite(row.correlation) else "n/a"
        parts.append(f"{row.policy}: correlation {correlation}, {int(row.replications_needed):,} paired replications "
                     f"for ±{target} (unpaired: {int(row.replications_needed_unpaired):,})")
    return (f"\nCommon random numbers ({in_sentence(metric(findings.primary).label)} against "
            f"{findings.baseline}): " + "; ".join(parts))
