"""When to stop replicating: a precision target on paired differences, and the selection of the best policy.

After each batch of replications (every policy, common random numbers), the experiment asks `Rounds.check` whether
the answer is clear: with `experiment.precision`, every policy's paired difference from the baseline on the primary
metric has a 95% interval half-width at most `precision` x |baseline mean| (at every sweep point); with
`experiment.select`, Kim & Nelson's procedure (`stats.selection`) has one policy left at every sweep point. The rule
depends only on the results, which depend only on the seed, so a resumed experiment stops where an uninterrupted
one would. It never stops before `MIN_CLEAR_REPLICATIONS` (or the cap, if lower): fewer pairs are never called.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simulator.catalogue import LOWER, format_relative, in_sentence, metric
from simulator.scenario import Scenario
from simulator.stats.compare import MIN_CLEAR_REPLICATIONS, paired_interval
from simulator.stats.selection import Selection, kn_select


@dataclass
class Status:
    """Where the stopping rule stands after some replications.

    Attributes:
        replications: replications per policy so far.
        half_width: the widest relative half-width of a paired difference on the primary metric (NaN if none).
        precision_met: the precision target holds (True when there is none).
        selections: per sweep point, KN's selection (empty without `experiment.select`).
        deltas: per sweep point, the indifference zone in the metric's unit.
        minimum: the fewest replications to stop at (`MIN_CLEAR_REPLICATIONS`, or the cap if lower).
    """

    replications: int
    half_width: float = math.nan
    precision_met: bool = True
    selections: dict[int, Selection] = field(default_factory=dict)
    deltas: dict[int, float] = field(default_factory=dict)
    minimum: int = 0

    @property
    def selected(self) -> bool:
        """Every sweep point's selection has one policy left (True when there is no selection)."""
        return all(s.done for s in self.selections.values())

    @property
    def met(self) -> bool:
        """Every target holds, on at least the replications a difference is called on: stop."""
        return self.precision_met and self.selected and self.replications >= self.minimum


class Rounds:
    """The stopping rule of a scenario's experiment, fed with the primary metric of every run as it finishes."""

    def __init__(self, scenario: Scenario, minimum: int = MIN_CLEAR_REPLICATIONS):
        self.spec = scenario.experiment
        self.minimum = minimum  # never stop before this (the coverage study tries others)
        self.policies = [p.key for p in scenario.policies]
        self.baseline = scenario.baseline_key()
        self.values: dict[tuple[int, str, int], float] = {}  # (sweep point, policy, replication) -> primary

    def record(self, sweep_point: int, policy: str, replication: int, value: float) -> None:
        """The primary metric of one finished run."""
        self.values[(sweep_point, policy, replication)] = value

    def next_batch(self, done: int) -> range:
        """The replications of the next round after `done` (the first round: `experiment.replications`)."""
        if done == 0:
            return range(0, self.spec.replications)
        return range(done, min(done + self.spec.batch, self.spec.max_replications))

    def matrix(self, sweep_point: int, replications: int) -> np.ndarray:
        """Primary metric as replications x policies (NaN where undefined)."""
        return np.array([[self.values.get((sweep_point, policy, r), math.nan) for policy in self.policies]
                         for r in range(replications)], dtype=float)

    def check(self, sweep_points: list[int], replications: int) -> Status:
        """Whether the targets hold after `replications` replications of every policy."""
        status = Status(replications, minimum=min(self.minimum, self.spec.max_replications))
        widths = []
        base = self.policies.index(self.baseline)
        for point in sweep_points:
            data = self.matrix(point, replications)
            scale = abs(float(np.nanmean(data[:, base]))) if np.isfinite(data[:, base]).any() else math.nan
            for column in range(len(self.policies)):
                if column == base:
                    continue
                pairs = data[:, column] - data[:, base]
                pairs = pairs[np.isfinite(pairs)]
                _, low, high = paired_interval(pairs)
                widths.append((high - low) / 2 / scale if scale and math.isfinite(low) else math.inf)
            if self.spec.select is not None:
                first = self.spec.replications
                delta = self.spec.select.indifference * abs(float(np.nanmean(data[:first, base])))
                status.deltas[point] = delta
                usable = data[np.isfinite(data).all(axis=1)]
                if delta > 0 and len(usable) >= first:
                    status.selections[point] = kn_select(
                        usable, delta, first, 1.0 - self.spec.select.confidence,
                        maximise=metric(self.spec.primary).direction != LOWER)
                else:  # no scale to set the zone from: nothing can be selected
                    status.selections[point] = Selection(None, list(range(len(self.policies))))
        status.half_width = float(max(widths)) if widths else math.nan
        if self.spec.precision is not None:  # one policy: no difference to know, nothing to replicate for
            status.precision_met = len(self.policies) < 2 or (bool(widths) and status.half_width <= self.spec.precision)
        return status

    def note(self, status: Status) -> str:
        """The progress line's note: the half-width reached against the target, and the policies in contention."""
        parts = []
        if self.spec.precision is not None:
            reached = "n/a" if not math.isfinite(status.half_width) else format_relative(status.half_width)
            parts.append(f"{in_sentence(metric(self.spec.primary).label)} ±{reached.lstrip('+')} "
                         f"(target ±{format_relative(self.spec.precision).lstrip('+')})")
        if status.selections:
            left = max(len(s.survivors) for s in status.selections.values())
            parts.append(f"{left} in contention")
        return ", ".join(parts)
