import networkx as nx
import numpy as np
import pytest

from simulator.alignment import alignment_quality
from simulator.experiment.runs import build_alignments
from simulator.scenario import Scenario, ScenarioError
from simulator.world import build_world
from simulator.world.us import us_counties, us_zips


def test_embedded_counties_are_the_contiguous_us_in_one_piece():
    counties = us_counties()
    assert 3050 <= len(counties) <= 3150
    assert counties["fips"].is_unique
    assert not set(counties["state"]) & {"AK", "HI", "PR"}
    assert (counties["labour_force"] > 0).all() and (counties["area_km2"] > 0).all()
    assert counties["lat"].between(24, 50).all() and counties["lon"].between(-125, -66).all()
    graph = nx.Graph()
    graph.add_nodes_from(counties["fips"])
    for fips, near in zip(counties["fips"], counties["neighbours"], strict=True):
        graph.add_edges_from((fips, n) for n in near)
    assert nx.is_connected(graph)
    cook = counties.set_index("fips").loc["17031"]  # Cook County, IL borders DuPage (17043)
    assert cook["name"] == "Cook" and "17043" in list(cook["neighbours"])
    assert len(cook["boundary_lat"]) == len(cook["boundary_lon"]) > 4


def test_embedded_zips_point_into_the_county_table():
    zips, counties = us_zips(), us_counties()
    assert len(zips) > 25_000 and zips["zip"].is_unique
    assert set(zips["county_fips"]) <= set(counties["fips"])
    shares = zips.groupby("county_fips")["labour_share"].sum()
    assert np.allclose(shares, 1.0)


def _geo(**geography):
    return Scenario.model_validate({"name": "geo", "world": {"geography": geography}, "policies": ["as_is", "nearest"]})


def test_geography_world_is_seeded_and_stays_in_its_states():
    scenario = _geo(states=["il", "IN", "WI"], reps=8, accounts=1500, seed=3)
    a, b = build_world(scenario), build_world(scenario)
    assert a.accounts.equals(b.accounts)
    assert set(a.units["state"]) == {"IL", "IN", "WI"}
    assert a.n_reps == 8 and a.n_accounts == 1500
    # accounts follow labour force: Cook County alone holds a big share of the three states' labour force
    cook = int(np.flatnonzero(a.units["unit_id"] == "17031")[0])
    cook_share = a.units["labour_force"].iat[cook] / a.units["labour_force"].sum()
    assert abs((a.accounts["unit"] == cook).mean() - cook_share) < 0.04
    alignments = build_alignments(scenario, a)
    quality = alignment_quality(a, alignments["as_is"], 1.3 / 50)
    assert quality["contiguous_share"] >= 0.75
    assert 0.05 <= quality["workload_cv"] <= 0.7


def test_explicit_homes_set_the_reps():
    scenario = _geo(states=["IL"], accounts=400, homes=[{"lat": 41.88, "lon": -87.63, "rep_id": "CHI"},
                                                        {"lat": 39.80, "lon": -89.65, "rep_id": "SPI"}])
    world = build_world(scenario)
    assert list(world.reps["rep_id"]) == ["CHI", "SPI"]
    assert world.reps["home_lat"].round(2).tolist() == [41.88, 39.80]


def test_unknown_state_is_a_clear_error():
    with pytest.raises(ScenarioError, match="unknown or non-contiguous state.*AK"):
        build_world(_geo(states=["AK"], reps=2, accounts=100))
