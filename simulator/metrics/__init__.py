"""Metrics: a run's logs (the engine's final `RunState`) turned into tidy tables and headline numbers.

It owns the run tables (`tables`: visits, opportunities, rep-days, rep-quarters, accounts, weekly, the summary)
and the workforce tables (`workforce`: reps, events, ownership, turnover). It sits above the engine, whose state
it reads, and may import the engine and everything below it; it never runs a simulation. `RunTables` and
`run_tables` are re-exported here as the package's public face.
"""

from simulator.metrics.tables import RunTables, run_tables

__all__ = ["RunTables", "run_tables"]
