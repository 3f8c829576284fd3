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

from simulator.catalogue import format_level, format_share

COVERS = {"orphaned": "orphaned (nobody)", "manager": "its manager (accounts stay with the seat)"}
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
            first = row.departed_rep_id != previous
            previous = row.departed_rep_id
            quarter, offset = divmod(int(round(row.day)), days)
            after = row.workload_after_share
            cells = [
                str(row.departed_rep_name) if first else "",
                f"Q{quarter + 1} day {offset + 1}" if first else "",
                f"{row.replications_with} of {row.replications}",
                str(row.rep_name) if row.cover == "rep" else COVERS.get(row.cover, str(row.cover)),
                str(row.home_city) if isinstance(row.home_city, str) else "",
                format_level("accounts_changed_vacancy_cover", row.accounts),
                format_level("revenue", row.potential),
                format_level("workload_mean_hours", row.workload_hours),
                format_share(after) if after is not None and math.isfinite(after) else "",
            ]
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
        caption = f"{policy} (vacancy policy {vacancy.get(policy, 'n/a')})"
        parts.append(f"<table class='absorption'><caption>{html.escape(caption)}</caption><tr>{head}</tr>"
                     f"{''.join(body)}</table>")
    return "".join(parts)
