"""The report sections, computed from a :class:`ReportContext`.

Each public section function displays one part of a report; :mod:`kehoach.reporting.report` is the
light interface the notebooks call. Text from data is escaped (:func:`html.escape`); numbers
go through :mod:`kehoach.core.formatting`; charts are :class:`kehoach.analysis.render.Figure` objects
(interactive in JupyterLab, static SVG in the exported HTML). :func:`record` lays the
sections of a run out once, as a :class:`kehoach.reporting.report.Replay` for the notebooks.
"""

from __future__ import annotations

import html
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kehoach.analysis import narrative
from kehoach.core.errors import KehoachError
from kehoach.analysis.evaluation import STATUS_LABELS, by_group, needing_attention, required_pace, scorecard
from kehoach.core.formatting import fmt_value
from kehoach.core.parameters import PeriodParameters, load_parameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan
from kehoach.analysis.render import SYMBOLS, Figure
from kehoach.reporting.report import Replay, resolve

ILLUSTRATIVE_BANNER = ("SỐ LIỆU MINH HỌA – Báo cáo này được lập từ bộ số liệu minh họa, "
                       "không phải số liệu chính thức của đơn vị.")


@dataclass
class ReportContext:
    """Everything a report needs for one ward and period, computed once."""

    plan: Plan
    params: PeriodParameters
    period: Period
    records: pd.DataFrame      # every revision
    progress: pd.DataFrame     # latest value per indicator and period
    evaluated: pd.DataFrame    # this period
    year_evaluated: pd.DataFrame  # each quarter of the year up to this period
    tasks: pd.DataFrame        # plan tasks with their status this period
    completeness: pd.DataFrame
    illustrative: bool
    figures: dict[str, Figure] = field(default_factory=dict)

    def figure(self, key: str, validate: bool = True) -> Figure:
        """The figure ``key`` ("overview", "scorecard", "heatmap", "bullet:KT", "trend:1"), built once."""
        if key not in self.figures:
            self.figures[key] = _build_figure(self, key, validate)
        return self.figures[key]

    def figure_keys(self, kinds: list[str]) -> list[str]:
        """The figures that the reports of ``kinds`` (overview, indicators, unit) will show."""
        keys: list[str] = []
        if "overview" in kinds:
            with_values = self.evaluated.loc[self.evaluated["value"].notna(), "group"].unique()
            keys += ["overview", "scorecard"] + [f"bullet:{g.code}" for g in self.plan.groups if g.code in with_values]
        if "indicators" in kinds:
            keys += ["heatmap"] + [f"trend:{n}" for n in self.trend_indicators()]
        return keys

    def trend_indicators(self) -> list[int]:
        """Indicators with at least two quarterly values in this year and the last: a line needs two points."""
        years = {str(self.period.year), str(self.period.year - 1)}
        rows = self.progress[self.progress["period"].str[:4].isin(years)]
        counts = rows.groupby("indicator").size()
        return sorted(int(n) for n in counts[counts >= 2].index)

    def prepare(self, path: Path, kinds: list[str], cache: Path | None = None) -> Path:
        """Draw the figures of ``kinds``, lay out their sections, and save them as a replay.

        Specs are not schema-validated here (tests/test_charts.py validates the builders); with
        ``cache``, charts identical to an earlier run's are not drawn again.
        """
        for key in self.figure_keys(kinds):
            self.figure(key, validate=False).render(cache)
        return record(self, kinds).save(path)

    def save(self, path: Path) -> Path:
        """Write the context for the notebooks of a run (see :func:`load_context`), atomically."""
        from kehoach.core.files import atomic_write

        return atomic_write(path, pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600)


def _build_figure(ctx: ReportContext, key: str, validate: bool = True) -> Figure:
    from kehoach.analysis import charts  # imports Altair: only when a figure was not pre-rendered

    kind, _, arg = key.partition(":")
    if kind == "overview":
        chart = charts.status_overview(ctx.evaluated)
    elif kind == "scorecard":
        chart = charts.unit_scorecard(scorecard(ctx.evaluated, ctx.completeness))
    elif kind == "heatmap":
        chart = charts.heatmap(ctx.year_evaluated)
    elif kind == "bullet":
        chart = charts.bullet(ctx.evaluated, arg)
    elif kind == "trend":
        row = ctx.plan.indicators.set_index("number").loc[int(arg)]
        chart = charts.trend(ctx.progress, {**row.to_dict(), "number": int(arg)}, ctx.period.year)
    else:
        raise KehoachError(f"Unknown figure '{key}'.")
    return charts.figure(chart, validate=validate)


def build_context(period: str | Period, ward: str | None = None, year: int | None = None, data_dir: str | Path = "data",
                  params: PeriodParameters | None = None) -> ReportContext:
    """Load the plan and the store, and evaluate ``period``. Pure reads; nothing is written."""
    from kehoach.analysis.completeness import completeness
    from kehoach.analysis.evaluation import evaluate, task_status
    from kehoach.data.store import TASK_STATUSES, ProgressStore, latest
    from kehoach.data.sample import is_illustrative

    p = Period.parse(period)
    data = resolve(data_dir)
    plan = _find_plan(data / "plan", ward, year or p.year)
    params = params or load_parameters(p)
    store = ProgressStore(data / "progress")
    records = store.read(plan.ward, plan.year)
    values = latest(records[records["record"] == "indicator"], ["ward", "year", "indicator", "period"])
    task_rows = latest(records[records["record"] == "task"], ["ward", "year", "task", "period"])
    task_rows = task_rows.assign(status_label=task_rows["status"].map(TASK_STATUSES))
    quarters = [Period(p.year, q) for q in range(1, p.quarter + 1)]
    year_evaluated = evaluate(plan, values, quarters, params.behind_threshold)
    return ReportContext(
        plan=plan, params=params, period=p, records=records, progress=values,
        evaluated=year_evaluated[year_evaluated["period"] == str(p)].reset_index(drop=True),
        year_evaluated=year_evaluated,
        tasks=task_status(plan.task_frame, task_rows, p),
        completeness=completeness(plan, records, p, params.deadline),
        illustrative=is_illustrative(plan.ward, plan.year, store),
    )


def _find_plan(folder: Path, ward: str | None, year: int) -> Plan:
    from kehoach.data.plan import load_plan

    named = folder / f"{ward}-{year}.yaml"  # the usual name; otherwise look at every plan file
    for path in [named] if ward and named.exists() else sorted(folder.glob("*.yaml")):
        plan = load_plan(path)
        if plan.year == year and (ward is None or plan.ward == ward):
            return plan
    raise KehoachError(f"No plan for ward '{ward}' and year {year} in {folder}. Add its YAML file there.")


def live_context(ward: str, year: int, period: str, data_dir: str = "data", report_date: str | None = None,
                 deadline: str | None = None, behind_threshold: float = 0.8) -> ReportContext:
    """A context built from the data with the notebook's parameters (no prepared replay)."""
    base = load_parameters(period)
    overrides = {k: v for k, v in dict(report_date=report_date, deadline=deadline, behind_threshold=behind_threshold).items() if v}
    params = base.model_copy(update={**overrides, "ward": ward, "year": year, "data_dir": data_dir})
    params = PeriodParameters.model_validate(params.model_dump())
    return build_context(period, ward=ward, year=year, data_dir=data_dir, params=params)


# -- HTML helpers -------------------------------------------------------------------------
def esc(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and value != value) else str(value))


_recording: list[dict] | None = None


def _display(*objects: object) -> None:
    """Show HTML strings and figures; while :func:`record` runs, collect them as display bundles."""
    if _recording is not None:
        _recording.extend({"text/html": obj} if isinstance(obj, str) else obj._repr_mimebundle_() for obj in objects)
        return
    from IPython.display import HTML, display

    for obj in objects:
        display(HTML(obj) if isinstance(obj, str) else obj)


def calls(ctx: ReportContext, kind: str) -> list[tuple]:
    """The section calls of each report notebook, as (function name, *arguments).

    tests/test_sections.py checks that the notebooks make exactly these calls.
    """
    if kind == "overview":
        return [("document_header", "overview"), ("summary_section",), ("status_overview_section",), ("group_sections",),
                ("attention_section",), ("completeness_section",), ("tasks_section",), ("closing",)]
    if kind == "indicators":
        return [("document_header", "indicators"), ("heatmap_section",), ("indicator_details",), ("closing",)]
    if kind == "unit":
        return [c for u in ctx.plan.reporting_units for c in (
            ("document_header", "unit", u.code), ("unit_summary_section", u.code), ("unit_completeness_section", u.code),
            ("unit_actions_section", u.code), ("tasks_section", u.code), ("closing",))]
    raise KehoachError(f"Unknown report kind '{kind}'.")


def record(ctx: ReportContext, kinds: list[str]) -> Replay:
    """Lay out every section of the reports of ``kinds`` once, as display bundles."""
    global _recording
    replay = Replay(ward=ctx.plan.ward, period=str(ctx.period))
    for kind in kinds:
        for name, *args in calls(ctx, kind):
            if (name, *args) in replay.sections:
                continue
            _recording = []
            try:
                globals()[name](ctx, *args)
                replay.sections[(name, *args)] = _recording
            finally:
                _recording = None
    return replay


def _anchor(text: str) -> str:
    import re
    import unicodedata

    folded = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def heading(text: str, level: int = 2) -> str:
    return f'<h{level} id="{_anchor(text)}">{esc(text)}</h{level}>'


def paragraph(text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{esc(text)}</p>"


def table(columns: list[str], rows: list[list[object]], css: str = "data", numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{esc(v)}</td>' if i in numeric else f"<td>{esc(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _status_cell(status: str) -> str:
    return f"{SYMBOLS[status]} {STATUS_LABELS[status]}"


def _estimate(flag: object) -> bool:
    return bool(pd.notna(flag) and flag)


def _v(value: float, unit: str) -> str:
    return fmt_value(value, unit) if value == value else "—"


# -- document frame -------------------------------------------------------------------------
TITLES = {
    "overview": "Tình hình thực hiện các chỉ tiêu phát triển kinh tế - xã hội {period}",
    "unit": "Tình hình thực hiện các chỉ tiêu do {unit} chủ trì, {period}",
    "indicators": "Chi tiết từng chỉ tiêu phát triển kinh tế - xã hội, {period}",
}


def document_header(ctx: ReportContext, kind: str = "overview", unit: str | None = None) -> None:
    """National motto, issuing body, place and date, title, the illustrative banner and the table of contents."""
    doc = ctx.plan.document
    d = ctx.params.report_date
    unit_name = ctx.plan.unit(unit).name if unit else ""
    title = TITLES[kind].format(period=ctx.period.label(), unit=unit_name)
    banner = f'<div class="illustrative" role="note">{esc(ILLUSTRATIVE_BANNER)}</div>' if ctx.illustrative else ""
    _display(
        '<header class="document">'
        '<table class="motto"><tr>'
        f'<td class="issuer">{esc(doc.issuing_body_full)}<br><span class="rule"></span></td>'
        '<td class="nation">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br>'
        '<span class="motto-line">Độc lập - Tự do - Hạnh phúc</span><br><span class="rule"></span></td>'
        '</tr><tr><td></td>'
        f'<td class="place-date">{esc(doc.province)}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}</td></tr></table>'
        f'<h1 class="title"><span>BÁO CÁO</span><br>{esc(title)}</h1>'
        f'<p class="basis">Thực hiện Kế hoạch ban hành kèm theo Quyết định số {esc(doc.decision_number)} ngày '
        f'{doc.decision_date:%d/%m/%Y} của {esc(doc.issuing_body)}.</p>'
        f"{banner}"
        '<nav class="toc" aria-label="Mục lục"><h2 class="toc-title">Mục lục</h2><!--kehoach:toc--></nav>'
        "</header>"
    )


# -- overview sections ----------------------------------------------------------------------
def summary_section(ctx: ReportContext) -> None:
    """I. Overall assessment: the summary paragraph and headline counts."""
    counts = ctx.evaluated["status"].value_counts()
    rows = [[_status_cell(s), int(counts.get(s, 0))] for s in STATUS_LABELS if counts.get(s, 0)]
    _display(heading("I. Đánh giá chung"), paragraph(narrative.summary(ctx.evaluated)),
             table(["Đánh giá", "Số chỉ tiêu"], rows, numeric={1}))


def status_overview_section(ctx: ReportContext) -> None:
    """Status of the indicators by group: chart and table."""
    groups = by_group(ctx.evaluated)
    rows = [[g.group_name] + [int(getattr(g, s)) for s in STATUS_LABELS] + [int(g.total)] for g in groups.itertuples()]
    _display(heading("II. Kết quả theo nhóm chỉ tiêu"), ctx.figure("overview"),
             table(["Nhóm"] + [_status_cell(s) for s in STATUS_LABELS] + ["Tổng"], rows, numeric=set(range(1, 10))))


def _indicator_rows(frame: pd.DataFrame) -> list[list[object]]:
    return [[f"({r.indicator})", r.label, r.target_text, _v(r.value, r.unit) + (" (ước)" if _estimate(r.is_estimate) else ""),
             narrative.approx(r.projection, r.unit) if r.projection == r.projection else "—",
             _status_cell(r.status)] for r in frame.itertuples()]


INDICATOR_COLUMNS = ["TT", "Chỉ tiêu", "Kế hoạch năm", "Thực hiện", "Ước cả năm", "Đánh giá"]


def group_sections(ctx: ReportContext) -> None:
    """One sub-section per group: paragraph, bullet chart, table and each indicator's sentence."""
    paragraphs = narrative.group_paragraphs(ctx.evaluated)
    for i, group in enumerate(ctx.plan.groups, start=1):
        rows = ctx.evaluated[ctx.evaluated["group"] == group.code]
        sentences = narrative.indicator_sentences(rows)
        items = "".join(f"<li>{esc(s)}</li>" for s in sentences)
        _display(heading(f"{i}. Nhóm chỉ tiêu về {group.name}", 3), paragraph(paragraphs[group.code]))
        if rows["value"].notna().any():
            _display(ctx.figure(f"bullet:{group.code}"))
        _display(table(INDICATOR_COLUMNS, _indicator_rows(rows)), f'<ul class="sentences">{items}</ul>')


def attention_section(ctx: ReportContext) -> None:
    """III. Indicators needing attention, with their responsible units."""
    rows = needing_attention(ctx.evaluated)
    body = [[f"({r.indicator})", r.label, _v(r.value, r.unit), r.target_text, _status_cell(r.status), r.unit_name]
            for r in rows.itertuples()]
    content = table(["TT", "Chỉ tiêu", "Thực hiện", "Kế hoạch năm", "Đánh giá", "Đơn vị chủ trì"], body) if body else \
        paragraph("Không có chỉ tiêu nào cần tập trung chỉ đạo trong kỳ.")
    _display(heading("III. Các chỉ tiêu cần tập trung chỉ đạo"), content)


def _completeness_rows(table_: pd.DataFrame) -> list[list[object]]:
    rows = []
    for r in table_.itertuples():
        sent = "" if pd.isna(r.first_submitted_at) else f"{r.first_submitted_at.tz_convert(VN_TZ):%d/%m/%Y}"
        missing = ", ".join(f"({n})" for n in r.missing) or "—"
        rows.append([r.unit_name, r.timeliness_label, sent, f"{r.submitted}/{r.due}", missing])
    return rows


def completeness_section(ctx: ReportContext) -> None:
    """IV. Reporting by the responsible units: narrative, scorecard chart and table."""
    _display(heading("IV. Tình hình báo cáo của các đơn vị"), paragraph(narrative.completeness_text(ctx.completeness)),
             ctx.figure("scorecard"),
             table(["Đơn vị", "Tình trạng", "Ngày gửi", "Số chỉ tiêu đã báo cáo", "Chỉ tiêu còn thiếu"],
                   _completeness_rows(ctx.completeness)))


def tasks_section(ctx: ReportContext, unit: str | None = None) -> None:
    """V. Tasks and solutions of section II, by status."""
    tasks = ctx.tasks if unit is None else ctx.tasks[ctx.tasks["unit_code"] == unit]
    if tasks.empty:
        return
    rows = [[t.id, t.title, t.status_label, t.unit_code, t.note] for t in tasks.itertuples()]
    _display(heading("V. Nhiệm vụ, giải pháp chủ yếu" if unit is None else "Nhiệm vụ, giải pháp được giao theo dõi"),
             paragraph(narrative.tasks_text(tasks)),
             table(["Mục", "Nhiệm vụ", "Tình trạng", "Đơn vị", "Ghi chú"], rows))


def heatmap_section(ctx: ReportContext) -> None:
    """The status of each indicator in each quarter so far."""
    _display(heading("Phụ lục. Đánh giá từng chỉ tiêu theo quý"), ctx.figure("heatmap"))


# -- unit report ----------------------------------------------------------------------------
def unit_summary_section(ctx: ReportContext, unit: str) -> None:
    rows = ctx.evaluated[ctx.evaluated["unit_code"] == unit]
    name = ctx.plan.unit(unit).name
    text = (f"{name} chủ trì {len(rows)} chỉ tiêu; kỳ này có {narrative.count_phrase(rows)}." if len(rows)
            else f"{name} không chủ trì chỉ tiêu nào; đơn vị theo dõi các nhiệm vụ dưới đây.")
    _display(heading("I. Kết quả thực hiện"), paragraph(text))
    if len(rows):
        sentences = "".join(f"<li>{esc(s)}</li>" for s in narrative.indicator_sentences(rows))
        _display(table(INDICATOR_COLUMNS, _indicator_rows(rows)), f'<ul class="sentences">{sentences}</ul>')


def unit_completeness_section(ctx: ReportContext, unit: str) -> None:
    mine = ctx.completeness[ctx.completeness["unit_code"] == unit]
    _display(heading("II. Tình hình báo cáo của đơn vị"), paragraph(narrative.completeness_text(mine)),
             table(["Đơn vị", "Tình trạng", "Ngày gửi", "Số chỉ tiêu đã báo cáo", "Chỉ tiêu còn thiếu"], _completeness_rows(mine)))


def unit_actions_section(ctx: ReportContext, unit: str) -> None:
    rows = required_pace(ctx.evaluated[ctx.evaluated["unit_code"] == unit])
    title = ("III. Nội dung cần đẩy nhanh trong " + ctx.period.shift(1).quarter_label() if ctx.period.quarter < 4
             else "III. Nội dung cần rút kinh nghiệm")
    items = "".join(f"<li>{esc(s)}</li>" for s in narrative.unit_actions(rows))
    _display(heading(title), f'<ul class="actions">{items}</ul>')


# -- indicator detail -------------------------------------------------------------------------
def indicator_details(ctx: ReportContext) -> None:
    """One section per indicator: sentence, trend chart, quarterly values and revisions."""
    trends = set(ctx.trend_indicators())
    for r in ctx.evaluated.to_dict("records"):
        _display(heading(f"({r['indicator']}) {r['label']}"),
                 paragraph(f"Đơn vị chủ trì: {r['unit_name']}. Kế hoạch năm: {r['target_text']}. "
                           f"Đánh giá: {_status_cell(r['status'])}.", "meta"),
                 paragraph(narrative.indicator_sentence(r)))
        if r["indicator"] in trends:
            _display(ctx.figure(f"trend:{r['indicator']}"))
        _display(_quarter_table(ctx, r), _revision_table(ctx, r))


def _quarter_table(ctx: ReportContext, r: dict) -> str:
    year, unit = ctx.period.year, r["unit"]
    values = ctx.progress[ctx.progress["indicator"] == r["indicator"]].set_index("period")["value"]
    rows = []
    for q in range(1, 5):
        this, last = values.get(f"{year}-Q{q}"), values.get(f"{year - 1}-Q{q}")
        rows.append([f"Quý {['I', 'II', 'III', 'IV'][q - 1]}", _v(last if last is not None else float("nan"), unit),
                     _v(this if this is not None else float("nan"), unit)])
    return table(["Kỳ", f"Năm {year - 1}", f"Năm {year}"], rows, numeric={1, 2})


def _revision_table(ctx: ReportContext, r: dict) -> str:
    rev = ctx.records[(ctx.records["record"] == "indicator") & (ctx.records["indicator"] == r["indicator"])
                      & ctx.records["period"].str.startswith(str(ctx.period.year))]
    if rev.empty:
        return paragraph("Chưa có lần báo cáo nào trong năm.", "meta")
    rows = [[x.period, x.revision, _v(x.value, r["unit"]), "Ước thực hiện" if _estimate(x.is_estimate) else "Thực hiện",
             f"{x.submitted_at.tz_convert(VN_TZ):%d/%m/%Y}", x.unit_code, x.note]
            for x in rev.sort_values(["period", "revision"]).itertuples()]
    return table(["Kỳ", "Lần", "Giá trị", "Loại số liệu", "Ngày gửi", "Đơn vị", "Ghi chú"], rows, numeric={1, 2})


def closing(ctx: ReportContext) -> None:
    """Where the report goes and who signs it."""
    coordinator = ctx.plan.coordinator
    _display('<footer class="closing"><div class="recipients"><em>Nơi nhận:</em><br>- Thường trực Đảng ủy, HĐND phường;'
             '<br>- Chủ tịch, các Phó Chủ tịch UBND phường;<br>- Các đơn vị chủ trì;<br>- Lưu: '
             f'{esc(coordinator.name if coordinator else "")}.</div>'
             f'<div class="signer"><strong>TM. {esc(ctx.plan.document.issuing_body_full)}'
             '</strong><br><strong>CHỦ TỊCH</strong></div></footer>')


__all__ = [
    "ReportContext", "attention_section", "build_context", "calls", "closing", "completeness_section", "document_header",
    "group_sections", "heatmap_section", "indicator_details", "live_context", "record", "status_overview_section",
    "summary_section", "tasks_section", "unit_actions_section", "unit_completeness_section", "unit_summary_section",
]
