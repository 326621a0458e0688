"""Benchmark: write the Word drafts (.docx) of the 2026-Q3 reports from their section blocks.

Builds the report context from ``data/`` (as it stood on 29/11/2026) and the sections of the
overview and of the indicator detail report, then times ``kehoach.reporting.word.render_docx``
on each (best of ``--repeat``), and the two ways of making a chart's PNG: rasterising the
block's stored SVG (what the draft does) and drawing the spec again (``charts.draw_png``). Run:

    .venv/bin/python benchmarks/word_draft.py [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kehoach.analysis import charts  # noqa: E402
from kehoach.reporting import context, sections, word  # noqa: E402
from kehoach.reporting.blocks import Chart, Section  # noqa: E402


def best(repeat: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def reports(ctx: context.ReportContext, smoke: bool) -> dict[str, list[Section]]:
    if smoke:
        return {"overview (smoke: header, results, closing)": [
            sections.document_header(ctx), sections.results_section(ctx), sections.closing(ctx)]}
    return {
        "overview": [sections.document_header(ctx, "overview"), sections.results_section(ctx),
                     sections.shortcomings_section(ctx), sections.directions_section(ctx), sections.closing(ctx),
                     sections.appendix_section(ctx)],
        "indicators": [sections.document_header(ctx, "indicators"), sections.indicator_details(ctx),
                       sections.closing(ctx)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="one small draft, once")
    args = parser.parse_args()
    repeat = 1 if args.smoke else args.repeat
    ctx = context.compute("2026-Q3", data_dir=ROOT / "data", as_of="2026-11-29")
    for name, parts in reports(ctx, args.smoke).items():
        chart_blocks = [b for s in parts for b in s.blocks if isinstance(b, Chart)]
        data = word.render_docx(parts, name)
        seconds = best(repeat, lambda: word.render_docx(parts, name))
        print(f"{name}: {len(chart_blocks)} charts, {len(data) // 1024} KiB, render_docx best of {repeat}: {seconds:.2f} s")
        if chart_blocks and not args.smoke:
            sample = chart_blocks[:5]
            from_svg = best(repeat, lambda: [word._png(b, None) for b in sample]) / len(sample)
            from_spec = best(repeat, lambda: [charts.draw_png(b.spec) for b in sample]) / len(sample)
            print(f"  one chart's PNG, mean of {len(sample)}: from its SVG {from_svg:.2f} s, from its spec {from_spec:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
