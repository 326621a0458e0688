"""The explorer in a real browser: headless Chromium (Debian's) through JupyterLab and Voilà on 127.0.0.1.

As the analyst would: open the notebook, Run All, change each filter, hover a mark, click the
charts, switch indicators, type a Vietnamese number, empty the view, download an export. As a
leader would: open the Voilà app (no code shown) on a laptop and on a phone. Every request that
leaves this machine is refused and recorded; the test fails if there is any, or if the console
shows an error. Set KEHOACH_SCREENSHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.jupyter_servers import PROJECT, SKIP_REASON, block_outside, launch_chromium, start_lab, start_voila

pytestmark = [pytest.mark.slow, pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")]

TIMEOUT = 30_000
IGNORED_CONSOLE = ("Conflicting legend property",)  # Vega-Lite's own compile warning, not an error


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    work = tmp_path_factory.mktemp("explore-browser")
    notebooks = work / "notebooks"
    notebooks.mkdir()
    shutil.copy(PROJECT / "notebooks" / "explore.ipynb", notebooks / "explore.ipynb")  # autosave never touches the repo
    lab = start_lab(notebooks, work / "lab")
    try:
        voila = start_voila(notebooks / "explore.ipynb", work / "voila")
    except BaseException:
        lab.stop()
        raise
    try:
        yield lab, voila, work
    finally:
        lab.stop()
        voila.stop()
        assert lab.proc.poll() is not None and voila.proc.poll() is not None


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


class Session:
    """One page of the explorer, with the console and outside requests recorded."""

    def __init__(self, browser, width: int, height: int, shots: Path):
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.outside: list[str] = []
        block_outside(self.context, self.outside)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.shots = shots

    def seq(self) -> int:
        return int(self.page.locator(".kh-ready").get_attribute("data-seq"))

    def after(self, action, updates: int = 1) -> None:
        """Do ``action`` and wait until the explorer has finished updating the view."""
        before = self.seq()
        action()
        try:
            self.page.wait_for_function(
                f"() => {{ const e = document.querySelector('.kh-ready'); return e && +e.dataset.seq >= {before + updates}; }}")
        except Exception:
            self.shot("failed.png")
            raise
        settled = self.seq()
        while True:  # a change may set off another (a chart click sets a filter): wait until the view is quiet
            self.page.wait_for_timeout(250)
            if self.seq() == settled:
                return
            settled = self.seq()

    def choose(self, select, label: str) -> None:
        """Pick the option whose text is ``label`` (ipywidgets writes spaces as no-break spaces) and wait for the view."""
        labels = [t.replace("\xa0", " ") for t in select.locator("option").all_inner_texts()]
        self.after(lambda: select.select_option(index=labels.index(label)))

    def select(self, index: int, label: str) -> None:
        self.choose(self.page.locator(".kh-filters select").nth(index), label)

    def selected(self, index: int) -> str:
        """The text of the option selected in filter ``index`` (ipywidgets writes spaces as no-break spaces)."""
        text = self.page.locator(".kh-filters select").nth(index).evaluate("e => e.options[e.selectedIndex].text")
        return text.replace("\xa0", " ")

    def tick(self, status: str) -> None:
        self.page.locator(".kh-statuses label", has_text=status).click()

    def rows(self) -> list[str]:
        return self.page.locator(".kh-explorer table.dataTable tbody tr td:first-child").all_inner_texts()

    def chart_text(self, n: int = 0) -> str:
        return self.page.locator(".kh-chart").nth(n).inner_text()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / name), full_page=False)

    def close(self) -> None:
        errors = [e for e in self.errors if not any(i in e for i in IGNORED_CONSOLE)]
        self.context.close()
        assert not self.outside, f"requests left this machine: {self.outside}"
        assert not errors, f"console errors: {errors}"


@pytest.fixture
def shots(tmp_path) -> Path:
    keep = os.environ.get("KEHOACH_SCREENSHOTS")
    path = Path(keep) if keep else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_all(s: Session) -> None:
    page = s.page
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    select = page.locator(".jp-Dialog .jp-mod-accept", has_text="Select")
    try:  # JupyterLab may still ask for the kernel when the session was slow to attach
        select.wait_for(timeout=1500)
        select.click()
    except Exception:
        pass
    try:
        page.wait_for_selector(".kh-ready", state="attached", timeout=60_000)
    except Exception:
        s.shot("lab-failed.png")
        raise
    page.wait_for_selector(".kh-explorer .kh-chart svg")


def test_analyst_in_jupyterlab(servers, browser, shots):
    lab, _, _ = servers
    s = Session(browser, 1366, 768, shots)
    page = s.page
    page.goto(f"{lab.url}/lab/tree/explore.ipynb?token={lab.token}")
    _run_all(s)
    s.shot("lab-1366x768.png")
    page.locator(".kh-explorer table.dataTable").scroll_into_view_if_needed()
    s.shot("lab-table-1366x768.png")
    assert "SỐ LIỆU MINH HỌA" in page.locator(".kh-banner").inner_text()
    assert len(s.rows()) == 36
    # sorting by a column of Vietnamese numbers sorts by value (652.149 > 4.330 > 100 > 94,6)
    header = page.locator(".kh-explorer table.dataTable thead th", has_text="Thực hiện")
    orders = []
    for _ in range(3):
        header.locator(".dt-column-order").click()  # itables sorts on the arrows (the heading text stays selectable)
        page.wait_for_timeout(600)  # two quick clicks would be a double click
        orders.append(header.get_attribute("aria-sort"))
        if orders[-1] == "descending":
            break
    assert orders[-1] == "descending", orders
    assert s.rows()[:2] == ["1", "18"] and s.rows()[2] in ("8", "10", "17")
    s.shot("lab-sorted-1366x768.png")
    # the filters stay in view while the page scrolls
    page.locator(".kh-filters").scroll_into_view_if_needed()
    page.mouse.move(800, 400)
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(500)
    box = page.locator(".kh-filters").bounding_box()
    s.shot("lab-scrolled-1366x768.png")
    assert 0 <= box["y"] < 768 and page.locator(".kh-filters select").first.is_visible()
    page.mouse.wheel(0, -3000)
    # the group filter updates the table and the chart
    s.select(1, "Y tế")
    assert s.rows() == ["15", "16", "17", "18", "19", "20", "21", "22"]
    assert "Y tế" in s.chart_text() and "Kinh tế" not in s.chart_text()
    # the status checkboxes
    s.after(lambda: s.tick("! Có nguy cơ không đạt"))
    s.after(lambda: s.tick("↓ Giảm so với đầu năm"))
    assert s.rows() == ["15", "20"]
    assert "Trong 2 chỉ tiêu" in page.locator(".kh-summary").inner_text()
    s.after(lambda: page.get_by_role("button", name="Bỏ chọn đánh giá").click())
    assert len(s.rows()) == 8
    # the unit filter (units that own no indicator are not offered)
    assert "Văn phòng HĐND và UBND phường" not in page.locator(".kh-filters select").nth(2).inner_text()
    s.select(1, "(Tất cả)")
    s.select(2, "Ban Quản lý dự án phường")
    assert s.rows() == ["3"]
    s.select(2, "(Tất cả)")
    # the period filter
    s.select(0, "quý I năm 2026")
    assert "quý I năm 2026" in s.chart_text()
    s.select(0, "9 tháng năm 2026")
    # hovering a bar shows its tooltip
    bar = page.locator(".kh-chart").first.locator("path[aria-roledescription='bar']").first
    bar.hover()
    page.wait_for_selector("#vg-tooltip-element.visible")
    assert "chỉ tiêu" in page.locator("#vg-tooltip-element").inner_text()
    s.shot("lab-tooltip-1366x768.png")
    # clicking a group bar selects that group in the widgets
    s.after(lambda: page.locator(".kh-chart").first.locator("path[aria-label*='Y tế']").first.click(), updates=1)
    assert s.selected(1) == "Y tế"
    s.select(1, "(Tất cả)")
    # an empty view shows the placeholder and no chart
    s.select(1, "Kinh tế")
    s.after(lambda: s.tick("✓ Đã đạt"))
    assert page.locator(".kh-placeholder").is_visible()
    assert not page.locator(".kh-chart").first.is_visible()
    s.after(lambda: page.get_by_role("button", name="Bỏ chọn đánh giá").click())
    s.select(1, "(Tất cả)")
    # the download link yields the file
    s.after(lambda: page.get_by_role("button", name="Xuất CSV").click())
    with page.expect_download() as download:
        page.locator("a.kh-download").click()
    data = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == "kham-pha_2026-Q3.csv"
    assert data.startswith(b"\xef\xbb\xbf") and b"1;Thu ng\xc3\xa2n s\xc3\xa1ch" in data and b";888613;" in data
    # the drill-down: the slider follows the indicator, typed Vietnamese numbers are read as such
    s.after(lambda: page.get_by_role("tab", name="Chi tiết chỉ tiêu").click())
    indicator = page.locator(".kh-explorer .widget-dropdown select").nth(3)
    s.choose(indicator, "(19) Tỷ lệ cặp nam, nữ thanh niên được tư vấn, khám sức khỏe trước khi kết hôn")
    s.choose(indicator, "(20) Tỷ lệ phụ nữ mang thai được sàng lọc trước sinh đủ 4 bệnh")
    assert page.locator(".kh-explorer .widget-text input").first.input_value() == "47,0"
    s.choose(indicator, "(1) Thu ngân sách nhà nước trên địa bàn")
    s.choose(indicator, "(3) Giải ngân vốn đầu tư công")
    handle = page.locator(".widget-slider .noUi-handle").first
    text = page.locator(".kh-explorer .widget-text input").first
    assert text.input_value() == "38,2"
    assert float(handle.get_attribute("aria-valuenow")) == pytest.approx(38.2)
    assert "đạt 38,2%" in page.locator(".kh-whatif").inner_text()
    s.after(lambda: (text.fill("45,5"), text.press("Enter")))
    assert text.input_value() == "45,5"
    assert float(handle.get_attribute("aria-valuenow")) == pytest.approx(45.5)
    assert "đạt 45,5%" in page.locator(".kh-whatif").inner_text()
    page.locator(".kh-whatif").scroll_into_view_if_needed()
    s.shot("lab-drilldown-1366x768.png")
    # a heatmap cell opens its indicator
    s.after(lambda: page.get_by_role("tab", name="Theo quý").click())
    page.wait_for_selector(".kh-chart >> nth=1 >> svg")
    cell = page.locator(".kh-chart").nth(1).locator("path[aria-label*='(22) ']").first
    s.after(lambda: cell.click())
    assert indicator.evaluate("e => e.options[e.selectedIndex].text").replace("\xa0", " ").startswith("(22) ")
    s.close()


def test_leader_in_voila(servers, browser, shots):
    _, voila, _ = servers
    for width, height, name in ((1366, 768, "voila-1366x768.png"), (390, 844, "voila-phone-390.png")):
        s = Session(browser, width, height, shots)
        page = s.page
        page.goto(voila.url + "/", timeout=60_000)
        page.wait_for_selector(".kh-ready", state="attached", timeout=60_000)
        page.wait_for_selector(".kh-explorer .kh-chart svg")
        assert "import kehoach" not in page.content()  # code hidden
        assert "SỐ LIỆU MINH HỌA" in page.locator(".kh-banner").inner_text()
        s.select(1, "Quốc phòng, an ninh")
        assert s.rows() == ["34", "35", "36"]
        s.shot(name)
        page.locator(".kh-explorer table.dataTable").scroll_into_view_if_needed()
        s.shot(name.replace(".png", "-table.png"))
        s.close()
