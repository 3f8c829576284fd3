"""Writing results safely: atomic file writes, parquet tables and the run manifest."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TRACKED_PACKAGES = ["territory-sim", "simpy", "numpy", "pandas", "networkx", "pyarrow", "pydantic", "scipy",
                    "pyyaml", "click", "plotly"]


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write a file through a temporary name in the same folder, then rename it into place.

    A reader never sees a half-written file: either the old one, or none, or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600 files; results are ordinary files
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_parquet(frame: pd.DataFrame, path: Path, key_values: dict[bytes, bytes] | None = None) -> Path:
    """Write a table as parquet, atomically; `key_values` join the schema metadata."""
    if not key_values:
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **key_values})
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def write_json(data: Any, path: Path) -> Path:
    """Write JSON (UTF-8, indented), atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str) + "\n",
                                                         encoding="utf-8"))


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages results depend on."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def own_version() -> str:
    """territory-sim's version: the installed package's metadata, else the checkout's pyproject.toml, else unknown."""
    try:
        return metadata.version("territory-sim")
    except metadata.PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.MULTILINE)
    except OSError:
        found = None
    return found.group(1) if found else "unknown"


def git_commit(folder: Path | None = None) -> str | None:
    """The git commit of the source tree, if it is a git checkout; None otherwise."""
    folder = folder or Path(__file__).resolve().parent.parent
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True,
                                timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
