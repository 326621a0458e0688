"""Report charts in JupyterLab: drawn by its own Vega-Lite renderer, with tooltips, offline, and no console warning.

A report notebook's outputs as the batch stores them (each section as :meth:`Section.outputs` gives them,
which is what the kernel displays) are opened in JupyterLab on 127.0.0.1, in Debian's Chromium: one chart
of every kind a report draws (the overview's status bars, a group's bullet chart, the indicator heatmap, a
trend, the province's heatmap and distribution). Each is drawn by JupyterLab's Vega-Lite 5 renderer, never
as the static SVG beside it; a mark shows its tooltip under the pointer; nothing is fetched from outside, and
the console stays empty (Vega-Lite 5 warns about specs it reads differently from Vega-Lite 6).
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pandas as pd
import pytest

from kehoach.analysis import charts
from kehoach.reporting import context, sections
from kehoach.reporting.blocks import Section
from tests.jupyter_servers import PROJECT, SKIP_REASON, block_outside, launch_chromium, start_lab

pytestmark = [pytest.mark.slow, pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")]

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}


def _province_specs() -> list[dict]:
    """The province's two charts, for two communes and two shared indicators."""
    rows = pd.DataFrame({"ward_name": ["Phường A", "Phường A", "Xã B", "Xã B"], "label": ["Thu ngân sách", "Hộ nghèo"] * 2,
                         "code": ["thu-ngan-sach", "ho-ngheo"] * 2, "code_order": [0, 1, 0, 1],
                         "status": ["achieved", "behind", "on_track", "no_data"], "value": [120.0, 3.5, 90.0, float("nan")],
                         "unit": ["triệu đồng", "%", "triệu đồng", "%"], "achievement_pct": [120.0, 80.0, 90.0, float("nan")]})
    return [charts.province_heatmap(rows), charts.province_distribution(rows, ["thu-ngan-sach", "ho-ngheo"])]


def _notebook(ctx) -> nbformat.NotebookNode:
    trend = ctx.plan.indicators.iloc[0]
    parts = [sections.results_section(ctx), sections.heatmap_section(ctx),
             Section("trend", [sections.chart(charts.trend(ctx.progress, trend.to_dict(), ctx.period.year))]),
             Section("province", [sections.chart(spec) for spec in _province_specs()])]
    cells = [nbformat.v4.new_code_cell(f"sections.{p.name}(ctx)", execution_count=i, outputs=[
        nbformat.v4.new_output("display_data", **o) for o in p.outputs()]) for i, p in enumerate(parts, start=1)]
    return nbformat.v4.new_notebook(cells=cells, metadata=KERNEL)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab-charts")
    (work / "notebooks").mkdir()
    ctx = context.compute("2026-Q3", ward="phan-dinh-phung", data_dir=PROJECT / "data", as_of="2026-11-29")
    nbformat.write(_notebook(ctx), work / "notebooks" / "bao-cao.ipynb")
    server = start_lab(work / "notebooks", work / "lab")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(work / "lab", ignore_errors=True)


def _tooltip(page, mark) -> str:
    """The tooltip's text once the pointer rests on ``mark``."""
    page.mouse.move(0, 0)
    mark.scroll_into_view_if_needed()
    mark.hover()
    tooltip = page.locator("#vg-tooltip-element.visible")
    tooltip.wait_for(timeout=10_000)
    return re.sub(r"\s+", " ", tooltip.inner_text()).strip()


def test_report_charts_are_interactive_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            outside: list[str] = []
            block_outside(context, outside)
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.goto(f"{lab.url}/lab/tree/bao-cao.ipynb?token={lab.token}", timeout=120_000)
            drawn = page.locator(".jp-RenderedVegaLite svg.marks")
            page.wait_for_function("() => document.querySelectorAll('.jp-RenderedVegaLite svg.marks').length == 9",
                                   timeout=120_000)
            # the overview and 4 groups, the heatmap, a trend, the province's 2: all by the renderer, none as a picture
            assert drawn.count() == 9 and page.locator(".jp-RenderedSVG").count() == 0
            bar = page.locator(".jp-RenderedVegaLite path[aria-label*='Chi tiết: Kinh tế: 2 chỉ tiêu đúng tiến độ']").first
            assert _tooltip(page, bar) == "Chi tiết: Kinh tế: 2 chỉ tiêu đúng tiến độ"
            # a heatmap cell's symbol, where the pointer goes, shows the cell's tooltip
            symbol = page.locator(".jp-RenderedVegaLite text[aria-label*='(1) Thu ngân sách nhà nước trên địa bàn; Kỳ: Quý I/2026']")
            assert _tooltip(page, symbol) == ("Chỉ tiêu: (1) Thu ngân sách nhà nước trên địa bàn Kỳ: Quý I/2026 "
                                              "Giá trị: 201.500 triệu đồng Đánh giá: ↗ Đúng tiến độ")
            page.wait_for_timeout(1000)  # a late warning from any chart still arrives
            assert not outside, f"requests left this machine: {outside}"
            assert not console, f"console errors or warnings: {console}"
            context.close()
        finally:
            browser.close()
