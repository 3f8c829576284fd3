"""Calibration: simulate a scenario and set each published figure (CALIBRATION.md) beside its band.

The table ships as data (`simulator/data/calibration.yaml`). Every row is measured on the run's output, none reads
an input parameter:

- most rows are summary metrics of the run;
- time to fill is read from the vacancies' scheduled hires in the event log;
- new-hire productivity (the ramp) is measured from who worked which seat on which day and the pipeline they
  created (`ramp_sums`, `ramp_productivity`): for each rep-day worked by a rep (not a covering manager, not a
  vacant seat), the value of opportunities that rep created from visits that day over the potential of the seat's
  territory, pooled by tenure band over every replication (ratio of sums) and divided by the same rate of settled
  reps. Pipeline created is the measure, not revenue: revenue lags creation by the sales cycle (about 75 days),
  so a new hire's wins in months 4-6 mostly price the pipeline of months 1-3, and wins of the first months are
  largely the inherited pipeline of the rep before;
- the elasticity of revenue to call effort (calls: visits per rep-day) is measured by a second run with every
  rep's call capacity (field time) raised `EFFORT_STEP`, paired with the base run replication by replication
  (the same seed and replication numbers, so both face the same random draws: common random numbers), over at
  least `ELASTICITY_REPLICATIONS` pairs and more until its t-based 95% interval is narrow enough
  (`paired_elasticities`, `mean_interval`, `_precise_elasticity`).
"""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from simulator.experiment.executors import execute
from simulator.experiment.experiment import run_experiment
from simulator.experiment.runs import Task, prepare
from simulator.scenario import Scenario
from simulator.stats.compare import level_interval

EFFORT_STEP = 0.10  # call capacity (field time) raised by this share for the elasticity run
ELASTICITY_REPLICATIONS = 20  # paired replications the elasticity interval is measured over, at least
ELASTICITY_HALF_WIDTH = 0.05  # more pairs, 20 at a time, until the 95% interval is this narrow...
ELASTICITY_MAX_PAIRS = 160  # ...or this many pairs have run
CALENDAR_DAYS_PER_YEAR = 365.25
CALENDAR_DAYS_PER_MONTH = CALENDAR_DAYS_PER_YEAR / 12
SETTLED = "settled"
COLUMNS = ["row", "quantity", "simulated", "band", "pass", "source", "note"]


def calibration_targets() -> list[dict]:
    """The shipped calibration table."""
    text = resources.files("simulator.data").joinpath("calibration.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def calibrate(scenario: Scenario, **options: object) -> pd.DataFrame:
    """Simulated value, band, pass/fail and a note for every calibration row (as_is alignment, baseline only).

    The base run has max(replications, ELASTICITY_REPLICATIONS) replications, so that the elasticity pair has
    enough of them; every other row reads only the scenario's own replications of it (replication r draws the same
    numbers whatever the number of replications, so these are the runs a run of that many replications makes).
    The base run keeps every run's full tables (rep-days, reps, opportunities) for the ramp, so it runs serially.
    """
    scenario = scenario.with_overrides(policies=[scenario.policies[0].model_dump()], sweep={})
    asked = scenario.experiment.replications
    paired = max(asked, ELASTICITY_REPLICATIONS)
    scenario = scenario.with_overrides(**{"experiment.replications": paired})
    base = run_experiment(scenario, write=False, keep_runs=True, **options)
    admin = scenario.behaviour.admin_share
    # raise field time (1 - admin) by EFFORT_STEP: the new admin share
    more = scenario.with_overrides(**{"behaviour.admin_share": 1 - (1 - admin) * (1 + EFFORT_STEP)})
    pushed = run_experiment(more, write=False, **options)

    own = base.summary[base.summary["replication"] < asked]
    values = own.groupby("metric")["value"].mean().to_dict()
    values["time_to_fill_days"] = _time_to_fill(base.events[base.events["replication"] < asked], scenario)
    elasticity = _precise_elasticity(scenario, more, base.summary, pushed.summary, options)
    policy = scenario.policies[0].key
    territories = base.territories[base.territories["policy"] == policy]
    calendar_days_per_day = CALENDAR_DAYS_PER_YEAR / 4 / scenario.calendar.days_per_quarter

    rows = []
    for target in calibration_targets():
        metric = target["metric"]
        if metric == "ramp":
            bands = [tuple(band) for band in target["bands_months"]]
            sums = [ramp_sums(run.rep_days, run.reps, run.opportunities, territories[["seat", "potential"]],
                              calendar_days_per_day, bands, target["settled_months"])
                    for (_policy, replication), run in base.runs.items() if replication < asked]
            rows.append(_ramp_row(target, ramp_productivity(pool_ramp_sums(sums), target["min_rep_days"])))
        elif metric == "elasticity":
            note = (f"elasticity over {elasticity['n']} paired replications (at least {ELASTICITY_REPLICATIONS}, "
                    f"more until its 95% interval is within +-{ELASTICITY_HALF_WIDTH:.2f} or "
                    f"{ELASTICITY_MAX_PAIRS} ran); other rows over {asked}")
            rows.append(_elasticity_row(target, elasticity, note))
        else:
            value = values.get(metric, np.nan)
            ok = bool(np.isfinite(value) and target["low"] <= value <= target["high"])
            rows.append({**_row(target), "simulated": _fmt(value, target["unit"]),
                         "band": f"{_fmt(target['low'], target['unit'])} - {_fmt(target['high'], target['unit'])}",
                         "pass": ok, "note": ""})
    return pd.DataFrame(rows, columns=COLUMNS)


# -- new-hire productivity ------------------------------------------------------------------------------------
def ramp_sums(rep_days: pd.DataFrame, reps: pd.DataFrame, opportunities: pd.DataFrame,
              seat_potential: pd.DataFrame, calendar_days_per_day: float, bands: list[tuple[float, float]],
              settled_months: float) -> pd.DataFrame:
    """Rep-days, potential-days and visit pipeline created, by tenure band, of one run's tables.

    Args:
        rep_days: seat, day and kind ('rep', 'manager', 'none') of every seat-day (and quarter, if
            `seat_potential` is by quarter).
        reps: seat and hired day (working days; negative before the run) of every rep who held a seat.
        opportunities: seat_created, created (working day), value and source of every opportunity.
        seat_potential: potential of each seat's territory: seat, potential (and quarter, for one per quarter).
        calendar_days_per_day: calendar days per working day of the run's calendar.
        bands: tenure bands [from, to) in months.
        settled_months: tenure from which a rep is settled (the reference).

    Returns:
        One row per band (labelled "months 1-3" and so on), then one for settled reps ("settled"): rep_days,
        potential_days (the seat potential summed over the rep-days) and pipeline (value created on them).
        Rep-days of seats with no potential are left out.
    """
    worked = rep_days.loc[rep_days["kind"] == "rep"].copy()
    worked["day"] = worked["day"].astype(float)
    worked["seat"] = worked["seat"].astype(np.int64)
    occupants = reps[["seat", "hired"]].astype({"seat": np.int64, "hired": float}).sort_values("hired")
    # the rep in a seat on a day: the last one hired into it by then (a seat holds one rep at a time)
    worked = pd.merge_asof(worked.sort_values("day"), occupants, left_on="day", right_on="hired", by="seat",
                           direction="backward").dropna(subset=["hired"])
    tenure = (worked["day"] - worked["hired"]) * calendar_days_per_day / CALENDAR_DAYS_PER_MONTH

    made = opportunities[(opportunities["source"] == "visit") & (opportunities["seat_created"] >= 0)]
    created = (made.assign(seat=made["seat_created"].astype(np.int64), day=np.floor(made["created"]).astype(float))
               .groupby(["seat", "day"], as_index=False)["value"].sum())
    worked = worked.assign(tenure=tenure.to_numpy()).merge(created, on=["seat", "day"], how="left")
    keys = ["seat", "quarter"] if "quarter" in seat_potential.columns else ["seat"]
    potential = seat_potential[[*keys, "potential"]].astype({"seat": np.int64})
    worked = worked.merge(potential, on=keys, how="left")
    worked = worked[worked["potential"] > 0]

    def sums(label: str, mask: pd.Series) -> dict:
        return {"band": label, "rep_days": int(mask.sum()),
                "potential_days": float(worked.loc[mask, "potential"].sum()),
                "pipeline": float(worked.loc[mask, "value"].fillna(0.0).sum())}

    tenure = worked["tenure"]
    rows = [sums(_band_label(low, high), (tenure >= low) & (tenure < high)) for low, high in bands]
    rows.append(sums(SETTLED, tenure >= settled_months))
    return pd.DataFrame(rows).set_index("band")


def pool_ramp_sums(sums: list[pd.DataFrame]) -> pd.DataFrame:
    """Add up the band sums of several runs (the bands in their order)."""
    if not sums:
        return pd.DataFrame(columns=["rep_days", "potential_days", "pipeline"], index=pd.Index([], name="band"))
    pooled = sums[0].copy()
    for more in sums[1:]:
        pooled = pooled.add(more, fill_value=0)
    return pooled.loc[sums[0].index]


def ramp_productivity(sums: pd.DataFrame, min_rep_days: int) -> pd.DataFrame:
    """Each band's pipeline rate (pipeline / potential_days) over the settled rate: its productivity.

    NaN where the band, or the settled reference, has fewer than `min_rep_days` rep-days (or no pipeline to
    compare with). Returns the sums with `rate` and `productivity` (the settled row is the reference, 1.0).
    """
    table = sums.astype({"rep_days": float, "potential_days": float, "pipeline": float})
    table["rate"] = np.divide(table["pipeline"], table["potential_days"], out=np.full(len(table), np.nan),
                              where=table["potential_days"].to_numpy() > 0)
    enough = table["rep_days"] >= min_rep_days
    reference = table.loc[SETTLED, "rate"] if SETTLED in table.index and enough.get(SETTLED, False) else np.nan
    table["productivity"] = np.where(enough & np.isfinite(table["rate"]) & (reference > 0),
                                     table["rate"] / reference, np.nan)
    return table


def _band_label(low: float, high: float) -> str:
    first, last = int(math.floor(low)) + 1, int(math.ceil(high))
    return f"month {last}" if first == last else f"months {first}-{last}"


def _ramp_row(target: dict, table: pd.DataFrame) -> dict:
    bands = table.drop(index=SETTLED, errors="ignore")
    measured = bands["productivity"].to_numpy()
    expected = np.asarray(target["expected"], dtype=float)
    tolerance = float(target["tolerance"])
    ok = bool(len(measured) == len(expected) and np.all(np.isfinite(measured))
              and np.all(np.abs(measured - expected) <= tolerance + 1e-12))
    min_days = target["min_rep_days"]
    short = [f"{label} {int(days)}" for label, days in table["rep_days"].items() if days < min_days]
    note = (f"too few rep-days to measure (need {min_days}): " + ", ".join(short)) if short else ""
    if not short and not np.all(np.isfinite(measured)):
        note = "no pipeline created by settled reps to compare with"
    return {**_row(target), "simulated": " / ".join("n/a" if not np.isfinite(p) else f"{p:.0%}" for p in measured),
            "band": " / ".join(f"{e:.0%}" for e in expected) + f" ±{tolerance * 100:.0f} pts", "pass": ok,
            "note": note}


# -- elasticity -----------------------------------------------------------------------------------------------
def paired_elasticities(base: pd.DataFrame, pushed: pd.DataFrame) -> pd.Series:
    """Per replication: log(revenue ratio) / log(calls ratio) of the pushed run over the base run.

    Call effort is what the row names (the elasticity of revenue to call effort, at the default call frequency):
    the visits reps make, per rep-day worked (the same paid time in both runs). The push that raises it is call
    capacity (field time). Replications present in both summaries are paired; the result is indexed by
    replication.
    """
    def per_replication(summary: pd.DataFrame, metric: str) -> pd.Series:
        return summary[summary["metric"] == metric].groupby("replication")["value"].mean()

    revenue = per_replication(pushed, "revenue") / per_replication(base, "revenue")
    calls = per_replication(pushed, "visits_per_rep_day") / per_replication(base, "visits_per_rep_day")
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.log(revenue) / np.log(calls)).dropna().rename("elasticity")


def _precise_elasticity(scenario: Scenario, more: Scenario, base: pd.DataFrame, pushed: pd.DataFrame,
                        options: dict) -> dict[str, float]:
    """The elasticity's mean and 95% interval, adding batches of paired replications until it is precise.

    Starts from the pairs already run; adds `ELASTICITY_REPLICATIONS` more pairs at a time until the interval's
    half-width is at most `ELASTICITY_HALF_WIDTH` or `ELASTICITY_MAX_PAIRS` pairs have run (a small world is
    noisier: its reps are few).
    """
    interval = mean_interval(paired_elasticities(base, pushed))
    first = int(base["replication"].max()) + 1
    while (not interval["high"] - interval["mean"] <= ELASTICITY_HALF_WIDTH) and first < ELASTICITY_MAX_PAIRS:
        batch = range(first, min(first + ELASTICITY_REPLICATIONS, ELASTICITY_MAX_PAIRS))
        base = pd.concat([base, _summaries(scenario, batch, options)], ignore_index=True)
        pushed = pd.concat([pushed, _summaries(more, batch, options)], ignore_index=True)
        interval = mean_interval(paired_elasticities(base, pushed))
        first = batch.stop
    return interval


def _summaries(scenario: Scenario, replications: range, options: dict) -> pd.DataFrame:
    """Summary rows of the scenario's first policy for the given replications (no run folder)."""
    prepared = prepare(scenario)
    spec = scenario.policies[0]
    tasks = [Task(scenario, 0, (), spec.key, 0, replication, tuple(prepared.alignments.items()))
             for replication in replications]
    rows: dict[int, pd.DataFrame] = {}
    execute(tasks, lambda task, tables: rows.__setitem__(task.replication, tables["summary"]),
            str(options.get("executor", "serial")), options.get("workers"))
    return pd.concat([rows[r] for r in replications], ignore_index=True)


def mean_interval(values: pd.Series | np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean of the finite values and its t-based interval: mean, low, high, n (interval NaN below two values)."""
    finite = np.asarray(values, dtype=float)
    n = int(np.isfinite(finite).sum())
    mean, half = level_interval(finite, level)
    if mean is None:
        return {"mean": np.nan, "low": np.nan, "high": np.nan, "n": n}
    if half is None:
        return {"mean": mean, "low": np.nan, "high": np.nan, "n": n}
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}


def _elasticity_row(target: dict, interval: dict[str, float], note: str) -> dict:
    mean = interval["mean"]
    text = "n/a" if not np.isfinite(mean) else f"{mean:.2f}"
    if np.isfinite(interval["low"]):
        text += f" (95% CI {interval['low']:.2f} to {interval['high']:.2f}, n={interval['n']})"
    else:
        text += f" (n={interval['n']})"
    ok = bool(np.isfinite(mean) and target["low"] <= mean <= target["high"])
    return {**_row(target), "simulated": text,
            "band": f"{_fmt(target['low'], target['unit'])} - {_fmt(target['high'], target['unit'])}", "pass": ok,
            "note": note}


# -- the rest -------------------------------------------------------------------------------------------------
def _row(target: dict) -> dict:
    return {"row": target["row"], "quantity": target["quantity"], "source": target["source"]}


def _fmt(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "days":
        return f"{value:.0f}"
    return f"{value:.2f}"


def _time_to_fill(events: pd.DataFrame, scenario: Scenario) -> float:
    """Mean calendar days from a vacancy to its scheduled hire."""
    vacancies = events[(events["event"] == "vacancy") & (events["hire_day"] >= 0)]
    if vacancies.empty:
        return float("nan")
    working = (vacancies["hire_day"] - vacancies["day"]).mean()
    return float(working * CALENDAR_DAYS_PER_YEAR / 4 / scenario.calendar.days_per_quarter)
