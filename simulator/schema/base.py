"""What every scenario section shares: strictness, frozen values, strict integers and the did-you-mean hint."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

NonNegative = Annotated[float, Field(ge=0, le=1e6)]
Int = StrictInt
"""An integer field: `true`, `2.0` or `"2"` are refused rather than read as 1 or 2."""


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, values are frozen after loading, NaN and inf are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def did_you_mean(word: str, candidates: Any) -> str:
    """'; did you mean 'x'?' for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
