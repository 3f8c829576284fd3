"""Scenario sections about the workforce: attrition, hiring, relationships, vacancy cover and planned events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from simulator.schema.base import Int, Strict, did_you_mean
from simulator.schema.limits import MAX_REPS
from simulator.schema.policy_names import vacancy_policy_names


class Attrition(Strict):
    """Voluntary quits: a daily hazard from an annual rate, raised early in tenure, by unfairness, by misses."""

    enabled: bool = Field(True, description="Reps may quit (false: nobody quits unless an event says so).")
    annual_quit_rate: float = Field(
        0.12, ge=0, lt=1, description="Annual quit probability of a settled rep (past early tenure, fair deal).")
    early_tenure_years: float = Field(2.0, ge=0, le=50, description="Tenure below which the hazard is raised.")
    early_tenure_multiplier: float = Field(2.5, ge=0, le=100, description="Hazard multiplier in early tenure.")
    unfair_potential_ratio: float = Field(
        0.75, ge=0, le=10, description="A seat whose territory potential is below this share of the mean is unfair.")
    unfairness_multiplier: float = Field(1.4, ge=0, le=100, description="Hazard multiplier on an unfair seat.")
    low_attainment: float = Field(0.7, ge=0, le=100,
                                  description="Attainment below which a quarter counts as a bad one.")
    low_attainment_quarters: Int = Field(2, ge=1, le=40, description="Consecutive bad quarters that raise the hazard.")
    low_attainment_multiplier: float = Field(1.6, ge=0, le=100, description="Hazard multiplier after bad quarters.")
    notice_days: Int = Field(10, ge=0, le=1000, description="Working days between giving notice and leaving.")


class Hiring(Strict):
    """Back-filling vacant seats."""

    enabled: bool = Field(True, description="Vacant seats are filled (false: seats stay vacant, a downsizing).")
    time_to_fill_mean_days: float = Field(58.0, gt=0, le=3650, description="Mean calendar days a seat stays vacant.")
    time_to_fill_sd_days: float = Field(25.0, ge=0, le=3650, description="Sd of the time to fill (lognormal).")


class Relationships(Strict):
    """What neglect and reassignment cost in customer propensity."""

    decay_per_interval: float = Field(
        0.15, ge=0, le=10,
        description="Share of propensity lost per visit interval an account is overdue (exponential).")
    floor: float = Field(0.4, ge=0, le=1, description="Propensity multiplier never falls below this.")
    recovery_per_visit: float = Field(0.3, ge=0, le=1, description="Share of lost propensity regained per visit.")
    change_penalty: float = Field(
        0.15, ge=0, le=1, description="Cut in needs found and win rate right after an account changes rep (with the "
                                      "hand-over losses: ~15% of a year's sales, Shi et al. 2017).")
    new_hire_change_penalty: float = Field(0.25, ge=0, le=1, description="The same when the new rep is ramping.")
    penalty_days: float = Field(365.0, gt=0, le=36_500,
                                description="Calendar days over which the change penalty fades.")
    handover_loss: float = Field(
        0.1, ge=0, le=1, description="Share of an account's open deals lost when it changes rep.")
    new_hire_handover_loss: float = Field(0.2, ge=0, le=1, description="The same when the new rep is ramping.")
    handover_slip_days: float = Field(
        30.0, ge=0, le=3650, description="Calendar days the other open deals of an account slip when it changes rep.")


class Workforce(Strict):
    """Quits, vacancies, hiring, and who covers a vacant seat's accounts."""

    attrition: Attrition = Attrition()
    hiring: Hiring = Hiring()
    vacancy_policy: str = Field("hold", description="hold, neighbours, realign or manager (registered policies).")
    manager_share: float = Field(0.3, ge=0, le=1, description="Share of a rep's field time a manager covers.")
    neighbours_max_load: float = Field(
        1.0, gt=0, le=100,
        description="Neighbours absorb units while their workload stays under this share of capacity.")
    neighbours_return_on_hire: bool = Field(True, description="Absorbed units go back to the seat's new hire.")
    relationships: Relationships = Relationships()

    @field_validator("vacancy_policy")
    @classmethod
    def _known_vacancy_policy(cls, name: str) -> str:
        return check_vacancy_policy(name)


def check_vacancy_policy(name: str) -> str:
    """The name, if a vacancy policy is registered under it (ValueError with a hint otherwise)."""
    known = vacancy_policy_names()
    if name not in known:
        raise ValueError(f"unknown vacancy policy '{name}'{did_you_mean(name, known)}; "
                         f"registered: {', '.join(known)}")
    return name


class _Timed(Strict):
    day: Int | None = Field(None, ge=0, description="Working day (0 = first day of the horizon).")
    quarter: Int | None = Field(
        None, ge=1, description="Quarter (1 = first): with `at`, its first or last working day; without, a day "
                                "drawn within it (the same in every arm of a replication).")
    at: Literal["start", "end"] | None = Field(
        None, description="With `quarter`: start (its first working day) or end (its last working day).")

    @model_validator(mode="after")
    def _one_time(self) -> _Timed:
        if (self.day is None) == (self.quarter is None):
            raise ValueError("give exactly one of 'day' or 'quarter'")
        if self.at is not None and self.quarter is None:
            raise ValueError("'at' goes with 'quarter' (at: start or end of a quarter); with 'day', drop 'at'")
        return self

    def event_day(self, days_per_quarter: int, drawn: int | None = None) -> int:
        """The working day of the event: `day`; or the quarter's first / last day; or `drawn` (0-based) within it."""
        if self.day is not None:
            return self.day
        first = (self.quarter - 1) * days_per_quarter
        if self.at == "start":
            return first
        if self.at == "end":
            return first + days_per_quarter - 1
        assert drawn is not None, "a quarter without `at` needs a drawn day"
        return first + drawn


class DepartureEvent(_Timed):
    """A named rep, or N reps picked at random / top / bottom performers, leave (no notice period)."""

    type: Literal["departure"]
    rep: str | None = Field(None, description="The rep who leaves: a rep_id, or a rep's name (e.g. 'Ann Novak').")
    count: Int | None = Field(None, ge=1, le=MAX_REPS, description="How many reps leave (instead of a named rep).")
    pick: Literal["random", "top", "bottom"] = Field("random", description="Who leaves, by attainment so far.")
    backfill: bool = Field(True, description="The seat is re-hired (if hiring is enabled).")

    @model_validator(mode="after")
    def _who(self) -> DepartureEvent:
        if (self.rep is None) == (self.count is None):
            raise ValueError("give exactly one of 'rep' or 'count'")
        return self


class HireEvent(_Timed):
    """An extra seat opens with a rep based at the given home; it takes the units nearer to it (or a realign)."""

    type: Literal["hire"]
    home_lat: float = Field(ge=-90, le=90)
    home_lon: float = Field(ge=-180, le=180)
    rep: str | None = Field(None, description="The new rep's id (default: generated).")
    takes: Literal["nearest", "realign"] = Field("nearest", description="How the new seat gets its accounts.")


class RealignEvent(_Timed):
    """The alignment is redrawn by a policy over the seats that are filled at that time."""

    type: Literal["realign"]
    policy: str = Field(description="Registered alignment policy.")
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _params_known(self) -> RealignEvent:
        from simulator.schema.policy_params import check_policy_params

        check_policy_params(self.policy, self.params)
        return self


class HeadcountEvent(_Timed):
    """Headcount changes: seats are closed (picked like departures, never re-hired) or opened."""

    type: Literal["headcount"]
    change: Int = Field(ge=-MAX_REPS, le=MAX_REPS, description="Seats to open (> 0) or close (< 0).")
    pick: Literal["random", "top", "bottom"] = Field("bottom", description="Which seats close, by attainment.")

    @field_validator("change")
    @classmethod
    def _non_zero(cls, change: int) -> int:
        if change == 0:
            raise ValueError("change must not be 0")
        return change


Event = Annotated[DepartureEvent | HireEvent | RealignEvent | HeadcountEvent, Field(discriminator="type")]

