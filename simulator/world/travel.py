"""Travel time between locations: great-circle x circuity / speed, or shortest paths on a road graph.

Both models answer the same two questions for a fixed set of locations (accounts, then rep homes): the hours
between every pair of a few locations (daily routing) and between two groups (alignment, workload).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Protocol

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from simulator.world.geography import EARTH_RADIUS_KM, chord_to_km, unit_vectors

MAX_GRAPH_BYTES = 200_000_000
"""Largest road graph file read."""


class TravelError(Exception):
    """A road graph that cannot be used (missing coordinates or travel times)."""


class Travel(Protocol):
    """Travel times among a fixed, indexed set of locations."""

    def pairwise(self, ids: np.ndarray) -> np.ndarray:
        """Hours between every pair of the given location ids (square matrix)."""

    def between(self, from_ids: np.ndarray, to_ids: np.ndarray) -> np.ndarray:
        """Hours from each of `from_ids` (rows) to each of `to_ids` (columns)."""


class GreatCircleTravel:
    """Great-circle distance x circuity / speed.

    Args:
        lat: latitudes of the locations.
        lon: longitudes of the locations.
        circuity: road distance over straight-line distance.
        speed_kmh: average speed.

    """

    def __init__(self, lat: np.ndarray, lon: np.ndarray, circuity: float = 1.3, speed_kmh: float = 50.0):
        self.xyz = unit_vectors(lat, lon)
        self.hours_per_km = circuity / speed_kmh

    def pairwise(self, ids: np.ndarray) -> np.ndarray:
        """Hours between every pair of the given location ids."""
        points = self.xyz[ids]
        diff = points[:, None, :] - points[None, :, :]
        return chord_to_km(np.sqrt((diff * diff).sum(axis=-1))) * self.hours_per_km

    def between(self, from_ids: np.ndarray, to_ids: np.ndarray) -> np.ndarray:
        """Hours from each of `from_ids` to each of `to_ids`."""
        a = self.xyz[from_ids]
        b = self.xyz[to_ids]
        # |a - b|^2 = 2 - 2 a.b on the unit sphere; cheaper than materialising the differences.
        chord = np.sqrt(np.clip(2.0 - 2.0 * (a @ b.T), 0.0, 4.0))
        return chord_to_km(chord) * self.hours_per_km


class RoadGraphTravel:
    """Shortest-path travel times on a road graph (GraphML), with straight-line access to the nearest node.

    Node coordinates come from `lat`/`lon` or OSMnx's `y`/`x`; edge times from `travel_time` (seconds) or
    `length` (metres) at `speed_kmh`.
    """

    def __init__(self, graph: nx.Graph, lat: np.ndarray, lon: np.ndarray, circuity: float = 1.3,
                 speed_kmh: float = 50.0):
        self.graph = graph.to_undirected() if graph.is_directed() else graph
        nodes = list(self.graph.nodes)
        node_lat, node_lon = _node_coordinates(self.graph, nodes)
        tree = cKDTree(unit_vectors(node_lat, node_lon))
        chord, nearest = tree.query(unit_vectors(lat, lon))
        self.node_of = [nodes[i] for i in nearest]
        self.access_hours = chord_to_km(chord) * circuity / speed_kmh
        self._hours_of_edge = _edge_hours(self.graph, speed_kmh)
        self._from_node: dict[object, dict[object, float]] = {}

    def _hours_from(self, node: object) -> dict[object, float]:
        found = self._from_node.get(node)
        if found is None:
            found = nx.single_source_dijkstra_path_length(self.graph, node, weight=self._hours_of_edge)
            self._from_node[node] = found
        return found

    def between(self, from_ids: np.ndarray, to_ids: np.ndarray) -> np.ndarray:
        """Hours from each of `from_ids` to each of `to_ids` (infinite where the graph has no path)."""
        out = np.empty((len(from_ids), len(to_ids)))
        to_nodes = [self.node_of[j] for j in to_ids]
        for row, i in enumerate(from_ids):
            reach = self._hours_from(self.node_of[i])
            out[row] = [reach.get(node, np.inf) for node in to_nodes]
        out += self.access_hours[np.asarray(from_ids)][:, None] + self.access_hours[np.asarray(to_ids)][None, :]
        same = np.asarray(from_ids)[:, None] == np.asarray(to_ids)[None, :]
        out[same] = 0.0
        return out

    def pairwise(self, ids: np.ndarray) -> np.ndarray:
        """Hours between every pair of the given location ids."""
        return self.between(ids, ids)


def _node_coordinates(graph: nx.Graph, nodes: list) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = [], []
    for node in nodes:
        data = graph.nodes[node]
        y = data.get("lat", data.get("y"))
        x = data.get("lon", data.get("x"))
        if y is None or x is None:
            raise TravelError(f"road graph node {node!r} has no coordinates: expected 'lat'/'lon' or 'y'/'x'")
        lat.append(float(y))
        lon.append(float(x))
    return np.array(lat), np.array(lon)


def _edge_hours(graph: nx.Graph, speed_kmh: float):
    def hours(u: object, v: object, data: dict) -> float:
        if "travel_time" in data:
            return float(data["travel_time"]) / 3600.0
        if "length" in data:
            return float(data["length"]) / 1000.0 / speed_kmh
        raise TravelError(f"road graph edge {u!r}-{v!r} has neither 'travel_time' (s) nor 'length' (m)")

    return hours


def load_road_graph(path: Path) -> nx.Graph:
    """Read a GraphML road graph, with a clear error naming the file if it cannot be used.

    At most `MAX_GRAPH_BYTES` are read (a device such as /dev/zero is never read to its end); a DOCTYPE or
    ENTITY declaration is refused before parsing (no entity expansion, "billion laughs"); every node needs
    numeric coordinates and every edge a finite, non-negative `travel_time` or `length`.
    """
    if Path(path).exists() and not Path(path).is_file():
        raise TravelError(f"{path}: not a regular file; expected a GraphML road graph")
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_GRAPH_BYTES + 1)
    except OSError as exc:
        raise TravelError(f"{path}: cannot read the road graph ({exc.strerror})") from exc
    if len(data) > MAX_GRAPH_BYTES:
        raise TravelError(f"{path}: larger than {MAX_GRAPH_BYTES // 1_000_000:,} MB; expected a GraphML road graph")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise TravelError(f"{path}: a DOCTYPE or ENTITY declaration; a GraphML road graph needs neither")
    try:
        graph = nx.parse_graphml(data)
    except Exception as exc:  # noqa: BLE001 - any parser failure (XML, GraphML types, encoding) is the file's fault
        raise TravelError(f"{path}: not a readable GraphML road graph ({type(exc).__name__}: "
                          f"{str(exc)[:200]})") from None
    _check_graph(path, graph)
    return graph


def _check_graph(path: Path, graph: nx.Graph) -> None:
    """Refuse a graph with fewer than 2 nodes, nodes without numeric coordinates or edges without a weight."""
    if graph.number_of_nodes() < 2:
        raise TravelError(f"{path}: {graph.number_of_nodes()} node(s); a road graph needs at least 2")
    for node, data in graph.nodes(data=True):
        for names in (("lat", "y"), ("lon", "x")):
            value = next((data[name] for name in names if name in data), None)
            limit = 90 if names[0] == "lat" else 180
            if not _number_within(value, -limit, limit):
                raise TravelError(f"{path}: node {str(node)[:40]!r}: {names[0]}/{names[1]} is {str(value)[:40]!r}; "
                                  f"expected a number in [-{limit}, {limit}]")
    for u, v, data in graph.edges(data=True):
        name = "travel_time" if "travel_time" in data else "length" if "length" in data else None
        if name is None or not _number_within(data[name], 0, math.inf):
            got = f"{name} is {str(data[name])[:40]!r}" if name else "no travel_time or length"
            raise TravelError(f"{path}: edge {str(u)[:40]!r}-{str(v)[:40]!r}: {got}; expected a travel_time "
                              "(seconds) or length (metres) that is a number >= 0")


def _number_within(value: object, low: float, high: float) -> bool:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and low <= number <= high


def straight_line_km_per_hour(circuity: float, speed_kmh: float) -> float:
    """Straight-line km covered per driving hour (used by workload estimates)."""
    return speed_kmh / circuity


__all__ = ["EARTH_RADIUS_KM", "GreatCircleTravel", "RoadGraphTravel", "Travel", "TravelError", "load_road_graph"]
