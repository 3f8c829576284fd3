import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.experiment.experiment import run_experiment
from simulator.partition import Problem, solve
from simulator.partition.budget import default_move_budget
from simulator.policies import get_policy
from simulator.streams import Streams
from simulator.world import build_world
from tests.conftest import small_scenario


def grid(rows, cols):
    neighbours = []
    for r in range(rows):
        for c in range(cols):
            near = [(r + dr) * cols + c + dc for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))
                    if 0 <= r + dr < rows and 0 <= c + dc < cols]
            neighbours.append(np.array(near, dtype=np.int64))
    return neighbours


def connected(neighbours, units):
    units = set(units)
    if len(units) <= 1:
        return True
    start = next(iter(units))
    seen, stack = {start}, [start]
    while stack:
        u = stack.pop()
        for v in neighbours[u]:
            if v in units and v not in seen:
                seen.add(int(v))
                stack.append(int(v))
    return seen == units


def brute_force_feasible(problem):
    n, k = problem.n_units, problem.n_seats
    low, high = problem.targets * (1 - problem.tolerance), problem.targets * (1 + problem.tolerance)
    for combo in itertools.product(range(k), repeat=n):
        combo = np.array(combo)
        if any(combo[u] != s for u, s in problem.locked.items()):
            continue
        loads = np.bincount(combo, weights=problem.weights, minlength=k)
        if np.any(loads < low - 1e-9) or np.any(loads > high + 1e-9):
            continue
        if all(connected(problem.neighbours, np.flatnonzero(combo == s)) for s in range(k)):
            return True
    return False


@st.composite
def problems(draw):
    rows, cols = draw(st.sampled_from([(2, 3), (3, 3), (2, 4), (2, 5)]))
    n = rows * cols
    k = draw(st.integers(2, 3))
    weights = np.array(draw(st.lists(st.integers(1, 6), min_size=n, max_size=n)), dtype=float)
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    homes = rng.random((k, 2)) * [cols, rows]
    xy = np.array([(c + 0.5, r + 0.5) for r in range(rows) for c in range(cols)])
    cost = np.linalg.norm(xy[:, None, :] - homes[None, :, :], axis=2)
    locked = {}
    if draw(st.booleans()):
        locked[draw(st.integers(0, n - 1))] = draw(st.integers(0, k - 1))
    tolerance = draw(st.sampled_from([0.1, 0.2, 0.35]))
    targets = np.full(k, weights.sum() / k)
    return Problem(weights, cost, grid(rows, cols), targets, tolerance, np.full(k, -1), locked)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_partition_properties_on_small_grids(problem):
    result = solve(problem, time_limit=5.0)
    assignment = result.assignment
    assert assignment.shape == (problem.n_units,)  # every unit assigned exactly once
    assert ((assignment >= 0) & (assignment < problem.n_seats)).all()
    for unit, seat in problem.locked.items():
        assert assignment[unit] == seat  # locked units stay
    if brute_force_feasible(problem):
        assert result.max_deviation <= problem.tolerance + 1e-9
        assert all(connected(problem.neighbours, np.flatnonzero(assignment == s)) for s in range(problem.n_seats))
    again = solve(problem, time_limit=5.0)
    assert np.array_equal(again.assignment, assignment)  # deterministic


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 6))
def test_balanced_policy_on_random_worlds(seed, reps):
    scenario = small_scenario(**{"world.synthetic.seed": seed, "world.synthetic.reps": reps,
                                 "world.synthetic.accounts": 400, "world.synthetic.units": 60})
    world = build_world(scenario)
    policy = get_policy("balanced")
    home = world.reps.iloc[1]  # lock the unit nearest R001's home: contiguity stays possible
    squared = (world.units["lat"] - home["home_lat"]) ** 2 + (world.units["lon"] - home["home_lon"]) ** 2
    nearest = int(np.argmin(squared))
    unit = str(world.units["unit_id"].iat[nearest])
    params = {"tolerance": 0.1, "locked_units": {unit: "R001"}}
    first = policy(world, world.initial_seats(), params, Streams(1).generator("p"))
    second = policy(world, world.initial_seats(), params, Streams(1).generator("p"))
    assert np.array_equal(first.unit_seat, second.unit_seat) and dict(first.overrides) == dict(second.overrides)
    assert first.unit_seat[nearest] == 1  # the locked unit stays with R001
    seats = first.account_seats(world)
    assert len(seats) == world.n_accounts and ((seats >= 0) & (seats < reps)).all()
    info = first.info
    assert info["max_deviation"] <= 0.1 + 1e-9 or info["seats_missing"]
    assert info["contiguous_seats"] == reps


def test_infeasible_tolerance_returns_quickly_with_a_report():
    scenario = small_scenario(**{"world.synthetic.reps": 6})
    world = build_world(scenario)
    started = time.perf_counter()
    alignment = get_policy("balanced")(world, world.initial_seats(), {"tolerance": 0.0001, "time_limit": 2.0},
                                       Streams(1).generator("p"))
    assert time.perf_counter() - started < 10
    info = alignment.info
    assert not info["within_tolerance"]
    assert info["seats_missing"] and all(abs(s["deviation"]) > 0.0001 for s in info["seats_missing"])
    assert info["achievable_tolerance"] > 0.0001
    assert not info["time_limit_hit"]  # the move budget ends the search, not the clock
    assert info["achievable_tolerance"] == pytest.approx(max(abs(s["deviation"]) for s in info["seats_missing"]),
                                                         abs=1e-4)


def test_named_accounts_and_targets():
    scenario = small_scenario(**{"world.synthetic.reps": 4})
    world = build_world(scenario)
    account = str(world.accounts["account_id"].iat[5])
    alignment = get_policy("balanced")(world, world.initial_seats(), {
        "measure": "potential", "locked_accounts": {account: "R003"}, "targets": {"R000": 0.5}},
        Streams(1).generator("p"))
    assert alignment.account_seats(world)[5] == 3
    potential = np.bincount(alignment.account_seats(world), weights=world.account_potential, minlength=4)
    share = potential / potential.sum()
    assert share[0] == pytest.approx(0.5 / 3.5, rel=0.06)
    assert share[1] == pytest.approx(1 / 3.5, rel=0.06)


def test_min_disruption_moves_less_than_balanced_and_meets_tolerance():
    scenario = small_scenario(**{"world.synthetic.reps": 6, "world.synthetic.as_is_imbalance": 0.5})
    world = build_world(scenario)
    seats = world.initial_seats()
    as_is = get_policy("as_is")(world, seats, {}, None).account_seats(world)
    balanced = get_policy("balanced")(world, seats, {}, Streams(1).generator("p"))
    minimal = get_policy("min_disruption")(world, seats, {}, Streams(1).generator("p"))
    assert minimal.info["within_tolerance"] and balanced.info["within_tolerance"]
    moved_minimal = (minimal.account_seats(world) != as_is).mean()
    moved_balanced = (balanced.account_seats(world) != as_is).mean()
    assert moved_minimal < moved_balanced


def test_balanced_beats_as_is_in_simulation_on_the_quickstart_world():
    import yaml

    from simulator.scenario import Scenario
    from tests.conftest import ROOT

    data = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    data.update(policies=["as_is", "balanced"], experiment={"replications": 2, "seed": 3})
    data["calendar"] = {"quarters": 2}
    result = run_experiment(Scenario.model_validate(data), write=False)
    means = result.summary.pivot_table(index="metric", columns="policy", values="value")
    assert means.loc["workload_cv", "balanced"] < means.loc["workload_cv", "as_is"]
    assert means.loc["coverage_gap", "balanced"] < means.loc["coverage_gap", "as_is"]


def test_balanced_is_available_to_realignments_and_vacancies():
    scenario = small_scenario(**{
        "calendar.quarters": 2, "policies": [{"name": "balanced", "vacancy_policy": "realign"}],
        "events": [{"type": "departure", "rep": "R001", "day": 10},
                   {"type": "realign", "policy": "min_disruption", "day": 40}]})
    result = run_experiment(scenario, write=False)
    events = result.events
    assert (events["reason"] == "min_disruption").any()
    assert events.loc[events.event == "reassignment", "reason"].isin(["vacancy_cover", "realignment"]).all()
    summary = result.summary.set_index("metric")["value"]
    assert summary["orphaned_account_days"] == 0


def lumpy_grid(rows=20, cols=20, seats=8, tolerance=0.01, seed=0):
    """A grid of lognormal weights, homes at random: the local search has real work to do."""
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 1.0, rows * cols)
    xy = np.array([(c + 0.5, r + 0.5) for r in range(rows) for c in range(cols)])
    homes = rng.random((seats, 2)) * [cols, rows]
    cost = np.linalg.norm(xy[:, None, :] - homes[None, :, :], axis=2)
    problem = Problem(weights, cost, grid(rows, cols), np.full(seats, weights.sum() / seats), tolerance,
                      np.full(seats, -1))
    stripes = (np.arange(rows * cols) % cols * seats // cols).astype(np.int64)  # an unbalanced start
    return problem, stripes


class FakeClock:
    """Stands in for time.perf_counter: every reading moves on by `step` x a draw from `rng` (0: time stands still)."""

    def __init__(self, step, rng):
        self.now, self.step, self.rng = 1000.0, step, rng

    def __call__(self):
        self.now += self.step * self.rng.random()
        return self.now


def solve_both_ways(problem, stripes, **options):
    """Assignments from the power-diagram start and from the striped start (min-disruption mode)."""
    free = solve(problem, **options)
    from_start = solve(problem, start=stripes, move_cost=problem.weights, **options)
    return free, from_start


@pytest.mark.parametrize("step", [0.0, 0.05, 5.0])  # time stands still, runs fast, or races
def test_partition_depends_on_the_move_budget_not_on_the_clock(monkeypatch, step):
    problem, stripes = lumpy_grid()
    reference = solve_both_ways(problem, stripes, time_limit=30.0)  # a short safety net, the real clock
    assert all(r.moves_spent > 20 and not r.time_limit_hit for r in reference)  # the search did work, unhurried
    monkeypatch.setattr(time, "perf_counter", FakeClock(step, np.random.default_rng(7)))
    again = solve_both_ways(problem, stripes, time_limit=1e9)
    for expected, result in zip(reference, again, strict=True):
        assert np.array_equal(expected.assignment, result.assignment)
        assert (expected.moves, expected.moves_spent) == (result.moves, result.moves_spent)
        assert not result.time_limit_hit and not result.budget_hit


def test_policies_give_the_same_alignment_under_any_clock(monkeypatch):
    scenario = small_scenario(**{"world.synthetic.reps": 6, "world.synthetic.as_is_imbalance": 0.5})
    world = build_world(scenario)
    seats = world.initial_seats()
    params = {"tolerance": 0.03}
    expected = {name: get_policy(name)(world, seats, params, Streams(1).generator("p"))
                for name in ("balanced", "min_disruption")}
    monkeypatch.setattr(time, "perf_counter", FakeClock(2.0, np.random.default_rng(3)))
    for name, reference in expected.items():
        alignment = get_policy(name)(world, seats, {**params, "time_limit": 1e9}, Streams(1).generator("p"))
        assert np.array_equal(alignment.unit_seat, reference.unit_seat)
        assert dict(alignment.overrides) == dict(reference.overrides)
        assert alignment.info["moves_spent"] == reference.info["moves_spent"] > 0
        assert alignment.info["move_budget"] == default_move_budget(world.n_units)
        assert not reference.info["time_limit_hit"] and not alignment.info["time_limit_hit"]
        assert not alignment.info["move_budget_hit"]


def test_a_tiny_move_budget_stops_early_and_says_so():
    problem, stripes = lumpy_grid()
    full = solve(problem, start=stripes, move_cost=problem.weights)
    tiny = solve(problem, start=stripes, move_cost=problem.weights, move_budget=20)
    assert not full.budget_hit and full.moves_spent > 20
    assert tiny.budget_hit and tiny.moves_spent == 20 and tiny.moves <= 20
    assert tiny.max_deviation > full.max_deviation
    assert np.array_equal(tiny.assignment, solve(problem, start=stripes, move_cost=problem.weights,
                                                 move_budget=20).assignment)
    scenario = small_scenario(**{"world.synthetic.reps": 6, "world.synthetic.as_is_imbalance": 0.5})
    world = build_world(scenario)
    for name in ("balanced", "min_disruption"):
        info = get_policy(name)(world, world.initial_seats(), {"tolerance": 0.003, "move_budget": 3},
                                Streams(1).generator("p")).info
        assert info["move_budget"] == 3 and info["moves_spent"] == 3
        assert info["move_budget_hit"] and not info["time_limit_hit"] and not info["within_tolerance"]


def test_the_time_limit_is_a_safety_net_that_is_reported(monkeypatch):
    problem, stripes = lumpy_grid()
    monkeypatch.setattr(time, "perf_counter", FakeClock(1.0, np.random.default_rng(5)))
    stopped = solve(problem, time_limit=10.0, start=stripes, move_cost=problem.weights)
    assert stopped.time_limit_hit and not stopped.budget_hit and stopped.moves_spent < 50
    scenario = small_scenario(**{"world.synthetic.reps": 6, "world.synthetic.as_is_imbalance": 0.5})
    world = build_world(scenario)
    info = get_policy("min_disruption")(world, world.initial_seats(), {"time_limit": 3.0},
                                        Streams(1).generator("p")).info
    assert info["time_limit_hit"] and info["time_limit"] == 3.0


@pytest.mark.parametrize("params", [{"move_budget": 2.5}, {"move_budget": -1}, {"move_budget": "many"},
                                    {"time_limit": 0}])
def test_bad_search_limits_are_refused(params):
    from simulator.policies.balanced import PolicyError

    world = build_world(small_scenario())
    with pytest.raises(PolicyError, match="move_budget must be"):
        get_policy("balanced")(world, world.initial_seats(), params, Streams(1).generator("p"))
