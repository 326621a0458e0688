"""The report sections: functions of a :class:`~kehoach.reporting.context.ReportContext` that return a
:class:`~kehoach.reporting.blocks.Section`.

The notebooks call these, one per cell; a section displays as HTML and carries its blocks for
the Word draft. Text comes from :mod:`kehoach.analysis.narrative`, numbers from
:mod:`kehoach.core.formatting`, labels from :mod:`kehoach.core.labels`, charts from
:mod:`kehoach.analysis.charts` (drawn through its cache).
"""

from __future__ import annotations

import pandas as pd

from kehoach.analysis import charts, narrative
from kehoach.analysis.evaluation import by_group, needing_attention, required_pace, scorecard
from kehoach.core.formatting import document_date, fmt_date, fmt_value
from kehoach.core.labels import ILLUSTRATIVE_BANNER, STATUS_LABELS, figure_kind_label, status_cell
from kehoach.core.period import VN_TZ
from kehoach.reporting.blocks import (Bullets, Chart, Closing, DocumentHeader, Heading, Paragraph, Section, Table)
from kehoach.reporting.context import ReportContext


def chart(data: dict) -> Chart:
    """A chart block: the spec and its drawing (from the drawing cache when already drawn)."""
    return Chart(spec=data, svg=charts.draw_svg(data), title=charts.title_of(data))


def _v(value: float, unit: str) -> str:
    return fmt_value(value, unit) if value == value and value is not None else "—"


def _text(value: object) -> str:
    """Text from data for a table cell: empty for a missing value (never "<NA>" or "nan")."""
    return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)


# -- document frame -------------------------------------------------------------------------
TITLES = {
    "overview": "Tình hình thực hiện các chỉ tiêu phát triển kinh tế - xã hội {period}",
    "unit": "Tình hình thực hiện các chỉ tiêu do {unit} chủ trì, {period}",
    "indicators": "Chi tiết từng chỉ tiêu phát triển kinh tế - xã hội, {period}",
}


def document_header(ctx: ReportContext, kind: str = "overview", unit: str | None = None) -> Section:
    """Issuer, national motto, number, place and date, title, basis, data cut-off and the illustrative banner."""
    doc = ctx.plan.document
    unit_name = ctx.plan.unit(unit).name if unit else ""
    title = TITLES[kind].format(period=ctx.period.label(), unit=unit_name)
    return Section("header", [DocumentHeader(
        issuer_parent="ỦY BAN NHÂN DÂN", issuer=f"{doc.ward_kind} {doc.ward}".upper(), number="Số: …/BC-UBND",
        place_date=f"{doc.ward_kind} {doc.ward}, {document_date(ctx.params.report_date)}",
        doc_type="BÁO CÁO", title=title,
        basis=(f"Thực hiện Kế hoạch ban hành kèm theo Quyết định số {doc.decision_number} ngày "
               f"{fmt_date(doc.decision_date)} của {doc.issuing_body}, {doc.issuing_body} báo cáo như sau:"),
        cutoff=f"Số liệu tổng hợp đến hết ngày {fmt_date(ctx.cutoff.astimezone(VN_TZ).date())}.",
        banner=ILLUSTRATIVE_BANNER if ctx.illustrative else "",
    )])


def closing(ctx: ReportContext) -> Section:
    """Nơi nhận and the signature block."""
    coordinator = ctx.plan.coordinator
    return Section("closing", [Closing(
        recipients=["- Thường trực Đảng ủy, HĐND phường;", "- Chủ tịch, các Phó Chủ tịch UBND phường;",
                    "- Các đơn vị chủ trì;", f"- Lưu: VT, {coordinator.code if coordinator else 'VP'}."],
        signer_authority="TM. ỦY BAN NHÂN DÂN", signer_title="CHỦ TỊCH")])


# -- overview sections ----------------------------------------------------------------------
def summary_section(ctx: ReportContext) -> Section:
    """I. Overall assessment."""
    return Section("summary", [Heading("I. Đánh giá chung"), Paragraph(narrative.summary(ctx.current))])


def status_overview_section(ctx: ReportContext) -> Section:
    """II. Status of the indicators by group: chart and table."""
    groups = by_group(ctx.current)
    rows = [[g.group_name] + [str(int(getattr(g, s))) for s in STATUS_LABELS] + [str(int(g.total))]
            for g in groups.itertuples()]
    return Section("status_overview", [
        Heading("II. Kết quả theo nhóm chỉ tiêu"), chart(charts.status_overview(ctx.current)),
        Table(["Nhóm"] + [status_cell(s) for s in STATUS_LABELS] + ["Tổng"], rows, numeric=list(range(1, 10)))])


INDICATOR_COLUMNS = ["TT", "Chỉ tiêu", "Kế hoạch năm", "Thực hiện", "Ước cả năm", "Đánh giá"]


def _estimate(flag: object) -> bool:
    return bool(pd.notna(flag) and flag)


def indicator_rows(frame: pd.DataFrame) -> list[list[str]]:
    """The rows of an indicator table."""
    return [[f"({r.indicator})", r.label, r.target_text, _v(r.value, r.unit) + (" (ước)" if _estimate(r.is_estimate) else ""),
             narrative.approx(r.projection, r.unit) if r.projection == r.projection else "—",
             status_cell(r.status)] for r in frame.itertuples()]


def group_sections(ctx: ReportContext) -> Section:
    """One sub-section per group: paragraph, bullet chart, table and each indicator's sentence."""
    current = ctx.current
    paragraphs = narrative.group_paragraphs(current)
    out = Section("groups")
    for i, group in enumerate(ctx.plan.groups, start=1):
        rows = current[current["group"] == group.code]
        out.add(Heading(f"{i}. Nhóm chỉ tiêu về {group.name}", 3), Paragraph(paragraphs[group.code]))
        if rows["value"].notna().any():
            out.add(chart(charts.bullet(current, group.code)))
        out.add(Table(INDICATOR_COLUMNS, indicator_rows(rows)),
                Bullets(list(narrative.indicator_sentences(rows)), "sentences"))
    return out


def attention_section(ctx: ReportContext) -> Section:
    """III. Indicators needing attention, with their responsible units."""
    rows = needing_attention(ctx.current)
    body = [[f"({r.indicator})", r.label, _v(r.value, r.unit), r.target_text, status_cell(r.status), r.unit_name]
            for r in rows.itertuples()]
    content = (Table(["TT", "Chỉ tiêu", "Thực hiện", "Kế hoạch năm", "Đánh giá", "Đơn vị chủ trì"], body) if body
               else Paragraph("Không có chỉ tiêu nào cần tập trung chỉ đạo trong kỳ."))
    return Section("attention", [Heading("III. Các chỉ tiêu cần tập trung chỉ đạo"), content])


COMPLETENESS_COLUMNS = ["Đơn vị", "Tình trạng", "Ngày gửi", "Số chỉ tiêu đã báo cáo", "Chỉ tiêu còn thiếu"]


def completeness_rows(table: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in table.itertuples():
        sent = "" if pd.isna(r.first_submitted_at) else fmt_date(r.first_submitted_at.tz_convert(VN_TZ).date())
        missing = ", ".join(f"({n})" for n in r.missing) or "—"
        rows.append([r.unit_name, r.timeliness_label, sent, f"{r.submitted}/{r.due}", missing])
    return rows


def completeness_section(ctx: ReportContext) -> Section:
    """IV. Reporting by the responsible units: narrative, scorecard chart and table."""
    return Section("completeness", [
        Heading("IV. Tình hình báo cáo của các đơn vị"), Paragraph(narrative.completeness_text(ctx.completeness)),
        chart(charts.unit_scorecard(scorecard(ctx.current, ctx.completeness))),
        Table(COMPLETENESS_COLUMNS, completeness_rows(ctx.completeness))])


def tasks_section(ctx: ReportContext, unit: str | None = None) -> Section:
    """V. Tasks and solutions of section II, by status."""
    tasks = ctx.tasks if unit is None else ctx.tasks[ctx.tasks["unit_code"] == unit]
    out = Section("tasks")
    if tasks.empty:
        return out
    rows = [[_text(t.id), _text(t.title), _text(t.status_label), _text(t.unit_code), _text(t.note)] for t in tasks.itertuples()]
    return out.add(Heading("V. Nhiệm vụ, giải pháp chủ yếu" if unit is None else "IV. Nhiệm vụ, giải pháp được giao theo dõi"),
                   Paragraph(narrative.tasks_text(tasks)),
                   Table(["Mục", "Nhiệm vụ", "Tình trạng", "Đơn vị", "Ghi chú"], rows))


def heatmap_section(ctx: ReportContext) -> Section:
    """The status of each indicator in each quarter so far."""
    return Section("heatmap", [Heading("Đánh giá từng chỉ tiêu theo quý"), chart(charts.heatmap(ctx.evaluated))])


# -- unit report ----------------------------------------------------------------------------
def unit_summary_section(ctx: ReportContext, unit: str) -> Section:
    rows = ctx.current[ctx.current["unit_code"] == unit]
    name = ctx.plan.unit(unit).name
    text = (f"{name} chủ trì {len(rows)} chỉ tiêu; kỳ này có {narrative.count_phrase(rows)}." if len(rows)
            else f"{name} không chủ trì chỉ tiêu nào; đơn vị theo dõi các nhiệm vụ dưới đây.")
    out = Section("unit_summary", [Heading("I. Kết quả thực hiện"), Paragraph(text)])
    if len(rows):
        out.add(Table(INDICATOR_COLUMNS, indicator_rows(rows)), Bullets(list(narrative.indicator_sentences(rows)), "sentences"))
    return out


def unit_completeness_section(ctx: ReportContext, unit: str) -> Section:
    mine = ctx.completeness[ctx.completeness["unit_code"] == unit]
    return Section("unit_completeness", [
        Heading("II. Tình hình báo cáo của đơn vị"), Paragraph(narrative.completeness_text(mine)),
        Table(COMPLETENESS_COLUMNS, completeness_rows(mine))])


def unit_actions_section(ctx: ReportContext, unit: str) -> Section:
    rows = required_pace(ctx.current[ctx.current["unit_code"] == unit])
    title = ("III. Nội dung cần đẩy nhanh trong " + ctx.period.shift(1).quarter_label() if ctx.period.quarter < 4
             else "III. Nội dung cần rút kinh nghiệm")
    return Section("unit_actions", [Heading(title), Bullets(narrative.unit_actions(rows), "actions")])


# -- indicator detail -------------------------------------------------------------------------
def trend_indicators(ctx: ReportContext) -> list[int]:
    """Indicators with at least two quarterly values in this year and the last: a line needs two points."""
    years = {str(ctx.period.year), str(ctx.period.year - 1)}
    rows = ctx.progress[ctx.progress["period"].str[:4].isin(years)]
    counts = rows.groupby("code").size()
    codes = set(counts[counts >= 2].index)
    return sorted(int(n) for n, c in zip(ctx.plan.indicators["number"], ctx.plan.indicators["code"]) if c in codes)


def indicator_details(ctx: ReportContext) -> Section:
    """One sub-section per indicator: sentence, trend chart, quarterly values and revisions."""
    trends = set(trend_indicators(ctx))
    plan_rows = ctx.plan.indicators.set_index("number")
    out = Section("indicator_details")
    for r in ctx.current.to_dict("records"):
        out.add(Heading(f"({r['indicator']}) {r['label']}"),
                Paragraph(f"Đơn vị chủ trì: {r['unit_name']}. Kế hoạch năm: {r['target_text']}. "
                          f"Đánh giá: {status_cell(r['status'])}.", "meta"),
                Paragraph(narrative.indicator_sentence(r)))
        if r["indicator"] in trends:
            row = plan_rows.loc[r["indicator"]]
            out.add(chart(charts.trend(ctx.progress, {**row.to_dict(), "number": r["indicator"]}, ctx.period.year)))
        out.add(quarter_table(ctx, r), revision_table(ctx, r))
    return out


def quarter_table(ctx: ReportContext, r: dict) -> Table:
    """The indicator's value in each quarter of this year and the last."""
    year, unit = ctx.period.year, r["unit"]
    values = ctx.progress[ctx.progress["code"] == r["code"]].set_index("period")["value"]
    rows = []
    for q, name in enumerate(["Quý I", "Quý II", "Quý III", "Quý IV"], start=1):
        this, last = values.get(f"{year}-Q{q}"), values.get(f"{year - 1}-Q{q}")
        rows.append([name, _v(last if last is not None else float("nan"), unit),
                     _v(this if this is not None else float("nan"), unit)])
    return Table(["Kỳ", f"Năm {year - 1}", f"Năm {year}"], rows, numeric=[1, 2])


def revision_table(ctx: ReportContext, r: dict) -> Table | Paragraph:
    """Every revision of the indicator this year, with who sent it and when."""
    rev = ctx.records[(ctx.records["record"] == "indicator") & (ctx.records["indicator"] == r["indicator"])
                      & ctx.records["period"].str.startswith(str(ctx.period.year))]
    if rev.empty:
        return Paragraph("Chưa có lần báo cáo nào trong năm.", "meta")
    rows = [[x.period, str(x.revision), _v(x.value, r["unit"]), figure_kind_label(x.is_estimate),
             fmt_date(x.submitted_at.tz_convert(VN_TZ).date()), _text(x.unit_code), _text(x.note)]
            for x in rev.sort_values(["period", "revision"]).itertuples()]
    return Table(["Kỳ", "Lần", "Giá trị", "Loại số liệu", "Ngày gửi", "Đơn vị", "Ghi chú"], rows, numeric=[1, 2])
