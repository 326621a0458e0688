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
from kehoach.reporting.blocks import SECTION_MIME, VEGALITE_MIME, Chart, Paragraph, Section, sections_in
from kehoach.reporting.export import render_html, whole_sections
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
        "records.parquet", "tasks.parquet", "texts.parquet"]
    back = context.read(folder)
    for call in (lambda c: sections.results_section(c), lambda c: sections.shortcomings_section(c),
                 lambda c: sections.directions_section(c), lambda c: sections.appendix_section(c),
                 lambda c: sections.indicator_details(c), lambda c: sections.unit_next_section(c, "BQLDA")):
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


TEXT, CHART = ["text/html", "text/plain"], [VEGALITE_MIME, "image/svg+xml", "text/plain"]


def _as_stored(outputs: list[dict]) -> list:
    """The outputs as an executed notebook file holds them (display_data, written and read back by nbformat)."""
    cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("display_data", **o) for o in outputs])
    text = nbformat.writes(nbformat.v4.new_notebook(cells=[cell]))
    return nbformat.reads(text, as_version=4).cells[0].outputs


def test_a_section_shows_as_text_outputs_and_one_output_per_chart(ctx):
    section = sections.results_section(ctx)
    outputs = section.outputs()
    # text, then each chart on its own (the overview and one per group with figures; QPAN: QSCA sent nothing
    # for 2026-Q3; XH, VHGD: not due), each followed by its group's sentences
    assert [sorted(o["data"]) for o in outputs] == [sorted([*TEXT, SECTION_MIME])] + [sorted(CHART), TEXT] * 5
    head = outputs[0]["data"][SECTION_MIME]
    assert head["outputs"] == 11 and head["name"] == "results"
    assert Section.from_json(head).to_json() == section.to_json()
    assert [b for b in head["blocks"] if b["kind"] == "chart"] == [
        {"kind": "chart", "title": "Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"},
        {"kind": "chart", "title": "Nhóm Kinh tế: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026"},
        {"kind": "chart", "title": "Nhóm Xây dựng - Công nghiệp: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026"},
        {"kind": "chart", "title": "Nhóm Y tế: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026"},
        {"kind": "chart", "title": "Nhóm Khoa học Công nghệ - Chuyển đổi số: thực hiện, kế hoạch và ước cả năm – 9 tháng năm 2026"}]
    assert outputs[0]["data"]["text/html"].startswith(
        '<section class="part part-results">\n<h2 id="i-ket-qua-thuc-hien-9-thang-nam-2026">I. KẾT QUẢ THỰC HIỆN 9 THÁNG NĂM 2026</h2>')
    assert outputs[2]["data"]["text/html"].startswith(
        '<section class="part part-results">\n<h3 id="1-linh-vuc-phat-trien-kinh-te">1. Lĩnh vực phát triển kinh tế</h3>')
    # each chart once: its spec for JupyterLab's Vega-Lite 5 renderer, its drawing for the page and the Word draft
    blocks = [b for b in section.blocks if isinstance(b, Chart)]
    for chart, output in zip(blocks, outputs[1::2]):
        assert output["data"][VEGALITE_MIME] == {**chart.spec, "$schema": "https://vega.github.io/schema/vega-lite/v5.json"}
        assert output["data"]["image/svg+xml"] == chart.svg and output["data"]["text/plain"] == chart.title
        assert output["metadata"] == {VEGALITE_MIME: {"embed_options": {
            "renderer": "svg", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}}}
    assert sum(o["data"].get("text/html", "").count("<svg") for o in outputs) == 0
    assert "Trong 20 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026: 5 chỉ tiêu đã đạt" in section.text()


def test_a_section_is_read_back_from_its_outputs_with_its_charts(ctx):
    section = sections.heatmap_section(ctx)
    log = {"output_type": "stream", "name": "stdout", "text": "x\n"}
    stored = _as_stored([*section.outputs(), *sections.closing(ctx, "overview").outputs()])
    found = sections_in([log, *stored, log])
    assert [(start, stop, s.name) for start, stop, s in found] == [(1, 3, "heatmap"), (3, 4, "closing")]
    back = found[0][2]
    assert back.html() == section.html() and back.to_json() == section.to_json()
    assert [b.spec["title"] for b in back.blocks if isinstance(b, Chart)] == ["Đánh giá từng chỉ tiêu theo quý, năm 2026"]


def test_a_section_without_text_before_its_chart_starts_with_the_chart():
    spec = {"mark": "bar", "title": "Hai cột"}
    section = Section("x", [Chart(spec=spec, svg="<svg></svg>", title="Hai cột"), Paragraph("Sau.")])
    outputs = section.outputs()
    assert [sorted(o["data"]) for o in outputs] == [sorted([*CHART, SECTION_MIME]), TEXT]
    [(start, stop, back)] = sections_in(_as_stored(outputs))
    assert (start, stop) == (0, 2) and back.html() == section.html()
    assert Section("y").outputs() == [{"data": {
        "text/html": '<section class="part part-y">\n</section>', "text/plain": "<Phần báo cáo: y>",
        SECTION_MIME: {"name": "y", "blocks": [], "outputs": 1}}, "metadata": {}}]


def test_a_section_missing_a_chart_output_is_refused():
    outputs = Section("x", [Paragraph("Trước."), Chart(spec={"mark": "bar"}, svg="<svg></svg>", title="c")]).outputs()
    with pytest.raises(ValueError, match="phần “x” có 1 biểu đồ nhưng 0 kết quả biểu đồ"):
        sections_in(outputs[:1])


def test_the_export_shows_each_section_as_one_piece(ctx):
    section = sections.results_section(ctx)
    log = {"output_type": "stream", "name": "stdout", "text": "x\n"}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"),
                                         nbformat.v4.new_code_cell("x", outputs=[*_as_stored(section.outputs()), log])])
    merged, _ = whole_sections(nb, {})
    assert merged.cells[1].outputs == [
        {"output_type": "display_data", "metadata": {},
         "data": {"text/html": section.html(), "text/plain": "<Phần báo cáo: results>"}}, log]


def test_report_notebooks_show_their_code_cells(ctx):
    """The data cells are visible and runnable in JupyterLab; only the exported page leaves the code out."""
    for name in ("overview", "unit", "indicators", "province"):
        nb = nbformat.read(PROJECT / "notebooks" / f"{name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all("jupyter" not in c.metadata and set(c.metadata.get("tags", [])) <= {"parameters"}
                            for c in code), name  # no source_hidden / outputs_hidden, no remove-input tag
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "sections.closing(ctx)", outputs=_as_stored(sections.closing(ctx, "overview").outputs()))])
    page = render_html(nb, "x")
    assert "sections.closing" not in page and "TM. ỦY BAN NHÂN DÂN" in page


def test_chart_blocks_hold_spec_and_drawing(ctx):
    chart = next(b for b in sections.results_section(ctx).blocks if b.kind == "chart")
    assert chart.kind == "chart" and chart.svg.lstrip().startswith("<svg")
    assert chart.title == "Đánh giá các chỉ tiêu theo nhóm – 9 tháng năm 2026"
    assert chart.spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_no_missing_value_marker_reaches_a_report(ctx):
    for section in (sections.results_section(ctx), sections.appendix_section(ctx), sections.indicator_details(ctx),
                    sections.directions_section(ctx), sections.unit_results_section(ctx, "VHXH")):
        text = section.text()
        assert "<NA>" not in text and " nan" not in text and "None" not in text, section.name


# -- the report a Chủ tịch signs (issue 13): exact sentences and the document's form ----------------
def entries(section) -> list[str]:
    """Every entry of a section's Entries blocks, as its text."""
    return ["".join(text for _, text in item) for b in section.blocks if b.kind == "entries" for item in b.items]


def appendix_table(ctx):
    return next(b for b in sections.appendix_section(ctx).blocks if b.kind == "table")


def _sentences(ctx) -> dict[int, str]:
    rows = sections.assessed(ctx)
    return {int(r["indicator"]): s for r, s in zip(rows.to_dict("records"), sections.narrative.indicator_sentences(rows))}


def test_estimates_keep_the_precision_of_the_figures(ctx):
    s = _sentences(ctx)
    assert "ước cả năm đạt khoảng 888.613 triệu đồng" in s[1] and "889.000" not in s[1]
    assert "ước cả năm đạt khoảng 4.384 người" in s[18]
    row4 = next(r for r in appendix_table(ctx).rows if r[0] == "4")
    assert row4[5] == "10,95 (ước)" and row4[8] == "10,95 (ước)"


def test_shares_are_never_projected_above_100(ctx):
    s = _sentences(ctx)
    assert s[2].endswith("; ước cả năm đạt 100%, có khả năng hoàn thành chỉ tiêu.")
    shares = ctx.current[(ctx.current["unit"] == "%") & (ctx.current["kind"] != "annual_estimate")]
    assert shares["projection"].dropna().max() == 100.0
    assert set(shares.loc[shares["projection_capped"], "indicator"]) == {2, 8, 10}
    # QSCA sent nothing for 2026-Q3 (the sample's silent unit): its shares have no projection at all
    assert s[35] == ("Giáo dục, bồi dưỡng kiến thức quốc phòng, an ninh: Ban Chỉ huy quân sự phường, Công an phường "
                     "chưa gửi số liệu 9 tháng năm 2026.")


def test_semi_annual_indicators_show_their_latest_figure_and_status(ctx):
    s = _sentences(ctx)
    assert s[14] == "Tỷ lệ dân số phủ sóng 5G: kết quả 6 tháng đầu năm 2026 đạt 66% (có nguy cơ không đạt), kế hoạch năm 80%."
    assert "kết quả 6 tháng đầu năm 2026 đạt 44% (có nguy cơ không đạt)" in s[31]
    rows = {r[0]: r for r in appendix_table(ctx).rows}
    assert rows["14"][5] == "66 (6 tháng đầu năm 2026)"
    assert rows["14"][9] == "· Chưa đến kỳ đánh giá (6 tháng đầu năm 2026: có nguy cơ không đạt)"
    # "TH cùng kỳ 2025" is the figure of 6 tháng đầu năm 2025, beside that of 6 tháng đầu năm 2026 (not end-2025)
    assert [rows[n][4] for n in ("5", "7", "12", "13", "14", "23", "31", "32", "34")] == [
        "108,5", "2,9", "88,5", "86", "45", "99,6", "38", "28", "1,12"]
    assert rows["16"][4] == "—" and rows["6"][4] == "—"        # annual: no figure of a period before Q4
    assert any(e.startswith("(14) Tỷ lệ dân số phủ sóng 5G: 66% (6 tháng đầu năm 2026), có nguy cơ không đạt")
               for e in entries(sections.shortcomings_section(ctx)))


def test_reduction_indicator_reads_as_a_rate_and_its_reduction(ctx):
    assert _sentences(ctx)[6] == (
        "Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều cuối năm 2025 là 0,31%; kế hoạch năm 2026 giảm 0,02 điểm phần trăm "
        "(còn 0,29%).")


def test_growth_estimate_is_a_full_year_figure(ctx):
    assert _sentences(ctx)[4].startswith("Ước tốc độ tăng tổng giá trị sản phẩm cả năm 2026 đạt 10,95%")


def test_a_level_reached_before_year_end_must_be_held(ctx):
    assert _sentences(ctx)[21].endswith("; đạt mức kế hoạch tại thời điểm báo cáo, cần duy trì đến cuối năm.")


def test_official_phrasing_of_allocations_and_ceilings(ctx):
    s = _sentences(ctx)
    assert s[2].startswith("Chi ngân sách nhà nước đến 30/9 đạt 71,8% dự toán giao")
    assert s[3].startswith("Giải ngân vốn đầu tư công đến 30/9 đạt 38,2% kế hoạch vốn")
    q2 = context.compute("2026-Q2", data_dir=PROJECT / "data", as_of="2026-11-29")
    rows = sections.assessed(q2)
    seven = rows[rows["indicator"] == 7].iloc[0].to_dict()
    assert "ở mức 2,7%, đạt chỉ tiêu (dưới 3%)" in sections.narrative.indicator_sentence(seven)
    actions = entries(sections.directions_section(q2))
    assert ("(15) Tỷ lệ tham gia bảo hiểm y tế: đến hết năm cần đạt 96%, trong đó đến hết quý III/2026 cần đạt 95,4% "
            "(hiện 94,7%) (quý III/2025: 95%). Giải pháp: Phối hợp Bảo hiểm xã hội vận động tham gia bảo hiểm y tế "
            "theo hộ gia đình tại từng tổ dân phố; đề xuất hỗ trợ một phần mệnh giá thẻ cho hộ cận nghèo.") in actions


def test_next_quarter_needs_against_the_same_quarter_last_year(ctx):
    actions = entries(sections.directions_section(ctx))
    assert ("(3) Giải ngân vốn đầu tư công: quý IV cần tăng thêm 61,8 điểm phần trăm để cả năm đạt 100% "
            "(quý IV/2025 tăng 42,4 điểm phần trăm). Giải pháp: "
            "[Ban Quản lý dự án phường chưa gửi giải pháp cho chỉ tiêu (3)]") in actions
    assert ("(4) Tốc độ tăng tổng giá trị sản phẩm: cần có giải pháp thúc đẩy tăng trưởng quý IV để cả năm đạt "
            "11% trở lên. Giải pháp: Hỗ trợ doanh nghiệp tiếp cận tín dụng và mặt bằng kinh doanh; đôn đốc tiến độ "
            "các dự án đầu tư trên địa bàn; phát triển tuyến phố thương mại, dịch vụ đêm để kích cầu tiêu dùng.") in actions


def test_reporting_sentences_name_dates_and_delays(ctx):
    items = sections.shortcomings_section(ctx).blocks[-2].items
    assert items == ["Phòng Văn hóa - Xã hội phường đã gửi báo cáo ngày 2/10/2026, đúng hạn, còn thiếu chỉ tiêu (19).",
                     "Ban Quản lý dự án phường gửi báo cáo chậm 9 ngày (ngày 14/10/2026).",
                     "Ban Chỉ huy quân sự phường, Công an phường chưa gửi báo cáo 9 tháng năm 2026 (hạn 5/10/2026)."]
    table = sections.shortcomings_section(ctx).blocks[-1]
    assert "Văn phòng HĐND và UBND phường" not in [r[0] for r in table.rows]  # no "0/0" row


def test_summary_counts_due_indicators_and_gives_the_others_latest_results(ctx):
    text = sections.results_section(ctx).blocks[1].text
    assert text.startswith("Trong 20 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026: 5 chỉ tiêu đã đạt, 6 chỉ tiêu đúng tiến độ")
    assert ("16 chỉ tiêu còn lại chưa đến kỳ đánh giá (7 chỉ tiêu đánh giá cả năm, vào quý IV; 9 chỉ tiêu đánh giá "
            "6 tháng một lần, vào quý II và quý IV); theo kết quả 6 tháng đầu năm 2026, 3 chỉ tiêu đã đạt") in text
    assert text.endswith(" Kết quả từng chỉ tiêu chi tiết tại Phụ lục I kèm theo Báo cáo số …/BC-UBND ngày 29/11/2026.")
    assert entries(sections.shortcomings_section(ctx))[0] == (
        "(15) Tỷ lệ tham gia bảo hiểm y tế: 94,6%, giảm so với đầu năm (kế hoạch năm 96%). "
        "Nguyên nhân (Phòng Văn hóa - Xã hội phường): Tỷ lệ tham gia bảo hiểm y tế còn 94,6%, thấp hơn cuối năm 2025 "
        "do một số đối tượng hết thời gian được ngân sách hỗ trợ; lao động tự do, hộ có mức sống trung bình chưa tự mua thẻ.")


def test_appendix_has_the_conventional_columns(ctx):
    appendix = sections.appendix_section(ctx)
    assert [b.text for b in appendix.blocks[:3]] == [
        "PHỤ LỤC I", "BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU PHÁT TRIỂN KINH TẾ - XÃ HỘI 9 THÁNG NĂM 2026",
        "(Kèm theo Báo cáo số …/BC-UBND ngày 29/11/2026 của Ủy ban nhân dân phường Phan Đình Phùng)"]
    table = appendix.blocks[3]
    assert table.columns == ["TT", "Chỉ tiêu", "ĐVT", "KH năm 2026", "TH cùng kỳ 2025", "TH kỳ này", "% so KH",
                             "So cùng kỳ", "Ước cả năm", "Đánh giá"]
    assert len([r for r in table.rows if r[0].isdigit()]) == 36 and len(table.emphasis) == 7
    one = next(r for r in table.rows if r[0] == "1")
    assert one == ["1", "Thu ngân sách nhà nước trên địa bàn", "triệu đồng", "869.532", "596.400", "652.149 (ước)",
                   "75,0%", "109,3%", "888.613 (ước)", "↗ Đúng tiến độ"]


def test_nghi_dinh_30_elements(ctx):
    header = sections.document_header(ctx, "overview").blocks[0]
    assert (header.issuer_parent, header.issuer, header.number) == ("ỦY BAN NHÂN DÂN", "PHƯỜNG PHAN ĐÌNH PHÙNG",
                                                                    "Số: …/BC-UBND")
    assert header.place_date == "Phường Phan Đình Phùng, ngày 29 tháng 11 năm 2026"  # cut off on 29/11: never before it
    assert header.title == ("Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội 9 tháng, "
                            "phương hướng, nhiệm vụ quý IV năm 2026")
    assert header.cutoff == "Số liệu tổng hợp đến hết ngày 29/11/2026."
    assert "Quyết định số 477/QĐ-UBND ngày 13/3/2026" in header.basis and header.basis.endswith("báo cáo như sau:")
    closing = sections.closing(ctx).blocks[0]
    assert closing.recipients[0] == "- UBND tỉnh Thái Nguyên (b/c);" and closing.recipients[-1] == "- Lưu: VT, VP."
    assert (closing.signer_authority, closing.signer_title, closing.signer_name) == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "")
    html = sections.closing(ctx).html()
    assert "<strong><em>Nơi nhận:</em></strong>" in html
    letter = sections.document_header(ctx, "unit", "BQLDA").blocks[0]
    assert letter.subject == "V/v đôn đốc thực hiện các chỉ tiêu kế hoạch phát triển kinh tế - xã hội quý IV năm 2026"
    assert letter.addressee == "Kính gửi: Ban Quản lý dự án phường." and letter.number == "Số: …/UBND-VP"


def test_report_date_left_blank_for_signing(ctx):
    blank = ctx.params.model_copy(update={"report_date": None})
    header = sections.document_header(context.ReportContext(**{**ctx.__dict__, "params": blank}), "overview").blocks[0]
    assert header.place_date == "Phường Phan Đình Phùng, ngày … tháng … năm 2026"


def test_q4_title_looks_to_the_next_year():
    from kehoach.core.period import Period

    assert sections.overview_title(Period(2026, 4)) == (
        "Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội năm 2026, phương hướng, nhiệm vụ năm 2027")


def test_coordinator_letter_lists_who_to_chase(ctx):
    text = sections.unit_reporting_section(ctx, "VP").text()
    assert ("Phòng Văn hóa - Xã hội phường đã gửi báo cáo ngày 2/10/2026, đúng hạn, còn thiếu chỉ tiêu (19). "
            "Đề nghị đôn đốc gửi bổ sung số liệu chỉ tiêu (19).") in text
    assert ("Ban Quản lý dự án phường gửi báo cáo chậm 9 ngày (ngày 14/10/2026). "
            "Đề nghị nhắc nhở đơn vị gửi báo cáo đúng hạn các kỳ sau.") in text


def test_unit_letter_has_table_chart_and_numbering(ctx):
    results = sections.unit_results_section(ctx, "KTHT")
    kinds = [b.kind for b in results.blocks]
    assert kinds[:4] == ["heading", "paragraph", "table", "chart"]
    headings = [b.text for s in (results, sections.unit_reporting_section(ctx, "KTHT"), sections.unit_next_section(ctx, "KTHT"))
                for b in s.blocks if b.kind == "heading"]
    assert [h.split(".")[0] for h in headings] == ["1", "2", "3"]


def test_another_wards_parameters_lend_dates_not_the_document(tmp_path, caplog):
    """parameters/2026-Q3.yaml is phường Phan Đình Phùng's: a xã sharing the workspace gets its own "Nơi nhận" (xã), no
    phường's number or signer, and the same dates."""
    from kehoach.core.parameters import load_parameters

    plan = (PROJECT / "data" / "plan" / "phan-dinh-phung-2026.yaml").read_text(encoding="utf-8")
    plan = plan.replace('ward_code: "phan-dinh-phung"', 'ward_code: "la-hien"').replace('ward: "Phan Đình Phùng"', 'ward: "La Hiên"')
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "la-hien-2026.yaml").write_text(plan.replace('ward_kind: "phường"', 'ward_kind: "xã"'), encoding="utf-8")
    params = load_parameters("2026-Q3", PROJECT / "parameters").model_copy(update={"document_number": "45/BC-UBND",
                                                                                  "signer_name": "Nguyễn Văn A"})
    assert params.ward == "phan-dinh-phung" and any("phường" in r for r in params.recipients)
    ctx = context.compute("2026-Q3", ward="la-hien", data_dir=tmp_path, params=params, as_of="2026-11-29")
    closing = sections.closing(ctx).blocks[0]
    assert closing.recipients == ["- UBND tỉnh Thái Nguyên (b/c);", "- Thường trực Đảng ủy xã (b/c);", "- Thường trực HĐND xã;",
                                  "- Chủ tịch, các Phó Chủ tịch UBND xã;", "- Các đơn vị chủ trì;", "- Lưu: VT, VP."]
    assert (ctx.params.ward, ctx.params.document_number, ctx.params.signer_name) == ("la-hien", "", "")
    assert (ctx.params.report_date, ctx.params.deadline) == (params.report_date, params.deadline)
    assert "Tệp tham số kỳ 2026-Q3 ghi địa bàn phan-dinh-phung; báo cáo của la-hien dùng nơi nhận mặc định" in caplog.text


def test_a_units_note_on_a_task_status_is_printed(ctx):
    """The "Ghi chú" beside a task's status on the "Nhiệm vụ" sheet is the unit's words too: quoted, never dropped."""
    tasks = ctx.tasks[ctx.tasks["id"].isin(["II.1.1", "II.1.2"])].copy()
    tasks["note"] = ["Đã tập huấn <b>160</b> hộ", None]
    first, second = sections._task_entries(ctx, tasks)
    assert first[2:] == [["", " (ghi chú của đơn vị: "], ["words", "Đã tập huấn <b>160</b> hộ"], ["", ")"]]
    assert len(second) == 2
