"""The command line, run in-process against a workbench in tmp_path."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from kehoach.cli import build_parser, main
from kehoach.data.forms import ACTUAL, ESTIMATE, fill_form
from tests.conftest import PROJECT


@pytest.fixture
def sample_workbench(workbench):
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    return workbench


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("plan", "template", "import", "history", "status", "report"):
        assert command in out


def _parsers(parser, path=()):
    """Every parser of the command line, with its command path: the main one and each (nested) subcommand."""
    yield path, parser
    if parser.subcommands is not None:
        for name, sub in parser.subcommands.choices.items():
            yield from _parsers(sub, path + (name,))


#: argparse's own English headings and texts, and common English words, none of which a help line may show.
ENGLISH = ("usage:", "positional arguments", "optional arguments", "options:", "subcommands", "show this help",
           "message and exit", "program's version", " the ", " and ", " or ", " of ", " to ", " for ", " with ",
           "show ", "write ", "every ", "default:", "(default", "COMMAND", "ACTION", "DATE", "ADDRESS", "PERIOD",
           "OUTPUT", "UNIT", "FILES", "INDICATOR", "WARD", "YEAR", "JOBS", "TOKEN")


def test_every_help_is_vietnamese(capsys):
    parsers = list(_parsers(build_parser()))
    assert {path for path, _ in parsers} >= {(), ("plan",), ("plan", "import"), ("province", "status"), ("store", "rebuild"),
                                              ("send",), ("explore",)}
    for path, parser in parsers:
        with pytest.raises(SystemExit) as exit_:
            main([*path, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"Cách dùng: {' '.join(('kehoach',) + path)} [-h]"), path
        assert "Tùy chọn:\n  -h, --help" in out and "xem hướng dẫn này rồi thoát" in out, path
        names = set(parser.subcommands.choices) if parser.subcommands is not None else set()
        text = "\n".join(line.lstrip().removeprefix(line.split()[0]) if line.split() and line.split()[0] in names else line
                         for line in out.replace(parser.prog, "kehoach").splitlines())  # names (`plan show`) are not prose
        found = [word for word in ENGLISH if word in text]
        assert not found, (path, found)
    main_help = build_parser().format_help()
    assert "\nLệnh:\n" in main_help and "--version          in số phiên bản rồi thoát" in main_help
    diff_help = dict(parsers)[("plan", "diff")].format_help()
    assert "\nTham số:\n  NĂM_CŨ      năm kế hoạch cũ, ví dụ 2026\n  NĂM_MỚI     năm kế hoạch mới, ví dụ 2027\n" in diff_help


@pytest.mark.parametrize("argv, message", [
    (["template", "--unit", "KTHT"], "thiếu tham số bắt buộc: --period. Xem `kehoach template --help`."),
    (["plan"], "thiếu tham số bắt buộc: THAO_TÁC. Xem `kehoach plan --help`."),
    (["status", "--period", "2026-Q3", "--foo", "x"], "lệnh không có tham số này: --foo x. Xem `kehoach --help`."),
    (["send", "--period", "2026-Q3", "--unknown", "maybe"],
     "tùy chọn --unknown: giá trị “maybe” không hợp lệ; chọn một trong: sent, retry. Xem `kehoach send --help`."),
    (["xyz"], "tham số LỆNH: giá trị “xyz” không hợp lệ; chọn một trong: plan, template, import, history, status, "
              "sample-data, bundle, province, store, export, run, send, report, explore. Xem `kehoach --help`."),
    (["history", "--indicator", "abc"], "tùy chọn --indicator: “abc” không phải số nguyên. Xem `kehoach history --help`."),
    (["status", "--period"], "tùy chọn --period: cần một giá trị đi kèm. Xem `kehoach status --help`."),
    (["template", "--force=yes"], "tùy chọn --force: không nhận giá trị (đã viết “yes”). Xem `kehoach template --help`."),
])
def test_usage_errors_are_vietnamese(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    prog = message.rsplit("Xem `", 1)[1].removesuffix(" --help`.")
    assert captured.err.startswith(f"Cách dùng: {prog} [-h]")  # the usage of the parser that refused, then the message
    assert captured.err.endswith(f"\nLỗi cú pháp lệnh: {message}\n")
    assert "usage:" not in captured.err and "error:" not in captured.err and "Traceback" not in captured.err


def test_an_unknown_argparse_message_keeps_the_original_in_a_vietnamese_sentence():
    from kehoach.cli import _argparse_message

    assert _argparse_message("something new: x") == "lệnh viết chưa đúng (thông báo gốc bằng tiếng Anh: something new: x)"
    assert _argparse_message("argument --x: something new") == (
        "tùy chọn --x: lệnh viết chưa đúng (thông báo gốc bằng tiếng Anh: something new)")
    assert _argparse_message("argument --x: “y” không phải ngày") == "tùy chọn --x: “y” không phải ngày"


def test_plan_show(workbench, capsys):
    assert main(["plan", "show"]) == 0
    out = capsys.readouterr().out
    assert "(1) Thu ngân sách nhà nước trên địa bàn: 869.532 triệu đồng  [KTHT]" in out
    assert "(7) Tỷ lệ thất nghiệp ở khu vực thành thị: dưới 3%  [VHXH]" in out
    assert "4.7. Quốc phòng, an ninh (3 chỉ tiêu)" in out
    assert "QSCA   Ban Chỉ huy quân sự phường, Công an phường: (34), (35), (36)" in out


def test_template_import_history_status(workbench, capsys, tmp_path):
    form = tmp_path / "ktht.xlsx"
    assert main(["template", "--unit", "KTHT", "--period", "2026-Q3", "-o", str(form)]) == 0
    fill_form(form, {1: (652149, ESTIMATE, None), 29: (91.2, ACTUAL, None)}, submitted_on=dt.date(2026, 10, 2))
    assert main(["import", "--submitted-at", "02/10/2026", str(form)]) == 0
    assert main(["import", str(form)]) == 0
    assert main(["history", "--indicator", "1"]) == 0
    assert main(["status", "--period", "2026-Q3"]) == 0
    out = capsys.readouterr().out
    assert "đã nhập 2 số liệu chỉ tiêu" in out and "đã được nhập trước đây" in out
    assert ("2026-Q3 lần 1: 652.149 triệu đồng (ước thực hiện), KTHT gửi 02/10/2026 (ngày gửi do văn phòng nhập tay), "
            "tệp ktht.xlsx") in out
    assert "KTHT   Phòng Kinh tế, Hạ tầng và Đô thị phường: Đúng hạn, gửi 02/10/2026; 2/6 chỉ tiêu đến kỳ; còn thiếu chỉ tiêu (2), (4), (30), (33)" in out
    assert "BQLDA  Ban Quản lý dự án phường: Chưa gửi" in out


def test_rejected_import_exits_1_with_locations(workbench, capsys, tmp_path):
    form = tmp_path / "bad.xlsx"
    main(["template", "--unit", "KTHT", "--period", "2026-Q3", "-o", str(form)])
    fill_form(form, {1: ("abc", ACTUAL, None)})
    assert main(["import", str(form)]) == 1
    err = capsys.readouterr().err
    assert "bad.xlsx, sheet “Chỉ tiêu”, dòng 9, cột H" in err
    assert not (workbench / "data" / "progress").exists()


def test_unknown_unit(workbench, capsys):
    assert main(["template", "--unit", "XYZ", "--period", "2026-Q3"]) == 2
    assert capsys.readouterr().err == ("Lỗi: Không có đơn vị “XYZ” trong kế hoạch. Các mã đơn vị: KTHT, VHXH, PVHCC, "
                                       "BQLDA, QSCA, VP (xem `kehoach plan show`).\n")


def test_status_prints_each_indicator(sample_workbench, capsys):
    assert main(["status", "--period", "2026-Q3"]) == 0
    out = capsys.readouterr().out
    assert "BQLDA  Ban Quản lý dự án phường: Trễ hạn, gửi 14/10/2026; 1/1 chỉ tiêu đến kỳ" in out
    assert "(1) Thu ngân sách nhà nước trên địa bàn: 652.149 triệu đồng (ước) / 869.532 triệu đồng — Đúng tiến độ [KTHT]" in out
    assert "(15) Tỷ lệ tham gia bảo hiểm y tế: 94,6% / 96% — Giảm so với đầu năm [VHXH]" in out
    assert "(16) Trạm y tế đạt tiêu chí chuẩn quốc gia: — / 100% — Chưa đến kỳ đánh giá [VHXH]" in out
