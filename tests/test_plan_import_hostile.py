"""`kehoach plan import` on hostile and odd inputs: bounded, refused in Vietnamese, never a traceback.

The hostile files are generated here (in ``tmp_path``) by the generators of
benchmarks/plan_import_hostile.py; their time and memory are measured in a child process.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import unicodedata
from pathlib import Path

import pytest

from kehoach.cli import main
from kehoach.core.errors import PlanError
from kehoach.data.plan import list_plans, load_plan
from kehoach.data.planimport import import_plan
from kehoach.data.planimport.sources import MAX_DOCX_PART, read_lines

from tests.conftest import PLAN_FILE, PROJECT

_spec = importlib.util.spec_from_file_location("plan_import_hostile", PROJECT / "benchmarks" / "plan_import_hostile.py")
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)

SMALL_PLAN = """ỦY BAN NHÂN DÂN XÃ ĐỒNG HỶ
KẾ HOẠCH
Phát triển kinh tế - xã hội xã Đồng Hỷ năm 2027
(Kèm theo Quyết định số 5/QĐ-UBND ngày 06/01/2027 của UBND xã Đồng Hỷ, tỉnh Thái Nguyên)
I. CÁC CHỈ TIÊU CHỦ YẾU
1. Các chỉ tiêu về kinh tế
(1) Thu ngân sách nhà nước trên địa bàn: 25.300 triệu đồng trở lên.
(2) Tỷ lệ hộ được dùng nước sạch: 98%.
III. TỔ CHỨC THỰC HIỆN
1. Giao Phòng Kinh tế xã chủ trì các chỉ tiêu 1 và 2.
"""


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tone marks combining."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + tones).encode("cp1258")
    return bytes(out)


# -- the hostile files: refused quickly, with a Vietnamese message naming the file ------------------------
def test_zip_bomb_docx_is_refused_before_unpacking(tmp_path):
    bomb = hostile.zip_bomb_docx(tmp_path / "bom.docx", 200_000_000)
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(PlanError) as err:
        import_plan(bomb, reference=None, write=False)
    assert str(err.value) == (f"{bomb}: phần “word/document.xml” của tệp Word giải nén ra 190,7 MB, vượt giới hạn "
                              f"{MAX_DOCX_PART // 1024 // 1024},0 MB; tệp bất thường (có thể là tệp nén độc hại), không nhập.")


def test_zip_bomb_lying_about_its_size_is_refused_unpacking_no_more_than_declared(tmp_path):
    """The header says 4 KB (with the CRC of those 4 KB): only they are unpacked, and the truncated part is refused."""
    bomb = hostile.zip_bomb_docx(tmp_path / "gia.docx", 200_000_000, declared=4096)
    with pytest.raises(PlanError) as err:
        import_plan(bomb, reference=None, write=False)
    assert str(err.value) == (f"{bomb}: không mở được tệp Word (XMLSyntaxError); tệp có thể bị hỏng hoặc không phải .docx. "
                              "Mở bằng Word và lưu lại rồi nhập lại.")
    liar = hostile.zip_bomb_docx(tmp_path / "gia-crc.docx", 200_000_000, declared=4096)
    data = bytearray(liar.read_bytes())
    at = data.rfind(b"word/document.xml") - 46 + 16  # the CRC field of the part's central directory entry
    data[at:at + 4] = b"\0\0\0\0"
    liar.write_bytes(bytes(data))
    with pytest.raises(PlanError, match="phần “word/document.xml” của tệp Word bị hỏng .BadZipFile: kích thước hoặc mã kiểm tra"):
        import_plan(liar, reference=None, write=False)


def test_five_million_lines_are_refused(tmp_path):
    path = hostile.many_lines_txt(tmp_path / "dong.txt")
    with pytest.raises(PlanError, match=r"dong.txt: văn bản có hơn 10.000 dòng/đoạn, vượt giới hạn"):
        read_lines(path)


def test_hundred_megabyte_line_is_refused_by_size(tmp_path):
    path = hostile.long_line_txt(tmp_path / "dai.txt", 100_000_000)
    with pytest.raises(PlanError, match=r"dai.txt: tệp lớn 95,4 MB, vượt giới hạn 20,0 MB"):
        read_lines(path)


def test_long_line_under_the_size_limit_is_refused_with_its_line(tmp_path):
    path = tmp_path / "qd.txt"
    path.write_text("KẾ HOẠCH\n" + "a" * 20_001 + "\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"qd.txt, dòng 2: dòng dài 20.001 ký tự, vượt giới hạn 20.000 ký tự"):
        read_lines(path)


def test_pdf_of_ten_thousand_pages_is_refused(tmp_path):
    path = hostile.many_pages_pdf(tmp_path / "trang.pdf")
    with pytest.raises(PlanError, match=r"trang.pdf: tệp PDF có 10.000 trang, vượt giới hạn 300 trang"):
        read_lines(path)


def test_pdf_with_broken_xref_is_read_or_refused_in_vietnamese(tmp_path):
    path = hostile.bad_xref_pdf(tmp_path / "xref.pdf")
    assert [line.text for line in read_lines(path)] == ["Chi tieu 1: Thu ngan sach 100 trieu dong"]
    garbage = tmp_path / "rac.pdf"
    garbage.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nstartxref\n99999\n%%EOF")
    with pytest.raises(PlanError) as err:
        read_lines(garbage)
    assert str(err.value).startswith(f"{garbage}: không đọc được tệp PDF (lỗi cấu trúc tệp: ")
    assert "Mở tệp bằng trình đọc PDF và in lại ra PDF" in str(err.value)


def test_not_a_zip_docx_is_refused(tmp_path):
    path = tmp_path / "qd.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(PlanError, match=r"qd.docx: không mở được tệp Word"):
        read_lines(path)


def test_hostile_files_stay_within_five_seconds_and_300_mb(tmp_path):
    """Each hostile file in its own child process (a peak is per process): CPU time of the import ≤ 5 s, the child's
    peak memory ≤ 300 MB."""
    files = [hostile.zip_bomb_docx(tmp_path / "bom.docx", 200_000_000),
             hostile.zip_bomb_docx(tmp_path / "gia.docx", 200_000_000, declared=4096), hostile.many_lines_txt(tmp_path / "n.txt"),
             hostile.many_pages_pdf(tmp_path / "p.pdf"), hostile.bad_xref_pdf(tmp_path / "x.pdf"),
             hostile.largest_allowed_txt(tmp_path / "lon.txt")]
    results = [hostile.measure([path])[0] for path in files]
    assert [r["outcome"].split(":")[0] for r in results] == ["từ chối"] * 5 + ["đọc được"]
    for result in results:
        assert result["cpu_seconds"] <= 5.0 and result["peak_mb"] <= 300.0, result


# -- encodings and control characters -------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1258"])
def test_text_encodings(tmp_path, encoding):
    path = tmp_path / "qd.txt"
    path.write_bytes(_cp1258(SMALL_PLAN) if encoding == "cp1258" else SMALL_PLAN.encode(encoding))
    plan = import_plan(path, tmp_path / "out.yaml", reference=None).plan
    assert (plan.document.ward, plan.document.decision_number, plan.document.province) == ("Đồng Hỷ", "5/QĐ-UBND", "Thái Nguyên")
    assert [(i.name, i.target) for i in plan.indicator_list] == [
        ("Thu ngân sách nhà nước trên địa bàn", 25300), ("Tỷ lệ hộ được dùng nước sạch", 98)]


def test_windows_1252_text(tmp_path):
    """Windows-1252 has no Vietnamese letters; a note in it (a Western name, typographic quotes) is read right."""
    path = tmp_path / "qd.txt"
    path.write_bytes("KẾ HOẠCH\nGhi chú: “Café de Paris” – déjà vu, naïve façade.\n".replace("KẾ HOẠCH", "KE HOACH").encode("cp1252"))
    assert [line.text for line in read_lines(path)] == ["KE HOACH", "Ghi chú: “Café de Paris” – déjà vu, naïve façade."]


def test_unreadable_encoding_is_named(tmp_path):
    path = tmp_path / "qd.txt"
    path.write_bytes(SMALL_PLAN.encode("utf-16-le")[:-1] + bytes(range(0x80, 0x100)) * 3)
    with pytest.raises(PlanError) as err:
        read_lines(path)
    assert str(err.value).startswith(f"{path}: không đọc được mã hóa của tệp văn bản")
    assert "chỉ nhận UTF-8, UTF-16, Windows-1258 hoặc Windows-1252" in str(err.value)


def test_bom_with_bad_bytes_names_the_encoding(tmp_path):
    path = tmp_path / "qd.txt"
    path.write_bytes(b"\xef\xbb\xbfK\xe1\xba\xbf ho\xff\xfe\n")
    with pytest.raises(PlanError, match=r"tệp có dấu mã hóa UTF-8 nhưng byte ở vị trí \d+ không đọc được theo mã đó"):
        read_lines(path)


def test_control_characters_are_removed(tmp_path):
    path = tmp_path / "qd.txt"
    path.write_text(SMALL_PLAN.replace("Thu ngân sách", "Thu\x1b[31m ngân\x07 sách\u202e").replace("nước sạch", "nước\x85 sạch"),
                    encoding="utf-8")
    plan = import_plan(path, tmp_path / "out.yaml", reference=None).plan
    assert [i.name for i in plan.indicator_list] == ["Thu[31m ngân sách nhà nước trên địa bàn", "Tỷ lệ hộ được dùng nước sạch"]


def test_nul_characters_are_refused(tmp_path):
    path = tmp_path / "qd.txt"
    path.write_text(SMALL_PLAN.replace("nước sạch", "nước\x00 sạch"), encoding="utf-8")
    with pytest.raises(PlanError, match="qd.txt: tệp chứa ký tự NUL, không phải văn bản thuần; lưu lại tệp dạng văn bản UTF-8"):
        read_lines(path)


# -- implausible targets ------------------------------------------------------------------------------
def test_implausible_targets_are_refused_and_flagged(tmp_path):
    path = tmp_path / "qd.txt"
    path.write_text(SMALL_PLAN.replace("(2) Tỷ lệ hộ được dùng nước sạch: 98%.", "\n".join([
        "(2) Tỷ lệ hộ được dùng nước sạch: 250%.", "(3) Tỷ lệ hộ nghèo: −5%.", "(4) Tổng vốn đầu tư: 1e308 triệu đồng.",
        "(5) Số lao động có việc làm mới: 9999999999999999999 người.", "(6) Số hộ dân: -30 hộ.",
        "(7) Tốc độ tăng giá trị sản xuất: 150%."])), encoding="utf-8")
    report = import_plan(path, tmp_path / "out.yaml", reference=None)
    plan = report.plan
    assert [(i.number, i.target) for i in plan.indicator_list] == [(1, 25300), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 150)]
    checks = {i.number: i.checks.get("target") for i in report.draft.indicators}
    assert checks[2] == "không nhận chỉ tiêu “250%”: tỷ lệ phải từ 0 đến 100%; điền giá trị đúng"
    assert checks[3] == "không nhận chỉ tiêu “−5%”: tỷ lệ phải từ 0 đến 100%; điền giá trị đúng"
    assert checks[4] == "không đọc được chỉ tiêu (con số) từ văn bản; điền giá trị kế hoạch: “Tổng vốn đầu tư: 1e308 triệu đồng.”"
    assert checks[5] == ("không nhận chỉ tiêu “9999999999999999999 người”: con số quá lớn (từ 10^15 trở lên), "
                         "không phải chỉ tiêu kế hoạch; điền giá trị đúng")
    assert checks[6] == "không nhận chỉ tiêu “-30 hộ”: số lượng, số tiền không thể âm; điền giá trị đúng"
    assert checks[7] is None


@pytest.mark.parametrize("target, unit, message", [
    ("1.0e+308", "triệu đồng", "dòng 87, chỉ tiêu (1), trường 'target': 1e+308 không phải là chỉ tiêu kế hoạch"),
    ("-5", "người", "dòng 87, chỉ tiêu (1), trường 'target': số lượng, số tiền (người) không thể âm (-5 người)"),
])
def test_plan_file_refuses_implausible_targets(tmp_path, target, unit, message):
    text = PLAN_FILE.read_text(encoding="utf-8").replace('unit: "triệu đồng", target: 869532,', f'unit: "{unit}", target: {target},', 1)
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        load_plan(path)


# -- files around data/plan (issue 22) ------------------------------------------------------------------
def test_stray_temporary_yaml_in_data_plan_is_ignored_with_a_warning(workbench, caplog, capsys):
    (workbench / "data" / "plan" / "tmpab12cd.yaml").write_text("document: [nửa tệp", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert [e.ward for e in list_plans()] == ["phan-dinh-phung"]
    assert "Bỏ qua" in caplog.text and "tmpab12cd.yaml" in caplog.text
    assert main(["plan", "show"]) == 0


def test_plan_import_writes_no_temporary_file_in_data_plan(workbench):
    source = workbench / "qd.txt"
    source.write_text(SMALL_PLAN, encoding="utf-8")
    before = sorted(p.name for p in (workbench / "data" / "plan").iterdir())
    assert main(["plan", "import", str(source), "-o", str(workbench / "data" / "plan" / "dong-hy-2027.yaml")]) == 0
    after = sorted(p.name for p in (workbench / "data" / "plan").iterdir())
    assert after == sorted(before + ["dong-hy-2027.yaml"])


@pytest.mark.parametrize("kind", ["folder", "symlink", "device"])
def test_force_replaces_only_regular_files(tmp_path, kind, capsys):
    source = tmp_path / "qd.txt"
    source.write_text(SMALL_PLAN, encoding="utf-8")
    if kind == "folder":
        target = tmp_path / "thu-muc.yaml"
        target.mkdir()
    elif kind == "symlink":
        kept = tmp_path / "that.yaml"
        kept.write_text("giữ nguyên", encoding="utf-8")
        target = tmp_path / "lien-ket.yaml"
        os.symlink(kept, target)
    else:
        target = Path("/dev/null")
    assert main(["plan", "import", str(source), "-o", str(target), "--force"]) == 2
    err = capsys.readouterr().err
    assert f"{target} không phải là một tệp thường (thư mục, liên kết hoặc thiết bị); không ghi vào đó, kể cả với --force." in err
    if kind == "symlink":
        assert kept.read_text(encoding="utf-8") == "giữ nguyên" and target.is_symlink()
    if kind == "folder":
        assert target.is_dir() and not any(target.iterdir())


@pytest.mark.parametrize("name, content, expected", [
    ("qd.pdf", b"PK\x03\x04" + b"\0" * 40,
     "tệp mang đuôi “.pdf” nhưng thực ra là tệp nén zip (như tệp Word .docx); đổi đuôi tệp thành .docx rồi nhập lại."),
    ("qd.docx", b"%PDF-1.4\n" + b"\0" * 40, "tệp mang đuôi “.docx” nhưng thực ra là tệp PDF; đổi đuôi tệp thành .pdf rồi nhập lại."),
    ("qd.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 40,
     "tệp mang đuôi “.docx” nhưng thực ra là tệp Word cũ (.doc); mở bằng Word rồi lưu lại dạng .docx."),
    ("qd.pdf", "Kế hoạch năm 2026".encode(),
     "tệp mang đuôi “.pdf” nhưng nội dung không phải tệp .pdf; tệp có thể bị hỏng hoặc chọn nhầm tệp. Kiểm tra lại tệp rồi nhập lại."),
])
def test_a_renamed_file_is_named_for_what_it_is(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PlanError) as err:
        read_lines(path)
    assert str(err.value) == f"{path}: {expected}"


def test_pypdf_repairs_say_nothing_in_english(tmp_path):
    """pypdf logs its repairs of a broken xref in English; the command line shows only Vietnamese (all with -v)."""
    import subprocess
    import sys

    pdf = hostile.bad_xref_pdf(tmp_path / "xref.pdf")
    done = subprocess.run([sys.executable, "-m", "kehoach.cli", "plan", "import", str(pdf), "-o", str(tmp_path / "d.yaml")],
                          capture_output=True, text=True, env=os.environ | {"KEHOACH_ROOT": str(tmp_path)}, timeout=120)
    assert "pypdf._reader" not in done.stderr and "WARNING" not in done.stderr and "startxref" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Lỗi: {pdf}: không tìm thấy chỉ tiêu nào.")
