"""Executors: run the tasks of an experiment serially, on a local process pool, or on a Dask cluster.

Each finished run is handed to `done` as soon as it completes (so it can be written at once); the order runs
finish in does not matter, because every run is fully determined by its task.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from simulator.runs import Task, run_task

EXECUTORS = ("serial", "local", "dask")


class ExecutorError(Exception):
    """An executor that cannot be used (unknown name, Dask not installed or not reachable)."""


class Progress:
    """Runs done, rate and time left, on one line of standard error (silent when disabled)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled and total > 0
        self.done = 0
        self.started = time.perf_counter()

    def step(self) -> None:
        """One more run finished."""
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * int(30 * self.done / self.total)
        sys.stderr.write(f"\r[{bar:<30}] {self.done}/{self.total} runs  {rate:.2f} runs/s  "
                         f"{int(left) // 60:02d}:{int(left) % 60:02d} left ")
        if self.done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def execute(tasks: Sequence[Task], done: Callable[[Task, dict], None], executor: str = "serial",
            workers: int | None = None, scheduler: str | None = None, keep: bool = False,
            progress: Progress | None = None) -> None:
    """Run every task with the chosen executor, calling `done(task, tables)` as each one finishes."""
    progress = progress or Progress(len(tasks), enabled=False)
    if executor == "serial" or not tasks:
        for task in tasks:
            done(task, run_task(task, keep))
            progress.step()
    elif executor == "local":
        with ProcessPoolExecutor(max_workers=workers or default_workers()) as pool:
            futures = {pool.submit(run_task, task): task for task in tasks}
            for future in as_completed(futures):
                done(futures[future], future.result())
                progress.step()
    elif executor == "dask":
        _dask(tasks, done, scheduler, workers, progress)
    else:
        raise ExecutorError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")


def _dask(tasks: Sequence[Task], done: Callable[[Task, dict], None], scheduler: str | None, workers: int | None,
          progress: Progress) -> None:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise ExecutorError("the dask executor needs the optional extra: pip install 'territory-sim[dask]'") from exc
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:  # no scheduler given: a local cluster of processes for this experiment
            cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    except OSError as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from exc
    try:
        futures = [client.submit(run_task, task, pure=False) for task in tasks]
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in dask_completed(futures):
            done(by_key[future.key], future.result())
            future.release()
            progress.step()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
