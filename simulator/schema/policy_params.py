"""The parameters each shipped alignment policy takes, checked with the scenario (not first at `run`).

The table is keyed by policy name and lives at the schema layer so that validating a scenario never imports
the policy modules. A policy registered elsewhere (a plug-in) has no entry and its parameters are passed as
given. What needs the world (a unit column as a measure, the reps of `targets`) is checked when `validate`
builds the world (`simulator.world.planned.check_events`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from simulator.schema.base import BOOL_FOR_NUMBER, BOOL_MESSAGE, Int, Strict, did_you_mean

ACCOUNT_MEASURES = ("workload", "potential", "accounts")


class CommonParams(Strict):
    """Every policy: the tolerance the plan metric `share_within_tolerance` is measured with."""

    tolerance: float = Field(0.05, gt=0, le=1, description="Allowed deviation from each seat's target.")


class BalancedParams(CommonParams):
    """`balanced`: contiguous territories balanced on a measure within a hard tolerance."""

    measure: str | dict[str, float] = Field(
        "workload", description="workload, potential, accounts, a numeric unit column, or a mix {name: weight}.")
    targets: dict[str, float] = Field(default_factory=dict, description="{rep_id: target factor > 0}.")
    locked_units: dict[str, str] = Field(default_factory=dict, description="{unit_id: rep_id} that stay.")
    locked_accounts: dict[str, str] = Field(default_factory=dict, description="{account_id: rep_id} that stay.")
    move_budget: Int | None = Field(None, ge=0, le=10**9, description="Most search moves.")
    time_limit: float | None = Field(None, gt=0, le=86_400, description="Wall-clock safety net (seconds).")
    split: bool = Field(True, description="Split units too big for one territory at account level.")
    split_within_hours: float = Field(
        1.25, gt=0, le=48, description="A split unit's accounts go only to a seat with a unit or its home within "
                                       "this drive of them (a day trip's reach); the rest stay with the unit's "
                                       "seat.")

    def model_post_init(self, context: Any) -> None:
        """Check the measure mix and the target factors."""
        mix = self.measure if isinstance(self.measure, dict) else {self.measure: 1.0}
        if not mix:
            raise ValueError("measure: give at least one measure")
        for name, weight in mix.items():
            if not 0 <= weight <= 1e6 or weight != weight:
                raise ValueError(f"measure.{name}: weight {weight!r}; expected a number in [0, 1e6]")
        if isinstance(self.measure, dict) and sum(mix.values()) <= 0:
            raise ValueError("measure: the weights of the mix add up to 0")
        for rep, factor in self.targets.items():
            if not 0 < factor <= 100:
                raise ValueError(f"targets.{rep}: factor {factor!r}; expected a number in (0, 100]")


class MinDisruptionParams(BalancedParams):
    """`min_disruption`: balanced within tolerance, moving as little as possible."""

    budget: float = Field(1.0, ge=0, le=1, description="Most share of potential (or accounts) that may move.")
    disruption: Literal["potential", "accounts"] = Field("potential", description="What moving costs.")


class OptimiseParams(MinDisruptionParams):
    """`optimise`: a start plan improved by simulated, statistically accepted boundary moves."""

    start: Literal["balanced", "min_disruption"] = Field("balanced", description="The plan the search starts from.")
    evaluations: Int = Field(40, ge=1, le=100_000, description="Plan evaluations the search may spend.")
    replications: Int = Field(8, ge=2, le=1_000, description="Search replications every plan is simulated on.")
    moves_per_step: Int = Field(3, ge=1, le=50, description="Most boundary moves per proposal.")
    confidence: float = Field(0.9, gt=0.5, lt=1, description="A proposal is kept when the one-sided lower bound of "
                              "its paired gain at this confidence is above zero.")
    disruption_budget: float = Field(1.0, ge=0, le=1, description="Largest share of the workload assigned "
                                     "differently from as-is.")
    executor: Literal["serial", "local", "dask"] = Field(
        "local", description="Where the search replications run: serially, on a local process pool or on Dask.")
    workers: Int | None = Field(None, ge=1, le=4096, description="Processes (default: all cores).")
    scheduler: str | None = Field(None, description="Address of an existing Dask scheduler (executor dask).")

    @model_validator(mode="after")
    def _used(self) -> OptimiseParams:
        if self.scheduler is not None and self.executor != "dask":
            raise ValueError("params.scheduler: a Dask scheduler is used only with executor: dask")
        if self.workers is not None and (self.executor == "serial" or self.scheduler is not None):
            raise ValueError("params.workers: processes are started only by executor local, or dask without a "
                             "scheduler")
        unused = sorted({"budget", "disruption"} & self.model_fields_set) if self.start == "balanced" else []
        if unused:
            raise ValueError(f"params.{unused[0]}: a parameter of min_disruption, used only with start: "
                             "min_disruption")
        return self


POLICY_PARAMS: dict[str, type[Strict]] = {
    "as_is": CommonParams,
    "nearest": CommonParams,
    "balanced": BalancedParams,
    "min_disruption": MinDisruptionParams,
    "optimise": OptimiseParams,
}


def check_policy_params(policy: str, params: dict[str, Any]) -> None:
    """Raise ValueError naming each bad parameter of a shipped policy (`params.<key>: what is expected`)."""
    model = POLICY_PARAMS.get(policy)
    if model is None:
        return
    try:
        model.model_validate(params)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"] if not str(part).startswith(("function-", "str",
                                                                                              "dict[")))
            if error["type"] == BOOL_FOR_NUMBER:
                problems.extend(f"params.{field}: {BOOL_MESSAGE}" for field in error["ctx"]["fields"])
            elif error["type"] == "extra_forbidden":
                known = list(model.model_fields)
                hint = did_you_mean(str(error["loc"][-1]), known) or f"; {policy} takes {', '.join(known)}"
                problems.append(f"params.{where}: unknown parameter of {policy}{hint}")
            else:
                message = error["msg"].removeprefix("Value error, ")
                problems.append(f"params.{where}: {message}" if where else message if message.startswith("params.")
                                else f"params: {message}")
        raise ValueError("; ".join(dict.fromkeys(problems))) from None
