"""The province report's inputs (kehoach.reporting.province_context) and sections (kehoach.reporting.province)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kehoach.core.errors import KehoachError
from kehoach.core.parameters import load_parameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import load_plan
from kehoach.delivery.bundles import build_province
from kehoach.reporting import context, province, province_context
from kehoach.reporting.province_context import CommuneOutcome
from tests.conftest import PLAN_FILE

pytestmark = pytest.mark.slow  # builds a synthetic province: communes imported form by form

P = Period(2026, 3)


@pytest.fixture(scope="module")
def pctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("pr") / "tinh"
    build_province(3, root, load_plan(PLAN_FILE))
    mp = pytest.MonkeyPatch()
    mp.setenv("KEHOACH_ROOT", str(root))
    try:
        params = load_parameters(P, required=True)
        wards = sorted(p.stem.removesuffix("-2026") for p in (root / "data" / "plan").glob("*.yaml"))
        cutoff = dt.datetime(2026, 11, 29, 23, 59, tzinfo=VN_TZ)
        outcomes = [CommuneOutcome(w, context.compute(P, ward=w, params=params, as_of="2026-11-29"), reports=5, failed=[])
                    for w in wards[:2]]
        outcomes.append(CommuneOutcome(wards[2], None, error="Không lập được báo cáo: <b>lỗi</b>"))
        yield province_context.gather(P, params, outcomes, cutoff), root
    finally:
        mp.undo()


def test_gather_keeps_every_communes_rows_with_code_and_population(pctx):
    p, _ = pctx
    assert p.province == "Thái Nguyên" and p.issuer == "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN" and p.illustrative
    assert p.frame["ward"].nunique() == 2 and p.frame["code"].notna().all() and (p.frame["period"] == "2026-Q3").all()
    assert len(p.communes) == 3 and p.communes["population"].notna().sum() == 2
    assert p.communes.iloc[2]["error"].startswith("Không lập được báo cáo")


def test_inputs_round_trip_and_refuse_a_changed_file(pctx, tmp_path):
    p, _ = pctx
    folder = province_context.write(p, tmp_path / "inputs")
    back = province_context.read(folder)
    columns = ["ward", "ward_name", "code", "value", "target", "status", "achievement_pct"]
    pd.testing.assert_frame_equal(back.frame[columns], p.frame[columns], check_dtype=False)
    assert back.communes["ward"].tolist() == p.communes["ward"].tolist()
    assert back.completeness["missing"].tolist() == p.completeness["missing"].tolist()
    with pytest.raises(KehoachError, match="không phải 2026-Q2"):
        province_context.load("2026-Q2", inputs=str(folder))
    (folder / "frame.parquet").write_bytes(b"x")
    with pytest.raises(KehoachError, match="frame.parquet: tệp số liệu đầu vào đã bị thay đổi hoặc bị thiếu sau lần chạy. Chạy lại bằng kehoach run --ward all"):
        province_context.read(folder)


def test_sections_in_the_document_form(pctx):
    p, _ = pctx
    header = province.document_header(p).text()
    assert "ỦY BAN NHÂN DÂN\nTỈNH THÁI NGUYÊN" in header and "Thái Nguyên, ngày 10 tháng 10 năm 2026" in header
    assert "của 3 xã, phường" in header and "SỐ LIỆU MINH HỌA" in header
    summary = province.summary_section(p).text()
    assert "Có 1 xã, phường chưa lập đủ báo cáo" in summary
    rollup = province.rollup_section(p)
    text = rollup.text()
    assert "Tổng của các xã" in text and "Bình quân gia quyền theo dân số" in text and "Tổng toàn tỉnh:" in text
    assert "Chưa có số liệu kỳ này" in text  # a shared semi-annual indicator is not due in Q3
    assert any(b.kind == "chart" and "<svg" in b.svg for b in rollup.blocks)
    assert province.heatmap_section(p).blocks[1].svg.startswith("<svg")
    assert "V. Tình hình báo cáo của các xã, phường" in province.completeness_section(p).text()
    assert "TM. ỦY BAN NHÂN DÂN" in province.closing(p).text()


def test_the_overview_has_the_table_of_bundles_received(pctx):
    p, _ = pctx
    assert p.bundles["commune"].tolist() == ["phuong-phuc-vinh", "xa-la-hy", "xa-binh-thuan"]  # the province's list
    text = province.completeness_section(p).text()
    assert "Gói số liệu các xã, phường gửi tỉnh (kehoach bundle): 3/3 xã, phường đã gửi; trễ hạn: không có." in text
    for line in ("Phường Phúc Vinh | Đã nhận | 16:10 06/10/2026 | 1 | 2/3 | Đúng hạn",
                 "Xã La Hỷ | Đã nhận | 16:11 05/10/2026 | 1 | 2/3 | Đúng hạn",
                 "Xã Bình Thuận | Đã nhận | 16:12 07/10/2026 | 1 | 2/3 | Đúng hạn"):
        assert line in text, text


def test_commune_links_are_relative_and_escaped(pctx):
    p, _ = pctx
    html = province.commune_links(p).html()
    first = p.communes.iloc[0]["ward"]
    assert f'href="../{first}/bao-cao-tong-hop.html"' in html and f'href="../{first}/index.html"' in html
    assert "&lt;b&gt;lỗi&lt;/b&gt;" in html and "<b>lỗi</b>" not in html
