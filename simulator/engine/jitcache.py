"""The compiled kernels' on-disk cache, stamped with every source they are compiled from.

numba's cache (`@njit(cache=True)`) stamps a compiled function with a hash of its own file only: its "Notes on
Caching" list among the known limitations that invalidation does not see changes to symbols defined in another file,
and that global variables are frozen as constants (the pull requests that would extend it, numba#8396 and #9563, did
not land). The day kernels are compiled across files: `kernels.play_day` calls into `visits`, `planning`, `events`
and `draws`, and folds constants such as `world.geography.EARTH_RADIUS_KM` into its code. An edit to `visits.py`
alone, or an upgrade that changes it, would leave the stale `play_day` loaded from the cache, and every run would be
silently wrong.

So the functions of the kernel modules (the engine's modules that import numba) are cached by locators that stamp
them with one hash of all the kernel modules and every `simulator` module they import, transitively: a change to
any of them recompiles the kernels once; a change elsewhere (the report, the policies) keeps the cache. The locators
are numba's own (a folder given by `NUMBA_CACHE_DIR`, else `__pycache__` beside the code, else the user's cache
folder), with the stamp replaced; `install` puts them first in numba's list before any kernel is decorated (the
engine package does it on import). Functions of other files, the user's own, are cached as numba does.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

from numba.core import caching

ENGINE = Path(__file__).resolve().parent
ROOT = ENGINE.parent.parent  # the folder that holds the `simulator` package


def kernel_sources(root: Path = ROOT) -> list[Path]:
    """The kernel modules under `root`/simulator/engine and every `simulator` module they import, transitively."""
    engine = root / "simulator" / "engine"
    todo = [path for path in sorted(engine.glob("*.py")) if "numba" in _imports(path)]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            if name.split(".")[0] == "simulator":
                found = _module_file(root, name)
                if found is not None:
                    todo.append(found)
    return sorted(seen)


def source_stamp(root: Path = ROOT, sources: list[Path] | None = None) -> str:
    """One hash of the kernel sources under `root` (default: `kernel_sources(root)`): paths (relative) and contents."""
    digest = hashlib.sha256()
    for path in sources if sources is not None else kernel_sources(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _kernel_files() -> tuple[Path, ...]:
    """This installation's kernel sources, found once per process."""
    return tuple(kernel_sources(ROOT))


@functools.lru_cache(maxsize=1)
def _stamp() -> str:
    """This installation's stamp, computed once per process (the sources do not change under a running program)."""
    return source_stamp(ROOT, list(_kernel_files()))


def _imports(path: Path) -> list[str]:
    """The absolute module names `path` imports (`from a.b import c` gives `a.b` and `a.b.c`)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _module_file(root: Path, name: str) -> Path | None:
    """The source file of module `name` under `root` (None for a name that is not a module there)."""
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _numba(name: str):
    """A class of numba's caching module (underscored before numba 0.60: `_InTreeCacheLocator`)."""
    return getattr(caching, name, None) or getattr(caching, "_" + name)


class _KernelStamp:
    """A locator mixin: only for the kernel modules, stamped with the hash of all kernel sources."""

    def get_source_stamp(self):
        return _stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve() not in _kernel_files():
            return None
        return super().from_function(py_func, py_file)


class KernelUserProvidedLocator(_KernelStamp, _numba("UserProvidedCacheLocator")):
    """The folder `NUMBA_CACHE_DIR` names, when it is set."""


class KernelInTreeLocator(_KernelStamp, _numba("InTreeCacheLocator")):
    """`__pycache__` beside the kernel modules, when it is writable."""


class KernelUserWideLocator(_KernelStamp, _numba("UserWideCacheLocator")):
    """The user's cache folder (a read-only install)."""


LOCATORS = [KernelUserProvidedLocator, KernelInTreeLocator, KernelUserWideLocator]


def install() -> None:
    """Put the kernel locators first in numba's list (once); call before any kernel module is imported."""
    classes = _numba("CacheImpl")._locator_classes
    if classes[:len(LOCATORS)] != LOCATORS:
        classes[:0] = LOCATORS
