"""The units' words: the "Nội dung báo cáo" sheet and the texts CSV, through the import into the store."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from kehoach.cli import main
from kehoach.core.errors import SubmissionError
from kehoach.core.period import VN_TZ
from kehoach.data.forms import TEXT_META_SHEET, TEXT_SHEET, fill_texts, write_template
from kehoach.data.store import ProgressStore, latest_texts
from kehoach.data.submission import import_file
from tests.conftest import PLAN_FILE, PROJECT
from tests.helpers import NOW, TODAY, snapshot


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "store")


def _import(path, plan, store, now=NOW):
    return import_file(path, plan, store, today=TODAY, now=now)


def _texts(store: ProgressStore) -> dict[tuple, str]:
    """(unit, item, indicator, task, period) → text, as the report side reads it."""
    frame = latest_texts(store.read())
    return {(r.unit_code, r.item, None if pd.isna(r.indicator) else int(r.indicator), None if pd.isna(r.task) else r.task,
             r.period): r.text for r in frame.itertuples()}


def _type_into(path: Path, by_label: dict[str, str]) -> None:
    """Fill the texts sheet as a user does: find the row by its visible label, type into the one unlocked cell of that row."""
    wb = load_workbook(path)
    ws = wb[TEXT_SHEET]
    for label, text in by_label.items():
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=2).value == label)
        (cell,) = [c for c in ws[row] if c.protection.locked is False]
        cell.value = text
        cell.data_type = "s"  # what Excel does in a cell formatted as text ("@"): "=…" stays text
    wb.save(path)


def test_the_sheet_one_labelled_row_per_item(plan, tmp_path):
    form = write_template(plan, "KTHT", "2026-Q3", tmp_path / "f.xlsx", lagging={1, 33})
    wb = load_workbook(form)
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == ["Chỉ tiêu", "Nhiệm vụ", TEXT_SHEET]
    assert wb[TEXT_META_SHEET].sheet_state == "veryHidden" and wb[TEXT_META_SHEET].protection.sheet
    ws = wb[TEXT_SHEET]
    assert ws.protection.sheet and ws.data_validations.dataValidation == []
    assert [c.value for c in ws[8]] == ["Mã", "Mục báo cáo", "Nội dung đơn vị báo cáo", "Lưu ý"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=9, max_col=4)]
    assert rows[0] == ["I. NỘI DUNG CHUNG CỦA ĐƠN VỊ", None, None, None]
    assert [r[1] for r in rows[1:6]] == ["Kết quả nổi bật", "Tồn tại, hạn chế", "Nguyên nhân", "Nhiệm vụ, giải pháp quý tới",
                                         "Đề xuất, kiến nghị"]
    assert rows[6][0] == "II. CHỈ TIÊU DO ĐƠN VỊ CHỦ TRÌ: NGUYÊN NHÂN, GIẢI PHÁP"
    lag = "Chỉ tiêu chậm tiến độ theo số liệu gần nhất: nêu rõ nguyên nhân và giải pháp"
    assert rows[7] == ["(1)", "Thu ngân sách nhà nước trên địa bàn: Nguyên nhân", None, lag]
    assert rows[8] == ["(1)", "Thu ngân sách nhà nước trên địa bàn: Giải pháp", None, lag]
    assert rows[9] == ["(2)", "Chi ngân sách nhà nước: Nguyên nhân", None, None]
    marked = sorted({r[0] for r in rows if r[3] == lag})
    assert marked == ["(1)", "(33)"]
    tasks = [r for r in rows if r[0] and r[0].startswith("II.1.")]
    assert tasks[0] == ["II.1.1", "Thương mại - Dịch vụ: Kết quả thực hiện", None, "Tình trạng chọn ở sheet “Nhiệm vụ”"]
    assert [r[0] for r in tasks] == ["II.1.1", "II.1.2", "II.1.3", "II.1.4", "II.1.5"]
    inputs = [c for row in ws.iter_rows() for c in row if c.protection.locked is False]
    assert len(inputs) == 5 + 2 * 10 + 5 and {c.column_letter for c in inputs} == {"C"}
    assert all(c.number_format == "@" and c.alignment.wrap_text for c in inputs)
    at_q4 = load_workbook(write_template(plan, "VP", "2026-Q4", tmp_path / "q4.xlsx"))[TEXT_SHEET]
    assert at_q4["B13"].value == "Nhiệm vụ, giải pháp năm tới"
    assert [at_q4.cell(row=r, column=1).value for r in range(16, 19)] == ["II.3.1", "II.3.4", "II.3.5"]  # VP: tasks only


def test_form_round_trip_gives_exactly_what_was_typed(plan, store, tmp_path):
    form = write_template(plan, "KTHT", "2026-Q3", tmp_path / "ktht.xlsx")
    decomposed = unicodedata.normalize("NFD", "Thu ngân sách đạt khá")
    _type_into(form, {
        "Kết quả nổi bật": f"  {decomposed}.\r\nChi ngân sách bảo đảm.  ",
        "Thu ngân sách nhà nước trên địa bàn: Nguyên nhân": "Thị trường bất động sản trầm lắng, thu tiền sử dụng đất thấp.",
        "Thương mại - Dịch vụ: Kết quả thực hiện": "=Hoàn thành kiểm tra 46 cơ sở; \"chợ đêm\" hoạt động, 5% tăng",
        "Đề xuất, kiến nghị": "   ",  # blank: no text
    })
    result = _import(form, plan, store)
    assert result.summary().startswith("ktht.xlsx: đã nhập 0 số liệu chỉ tiêu, 0 tình trạng nhiệm vụ và 3 nội dung báo cáo "
                                       "của KTHT cho kỳ 2026-Q3")
    assert _texts(store) == {
        ("KTHT", "ket-qua-noi-bat", None, None, "2026-Q3"): "Thu ngân sách đạt khá.\nChi ngân sách bảo đảm.",
        ("KTHT", "nguyen-nhan-chi-tieu", 1, None, "2026-Q3"): "Thị trường bất động sản trầm lắng, thu tiền sử dụng đất thấp.",
        ("KTHT", "ket-qua-nhiem-vu", None, "II.1.1", "2026-Q3"): "=Hoàn thành kiểm tra 46 cơ sở; \"chợ đêm\" hoạt động, 5% tăng",
    }
    stored = store.read()
    assert set(stored["record"]) == {"text"} and (stored["revision"] == 1).all()
    assert (stored["submitted_at"] == dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.timezone.utc)).all()
    assert result.archived.read_bytes() == form.read_bytes() and (stored["source_sha256"] == result.sha256).all()


def test_later_form_replaces_and_an_empty_cell_never_erases(plan, store, tmp_path):
    first = write_template(plan, "PVHCC", "2026-Q3", tmp_path / "1.xlsx")
    fill_texts(first, {("nguyen-nhan", None): "Đường truyền gián đoạn.", ("ket-qua-nhiem-vu", "II.3.3"): "Đúng quy trình."})
    _import(first, plan, store)
    second = write_template(plan, "PVHCC", "2026-Q3", tmp_path / "2.xlsx")
    fill_texts(second, {("nguyen-nhan", None): "Đường truyền gián đoạn; thiếu máy quét."})
    _import(second, plan, store, now=NOW + dt.timedelta(days=1))
    assert _texts(store) == {("PVHCC", "nguyen-nhan", None, None, "2026-Q3"): "Đường truyền gián đoạn; thiếu máy quét.",
                             ("PVHCC", "ket-qua-nhiem-vu", None, "II.3.3", "2026-Q3"): "Đúng quy trình."}
    latest = latest_texts(store.read()).set_index("item")
    assert latest.loc["nguyen-nhan", "revision"] == 2 and latest.loc["ket-qua-nhiem-vu", "revision"] == 1
    # another unit's item of the same name is its own key: its revisions start at 1
    other = write_template(plan, "VP", "2026-Q3", tmp_path / "vp.xlsx")
    fill_texts(other, {("nguyen-nhan", None): "Khối lượng văn bản lớn."})
    _import(other, plan, store)
    assert latest_texts(store.read()).query("unit_code == 'VP'")["revision"].tolist() == [1]


CSV_HEAD = "unit,period,item,code,text\n"


def test_csv_round_trip(plan, store, tmp_path):
    path = tmp_path / "noi-dung.csv"
    path.write_text(CSV_HEAD
                    + 'KTHT,2026-Q3,ket-qua-noi-bat,,"Thu ngân sách đạt 75%, vượt tiến độ.\nChi đúng dự toán."\n'
                    + "KTHT,2026-Q3,giai-phap-chi-tieu,giao-thong-xanh,Đưa thêm xe buýt điện vào tuyến.\n"
                    + "KTHT,2026-Q3,ket-qua-nhiem-vu,II.1.4,Thu nợ đọng 3.450 triệu đồng.\n"
                    + "KTHT,2026-Q3,de-xuat-kien-nghi,,\n", encoding="utf-8-sig")
    result = _import(path, plan, store)
    assert (result.text_records, result.units, result.periods) == (3, ["KTHT"], ["2026-Q3"])
    assert _texts(store) == {
        ("KTHT", "ket-qua-noi-bat", None, None, "2026-Q3"): "Thu ngân sách đạt 75%, vượt tiến độ.\nChi đúng dự toán.",
        ("KTHT", "giai-phap-chi-tieu", 33, None, "2026-Q3"): "Đưa thêm xe buýt điện vào tuyến.",
        ("KTHT", "ket-qua-nhiem-vu", None, "II.1.4", "2026-Q3"): "Thu nợ đọng 3.450 triệu đồng.",
    }


def test_csv_is_checked_as_strictly_as_the_form(plan, store, tmp_path):
    path = tmp_path / "sai.csv"
    rows = [
        "ward,unit,period,item,code,text",
        "phan-dinh-phung,KTHT,2026-Q3,ket-qua-noi-bat,,Được.",                        # 2: fine, but the file is refused
        "phan-dinh-phung,XYZ,2026-Q3,ket-qua-noi-bat,,Sai đơn vị.",                   # 3
        "phan-dinh-phung,KTHT,2026-Q3,ket-qua,,Sai mục.",                             # 4
        "phan-dinh-phung,KTHT,2026-Q3,nguyen-nhan,thu-ngan-sach,Mục chung có mã.",    # 5
        "phan-dinh-phung,KTHT,2026-Q3,nguyen-nhan-chi-tieu,bao-hiem-y-te,Của VHXH.",  # 6
        "phan-dinh-phung,KTHT,2026-Q3,ket-qua-nhiem-vu,II.3.3,Của PVHCC.",            # 7
        "phan-dinh-phung,KTHT,2025-Q4,ket-qua-noi-bat,,Năm trước.",                   # 8
        "phan-dinh-phung,KTHT,2026-Q3,ket-qua-noi-bat,,Lần hai.",                     # 9
        "xa-khac,KTHT,2026-Q3,nguyen-nhan,,Phường khác.",                             # 10
        "phan-dinh-phung,KTHT,2026-Q3,ton-tai-han-che,,Có \x1b[31m mã màu.",          # 11
        "phan-dinh-phung,KTHT,2026-Q3,nguyen-nhan,,Đảo \u202echiều.",                 # 12
        f"phan-dinh-phung,KTHT,2026-Q3,de-xuat-kien-nghi,,{'a' * 4001}",              # 13
        "phan-dinh-phung,KTHT,2027-Q1,ket-qua-noi-bat,,Tương lai.",                   # 14
        "phan-dinh-phung,KTHT,2026-Q5,ket-qua-noi-bat,,Quý sai.",                     # 15
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store.root.mkdir(parents=True)
    before = snapshot(store)
    with pytest.raises(SubmissionError) as exc:
        _import(path, plan, store)
    assert [str(p) for p in exc.value.problems] == [
        "sai.csv, dòng 3, cột unit: đơn vị “XYZ” không có trong kế hoạch; các mã: BQLDA, DVTH, KTHT, PVHCC, QSCA, VHXH, VP",
        "sai.csv, dòng 4, cột item: mục “ket-qua” không có trong danh sách; các mục: ket-qua-noi-bat, ton-tai-han-che, "
        "nguyen-nhan, nhiem-vu-giai-phap, de-xuat-kien-nghi, nguyen-nhan-chi-tieu, giai-phap-chi-tieu, ket-qua-nhiem-vu",
        "sai.csv, dòng 5, cột code: mục “nguyen-nhan” là nội dung chung của đơn vị: để trống cột code (đang ghi “thu-ngan-sach”)",
        "sai.csv, dòng 6, cột code: mục “nguyen-nhan-chi-tieu” cần mã chỉ tiêu do đơn vị KTHT chủ trì, “bao-hiem-y-te” không "
        "phải; các mã: thu-ngan-sach, chi-ngan-sach, tang-truong-grdp, thu-nhap-binh-quan, giam-ho-ngheo, "
        "chat-thai-ran-sinh-hoat, nuoc-sach-do-thi, nuoc-thai-do-thi, cong-suat-xu-ly-nuoc-thai, giao-thong-xanh",
        "sai.csv, dòng 7, cột code: mục “ket-qua-nhiem-vu” cần mã nhiệm vụ phần II do đơn vị KTHT chủ trì, “II.3.3” không "
        "phải; các mã: II.1.1, II.1.2, II.1.3, II.1.4, II.1.5",
        "sai.csv, dòng 8, cột period: nội dung báo cáo chỉ nhận cho các quý năm 2026, không nhận cho kỳ 2025-Q4",
        "sai.csv, dòng 9, cột item: mục “ket-qua-noi-bat” kỳ 2026-Q3 xuất hiện hai lần (dòng 2 và dòng 9); chỉ giữ một dòng",
        "sai.csv, dòng 10, cột ward: dòng của phường “xa-khac”, không phải phan-dinh-phung",
        "sai.csv, dòng 11, cột text: nội dung có ký tự điều khiển không in được (U+001B, ký tự thứ 4); xóa ký tự đó "
        "(thường do sao chép từ phần mềm khác) rồi gửi lại",
        "sai.csv, dòng 12, cột text: nội dung có ký tự điều khiển không in được (U+202E, ký tự thứ 5); xóa ký tự đó "
        "(thường do sao chép từ phần mềm khác) rồi gửi lại",
        "sai.csv, dòng 13, cột text: nội dung dài 4.001 ký tự, tối đa 4.000 ký tự mỗi mục; rút gọn nội dung",
        "sai.csv, dòng 14, cột period: nội dung báo cáo chỉ nhận cho các quý năm 2026, không nhận cho kỳ 2027-Q1",
        "sai.csv, dòng 15, cột period: Kỳ báo cáo “2026-Q5” không hợp lệ; viết theo dạng 2026-Q3 (năm-quý).",
    ]
    assert snapshot(store) == before  # all or nothing


def test_csv_missing_column(plan, store, tmp_path):
    path = tmp_path / "thieu.csv"
    path.write_text("unit,period,item,text\nKTHT,2026-Q3,nguyen-nhan,Được.\n", encoding="utf-8")
    with pytest.raises(SubmissionError) as exc:
        _import(path, plan, store)
    assert [str(p) for p in exc.value.problems] == [
        "thieu.csv, dòng 1: sai cấu trúc tệp CSV nội dung báo cáo: thiếu cột code (cần các cột unit, period, item, code, text)"]


def test_hostile_form_texts_are_refused_naming_the_cell(plan, store, tmp_path):
    form = write_template(plan, "PVHCC", "2026-Q3", tmp_path / "xau.xlsx")
    fill_texts(form, {("ket-qua-noi-bat", None): "Bình thường.", ("nguyen-nhan", None): "Chữ \u202eđảo ngược",
                      ("ton-tai-han-che", None): "C1 \x9b điều khiển", ("de-xuat-kien-nghi", None): "x" * 4001})
    with pytest.raises(SubmissionError) as exc:
        _import(form, plan, store)
    assert [str(p) for p in exc.value.problems] == [
        "xau.xlsx, sheet “Nội dung báo cáo”, dòng 11, cột C: nội dung có ký tự điều khiển không in được (U+009B, ký tự "
        "thứ 4); xóa ký tự đó (thường do sao chép từ phần mềm khác) rồi gửi lại",
        "xau.xlsx, sheet “Nội dung báo cáo”, dòng 12, cột C: nội dung có ký tự điều khiển không in được (U+202E, ký tự "
        "thứ 5); xóa ký tự đó (thường do sao chép từ phần mềm khác) rồi gửi lại",
        "xau.xlsx, sheet “Nội dung báo cáo”, dòng 14, cột C: nội dung dài 4.001 ký tự, tối đa 4.000 ký tự mỗi mục; "
        "rút gọn nội dung"]
    assert not store.root.exists()


@pytest.mark.parametrize("edit, message", [
    (lambda ws: ws.__setitem__("B10", "Thành tích"),
     "xau.xlsx, sheet “Nội dung báo cáo”, dòng 10, cột B: ô B10 ghi “Thành tích”, biểu mẫu ghi “Kết quả nổi bật”; không "
     "sửa, thêm, xóa hay di chuyển dòng của sheet này"),
    (lambda ws: ws.__setitem__("E10", "gõ nhầm chỗ"),
     "xau.xlsx, sheet “Nội dung báo cáo”, dòng 10, cột E: ô E10 không phải ô nhập liệu (ô đã khóa); chỉ nhập vào ô nền "
     "vàng của cột C"),
    (lambda ws: ws.__setitem__("C9", "vào dòng tiêu đề mục"),
     "xau.xlsx, sheet “Nội dung báo cáo”, dòng 9, cột C: ô C9 không phải ô nhập liệu (ô đã khóa); chỉ nhập vào ô nền "
     "vàng của cột C"),
])
def test_locked_cells_edited_after_removing_protection(plan, store, tmp_path, edit, message):
    form = write_template(plan, "PVHCC", "2026-Q3", tmp_path / "xau.xlsx")
    fill_texts(form, {("ket-qua-noi-bat", None): "Bình thường."})
    wb = load_workbook(form)
    wb[TEXT_SHEET].protection.sheet = False
    edit(wb[TEXT_SHEET])
    wb.save(form)
    with pytest.raises(SubmissionError) as exc:
        _import(form, plan, store)
    assert [str(p) for p in exc.value.problems] == [message]


def test_the_report_reads_only_texts_submitted_before_the_cut_off(plan, tmp_path):
    from kehoach.reporting import context

    data = tmp_path / "data"
    (data / "plan").mkdir(parents=True)
    shutil.copy(PLAN_FILE, data / "plan" / PLAN_FILE.name)
    store = ProgressStore(data / "progress")
    for day, text in ((2, "Gửi đúng hạn."), (20, "Sửa sau khi chốt số liệu.")):
        path = tmp_path / f"{day}.csv"
        path.write_text(CSV_HEAD + f"VP,2026-Q3,nguyen-nhan,,{text}\n", encoding="utf-8")
        _import(path, plan, store, now=dt.datetime(2026, 10, day, 9, 0, tzinfo=VN_TZ))
    on_10_10 = context.compute("2026-Q3", data_dir=data, as_of="2026-10-10")
    assert latest_texts(on_10_10.records)["text"].tolist() == ["Gửi đúng hạn."]
    later = context.compute("2026-Q3", data_dir=data, as_of="2026-11-29")
    assert latest_texts(later.records)[["text", "revision"]].values.tolist() == [["Sửa sau khi chốt số liệu.", 2]]


@pytest.fixture
def sample_workbench(workbench):
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    return workbench


def test_status_shows_whose_texts_were_sent(sample_workbench, capsys):
    assert main(["status", "--period", "2026-Q3"]) == 0
    out = capsys.readouterr().out
    part = out[out.index("Nội dung báo cáo của các đơn vị"):].splitlines()
    assert part == [
        "Nội dung báo cáo của các đơn vị 9 tháng năm 2026 (sheet “Nội dung báo cáo” hoặc CSV):",
        "  KTHT   Phòng Kinh tế, Hạ tầng và Đô thị phường: đã gửi 18 mục, đủ các mục cần có",
        "  VHXH   Phòng Văn hóa - Xã hội phường: đã gửi 17 mục; còn thiếu “Đề xuất, kiến nghị”; nguyên nhân, giải pháp "
        "của chỉ tiêu chậm tiến độ (19)",
        "  PVHCC  Trung tâm Phục vụ hành chính công phường: đã gửi 8 mục, đủ các mục cần có",
        "  BQLDA  Ban Quản lý dự án phường: chưa gửi nội dung nào; còn thiếu “Kết quả nổi bật”, “Tồn tại, hạn chế”, "
        "“Nguyên nhân”, “Nhiệm vụ, giải pháp quý tới”, “Đề xuất, kiến nghị”; nguyên nhân, giải pháp của chỉ tiêu chậm "
        "tiến độ (3); kết quả nhiệm vụ II.1.6",
        "  QSCA   Ban Chỉ huy quân sự phường, Công an phường: chưa gửi nội dung nào; còn thiếu “Kết quả nổi bật”, "
        "“Tồn tại, hạn chế”, “Nguyên nhân”, “Nhiệm vụ, giải pháp quý tới”, “Đề xuất, kiến nghị”; kết quả nhiệm vụ "
        "II.4.1, II.4.2",
        "  VP     Văn phòng HĐND và UBND phường: đã gửi 8 mục, đủ các mục cần có",
    ]


def test_template_marks_the_indicators_lagging_as_of_the_latest_data(sample_workbench, tmp_path, capsys):
    form = tmp_path / "ktht.xlsx"
    assert main(["template", "--unit", "KTHT", "--period", "2026-Q4", "-o", str(form)]) == 0
    ws = load_workbook(form)[TEXT_SHEET]
    marked = sorted({ws.cell(row=r, column=1).value for r in range(9, ws.max_row + 1)
                     if (ws.cell(row=r, column=4).value or "").startswith("Chỉ tiêu chậm tiến độ")}, key=lambda s: int(s[1:-1]))
    assert marked == ["(4)", "(5)", "(31)", "(33)"]
    assert ws["B13"].value == "Nhiệm vụ, giải pháp năm tới"


def test_a_texts_csv_through_the_command_line(sample_workbench, tmp_path, capsys):
    path = tmp_path / "bqlda.csv"
    path.write_text(CSV_HEAD + "BQLDA,2026-Q3,nguyen-nhan-chi-tieu,giai-ngan-dau-tu-cong,Vướng giải phóng mặt bằng.\n",
                    encoding="utf-8")
    assert main(["import", str(path)]) == 0
    assert "bqlda.csv: đã nhập 0 số liệu chỉ tiêu, 0 tình trạng nhiệm vụ và 1 nội dung báo cáo của BQLDA" in capsys.readouterr().out
    stored = _texts(ProgressStore(sample_workbench / "data" / "progress"))
    assert stored[("BQLDA", "nguyen-nhan-chi-tieu", 3, None, "2026-Q3")] == "Vướng giải phóng mặt bằng."


@pytest.mark.slow
def test_a_form_resaved_by_libreoffice_imports_identically(plan, tmp_path):
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    form = write_template(plan, "VHXH", "2026-Q3", tmp_path / "vhxh.xlsx", lagging={15})
    typed = {"Kết quả nổi bật": "Tổ chức tốt các hoạt động văn hóa.\nChi trả đủ chế độ.",
             "Tỷ lệ tham gia bảo hiểm y tế: Nguyên nhân": "Hết hỗ trợ mua thẻ; lao động tự do chưa mua.",
             "Giáo dục và Đào tạo: Kết quả thực hiện": "=100% trẻ đến trường, \"đúng kế hoạch\""}
    _type_into(form, typed)
    out = tmp_path / "lo"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--convert-to", "xlsx",
                    "--outdir", str(out), str(form)], check=True, capture_output=True, timeout=240)
    direct, resaved = ProgressStore(tmp_path / "a"), ProgressStore(tmp_path / "b")
    _import(form, plan, direct)
    _import(out / "vhxh.xlsx", plan, resaved)
    assert _texts(resaved) == _texts(direct) == {
        ("VHXH", "ket-qua-noi-bat", None, None, "2026-Q3"): "Tổ chức tốt các hoạt động văn hóa.\nChi trả đủ chế độ.",
        ("VHXH", "nguyen-nhan-chi-tieu", 15, None, "2026-Q3"): "Hết hỗ trợ mua thẻ; lao động tự do chưa mua.",
        ("VHXH", "ket-qua-nhiem-vu", None, "II.2.2", "2026-Q3"): "=100% trẻ đến trường, \"đúng kế hoạch\""}


def test_a_hidden_row_map_pointing_elsewhere_is_checked_against_the_plan(plan, store, tmp_path):
    """Rows remapped in the hidden sheet (to another unit's indicator, or an item at the wrong level) are refused."""
    form = write_template(plan, "PVHCC", "2026-Q3", tmp_path / "map.xlsx")
    fill_texts(form, {("nguyen-nhan-chi-tieu", "ho-so-tthc-tren-mang"): "Liên thông chưa trực tuyến.",
                      ("ket-qua-noi-bat", None): "Đúng quy trình."})
    wb = load_workbook(form)
    rows = {(r[1].value, r[2].value or ""): r for r in wb[TEXT_META_SHEET].iter_rows(min_row=2)}
    rows[("nguyen-nhan-chi-tieu", "ho-so-tthc-tren-mang")][2].value = "bao-hiem-y-te"
    rows[("ket-qua-noi-bat", "")][1].value = "ket-qua-nhiem-vu"
    wb.save(form)
    with pytest.raises(SubmissionError) as exc:
        _import(form, plan, store)
    assert [str(p) for p in exc.value.problems] == [
        "map.xlsx, sheet “Nội dung báo cáo”, dòng 10, cột A: mục “ket-qua-nhiem-vu” cần mã nhiệm vụ phần II do đơn vị "
        "PVHCC chủ trì, “” không phải; các mã: II.3.3",
        "map.xlsx, sheet “Nội dung báo cáo”, dòng 16, cột A: mục “nguyen-nhan-chi-tieu” cần mã chỉ tiêu do đơn vị PVHCC "
        "chủ trì, “bao-hiem-y-te” không phải; các mã: ho-so-tthc-tren-mang, ho-so-dung-han, dich-vu-cong-truc-tuyen, "
        "hai-long-nguoi-dan"]
