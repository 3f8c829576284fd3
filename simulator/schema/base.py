"""What every scenario section shares: strictness, frozen values, strict integers and the did-you-mean hint."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic.types import Strict as PydanticStrict
from pydantic_core import PydanticCustomError

NonNegative = Annotated[float, Field(ge=0, le=1e6)]
Int = StrictInt
"""An integer field: `true`, `2.0` or `"2"` are refused rather than read as 1 or 2."""
BOOL_FOR_NUMBER = "bool_for_number"
BOOL_MESSAGE = "got a boolean (true/false); expected a number"


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, values are frozen after loading, NaN and inf are refused.

    A boolean where a number is expected (`admin_share: true`, also inside a list or tuple of numbers) is refused
    instead of being read as 1.0 or 0.0.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fields = []
            for name, value in data.items():
                field = cls.model_fields.get(name) if isinstance(name, str) else None
                if field is None or any(isinstance(m, PydanticStrict) for m in field.metadata):
                    continue  # strict fields (Int) refuse booleans themselves
                where = _bool_for_number(field.annotation, value)
                if where is not None:
                    fields.append(f"{name}{where}")
            if fields:  # schema.errors.describe_all puts each field in its own problem, at its own line
                raise PydanticCustomError(BOOL_FOR_NUMBER, "{names}: " + BOOL_MESSAGE,
                                          {"names": ", ".join(fields), "fields": fields})
        return data


def _bool_for_number(annotation: Any, value: Any, where: str = "") -> str | None:
    """Where a boolean is given for a number of `annotation`, or None if there is none.

    "" means the value itself, ".1" its item 1 (0-based, as in field paths).
    """
    if isinstance(value, bool):
        return where if _wants_number_not_bool(annotation) else None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _bool_for_number(args[0], value, where)
    if origin in (typing.Union, types.UnionType):
        found = [_bool_for_number(arg, value, where) for arg in args]
        return found[0] if found and all(f is not None for f in found) else None
    if origin in (list, tuple) and isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            item_type = args[0] if origin is list or (len(args) == 2 and args[1] is Ellipsis) else \
                (args[index] if index < len(args) else None)
            if item_type is not None:
                found = _bool_for_number(item_type, item, f"{where}.{index}")
                if found is not None:
                    return found
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        for key, item in value.items():
            found = _bool_for_number(args[1], item, f"{where}.{key}")
            if found is not None:
                return found
    return None


def _wants_number_not_bool(annotation: Any) -> bool:
    """Whether a value of this type must be a number and may not be a boolean."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _wants_number_not_bool(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in args if arg is not type(None)]
        return any(_wants_number_not_bool(arg) for arg in members) and not any(
            arg is bool or arg is Any or arg is str for arg in members)
    return annotation in (float, int)


def did_you_mean(word: str, candidates: Any) -> str:
    """'; did you mean 'x'?' for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
