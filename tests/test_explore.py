"""The explorer, driven by setting widget values as the analyst would (the browser test drives it in Chromium)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import re

import openpyxl
import pandas as pd
import pytest

from kehoach.analysis.evaluation import STATUSES
from kehoach.data.store import ProgressStore
from kehoach.explore import ALL, Explorer
from kehoach.explore import exports, table
from tests.conftest import PROJECT


@pytest.fixture
def ex(plan):
    explorer = Explorer(plan, data_dir=PROJECT / "data")
    explorer.layout()
    return explorer


def test_defaults_show_the_latest_period_with_the_banner(ex):
    assert ex.period.value == "2026-Q3" and [o[1] for o in ex.period.options] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert len(ex.view()) == 36
    assert "Trong 20 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026: 5 chỉ tiêu đã đạt" in ex.summary_html.value
    assert 'class="kh-banner"' in ex.summary_html.value and "SỐ LIỆU MINH HỌA" in ex.summary_html.value
    assert ex.overview_chart.spec["title"] == "Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"
    assert 'class="kh-ready"' in ex.state_html.value


def _table_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td data-label="TT">(\d+)</td>', html)]


def test_filters_drive_table_summary_and_chart(ex):
    ex.group.value = "YT"
    assert sorted(ex.view()["indicator"].tolist()) == [15, 16, 17, 18, 19, 20, 21, 22]
    assert _table_numbers(ex.table_html.value) == [15, 20, 19, 18, 22, 17, 21, 16]  # most severe first
    assert "Trong 7 chỉ tiêu đến kỳ đánh giá" in ex.summary_html.value
    ex.status_boxes["regressing"].value = True
    ex.status_boxes["at_risk"].value = True
    assert ex.view()["indicator"].tolist() == [15, 20]
    assert "Trong 2 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026: 1 chỉ tiêu có nguy cơ không đạt và 1 chỉ tiêu giảm so với đầu năm." in ex.summary_html.value
    data = next(iter(ex.overview_chart.spec["datasets"].values()))
    assert sorted(r["status"] for r in data) == ["at_risk", "regressing"]
    seq = ex.seq
    ex.clear_statuses()
    assert ex.statuses() == [] and len(ex.view()) == 8 and ex.seq == seq + 1  # one refresh for the clear
    ex.group.value, ex.unit.value = ALL, "BQLDA"
    assert ex.view()["indicator"].tolist() == [3] and ex.indicator.value == 3


def test_units_without_indicators_are_not_offered(ex):
    assert "VP" not in [code for _, code in ex.unit.options]
    assert [code for _, code in ex.unit.options] == [ALL, "KTHT", "VHXH", "PVHCC", "BQLDA", "QSCA"]


def test_empty_view_clears_the_chart_and_shows_the_placeholder(ex):
    ex.group.value = "KT"
    ex.status_boxes["achieved"].value = True
    assert ex.view().empty
    assert "kh-placeholder" in ex.summary_html.value and "Không có chỉ tiêu nào khớp bộ lọc." in ex.summary_html.value
    assert ex.overview_chart.spec is None and ex.overview_chart.widget.layout.display == "none"
    assert ex.table_html.value == ""


def test_clicking_a_group_bar_or_a_heatmap_cell_sets_the_controls(ex):
    ex._pick_group({"group": "YT"})
    assert ex.group.value == "YT"
    ex._pick_indicator({"indicator": 20})
    assert ex.indicator.value == 20 and ex.views.value == "chi-tiet" and ex.pages[5].layout.display is None
    assert [p.layout.display for p in ex.pages[:5]] == ["none"] * 5 and ex.chart.active is ex.detail_chart
    params = ex.overview_chart.spec["params"]
    assert params[0]["select"] == {"type": "point", "fields": ["group"], "on": "click", "clear": "dblclick"}
    assert ex.overview_chart.widget.selections.trait_names().count("pick") == 1


def test_hidden_views_are_drawn_when_opened(ex):
    assert ex.heatmap_chart.spec is None
    ex.views.value = "theo-quy"
    assert ex.heatmap_chart.spec["title"] == "Đánh giá từng chỉ tiêu theo quý, năm 2026"
    assert ex.heatmap_chart.spec["params"][0]["select"]["fields"] == ["indicator"]
    assert ex.heatmap_chart.spec["description"] == "Đánh giá từng chỉ tiêu theo quý, năm 2026"  # read by screen readers
    assert {layer["mark"]["ariaRoleDescription"] for layer in ex.heatmap_chart.spec["layer"]} == {"ô", "nhãn"}
    ex.views.value = "chi-tiet"
    assert ex.detail_chart.spec["title"]["text"] == "(1) Thu ngân sách nhà nước trên địa bàn"


def test_table_is_rounded_to_each_indicators_precision(ex):
    shown = table.display(ex.table()).set_index("TT")
    assert shown.loc[1, "Ước cả năm"] == "888.613" and shown.loc[1, "Thực hiện"] == "652.149"
    assert shown.loc[3, "Ước cả năm"] == "71,3" and shown.loc[4, "Thực hiện"] == "10,95"
    assert shown.loc[18, "Ước cả năm"] == "4.384" and shown.loc[5, "Thực hiện"] == ""
    assert list(shown.columns) == ["Chỉ tiêu", "ĐVT", "Chiều", "Kế hoạch năm", "Thực hiện", "Ước cả năm", "% kế hoạch", "Đánh giá"]
    assert shown.loc[6, "Chiều"] == "↓ Giảm là tốt" and shown.loc[1, "Chiều"] == "↑ Tăng là tốt"


def test_drill_down_shows_quarters_revisions_and_projection(ex):
    ex.views.value = "chi-tiet"
    ex.indicator.value = 2
    ex.indicator.value = 1
    html = ex.detail_html.value
    assert "652.149 triệu đồng" in html and "812.650 triệu đồng" in html  # 2026-Q3 and 2025-Q4
    assert "2026-Q2_KTHT_bo-sung.xlsx" in html and "25/07/2026" in html and "Ước thực hiện" in html
    assert "Ước cả năm: 888.613 triệu đồng; kế hoạch năm: 869.532 triệu đồng (↑ Tăng là tốt); đánh giá: ↗ Đúng tiến độ." in html
    assert "[KTHT chưa gửi nguyên nhân]" in html and "[KTHT chưa gửi giải pháp]" in html  # no words: a placeholder


def test_required_pace(ex):
    ex.views.value = "chi-tiet"
    ex.period.value = "2026-Q2"
    ex.indicator.value = 33
    assert "Nhịp độ cần đạt" in ex.pace_html.value
    assert "quý III/2026" in ex.pace_html.value and "35,3%" in ex.pace_html.value and "38,0%" in ex.pace_html.value


def test_slider_follows_the_indicator(ex):
    """Range and value go together: (1) then (3) shows 38,2, not the maximum of (1)'s range."""
    ex.views.value = "chi-tiet"
    ex.indicator.value = 1
    assert ex.assumed.layout.width == "100%"  # the slider spans the width
    assert (ex.assumed.min, ex.assumed.max, ex.assumed.value) == (0.0, 1304298.0, 652149.0)
    ex.indicator.value = 3
    assert (ex.assumed.min, ex.assumed.max, ex.assumed.value) == (0.0, 100.0, 38.2)
    assert ex.assumed_text.value == "38,2"
    assert "đạt 38,2%: ước cả năm 71,3%, đánh giá ! Có nguy cơ không đạt" in ex.whatif_html.value
    ex.indicator.value = 20
    assert ex.assumed.value == 47.0 and ex.assumed_text.value == "47,0"


def test_what_if_slider_changes_the_status(ex):
    ex.views.value = "chi-tiet"
    ex.indicator.value = 3
    ex.assumed.value = 70.0
    assert ex.assumed_text.value == "70,0"
    assert "đạt 70,0%" in ex.whatif_html.value and "đánh giá ↗ Đúng tiến độ (hiện tại: ! Có nguy cơ không đạt)" in ex.whatif_html.value
    ex.assumed.value = 100.0
    assert "đánh giá ✓ Đã đạt" in ex.whatif_html.value
    assert ex.current()["value"] == 38.2  # the data itself is untouched


def test_what_if_reads_vietnamese_numbers(ex):
    ex.views.value = "chi-tiet"
    ex.indicator.value = 3
    ex.assumed_text.value = "45,5"
    assert ex.assumed.value == 45.5 and ex.assumed_text.value == "45,5" and "đạt 45,5%" in ex.whatif_html.value
    ex.indicator.value = 1
    ex.assumed_text.value = "700.000"
    assert ex.assumed.value == 700000.0 and ex.assumed_text.value == "700.000"
    assert "đạt 700.000 triệu đồng: ước cả năm 953.815 triệu đồng" in ex.whatif_html.value
    ex.assumed_text.value = "2.000.000"  # above the slider's range: the range grows
    assert ex.assumed.value == 2000000.0 and ex.assumed.max == 2000000.0


def test_what_if_rejects_bad_input_in_vietnamese(ex):
    ex.views.value = "chi-tiet"
    ex.indicator.value = 3
    ex.assumed_text.value = "abc"
    assert "Không đọc được giá trị: “abc” không phải là số" in ex.whatif_html.value and ex.assumed.value == 38.2
    ex.assumed_text.value = "120"
    assert "ngoài khoảng cho phép (từ 0 đến 100)" in ex.whatif_html.value and ex.assumed.value == 38.2


def test_what_if_for_missing_value(ex):
    ex.indicator.value = 19  # no 2026-Q3 value
    assert ex.current()["status"] == "no_data"
    assert ex.what_if(53.0)["status"] == "achieved"


def test_csv_export_follows_the_filters_in_the_order_shown(ex):
    ex.group.value = "KT"
    name, data = ex.export("csv")
    assert re.fullmatch(r"chi-tieu_2026-Q3_kt_tat-ca_\d{8}-\d{6}_1\.csv", name) and data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["TT", "Chỉ tiêu", "Đơn vị tính", "Chiều mục tiêu", "Kế hoạch năm", "Thực hiện", "Ước cả năm",
                       "Tỷ lệ hoàn thành (%)", "Loại số liệu", "Đánh giá", "Nhóm", "Đơn vị chủ trì"]
    assert [r[0] for r in rows[1:]] == [str(n) for n in ex.view()["indicator"]] == ["3", "4", "1", "2", "5"]
    assert rows[3] == ["1", "Thu ngân sách nhà nước trên địa bàn", "triệu đồng", "↑ Tăng là tốt", "869532", "652149", "888613",
                       "75,0", "Ước thực hiện", "↗ Đúng tiến độ", "Kinh tế", "Phòng Kinh tế, Hạ tầng và Đô thị phường"]
    assert rows[1][4:8] == ["100,0", "38,2", "71,3", "38,2"] and len(rows) == 6
    link = ex.export_html.value
    assert f'download="{name}"' in link and 'href="data:text/csv;charset=utf-8;base64,' in link
    assert "Bảng 5 chỉ tiêu" in link
    second, _ = ex.export("csv")
    assert second != name and second.endswith("_2.csv")  # never the same name twice
    ex.group.value = "YT"  # a new filter: the link to the old file is gone (never stale)
    assert "kh-download" not in ex.export_html.value and "theo bộ lọc đang chọn" in ex.export_html.value


def test_xlsx_export_has_banner_filters_formats_and_widths(ex, tmp_path):
    ex.group.value = "KT"
    ex.status_boxes["on_track"].value = True
    name, data = ex.export("xlsx")
    path = tmp_path / name
    path.write_bytes(data)
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == exports.BANNER
    assert sheet["A2"].value == "Kết quả thực hiện các chỉ tiêu – 9 tháng năm 2026"
    assert [(sheet.cell(r, 1).value, sheet.cell(r, 2).value) for r in range(3, 8)] == [
        ("Kỳ báo cáo", "9 tháng năm 2026"), ("Nhóm", "Kinh tế"), ("Đơn vị chủ trì", ALL), ("Đánh giá", "Đúng tiến độ"),
        ("Sắp xếp", "Mức độ cần chú ý (nặng nhất trước)")]
    assert sheet["A10"].value == "TT" and sheet["A11"].value == 1 and sheet["G11"].value == 888613.0
    assert sheet["D11"].value == "↑ Tăng là tốt"
    assert sheet["G11"].number_format == "#,##0" and sheet["F12"].number_format == "#,##0.0"
    assert sheet.column_dimensions["B"].width > 30 and sheet.freeze_panes == "A11"


def test_formula_like_text_is_written_as_text(tmp_path):
    frame = pd.DataFrame({"indicator": [1], "label": ["=HYPERLINK(\"x\")"], "unit": ["@u"], "direction_text": ["d"],
                          "target": [1.0], "value": [2.0],
                          "projection": [3.0], "achievement_pct": [50.0], "kind_text": ["+x"], "status_text": ["-y"],
                          "group_name": ["g"], "unit_name": ["u"], "decimals": [0]})
    text = exports.to_csv(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";'@u;" in text and ";'+x;'-y;" in text
    path = tmp_path / "x.xlsx"
    path.write_bytes(exports.to_xlsx(frame, [("Nhóm", "=1+1")], illustrative=False, title="T"))
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == "T" and sheet["B2"].value == "=1+1" and sheet["B2"].data_type == "s"
    assert sheet["B5"].value == '=HYPERLINK("x")' and sheet["B5"].data_type == "s" and sheet["B5"].quotePrefix
    assert not hasattr(exports, "safe_text")  # one escaping function: kehoach.core.sheets


@pytest.mark.parametrize("value, decimals", [(652149.0, 0), (38.2, 1), (10.95, 2), (0.02, 2), (1.23456, 2), (100.0, 0)])
def test_decimals_of(value, decimals):
    assert table.decimals_of(value) == decimals


def test_rounding_is_half_up():
    assert table.rounded(6.25, 1) == 6.3 and table.fmt(888613.153672, 0) == "888.613"


def test_templates_escape_data(ex):
    from kehoach.explore.views import render

    html = render("whatif", error="", label="<script>x</script>", period="p", assumed="1", projection="2", status="s", current="c",
                  changed=True)
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.slow
def test_notebook_runs_headless_with_default_values(tmp_path):
    import nbformat
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(PROJECT / "notebooks" / "explore.ipynb"), str(out), progress_bar=False, kernel_name="python3",
                        parameters={"data_dir": str(PROJECT / "data")})
    nb = nbformat.read(out, as_version=4)
    bundles = [o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in b for b in bundles)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") in ("error", "stream")]


def test_committed_notebooks_have_no_outputs():
    """Notebooks are stored clean (nbstripout runs on `git add`, see `make install`)."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=PROJECT, capture_output=True, text=True, check=False)
    paths = tracked.stdout.split() if tracked.returncode == 0 else [str(p.relative_to(PROJECT)) for p in
                                                                     (PROJECT / "notebooks").glob("*.ipynb")]
    assert paths
    for path in paths:
        nb = json.loads((PROJECT / path).read_text(encoding="utf-8"))
        dirty = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
        assert not dirty, f"{path}: cells {dirty} carry outputs; run `make install` to set up nbstripout, then `git add` again"


def test_nbstripout_filter_is_declared():
    assert "*.ipynb filter=nbstripout" in (PROJECT / ".gitattributes").read_text(encoding="utf-8")
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    assert "filter.nbstripout.clean" in makefile


def test_table_sorts_by_severity_number_or_share(ex):
    ex.group.value = "KT"
    assert ex.view()["status"].tolist() == ["at_risk", "behind", "on_track", "on_track", "not_due"]
    ex.sort.value = "so-thu-tu"
    assert _table_numbers(ex.table_html.value) == [1, 2, 3, 4, 5]
    ex.sort.value = "ty-le"
    shares = ex.view()["achievement_pct"].dropna().tolist()
    assert shares == sorted(shares)
    assert 'data-label="Ước cả năm"' in ex.table_html.value  # a phone shows each figure with its heading


def test_comparison_of_two_quarters_by_status(ex):
    ex.views.value = "so-sanh"
    assert ex.before.value == "2026-Q2"  # the previous quarter by default
    rows = ex.compared()
    assert rows.loc[rows["verdict"] == "worse", "indicator"].tolist() == [9]
    first = rows.iloc[0]
    assert (first["status_before"], first["status_after"], first["value_before"], first["value_after"]) == (
        "on_track", "behind", 98.4, 99.0)
    html = ex.compare_html.value
    assert "So sánh 9 tháng năm 2026 với 6 tháng đầu năm 2026" in html and "↓ Xấu đi" in html
    assert "[PVHCC chưa gửi nguyên nhân]" in html
    assert ex.compare_chart.spec["title"]["text"] == "So sánh 9 tháng năm 2026 với 6 tháng đầu năm 2026"
    ex.period.value = "2026-Q2"  # the choices follow the period
    assert [v for _, v in ex.before.options][:1] == ["2026-Q1"] and ex.before.value == "2026-Q1"


def test_comparison_with_last_year_by_value_in_the_targets_direction(ex):
    ex.views.value = "so-sanh"
    ex.before.value = "2025-Q3"
    rows = ex.compared()
    assert rows.head(2)[["indicator", "verdict", "value_before", "value_after"]].values.tolist() == [
        [15, "worse", 95.0, 94.6], [3, "worse", 48.9, 38.2]]
    assert rows["status_before"].isna().all()  # last year's plan is not evaluated: only figures compare
    assert "9 tháng năm 2025 (cùng kỳ)" in [label for label, _ in ex.before.options]


def test_direction_and_severity_helpers():
    from kehoach.analysis.comparison import SEVERITY, direction

    got = direction(pd.Series([">=", "<", ">=", ">"]), pd.Series(["level", "level", "reduction", "cumulative"]))
    assert got.tolist() == ["up", "down", "down", "up"]
    assert SEVERITY[:3] == ["missed", "regressing", "at_risk"] and sorted(SEVERITY) == sorted(STATUSES)


def test_trend_of_the_filtered_indicators_and_of_one(ex):
    ex.group.value = "QPAN"
    ex.views.value = "dien-bien"
    spec = ex.trend_chart.spec
    titles = {p["title"] for p in next(iter(spec["datasets"].values()))}
    assert titles == {f"({n}) {ex.plan.indicator(n).label} ({ex.plan.indicator(n).unit})" for n in (34, 35, 36)}
    roles = [p["role"] for p in next(iter(spec["datasets"].values())) if p["indicator"] == 35]
    assert roles.count("target") == 1 and roles.count("end") == 1  # the target line and the projection
    ex.trend_scope.value = "chon"
    data = next(iter(ex.trend_chart.spec["datasets"].values()))
    assert {p["indicator"] for p in data} == {ex.indicator.value}


def test_reporting_status_highlights_late_units(ex):
    ex.views.value = "bao-cao"
    html = ex.reporting_html.value
    assert "hạn gửi 05/10/2026" in html and "2 đơn vị gửi trễ hoặc chưa gửi" in html
    assert re.findall(r'<tr class="kh-late">\s*<td data-label="Đơn vị">([^<]+)</td>', html) == [
        "Ban Quản lý dự án phường", "Ban Chỉ huy quân sự phường, Công an phường"]
    assert "⚠ Trễ hạn" in html and "(19)" in html  # the missing figure is named


def test_units_words_beside_their_indicator(plan, tmp_path):
    """Text records (record == "text") of the period are shown in the drill-down and the comparison; others are not."""
    shutil.copytree(PROJECT / "data" / "progress", tmp_path / "progress")
    store = ProgressStore(tmp_path / "progress")
    records = store.read(plan.ward, plan.year)
    base = records[(records["record"] == "indicator") & (records["indicator"] == 9) & (records["period"] == "2026-Q3")].iloc[[0]]
    texts = pd.concat([base.assign(record="text", item=item, text=text, value=float("nan"), is_estimate=pd.NA, period=period,
                                   revision=9)  # after any the sample holds
                       for item, text, period in [("nguyen-nhan-chi-tieu", "Đường truyền chập chờn trong tháng 8.", "2026-Q3"),
                                                  ("giai-phap-chi-tieu", "Nâng cấp đường truyền trước 30/10.", "2026-Q3"),
                                                  ("nguyen-nhan-chi-tieu", "Lời của quý trước.", "2026-Q2")]],
                      ignore_index=True)
    original = tmp_path / "texts.csv"
    original.write_text("texts", encoding="utf-8")
    store.append(plan.ward, plan.year, texts, original, "0" * 64)
    ex = Explorer(plan, data_dir=tmp_path)
    ex.layout()
    ex.views.value = "chi-tiet"
    ex.indicator.value = 9
    html = ex.detail_html.value
    assert "Đường truyền chập chờn trong tháng 8." in html and "Nâng cấp đường truyền trước 30/10." in html
    assert "Lời của quý trước." not in html and "chưa gửi" not in html
    ex.views.value = "so-sanh"
    assert "Đường truyền chập chờn trong tháng 8." in ex.compare_html.value
    ex.views.value = "bao-cao"  # the two new texts replace the sample's two of indicator 9: still 8 items
    row = re.search(r"Trung tâm Phục vụ hành chính công phường</td>.*?</tr>", ex.reporting_html.value, re.S).group(0)
    assert "8 mục" in row


def test_view_state_round_trips_through_the_address(ex):
    ex.period.value = "2026-Q2"
    ex.group.value = "YT"
    ex.status_boxes["at_risk"].value = True
    ex.views.value = "so-sanh"
    ex.before.value = "2025-Q2"
    query = ex.query()
    assert query == "ky=2026-Q2&nhom=YT&danh-gia=at_risk&xem=so-sanh&so-voi=2025-Q2"
    assert ex.url.query == query  # sent to the page, which writes it after '#'
    fresh = Explorer(ex.plan, data_dir=PROJECT / "data")
    fresh.layout()
    fresh.url.query = query  # what the page sends when opened with that address
    assert (fresh.period.value, fresh.group.value, fresh.statuses(), fresh.views.value, fresh.before.value) == (
        "2026-Q2", "YT", ["at_risk"], "so-sanh", "2025-Q2")
    assert fresh.query() == query and fresh.compare_chart.spec is not None
    fresh.apply_query("ky=2031-Q9&nhom=XX&xem=khong-co")  # nonsense is left out, never an error
    assert (fresh.period.value, fresh.group.value, fresh.views.value) == ("2026-Q3", ALL, "tong-quan")


def test_charts_export_as_png_and_svg_with_descriptive_names(ex):
    ex.group.value = "YT"
    name, png = ex.export_chart("png")
    assert re.fullmatch(r"bieu-do_tong-quan_2026-Q3_yt_tat-ca_\d{8}-\d{6}_1\.png", name) and png.startswith(b"\x89PNG")
    ex.views.value = "so-sanh"
    name, svg = ex.export_chart("svg")
    assert name.startswith("bieu-do_so-sanh_2026-Q2_2026-Q3_yt") and svg.startswith(b"<svg")
    assert "So sánh 9 tháng năm 2026" in svg.decode("utf-8")
    assert 'download="' + name + '"' in ex.export_html.value
    ex.views.value = "bao-cao"
    assert ex.export_chart("png") is None and "không có biểu đồ" in ex.export_html.value


def test_a_click_on_the_shared_chart_reaches_the_open_views_control(ex):
    """What the browser sends when a group bar is clicked (Vega's point selection) sets the group filter."""
    ex.chart.widget._vl_selections = {"pick": {"value": {"group": ["KT"], "vlPoint": {"or": [{"group": "KT"}]}}, "store": [
        {"unit": "pick_view", "fields": [{"field": "group", "channel": "y", "type": "E"}], "values": ["KT"]}]}}
    assert ex.group.value == "KT"
