import networkx as nx
import numpy as np
import pytest

from simulator.engine import simulate
from simulator.metrics import run_tables
from simulator.policies import get_policy
from simulator.streams import Streams
from simulator.world.travel import GreatCircleTravel, RoadGraphTravel, TravelError
from tests.conftest import line_world, small_scenario


def _road(tmp_path, with_length=True):
    graph = nx.Graph()
    for i, lon in enumerate([0.0, 0.1, 0.2]):
        graph.add_node(f"n{i}", lat=0.0, lon=lon)
    # a slow road: 20 km between neighbouring nodes, whatever the straight line says
    graph.add_edge("n0", "n1", **({"length": 20_000.0} if with_length else {}))
    graph.add_edge("n1", "n2", travel_time=1800.0)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(graph, path)
    return path


def test_road_graph_shortest_paths(tmp_path):
    path = _road(tmp_path)
    travel = RoadGraphTravel(nx.read_graphml(path), np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.1, 0.2]),
                             speed_kmh=50.0)
    hours = travel.pairwise(np.arange(3))
    assert hours[0, 1] == pytest.approx(20 / 50)
    assert hours[1, 2] == pytest.approx(0.5)
    assert hours[0, 2] == pytest.approx(20 / 50 + 0.5)
    assert np.allclose(hours, hours.T) and np.allclose(np.diag(hours), 0)
    straight = GreatCircleTravel(np.zeros(3), np.array([0.0, 0.1, 0.2]), circuity=1.0, speed_kmh=50.0)
    assert straight.pairwise(np.arange(3))[0, 1] < hours[0, 1]


def test_scenario_with_road_graph_drives_on_it(tmp_path):
    path = _road(tmp_path)
    scenario = small_scenario(**{
        "travel.road_graph": path, "behaviour.travel_time_cv": 0.0, "behaviour.visit_duration_cv": 0.0,
        "behaviour.admin_share_sd": 0.0,
        "segments": {"A": {"share": 1.0, "visits_per_quarter": 60, "visit_hours": 1.0}},
    })
    world = line_world(scenario, [0.1, 0.2])
    alignment = get_policy("nearest")(world, [0], {}, Streams(0).generator("x"))
    days = run_tables(simulate(world, alignment, scenario, Streams(1, 0))).rep_days
    # home (node n0) -> A0 (n1) -> A1 (n2) -> home: 0.4 + 0.5 + 0.9 hours
    assert np.allclose(days["travel_hours"], 1.8)


def test_road_graph_without_times_is_a_clear_error(tmp_path):
    path = _road(tmp_path, with_length=False)
    travel = RoadGraphTravel(nx.read_graphml(path), np.zeros(2), np.array([0.0, 0.2]))
    with pytest.raises(TravelError, match="neither 'travel_time'"):
        travel.pairwise(np.arange(2))
