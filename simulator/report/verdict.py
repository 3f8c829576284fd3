"""What an experiment means, in the user's words: the verdict, the paired differences, then the levels.

The verdict leads: for each policy, how it changes the primary metric against the baseline (relative and in the
metric's unit, with its 95% interval across paired replications), what else clearly changes, and how many accounts
it moves. A difference whose interval spans zero, or that is below the metric's practical threshold, is "no clear
difference". Then the table of paired differences (green better, red worse), the per-policy levels, and what the
common random numbers bought. Every number is formatted by the metric catalogue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from rich.markup import escape
from rich.table import Table

from simulator.catalogue import (
    NEITHER,
    format_change,
    format_difference,
    format_level,
    format_relative,
    in_sentence,
    metric,
)
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS, NO_CLEAR, SMALL, compare, level_interval

MOVE_METRIC = "disruption_account_share"
ALSO_CLEAR = 3  # other clear differences named in a policy's verdict
STYLE = {"better": "green", "worse": "red", "higher": "", "lower": "", SMALL: "", NO_CLEAR: "dim"}


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
    searches: dict[int, dict[str, dict]] = field(default_factory=dict)  # sweep point -> policy -> plan search

    @classmethod
    def from_folder(cls, manifest: dict, summary: pd.DataFrame, comparison: pd.DataFrame) -> Findings:
        """The findings recorded in a run folder."""
        experiment = manifest["resolved_scenario"]["experiment"]
        rounds = manifest.get("rounds") or {}
        selections = {int(k): v for k, v in (rounds.get("selection") or {}).items() if v}
        searches = {int(k): v for k, v in (manifest.get("searches") or {}).items()}
        return cls(manifest["policies"], manifest["baseline"], experiment.get("primary", "revenue"), comparison,
                   summary, experiment.get("precision"), experiment.get("select"), selections, searches)


def comparison_at(findings: Findings, sweep_point: int) -> pd.DataFrame:
    """The comparison rows of one sweep point."""
    comparison = findings.comparison
    return comparison[comparison["sweep_point"] == sweep_point]


def mean_level(findings: Findings, sweep_point: int, policy: str, key: str) -> float:
    """A policy's mean level of a metric over replications (NaN when undefined)."""
    summary = findings.summary
    values = summary.loc[(summary["sweep_point"] == sweep_point) & (summary["policy"] == policy)
                         & (summary["metric"] == key), "value"]
    return float(values.mean()) if values.notna().any() else math.nan


def verdict_lines(findings: Findings, sweep_point: int = 0) -> list[str]:
    """The verdict: one sentence per policy on the primary metric, other clear changes, accounts moved; selection."""
    primary, baseline = findings.primary, findings.baseline
    rows = comparison_at(findings, sweep_point)
    lines = []
    for policy in [p for p in findings.policies if p != baseline]:
        mine = rows[rows["policy"] == policy].set_index("metric")
        if primary not in mine.index:
            continue
        row = mine.loc[primary]
        sentence = _primary_sentence(policy, baseline, primary, row)
        moved = mean_level(findings, sweep_point, policy, MOVE_METRIC)
        if math.isfinite(moved) and moved > 0:
            sentence += f", moving {format_level(MOVE_METRIC, moved)} of accounts to a new rep"
        called = [key for key in mine.index if key != primary and mine.loc[key, "verdict"] != NO_CLEAR
                  and not (mine.loc[key, "verdict"] == SMALL and _shows_as_zero(key, mine.loc[key, "mean_diff"]))]
        others = [_change(key, mine.loc[key]) for key in sorted(called, key=lambda k: mine.loc[k, "verdict"] == SMALL)]
        if others:
            sentence += "; also " + ", ".join(others[:ALSO_CLEAR])
        lines.append(sentence + ".")
    selection = findings.selections.get(sweep_point)
    if selection is not None and findings.select is not None:
        lines.append(_selection_sentence(findings, selection, primary)
                     + _selection_agreement(findings, selection, rows))
    return lines + search_lines(findings, sweep_point)


def search_lines(findings: Findings, sweep_point: int = 0) -> list[str]:
    """A searched plan's in-sample difference beside its out-of-sample ones on this run's fresh replications."""
    lines = []
    summary = findings.summary[findings.summary["sweep_point"] == sweep_point]
    for policy, search in findings.searches.get(sweep_point, {}).items():
        key = search["primary"]
        shown = format_change(key, search["in_sample_difference"], search["in_sample_relative_difference"])
        steps = f"{search['steps']} step" + ("" if search["steps"] == 1 else "s")
        if "confirmations" in search:
            steps += f" of {search['confirmations']} tried"
        screened = f", screening {search['proposals_screened']} moves" if "proposals_screened" in search else ""
        lines.append(f"{policy} searched {search['evaluations']} plans on two sets of {search['search_replications']} "
                     f"replications of its own (screen, then confirm{screened}) and kept {steps}: in-sample {shown} in "
                     f"{in_sentence(metric(key).label)} over {search['start']} (biased in its favour: it is the best "
                     "of what the search tried).")
        for other in search["compare_with"]:
            pair = summary[summary["policy"].isin([policy, other])]
            rows = compare(pair, other, [key])
            mine = rows[(rows["policy"] == policy) & (rows["metric"] == key)]
            if other == findings.baseline and key == findings.primary:
                lines[-1] += f" Out-of-sample against {other}: the verdict above, on this run's fresh replications."
            elif len(mine):
                lines.append("Out-of-sample, on this run's fresh replications: "
                             + _primary_sentence(policy, other, key, mine.iloc[0]) + ".")
    return lines


def _primary_sentence(policy: str, baseline: str, key: str, row: pd.Series) -> str:
    entry = metric(key)
    n = int(row["n"])
    if n < 2:
        return (f"{policy} against {baseline}: {format_difference(key, row['mean_diff'])} in "
                f"{in_sentence(entry.label)} from one replication, with no interval (run more replications, or set "
                f"a precision target)")
    interval = interval_text(key, row)
    if n < MIN_CLEAR_REPLICATIONS:
        return (f"{policy} against {baseline}: {amount_text(key, row)} in {in_sentence(entry.label)}, 95% CI "
                f"{interval}, not called: {n} paired replications, and a difference is called on at least "
                f"{MIN_CLEAR_REPLICATIONS} (give at least {MIN_CLEAR_REPLICATIONS} replications, or none to "
                "replicate until the answer is clear)")
    if row["verdict"] == NO_CLEAR:
        return (f"{policy}: no clear difference in {in_sentence(entry.label)} from {baseline}: "
                f"{amount_text(key, row)}, 95% CI {interval}, the interval spans zero ({n} paired replications)")
    if row["verdict"] == SMALL:
        direction = "rise" if row["mean_diff"] > 0 else "fall"
        return (f"{policy}: a small but clear {direction} in {in_sentence(entry.label)} over {baseline}: "
                f"{amount_text(key, row)}, 95% CI {interval}, below the {threshold_text(key)} worth reporting "
                f"({n} paired replications)")
    verb = "raises" if row["mean_diff"] > 0 else "lowers"
    return (f"{policy} {verb} {in_sentence(entry.label)} by {amount_text(key, row, unsigned=True)} over {baseline} "
            f"(95% CI {interval}, {n} paired replications)")


def amount_text(key: str, row: pd.Series, unsigned: bool = False) -> str:
    """A difference as people read it: relative (and absolute) for money and counts, else in its own unit."""
    entry = metric(key)
    absolute = format_difference(key, row["mean_diff"])
    if entry.relative and math.isfinite(row["relative_diff"]):
        relative = format_relative(row["relative_diff"])
        text = f"{relative} ({absolute})"
    else:
        text = absolute
    return text.replace("+", "").replace("-", "") if unsigned else text


def interval_text(key: str, row: pd.Series) -> str:
    """A paired difference's 95% interval as people read it: "+0.4% to +2.1%"."""
    return f"{format_change(key, row['ci_low'], row['relative_ci_low'])} to " \
        f"{format_change(key, row['ci_high'], row['relative_ci_high'])}"


def _change(key: str, row: pd.Series) -> str:
    entry = metric(key)
    verb = "raises" if row["mean_diff"] > 0 else "lowers"
    judgement = f" ({row['verdict']})" if row["verdict"] in ("better", "worse", SMALL) else ""
    return f"{verb} {in_sentence(entry.label)} by {amount_text(key, row, unsigned=True)}{judgement}"


def _shows_as_zero(key: str, difference: float) -> bool:
    """A difference too small to show a digit in its unit (a plan metric's rounding, not a change to report)."""
    return not any(ch in "123456789" for ch in format_difference(key, difference))


def threshold_text(key: str) -> str:
    """A metric's practical threshold as people read it: "0.5%" of revenue, "0.1 pp" of a share."""
    entry = metric(key)
    if entry.relative:
        return format_relative(entry.threshold).lstrip("+")
    return format_difference(key, entry.threshold).lstrip("+")


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


def _selection_agreement(findings: Findings, selection: dict, rows: pd.DataFrame) -> str:
    """A sentence when the selection and the paired verdicts on the primary metric seem to disagree, saying why."""
    primary, baseline = findings.primary, findings.baseline
    verdicts = rows[rows["metric"] == primary].set_index("policy")["verdict"].to_dict()
    better = [p for p, v in verdicts.items() if v == "better"]
    best = selection["best"]
    why = (" The two answer different questions: the selection compares every policy with every other and counts "
           "differences inside its indifference zone as ties, the verdict compares each policy with "
           f"{baseline} alone on a 95% interval.")
    if best is not None and best != baseline and verdicts.get(best) != "better":
        return (f" The verdict does not call {best} better than {baseline}: the selection only promises that no "
                "policy beats it by more than the indifference zone." + why)
    if best is not None and best == baseline and better:
        return (f" Yet the verdict calls {', '.join(better)} better than {baseline}: by less than the indifference "
                "zone, which the selection counts as a tie." + why)
    if best is None and baseline in selection["survivors"] and set(better) & set(selection["survivors"]):
        clear = ", ".join(p for p in better if p in selection["survivors"])
        return (f" The verdict calls {clear} better than {baseline}, but the selection has not yet ruled out that "
                "the difference is inside its indifference zone." + why)
    return ""


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
    rows = comparison_at(findings, sweep_point)
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
            text = amount_text(key, row)
            half = (row["ci_high"] - row["ci_low"]) / 2
            spread = format_difference(key, half).lstrip("+") if math.isfinite(half) and half > 0 else ""
            if any(ch in "123456789" for ch in spread):  # a half-width that rounds to nothing is not shown
                text += " ±" + spread
            cells.append((text, row["verdict"]))
        out.append((key, cells))
    return out


def levels_table(findings: Findings, sweep_point: int = 0) -> Table:
    """Headline metrics (rows) x policies (columns): mean over replications ± 95% CI half-width."""
    summary = findings.summary[findings.summary["sweep_point"] == sweep_point]
    keys = list(dict.fromkeys(comparison_at(findings, sweep_point)["metric"])) or [findings.primary]
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
    rows = comparison_at(findings, sweep_point)
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
