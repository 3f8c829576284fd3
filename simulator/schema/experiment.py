"""The experiment section of a scenario: replications, seed, baseline, primary metric, precision and selection.

By default an experiment replicates until its answer is clear: a scenario that names neither `replications`,
`precision` nor `select` gets the default precision target from a first batch of `MIN_CLEAR_REPLICATIONS`, the
fewest paired replications a difference is ever called on (the coverage study in docs/experiments.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from simulator.catalogue import CATALOGUE
from simulator.schema.base import Int, Strict, did_you_mean
from simulator.schema.limits import MAX_REPLICATIONS
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS

DEFAULT_PRECISION = 0.01  # the demo's target: every paired difference on the primary metric known within ±1%


class Selection(Strict):
    """Select the best policy on the primary metric (Kim & Nelson's fully sequential procedure)."""

    indifference: float = Field(gt=0, le=1, description="Indifference zone, a fraction of the baseline's mean "
                                "primary metric: policies closer than this count as equally good.")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Probability of a correct selection.")


class Experiment(Strict):
    """Replications, seed, baseline; by default, replications until the answer is clear.

    An experiment that names neither `replications`, `precision` nor `select` replicates to the default precision
    target (`DEFAULT_PRECISION`, in batches, up to `max_replications`) from a first batch of
    `MIN_CLEAR_REPLICATIONS`, the fewest paired replications a difference is ever called on. Naming `replications`
    alone asks for exactly that many.
    """

    replications: Int = Field(MIN_CLEAR_REPLICATIONS, ge=1, le=MAX_REPLICATIONS,
                              description="Replications per policy: exactly this many when no precision target "
                              "or selection is set, else the first batch. With none of replications, precision "
                              f"and select given, the experiment replicates to a precision of {DEFAULT_PRECISION} "
                              f"from a first batch of {MIN_CLEAR_REPLICATIONS}.")
    seed: Int = Field(1, ge=0, le=2**63 - 1, description="Seed of every random stream.")
    baseline: str | None = Field(None, description="Policy label the others are compared with (default: first).")
    primary: str = Field("revenue", description="The metric the verdict, the precision target and the selection "
                         "are about.")
    precision: float | None = Field(None, gt=0, le=1, description="Replicate until every policy's paired "
                                    "difference from the baseline on the primary metric has a 95% interval "
                                    "half-width at most this fraction of the baseline's mean (0.01 = 1%).")
    batch: Int = Field(5, ge=1, le=1000, description="Replications added per round when replicating to a "
                       "precision target or a selection.")
    max_replications: Int = Field(100, ge=2, le=MAX_REPLICATIONS, description="Most replications per policy when "
                                  "replicating to a precision target or a selection.")
    select: Selection | None = Field(None, description="Select the best policy on the primary metric.")

    @model_validator(mode="before")
    @classmethod
    def _replicate_until_clear_by_default(cls, data: Any) -> Any:
        """Nothing said about how many replications: replicate to the default precision target."""
        if isinstance(data, dict) and not {"replications", "precision", "select"} & set(data):
            data = {**data, "precision": DEFAULT_PRECISION}
        if isinstance(data, dict) and "replications" not in data and isinstance(data.get("max_replications"), int):
            data = {**data, "replications": max(2, min(MIN_CLEAR_REPLICATIONS, data["max_replications"]))}
        return data

    @field_validator("primary")
    @classmethod
    def _primary_known(cls, value: str) -> str:
        if value not in CATALOGUE:
            raise ValueError(f"'{value}' is not a metric{did_you_mean(value, list(CATALOGUE))}")
        return value

    @model_validator(mode="after")
    def _rounds_possible(self) -> Experiment:
        if self.sequential and self.replications < 2:
            raise ValueError("experiment.replications: a precision target or a selection needs a first batch of at "
                             "least 2 replications (an interval needs two)")
        if self.select is not None and CATALOGUE[self.primary].direction == "neither":
            raise ValueError(f"experiment.select: the primary metric '{self.primary}' has no better direction; "
                             "select on a metric where higher or lower is better")
        if self.sequential and self.max_replications < self.replications:
            raise ValueError(f"experiment.max_replications ({self.max_replications}) is below "
                             f"experiment.replications ({self.replications}), the first batch")
        return self

    def replications_text(self) -> str:
        """How many replications, in words.

        "20 replications", or "20 to 100 replications until every difference is known within ±1%".
        """
        if not self.sequential:
            return f"{self.replications} replication" + ("" if self.replications == 1 else "s")
        first = max(self.replications, min(MIN_CLEAR_REPLICATIONS, self.max_replications))
        until = [f"every difference is known within ±{self.precision:.1%}".replace(".0%", "%")] \
            if self.precision is not None else []
        until += ["one policy is best"] if self.select is not None else []
        return f"{first} to {self.max_replications} replications until {' and '.join(until)}"

    @property
    def sequential(self) -> bool:
        """Replications are added in batches until a precision target or a selection is met."""
        return self.precision is not None or self.select is not None
