"""Fuzz `import-crm` with hostile CRM exports mutated from a valid one: it must never crash.

Each example mutates a valid Account export (bad bytes, huge fields, formula cells, another delimiter, a missing
column, duplicate ids, blank lines, quoted newlines, truncation, other encodings) and runs `import-crm` through
click's CliRunner. It must exit 0 or 2 without a traceback; on 0 the written tables hold finite numbers where the
world needs them, every row read is imported or rejected, and rejects.csv is safe to open in a spreadsheet.

CI runs FUZZ_EXAMPLES (default 25) examples; run longer locally with, e.g.
`FUZZ_EXAMPLES=500 python -m pytest -q tests/test_crm_hostile.py --hypothesis-show-statistics` (the statistics
count the exit codes and the exit-2 messages).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli import main

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
HEADER = ["Id", "Name", "BillingLatitude", "BillingLongitude", "BillingPostalCode", "BillingState", "AnnualRevenue",
          "OwnerId"]
BASE = [[f"001{i:03d}", f"Account {i} é", f"{41.5 + i / 100:.3f}", f"{-87.9 + i / 100:.3f}",
         "60614" if i % 4 == 0 else "", "IL", f"{1000 * (i + 1)}", f"U{i % 3}"] for i in range(12)]
BASE[5][2] = BASE[5][3] = ""  # placed from its ZIP code
BASE[5][4] = "60601"
USERS = "Id,Name,Latitude,Longitude,PostalCode\nU0,Ann,41.9,-87.6,\nU1,Bob,,,60614\nU2,Cy,41.8,-87.7,\n"
FORMULAS = ["=1+2", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\")"]
NUMERIC = {"accounts.parquet": ["lat", "lon", "potential"], "reps.parquet": ["home_lat", "home_lon", "tenure_days"]}
FORMULA = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
LOST = re.compile(r"^(accounts|users)\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+(-?\d+)$", re.MULTILINE)

cell_text = st.one_of(st.sampled_from(FORMULAS), st.text(max_size=12), st.sampled_from(["", " ", "nan", "inf",
                      "-1e309", "1,5", "1.234,5", "$ 1 000", "0", "-0", "91", "NaN", "\"", "a\nb", "x\r\ny"]))
row_mutation = st.one_of(
    st.tuples(st.just("cell"), st.integers(0, 30), st.integers(0, 9), cell_text),
    st.tuples(st.just("huge"), st.integers(0, 30), st.integers(0, 9), st.sampled_from([140_000, 1_048_577])),
    st.tuples(st.just("duplicate"), st.integers(0, 30), st.integers(0, 30)),
    st.tuples(st.just("blank"), st.integers(0, 30), st.sampled_from(["", " ", ",,,", "\t"])),
    st.tuples(st.just("drop_column"), st.integers(0, 7)),
    st.tuples(st.just("short_row"), st.integers(0, 30), st.integers(0, 8)),
    st.tuples(st.just("newline_cell"), st.integers(0, 30), st.integers(0, 7)),
)
byte_mutation = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.binary(min_size=1, max_size=3)),
    st.tuples(st.just("bad_byte"), st.integers(0, 10_000), st.sampled_from([b"\xe9", b"\xff", b"\x00", b"\x81",
                                                                           b"\xc3", b"\x1a", b"\r", b'"'])),
    st.tuples(st.just("truncate"), st.integers(0, 10_000)),
)


def _apply_row_mutation(rows: list[list[str]], mutation: tuple) -> None:
    kind, *args = mutation
    if kind == "drop_column":
        for row in rows:
            if args[0] < len(row):
                del row[args[0]]
        return
    target = args[0] % len(rows)
    if kind == "cell" and rows[target]:
        rows[target][args[1] % len(rows[target])] = args[2]
    elif kind == "huge" and rows[target]:
        rows[target][args[1] % len(rows[target])] = "z" * args[2]
    elif kind == "duplicate":
        rows.insert(args[1] % len(rows), list(rows[target]))
    elif kind == "blank":
        rows.insert(target, [args[1]])
    elif kind == "short_row":
        rows[target] = rows[target][:args[1]]
    elif kind == "newline_cell" and rows[target]:
        rows[target][args[1] % len(rows[target])] += "\nsecond line\r\nthird"


def _apply_byte_mutation(data: bytes, mutation: tuple) -> bytes:
    kind, position, *payload = mutation
    position %= len(data) + 1
    if kind == "truncate":
        return data[:position]
    return data[:position] + payload[0] + data[position:]


def _injection_safe(path: Path) -> bool:
    with open(path, encoding="utf-8", newline="") as handle:
        return all(not FORMULA.match(cell) or PLAIN_NUMBER.fullmatch(cell) for row in csv.reader(handle)
                   for cell in row)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(row_mutation, max_size=4), raw=st.lists(byte_mutation, max_size=2),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]), with_users=st.booleans())
def test_import_crm_survives_hostile_exports(rows, raw, delimiter, quoting, encoding, with_users):
    table = [list(HEADER)] + [list(row) for row in BASE]
    for mutation in rows:
        _apply_row_mutation(table, mutation)
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, quoting=quoting).writerows(table)
    data = text.getvalue().encode(encoding, errors="replace")
    for mutation in raw:
        data = _apply_byte_mutation(data, mutation)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "acc.csv").write_bytes(data)
        (folder / "users.csv").write_text(USERS, encoding="utf-8")
        args = ["import-crm", "--accounts", str(folder / "acc.csv"), "--out", str(folder / "out")]
        result = CliRunner().invoke(main, args + (["--users", str(folder / "users.csv")] if with_users else []))
        assert result.exit_code in (0, 2), (result.exit_code, result.output[-2_000:], result.exception)
        assert "Traceback" not in result.output
        message = result.output.strip().replace(str(folder), "TMP")
        event(f"exit {result.exit_code}" + (f": {message[:70]}" if result.exit_code == 2 else ""))  # for statistics
        if result.exit_code == 2:
            assert result.output.startswith("error: ") and str(folder) in result.output  # names the file
            assert not (folder / "out" / "accounts.parquet").exists()
            return
        assert [int(lost) for _, lost in LOST.findall(result.output)] in ([0], [0, 0])  # nothing lost
        for name, columns in NUMERIC.items():
            frame = pd.read_parquet(folder / "out" / name)
            for column in columns:
                values = frame[column].to_numpy(dtype=float)
                assert np.isfinite(values).all(), (name, column, frame[column].tolist())
        accounts = pd.read_parquet(folder / "out" / "accounts.parquet")
        assert accounts["account_id"].is_unique and (accounts["potential"] >= 0).all()
        assert accounts["lat"].between(-90, 90).all() and accounts["lon"].between(-180, 180).all()
        assert _injection_safe(folder / "out" / "rejects.csv")
