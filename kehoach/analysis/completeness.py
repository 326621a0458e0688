"""Reporting completeness and timeliness: who submitted for a period, on time or late, and what is missing."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan, due_mask

TIMELINESS_LABELS = {"on_time": "Đúng hạn", "late": "Trễ hạn", "not_submitted": "Chưa gửi"}


def completeness(plan: Plan, records: pd.DataFrame, period: str | Period, deadline: dt.date) -> pd.DataFrame:
    """One row per reporting unit: due and submitted counts, missing indicators, timeliness.

    ``records`` is every stored revision (``ProgressStore.read``); a unit's submission time
    for the period is its first one. A submission counts as on time up to the end of ``deadline``.
    """
    p = Period.parse(period)
    ind = plan.indicators
    due = ind[due_mask(ind, p.quarter)]
    mine = records[(records["ward"] == plan.ward) & (records["period"] == str(p))]
    reported = set(mine.loc[mine["record"] == "indicator", "indicator"].dropna().astype("int64"))
    cutoff = pd.Timestamp(dt.datetime.combine(deadline, dt.time.max, VN_TZ))
    rows = []
    for unit in plan.reporting_units:
        unit_due = due.loc[due["unit_code"] == unit.code, "number"].tolist()
        sent = mine[mine["unit_code"] == unit.code]
        first = sent["submitted_at"].min() if len(sent) else pd.NaT
        missing = [n for n in unit_due if n not in reported]
        timeliness = "not_submitted" if pd.isna(first) else ("on_time" if first <= cutoff else "late")
        rows.append({
            "ward": plan.ward, "period": str(p), "unit_code": unit.code, "unit_name": unit.name,
            "due": len(unit_due), "submitted": len(unit_due) - len(missing), "missing": missing,
            "first_submitted_at": first, "deadline": deadline, "timeliness": timeliness,
            "timeliness_label": TIMELINESS_LABELS[timeliness], "complete": not missing and timeliness != "not_submitted",
        })
    frame = pd.DataFrame(rows)
    frame["first_submitted_at"] = pd.to_datetime(frame["first_submitted_at"], utc=True)
    return frame
