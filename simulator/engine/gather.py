"""Compiled gathers behind the day kernel's inputs: accounts grouped by seat, each group's next event, open deals.

The Python side rebuilds these between stretches of days (after every ownership change, before every kernel
call); as numpy expressions they were a dozen temporaries and calls each, a few hundred microseconds a stretch.
Here each is one pass over flat arrays: plain copies and counts, so the values are the same as numpy's.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def group_accounts(account_seat, n_seats):
    """(start, accounts): every seat's accounts in increasing order, the unowned ones (seat -1) last.

    Group g (seat g, or n_seats for the unowned) is `accounts[start[g]:start[g + 1]]`, as
    `np.flatnonzero(account_seat == g)` would give it.
    """
    start = np.zeros(n_seats + 2, dtype=np.int64)
    for account in range(account_seat.shape[0]):
        group = account_seat[account] if account_seat[account] >= 0 else n_seats
        start[group + 1] += 1
    for group in range(n_seats + 1):
        start[group + 1] += start[group]
    filled = start[:-1].copy()
    accounts = np.empty(account_seat.shape[0], dtype=np.int64)
    for account in range(account_seat.shape[0]):
        group = account_seat[account] if account_seat[account] >= 0 else n_seats
        accounts[filled[group]] = account
        filled[group] += 1
    return start, accounts


@njit(cache=True)
def owned_values(values, accounts, owned):
    """`values[accounts]`, zero from position `owned` on (the unowned accounts)."""
    out = np.zeros(accounts.shape[0])
    for i in range(owned):
        out[i] = values[accounts[i]]
    return out


@njit(cache=True)
def territory_points(xyz, start, accounts, homes):
    """Each territory's home, then its accounts, as rows of `xyz` (locations); seat s's home is row start[s] + s."""
    n_seats = homes.shape[0]
    out = np.empty((start[n_seats] + n_seats, 3))
    row = 0
    for seat in range(n_seats):
        for i in range(start[seat] - 1, start[seat + 1]):
            location = homes[seat] if i < start[seat] else accounts[i]
            for k in range(3):  # element by element: a row view per point would cost more than its copy
                out[row, k] = xyz[location, k]
            row += 1
    return out


@njit(cache=True)
def group_next(start, accounts, next_event):
    """The earliest next pipeline event of each group's accounts (inf for an empty group)."""
    earliest = np.full(start.shape[0] - 1, np.inf)
    for group in range(start.shape[0] - 1):
        for i in range(start[group], start[group + 1]):
            earliest[group] = min(earliest[group], next_event[accounts[i]])
    return earliest


@njit(cache=True)
def open_deals_by_seat(account_seat, deal_account, status, used, open_status, n_seats):
    """Open deals (status `open_status`) among the first `used` pool rows, by the seat owning their account."""
    counts = np.zeros(n_seats, dtype=np.int64)
    for o in range(used):
        if status[o] == open_status:
            owner = account_seat[deal_account[o]]
            if owner >= 0:
                counts[owner] += 1
    return counts
