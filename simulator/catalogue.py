"""The metric catalogue: what every summary metric is called, measured in and which way is better.

One entry per metric the summary table holds: its label for people, its unit, its direction (higher is better,
lower is better, or neither), a one-line definition and the practical threshold below which a difference is not
worth reporting. The terminal, the report and the Parquet schema metadata all read this module, and only this
module turns a metric's number into text (`format_level`, `format_difference`): no scientific notation, thousands
separators, `$` with `k`/`M` suffixes on money, percentage points for differences of shares.

Units (values are stored in these; shares as fractions, 0.041 = 4.1%):
    money: US dollars.      share: a fraction of a whole (shown in %, its differences in percentage points).
    ratio: a dimensionless number (a coefficient of variation, a Gini index).
    days, hours, years, count: what they say.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

HIGHER, LOWER, NEITHER = "higher", "lower", "neither"
UNITS = ("money", "share", "ratio", "days", "hours", "years", "count")


@dataclass(frozen=True)
class Metric:
    """A summary metric: label, unit, direction, definition and practical threshold.

    `threshold` is in the metric's own unit (0.001 of a share is 0.1 percentage point) unless `relative`: then it
    is a fraction of the baseline's mean (0.005 of revenue is 0.5%).
    """

    key: str
    label: str
    unit: str
    direction: str
    definition: str
    threshold: float
    relative: bool = False
    group: str = "money"

    def better(self, difference: float) -> bool | None:
        """Whether a (clear) difference of this sign is better; None for a metric without a direction."""
        if self.direction == NEITHER or difference == 0:
            return None
        return (difference > 0) == (self.direction == HIGHER)

    def practical(self, difference: float, baseline_mean: float) -> bool:
        """Whether a difference is at least the practical threshold."""
        if self.relative:
            return abs(difference) >= self.threshold * abs(baseline_mean)
        return abs(difference) >= self.threshold


def _m(key: str, label: str, unit: str, direction: str, definition: str, threshold: float, relative: bool = False,
       group: str = "money") -> Metric:
    return Metric(key, label, unit, direction, definition, threshold, relative, group)


_ENTRIES = [
    # money and selling
    _m("revenue", "Revenue", "money", HIGHER, "Value of deals won over the horizon.", 0.005, True),
    _m("pipeline_created", "Pipeline created", "money", HIGHER,
       "Value of opportunities created in the horizon (not carried over into it).", 0.005, True),
    _m("opportunities_created", "Opportunities created", "count", HIGHER,
       "Opportunities created in the horizon (visits and inbound).", 0.005, True),
    _m("win_rate", "Win rate", "share", HIGHER, "Share of closed opportunities that were won; null when none closed.",
       0.001),
    _m("median_sales_cycle_days", "Median sales cycle", "days", LOWER,
       "Median calendar days from creation to close of closed opportunities; null when none closed.", 0.5),
    _m("month3_revenue_share", "Revenue in a quarter's third month", "share", NEITHER,
       "Share of revenue won in the last month of its quarter (end-of-quarter loading); null when no revenue.",
       0.001),
    _m("pulled_in_revenue_share", "Revenue pulled into the quarter", "share", NEITHER,
       "Share of revenue from deals pulled in at the quarter's end; null when no revenue.", 0.001),
    _m("pull_in_discount_share", "Discount given to pull deals in", "share", LOWER,
       "Discounts on pulled-in deals as a share of their value before discount; null when no revenue.", 0.001),
    _m("revenue_vacant_seat_accounts", "Revenue won on vacant seats' accounts", "money", NEITHER,
       "Revenue of deals closed while their account's seat was vacant or covered.", 0.005, True),
    _m("revenue_vacant_seat_share", "Share of revenue won on vacancies", "share", NEITHER,
       "Revenue won on vacant seats' accounts as a share of revenue.", 0.001),
    # quota
    _m("share_rep_quarters_at_quota", "Share of rep-quarters at quota", "share", HIGHER,
       "Share of staffed rep-quarters whose revenue reached quota; null when no staffed rep-quarter has a quota "
       "above 0.", 0.001, group="quota"),
    _m("median_attainment", "Median quota attainment", "share", HIGHER,
       "Median of revenue / quota over staffed rep-quarters; null when no staffed rep-quarter has a quota above 0.",
       0.001, group="quota"),
    _m("attainment_cv", "Spread of attainment (CV)", "ratio", LOWER,
       "Coefficient of variation of attainment over staffed rep-quarters; null with fewer than two of them, a "
       "mean attainment of 0 or a spread too large to compute.", 0.01, group="quota"),
    _m("attainment_gini", "Inequality of attainment (Gini)", "ratio", LOWER,
       "Gini index of attainment over staffed rep-quarters.", 0.01, group="quota"),
    # coverage
    _m("coverage_gap", "Coverage gap", "share", LOWER,
       "Potential-weighted share of required visits not made, per account-quarter.", 0.001, group="coverage"),
    _m("unvisited_account_share", "Accounts left unvisited", "share", LOWER,
       "Share of accounts due at least once a quarter that got no visit in a quarter (account-quarters).", 0.001,
       group="coverage"),
    _m("orphaned_account_days", "Orphaned account-days", "days", LOWER,
       "Days accounts spent with no rep or cover, summed over accounts.", 0.01, True, group="coverage"),
    _m("orphaned_potential_share", "Potential left orphaned", "share", LOWER,
       "Share of potential-days with no rep or cover.", 0.001, group="coverage"),
    # workforce
    _m("annual_turnover", "Annual turnover", "share", LOWER,
       "Departures per year as a share of mean headcount; null when no seat was ever filled.", 0.001,
       group="workforce"),
    _m("annual_quit_rate", "Annual quit rate", "share", LOWER,
       "Quits per year as a share of mean headcount; null when no seat was ever filled.", 0.001, group="workforce"),
    _m("quits", "Quits", "count", LOWER, "Reps who quit over the horizon.", 0.5, group="workforce"),
    _m("departures", "Departures", "count", LOWER, "Reps who left over the horizon, for any reason.", 0.5,
       group="workforce"),
    _m("hires", "Hires", "count", NEITHER, "Reps hired over the horizon.", 0.5, group="workforce"),
    _m("mean_headcount", "Mean headcount", "count", NEITHER, "Reps in seats, averaged over the horizon's days.",
       0.1, group="workforce"),
    _m("mean_tenure_of_leavers_years", "Tenure of leavers", "years", HIGHER,
       "Mean years in the seat of reps who left (null when nobody left).", 0.05, group="workforce"),
    _m("vacancy_days", "Vacant seat-days", "days", LOWER, "Days seats stood vacant, summed over seats.", 0.01,
       True, group="workforce"),
    _m("accounts_changed_realignment", "Accounts moved by realignments", "count", LOWER,
       "Account moves to a new rep made by realignments in the horizon.", 0.5, group="workforce"),
    _m("accounts_changed_vacancy_cover", "Accounts moved to cover vacancies", "count", LOWER,
       "Account moves to a neighbour covering a vacant seat.", 0.5, group="workforce"),
    _m("accounts_changed_return", "Accounts returned after a hire", "count", NEITHER,
       "Account moves back to a seat when it is filled again.", 0.5, group="workforce"),
    _m("accounts_orphaned", "Accounts left without a rep", "count", LOWER,
       "Account moves to nobody (orphaned) in the horizon.", 0.5, group="workforce"),
    _m("accounts_changed_rep_share", "Accounts that changed rep", "share", LOWER,
       "Share of accounts whose rep changed at least once.", 0.001, group="workforce"),
    # time use
    _m("selling_share", "Selling time", "share", HIGHER, "Share of reps' paid hours spent with customers.", 0.001,
       group="time"),
    _m("travel_share", "Travel time", "share", LOWER, "Share of reps' paid hours spent driving.", 0.001,
       group="time"),
    _m("admin_share", "Admin time", "share", LOWER, "Share of reps' paid hours spent on admin and onboarding.",
       0.001, group="time"),
    _m("remote_share", "Call time", "share", NEITHER, "Share of reps' paid hours spent on calls to accounts.",
       0.001, group="time"),
    _m("idle_share", "Idle time", "share", LOWER, "Share of reps' paid hours with nothing left to do.", 0.001,
       group="time"),
    _m("visits_per_rep_day", "Visits per rep-day", "ratio", HIGHER, "Visits made per rep working day.", 0.01,
       group="time"),
    _m("trip_cost_per_rep_quarter", "Trip cost per rep-quarter", "money", LOWER,
       "Lodging and per diem of overnight trips per staffed rep-quarter.", 0.01, True, group="time"),
    # the plan (static: the same in every replication)
    _m("territories", "Territories", "count", NEITHER, "Territories in the plan.", 0.5, group="plan"),
    _m("workload_mean_hours", "Mean workload", "hours", NEITHER,
       "Mean quarterly workload of a territory (visits x (visit + drive)).", 0.5, group="plan"),
    _m("workload_cv", "Workload imbalance (CV)", "ratio", LOWER,
       "Coefficient of variation of territory workload.", 0.005, group="plan"),
    _m("workload_max_deviation", "Largest workload deviation", "share", LOWER,
       "Largest territory's deviation from mean workload, as a share of it.", 0.001, group="plan"),
    _m("potential_cv", "Potential imbalance (CV)", "ratio", LOWER,
       "Coefficient of variation of territory potential.", 0.005, group="plan"),
    _m("potential_max_deviation", "Largest potential deviation", "share", LOWER,
       "Largest territory's deviation from mean potential, as a share of it.", 0.001, group="plan"),
    _m("accounts_cv", "Account-count imbalance (CV)", "ratio", LOWER,
       "Coefficient of variation of accounts per territory.", 0.005, group="plan"),
    _m("share_within_tolerance", "Territories within tolerance", "share", HIGHER,
       "Share of territories whose workload is within the policy's tolerance of the mean.", 0.001, group="plan"),
    _m("contiguous_share", "Contiguous territories", "share", HIGHER,
       "Share of territories that are one connected piece, with no account exception far from it.", 0.001,
       group="plan"),
    _m("far_exceptions", "Accounts far from their territory", "count", LOWER,
       "Accounts served apart from their unit (named exceptions, pieces of split units) more than a day trip "
       "(1.25 h) from every unit their rep is assigned and from the rep's home.", 0.5, group="plan"),
    _m("territory_components", "Territory pieces", "count", LOWER,
       "Connected pieces of all territories together.", 0.5, group="plan"),
    _m("compactness_hours", "Compactness (hours to centre)", "hours", LOWER,
       "Potential-weighted mean drive from an account to its territory's centre; null when the road graph has no "
       "path to some account.", 0.01, group="plan"),
    _m("disruption_account_share", "Accounts that change rep", "share", LOWER,
       "Share of accounts whose rep differs from the as-is plan.", 0.001, group="plan"),
    _m("disruption_potential_share", "Potential that changes rep", "share", LOWER,
       "Share of potential whose rep differs from the as-is plan.", 0.001, group="plan"),
]
CATALOGUE: dict[str, Metric] = {metric.key: metric for metric in _ENTRIES}
GROUPS = {"money": "Money", "quota": "Quota", "coverage": "Coverage", "workforce": "Workforce",
          "time": "Time use", "plan": "The plan"}


def metric(key: str) -> Metric:
    """The catalogue entry of a metric (KeyError naming it if it has none)."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"metric {key!r} is not in the metric catalogue (simulator/catalogue.py)") from None


def schema_metadata(keys: list[str] | None = None) -> dict[bytes, bytes]:
    """Parquet schema metadata: the catalogue entries (of `keys`, default all) as JSON."""
    entries = {key: asdict(metric(key)) for key in (keys or CATALOGUE)}
    return {b"territory_sim.metrics": json.dumps(entries).encode("utf-8")}


# -- text -------------------------------------------------------------------------------------------------------
def _unsigned_zero(text: str) -> str:
    """No "-0.0" or "+0.0": a value that rounds to zero shows no sign."""
    if text[:1] in "+-" and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def _money(value: float, sign: bool = False) -> str:
    """$1.2M, $15.3k, $445 (with a sign if asked)."""
    prefix = ("+" if value > 0 else "-" if value < 0 else "") if sign else ("-" if value < 0 else "")
    size = abs(value)
    if round(size) >= 1e6 or round(size / 1e3, 1) >= 1e3:  # the unit is chosen after rounding: no "$1,000.0k"
        text = f"{size / 1e6:,.{1 if size >= 1e8 else 2}f}M"
    elif round(size) >= 1e3:
        text = f"{size / 1e3:,.1f}k"
    else:
        text = f"{size:,.0f}"
    if text == "0":
        prefix = ""
    return f"{prefix}${text}"


def _plain(unit: str, value: float, sign: bool) -> str:
    """A value (or difference, with `sign`) of a unit other than money and share."""
    decimals = {"ratio": 3, "hours": 1, "years": 2, "days": 0, "count": 0}[unit]
    if unit in ("days", "count") and abs(value) < 10 and value != round(value):
        decimals = 1  # means over replications of small counts
    text = _unsigned_zero(f"{value:+,.{decimals}f}" if sign else f"{value:,.{decimals}f}")
    suffix = {"hours": " h", "days": " days", "years": " years"}.get(unit, "")
    return text + suffix


def in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter lower case, acronyms kept ("workload imbalance (CV)")."""
    return label[:1].lower() + label[1:]


def format_level(key: str, value: float | None, half_width: float | None = None) -> str:
    """A metric's value for people (with "±half-width" if given); "n/a" when undefined."""
    if value is None or not math.isfinite(value):
        return "n/a"
    unit = metric(key).unit
    if unit == "money":
        text = _money(value)
    elif unit == "share":
        text = format_share(value)
    else:
        text = _plain(unit, value, sign=False)
    if half_width is not None and math.isfinite(half_width) and half_width > 0:
        spread = format_difference(key, half_width).lstrip("+")
        if any(c in "123456789" for c in spread):  # a spread that rounds to nothing is not shown
            text += " ±" + spread
    return text


def format_difference(key: str, difference: float | None) -> str:
    """A difference of a metric in its own unit: +$18.6M, +1.2 pp, -3 days; "n/a" when undefined."""
    if difference is None or not math.isfinite(difference):
        return "n/a"
    unit = metric(key).unit
    if unit == "money":
        return _money(difference, sign=True)
    if unit == "share":
        return _unsigned_zero(f"{difference * 100:+,.1f} pp")
    return _plain(unit, difference, sign=True)


def format_change(key: str, difference: float | None, relative: float | None) -> str:
    """A difference as people read it: "+0.5%" of revenue, "-1.5 pp" of the coverage gap.

    Relative to the baseline for a `relative` metric (when that is defined), in the metric's own unit otherwise.
    """
    if metric(key).relative and relative is not None and math.isfinite(relative):
        return format_relative(relative)
    return format_difference(key, difference)


def format_value(unit: str, value: float | None) -> str:
    """A value of one of UNITS that is not a metric (a data check, a limit): $1.2M, 12.5%, 3.4 h; "n/a" if undefined."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "money":
        return _money(value)
    if unit == "share":
        return format_share(value)
    return _plain(unit, value, sign=False)


def format_share(fraction: float | None) -> str:
    """A share (a tolerance, a budget, a level of a share metric): 12.5%."""
    if fraction is None or not math.isfinite(fraction):
        return "n/a"
    return _unsigned_zero(f"{fraction * 100:,.1f}%")


def format_relative(fraction: float | None) -> str:
    """A relative difference (a fraction of the baseline): +4.1%."""
    if fraction is None or not math.isfinite(fraction):
        return "n/a"
    return _unsigned_zero(f"{fraction * 100:+,.1f}%")
