"""Plane and sphere geometry for units and accounts: distances, local projection, Delaunay adjacency."""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.spatial import Delaunay

EARTH_RADIUS_KM = 6371.0088
BHH_CONSTANT = 0.7124  # Beardwood-Halton-Hammersley tour constant in the plane
LOCAL_NEIGHBOURS = 5  # points around one that set its local density


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere (shape + (3,)) for latitudes and longitudes in degrees."""
    phi = np.radians(np.asarray(lat, dtype=float))
    lam = np.radians(np.asarray(lon, dtype=float))
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle km from chord lengths on the unit sphere."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord * 0.5, 0.0, 1.0))


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km, broadcasting like numpy."""
    a = unit_vectors(lat1, lon1)
    b = unit_vectors(lat2, lon2)
    return chord_to_km(np.linalg.norm(a - b, axis=-1))


def local_km(lat: np.ndarray, lon: np.ndarray, ref_lat: float, ref_lon: float) -> np.ndarray:
    """Equirectangular projection to km around a reference point (n x 2); fine at territory scale."""
    x = np.radians(np.asarray(lon) - ref_lon) * EARTH_RADIUS_KM * np.cos(np.radians(ref_lat))
    y = np.radians(np.asarray(lat) - ref_lat) * EARTH_RADIUS_KM
    return np.column_stack([x, y])


def delaunay_adjacency(lat: np.ndarray, lon: np.ndarray, max_edge_factor: float = 3.0) -> nx.Graph:
    """Adjacency of unit centroids: Delaunay edges, over-long ones pruned, kept connected.

    Edges longer than `max_edge_factor` times the median edge at both of their ends (the hull's long slivers)
    are dropped, then the shortest dropped edges that rejoin separate components are put back, so the graph stays
    one piece (a minimum spanning forest repair). Units at the same place are tied to each other.

    Args:
        lat: unit centroid latitudes.
        lon: unit centroid longitudes.
        max_edge_factor: pruning threshold relative to the median Delaunay edge.

    Returns:
        Graph on unit indices 0..n-1 with edge attribute `km`.

    """
    n = len(lat)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    if n < 2:
        return graph
    xy = local_km(lat, lon, float(np.mean(lat)), float(np.mean(lon)))
    if n == 2:
        graph.add_edge(0, 1, km=float(np.linalg.norm(xy[0] - xy[1])))
        return graph
    if n == 3 or np.linalg.matrix_rank(xy - xy.mean(axis=0)) < 2:
        order = np.lexsort((xy[:, 1], xy[:, 0]))  # collinear: a path along the line
        for a, b in zip(order[:-1], order[1:], strict=True):
            graph.add_edge(int(a), int(b), km=float(np.linalg.norm(xy[a] - xy[b])))
        return graph
    # identical points (ZIPs sharing a centroid) get no Delaunay edge of their own: triangulate distinct points
    # and tie each duplicate to the first point at its place
    distinct, first, inverse = np.unique(np.round(xy, 6), axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    duplicate = np.flatnonzero(first[inverse] != np.arange(n))
    graph.add_edges_from(zip(first[inverse[duplicate]].tolist(), duplicate.tolist(), strict=True), km=0.0)
    if len(distinct) < 3 or np.linalg.matrix_rank(distinct - distinct.mean(axis=0)) < 2:
        order = first[np.lexsort((distinct[:, 1], distinct[:, 0]))]
        for a, b in zip(order[:-1], order[1:], strict=True):
            graph.add_edge(int(a), int(b), km=float(np.linalg.norm(xy[a] - xy[b])))
        return graph
    tri = Delaunay(xy[first])
    pairs = first[np.concatenate([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]])]
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    lengths = np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)
    keep = lengths <= max_edge_factor * _local_scale(pairs, lengths, n).max(axis=1)
    graph.add_weighted_edges_from(
        zip(pairs[keep, 0].tolist(), pairs[keep, 1].tolist(), lengths[keep].tolist(), strict=True), weight="km")
    if not nx.is_connected(graph):
        dropped = sorted(zip(lengths[~keep], map(tuple, pairs[~keep]), strict=True))
        components = nx.utils.UnionFind(range(n))
        for a, b in graph.edges:
            components.union(a, b)
        for km, (a, b) in dropped:
            if components[int(a)] != components[int(b)]:
                graph.add_edge(int(a), int(b), km=float(km))
                components.union(int(a), int(b))
    return graph


def _local_scale(pairs: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """Median incident edge length at both ends of every edge (edges x 2)."""
    ends = np.concatenate([pairs[:, 0], pairs[:, 1]])
    both = np.concatenate([lengths, lengths])
    order = np.lexsort((both, ends))
    ends, both = ends[order], both[order]
    starts = np.searchsorted(ends, np.arange(n))
    count = np.searchsorted(ends, np.arange(n), side="right") - starts
    if len(both) == 0:
        return np.zeros(pairs.shape)
    lower = np.minimum(starts + (count - 1) // 2, len(both) - 1)  # the middle one or two of each sorted run
    upper = np.minimum(starts + count // 2, len(both) - 1)
    median = np.where(count > 0, (both[lower] + both[upper]) / 2, 0.0)
    return median[pairs]


def tour_km_per_stop(xy: np.ndarray, neighbours: int = LOCAL_NEIGHBOURS) -> np.ndarray:
    """Expected tour length per stop at each point (km), from the local density of the points (BHH).

    A tour through points of density rho is about 0.7124 / sqrt(rho) per stop (Beardwood-Halton-Hammersley);
    the density around a point is k / (pi r_k^2), r_k the distance to its k-th nearest neighbour.
    """
    n = len(xy)
    if n < 2:
        return np.zeros(n)
    from scipy.spatial import cKDTree

    k = min(neighbours, n - 1)
    radius = cKDTree(xy).query(xy, k=k + 1)[0][:, -1]
    return BHH_CONSTANT * np.sqrt(np.pi / k) * radius
