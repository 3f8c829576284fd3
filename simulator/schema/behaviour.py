"""Scenario sections about behaviour: workdays, call response, pipeline, pacing and quota."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from simulator.schema.base import Int, NonNegative, Strict


class Response(Strict):
    """How visits turn an account's needs into opportunities: a demand pool found by visits, with memory.

    Needs arise at `demand_per_quarter` x propensity x relationship and are met elsewhere (a competitor, the
    customer's own staff) after `demand_life_days` on average, so an account left alone holds a finite pool of
    them. A visit uncovers a share of the pool that grows with the
    account's effort stock (an exponentially weighted visit rate, `memory_days`) along an ADBUDG curve
    s(x) = discovery_max * x^c / (d + x^c), x = stock / required visits; the needs it finds leave the pool. A
    visit a week after the last one finds little; one after a long gap finds the needs that waited.
    """

    inbound: float = Field(0.12, ge=0, le=10,
                           description="Opportunities per quarter an account brings in with no call (at most 127 "
                           "per account and quarter are drawn).")
    demand_per_quarter: float = Field(0.33, ge=0, le=100,
                                      description="Needs per quarter of a mean-propensity account.")
    demand_life_days: float = Field(
        365.0, gt=0, le=36_500,
        description="Mean calendar days before a need nobody finds is met elsewhere (a budget year).")
    discovery_max: float = Field(0.9, gt=0, le=1, description="Largest share of the pool one visit uncovers.")
    c: float = Field(1.0, gt=0, le=20, description="Shape of discovery in the effort stock (c > 1: S-shaped).")
    d: float = Field(0.1, gt=0, le=1e6,
                     description="Half-saturation of discovery in the effort stock (x = stock/required).")
    memory_days: float = Field(90.0, gt=0, le=36_500,
                               description="Calendar days over which the effort stock decays (e-fold).")
    max_open_deals: Int = Field(45, ge=1, le=100_000,
                                description="Open deals one rep can actively work; visits beyond it "
                                                      "leave needs in the pool.")


class Pipeline(Strict):
    """Opportunities: value, stages, sales cycle, stalling, winning, quarter-end closing and hand-overs."""

    stages: Int = Field(3, ge=1, le=20, description="Stages an opportunity goes through; each needs a touch.")
    sales_cycle_median_days: float = Field(75.0, gt=0, le=3650,
                                           description="Median calendar days from creation to close.")
    sales_cycle_sigma: float = Field(0.45, ge=0, le=5, description="Log-sd of the sales cycle.")
    stall_days: float = Field(15.0, gt=0, le=3650,
                              description="Calendar days an untouched stage waits before re-checking.")
    max_stalls: Int = Field(3, ge=0, le=100, description="Consecutive untouched checks after which it is lost.")
    deal_value_share: float = Field(0.45, gt=0, le=100, description="Mean deal value as a share of annual potential.")
    deal_value_sigma: float = Field(0.5, ge=0, le=5, description="Log-sd of deal value.")
    win_probability: float = Field(0.3, gt=0, le=1, description="Win probability at close for a skill-1 rep.")
    quarter_end_days: float = Field(
        21.0, ge=0, le=92, description="Calendar days at the end of a quarter when deals are pulled in or slip.")
    pull_in_probability: float = Field(
        0.35, ge=0, le=1, description="Chance a visit in the quarter's last weeks pulls in a late-stage deal due "
                                      "to close within that many days after the quarter ends.")
    pull_in_discount: float = Field(0.08, ge=0, lt=1, description="Price discount on a pulled-in deal.")
    slip_probability: float = Field(
        0.25, ge=0, le=1, description="Chance a deal due to close in the quarter's last weeks slips to the next "
                                      "quarter when its account was not visited in those weeks.")


class Trips(Strict):
    """Overnight trips to accounts beyond a day trip: driven, or flown to beyond `fly_in_beyond_hours`."""

    enabled: bool = Field(True, description="Reps cover remote accounts with overnight trips (false: day trips).")
    overnight_beyond_hours: float = Field(
        1.25, gt=0, le=24, description="One-way drive from home beyond which an account is covered by overnight trips.")
    max_days: Int = Field(4, ge=2, le=5, description="Longest trip in working days (3 nights).")
    radius_hours: float = Field(1.0, gt=0, le=24, description="Drive from the trip's lodging within which it visits.")
    night_cost: float = Field(178.0, ge=0, le=1e6, description="Cost of a night away ($: lodging + meals; GSA FY2025 "
                                                      "standard CONUS per diem, $110 + $68).")
    fly_in_beyond_hours: float = Field(
        6.0, gt=0, le=48, description="One-way drive from home beyond which the rep flies to a trip instead of "
                                      "driving (6 h: a longer drive no longer fits in a day's field time, about "
                                      "5.8 h at the default workday and admin share).")
    flight_hours: float = Field(
        4.0, gt=0, le=24, description="Door-to-door hours of one flight, each way: to the airport, two hours "
                                      "there before departure (the airlines' and TSA's advice for domestic "
                                      "flights), about an hour in the air, and the rental car at the far end.")
    flight_cost: float = Field(
        414.0, ge=0, le=1e6, description="Cost of a fly-in trip's round-trip flight ($: BTS average domestic "
                                         "itinerary fare from Chicago O'Hare, Q1 2025, $414).")


class RemoteTouches(Strict):
    """Phone and video touches between visits."""

    enabled: bool = Field(True, description="Reps advance deals by phone/video where a visit is not needed.")
    hours: float = Field(0.25, gt=0, le=24, description="Hours of one remote touch.")
    relationship_weight: float = Field(
        0.3, ge=0, le=1, description="Weight of a remote touch against a visit in relationship and effort stock.")
    visit_segments: list[str] = Field(
        default_factory=lambda: ["A"],
        description="Segments whose deals need an in-person visit at every stage (others only at the last).")


class Behaviour(Strict):
    """How reps spend their days and how customers respond."""

    admin_share: float = Field(
        0.36, ge=0, lt=1, description="Mean share of the workday on admin, internal meetings and waiting.")
    admin_share_sd: float = Field(0.08, ge=0, le=1, description="Day-to-day sd of the admin share.")
    visit_duration_cv: float = Field(0.3, ge=0, le=10, description="CV of simulated visit durations (lognormal).")
    travel_time_cv: float = Field(0.25, ge=0, le=10, description="CV of simulated drive times (lognormal).")
    skill_sigma: float = Field(0.2, ge=0, le=5, description="Log-sd of rep skill (mean 1).")
    propensity_sigma: float = Field(0.5, ge=0, le=5, description="Log-sd of hidden account propensity (mean 1).")
    due_threshold: float = Field(0.85, ge=0, le=10,
                                 description="Share of the visit interval after which an account is due.")
    overdue_weight: float = Field(1.0, ge=0, le=1e6, description="Planning weight of how overdue an account is.")
    potential_weight: float = Field(0.5, ge=0, le=1e6, description="Planning weight of potential (rank in territory).")
    opportunity_weight: float = Field(5.0, ge=0, le=1e6,
                                      description="Planning weight of an open opportunity needing a touch.")
    max_visits_over_required: float = Field(
        2.0, ge=1, le=100, description="Most visits an account gets in a quarter, as a multiple of its required "
                                       "visits (rounded up): a rep tops a light day up with accounts not yet due, "
                                       "but does not call on the same customer every day.")
    max_detour_hours: float = Field(
        1.0, gt=0, le=24, description="A day's stops lie within this drive of its most urgent account (its anchor).")
    ramp: list[tuple[float, float]] = Field(
        default_factory=lambda: [(3.0, 0.3), (6.0, 0.6)], max_length=24,
        description="New-hire selling capacity: [months since hire, share of a settled rep's field time] steps; "
                    "the rest is onboarding. Full capacity after the last step. (Output ramps a little faster: "
                    "a seat that stood vacant has needs waiting.)")
    response: Response = Response()
    pipeline: Pipeline = Pipeline()
    trips: Trips = Trips()
    remote: RemoteTouches = RemoteTouches()

    @field_validator("ramp")
    @classmethod
    def _ramp_increasing(cls, steps: list[tuple[float, float]]) -> list[tuple[float, float]]:
        months = [m for m, _ in steps]
        if months != sorted(months) or any(not 0 < mult <= 1 for _, mult in steps) \
                or any(not 0 <= m <= 120 for m in months):
            raise ValueError("ramp steps need increasing months in [0, 120] and multipliers in (0, 1]")
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
        0.045, ge=1e-6, le=100, description="Company quarterly target as a share of total annual potential.")
    company_target: float | None = Field(None, ge=1, le=1e15, description="Explicit company target per quarter ($).")

