"""The territory-sim command line: parse, call the library, print. No model logic lives here."""

from __future__ import annotations

import json
import shlex
import sys
import warnings
from importlib import resources
from pathlib import Path

import click

from simulator.calibration import calibrate as calibrate_scenario
from simulator.experiment.align_report import align_report, write_alignment
from simulator.experiment.executors import EXECUTORS, ExecutorError
from simulator.experiment.experiment import ExperimentResult, run_experiment
from simulator.experiment.run_folder import RunFolderError
from simulator.experiment.terminal import render, render_alignment
from simulator.io import own_version
from simulator.policies.balanced import PolicyError
from simulator.report import build_report
from simulator.scenario import Scenario, ScenarioError, load_scenario, scenario_json_schema
from simulator.schema.limits import preflight
from simulator.world import WorldDataError, build_world
from simulator.world.checks import data_checks, scenario_warnings
from simulator.world.crm import DEFAULT_POTENTIAL_MODES, CrmError, import_crm
from simulator.world.crm_export import export_alignment
from simulator.world.planned import check_events
from simulator.world.starter import StarterError, default_out, write_starter
from simulator.world.travel import TravelError

DEFAULT_SCENARIO = "us_national.yaml"
USER_ERRORS = (ScenarioError, WorldDataError, TravelError)
MAX_PROBLEMS = 50


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _fail_problems(path: Path, problems: list[str]) -> None:
    """Exit 2 listing the problems of a file (at most MAX_PROBLEMS of them, then how many more)."""
    shown = problems[:MAX_PROBLEMS]
    more = f"\n  ... and {len(problems) - len(shown):,} more" if len(problems) > len(shown) else ""
    _fail(f"{len(problems):,} problem(s) in {path}:\n" + "\n".join(f"  {p}" for p in shown) + more)


def _load(path: Path) -> Scenario:
    """The validated scenario, or exit 2 with its problems; also refused when one run cannot fit in memory."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scenario = load_scenario(path)
    except ScenarioError as exc:
        _fail_problems(exc.path, exc.problems)
        raise AssertionError("unreachable") from exc
    estimate = preflight(scenario)
    if not estimate.fits:
        _fail(f"1 problem(s) in {path}:\n  {path}: too big for this machine: {estimate.summary()}; make the world "
              "smaller (accounts, reps) or the horizon shorter (calendar.quarters, calendar.days_per_quarter)")
    return scenario


def shipped_scenario(name: str = DEFAULT_SCENARIO) -> Path:
    """Path of a scenario shipped with the project (source checkout or installed package)."""
    checkout = Path(__file__).resolve().parent / "scenarios" / name
    if checkout.exists():
        return checkout
    return Path(str(resources.files("simulator.scenarios").joinpath(name)))


class _Commands(click.Group):
    """Every command: an unexpected failure is one line (and exit 1) unless --debug asks for the traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks for users
            if (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
            sys.exit(1)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(own_version(), "--version", prog_name="territory-sim", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """territory-sim: simulate sales territories before you reorganise them."""
    ctx.obj = {"debug": debug}
    if not debug:  # numpy's arithmetic warnings on degenerate input are noise before a clear message or a result
        warnings.simplefilter("ignore", RuntimeWarning)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
def validate(scenario_file: Path) -> None:
    """Check a scenario file; exit 0 if valid, 2 with every problem listed otherwise."""
    scenario = _load(scenario_file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            world = build_world(scenario)
            check_events(scenario, world)
            checks = data_checks(world, scenario)
    except USER_ERRORS as exc:
        _fail_problems(scenario_file, exc.problems if hasattr(exc, "problems") else [str(exc)])
    click.echo(f"{scenario_file}: valid scenario '{scenario.name}' "
               f"({len(scenario.policies)} policies, {scenario.calendar.quarters} quarters, "
               f"{scenario.experiment.replications_text()})")
    click.echo(f"needs {preflight(scenario).summary()}")
    click.echo("\n".join(checks.lines()))


@main.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editor completion)."""
    click.echo(json.dumps(scenario_json_schema(), indent=2))


def _run(ctx: click.Context, scenario: Scenario, out: Path | None, **options: object) -> ExperimentResult:
    command = "territory-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        return run_experiment(scenario, out=out, command=command, **options)
    except (*USER_ERRORS, ExecutorError, RunFolderError, PolicyError) as exc:
        if ctx.obj.get("debug"):
            raise
        _fail(f"error: {exc}")
        raise AssertionError("unreachable") from exc


def _print_result(result: ExperimentResult) -> None:
    if result.recomputed_parts:
        click.echo(f"recomputed {len(result.recomputed_parts)} corrupt or incomplete part(s) of the run folder: "
                   f"{', '.join(result.recomputed_parts)}", err=True)
    click.echo(render(result, colour=sys.stdout.isatty()), nl=False)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Results folder (default: the scenario's).")
@click.option("--replications", type=click.IntRange(min=1),
              help="Exactly this many replications (with --precision: the first batch).")
@click.option("--seed", type=click.IntRange(min=0), help="Override experiment.seed.")
@click.option("--quarters", type=click.IntRange(min=1), help="Override calendar.quarters.")
@click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
              help="Run serially, on a local process pool, or on Dask.")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: all cores) or Dask workers.")
@click.option("--scheduler", help="Address of an existing Dask scheduler (with --executor dask).")
@click.option("--resume", type=click.Path(path_type=Path, file_okay=False),
              help="Finish an interrupted run folder (same scenario and options).")
@click.option("--precision", type=click.FloatRange(min=0, max=1, min_open=True),
              help="Replicate until every policy's paired difference on the primary metric is known within this "
                   "fraction of the baseline (0.01 = ±1%); sets experiment.precision.")
@click.option("--max-replications", type=click.IntRange(min=2),
              help="Most replications per policy with a precision target or a selection.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def run(ctx: click.Context, scenario_file: Path, out: Path | None, replications: int | None, seed: int | None,
        quarters: int | None, executor: str, workers: int | None, scheduler: str | None, resume: Path | None,
        precision: float | None, max_replications: int | None, quiet: bool) -> None:
    """Run every policy (x sweep point x replication) of a scenario, print the verdict, write a run folder."""
    scenario = _load(scenario_file)
    overrides = {"experiment.replications": replications, "experiment.seed": seed, "calendar.quarters": quarters,
                 "experiment.precision": precision, "experiment.max_replications": max_replications}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if replications is not None and precision is None and scenario.experiment.select is None:
        overrides["experiment.precision"] = None  # --replications alone: exactly that many
    if max_replications is not None and replications is None:  # a lower cap lowers the first batch with it
        overrides["experiment.replications"] = min(scenario.experiment.replications, max_replications)
    try:
        scenario = scenario.with_overrides(**overrides)
    except ValueError as exc:
        _fail(f"error: the overrides make the scenario invalid: {exc}")
    options = {"executor": executor, "workers": workers, "scheduler": scheduler, "resume": resume,
               "progress": not quiet and sys.stderr.isatty()}
    _print_data_warnings(scenario_file, scenario)
    _print_result(_run(ctx, scenario, out, **options))


def _print_data_warnings(scenario_file: Path, scenario: Scenario) -> None:
    """Before simulating, the data checks' warnings on stderr (nothing when there are none; validate lists all)."""
    for line in scenario_warnings(scenario, f"territory-sim validate {shlex.quote(str(scenario_file))}"):
        click.echo(line, err=True)


@main.command()
@click.option("--out", type=click.Path(path_type=Path), help="Results folder (default: ./results).")
@click.pass_context
def demo(ctx: click.Context, out: Path | None) -> None:
    """Run the shipped default scenario and print where the results went."""
    path = shipped_scenario()
    click.echo(f"running the default scenario {path}")
    _print_result(_run(ctx, _load(path), out, executor="local", progress=sys.stderr.isatty()))


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("--policy", "policy_name", required=True, help="Alignment policy (name or label in the scenario).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the alignment (.csv or .parquet).")
@click.pass_context
def align(ctx: click.Context, scenario_file: Path, policy_name: str, as_json: bool, out: Path | None) -> None:
    """Align a scenario's world with one policy; print its quality metrics and write the alignment."""
    scenario = _load(scenario_file)
    try:
        report, frame = align_report(scenario, policy_name)
    except (*USER_ERRORS, PolicyError, KeyError) as exc:
        if ctx.obj.get("debug"):
            raise
        _fail(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}")
    if out is not None:
        write_alignment(frame, out)
        report["written_to"] = str(out.resolve())
    if as_json:
        click.echo(json.dumps(report, indent=2, default=float))
        return
    click.echo(render_alignment(report), nl=False)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path), required=False)
@click.option("--replications", type=click.IntRange(min=1), default=10, show_default=True,
              help="Replications for every row (the elasticity row runs at least 20 pairs).")
@click.option("--quarters", type=click.IntRange(min=1), default=8, show_default=True,
              help="Simulated quarters (the published figures assume at least 8).")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: all cores).")
@click.pass_context
def calibrate(ctx: click.Context, scenario_file: Path | None, replications: int, quarters: int,
              workers: int | None) -> None:
    """Simulate a scenario (default: the shipped default) and compare it with the published figures.

    Exits 0 when every row is inside its band, 1 when any is not, 2 on bad input.
    """
    scenario = _load(scenario_file or shipped_scenario())
    try:
        scenario = scenario.with_overrides(**{"experiment.replications": replications, "experiment.precision": None,
                                              "experiment.select": None,
                                              "calendar.quarters": quarters})
    except ValueError as exc:
        _fail(f"error: the overrides make the scenario invalid: {exc}")
    try:
        table = calibrate_scenario(scenario, executor="local", workers=workers, progress=sys.stderr.isatty())
    except (*USER_ERRORS, PolicyError) as exc:
        if ctx.obj.get("debug"):
            raise
        _fail(f"error: {exc}")
        raise AssertionError("unreachable") from exc
    click.echo(table.assign(**{"pass": table["pass"].map({True: "pass", False: "FAIL"})})
               .drop(columns=["source", "note"]).to_string(index=False))
    notes = [f"row {row}: {note}" for row, note in zip(table["row"], table["note"], strict=True) if note]
    if quarters < 8:
        notes.append(f"{quarters} quarters: the published figures assume at least 8")
    if notes:
        click.echo("\n" + "\n".join(notes))
    passed = int(table["pass"].sum())
    click.echo(f"\n{passed} of {len(table)} rows inside their band "
               f"({scenario.name}, {quarters} quarters, {replications} replications)")
    if passed < len(table):
        ctx.exit(1)


@main.command()
@click.argument("run_folder", type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def report(ctx: click.Context, run_folder: Path) -> None:
    """Rebuild a run folder's report.html from its Parquet files."""
    try:
        path = build_report(run_folder)
    except (OSError, KeyError, ValueError) as exc:  # missing, unreadable or corrupt (ArrowInvalid is a ValueError)
        if ctx.obj.get("debug"):
            raise
        _fail(f"error: {run_folder} is not a complete run folder ({exc}); expected a folder written by "
              "`territory-sim run` (an interrupted one: finish it with `territory-sim run SCENARIO --resume`)")
    click.echo(f"report: {path.resolve()}")


@main.command("import-crm")
@click.option("--accounts", "accounts_file", required=True, type=click.Path(path_type=Path),
              help="Account report export (CSV: , ; TAB or | delimited; UTF-8, UTF-16 or Windows-1252).")
@click.option("--users", "users_file", type=click.Path(path_type=Path), help="User report export (CSV).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="Column for a field when it is not the Salesforce name (user fields: user.FIELD).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to write the world to.")
@click.option("--default-potential", default="segment-median", show_default=True, metavar="MODE",
              help=f"Potential of an account whose potential cell is empty: {', '.join(DEFAULT_POTENTIAL_MODES)} "
                   "or a number of dollars (reject: the row goes to rejects.csv).")
def import_crm_command(accounts_file: Path, users_file: Path | None, maps: tuple[str, ...], out: Path,
                       default_potential: str) -> None:
    """Import a CRM export as a world folder a scenario can use (world: files: ...)."""
    try:
        report = import_crm(accounts_file, out, users_file, list(maps), default_potential)
    except CrmError as exc:
        _fail(f"error: {exc}")
    for line in report.lines() + (report.checks.lines() if report.checks else []):
        click.echo(line)
    click.echo(f"written to {out}: accounts.parquet, reps.parquet, rejects.csv")
    click.echo(report.next_command())


@main.command("new")
@click.option("--world", "world_dir", required=True, type=click.Path(path_type=Path),
              help="A world folder written by import-crm (accounts and reps files).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Scenario file to write (default: next to the folder, named after it, e.g. world.yaml).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def new_command(world_dir: Path, out: Path | None, force: bool) -> None:
    """Write a commented scenario for an imported world folder: the plans, a precision target, a departure example."""
    try:
        path = write_starter(world_dir, out or default_out(world_dir), force)
    except StarterError as exc:
        _fail(f"error: {exc}")
    click.echo(f"wrote {path}\nnext: territory-sim validate {shlex.quote(str(path))}, then territory-sim run "
               f"{shlex.quote(str(path))}")


@main.command("export-crm")
@click.argument("run_folder", type=click.Path(path_type=Path))
@click.option("--policy", required=True, help="Policy (label) whose alignment to export.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="CSV file to write.")
@click.option("--changed-only", is_flag=True,
              help="Write only the accounts whose owner changes (the others are listed in <out>.unchanged.csv).")
def export_crm_command(run_folder: Path, policy: str, out: Path, changed_only: bool) -> None:
    """Write a policy's account owners as a CRM owner-update file (Id, OwnerId, PreviousOwnerId, Changed, names)."""
    try:
        result = export_alignment(run_folder, policy, out, changed_only)
    except CrmError as exc:
        _fail(f"error: {exc}")
    click.echo("\n".join(result.lines(out, policy)))


if __name__ == "__main__":
    main()
