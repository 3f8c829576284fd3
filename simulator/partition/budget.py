"""A deterministic work budget for the partition search, with the wall clock only as an outer safety net.

A realignment made during a simulation must give the same territories on any machine and under any load, so the
search stops after a number of moves, never after a number of seconds. A move is one step of work: one attempt to
move a boundary unit (made, or found impossible), one flow round, one unit carried along a flow, or a batch of
`EXACT_STEPS_PER_MOVE` assignments enumerated by the exhaustive search. A wall-clock deadline stays as a safety net
for pathological inputs; when it stops a search, the budget records it, so that the caller can report that the
result may depend on the machine.
"""

from __future__ import annotations

import math
import time

MOVES_PER_UNIT = 10  # default move budget per unit of the world ...
MIN_MOVE_BUDGET = 20_000  # ... and at least this many moves
SECONDS_PER_1000_UNITS = 20.0  # default safety net per 1,000 units ...
MIN_SECONDS = 60.0  # ... and at least this many seconds
EXACT_STEPS_PER_MOVE = 100  # assignments the exhaustive search enumerates per move of budget


def default_move_budget(n_units: int) -> int:
    """The default move budget for a world of `n_units` units: 10 moves per unit, at least 20,000."""
    return max(MIN_MOVE_BUDGET, MOVES_PER_UNIT * n_units)


def default_time_limit(n_units: int) -> float:
    """The default wall-clock safety net in seconds: 20 s per 1,000 units, at least 60 s."""
    return max(MIN_SECONDS, SECONDS_PER_1000_UNITS * n_units / 1000)


class MoveBudget:
    """Moves a search may still make, and why it stopped if it had to.

    Attributes:
        moves: the most moves that may be spent.
        deadline: `time.perf_counter()` value after which every search stops (the safety net).
        spent: moves spent so far.
        exhausted: a search wanted another move when none was left.
        time_limit_hit: the safety net stopped a search (the result may then depend on machine load).
    """

    def __init__(self, moves: int, deadline: float = math.inf):
        self.moves = int(moves)
        self.deadline = deadline
        self.spent = 0
        self.exhausted = False
        self.time_limit_hit = False

    @property
    def stopped(self) -> bool:
        """True once the moves ran out or the safety net tripped: no search step may follow."""
        return self.exhausted or self.time_limit_hit

    def take(self, moves: int = 1) -> bool:
        """Spend `moves` if the budget allows; False (with the reason recorded) when the search must stop.

        Args:
            moves: moves the next step costs.

        Returns:
            Whether the step may be made.
        """
        if self.spent + moves > self.moves:
            self.exhausted = True
            return False
        if time.perf_counter() >= self.deadline:
            self.time_limit_hit = True
            return False
        self.spent += moves
        return True
