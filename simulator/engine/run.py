"""One run: a world, an alignment, a scenario and the compared arm in; the run's logs out.

SimPy keeps the calendar: on every day when the workforce can change (quarter starts, quits, notices, hires,
planned events, realignments, vacancy cover) its tick runs first; then the compiled day step plays every active
seat's day, day after day, until the next such day.
"""

from __future__ import annotations

import gc
from collections.abc import Generator, Sequence

import simpy

from simulator.alignment import Alignment
from simulator.engine.pipeline import PipelineModel
from simulator.engine.state import RunState
from simulator.engine.workday import Workday
from simulator.engine.workforce import WorkforceModel
from simulator.policies import get_policy
from simulator.policies.vacancy import get_vacancy_policy
from simulator.scenario import PolicySpec, Scenario
from simulator.streams import Streams
from simulator.world.model import World


def simulate(world: World, alignment: Alignment, scenario: Scenario, streams: Streams,
             arm: PolicySpec | None = None, day_hooks: Sequence = ()) -> RunState:
    """Play out every seat's working days over the scenario's horizon.

    Args:
        world: the world (with any planned seats).
        alignment: who serves what at the start.
        scenario: calendar, behaviour, workforce, events, pacing and quota parameters.
        streams: the replication's random streams.
        arm: the compared arm: its alignment policy is re-run by realignments, its vacancy policy covers
            vacancies (default: the alignment's policy and the scenario's vacancy policy).
        day_hooks: callables `hook(state, day)` run at the start of every day, after the workforce tick.

    Returns:
        The final run state, whose logs `metrics.run_tables` turns into tables.
    """
    arm = arm or PolicySpec(name=alignment.policy or "as_is")
    state = RunState(world=world, scenario=scenario, alignment=alignment, streams=streams)
    pipeline = PipelineModel(state)
    workday = Workday(state, pipeline)
    policy = get_policy(arm.name)

    def align(seats: Sequence[int]) -> Alignment:
        return policy(world, list(seats), dict(arm.params), streams.generator(f"policy.{arm.key}"))

    vacancy_name = scenario.vacancy_policy_of(arm)
    workforce = WorkforceModel(state, pipeline, align, vacancy_name, get_vacancy_policy(vacancy_name))
    workforce.day_hooks.extend(day_hooks)
    pipeline.carry_over()
    pipeline.realigned_from_day_0()

    def calendar() -> Generator[simpy.Event, None, None]:
        """On each day with a workforce event: the tick, then every seat's days up to the next such day."""
        day = 0
        while day < state.n_days:
            workforce.tick(day)
            until = workforce.next_event_day(day)
            workforce.record_until(day, until)
            workday.play_days(day, until)
            yield state.env.timeout(until - day)
            day = until

    state.env.process(calendar())
    collecting = gc.isenabled()
    gc.disable()  # the day loop makes no reference cycles worth scanning for; full scans cost ~10% of a run
    try:
        state.env.run(until=state.n_days)
    finally:
        if collecting:
            gc.enable()
    _finish(state)
    return state


def _finish(state: RunState) -> None:
    """Close the books at the horizon: orphan time is counted (open opportunities stay open in the pool)."""
    orphaned = state.account_seat < 0
    state.days_without_owner[orphaned] += state.n_days - state.orphan_since[orphaned]
