"""Seeded synthetic worlds: accounts clustered around metro centres, ZIP-like units, reps and an as-is split.

Homes split the workload evenly (`power.balanced_centres`); the as-is split is a weighted Voronoi of units around
them with random weights, which leaves it unbalanced the way inherited territories are (workload CV near 0.3 at the
default imbalance). Every step is linear in the accounts (k-d trees, never an accounts x reps matrix).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from simulator.scenario import Scenario, SyntheticWorld
from simulator.streams import Streams
from simulator.world.assembly import assemble_world, segments_by_rank, workload_proxy
from simulator.world.geography import EARTH_RADIUS_KM
from simulator.world.model import World
from simulator.world.power import balanced_centres, choose_home, every_seat_served, nearest_homes

WORKING_DAYS_PER_YEAR = 252


def generate_world(scenario: Scenario) -> World:
    """Build the synthetic world a scenario describes; the same `world.synthetic.seed` gives the same world."""
    config = scenario.world.synthetic
    assert config is not None, "generate_world needs a synthetic world config"
    streams = Streams(config.seed, replication=0)
    n_units = config.units or max(1, config.accounts // 5)

    metro_xy, metro_weight = _metros(config, streams.generator("world.metros"))
    account_xy = _scatter(config.accounts, config, metro_xy, metro_weight, streams.generator("world.accounts"))
    unit_xy = _scatter(n_units, config, metro_xy, metro_weight, streams.generator("world.units"))
    _, account_unit = cKDTree(unit_xy).query(account_xy)

    potential_rng = streams.generator("world.potential")
    log_potential = config.potential_sigma * potential_rng.standard_normal(config.accounts)
    potential = config.potential_median * np.exp(log_potential)
    segment = segments_by_rank(potential, scenario)
    workload_weight = workload_proxy(account_xy, segment, scenario)

    homes, bias = balanced_centres(config.reps, account_xy, workload_weight, streams.generator("world.homes"))
    unit_seat = _as_is_split(unit_xy, homes, bias, account_unit, config.as_is_imbalance,
                             streams.generator("world.as_is"))
    tenure_rng = streams.generator("world.tenure")
    tenure_days = tenure_rng.exponential(config.tenure_years_mean * 365.25, size=config.reps)

    unit_lat, unit_lon = _to_latlon(unit_xy, config)
    acc_lat, acc_lon = _to_latlon(account_xy, config)
    home_lat, home_lon = _to_latlon(homes, config)
    units = pd.DataFrame({"unit_id": [f"U{i:05d}" for i in range(n_units)], "lat": unit_lat, "lon": unit_lon,
                          "owner": unit_seat.astype(np.int64)})
    accounts = pd.DataFrame({
        "account_id": [f"A{i:06d}" for i in range(config.accounts)],
        "unit": account_unit.astype(np.int64),
        "lat": acc_lat,
        "lon": acc_lon,
        "potential": potential,
        "segment": segment,
        "owner": unit_seat[account_unit].astype(np.int64),
    })
    reps = pd.DataFrame({
        "rep_id": [f"R{i:03d}" for i in range(config.reps)],
        "name": [f"Rep {i}" for i in range(config.reps)],  # a readable name; the region is not a real place
        "home_city": None,
        "home_lat": home_lat,
        "home_lon": home_lon,
        "tenure_days": tenure_days,
    })
    return assemble_world(scenario, units, accounts, reps, name=f"synthetic(seed={config.seed})")


def _metros(config: SyntheticWorld, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    half = np.array([config.region.width_km, config.region.height_km]) / 2
    centres = rng.uniform(-0.8 * half, 0.8 * half, size=(config.metros, 2))
    weight = 1.0 / np.arange(1, config.metros + 1)  # Zipf: the largest metro is twice the second
    return centres, weight / weight.sum()


def _scatter(n: int, config: SyntheticWorld, metro_xy: np.ndarray, metro_weight: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    """N points: a rural share uniform over the region, the rest normal around metros by size."""
    half = np.array([config.region.width_km, config.region.height_km]) / 2
    rural = rng.random(n) < config.rural_share
    metro = rng.choice(len(metro_weight), size=n, p=metro_weight)
    radius = config.metro_radius_km * np.sqrt(metro_weight / metro_weight.max())
    offsets = rng.standard_normal((n, 2)) * radius[metro][:, None]
    uniform = rng.uniform(-half, half, size=(n, 2))
    points = np.where(rural[:, None], uniform, metro_xy[metro] + offsets)
    return np.clip(points, -half, half)


def _as_is_split(unit_xy: np.ndarray, homes: np.ndarray, bias: np.ndarray, account_unit: np.ndarray,
                 imbalance: float, rng: np.random.Generator) -> np.ndarray:
    """Units to seats by biased distance with random distortions; every seat keeps at least one unit.

    The history of a sales force (reps who left, accounts kept by favourites) is modelled as noise on the
    balanced power diagram: each seat's reach is shifted by a normal draw of sd `imbalance` times the typical
    unit-to-home distance.
    """
    distance, candidate = nearest_homes(unit_xy, homes)
    reach = imbalance * float(np.median(distance[:, 0]) + 1.0) * rng.standard_normal(len(homes))
    unit_seat, _ = choose_home(distance, candidate, bias + reach)
    occupied = np.bincount(account_unit, minlength=len(unit_xy)) > 0
    return every_seat_served(unit_seat, unit_xy, homes, eligible=occupied)


def _to_latlon(xy: np.ndarray, config: SyntheticWorld) -> tuple[np.ndarray, np.ndarray]:
    lat0, lon0 = config.region.centre_lat, config.region.centre_lon
    lat = lat0 + np.degrees(xy[:, 1] / EARTH_RADIUS_KM)
    lon = lon0 + np.degrees(xy[:, 0] / (EARTH_RADIUS_KM * np.cos(np.radians(lat0))))
    return lat, lon


__all__ = ["WORKING_DAYS_PER_YEAR", "generate_world"]
