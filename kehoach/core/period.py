"""Reporting periods: calendar quarters written ``2026-Q3``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kehoach.core.errors import PeriodError

#: Vietnam's time zone (UTC+7, no daylight saving), used for submission dates and deadlines.
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")

#: The years a period may name; others are typing mistakes (0000, 9999) and would overflow dates.
MIN_YEAR, MAX_YEAR = 1900, 2100
_PATTERN = re.compile(r"^\s*(\d{4})-Q([1-4])\s*$", re.IGNORECASE)
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_CUMULATIVE = {1: "quý I năm {y}", 2: "6 tháng đầu năm {y}", 3: "9 tháng năm {y}", 4: "năm {y}"}


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter."""

    year: int
    quarter: int

    @classmethod
    def parse(cls, text: "str | Period") -> "Period":
        if isinstance(text, Period):
            return text
        match = _PATTERN.match(str(text))
        if not match:
            raise PeriodError(f"Kỳ báo cáo “{text}” không hợp lệ; viết theo dạng 2026-Q3 (năm-quý).")
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(f"Kỳ báo cáo “{text}” có năm {year} ngoài khoảng {MIN_YEAR}–{MAX_YEAR}; "
                              "kiểm tra lại năm (ví dụ 2026-Q3).")
        return cls(year, int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> dt.date:
        if self.quarter == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.quarter + 1, 1) - dt.timedelta(days=1)

    def shift(self, quarters: int) -> "Period":
        index = self.year * 4 + (self.quarter - 1) + quarters
        return Period(index // 4, index % 4 + 1)

    @property
    def same_period_last_year(self) -> "Period":
        return Period(self.year - 1, self.quarter)

    @property
    def previous_year_end(self) -> "Period":
        return Period(self.year - 1, 4)

    def label(self) -> str:
        """The year-to-date name reports use: "9 tháng năm 2026"."""
        return _CUMULATIVE[self.quarter].format(y=self.year)

    def title_label(self) -> str:
        """The period in a report's title, the year left for the end: "9 tháng", "6 tháng đầu năm", "quý I"."""
        return {1: "quý I", 2: "6 tháng đầu năm", 3: "9 tháng", 4: f"năm {self.year}"}[self.quarter]

    def next_label(self) -> str:
        """What the next part of a report plans for: "quý IV năm 2026", or "năm 2027" after Q4."""
        return f"năm {self.year + 1}" if self.quarter == 4 else f"quý {_ROMAN[self.quarter + 1]} năm {self.year}"

    def quarter_label(self) -> str:
        """The quarter alone: "quý III/2026"."""
        return f"quý {_ROMAN[self.quarter]}/{self.year}"

    def quarter_name(self) -> str:
        """The quarter alone within its year: "quý IV"."""
        return f"quý {_ROMAN[self.quarter]}"

    def short_label(self) -> str:
        """A compact axis label: "Q3/2026"."""
        return f"Q{self.quarter}/{self.year}"


def period_label(period: "str | Period") -> str:
    """2026-Q1 → "quý I năm 2026", 2026-Q2 → "6 tháng đầu năm 2026", … 2026-Q4 → "năm 2026"."""
    return Period.parse(period).label()


def quarter_label(period: "str | Period") -> str:
    """2026-Q3 → "quý III/2026"."""
    return Period.parse(period).quarter_label()


def latest_ended(today: dt.date | None = None) -> Period:
    """The last quarter that has ended on or before ``today``."""
    today = today or dt.date.today()
    current = Period(today.year, (today.month - 1) // 3 + 1)
    return current if today == current.end else current.shift(-1)
