"""One run: a world, an alignment, a scenario and the compared arm in; the run's logs out.

SimPy keeps the calendar: each working day the workforce tick (quarters, quits, notices, hires, planned events,
realignments, vacancy cover) runs first, then one day step plays every active seat's day.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import simpy

from simulator.alignment import Alignment
from simulator.policies import get_policy
from simulator.policies.vacancy import get_vacancy_policy
from simulator.scenario import PolicySpec, Scenario
from simulator.streams import Streams
from simulator.world.model import World
from tests.reference_engine.pipeline import PipelineModel
from tests.reference_engine.state import RunState
from tests.reference_engine.workday import Workday
from tests.reference_engine.workforce import WorkforceModel


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

    def calendar() -> Generator[simpy.Event, None, None]:
        """Each working day: the workforce tick, then one step that plays every seat's day."""
        for day in range(state.n_days):
            workforce.tick(day)
            workday.play_day(day)
            yield state.env.timeout(1)

    state.env.process(calendar())
    state.env.run(until=state.n_days)
    _finish(state)
    return state


def _finish(state: RunState) -> None:
    """Close the books at the horizon: open opportunities are logged as 'open', orphan time is counted."""
    for opportunities in state.open_opportunities:
        for o in opportunities:
            state.opportunity_log.append((o.number, o.account, o.seat_created, -1, o.value, o.created,
                                          float("nan"), "open", o.stage, o.source, False))
    orphaned = state.account_seat < 0
    state.days_without_owner[orphaned] += state.n_days - state.orphan_since[orphaned]
