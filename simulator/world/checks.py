"""Checks of a world's data before simulating it: what in the data can make an answer wrong, in sentences.

`data_checks(world, scenario)` (validate, the top of run) and `import_checks(accounts, reps, ...)` (import-crm,
from the imported tables) report:

- **Potential concentration**: the share of all potential held by the top 1, 5 and 10 accounts, and a warning when
  one account can decide the verdict. The rule: an account's revenue is a sum of deals worth a share of its
  potential (`behaviour.pipeline.deal_value_share`, lognormal), so its variance over replications grows with the
  square of its potential, and account i carries p_i² / Σ p_j² of the variance of total revenue. When the largest
  account carries more than `DECIDING_VARIANCE_SHARE` (a quarter) of it, its luck alone is at least half the
  standard deviation of the total (√¼ = ½): a paired difference between plans, above all one that moves that
  account, can take its sign from a few of its deals. Among 2,000 lognormal (σ = 1.6) accounts, as in
  `tests/crm_world.py`, the largest holds 2 to 9% of the potential depending on the draw and carries a seventh to
  seven tenths of the variance (about half the draws warn); one holding 5% carries a third to a half, one holding
  10% (the Midwest export) about three quarters.
- **Reach**: how far each owned account is from its owner's home (one way, by the scenario's travel model) and how
  it will be covered: day trips within `behaviour.trips.overnight_beyond_hours`, overnight trips beyond, fly-in trips
  beyond `behaviour.trips.fly_in_beyond_hours`. A warning when trips are disabled but accounts lie beyond a day
  trip, or when accounts lie more than a working day's drive away and still short of the fly-in distance (driven).
- **Unowned accounts**, their potential, and what `as_is` does with them.
- **Accounts with no potential**: those whose potential was assumed (column `potential_assumed`, e.g. by
  `import-crm --default-potential`) and those with zero potential.

Every number is formatted by the metric catalogue's unit formatting (`format_value`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.catalogue import format_value
from simulator.scenario import Scenario
from simulator.schema.behaviour import Behaviour, Trips
from simulator.schema.world import Calendar, TravelConfig
from simulator.world import WorldDataError, build_world  # the package's entry point (it never imports this module)
from simulator.world.model import World
from simulator.world.travel import GreatCircleTravel, TravelError

DECIDING_VARIANCE_SHARE = 0.25
"""A warning when the largest account carries more than this share of the variance of total revenue."""
TOP = (1, 5, 10)
LISTED = 5  # accounts named in a line


@dataclass(frozen=True)
class DataChecks:
    """Findings about a world's data; `lines()` says them in sentences, `warnings` are the ones to act on.

    Attributes:
        accounts, total_potential: how many accounts, and their potential ($).
        top_shares: the shares of all potential held by the top 1, 5 and 10 accounts.
        top_account: the largest account ("Name (Id), owned by Rep"); top_variance_share its p₁² / Σ pⱼ².
        day_trip, overnight, fly_in: owned accounts by how their owner reaches them (one-way drive from home);
            with their potential shares; beyond_workday: those over a working day's drive that do not fly in.
        farthest: the owned account farthest from its owner ("Name (Id), 27.3 h from Rep"), or "".
        unowned, unowned_potential_share: accounts without an owner, and their share of potential.
        assumed: the accounts whose potential was assumed (labels); assumed_rule: what they were given.
        zero_potential: accounts with zero (not assumed) potential.
        warnings: short sentences for what can make an answer wrong; advice: what to do about each.
    """

    accounts: int
    total_potential: float
    top_shares: tuple[float, ...]
    top_account: str
    top_variance_share: float
    day_trip: int
    overnight: int
    overnight_potential_share: float
    fly_in: int
    fly_in_potential_share: float
    beyond_workday: int
    farthest: str
    overnight_beyond_hours: float
    fly_in_beyond_hours: float | None
    trips_enabled: bool
    workday_hours: float
    unowned: int
    unowned_potential_share: float
    assumed: tuple[str, ...]
    assumed_rule: str
    zero_potential: int
    warnings: tuple[str, ...]
    advice: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The findings as short sentences (warnings start with 'warning:')."""
        tops = ", ".join(f"the top {'account' if k == 1 else k} {share(s)}"
                         for k, s in zip(TOP, self.top_shares, strict=True))
        lines = [f"data checks: {self.accounts:,} accounts, {format_value('money', self.total_potential)} of "
                 f"potential",
                 f"  concentration: {tops} of all potential (the largest is {self.top_account})"]
        owned = self.day_trip + self.overnight + self.fly_in
        reach = f"  reach: {self.day_trip:,} of {owned:,} owned accounts within {self.overnight_beyond_hours:g} h" \
                f" one way of their rep's home (day trips)"
        if self.overnight:
            how = "overnight trips" if self.trips_enabled else "day trips only (behaviour.trips.enabled is false)"
            reach += f"; {self.overnight:,} ({share(self.overnight_potential_share)} of potential) further: {how}"
        if self.fly_in:
            reach += (f"; {self.fly_in:,} ({share(self.fly_in_potential_share)} of potential) beyond "
                      f"{self.fly_in_beyond_hours:g} h: fly-in trips")
        lines.append(reach + (f"; the farthest is {self.farthest}" if self.farthest else ""))
        if self.unowned:
            lines.append(f"  unowned: {self.unowned:,} accounts ({share(self.unowned_potential_share)} of potential) "
                         "have no owner; as_is gives each to the rep holding most of its area's potential (the "
                         "nearest rep where nobody holds any), the other policies assign them like any account")
        if self.assumed:
            lines.append(f"  no potential: {len(self.assumed):,} accounts had none; they were given "
                         f"{self.assumed_rule}, marked in column potential_assumed: {_listed(self.assumed)}")
        if self.zero_potential:
            lines.append(f"  zero potential: {self.zero_potential:,} accounts are visited as their segment requires "
                         "but can win nothing")
        for index, warning in enumerate(self.warnings):
            lines.append(f"warning: {warning}")
            if index < len(self.advice):
                lines.append(f"  {self.advice[index]}")
        return lines

    def warning_lines(self, where_all: str) -> list[str]:
        """Only the warnings (none when there are none), after a line saying where all the checks are."""
        if not self.warnings:
            return []
        return [f"data checks ({where_all} lists them all):"] + [f"warning: {w}" for w in self.warnings]


def data_checks(world: World, scenario: Scenario) -> DataChecks:
    """The checks of a built world under a scenario (its trips, workday and travel model)."""
    accounts, reps = world.accounts, world.reps
    owner = accounts["owner"].to_numpy(dtype=np.int64)
    hours = np.full(len(accounts), np.nan)
    for seat in np.unique(owner[owner >= 0]):
        mine = np.flatnonzero(owner == seat)
        hours[mine] = world.travel.between(mine, np.array([world.home_location(int(seat))]))[:, 0]
    assumed = accounts["potential_assumed"].to_numpy(dtype=bool) if "potential_assumed" in accounts else None
    return _checks(_labels(accounts), world.account_potential, owner, hours, _rep_labels(reps), assumed,
                   _assumed_values(world.account_potential, assumed), scenario.behaviour.trips,
                   scenario.calendar.workday_hours)


def _assumed_values(potential: np.ndarray, assumed: np.ndarray | None) -> str:
    """What the accounts marked potential_assumed hold: "an assumed potential of $249.0k each" (or a range)."""
    values = np.unique(potential[assumed]) if assumed is not None and assumed.any() else np.array([])
    if len(values) == 0:
        return "an assumed potential"
    if len(values) == 1:
        return f"an assumed potential of {format_value('money', float(values[0]))} each"
    return (f"an assumed potential of {format_value('money', float(values[0]))} to "
            f"{format_value('money', float(values[-1]))}")


def scenario_warnings(scenario: Scenario, where_all: str) -> list[str]:
    """The warnings of the checks of a scenario's world (`DataChecks.warning_lines`).

    None when the world cannot be built: the command that builds it next says why.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return data_checks(build_world(scenario), scenario).warning_lines(where_all)
    except (WorldDataError, TravelError):
        return []


def import_checks(accounts: pd.DataFrame, reps: pd.DataFrame, assumed_rule: str) -> DataChecks:
    """The checks of an imported world folder's tables, under the default trips, workday and travel model."""
    travel_config = TravelConfig()
    travel = GreatCircleTravel(np.concatenate([accounts["lat"].to_numpy(float), reps["home_lat"].to_numpy(float)]),
                               np.concatenate([accounts["lon"].to_numpy(float), reps["home_lon"].to_numpy(float)]),
                               travel_config.circuity, travel_config.speed_kmh)
    index = {rep: i for i, rep in enumerate(reps["rep_id"])}
    owner = np.array([index.get(o, -1) if isinstance(o, str) else -1 for o in accounts["owner"]], dtype=np.int64)
    hours = np.full(len(accounts), np.nan)
    for seat in np.unique(owner[owner >= 0]):
        mine = np.flatnonzero(owner == seat)
        hours[mine] = travel.between(mine, np.array([len(accounts) + int(seat)]))[:, 0]
    return _checks(_labels(accounts), accounts["potential"].to_numpy(float), owner, hours, _rep_labels(reps),
                   accounts["potential_assumed"].to_numpy(dtype=bool), assumed_rule, Behaviour().trips,
                   Calendar().workday_hours)


def _labels(accounts: pd.DataFrame) -> np.ndarray:
    """'Name (Id)' of each account, or its Id when it has no name."""
    ids = accounts["account_id"].astype(str).to_numpy()
    if "name" not in accounts:
        return ids
    names = accounts["name"].fillna("").astype(str).str.strip().to_numpy()
    return np.array([f"{n} ({i})" if n else i for n, i in zip(names, ids, strict=True)], dtype=object)


def _rep_labels(reps: pd.DataFrame) -> np.ndarray:
    if "name" in reps:
        names = reps["name"].fillna("").astype(str).str.strip()
        return np.where(names != "", names, reps["rep_id"].astype(str)).astype(object)
    return reps["rep_id"].astype(str).to_numpy(dtype=object)


def share(fraction: float) -> str:
    """A share as the catalogue writes it."""
    return format_value("share", fraction)


def _listed(labels: tuple[str, ...] | list[str]) -> str:
    return ", ".join(labels[:LISTED]) + (f" and {len(labels) - LISTED:,} more" if len(labels) > LISTED else "")


def _checks(labels: np.ndarray, potential: np.ndarray, owner: np.ndarray, hours: np.ndarray, rep_labels: np.ndarray,
            assumed: np.ndarray | None, assumed_rule: str, trips: Trips, workday_hours: float) -> DataChecks:
    total = float(potential.sum())
    order = np.argsort(-potential, kind="stable")
    shares = tuple(float(potential[order[:k]].sum() / total) if total > 0 else 0.0 for k in TOP)
    squares = float(np.square(potential / potential.max()).sum()) if total > 0 else 0.0
    variance_share = 1.0 / squares if squares > 0 else 0.0
    top = order[0] if len(order) else None
    top_label = "" if top is None else f"{labels[top]}" + (
        f", owned by {rep_labels[owner[top]]}" if owner[top] >= 0 else ", unowned")
    fly_in_hours = trips.fly_in_beyond_hours
    owned = owner >= 0
    fly_in = owned & (hours > fly_in_hours) if trips.enabled else np.zeros_like(owned)
    overnight = owned & (hours > trips.overnight_beyond_hours) & ~fly_in
    beyond_workday = owned & (hours > workday_hours) & ~fly_in
    far = int(np.nanargmax(np.where(owned, hours, -1.0))) if owned.any() else None
    farthest = "" if far is None or hours[far] <= trips.overnight_beyond_hours else \
        f"{labels[far]}, {format_value('hours', hours[far])} from {rep_labels[owner[far]]}"

    def potential_share(mask: np.ndarray) -> float:
        return float(potential[mask].sum() / total) if total > 0 else 0.0

    assumed_labels = tuple(labels[assumed]) if assumed is not None else ()
    warnings, advice = [], []
    if variance_share > DECIDING_VARIANCE_SHARE and len(potential) > 1:
        warnings.append(f"one account can decide the verdict: {labels[top]} holds "
                        f"{format_value('share', shares[0])} of all potential, "
                        f"{format_value('share', variance_share)} of the revenue variance (over "
                        f"{format_value('share', DECIDING_VARIANCE_SHARE)})")
        advice.append("trust only a verdict on many paired replications, and check that this account's potential "
                      "is what it could buy from you, not its own revenue")
    if not trips.enabled and overnight.any():
        warnings.append(f"{int(overnight.sum()):,} accounts lie beyond a day trip "
                        f"({trips.overnight_beyond_hours:g} h one way) but trips are disabled: day trips only")
        advice.append("set behaviour.trips.enabled: true to cover them with overnight trips")
    if beyond_workday.any() and trips.enabled:
        warnings.append(f"{int(beyond_workday.sum()):,} accounts are over a working day's drive "
                        f"({workday_hours:g} h) one way from their rep, under the fly-in {fly_in_hours:g} h")
        advice.append("an overnight trip to one spends days on the road; give such accounts to a nearer rep, or "
                      "fly in (behaviour.trips.fly_in_beyond_hours)")
    return DataChecks(
        accounts=len(potential), total_potential=total, top_shares=shares, top_account=top_label,
        top_variance_share=variance_share, day_trip=int((owned & ~overnight & ~fly_in).sum()),
        overnight=int(overnight.sum()), overnight_potential_share=potential_share(overnight),
        fly_in=int(fly_in.sum()), fly_in_potential_share=potential_share(fly_in),
        beyond_workday=int(beyond_workday.sum()), farthest=farthest,
        overnight_beyond_hours=trips.overnight_beyond_hours, fly_in_beyond_hours=fly_in_hours,
        trips_enabled=trips.enabled, workday_hours=workday_hours, unowned=int((~owned).sum()),
        unowned_potential_share=potential_share(~owned), assumed=assumed_labels, assumed_rule=assumed_rule,
        zero_potential=int(((potential == 0) & ~(assumed if assumed is not None else False)).sum()),
        warnings=tuple(warnings), advice=tuple(advice))
