"""What every way of making a World shares: account segments, the generators' workload proxy, and assembly.

The synthetic generator (`synthetic`) and the US-geography generator (`us`) draw account segments and weigh
accounts for home placement the same way; they, the world-file loader (`files`) and planned seats (`planned`) all
finish a World the same way (adjacency and the travel model). These helpers belong to none of them, so they live
here, and no generator imports another. Home placement proper (power diagrams) is `power`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from simulator.scenario import Scenario
from simulator.world.geography import delaunay_adjacency
from simulator.world.model import World
from simulator.world.travel import GreatCircleTravel, RoadGraphTravel, Travel, load_road_graph


def segments_by_rank(potential: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Highest-potential accounts go to the first segment, by the segments' shares."""
    names = list(scenario.segments)
    shares = np.array([scenario.segments[name].share for name in names], dtype=float)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(names), 1 / len(names))
    rank = np.empty(len(potential), dtype=np.int64)
    rank[np.argsort(-potential, kind="stable")] = np.arange(len(potential))
    bounds = np.cumsum(shares) * len(potential)
    index = np.minimum(np.searchsorted(bounds, rank, side="right"), len(names) - 1)
    return np.array(names, dtype=object)[index]


def workload_proxy(xy: np.ndarray, segment: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Hours per quarter an account asks for, as the generator sees it: visits x (visit hours + drive).

    The drive is the mean distance to the four nearest accounts, so sparse (rural) accounts weigh more. It only
    places homes and the as-is split; territory workload proper is `alignment.account_workload`.
    """
    names, index = np.unique(segment, return_inverse=True)
    visits = np.array([scenario.segments[s].visits_per_quarter for s in names])[index]
    hours = np.array([scenario.segments[s].visit_hours for s in names])[index]
    k = min(5, len(xy))
    spacing = cKDTree(xy).query(xy, k=k)[0][:, 1:].mean(axis=1) if k > 1 else np.zeros(len(xy))
    drive = spacing * scenario.travel.circuity / scenario.travel.speed_kmh
    return visits * (hours + drive)


def assemble_world(scenario: Scenario, units: pd.DataFrame, accounts: pd.DataFrame, reps: pd.DataFrame,
                   name: str, neighbours: list[tuple[int, int]] | None = None) -> World:
    """Add adjacency and the travel model to validated tables."""
    if neighbours:
        import networkx as nx

        adjacency = nx.Graph()
        adjacency.add_nodes_from(range(len(units)))
        adjacency.add_edges_from(neighbours)
    else:
        adjacency = delaunay_adjacency(units["lat"].to_numpy(), units["lon"].to_numpy(),
                                       scenario.world.max_edge_factor)
    return World(units=units, accounts=accounts, reps=reps, segments=dict(scenario.segments),
                 adjacency=adjacency, travel=travel_model(scenario, accounts, reps), name=name,
                 hours_per_km=scenario.travel.circuity / scenario.travel.speed_kmh)


def travel_model(scenario: Scenario, accounts: pd.DataFrame, reps: pd.DataFrame) -> Travel:
    """Travel among the accounts, then the reps' homes, as the scenario says (great circle or road graph)."""
    lat = np.concatenate([accounts["lat"].to_numpy(float), reps["home_lat"].to_numpy(float)])
    lon = np.concatenate([accounts["lon"].to_numpy(float), reps["home_lon"].to_numpy(float)])
    travel_cfg = scenario.travel
    if travel_cfg.road_graph is not None:
        return RoadGraphTravel(load_road_graph(travel_cfg.road_graph), lat, lon, travel_cfg.circuity,
                               travel_cfg.speed_kmh)
    return GreatCircleTravel(lat, lon, travel_cfg.circuity, travel_cfg.speed_kmh)
