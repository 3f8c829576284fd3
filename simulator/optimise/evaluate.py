"""Simulating candidate plans on the search replications, serially, on a local process pool or on Dask.

A plan search spends almost all its time simulating: every candidate plan is played on the same fixed set of search
replications (common random numbers). The replications of one plan are independent, so they run in parallel on the
experiment's executors: a local process pool whose workers receive the world and scenario once, when they start,
or a Dask cluster to which they are scattered once. A replication's result depends only on the plan and the
replication's streams, so the search finds the same plan with any executor and any number of workers.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.alignment import Alignment
from simulator.engine import simulate
from simulator.metrics.tables import account_contributions, run_tables
from simulator.optimise.search import Evaluation
from simulator.processes import EXECUTORS, ExecutorError, Progress, default_workers, die_with_parent
from simulator.scenario import PolicySpec
from simulator.streams import Streams
from simulator.world.model import World


@dataclass(frozen=True)
class SearchContext:
    """What every evaluation needs besides the plan: the world, the scenario and the search's streams."""

    world: World
    scenario: Any
    n_seats: int
    overrides: dict[int, int]
    arm: PolicySpec  # the experiment's arm (a realignment inside a run re-runs it; its vacancy policy applies)
    seed: int  # the search replications' seed (apart from the experiment's)
    primary: str

    def primary_value(self, unit_seat: np.ndarray, replication: int) -> tuple[float, np.ndarray | None]:
        """The primary metric of the plan `unit_seat` (unit -> seat) on one search replication, and each seat's part.

        The parts (None for a metric that does not add up over accounts) add the accounts' contributions up by the
        seat that owns them in the plan.
        """
        alignment = Alignment(unit_seat, self.n_seats, self.overrides, policy="optimise")
        state = simulate(self.world, alignment, self.scenario, Streams(self.seed, replication),
                         arm=self.arm)
        tables = run_tables(state)
        contributions = account_contributions(tables, self.primary)
        if contributions is None:
            return float(tables.summary[self.primary]), None
        owner = alignment.account_seats(self.world)
        owned = owner >= 0
        parts = np.bincount(owner[owned], weights=contributions[owned], minlength=self.n_seats)
        return float(tables.summary[self.primary]), parts


_WORKER_CONTEXT: SearchContext | None = None


def _start_worker(parent: int, context: SearchContext) -> None:
    global _WORKER_CONTEXT
    die_with_parent(parent)
    _WORKER_CONTEXT = context


def _in_worker(unit_seat: np.ndarray, replication: int) -> tuple[float, np.ndarray | None]:
    assert _WORKER_CONTEXT is not None, "worker started without its search context"
    return _WORKER_CONTEXT.primary_value(unit_seat, replication)


def _on_dask(context: SearchContext, unit_seat: np.ndarray, replication: int) -> tuple[float, np.ndarray | None]:
    return context.primary_value(unit_seat, replication)


class PlanEvaluator:
    """Callable: a plan (unit -> seat) and a set of search replications -> the plan's `Evaluation` on them.

    Set `s` of `n` replications is replications s*n .. s*n + n - 1 of the search's streams (`search.SCREEN` and
    `search.CONFIRM` are two disjoint sets).

    Args:
        context: the world, scenario and streams every evaluation shares.
        replications: how many search replications each plan is played on.
        executor: "serial", "local" (process pool) or "dask" (a local cluster, or `scheduler`).
        workers: processes (default all cores).
        scheduler: address of an existing Dask scheduler.
        progress: counts evaluations (plans), when enabled.
    """

    def __init__(self, context: SearchContext, replications: int, executor: str = "serial",
                 workers: int | None = None, scheduler: str | None = None, progress: Progress | None = None):
        if executor not in EXECUTORS:
            raise ExecutorError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
        self.context, self.replications, self.executor = context, replications, executor
        self.workers, self.scheduler = workers or default_workers(), scheduler
        self.progress = progress or Progress(0, enabled=False)
        self.pool: ProcessPoolExecutor | None = None
        self.client = self.cluster = self.scattered = None
        if executor == "dask" or (executor == "local" and self.workers > 1):
            try:
                self._start()
            except BaseException:
                self.close()  # a cluster started before the client failed is not left running
                raise
        else:
            self.executor = "serial"

    def __call__(self, unit_seat: np.ndarray, sample: int = 0) -> Evaluation:
        """The primary metric of the plan on every replication of set `sample`, with each seat's part."""
        plan = np.asarray(unit_seat, dtype=np.int64)
        replications = range(sample * self.replications, (sample + 1) * self.replications)
        if self.executor == "serial":
            values = [self.context.primary_value(plan, r) for r in replications]
        elif self.pool is not None:
            values = list(self.pool.map(_in_worker, [plan] * len(replications), replications))
        else:
            futures = [self.client.submit(_on_dask, self.scattered, plan, r, pure=False) for r in replications]
            values = self.client.gather(futures)
        self.progress.step()
        totals = np.array([total for total, _ in values], dtype=float)
        parts = None if values[0][1] is None else np.array([part for _, part in values], dtype=float)
        return Evaluation(totals, parts)

    def __enter__(self) -> PlanEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and the progress bar (each, even when stopping another fails)."""
        pool, client, cluster = self.pool, self.client, self.cluster
        self.pool = self.client = self.cluster = None
        try:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        finally:
            try:
                if client is not None:
                    client.close()
            finally:
                try:
                    if cluster is not None:
                        cluster.close()
                finally:
                    self.progress.close()

    def _start(self) -> None:
        if self.executor == "local":
            self.pool = ProcessPoolExecutor(max_workers=min(self.workers, self.replications),
                                            initializer=_start_worker, initargs=(os.getpid(), self.context))
            return
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ExecutorError("the dask executor needs the optional extra: pip install 'territory-sim[dask]'") \
                from exc
        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout="10s")
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
        except OSError as exc:
            where = f"the Dask scheduler {self.scheduler!r}" if self.scheduler else "a local Dask cluster"
            raise ExecutorError(f"cannot reach {where}: {exc}") from exc
        self.scattered = self.client.scatter(self.context, broadcast=True)
