"""The report sections: functions of a :class:`~kehoach.reporting.context.ReportContext` that return a
:class:`~kehoach.reporting.blocks.Section`.

The notebooks call these, one per cell; a section displays as HTML and carries its blocks for
the Word draft. Text comes from :mod:`kehoach.analysis.narrative`, numbers from
:mod:`kehoach.core.formatting`, labels from :mod:`kehoach.core.labels`, charts from
:mod:`kehoach.analysis.charts` (drawn through its cache).

Three documents, in the form of Nghị định 30/2020/NĐ-CP (Phụ lục I):

- the overview, a *báo cáo*: I. Kết quả thực hiện; II. Tồn tại, hạn chế và nguyên nhân;
  III. Nhiệm vụ, giải pháp trọng tâm of the next quarter (the next year after Q4); the phụ lục table;
- each responsible unit's letter (*công văn* "V/v đôn đốc …"), addressed to the unit;
- the indicator detail, one part per indicator.
"""

from __future__ import annotations

import logging

import pandas as pd

from kehoach.analysis import charts, narrative
from kehoach.analysis.evaluation import needing_attention, required_pace, with_last_year_next, with_latest_assessment
from kehoach.core.formatting import document_date, fmt_date, fmt_number, fmt_value
from kehoach.core.labels import ATTENTION, ILLUSTRATIVE_MARK, STATUS_LABELS, figure_kind_label, status_cell
from kehoach.core.period import VN_TZ, Period
from kehoach.reporting.blocks import Bullets, Chart, Closing, DocumentHeader, Heading, Paragraph, Section, Table
from kehoach.reporting.context import ReportContext

log = logging.getLogger(__name__)


def chart(data: dict) -> Chart:
    """A chart block: the spec and its drawing (from the drawing cache when already drawn)."""
    return Chart(spec=data, svg=charts.draw_svg(data), title=charts.title_of(data))


def _missing(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and x != x)


def _v(value: float, unit: str) -> str:
    return "—" if _missing(value) else fmt_value(value, unit)


def _n(value: float) -> str:
    return "—" if _missing(value) else fmt_number(value)


def _text(value: object) -> str:
    """Text from data for a table cell: empty for a missing value (never "<NA>" or "nan")."""
    return "" if _missing(value) else str(value)


def assessed(ctx: ReportContext) -> pd.DataFrame:
    """This period's rows, each with its latest earlier assessment of the year (see narrative)."""
    return with_latest_assessment(ctx.evaluated, ctx.period)


def _ward_name(ctx: ReportContext) -> str:
    doc = ctx.plan.document
    return f"{doc.ward_kind} {doc.ward}"


# -- document frame -------------------------------------------------------------------------
def overview_title(period: Period) -> str:
    """The overview's title, the same for every period; after Q4 the direction is for the next year."""
    return (f"Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội {period.title_label()}, "
            f"phương hướng, nhiệm vụ {period.next_label()}")


def printed_date(ctx: ReportContext):
    """The report's date: the parameter, never earlier than the newest record used (None: left blank to sign)."""
    date = ctx.params.report_date
    if date is None or ctx.records.empty:
        return date
    newest = ctx.records["submitted_at"].max().tz_convert(VN_TZ).date()
    if newest > date:
        log.info("report_date %s is before the newest record used (%s): the report is dated %s", date, newest, newest)
        return newest
    return date


def document_header(ctx: ReportContext, kind: str = "overview", unit: str | None = None) -> Section:
    """Issuer, national motto, number, place and date, title or V/v, basis, data cut-off and the illustrative banner.

    The place is the commune-level unit's name (Nghị định 30/2020/NĐ-CP, Phụ lục I, Phần I, mục II,
    khoản 4, điểm a); a unit named after a person is written in full: "Phường Phan Đình Phùng".
    """
    doc = ctx.plan.document
    ward = _ward_name(ctx)
    place = ward[:1].upper() + ward[1:]
    date = document_date(printed_date(ctx), ctx.period.year)
    cutoff = f"Số liệu tổng hợp đến hết ngày {fmt_date(ctx.cutoff.astimezone(VN_TZ).date())}."
    common = dict(issuer_parent="ỦY BAN NHÂN DÂN", issuer=ward.upper(), place_date=f"{place}, {date}", cutoff=cutoff,
                  banner=ctx.banner)
    number = ctx.params.document_number or "…"
    basis = (f"Thực hiện Kế hoạch phát triển kinh tế - xã hội năm {ctx.plan.year} ban hành kèm theo Quyết định số "
             f"{doc.decision_number} ngày {fmt_date(doc.decision_date)} của {doc.issuing_body}")
    if kind == "unit":
        name = ctx.plan.unit(unit).name
        return Section("header", [DocumentHeader(
            **common, number=f"Số: {number}/UBND-VP", doc_type="", title="",
            subject=f"V/v đôn đốc thực hiện các chỉ tiêu kế hoạch phát triển kinh tế - xã hội {ctx.period.next_label()}",
            addressee=f"Kính gửi: {name}.",
            basis=f"{basis}, Ủy ban nhân dân {ward} thông báo kết quả thực hiện {ctx.period.label()} và đề nghị "
                  f"{name} tập trung thực hiện một số nội dung sau:")])
    title = overview_title(ctx.period) if kind == "overview" else \
        f"Chi tiết kết quả thực hiện từng chỉ tiêu phát triển kinh tế - xã hội {ctx.period.label()}"
    return Section("header", [DocumentHeader(
        **common, number=f"Số: {number}/BC-UBND", doc_type="BÁO CÁO", title=title,
        basis=f"{basis}, Ủy ban nhân dân {ward} báo cáo như sau:")])


def closing(ctx: ReportContext, kind: str = "overview") -> Section:
    """Nơi nhận (ending with "- Lưu: VT, VP.") and the signature block, from the period's parameters."""
    p = ctx.params
    if kind == "unit":
        recipients = ["- Như trên;", f"- Chủ tịch, các Phó Chủ tịch UBND {ctx.plan.document.ward_kind};"]
    else:
        recipients = [f"- {r.rstrip(';.')};" for r in p.recipients]
    return Section("closing", [Closing(recipients=[*recipients, "- Lưu: VT, VP."], signer_authority=p.signer_authority,
                                       signer_title=p.signer_title, signer_name=p.signer_name)])


# -- overview: I. Kết quả thực hiện -----------------------------------------------------------
def results_section(ctx: ReportContext) -> Section:
    """I. The summary a leader reads in a minute, the indicators needing direction, then the results by group."""
    rows = assessed(ctx)
    out = Section("results", [Heading(f"I. KẾT QUẢ THỰC HIỆN {ctx.period.label().upper()}"),
                              Paragraph(narrative.summary(rows))])
    items = narrative.attention_items(rows)
    if items:
        out.add(Paragraph("Các chỉ tiêu cần tập trung chỉ đạo:"), Bullets(items, "attention"))
    out.add(chart(charts.status_overview(ctx.current)))
    for i, group in enumerate(ctx.plan.groups, start=1):
        mine = rows[rows["group"] == group.code]
        out.add(Heading(f"{i}. Nhóm chỉ tiêu về {group.name}", 3), Paragraph(narrative.group_paragraph(rows, group.code)))
        if mine["value"].notna().any():
            out.add(chart(charts.bullet(ctx.current, group.code)))
        out.add(Bullets(list(narrative.indicator_sentences(mine)), "sentences"))
    return out


# -- overview: II. Tồn tại, hạn chế -----------------------------------------------------------
def _lagging(rows: pd.DataFrame) -> pd.DataFrame:
    """Indicators at risk, regressing, behind or missed now, or at their latest assessment when not due now."""
    now = rows["status"].isin([s for s in ATTENTION if s != "no_data"])
    before = (rows["status"] == "not_due") & rows["last_status"].isin([s for s in ATTENTION if s != "no_data"])
    return rows[now | before]


def _reason(ctx: ReportContext, r: dict) -> str:
    """The unit's own explanation: the note on its latest form for the indicator, if any."""
    notes = ctx.progress[(ctx.progress["indicator"] == r["indicator"]) & (ctx.progress["year"] == ctx.plan.year)
                         & (ctx.progress["period"] == (r["period"] if r["status"] != "not_due" else r["last_period"]))]
    note = notes["note"].dropna()
    note = [n for n in note if n and n != "Số liệu minh họa"]
    return f" Nguyên nhân (theo báo cáo của {r['unit_name']}): {note[0].rstrip('.')}." if note else ""


def shortcomings_section(ctx: ReportContext) -> Section:
    """II. Shortcomings and causes: lagging indicators with the units' own notes, then late and missing reports."""
    rows = assessed(ctx)
    lagging = _lagging(rows)
    out = Section("shortcomings", [Heading("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN"),
                                   Heading("1. Các chỉ tiêu chưa đạt tiến độ", 3)])
    order = {s: i for i, s in enumerate(["missed", "regressing", "at_risk", "behind", "not_due"])}
    lagging = lagging.assign(_o=lagging["status"].map(order)).sort_values(["_o", "indicator"])
    items = [f"({r['indicator']}) {narrative.indicator_sentence(r)}{_reason(ctx, r)}" for r in lagging.to_dict("records")]
    out.add(Bullets(items, "sentences") if items else Paragraph("Các chỉ tiêu đến kỳ đánh giá đều đạt tiến độ đề ra."))
    out.add(Heading("2. Việc báo cáo của các đơn vị", 3))
    problems = [narrative.unit_reporting_sentence(r, ctx.period) for r in ctx.completeness.to_dict("records")
                if r["due"] and (r["timeliness"] != "on_time" or len(r["missing"]))]
    if problems:
        out.add(Bullets(problems, "reporting"))
    else:
        out.add(Paragraph("Các đơn vị chủ trì đã gửi báo cáo đúng hạn, đủ số liệu các chỉ tiêu đến kỳ."))
    table = ctx.completeness[ctx.completeness["due"] > 0]
    out.add(Table(COMPLETENESS_COLUMNS, completeness_rows(table), numeric=[3]))
    return out


COMPLETENESS_COLUMNS = ["Đơn vị", "Tình trạng", "Ngày gửi", "Số chỉ tiêu đã báo cáo", "Chỉ tiêu còn thiếu"]


def completeness_rows(table: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in table.itertuples():
        sent = "" if pd.isna(r.first_submitted_at) else fmt_date(r.first_submitted_at.tz_convert(VN_TZ).date())
        missing = ", ".join(f"({n})" for n in r.missing) or "—"
        rows.append([r.unit_name, r.timeliness_label, sent, f"{r.submitted}/{r.due}", missing])
    return rows


# -- overview: III. Nhiệm vụ, giải pháp -------------------------------------------------------
def _paced(ctx: ReportContext, rows: pd.DataFrame) -> pd.DataFrame:
    return with_last_year_next(required_pace(rows), ctx.progress)


def _open_tasks(tasks: pd.DataFrame) -> list[str]:
    """The section II tasks not yet done, each with its state and lead unit."""
    open_ = tasks[tasks["status"] != "done"]
    return [f"{t['id']} {t['title']} ({narrative.TASK_ORDER[t['status']]})"
            + ("" if _missing(t.get("unit_name")) else f" – {t['unit_name']} chủ trì") + "."
            for t in open_.to_dict("records")]


def _tasks_with_units(ctx: ReportContext) -> pd.DataFrame:
    names = {u.code: u.name for u in ctx.plan.units}
    return ctx.tasks.assign(unit_name=ctx.tasks["unit_code"].map(names))


def directions_section(ctx: ReportContext) -> Section:
    """III. What the next quarter (the next year after Q4) must bring: per lagging indicator, open tasks, who leads."""
    rows = assessed(ctx)
    nxt = ctx.period.next_label()
    out = Section("directions", [Heading(f"III. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM {nxt.upper()}"),
                                 Heading("1. Đối với các chỉ tiêu chưa đạt tiến độ", 3)])
    if ctx.period.quarter < 4:
        out.add(Bullets(narrative.unit_actions(_paced(ctx, rows)), "actions"))
    else:
        out.add(Bullets(narrative.next_year_items(rows) or [narrative.TEMPLATES["no_action"]], "actions"))
    out.add(Heading("2. Các nhiệm vụ, giải pháp chưa hoàn thành", 3))
    tasks = _open_tasks(_tasks_with_units(ctx))
    out.add(Bullets(tasks, "tasks") if tasks else Paragraph("Các nhiệm vụ, giải pháp của Kế hoạch đã hoàn thành."))
    lagging = needing_attention(rows)
    units = list(dict.fromkeys(lagging["unit_name"]))
    out.add(Heading("3. Tổ chức thực hiện", 3), Paragraph(narrative.organisation(units, nxt, ctx.plan.document.ward_kind)))
    return out


# -- overview: phụ lục --------------------------------------------------------------------------
APPENDIX_COLUMNS = ["TT", "Chỉ tiêu", "ĐVT", "KH năm {year}", "TH cùng kỳ {prev}", "TH kỳ này", "% so KH",
                    "So cùng kỳ", "Ước cả năm", "Đánh giá"]


def appendix_columns(year: int) -> list[str]:
    return [c.format(year=year, prev=year - 1) for c in APPENDIX_COLUMNS]


def _this_period_cell(r: dict, mark: bool = False) -> str:
    """The figure of the period; ``mark`` adds "(*)" to an illustrative figure (real and illustrative mixed)."""
    if r["status"] == "not_due":
        if _missing(r.get("last_value")):
            return "—"
        return f"{_n(r['last_value'])} ({Period.parse(r['last_period']).title_label()})"
    if _missing(r["value"]):
        return "—"
    flag = ILLUSTRATIVE_MARK if mark and bool(r.get("illustrative", False)) else ""
    return _n(r["value"]) + (" (ước)" if not _missing(r["is_estimate"]) and bool(r["is_estimate"]) else "") + flag


def _vs_plan_cell(r: dict) -> str:
    if r["status"] == "not_due" or _missing(r["value"]) or r["kind"] in ("reduction",) or r["comparison"] == "<":
        return "—"
    return f"{fmt_number(r['achievement_pct'], 1)}%" if not _missing(r["achievement_pct"]) else "—"


def _vs_last_year_cell(r: dict) -> str:
    if r["status"] == "not_due" or _missing(r["value"]):
        return "—"
    if r["unit"] == "%":
        pp = r["yoy_pp"]
        return "—" if _missing(pp) else f"{'+' if pp > 0 else '−' if pp < 0 else ''}{fmt_number(abs(pp), 2)} điểm %"
    pct = r["yoy_pct"]
    return "—" if _missing(pct) else f"{fmt_number(100 + pct, 1)}%"


def _estimate_cell(r: dict) -> str:
    if r["status"] in ("not_due", "no_data") or _missing(r["projection"]):
        return "—"
    return f"{narrative.estimate_text(r).replace(' ' + r['unit'], '').rstrip('%') if r['kind'] != 'reduction' else narrative.estimate_text(r)} (ước)"


def _status_text(r: dict) -> str:
    if r["status"] == "not_due" and not _missing(r.get("last_status")):
        return f"{status_cell('not_due')} ({Period.parse(r['last_period']).title_label()}: {STATUS_LABELS[r['last_status']].lower()})"
    return status_cell(r["status"])


def appendix_rows(rows: pd.DataFrame, groups: list, mark: bool = False) -> tuple[list[list[str]], list[int]]:
    """The phụ lục rows, a group's name before its indicators; returns the rows and the group rows' positions."""
    out, group_rows = [], []
    for i, group in enumerate(groups, start=1):
        mine = rows[rows["group"] == group.code]
        if mine.empty:
            continue
        group_rows.append(len(out))
        out.append([narrative.ROMAN_GROUPS[i - 1] if i <= len(narrative.ROMAN_GROUPS) else str(i),
                    f"Nhóm chỉ tiêu về {group.name}", "", "", "", "", "", "", "", ""])
        for r in mine.to_dict("records"):
            out.append([str(r["indicator"]), r["label"], r["unit"], r["target_text"].replace(f" {r['unit']}", "")
                        if r["unit"] != "%" else r["target_text"], _n(r["same_period_last_year"]) if r["status"] != "not_due"
                        else _n(r["baseline"]), _this_period_cell(r, mark), _vs_plan_cell(r), _vs_last_year_cell(r),
                        _estimate_cell(r), _status_text(r)])
    return out, group_rows


def appendix_section(ctx: ReportContext) -> Section:
    """Phụ lục: every indicator in one table, with the conventional column headings."""
    rows, group_rows = appendix_rows(assessed(ctx), ctx.plan.groups, ctx.illustrative_mixed)
    return Section("appendix", [
        Heading("PHỤ LỤC"),
        Paragraph(f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU PHÁT TRIỂN KINH TẾ - XÃ HỘI {ctx.period.label().upper()}",
                  "appendix-title"),
        Paragraph(f"(Kèm theo Báo cáo của Ủy ban nhân dân {_ward_name(ctx)})", "appendix-note"),
        Table(appendix_columns(ctx.plan.year), rows, numeric=[4, 5, 6, 7, 8], css="data appendix", emphasis=group_rows)])


# -- unit letters ------------------------------------------------------------------------------
UNIT_COLUMNS = ["TT", "Chỉ tiêu", "ĐVT", "KH năm", "TH kỳ này", "Ước cả năm", "Đánh giá"]


def unit_results_section(ctx: ReportContext, unit: str) -> Section:
    """1. The unit's indicators: table, chart and a sentence each (for the coordinator: what it coordinates)."""
    rows = assessed(ctx)
    mine = rows[rows["unit_code"] == unit]
    u = ctx.plan.unit(unit)
    out = Section("unit_results", [Heading(f"1. Kết quả thực hiện các chỉ tiêu {ctx.period.label()}", 3)])
    if mine.empty:
        return out.add(Paragraph(f"{u.name} không chủ trì chỉ tiêu nào của Kế hoạch; là đơn vị đầu mối tổng hợp, "
                                 "theo dõi việc báo cáo của các đơn vị chủ trì." if u.role == "coordinator" else
                                 f"{u.name} không chủ trì chỉ tiêu nào của Kế hoạch."))
    out.add(Paragraph(f"{u.name} chủ trì {len(mine)} chỉ tiêu; kỳ này có {narrative.count_phrase(mine)}."))
    table = [[str(r["indicator"]), r["label"], r["unit"], r["target_text"], _this_period_cell(r, ctx.illustrative_mixed),
              _estimate_cell(r),
              _status_text(r)] for r in mine.to_dict("records")]
    out.add(Table(UNIT_COLUMNS, table, numeric=[4, 5]))
    current = ctx.current[ctx.current["unit_code"] == unit]
    if current["value"].notna().any():
        out.add(chart(charts.bullet_rows(current, f"{u.name}: thực hiện, kế hoạch và ước cả năm – {ctx.period.label()}")))
    return out.add(Bullets(list(narrative.indicator_sentences(mine)), "sentences"))


def unit_reporting_section(ctx: ReportContext, unit: str) -> Section:
    """2. The unit's own reporting; the coordinator's letter lists who is late or missing and what to chase."""
    u = ctx.plan.unit(unit)
    out = Section("unit_reporting", [Heading("2. Việc gửi báo cáo", 3)])
    if u.role == "coordinator":
        chase = [narrative.unit_reporting_sentence(r, ctx.period) + " " + narrative.chase(r)
                 for r in ctx.completeness.to_dict("records") if r["due"] and (r["timeliness"] != "on_time" or len(r["missing"]))]
        return out.add(Paragraph("Đề nghị Văn phòng đôn đốc các đơn vị sau:") if chase else
                       Paragraph("Các đơn vị chủ trì đã gửi báo cáo đúng hạn, đủ số liệu."), Bullets(chase, "reporting") if chase else None)
    mine = ctx.completeness[ctx.completeness["unit_code"] == unit].to_dict("records")
    return out.add(*(Paragraph(narrative.unit_reporting_sentence(r, ctx.period)) for r in mine))


def unit_next_section(ctx: ReportContext, unit: str) -> Section:
    """3. What the unit must reach next quarter (against the same quarter last year), and its open tasks."""
    rows = assessed(ctx)
    mine = rows[rows["unit_code"] == unit]
    out = Section("unit_next", [Heading(f"3. Nội dung cần tập trung thực hiện trong {ctx.period.next_label()}", 3)])
    if ctx.period.quarter < 4:
        actions = narrative.unit_actions(_paced(ctx, mine)) if len(mine) else []
    else:
        actions = narrative.next_year_items(mine)
    tasks = _open_tasks(_tasks_with_units(ctx)[lambda t: t["unit_code"] == unit])
    items = [a for a in actions if a != narrative.TEMPLATES["no_action"]] + tasks
    out.add(Bullets(items, "actions") if items else Paragraph("Tiếp tục duy trì kết quả đã đạt được."))
    place = ctx.plan.document.ward_kind
    return out.add(Paragraph(f"Đề nghị {ctx.plan.unit(unit).name} khẩn trương triển khai thực hiện, báo cáo kết quả về "
                             f"Ủy ban nhân dân {place} (qua Văn phòng HĐND và UBND {place}) theo quy định."))


# -- indicator detail -------------------------------------------------------------------------
def heatmap_section(ctx: ReportContext) -> Section:
    """The status of each indicator in each quarter so far."""
    return Section("heatmap", [Heading("I. ĐÁNH GIÁ TỪNG CHỈ TIÊU THEO QUÝ"), chart(charts.heatmap(ctx.evaluated))])


def trend_indicators(ctx: ReportContext) -> list[int]:
    """Indicators with at least two quarterly values in this year and the last: a line needs two points."""
    years = {str(ctx.period.year), str(ctx.period.year - 1)}
    rows = ctx.progress[ctx.progress["period"].str[:4].isin(years)]
    counts = rows.groupby("code").size()
    codes = set(counts[counts >= 2].index)
    return sorted(int(n) for n, c in zip(ctx.plan.indicators["number"], ctx.plan.indicators["code"]) if c in codes)


def indicator_details(ctx: ReportContext) -> Section:
    """II. One part per indicator: sentence, trend chart, quarterly values and revisions."""
    trends = set(trend_indicators(ctx))
    plan_rows = ctx.plan.indicators.set_index("number")
    out = Section("indicator_details", [Heading("II. KẾT QUẢ TỪNG CHỈ TIÊU")])
    for r in assessed(ctx).to_dict("records"):
        out.add(Heading(f"({r['indicator']}) {r['label']}", 3),
                Paragraph(f"Đơn vị chủ trì: {r['unit_name']}. Kế hoạch năm: {r['target_text']}. "
                          f"Đánh giá: {_status_text(r)}.", "meta"),
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
