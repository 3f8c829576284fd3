"""Worker processes and progress, the pieces every executor shares: the experiment's and the plan search's.

Which executors exist, the error for one that cannot be used, how many cores a process may use, how a worker ends
with its parent (so a killed run leaves no workers behind), and the rich progress bar. It imports nothing from the
package, so any layer that runs work in processes may use it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

EXECUTORS = ("serial", "local", "dask")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ExecutorError(Exception):
    """An executor that cannot be used (unknown name, Dask not installed or not reachable)."""


class Progress:
    """Runs done, rate and time left, as a rich progress bar on standard error (silent when disabled).

    `note` is shown after the counts (the precision reached so far, for a precision-driven experiment); the total
    grows when a precision-driven experiment adds a batch.
    """

    def __init__(self, total: int, enabled: bool, unit: str = "runs"):
        self.total, self.enabled, self.unit = total, enabled, unit
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
            self._bar = RichProgress(BarColumn(), MofNCompleteColumn(), TextColumn(self.unit),
                                     TimeElapsedColumn(), TextColumn("elapsed,"), TimeRemainingColumn(),
                                     TextColumn("left  {task.fields[note]}"), console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task(self.unit, total=self.total, note=self.note)
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
