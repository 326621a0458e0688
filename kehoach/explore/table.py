"""The explorer's table: the evaluated rows of the current view, rounded to each indicator's precision.

An indicator's precision is the number of decimals its target and reported values are written
with (at most 2): indicator (1) is written in whole millions of đồng, so its projection reads
888.613 triệu đồng, not 888.613,15. Every figure the explorer shows or exports is rounded this
way, so the CSV and the xlsx hold exactly the numbers on screen.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd

from kehoach.analysis.comparison import DIRECTIONS, direction
from kehoach.core.labels import status_cell
from kehoach.core.formatting import decimals_of, fmt_number


#: Numeric columns of the table: evaluated column → heading.
NUMBERS = {"target": "Kế hoạch năm", "value": "Thực hiện", "projection": "Ước cả năm",
           "achievement_pct": "Tỷ lệ hoàn thành (%)"}
#: Every column of the table and of the exports, in order.
COLUMNS = {"indicator": "TT", "label": "Chỉ tiêu", "unit": "Đơn vị tính", "direction_text": "Chiều mục tiêu", **NUMBERS,
           "kind_text": "Loại số liệu", "status_text": "Đánh giá", "group_name": "Nhóm", "unit_name": "Đơn vị chủ trì"}


def precisions(plan_indicators: pd.DataFrame, progress: pd.DataFrame) -> dict[int, int]:
    """Per indicator number, the decimals of its target and reported values."""
    out = {int(n): decimals_of(t) for n, t in zip(plan_indicators["number"], plan_indicators["target"])}
    for number, value in zip(progress["indicator"], progress["value"]):
        if pd.notna(value):
            n = int(number)
            out[n] = max(out.get(n, 0), decimals_of(float(value)))
    return out


def rounded(value: float, decimals: int) -> float:
    """``value`` rounded half up to ``decimals`` (NaN stays NaN)."""
    if value is None or not math.isfinite(value):
        return float("nan")
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_HALF_UP"))


def fmt(value: float, decimals: int) -> str:
    """A rounded figure as officials write it (869.532; 38,2), or an empty string when missing."""
    return fmt_number(value, decimals) if value is not None and math.isfinite(value) else ""


def frame(rows: pd.DataFrame, precision: dict[int, int]) -> pd.DataFrame:
    """The view as numbers rounded as shown, with the table's columns (evaluated names)."""
    out = pd.DataFrame({"indicator": rows["indicator"].astype(int), "label": rows["label"], "unit": rows["unit"]})
    out["direction_text"] = direction(rows["comparison"], rows["kind"]).map(DIRECTIONS).to_numpy()
    places = rows["indicator"].map(lambda n: precision.get(int(n), 0))
    for column in ("target", "value", "projection"):
        out[column] = [rounded(v, d) for v, d in zip(rows[column].astype(float), places)]
    out["achievement_pct"] = [rounded(v, 1) for v in rows["achievement_pct"].astype(float)]
    out["kind_text"] = [("" if pd.isna(v) else "Ước thực hiện" if (pd.notna(e) and bool(e)) else "Thực hiện")
                        for v, e in zip(rows["value"], rows["is_estimate"])]
    out["status"] = rows["status"].to_numpy()
    out["status_text"] = [status_cell(s) for s in rows["status"]]
    out["group_name"] = rows["group_name"].values
    out["unit_name"] = rows["unit_name"].values
    out["decimals"] = places.values
    return out.reset_index(drop=True)


#: The columns shown on screen (compact on a 1366×768 laptop; a card per indicator on a phone); exports have them all.
SCREEN = {"indicator": "TT", "label": "Chỉ tiêu", "unit": "ĐVT", "direction_text": "Chiều", "target": "Kế hoạch năm",
          "value": "Thực hiện", "projection": "Ước cả năm", "achievement_pct": "% kế hoạch", "status_text": "Đánh giá"}


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text for the screen: Vietnamese number formats, headings in Vietnamese."""
    out = table[list(SCREEN)].copy()
    for column in ("target", "value", "projection"):
        out[column] = [fmt(v, d) for v, d in zip(table[column], table["decimals"])]
    out["achievement_pct"] = [fmt(v, 1) for v in table["achievement_pct"]]
    return out.rename(columns=SCREEN)


def display_rows(table: pd.DataFrame) -> dict:
    """What the table template needs: headings, and per row its status and cells (text, heading, numeric or not)."""
    shown = display(table)
    numeric = {SCREEN[c] for c in NUMBERS}
    headings = [{"text": h, "num": h in numeric} for h in shown.columns]
    rows = [{"status": status, "cells": [{"text": "—" if v == "" else v, "heading": h, "num": h in numeric}
                                         for h, v in zip(shown.columns, values)]}
            for status, values in zip(table["status"], shown.itertuples(index=False))]
    return {"headings": headings, "rows": rows}
