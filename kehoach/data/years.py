"""Carrying indicators across plan years: the previous year's figures, joined on ``code``.

A ward's 2027 plan renumbers, adds and drops indicators. Its reports still compare each
figure with the same period of 2026 and take the baseline (end of 2026) from the 2026
records. The 2026 records are stored under the 2026 plan's numbers; this module labels every
record with its indicator's ``code`` (through the plan of the record's own year) so that the
comparison joins on the code, never on a number. Nothing stored is rewritten.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from kehoach.core.errors import PlanError
from kehoach.core.period import Period
from kehoach.data.plan import Plan, find_plan
from kehoach.data.store import ProgressStore, _empty_frame, latest_values

log = logging.getLogger(__name__)


def previous_plan(plan: Plan, folder: Path | None = None) -> Plan | None:
    """The same ward's plan of the year before, from ``data/plan/`` (or ``folder``); None if there is none."""
    try:
        return find_plan(plan.ward, plan.year - 1, folder)
    except PlanError as exc:
        log.info("no previous-year plan for %s %s: %s", plan.ward, plan.year, exc)
        return None


def indicators_across_years(plan: Plan, previous: Plan | None) -> pd.DataFrame:
    """``plan.indicators`` with ``previous_number`` (the number last year, or NA) and ``is_new``.

    ``is_new`` is True for an indicator whose code the previous year's plan does not have; with
    no previous plan nothing is called new (the workbench has no earlier plan to compare with).
    """
    frame = plan.indicators.copy()
    if previous is None:
        frame["previous_number"] = pd.array([pd.NA] * len(frame), dtype="Int64")
        frame["is_new"] = False
        return frame
    numbers = {i.code: i.number for i in previous.indicator_list}
    frame["previous_number"] = pd.array([numbers.get(c, pd.NA) for c in frame["code"]], dtype="Int64")
    frame["is_new"] = frame["previous_number"].isna().to_numpy()
    return frame


def with_codes(values: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Label ``values`` (rows of ``plan``'s ward and year) with each indicator's ``code``."""
    codes = plan.indicators[["ward", "year", "number", "code"]].rename(columns={"number": "indicator"})
    rows = values.astype({"indicator": "int64", "year": "int64"}) if len(values) else values
    out = rows.drop(columns=[c for c in ("code",) if c in rows.columns]).merge(codes, on=["ward", "year", "indicator"], how="left")
    out["code"] = out["code"].astype("string")
    return out


def _earlier(plan: Plan, previous: Plan, records: pd.DataFrame) -> pd.DataFrame:
    values = latest_values(records)
    values = with_codes(values[values["period"].str.startswith(f"{previous.year}-")], previous)
    return values[values["code"].isin(set(plan.indicators["code"]))].reset_index(drop=True)


def values_across_years(plan: Plan, records: pd.DataFrame, previous: Plan | None = None,
                        previous_records: pd.DataFrame | None = None) -> pd.DataFrame:
    """The latest values in ``records`` (this plan's) and ``previous_records`` (last year's), labelled with ``code``.

    The pure form of :func:`progress_across_years`, for callers that already hold the records
    (the report context, which keeps only revisions submitted up to its cut-off).
    """
    current = with_codes(latest_values(records), plan)
    if previous is None or previous_records is None or previous_records.empty:
        return prefer_own_year(current)
    earlier = _earlier(plan, previous, previous_records)
    both = pd.concat([current, earlier], ignore_index=True) if len(earlier) else current
    return prefer_own_year(both)


def progress_across_years(plan: Plan, store: ProgressStore | None = None, folder: Path | None = None) -> pd.DataFrame:
    """This plan's latest values plus the previous year's, every row labelled with ``code``.

    Pass the result to :func:`kehoach.analysis.evaluation.evaluate` (with
    :func:`indicators_across_years`) and to :func:`kehoach.data.forms.write_template`: the
    same-period and baseline comparisons then come from the previous year's records by code.
    Where both years' stores hold a figure for the same code and period, the record of the
    period's own year wins (it is what the unit reported that year).
    """
    store = store or ProgressStore()
    previous = previous_plan(plan, folder)
    earlier = store.read(previous.ward, previous.year) if previous is not None else None
    return values_across_years(plan, store.read(plan.ward, plan.year), previous, earlier)


def prefer_own_year(values: pd.DataFrame) -> pd.DataFrame:
    """One row per ward, code and period: the one stored under the period's own plan year, if any."""
    if values.empty:
        return values
    own = values["period"].str.slice(0, 4).astype("int64") == values["year"].astype("int64")
    ordered = values.assign(_own=own.to_numpy()).sort_values(["_own"], kind="stable")
    keep = ~ordered.duplicated(["ward", "code", "period"], keep="last")
    return ordered[keep].drop(columns="_own").sort_index().reset_index(drop=True)


def same_period_last_year(plan: Plan, period: str | Period, values: pd.DataFrame) -> pd.DataFrame:
    """Each indicator of ``plan`` with its value in the same period a year earlier, joined on ``code``."""
    p = Period.parse(period)
    earlier = values[values["period"] == str(p.same_period_last_year)][["ward", "code", "value"]]
    return plan.indicators[["ward", "number", "code", "label"]].merge(earlier, on=["ward", "code"], how="left")


def _empty() -> pd.DataFrame:
    frame = _empty_frame().drop(columns=["task", "status", "record"])
    frame["code"] = pd.Series(dtype="string")
    return frame
