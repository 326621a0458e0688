"""Charts: valid Vega-Lite, static SVG with the Vietnamese title, no network, Vietnamese numbers."""

from __future__ import annotations

import datetime as dt
import html
import re
import socket

import pytest

from kehoach.analysis import charts
from kehoach.analysis.completeness import completeness
from kehoach.analysis.evaluation import STATUSES, evaluate, scorecard
from kehoach.data.store import ProgressStore, load_progress
from tests.conftest import PROJECT

STORE = PROJECT / "data" / "progress"


@pytest.fixture(scope="module")
def built(plan):
    progress = load_progress(root=STORE)
    evaluated = evaluate(plan, progress, "2026-Q3")
    card = scorecard(evaluated, completeness(plan, ProgressStore(STORE).read(), "2026-Q3", dt.date(2026, 10, 5)))
    return {
        "Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026": charts.status_overview(evaluated),
        "Nhóm Kinh tế: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026": charts.bullet(evaluated, "KT"),
        "(1) Thu ngân sách nhà nước trên địa bàn": charts.trend(progress, plan.indicators.iloc[0], 2026),
        "Đánh giá từng chỉ tiêu theo quý, năm 2026": charts.heatmap(evaluate(plan, progress, ["2026-Q1", "2026-Q2", "2026-Q3"])),
        "Kết quả theo đơn vị chủ trì": charts.unit_scorecard(card),
    }


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a chart tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_each_chart_is_valid_vega_lite_and_renders_its_title(built, no_network):
    for title, chart in built.items():
        spec = charts.spec(chart)  # validates against the Vega-Lite schema
        assert spec["config"]["locale"]["number"]["decimal"] == ","
        svg = charts.to_svg(chart)
        assert svg.lstrip().startswith("<svg")
        assert title in _texts(svg), title
        urls = re.findall(r'(?:href|src)="(https?:[^"]+)"', svg)
        assert urls == []


def test_axis_numbers_are_vietnamese(built):
    texts = _texts(charts.to_svg(built["(1) Thu ngân sách nhà nước trên địa bàn"]))
    assert "800.000" in texts and "Kế hoạch năm 2026: 869.532 triệu đồng" in texts
    assert not any(re.fullmatch(r"\d{1,3}(,\d{3})+", t) for t in texts)


def test_status_is_not_shown_by_colour_alone(built):
    texts = _texts(charts.to_svg(built["Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"]))
    assert "✓ Đã đạt" in texts and "↓ Giảm so với đầu năm" in texts
    assert "✓ 2" in texts  # the bar segments carry symbol and count
    assert len(set(charts.PALETTE.values())) == len(STATUSES) == len(set(charts.SYMBOLS.values()))


def test_tooltips_are_vietnamese_and_formatted(built):
    spec = charts.spec(built["Nhóm Kinh tế: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026"])
    data = next(iter(spec["datasets"].values()))
    row = next(r for r in data if r["indicator"] == 1)
    assert row["value_text"] == "652.149 triệu đồng" and row["projection_text"] == "888.613,15 triệu đồng"
    text = str(spec)
    for label in ("Chỉ tiêu", "Thực hiện", "Kế hoạch năm", "Ước cả năm", "Đánh giá"):
        assert f"'title': '{label}'" in text


def test_figure_bundle_has_interactive_spec_and_static_svg(built):
    fig = charts.figure(built["Kết quả theo đơn vị chủ trì"])
    bundle = fig._repr_mimebundle_()
    vl = [k for k in bundle if k.startswith("application/vnd.vegalite")]
    assert vl and bundle[vl[0]]["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert bundle["image/svg+xml"].lstrip().startswith("<svg")
    assert bundle["text/plain"] == "Biểu đồ: Kết quả theo đơn vị chủ trì"


def test_empty_group_gives_a_message(plan):
    import pandas as pd

    evaluated = evaluate(plan, load_progress(root=STORE).iloc[0:0], "2026-Q3")
    chart = charts.bullet(evaluated, "VHGD")
    assert "Nhóm Văn hóa - Giáo dục: chưa có số liệu 9 tháng năm 2026" in _texts(charts.to_svg(chart))
    assert isinstance(evaluated, pd.DataFrame)


def test_render_module_matches_altairs_vega_lite():
    import altair as alt

    from kehoach.analysis import render

    assert render.VL_VERSION == alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]


def test_render_cache_reuses_identical_charts(built, tmp_path, monkeypatch):
    from kehoach.analysis.render import Figure

    spec = charts.spec(built["Kết quả theo đơn vị chủ trì"])
    first = Figure(spec).render(tmp_path)
    assert len(list(tmp_path.glob("*.svg"))) == 1
    import vl_convert

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", lambda *a, **k: (_ for _ in ()).throw(AssertionError("drawn again")))
    assert Figure(spec).render(tmp_path) == first  # read from the cache, not drawn
    changed = {**spec, "title": "Khác"}
    with pytest.raises(AssertionError, match="drawn again"):
        Figure(changed).render(tmp_path)
