"""Report sections and the context shared by a run's notebooks."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kehoach import report
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def ctx():
    return report.build_context("2026-Q3", ward="phan-dinh-phung", data_dir=PROJECT / "data")


def test_context_holds_one_periods_evaluation(ctx):
    assert str(ctx.period) == "2026-Q3" and len(ctx.evaluated) == 36
    assert sorted(ctx.year_evaluated["period"].unique()) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert ctx.illustrative and len(ctx.tasks) == 17 and len(ctx.completeness) == 6


def test_figure_keys_follow_the_reports(ctx):
    assert ctx.figure_keys(["unit"]) == []
    overview = ctx.figure_keys(["overview"])
    assert overview[:2] == ["overview", "scorecard"] and "bullet:VHGD" not in overview and "bullet:KT" in overview
    detail = ctx.figure_keys(["indicators"])
    assert detail[0] == "heatmap" and len(detail) == 30  # the 7 annual indicators have one point: no line
    assert "trend:16" not in detail and "trend:7" in detail


def test_kernel_side_never_imports_altair_or_excel(ctx, tmp_path):
    """With a prepared context, the notebooks' calls need neither Altair, vl-convert, jsonschema nor openpyxl."""
    path = ctx.prepare(tmp_path / "ctx.pkl", ["overview", "indicators", "unit"])
    code = textwrap.dedent(f"""
        import sys
        import kehoach.report as report
        ctx = report.load_context("phan-dinh-phung", 2026, "2026-Q3", context_file={str(path)!r})
        report.document_header(ctx, "overview"); report.summary_section(ctx); report.status_overview_section(ctx)
        report.group_sections(ctx); report.attention_section(ctx); report.completeness_section(ctx)
        report.tasks_section(ctx); report.heatmap_section(ctx); report.indicator_details(ctx)
        report.unit_summary_section(ctx, "KTHT"); report.unit_actions_section(ctx, "KTHT"); report.closing(ctx)
        bundles = [f._repr_mimebundle_() for f in ctx.figures.values()]  # what a kernel sends to the front end
        assert len(bundles) == {len(ctx.figure_keys(["overview", "indicators"]))} == 37 and all(b["image/svg+xml"].startswith("<svg") for b in bundles)
        heavy = sorted(m for m in ("altair", "vl_convert", "jsonschema", "openpyxl") if m in sys.modules)
        print("HEAVY", heavy)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "HEAVY []" in proc.stdout


def test_context_of_another_period_is_refused(ctx, tmp_path):
    path = ctx.save(tmp_path / "ctx.pkl")
    with pytest.raises(report.KehoachError, match="is for phan-dinh-phung 2026-Q3, not phan-dinh-phung 2026-Q2"):
        report.load_context("phan-dinh-phung", 2026, "2026-Q2", context_file=str(path))


def test_escaping_helpers():
    assert report.table(["a"], [["<b>x</b>"]]) == '<table class="data"><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;x&lt;/b&gt;</td></tr></tbody></table>'
    assert report.heading("I. Đánh giá chung") == '<h2 id="i-danh-gia-chung">I. Đánh giá chung</h2>'
