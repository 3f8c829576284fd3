"""What every scenario section shares: strictness, frozen values and the did-you-mean hint."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

NonNegative = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """Base for every section: unknown keys are errors and values are frozen after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def did_you_mean(word: str, candidates: Any) -> str:
    """'; did you mean 'x'?' for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
