"""Statistical equivalence of the compiled engine with the step-1 reference engine (issue 10, step 2).

The compiled engine draws its random numbers differently (counter-based, keyed by entity and index), so its
runs cannot match the reference's bit for bit; instead, over paired replications (the same world, alignment,
hidden account and rep attributes, carried-over pipeline and inbound demand, which both engines take from the
same named streams), every summary metric's mean paired difference must not differ from zero at the 1% level.

    python benchmarks/equivalence.py [--replications 20] [--scenarios quickstart us_national] [--quarters Q]

Prints one table per scenario: metric, reference mean, compiled mean, mean difference, its 95% interval, the
paired t-test p-value and whether it differs at the 1% level.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.engine import simulate  # noqa: E402
from simulator.metrics import run_tables  # noqa: E402
from simulator.runs import prepare  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402
from simulator.streams import Streams  # noqa: E402
from tests.reference_engine import simulate as reference_simulate  # noqa: E402

LEVEL = 0.01


def summaries(scenario, replications: int, engine) -> pd.DataFrame:
    """Summary metrics of every policy x replication under one engine (rows: policy, replication, metric)."""
    prepared = prepare(scenario)
    rows = []
    for replication in range(1, replications + 1):
        for spec in scenario.policies:
            state = engine(prepared.world, prepared.alignments[spec.key], scenario,
                           Streams(scenario.experiment.seed, replication), arm=spec)
            for metric, value in run_tables(state).summary.items():
                rows.append((spec.key, replication, metric, float(value)))
    return pd.DataFrame(rows, columns=["policy", "replication", "metric", "value"])


def compare(reference: pd.DataFrame, compiled: pd.DataFrame) -> pd.DataFrame:
    """Paired comparison per policy and metric."""
    keys = ["policy", "replication", "metric"]
    both = reference.merge(compiled, on=keys, suffixes=("_reference", "_compiled")).dropna()
    rows = []
    for (policy, metric), group in both.groupby(["policy", "metric"], sort=False):
        diff = group["value_compiled"] - group["value_reference"]
        n = len(diff)
        sd = float(diff.std(ddof=1)) if n > 1 else 0.0
        if sd == 0.0:
            p = 1.0 if diff.abs().max() == 0 else 0.0
            half = 0.0
        else:
            p = float(stats.ttest_1samp(diff, 0.0).pvalue)
            half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
        rows.append({"policy": policy, "metric": metric, "n": n,
                     "reference": group["value_reference"].mean(), "compiled": group["value_compiled"].mean(),
                     "difference": diff.mean(), "ci95": half, "p": p, "differs_1pct": p < LEVEL})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--scenarios", nargs="+", default=["quickstart", "us_national"])
    parser.add_argument("--quarters", type=int, default=None)
    parser.add_argument("--policies", nargs="*", default=None, help="policy keys to keep (default: all)")
    parser.add_argument("--csv", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    tables = []
    for name in args.scenarios:
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        if args.quarters:
            scenario = scenario.with_overrides(**{"calendar.quarters": args.quarters})
        if args.policies:
            scenario = scenario.with_overrides(policies=[s.model_dump() for s in scenario.policies
                                                         if s.key in args.policies])
        began = time.perf_counter()
        reference = summaries(scenario, args.replications, reference_simulate)
        middle = time.perf_counter()
        compiled = summaries(scenario, args.replications, simulate)
        ended = time.perf_counter()
        table = compare(reference, compiled).assign(scenario=name)
        tables.append(table)
        print(f"\n{name}: {args.replications} paired replications x {len(scenario.policies)} policies; "
              f"reference {middle - began:.1f} s, compiled {ended - middle:.1f} s")
        with pd.option_context("display.width", 200, "display.max_rows", 500, "display.float_format", "{:.6g}".format):
            print(table.drop(columns="scenario").to_string(index=False))
        differing = int(table["differs_1pct"].sum())
        print(f"{name}: {differing} of {len(table)} (policy, metric) pairs differ at the 1% level")
    if args.csv:
        pd.concat(tables).to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
