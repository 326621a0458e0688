"""The province roll-up: communes compared on the indicators they share, by ``code``.

Input is the *province frame*: every commune's evaluated rows for one period (the ``current``
evaluation of each ward, as :func:`kehoach.analysis.evaluation.evaluate` returns it, with
``code``), and the *commune table* (ward, name, population when its plan gives one).

How a shared indicator is rolled up depends on what its unit measures (:func:`method_of`):

- amounts and counts (triệu đồng, người, hộ …): the province **total** is the sum of the
  reported values, next to the sum of the same communes' targets;
- shares (``%``, ``‰``): the **population-weighted average**, only when every reporting commune's
  plan gives its population; otherwise the **median and range**;
- anything else (a per-person amount, a rate in "lần", a number of years): the median and range,
  since neither a sum nor an unweighted mean means anything there.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from kehoach.core.labels import ATTENTION

log = logging.getLogger(__name__)

SHARE_UNITS = {"%", "‰"}
#: Units that are rates or per-person figures: never summed.
RATIO_WORDS = ("/", "lần", "năm", "tuổi", "điểm")

METHOD_LABELS = {"sum": "Tổng của các xã", "weighted_mean": "Bình quân gia quyền theo dân số",
                 "median": "Trung vị và khoảng giá trị"}
COMMUNE_COLUMNS = ["ward", "ward_name", "population"]


def method_of(unit: str, weighted: bool) -> str:
    """``sum`` for amounts and counts, ``weighted_mean`` for a share with weights, else ``median``."""
    unit = (unit or "").strip()
    if unit in SHARE_UNITS:
        return "weighted_mean" if weighted else "median"
    if not unit or any(word in unit for word in RATIO_WORDS):
        return "median"
    return "sum"


def shared_codes(frame: pd.DataFrame, min_share: float = 0.5) -> list[str]:
    """Codes held by at least two communes and by at least ``min_share`` of them, most widely held first."""
    communes = frame["ward"].nunique()
    held = frame.groupby("code", sort=False)["ward"].nunique()
    keep = held[(held >= 2) & (held >= min_share * communes)]
    first = frame.groupby("code", sort=False)["indicator"].median()
    order = pd.DataFrame({"held": keep, "number": first.reindex(keep.index)})
    return order.sort_values(["held", "number"], ascending=[False, True], kind="stable").index.tolist()


def _common_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of one code in its most frequent unit; a commune measuring it otherwise is left out (logged)."""
    unit = rows["unit"].mode().iloc[0]
    other = rows[rows["unit"] != unit]
    if len(other):
        log.warning("code %s: %d communes use another unit than %s; left out of the roll-up",
                    rows["code"].iloc[0], len(other), unit)
    return rows[rows["unit"] == unit]


def rollup(frame: pd.DataFrame, communes: pd.DataFrame, codes: list[str] | None = None) -> pd.DataFrame:
    """One row per shared indicator: how many communes hold and report it, and the province figure.

    Columns: code, label, unit, comparison, communes, reported, method, method_label, total,
    total_target, weighted_mean, median, min, q1, q3, max.
    """
    codes = shared_codes(frame) if codes is None else codes
    population = communes.set_index("ward")["population"]
    out = []
    for code in codes:
        rows = _common_unit(frame[frame["code"] == code])
        values = rows[rows["value"].notna()]
        weights = population.reindex(values["ward"]).to_numpy(dtype="float64")
        weighted = len(values) > 0 and bool(np.all(np.isfinite(weights) & (weights > 0)))
        method = method_of(rows["unit"].iloc[0], weighted)
        v = values["value"].to_numpy(dtype="float64")
        quart = np.quantile(v, [0, 0.25, 0.5, 0.75, 1]) if len(v) else [np.nan] * 5
        out.append({
            "code": code, "label": rows["label"].mode().iloc[0], "unit": rows["unit"].iloc[0],
            "comparison": rows["comparison"].mode().iloc[0], "communes": int(rows["ward"].nunique()),
            "reported": int(values["ward"].nunique()), "method": method, "method_label": METHOD_LABELS[method],
            "total": float(v.sum()) if method == "sum" and len(v) else np.nan,
            "total_target": float(values["target"].sum()) if method == "sum" and len(v) else np.nan,
            "weighted_mean": float(np.average(v, weights=weights)) if method == "weighted_mean" else np.nan,
            "median": quart[2], "min": quart[0], "q1": quart[1], "q3": quart[3], "max": quart[4],
        })
    return pd.DataFrame(out, columns=["code", "label", "unit", "comparison", "communes", "reported", "method", "method_label",
                                      "total", "total_target", "weighted_mean", "median", "min", "q1", "q3", "max"])


def ranking(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    """The communes on one indicator, best first: by achievement of their own target (``<`` targets: lowest value).

    Communes without a value come last, unranked (``rank`` is NA).
    """
    rows = _common_unit(frame[frame["code"] == code]).copy()
    upward = rows["comparison"] != "<"
    rows["score"] = np.where(upward, rows["achievement_pct"], -rows["value"])
    rows["score"] = rows["score"].where(rows["value"].notna())
    rows = rows.sort_values(["score", "ward"], ascending=[False, True], na_position="last", kind="stable")
    rows["rank"] = rows["score"].rank(ascending=False, method="min").astype("Int64")
    return rows.reset_index(drop=True)


def status_matrix(frame: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Long form commune × indicator: ward, ward_name, code, label, status, value, unit (shared codes only)."""
    rows = frame[frame["code"].isin(codes)]
    labels = rows.groupby("code")["label"].agg(lambda s: s.mode().iloc[0])
    out = rows[["ward", "ward_name", "code", "status", "value", "unit"]].copy()
    out["label"] = out["code"].map(labels)
    out["code_order"] = out["code"].map({c: i for i, c in enumerate(codes)})
    return out.sort_values(["ward_name", "code_order"]).reset_index(drop=True)


def commune_completeness(completeness: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Per commune: reporting units due, on time, late and silent, and the due indicators reported."""
    c = completeness
    grouped = c.assign(on_time=c["timeliness"] == "on_time", late=c["timeliness"] == "late",
                       silent=c["timeliness"] == "not_submitted").groupby("ward")
    table = pd.DataFrame({
        "units": grouped.size(), "on_time": grouped["on_time"].sum(), "late": grouped["late"].sum(),
        "not_submitted": grouped["silent"].sum(), "due": grouped["due"].sum(), "submitted": grouped["submitted"].sum(),
    }).astype("int64")
    table["share"] = np.where(table["due"] > 0, 100 * table["submitted"] / table["due"].where(table["due"] > 0), 100.0)
    table = communes[["ward", "ward_name"]].merge(table.reset_index(), on="ward", how="left")
    return table.fillna({k: 0 for k in ("units", "on_time", "late", "not_submitted", "due", "submitted")})


def needing_direction(frame: pd.DataFrame, completeness: pd.DataFrame, communes: pd.DataFrame,
                      min_attention: int = 3) -> pd.DataFrame:
    """Communes to direct: ``min_attention`` or more indicators needing attention, or a unit that has not reported.

    Worst first. Columns: ward, ward_name, attention, missed, units_silent, late, reasons (codes).
    """
    flagged = frame[frame["status"].isin(ATTENTION)]
    attention = flagged.groupby("ward").size()
    missed = frame[frame["status"].isin(["missed", "at_risk"])].groupby("ward").size()
    worst = flagged.groupby("ward")["label"].agg(lambda s: list(s)[:5])
    table = commune_completeness(completeness, communes)
    table["attention"] = table["ward"].map(attention).fillna(0).astype("int64")
    table["missed"] = table["ward"].map(missed).fillna(0).astype("int64")
    table["worst"] = table["ward"].map(worst).apply(lambda v: v if isinstance(v, list) else [])
    chosen = table[(table["attention"] >= min_attention) | (table["not_submitted"] > 0)]
    chosen = chosen.sort_values(["not_submitted", "missed", "attention", "ward_name"], ascending=[False, False, False, True])
    return chosen[["ward", "ward_name", "attention", "missed", "not_submitted", "late", "worst"]].reset_index(drop=True)
