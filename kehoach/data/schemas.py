"""The frames that cross stage boundaries, declared once with pandera.

- :data:`RECORDS`: every stored revision, as :meth:`kehoach.data.store.ProgressStore.read` returns it;
- :data:`PROGRESS`: the latest revision of each indicator value (one row per ward, year,
  indicator and period), as the evaluation takes it; its columns are coerced to the declared
  types, so a frame an analyst builds by hand is accepted when its values fit.

The evaluated frame is declared next to the evaluation (:data:`kehoach.analysis.evaluation.EVALUATED`).
:func:`check` validates a frame and turns pandera's report into a :class:`KehoachError` in Vietnamese.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from kehoach.core.errors import StoreError

PERIOD = pa.Check.str_matches(r"^\d{4}-Q[1-4]$", error="kỳ phải có dạng NĂM-Qn")
UTC = pd.DatetimeTZDtype("us", "UTC")

def unique(*keys: str) -> pa.Check:
    """A frame-level check: one row per ``keys``."""
    return pa.Check(lambda df: ~df.duplicated(list(keys), keep=False), error=f"trùng khóa ({', '.join(keys)})")


_COMMON = {
    "ward": pa.Column("string", nullable=False),
    "year": pa.Column("Int64", nullable=False),
    "period": pa.Column("string", PERIOD, nullable=False),
    "revision": pa.Column("Int64", pa.Check.ge(1), nullable=False),
    "unit_code": pa.Column("string", nullable=True),
    "submitted_at": pa.Column(UTC, nullable=False),
    "note": pa.Column("string", nullable=True),
}

RECORDS = pa.DataFrameSchema({
    **_COMMON,
    "record": pa.Column("string", pa.Check.isin(["indicator", "task", "text"]), nullable=False),
    "indicator": pa.Column("Int64", nullable=True),
    "task": pa.Column("string", nullable=True),
    "value": pa.Column("float64", nullable=True),
    "is_estimate": pa.Column("boolean", nullable=True),
    "status": pa.Column("string", nullable=True),
    "item": pa.Column("string", nullable=True, required=False),
    "text": pa.Column("string", nullable=True, required=False),
}, name="bản ghi tiến độ", strict=False,
    checks=unique("ward", "year", "record", "indicator", "task", "item", "unit_code", "period", "revision"))

#: The latest words of the units for a period (:func:`kehoach.data.store.latest_texts`): one row per
#: ward, year, unit, item, indicator or task, and period. ``item`` is a key of :data:`kehoach.data.texts.ITEMS`.
TEXTS = pa.DataFrameSchema({
    "ward": pa.Column("string", nullable=False),
    "year": pa.Column("Int64", nullable=False),
    "period": pa.Column("string", PERIOD, nullable=False),
    "unit_code": pa.Column("string", nullable=False),
    "item": pa.Column("string", nullable=False),
    "indicator": pa.Column("Int64", nullable=True),
    "task": pa.Column("string", nullable=True),
    "text": pa.Column("string", pa.Check.str_length(min_value=1), nullable=False),
    "revision": pa.Column("Int64", pa.Check.ge(1), nullable=False),
    "submitted_at": pa.Column(UTC, nullable=False),
}, name="nội dung báo cáo của đơn vị", strict=False, coerce=True,
    checks=unique("ward", "year", "unit_code", "item", "indicator", "task", "period"))

PROGRESS = pa.DataFrameSchema({
    "ward": pa.Column("string", nullable=False),
    "year": pa.Column("Int64", nullable=False),
    "indicator": pa.Column("Int64", nullable=False),
    "period": pa.Column("string", PERIOD, nullable=False),
    "value": pa.Column("float64", nullable=True),
    "is_estimate": pa.Column("boolean", nullable=True),
    # a what-if value (the explorer) has no revision or submission time
    "revision": pa.Column("Int64", pa.Check.ge(0), nullable=True),
    "submitted_at": pa.Column(UTC, nullable=True),
    "unit_code": pa.Column("string", nullable=True, required=False),
    "note": pa.Column("string", nullable=True, required=False),
}, name="số liệu mới nhất", strict=False, coerce=True, checks=unique("ward", "year", "indicator", "period"))


def check(schema: pa.DataFrameSchema, frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Validate ``frame`` against ``schema``; a failure names the frame, the column and the rows."""
    try:
        checked = schema.validate(frame.reset_index(drop=True), lazy=True)
        return checked.set_axis(frame.index) if schema.coerce else frame
    except (SchemaError, SchemaErrors) as exc:
        cases = getattr(exc, "failure_cases", None)
        detail = ""
        if cases is not None and len(cases):
            parts = []
            for chk, group in cases.groupby("check", sort=False):
                columns = sorted({str(c) for c in group["column"] if c not in (None, schema.name)})
                rows = sorted({int(i) for i in group["index"].dropna()})[:5]
                where = f"cột {', '.join(columns)}" if 0 < len(columns) <= 3 else "cả bảng"
                parts.append(f"{where}: {chk}, dòng {', '.join(map(str, rows))}")
            detail = "; ".join(parts[:5])
        raise StoreError(f"{what} không đúng cấu trúc ({schema.name}): {detail or exc}. "
                         "Kiểm tra lại tệp số liệu hoặc báo cho người quản trị.") from None
