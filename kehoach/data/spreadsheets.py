"""Workbooks from other office suites: what kind a submitted file really is, and the .ods reader.

Units fill their forms in Excel or LibreOffice and save them as they please: .xlsx, .ods (the
default of LibreOffice), .xls (Excel 97-2003), or an "Excel" file that another program exported
as a CSV or HTML page under a .xlsx name. :func:`kind_of` tells them apart by their first bytes;
every kind but .xlsx and .ods is refused with a Vietnamese message saying how to save it as .xlsx.

:func:`read_ods` reads an OpenDocument spreadsheet (the ``content.xml`` part, parsed with
defusedxml) into an in-memory openpyxl workbook, so that a form saved as .ods goes through the
very checks of an .xlsx form. A cell whose ODF value type is ``percentage`` gets a percentage
number format, as it had in the form. (python-calamine and pandas' odf engine read .ods too, but
give a percentage as a bare fraction, losing what the cell meant.)
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from openpyxl import Workbook

from kehoach.core.sheets import put

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
SAVE_AS_XLSX = ("mở tệp bằng Excel hoặc LibreOffice Calc, chọn Tệp > Lưu thành (File > Save As), chọn kiểu "
                "“Excel 2007-365 (.xlsx)” rồi gửi lại tệp .xlsx đó")
USE_THE_FORM = "hãy điền số liệu vào biểu mẫu .xlsx đã được gửi (tạo bằng `kehoach template`) và gửi lại chính tệp đó"

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
_PERCENT_FORMAT = "0%"


class SpreadsheetError(Exception):
    """A file that is not a workbook this tool reads; the message (Vietnamese) says what to do."""


def _q(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


def kind_of(path: Path) -> str:
    """``"xlsx"`` (any zip that is not OpenDocument: the .xlsx checks judge it) or ``"ods"``; raises
    :class:`SpreadsheetError` for an .xls, an encrypted workbook, a CSV or HTML file, another document."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise SpreadsheetError("tệp là bảng tính Excel 97-2003 (.xls) hoặc tệp Excel có đặt mật khẩu, không đọc được; "
                               f"bỏ mật khẩu nếu có, rồi {SAVE_AS_XLSX}")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    suffix = path.suffix or "(không có đuôi)"
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head", b"<body")):
        raise SpreadsheetError(f"tệp có đuôi {suffix} nhưng thực chất là một trang HTML (thường do phần mềm khác "
                               f"xuất ra), không phải biểu mẫu; {USE_THE_FORM}")
    if text.startswith(b"<?xml"):
        raise SpreadsheetError(f"tệp có đuôi {suffix} nhưng là tệp XML (như “XML Spreadsheet 2003”), không phải "
                               f"tệp .xlsx; {SAVE_AS_XLSX}")
    if head and b"\x00" not in head and any(sep in head for sep in (b",", b";", b"\t")):
        raise SpreadsheetError(f"tệp có đuôi {suffix} nhưng thực chất là văn bản CSV, không phải tệp Excel; nếu đó là "
                               "tệp CSV theo định dạng nhập (các cột ward, year, unit_code, indicator, period, value, ...), "
                               f"đổi đuôi tệp thành .csv rồi nhập lại; nếu không, {USE_THE_FORM}")
    raise SpreadsheetError(f"không phải tệp Excel (.xlsx) hay LibreOffice (.ods) đọc được; {USE_THE_FORM}")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100].strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        return "xlsx"                                  # the .xlsx checks say it is damaged
    if mimetype == ODS_MIMETYPE:
        return "ods"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise SpreadsheetError(f"tệp là văn bản OpenDocument khác ({mimetype.decode('ascii', 'replace')}), không phải "
                               f"bảng tính; {USE_THE_FORM}")
    return "xlsx"


def read_ods(path: Path, max_bytes: int, max_rows: int, max_columns: int) -> Workbook:
    """The sheets of an .ods file as an openpyxl workbook (values, and a percentage format on percentage cells).

    Refuses a file whose parts would expand beyond ``max_bytes`` or whose sheets hold a value beyond
    ``max_rows`` or ``max_columns`` (LibreOffice writes the empty rest of a sheet as one repeated row: that is fine).
    """
    content = _content(path, max_bytes)
    try:
        root = ElementTree.fromstring(content)
    except Exception as exc:  # noqa: BLE001 - defusedxml raises several kinds for a hostile or broken part
        raise SpreadsheetError(f"tệp .ods bị hỏng, không đọc được ({type(exc).__name__}); {SAVE_AS_XLSX}") from None
    wb = Workbook()
    wb.remove(wb.active)
    for table in root.iter(_q("table", "table")):
        ws = wb.create_sheet(str(table.get(_q("table", "name"), "")))
        _fill_sheet(ws, table, max_rows, max_columns)
    return wb


def _content(path: Path, max_bytes: int) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > max_bytes or len(infos) > 200:
                raise SpreadsheetError("tệp .ods bất thường: giải nén ra lớn hơn nhiều so với một biểu mẫu; "
                                       f"{SAVE_AS_XLSX}")
            info = archive.getinfo("content.xml")
            with archive.open(info) as stream:
                data = stream.read(max_bytes + 1)
    except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        raise SpreadsheetError(f"tệp .ods bị hỏng, không đọc được; {SAVE_AS_XLSX}") from None
    if len(data) > max_bytes:
        raise SpreadsheetError(f"tệp .ods bất thường: giải nén ra lớn hơn nhiều so với một biểu mẫu; {SAVE_AS_XLSX}")
    return data


def _fill_sheet(ws, table: Element, max_rows: int, max_columns: int) -> None:
    row = 0
    for element in table.iter():
        if element.tag != _q("table", "table-row"):
            continue
        repeat = int(element.get(_q("table", "number-rows-repeated"), "1"))
        cells = _row_cells(element, max_columns)
        if cells:
            if row + repeat > max_rows:
                raise SpreadsheetError(f"tệp .ods bất thường: sheet “{ws.title}” có dữ liệu tới dòng "
                                       f"{row + repeat}, lớn hơn nhiều so với biểu mẫu; xóa các ô thừa")
            for offset in range(repeat):
                for column, (value, percent) in cells.items():
                    cell = put(ws.cell(row=row + offset + 1, column=column), value)
                    if percent:
                        cell.number_format = _PERCENT_FORMAT
        row += repeat


def _row_cells(row: Element, max_columns: int) -> dict[int, tuple[object, bool]]:
    """The non-empty cells of a row: column number → (value, is a percentage)."""
    out, column = {}, 0
    for cell in row:
        if cell.tag not in (_q("table", "table-cell"), _q("table", "covered-table-cell")):
            continue
        repeat = int(cell.get(_q("table", "number-columns-repeated"), "1"))
        value = _value(cell)
        if value is not None:
            if column + repeat > max_columns:
                raise SpreadsheetError(f"tệp .ods bất thường: có dữ liệu ở cột thứ {column + repeat}, "
                                       "lớn hơn nhiều so với biểu mẫu; xóa các ô thừa")
            percent = cell.get(_q("office", "value-type")) == "percentage"
            for offset in range(repeat):
                out[column + offset + 1] = (value, percent)
        column += repeat
    return out


def _value(cell: Element) -> object:
    kind = cell.get(_q("office", "value-type"))
    if kind in ("float", "percentage", "currency"):
        number = float(cell.get(_q("office", "value"), "nan"))
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    if kind == "date":
        return dt.datetime.fromisoformat(cell.get(_q("office", "date-value"), "")[:19])
    if kind == "boolean":
        return cell.get(_q("office", "boolean-value")) == "true"
    paragraphs = [_text(p) for p in cell.iter(_q("text", "p"))]
    text = "\n".join(paragraphs)
    return text if paragraphs and (kind or text) else None


def _text(element: Element) -> str:
    """The text of a paragraph: its spans, spaces (``text:s``), tabs and line breaks."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _q("text", "s"):
            parts.append(" " * int(child.get(_q("text", "c"), "1")))
        elif child.tag == _q("text", "tab"):
            parts.append("\t")
        elif child.tag == _q("text", "line-break"):
            parts.append("\n")
        else:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
