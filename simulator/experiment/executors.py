"""Executors: run the tasks of an experiment serially, on a local process pool, or on a Dask cluster.

Each finished run is handed to `done` as soon as it completes (so it can be written at once); the order runs
finish in does not matter, because every run is fully determined by its task.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from simulator.experiment.runs import Task, run_task
from simulator.processes import EXECUTORS, ExecutorError, Progress, default_workers, die_with_parent

__all__ = ["EXECUTORS", "ExecutorError", "Progress", "Session", "default_workers", "die_with_parent", "execute"]

def execute(tasks: Sequence[Task], done: Callable[[Task, dict], None], executor: str = "serial",
            workers: int | None = None, scheduler: str | None = None, keep: bool = False,
            progress: Progress | None = None) -> None:
    """Run every task with the chosen executor, calling `done(task, tables)` as each one finishes."""
    with Session(executor, workers, scheduler, keep) as session:
        session.run(tasks, done, progress)
    if progress is not None:
        progress.close()


class Session:
    """An executor kept open over several batches of tasks (workers keep their prepared worlds between batches).

    Args:
        executor: "serial", "local" (process pool) or "dask".
        workers: local processes (default all cores) or Dask workers of a local cluster.
        scheduler: address of an existing Dask scheduler.
        keep: keep every run's full tables (serial only).
    """

    def __init__(self, executor: str = "serial", workers: int | None = None, scheduler: str | None = None,
                 keep: bool = False):
        if executor not in EXECUTORS:
            raise ExecutorError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
        self.executor, self.workers, self.scheduler, self.keep = executor, workers, scheduler, keep
        self.pool: ProcessPoolExecutor | None = None
        self.client = None
        self.cluster = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type | None, *exc: object) -> None:
        if self.pool is not None:  # after a failure, runs not yet started are dropped, not waited for
            self.pool.shutdown(cancel_futures=kind is not None)
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def run(self, tasks: Sequence[Task], done: Callable[[Task, dict], None], progress: Progress | None = None) -> None:
        """Run every task, calling `done(task, tables)` as each one finishes (in the order they finish)."""
        progress = progress or Progress(len(tasks), enabled=False)
        if self.executor == "serial" or not tasks:
            for task in tasks:
                done(task, run_task(task, self.keep))
                progress.step()
        elif self.executor == "local":
            if self.pool is None:  # started on first use: a serial fallback or an empty batch costs nothing
                self.pool = ProcessPoolExecutor(max_workers=self.workers or default_workers(),
                                                initializer=die_with_parent, initargs=(os.getpid(),))
            futures = {self.pool.submit(run_task, task): task for task in tasks}
            for future in as_completed(futures):
                done(futures[future], future.result())
                progress.step()
        else:
            self._dask(tasks, done, progress)

    def _dask(self, tasks: Sequence[Task], done: Callable[[Task, dict], None], progress: Progress) -> None:
        try:
            from distributed import Client, LocalCluster
            from distributed import as_completed as dask_completed
        except ImportError as exc:
            raise ExecutorError("the dask executor needs the optional extra: pip install 'territory-sim[dask]'") \
                from exc
        if self.client is None:
            try:
                if self.scheduler:
                    self.client = Client(self.scheduler, timeout="10s")
                else:  # no scheduler given: a local cluster of processes for this experiment (distributed ends
                    # its worker processes when this one dies, even by SIGKILL: their parent-alive pipe closes)
                    self.cluster = LocalCluster(n_workers=self.workers or default_workers(), threads_per_worker=1,
                                                processes=True, dashboard_address=None)
                    self.client = Client(self.cluster)
            except OSError as exc:
                raise ExecutorError(f"cannot reach the Dask scheduler {self.scheduler!r}: {exc}") from exc
        futures = [self.client.submit(run_task, task, pure=False) for task in tasks]
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in dask_completed(futures):
            done(by_key[future.key], future.result())
            future.release()
            progress.step()
