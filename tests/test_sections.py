"""Report context (inputs computed once, passed as files) and the report sections built from it."""

from __future__ import annotations

import ast
import json
import shutil

import nbformat
import pandas as pd
import pytest

from kehoach.core.errors import KehoachError
from kehoach.reporting import context, sections
from kehoach.reporting.blocks import SECTION_MIME, Section
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def ctx():
    return context.compute("2026-Q3", ward="phan-dinh-phung", data_dir=PROJECT / "data", as_of="2026-11-29")


def test_context_holds_the_year_so_far(ctx):
    assert str(ctx.period) == "2026-Q3" and len(ctx.current) == 36
    assert sorted(ctx.evaluated["period"].unique()) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert ctx.illustrative and len(ctx.tasks) == 17 and len(ctx.completeness) == 6
    assert len(ctx.plan_sha256) == 64


def test_revisions_after_the_cut_off_are_not_used():
    on_10_10 = context.compute("2026-Q3", data_dir=PROJECT / "data", as_of="2026-10-10")
    assert on_10_10.cutoff.isoformat() == "2026-10-10T23:59:59+07:00"
    assert (on_10_10.records["submitted_at"] <= pd.Timestamp("2026-10-10T16:59:59Z")).all()
    card = on_10_10.completeness.set_index("unit_code")
    assert card.loc["BQLDA", "timeliness"] == "not_submitted"  # its form came on 14/10
    q2 = context.compute("2026-Q2", data_dir=PROJECT / "data", as_of="2026-07-10")
    value = q2.progress.set_index(["indicator", "period"]).loc[(1, "2026-Q2")]
    assert value["revision"] == 1 and bool(value["is_estimate"])  # the actual figure of 25/07 is not used yet


def test_cut_off_must_be_a_date():
    with pytest.raises(KehoachError, match="Mốc chốt số liệu '10/10' không hợp lệ"):
        context.cutoff_of("10/10")


def test_inputs_round_trip_gives_the_same_sections(ctx, tmp_path):
    folder = context.write(ctx, tmp_path / "inputs")
    assert sorted(p.name for p in folder.iterdir()) == [
        "completeness.parquet", "evaluated.parquet", "inputs.json", "plan.yaml", "progress.parquet",
        "records.parquet", "tasks.parquet"]
    back = context.read(folder)
    for call in (lambda c: sections.summary_section(c), lambda c: sections.group_sections(c),
                 lambda c: sections.completeness_section(c), lambda c: sections.indicator_details(c),
                 lambda c: sections.unit_actions_section(c, "BQLDA")):
        assert call(back).html() == call(ctx).html()
    manifest = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2026-Q3" and manifest["plan_sha256"] == ctx.plan_sha256


def test_changed_inputs_are_refused(ctx, tmp_path):
    folder = context.write(ctx, tmp_path / "inputs")
    with open(folder / "evaluated.parquet", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(KehoachError, match="evaluated.parquet: tệp số liệu đầu vào đã bị thay đổi"):
        context.read(folder)


def test_load_finds_inputs_in_the_working_folder_then_the_report_folder(ctx, tmp_path, monkeypatch):
    report = tmp_path / "reports" / "2026-Q3"
    context.write(ctx, report / "inputs")
    monkeypatch.setenv("KEHOACH_ROOT", str(tmp_path))
    monkeypatch.chdir(report)
    assert context.load("2026-Q3", inputs="inputs").plan_sha256 == ctx.plan_sha256
    monkeypatch.chdir(tmp_path)
    assert context.load("2026-Q3", inputs="inputs", report_folder="reports/2026-Q3").plan_sha256 == ctx.plan_sha256
    with pytest.raises(KehoachError, match="là của phan-dinh-phung 2026-Q3, không phải phan-dinh-phung 2026-Q2"):
        context.load("2026-Q2", inputs="inputs", report_folder="reports/2026-Q3")


def test_notebook_parameters_left_empty_come_from_the_period_file(monkeypatch, tmp_path):
    root = tmp_path / "wb"
    for sub in ("data", "parameters"):
        shutil.copytree(PROJECT / sub, root / sub)
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    q2 = context.load("2026-Q2", report_date="", deadline="", behind_threshold=0.0)
    assert str(q2.params.report_date) == "2026-07-10" and str(q2.params.deadline) == "2026-07-05"
    assert context.load("2026-Q2", deadline="2026-07-20").params.deadline.isoformat() == "2026-07-20"


def _notebook_calls(name: str) -> tuple[list[str], list[ast.AST]]:
    nb = nbformat.read(PROJECT / "notebooks" / name, as_version=4)
    calls, definitions = [], []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        definitions += [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
        calls += [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                  and isinstance(n.func.value, ast.Name) and n.func.value.id == "sections"]
    return calls, definitions


@pytest.mark.parametrize("name", ["overview.ipynb", "indicators.ipynb", "unit.ipynb"])
def test_notebooks_only_call_package_sections(name):
    calls, definitions = _notebook_calls(name)
    assert calls and definitions == []
    assert all(callable(getattr(sections, c)) for c in calls)
    nb = nbformat.read(PROJECT / "notebooks" / name, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and 'period = "2026-Q3"' in tagged[0].source and 'report_date = ""' in tagged[0].source


def test_section_shows_as_html_and_carries_its_blocks(ctx):
    section = sections.summary_section(ctx)
    bundle = section._repr_mimebundle_()
    assert bundle["text/html"].startswith('<section class="part part-summary">\n<h2 id="i-danh-gia-chung">I. Đánh giá chung</h2>')
    assert Section.from_json(bundle[SECTION_MIME]) == section
    assert "Trong 36 chỉ tiêu, có 5 chỉ tiêu đã đạt" in section.text()


def test_chart_blocks_hold_spec_and_drawing(ctx):
    chart = sections.status_overview_section(ctx).blocks[1]
    assert chart.kind == "chart" and chart.svg.lstrip().startswith("<svg")
    assert chart.title == "Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"
    assert chart.spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_empty_notes_are_blank_not_na(ctx):
    table = sections.tasks_section(ctx).blocks[-1]
    assert table.columns[-1] == "Ghi chú"
    assert not any(cell in ("<NA>", "nan", "None") for row in table.rows for cell in row)
