"""Comparing two periods, the severity order of statuses and the direction of a target: pure functions of frames.

Two periods of the same plan year are compared by their status: an indicator *got worse* when its
status is more severe in the later period (:data:`SEVERITY`), whatever its figures did (a
year-to-date figure always grows). A period of the previous year is compared by the figures,
in the target's direction (:func:`direction`): there is no evaluation of last year's plan to
compare with. Last year's figures are found by the indicator's ``code``, so a renumbered
indicator is still compared with itself (:mod:`kehoach.data.years`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kehoach.core.labels import STATUS_LABELS, SYMBOLS
from kehoach.core.period import Period

#: Statuses from the most to the least in need of attention (the explorer's default order).
SEVERITY = ["missed", "regressing", "at_risk", "behind", "no_data", "on_track", "achieved", "not_due"]
RANK = {s: i for i, s in enumerate(SEVERITY)}

#: The target's direction: more is better, or less is better.
DIRECTIONS = {"up": "↑ Tăng là tốt", "down": "↓ Giảm là tốt"}

#: What happened between the two periods, most worrying first.
VERDICTS = {"worse": "↓ Xấu đi", "better": "↑ Tốt lên", "same": "= Không đổi", "unknown": "? Chưa đủ số liệu"}
VERDICT_ORDER = list(VERDICTS)


def direction(comparison: pd.Series, kind: pd.Series) -> pd.Series:
    """``down`` for a ceiling ("dưới …") or a reduction, else ``up``."""
    down = (comparison == "<") | (kind == "reduction")
    return pd.Series(np.where(down, "down", "up"), index=comparison.index)


def severity_order(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` sorted by severity (most severe first), then by indicator number."""
    return (rows.assign(_rank=rows["status"].map(RANK)).sort_values(["_rank", "indicator"], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def compare(evaluated: pd.DataFrame, values: pd.DataFrame, before: str, after: str) -> pd.DataFrame:
    """One row per indicator of ``evaluated`` at ``after``, compared with ``before``.

    ``evaluated`` holds the plan year's evaluated rows (every period up to ``after``); ``values``
    the latest figures of both years labelled with ``code`` (:func:`kehoach.data.years.values_across_years`).
    Columns: the indicator's, ``direction``, ``value_before``, ``value_after``, ``change``,
    ``status_before`` (NA across years), ``status_after``, ``verdict`` and its ``verdict_text``,
    ordered most worrying first.
    """
    later = evaluated[evaluated["period"] == after].copy()
    same_year = Period.parse(before).year == Period.parse(after).year
    earlier_values = values[values["period"] == before].drop_duplicates("code", keep="last").set_index("code")["value"]
    later["direction"] = direction(later["comparison"], later["kind"]).to_numpy()
    later["value_before"] = later["code"].map(earlier_values).astype("float64")
    later["value_after"] = later["value"].astype("float64")
    later["change"] = later["value_after"] - later["value_before"]
    later["status_after"] = later["status"]
    if same_year:
        statuses = evaluated[evaluated["period"] == before].set_index("indicator")["status"]
        later["status_before"] = later["indicator"].map(statuses)
        later["verdict"] = _by_status(later["status_before"], later["status_after"])
    else:
        later["status_before"] = pd.NA
        later["verdict"] = _by_value(later["change"], later["direction"])
    later["verdict_text"] = later["verdict"].map(VERDICTS)
    order = later["verdict"].map({v: i for i, v in enumerate(VERDICT_ORDER)})
    later = later.assign(_order=order, _rank=later["status_after"].map(RANK))
    return later.sort_values(["_order", "_rank", "indicator"], kind="stable").drop(columns=["_order", "_rank"]).reset_index(drop=True)


def _by_status(before: pd.Series, after: pd.Series) -> pd.Series:
    usable = before.notna() & ~before.isin(["no_data", "not_due"]) & ~after.isin(["no_data", "not_due"])
    b, a = before.map(RANK), after.map(RANK)
    verdict = np.select([~usable, a < b, a > b], ["unknown", "worse", "better"], default="same")
    return pd.Series(verdict, index=before.index)


def _by_value(change: pd.Series, way: pd.Series) -> pd.Series:
    signed = np.where(way == "down", -change, change)
    verdict = np.select([change.isna(), signed < 0, signed > 0], ["unknown", "worse", "better"], default="same")
    return pd.Series(verdict, index=change.index)


def status_text(status: object) -> str:
    """"✓ Đã đạt", or "—" when there is no status (a period of last year)."""
    return "—" if not isinstance(status, str) else f"{SYMBOLS[status]} {STATUS_LABELS[status]}"
