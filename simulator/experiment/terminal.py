"""The terminal answer to an experiment just run: its header, then the verdict and tables of every sweep point.

The verdict's sentences and tables (`simulator.report.verdict`) read `Findings`, which the report also builds from
a run folder; turning an `ExperimentResult` into findings and a header belongs here, beside the result, so that the
report layer never imports the experiment.
"""

from __future__ import annotations

import io
import math
import shutil

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from simulator.catalogue import (
    format_change,
    format_difference,
    format_level,
    format_relative,
    format_share,
    format_value,
    in_sentence,
    metric,
)
from simulator.experiment.experiment import ExperimentResult
from simulator.metrics.neglect import never_visited
from simulator.report.absorption import absorption_cells
from simulator.report.decision import decision_table
from simulator.report.verdict import Findings, differences_table, levels_table, pairing_line, verdict_lines


def findings_of(result: ExperimentResult) -> Findings:
    """The findings of an experiment just run."""
    experiment = result.scenario.experiment
    return Findings([spec.key for spec in result.scenario.policies], result.scenario.baseline_key(),
                    experiment.primary, result.comparison, result.summary, experiment.precision,
                    experiment.select.model_dump() if experiment.select else None,
                    {p.index: chosen for p in result.sweep if (chosen := result.selection(p.index))},
                    result.searches)


def terminal_width() -> int:
    """The terminal's width in columns ($COLUMNS, else the terminal's own, else 100 when not a terminal)."""
    return max(MIN_WIDTH, shutil.get_terminal_size(fallback=(100, 24)).columns)


def render(result: ExperimentResult, colour: bool = False, width: int | None = None) -> str:
    """The whole terminal answer as text (ANSI colours if `colour`), `width` columns wide (default the terminal's).

    It opens with the decision summary of every sweep point, so the first screen decides; the verdict's sentences,
    the tables of paired differences and levels follow.
    """
    console = Console(file=io.StringIO(), width=width or terminal_width(), force_terminal=colour,
                      color_system="standard" if colour else None, highlight=False)
    console.print(_header(result), markup=False)
    findings = findings_of(result)
    for point in result.sweep:
        if len(result.sweep) > 1:
            console.print(f"\n[bold]Sweep point {point.index}[/bold]: "
                          + escape(", ".join(f"{k} = {v}" for k, v in point.values.items())))
        decision = decision_table(findings, point.index)
        if decision is not None:
            console.print()
            console.print(decision)
    for point in result.sweep:
        if len(result.sweep) > 1:
            console.print(f"\n[bold]Sweep point {point.index}[/bold]")
        console.print("\n[bold]Verdict[/bold]")
        for line in verdict_lines(findings, point.index):  # wrapped to the width, indented; labels are the user's
            console.print(Padding(Text(line), (0, 0, 0, 2)))
        console.print()
        console.print(differences_table(findings, point.index))
        console.print(levels_table(findings, point.index))
        pairing = pairing_line(findings, point.index)
        if pairing:
            console.print(pairing, markup=False)
    render_absorption(result, console)
    render_never_visited(result, console)
    if result.folder is not None:
        console.print(f"\nresults written to {result.folder.resolve()}", soft_wrap=True, markup=False)
        console.print(f"report: {(result.folder / 'report.html').resolve()}", soft_wrap=True, markup=False)
    return console.file.getvalue()


def render_never_visited(result: ExperimentResult, console: Console, named: int = 5) -> None:
    """The accounts an owner held all horizon that got no visit, per policy: how many, their potential, who."""
    missed = never_visited(result.accounts)
    if missed.empty:
        return
    console.print("\n[bold]Customers nobody visited[/bold] (owned for the whole horizon, no visit)")
    for (point, policy), rows in missed.groupby(["sweep_point", "policy"], observed=True, sort=False):
        where = f" at sweep point {point}" if len(result.sweep) > 1 else ""
        runs = int(rows["of_replications"].iloc[0])
        often = "" if runs == 1 else f", each in at least 1 of {runs} replications"
        who = ", ".join(f"{row.account_name or row.account_id} ({row.account_id}, {row.rep_name or 'no rep'})"
                        if row.account_name else f"{row.account_id} ({row.rep_name or 'no rep'})"
                        for row in rows.head(named).itertuples())
        more = f" and {len(rows) - named:,} more" if len(rows) > named else ""
        console.print(Padding(Text(f"{policy}{where}: {len(rows):,} accounts{often}, "
                                   f"{format_value('money', float(rows['potential'].sum()))} of potential: "
                                   f"{who}{more} (accounts.parquet has them all)"), (0, 0, 0, 2)))


def render_absorption(result: ExperimentResult, console: Console, rows_shown: int = 12) -> None:
    """Who absorbed departing reps' accounts, per policy: what each receiving rep took on and its workload after.

    Nothing is printed for an experiment without vacancies. Amounts are means over the replications in which
    the cover happened ("Runs", shown when that is not all of them); "After" is the receiver's workload as a
    share of a rep's quarterly capacity. At most `rows_shown` rows per policy; absorption.parquet has them all.
    """
    table = result.absorption
    if table is None or table.empty:
        return
    days = result.scenario.calendar.days_per_quarter
    some_runs = False
    console.print("\n[bold]Who absorbed the accounts of reps who left[/bold] (vacancy cover, per policy)")
    for point in result.sweep:
        for spec in result.scenario.policies:
            mine = table[(table["sweep_point"] == point.index) & (table["policy"] == spec.key)]
            if mine.empty:
                continue
            where = f"sweep point {point.index}, " if len(result.sweep) > 1 else ""
            grid = Table(title=escape(f"{where}{spec.key} (vacancy policy {result.scenario.vacancy_policy_of(spec)})"),
                         title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
            shown = mine.head(rows_shown)
            cities = shown["home_city"].notna().any()
            runs = bool((shown["replications_with"] < shown["replications"]).any())
            some_runs |= runs
            headers = ["Rep who left", "When", *(["Runs"] if runs else []), "Absorbed by",
                       *(["Home"] if cities else []), "Accounts", "Potential", "Workload", "After"]
            for header in headers:
                grid.add_column(header, justify="right" if header in headers[-4:] else "left",
                                no_wrap=header not in ("Rep who left", "Absorbed by", "Home"))
            previous = None
            for row in shown.itertuples(index=False):
                cells = absorption_cells(row, days, row.departed_rep_id != previous)
                grid.add_row(*(escape(cells[header]) for header in headers))
                previous = row.departed_rep_id
            console.print(grid)
            if len(mine) > rows_shown:
                console.print(f"  ... and {len(mine) - rows_shown} more rows in absorption.parquet", markup=False)
    console.print("Workload: hours per quarter taken on; After: the receiver's workload then, as a share of a rep's "
                  "capacity" + ("; Runs: the replications in which it happened (means over them)." if some_runs
                                else "."), markup=False)


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


MIN_WIDTH = 60  # narrower than this, tables cannot show a label beside a number

PLAN_METRICS = ("workload_cv", "workload_max_deviation", "potential_cv", "potential_max_deviation",
                "compactness_hours", "disruption_account_share", "disruption_potential_share")


def render_alignment(report: dict) -> str:
    """`territory-sim align` for people: the plan's metrics by their catalogue labels, then what the policy did."""
    console = Console(file=io.StringIO(), width=120, color_system=None, highlight=False)
    count = report["territories"]
    console.print(f"Plan {report['policy']}: {count} territories, aligned in {report['seconds']:,.1f} s",
                  markup=False)
    width = max(len(metric(key).label) for key in PLAN_METRICS)
    for key in PLAN_METRICS:
        console.print(f"  {metric(key).label:<{width}}  {format_level(key, report[key])}", markup=False)
    tightest = f" (the tightest this plan reaches: ±{format_share(report['achievable_tolerance'])})" \
        if report["seats_missing"] else ""
    within = f"±{format_share(report['tolerance'])}"
    console.print(f"{report['seats_within_tolerance']} of {count} territories within {within} of their target"
                  f"{tightest}; {report['contiguous_territories']} of {count} contiguous.",
                  markup=False, soft_wrap=True)
    for seat in report["seats_missing"]:
        console.print(f"  misses the tolerance: {seat['rep_id']} ({format_relative(seat['deviation'])})",
                      markup=False)
    far = report.get("far_exceptions", [])
    if far:  # account-level exceptions far from their territory: those territories are not one piece
        reach = format_level("compactness_hours", report["far_exception_hours"])
        console.print(f"{sum(s['accounts'] for s in far):,} account-level exceptions lie more than a day trip "
                      f"({reach}) from their territory, in {len(far)} territories (not counted contiguous):",
                      markup=False, soft_wrap=True)
        for seat in far:
            accounts = f"{seat['accounts']:,} account" + ("s" if seat["accounts"] != 1 else "")
            console.print(f"  {seat['rep_id']}: {accounts}, the farthest "
                          f"{format_level('compactness_hours', seat['farthest_hours'])} away", markup=False)
    if "moves_spent" in report and "steps" not in report:  # optimise: that was its start's balancing, not its own
        limits = [text for key, text in (("move_budget_hit", "the move budget ran out"),
                                         ("time_limit_hit", "the time limit was hit")) if report.get(key)]
        console.print(f"Balancing search: {report['moves_spent']:,} moves"
                      + (f" ({' and '.join(limits)})" if limits else "") + ".", markup=False)
    if "steps" in report:
        console.print(_search_sentence(report), markup=False, soft_wrap=True)
    for step in report.get("steps", []):  # optimise: what it changed, and on what evidence
        moved = ", ".join(f"{m['unit_id']} {m['from']} -> {m['to']}" for m in step["moves"])
        console.print(f"  accepted: {moved} (simulated {format_difference(report['primary'], step['difference'])}, "
                      f"improvement at least {format_difference(report['primary'], step['lower_bound']).lstrip('+')}"
                      f" at {step['confidence']:.1%} confidence)", markup=False, soft_wrap=True)
    if report["splits"]:
        console.print(f"  units split at account level: {', '.join(s['unit_id'] for s in report['splits'])}",
                      markup=False, soft_wrap=True)
    if "written_to" in report:
        console.print(f"alignment written to {report['written_to']}", markup=False, soft_wrap=True)
    return console.file.getvalue()


def _search_sentence(report: dict) -> str:
    """What the `optimise` search spent and kept, and how far its plan is from as-is."""
    key = report["primary"]
    shown = format_change(key, report["in_sample_difference"], report["in_sample_relative_difference"])
    kept = len(report["steps"])
    budget = report["disruption_budget"]
    return (f"Simulated search from {report['start']}: {report['evaluations']:,} plans simulated on two sets of "
            f"{report['search_replications']} replications (screen, then confirm), {report['proposals_screened']:,} "
            f"moves screened, {kept} of {report['confirmations']} steps tried kept; in-sample {shown} in "
            f"{in_sentence(metric(key).label)} over {report['start']} (on the search's own replications). "
            f"{format_share(report['disruption_share'])} of the measure is assigned "
            "differently from as-is" + ("." if budget >= 1 else
                                        f" (budget {format_share(budget)})."))
