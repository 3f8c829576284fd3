"""The report's "who absorbed what" section: where each departing rep's accounts went, per policy.

It reads `absorption.parquet` (written by the experiment; see docs/results.md) and shows, for every policy with a
vacancy, one table: the rep who left and when, who took the accounts (or that they were orphaned or kept by the
seat's manager), the receiver's home city, the accounts, potential and workload taken on, and the receiver's
workload afterwards as a share of a rep's capacity. Numbers are formatted by the metric catalogue; names are the
user's text and are escaped.
"""

from __future__ import annotations

import html
import math

import pandas as pd

from simulator.catalogue import format_level, format_share, format_value

COVERS = {"orphaned": "orphaned (nobody)", "manager": "its manager (accounts stay with the seat)"}


def absorption_cells(row, days_per_quarter: int, first: bool) -> dict[str, str]:
    """One row of the table as text, by column (the terminal and the report show the same cells).

    `row`: a row of absorption.parquet (a named tuple); `first`: the first row of its departed rep (who and when
    are shown once). Names are the user's text, not escaped here.
    """
    quarter, offset = divmod(int(round(row.day)), days_per_quarter)
    after = row.workload_after_share
    return {
        "Rep who left": str(row.departed_rep_name) if first else "",
        "When": f"Q{quarter + 1} day {offset + 1}" if first else "",
        "Runs": f"{row.replications_with} of {row.replications}",
        "Absorbed by": str(row.rep_name) if row.cover == "rep" else COVERS.get(row.cover, str(row.cover)),
        "Home": str(row.home_city) if isinstance(row.home_city, str) else "",
        "Accounts": format_level("accounts_changed_vacancy_cover", row.accounts),
        "Potential": format_value("money", row.potential),
        "Workload": format_value("hours", row.workload_hours),
        "After": format_share(after) if after is not None and math.isfinite(after) else "",
    }
HEADERS = ("Rep who left", "When", "Runs", "Absorbed by", "Home", "Accounts", "Potential",
           "Workload taken on (hours per quarter)", "Workload after (share of capacity)")


def absorption_section(table: pd.DataFrame | None, manifest: dict) -> str:
    """HTML for the section: a table per policy with a vacancy, or a sentence when no rep left."""
    if table is None or table.empty:
        return "<p>No rep left in this run (no vacancy): nobody absorbed accounts.</p>"
    days = int(manifest["resolved_scenario"]["calendar"]["days_per_quarter"])
    vacancy = manifest.get("vacancy_policies") or {}
    parts = ["<p>Where the accounts of each rep who left went while the seat stood vacant. Amounts are means over "
             "the replications in which it happened (Runs); a realign cover also moves accounts between other reps "
             "(events.parquet lists every move).</p>"]
    first_point = table[table["sweep_point"] == table["sweep_point"].min()]
    for policy in [p for p in manifest["policies"] if p in set(first_point["policy"])]:
        rows = first_point[first_point["policy"] == policy]
        body, previous = [], None
        for row in rows.itertuples(index=False):
            cells = absorption_cells(row, days, row.departed_rep_id != previous)
            previous = row.departed_rep_id
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells.values()) + "</tr>")
        head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
        caption = f"{policy} (vacancy policy {vacancy.get(policy, 'n/a')})"
        parts.append(f"<table class='absorption'><caption>{html.escape(caption)}</caption><tr>{head}</tr>"
                     f"{''.join(body)}</table>")
    return "".join(parts)
