"""Vacancy policies: who serves a vacant seat's accounts until the new hire starts, and what happens then.

Registered by name like alignment policies. A policy sees the world and the current ownership (a
`CoverageView`), never SimPy, and answers with a new ownership array (-1 = explicitly orphaned):

- `hold`: the accounts are orphaned until the hire, then return to the seat.
- `neighbours`: seats adjacent on the unit graph absorb the vacant seat's units while they have spare
  capacity (the rest are orphaned); on hire the units return (configurable).
- `realign`: the arm's alignment policy is re-run over the filled seats; on hire, over all filled seats.
- `manager`: the accounts stay with the seat and its manager covers a share of the field time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.alignment import Alignment, seat_loads
from simulator.schema.policy_names import declare_vacancy_policy
from simulator.world.model import World


@dataclass(frozen=True, eq=False)
class CoverageView:
    """What a vacancy policy sees when a seat falls vacant or is filled again.

    Attributes:
        world: the world.
        account_seat: current owner seat of every account (-1 = orphaned); read-only.
        filled_seats: seats that have a rep now (the vacant seat excluded, the newly filled one included).
        capacity_hours: field hours a seat offers per quarter.
        max_load: neighbours absorb while their workload stays under max_load x capacity.
        align: the arm's alignment policy applied to a set of seats.
        return_on_hire: absorbed accounts go back to the seat when it is filled.
    """

    world: World
    account_seat: np.ndarray
    filled_seats: tuple[int, ...]
    capacity_hours: float
    max_load: float
    align: Callable[[Sequence[int]], Alignment]
    return_on_hire: bool = True


@dataclass(frozen=True)
class Cover:
    """A vacancy policy's answer: the new ownership, and whether a manager covers the vacant seat."""

    account_seat: np.ndarray
    manager: bool = False


class VacancyPolicy:
    """Base class: subclasses answer `on_vacancy` and `on_hire`."""

    def on_vacancy(self, view: CoverageView, seat: int) -> Cover:
        """Ownership while `seat` is vacant."""
        raise NotImplementedError

    def on_hire(self, view: CoverageView, seat: int, former: np.ndarray) -> np.ndarray:
        """Ownership once `seat` is filled again; `former` marks the accounts it held when it fell vacant."""
        raise NotImplementedError


_REGISTRY: dict[str, VacancyPolicy] = {}


def register_vacancy(name: str) -> Callable[[type[VacancyPolicy]], type[VacancyPolicy]]:
    """Register a vacancy policy class under `name`."""

    def decorate(cls: type[VacancyPolicy]) -> type[VacancyPolicy]:
        _REGISTRY[name] = cls()
        declare_vacancy_policy(name)
        return cls

    return decorate


def get_vacancy_policy(name: str) -> VacancyPolicy:
    """The vacancy policy registered under `name`."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown vacancy policy {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def registered_vacancy_policies() -> list[str]:
    """Names of every registered vacancy policy."""
    return sorted(_REGISTRY)


def _orphan(view: CoverageView, seat: int) -> np.ndarray:
    seats = view.account_seat.copy()
    seats[seats == seat] = -1
    return seats


def _take_back(view: CoverageView, seat: int, accounts: np.ndarray) -> np.ndarray:
    seats = view.account_seat.copy()
    seats[accounts] = seat
    return seats


@register_vacancy("hold")
class Hold(VacancyPolicy):
    """Nobody covers: the accounts are orphaned until the new hire starts."""

    def on_vacancy(self, view: CoverageView, seat: int) -> Cover:
        """Orphan the seat's accounts."""
        return Cover(_orphan(view, seat))

    def on_hire(self, view: CoverageView, seat: int, former: np.ndarray) -> np.ndarray:
        """The seat's former accounts that are still orphaned come back."""
        return _take_back(view, seat, np.flatnonzero(former & (view.account_seat < 0)))


@register_vacancy("manager")
class Manager(VacancyPolicy):
    """The accounts stay with the seat; the manager works a share of a rep's field time on them."""

    def on_vacancy(self, view: CoverageView, seat: int) -> Cover:
        """Keep the ownership, mark the seat manager-covered."""
        return Cover(view.account_seat.copy(), manager=True)

    def on_hire(self, view: CoverageView, seat: int, former: np.ndarray) -> np.ndarray:
        """Nothing moves."""
        return view.account_seat.copy()


@register_vacancy("realign")
class Realign(VacancyPolicy):
    """Re-run the arm's alignment policy over the filled seats (and again when the seat is filled)."""

    def on_vacancy(self, view: CoverageView, seat: int) -> Cover:
        """Realign over the filled seats (everything is orphaned if no seat is filled)."""
        remaining = [s for s in view.filled_seats if s != seat]
        if not remaining:
            return Cover(np.full(len(view.account_seat), -1, dtype=np.int64))
        return Cover(view.align(remaining).account_seats(view.world))

    def on_hire(self, view: CoverageView, seat: int, former: np.ndarray) -> np.ndarray:
        """Realign over the filled seats, the new hire's included."""
        return view.align(sorted({*view.filled_seats, seat})).account_seats(view.world)


@register_vacancy("neighbours")
class Neighbours(VacancyPolicy):
    """Adjacent seats absorb the vacant seat's units while they have spare capacity."""

    def on_vacancy(self, view: CoverageView, seat: int) -> Cover:
        """Hand units to adjacent seats with the most spare capacity, nearest units first; orphan the rest."""
        world = view.world
        seats = view.account_seat.copy()
        members = np.flatnonzero(seats == seat)
        seats[members] = -1
        if len(members) == 0:
            return Cover(seats)
        loads = seat_loads(world, seats, world.n_reps, world.hours_per_km)
        spare = view.capacity_hours * view.max_load - loads["workload_hours"].to_numpy()
        # travel per visit a receiving seat already has: its workload estimate for extra visits
        travel_per_visit = (loads["travel_hours"] / loads["required_visits"].where(loads["required_visits"] > 0)
                            ).fillna(0.25).to_numpy()
        filled = np.zeros(world.n_reps, dtype=bool)
        filled[[s for s in view.filled_seats if s != seat]] = True
        unit_seat = _unit_owner(world, seats)
        pending = set(np.unique(world.account_unit[members]).tolist())
        while pending:
            best = None
            for unit in pending:
                candidates = {int(unit_seat[n]) for n in world.adjacency.neighbors(unit) if unit_seat[n] >= 0}
                candidates = [c for c in candidates if filled[c]]
                if not candidates:
                    continue
                receiver = max(candidates, key=lambda c: spare[c])
                accounts = members[world.account_unit[members] == unit]
                need = float((world.account_visits_required[accounts]
                              * (world.account_visit_hours[accounts] + travel_per_visit[receiver])).sum())
                if need <= spare[receiver] and (best is None or spare[receiver] - need > best[0]):
                    best = (spare[receiver] - need, unit, receiver, accounts, need)
            if best is None:
                break
            _, unit, receiver, accounts, need = best
            seats[accounts] = receiver
            unit_seat[unit] = receiver
            spare[receiver] -= need
            pending.discard(unit)
        return Cover(seats)

    def on_hire(self, view: CoverageView, seat: int, former: np.ndarray) -> np.ndarray:
        """Former accounts come back: all of them, or only the orphaned ones if units are not returned."""
        back = former if view.return_on_hire else former & (view.account_seat < 0)
        return _take_back(view, seat, np.flatnonzero(back))


def _unit_owner(world: World, account_seat: np.ndarray) -> np.ndarray:
    """Seat owning most potential in each unit (-1 for units with no owned account)."""
    owned = account_seat >= 0
    share = np.zeros((world.n_units, world.n_reps))
    np.add.at(share, (world.account_unit[owned], account_seat[owned]),
              np.maximum(world.account_potential[owned], 1e-9))
    owner = np.argmax(share, axis=1)
    owner[share.max(axis=1) <= 0] = -1
    return owner
