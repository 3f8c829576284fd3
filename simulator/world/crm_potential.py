"""What an imported account's potential is, and what an account with an empty potential cell is given.

A CRM's AnnualRevenue is the customer's own revenue, not what it could buy from you (its wallet share); it is the
default potential column only because every export has it (docs/scenarios.md, "CRM import"). An account whose
potential cell is empty is not dropped: it is imported with an assumed potential (`--default-potential`) and
marked in the column `potential_assumed`, so the data checks can count and name it:

- `segment-median` (the default): the median potential of the imported accounts of its segment; the median of all
  accounts when the export has no segment or its segment has no known potential;
- `median`: the median potential of all imported accounts;
- `zero`: no potential (it is still visited as its segment requires, but wins nothing);
- a number of dollars;
- `reject`: the row is rejected ("missing AnnualRevenue"), as before this option existed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.catalogue import format_value
from simulator.schema.limits import MAX_POTENTIAL, MAX_POTENTIAL_TEXT
from simulator.world.crm_read import CrmError, parse_number

DEFAULT_POTENTIAL_MODES = ("segment-median", "median", "zero", "reject")


def parse_default_potential(text: str) -> str | float:
    """--default-potential: segment-median, median, zero, reject, or a number of dollars (0 to the maximum).

    Raises:
        CrmError: for anything else.
    """
    if text in DEFAULT_POTENTIAL_MODES:
        return text
    value = parse_number(text)
    if value is None or not 0 <= value <= MAX_POTENTIAL:
        raise CrmError(f"--default-potential {text!r}: expected one of {', '.join(DEFAULT_POTENTIAL_MODES)} or "
                       f"a number of dollars from 0 to {MAX_POTENTIAL_TEXT}")
    return value


def assume_potential(path: Path, frame: pd.DataFrame, mode: str | float,
                     potential_column: str = "AnnualRevenue") -> tuple[pd.Series, str]:
    """The potential column with the cells marked `potential_assumed` filled as `mode` says, and what was done.

    Returns:
        The filled column and a phrase saying what the assumed accounts were given ("the median of their
        segment's potential", "$96.4k, the median of all accounts' potential (the export has no segment)", ...).

    Raises:
        CrmError: when a median is asked for but no account has a potential to take it from.
    """
    potential, assumed = frame["potential"].copy(), frame["potential_assumed"].to_numpy()
    if isinstance(mode, float) or mode == "zero":
        potential[assumed] = 0.0 if mode == "zero" else mode
        return potential, f"{format_value('money', float(mode) if mode != 'zero' else 0.0)} each (--default-potential)"
    known = potential[~assumed]
    if known.empty:
        raise CrmError(f"{path}: no account has a potential (every {potential_column} cell is empty or the row is "
                       "rejected), so there is no median to assume; map the column that holds it with --map "
                       "potential=COLUMN, or give --default-potential a number of dollars, zero or reject")
    median = float(known.median())
    potential[assumed] = median
    overall = f"{format_value('money', median)}, the median of all accounts' potential"
    if mode != "segment-median":
        return potential, overall
    segment = frame["segment"].to_numpy()
    by_segment = known.groupby(frame.loc[~assumed, "segment"]).median()
    in_segment = frame["segment"].map(by_segment).to_numpy(dtype=float)
    fill = assumed & (segment != "") & ~np.isnan(in_segment)
    potential[fill] = in_segment[fill]
    if fill.sum() == assumed.sum():
        return potential, "the median potential of their segment"
    why = "the export has no segment" if (segment == "").all() else "for those without a segment with a potential"
    return potential, (f"the median potential of their segment, or {overall} ({why})" if fill.any()
                       else f"{overall} ({why})")
