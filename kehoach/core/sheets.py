"""Spreadsheet output that never turns text into a live formula (CSV/formula injection).

Excel, LibreOffice and Google Sheets evaluate a cell that begins with ``=``, ``+``, ``-`` or
``@`` (and, on import, a tab or carriage return before those). Text from data — a unit's
note, a file name — must stay text in every spreadsheet the workbench writes:

* in ``.xlsx``, :func:`text_cell` stores such text as a string cell with Excel's quote
  prefix (what Excel itself does when one types ``'=...``): shown as written, never evaluated;
* in ``.csv``, :func:`csv_text` prefixes it with an apostrophe, the usual defence
  (OWASP "CSV Injection"), since a CSV has no cell types.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def text_cell(ws, row: int, column: int, value: object):
    """Write ``value`` to a cell; text is always stored as text, never as a formula. Returns the cell."""
    return set_cell(ws.cell(row=row, column=column), value)


def set_cell(cell, value: object):
    """Set an openpyxl ``cell`` to ``value``; formula-like text is stored as text with the quote prefix. Returns the cell."""
    cell.value = value
    if formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def csv_text(value: object) -> object:
    """``value`` made safe for a CSV cell: formula-like text gets a leading apostrophe."""
    return "'" + value if formula_like(value) else value


def write_csv(frame: "pd.DataFrame", path: Path) -> Path:
    """Write ``frame`` as CSV (UTF-8 with BOM, for Excel) with every text cell made safe."""
    import pandas as pd

    safe = frame.copy()
    for col in safe.columns:
        if pd.api.types.is_object_dtype(safe[col]) or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(csv_text)
    safe.columns = [csv_text(str(c)) for c in safe.columns]
    safe.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_xlsx(frame: "pd.DataFrame", path: Path, sheet: str) -> Path:
    """Write ``frame`` to one sheet of a new workbook, headers in row 1; text stays text."""
    import math

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for col, name in enumerate(frame.columns, start=1):
        text_cell(ws, 1, col, str(name))
    for row, values in enumerate(frame.itertuples(index=False), start=2):
        for col, value in enumerate(values, start=1):
            if value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ in ("NAType", "NaTType"):
                continue
            if hasattr(value, "item"):  # numpy scalars
                value = value.item()
            if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
                value = value.replace(tzinfo=None)
            text_cell(ws, row, col, value)
    wb.save(path)
    return path
