"""The compiled kernels: one model, the same numbers with and without the JIT; counter-based draws."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.engine.draws import mix32, normal, stream_key, uniform, uniform_grid
from simulator.engine.planning import cheapest
from simulator.engine.tables import VISIT_TYPES, VisitLog, empty_pool, reserve
from tests.conftest import small_scenario

ROOT = Path(__file__).resolve().parent.parent
RUN_TABLES = """
import sys, pandas as pd
from tests.test_kernels import short_run_tables
pd.to_pickle(short_run_tables(), sys.argv[1])
"""


def short_run_tables() -> dict[str, pd.DataFrame]:
    """A short run with quits, vacancies and hires: its visit, opportunity, rep-day and account tables."""
    from simulator.experiment.runs import Task, run_task

    scenario = small_scenario(**{"calendar.quarters": 2, "calendar.days_per_quarter": 30,
                                 "workforce.attrition.enabled": True, "workforce.attrition.annual_quit_rate": 0.6,
                                 "workforce.vacancy_policy": "neighbours"})
    run = run_task(Task(scenario, 0, (), "as_is", 0, 3), keep=True)["run"]
    return {"visits": run.visits, "opportunities": run.opportunities, "rep_days": run.rep_days,
            "accounts": run.accounts, "summary": pd.DataFrame([run.summary])}


def test_tables_identical_with_and_without_the_jit(tmp_path):
    out = tmp_path / "plain.pkl"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", RUN_TABLES, str(out)], check=True, cwd=ROOT, env=env)
    plain, compiled = pd.read_pickle(out), short_run_tables()
    assert len(compiled["visits"]) > 100 and (compiled["opportunities"]["outcome"] == "won").any()
    assert compiled["summary"]["quits"].iloc[0] > 0  # the workforce side is exercised too
    for name, table in compiled.items():
        pd.testing.assert_frame_equal(table, plain[name], check_exact=True, obj=name)


def test_draws_are_the_same_compiled_and_in_plain_python():
    key = stream_key(42, 3, "visit")
    for entity, index in [(0, 0), (7, 12345), (99_999, 2**31 - 1), (2**32 - 1, 5)]:
        assert uniform(key, entity, index) == uniform.py_func(key, entity, index)
        assert normal(key, entity, index) == normal.py_func(key, entity, index)
    assert mix32(0xDEADBEEF) == mix32.py_func(0xDEADBEEF)


def test_draws_are_keyed_not_sequential():
    key = stream_key(1, 0, "workday")
    entities = np.array([5, 3, 9, 3])
    grid = uniform_grid(key, entities, 17, 3)
    assert grid.tolist() == [[uniform(key, int(e), 17 + j) for j in range(3)] for e in entities]
    assert uniform(key, 3, 17) != uniform(key, 3, 18) != uniform(key, 4, 17)
    assert stream_key(1, 0, "workday") != stream_key(1, 1, "workday") != stream_key(1, 0, "visit")


def test_counter_uniforms_and_normals_have_the_right_distribution():
    from scipy import stats

    key = stream_key(7, 1, "test")
    u = np.array([uniform(key, e, i) for e in range(50) for i in range(400)])
    z = np.array([normal(key, e, i) for e in range(50) for i in range(400)])
    assert 0 < u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 0.001
    assert stats.kstest(z, "norm").pvalue > 0.001
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.03  # consecutive indices are not correlated


def test_cheapest_is_a_stable_partial_sort():
    rng = np.random.default_rng(0)
    for _ in range(300):
        cost = rng.integers(0, 5, rng.integers(1, 40)).astype(float)
        wanted = int(rng.integers(1, len(cost) + 1))
        assert cheapest(cost, wanted).tolist() == np.argsort(cost, kind="stable")[:wanted].tolist()


@pytest.mark.parametrize("extra", [0, 5, 100, 5000])
def test_pools_grow_by_doubling_and_keep_their_rows(extra):
    pool = empty_pool(VisitLog, VISIT_TYPES, 64)
    pool.account[:64] = np.arange(64)
    grown = reserve(pool, 64, extra)
    assert len(grown.account) >= 64 + extra
    assert len(grown.account) == 64 if extra == 0 else len(grown.account) >= 128
    assert grown.account[:64].tolist() == list(range(64))


TINY_RUN = ("from tests.conftest import small_scenario; from simulator.experiment.experiment import run_experiment; "
            "run_experiment(small_scenario(**{'calendar.days_per_quarter': 5}), write=False, executor='serial')")


DENY_IN_TREE_CACHE = ("import numba.core.caching as caching\n"
                      "def read_only(self):\n"
                      "    raise PermissionError('read-only file system')\n"
                      "caching.InTreeCacheLocator.ensure_cache_path = read_only\n")


def _make_read_only(source: Path, mounted: Path) -> tuple[Path, str, bool]:
    """The package folder to run from, a prelude for the runs, and whether a bind mount must be undone.

    As root (CI): a read-only bind mount. Another user: the files' write bits removed. Where root may not mount
    (a restricted container): numba's own writability check of the in-tree cache folder fails as a read-only
    folder makes it fail.
    """
    if os.geteuid() != 0:
        for path in [source, *source.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return source, "", False
    if subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True).returncode == 0:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], capture_output=True).returncode == 0:
            return mounted, "", True
        subprocess.run(["umount", str(mounted)], capture_output=True)
    return source, DENY_IN_TREE_CACHE, False


def test_kernel_cache_falls_back_to_a_user_folder_in_a_read_only_install(tmp_path):
    """A read-only install compiles once into the user's cache folder, and later processes load it from there."""
    import shutil

    source, mounted, home = tmp_path / "src", tmp_path / "ro", tmp_path / "home"
    for folder in (source, mounted, home):
        folder.mkdir()
    for name in ("simulator", "tests"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    package, prelude, unmount = _make_read_only(source, mounted)
    try:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}, "HOME": str(home),
               "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONPATH": str(package)}
        for _ in range(2):
            subprocess.run([sys.executable, "-c", prelude + TINY_RUN], check=True, cwd=tmp_path, env=env)
        assert not list(package.rglob("*.nbi"))  # nothing could be written next to the code...
        assert list((home / ".cache" / "numba").rglob("kernels.play_day*.nbi"))  # ...so the user cache holds it
    finally:
        if unmount:
            subprocess.run(["umount", str(mounted)], capture_output=True)
        for path in [source, *source.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)  # let pytest clean up


def test_the_kernel_cache_is_stamped_with_every_source_the_kernels_are_compiled_from(tmp_path):
    """An edit to a module a kernel calls into (not only the kernel's own file) invalidates the kernels' disk cache."""
    import shutil

    from simulator.engine import jitcache
    from simulator.engine.kernels import play_day

    shutil.copytree(ROOT / "simulator", tmp_path / "simulator", ignore=shutil.ignore_patterns("__pycache__"))
    sources = {path.relative_to(tmp_path).as_posix() for path in jitcache.kernel_sources(tmp_path)}
    assert {"simulator/engine/kernels.py", "simulator/engine/visits.py", "simulator/world/geography.py"} <= sources
    assert "simulator/engine/run.py" not in sources  # the SimPy side is not compiled
    stamps = [jitcache.source_stamp(tmp_path)]
    assert stamps[0] == jitcache.source_stamp(ROOT)  # paths are relative: the same sources give the same stamp
    for edited in ("simulator/engine/visits.py", "simulator/world/geography.py", "simulator/report/__init__.py"):
        with open(tmp_path / edited, "a", encoding="utf-8") as file:
            file.write("\n# edited\n")
        stamps.append(jitcache.source_stamp(tmp_path))
    assert len(set(stamps[:3])) == 3  # a callee of play_day, a module whose constants it folds in
    assert stamps[3] == stamps[2]  # the report is not compiled into any kernel: the cache stays
    if os.environ.get("NUMBA_DISABLE_JIT") != "1":  # the stamp numba stores beside play_day is this one
        locator = play_day._cache._impl.locator
        assert type(locator) in jitcache.LOCATORS and locator.get_source_stamp() == stamps[0]


def test_stretches_between_workforce_events_change_nothing():
    """Playing the days between workforce events in one call gives the tables of ticking every day.

    A day hook makes the calendar tick every day; without one it ticks only on days when something can happen
    (quarter starts, notices, hires, planned events, the next quit foreseen from its keyed draw). Each stretch
    starts with every seat's `calls_due` set, so ticking every day also checks that skipping the search for
    deals to call (when no stage began since a search that called them all) changes nothing.
    """
    from simulator.engine import simulate
    from simulator.experiment.runs import prepare
    from simulator.metrics import run_tables
    from simulator.streams import Streams

    scenario = small_scenario(**{"calendar.quarters": 2, "calendar.days_per_quarter": 40,
                                 "workforce.attrition.enabled": True, "workforce.attrition.annual_quit_rate": 0.5})
    prepared = prepare(scenario)
    ticks = []
    runs = []
    for hooks in ((), (lambda state, day: ticks.append(day),)):
        state = simulate(prepared.world, prepared.alignments["as_is"], scenario, Streams(9, 2), day_hooks=hooks)
        runs.append(run_tables(state))
    assert ticks == list(range(80))
    assert runs[0].summary["quits"] > 0
    assert runs[0].rep_days["remote_hours"].sum() > 0
    for name in ("visits", "opportunities", "rep_days", "rep_quarters", "accounts", "events"):
        pd.testing.assert_frame_equal(getattr(runs[0], name), getattr(runs[1], name), check_exact=True, obj=name)
    assert runs[0].summary == pytest.approx(runs[1].summary, nan_ok=True, rel=0, abs=0)
