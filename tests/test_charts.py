"""Charts: valid Vega-Lite, static SVG with the Vietnamese title, no network, Vietnamese numbers."""

from __future__ import annotations

import html
import re
import socket

import pytest

from kehoach.analysis import charts
from kehoach.analysis.evaluation import STATUSES, evaluate
from kehoach.core.labels import PALETTE, SYMBOLS
from kehoach.data.store import load_progress
from tests.conftest import PROJECT

STORE = PROJECT / "data" / "progress"


@pytest.fixture(scope="module")
def built(plan):
    progress = load_progress(root=STORE)
    evaluated = evaluate(plan, progress, "2026-Q3")
    return {
        "Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026": charts.status_overview(evaluated),
        "Nhóm Kinh tế: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026": charts.bullet(evaluated, "KT"),
        "(1) Thu ngân sách nhà nước trên địa bàn": charts.trend(progress, plan.indicators.iloc[0], 2026),
        "Đánh giá từng chỉ tiêu theo quý, năm 2026": charts.heatmap(evaluate(plan, progress, ["2026-Q1", "2026-Q2", "2026-Q3"])),
    }


@pytest.fixture(autouse=True)
def draw(tmp_path):
    """Draw into a fresh cache, so that every test really draws."""
    return lambda chart: charts.draw_svg(chart, tmp_path / "cache")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a chart tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_each_chart_is_valid_vega_lite_and_renders_its_title(built, no_network, draw):
    for title, chart in built.items():
        spec = charts.spec(chart, validate=True)  # validates against the Vega-Lite schema
        assert spec["config"]["locale"]["number"]["decimal"] == ","
        svg = draw(chart)
        assert svg.lstrip().startswith("<svg")
        assert title in _texts(svg), title
        urls = re.findall(r'(?:href|src)="(https?:[^"]+)"', svg)
        assert urls == []


def test_axis_numbers_are_vietnamese(built, draw):
    texts = _texts(draw(built["(1) Thu ngân sách nhà nước trên địa bàn"]))
    assert "800.000" in texts and "Kế hoạch năm 2026: 869.532 triệu đồng" in texts
    assert not any(re.fullmatch(r"\d{1,3}(,\d{3})+", t) for t in texts)


def test_status_is_not_shown_by_colour_alone(built, draw):
    texts = _texts(draw(built["Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"]))
    assert "✓ Đã đạt" in texts and "↓ Giảm so với đầu năm" in texts
    assert "✓ 2" in texts  # the bar segments carry symbol and count
    assert len(set(PALETTE.values())) == len(STATUSES) == len(set(SYMBOLS.values()))


def test_tooltips_are_vietnamese_and_formatted(built):
    spec = charts.spec(built["Nhóm Kinh tế: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026"])
    data = next(iter(spec["datasets"].values()))
    row = next(r for r in data if r["indicator"] == 1)
    assert row["value_text"] == "652.149 triệu đồng" and row["projection_text"] == "888.613 triệu đồng"
    text = str(spec)
    for label in ("Chỉ tiêu", "Thực hiện", "Kế hoạch năm", "Ước cả năm", "Đánh giá"):
        assert f"'title': '{label}'" in text


def test_empty_group_gives_a_message(plan, draw):
    evaluated = evaluate(plan, load_progress(root=STORE).iloc[0:0], "2026-Q3")
    chart = charts.bullet(evaluated, "VHGD")
    assert "Nhóm Văn hóa - Giáo dục: chưa có số liệu 9 tháng năm 2026" in _texts(draw(chart))


def test_drawing_library_matches_altairs_vega_lite():
    import altair as alt

    assert charts.VL_VERSION == alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]


def test_drawing_cache_reuses_identical_charts(built, tmp_path, monkeypatch):
    spec = built["Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"]
    first = charts.draw_svg(spec, tmp_path)
    assert [p.name for p in tmp_path.glob("*.svg")] == [f"{charts.spec_key(spec)}.svg"]
    import vl_convert

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", lambda *a, **k: (_ for _ in ()).throw(AssertionError("drawn again")))
    assert charts.draw_svg(dict(spec), tmp_path) == first  # same content: read from the cache, not drawn
    changed = {**spec, "title": "Khác"}
    with pytest.raises(AssertionError, match="drawn again"):
        charts.draw_svg(changed, tmp_path)


def test_heatmap_quarters_keep_their_roman_numerals(built):
    data = next(iter(built["Đánh giá từng chỉ tiêu theo quý, năm 2026"]["datasets"].values()))
    assert sorted({r["quarter_label"] for r in data}) == ["Quý I/2026", "Quý II/2026", "Quý III/2026"]


def test_bullet_bars_start_at_zero_even_for_a_growth_rate(built):
    """10,95% against 11% must not look like a wide gap: no bar's axis is cut near its figures."""
    spec = built["Nhóm Kinh tế: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026"]
    rows = [r for values in spec["datasets"].values() for r in values]
    assert [(r["indicator"], r["domain_min"]) for r in rows] == [(1, 0.0), (2, 0.0), (3, 0.0), (4, 0.0)]


def test_compact_png_is_the_same_picture_in_under_half_the_bytes(built):
    """The email's status chart: vl-convert's PNG re-encoded by Pillow without loss."""
    import io

    from PIL import Image, ImageChops

    png = charts.draw_png(built["Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"], scale=1.0)
    small = charts.compact_png(png)
    with Image.open(io.BytesIO(png)) as a, Image.open(io.BytesIO(small)) as b:
        assert a.size == b.size and a.mode == b.mode
        assert ImageChops.difference(a, b).getbbox() is None  # not one pixel differs
    assert len(small) < len(png) / 2 and len(small) < 40 * 1024
