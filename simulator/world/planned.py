"""Seats that open during a run: hire events with a home base, and headcount increases.

They are part of the world from the start (their homes are travel locations), marked with the event that opens
them; the engine keeps them closed until that event.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from simulator.scenario import DepartureEvent, HeadcountEvent, HireEvent, RealignEvent, Scenario, ScenarioError
from simulator.schema.base import did_you_mean
from simulator.schema.errors import key_lines
from simulator.schema.policy_params import ACCOUNT_MEASURES
from simulator.schema.yaml_guard import load_yaml
from simulator.world.assembly import travel_model
from simulator.world.model import World


def with_planned_seats(world: World, scenario: Scenario) -> World:
    """The world plus one seat per hire event and per seat a headcount event opens."""
    reps = world.reps.assign(opens_day=0, event=-1)
    extra = []
    for index, event in enumerate(scenario.events):
        if isinstance(event, HireEvent):
            extra.append({"rep_id": event.rep or f"NEW{index:02d}", "name": event.rep or f"New rep (events.{index})",
                          "home_city": None, "home_lat": event.home_lat,
                          "home_lon": event.home_lon, "tenure_days": 0.0, "opens_day": 1, "event": index})
        elif isinstance(event, HeadcountEvent) and event.change > 0:
            for k, (lat, lon) in enumerate(_homes_for_new_seats(world, event.change)):
                extra.append({"rep_id": f"NEW{index:02d}-{k + 1}", "name": f"New rep {k + 1} (events.{index})",
                              "home_city": None, "home_lat": lat, "home_lon": lon,
                              "tenure_days": 0.0, "opens_day": 1, "event": index})
    if not extra:
        return dataclasses.replace(world, reps=reps)
    reps = pd.concat([reps, pd.DataFrame(extra)], ignore_index=True)
    return dataclasses.replace(world, reps=reps, travel=travel_model(scenario, world.accounts, reps))


def _homes_for_new_seats(world: World, count: int) -> list[tuple[float, float]]:
    """Where new reps would be based: in the busiest as-is territories, among their farther accounts."""
    owner = world.accounts["owner"].to_numpy()
    demand = world.account_visits_required * world.account_visit_hours
    load = np.bincount(owner[owner >= 0], weights=demand[owner >= 0], minlength=world.n_reps)
    homes = []
    for seat in np.argsort(-load, kind="stable")[:count]:
        members = np.flatnonzero(owner == seat)
        if len(members) == 0:
            continue
        hours = world.travel.between(np.array([world.home_location(int(seat))]), members)[0]
        far = members[hours >= np.median(hours)]
        weights = demand[far]
        homes.append((float(np.average(world.accounts["lat"].to_numpy()[far], weights=weights)),
                      float(np.average(world.accounts["lon"].to_numpy()[far], weights=weights))))
    return homes


def check_events(scenario: Scenario, world: World) -> None:
    """Raise ScenarioError if an event or a policy parameter names what the world does not have.

    Events: a departing rep the world does not have (by rep_id or name; an ambiguous name too, `rep_problem`), a
    hire under a taken rep id, more departures than reps, a headcount increase that cannot place all its seats.
    Policy parameters: a measure that is neither an account measure nor a numeric unit column; reps, units or
    accounts of `targets` and `locked_*` the world lacks.
    """
    initial = world.reps.loc[world.reps["opens_day"] == 0, "rep_id"].astype(str).tolist()
    known = set(initial)
    problems = []
    where = scenario.source or "scenario"
    for index, spec in enumerate(scenario.policies):
        problems += [f"{where}: policies.{index}.params.{p}" for p in _param_problems(world, spec.params)]
    for index, event in enumerate(scenario.events):
        if isinstance(event, RealignEvent):
            problems += [f"{where}: events.{index}.params.{p}" for p in _param_problems(world, event.params)]
        if isinstance(event, DepartureEvent) and event.count is not None and event.count > len(initial):
            problems.append(f"{where}: events.{index}.count: {event.count} reps cannot leave a world of "
                            f"{len(initial)}; expected at most {len(initial)}")
        if isinstance(event, HeadcountEvent) and event.change < 0 and -event.change > len(initial):
            problems.append(f"{where}: events.{index}.change: {event.change} closes more seats than the world's "
                            f"{len(initial)}")
        if isinstance(event, HeadcountEvent) and event.change > 0:
            placed = int((world.reps["event"] == index).sum())
            if placed < event.change:
                problems.append(f"{where}: events.{index}.change: only {placed} of the {event.change} new seats "
                                "can be placed (one per as-is territory with accounts); expected at most "
                                f"{placed}")
        if isinstance(event, DepartureEvent) and event.rep is not None:
            problem = rep_problem(world, event.rep)
            if problem:
                problems.append(f"{_at_line(where, scenario, index)}: events.{index}.rep: {problem}")
        if isinstance(event, HireEvent) and event.rep is not None and event.rep in known:
            problems.append(f"{where}: events.{index}.rep: '{event.rep}' is already a rep of the world")
    if problems:
        raise ScenarioError(where, problems)


def rep_problem(world: World, rep: str, listed: int = 12) -> str | None:
    """What is wrong with naming a rep of the world's initial seats as `rep` (None when it names exactly one).

    An unknown rep, or a name several reps share, is explained with the known reps (name and rep_id) and the
    closest match.
    """
    seats = world.initial_seats()
    found = world.seats_of_rep(rep, seats)
    if len(found) == 1:
        return None
    ids = world.reps["rep_id"].astype(str).to_numpy()
    if found:
        return (f"{len(found)} reps are called '{rep}' ({', '.join(ids[s] for s in found)}); "
                "name the one who leaves by its rep_id")
    names = [str(world.rep_names[s]) for s in seats]
    hint = did_you_mean(rep, names) or did_you_mean(rep, ids[seats].tolist())
    known = [name if name == ids[s] else f"{name} ({ids[s]})" for name, s in zip(names, seats, strict=True)]
    more = f", ... ({len(known)} reps)" if len(known) > listed else ""
    return (f"unknown rep '{rep}'{hint}; expected a rep's name or rep_id: {', '.join(known[:listed])}{more}")


def _at_line(where: object, scenario: Scenario, index: int) -> str:
    """`where` with the line of event `index` in the scenario file, when the file can be read again."""
    if scenario.source is None:
        return str(where)
    try:
        line = key_lines(load_yaml(Path(scenario.source).read_text(encoding="utf-8"))[1]).get(("events", index))
    except (OSError, ValueError, yaml.YAMLError):  # unreadable now (a decoding error is a ValueError)
        return str(where)
    return f"{where}:{line}" if line else str(where)


def _param_problems(world: World, params: dict) -> list[str]:
    """What an alignment policy's parameters name that the world does not have ("key: problem" each)."""
    problems = []
    measure = params.get("measure")
    numeric = [c for c in world.units.columns if c not in ("lat", "lon", "owner")
               and pd.api.types.is_numeric_dtype(world.units[c])]
    for name in (measure if isinstance(measure, dict) else [measure] if isinstance(measure, str) else []):
        if name not in ACCOUNT_MEASURES and name not in numeric:
            hint = did_you_mean(str(name), [*ACCOUNT_MEASURES, *numeric])
            problems.append(f"measure: unknown measure {name!r}" + (hint or f"; expected {', '.join(ACCOUNT_MEASURES)} "
                                                                      "or a numeric unit column"))
    reps = set(world.reps["rep_id"].astype(str))
    ids = {"locked_units": set(world.units["unit_id"].astype(str)),
           "locked_accounts": set(world.accounts["account_id"].astype(str))}
    for key in ("targets", "locked_units", "locked_accounts"):
        for item, value in (params.get(key) or {}).items():
            rep = item if key == "targets" else value
            if key in ids and str(item) not in ids[key]:
                problems.append(f"{key}.{item}: unknown {key.removeprefix('locked_')[:-1]} {item!r}")
            if str(rep) not in reps:
                problems.append(f"{key}.{item}: unknown rep {rep!r}{did_you_mean(str(rep), reps)}")
    return problems
