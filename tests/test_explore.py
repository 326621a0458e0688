"""The explorer, driven by setting widget values as the analyst would (the browser test drives it in Chromium)."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pandas as pd
import pytest

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


def test_filters_drive_table_summary_and_chart(ex):
    ex.group.value = "YT"
    assert ex.view()["indicator"].tolist() == [15, 16, 17, 18, 19, 20, 21, 22]
    assert ex.grid.df["TT"].tolist() == [15, 16, 17, 18, 19, 20, 21, 22]
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
    assert ex.grid.layout.display == "none"


def test_clicking_a_group_bar_or_a_heatmap_cell_sets_the_controls(ex):
    ex._pick_group({"group": "YT"})
    assert ex.group.value == "YT"
    ex._pick_indicator({"indicator": 20})
    assert ex.indicator.value == 20 and ex.tabs.selected_index == 2
    params = ex.overview_chart.spec["params"]
    assert params[0]["select"] == {"type": "point", "fields": ["group"], "on": "click", "clear": "dblclick"}
    assert ex.overview_chart.widget.selections.trait_names().count("pick") == 1


def test_hidden_tabs_are_drawn_when_opened(ex):
    assert ex.heatmap_chart.spec is None
    ex.tabs.selected_index = 1
    assert ex.heatmap_chart.spec["title"] == "Đánh giá từng chỉ tiêu theo quý, năm 2026"
    assert ex.heatmap_chart.spec["params"][0]["select"]["fields"] == ["indicator"]
    ex.tabs.selected_index = 2
    assert ex.detail_chart.spec["title"]["text"] == "(1) Thu ngân sách nhà nước trên địa bàn"


def test_table_is_rounded_to_each_indicators_precision(ex):
    shown = ex.grid.df.set_index("TT")
    assert shown.loc[1, "Ước cả năm"] == "888.613" and shown.loc[1, "Thực hiện"] == "652.149"
    assert shown.loc[3, "Ước cả năm"] == "71,3" and shown.loc[4, "Thực hiện"] == "10,95"
    assert shown.loc[18, "Ước cả năm"] == "4.384" and shown.loc[5, "Thực hiện"] == ""
    assert list(shown.columns) == ["Chỉ tiêu", "ĐVT", "Kế hoạch năm", "Thực hiện", "Ước cả năm", "% kế hoạch", "Đánh giá"]


def test_drill_down_shows_quarters_revisions_and_projection(ex):
    ex.indicator.value = 2
    ex.indicator.value = 1
    html = ex.detail_html.value
    assert "652.149 triệu đồng" in html and "812.650 triệu đồng" in html  # 2026-Q3 and 2025-Q4
    assert "2026-Q2_KTHT_bo-sung.xlsx" in html and "25/07/2026" in html and "Ước thực hiện" in html
    assert "Ước cả năm: 888.613 triệu đồng; kế hoạch năm: 869.532 triệu đồng; đánh giá: ↗ Đúng tiến độ." in html


def test_required_pace(ex):
    ex.period.value = "2026-Q2"
    ex.indicator.value = 33
    assert "Nhịp độ cần đạt" in ex.pace_html.value
    assert "quý III/2026" in ex.pace_html.value and "35,3%" in ex.pace_html.value and "38,0%" in ex.pace_html.value


def test_slider_follows_the_indicator(ex):
    """Range and value go together: (1) then (3) shows 38,2, not the maximum of (1)'s range."""
    ex.indicator.value = 1
    assert (ex.assumed.min, ex.assumed.max, ex.assumed.value) == (0.0, 1304298.0, 652149.0)
    ex.indicator.value = 3
    assert (ex.assumed.min, ex.assumed.max, ex.assumed.value) == (0.0, 100.0, 38.2)
    assert ex.assumed_text.value == "38,2"
    assert "đạt 38,2%: ước cả năm 71,3%, đánh giá ! Có nguy cơ không đạt" in ex.whatif_html.value
    ex.indicator.value = 20
    assert ex.assumed.value == 47.0 and ex.assumed_text.value == "47,0"


def test_what_if_slider_changes_the_status(ex):
    ex.indicator.value = 3
    ex.assumed.value = 70.0
    assert ex.assumed_text.value == "70,0"
    assert "đạt 70,0%" in ex.whatif_html.value and "đánh giá ↗ Đúng tiến độ" in ex.whatif_html.value
    ex.assumed.value = 100.0
    assert "đánh giá ✓ Đã đạt" in ex.whatif_html.value
    assert ex.current()["value"] == 38.2  # the data itself is untouched


def test_what_if_reads_vietnamese_numbers(ex):
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
    ex.indicator.value = 3
    ex.assumed_text.value = "abc"
    assert "Không đọc được giá trị: “abc” không phải là số" in ex.whatif_html.value and ex.assumed.value == 38.2
    ex.assumed_text.value = "120"
    assert "ngoài khoảng cho phép (từ 0 đến 100)" in ex.whatif_html.value and ex.assumed.value == 38.2


def test_what_if_for_missing_value(ex):
    ex.indicator.value = 19  # no 2026-Q3 value
    assert ex.current()["status"] == "no_data"
    assert ex.what_if(53.0)["status"] == "achieved"


def test_csv_export_for_vietnamese_excel(ex):
    ex.group.value = "KT"
    name, data = ex.export("csv")
    assert name == "kham-pha_2026-Q3.csv" and data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["TT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm", "Thực hiện", "Ước cả năm", "Tỷ lệ hoàn thành (%)",
                       "Loại số liệu", "Đánh giá", "Nhóm", "Đơn vị chủ trì"]
    assert rows[1] == ["1", "Thu ngân sách nhà nước trên địa bàn", "triệu đồng", "869532", "652149", "888613", "75,0",
                       "Ước thực hiện", "↗ Đúng tiến độ", "Kinh tế", "Phòng Kinh tế, Hạ tầng và Đô thị phường"]
    assert rows[3][3:7] == ["100,0", "38,2", "71,3", "38,2"] and len(rows) == 6
    link = ex.export_html.value
    assert 'download="kham-pha_2026-Q3.csv"' in link and 'href="data:text/csv;charset=utf-8;base64,' in link
    assert "Đã xuất 5 dòng" in link


def test_xlsx_export_has_banner_filters_formats_and_widths(ex, tmp_path):
    ex.group.value = "KT"
    ex.status_boxes["on_track"].value = True
    name, data = ex.export("xlsx")
    path = tmp_path / name
    path.write_bytes(data)
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == exports.BANNER
    assert sheet["A2"].value == "Kết quả thực hiện các chỉ tiêu – 9 tháng năm 2026"
    assert [(sheet.cell(r, 1).value, sheet.cell(r, 2).value) for r in range(3, 7)] == [
        ("Kỳ báo cáo", "9 tháng năm 2026"), ("Nhóm", "Kinh tế"), ("Đơn vị chủ trì", ALL), ("Đánh giá", "Đúng tiến độ")]
    assert sheet["A9"].value == "TT" and sheet["A10"].value == 1 and sheet["F10"].value == 888613.0
    assert sheet["F10"].number_format == "#,##0" and sheet["E11"].number_format == "#,##0.0"
    assert sheet.column_dimensions["B"].width > 30 and sheet.freeze_panes == "A10"


def test_formula_like_text_is_written_as_text(tmp_path):
    frame = pd.DataFrame({"indicator": [1], "label": ["=HYPERLINK(\"x\")"], "unit": ["@u"], "target": [1.0], "value": [2.0],
                          "projection": [3.0], "achievement_pct": [50.0], "kind_text": ["+x"], "status_text": ["-y"],
                          "group_name": ["g"], "unit_name": ["u"], "decimals": [0]})
    text = exports.to_csv(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";'@u;" in text and ";'+x;'-y;" in text
    path = tmp_path / "x.xlsx"
    path.write_bytes(exports.to_xlsx(frame, [("Nhóm", "=1+1")], illustrative=False, title="T"))
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == "T" and sheet["B2"].value == "=1+1" and sheet["B2"].data_type == "s"
    assert sheet["B5"].value == '=HYPERLINK("x")' and sheet["B5"].data_type == "s" and sheet["B5"].quotePrefix


@pytest.mark.parametrize("value, decimals", [(652149.0, 0), (38.2, 1), (10.95, 2), (0.02, 2), (1.23456, 2), (100.0, 0)])
def test_decimals_of(value, decimals):
    assert table.decimals_of(value) == decimals


def test_rounding_is_half_up():
    assert table.rounded(6.25, 1) == 6.3 and table.fmt(888613.153672, 0) == "888.613"


def test_templates_escape_data(ex):
    from kehoach.explore.views import render

    html = render("whatif", error="", label="<script>x</script>", period="p", assumed="1", projection="2", status="s", current="c")
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
