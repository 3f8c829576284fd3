"""Scenario sections about behaviour: workdays, call response, pipeline, pacing and quota."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from simulator.schema.base import NonNegative, Strict


class Response(Strict):
    """ADBUDG response of opportunities per quarter to the call frequency (visits / required visits)."""

    r0: float = Field(0.12, ge=0, description="Opportunities per quarter with no visit (inbound).")
    r_max: float = Field(1.0, gt=0, description="Saturation level of opportunities per quarter.")
    c: float = Field(1.0, gt=0, description="Shape (c > 1: S-shaped, c <= 1: concave).")
    d: float = Field(0.3, gt=0, description="Half-saturation constant.")

    @model_validator(mode="after")
    def _ordered(self) -> Response:
        if self.r_max < self.r0:
            raise ValueError("r_max must be at least r0")
        return self


class Pipeline(Strict):
    """Opportunities: value, stages, sales cycle, stalling and winning."""

    stages: int = Field(3, ge=1, description="Stages an opportunity goes through; each needs a touch.")
    sales_cycle_median_days: float = Field(75.0, gt=0, description="Median calendar days from creation to close.")
    sales_cycle_sigma: float = Field(0.45, ge=0, description="Log-sd of the sales cycle.")
    stall_days: float = Field(12.0, gt=0, description="Calendar days an untouched stage waits before re-checking.")
    max_stalls: int = Field(2, ge=0, description="Consecutive untouched checks after which it is lost.")
    deal_value_share: float = Field(0.45, gt=0, description="Mean deal value as a share of annual potential.")
    deal_value_sigma: float = Field(0.5, ge=0, description="Log-sd of deal value.")
    win_probability: float = Field(0.3, gt=0, le=1, description="Win probability at close for a skill-1 rep.")


class Behaviour(Strict):
    """How reps spend their days and how customers respond."""

    admin_share: float = Field(0.38, ge=0, lt=1, description="Mean share of the workday on admin / non-selling.")
    admin_share_sd: float = Field(0.08, ge=0, description="Day-to-day sd of the admin share.")
    visit_duration_cv: float = Field(0.3, ge=0, description="CV of simulated visit durations (lognormal).")
    travel_time_cv: float = Field(0.25, ge=0, description="CV of simulated drive times (lognormal).")
    skill_sigma: float = Field(0.2, ge=0, description="Log-sd of rep skill (mean 1).")
    propensity_sigma: float = Field(0.5, ge=0, description="Log-sd of hidden account propensity (mean 1).")
    due_threshold: float = Field(0.85, ge=0, description="Share of the visit interval after which an account is due.")
    overdue_weight: float = Field(1.0, ge=0, description="Planning weight of how overdue an account is.")
    potential_weight: float = Field(0.5, ge=0, description="Planning weight of potential (rank in territory).")
    opportunity_weight: float = Field(1.0, ge=0, description="Planning weight of an open opportunity needing a touch.")
    ramp: list[tuple[float, float]] = Field(
        default_factory=lambda: [(3.0, 0.3), (6.0, 0.7)],
        description="New-hire productivity: [months since hire, multiplier] steps; full productivity after.")
    response: Response = Response()
    pipeline: Pipeline = Pipeline()

    @field_validator("ramp")
    @classmethod
    def _ramp_increasing(cls, steps: list[tuple[float, float]]) -> list[tuple[float, float]]:
        months = [m for m, _ in steps]
        if months != sorted(months) or any(not 0 < mult <= 1 for _, mult in steps):
            raise ValueError("ramp steps need increasing months and multipliers in (0, 1]")
        return steps


class PacingProfile(Strict):
    """Effort and effectiveness by month of the quarter."""

    effort: tuple[NonNegative, NonNegative, NonNegative] = Field(
        description="Field-time multiplier in months 1, 2, 3.")
    effectiveness: tuple[NonNegative, NonNegative, NonNegative] = Field(
        description="Opportunity-creation multiplier by month.")


class Quota(Strict):
    """How quota is set per rep-quarter."""

    policy: Literal["equal", "potential", "workload"] = Field(
        "potential", description="equal split, share of potential, or share of the potential a rep can cover "
                                 "(potential x min(1, field capacity / territory workload incl. travel)).")
    share_of_potential: float = Field(
        0.07, gt=0, description="Company quarterly target as a share of total annual potential.")
    company_target: float | None = Field(None, gt=0, description="Explicit company target per quarter ($).")

