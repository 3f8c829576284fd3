"""The package's architecture, checked from its own imports: no import loops, no import from a layer to one above.

The layer order is data (`simulator.LAYERS`, top to bottom); every import statement counts, at module level,
inside a function or under `TYPE_CHECKING`, absolute or relative.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import simulator

ROOT = Path(simulator.__file__).parent


@dataclass(frozen=True)
class Edge:
    """One import: `source` imports `target`, at `where` (file:line)."""

    source: str
    target: str
    where: str


def module_names(folder: Path, package: str) -> dict[str, Path]:
    """Every module of the package under `folder`, by dotted name (a package by its own name)."""
    names = {}
    for path in sorted(folder.rglob("*.py")):
        parts = [package, *path.relative_to(folder).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is a module of the package."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in modules:
            return prefix
    return None


def import_edges(folder: Path, package: str) -> list[Edge]:
    """Every import of a module of the package by a module of the package."""
    modules = module_names(folder, package)
    edges = []
    for source, path in modules.items():
        is_package = path.name == "__init__.py"
        where = path.relative_to(folder.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [_known(alias.name, modules) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = source.split(".") if is_package else source.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [_known(f"{module}.{alias.name}", modules) or _known(module, modules)
                           for alias in node.names]
            edges += [Edge(source, target, f"{where}:{node.lineno}") for target in dict.fromkeys(targets) if target]
    return edges


def import_loops(edges: list[Edge]) -> list[str]:
    """Each import loop (strongly connected modules), with the imports that close it."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge)
        graph.setdefault(edge.target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for edge in graph[module]:
            if edge.target not in index:
                visit(edge.target)
                low[module] = min(low[module], low[edge.target])
            elif edge.target in stack:
                low[module] = min(low[module], index[edge.target])
        if low[module] == index[module]:
            members = {stack.pop()}
            while module not in members:
                members.add(stack.pop())
            inside = [e for m in sorted(members) for e in graph[m] if e.target in members]
            if inside:
                loops.append("import loop: " + "; ".join(f"{e.where} {e.source} -> {e.target}" for e in inside))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return loops


def layer_violations(edges: list[Edge], package: str, layers: tuple[tuple[str, ...], ...]) -> list[str]:
    """Each import that goes up a layer, across one layer, to the package root, or from a module in no layer."""
    level = {unit: depth for depth, members in enumerate(layers) for unit in members}
    problems = []
    for edge in edges:
        source = edge.source.split(".")[1] if "." in edge.source else None
        target = edge.target.split(".")[1] if "." in edge.target else None
        if source is None or source == target:
            continue  # the package root is the public face; a folder imports itself freely
        if target is None:
            problems.append(f"{edge.where}: {edge.source} imports the package root {package}")
        elif source not in level or target not in level:
            missing = source if source not in level else target
            problems.append(f"{edge.where}: {edge.source} -> {edge.target}: '{missing}' is in no layer of LAYERS")
        elif level[target] < level[source]:
            problems.append(f"{edge.where}: {edge.source} imports {edge.target}, a higher layer "
                            f"('{target}' is above '{source}')")
        elif level[target] == level[source]:
            problems.append(f"{edge.where}: {edge.source} imports {edge.target}, in the same layer "
                            f"('{source}' and '{target}' must not import each other)")
    return problems


def units(folder: Path) -> set[str]:
    """The package's folders and top-level modules."""
    found = {path.stem for path in folder.glob("*.py") if path.name != "__init__.py"}
    return found | {path.name for path in folder.iterdir() if (path / "__init__.py").exists()}


def test_the_package_has_no_import_loop():
    loops = import_loops(import_edges(ROOT, "simulator"))
    assert not loops, "\n".join(loops)


def test_no_module_imports_a_layer_above_its_own():
    problems = layer_violations(import_edges(ROOT, "simulator"), "simulator", simulator.LAYERS)
    assert not problems, "\n".join(problems)


def test_every_folder_and_top_level_module_has_one_layer():
    placed = [unit for members in simulator.LAYERS for unit in members]
    assert len(placed) == len(set(placed)), "a unit is in two layers"
    assert set(placed) == units(ROOT)


def test_the_scenario_knows_the_names_the_registries_hold():
    from simulator.policies import registered_policies
    from simulator.policies.vacancy import registered_vacancy_policies
    from simulator.schema.policy_names import alignment_policy_names, vacancy_policy_names

    assert alignment_policy_names() == registered_policies()
    assert vacancy_policy_names() == registered_vacancy_policies()


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_a_loop_is_reported_with_the_imports_that_close_it(tmp_path):
    folder = _package(tmp_path, {"a.py": "from pkg.b import y\nx = 1\n",
                                 "b.py": "def later():\n    from pkg import a\n    return a.x\ny = 2\n",
                                 "c.py": "import pkg.a\n"})
    loops = import_loops(import_edges(folder, "pkg"))
    assert loops == ["import loop: pkg/a.py:1 pkg.a -> pkg.b; pkg/b.py:2 pkg.b -> pkg.a"]


def test_a_loop_through_type_checking_and_relative_imports_is_reported(tmp_path):
    folder = _package(tmp_path, {"solver/__init__.py": "from .solve import solve\n",
                                 "solver/solve.py": "from pkg.solver.start import begin\ndef solve(): ...\n",
                                 "solver/start.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                                    "    from .solve import solve\ndef begin(): ...\n"})
    (loop,) = import_loops(import_edges(folder, "pkg"))
    assert "pkg/solver/solve.py:1 pkg.solver.solve -> pkg.solver.start" in loop
    assert "pkg/solver/start.py:3 pkg.solver.start -> pkg.solver.solve" in loop


@pytest.mark.parametrize(("text", "expected"), [
    ("from pkg.high import x\n", "pkg/low.py:1: pkg.low imports pkg.high, a higher layer ('high' is above 'low')"),
    ("def f():\n    from .high import x\n", "pkg/low.py:2: pkg.low imports pkg.high, a higher layer"),
    ("import pkg.side\n", "pkg/low.py:1: pkg.low imports pkg.side, in the same layer"),
    ("from pkg import thing\n", "pkg/low.py:1: pkg.low imports the package root pkg"),
    ("import pkg.stray\n", "'stray' is in no layer of LAYERS"),
])
def test_an_upward_import_is_reported_with_its_file_and_line(tmp_path, text, expected):
    folder = _package(tmp_path, {"high.py": "import pkg.low\n", "low.py": text, "side.py": "", "stray.py": ""})
    problems = layer_violations(import_edges(folder, "pkg"), "pkg", (("high",), ("low", "side")))
    assert any(problem.startswith(expected) or expected in problem for problem in problems), problems
    assert not any("pkg/high.py" in problem for problem in problems), "a downward import is fine"


def test_pyproject_installs_every_folder_of_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listed = set(tomllib.loads((ROOT.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(("simulator", *path.parent.relative_to(ROOT).parts)) for path in ROOT.rglob("__init__.py")}
    assert folders <= listed, f"missing from pyproject.toml: {sorted(folders - listed)}"
