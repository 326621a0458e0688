"""Hostile and careless input, met the way a user meets it: through `kehoach` commands on real files.

Every test case here is an attack (counted in the README's
reliability section). Each must be refused with a clear Vietnamese message, or handled, and
never change a byte of what was stored before. The crash-injection loop is in test_crash.py,
the mail attacks in test_mail.py, the store's round trip in test_store.py.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kehoach.cli import main
from kehoach.data.forms import ACTUAL, ESTIMATE, INDICATOR_SHEET, TASK_SHEET, fill_form, write_template
from kehoach.data.store import ProgressStore
from tests.conftest import PLAN_FILE, PROJECT
from tests.helpers import one_revision_per_key_broken, snapshot

CSV_HEADER = "ward,year,unit_code,indicator,period,value,is_estimate,note,task,status\n"
ROW = "phan-dinh-phung,2026,{unit},{ind},2026-Q3,{value},false,{note},,\n"
KEHOACH = [sys.executable, "-m", "kehoach.cli"]


@pytest.fixture
def wb(workbench, tmp_path, capsys):
    """A workbench whose store already holds one import (so "nothing changed" is checked against real data)."""
    seed = tmp_path / "seed.csv"
    seed.write_text(CSV_HEADER + ROW.format(unit="PVHCC", ind=9, value="\"98,4\"", note="hạt giống"), encoding="utf-8")
    assert main(["import", str(seed)]) == 0
    capsys.readouterr()
    return workbench


def store_of(root: Path) -> ProgressStore:
    return ProgressStore(root / "data" / "progress")


def refused(root: Path, capsys, argv: list[str], *expected: str, code: int = 1) -> str:
    """Run a command that must be refused: exit code, every expected fragment in stderr, the store unchanged."""
    before = snapshot(store_of(root))
    assert main(argv) == code
    out = capsys.readouterr()
    for fragment in expected:
        assert fragment in out.err, out.err
    assert "Traceback" not in out.err + out.out
    assert snapshot(store_of(root)) == before
    return out.err


def form(tmp_path: Path, unit: str, period: str, values: dict, name: str | None = None, tasks: dict | None = None) -> Path:
    from kehoach.data.plan import load_plan

    path = write_template(load_plan(PLAN_FILE), unit, period, tmp_path / (name or f"{unit}_{period}.xlsx"))
    fill_form(path, values, tasks)
    return path


# -- 3, 4, 15: CSV that does not parse cleanly, huge notes -------------------------------------------------
def test_unterminated_quote_is_refused_with_its_line(wb, tmp_path, capsys):
    path = tmp_path / "quote.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note='"bắt đầu trích dẫn')
                    + ROW.format(unit="KTHT", ind=2, value="71,8", note="x"), encoding="utf-8")
    refused(wb, capsys, ["import", str(path)],
            "quote.csv, dòng 2: tệp CSV sai cú pháp từ dòng 2 (unexpected end of data): thường do một dấu ngoặc kép (\") "
            "không được đóng; sửa dòng đó rồi nhập lại")


def test_stray_quote_inside_a_field_is_refused(wb, tmp_path, capsys):
    path = tmp_path / "stray.csv"
    path.write_text(CSV_HEADER + 'phan-dinh-phung,2026,KTHT,1,2026-Q3,652149,false,"a"b,,\n', encoding="utf-8")
    refused(wb, capsys, ["import", str(path)], "stray.csv, dòng 2: tệp CSV sai cú pháp từ dòng 2 (',' expected after '\"')")


@pytest.mark.parametrize("row, count", [("phan-dinh-phung,2026,KTHT,1,2026-Q3,652149\n", 6),
                                        ("phan-dinh-phung,2026,KTHT,1,2026-Q3,652149,false,,,,extra\n", 11)])
def test_short_and_long_rows_are_refused(wb, tmp_path, capsys, row, count):
    path = tmp_path / "rows.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=2, value="70", note="") + row, encoding="utf-8")
    refused(wb, capsys, ["import", str(path)], f"rows.csv, dòng 3: dòng có {count} cột, tiêu đề có 10 cột; thiếu hoặc thừa dấu phẩy")


def test_five_megabyte_note_is_refused_clearly(wb, tmp_path, capsys):
    path = tmp_path / "note.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note="x" * 5_000_000), encoding="utf-8")
    refused(wb, capsys, ["import", str(path)], "note.csv, dòng 2: có một ô quá dài (hơn 131.072 ký tự); ghi chú tối đa 2.000 ký tự")


def test_note_over_the_cap_is_refused_in_csv_and_form(wb, tmp_path, capsys):
    path = tmp_path / "long.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note="y" * 2001), encoding="utf-8")
    refused(wb, capsys, ["import", str(path)], "long.csv, dòng 2, cột note: ghi chú dài 2.001 ký tự, tối đa 2.000 ký tự; rút gọn ghi chú")
    xlsx = form(tmp_path, "KTHT", "2026-Q3", {1: (652149, ACTUAL, "z" * 2001)})
    refused(wb, capsys, ["import", str(xlsx)], "sheet “Chỉ tiêu”, dòng 9, cột J: ghi chú dài 2.001 ký tự")


def test_multiline_quoted_notes_are_kept_and_everything_still_works(wb, tmp_path, capsys):
    path = tmp_path / "multi.csv"
    note = '"Dòng một\nDòng hai, có ""trích dẫn""\nDòng ba"'
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=note), encoding="utf-8")
    assert main(["import", str(path)]) == 0
    assert main(["history", "--indicator", "1"]) == 0
    assert main(["status", "--period", "2026-Q3"]) == 0
    out = capsys.readouterr().out
    assert 'tệp multi.csv — Dòng một\\nDòng hai, có "trích dẫn"\\nDòng ba' in out  # one line on screen


# -- 5: duplicates -------------------------------------------------------------------------------------------
def test_duplicate_task_rows_are_refused(wb, tmp_path, capsys):
    path = form(tmp_path, "KTHT", "2026-Q3", {}, tasks={"II.1.1": ("Hoàn thành", None), "II.1.2": ("Chưa triển khai", None)})
    book = load_workbook(path)
    book[TASK_SHEET]["A10"] = "II.1.1"  # the same task twice: done and not started
    book.save(path)
    refused(wb, capsys, ["import", str(path)],
            "sheet “Nhiệm vụ”, dòng 10, cột A: nhiệm vụ II.1.1 xuất hiện hai lần (dòng 9 và dòng 10); chỉ giữ một dòng")
    csv = tmp_path / "tasks.csv"
    csv.write_text(CSV_HEADER + "phan-dinh-phung,2026,KTHT,,2026-Q3,,,,II.1.1,Hoàn thành\n"
                   "phan-dinh-phung,2026,KTHT,,2026-Q3,,,,II.1.1,Chưa triển khai\n", encoding="utf-8")
    refused(wb, capsys, ["import", str(csv)], "tasks.csv, dòng 3, cột task: nhiệm vụ II.1.1 xuất hiện hai lần (dòng 2 và dòng 3)")


# -- 9: forged submission times --------------------------------------------------------------------------------
def test_a_csv_cannot_forge_its_submission_time(wb, tmp_path, capsys):
    path = tmp_path / "forged.csv"
    path.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note,submitted_at\n"
                    "phan-dinh-phung,2026,KTHT,1,2026-Q3,652149,false,,1999-01-01T08:00:00+07:00\n", encoding="utf-8")
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert ("  Lưu ý: cột submitted_at trong tệp không được dùng: thời điểm gửi là lúc nhập; để ghi ngày gửi khác, "
            "dùng --submitted-at NGÀY") in out
    stored = store_of(wb).read().set_index("indicator").loc[1]
    assert stored["submitted_at"].year == dt.datetime.now().year and stored["submitted_at_source"] == "import"
    assert main(["status", "--period", "2026-Q3"]) == 0
    assert "01/01/1999" not in capsys.readouterr().out


@pytest.mark.parametrize("date, expected", [
    ("01/01/2099", "ngày gửi --submitted-at 01/01/2099 ở tương lai; nhập ngày đơn vị thực sự gửi báo cáo"),
    ("01/01/1999", "ngày gửi --submitted-at 01/01/1999 trước khi kỳ 2026-Q3 bắt đầu (01/07/2026); kiểm tra lại ngày"),
])
def test_backfilled_dates_are_checked(wb, tmp_path, capsys, date, expected):
    path = tmp_path / "late.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=""), encoding="utf-8")
    refused(wb, capsys, ["import", "--submitted-at", date, str(path)], f"late.csv: {expected}")


def test_backfilled_date_is_marked_in_history(wb, tmp_path, capsys):
    path = tmp_path / "backfill.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=""), encoding="utf-8")
    assert main(["import", "--submitted-at", "2026-10-03", str(path)]) == 0
    assert main(["history", "--indicator", "1"]) == 0
    assert ("2026-Q3 lần 1: 652.149 triệu đồng (thực hiện), KTHT gửi 03/10/2026 (ngày gửi do văn phòng nhập tay), "
            "tệp backfill.csv") in capsys.readouterr().out
    assert store_of(wb).read().set_index("indicator").loc[1, "submitted_at_source"] == "manual"


def test_bad_date_option_is_a_usage_error(wb, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["import", "--submitted-at", "hôm qua", "x.csv"])
    assert exit_.value.code == 2
    assert "Lỗi cú pháp lệnh: tùy chọn --submitted-at: “hôm qua” không phải ngày; viết 03/10/2026 hoặc 2026-10-03" in capsys.readouterr().err


# -- 10: the visible form must agree with _meta -------------------------------------------------------------------
def _edit_meta(path: Path, key: str, value: str) -> None:
    book = load_workbook(path)
    for row in book["_meta"].iter_rows():
        if row[0].value == key:
            row[1].value = value
    book.save(path)


def test_meta_period_edited_under_a_q4_header_is_refused(wb, tmp_path, capsys):
    path = form(tmp_path, "KTHT", "2026-Q4", {1: (869532, ACTUAL, None)})
    _edit_meta(path, "period", "2026-Q3")
    refused(wb, capsys, ["import", str(path)],
            "sheet “Chỉ tiêu”, dòng 3, cột A: tiêu đề biểu mẫu ghi “Đơn vị báo cáo: Phòng Kinh tế, Hạ tầng và Đô thị phường — "
            "Kỳ báo cáo: năm 2026 (quý IV/2026)”, khác với thông tin của biểu mẫu (đơn vị KTHT, kỳ 2026-Q3",
            "biểu mẫu đã bị sửa, hãy tạo lại bằng `kehoach template --unit KTHT --period 2026-Q3`")


def test_meta_unit_edited_is_refused(wb, tmp_path, capsys):
    path = form(tmp_path, "KTHT", "2026-Q3", {1: (652149, ACTUAL, None)})
    _edit_meta(path, "unit", "VHXH")
    refused(wb, capsys, ["import", str(path)], "dòng 3, cột A: tiêu đề biểu mẫu ghi “Đơn vị báo cáo: Phòng Kinh tế")


def test_real_form_cannot_pass_as_illustrative(wb, tmp_path, capsys):
    path = form(tmp_path, "KTHT", "2026-Q3", {1: (652149, ACTUAL, None)})
    _edit_meta(path, "illustrative", "yes")  # would let `sample-data --force` delete it
    refused(wb, capsys, ["import", str(path)], "dòng 7, cột A: dòng “Số liệu minh họa” của biểu mẫu không khớp")


# -- 11: escape codes on the terminal ---------------------------------------------------------------------------
def test_escape_codes_in_notes_and_names_are_shown_escaped(wb, tmp_path, capsys):
    path = tmp_path / "esc\x1b[31m.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note="\x1b[2J\x1b]0;pwned\x07 xoá\u202emàn"),
                    encoding="utf-8")
    assert main(["import", str(path)]) == 0
    assert main(["history", "--indicator", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "esc\\x1b[31m.csv: đã nhập 1 số liệu chỉ tiêu" in out
    assert "— [2J]0;pwned xoámàn" in out  # the note's controls were stripped at the import (and said so)
    assert "đã bỏ 4 ký tự điều khiển" in out


# -- 12: zip and XML bombs, answered within 5 s and 300 MB -------------------------------------------------------
def _rewrite(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            change(zout, info.filename, zin.read(info.filename))
    return dst


def bomb_gigabyte(base: Path, dst: Path) -> Path:
    """~1 MB on disk, 1 GB of spaces inside the sheet once inflated."""
    def change(zout, name, data):
        if name != "xl/worksheets/sheet1.xml":
            return zout.writestr(name, data)
        head, _ = data.split(b"</worksheet>")
        with zout.open(name, "w", force_zip64=True) as out:
            out.write(head + b"<!--")
            block = b" " * (1 << 20)
            for _ in range(1024):
                out.write(block)
            out.write(b"--></worksheet>")
    return _rewrite(base, dst, change)


def bomb_lying_sizes(base: Path, dst: Path) -> Path:
    """The sizes recorded in the archive claim a 20 KB sheet; its data inflates to 200 MB."""
    import struct

    def change(zout, name, data):
        if name != "xl/worksheets/sheet1.xml":
            return zout.writestr(name, data)
        head, _ = data.split(b"</worksheet>")
        with zout.open(name, "w") as out:
            out.write(head + b"<!--")
            for _ in range(200):
                out.write(b" " * (1 << 20))
            out.write(b"--></worksheet>")
    _rewrite(base, dst, change)
    data = bytearray(dst.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        at = 0
        while (at := data.find(signature, at)) >= 0:
            name_len = struct.unpack_from("<H", data, at + (26 if signature == b"PK\x03\x04" else 28))[0]
            start = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[start:start + name_len] == name:
                struct.pack_into("<I", data, at + size_at, 20_000)
            at += 4
    dst.write_bytes(bytes(data))
    return dst


def far_cell(base: Path, dst: Path, dimension: bool) -> Path:
    def change(zout, name, data):
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="B1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
            data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:J1048576"/>' if dimension else b"", data)
        zout.writestr(name, data)
    return _rewrite(base, dst, change)


def many_cells(base: Path, dst: Path) -> Path:
    cells = b"".join(b'<c r="K%d"><v>1</v></c>' % 20 for _ in range(50_000))
    def change(zout, name, data):
        if name == "xl/worksheets/sheet1.xml":
            data = data.replace(b"</sheetData>", b'<row r="20">' + cells + b"</row></sheetData>")
        zout.writestr(name, data)
    return _rewrite(base, dst, change)


def entity_bomb(base: Path, dst: Path) -> Path:
    lol = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + b"]>"
    def change(zout, name, data):
        if name == "xl/worksheets/sheet1.xml":
            data = lol + data.replace("Mã số".encode(), b"&lol9;", 1)
        zout.writestr(name, data)
    return _rewrite(base, dst, change)


BOMBS = {
    "bomb-1gb.xlsx": (bomb_gigabyte, "giải nén ra 1.024"),
    "lying-sizes.xlsx": (bomb_lying_sizes, "không phải tệp Excel (.xlsx) đọc được"),
    "far-cell.xlsx": (lambda b, d: far_cell(b, d, True), "vùng dữ liệu tới ô J1048576"),
    "far-cell-nodim.xlsx": (lambda b, d: far_cell(b, d, False), "dòng cuối 1.048.576"),
    "many-cells.xlsx": (many_cells, "50.118 ô"),
    "entities.xlsx": (entity_bomb, "không phải tệp Excel (.xlsx) đọc được"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_hostile_workbooks_are_refused_fast_and_small(wb, tmp_path, name):
    base = form(tmp_path, "KTHT", "2026-Q3", {1: (652149, ACTUAL, None)}, name="base.xlsx")
    build, expected = BOMBS[name]
    path = build(base, tmp_path / name)
    before = snapshot(store_of(wb))
    # CPU seconds (user + system) rather than wall time: the machine is shared, and a wall clock would measure the others
    code = ("import resource, subprocess, sys; "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(p.returncode, round(u.ru_utime + u.ru_stime, 2), u.ru_maxrss); print(p.stderr)")
    run = subprocess.run([sys.executable, "-c", code, *KEHOACH, "import", str(path)], capture_output=True, text=True,
                         env=os.environ | {"KEHOACH_ROOT": str(wb)}, cwd=PROJECT, timeout=60)
    first, _, stderr = run.stdout.partition("\n")
    status, seconds, max_kb = first.split()
    assert status == "1", run.stdout
    assert f"✗ {name}: Tệp bị từ chối, không có số liệu nào được ghi" in stderr and expected in stderr, stderr
    assert float(seconds) < 5 and int(max_kb) < 300 * 1024, (seconds, max_kb)
    assert snapshot(store_of(wb)) == before


def test_defusedxml_is_what_openpyxl_uses():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


# -- 14: huge numbers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("indicator, value, row", [(1, 1e30, 9), (29, 1e30, 14), (1, -1e30, 9), (1, 1e16, 9)])
def test_huge_numbers_are_refused_with_the_cell(wb, tmp_path, capsys, indicator, value, row):
    path = form(tmp_path, "KTHT", "2026-Q3", {indicator: (value, ACTUAL, None)})
    from kehoach.core.formatting import fmt_number

    text = fmt_number(value)
    expected = (f"dòng {row}, cột H: chỉ tiêu ({indicator}): {text} — "
                + ("giá trị quá lớn (tối đa 1.000.000.000.000.000)" if abs(value) > 1e15 else ""))
    refused(wb, capsys, ["import", str(path)], expected)
    assert main(["status", "--period", "2026-Q3"]) == 0 and main(["history", "--indicator", str(indicator)]) == 0


# -- 16 (in-process part): SIGTERM is handled like Ctrl-C; a full disk loses nothing ---------------------------------
def test_full_disk_during_the_write_loses_nothing(wb, tmp_path, capsys, monkeypatch):
    import kehoach.core.files as files

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    path = tmp_path / "ok.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=""), encoding="utf-8")
    err = refused(wb, capsys, ["import", str(path)], "Lỗi: Không thực hiện được thao tác với tệp: ổ đĩa đã đầy; "
                  "giải phóng dung lượng rồi chạy lại (dữ liệu đã lưu không bị thay đổi).")
    assert "Chi tiết kỹ thuật ghi tại" in err
    assert not list((wb / "data" / "progress").rglob("*.tmp"))


# -- 17: no tracebacks ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("period, expected", [
    ("0000-Q1", "Lỗi: Kỳ báo cáo “0000-Q1” có năm 0 ngoài khoảng 1900–2100; kiểm tra lại năm (ví dụ 2026-Q3).\n"),
    ("9999-Q4", "Lỗi: Kỳ báo cáo “9999-Q4” có năm 9999 ngoài khoảng 1900–2100; kiểm tra lại năm (ví dụ 2026-Q3).\n"),
    ("2026-Q5", "Lỗi: Kỳ báo cáo “2026-Q5” không hợp lệ; viết theo dạng 2026-Q3 (năm-quý).\n"),
])
@pytest.mark.parametrize("command", ["status", "template"])
def test_impossible_periods_are_usage_errors(wb, capsys, command, period, expected):
    argv = [command, "--period", period] + (["--unit", "KTHT"] if command == "template" else [])
    assert main(argv) == 2
    assert capsys.readouterr().err == expected


def test_template_to_an_unwritable_place(wb, capsys):
    err = refused(wb, capsys, ["template", "--unit", "KTHT", "--period", "2026-Q3", "-o", "/proc/x.xlsx"],
                  "Lỗi: Không thực hiện được thao tác với tệp /proc/x.xlsx: ")
    assert err.splitlines()[0].endswith("; chạy lại với -v để xem.")


def test_a_232_character_file_name_imports(wb, tmp_path, capsys):
    name = "bao-cao-" + "a" * 220 + ".csv"
    assert len(name) == 232
    path = tmp_path / name
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=""), encoding="utf-8")
    assert main(["import", str(path)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    archived = [p.name for p in (wb / "data" / "progress" / "phan-dinh-phung" / "2026" / "archive").glob("*_bao-cao-*")
                if not p.name.endswith(".import.json")]
    assert len(archived) == 1 and len(archived[0]) == 16 + 1 + 120 and archived[0].endswith("aaa.csv")
    assert store_of(wb).read()["source_file"].tolist()[-1] == name


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_plan_and_parameters_saved_as_utf16_are_read(wb, capsys, encoding):
    plan = wb / "data" / "plan" / PLAN_FILE.name
    plan.write_bytes(PLAN_FILE.read_text(encoding="utf-8").encode(encoding) if encoding != "utf-16-be"
                     else b"\xfe\xff" + PLAN_FILE.read_text(encoding="utf-8").encode("utf-16-be"))
    params = wb / "parameters" / "2026-Q3.yaml"
    text = (PROJECT / "parameters" / "2026-Q3.yaml").read_text(encoding="utf-8")
    params.write_bytes(text.encode("utf-16") if encoding == "utf-16" else text.encode("utf-8-sig"))
    assert main(["status", "--period", "2026-Q3"]) == 0
    assert "Tình hình gửi báo cáo 9 tháng năm 2026 (hạn gửi " in capsys.readouterr().out


def test_utf16_without_bom_is_a_clear_error(wb, capsys):
    plan = wb / "data" / "plan" / PLAN_FILE.name
    plan.write_bytes(PLAN_FILE.read_text(encoding="utf-8").encode("utf-16-le"))
    refused(wb, capsys, ["plan", "show"], f"Lỗi: {plan}: tệp kế hoạch có vẻ mã hóa UTF-16 nhưng không có BOM. "
                                          "Mở tệp và lưu lại với mã hóa UTF-8.")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else False, reason="root ignores file permissions")
def test_read_only_store(wb, tmp_path, capsys):  # pragma: no cover - CI runs as root
    folder = wb / "data" / "progress" / "phan-dinh-phung" / "2026"
    os.chmod(folder, 0o555)
    try:
        path = tmp_path / "ok.csv"
        path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=""), encoding="utf-8")
        refused(wb, capsys, ["import", str(path)], "không có quyền ghi hoặc đọc; kiểm tra quyền của thư mục/tệp")
    finally:
        os.chmod(folder, 0o755)


def test_read_only_store_even_as_root(wb, tmp_path, capsys, monkeypatch):
    """Root ignores permission bits; the same error path is driven by the OS error a read-only mount gives."""
    import kehoach.core.files as files

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(wb / "data" / "progress"))

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    path = tmp_path / "ok.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=""), encoding="utf-8")
    refused(wb, capsys, ["import", str(path)], f"Không thực hiện được thao tác với tệp {wb / 'data' / 'progress'}: "
                                               "thư mục chỉ đọc; chọn thư mục khác hoặc cấp quyền ghi.")


def test_unexpected_error_goes_to_the_log_and_shows_with_v(wb, capsys, monkeypatch, tmp_path):
    import kehoach.cli as cli

    log = tmp_path / "errors.log"
    monkeypatch.setenv("KEHOACH_ERROR_LOG", str(log))

    def boom(args):
        raise ZeroDivisionError("chia cho 0")

    monkeypatch.setattr(cli, "_plan_show", boom)
    assert main(["plan", "show"]) == 1
    err = capsys.readouterr().err
    assert err == (f"Lỗi không mong đợi (ZeroDivisionError: chia cho 0). Dữ liệu đã lưu không bị thay đổi. Chạy lại lệnh; "
                   "nếu vẫn lỗi, gửi tệp nhật ký dưới đây cho người quản trị kehoach kèm lệnh đã chạy. "
                   f"Chi tiết kỹ thuật ghi tại {log}; chạy lại với -v để xem.\n")
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8") and "ZeroDivisionError" in log.read_text(encoding="utf-8")
    assert main(["-v", "plan", "show"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_sigterm_is_handled_like_ctrl_c(wb, tmp_path):
    """A SIGTERM'd command says so, exits 143, and leaves no temporary file or held lock."""
    slow = tmp_path / "slow.py"
    slow.write_text("import sys\nimport kehoach.cli as cli\n"
                    "def _slow(args):\n    print('ready', flush=True)\n    sys.stdin.read()\n"
                    "cli._plan_show = _slow\nsys.exit(cli.main(['plan', 'show']))\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(slow)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ | {"KEHOACH_ROOT": str(wb)}, cwd=PROJECT)
    assert proc.stdout.readline().strip() == "ready"
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert err == "Đã dừng (SIGTERM); dữ liệu đã lưu không bị thay đổi, tệp tạm đã được dọn.\n"


# -- 18: unclear messages ---------------------------------------------------------------------------------------------
def test_import_of_several_files_is_all_or_nothing_per_file(wb, tmp_path, capsys):
    good = form(tmp_path, "KTHT", "2026-Q3", {1: (652149, ESTIMATE, None)}, name="good.xlsx")
    bad = form(tmp_path, "VHXH", "2026-Q3", {15: ("nhiều", ACTUAL, None), 18: (3280, ACTUAL, None)}, name="bad.xlsx")
    good2 = form(tmp_path, "PVHCC", "2026-Q3", {10: (100, ACTUAL, None)}, name="good2.xlsx")
    assert main(["import", str(good), str(bad), str(good2)]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("✓ good.xlsx: đã nhập 1 số liệu chỉ tiêu")
    assert "✓ good2.xlsx: đã nhập 1 số liệu chỉ tiêu" in out.out
    assert out.err.startswith("✗ bad.xlsx: Tệp bị từ chối, không có số liệu nào được ghi (1 lỗi):\n"
                              "  - bad.xlsx, sheet “Chỉ tiêu”, dòng 13, cột H: chỉ tiêu (15): giá trị “nhiều” không phải là số")
    assert out.err.endswith("Kết quả: 2 tệp đã nhập, 1 tệp bị từ chối (tệp bị từ chối không ghi gì; "
                            "sửa rồi nhập lại riêng tệp đó).\n")
    stored = store_of(wb).read()
    assert set(stored["source_file"]) == {"seed.csv", "good.xlsx", "good2.xlsx"}  # nothing of bad.xlsx, not even 18


def test_formula_without_saved_result(wb, tmp_path, capsys):
    path = form(tmp_path, "KTHT", "2026-Q3", {1: ("=400000+252149", ACTUAL, None)})  # openpyxl saves no cached result
    refused(wb, capsys, ["import", str(path)],
            "sheet “Chỉ tiêu”, dòng 9, cột H: ô chứa công thức nhưng chưa có kết quả được lưu (tệp không được lưu bằng Excel); "
            "mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi gửi, hoặc gõ thẳng giá trị vào ô")


@pytest.mark.parametrize("argv, code, expected", [
    (["status", "--period", "1999-Q1"], 2, "Lỗi: Kỳ 1999-Q1 nằm ngoài năm kế hoạch 2026 (nhận các quý năm 2026 và năm 2025 "
                                            "để so sánh); không có số liệu nào được nhận cho kỳ này. Kiểm tra lại --period.\n"),
    (["template", "--unit", "KTHT", "--period", "2024-Q1"], 2, "Lỗi: Kỳ 2024-Q1 nằm ngoài năm kế hoạch 2026 (nhận các quý "
                                                                "năm 2026 và năm 2025 để so sánh); biểu mẫu cho kỳ này sẽ bị từ "
                                                                "chối khi nhập. Kiểm tra lại --period.\n"),
    (["template", "--unit", "KTHT", "--period", "2025-Q3"], 0, "Lưu ý: kỳ 2025-Q3 thuộc năm 2025, trước năm kế hoạch 2026; "
                                                                "số liệu kỳ này chỉ dùng để so sánh cùng kỳ.\n"),
])
def test_periods_outside_the_plan_year_are_refused(wb, capsys, monkeypatch, tmp_path, argv, code, expected):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    assert capsys.readouterr().err == expected
    assert list(tmp_path.glob("*.xlsx")) == ([] if code else [tmp_path / "bieu-bao-cao_KTHT_2025-Q3.xlsx"])


def test_outliers_need_confirmation(wb, tmp_path, capsys):
    first = tmp_path / "q2.csv"
    first.write_text(CSV_HEADER.replace("2026-Q3", "") + ROW.format(unit="KTHT", ind=1, value="455310", note="").replace(
        "2026-Q3", "2026-Q2"), encoding="utf-8")
    assert main(["import", str(first)]) == 0
    typo = tmp_path / "q3.csv"  # "652,149" read as 652.149: the unit meant thousands
    typo.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value='"652,149"', note=""), encoding="utf-8")
    refused(wb, capsys, ["import", str(typo)],
            "✗ q3.csv: Tệp chưa được nhập: 1 giá trị chênh lệch bất thường so với số báo cáo gần nhất hoặc kế hoạch "
            "(gấp khoảng 100 lần trở lên, hoặc chỉ khoảng 1/100 trở xuống):\n"
            "  - q3.csv, dòng 2, cột value: chỉ tiêu (1) kỳ 2026-Q3: 652,149 chỉ bằng 1/698 số báo cáo gần nhất 455.310 (kỳ 2026-Q2, lần 1)\n"
            "Kiểm tra lại đơn vị tính với đơn vị báo cáo; nếu số liệu đúng, nhập lại với tùy chọn --accept-outliers.")
    assert main(["import", "--accept-outliers", str(typo)]) == 0


# -- 19: formula injection in exported spreadsheets --------------------------------------------------------------------
def test_exports_write_formula_like_text_as_text(tmp_path):
    import pandas as pd

    from kehoach.core.sheets import write_csv, write_xlsx

    frame = pd.DataFrame({"Ghi chú": ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1", "-2+3", "@SUM(A1)", "bình thường"],
                          "Số": [1, 2, 3, 4, 5]})
    xlsx = write_xlsx(frame, tmp_path / "x.xlsx", "Chỉ tiêu")
    ws = load_workbook(xlsx)["Chỉ tiêu"]
    cells = [ws.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.data_type for c in cells] == ["s"] * 5
    assert cells[0].value == "=HYPERLINK(\"http://evil.example\",\"x\")" and cells[0].quotePrefix
    with zipfile.ZipFile(xlsx) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    csv = write_csv(frame, tmp_path / "x.csv")
    lines = csv.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[2] == "'+1,2" and lines[5] == "bình thường,5"


def test_template_writes_plan_text_as_text(tmp_path):
    import yaml

    from kehoach.data.plan import load_plan

    raw = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    raw["indicators"][0]["name"] = "=cmd|' /C calc'!A0"
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = write_template(load_plan(path), "KTHT", "2026-Q3", tmp_path / "t.xlsx")
    cell = load_workbook(out)[INDICATOR_SHEET]["B9"]
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"
    with zipfile.ZipFile(out) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_explorer_export_is_formula_safe():
    import io

    import pandas as pd

    from kehoach.explore import exports

    frame = pd.DataFrame({"indicator": [1, 2], "label": ["=cmd|' /C calc'!A0", "@SUM(A1)"], "unit": ["%", "%"],
                          "direction_text": ["↑ Càng cao càng tốt", "↓ Càng thấp càng tốt"], "target": [1.0, 2.0], "value": [2.0, 3.0], "projection": [3.0, 4.0], "achievement_pct": [50.0, 60.0],
                          "kind_text": ["x", "y"], "status_text": ["a", "b"], "group_name": ["g", "g"], "unit_name": ["u", "u"],
                          "decimals": [0, 0]})
    csv = exports.to_csv(frame).decode("utf-8-sig")
    assert ";'=cmd|' /C calc'!A0;" in csv and ";'@SUM(A1);" in csv
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(frame, [("Nhóm", "+1")], illustrative=True, title="T"))).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value in ("=cmd|' /C calc'!A0", "@SUM(A1)", "+1")]
    assert len(cells) == 3 and all(c.data_type == "s" for c in cells)


def test_unknown_indicator_is_a_usage_error(wb, capsys):
    assert main(["history", "--indicator", "99"]) == 2
    assert capsys.readouterr().err == ("Lỗi: Không có chỉ tiêu (99) trong kế hoạch năm 2026; các chỉ tiêu từ (1) đến (36) "
                                       "(xem `kehoach plan show`).\n")


def test_a_huge_file_is_refused_before_it_is_read(wb, tmp_path, capsys):
    path = tmp_path / "khong-lo.xlsx"
    with path.open("wb") as handle:  # sparse: 30 MB that take no disk
        handle.truncate(30 * 1024 * 1024)
    refused(wb, capsys, ["import", str(path)], f"{path}: tệp quá lớn (30 MB, tối đa 20 MB), không phải một báo cáo của đơn vị")


@pytest.mark.parametrize("text", ["=1+1", " =1+1", "\n=1+1", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠SUM(A1)", "@A1", "-2+3"])
def test_every_formula_form_is_escaped_in_one_place(text, tmp_path):
    import pandas as pd

    from kehoach.core.sheets import formula_like, write_csv

    assert formula_like(text)
    csv = write_csv(pd.DataFrame({"Ghi chú": [text]}), tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    assert csv.split("\n", 1)[1].lstrip('"').startswith("'")


def test_no_writer_writes_a_cell_around_the_escaping_function():
    """Every spreadsheet writer outside the explorer goes through kehoach.core.sheets (ws.cell(..., value=) or
    ws["A1"] = or ws.append bypass it)."""
    import re

    offenders = []
    for path in (PROJECT / "kehoach").rglob("*.py"):
        if path.parts[-2] in ("explore",) or path.name == "sheets.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\b(ws|ts)\[[^]]+\]\s*=[^=]|\.cell\([^)]*value=|\b(ws|meta|sheet|ts)\.append\(", line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


# -- legacy encodings (CSV imports) -----------------------------------------------------------------------------------
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: precomposed base letters, tone marks as combining characters."""
    import unicodedata

    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return out


def test_windows_1258_csv_is_converted_and_said(wb, tmp_path, capsys):
    note = "Ước thực hiện quý này đạt kế hoạch; tăng trưởng ổn định so với cùng kỳ"
    path = tmp_path / "cp1258.csv"
    path.write_bytes(_cp1258(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note=note)))
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Lưu ý: tệp CSV mã hóa cp1258 (Windows-1258, tiếng Việt), đã chuyển sang UTF-8" in out
    assert store_of(wb).read()["note"].tolist()[-1] == note  # NFC, as typed


def test_csv_in_another_encoding_is_refused_naming_it(wb, tmp_path, capsys):
    path = tmp_path / "gb.csv"
    path.write_bytes((CSV_HEADER + ROW.format(unit="KTHT", ind=1, value="652149", note="本季度完成计划，增长稳定。" * 4)).encode("gb18030"))
    err = refused(wb, capsys, ["import", str(path)], "gb.csv: tệp CSV tệp không phải UTF-8 (mã hóa có vẻ là ")
    assert "mở tệp và lưu lại với mã hóa UTF-8 (Excel: Lưu thành → CSV UTF-8)" in err


# -- the store under attack: concurrent imports and readers, a real full disk ---------------------------------------------
def _row_csv(folder: Path, i: int) -> Path:
    path = folder / f"c{i}.csv"
    path.write_text(CSV_HEADER + ROW.format(unit="KTHT", ind=1, value=str(650000 + i), note=f"lần {i}"), encoding="utf-8")
    return path


def test_concurrent_imports_and_readers(wb, tmp_path):
    """Four imports at once while a reader takes snapshots: each import is stored whole or refused as busy,
    revisions stay unique, and every snapshot's checksum is of exactly the records it returned."""
    import hashlib
    import threading

    import pyarrow as pa

    from kehoach.data.store import _SCHEMA, canonical_bytes

    store = store_of(wb)
    base = len(store.read())
    env = os.environ | {"KEHOACH_ROOT": str(wb)}
    procs = [subprocess.Popen(KEHOACH + ["import", str(_row_csv(tmp_path, i))], cwd=PROJECT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    seen, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            snap = store.snapshot("phan-dinh-phung", 2026)
            table = pa.Table.from_pandas(snap.records, schema=_SCHEMA, preserve_index=False)
            seen.append((len(snap.records), snap.sha256 == hashlib.sha256(canonical_bytes(table)).hexdigest()))

    thread = threading.Thread(target=reader)
    thread.start()
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    stop.set()
    thread.join()
    stored = sum(1 for code, _ in results if code == 0)
    for code, err in results:
        assert code == 0 or "Một lệnh nhập khác đang ghi vào số liệu phan-dinh-phung/2026" in err, err
    assert stored >= 1 and len(store.read()) == base + stored
    records = store.read()
    assert not one_revision_per_key_broken(records)
    assert seen and all(ok for _, ok in seen) and {n for n, _ in seen} <= set(range(base, base + stored + 1))


@pytest.fixture
def tiny_disk(tmp_path):
    """A 3 MB tmpfs (needs root and mount rights; skipped where the container forbids it)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_never_loses_or_half_writes(tiny_disk, tmp_path, capsys, monkeypatch):
    """A real full disk at many fill levels: each import is stored whole, or refused saying the disk is full with the
    store unchanged; once space is freed, the import goes through."""
    import shutil

    root = tiny_disk / "wb"
    (root / "data" / "plan").mkdir(parents=True)
    shutil.copy(PLAN_FILE, root / "data" / "plan")
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    assert main(["import", str(_row_csv(tmp_path, 0))]) == 0
    store = store_of(root)
    filler = tiny_disk / "filler"
    refusals = 0
    for i, free_kb in enumerate((0, 4, 8, 16, 24, 32, 48, 64, 96, 128), start=1):
        filler.unlink(missing_ok=True)
        before, rows = store.snapshot("phan-dinh-phung", 2026).sha256, len(store.read())
        docs = sorted(p.name for p in root.rglob("*.import.json"))
        left = shutil.disk_usage(tiny_disk).free - free_kb * 1024
        fd = os.open(filler, os.O_CREAT | os.O_WRONLY)
        try:
            if left > 0:
                os.posix_fallocate(fd, 0, left)
        finally:
            os.close(fd)
        capsys.readouterr()
        code = main(["import", str(_row_csv(tmp_path, i))])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        if code == 0:
            filler.unlink()
            assert len(store.read()) == rows + 1
        else:
            refusals += 1
            assert "ổ đĩa đã đầy" in out.err, out.err
            filler.unlink()
            assert store.snapshot("phan-dinh-phung", 2026).sha256 == before and len(store.read()) == rows
            assert sorted(p.name for p in root.rglob("*.import.json")) == docs  # no import document of a refused import
            assert main(["import", str(_row_csv(tmp_path, i))]) == 0
    assert refusals >= 2

