"""The units' own words: the items a unit writes each period, besides its figures.

A unit reports, in the "Nội dung báo cáo" sheet of its form or in a CSV (``unit, period, item, code,
text``), one text per item. Each is stored as a revision (``record == "text"`` in the progress store,
with ``item`` and ``text``) and read back by :func:`kehoach.data.store.latest_texts`.

Three levels:

- ``unit``: the unit's general words for the period (one text per unit and item);
- ``indicator``: about one indicator the unit owns (``code`` in the CSV is the indicator's ``code``
  in the plan, stored by its number in ``indicator``);
- ``task``: about one section II task the unit leads (``code`` is the task's id, stored in ``task``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["unit", "indicator", "task"]


@dataclass(frozen=True)
class TextItem:
    """One kind of text a unit writes: its level and its label on the form and in the report."""

    level: Level
    label: str


#: Every item a unit may send, by its code (the ``item`` column of the CSV and of the store).
ITEMS: dict[str, TextItem] = {
    "ket-qua-noi-bat": TextItem("unit", "Kết quả nổi bật"),
    "ton-tai-han-che": TextItem("unit", "Tồn tại, hạn chế"),
    "nguyen-nhan": TextItem("unit", "Nguyên nhân"),
    "nhiem-vu-giai-phap": TextItem("unit", "Nhiệm vụ, giải pháp quý tới"),
    "de-xuat-kien-nghi": TextItem("unit", "Đề xuất, kiến nghị"),
    "nguyen-nhan-chi-tieu": TextItem("indicator", "Nguyên nhân"),
    "giai-phap-chi-tieu": TextItem("indicator", "Giải pháp"),
    "ket-qua-nhiem-vu": TextItem("task", "Kết quả thực hiện"),
}


def item_label(item: str, quarter: int) -> str:
    """The label of ``item`` for a period of ``quarter``: at Q4 the next period is the next year."""
    label = ITEMS[item].label
    return label.replace("quý tới", "năm tới") if quarter == 4 else label
