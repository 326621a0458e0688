"""Report sections, the shared context of a run, and the replay the notebooks receive."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest

from kehoach.reporting import sections
from kehoach.core.errors import KehoachError
from kehoach.reporting.report import Replay, load_context
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def ctx():
    return sections.build_context("2026-Q3", ward="phan-dinh-phung", data_dir=PROJECT / "data")


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


def _notebook_calls(name: str, unit: str | None = None) -> list[tuple]:
    """The report.* calls a notebook makes, with its parameters filled in."""
    import nbformat

    nb = nbformat.read(PROJECT / "notebooks" / name, as_version=4)
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr != "load_context":
                args = [a.value if isinstance(a, ast.Constant) else unit for a in node.args[1:]]
                out.append((node.func.attr, *args))
    return out


def test_notebooks_make_exactly_the_prepared_calls(ctx):
    assert _notebook_calls("overview.ipynb") == sections.calls(ctx, "overview")
    assert _notebook_calls("indicators.ipynb") == sections.calls(ctx, "indicators")
    per_unit = sections.calls(ctx, "unit")
    start = per_unit.index(("document_header", "unit", "VHXH"))
    assert _notebook_calls("unit.ipynb", "VHXH") == per_unit[start:start + 6]


def test_replay_needs_neither_pandas_nor_altair(ctx, tmp_path):
    """A notebook of a run loads a replay and shows every section without pandas, Altair or vl-convert."""
    overview = ctx.prepare(tmp_path / "overview.pkl", ["overview"])
    units = ctx.prepare(tmp_path / "unit.pkl", ["unit"])
    code = textwrap.dedent(f"""
        import sys
        import kehoach.reporting.report as report
        ctx = report.load_context("phan-dinh-phung", 2026, "2026-Q3", context_file={str(overview)!r})
        for call in (report.summary_section, report.status_overview_section, report.group_sections,
                     report.attention_section, report.completeness_section, report.tasks_section, report.closing):
            call(ctx)
        report.document_header(ctx, "overview")
        units = report.load_context("phan-dinh-phung", 2026, "2026-Q3", context_file={str(units)!r})
        report.unit_summary_section(units, "KTHT"); report.unit_actions_section(units, "KTHT")
        heavy = sorted(m for m in ("pandas", "altair", "vl_convert", "jsonschema", "openpyxl") if m in sys.modules)
        print("HEAVY", heavy)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "HEAVY []" in proc.stdout


def test_replay_holds_the_same_outputs_as_a_live_run(ctx, tmp_path):
    replay = sections.record(ctx, ["overview"])
    summary = replay.sections[("summary_section",)]
    assert summary[0]["text/html"].startswith('<h2 id="i-danh-gia-chung">I. Đánh giá chung</h2>')
    assert "Trong 36 chỉ tiêu, có 5 chỉ tiêu đã đạt" in summary[1]["text/html"]
    chart = replay.sections[("status_overview_section",)][1]
    assert chart["image/svg+xml"].lstrip().startswith("<svg") and any(k.startswith("application/vnd.vegalite") for k in chart)
    assert len(replay.sections) == len(sections.calls(ctx, "overview"))


def test_missing_section_and_wrong_period_are_refused(ctx, tmp_path):
    path = Replay("phan-dinh-phung", "2026-Q3").save(tmp_path / "empty.pkl")
    replay = load_context("phan-dinh-phung", 2026, "2026-Q3", context_file=str(path))
    with pytest.raises(KehoachError, match="was not prepared by the run"):
        replay.show("summary_section", ())
    with pytest.raises(KehoachError, match="is for phan-dinh-phung 2026-Q3, not phan-dinh-phung 2026-Q2"):
        load_context("phan-dinh-phung", 2026, "2026-Q2", context_file=str(path))


def test_escaping_helpers():
    assert sections.table(["a"], [["<b>x</b>"]]) == '<table class="data"><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;x&lt;/b&gt;</td></tr></tbody></table>'
    assert sections.heading("I. Đánh giá chung") == '<h2 id="i-danh-gia-chung">I. Đánh giá chung</h2>'
