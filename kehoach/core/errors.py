"""The package's exceptions. Everything raised on purpose derives from :class:`KehoachError`."""

from __future__ import annotations

from dataclasses import dataclass


class KehoachError(Exception):
    """Base class. The message says what went wrong and what to do about it.

    ``exit_code`` is what the command line returns: 1 for a failure, 2 for a usage mistake.
    """

    exit_code = 1

    def _render_traceback_(self) -> list[str]:
        """What IPython shows in a notebook (JupyterLab, papermill): the Vietnamese message, not a traceback."""
        return [f"Lỗi: {self}"]


class UsageError(KehoachError):
    """The command was called wrongly (an unknown unit, a bad option value)."""

    exit_code = 2


class PlanError(KehoachError):
    """The plan file is missing, malformed or inconsistent."""


class PlanChoiceError(PlanError):
    """The command did not say which plan (several fit, none fits) or would overwrite a file: a usage mistake."""

    exit_code = 2


class PeriodError(KehoachError):
    """A period string such as ``2026-Q3`` is malformed or out of range."""

    exit_code = 2


class FormatError(KehoachError):
    """A value cannot be read as a number in Vietnamese or plain notation."""


class StoreError(KehoachError):
    """The progress store is locked, damaged or cannot be written."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a submitted file, located by file, sheet, row and column."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet “{self.sheet}”")
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột {self.column}")
        return f"{', '.join(where)}: {self.message}"


class SubmissionError(KehoachError):
    """A submitted form or CSV was rejected. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"Tệp bị từ chối, không có số liệu nào được ghi ({len(self.problems)} lỗi):\n{lines}\n"
            "Sửa các lỗi trên trong tệp rồi nhập lại."
        )


class OutlierError(SubmissionError):
    """Values far from the last reported ones (a unit typed the wrong unit?); nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        KehoachError.__init__(
            self,
            f"Tệp chưa được nhập: {len(self.problems)} giá trị chênh lệch bất thường so với số báo cáo gần nhất "
            f"hoặc kế hoạch (gấp khoảng 100 lần trở lên, hoặc chỉ khoảng 1/100 trở xuống):\n{lines}\n"
            "Kiểm tra lại đơn vị tính với đơn vị báo cáo; nếu số liệu đúng, nhập lại với tùy chọn --accept-outliers.",
        )


class RunError(KehoachError):
    """The quarterly run could not start or some notebooks failed."""


class MailError(KehoachError):
    """A message could not be built or sent."""
