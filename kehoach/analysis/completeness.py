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


#: The statuses for which a unit is asked for the causes of a lag and the solutions.
LAGGING_STATUSES = ("behind", "at_risk", "regressing", "missed")


def lagging_indicators(evaluated: pd.DataFrame) -> set[int]:
    """The indicators whose latest assessed quarter (the last one with a value) lags.

    ``evaluated`` is :func:`kehoach.analysis.evaluation.evaluate` over the quarters of the year
    so far; an indicator not assessed in the latest quarter keeps its earlier assessment.
    """
    assessed = evaluated[evaluated["value"].notna()]
    if assessed.empty:
        return set()
    ordered = assessed.assign(_p=assessed["period"].map(Period.parse)).sort_values(["indicator", "_p"])
    last = ordered.drop_duplicates("indicator", keep="last")
    return {int(n) for n in last.loc[last["status"].isin(LAGGING_STATUSES), "indicator"]}


def text_completeness(plan: Plan, texts: pd.DataFrame, period: str | Period, lagging: set[int]) -> pd.DataFrame:
    """One row per reporting unit: how many of its texts for ``period`` were sent, and which expected ones are missing.

    ``texts`` is :func:`kehoach.data.store.latest_texts`. Expected of each unit: every unit-level item
    (``missing_items``: their labels), the cause and solution of each lagging indicator it owns
    (``missing_indicators``: numbers lacking either), and the result of each section II task it leads
    (``missing_tasks``: ids).
    """
    from kehoach.data.texts import ITEMS, item_label

    p = Period.parse(period)
    mine = texts[(texts["ward"] == plan.ward) & (texts["period"] == str(p))]
    sent = {(r.unit_code, r.item, None if pd.isna(r.indicator) else int(r.indicator), None if pd.isna(r.task) else r.task)
            for r in mine.itertuples()}
    rows = []
    for unit in plan.reporting_units:
        owned = [int(n) for n in plan.indicators.loc[plan.indicators["unit_code"] == unit.code, "number"]]
        items = [item_label(item, p.quarter) for item, spec in ITEMS.items()
                 if spec.level == "unit" and (unit.code, item, None, None) not in sent]
        numbers = [n for n in owned if n in lagging and not all(
            (unit.code, item, n, None) in sent for item in ("nguyen-nhan-chi-tieu", "giai-phap-chi-tieu"))]
        tasks = [t.id for t in plan.tasks if t.unit_code == unit.code and (unit.code, "ket-qua-nhiem-vu", None, t.id) not in sent]
        rows.append({"unit_code": unit.code, "unit_name": unit.name, "sent": sum(1 for key in sent if key[0] == unit.code),
                     "missing_items": items, "missing_indicators": numbers, "missing_tasks": tasks,
                     "complete": not (items or numbers or tasks)})
    return pd.DataFrame(rows, columns=["unit_code", "unit_name", "sent", "missing_items", "missing_indicators",
                                       "missing_tasks", "complete"])
