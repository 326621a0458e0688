"""Excel reporting forms: write one for a unit and period, and read one back.

The layout lives here and only here. A form has a visible indicator sheet, a task sheet
(when the unit leads tasks), the "Nội dung báo cáo" sheet for the unit's own words (with a very
hidden ``_noi_dung`` sheet mapping each of its rows to an item and code), and a very hidden
``_meta`` sheet recording ward, unit, plan year and period, so that an import needs no extra arguments.

A submitted file is untrusted. Before openpyxl parses it, :func:`check_archive` refuses an
archive whose parts would expand beyond :data:`MAX_UNCOMPRESSED` bytes, or whose sheets
declare or hold more rows, columns or cells than a form can have (zip bombs, a lone cell at
row 1.048.576); defusedxml, which openpyxl uses when it is installed, refuses XML entity
bombs. Text written into a form never becomes a live formula (:func:`kehoach.core.sheets.text_cell`).

Forms are filled in Excel or LibreOffice Calc. A % indicator's value cell is a percentage cell
(:data:`PERCENT_FORMAT`): whatever the unit types, the cell holds a fraction, which the import reads
×100 (:func:`is_percent_format`). Notes and the preparer are text cells (:data:`TEXT_FORMAT`), so "1/2"
is no date and "=..." no formula. Each sheet prints on A4 landscape, one page wide, its header row
repeated and the unit and period in the page header (:func:`print_setup`). A form saved as .ods is read
through :mod:`kehoach.data.spreadsheets`, which also refuses .xls, CSV and HTML files in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kehoach.core.errors import KehoachError
from kehoach.core.formatting import fmt_number, nfc
from kehoach.core.period import Period
from kehoach.core.sheets import put, text_cell
from kehoach.data import spreadsheets
from kehoach.data.plan import Plan
from kehoach.data.store import NOTE_MAX_CHARS, TASK_STATUSES
from kehoach.data.texts import ITEMS, item_label

log = logging.getLogger(__name__)

FORM_VERSION = "1"
INDICATOR_SHEET = "Chỉ tiêu"
TASK_SHEET = "Nhiệm vụ"
META_SHEET = "_meta"
HEADER_ROW = 8
FIRST_ROW = HEADER_ROW + 1
DATE_CELL = "C4"
PREPARER_CELL = "C5"

INDICATOR_HEADERS = [
    "Mã số", "Tên chỉ tiêu", "Đơn vị tính", "Kế hoạch năm", "Số đã báo cáo gần nhất",
    "Kỳ của số gần nhất", "Cùng kỳ năm trước", "Giá trị kỳ này", "Loại số liệu", "Ghi chú",
]
VALUE_COL, TYPE_COL, NOTE_COL = "H", "I", "J"
TASK_HEADERS = ["Mã nhiệm vụ", "Nhiệm vụ", "Nội dung chủ yếu", "Tình trạng", "Ghi chú"]
TASK_STATUS_COL, TASK_NOTE_COL = "D", "E"
TEXT_SHEET = "Nội dung báo cáo"
TEXT_META_SHEET = "_noi_dung"
TEXT_HEADERS = ["Mã", "Mục báo cáo", "Nội dung đơn vị báo cáo", "Lưu ý"]
TEXT_COL = "C"
#: The longest text an import accepts for one item (characters).
TEXT_MAX_CHARS = 4000

ACTUAL, ESTIMATE = "Thực hiện", "Ước thực hiện"
ILLUSTRATIVE = "Số liệu minh họa"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
_HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
_FORM_DATE = dt.datetime(2026, 1, 1)
TITLE_CELL, BANNER_CELL = "A3", "A7"
#: Excel's text format: what a unit types into a note stays as typed ("1/2" is no date, "=..." no formula).
TEXT_FORMAT = "@"
#: A % indicator's value cell is a percentage: "96%", "0,96" and (in Excel) "96" typed all hold 0,96 and show 96,0%.
PERCENT_FORMAT = "0.0#%"
NUMBER_FORMAT = "#,##0.###"
TITLE_ROW_HEIGHT = 24
HEADER_ROW_HEIGHT = 45
LINE_HEIGHT = 15                                         # points per wrapped line of 11 pt text

#: Limits of a submitted workbook, checked before parsing. A form is about 50 KB unpacked; Excel adds
#: some parts and styles, so the limits leave wide room while keeping parsing under a second.
MAX_UNCOMPRESSED = 5 * 1024 * 1024
MAX_PARTS = 100
MAX_ROWS = FIRST_ROW + 300   # a plan has far fewer indicators or tasks per unit
MAX_COLUMNS = 30             # the indicator sheet uses A:J
MAX_CELLS = 20_000           # cells written in one sheet part


@dataclass
class FormRow:
    """One filled row of a form, with where it came from."""

    sheet: str
    row: int
    key: object
    cells: dict[str, object]
    #: the value cell is a percentage cell (its number, a fraction, was read ×100)
    percent: bool = False


@dataclass
class FormContent:
    """What a form says, before validation."""

    meta: dict[str, str]
    submitted_on: object
    preparer: object
    indicator_rows: list[FormRow] = field(default_factory=list)
    task_rows: list[FormRow] = field(default_factory=list)
    #: The filled cells of the "Nội dung báo cáo" sheet: ``key`` is (item, code), ``cells["text"]`` the words.
    text_rows: list[FormRow] = field(default_factory=list)
    #: The visible header of each sheet: {sheet: (title cell A3, banner cell A7)}.
    titles: dict[str, tuple[object, object]] = field(default_factory=dict)
    #: Input cells holding a formula without a saved result: (sheet, row, column).
    uncached_formulas: list[tuple[str, int, str]] = field(default_factory=list)


class NothingToReportError(KehoachError):
    """A unit that leads no indicator and no task of the plan: it has no form."""


def nothing_to_report(plan: Plan, unit_code: str) -> str:
    """Why a unit gets no form (Vietnamese, for the office)."""
    unit = plan.unit(unit_code)
    return (f"{unit.name} ({unit_code}) không chủ trì chỉ tiêu hay nhiệm vụ nào trong Kế hoạch năm {plan.year}, "
            "nên không có biểu mẫu báo cáo để gửi. Nếu đơn vị cần báo cáo, giao chỉ tiêu hoặc nhiệm vụ cho đơn vị "
            "trong tệp kế hoạch (data/plan/) rồi tạo lại biểu mẫu.")


class FormLayoutError(Exception):
    """Raised by :func:`read_form` for a file that is not a form of this layout; carries sheet/row/column."""

    def __init__(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.sheet, self.row, self.column = sheet, row, column


# -- writing ----------------------------------------------------------------------------
def write_template(plan: Plan, unit_code: str, period: str | Period, path: Path,
                   progress: pd.DataFrame | None = None, illustrative: bool = False,
                   lagging: Collection[int] = ()) -> Path:
    """Write the reporting form of one unit for one period to ``path`` (.xlsx).

    ``lagging`` holds the numbers of the indicators that lag as of the unit's latest data (the
    evaluation is the analysis layer's; the caller passes its result): their rows on the
    "Nội dung báo cáo" sheet are marked, so that the unit knows whose causes and solutions matter.
    """
    p = Period.parse(period)
    unit = plan.unit(unit_code)
    indicators = plan.indicators[plan.indicators["unit_code"] == unit_code]
    tasks = plan.task_frame[plan.task_frame["unit_code"] == unit_code]
    if indicators.empty and tasks.empty:
        raise NothingToReportError(nothing_to_report(plan, unit_code))
    wb = Workbook()
    wb.properties.creator = "kehoach"
    wb.properties.created = wb.properties.modified = _FORM_DATE
    ws = wb.active
    ws.title = INDICATOR_SHEET
    _header(ws, plan, unit.name, p, "BIỂU BÁO CÁO TIẾN ĐỘ THỰC HIỆN CHỈ TIÊU KINH TẾ - XÃ HỘI", illustrative)
    _indicator_table(ws, plan, indicators, p, progress)
    print_setup(ws, plan, unit.name, p, len(INDICATOR_HEADERS), len(indicators))
    if len(tasks):
        ts = wb.create_sheet(TASK_SHEET)
        _header(ts, plan, unit.name, p, "BIỂU BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ, GIẢI PHÁP (PHẦN II)", illustrative, date_cells=False)
        _task_table(ts, tasks)
        print_setup(ts, plan, unit.name, p, len(TASK_HEADERS), len(tasks))
    _text_sheet(wb, plan, unit.name, indicators, tasks, p, illustrative, set(lagging))
    meta = wb.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(_meta(plan, unit_code, p, illustrative).items(), start=1):
        text_cell(meta, row, 1, key)
        text_cell(meta, row, 2, value)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(wb, path)
    return path


def _save(wb: Workbook, path: Path) -> None:
    """Save with fixed zip timestamps, so the same form content always gives the same bytes."""
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_FORM_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())


def _meta(plan: Plan, unit_code: str, p: Period, illustrative: bool) -> dict[str, str]:
    return {
        "form": "kehoach-progress", "version": FORM_VERSION, "ward": plan.ward,
        "ward_name": plan.document.ward, "unit": unit_code, "year": str(plan.year),
        "period": str(p), "illustrative": "yes" if illustrative else "no",
    }


def _header(ws, plan: Plan, unit_name: str, p: Period, title: str, illustrative: bool, date_cells: bool = True) -> None:
    put(ws["A1"], title).font = Font(bold=True, size=13)
    ws["A1"].alignment = Alignment(vertical="center")
    ws.row_dimensions[1].height = TITLE_ROW_HEIGHT      # the 13 pt title clear of the line under it
    put(ws["A2"], f"{plan.document.issuing_body} — Kế hoạch năm {plan.year} ({plan.document.decision_number})")
    put(ws[TITLE_CELL], title_text(unit_name, p)).font = Font(bold=True)
    if date_cells:
        put(ws["A4"], "Ngày gửi báo cáo:")
        put(ws["A5"], "Người lập biểu:")
        for ref in (DATE_CELL, PREPARER_CELL):
            ws[ref].protection = Protection(locked=False)
            ws[ref].fill = _INPUT_FILL
            ws[ref].border = _BORDER
        ws[DATE_CELL].number_format = "DD/MM/YYYY"
        ws[PREPARER_CELL].number_format = TEXT_FORMAT
        dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True,
                            showErrorMessage=True, errorTitle="Ngày không hợp lệ", error="Nhập ngày dạng ngày/tháng/năm.")
        ws.add_data_validation(dv)
        dv.add(DATE_CELL)
    put(ws["A6"], "Ô nền vàng là ô nhập liệu; các ô khác đã được khóa. Bỏ trống chỉ tiêu chưa có số liệu.").font = \
        Font(italic=True, color="555555")
    if illustrative:
        put(ws[BANNER_CELL], BANNER).font = Font(bold=True, color="C00000")
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False


def title_text(unit_name: str, p: Period) -> str:
    """The visible line naming the reporting unit and period (cell A3 of every sheet)."""
    return f"Đơn vị báo cáo: {unit_name} — Kỳ báo cáo: {p.label()} ({p.quarter_label()})"


BANNER = f"{ILLUSTRATIVE} — không phải số liệu chính thức"


def _head_row(ws, headers: list[str], widths: list[int]) -> None:
    for col, (text, width) in enumerate(zip(headers, widths), start=1):
        cell = text_cell(ws, HEADER_ROW, col, text)
        cell.font, cell.fill, cell.border = Font(bold=True), _HEAD_FILL, _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[cell.column_letter].width = width
    ws.row_dimensions[HEADER_ROW].height = HEADER_ROW_HEIGHT
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=3)


def _row_height(text: str, width: int) -> float:
    """The height of a row whose ``text`` wraps in a column ``width`` characters wide (neither Excel nor
    LibreOffice sizes a row of a file it opens, so a long name would be cut)."""
    lines = max(1, -(-len(str(text)) // max(width - 4, 1)))
    return float(LINE_HEIGHT * lines + 3)


def print_setup(ws, plan: Plan, unit_name: str, p: Period, columns: int, rows: int) -> None:
    """A4 landscape, one page wide, the table's header row repeated, the unit and period in the page header."""
    last = get_column_letter(columns)
    ws.print_area = f"A1:{last}{FIRST_ROW + max(rows, 1) - 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4          # inches
    ws.page_margins.top = ws.page_margins.bottom = 0.9          # room for the page header and footer
    ws.page_margins.header = ws.page_margins.footer = 0.4
    ws.oddHeader.center.text = _header_text(f"{unit_name} — {p.label()} ({p.quarter_label()})")
    ws.oddHeader.center.size = 9
    ws.oddFooter.center.text = f"{_header_text(plan.title_place[:1].upper() + plan.title_place[1:])} — Trang &P/&N"
    ws.oddFooter.center.size = 9


def _header_text(text: str) -> str:
    """Text for a page header: "&" starts a code there, so it is doubled."""
    return text.replace("&", "&&")


def _last_values(progress: pd.DataFrame | None, plan: Plan, p: Period) -> tuple[dict, dict]:
    """Per indicator number: the latest value up to ``p`` and the value of the same period last year.

    With a ``code`` column (:func:`kehoach.data.years.progress_across_years`), the previous
    plan year's records count too, matched to this plan's numbers by code.
    """
    if progress is None or progress.empty:
        return {}, {}
    mine = progress[progress["ward"] == plan.ward]
    if "code" in mine.columns:
        numbers = dict(zip(plan.indicators["code"], plan.indicators["number"]))
        mine = mine.assign(indicator=mine["code"].map(numbers)).dropna(subset=["indicator"])
    else:
        mine = mine[mine["year"] == plan.year]
    periods = mine["period"].map(lambda s: Period.parse(s))
    before = mine[periods <= p].assign(_p=periods[periods <= p]).sort_values("_p", kind="stable")
    last = {int(r.indicator): (r.value, Period.parse(r.period).short_label()) for r in before.itertuples()}
    ly = mine[mine["period"] == str(p.same_period_last_year)]
    return last, {int(r.indicator): r.value for r in ly.itertuples()}


def _indicator_table(ws, plan: Plan, indicators: pd.DataFrame, p: Period, progress: pd.DataFrame | None) -> None:
    _head_row(ws, INDICATOR_HEADERS, [7, 60, 14, 14, 14, 11, 14, 15, 15, 40])
    last, same_ly = _last_values(progress, plan, p)
    kind_dv = DataValidation(type="list", formula1=f'"{ACTUAL},{ESTIMATE}"', allow_blank=True, showErrorMessage=True,
                             errorTitle="Loại số liệu", error=f"Chọn “{ACTUAL}” hoặc “{ESTIMATE}”.")
    note_dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(NOTE_MAX_CHARS), allow_blank=True,
                             showErrorMessage=True, errorTitle="Ghi chú quá dài",
                             error=f"Ghi chú tối đa {fmt_number(NOTE_MAX_CHARS)} ký tự.")
    ws.add_data_validation(kind_dv)
    ws.add_data_validation(note_dv)
    for offset, ind in enumerate(indicators.itertuples()):
        row = FIRST_ROW + offset
        value, period_seen = last.get(ind.number, (None, None))
        values = [ind.number, ind.name, ind.unit, ind.target, value, period_seen, same_ly.get(ind.number), None, None, None]
        for col, v in enumerate(values, start=1):
            cell = text_cell(ws, row, col, v)
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=col in (2, 10), vertical="top")
            if col in (4, 5, 7):
                cell.number_format = NUMBER_FORMAT
        ws[f"{VALUE_COL}{row}"].number_format = PERCENT_FORMAT if ind.unit == "%" else NUMBER_FORMAT
        ws[f"{NOTE_COL}{row}"].number_format = TEXT_FORMAT
        ws.row_dimensions[row].height = _row_height(ind.name, 60)
        for col in (VALUE_COL, TYPE_COL, NOTE_COL):
            ws[f"{col}{row}"].protection = Protection(locked=False)
            ws[f"{col}{row}"].fill = _INPUT_FILL
        ws.add_data_validation(_value_validation(plan.indicator(ind.number).bounds, f"{VALUE_COL}{row}", ind.unit == "%"))
        kind_dv.add(f"{TYPE_COL}{row}")
        note_dv.add(f"{NOTE_COL}{row}")


def _value_validation(bounds: tuple[float | None, float | None], ref: str, percent: bool = False) -> DataValidation:
    """The value cell's range; a percentage cell holds a fraction (96% is 0,96), so its bounds are divided by 100."""
    low, high = bounds
    scale, sign = (100, "%") if percent else (1, "")
    hint = " (gõ kèm dấu %, ví dụ 96%)" if percent else ""
    common = dict(type="decimal", allow_blank=True, showErrorMessage=True, errorTitle="Giá trị không hợp lệ")
    if low is not None and high is not None:
        dv = DataValidation(operator="between", formula1=repr(low / scale), formula2=repr(high / scale),
                            error=f"Nhập một số từ {low:g}{sign} đến {high:g}{sign}{hint}.", **common)
    elif low is not None:
        dv = DataValidation(operator="greaterThanOrEqual", formula1=repr(low / scale),
                            error=f"Nhập một số không nhỏ hơn {low:g}{sign}{hint}.", **common)
    else:
        dv = DataValidation(operator="between", formula1="-1E+15", formula2="1E+15", error=f"Nhập một số{hint}.", **common)
    dv.add(ref)
    return dv


def _task_table(ws, tasks: pd.DataFrame) -> None:
    _head_row(ws, TASK_HEADERS, [12, 40, 70, 18, 40])
    labels = ",".join(TASK_STATUSES.values())
    status_dv = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True, showErrorMessage=True,
                               errorTitle="Tình trạng", error="Chọn một tình trạng trong danh sách.")
    ws.add_data_validation(status_dv)
    for offset, task in enumerate(tasks.itertuples()):
        row = FIRST_ROW + offset
        for col, v in enumerate([task.id, task.title, task.summary, None, None], start=1):
            cell = text_cell(ws, row, col, v)
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws[f"{TASK_NOTE_COL}{row}"].number_format = TEXT_FORMAT
        ws.row_dimensions[row].height = max(_row_height(task.title or "", 40), _row_height(task.summary or "", 70))
        for col in (TASK_STATUS_COL, TASK_NOTE_COL):
            ws[f"{col}{row}"].protection = Protection(locked=False)
            ws[f"{col}{row}"].fill = _INPUT_FILL
        status_dv.add(f"{TASK_STATUS_COL}{row}")


# -- the units' words ("Nội dung báo cáo") ------------------------------------------------
_LAG_FILL = PatternFill("solid", fgColor="F8D7DA")
_SECTION_FILL = PatternFill("solid", fgColor="EEF2F6")
#: Row heights (points): room for about five lines where words are expected (the unit's own items, a lagging
#: indicator), two lines elsewhere; the unit can make any row taller.
_TEXT_ROW_HEIGHT, _TEXT_ROW_HEIGHT_SHORT = 75, 32


@dataclass(frozen=True)
class TextRow:
    """One input row of the "Nội dung báo cáo" sheet: the item, the indicator code or task id, and the label shown."""

    item: str
    code: str | None
    key: str
    label: str
    hint: str | None = None
    lagging: bool = False


def text_rows(indicators: pd.DataFrame, tasks: pd.DataFrame, p: Period,
              lagging: Collection[int] = ()) -> list[tuple[str, list[TextRow]]]:
    """The sheet's sections, each with its input rows: the unit's own items, its indicators, its tasks."""
    unit_items = [TextRow(item, None, "", item_label(item, p.quarter)) for item, spec in ITEMS.items() if spec.level == "unit"]
    by_indicator = []
    for ind in indicators.itertuples():
        late = int(ind.number) in lagging
        hint = "Chỉ tiêu chậm tiến độ theo số liệu gần nhất: nêu rõ nguyên nhân và giải pháp" if late else None
        for item in ("nguyen-nhan-chi-tieu", "giai-phap-chi-tieu"):
            by_indicator.append(TextRow(item, ind.code, f"({ind.number})", f"{ind.name}: {item_label(item, p.quarter)}",
                                        hint, late))
    by_task = [TextRow("ket-qua-nhiem-vu", t.id, t.id, f"{t.title}: {item_label('ket-qua-nhiem-vu', p.quarter)}",
                       f"Tình trạng chọn ở sheet “{TASK_SHEET}”") for t in tasks.itertuples()]
    sections = [("I. NỘI DUNG CHUNG CỦA ĐƠN VỊ", unit_items),
                ("II. CHỈ TIÊU DO ĐƠN VỊ CHỦ TRÌ: NGUYÊN NHÂN, GIẢI PHÁP", by_indicator),
                ("III. NHIỆM VỤ PHẦN II DO ĐƠN VỊ CHỦ TRÌ: KẾT QUẢ THỰC HIỆN", by_task)]
    return [(title, rows) for title, rows in sections if rows]


def _text_sheet(wb: Workbook, plan: Plan, unit_name: str, indicators: pd.DataFrame, tasks: pd.DataFrame, p: Period,
                illustrative: bool, lagging: set[int]) -> None:
    """The third sheet: one labelled row per item, the unit's words in column C; the hidden map of rows to items."""
    ws = wb.create_sheet(TEXT_SHEET)
    _header(ws, plan, unit_name, p, "NỘI DUNG BÁO CÁO CỦA ĐƠN VỊ (KẾT QUẢ, TỒN TẠI, NGUYÊN NHÂN, GIẢI PHÁP, KIẾN NGHỊ)",
            illustrative, date_cells=False)
    put(ws["A6"], f"Nhập nội dung vào ô nền vàng (cột {TEXT_COL}), tối đa {fmt_number(TEXT_MAX_CHARS)} ký tự mỗi ô; "
        "xuống dòng trong ô bằng Alt+Enter. Ô để trống không xóa nội dung đã gửi trước đó.")
    _head_row(ws, TEXT_HEADERS, [10, 50, 90, 34])
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)
    meta = wb.create_sheet(TEXT_META_SHEET)
    for col, heading in enumerate(["row", "item", "code", "label"], start=1):
        text_cell(meta, 1, col, heading)
    row, mapped = FIRST_ROW, 1
    for title, rows in text_rows(indicators, tasks, p, lagging):
        cell = text_cell(ws, row, 1, title)
        cell.font, cell.fill = Font(bold=True), _SECTION_FILL
        row += 1
        for entry in rows:
            _text_input_row(ws, row, entry)
            mapped += 1
            for col, value in enumerate([row, entry.item, entry.code or "", entry.label], start=1):
                text_cell(meta, mapped, col, value)
            row += 1
    print_setup(ws, plan, unit_name, p, len(TEXT_HEADERS), row - FIRST_ROW)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True


def _text_input_row(ws, row: int, entry: TextRow) -> None:
    for col, value in enumerate([entry.key, entry.label, None, entry.hint], start=1):
        cell = text_cell(ws, row, col, value)
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if entry.lagging and col != 3:
            cell.fill = _LAG_FILL
    if entry.lagging:
        ws.cell(row=row, column=4).font = Font(bold=True, color="9C0006")
    cell = ws[f"{TEXT_COL}{row}"]
    cell.protection = Protection(locked=False)
    cell.fill = _INPUT_FILL
    cell.number_format = "@"
    expected = entry.lagging or ITEMS[entry.item].level == "unit"
    ws.row_dimensions[row].height = _TEXT_ROW_HEIGHT if expected else _TEXT_ROW_HEIGHT_SHORT


def fill_texts(path: Path, texts: dict[tuple[str, str | None], str | None]) -> None:
    """Type a unit's words into the "Nội dung báo cáo" sheet: ``texts`` maps (item, code) → text (unlocked cells only)."""
    wb = load_workbook(path)
    rows = {(item, code or None): int(r) for r, item, code, *_ in wb[TEXT_META_SHEET].iter_rows(min_row=2, values_only=True)}
    ws = wb[TEXT_SHEET]
    for key, text in texts.items():
        text_cell(ws, rows[key], 3, text)  # typed into a text-formatted cell: "=…" stays text, as in Excel
    wb.properties.modified = _FORM_DATE
    _save(wb, path)


def fill_form(path: Path, values: dict[int, tuple[object, str | None, str | None]],
              tasks: dict[str, tuple[str, str | None]] | None = None, submitted_on: dt.date | None = None,
              preparer: str | None = None) -> None:
    """Fill a form as a unit would in Excel: ``values`` maps indicator number → (value, type label, note).

    A number for a % indicator is the percentage (96 for 96%), typed into its percentage cell as Excel does."""
    wb = load_workbook(path)
    ws = wb[INDICATOR_SHEET]
    rows = {ws.cell(row=r, column=1).value: r for r in range(FIRST_ROW, ws.max_row + 1)}
    for number, (value, kind, note) in values.items():
        r = rows[number]
        for col, typed in ((VALUE_COL, value), (TYPE_COL, kind), (NOTE_COL, note)):
            _type_into(ws[f"{col}{r}"], typed)
    if submitted_on is not None:
        put(ws[DATE_CELL], submitted_on)
    if preparer is not None:
        put(ws[PREPARER_CELL], preparer)
    if tasks:
        ts = wb[TASK_SHEET]
        trows = {ts.cell(row=r, column=1).value: r for r in range(FIRST_ROW, ts.max_row + 1)}
        for task_id, (status, note) in tasks.items():
            _type_into(ts[f"{TASK_STATUS_COL}{trows[task_id]}"], status)
            _type_into(ts[f"{TASK_NOTE_COL}{trows[task_id]}"], note)
    wb.properties.modified = _FORM_DATE
    _save(wb, path)


def _type_into(cell, value: object) -> None:
    """Store ``value`` as Excel does when a unit types it into ``cell``: a number typed into a percentage cell is
    a percentage (Excel's automatic percent entry: 96 becomes 0,96, shown 96%); text typed into a text cell
    stays text, "=..." included."""
    if is_percent_format(cell.number_format) and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = value / 100
    cell.value = value
    if isinstance(value, str) and cell.number_format == TEXT_FORMAT:
        cell.data_type = "s"


def is_percent_format(number_format: str | None) -> bool:
    """Whether a cell's number format shows its value as a percentage (a "%" outside quotes and escapes)."""
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format or "")
    return "%" in plain


# -- reading ----------------------------------------------------------------------------
def check_archive(path: Path) -> bool:
    """Refuse a workbook that would expand beyond a form's size, before anything parses it.

    Checks the declared size of every part (zipfile never inflates a part past its declared
    size: it stops there and the CRC check fails), the number of parts, and in each sheet
    the declared dimension and the number of rows and cells written. Returns whether any
    sheet holds a formula. Raises :class:`FormLayoutError`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(p.file_size for p in parts)
            if len(parts) > MAX_PARTS or total > MAX_UNCOMPRESSED:
                raise FormLayoutError(
                    f"tệp Excel bất thường: giải nén ra {fmt_number(total / 1024 / 1024, 1)} MB trong {len(parts)} phần, "
                    f"vượt quá giới hạn của một biểu mẫu ({fmt_number(MAX_UNCOMPRESSED / 1024 / 1024)} MB); "
                    "hãy dùng biểu mẫu do `kehoach template` tạo")
            formulas = False
            for part in parts:  # inflate every part once, in small steps: the sizes it declares must be the truth
                data = _inflate(archive, part)
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    formulas |= _check_sheet_part(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError) as exc:
        log.debug("%s is not a readable zip: %s", path, exc)
        raise FormLayoutError("không phải tệp Excel (.xlsx) đọc được (tệp hỏng hoặc không phải bảng tính); "
                              f"{spreadsheets.USE_THE_FORM}") from None
    return formulas


def _inflate(archive: zipfile.ZipFile, part: zipfile.ZipInfo, step: int = 1 << 16) -> bytes:
    """A part's bytes, inflated 64 KB at a time. ``read()`` in one call would inflate a whole bomb before
    truncating it to the declared size; this never holds more than the declared size plus one step."""
    chunks, total = [], 0
    with archive.open(part) as stream:
        while chunk := stream.read(step):
            total += len(chunk)
            if total > part.file_size or total > MAX_UNCOMPRESSED:
                raise zipfile.BadZipFile("a part inflates beyond its declared size")
            chunks.append(chunk)
    return b"".join(chunks)


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?\"")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _check_sheet_part(xml: bytes) -> bool:
    match = _DIMENSION.search(xml, 0, 4096)
    if match and match.group(4):
        last_col, last_row = match.group(3).decode(), int(match.group(4))
        if last_row > MAX_ROWS or _column_index(last_col) > MAX_COLUMNS:
            raise FormLayoutError(f"tệp Excel bất thường: một sheet có vùng dữ liệu tới ô {last_col}{last_row}, "
                                  "lớn hơn nhiều so với biểu mẫu; xóa các ô thừa hoặc dùng biểu mẫu do `kehoach template` tạo")
    rows = [int(m) for m in _ROW_NUMBER.findall(xml)]
    cells = len(_CELL.findall(xml))
    if (rows and max(rows) > MAX_ROWS) or len(rows) > MAX_ROWS or cells > MAX_CELLS:
        raise FormLayoutError(f"tệp Excel bất thường: một sheet có {fmt_number(len(rows))} dòng, {fmt_number(cells)} ô "
                              f"(dòng cuối {fmt_number(max(rows, default=0))}), lớn hơn nhiều so với biểu mẫu; "
                              "dùng biểu mẫu do `kehoach template` tạo")
    return bool(_FORMULA.search(xml))


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


def _load(path: Path, data_only: bool):
    try:
        return load_workbook(path, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 - any parser failure on an untrusted file is "not a readable form"
        log.debug("openpyxl could not read %s", path, exc_info=True)
        raise FormLayoutError("không phải tệp Excel (.xlsx) đọc được (tệp hỏng hoặc không phải bảng tính); "
                              f"{spreadsheets.USE_THE_FORM}") from None


def read_form(path: Path) -> FormContent:
    """Read a filled form (.xlsx, or .ods as LibreOffice saves it). Raises :class:`FormLayoutError` if the
    file is not such a form, with what to do for a workbook of another kind (.xls, a CSV or HTML page)."""
    try:
        ods = spreadsheets.kind_of(path) == "ods"
        wb = spreadsheets.read_ods(path, MAX_UNCOMPRESSED, MAX_ROWS, MAX_COLUMNS) if ods else None
    except spreadsheets.SpreadsheetError as exc:
        raise FormLayoutError(str(exc)) from None
    except (OSError, ValueError):
        raise FormLayoutError(f"không đọc được tệp; {spreadsheets.USE_THE_FORM}") from None
    formulas = None
    if not ods:
        has_formulas = check_archive(path)
        wb = _load(path, data_only=True)
        formulas = _load(path, data_only=False) if has_formulas else None
    if META_SHEET not in wb.sheetnames or INDICATOR_SHEET not in wb.sheetnames:
        raise FormLayoutError(f"không đúng biểu mẫu: thiếu sheet “{INDICATOR_SHEET}” hoặc thông tin biểu mẫu; hãy dùng biểu mẫu do `kehoach template` tạo")
    for ws in wb.worksheets:
        if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
            raise FormLayoutError(f"tệp Excel bất thường: sheet có dữ liệu tới dòng {fmt_number(ws.max_row)}, cột {ws.max_column}, "
                                  "lớn hơn nhiều so với biểu mẫu; xóa các ô thừa", sheet=ws.title)
    meta = {nfc(str(k)): nfc(str(v)) for k, v, *_ in wb[META_SHEET].iter_rows(min_col=1, max_col=2, values_only=True)
            if k is not None}
    if meta.get("form") != "kehoach-progress":
        raise FormLayoutError("không đúng biểu mẫu báo cáo tiến độ", sheet=META_SHEET)
    ws = wb[INDICATOR_SHEET]
    _check_headers(ws, INDICATOR_HEADERS, INDICATOR_SHEET)
    content = FormContent(meta=meta, submitted_on=ws[DATE_CELL].value, preparer=ws[PREPARER_CELL].value)
    content.indicator_rows = _rows(ws, INDICATOR_SHEET, {"value": VALUE_COL, "type": TYPE_COL, "note": NOTE_COL})
    content.titles[INDICATOR_SHEET] = (_clean(ws[TITLE_CELL].value), _clean(ws[BANNER_CELL].value))
    inputs = {INDICATOR_SHEET: (VALUE_COL, TYPE_COL, NOTE_COL)}
    if TASK_SHEET in wb.sheetnames:
        ts = wb[TASK_SHEET]
        _check_headers(ts, TASK_HEADERS, TASK_SHEET)
        content.task_rows = _rows(ts, TASK_SHEET, {"status": TASK_STATUS_COL, "note": TASK_NOTE_COL})
        content.titles[TASK_SHEET] = (_clean(ts[TITLE_CELL].value), _clean(ts[BANNER_CELL].value))
        inputs[TASK_SHEET] = (TASK_STATUS_COL, TASK_NOTE_COL)
    if TEXT_SHEET in wb.sheetnames:
        xs = wb[TEXT_SHEET]
        _check_headers(xs, TEXT_HEADERS, TEXT_SHEET)
        content.text_rows = _text_input_rows(wb)
        content.titles[TEXT_SHEET] = (_clean(xs[TITLE_CELL].value), _clean(xs[BANNER_CELL].value))
        inputs[TEXT_SHEET] = (TEXT_COL,)
    if formulas is not None:
        content.uncached_formulas = _uncached(wb, formulas, inputs)
    return content


def _uncached(values_wb, formulas_wb, inputs: dict[str, tuple[str, ...]]) -> list[tuple[str, int, str]]:
    """Input cells whose formula has no saved result (the file was written by a program that does not calculate)."""
    found = []
    for sheet, columns in inputs.items():
        ws, fs = values_wb[sheet], formulas_wb[sheet]
        for row in range(FIRST_ROW, ws.max_row + 1):
            for col in columns:
                formula = fs[f"{col}{row}"].value
                if ws[f"{col}{row}"].value is None and isinstance(formula, str) and formula.startswith("="):
                    found.append((sheet, row, col))
    found += [(INDICATOR_SHEET, 4, DATE_CELL[0])] if (
        values_wb[INDICATOR_SHEET][DATE_CELL].value is None
        and str(formulas_wb[INDICATOR_SHEET][DATE_CELL].value or "").startswith("=")) else []
    return found


def _check_headers(ws, expected: list[str], sheet: str) -> None:
    for col, text in enumerate(expected, start=1):
        found = ws.cell(row=HEADER_ROW, column=col).value
        if nfc(str(found or "")).strip() != text:
            letter = ws.cell(row=HEADER_ROW, column=col).column_letter
            raise FormLayoutError(f"sai cấu trúc biểu mẫu: tiêu đề cột phải là “{text}”, tìm thấy “{found or ''}”; "
                                  "không thêm, xóa hay di chuyển cột", sheet=sheet, row=HEADER_ROW, column=letter)


def _rows(ws, sheet: str, inputs: dict[str, str]) -> list[FormRow]:
    out = []
    for r in range(FIRST_ROW, ws.max_row + 1):
        key = ws.cell(row=r, column=1).value
        cells = {name: _clean(_percent(ws[f"{col}{r}"]) if name == "value" else ws[f"{col}{r}"].value)
                 for name, col in inputs.items()}
        if key is None and all(v is None for v in cells.values()):
            continue
        percent = "value" in inputs and _is_percent_number(ws[f"{inputs['value']}{r}"])
        out.append(FormRow(sheet=sheet, row=r, key=_clean(key), cells=cells, percent=percent))
    return out


def _text_input_rows(wb) -> list[FormRow]:
    """The filled cells of the "Nội dung báo cáo" sheet, located by the hidden map of rows to items.

    A changed label, or text typed outside the input column (possible only once the sheet's
    protection was removed), is refused: the import could not tell which item the words answer.
    """
    if TEXT_META_SHEET not in wb.sheetnames:
        raise FormLayoutError(f"thiếu thông tin của sheet “{TEXT_SHEET}”; hãy dùng biểu mẫu do `kehoach template` tạo",
                              sheet=TEXT_SHEET)
    ws = wb[TEXT_SHEET]
    entries = {}
    for values in wb[TEXT_META_SHEET].iter_rows(min_row=2, max_col=4, values_only=True):
        row, item, code, label = (list(values) + [None] * 4)[:4]
        if not isinstance(row, int) or not FIRST_ROW <= row <= MAX_ROWS or item not in ITEMS:
            raise FormLayoutError("thông tin ẩn của biểu mẫu bị sửa; hãy tạo lại bằng `kehoach template`", sheet=TEXT_SHEET)
        shown = _clean(ws[f"B{row}"].value)
        if shown != _clean(label):
            raise FormLayoutError(f"ô B{row} ghi “{shown or ''}”, biểu mẫu ghi “{label}”; không sửa, thêm, xóa hay "
                                  "di chuyển dòng của sheet này", sheet=TEXT_SHEET, row=row, column="B")
        entries[row] = (str(item), nfc(str(code)) if code else None)
    for row in range(FIRST_ROW, ws.max_row + 1):
        for col in range(3, ws.max_column + 1):
            letter = ws.cell(row=row, column=col).column_letter
            if (col > 4 or (col == 3 and row not in entries)) and _clean(ws.cell(row=row, column=col).value) is not None:
                raise FormLayoutError(f"ô {letter}{row} không phải ô nhập liệu (ô đã khóa); chỉ nhập vào ô nền vàng "
                                      f"của cột {TEXT_COL}", sheet=TEXT_SHEET, row=row, column=letter)
    return [FormRow(sheet=TEXT_SHEET, row=row, key=key, cells={"text": _clean(ws[f"{TEXT_COL}{row}"].value)})
            for row, key in entries.items() if _clean(ws[f"{TEXT_COL}{row}"].value) is not None]


def _percent(cell) -> object:
    """A value cell's number in percent units: a percentage cell holds a fraction (0,96 shown as 96%)."""
    return round(cell.value * 100, 10) if _is_percent_number(cell) else cell.value


def _is_percent_number(cell) -> bool:
    """A number in a percentage cell (text typed there, "96" with an apostrophe, is read as written)."""
    value = cell.value
    return is_percent_format(cell.number_format) and isinstance(value, (int, float)) and not isinstance(value, bool)


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = nfc(value).strip()
        return value or None
    return value
