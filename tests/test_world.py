import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.alignment import Alignment, alignment_quality
from simulator.engine.routing import plan_route, tour_hours
from simulator.policies import get_policy
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world import WorldDataError, build_world
from simulator.world.geography import delaunay_adjacency
from tests.conftest import small_scenario


def test_synthetic_world_is_seeded(small):
    a, b = build_world(small), build_world(small)
    pd.testing.assert_frame_equal(a.accounts, b.accounts)
    other = build_world(small.with_overrides(**{"world.synthetic.seed": 99}))
    assert not np.allclose(a.accounts["lat"], other.accounts["lat"])


def test_synthetic_adjacency_is_connected(small):
    world = build_world(small)
    assert nx.is_connected(world.adjacency)


def test_default_as_is_is_unbalanced_like_real_territories():
    scenario = small_scenario(**{"world.synthetic.reps": 40, "world.synthetic.accounts": 4000,
                                 "world.synthetic.region": {"width_km": 500, "height_km": 400}})
    world = build_world(scenario)
    as_is = get_policy("as_is")(world, range(world.n_reps), {}, Streams(0).generator("x"))
    quality = alignment_quality(world, as_is, 1.3 / 50)
    assert 0.15 <= quality["workload_cv"] <= 0.5


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(40, 42), st.floats(-89, -87)), min_size=3, max_size=40, unique=True))
def test_delaunay_adjacency_always_one_component(points):
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    graph = delaunay_adjacency(lat, lon, max_edge_factor=1.5)
    assert graph.number_of_nodes() == len(points)
    assert nx.is_connected(graph)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 9), st.integers(0, 10_000))
def test_route_visits_every_stop_once_and_two_opt_beats_nearest_neighbour_or_ties(k, seed):
    rng = np.random.default_rng(seed)
    xy = rng.random((k + 1, 2))
    hours = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    order = plan_route(hours)
    assert sorted(order) == list(range(1, k + 1))
    # nearest neighbour alone
    left, tour = set(range(1, k + 1)), [0]
    while left:
        nxt = min(left, key=lambda j: hours[tour[-1], j])
        tour.append(nxt)
        left.remove(nxt)
    assert tour_hours(hours, order) <= tour_hours(hours, tour[1:]) + 1e-12


def test_route_on_a_line_is_optimal():
    positions = np.array([0.0, 3.0, 1.0, 4.0, 2.0])
    hours = np.abs(positions[:, None] - positions[None, :])
    assert tour_hours(hours, plan_route(hours)) == pytest.approx(8.0)


def test_alignment_is_immutable_and_moves_are_counted(small):
    world = build_world(small)
    alignment = get_policy("nearest")(world, range(world.n_reps), {}, Streams(0).generator("x"))
    with pytest.raises(ValueError):
        alignment.unit_seat[0] = 1
    target = (int(alignment.unit_seat[0]) + 1) % world.n_reps
    moved, moves = alignment.with_unit_moves({0: target, 1: int(alignment.unit_seat[1])})
    assert len(moves) == 1 and moves[0].from_seat != moves[0].to_seat
    assert moved.unit_seat[0] == target and alignment.unit_seat[0] != target
    with pytest.raises(ValueError):
        Alignment(np.array([0, 5]), n_seats=2)


def _files_scenario(tmp_path, accounts_csv, reps_csv="rep_id,home_lat,home_lon,tenure_days\nR1,41,-88,400\n"
                    "R2,41.5,-87.5,30\n"):
    (tmp_path / "accounts.csv").write_text(accounts_csv)
    (tmp_path / "reps.csv").write_text(reps_csv)
    return Scenario.model_validate({
        "name": "files", "world": {"files": {"accounts": str(tmp_path / "accounts.csv"),
                                             "reps": str(tmp_path / "reps.csv")}},
        "policies": ["as_is"]})


def test_world_from_files_keeps_owners_and_named_accounts(tmp_path):
    scenario = _files_scenario(tmp_path, "account_id,lat,lon,potential,segment,owner,unit_id\n"
                               "A1,41.0,-88.0,1000,A,R1,Z1\nA2,41.01,-88.0,2000,B,R1,Z1\n"
                               "A3,41.02,-88.01,10,C,R2,Z1\nA4,41.5,-87.5,500,C,,Z2\n")
    world = build_world(scenario)
    assert world.n_units == 2 and world.n_accounts == 4
    alignment = get_policy("as_is")(world, range(2), {}, Streams(0).generator("x"))
    assert list(alignment.account_seats(world)) == [0, 0, 1, 1]
    assert dict(alignment.overrides) == {2: 1}


def test_world_file_errors_name_file_line_and_field(tmp_path):
    scenario = _files_scenario(tmp_path, "account_id,lat,lon,potential,segment,owner\n"
                               "A1,41.0,-88.0,1000,A,R1\nA1,91,-88.0,-5,Q,R7\nA3,41,,x,C,\n")
    with pytest.raises(WorldDataError) as info:
        build_world(scenario)
    text = "\n".join(info.value.problems)
    path = tmp_path / "accounts.csv"
    for expected in (f"{path}: line 3: account_id: duplicate id 'A1'",
                     f"{path}: line 3: lat: got '91', expected a latitude in [-90, 90]",
                     f"{path}: line 3: potential: got '-5', expected a number >= 0",
                     f"{path}: line 3: segment: got 'Q', expected one of A, B, C",
                     f"{path}: line 3: owner: unknown rep 'R7'",
                     f"{path}: line 4: lon: got an empty cell, expected a longitude",
                     f"{path}: line 4: potential: got 'x', expected a number >= 0"):
        assert expected in text, text


def test_streams_are_keyed_and_repeatable():
    a = Streams(1, 2).generator("visit", 7).random(5)
    assert np.array_equal(a, Streams(1, 2).generator("visit", 7).random(5))
    assert not np.array_equal(a, Streams(1, 2).generator("visit", 8).random(5))
    assert not np.array_equal(a, Streams(1, 3).generator("visit", 7).random(5))
    assert not np.array_equal(a, Streams(1, 2).generator("inbound", 7).random(5))


def test_empty_or_unreadable_accounts_file_is_a_clear_error(tmp_path):
    scenario = _files_scenario(tmp_path, "account_id,lat,lon,potential,segment\n")
    with pytest.raises(WorldDataError, match="no accounts; expected at least one row"):
        build_world(scenario)
    (tmp_path / "accounts.csv").write_bytes(b"account_id,lat\n\xff\xfe,1\n")
    with pytest.raises(WorldDataError, match="not UTF-8 text"):
        build_world(scenario)


def test_parquet_world_keeps_numeric_owner_ids(tmp_path):
    pd.DataFrame({"rep_id": [7, 8], "home_lat": [41.0, 41.5], "home_lon": [-88.0, -87.5]}).to_parquet(
        tmp_path / "reps.parquet")
    pd.DataFrame({"account_id": [1, 2], "lat": [41.0, 41.5], "lon": [-88.0, -87.5], "potential": [10.0, 20.0],
                  "segment": ["A", "B"], "owner": [8, 7]}).to_parquet(tmp_path / "accounts.parquet")
    scenario = Scenario.model_validate({"name": "pq", "policies": ["as_is"], "world": {"files": {
        "accounts": str(tmp_path / "accounts.parquet"), "reps": str(tmp_path / "reps.parquet")}}})
    world = build_world(scenario)
    assert list(world.accounts["owner"]) == [1, 0]
