"""Documented maxima of every scenario size, and a pre-flight estimate of the memory and time a scenario needs.

The maxima keep a typo (`accounts: 1000000000000`) from ever reaching an allocation: each is far above any
sales force this simulator is meant for. Within them, `preflight` estimates the memory one run needs (a linear
model of the world, the per-day state and the run's tables, fitted on the shipped scenarios with a margin) and
the rough time of the whole experiment, and says whether it fits this machine's memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_REPS = 5_000
"""Most rep seats of a world (synthetic or geography)."""
MAX_ACCOUNTS = 2_000_000
"""Most accounts of a generated world."""
MAX_UNITS = 1_000_000
"""Most geographic units of a synthetic world."""
MAX_QUARTERS = 40
"""Longest horizon (ten years)."""
MAX_DAYS_PER_QUARTER = 92
"""Most working days in a quarter (every calendar day)."""
MAX_REPLICATIONS = 100_000
"""Most replications per policy."""
MAX_POLICIES = 50
"""Most compared policies."""
MAX_EVENTS = 1_000
"""Most planned events."""
MAX_SWEEP_POINTS = 1_000
"""Most points (combinations) of a sweep grid."""
MAX_POTENTIAL = 1e12
"""Most annual potential of one account ($1 trillion, above any company's revenue): world files and CRM imports
refuse a larger value naming its row, so sums and squares of potential stay finite (1e308 would overflow)."""
MAX_POTENTIAL_TEXT = "$1 trillion (1,000,000,000,000)"

BASE_BYTES = 400e6  # the interpreter, numpy, numba-compiled kernels, pandas
BYTES_PER_ACCOUNT = 6e3  # world, state, alignment and the per-account tables
BYTES_PER_ACCOUNT_QUARTER = 1.5e3  # opportunities and account-quarter visit counts
BYTES_PER_SEAT_DAY = 2.5e3  # rep-day rows, visits and the day-by-seat logs
SECONDS_PER_SEAT_DAY = 5e-5  # one seat's working day (planning, routing, visits)
SECONDS_PER_ACCOUNT_QUARTER = 1e-5


@dataclass(frozen=True)
class Preflight:
    """What a scenario will need: memory of one run (bytes), runs in total and rough serial seconds."""

    run_bytes: float
    runs: int
    seconds: float
    available_bytes: float | None

    @property
    def fits(self) -> bool:
        """Whether one run fits in this machine's memory (True when the memory is unknown)."""
        return self.available_bytes is None or self.run_bytes <= self.available_bytes

    def summary(self) -> str:
        """One line: memory per run and rough time."""
        memory = f"~{_size(self.run_bytes)} of memory per run"
        if self.available_bytes is not None:
            memory += f" (this machine has {_size(self.available_bytes)})"
        return f"{memory}; {self.runs:,} run(s), roughly {_duration(self.seconds)} on one core"


def total_memory() -> float | None:
    """Total memory of this machine in bytes (None if it cannot be read)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def world_size(scenario: Any) -> tuple[int, int]:
    """(accounts, seats) of a scenario's world; a file world counts its data rows without parsing them."""
    world = scenario.world
    source = world.synthetic or world.geography
    extra_seats = sum(max(getattr(event, "change", 0) or 0, 0) + (getattr(event, "type", "") == "hire")
                      for event in scenario.events)
    if source is not None:
        seats = len(source.homes) if getattr(source, "homes", None) else source.reps
        return source.accounts, seats + extra_seats
    return _rows(world.files.accounts), _rows(world.files.reps) + extra_seats


def _rows(path: Path, limit: int = 1 << 30) -> int:
    """Lines of a CSV (or a size-based guess for Parquet), reading at most `limit` bytes."""
    try:
        if not path.is_file():
            return 0
        if path.suffix.lower() in (".parquet", ".pq"):
            return int(path.stat().st_size // 20)
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"") if chunk) \
                if path.stat().st_size <= limit else int(path.stat().st_size // 40)
    except OSError:
        return 0


def preflight(scenario: Any) -> Preflight:
    """Estimate the memory of one run and the time of the whole experiment (before building anything)."""
    accounts, seats = world_size(scenario)
    quarters = scenario.calendar.quarters
    days = quarters * scenario.calendar.days_per_quarter
    run_bytes = (BASE_BYTES + BYTES_PER_ACCOUNT * accounts + BYTES_PER_ACCOUNT_QUARTER * accounts * quarters
                 + BYTES_PER_SEAT_DAY * seats * days)
    points = 1
    for values in scenario.sweep.values():
        points *= len(values)
    experiment = scenario.experiment
    replications = experiment.max_replications if experiment.sequential else experiment.replications
    runs = points * len(scenario.policies) * replications
    seconds = runs * (SECONDS_PER_SEAT_DAY * seats * days + SECONDS_PER_ACCOUNT_QUARTER * accounts * quarters)
    return Preflight(run_bytes, runs, seconds, total_memory())


def _size(count: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count / 1e3:,.0f} kB"


def _duration(seconds: float) -> str:
    for unit, scale in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= 2 * scale:
            return f"{seconds / scale:,.0f} {unit}"
    return f"{max(seconds, 1):,.0f} seconds"
