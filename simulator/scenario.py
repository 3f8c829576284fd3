"""Scenario files: the validated, frozen `Scenario`, loading it from YAML, and overrides and sweeps.

A scenario is checked once, on load; every problem is listed with the file, the field path, the line where
it is and what is expected. Deeper code trusts the frozen `Scenario` it gets back. The sections live in
`simulator.schema` (one module per concept) and are re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from simulator.catalogue import CATALOGUE
from simulator.schema.base import NonNegative, Strict, did_you_mean
from simulator.schema.behaviour import Behaviour, PacingProfile, Pipeline, Quota, Response
from simulator.schema.errors import describe_all, key_lines, merge_alternatives
from simulator.schema.experiment import DEFAULT_PRECISION, Experiment, Selection
from simulator.schema.limits import MAX_EVENTS, MAX_POLICIES, MAX_SWEEP_POINTS
from simulator.schema.policy_names import alignment_policy_names
from simulator.schema.policy_params import check_policy_params
from simulator.schema.workforce import (
    Attrition,
    DepartureEvent,
    Event,
    HeadcountEvent,
    HireEvent,
    Hiring,
    RealignEvent,
    Relationships,
    Workforce,
    check_vacancy_policy,
)
from simulator.schema.world import (
    Calendar,
    GeographyWorld,
    HomeBase,
    Region,
    Segment,
    SyntheticWorld,
    TravelConfig,
    WorldConfig,
    WorldFiles,
    default_segments,
)
from simulator.schema.yaml_guard import MAX_BYTES, YamlLimitError, load_yaml

__all__ = [
    "DEFAULT_PRECISION", "Attrition", "Behaviour", "Calendar",
    "DepartureEvent", "Event", "Experiment", "GeographyWorld", "HeadcountEvent",
    "HireEvent", "Hiring", "HomeBase", "NonNegative", "Output", "PacingProfile", "Pipeline", "PolicySpec", "Quota",
    "RealignEvent", "Region", "Relationships", "Response", "Scenario", "ScenarioError", "Segment", "Selection",
    "Strict",
    "SyntheticWorld", "TravelConfig", "Workforce", "WorldConfig", "WorldFiles", "load_scenario",
    "scenario_json_schema",
]


class PolicySpec(Strict):
    """One alignment policy to compare, with its parameters."""

    name: str = Field(description="Registered policy name (as_is, nearest, ...).")
    label: str | None = Field(None, description="Label in the results; default the name.")
    params: dict[str, Any] = Field(default_factory=dict, description="Keyword parameters of the policy.")
    vacancy_policy: str | None = Field(None, description="Vacancy policy of this arm; default workforce's.")

    @field_validator("vacancy_policy")
    @classmethod
    def _known_vacancy_policy(cls, name: str | None) -> str | None:
        return None if name is None else check_vacancy_policy(name)

    @model_validator(mode="after")
    def _params_known(self) -> PolicySpec:
        check_policy_params(self.name, self.params)
        return self

    @property
    def key(self) -> str:
        """The label used in results tables."""
        return self.label or self.name


class Output(Strict):
    """Where runs are written."""

    folder: Path = Field(Path("results"), description="Runs go to <folder>/<scenario>/<timestamp>-<id>/ ('~' is "
                         "your home folder).")

    @field_validator("folder")
    @classmethod
    def _home(cls, folder: Path) -> Path:
        return folder.expanduser()


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100, description="Scenario name (folder-safe: "
                      "letters, digits, '_', '.', '-'; not only dots).")
    description: str = ""
    world: WorldConfig
    travel: TravelConfig = TravelConfig()
    segments: dict[str, Segment] = Field(default_factory=default_segments, max_length=100)
    calendar: Calendar = Calendar()
    behaviour: Behaviour = Behaviour()
    pacing: Literal["even", "back_loaded"] | PacingProfile = "even"
    quota: Quota = Quota()
    policies: list[PolicySpec] = Field(min_length=1, max_length=MAX_POLICIES)
    workforce: Workforce = Workforce()
    events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS,
                                description="Planned departures, hires, realignments.")
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict, description="Grid of parameter values: dotted path -> values (policies.*.params.x "
        "sets x in every policy); every combination is a sweep point.")
    experiment: Experiment = Experiment()
    output: Output = Output()
    source: Path | None = Field(None, exclude=True, description="File the scenario was loaded from.")

    @field_validator("name")
    @classmethod
    def _not_dots(cls, name: str) -> str:
        if set(name) == {"."}:
            raise ValueError(f"'{name}' is not a folder name (runs are written to <output.folder>/<name>/); use "
                             "letters, digits, '_', '.' or '-' with at least one that is not a dot")
        return name

    @field_validator("policies", mode="before")
    @classmethod
    def _names_to_specs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("policies")
    @classmethod
    def _known_policies(cls, specs: list[PolicySpec]) -> list[PolicySpec]:
        known = alignment_policy_names()
        for spec in specs:
            if spec.name not in known:
                hint = did_you_mean(spec.name, known)
                raise ValueError(f"unknown policy '{spec.name}'{hint}; registered: {', '.join(sorted(known))}")
        labels = [spec.key for spec in specs]
        if len(set(labels)) != len(labels):
            raise ValueError("policy labels must be unique; give a 'label' to repeated policies")
        return specs

    @model_validator(mode="after")
    def _events_inside_horizon(self) -> Scenario:
        days = self.calendar.quarters * self.calendar.days_per_quarter
        known = alignment_policy_names()
        for index, event in enumerate(self.events):
            if event.day is not None and event.day >= days:
                raise ValueError(f"events.{index}.day: {event.day} is past the horizon (days 0..{days - 1})")
            if event.quarter is not None and event.quarter > self.calendar.quarters:
                raise ValueError(f"events.{index}.quarter: {event.quarter} is past the horizon "
                                 f"(quarters 1..{self.calendar.quarters})")
            if isinstance(event, RealignEvent) and event.policy not in known:
                raise ValueError(f"events.{index}.policy: unknown policy '{event.policy}'"
                                 f"{did_you_mean(event.policy, known)}")
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

    @model_validator(mode="after")
    def _shares_add_up(self) -> Scenario:
        total = sum(segment.share for segment in self.segments.values())
        if self.world.files is None and abs(total - 1) > 0.01:
            raise ValueError(f"segments: the shares add up to {total:,.4f}; expected 1 (they split a generated "
                             "world's accounts by potential rank)")
        return self

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
        searched = CATALOGUE[self.experiment.primary]
        if any(p.name == "optimise" for p in self.policies) and (searched.group == "plan"
                                                                  or searched.direction == "neither"):
            why = "is a property of the plan, not a simulated outcome" if searched.group == "plan" \
                else "has no better direction"
            raise ValueError(f"experiment.primary: '{self.experiment.primary}' {why}, so the optimise policy cannot "
                             "search on it; choose a simulated metric where higher or lower is better (revenue, "
                             "coverage_gap, share_rep_quarters_at_quota, ...)")
        points = 1
        for values in self.sweep.values():
            points *= max(len(values), 1)
            if points > MAX_SWEEP_POINTS:
                raise ValueError(f"sweep: the grid has more than {MAX_SWEEP_POINTS:,} points (the product of the "
                                 "numbers of values); sweep fewer values or fewer parameters")
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
    path = Path(path).expanduser()
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ScenarioError(path, [f"{path}: cannot read the file ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    if len(raw) > MAX_BYTES:
        raise ScenarioError(path, [f"{path}: larger than {MAX_BYTES:,} bytes; a scenario is a page of settings "
                                   "(put data in world files)"])
    try:
        data, node = load_yaml(text)
        lines = key_lines(node)
    except YamlLimitError as exc:
        where = f"{path}:{exc.line}" if exc.line else f"{path}"
        raise ScenarioError(path, [f"{where}: {exc.problem}"]) from exc
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
        problems = [problem for err in exc.errors() for problem in describe_all(path, err, lines, Scenario)]
        raise ScenarioError(path, merge_alternatives(problems)) from exc


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make world file and road graph paths relative to the scenario's folder ('~' is the home folder)."""
    data = dict(data)
    world = data.get("world")
    if isinstance(world, dict) and isinstance(world.get("files"), dict):
        files = {k: (str(base / Path(v).expanduser()) if isinstance(v, str) else v) for k, v in world["files"].items()}
        data["world"] = {**world, "files": files}
    travel = data.get("travel")
    if isinstance(travel, dict) and isinstance(travel.get("road_graph"), str):
        data["travel"] = {**travel, "road_graph": str(base / Path(travel["road_graph"]).expanduser())}
    return data


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario format, for editors that complete YAML files."""
    schema = Scenario.model_json_schema()
    schema["properties"].pop("source", None)
    schema["title"] = "territory-sim scenario"
    return schema
