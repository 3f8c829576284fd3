"""One run: a world, an alignment and a scenario in; the run's logs out."""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import simpy

from simulator.alignment import Alignment
from simulator.behaviour import seat_quotas
from simulator.engine.pipeline import PipelineModel
from simulator.engine.state import RunState
from simulator.engine.workday import Workday
from simulator.scenario import Scenario
from simulator.streams import Streams
from simulator.world.model import World


def simulate(world: World, alignment: Alignment, scenario: Scenario, streams: Streams) -> RunState:
    """Play out every seat's working days over the scenario's horizon.

    Args:
        world: the world.
        alignment: who serves what (fixed for the run).
        scenario: calendar, behaviour, pacing and quota parameters.
        streams: the replication's random streams.

    Returns:
        The final run state, whose logs `metrics.run_tables` turns into tables.

    """
    state = RunState(world=world, scenario=scenario, alignment=alignment, streams=streams)
    pipeline = PipelineModel(state)
    workday = Workday(state, pipeline)
    pipeline.carry_over()
    state.env.process(_calendar(state, pipeline))
    for seat in range(world.n_reps):
        state.env.process(workday.process(seat))
    state.env.run(until=state.n_days)
    _log_open_opportunities(state)
    return state


def _log_open_opportunities(state: RunState) -> None:
    """Opportunities still open at the horizon are logged as 'open' (no close time) so pipeline adds up."""
    for opportunities in state.open_opportunities:
        for o in opportunities:
            state.opportunity_log.append((o.number, o.account, o.seat_created, -1, o.value, o.created,
                                          float("nan"), "open", o.stage, o.source))


def _calendar(state: RunState, pipeline: PipelineModel) -> Generator[simpy.Event, None, None]:
    """Quarter starts: reset visit counts, set quotas, schedule inbound demand."""
    quota = state.scenario.quota
    company_target = quota.company_target or quota.share_of_potential * float(state.potential.sum())
    for quarter in range(state.quarters):
        start = quarter * state.days_per_quarter
        if state.env.now < start:
            yield state.env.timeout(start - state.env.now)
        state.visits_in_quarter[:] = 0
        seat_potential = [float(state.potential[idx].sum()) for idx in state.territory]
        state.quota[:, quarter] = seat_quotas(quota.policy, company_target, np.array(seat_potential))
        pipeline.inbound(quarter)
