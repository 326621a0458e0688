"""The explorer, driven by setting widget values as the analyst would; no browser needed."""

from __future__ import annotations

import pandas as pd
import pytest

from kehoach.explore import ALL, Explorer
from tests.conftest import PROJECT


@pytest.fixture
def ex(plan, tmp_path):
    return Explorer(plan, data_dir=PROJECT / "data", export_dir=tmp_path / "out")


def test_defaults_show_the_latest_period(ex):
    assert ex.period.value == "2026-Q3" and [o[1] for o in ex.period.options] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert len(ex.view()) == 36
    assert "Trong 20 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026: 5 chỉ tiêu đã đạt" in ex.summary_html.value
    assert ex.chart is not None and ex.chart.title == "Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"


def test_filters_drive_table_summary_and_chart(ex):
    ex.group.value = "YT"
    assert ex.view()["indicator"].tolist() == [15, 16, 17, 18, 19, 20, 21, 22]
    assert "Trong 8 chỉ tiêu" in ex.summary_html.value and "(15)" in ex.table_html.value and "(1)" not in ex.table_html.value
    ex.status.value = ("regressing", "at_risk")
    assert ex.view()["indicator"].tolist() == [15, 20]
    assert "Trong 2 chỉ tiêu, có 1 chỉ tiêu có nguy cơ không đạt và 1 chỉ tiêu giảm so với đầu năm." in ex.summary_html.value
    data = next(iter(ex.chart.spec["datasets"].values()))
    assert sorted(r["status"] for r in data) == ["at_risk", "regressing"]
    ex.group.value, ex.status.value, ex.unit.value = ALL, (), "BQLDA"
    assert ex.view()["indicator"].tolist() == [3] and ex.indicator.value == 3


def test_period_change(ex):
    ex.period.value = "2026-Q1"
    assert "quý I năm 2026" in ex.table_html.value
    assert (ex.view()["period"] == "2026-Q1").all()


def test_drill_down_shows_quarters_revisions_and_projection(ex):
    ex.indicator.value = 1
    html = ex.detail_html.value
    assert "652.149 triệu đồng" in html and "812.650 triệu đồng" in html  # 2026-Q3 and 2025-Q4
    assert "2026-Q2_KTHT_bo-sung.xlsx" in html and "25/07/2026" in html and "Ước thực hiện" in html
    assert "Ước cả năm: 888.613,15 triệu đồng; kế hoạch năm: 869.532 triệu đồng; đánh giá: ↗ Đúng tiến độ." in html
    assert ex.detail_chart.title == "(1) Thu ngân sách nhà nước trên địa bàn"


def test_required_pace(ex):
    ex.period.value = "2026-Q2"
    ex.indicator.value = 33
    assert "Nhịp độ cần đạt" in ex.pace_html.value
    assert "quý III/2026" in ex.pace_html.value and "35,25%" in ex.pace_html.value and "38%" in ex.pace_html.value


def test_what_if_slider_changes_the_status(ex):
    ex.indicator.value = 3  # Giải ngân vốn đầu tư công: at risk at 38,2%
    assert ex.assumed.value == pytest.approx(38.2) and (ex.assumed.min, ex.assumed.max) == (0.0, 100.0)
    assert "hiện tại: ! Có nguy cơ không đạt" in ex.whatif_html.value
    ex.assumed.value = 70.0
    assert "đạt 70%" in ex.whatif_html.value and "đánh giá ↗ Đúng tiến độ" in ex.whatif_html.value
    ex.assumed.value = 100.0
    assert "đánh giá ✓ Đã đạt" in ex.whatif_html.value
    assert ex.current()["value"] == 38.2  # the data itself is untouched


def test_what_if_for_missing_value(ex):
    ex.indicator.value = 19  # no 2026-Q3 value
    assert ex.current()["status"] == "no_data"
    assert ex.what_if(53.0)["status"] == "achieved"


def test_export_csv_and_excel(ex):
    ex.group.value = "KT"
    csv = ex.export("csv")
    frame = pd.read_csv(csv, encoding="utf-8-sig")
    assert frame["TT"].tolist() == [1, 2, 3, 4, 5] and "Đánh giá" in frame.columns
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    xlsx = ex.export("xlsx")
    assert pd.read_excel(xlsx)["Chỉ tiêu"].iloc[0] == "Thu ngân sách nhà nước trên địa bàn"
    assert "Đã xuất 5 dòng" in ex.export_html.value


def test_layout_is_a_widget_tree(ex):
    import ipywidgets as w

    root = ex.layout()
    assert isinstance(root, w.VBox) and isinstance(root.children[1], w.Tab)


def test_notebook_runs_headless_with_default_values(tmp_path):
    import nbformat
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(str(PROJECT / "notebooks" / "explore.ipynb"), str(out), progress_bar=False, kernel_name="python3",
                        parameters={"data_dir": str(PROJECT / "data")})
    nb = nbformat.read(out, as_version=4)
    bundles = [o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in b for b in bundles)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
