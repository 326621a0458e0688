from __future__ import annotations

import datetime as dt

import pandas as pd

from kehoach.analysis.completeness import completeness, due_mask
from kehoach.data.forms import ACTUAL
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file
from tests.helpers import NOW, TODAY, make_form


def test_due_rules(plan):
    ind = plan.indicators
    due = {q: set(ind.loc[due_mask(ind, q), "number"]) for q in (1, 2, 3, 4)}
    assert 16 not in due[3] and 16 in due[4]          # annual: only Q4
    assert 7 not in due[1] and 7 in due[2] and 7 not in due[3] and 7 in due[4]  # semi-annual: Q2, Q4
    assert 1 in due[1] and len(due[4]) == 36
    assert len(due[3]) == 20


def test_completeness_on_time_late_missing(plan, tmp_path):
    store = ProgressStore(tmp_path / "store")
    on_time = make_form(plan, tmp_path, "PVHCC", "2026-Q3", {9: (99, ACTUAL, None), 10: (100, ACTUAL, None)},
                        submitted_on=dt.date(2026, 10, 5))
    late = make_form(plan, tmp_path, "BQLDA", "2026-Q3", {3: (38.2, ACTUAL, None)}, submitted_on=dt.date(2026, 10, 6))
    for path, day in ((on_time, 5), (late, 6)):  # the import's clock is the submission time
        import_file(path, plan, store, today=TODAY, now=dt.datetime(2026, 10, day, 9, 0, tzinfo=NOW.tzinfo))
    table = completeness(plan, store.read(), "2026-Q3", dt.date(2026, 10, 5)).set_index("unit_code")
    assert table.loc["PVHCC", ["due", "submitted", "timeliness", "timeliness_label"]].tolist() == [3, 2, "on_time", "Đúng hạn"]
    assert table.loc["PVHCC", "missing"] == [11] and not table.loc["PVHCC", "complete"]
    assert table.loc["BQLDA", ["timeliness", "timeliness_label", "complete"]].tolist() == ["late", "Trễ hạn", True]
    assert table.loc["KTHT", ["submitted", "timeliness_label"]].tolist() == [0, "Chưa gửi"]
    assert table.loc["KTHT", "missing"] == [1, 2, 4, 29, 30, 33]
    assert list(table.index) == ["KTHT", "VHXH", "PVHCC", "BQLDA", "QSCA", "VP"]


def test_empty_store(plan):
    from kehoach.data.store import _empty_frame

    table = completeness(plan, _empty_frame(), "2026-Q1", dt.date(2026, 4, 5))
    assert (table["timeliness"] == "not_submitted").all()
    assert pd.api.types.is_datetime64_any_dtype(table["first_submitted_at"])
