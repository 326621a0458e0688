"""Benchmark: the explorer's interaction latency in a real browser, from the input event to the chart redrawn on screen.

Serves the explorer with Voilà as ``kehoach explore`` does, and opens it in JupyterLab (Run All),
on 127.0.0.1, in Debian's headless Chromium (Playwright, never a downloaded browser). Each
interaction chooses another group in the filter with Playwright (a real ``change`` event). In the
page, the time runs from that event's ``timeStamp`` to the first animation frame after both the
overview chart's SVG has changed (a MutationObserver) and the explorer has marked the view ready
(its ``.kh-ready`` sequence number: table, summary and chart sent). Prints the median and the
90th percentile per front end, and the first view's time to interactive in Voilà (the kernel is
pre-warmed).

    .venv/bin/python benchmarks/explore_latency.py [--changes 30] [--smoke]

``--smoke`` makes 3 changes in Voilà only (tests/test_benchmarks.py runs it, so the script keeps working).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.jupyter_servers import (PROJECT, SKIP_REASON, block_outside, launch_chromium, run_all_in_lab,  # noqa: E402
                                   start_lab, start_voila)

#: Installed once per page: remember the last change event and the last redraw of the overview chart.
WATCH = """() => {
  document.addEventListener('change', (e) => {
    window.__t0 = e.timeStamp;
    window.__seq0 = +document.querySelector('.kh-ready')?.dataset.seq;
  }, true);
  window.__drawn = 0;
  new MutationObserver(() => { window.__drawn = performance.now(); })
    .observe(document.querySelector('.kh-explorer .kh-chart'), {subtree: true, childList: true, attributes: true});
}"""
#: Resolve with the milliseconds from the change event to the frame after the chart was redrawn and the view is ready.
ELAPSED = """() => new Promise((resolve) => {
  const check = () => {
    const seq = +document.querySelector('.kh-ready')?.dataset.seq;
    if (seq > window.__seq0 && window.__drawn > window.__t0) {
      requestAnimationFrame(() => resolve(performance.now() - window.__t0));
    } else {
      requestAnimationFrame(check);
    }
  };
  check();
})"""


def interactions(page, changes: int) -> list[float]:
    """Choose ``changes + 1`` groups in turn; the first warms the caches and is not counted."""
    page.evaluate(WATCH)
    group = page.locator(".kh-explorer .widget-dropdown", has=page.locator("label", has_text="Nhóm")).locator("select")
    options = group.locator("option").count()
    times = []
    for i in range(changes + 1):
        group.select_option(index=(i + 1) % options)
        ms = page.evaluate(ELAPSED)
        page.wait_for_timeout(300)  # a leader reads before the next click
        if i:
            times.append(ms)
    return times


def measure(changes: int, lab: bool) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="kehoach-latency-"))
    out: dict[str, object] = {}
    try:
        (work / "notebooks").mkdir()
        shutil.copy(PROJECT / "notebooks" / "explore.ipynb", work / "notebooks" / "explore.ipynb")
        servers = [("Voilà", start_voila(work / "notebooks" / "explore.ipynb", work / "voila"))]
        if lab:
            servers.append(("JupyterLab", start_lab(work / "notebooks", work / "lab")))
        try:
            time.sleep(20)  # the pre-warmed kernel runs the notebook before anyone comes
            with sync_playwright() as p:
                browser = launch_chromium(p)
                for name, server in servers:
                    context = browser.new_context(viewport={"width": 1366, "height": 768})
                    outside: list[str] = []
                    block_outside(context, outside)
                    page = context.new_page()
                    start = time.monotonic()
                    if name == "Voilà":
                        page.goto(server.url + "/", timeout=120_000)
                        page.wait_for_selector(".kh-explorer .kh-chart svg", timeout=120_000)
                        out["first view (s)"] = time.monotonic() - start
                    else:
                        page.goto(f"{server.url}/lab/tree/explore.ipynb?token={server.token}", timeout=120_000)
                        run_all_in_lab(page)
                    page.wait_for_timeout(1000)
                    out[name] = interactions(page, changes)
                    context.close()
                    if outside:
                        raise RuntimeError(f"requests left this machine: {outside}")
                browser.close()
        finally:
            for _, server in servers:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def p90(times: list[float]) -> float:
    return statistics.quantiles(times, n=10, method="inclusive")[-1] if len(times) > 1 else times[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30, help="timed interactions per front end")
    parser.add_argument("--smoke", action="store_true", help="3 changes in Voilà only, to check that the script works")
    args = parser.parse_args()
    if SKIP_REASON:
        print(f"skipped: {SKIP_REASON}")
        return 0
    result = measure(3 if args.smoke else args.changes, lab=not args.smoke)
    print(f"Voilà, first view interactive (kernel pre-warmed): {result.pop('first view (s)'):.1f} s")
    for name, times in result.items():
        print(f"{name}: input event → chart redrawn, {len(times)} interactions: median {statistics.median(times):.0f} ms, "
              f"p90 {p90(times):.0f} ms (fastest {min(times):.0f}, slowest {max(times):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
