"""Benchmark: time from a widget change to the updated view, measured in the browser.

Serves the explorer with Voilà on 127.0.0.1 (as ``make explore`` does), opens it in Debian's
headless Chromium (Playwright, never a downloaded browser) and, for each change, measures in
the page with ``performance.now()`` the time from setting the group filter to the moment the
explorer marks the view ready again (the ``.kh-ready`` sequence number it writes once the
table, charts and texts have been sent). Prints the median, the fastest and the slowest.

    .venv/bin/python benchmarks/explore_latency.py [--changes 20] [--smoke]

``--smoke`` makes 3 changes (a test runs it, so the script keeps working).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.jupyter_servers import PROJECT, SKIP_REASON, block_outside, launch_chromium, start_voila  # noqa: E402

#: Set the group filter to option ``index`` and resolve with the milliseconds until the view is ready again.
MEASURE = """async (index) => {
  const ready = () => +document.querySelector('.kh-ready')?.dataset.seq;
  const before = ready();
  const select = document.querySelectorAll('.kh-filters select')[1];
  const t0 = performance.now();
  select.selectedIndex = index;
  select.dispatchEvent(new Event('change', {bubbles: true}));
  return await new Promise((resolve) => {
    const check = () => ready() > before ? resolve(performance.now() - t0) : requestAnimationFrame(check);
    check();
  });
}"""


def measure(changes: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="kehoach-latency-"))
    try:
        (work / "notebooks").mkdir()
        shutil.copy(PROJECT / "notebooks" / "explore.ipynb", work / "notebooks" / "explore.ipynb")
        server = start_voila(work / "notebooks" / "explore.ipynb", work / "voila")
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                outside: list[str] = []
                block_outside(context, outside)
                page = context.new_page()
                page.goto(server.url + "/", timeout=120_000)
                page.wait_for_selector(".kh-ready", state="attached", timeout=120_000)
                page.wait_for_selector(".kh-explorer .kh-chart svg", timeout=60_000)
                options = page.locator(".kh-filters select").nth(1).locator("option").count()
                times = []
                for i in range(changes + 1):
                    ms = page.evaluate(MEASURE, (i % (options - 1)) + 1 if i % 2 == 0 else 0)
                    if i:  # the first change warms up the kernel's caches
                        times.append(ms)
                browser.close()
                if outside:
                    raise RuntimeError(f"requests left this machine: {outside}")
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="number of timed filter changes")
    parser.add_argument("--smoke", action="store_true", help="3 changes, to check that the script works")
    args = parser.parse_args()
    if SKIP_REASON:
        print(f"skipped: {SKIP_REASON}")
        return 0
    times = measure(3 if args.smoke else args.changes)
    print(f"widget change → updated view, {len(times)} changes in the browser: "
          f"median {statistics.median(times):.0f} ms, fastest {min(times):.0f} ms, slowest {max(times):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
