"""Exports of the explorer's view, made to open cleanly in Excel set to Vietnamese.

* CSV: UTF-8 with a byte-order mark, ``;`` between fields, ``,`` as the decimal mark, numbers
  rounded as shown and written without thousands separators (Excel would otherwise read
  ``869.532`` back as a decimal in some locales).
* xlsx: the banner when the data are illustrative, the filters used, then the table with a
  number format per row (its decimals) and column widths fitted to the text.

In both, text that a spreadsheet would run as a formula is written as text, through the one
escaping function of :mod:`kehoach.core.sheets`: in the CSV it is prefixed with an apostrophe, in
the xlsx it is stored as a string cell with Excel's quote prefix.
"""

from __future__ import annotations

import base64
import csv
import io
import math

import pandas as pd

from kehoach.core.labels import ILLUSTRATIVE_EXPORT_BANNER
from kehoach.core.sheets import csv_text, text_cell
from kehoach.explore.table import COLUMNS, NUMBERS

BANNER = ILLUSTRATIVE_EXPORT_BANNER
MIME = {"csv": "text/csv;charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "png": "image/png", "svg": "image/svg+xml"}


def _csv_number(value: float, decimals: int) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{decimals}f}".replace(".", ",")


def to_csv(table: pd.DataFrame) -> bytes:
    """The table (from :func:`kehoach.explore.table.frame`) as CSV bytes, for Vietnamese Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(list(COLUMNS.values()))
    for row in table.to_dict("records"):
        cells = []
        for column in COLUMNS:
            value = row[column]
            if column in NUMBERS:
                cells.append(_csv_number(value, 1 if column == "achievement_pct" else int(row["decimals"])))
            elif column == "indicator":
                cells.append(str(int(value)))
            else:
                cells.append(csv_text(str(value)))
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


def number_format(decimals: int) -> str:
    return "#,##0" if decimals <= 0 else "#,##0." + "0" * decimals


def to_xlsx(table: pd.DataFrame, filters: list[tuple[str, str]], illustrative: bool, title: str) -> bytes:
    """The table as an xlsx workbook: banner, title, the filters used, then the formatted table."""
    from openpyxl import Workbook  # only when a leader exports: the app's kernels stay smaller
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Chỉ tiêu"
    r = 1
    if illustrative:
        text_cell(sheet, r, 1, BANNER).font = Font(bold=True, color="B00020")
        sheet.cell(r, 1).fill = PatternFill("solid", fgColor="FDECEA")
        r += 1
    text_cell(sheet, r, 1, title).font = Font(bold=True, size=13)
    r += 1
    for name, value in filters:
        text_cell(sheet, r, 1, name).font = Font(italic=True)
        text_cell(sheet, r, 2, value)
        r += 1
    r += 1
    header = r
    for c, heading in enumerate(COLUMNS.values(), start=1):
        cell = text_cell(sheet, header, c, heading)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.to_dict("records"):
        r += 1
        for c, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(r, c)
            value = row[column]
            if column in NUMBERS:
                if value is not None and math.isfinite(value):
                    cell.value = float(value)
                    cell.number_format = number_format(1 if column == "achievement_pct" else int(row["decimals"]))
            elif column == "indicator":
                cell.value = int(value)
            else:
                text_cell(sheet, r, c, str(value))
    sheet.freeze_panes = sheet.cell(header + 1, 1)
    _fit_widths(sheet, table, header)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fit_widths(sheet, table: pd.DataFrame, header: int) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    for c, (column, heading) in enumerate(COLUMNS.items(), start=1):
        values = [str(v) for v in table[column]] if len(table) else []
        if column in NUMBERS:
            values = [f"{v:,.2f}" if isinstance(v, float) and math.isfinite(v) else "" for v in table[column]]
        longest = max([len(v) for v in values] + [min(len(heading), 14)])
        sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, longest + 2))
        if column in ("label", "unit_name"):
            for row in range(header + 1, header + 1 + len(table)):
                sheet.cell(row, c).alignment = Alignment(wrap_text=True, vertical="top")


def download_link(data: bytes, filename: str, kind: str) -> dict[str, str]:
    """What the link template needs: a data: URL (no server path, works in JupyterLab and Voilà)."""
    return {"href": f"data:{MIME[kind]};base64,{base64.b64encode(data).decode('ascii')}", "filename": filename,
            "size": f"{max(1, round(len(data) / 1024))} KB"}
