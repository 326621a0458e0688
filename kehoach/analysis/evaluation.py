"""Evaluation: achievement, year-end projection, progress ratio, status and same-period comparison.

The method is documented in docs/methodology.md. Every function here is a pure, vectorized
function of DataFrames: no loop over indicators or rows, and correct for many wards and
periods at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kehoach.core.period import Period
from kehoach.data.plan import Plan, due_mask
import pandera.pandas as pa

from kehoach.data.schemas import PERIOD, PROGRESS, check, unique
from kehoach.data.years import prefer_own_year
from kehoach.core.labels import ATTENTION, STATUS_LABELS, STATUSES  # noqa: F401  (part of this module's API)

#: Relative tolerance when comparing with a target, so 95.9999999 from a projection meets 96.
TOLERANCE = 1e-9

#: The evaluated frame: one row per ward, plan year, indicator and period (docs/methodology.md).
EVALUATED = pa.DataFrameSchema({
    "ward": pa.Column(nullable=False), "year": pa.Column("int64"), "indicator": pa.Column("int64"),
    "period": pa.Column(checks=PERIOD), "quarter": pa.Column("int64", pa.Check.isin([1, 2, 3, 4])),
    "value": pa.Column("float64", nullable=True), "projection": pa.Column("float64", nullable=True),
    "projection_capped": pa.Column("bool"), "due": pa.Column("bool"),
    "status": pa.Column(checks=pa.Check.isin(STATUSES)),
}, name="bảng đánh giá", strict=False, checks=unique("ward", "year", "indicator", "period"))

_VALUE_COLUMNS = ["value", "is_estimate", "revision", "submitted_at", "note"]


def evaluate(plan: Plan | pd.DataFrame, progress: pd.DataFrame, period: str | Period | list,
             behind_threshold: float = 0.8) -> pd.DataFrame:
    """One row per ward, indicator and period, with the columns listed in docs/methodology.md.

    ``plan`` is a :class:`Plan` or an indicators frame (``Plan.indicators``, possibly of many
    wards); ``progress`` is :func:`kehoach.data.store.load_progress` output (latest revisions);
    ``period`` is one period or a list of them.

    The same-period and baseline comparisons join on the indicator's ``code``, so a plan that
    renumbered its indicators still finds last year's figures: pass
    :func:`kehoach.data.years.progress_across_years` as ``progress`` (and
    :func:`kehoach.data.years.indicators_across_years` as ``plan`` to mark new indicators).
    """
    indicators = plan.indicators if isinstance(plan, Plan) else plan
    progress = check(PROGRESS, progress, "Số liệu đưa vào đánh giá")
    if "is_new" not in indicators.columns:
        indicators = indicators.assign(is_new=False)
    if "code" not in indicators.columns:  # a hand-made frame: its numbers stand for codes
        indicators = indicators.assign(code=indicators["number"].astype(str))
    progress = _coded(progress, indicators)
    frame = _base(indicators, period)
    frame = _attach_values(frame, progress)
    frame = _project(frame)
    frame = _status(frame, behind_threshold)
    frame = _compare(frame)
    return check(EVALUATED, frame[_OUTPUT].reset_index(drop=True), "Bảng đánh giá")


_OUTPUT = [
    "ward", "year", "indicator", "code", "is_new", "period", "quarter", "group", "group_name", "name", "label", "unit", "unit_code",
    "unit_name", "kind", "frequency", "comparison", "target", "target_text", "target_noun", "due", "value", "is_estimate",
    "revision", "submitted_at", "note", "illustrative", "baseline", "same_period_last_year", "last_year_total", "season_share",
    "current", "projection", "projection_capped", "ratio", "achievement_pct", "gap", "yoy_pct", "yoy_pp", "status", "status_label",
]


def _base(indicators: pd.DataFrame, period: str | Period | list) -> pd.DataFrame:
    periods = [Period.parse(p) for p in (period if isinstance(period, list) else [period])]
    grid = pd.DataFrame({
        "period": [str(p) for p in periods], "period_year": [p.year for p in periods],
        "quarter": [p.quarter for p in periods],
        "baseline_period": [str(p.previous_year_end) for p in periods],
        "last_year_period": [str(p.same_period_last_year) for p in periods],
    })
    frame = indicators.rename(columns={"number": "indicator"}).merge(grid, how="cross")
    frame["due"] = due_mask(frame, frame["quarter"])
    return frame


def _coded(progress: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """``progress`` with each row's indicator ``code``; rows that already carry one (another year's) keep it."""
    codes = indicators[["ward", "year", "number", "code"]].rename(columns={"number": "indicator", "code": "_code"})
    right = progress.astype({"indicator": "int64", "year": "int64"})
    out = right.merge(codes, on=["ward", "year", "indicator"], how="left")
    out["code"] = out["code"].fillna(out["_code"]) if "code" in out.columns else out["_code"]
    return out.drop(columns="_code")


def _lookup(frame: pd.DataFrame, progress: pd.DataFrame, period_column: str, columns: dict[str, str]) -> pd.DataFrame:
    """This plan's own figures by year and number; earlier periods' by ``code`` (across plan years)."""
    if period_column == "period":
        keys = ["ward", "year", "indicator"]
        right = progress[keys + ["period"] + list(columns)]
    else:
        keys = ["ward", "code"]
        right = prefer_own_year(progress.dropna(subset=["code"]))[keys + ["period"] + list(columns)]
    right = right.rename(columns={"period": period_column, **columns})
    return frame.merge(right, on=keys + [period_column], how="left", validate="many_to_one")


def _attach_values(frame: pd.DataFrame, progress: pd.DataFrame) -> pd.DataFrame:
    if "illustrative" not in progress.columns:  # a frame built by hand: its figures are not the sample's
        progress = progress.assign(illustrative=False)
    frame = _lookup(frame, progress, "period", {c: c for c in _VALUE_COLUMNS + ["illustrative"]})
    frame["illustrative"] = frame["illustrative"].astype("boolean").fillna(False).astype(bool)
    frame = _lookup(frame, progress, "baseline_period", {"value": "baseline_value"})
    frame = _lookup(frame, progress, "last_year_period", {"value": "same_period_last_year"})
    frame["value"] = frame["value"].astype("float64")
    frame["is_estimate"] = frame["is_estimate"].astype("boolean")
    frame["last_year_total"] = frame["baseline_value"].astype("float64")
    frame["same_period_last_year"] = frame["same_period_last_year"].astype("float64")
    frame["baseline"] = np.where(frame["kind"] == "cumulative", 0.0, frame["last_year_total"])
    return frame


def _project(frame: pd.DataFrame) -> pd.DataFrame:
    v, b, q = frame["value"], frame["baseline"], frame["quarter"].astype("float64")
    kind = frame["kind"]
    share = frame["same_period_last_year"] / frame["last_year_total"].where(frame["last_year_total"] != 0)
    share = share.where((share > 0) & (share <= 1), q / 4)
    frame["season_share"] = np.where(kind == "cumulative", share, np.nan)
    reduction_now = b - v
    frame["current"] = np.where(kind == "reduction", reduction_now, v)
    level = np.where(b.notna(), b + (v - b) * 4 / q, v)
    projected = np.select(
        [kind == "cumulative", kind == "level", kind == "reduction"],
        [v / share, level, reduction_now * 4 / q],
        default=v,
    )
    projection = pd.Series(np.where(frame["quarter"] == 4, frame["current"], projected), index=frame.index)
    frame["projection"], frame["projection_capped"] = _cap(projection, frame)
    return frame


def _cap(projection: pd.Series, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Keep a projection within the indicator's value range: a share is never projected above 100%.

    For a ``reduction`` indicator the projection is a reduction, so the level it implies
    (baseline − reduction) is what must stay in range.
    """
    share = frame["unit"] == "%"  # the plan's default range (Indicator.bounds): a share 0-100, else not negative
    low = pd.to_numeric(frame["value_min"], errors="coerce") if "value_min" in frame else pd.Series(0.0, frame.index)
    high = (pd.to_numeric(frame["value_max"], errors="coerce") if "value_max" in frame
            else pd.Series(np.where(share, 100.0, np.nan), frame.index))
    reduction = frame["kind"] == "reduction"
    level = projection.where(~reduction, frame["baseline"] - projection)
    capped_level = level.clip(lower=low, upper=high)
    capped = (capped_level != level) & level.notna()
    out = capped_level.where(~reduction, frame["baseline"] - capped_level)
    return out.astype("float64"), capped.astype("bool")


def _meets(x: pd.Series, target: pd.Series, comparison: pd.Series) -> pd.Series:
    eps = TOLERANCE * np.maximum(1.0, target.abs())
    out = np.select(
        [comparison == ">=", comparison == ">", comparison == "<"],
        [x >= target - eps, x > target + eps, x < target - eps],
        default=False,
    )
    return pd.Series(out, index=x.index).astype(bool) & x.notna()


def _ratio(frame: pd.DataFrame) -> pd.Series:
    y, b, t, cmp = frame["projection"], frame["baseline"], frame["target"], frame["comparison"]
    up_den, down_den = t - b, b - t
    ratio = np.select(
        [frame["kind"] == "reduction", cmp == "<"],
        [y / t.where(t > 0), (b - y) / down_den.where(down_den > 0)],
        default=(y - b) / up_den.where(up_den > 0),
    )
    return pd.Series(ratio, index=frame.index, dtype="float64")


def _worse_than_baseline(frame: pd.DataFrame) -> pd.Series:
    v, b = frame["value"], frame["baseline"]
    worse = np.where((frame["comparison"] == "<") | (frame["kind"] == "reduction"), v > b, v < b)
    return pd.Series(worse, index=frame.index) & b.notna() & v.notna()


def _status(frame: pd.DataFrame, behind_threshold: float) -> pd.DataFrame:
    frame["ratio"] = _ratio(frame)
    meets_now = _meets(frame["current"], frame["target"], frame["comparison"])
    meets_end = _meets(frame["projection"], frame["target"], frame["comparison"])
    r = frame["ratio"]
    # A cap on a running total ("dưới 18 vụ" in the year) is met only once the year is over, and broken for good
    # as soon as the total reaches it: the total can only grow. Its baseline (0) says nothing of a regression.
    cap = (frame["kind"] == "cumulative") & (frame["comparison"] == "<")
    final = frame["quarter"] == 4
    regressing = ~cap & ((r < 0) | (r.isna() & _worse_than_baseline(frame)))
    frame["status"] = np.select(
        [~frame["due"], frame["value"].isna(), meets_now & (~cap | final), final | (cap & ~meets_now), meets_end,
         regressing, r >= behind_threshold],
        ["not_due", "no_data", "achieved", "missed", "on_track", "regressing", "behind"],
        default="at_risk",
    )
    frame["status_label"] = frame["status"].map(STATUS_LABELS)
    for col in ("status", "status_label"):
        frame[col] = frame[col].astype("string")
    return frame


def _compare(frame: pd.DataFrame) -> pd.DataFrame:
    upward = frame["comparison"] != "<"
    frame["achievement_pct"] = np.where(upward, 100 * frame["current"] / frame["target"].where(frame["target"] != 0), np.nan)
    frame["gap"] = np.where(upward, np.nan, frame["value"] - frame["target"])
    ly = frame["same_period_last_year"]
    percent = frame["unit"] == "%"
    frame["yoy_pp"] = np.where(percent, frame["value"] - ly, np.nan)
    frame["yoy_pct"] = np.where(percent, np.nan, 100 * (frame["value"] / ly.where(ly != 0) - 1))
    return frame


# -- roll-ups ---------------------------------------------------------------------------
def status_counts(evaluated: pd.DataFrame, by: str | list[str] | None = None) -> pd.DataFrame:
    """Indicators per status (columns in the order of :data:`STATUSES`), by a column or overall."""
    keys = [by] if isinstance(by, str) else list(by or [])
    counts = (evaluated.assign(_one=1)
              .pivot_table(index=keys or None, columns="status", values="_one", aggfunc="sum", fill_value=0,
                           observed=True) if keys else
              evaluated["status"].value_counts().to_frame().T.reset_index(drop=True))
    counts = counts.reindex(columns=STATUSES, fill_value=0).astype("int64")
    counts.columns.name = None
    counts["total"] = counts[STATUSES].sum(axis=1)
    return counts.reset_index() if keys else counts


def by_group(evaluated: pd.DataFrame) -> pd.DataFrame:
    """Status counts per indicator group, in the plan's group order."""
    counts = status_counts(evaluated, ["group", "group_name"])
    order = pd.unique(evaluated["group"])
    return counts.set_index("group").loc[order].reset_index()


def by_unit(evaluated: pd.DataFrame) -> pd.DataFrame:
    """Status counts per responsible unit."""
    return status_counts(evaluated, ["unit_code", "unit_name"])


def overall(evaluated: pd.DataFrame) -> pd.DataFrame:
    return status_counts(evaluated)


def scorecard(evaluated: pd.DataFrame, completeness: pd.DataFrame) -> pd.DataFrame:
    """Per reporting unit: counts by status, plus due/submitted/timeliness from the completeness table."""
    counts = by_unit(evaluated)
    columns = ["unit_code", "unit_name", "due", "submitted", "missing", "timeliness", "timeliness_label",
               "first_submitted_at"]
    card = completeness[columns].merge(counts.drop(columns="unit_name"), on="unit_code", how="left")
    card[STATUSES + ["total"]] = card[STATUSES + ["total"]].fillna(0).astype("int64")
    return card


def needing_attention(evaluated: pd.DataFrame) -> pd.DataFrame:
    """Indicators whose status calls for action, worst first, with their responsible unit."""
    rank = {s: i for i, s in enumerate(["missed", "regressing", "at_risk", "behind", "no_data"])}
    rows = evaluated[evaluated["status"].isin(ATTENTION)]
    return rows.assign(_rank=rows["status"].map(rank)).sort_values(["_rank", "indicator"]).drop(columns="_rank")


def required_pace(evaluated: pd.DataFrame) -> pd.DataFrame:
    """The value needed at the end of each remaining quarter to reach the target by Q4.

    A straight line from the current value to the year-end requirement: the target (for
    ``reduction`` indicators, the level ``b - T``). Adds ``needed_end`` and ``required_q1`` …
    ``required_q4`` (empty for quarters already past) and ``required_next``.
    """
    out = evaluated.copy()
    needed = np.where(out["kind"] == "reduction", out["baseline"] - out["target"], out["target"])
    out["needed_end"] = needed
    q = out["quarter"].astype("float64")
    remaining = (4 - q).where(q < 4)
    for k in range(1, 5):
        path = out["value"] + (out["needed_end"] - out["value"]) * (k - q) / remaining
        out[f"required_q{k}"] = path.where(k > q)
    out["required_next"] = np.select([q == k for k in (1, 2, 3)], [out[f"required_q{k + 1}"] for k in (1, 2, 3)], np.nan)
    return out


def task_status(plan_tasks: pd.DataFrame, tasks: pd.DataFrame, period: str | Period) -> pd.DataFrame:
    """Each task of the plan with its latest status for ``period`` (empty when not reported)."""
    p = str(Period.parse(period))
    reported = tasks[tasks["period"] == p][["ward", "task", "status", "status_label", "note", "submitted_at"]]
    merged = plan_tasks.merge(reported.rename(columns={"task": "id"}), on=["ward", "id"], how="left")
    merged["status"] = merged["status"].fillna("not_reported").astype("string")
    merged["status_label"] = merged["status_label"].fillna("Chưa báo cáo").astype("string")
    return merged


def with_latest_assessment(year_evaluated: pd.DataFrame, period: str | Period) -> pd.DataFrame:
    """``period``'s rows, each with its latest earlier assessment of the year (for indicators not due now).

    Adds ``last_period``, ``last_value``, ``last_status`` and ``last_is_estimate``: the most recent
    quarter of the year before ``period`` in which the indicator was due and had a figure, so a
    semi-annual indicator at Q3 still shows "6 tháng đầu năm: 66% (có nguy cơ không đạt)".
    """
    p = str(Period.parse(period))
    current = year_evaluated[year_evaluated["period"] == p].reset_index(drop=True)
    earlier = year_evaluated[(year_evaluated["period"] < p) & year_evaluated["due"] & year_evaluated["value"].notna()]
    last = (earlier.sort_values("period").drop_duplicates(["ward", "year", "indicator"], keep="last")
            [["ward", "year", "indicator", "period", "value", "status", "is_estimate"]]
            .rename(columns={"period": "last_period", "value": "last_value", "status": "last_status",
                             "is_estimate": "last_is_estimate"}))
    return current.merge(last, on=["ward", "year", "indicator"], how="left", validate="one_to_one")


def with_last_year_next(paced: pd.DataFrame, progress: pd.DataFrame) -> pd.DataFrame:
    """Add what happened in the next quarter of last year: ``last_year_next_value`` and ``last_year_next_gain``.

    ``progress`` holds the latest values of both years with their ``code`` (as the report context
    keeps them); the gain is last year's next-quarter value minus its value a quarter earlier,
    so "quý IV cần tăng thêm 61,8 điểm phần trăm" can be set against "quý IV/2025 tăng 42,4".
    """
    out = paced.copy()
    if out.empty:
        return out.assign(last_year_next_value=pd.Series(dtype="float64"), last_year_next_gain=pd.Series(dtype="float64"))
    periods = [Period.parse(p) for p in out["period"]]
    out["_ly_now"] = [str(p.same_period_last_year) for p in periods]
    out["_ly_next"] = [str(p.shift(1).same_period_last_year) for p in periods]
    key = "code" if "code" in out.columns and "code" in progress.columns else "indicator"
    values = progress.drop_duplicates([key, "period"])[[key, "period", "value"]]
    for col, name in (("_ly_next", "last_year_next_value"), ("_ly_now", "_ly_now_value")):
        right = values.rename(columns={"period": col, "value": name})
        out = out.merge(right, on=[key, col], how="left", validate="many_to_one")
    out["last_year_next_gain"] = out["last_year_next_value"] - out["_ly_now_value"]
    return out.drop(columns=["_ly_now", "_ly_next", "_ly_now_value"])
