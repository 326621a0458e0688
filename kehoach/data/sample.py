"""The illustrative dataset ("Số liệu minh họa"): deterministic quarterly figures for 2025 and 2026-Q1..Q3.

Figures are plausible for a ward of about 122,000 people but are NOT official. They are
written into the reporting forms a unit would send and stored through the real import
path (:func:`kehoach.data.submission.import_file`), so the store holds exactly what an office
would have after a year of reporting. The mix is chosen to exercise every part of the
workbench: indicators ahead of and behind target, one below its 2025 level (15), a unit
that missed the 2026-Q3 deadline (BQLDA), a value revised after submission and an
estimate later replaced by an actual figure ((1) in 2026-Q2, its words revised with it), an
indicator left empty ((19) in 2026-Q3), annual indicators reported only for 2025-Q4, task
statuses, and the units' words for 2026 (:mod:`kehoach.data.sample_texts`): most units write
them, BQLDA sends figures but no words, QSCA sends nothing at all for 2026-Q3.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path

from kehoach.data.forms import ACTUAL, ESTIMATE, ILLUSTRATIVE, fill_form, fill_texts, write_template
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan
from kehoach.data.sample_texts import SILENT, UNIT_TEXTS, formatted, unit_texts
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file

log = logging.getLogger(__name__)

#: The date the dataset describes: imports are checked as if on this day.
AS_OF = dt.date(2026, 11, 29)
#: The plan whose numbering VALUES, TASKS and REVISIONS follow.
SAMPLE_PLAN = ("phan-dinh-phung", 2026)
E = "e"  # marks an estimate ("ước thực hiện")

# Quarterly values: 2025-Q1..Q4, then 2026-Q1..Q3. None where the indicator is not reported.
# A tuple (value, E) is an estimate.
VALUES: dict[int, list] = {
    1: [180300, 395800, 596400, 812650, 201500, (452000, E), (652149, E)],
    2: [21.5, 45.2, 70.1, 98.6, 22.0, 46.5, 71.8],
    3: [8.2, 25.4, 48.9, 91.3, 6.5, 19.8, 38.2],
    4: [(10.2, E), (10.4, E), (10.5, E), 10.6, (10.8, E), (10.9, E), (10.95, E)],
    5: [None, (108.5, E), None, 110.2, None, (118.6, E), None],
    6: [None, None, None, 0.31, None, None, None],
    7: [None, 2.9, None, 2.8, None, 2.7, None],
    8: [97.5, 98.2, 98.8, 99.1, 99.3, 99.6, 100],
    9: [92.0, 94.0, 95.5, 96.8, 97.5, 98.4, 99.0],
    10: [98.1, 98.5, 98.9, 99.2, 99.4, 99.7, 100],
    11: [82.0, 85.0, 88.0, 90.5, 91.8, 93.0, 94.2],
    12: [None, 88.5, None, 89.6, None, 90.8, None],
    13: [None, 86.0, None, 88.5, None, 91.2, None],
    14: [None, 45.0, None, 58.0, None, 66.0, None],
    15: [94.1, 94.6, 95.0, 95.2, 94.9, 94.7, 94.6],
    16: [None, None, None, 100, None, None, None],
    17: [100, 100, 100, 100, 100, 100, 100],
    18: [1020, 2080, 3150, 4210, 1060, 2190, 3280],
    19: [45.0, 46.5, 47.8, 49.0, 49.5, 50.2, None],
    20: [38.0, 40.0, 41.5, 43.0, 44.0, 45.5, 47.0],
    21: [55.0, 57.0, 58.5, 60.0, 61.5, 63.2, 65.3],
    22: [20.5, 41.2, 62.0, 80.1, 22.4, 44.0, 64.5],
    23: [None, 99.6, None, 99.8, None, 99.9, None],
    24: [None, None, None, 98.5, None, None, None],
    25: [None, None, None, 97.8, None, None, None],
    26: [None, None, None, 96.0, None, None, None],
    27: [None, None, None, 95.5, None, None, None],
    28: [None, None, None, 88.0, None, None, None],
    29: [88.0, 88.6, 89.2, 89.5, 90.0, 90.6, 91.2],
    30: [93.5, 94.0, 94.4, 94.8, 95.1, 95.4, 95.8],
    31: [None, 38.0, None, 41.0, None, 44.0, None],
    32: [None, 28.0, None, 30.0, None, 32.0, None],
    33: [22.0, 24.0, 26.0, 28.0, 30.0, 32.5, 35.0],
    34: [None, 1.12, None, 1.13, None, 1.14, None],
    35: [25.0, 50.0, 76.0, 100, 28.0, 55.0, 81.0],
    36: [40.0, 70.0, 90.0, 100, 42.0, 72.0, 95.0],
}
PERIODS = [Period(2025, q) for q in range(1, 5)] + [Period(2026, q) for q in range(1, 4)]

# Section II task statuses for 2026-Q1..Q3.
N, P, D = "Chưa triển khai", "Đang thực hiện", "Hoàn thành"
TASKS: dict[str, list[str]] = {
    "II.1.1": [P, P, P], "II.1.2": [N, P, P], "II.1.3": [N, N, P], "II.1.4": [P, P, P], "II.1.5": [P, P, P],
    "II.1.6": [N, P, P], "II.2.1": [P, P, P], "II.2.2": [P, P, D], "II.2.3": [P, P, P], "II.2.4": [P, P, P],
    "II.3.1": [P, D, D], "II.3.2": [P, P, P], "II.3.3": [P, P, P], "II.3.4": [P, P, P], "II.3.5": [P, P, P],
    "II.4.1": [P, D, D], "II.4.2": [P, P, P],
}

#: When each unit's form arrived; 2025 figures were entered as comparison data in March 2026.
SUBMITTED: dict[str, dt.date] = {
    "2025": dt.date(2026, 3, 20), "2026-Q1": dt.date(2026, 4, 3), "2026-Q2": dt.date(2026, 7, 3),
    "2026-Q3": dt.date(2026, 10, 2),
}
LATE = ("BQLDA", "2026-Q3", dt.date(2026, 10, 14))
# (unit, period, date, {indicator: (value, type, note)}, [items rewritten with these figures]) sent after the first form.
REVISIONS = [
    ("KTHT", "2026-Q2", dt.date(2026, 7, 25), {1: (455310, ACTUAL, "Số quyết toán 6 tháng, thay số ước thực hiện")},
     ["ket-qua-noi-bat"]),
]


def _cell(entry) -> tuple[float, str] | None:
    if entry is None:
        return None
    if isinstance(entry, tuple):
        return entry[0], ESTIMATE
    return entry, ACTUAL


def _submitted_on(unit: str, period: Period) -> dt.date:
    if (unit, str(period)) == LATE[:2]:
        return LATE[2]
    return SUBMITTED[str(period.year)] if period.year == 2025 else SUBMITTED[str(period)]


def _unit_form(plan: Plan, unit: str, period: Period, folder: Path, store: ProgressStore) -> Path | None:
    if (unit, str(period)) == SILENT:
        return None
    index = PERIODS.index(period)
    values = {}
    for number in plan.indicators.loc[plan.indicators["unit_code"] == unit, "number"]:
        cell = _cell(VALUES[int(number)][index])
        if cell:
            values[int(number)] = (cell[0], cell[1], ILLUSTRATIVE)
    tasks = {}
    if period.year == 2026:
        tasks = {t.id: (TASKS[t.id][period.quarter - 1], None) for t in plan.tasks if t.unit_code == unit}
    if not values and not tasks:
        return None
    from kehoach.data.store import load_progress

    path = write_template(plan, unit, period, folder / f"{period}_{unit}.xlsx",
                          progress=load_progress(plan.ward, plan.year, store.root), illustrative=True)
    fill_form(path, values, tasks, submitted_on=_submitted_on(unit, period), preparer="Cán bộ tổng hợp (minh họa)")
    if period.year == 2026:
        owned = plan.indicators[plan.indicators["unit_code"] == unit]
        statuses = {task: status for task, (status, _) in tasks.items()}
        fill_texts(path, unit_texts(unit, period, _value_of(index), dict(zip(owned["number"], owned["code"])), statuses))
    return path


def _value_of(index: int, overrides: dict[int, float] | None = None):
    """The figure of (n) a unit quotes in its words for the period at ``index``: this period's, else its latest."""
    def value(number: int) -> str:
        if overrides and number in overrides:
            return formatted(overrides[number])
        earlier = [_cell(v) for v in VALUES[number][:index + 1] if v is not None]
        return formatted(earlier[-1][0] if earlier else None)
    return value


def build_sample(plan: Plan, store: ProgressStore | None = None, force: bool = False) -> list[str]:
    """Build the illustrative records for ``plan``; with ``force``, replace the illustrative records already there.

    Every record it stores is marked ``illustrative``. ``force`` removes only such records:
    real imports in the same store are never touched, and always win over illustrative
    figures for the same indicator and period (:func:`kehoach.data.store.latest`).
    """
    if (plan.ward, plan.year) != SAMPLE_PLAN:
        from kehoach.core.errors import StoreError

        raise StoreError(f"Bộ số liệu minh họa chỉ có cho kế hoạch năm {SAMPLE_PLAN[1]} của phường Phan Đình Phùng, "
                         f"không có cho {plan.title_place} năm {plan.year}; chọn kế hoạch đó bằng --ward {SAMPLE_PLAN[0]} "
                         f"--year {SAMPLE_PLAN[1]}, hoặc nhập số liệu thật bằng `kehoach import`.")
    store = store or ProgressStore()
    messages = []
    if not store.read(plan.ward, plan.year).empty:
        if not force:
            return [f"{store.folder(plan.ward, plan.year)} đã có số liệu; dùng --force để tạo lại số liệu minh họa "
                    "(chỉ xóa các bản ghi minh họa, không xóa số liệu thật)."]
        removed = store.remove_illustrative(plan.ward, plan.year)
        kept = len(store.read(plan.ward, plan.year))
        messages.append(f"Đã xóa {removed} bản ghi minh họa; giữ nguyên {kept} bản ghi số liệu thật.")
    with tempfile.TemporaryDirectory() as tmp:
        for period in PERIODS:
            for unit in plan.reporting_units:
                form = _unit_form(plan, unit.code, period, Path(tmp), store)
                if form:
                    now = dt.datetime.combine(_submitted_on(unit.code, period), dt.time(9, 0), VN_TZ)
                    messages.append(import_file(form, plan, store, today=AS_OF, now=now, accept_outliers=True).summary())
        for unit, period, day, values, rewritten in REVISIONS:
            form = write_template(plan, unit, period, Path(tmp) / f"{period}_{unit}_bo-sung.xlsx", illustrative=True)
            fill_form(form, values, submitted_on=day, preparer="Cán bộ tổng hợp (minh họa)")
            p = Period.parse(period)
            value = _value_of(PERIODS.index(p), {n: v for n, (v, _, _) in values.items()})
            fill_texts(form, {(item, None): UNIT_TEXTS[unit][item](value, p) for item in rewritten})
            now = dt.datetime.combine(day, dt.time(9, 0), VN_TZ)
            messages.append(import_file(form, plan, store, today=AS_OF, now=now, accept_outliers=True).summary())
    return messages
