"""Forms and Word drafts in real office suites: files saved by LibreOffice Calc, and LibreOffice headless.

The fixture tests read the committed files of tests/fixtures/libreoffice/ (typed into Calc and saved by
it: see its README) and always run. The slow tests need ``soffice`` and skip with the reason where it is
absent: they redo the round trip, print a form, and print the Word draft of the Q3 overview.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kehoach.core.errors import SubmissionError
from kehoach.data.forms import ACTUAL, ESTIMATE, INDICATOR_SHEET, TASK_SHEET, fill_form, write_template
from kehoach.data.store import ProgressStore, load_progress, load_tasks
from kehoach.data.submission import import_file
from tests.conftest import PROJECT
from tests.helpers import NOW, TODAY, make_form, snapshot

FIXTURES = PROJECT / "tests" / "fixtures" / "libreoffice"
SOFFICE = shutil.which("soffice")
UNO_PYTHON = Path("/usr/bin/python3")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

#: what make_fixtures.py types, as openpyxl fills it (fill_form types as Excel does: 96 into a % cell is 96%)
TYPED = {1: (652149, ESTIMATE, "1/2"), 2: (96, ACTUAL, "=1+1 là công thức"), 4: (96, ESTIMATE, "50%"),
         29: (96, ACTUAL, "-2 hộ so với quý II")}
TYPED_TASKS = {"II.1.1": ("Đang thực hiện", "+ triển khai phố ẩm thực")}
STORED = ["indicator", "period", "value", "is_estimate", "note", "unit_code", "revision", "illustrative"]


def _import(path: Path, plan, root: Path):
    return import_file(path, plan, ProgressStore(root), today=TODAY, now=NOW)


def _stored(root: Path) -> tuple[list, list]:
    values = load_progress(root=root).sort_values("indicator")[STORED]
    tasks = load_tasks(root=root)[["task", "period", "status", "note"]]
    return values.astype(object).values.tolist(), tasks.astype(object).values.tolist()


@pytest.fixture(scope="module")
def by_openpyxl(plan, tmp_path_factory) -> tuple[list, list]:
    folder = tmp_path_factory.mktemp("openpyxl")
    path = make_form(plan, folder, "KTHT", "2026-Q3", TYPED, tasks=TYPED_TASKS, submitted_on=None)
    _import(path, plan, folder / "store")
    return _stored(folder / "store")


# -- fixture files saved by LibreOffice (always run) -------------------------------------------------------------
@pytest.mark.parametrize("name", ["ktht-filled.xlsx", "ktht-filled.ods"])
def test_a_form_typed_and_saved_in_libreoffice_imports_as_typed(plan, tmp_path, by_openpyxl, name):
    result = _import(FIXTURES / name, plan, tmp_path / "store")
    assert (result.indicator_records, result.task_records) == (4, 1)
    values, tasks = _stored(tmp_path / "store")
    # "652149", "96%", "0,96" and "96" typed into Calc; "1/2", "=...", "50%", "-2 ..." typed as notes
    assert values == [
        [1, "2026-Q3", 652149.0, True, "1/2", "KTHT", 1, False],
        [2, "2026-Q3", 96.0, False, "=1+1 là công thức", "KTHT", 1, False],
        [4, "2026-Q3", 96.0, True, "50%", "KTHT", 1, False],
        [29, "2026-Q3", 96.0, False, "-2 hộ so với quý II", "KTHT", 1, False],
    ]
    assert tasks == [["II.1.1", "2026-Q3", "in_progress", "+ triển khai phố ẩm thực"]]
    assert (values, tasks) == by_openpyxl                       # the same stored values as openpyxl's fill
    # Calc (unlike Excel) stores "96" typed into a percentage cell as 9600%: read as 96%, and said so
    assert result.notices == [f"{name}, sheet “Chỉ tiêu”, dòng 14, cột H: ô phần trăm ghi 9.600%, đọc là 96% "
                              "(số 96 được gõ không kèm dấu %); lần sau gõ kèm dấu %, ví dụ 96%"]


def test_libreoffice_keeps_the_forms_cells_formats_and_print_setup():
    ws = load_workbook(FIXTURES / "ktht-filled.xlsx")[INDICATOR_SHEET]
    assert (ws["J9"].value, ws["J9"].number_format, ws["J9"].data_type) == ("1/2", "@", "s")   # no date
    assert (ws["J11"].value, ws["J10"].value) == ("50%", "=1+1 là công thức")                   # no number, no formula
    assert [ws[c].value for c in ("H10", "H11", "H14")] == [0.96, 0.96, 96]
    assert {ws[c].number_format for c in ("H10", "H11", "H14")} == {"0.0#%"}
    assert ws.print_title_rows == "$8:$8" and ws.page_setup.orientation == "landscape"
    assert ws.print_area == "'Chỉ tiêu'!$A$1:$J$18" and ws.page_setup.fitToWidth == 1
    assert ws.oddHeader.center.text == "Phòng Kinh tế, Hạ tầng và Đô thị phường — 9 tháng năm 2026 (quý III/2026)"


def test_a_blank_form_resaved_by_libreoffice_is_refused_as_empty(plan, tmp_path):
    with pytest.raises(SubmissionError, match="tệp không có số liệu nào \\(biểu mẫu trống\\)"):
        _import(FIXTURES / "resaved-blank.xlsx", plan, tmp_path / "store")


@pytest.mark.parametrize("name", ["vp-blank.xlsx", "vp-blank.ods"])
def test_a_units_form_with_only_tasks_imports_when_it_has_nothing_new(plan, tmp_path, name):
    store = ProgressStore(tmp_path / "store")
    before = snapshot(store)
    result = import_file(FIXTURES / name, plan, store, today=TODAY, now=NOW)
    assert (result.units, result.periods, result.indicator_records, result.task_records) == (["VP"], ["2026-Q3"], 0, 0)
    assert result.summary() == (f"{name}: biểu mẫu của VP kỳ 2026-Q3 không có nội dung mới (chưa điền tình trạng "
                                "nhiệm vụ nào); không có gì được ghi.")
    assert snapshot(store) == before


def test_an_xls_is_refused_saying_how_to_save_as_xlsx(plan, tmp_path):
    with pytest.raises(SubmissionError) as err:
        _import(FIXTURES / "ktht-filled.xls", plan, tmp_path / "store")
    assert str(err.value).splitlines()[1] == (
        "  - ktht-filled.xls: tệp là bảng tính Excel 97-2003 (.xls) hoặc tệp Excel có đặt mật khẩu, không đọc được; "
        "bỏ mật khẩu nếu có, rồi mở tệp bằng Excel hoặc LibreOffice Calc, chọn Tệp > Lưu thành (File > Save As), "
        "chọn kiểu “Excel 2007-365 (.xlsx)” rồi gửi lại tệp .xlsx đó")


@pytest.mark.parametrize("content, expected", [
    ("ward,year,unit_code,indicator,period,value\nphan-dinh-phung,2026,KTHT,1,2026-Q3,652149\n",
     "tệp có đuôi .xlsx nhưng thực chất là văn bản CSV, không phải tệp Excel; nếu đó là tệp CSV theo định dạng nhập"),
    ("<html><body><table><tr><td>1</td><td>652149</td></tr></table></body></html>",
     "tệp có đuôi .xlsx nhưng thực chất là một trang HTML (thường do phần mềm khác xuất ra), không phải biểu mẫu; "
     "hãy điền số liệu vào biểu mẫu .xlsx đã được gửi"),
    ("\ufeff<!DOCTYPE html>\n<html><table></table></html>", "thực chất là một trang HTML"),
    ("PK\x03\x04 not really a zip", "không phải tệp Excel (.xlsx) đọc được (tệp hỏng hoặc không phải bảng tính)"),
])
def test_an_xlsx_that_is_really_csv_or_html_is_refused_in_vietnamese(plan, tmp_path, content, expected):
    path = tmp_path / "bieu-mau.xlsx"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SubmissionError) as err:
        _import(path, plan, tmp_path / "store")
    assert expected in str(err.value)
    assert not re.search(r"[A-Z][a-z]+(Error|Exception|File)\b", str(err.value))   # no Python exception name


# -- percentages, held-back slips, precision ---------------------------------------------------------------------
def test_a_percent_indicators_value_cell_is_a_percentage(plan, tmp_path):
    path = write_template(plan, "KTHT", "2026-Q3", tmp_path / "t.xlsx")
    ws = load_workbook(path)[INDICATOR_SHEET]
    formats = {ws[f"A{r}"].value: ws[f"H{r}"].number_format for r in range(9, ws.max_row + 1)}
    assert formats[1] == "#,##0.###" and formats[2] == formats[29] == "0.0#%"
    validation = next(dv for dv in ws.data_validations.dataValidation if str(dv.sqref) == "H14")
    assert (validation.formula1, validation.formula2) == ("0.0", "1.0")         # 0% to 100%
    assert validation.error == "Nhập một số từ 0% đến 100% (gõ kèm dấu %, ví dụ 96%)."


def _csv(tmp_path: Path, rows: list[tuple[int, str, str]], name: str = "q.csv") -> Path:
    lines = ["ward,year,unit_code,indicator,period,value,is_estimate,note"]
    lines += [f"phan-dinh-phung,2026,{plan_unit},{ind},{period},\"{value}\",false," for plan_unit, ind, period, value in rows]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_fraction_typed_for_a_percentage_is_held_back_naming_the_cell_and_the_slip(plan, tmp_path):
    from kehoach.core.errors import OutlierError

    store = ProgressStore(tmp_path / "store")
    path = _csv(tmp_path, [("PVHCC", 9, "2026-Q3", "0,96")])
    with pytest.raises(OutlierError) as err:
        import_file(path, plan, store, today=TODAY, now=NOW)
    assert err.value.problems[0].row == 2 and err.value.problems[0].column == "value"
    assert str(err.value.problems[0]) == (
        "q.csv, dòng 2, cột value: chỉ tiêu (9) kỳ 2026-Q3: 0,96% chỉ bằng khoảng 1/100 kế hoạch năm 100%; "
        "có thể đã gõ 0,96 (tỷ lệ dạng số thập phân) thay vì 96%: sửa ô thành 96% rồi gửi lại")
    assert store.read(plan.ward, plan.year).empty and not list(store.root.rglob("archive/*"))  # nothing stored
    assert import_file(path, plan, store, today=TODAY, now=NOW, accept_outliers=True).indicator_records == 1


def test_a_percentage_about_100_times_under_the_last_value_is_held_back(plan, tmp_path):
    from kehoach.core.errors import OutlierError

    store = ProgressStore(tmp_path / "store")
    import_file(_csv(tmp_path, [("KTHT", 4, "2026-Q2", "10,95")], "q2.csv"), plan, store, today=TODAY, now=NOW)
    with pytest.raises(OutlierError) as err:   # 0,19: 1/58 of the last value, inside the old ×100 limit
        import_file(_csv(tmp_path, [("KTHT", 4, "2026-Q3", "0,19")]), plan, store, today=TODAY, now=NOW)
    assert str(err.value.problems[0]) == (
        "q.csv, dòng 2, cột value: chỉ tiêu (4) kỳ 2026-Q3: 0,19% chỉ bằng 1/58 số báo cáo gần nhất 10,95% "
        "(kỳ 2026-Q2, lần 1); có thể đã gõ 0,19 (tỷ lệ dạng số thập phân) thay vì 19%: sửa ô thành 19% rồi gửi lại")


def test_messages_show_the_figure_at_the_precision_that_shows_the_problem(plan, tmp_path):
    from kehoach.core.errors import OutlierError

    store = ProgressStore(tmp_path / "store")
    import_file(_csv(tmp_path, [("KTHT", 1, "2026-Q2", "0,5")], "q2.csv"), plan, store, today=TODAY, now=NOW)
    with pytest.raises(OutlierError) as err:
        import_file(_csv(tmp_path, [("KTHT", 1, "2026-Q3", "0,003")]), plan, store, today=TODAY, now=NOW)
    assert "chỉ tiêu (1) kỳ 2026-Q3: 0,003 chỉ bằng 1/167 số báo cáo gần nhất 0,5 (kỳ 2026-Q2, lần 1)" in str(err.value)
    with pytest.raises(SubmissionError) as err:
        import_file(_csv(tmp_path, [("KTHT", 29, "2026-Q3", "-0,003")], "neg.csv"), plan, store, today=TODAY, now=NOW)
    assert "chỉ tiêu (29): -0,003% — số liệu không được âm" in str(err.value)


# -- notes stay text; the form prints on A4; every unit's form ---------------------------------------------------
def test_notes_and_free_text_cells_are_text_formatted(plan, tmp_path):
    wb = load_workbook(write_template(plan, "KTHT", "2026-Q3", tmp_path / "t.xlsx"))
    ws, ts = wb[INDICATOR_SHEET], wb[TASK_SHEET]
    assert {ws[f"J{r}"].number_format for r in range(9, ws.max_row + 1)} == {"@"}
    assert {ts[f"E{r}"].number_format for r in range(9, ts.max_row + 1)} == {"@"}
    assert ws["C5"].number_format == "@"


def test_the_form_is_set_up_to_print_on_a4(plan, tmp_path):
    wb = load_workbook(write_template(plan, "KTHT", "2026-Q3", tmp_path / "t.xlsx"))
    for ws, last in ((wb[INDICATOR_SHEET], "J18"), (wb[TASK_SHEET], "E13")):
        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$8:$8"
        assert ws.print_area == f"'{ws.title}'!$A$1:${last[0]}${last[1:]}"
        assert ws.oddHeader.center.text == "Phòng Kinh tế, Hạ tầng và Đô thị phường — 9 tháng năm 2026 (quý III/2026)"
        assert ws.oddFooter.center.text == "Phường Phan Đình Phùng — Trang &P/&N"
        assert ws.row_dimensions[1].height == 24 and ws.row_dimensions[8].height == 45   # the title clear of the line
    names = wb[INDICATOR_SHEET]
    assert names.row_dimensions[16].height > names.row_dimensions[9].height              # a long name's row is taller


def test_a_unit_with_nothing_to_report_gets_a_message_instead_of_a_form(plan, tmp_path, workbench, capsys):
    from kehoach.cli import main
    from kehoach.data.forms import NothingToReportError

    with pytest.raises(NothingToReportError, match="Trung tâm dịch vụ tổng hợp phường \\(DVTH\\) không chủ trì chỉ tiêu "
                                                   "hay nhiệm vụ nào trong Kế hoạch năm 2026"):
        write_template(plan, "DVTH", "2026-Q3", tmp_path / "dvth.xlsx")
    assert not (tmp_path / "dvth.xlsx").exists()
    assert main(["template", "--unit", "DVTH", "--period", "2026-Q3", "-o", str(tmp_path / "d.xlsx")]) != 0
    assert "không có biểu mẫu báo cáo để gửi" in capsys.readouterr().err and not (tmp_path / "d.xlsx").exists()


def test_a_task_only_form_filled_by_openpyxl_imports_empty_and_filled(plan, tmp_path):
    blank = write_template(plan, "VP", "2026-Q3", tmp_path / "vp.xlsx")
    assert _import(blank, plan, tmp_path / "store").summary().endswith("không có gì được ghi.")
    fill_form(blank, {}, {"II.3.1": ("Đang thực hiện", None)})
    assert _import(blank, plan, tmp_path / "store").task_records == 1


# -- LibreOffice headless (slow) ---------------------------------------------------------------------------------
@pytest.mark.slow
@needs_soffice
@pytest.mark.skipif(not UNO_PYTHON.exists() or subprocess.run([str(UNO_PYTHON), "-c", "import uno"],
                                                               capture_output=True).returncode != 0,
                    reason="LibreOffice's Python bridge (python3-uno) is not installed")
def test_round_trip_through_libreoffice_gives_the_same_values_as_openpyxl(plan, tmp_path, by_openpyxl):
    out = tmp_path / "lo"
    proc = subprocess.run([str(UNO_PYTHON), str(FIXTURES / "make_fixtures.py"), str(out)], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("ktht-filled.xlsx", "ktht-filled.ods"):
        _import(out / name, plan, tmp_path / name)
        assert _stored(tmp_path / name) == by_openpyxl, name


def _pdf(source: Path, out: Path) -> Path:
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation={(out / 'profile').as_uri()}", "--convert-to", "pdf",
                    "--outdir", str(out), str(source)], check=True, capture_output=True, timeout=300)
    return out / (source.stem + ".pdf")


@pytest.mark.slow
@needs_soffice
def test_the_form_prints_one_page_wide_in_landscape(plan, tmp_path):
    from pypdf import PdfReader

    form = write_template(plan, "KTHT", "2026-Q3", tmp_path / "bieu-mau.xlsx")
    pages = PdfReader(str(_pdf(form, tmp_path))).pages
    # the indicators and the tasks, a page each, then the unit's words ("Nội dung báo cáo", taller than a page)
    assert len(pages) >= 3
    for page in pages:
        assert float(page.mediabox.width) > float(page.mediabox.height)
        text = re.sub(r"\s+", " ", page.extract_text())
        assert "Phòng Kinh tế, Hạ tầng và Đô thị phường — 9 tháng năm 2026 (quý III/2026)" in text
    first = re.sub(r"\s+", " ", pages[0].extract_text())
    assert all(h in first for h in ("Mã số", "Giá trị kỳ này", "Ghi chú"))   # all ten columns on the page


@pytest.mark.slow
@needs_soffice
def test_the_word_draft_prints_within_two_pages_of_the_html_with_the_phu_luc_whole(runs, tmp_path):
    """The Q3 overview's .docx through LibreOffice headless against its HTML printed by Chromium at A4."""
    import docx
    from pypdf import PdfReader

    from tests.browser import CHROMIUM
    from tests.test_print import ARGS

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    folder = runs[0] / "reports" / "2026-Q3"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_context(java_script_enabled=False).new_page()
        tab.goto((folder / "bao-cao-tong-hop.html").as_uri())
        tab.pdf(path=str(tmp_path / "html.pdf"), prefer_css_page_size=True)
        browser.close()
    html_pages = len(PdfReader(str(tmp_path / "html.pdf")).pages)
    pages = PdfReader(str(_pdf(folder / "bao-cao-tong-hop.docx", tmp_path))).pages
    assert len(pages) <= html_pages + 2, (len(pages), html_pages)
    texts = [re.sub(r"\s+", " ", page.extract_text()) for page in pages]
    start = next(i for i, t in enumerate(texts) if "BIỂU TỔNG HỢP KẾT QUẢ" in t)
    assert texts[start].lstrip(" 0123456789").startswith("PHỤ LỤC")              # on a page of its own
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in pages[start:])   # landscape
    assert all(float(p.mediabox.width) < float(p.mediabox.height) for p in pages[:start])
    # every figure of the phụ lục's table is whole on its pages: a split number would leave its parts instead
    table = next(t for t in docx.Document(folder / "bao-cao-tong-hop.docx").tables
                 if len(t.columns) == 10 and t.cell(0, 2).text == "ĐVT")
    figures = Counter(n for row in table.rows[1:] for cell in row.cells[3:9]
                      for n in re.findall(r"\d+(?:[.,]\d+)+", cell.text))
    printed = Counter(re.findall(r"\d+(?:[.,]\d+)+", " ".join(texts[start:])))
    assert figures and not figures - printed


def test_imported_notes_that_look_like_formulas_stay_text_in_every_spreadsheet_written(plan, tmp_path):
    """The notes typed in LibreOffice ("=1+1 ...", "-2 ...", "+ ...") through the one escaping function."""
    import io

    from kehoach.core import sheets
    from kehoach.explore import exports

    _import(FIXTURES / "ktht-filled.xlsx", plan, tmp_path / "store")
    notes = sorted(n for n in load_progress(root=tmp_path / "store")["note"].tolist()
                   + load_tasks(root=tmp_path / "store")["note"].tolist() if sheets.formula_like(n))
    assert notes == ["+ triển khai phố ẩm thực", "-2 hộ so với quý II", "=1+1 là công thức"]
    frame = pd.DataFrame({"indicator": [1, 2, 3], "label": notes, "unit": ["%"] * 3, "target": [1.0] * 3,
                          "direction_text": ["↑ Càng cao càng tốt"] * 3,
                          "value": [2.0] * 3, "projection": [3.0] * 3, "achievement_pct": [50.0] * 3,
                          "kind_text": ["\t=1+1"] * 3, "status_text": ["a"] * 3, "group_name": ["g"] * 3,
                          "unit_name": ["u"] * 3, "decimals": [0] * 3})
    csv = exports.to_csv(frame).decode("utf-8-sig")
    assert all(f";'{n};" in csv for n in notes) and ";'\t=1+1;" in csv        # the explorer's CSV escapes as sheets does
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(frame, [], illustrative=False, title="T"))).active
    cells = [c for row in sheet.iter_rows() for c in row if sheets.formula_like(c.value)]
    assert len(cells) == 6 and all(c.data_type == "s" and c.quotePrefix for c in cells)
    out = sheets.write_xlsx(pd.DataFrame({"Ghi chú": notes}), tmp_path / "notes.xlsx", "Ghi chú")
    assert [c.value for c in load_workbook(out).active["A"]][1:] == notes


def test_an_amount_about_100_times_the_plans_target_is_held_back(plan, tmp_path):
    from kehoach.core.errors import OutlierError

    with pytest.raises(OutlierError) as err:   # the first figure of the year: thousands typed for millions
        import_file(_csv(tmp_path, [("KTHT", 1, "2026-Q3", "65.214.900")]), plan, ProgressStore(tmp_path / "s"),
                    today=TODAY, now=NOW)
    assert str(err.value.problems[0]) == (
        "q.csv, dòng 2, cột value: chỉ tiêu (1) kỳ 2026-Q3: 65.214.900 triệu đồng gấp khoảng 100 lần kế hoạch năm "
        "869.532 triệu đồng; có thể gõ nhầm đơn vị tính hoặc số chữ số")
