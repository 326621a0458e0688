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

import datetime as dt
import logging
from collections import Counter

import pandas as pd

from kehoach.analysis import charts, narrative
from kehoach.analysis.evaluation import needing_attention, required_pace, with_last_year_next, with_latest_assessment
from kehoach.core.formatting import document_date, fmt_date, fmt_number, fmt_value
from kehoach.core.labels import ATTENTION, ILLUSTRATIVE_MARK, STATUS_LABELS, figure_kind_label, status_cell
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Group, Plan, task_field
from kehoach.data.texts import item_label
from kehoach.reporting.blocks import (PLACEHOLDER, PLAIN, WORDS, Bullets, Chart, Closing, DocumentHeader, Entries, Heading,
                                      Paragraph, Section, Table)
from kehoach.reporting.context import ReportContext
from kehoach.reporting.words import Words

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


def _capital(text: str) -> str:
    """A name at the start of a cell: "Quý I năm 2026", "6 tháng đầu năm 2026"."""
    return text[:1].upper() + text[1:]


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


def printed_date(ctx: ReportContext) -> dt.date | None:
    """The report's date: the period's ``report_date``, or the cut-off's day when the data were cut off later
    (``--as-of``); so never before any data used. None: left blank for the date of signing."""
    date = ctx.params.report_date
    if date is None:
        return None
    cutoff = ctx.cutoff.astimezone(VN_TZ).date()
    if cutoff > date:
        log.info("report_date %s is before the cut-off (%s): the report is dated %s", date, cutoff, cutoff)
        return cutoff
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
    if kind == "indicators":
        return annex_header(ctx)
    return Section("header", [DocumentHeader(
        **common, number=f"Số: {number}/BC-UBND", doc_type="BÁO CÁO", title=overview_title(ctx.period),
        basis=f"{basis}, Ủy ban nhân dân {ward} báo cáo như sau:")])


def annex_header(ctx: ReportContext) -> Section:
    """The detail of every indicator is an annex of the overview (Phụ lục II), not a second report: its name,
    title and the report it goes with; no motto, number or signature of its own."""
    date = printed_date(ctx)
    when = f" ngày {fmt_date(date)}" if date else ""
    return Section("header", [DocumentHeader(
        issuer_parent="", issuer="", number="", place_date="", doc_type="PHỤ LỤC II",
        title=f"Chi tiết kết quả thực hiện từng chỉ tiêu phát triển kinh tế - xã hội {ctx.period.label()}",
        basis=f"(Kèm theo Báo cáo số {ctx.params.document_number or '…'}/BC-UBND{when} của Ủy ban nhân dân "
              f"{_ward_name(ctx)})", banner=ctx.banner)])


def closing(ctx: ReportContext, kind: str = "overview", unit: str | None = None) -> Section:
    """The body's last paragraph, Nơi nhận (ending with "- Lưu: VT, VP.") and the signature block, from the
    period's parameters; kept together on one page."""
    p = ctx.params
    if kind == "unit":
        recipients = ["- Như trên;", f"- Chủ tịch, các Phó Chủ tịch UBND {ctx.plan.document.ward_kind};"]
        lead = unit_letter_close(ctx, unit) if unit else ""
    else:
        doc = ctx.plan.document
        recipients = [f"- {r.rstrip(';.')};".replace("{ward_kind}", doc.ward_kind).replace("{province}", doc.province)
                      for r in p.recipients]
        title = overview_title(ctx.period)
        lead = f"Trên đây là báo cáo {title[:1].lower()}{title[1:]} của Ủy ban nhân dân {_ward_name(ctx)}./."
    return Section("closing", [Closing(recipients=[*recipients, "- Lưu: VT, VP."], signer_authority=p.signer_authority,
                                       signer_title=p.signer_title, signer_name=p.signer_name, lead=lead)])


# -- overview: the fields of section II, the units' words ---------------------------------------
def _words(ctx: ReportContext) -> Words:
    return Words(ctx.plan, ctx.texts, ctx.period.quarter)


def home_fields(plan: Plan) -> dict[str, str]:
    """Each reporting unit's field: where it leads most tasks, then owns most indicators (ties: the plan's order).

    A unit's general words (its "Kết quả nổi bật") are given at the head of that field.
    """
    order = {f.id: i for i, f in enumerate(plan.field_list)}
    group_field = {g.code: g.field for g in plan.groups}
    homes = {}
    for unit in plan.reporting_units:
        tasks = Counter(task_field(t.id) for t in plan.tasks if t.unit_code == unit.code)
        owned = Counter(group_field[i.group] for i in plan.indicator_list if i.unit_code == unit.code and group_field[i.group])
        fields = [f for f in order if tasks[f] or owned[f]]
        if fields:
            homes[unit.code] = max(fields, key=lambda f: (tasks[f], owned[f], -order[f]))
    return homes


def _letter(i: int) -> str:
    return "abcdefghiklmnopqrstuvxy"[i] if i < 23 else str(i + 1)


def _group_blocks(ctx: ReportContext, rows: pd.DataFrame, group: Group, title: str) -> list:
    mine = rows[rows["group"] == group.code]
    blocks = [Heading(title, 4), Paragraph(narrative.group_paragraph(rows, group.code))]
    if mine["value"].notna().any():
        blocks.append(chart(charts.bullet(ctx.current, group.code)))
    return [*blocks, Bullets(list(narrative.indicator_sentences(mine)), "sentences")]


def _task_entries(ctx: ReportContext, tasks: pd.DataFrame) -> list[list[list[str]]]:
    """One entry per task: its number and title, its state unless in progress, its result in the unit's words, and
    the note the unit wrote beside the status on the "Nhiệm vụ" sheet."""
    words = _words(ctx)
    out = []
    for t in tasks.to_dict("records"):
        state = "" if t["status"] == "in_progress" else f" ({narrative.TASK_ORDER[t['status']]})"
        out.append([[PLAIN, f"{t['id'].removeprefix('II.')}. {t['title']}{state}: "],
                    words.run(t["unit_code"], "ket-qua-nhiem-vu", task=t["id"]), *_task_note(t.get("note"))])
    return out


def _task_note(note: object) -> list[list[str]]:
    """The unit's note on a task's status, as runs: " (ghi chú của đơn vị: …)"; nothing without one."""
    if not isinstance(note, str) or not note.strip():
        return []
    return [[PLAIN, " (ghi chú của đơn vị: "], [WORDS, note.strip()], [PLAIN, ")"]]


def _task_counts(tasks: pd.DataFrame) -> str:
    """"1 nhiệm vụ đã hoàn thành, 4 nhiệm vụ đang thực hiện và 1 nhiệm vụ chưa có báo cáo"."""
    counts = tasks["status"].value_counts()
    return narrative.join_vi([f"{int(counts[s])} nhiệm vụ {label}" for s, label in narrative.TASK_ORDER.items()
                              if counts.get(s, 0)])


def _tasks_lead(tasks: pd.DataFrame) -> str:
    return f"Trong {len(tasks)} nhiệm vụ, giải pháp: {_task_counts(tasks)}."


def _appendix_name(ctx: ReportContext) -> str:
    """How the body and the phụ lục name each other: "Phụ lục I kèm theo Báo cáo số …/BC-UBND ngày 10/10/2026"."""
    date = printed_date(ctx)
    when = f" ngày {fmt_date(date)}" if date else ""
    return f"Phụ lục I kèm theo Báo cáo số {ctx.params.document_number or '…'}/BC-UBND{when}"


def results_section(ctx: ReportContext) -> Section:
    """I. The summary, then by field of section II: the units' highlights, the indicators of the field's groups
    with their figures, and every task of the field with its result in the lead unit's words."""
    rows, words = assessed(ctx), _words(ctx)
    out = Section("results", [Heading(f"I. KẾT QUẢ THỰC HIỆN {ctx.period.label().upper()}"),
                              Paragraph(f"{narrative.summary(rows)} Kết quả từng chỉ tiêu chi tiết tại {_appendix_name(ctx)}."),
                              chart(charts.status_overview(ctx.current))])
    fields = ctx.plan.field_list
    loose = [g for g in ctx.plan.groups if g.field not in {f.id for f in fields}]
    if loose:                                  # groups the plan gives no field: before the fields
        out.add(Heading("1. Các chỉ tiêu của Kế hoạch", 3))
        for i, group in enumerate(loose):
            out.add(*_group_blocks(ctx, rows, group, f"{_letter(i)}) Các chỉ tiêu về {group.name}"))
    homes = home_fields(ctx.plan)
    tasks = ctx.tasks.assign(field=ctx.tasks["id"].map(task_field))
    for n, plan_field in enumerate(fields, start=2 if loose else 1):
        out.add(Heading(f"{n}. {plan_field.title}", 3))
        highlights = [[[PLAIN, f"{u.name}: "], words.run(u.code, "ket-qua-noi-bat")]
                      for u in ctx.plan.reporting_units if homes.get(u.code) == plan_field.id]
        if highlights:
            out.add(Entries(highlights, bulleted=False))
        part = 0
        for group in (g for g in ctx.plan.groups if g.field == plan_field.id):
            out.add(*_group_blocks(ctx, rows, group, f"{_letter(part)}) Các chỉ tiêu về {group.name}"))
            part += 1
        mine = tasks[tasks["field"] == plan_field.id]
        if len(mine):
            out.add(Heading(f"{_letter(part)}) Thực hiện các nhiệm vụ, giải pháp", 4), Paragraph(_tasks_lead(mine)),
                    Entries(_task_entries(ctx, mine)))
    return out


# -- overview: II. Tồn tại, hạn chế -----------------------------------------------------------
def _lagging(rows: pd.DataFrame) -> pd.DataFrame:
    """Indicators at risk, regressing, behind or missed now, or at their latest assessment when not due now;
    worst first."""
    now = rows["status"].isin([s for s in ATTENTION if s != "no_data"])
    before = (rows["status"] == "not_due") & rows["last_status"].isin([s for s in ATTENTION if s != "no_data"])
    lagging = rows[now | before]
    order = {s: i for i, s in enumerate(["missed", "regressing", "at_risk", "behind", "not_due"])}
    return lagging.assign(_o=lagging["status"].map(order)).sort_values(["_o", "indicator"]).drop(columns="_o")


def _standing(r: dict) -> str:
    """Where a lagging indicator stands, in a few words: "94,6%, giảm so với đầu năm (kế hoạch năm 96%)"."""
    if r["status"] == "not_due":
        value, status, when = r["last_value"], r["last_status"], f" ({Period.parse(r['last_period']).label()})"
    else:
        value, status, when = r["value"], r["status"], ""
    figure = "" if _missing(value) else f"{fmt_value(value, r['unit'])}{when}, "
    return f"{figure}{STATUS_LABELS[status].lower()} ({r['target_noun']} năm {r['target_text']})"


def shortcomings_section(ctx: ReportContext) -> Section:
    """II. One entry per lagging indicator with its cause in the owning unit's words, the units' own shortcomings
    and causes, then late and missing reports."""
    rows, words = assessed(ctx), _words(ctx)
    out = Section("shortcomings", [Heading("II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN"),
                                   Heading("1. Các chỉ tiêu chưa đạt tiến độ", 3)])
    entries = []
    for r in _lagging(rows).to_dict("records"):
        cause = words.get(r["unit_code"], "nguyen-nhan-chi-tieu", indicator=r["indicator"])
        head = [PLAIN, f"({r['indicator']}) {r['label']}: {_standing(r)}. "]
        entries.append([head, [PLAIN, f"Nguyên nhân ({r['unit_name']}): "], [WORDS, cause]] if cause else
                       [head, words.run(r["unit_code"], "nguyen-nhan-chi-tieu", indicator=r["indicator"])])
    out.add(Entries(entries) if entries else Paragraph("Các chỉ tiêu đến kỳ đánh giá đều đạt tiến độ đề ra."))
    out.add(Heading("2. Tồn tại, hạn chế trong thực hiện nhiệm vụ", 3), Entries(_unit_shortcomings(ctx, words)))
    out.add(Heading("3. Việc báo cáo của các đơn vị", 3))
    problems = [narrative.unit_reporting_sentence(r, ctx.period) for r in ctx.completeness.to_dict("records")
                if r["due"] and (r["timeliness"] != "on_time" or len(r["missing"]))]
    if problems:
        out.add(Bullets(problems, "reporting"))
    else:
        out.add(Paragraph("Các đơn vị chủ trì đã gửi báo cáo đúng hạn, đủ số liệu các chỉ tiêu đến kỳ."))
    table = ctx.completeness[ctx.completeness["due"] > 0]
    out.add(Table(COMPLETENESS_COLUMNS, completeness_rows(table), numeric=[3]))
    return out


def _unit_shortcomings(ctx: ReportContext, words: Words) -> list[list[list[str]]]:
    """Each reporting unit's tồn tại, hạn chế and nguyên nhân, or one placeholder when it sent neither."""
    out = []
    for u in ctx.plan.reporting_units:
        name = [PLAIN, f"{u.name}: "]
        if words.missing(u.code, "ton-tai-han-che", "nguyen-nhan"):
            out.append([name, [PLACEHOLDER, f"[{u.name} chưa gửi tồn tại, hạn chế và nguyên nhân]"]])
        else:
            out.append([name, words.run(u.code, "ton-tai-han-che"), [PLAIN, " Nguyên nhân: "],
                        words.run(u.code, "nguyen-nhan")])
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


def indicator_needs(ctx: ReportContext, rows: pd.DataFrame) -> dict[int, str]:
    """What each lagging indicator of ``rows`` needs next: the figures' own sentence, by indicator number."""
    if ctx.period.quarter < 4:
        due = _paced(ctx, rows[rows["status"] != "not_due"])
        needs = {int(r["indicator"]): narrative.action(r)
                 for r in due[due["status"].isin(ATTENTION)].to_dict("records")}
    else:
        lagging = rows[rows["status"].isin(["missed", "regressing", "no_data"])]
        needs = dict(zip(lagging["indicator"].astype(int), narrative.next_year_items(lagging)))
    behind = _lagging(rows)
    behind = behind[behind["status"] == "not_due"]
    needs.update({int(r["indicator"]): narrative.not_due_action(r) for r in behind.to_dict("records")})
    return dict(sorted(needs.items()))


def _open_tasks_line(tasks: pd.DataFrame) -> str:
    """The unit's section II tasks not done, in one line: "Tiếp tục thực hiện các nhiệm vụ 1.1 …; 1.2 …"."""
    open_ = tasks[tasks["status"] != "done"]
    names = "; ".join(f"{t['id'].removeprefix('II.')} {t['title']}"
                      + ("" if t["status"] == "in_progress" else f" ({narrative.TASK_ORDER[t['status']]})")
                      for t in open_.to_dict("records"))
    return f"Tiếp tục thực hiện các nhiệm vụ của Kế hoạch: {names}." if names else ""


def unit_directions(ctx: ReportContext, unit: str, needs: dict[int, str], words: Words,
                    no_data: set[int]) -> list[list[list[str]]]:
    """A unit's part of section III: each of its lagging indicators with its solution in the unit's words (an
    indicator without figures only asks for them), its own tasks for the next period, its plan tasks not yet done."""
    owned = set(ctx.plan.indicators.loc[ctx.plan.indicators["unit_code"] == unit, "number"].astype(int))
    out = [[[PLAIN, text]] if n in no_data else
           [[PLAIN, f"{text} Giải pháp: "], words.run(unit, "giai-phap-chi-tieu", indicator=n)]
           for n, text in needs.items() if n in owned]
    out.append([[PLAIN, f"{item_label('nhiem-vu-giai-phap', ctx.period.quarter)}: "], words.run(unit, "nhiem-vu-giai-phap")])
    line = _open_tasks_line(ctx.tasks[ctx.tasks["unit_code"] == unit])
    return out + ([[[PLAIN, line]]] if line else [])


def directions_section(ctx: ReportContext) -> Section:
    """III. The next quarter (the next year after Q4), unit by unit: every unit that owns an indicator or leads a task,
    its lagging indicators with its solutions, its own tasks; then who leads and to whom they report."""
    rows, words = assessed(ctx), _words(ctx)
    nxt = ctx.period.next_label()
    needs = indicator_needs(ctx, rows)
    out = Section("directions", [Heading(f"III. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM {nxt.upper()}")])
    units = ctx.plan.reporting_units
    no_data = set(rows.loc[rows["status"] == "no_data", "indicator"].astype(int))
    for n, u in enumerate(units, start=1):
        out.add(Heading(f"{n}. {u.name}", 3), Entries(unit_directions(ctx, u.code, needs, words, no_data)))
    lagging = needing_attention(rows)
    leads = list(dict.fromkeys(lagging["unit_name"]))
    coordinator = ctx.plan.coordinator
    out.add(Heading(f"{len(units) + 1}. Tổ chức thực hiện", 3),
            Paragraph(narrative.organisation(leads, nxt, _ward_name(ctx), coordinator.name if coordinator else None)))
    return out


# -- overview: IV. Đề xuất, kiến nghị ---------------------------------------------------------------
def proposals_section(ctx: ReportContext) -> Section:
    """IV. Each reporting unit's proposals in its own words (a placeholder where it sent none)."""
    words = _words(ctx)
    entries = [[[PLAIN, f"{u.name}: "], words.run(u.code, "de-xuat-kien-nghi")] for u in ctx.plan.reporting_units]
    return Section("proposals", [Heading("IV. ĐỀ XUẤT, KIẾN NGHỊ"), Entries(entries)])


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
        return f"{_n(r['last_value'])} ({Period.parse(r['last_period']).label()})"
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
        return f"{status_cell('not_due')} ({Period.parse(r['last_period']).label()}: {STATUS_LABELS[r['last_status']].lower()})"
    return status_cell(r["status"])


def _same_period_cell(r: dict, last_year: dict[tuple[int, str], float]) -> str:
    """Last year's figure of the period the row shows: this period's, or for an indicator not due now the period
    of its latest figure (a semi-annual rate at Q3: 6 tháng đầu năm 2025). "—" when there is none."""
    if r["status"] != "not_due":
        return _n(r["same_period_last_year"])
    if _missing(r.get("last_period")):
        return "—"
    return _n(last_year.get((int(r["indicator"]), r["last_period"]), float("nan")))


def appendix_rows(rows: pd.DataFrame, groups: list, mark: bool = False,
                  last_year: dict[tuple[int, str], float] | None = None) -> tuple[list[list[str]], list[int]]:
    """The phụ lục rows, a group's name before its indicators; returns the rows and the group rows' positions.

    ``last_year`` maps (indicator, period) to the figure of the same period a year before, for the rows not
    due now (:func:`_same_period_cell`).
    """
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
                        if r["unit"] != "%" else r["target_text"], _same_period_cell(r, last_year or {}),
                        _this_period_cell(r, mark), _vs_plan_cell(r), _vs_last_year_cell(r),
                        _estimate_cell(r), _status_text(r)])
    return out, group_rows


def appendix_section(ctx: ReportContext) -> Section:
    """Phụ lục I: every indicator in one table, with the conventional column headings, named as the body names it."""
    last_year = {(int(r.indicator), r.period): r.same_period_last_year for r in ctx.evaluated.itertuples()}
    rows, group_rows = appendix_rows(assessed(ctx), ctx.plan.groups, ctx.illustrative_mixed, last_year)
    prev = ctx.period.year - 1
    return Section("appendix", [
        Heading("PHỤ LỤC I"),
        Paragraph(f"BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU PHÁT TRIỂN KINH TẾ - XÃ HỘI {ctx.period.label().upper()}",
                  "appendix-title"),
        Paragraph(f"({_appendix_name(ctx).replace('Phụ lục I kèm theo', 'Kèm theo')} của Ủy ban nhân dân "
                  f"{_ward_name(ctx)})", "appendix-note"),
        Table(appendix_columns(ctx.plan.year), rows, numeric=[4, 5, 6, 7, 8], css="data appendix", emphasis=group_rows),
        Paragraph(f"Ghi chú: \"TH cùng kỳ {prev}\" là số thực hiện của cùng kỳ năm {prev} với số ở cột \"TH kỳ này\"; "
                  "chỉ tiêu chưa đến kỳ đánh giá ghi số của kỳ đánh giá gần nhất. \"—\": chưa có số liệu của kỳ đó.",
                  "appendix-footnote")])


# -- unit letters ------------------------------------------------------------------------------
UNIT_COLUMNS = ["TT", "Chỉ tiêu", "ĐVT", "KH năm", "TH kỳ này", "Ước cả năm", "Đánh giá"]


UNIT_OWN_ITEMS = ("ket-qua-noi-bat", "ton-tai-han-che", "nguyen-nhan", "nhiem-vu-giai-phap", "de-xuat-kien-nghi")


def unit_results_section(ctx: ReportContext, unit: str) -> Section:
    """1. The unit's indicators (table, chart, a sentence each), its tasks, and its own words sent back to it."""
    rows = assessed(ctx)
    mine = rows[rows["unit_code"] == unit]
    u = ctx.plan.unit(unit)
    out = Section("unit_results", [Heading(f"1. Kết quả thực hiện {ctx.period.label()}", 3)])
    if mine.empty:
        out.add(Paragraph("Đơn vị không chủ trì chỉ tiêu nào của Kế hoạch; là đơn vị đầu mối tổng hợp, theo dõi việc "
                          "báo cáo của các đơn vị chủ trì." if u.role == "coordinator" else
                          "Đơn vị không chủ trì chỉ tiêu nào của Kế hoạch."))
    else:
        out.add(Paragraph(f"Trong {len(mine)} chỉ tiêu do đơn vị chủ trì, kỳ này có {narrative.count_phrase(mine)}."))
        table = [[str(r["indicator"]), r["label"], r["unit"], r["target_text"], _this_period_cell(r, ctx.illustrative_mixed),
                  _estimate_cell(r), _status_text(r)] for r in mine.to_dict("records")]
        out.add(Table(UNIT_COLUMNS, table, numeric=[4, 5], css="data indicators"))
        current = ctx.current[ctx.current["unit_code"] == unit]
        if current["value"].notna().any():
            out.add(chart(charts.bullet_rows(current, f"{u.name}: thực hiện, kế hoạch và ước cả năm – {ctx.period.label()}")))
        out.add(Bullets(list(narrative.indicator_sentences(mine)), "sentences"))
    tasks = ctx.tasks[ctx.tasks["unit_code"] == unit]
    if len(tasks):
        out.add(Paragraph(f"Đơn vị chủ trì {len(tasks)} nhiệm vụ, giải pháp của Kế hoạch: {_task_counts(tasks)}."),
                Entries([e if e[1][0] == WORDS else [[PLAIN, e[0][1].rstrip(": ")], *e[2:]] for e in _task_entries(ctx, tasks)]))
    quoted = _unit_words(ctx, unit)
    if quoted:
        out.add(Paragraph("Theo báo cáo của đơn vị:"), Entries(quoted))
    return out


def _unit_words(ctx: ReportContext, unit: str) -> list[list[list[str]]]:
    """The unit's own texts of the period, each under its label, to quote back in its letter."""
    words = _words(ctx)
    return [[[PLAIN, f"{item_label(item, ctx.period.quarter)}: "], [WORDS, text]]
            for item in UNIT_OWN_ITEMS if (text := words.get(unit, item)) is not None]


def _missing_words(ctx: ReportContext, unit: str, needs: dict[int, str]) -> list[str]:
    """What the unit has not written this period: its own items, a cause and a solution for each lagging indicator
    it owns, the result of each task it leads."""
    words = _words(ctx)
    missing = [item_label(i, ctx.period.quarter).lower() for i in UNIT_OWN_ITEMS if words.get(unit, i) is None]
    every = assessed(ctx)
    rows = _lagging(every)
    causes = sorted(n for n in rows.loc[rows["unit_code"] == unit, "indicator"].astype(int)
                    if words.get(unit, "nguyen-nhan-chi-tieu", indicator=n) is None)
    no_data = set(every.loc[every["status"] == "no_data", "indicator"].astype(int))
    solutions = [n for n in needs if ctx.plan.indicator(n).unit_code == unit and n not in no_data
                 and words.get(unit, "giai-phap-chi-tieu", indicator=n) is None]
    tasks = [t for t in ctx.tasks.loc[ctx.tasks["unit_code"] == unit, "id"]
             if words.get(unit, "ket-qua-nhiem-vu", task=t) is None]
    for what, keys in (("nguyên nhân của chỉ tiêu", causes), ("giải pháp cho chỉ tiêu", solutions)):
        if keys:
            missing.append(f"{what} {', '.join(f'({n})' for n in keys)}")
    if tasks:
        missing.append(f"kết quả thực hiện nhiệm vụ {', '.join(tasks)}")
    return missing


def unit_reporting_section(ctx: ReportContext, unit: str) -> Section:
    """2. The unit's own reporting, figures and words; the coordinator's letter lists who is late or missing."""
    u = ctx.plan.unit(unit)
    out = Section("unit_reporting", [Heading("2. Việc gửi báo cáo", 3)])
    if u.role == "coordinator":
        chase = [narrative.unit_reporting_sentence(r, ctx.period) + " " + narrative.chase(r)
                 for r in ctx.completeness.to_dict("records") if r["due"] and (r["timeliness"] != "on_time" or len(r["missing"]))]
        out.add(Paragraph("Đề nghị đơn vị đôn đốc các đơn vị sau:") if chase else
                Paragraph("Các đơn vị chủ trì đã gửi báo cáo đúng hạn, đủ số liệu."), Bullets(chase, "reporting") if chase else None)
    else:
        mine = ctx.completeness[ctx.completeness["unit_code"] == unit].to_dict("records")
        out.add(*(Paragraph(narrative.unit_reporting_sentence(r, ctx.period)) for r in mine))
    missing = _missing_words(ctx, unit, indicator_needs(ctx, assessed(ctx)))
    if missing:
        out.add(Paragraph(f"Đơn vị chưa gửi nội dung báo cáo sau, đề nghị gửi bổ sung: {'; '.join(missing)}."))
    return out


def unit_next_section(ctx: ReportContext, unit: str) -> Section:
    """3. What the unit must reach next period for each lagging indicator (with its own solution, when it sent one),
    its own tasks and its plan tasks not yet done."""
    rows = assessed(ctx)
    words = _words(ctx)
    owned = set(rows.loc[rows["unit_code"] == unit, "indicator"].astype(int))
    needs = {n: t for n, t in indicator_needs(ctx, rows).items() if n in owned}
    out = Section("unit_next", [Heading(f"3. Nội dung cần tập trung thực hiện trong {ctx.period.next_label()}", 3)])
    items = []
    for n, text in needs.items():
        solution = words.get(unit, "giai-phap-chi-tieu", indicator=n)
        items.append([[PLAIN, text]] + ([[PLAIN, " Giải pháp đơn vị đề ra: "], [WORDS, solution]] if solution else []))
    own = words.get(unit, "nhiem-vu-giai-phap")
    if own:
        items.append([[PLAIN, f"{item_label('nhiem-vu-giai-phap', ctx.period.quarter)} (đơn vị đề ra): "], [WORDS, own]])
    line = _open_tasks_line(ctx.tasks[ctx.tasks["unit_code"] == unit])
    items += [[[PLAIN, line]]] if line else []
    return out.add(Entries(items) if items else Paragraph("Tiếp tục duy trì kết quả đã đạt được."))


def unit_letter_close(ctx: ReportContext, unit: str) -> str:
    """The letter's last paragraph: what to send, to whom and by which date (the next period's deadline)."""
    u, ward = ctx.plan.unit(unit), _ward_name(ctx)
    nxt = ctx.period.shift(1)
    when = f"trước ngày {fmt_date(ctx.next_deadline)}"
    if u.role == "coordinator":
        return (f"Đề nghị {u.name} theo dõi, đôn đốc các đơn vị thực hiện; tổng hợp kết quả {nxt.label()}, "
                f"báo cáo Ủy ban nhân dân {ward} {when}./.")
    coordinator = ctx.plan.coordinator
    via = f" (qua {coordinator.name})" if coordinator else ""
    return (f"Đề nghị {u.name} khẩn trương triển khai thực hiện; gửi báo cáo kết quả {nxt.label()} (số liệu và nội "
            f"dung báo cáo) về Ủy ban nhân dân {ward}{via} {when}./.")


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
    rows = [[_capital(Period.parse(x.period).label()), str(x.revision), _v(x.value, r["unit"]),
             figure_kind_label(x.is_estimate), fmt_date(x.submitted_at.tz_convert(VN_TZ).date()), _text(x.unit_code),
             _text(x.note)]
            for x in rev.sort_values(["period", "revision"]).itertuples()]
    return Table(["Kỳ", "Lần", "Giá trị", "Loại số liệu", "Ngày gửi", "Đơn vị", "Ghi chú"], rows, numeric=[1, 2])
