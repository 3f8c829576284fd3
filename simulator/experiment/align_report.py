"""Aligning a scenario's world with one policy, outside a simulation: quality report and alignment rows."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.alignment import FAR_EXCEPTION_HOURS, Alignment, alignment_quality, far_exceptions
from simulator.io import atomic_write, write_parquet
from simulator.policies import call_policy, get_policy
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world import World, build_world

SEARCH_KEYS = ("moves_spent", "move_budget_hit", "time_limit_hit")  # a policy's search effort, where it reports one
OPTIMISE_KEYS = ("start", "primary", "search_replications", "evaluations", "proposals_screened", "confirmations",
                 "in_sample_difference", "in_sample_relative_difference", "disruption_share", "disruption_budget",
                 "start_over_disruption_budget", "steps")


def align_report(scenario: Scenario, policy: str) -> tuple[dict, pd.DataFrame]:
    """Align the scenario's world with one policy (by label or name): its quality metrics and the alignment.

    Returns:
        (report, alignment rows): the report's keys are territories, workload_cv, workload_max_deviation,
        potential_cv, potential_max_deviation, seats_within_tolerance, contiguous_territories, compactness_hours,
        disruption_account_share, disruption_potential_share, seconds, far_exceptions (per seat with account-level
        exceptions more than `far_exception_hours` from its territory: rep_id, accounts, farthest_hours; those
        seats do not count as contiguous), plus what the policy reports (seats missing
        the tolerance, achievable tolerance, split units, and for `balanced` / `min_disruption` the search moves spent,
        whether the move budget ran out and whether the wall-clock safety net was hit).
    """
    world = build_world(scenario)
    spec = next((s for s in scenario.policies if policy in (s.key, s.name)), None)
    name, params = (spec.name, dict(spec.params)) if spec else (policy, {})
    seats = world.initial_seats()
    baseline = get_policy("as_is")(world, seats, {}, Streams(0).generator("as_is"))
    started = time.perf_counter()
    alignment = call_policy(name, world, seats, params, Streams(scenario.experiment.seed).generator(f"policy.{policy}"),
                            scenario)
    seconds = time.perf_counter() - started
    tolerance = float(params.get("tolerance", 0.05))
    quality = alignment_quality(world, alignment, world.hours_per_km, tolerance, baseline)
    report = {
        "policy": policy, "territories": int(quality["territories"]),
        "workload_cv": quality["workload_cv"], "workload_max_deviation": quality["workload_max_deviation"],
        "potential_cv": quality["potential_cv"], "potential_max_deviation": quality["potential_max_deviation"],
        "seats_within_tolerance": int(round(quality["share_within_tolerance"] * quality["territories"])),
        "contiguous_territories": int(round(quality["contiguous_share"] * quality["territories"])),
        "compactness_hours": quality["compactness_hours"],
        "disruption_account_share": quality["disruption_account_share"],
        "disruption_potential_share": quality["disruption_potential_share"],
        "seconds": round(seconds, 3),
        "tolerance": tolerance,
        "achievable_tolerance": alignment.info.get("achievable_tolerance", quality["workload_max_deviation"]),
        "seats_missing": list(alignment.info.get("seats_missing", [])),
        "splits": list(alignment.info.get("splits", [])),
        "far_exceptions": far_exception_rows(world, alignment), "far_exception_hours": FAR_EXCEPTION_HOURS,
        **{key: alignment.info[key] for key in SEARCH_KEYS if key in alignment.info},
        # optimise: the simulated search, each accepted step with the gain and lower bound it was accepted on
        **{key: alignment.info[key] for key in OPTIMISE_KEYS if key in alignment.info},
    }
    return report, alignment_rows(world, alignment)


def far_exception_rows(world: World, alignment: Alignment) -> list[dict]:
    """Per seat, the account-level exceptions far from its territory: rep_id, accounts, farthest_hours."""
    far = far_exceptions(world, alignment, world.hours_per_km)
    rep_ids = world.reps["rep_id"].astype(str).to_numpy()
    return [{"rep_id": str(rep_ids[seat]), "accounts": int(len(group)),
             "farthest_hours": round(float(group["hours"].max()), 2)}
            for seat, group in far.groupby("seat", sort=True)]


def alignment_rows(world: World, alignment: Alignment) -> pd.DataFrame:
    """An alignment as rows: every unit's rep (id and name), then every named-account exception."""
    rep_ids, names = world.reps["rep_id"].astype(str).to_numpy(), world.rep_names
    units = pd.DataFrame({"kind": "unit", "id": world.units["unit_id"].astype(str).to_numpy(),
                          "rep_id": rep_ids[alignment.unit_seat], "rep_name": names[alignment.unit_seat]})
    accounts = pd.DataFrame({"kind": "account",
                             "id": [str(world.accounts["account_id"].iat[a]) for a in alignment.overrides],
                             "rep_id": [rep_ids[s] for s in alignment.overrides.values()],
                             "rep_name": [names[s] for s in alignment.overrides.values()]})
    return pd.concat([units, accounts], ignore_index=True)


def write_alignment(frame: pd.DataFrame, path: Path) -> None:
    """Write alignment rows as CSV or Parquet (by extension), atomically."""
    if path.suffix.lower() in (".parquet", ".pq"):
        write_parquet(frame, path)
    else:
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def assignments(world: World, alignments: dict[str, Alignment]) -> pd.DataFrame:
    """Owner of every account under each policy's alignment (before any workforce change), and today's owner."""
    rep_ids, names = world.reps["rep_id"].to_numpy(), world.rep_names
    recorded = world.accounts["owner"].to_numpy(dtype=np.int64)
    current = np.where(recorded >= 0, rep_ids[np.maximum(recorded, 0)], "")
    current_name = np.where(recorded >= 0, names[np.maximum(recorded, 0)], None)
    return pd.concat([pd.DataFrame({"policy": policy, "account_id": world.accounts["account_id"].to_numpy(),
                                    "seat": (seats := alignment.account_seats(world)), "rep_id": rep_ids[seats],
                                    "rep_name": names[seats], "current_rep_id": current,
                                    "current_rep_name": current_name})
                      for policy, alignment in alignments.items()], ignore_index=True)
