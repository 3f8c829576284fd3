"""Scenario files: the pydantic schema, loading, and error messages that say exactly what is wrong.

A scenario is checked once, on load; every problem is listed with the file, the field path, the line where
it is and what is expected. Deeper code trusts the frozen `Scenario` it gets back.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

NonNegative = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Base for every section: unknown keys are errors and values are frozen after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(Strict):
    """Rectangle on the map where the synthetic world is drawn."""

    centre_lat: float = Field(41.5, ge=-80, le=80, description="Latitude of the region's centre (degrees).")
    centre_lon: float = Field(-88.0, ge=-180, le=180, description="Longitude of the region's centre (degrees).")
    width_km: float = Field(500.0, gt=0, description="East-west extent in km.")
    height_km: float = Field(400.0, gt=0, description="North-south extent in km.")


class SyntheticWorld(Strict):
    """Parameters of the seeded synthetic world generator."""

    seed: int = Field(0, description="Seed of the world's structure (same seed, same world).")
    reps: int = Field(12, ge=1, description="Number of rep seats.")
    accounts: int = Field(1500, ge=1, description="Number of accounts.")
    units: int | None = Field(None, ge=1, description="Number of geographic units; default accounts / 5.")
    metros: int = Field(4, ge=1, description="Number of metro centres accounts cluster around.")
    metro_radius_km: float = Field(25.0, gt=0, description="Typical radius of a metro cluster.")
    rural_share: float = Field(0.25, ge=0, le=1, description="Share of accounts spread uniformly, outside metros.")
    region: Region = Region()
    potential_median: float = Field(60_000.0, gt=0, description="Median annual potential of an account ($).")
    potential_sigma: float = Field(1.0, ge=0, description="Log-sd of annual potential (lognormal).")
    as_is_imbalance: float = Field(
        0.2, ge=0, description="Spread of the random reach of each seat in the as-is split (a share of the "
        "typical home distance); 0 gives a balanced split, the default a territory workload CV near 0.3.")
    tenure_years_mean: float = Field(2.0, gt=0, description="Mean tenure of the starting reps (exponential).")


class WorldFiles(Strict):
    """A world loaded from CSV or Parquet files (columns documented in the README)."""

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
    states: list[str] | None = Field(None, description="Two-letter states to keep (default: contiguous US).")
    seed: int = Field(0, description="Seed of the world's structure.")
    reps: int = Field(100, ge=1, description="Rep seats (ignored when homes are given).")
    accounts: int = Field(10_000, ge=1, description="Number of accounts.")
    homes: list[HomeBase] | None = Field(None, description="Explicit home bases (one per rep).")
    potential_median: float = Field(60_000.0, gt=0, description="Median annual potential of an account ($).")
    potential_sigma: float = Field(1.0, ge=0, description="Log-sd of annual potential (lognormal).")
    tenure_years_mean: float = Field(2.0, gt=0, description="Mean tenure of the starting reps (exponential).")
    min_group_reps: float = Field(
        0.75, gt=0, description="As-is split: states worth fewer reps than this are grouped with a neighbour.")

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
        3.0, gt=0, description="Delaunay edges longer than this many times the median edge are pruned.")

    @model_validator(mode="after")
    def _one_source(self) -> WorldConfig:
        if sum(source is not None for source in (self.synthetic, self.geography, self.files)) != 1:
            raise ValueError("give exactly one of 'synthetic', 'geography' or 'files'")
        return self


class TravelConfig(Strict):
    """How long driving takes."""

    circuity: float = Field(1.3, ge=1, description="Road distance / great-circle distance.")
    speed_kmh: float = Field(50.0, gt=0, description="Average driving speed (km/h).")
    road_graph: Path | None = Field(None, description="GraphML road graph; replaces the great-circle model.")


class Segment(Strict):
    """An account segment: how often and how long accounts of this segment must be visited."""

    share: float = Field(ge=0, le=1, description="Share of accounts (synthetic worlds, by potential rank).")
    visits_per_quarter: float = Field(gt=0, description="Required visits per quarter.")
    visit_hours: float = Field(gt=0, description="Mean duration of a visit (hours).")


def _default_segments() -> dict[str, Segment]:
    return {
        "A": Segment(share=0.1, visits_per_quarter=4, visit_hours=1.5),
        "B": Segment(share=0.3, visits_per_quarter=2, visit_hours=1.0),
        "C": Segment(share=0.6, visits_per_quarter=1, visit_hours=0.75),
    }


class Calendar(Strict):
    """Quarters of working days, workdays of fixed hours."""

    quarters: int = Field(4, ge=1, description="Number of simulated quarters.")
    days_per_quarter: int = Field(63, ge=3, description="Working days per quarter.")
    workday_hours: float = Field(9.0, gt=0, le=24, description="Hours in a workday.")


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


class Attrition(Strict):
    """Voluntary quits: a daily hazard from an annual rate, raised early in tenure, by unfairness, by misses."""

    enabled: bool = Field(True, description="Reps may quit (false: nobody quits unless an event says so).")
    annual_quit_rate: float = Field(
        0.12, ge=0, lt=1, description="Annual quit probability of a settled rep (past early tenure, fair deal).")
    early_tenure_years: float = Field(2.0, ge=0, description="Tenure below which the hazard is raised.")
    early_tenure_multiplier: float = Field(2.5, ge=0, description="Hazard multiplier in early tenure.")
    unfair_potential_ratio: float = Field(
        0.75, ge=0, description="A seat whose territory potential is below this share of the mean is unfair.")
    unfairness_multiplier: float = Field(1.4, ge=0, description="Hazard multiplier on an unfair seat.")
    low_attainment: float = Field(0.7, ge=0, description="Attainment below which a quarter counts as a bad one.")
    low_attainment_quarters: int = Field(2, ge=1, description="Consecutive bad quarters that raise the hazard.")
    low_attainment_multiplier: float = Field(1.6, ge=0, description="Hazard multiplier after bad quarters.")
    notice_days: int = Field(10, ge=0, description="Working days between giving notice and leaving.")


class Hiring(Strict):
    """Back-filling vacant seats."""

    enabled: bool = Field(True, description="Vacant seats are filled (false: seats stay vacant, a downsizing).")
    time_to_fill_mean_days: float = Field(58.0, gt=0, description="Mean calendar days a seat stays vacant.")
    time_to_fill_sd_days: float = Field(25.0, ge=0, description="Sd of the time to fill (lognormal).")


class Relationships(Strict):
    """What neglect and reassignment cost in customer propensity."""

    decay_per_interval: float = Field(
        0.15, ge=0, description="Share of propensity lost per visit interval an account is overdue (exponential).")
    floor: float = Field(0.4, ge=0, le=1, description="Propensity multiplier never falls below this.")
    recovery_per_visit: float = Field(0.3, ge=0, le=1, description="Share of lost propensity regained per visit.")
    change_penalty: float = Field(
        0.2, ge=0, le=1, description="Cut in opportunity creation and win rate right after an account changes rep.")
    new_hire_change_penalty: float = Field(0.35, ge=0, le=1, description="The same when the new rep is ramping.")
    penalty_days: float = Field(90.0, gt=0, description="Calendar days over which the change penalty fades.")


class Workforce(Strict):
    """Quits, vacancies, hiring, and who covers a vacant seat's accounts."""

    attrition: Attrition = Attrition()
    hiring: Hiring = Hiring()
    vacancy_policy: str = Field("hold", description="hold, neighbours, realign or manager (registered policies).")
    manager_share: float = Field(0.3, ge=0, le=1, description="Share of a rep's field time a manager covers.")
    neighbours_max_load: float = Field(
        1.0, gt=0, description="Neighbours absorb units while their workload stays under this share of capacity.")
    neighbours_return_on_hire: bool = Field(True, description="Absorbed units go back to the seat's new hire.")
    relationships: Relationships = Relationships()

    @field_validator("vacancy_policy")
    @classmethod
    def _known_vacancy_policy(cls, name: str) -> str:
        return _check_vacancy_policy(name)


def _check_vacancy_policy(name: str) -> str:
    from simulator.policies.vacancy import registered_vacancy_policies

    known = registered_vacancy_policies()
    if name not in known:
        raise ValueError(f"unknown vacancy policy '{name}'{_did_you_mean(name, known)}; "
                         f"registered: {', '.join(known)}")
    return name


class _Timed(Strict):
    day: int | None = Field(None, ge=0, description="Working day (0 = first day of the horizon).")
    quarter: int | None = Field(None, ge=1, description="Quarter (1 = first); the day is drawn within it.")

    @model_validator(mode="after")
    def _one_time(self) -> _Timed:
        if (self.day is None) == (self.quarter is None):
            raise ValueError("give exactly one of 'day' or 'quarter'")
        return self


class DepartureEvent(_Timed):
    """A named rep, or N reps picked at random / top / bottom performers, leave (no notice period)."""

    type: Literal["departure"]
    rep: str | None = Field(None, description="The rep_id who leaves.")
    count: int | None = Field(None, ge=1, description="How many reps leave (instead of a named rep).")
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


class HeadcountEvent(_Timed):
    """Headcount changes: seats are closed (picked like departures, never re-hired) or opened."""

    type: Literal["headcount"]
    change: int = Field(description="Seats to open (> 0) or close (< 0).")
    pick: Literal["random", "top", "bottom"] = Field("bottom", description="Which seats close, by attainment.")

    @field_validator("change")
    @classmethod
    def _non_zero(cls, change: int) -> int:
        if change == 0:
            raise ValueError("change must not be 0")
        return change


Event = Annotated[DepartureEvent | HireEvent | RealignEvent | HeadcountEvent, Field(discriminator="type")]


class Quota(Strict):
    """How quota is set per rep-quarter."""

    policy: Literal["equal", "potential"] = Field("potential", description="equal split or share of potential.")
    share_of_potential: float = Field(
        0.07, gt=0, description="Company quarterly target as a share of total annual potential.")
    company_target: float | None = Field(None, gt=0, description="Explicit company target per quarter ($).")


class PolicySpec(Strict):
    """One alignment policy to compare, with its parameters."""

    name: str = Field(description="Registered policy name (as_is, nearest, ...).")
    label: str | None = Field(None, description="Label in the results; default the name.")
    params: dict[str, Any] = Field(default_factory=dict, description="Keyword parameters of the policy.")
    vacancy_policy: str | None = Field(None, description="Vacancy policy of this arm; default workforce's.")

    @field_validator("vacancy_policy")
    @classmethod
    def _known_vacancy_policy(cls, name: str | None) -> str | None:
        return None if name is None else _check_vacancy_policy(name)

    @property
    def key(self) -> str:
        """The label used in results tables."""
        return self.label or self.name


class Experiment(Strict):
    """Replications and seed."""

    replications: int = Field(3, ge=1, description="Replications per policy.")
    seed: int = Field(1, ge=0, description="Seed of every random stream.")
    baseline: str | None = Field(None, description="Policy label the others are compared with (default: first).")


class Output(Strict):
    """Where runs are written."""

    folder: Path = Field(Path("results"), description="Runs go to <folder>/<scenario>/<timestamp>-<id>/.")


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Scenario name (folder-safe).")
    description: str = ""
    world: WorldConfig
    travel: TravelConfig = TravelConfig()
    segments: dict[str, Segment] = Field(default_factory=_default_segments)
    calendar: Calendar = Calendar()
    behaviour: Behaviour = Behaviour()
    pacing: Literal["even", "back_loaded"] | PacingProfile = "even"
    quota: Quota = Quota()
    policies: list[PolicySpec] = Field(min_length=1)
    workforce: Workforce = Workforce()
    events: list[Event] = Field(default_factory=list, description="Planned departures, hires, realignments.")
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict, description="Grid of parameter values: dotted path -> values (policies.*.params.x "
        "sets x in every policy); every combination is a sweep point.")
    experiment: Experiment = Experiment()
    output: Output = Output()
    source: Path | None = Field(None, exclude=True, description="File the scenario was loaded from.")

    @field_validator("policies", mode="before")
    @classmethod
    def _names_to_specs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("policies")
    @classmethod
    def _known_policies(cls, specs: list[PolicySpec]) -> list[PolicySpec]:
        from simulator.policies import registered_policies

        known = registered_policies()
        for spec in specs:
            if spec.name not in known:
                hint = _did_you_mean(spec.name, known)
                raise ValueError(f"unknown policy '{spec.name}'{hint}; registered: {', '.join(sorted(known))}")
        labels = [spec.key for spec in specs]
        if len(set(labels)) != len(labels):
            raise ValueError("policy labels must be unique; give a 'label' to repeated policies")
        return specs

    @model_validator(mode="after")
    def _events_inside_horizon(self) -> Scenario:
        days = self.calendar.quarters * self.calendar.days_per_quarter
        from simulator.policies import registered_policies

        for index, event in enumerate(self.events):
            if event.day is not None and event.day >= days:
                raise ValueError(f"events.{index}.day: {event.day} is past the horizon (days 0..{days - 1})")
            if event.quarter is not None and event.quarter > self.calendar.quarters:
                raise ValueError(f"events.{index}.quarter: {event.quarter} is past the horizon "
                                 f"(quarters 1..{self.calendar.quarters})")
            if isinstance(event, RealignEvent) and event.policy not in registered_policies():
                raise ValueError(f"events.{index}.policy: unknown policy '{event.policy}'"
                                 f"{_did_you_mean(event.policy, registered_policies())}")
        return self

    def vacancy_policy_of(self, spec: PolicySpec) -> str:
        """The vacancy policy in force for one compared arm."""
        return spec.vacancy_policy or self.workforce.vacancy_policy

    @field_validator("segments")
    @classmethod
    def _segments_present(cls, segments: dict[str, Segment]) -> dict[str, Segment]:
        if not segments:
            raise ValueError("at least one segment is needed")
        return segments

    def with_overrides(self, **changes: Any) -> Scenario:
        """Return a copy with dotted-path overrides, re-validated (e.g. `{"calendar.quarters": 2}`).

        A `*` part applies to every item of a list (`policies.*.params.tolerance`).
        """
        data = self.model_dump(mode="python", exclude={"source"})
        for dotted, value in changes.items():
            _set_path(data, dotted.split("."), value, dotted)
        return Scenario.model_validate({**data, "source": self.source})

    def baseline_key(self) -> str:
        """Label of the policy the others are compared with."""
        return self.experiment.baseline or self.policies[0].key

    @model_validator(mode="after")
    def _sweep_points_valid(self) -> Scenario:
        if self.experiment.baseline is not None and self.experiment.baseline not in [p.key for p in self.policies]:
            raise ValueError(f"experiment.baseline: '{self.experiment.baseline}' is not a policy label "
                             f"({', '.join(p.key for p in self.policies)})")
        for path, values in self.sweep.items():
            head = path.split(".")
            if head[0] in ("name", "experiment", "output", "sweep", "source") or (
                    head[0] == "policies" and len(head) > 2 and head[2] in ("name", "label", "vacancy_policy")):
                raise ValueError(f"sweep.{path}: cannot be swept (it names what is compared or how it is run); "
                                 "sweep model parameters, or list the arms under policies")
            if not values:
                raise ValueError(f"sweep.{path}: give at least one value")
            for value in values:
                try:
                    self.with_overrides(**{path: value, "sweep": {}})
                except (KeyError, IndexError, TypeError) as exc:
                    raise ValueError(f"sweep.{path}: no such parameter in the scenario ({exc})") from None
                except ValidationError as exc:
                    first = exc.errors()[0]
                    if first["type"] == "extra_forbidden":
                        raise ValueError(f"sweep.{path}: no such parameter in the scenario") from None
                    raise ValueError(f"sweep.{path}: value {value!r} is not valid: {first['msg']}") from None
        return self


def _set_path(node: Any, parts: list[str], value: Any, dotted: str) -> None:
    head, rest = parts[0], parts[1:]
    if head == "*":
        if not isinstance(node, list):
            raise TypeError(f"'*' in {dotted} needs a list")
        for item in node:
            _set_path(item, rest, value, dotted) if rest else None
        return
    key: Any = int(head) if isinstance(node, list) else head
    if not rest:
        if isinstance(node, dict) or isinstance(node, list):
            node[key] = value
            return
        raise TypeError(f"cannot set {dotted}")
    if isinstance(node, dict) and key not in node:
        raise KeyError(head)
    child = node[key]
    if child is None:  # an optional section not given yet
        node[key] = child = {}
    _set_path(child, rest, value, dotted)


class ScenarioError(Exception):
    """A scenario that cannot be used; `problems` lists every issue as one line each."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        super().__init__("\n".join(problems))


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file.

    Args:
        path: the scenario file.

    Returns:
        The validated, frozen scenario; relative data paths are resolved against the file's folder.

    Raises:
        ScenarioError: listing every problem with file, line, field path and what is expected.

    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(path, [f"{path}: cannot read the file ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    try:
        data = yaml.safe_load(text)
        lines = _key_lines(yaml.compose(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, [f"{path}: YAML syntax error at {where}: {problem}"]) from exc
    if not isinstance(data, dict):
        raise ScenarioError(path, [f"{path}: expected a mapping of sections (name, world, policies, ...)"])
    data = _resolve_paths(data, path.parent)
    try:
        return Scenario.model_validate({**data, "source": path})
    except ValidationError as exc:
        raise ScenarioError(path, _merge_alternatives([_describe(path, err, lines) for err in exc.errors()])) from exc


def _merge_alternatives(problems: list[tuple[str, str]]) -> list[str]:
    """One line per field: the messages pydantic gives for each member of a union are joined with 'or'."""
    merged: dict[str, list[str]] = {}
    for where, message in problems:
        merged.setdefault(where, []).append(message)
    return [f"{where}: {' or '.join(messages)}" for where, messages in merged.items()]


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make world file and road graph paths relative to the scenario's folder."""
    data = dict(data)
    world = data.get("world")
    if isinstance(world, dict) and isinstance(world.get("files"), dict):
        files = {k: (str(base / v) if isinstance(v, str) else v) for k, v in world["files"].items()}
        data["world"] = {**world, "files": files}
    travel = data.get("travel")
    if isinstance(travel, dict) and isinstance(travel.get("road_graph"), str):
        data["travel"] = {**travel, "road_graph": str(base / travel["road_graph"])}
    return data


def _key_lines(node: yaml.Node | None, prefix: tuple = ()) -> dict[tuple, int]:
    """Map every field path of a composed YAML document to its 1-based line."""
    found: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            found[path] = key_node.start_mark.line + 1
            found.update(_key_lines(value_node, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found[(*prefix, index)] = item.start_mark.line + 1
            found.update(_key_lines(item, (*prefix, index)))
    return found


def _describe(path: Path, error: dict[str, Any], lines: dict[tuple, int]) -> tuple[str, str]:
    """For one pydantic error: ("file:line: field path", what is wrong and what is expected)."""
    loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
    line = None
    for cut in range(len(loc), 0, -1):
        line = lines.get(loc[:cut])
        if line is not None:
            break
    where = f"{path}:{line}" if line else f"{path}"
    field = ".".join(str(part) for part in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        known = _fields_at(Scenario, loc[:-1])
        hint = _did_you_mean(str(loc[-1]), known)
        expected = f"; expected one of: {', '.join(sorted(known))}" if known and not hint else ""
        return f"{where}: {field}", f"unknown key{hint}{expected}"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required field is missing"
    return f"{where}: {field}", message


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts union member names (e.g. 'PacingProfile') in error locations; drop them."""
    return isinstance(part, str) and (part in _MODEL_NAMES or part.startswith(("literal[", "function-")))


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model found by following `loc` from `model` (empty if it cannot be followed)."""
    current: Any = model
    for part in loc:
        current = _field_type(current, part)
        if current is None:
            return []
    model_cls = _model_in(current)
    return list(model_cls.model_fields) if model_cls else []


def _field_type(annotation: Any, part: Any) -> Any:
    model_cls = _model_in(annotation)
    if model_cls is not None and isinstance(part, str) and part in model_cls.model_fields:
        return model_cls.model_fields[part].annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, dict):
        return typing.get_args(annotation)[-1]
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _did_you_mean(word: str, candidates: Any) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


_MODEL_NAMES = {cls.__name__ for cls in Strict.__subclasses__()}


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario format, for editors that complete YAML files."""
    schema = Scenario.model_json_schema()
    schema["properties"].pop("source", None)
    schema["title"] = "territory-sim scenario"
    return schema
