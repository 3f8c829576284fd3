"""One guarded YAML loader for scenario files: bounded size, aliases, nesting and integers; no duplicate keys.

`yaml.safe_load` is safe from code execution but not from exhaustion: a few lines of nested aliases expand to
billions of items once something walks them ("billion laughs"), 50,000 nested brackets overflow the composer's
recursion, a 5,000-digit integer trips Python's int-to-text limit, and a repeated key silently keeps the last value.
`load_yaml` refuses each of these with a `YamlLimitError` naming the line.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 2_000_000
"""Largest scenario file read (a scenario is a page of settings; world data goes in world files)."""
MAX_ALIASES = 100
"""Most `*alias` references in one file."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists."""
MAX_ITEMS = 200_000
"""Most keys, values and list items once aliases are expanded."""
MAX_INT_DIGITS = 30
"""Longest integer literal (no count, seed or size needs more digits)."""


class YamlLimitError(yaml.YAMLError):
    """A YAML document that breaks one of the loader's limits; `line` is 1-based (or None)."""

    def __init__(self, problem: str, line: int | None = None):
        self.problem = problem
        self.line = line
        super().__init__(problem)


def _line(node_or_mark: Any) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return mark.line + 1 if mark is not None and hasattr(mark, "line") else None


class GuardedLoader(yaml.SafeLoader):
    """SafeLoader with limits on aliases, depth and integer length, refusing duplicate mapping keys."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlLimitError(f"more than {MAX_ALIASES} aliases (*name); write the values out",
                                     _line(self.peek_event().start_mark))
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep", _line(self.peek_event().start_mark))
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # noqa: D102 - PyYAML hook
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int | None] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key, -1)
                except TypeError:  # an unhashable key: PyYAML's own error follows
                    continue
                if first != -1:
                    where = f" (first at line {first})" if first else ""
                    raise YamlLimitError(f"duplicate key {key!r}{where}; each key may appear once", _line(key_node))
                seen[key] = _line(key_node)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> int:  # noqa: D102 - PyYAML hook
        digits = sum(c.isalnum() for c in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise YamlLimitError(f"an integer of {digits} digits; at most {MAX_INT_DIGITS} are accepted", _line(node))
        return super().construct_yaml_int(node)


GuardedLoader.add_constructor("tag:yaml.org,2002:int", GuardedLoader.construct_yaml_int)


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """Items the document holds once aliases are expanded (a recursive alias refuses the document)."""
    known = sizes.get(id(node))
    if known is not None:
        if known < 0:
            raise YamlLimitError("a recursive alias (a list or mapping that contains itself)", _line(node))
        return known
    sizes[id(node)] = -1
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(item, sizes) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = total = min(total, MAX_ITEMS + 1)
    return total


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document under the limits; returns (data, composed node for line numbers).

    Raises:
        YamlLimitError: the text breaks a limit (size, aliases, depth, integer length, duplicate key).
        yaml.YAMLError: the text is not YAML.

    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise YamlLimitError(f"{size:,} bytes; a scenario file may have at most {MAX_BYTES:,}")
    loader = GuardedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_ITEMS:
            raise YamlLimitError(f"more than {MAX_ITEMS:,} items once aliases are expanded (nested aliases?)",
                                 _line(node))
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
    return data, node
