"""The reports in a real browser: Debian's chromium driven by Playwright, printed to A4 PDF and shown at phone width.

Skips where chromium is absent (``.ci/run`` installs it). JavaScript is off, as in a mail client.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from tests.browser import CHROMIUM

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")]
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def _pdf_pages(browser, page: Path, out: Path) -> list[str]:
    from pypdf import PdfReader

    ctx = browser.new_context(java_script_enabled=False)
    tab = ctx.new_page()
    tab.goto(page.as_uri())
    tab.pdf(path=str(out), prefer_css_page_size=True)
    ctx.close()
    return [p.extract_text() for p in PdfReader(str(out)).pages]


def _headings(html: str) -> list[str]:
    import html as html_lib

    return [_squash(html_lib.unescape(re.sub(r"<[^>]+>", "", h))) for h in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", html, re.S)]


@pytest.mark.parametrize("name", ["bao-cao-tong-hop.html", "chi-tiet-chi-tieu.html", "don-vi-BQLDA.html"])
def test_a4_print_has_page_numbers_and_no_heading_ends_a_page(runs, browser, tmp_path, name):
    root, _ = runs
    page = root / "reports" / "2026-Q3" / name
    pages = _pdf_pages(browser, page, tmp_path / "out.pdf")
    headings = set(_headings(page.read_text(encoding="utf-8")))
    for number, text in enumerate(pages, start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        if number > 1:
            assert _squash(lines[0]) == str(number), f"{name}: page {number} starts with {lines[0]!r}"
        assert _squash(lines[-1]) not in headings, f"{name}: page {number} ends with the heading {lines[-1]!r}"
    # the illustrative mark is printed on every page, not on page 1 only
    assert all(_squash("SỐ LIỆU MINH HỌA – không phải số liệu chính thức của đơn vị.") in _squash(p) for p in pages), name
    if name.startswith("don-vi"):  # a letter's last page is more than the signature block
        last = _squash(pages[-1])
        assert _squash("Nơi nhận") in last and len(last) > 200
    if name.startswith("chi-tiet"):  # an annex of the overview: no signature of its own
        assert _squash("PHỤ LỤC II") in _squash(pages[0]) and not any(_squash("Nơi nhận") in _squash(p) for p in pages)


def test_signature_stays_with_the_text_and_phu_luc_starts_a_page(runs, browser, tmp_path):
    root, _ = runs
    pages = [_squash(p) for p in _pdf_pages(browser, root / "reports" / "2026-Q3" / "bao-cao-tong-hop.html", tmp_path / "o.pdf")]
    signed = [i for i, p in enumerate(pages) if _squash("Nơi nhận") in p]
    assert len(signed) == 1 and _squash("- Lưu: VT, VP.") in pages[signed[0]] and _squash("CHỦ TỊCH") in pages[signed[0]]
    assert _squash("Trên đây là báo cáo tình hình thực hiện nhiệm vụ") in pages[signed[0]]   # the last paragraph with it
    appendix = [i for i, p in enumerate(pages) if _squash("BIỂU TỔNG HỢP KẾT QUẢ") in p]
    assert appendix and appendix[0] == signed[0] + 1


@pytest.mark.parametrize("width, height", [(794, 1123), (390, 844)])
def test_screens_at_a4_and_phone_width(runs, browser, tmp_path, width, height):
    root, _ = runs
    ctx = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False)
    tab = ctx.new_page()
    tab.goto((root / "reports" / "2026-Q3" / "bao-cao-tong-hop.html").as_uri())
    shot = tab.screenshot(path=str(tmp_path / f"overview-{width}.png"), full_page=True)
    page_width = tab.evaluate("document.documentElement.scrollWidth")
    header_height = tab.evaluate("document.querySelector('table.motto').getBoundingClientRect().height")
    table_boxes = tab.evaluate("Array.from(document.querySelectorAll('.table-box')).every(b => b.getBoundingClientRect().right <= window.innerWidth + 1)")
    ctx.close()
    assert shot and page_width <= width, f"the page scrolls sideways at {width}px"
    assert table_boxes, "a table box is wider than the screen"
    assert header_height < (140 if width == 390 else 200)
