"""The command line, run in-process against a workbench in tmp_path."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from kehoach.cli import main
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
