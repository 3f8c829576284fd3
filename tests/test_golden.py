"""The day-stepped reference engine reproduces the event-per-visit engine's logs exactly.

The reference (`tests/reference_engine`, the engine of commit 4bd9b91 frozen) is what the compiled engine is
checked against statistically; this test pins the reference to the original model.

Golden logs were recorded by `tests/golden/record.py` with the engine of commit c394da4 (one SimPy process per
seat, a SimPy event per visit, stage end and arrival) on a saved copy of the quickstart world.
"""

from pathlib import Path

import pandas as pd
import pytest

from tests.golden.record import golden_runs, logs, run_golden

GOLDEN = Path(__file__).parent / "golden"
RUNS = [(name, spec.key, spec, world, scenario) for name, spec, world, scenario in golden_runs(GOLDEN)]


@pytest.mark.parametrize(("name", "key", "spec", "world", "scenario"), RUNS, ids=[f"{r[0]}-{r[1]}" for r in RUNS])
def test_logs_identical_to_the_event_per_visit_engine(name, key, spec, world, scenario):
    visits, opportunities = logs(run_golden(spec, world, scenario))
    pd.testing.assert_frame_equal(visits, pd.read_parquet(GOLDEN / f"{name}-{key}-visits.parquet"), check_exact=True)
    pd.testing.assert_frame_equal(opportunities, pd.read_parquet(GOLDEN / f"{name}-{key}-opportunities.parquet"),
                                  check_exact=True)
