"""The step-1 engine, frozen: SimPy calendar, one Python day step, numpy PCG64 streams per seat and account.

It reproduces the original event-per-visit engine's logs bit for bit (`tests/test_golden.py`) and is the
reference the compiled engine (`simulator.engine`) is checked against statistically
(`benchmarks/equivalence.py`, paired replications). Kept only for those checks: the model lives in
`simulator.engine`; when the model itself changes, this reference is retired with its golden logs.
"""

from tests.reference_engine.run import simulate
from tests.reference_engine.state import RunState

__all__ = ["RunState", "simulate"]
