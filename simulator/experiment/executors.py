"""Executors: run the tasks of an experiment serially, on a local process pool, or on a Dask cluster.

Each finished run is handed to `done` as soon as it completes (so it can be written at once); the order runs
finish in does not matter, because every run is fully determined by its task.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from simulator.experiment.runs import Task, run_task

EXECUTORS = ("serial", "local", "dask")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ExecutorError(Exception):
    """An executor that cannot be used (unknown name, Dask not installed or not reachable)."""


class Progress:
    """Runs done, rate and time left, as a rich progress bar on standard error (silent when disabled).

    `note` is shown after the counts (the precision reached so far, for a precision-driven experiment); the total
    grows when a precision-driven experiment adds a batch.
    """

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.done = 0
        self.note = ""
        self._bar: RichProgress | None = None
        self._task = None

    def add(self, runs: int, note: str = "") -> None:
        """More runs to do (another batch), and what to show beside the counts."""
        self.total += runs
        self.note = note
        self._show()

    def step(self) -> None:
        """One more run finished."""
        self.done += 1
        self._show()

    def _show(self) -> None:
        if not self.enabled or not self.total:
            return
        if self._bar is None:
            self._bar = RichProgress(BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                                     TimeElapsedColumn(), TextColumn("elapsed,"), TimeRemainingColumn(),
                                     TextColumn("left  {task.fields[note]}"), console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task("runs", total=self.total, note=self.note)
        self._bar.update(self._task, total=self.total, completed=self.done, note=self.note)

    def close(self) -> None:
        """End the progress bar."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def die_with_parent(parent: int) -> None:
    """In a worker process: end when the process `parent` ends, so a killed run leaves no workers behind.

    A worker forked by `parent` asks Linux to send it SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG);
    otherwise (another system, or a worker started through a fork server) a daemon thread checks every second that
    the parent still lives. Either way a parent already gone ends the worker at once.
    """
    if os.getppid() == parent and sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (an unusual libc): fall back to watching
            pass
        else:
            if os.getppid() != parent:  # the parent died before the signal was asked for
                os._exit(1)
            return
    if not _alive(parent):
        os._exit(1)

    def watch() -> None:
        while _alive(parent):
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _alive(pid: int) -> bool:
    if os.getppid() == pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


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
