"""`kehoach plan list|import|diff` and `--ward`/`--year` in a workspace with several plans."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kehoach.cli import main
from kehoach.data.plan import find_plan

from tests.conftest import PROJECT

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
SEED = PROJECT / "data" / "plan" / "source" / "ke-hoach-phat-trien-kt-xh-2026.txt"


@pytest.fixture
def two_years(workbench):
    shutil.copy(FIXTURES / "phan-dinh-phung-2027.yaml", workbench / "data" / "plan")
    return workbench


def test_one_plan_keeps_todays_commands(workbench, capsys):
    assert main(["plan", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["phan-dinh-phung", "2026", "36", "477/QĐ-UBND", "phan-dinh-phung-2026.yaml"]
    assert main(["plan", "show"]) == 0


def test_two_years_need_a_year_or_a_period(two_years, capsys):
    assert main(["plan", "show"]) == 2
    err = capsys.readouterr().err
    assert "Có 2 kế hoạch phù hợp" in err and "--ward phan-dinh-phung --year 2027" in err
    assert main(["--year", "2027", "plan", "show"]) == 0
    assert "(6) Tỷ lệ hộ kinh doanh sử dụng hóa đơn điện tử: 85%  [KTHT]" in capsys.readouterr().out
    # A command about a period takes that period's year.
    assert main(["status", "--period", "2027-Q1"]) == 0
    assert "Tình hình gửi báo cáo quý I năm 2027" in capsys.readouterr().out
    assert main(["--ward", "xa-khac", "plan", "show"]) == 2
    assert "Không có kế hoạch địa bàn “xa-khac”" in capsys.readouterr().err


def test_plan_diff(two_years, capsys):
    assert main(["plan", "diff", "2026", "2027"]) == 0
    out = capsys.readouterr().out
    assert "  35 chỉ tiêu giữ lại, 2 thêm mới, 1 bỏ." in out
    assert "  (16) Trạm y tế đạt tiêu chí chuẩn quốc gia [tram-y-te-chuan-quoc-gia]" in out
    assert "  (1) Thu ngân sách nhà nước trên địa bàn: 869.532 triệu đồng → 912.000 triệu đồng [thu-ngan-sach]" in out


def test_plan_import_command(workbench, capsys):
    source = workbench / "data" / "plan" / "source" / "kh-2027.txt"
    source.parent.mkdir()
    source.write_text(SEED.read_text(encoding="utf-8").replace("2026", "2027"), encoding="utf-8")
    assert main(["plan", "import", str(source)]) == 0
    out = capsys.readouterr().out
    draft = source.parent / "phan-dinh-phung-2027.yaml"
    assert f"Bản nháp: {draft}" in out and "giữ mã của 36 chỉ tiêu, 0 chỉ tiêu mới" in out
    # The draft is not live until moved into data/plan/; then both years are listed.
    assert len(list((workbench / "data" / "plan").glob("*.yaml"))) == 1
    shutil.move(draft, workbench / "data" / "plan" / draft.name)
    assert find_plan("phan-dinh-phung", 2027).indicator(1).code == "thu-ngan-sach"
    assert main(["plan", "import", str(source)]) == 0  # the draft was moved: a new one is written
    assert main(["plan", "import", str(source)]) == 2
    assert "đã có; không ghi đè" in capsys.readouterr().err


def test_import_picks_the_plan_named_in_the_file(two_years, capsys):
    csv = two_years / "q1.csv"
    csv.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note,submitted_at\n"
                   "phan-dinh-phung,2027,VHXH,17,2026-Q3,94.6,false,,2026-10-03T08:00:00+07:00\n", encoding="utf-8")
    assert main(["import", str(csv)]) == 0
    assert "đã nhập 1 số liệu chỉ tiêu" in capsys.readouterr().out
    assert (two_years / "data" / "progress" / "phan-dinh-phung" / "2027" / "records.sqlite").exists()
    assert not (two_years / "data" / "progress" / "phan-dinh-phung" / "2026").exists()


def test_benchmark_smoke():
    out = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "plan_import.py"), "--smoke"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert "20 chỉ tiêu, 4 nhóm" in out and "import_plan:" in out


def test_several_units_per_indicator_through_the_commands(workbench, capsys):
    """An indicator given to two units: the draft keeps both (lead first), plan show lists both, forms go to the lead."""
    draft = workbench / "data" / "plan" / "van-don-2027.yaml"
    assert main(["plan", "import", str(FIXTURES / "dac-khu-van-don-2027.txt"), "-o", str(draft)]) == 0
    assert '    unit_code: ["CA", "BCHQS"]' in draft.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["--ward", "van-don", "plan", "show"]) == 0
    out = capsys.readouterr().out
    assert "  (10) Số vụ tai nạn giao thông đường thủy: dưới 2 vụ  [CA+BCHQS]" in out
    assert "  CA     Công an đặc khu: (8), (10)" in out and "  BCHQS  Ban Chỉ huy quân sự đặc khu: (9), (+10)" in out
    plan = find_plan("van-don", 2027)
    assert plan.indicator(10).unit_code == "CA" and plan.indicator(10).unit_codes == ("CA", "BCHQS")
