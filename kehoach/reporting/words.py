"""The units' own words in a report: printed as written, or a bracketed placeholder naming what is missing and whose.

A report is mostly what the units write (:mod:`kehoach.data.texts`): the report context carries
the period's latest texts (``ctx.texts``, the TEXTS frame), and :class:`Words` looks them up by
unit, item and indicator or task. A found text becomes a run of style ``words``; a missing one a
run of style ``placeholder`` such as "[Phòng Kinh tế, Hạ tầng và Đô thị phường chưa gửi nguyên nhân
chưa đạt của chỉ tiêu (4)]", highlighted in the HTML (``<mark>``) and in the Word draft. Nothing is
ever written in a unit's place.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kehoach.data.plan import Plan
from kehoach.data.texts import item_label
from kehoach.reporting.blocks import PLACEHOLDER, WORDS

#: What a placeholder says is missing, per item ({n}: the indicator's number, {task}: the task's id).
MISSING = {
    "ket-qua-noi-bat": "kết quả nổi bật",
    "ton-tai-han-che": "tồn tại, hạn chế",
    "nguyen-nhan": "nguyên nhân",
    "de-xuat-kien-nghi": "đề xuất, kiến nghị",
    "nguyen-nhan-chi-tieu": "nguyên nhân của chỉ tiêu ({n})",
    "giai-phap-chi-tieu": "giải pháp cho chỉ tiêu ({n})",
    "ket-qua-nhiem-vu": "kết quả thực hiện nhiệm vụ {task}",
}

Run = list[str]


@dataclass(frozen=True)
class Words:
    """The units' texts of one period, looked up by unit, item and indicator or task."""

    plan: Plan
    texts: pd.DataFrame
    quarter: int

    def get(self, unit: str, item: str, indicator: int | None = None, task: str | None = None) -> str | None:
        """The unit's latest text for the item, or None when it sent none."""
        rows = self.texts[(self.texts["unit_code"] == unit) & (self.texts["item"] == item)]
        if indicator is not None:
            rows = rows[rows["indicator"] == indicator]
        if task is not None:
            rows = rows[rows["task"] == task]
        texts = [t.strip() for t in rows["text"] if isinstance(t, str) and t.strip()]
        return texts[-1] if texts else None

    def run(self, unit: str, item: str, indicator: int | None = None, task: str | None = None) -> Run:
        """The text as a ``words`` run, or a ``placeholder`` run saying what is missing from whom."""
        text = self.get(unit, item, indicator, task)
        return [WORDS, text] if text is not None else [PLACEHOLDER, self.placeholder(unit, item, indicator, task)]

    def placeholder(self, unit: str, item: str, indicator: int | None = None, task: str | None = None) -> str:
        what = MISSING.get(item) or item_label(item, self.quarter).lower()
        return f"[{self.plan.unit(unit).name} chưa gửi {what.format(n=indicator, task=task)}]"

    def missing(self, unit: str, *items: str) -> bool:
        """True when the unit sent none of ``items`` (unit-level items)."""
        return all(self.get(unit, item) is None for item in items)
