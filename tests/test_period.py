from __future__ import annotations

import datetime as dt

import pytest

from kehoach.core.errors import PeriodError
from kehoach.core.period import Period, latest_ended, period_label, quarter_label


@pytest.mark.parametrize(
    "text, label",
    [("2026-Q1", "quý I năm 2026"), ("2026-Q2", "6 tháng đầu năm 2026"), ("2026-Q3", "9 tháng năm 2026"), ("2026-Q4", "năm 2026")],
)
def test_period_labels(text, label):
    assert period_label(text) == label


def test_quarter_label_and_arithmetic():
    assert quarter_label("2026-Q3") == "quý III/2026"
    p = Period.parse("2026-Q1")
    assert str(p.shift(-1)) == "2025-Q4" and str(p.same_period_last_year) == "2025-Q1"
    assert p.end == dt.date(2026, 3, 31) and Period(2026, 4).end == dt.date(2026, 12, 31)


@pytest.mark.parametrize("bad", ["2026Q3", "2026-Q5", "Q3-2026", ""])
def test_bad_period(bad):
    with pytest.raises(PeriodError, match="2026-Q3"):
        Period.parse(bad)


@pytest.mark.parametrize(
    "today, expected",
    [(dt.date(2026, 11, 29), "2026-Q3"), (dt.date(2026, 9, 30), "2026-Q3"), (dt.date(2026, 1, 5), "2025-Q4"), (dt.date(2026, 10, 1), "2026-Q3")],
)
def test_latest_ended(today, expected):
    assert str(latest_ended(today)) == expected
