"""Scenario error messages: where each problem is (file and line) and what is expected, one line each."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from simulator.schema.base import BOOL_FOR_NUMBER, BOOL_MESSAGE, Strict, did_you_mean


def merge_alternatives(problems: list[tuple[str, str]]) -> list[str]:
    """One line per field: the messages pydantic gives for each member of a union are joined with 'or'."""
    merged: dict[str, list[str]] = {}
    for where, message in problems:
        merged.setdefault(where, []).append(message)
    return [f"{where}: {' or '.join(messages)}" for where, messages in merged.items()]


def key_lines(node: yaml.Node | None, prefix: tuple = ()) -> dict[tuple, int]:
    """Map every field path of a composed YAML document to its 1-based line."""
    found: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            found[path] = key_node.start_mark.line + 1
            found.update(key_lines(value_node, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found[(*prefix, index)] = item.start_mark.line + 1
            found.update(key_lines(item, (*prefix, index)))
    return found


def describe_all(path: Path, error: dict[str, Any], lines: dict[tuple, int],
                 root: type[BaseModel]) -> list[tuple[str, str]]:
    """`describe` for one pydantic error; a boolean given for several numbers of one section is one problem each."""
    if error["type"] != BOOL_FOR_NUMBER:
        return [describe(path, error, lines, root)]
    found = []
    for field in error["ctx"]["fields"]:
        parts = tuple(int(p) if p.isdigit() else p for p in field.split("."))
        found.append(describe(path, {**error, "loc": (*error["loc"], *parts), "msg": BOOL_MESSAGE,
                                     "type": "bool_type"}, lines, root))
    return found


def describe(path: Path, error: dict[str, Any], lines: dict[tuple, int], root: type[BaseModel]) -> tuple[str, str]:
    """For one pydantic error: ("file:line: field path", what is wrong and what is expected)."""
    tags = _event_tags()
    raw = error["loc"]
    # a discriminated union (events) puts the member's tag after the list index: drop it, but remember the member
    member = {i: tags[part] for i, part in enumerate(raw) if isinstance(part, str) and part in tags
              and i > 0 and isinstance(raw[i - 1], int)}
    loc = tuple(part for i, part in enumerate(raw) if not _is_union_tag(part) and i not in member)
    line = None
    for cut in range(len(loc), 0, -1):
        line = lines.get(loc[:cut])
        if line is not None:
            break
    where = f"{path}:{line}" if line else f"{path}"
    field = ".".join(str(part) for part in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        in_event = bool(member) and len(loc) >= 2 and isinstance(loc[-2], int)
        known = list(next(iter(member.values())).model_fields) if in_event else _fields_at(root, loc[:-1])
        hint = did_you_mean(str(loc[-1]), known)
        expected = f"; expected one of: {', '.join(sorted(known))}" if known and not hint else ""
        return f"{where}: {field}", f"unknown key{hint}{expected}"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required field is missing"
    return f"{where}: {field}", message


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts union member names (e.g. 'PacingProfile') in error locations; drop them."""
    return isinstance(part, str) and (part in _model_names() or part.startswith(("literal[", "function-")))


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model found by following `loc` from `model` (empty if it cannot be followed)."""
    current: Any = model
    for part in loc:
        current = _field_type(current, part)
        if current is None:
            return []
    model_cls = _model_in(current)
    return list(model_cls.model_fields) if model_cls else []


def _field_type(annotation: Any, part: Any) -> Any:
    model_cls = _model_in(annotation)
    if model_cls is not None and isinstance(part, str) and part in model_cls.model_fields:
        return model_cls.model_fields[part].annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, dict):
        return typing.get_args(annotation)[-1]
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _event_tags() -> dict[str, type[BaseModel]]:
    """Event type name -> event model (the tags of the discriminated union of events)."""
    from simulator.schema.workforce import DepartureEvent, HeadcountEvent, HireEvent, RealignEvent

    return {typing.get_args(cls.model_fields["type"].annotation)[0]: cls
            for cls in (DepartureEvent, HireEvent, RealignEvent, HeadcountEvent)}


def _model_names() -> set[str]:
    """Names of every section model (they appear as union tags in pydantic's error locations)."""
    names, pending = set(), [Strict]
    while pending:
        for cls in pending.pop().__subclasses__():
            names.add(cls.__name__)
            pending.append(cls)
    return names

