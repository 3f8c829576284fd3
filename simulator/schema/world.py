"""Scenario sections about the world: where it comes from, how driving works, segments and the calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from simulator.schema.base import Int, Strict
from simulator.schema.limits import MAX_ACCOUNTS, MAX_DAYS_PER_QUARTER, MAX_QUARTERS, MAX_REPS, MAX_UNITS


class Region(Strict):
    """Rectangle on the map where the synthetic world is drawn."""

    centre_lat: float = Field(41.5, ge=-80, le=80, description="Latitude of the region's centre (degrees).")
    centre_lon: float = Field(-88.0, ge=-180, le=180, description="Longitude of the region's centre (degrees).")
    width_km: float = Field(500.0, gt=0, le=10_000, description="East-west extent in km.")
    height_km: float = Field(400.0, gt=0, le=10_000, description="North-south extent in km.")


class SyntheticWorld(Strict):
    """Parameters of the seeded synthetic world generator."""

    seed: Int = Field(0, ge=0, le=2**63 - 1, description="Seed of the world's structure (same seed, same world).")
    reps: Int = Field(12, ge=1, le=MAX_REPS, description="Number of rep seats.")
    accounts: Int = Field(1500, ge=1, le=MAX_ACCOUNTS, description="Number of accounts.")
    units: Int | None = Field(None, ge=1, le=MAX_UNITS, description="Number of geographic units; default accounts / 5.")
    metros: Int = Field(4, ge=1, le=1000, description="Number of metro centres accounts cluster around.")
    metro_radius_km: float = Field(25.0, gt=0, le=10_000, description="Typical radius of a metro cluster.")
    rural_share: float = Field(0.25, ge=0, le=1, description="Share of accounts spread uniformly, outside metros.")
    region: Region = Region()
    potential_median: float = Field(60_000.0, gt=0, le=1e12, description="Median annual potential of an account ($).")
    potential_sigma: float = Field(1.0, ge=0, le=4, description="Log-sd of annual potential (lognormal).")
    as_is_imbalance: float = Field(
        0.2, ge=0, le=10, description="Spread of the random reach of each seat in the as-is split (a share of the "
        "typical home distance); 0 gives a balanced split, the default a territory workload CV near 0.3.")
    tenure_years_mean: float = Field(2.0, gt=0, le=50, description="Mean tenure of the starting reps (exponential).")


class WorldFiles(Strict):
    """A world loaded from CSV or Parquet files (columns documented in docs/scenarios.md)."""

    accounts: Path = Field(description="Accounts file: account_id, lat, lon, potential, segment, owner, unit_id.")
    reps: Path = Field(description="Reps file: rep_id, home_lat, home_lon, hire_date or tenure_days.")
    units: Path | None = Field(None, description="Units file: unit_id, lat, lon, neighbours; default from accounts.")


class HomeBase(Strict):
    """A rep's home base given explicitly."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    rep_id: str | None = None


class GeographyWorld(Strict):
    """A world on the embedded real geography: accounts drawn inside units in proportion to labour force."""

    layer: Literal["us_counties", "us_zips"] = Field("us_counties", description="Embedded unit layer.")
    states: list[str] | None = Field(None, max_length=100,
                                     description="Two-letter states to keep (default: contiguous US).")
    seed: Int = Field(0, ge=0, le=2**63 - 1, description="Seed of the world's structure.")
    reps: Int = Field(100, ge=1, le=MAX_REPS, description="Rep seats (ignored when homes are given).")
    accounts: Int = Field(10_000, ge=1, le=MAX_ACCOUNTS, description="Number of accounts.")
    homes: list[HomeBase] | None = Field(None, min_length=1, max_length=MAX_REPS,
                                         description="Explicit home bases (one per rep).")
    potential_median: float = Field(60_000.0, gt=0, le=1e12, description="Median annual potential of an account ($).")
    potential_sigma: float = Field(1.0, ge=0, le=4, description="Log-sd of annual potential (lognormal).")
    tenure_years_mean: float = Field(2.0, gt=0, le=50, description="Mean tenure of the starting reps (exponential).")
    min_group_reps: float = Field(
        0.75, gt=0, le=1000, description="As-is split: states worth fewer reps than this are grouped with a neighbour.")

    @field_validator("states")
    @classmethod
    def _upper(cls, states: list[str] | None) -> list[str] | None:
        return None if states is None else [s.strip().upper() for s in states]


class WorldConfig(Strict):
    """Where the world comes from: exactly one of `synthetic`, `geography` or `files`."""

    synthetic: SyntheticWorld | None = None
    geography: GeographyWorld | None = None
    files: WorldFiles | None = None
    max_edge_factor: float = Field(
        3.0, gt=0, le=1000, description="Delaunay edges longer than this many times the median edge are pruned.")

    @model_validator(mode="after")
    def _one_source(self) -> WorldConfig:
        if sum(source is not None for source in (self.synthetic, self.geography, self.files)) != 1:
            raise ValueError("give exactly one of 'synthetic', 'geography' or 'files'")
        return self


class TravelConfig(Strict):
    """How long driving takes."""

    circuity: float = Field(1.3, ge=1, le=10, description="Road distance / great-circle distance.")
    speed_kmh: float = Field(50.0, ge=1, le=300, description="Average driving speed (km/h), 1 to 300.")
    road_graph: Path | None = Field(None, description="GraphML road graph; replaces the great-circle model.")


class Segment(Strict):
    """An account segment: how often and how long accounts of this segment must be visited."""

    share: float = Field(ge=0, le=1, description="Share of accounts (synthetic worlds, by potential rank).")
    visits_per_quarter: float = Field(gt=0, le=200, description="Required visits per quarter.")
    visit_hours: float = Field(gt=0, le=24, description="Mean duration of a visit (hours).")


def default_segments() -> dict[str, Segment]:
    """A: top 10% by potential, 4 visits a quarter of 1.5 h; B: next 30%, 2 of 1 h; C: the rest, 1 of 45 min."""
    return {
        "A": Segment(share=0.1, visits_per_quarter=4, visit_hours=1.5),
        "B": Segment(share=0.3, visits_per_quarter=2, visit_hours=1.0),
        "C": Segment(share=0.6, visits_per_quarter=1, visit_hours=0.75),
    }


class Calendar(Strict):
    """Quarters of working days, workdays of fixed hours."""

    quarters: Int = Field(4, ge=1, le=MAX_QUARTERS, description="Number of simulated quarters.")
    days_per_quarter: Int = Field(63, ge=3, le=MAX_DAYS_PER_QUARTER, description="Working days per quarter.")
    workday_hours: float = Field(9.0, gt=0, le=24, description="Hours in a workday.")

