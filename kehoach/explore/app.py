"""Interactive exploration for the analyst and the leaders: ipywidgets controls over the evaluated data.

``notebooks/explore.ipynb`` only displays :func:`explorer`; all logic is here, so tests drive
the controls by setting their values and read what they produce. Six views share the filters
(period, group, unit, status): the overview (summary, chart, table), the status by quarter, the
comparison of two periods, the trend of the year, who has reported, and one indicator in detail
(its figures, revisions, the units' own words, the pace needed and a what-if). A click on a
group bar sets the group filter, a click on a heatmap cell opens that indicator.

Only the open view is redrawn when a control changes; the others are redrawn when opened.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlencode

import ipywidgets as w
import pandas as pd

from kehoach.analysis import comparison, narrative
from kehoach.analysis.completeness import completeness
from kehoach.analysis.evaluation import STATUS_LABELS, STATUSES, evaluate, required_pace
from kehoach.core import config
from kehoach.core.errors import FormatError, KehoachError
from kehoach.core.formatting import fmt_number, parse_number
from kehoach.core.labels import ILLUSTRATIVE_SCREEN_BANNER, status_cell
from kehoach.core.parameters import load_parameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan, load_plan
from kehoach.data.store import ProgressStore, is_illustrative, latest, latest_texts
from kehoach.data.texts import ITEMS
from kehoach.data.years import values_across_years
from kehoach.explore import exports, table
from kehoach.explore.charts import ChartView, SharedChart
from kehoach.explore.urlstate import UrlState
from kehoach.explore.views import render

log = logging.getLogger(__name__)

ALL = "(Tất cả)"
BANNER = ILLUSTRATIVE_SCREEN_BANNER
#: The views, by their key in the address: (key, title).
VIEWS = [("tong-quan", "Tổng quan"), ("theo-quy", "Theo quý"), ("so-sanh", "So sánh kỳ"), ("dien-bien", "Diễn biến"),
         ("bao-cao", "Tình hình báo cáo"), ("chi-tiet", "Chi tiết chỉ tiêu")]
VIEW_KEYS = [k for k, _ in VIEWS]
#: How the table is ordered: key → label.
SORTS = {"muc-do": "Mức độ cần chú ý (nặng nhất trước)", "so-thu-tu": "Số thứ tự chỉ tiêu",
         "ty-le": "% kế hoạch (thấp nhất trước)"}
#: The units' words about one indicator, shown beside it.
INDICATOR_ITEMS = [k for k, item in ITEMS.items() if item.level == "indicator"]


class Explorer:
    """Controls for period, group, unit, status, view and indicator, driving the tables, charts and texts."""

    def __init__(self, plan: Plan | None = None, data_dir: Path | None = None):
        self.plan = plan or load_plan()
        store = ProgressStore((data_dir or config.data_dir()) / "progress")
        self.records = store.read(self.plan.ward, self.plan.year)
        self.progress = latest(self.records[self.records["record"] == "indicator"], ["ward", "year", "indicator", "period"])
        self.values = values_across_years(self.plan, self.records)  # both years' figures, by code
        self.texts = latest_texts(self.records)
        self.illustrative = is_illustrative(self.plan.ward, self.plan.year, store)
        self.periods = self._periods()
        self.threshold = load_parameters(self.periods[-1]).behind_threshold
        self.evaluated = evaluate(self.plan, self.progress, self.periods, self.threshold)
        self.precision = table.precisions(self.plan.indicators, self.progress)
        self.seq = 0
        self.exports_made = 0
        self._quiet = False
        self._stale: set[str] = set()  # views changed while hidden, drawn when opened
        self._build_widgets()
        with self._busy():
            self.refresh()

    # -- data ---------------------------------------------------------------------------
    def _periods(self) -> list[Period]:
        year = self.plan.year
        present = {Period.parse(p) for p in self.progress["period"].unique()}
        last = max((p for p in present if p.year == year), default=Period(year, 1))
        return [Period(year, q) for q in range(1, last.quarter + 1)]

    def statuses(self) -> list[str]:
        """The statuses ticked in the filter (none ticked: every status)."""
        return [s for s, box in self.status_boxes.items() if box.value]

    def _filtered(self, rows: pd.DataFrame) -> pd.DataFrame:
        if self.group.value != ALL:
            rows = rows[rows["group"] == self.group.value]
        if self.unit.value != ALL:
            rows = rows[rows["unit_code"] == self.unit.value]
        if self.statuses():
            rows = rows[rows["status"].isin(self.statuses())]
        return rows

    def view(self) -> pd.DataFrame:
        """The evaluated rows of the period that pass the filters, in the table's order."""
        rows = self._filtered(self.evaluated[self.evaluated["period"] == self.period.value])
        if self.sort.value == "muc-do":
            return comparison.severity_order(rows)
        if self.sort.value == "ty-le":
            return rows.sort_values(["achievement_pct", "indicator"], na_position="last", kind="stable").reset_index(drop=True)
        return rows.sort_values("indicator").reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """The view rounded as shown (the numbers of the table and of the exports)."""
        return table.frame(self.view(), self.precision)

    def fmt(self, value: float, number: int, unit: str | None = None) -> str:
        """A value of indicator ``number`` rounded to its precision, with its unit when given."""
        text = table.fmt(value, self.precision.get(int(number), 0))
        if not text:
            return "—"
        return text if unit is None else (text + "%" if unit == "%" else f"{text} {unit}")

    def compared(self) -> pd.DataFrame:
        """The comparison of the period with the one chosen in *So với*, for the indicators that pass the filters."""
        upto = self.evaluated[self.evaluated["period"] <= self.period.value]
        rows = comparison.compare(upto, self.values, self.before.value, self.period.value)
        return self._filtered(rows).reset_index(drop=True)

    # -- widgets --------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        style = {"description_width": "90px"}
        wide = w.Layout(width="auto", min_width="260px", max_width="560px")
        self.period = w.Dropdown(options=[(p.label(), str(p)) for p in self.periods], value=str(self.periods[-1]),
                                 description="Kỳ báo cáo", style=style, layout=wide)
        self.group = w.Dropdown(options=[(ALL, ALL)] + [(g.name, g.code) for g in self.plan.groups], value=ALL,
                                description="Nhóm", style=style, layout=wide)
        owners = set(self.plan.indicators["unit_code"])
        self.unit = w.Dropdown(options=[(ALL, ALL)] + [(u.name, u.code) for u in self.plan.reporting_units if u.code in owners],
                               value=ALL, description="Đơn vị", style=style, layout=wide)
        self.sort = w.Dropdown(options=[(label, key) for key, label in SORTS.items()], value="muc-do",
                               description="Sắp xếp", style=style, layout=wide)
        self.status_boxes = {s: w.Checkbox(value=False, description=status_cell(s), indent=False) for s in STATUSES}
        self.clear_button = w.Button(description="Bỏ chọn đánh giá", tooltip="Bỏ mọi ô đánh giá đã chọn")
        self.views = w.ToggleButtons(options=[(title, key) for key, title in VIEWS], value="tong-quan",
                                     tooltips=[f"Xem {title.lower()}" for _, title in VIEWS], description="Xem",
                                     style={"description_width": "40px", "button_width": "auto"})
        self.state_html = w.HTML()
        self.heading_html = w.HTML(render("heading", title=f"Theo dõi kế hoạch phát triển kinh tế - xã hội năm "
                                                           f"{self.plan.year} — {self.plan.title_place}"))
        self.style_html = w.HTML(render("style"))
        self.summary_html = w.HTML()
        self.table_html = w.HTML()
        self.chart = SharedChart()
        self.overview_chart = ChartView(self.chart, self._pick_group, ["group"])
        self.heatmap_chart = ChartView(self.chart, self._pick_indicator, ["indicator"])
        self.compare_chart = ChartView(self.chart)
        self.trend_chart = ChartView(self.chart)
        self.detail_chart = ChartView(self.chart)
        self.before = w.Dropdown(options=self._before_options(str(self.periods[-1])), description="So với", style=style,
                                 layout=wide)
        self.before.value = self._default_before(str(self.periods[-1]))
        self.compare_html = w.HTML()
        self.trend_scope = w.ToggleButtons(options=[("Các chỉ tiêu đang lọc", "loc"), ("Chỉ tiêu đang chọn", "chon")],
                                           value="loc", description="Diễn biến", style={"description_width": "70px"})
        self.reporting_html = w.HTML()
        self.csv_button = w.Button(description="Xuất bảng CSV", tooltip="Tải bảng đang xem (theo bộ lọc) dạng CSV")
        self.excel_button = w.Button(description="Xuất bảng Excel", tooltip="Tải bảng đang xem (theo bộ lọc) dạng Excel")
        self.png_button = w.Button(description="Tải biểu đồ PNG", tooltip="Tải biểu đồ đang xem dạng ảnh PNG")
        self.svg_button = w.Button(description="Tải biểu đồ SVG", tooltip="Tải biểu đồ đang xem dạng SVG")
        self.export_html = w.HTML()
        self.indicator = w.Dropdown(options=self._indicator_options(), value=1, description="Chỉ tiêu", style=style,
                                    layout=w.Layout(width="auto", max_width="720px"))
        self.detail_html, self.pace_html, self.whatif_html = w.HTML(), w.HTML(), w.HTML()
        self.assumed = w.FloatSlider(description="Giả định", style=style, continuous_update=False, readout=False,
                                     layout=w.Layout(width="100%"))
        self.assumed_text = w.Text(description="Giá trị giả định", continuous_update=False,
                                   style={"description_width": "120px"}, layout=w.Layout(width="320px"),
                                   placeholder="ví dụ 45,5")
        self.url = UrlState()
        self._wire()

    def _indicator_options(self) -> list[tuple[str, int]]:
        return [(f"({r.number}) {r.label}", int(r.number)) for r in self.plan.indicators.itertuples()]

    def _before_options(self, after: str) -> list[tuple[str, str]]:
        """Earlier periods of the year, then the previous year's periods that have figures."""
        p = Period.parse(after)
        same_year = [Period(p.year, q) for q in range(1, p.quarter)]
        last_year = sorted({Period.parse(x) for x in self.values["period"] if Period.parse(x).year == p.year - 1},
                           key=lambda x: x.quarter)
        labels = [(x.label(), str(x)) for x in reversed(same_year)]
        labels += [(x.label() + (" (cùng kỳ)" if x.quarter == p.quarter else ""), str(x)) for x in last_year]
        return labels or [(p.same_period_last_year.label(), str(p.same_period_last_year))]

    @staticmethod
    def _default_before(after: str) -> str:
        p = Period.parse(after)
        return str(Period(p.year, p.quarter - 1)) if p.quarter > 1 else str(p.same_period_last_year)

    def _wire(self) -> None:
        for control in (self.group, self.unit, self.sort, *self.status_boxes.values()):
            control.observe(self._on_filter, names="value")
        self.period.observe(self._on_period, names="value")
        self.before.observe(self._on_filter, names="value")
        self.trend_scope.observe(self._on_filter, names="value")
        self.clear_button.on_click(lambda _: self.clear_statuses())
        self.indicator.observe(lambda change: self._update(self.refresh_indicator), names="value")
        self.assumed.observe(self._on_slider, names="value")
        self.assumed_text.observe(self._on_text, names="value")
        self.views.observe(lambda change: self._update(self._draw_open), names="value")
        self.url.observe(self._on_url, names="query")
        self.csv_button.on_click(lambda _: self.export("csv"))
        self.excel_button.on_click(lambda _: self.export("xlsx"))
        self.png_button.on_click(lambda _: self.export_chart("png"))
        self.svg_button.on_click(lambda _: self.export_chart("svg"))

    def layout(self) -> w.Widget:
        """The whole explorer as one widget, for the notebook to display."""
        statuses = w.HBox([*self.status_boxes.values(), self.clear_button])
        statuses.add_class("kh-statuses")
        filters = w.VBox([w.HBox([self.period, self.group, self.unit, self.sort], layout=w.Layout(flex_flow="row wrap")),
                          statuses, self.views, self.state_html])
        filters.add_class("kh-filters")
        above = {  # each view: what comes above the chart, and below it
            "tong-quan": [self.summary_html], "theo-quy": [], "so-sanh": [self.before], "dien-bien": [self.trend_scope],
            "bao-cao": [self.reporting_html], "chi-tiet": [self.indicator, self.detail_html],
        }
        below = {"tong-quan": [self.table_html], "so-sanh": [self.compare_html],
                 "chi-tiet": [self.pace_html, self.assumed, self.assumed_text, self.whatif_html]}
        self.pages = [w.VBox(above[k]) for k in VIEW_KEYS]  # all rendered, one shown
        self.pages_below = [w.VBox(below.get(k, [])) for k in VIEW_KEYS]
        self._show_page()
        actions = w.HBox([self.csv_button, self.excel_button, self.png_button, self.svg_button],
                         layout=w.Layout(flex_flow="row wrap"))
        actions.add_class("kh-actions")
        root = w.VBox([self.style_html, self.heading_html, filters, *self.pages, self.chart.widget, *self.pages_below, actions,
                       self.export_html, self.url])
        root.add_class("kh-explorer")
        return root

    # -- events ---------------------------------------------------------------------------
    @contextmanager
    def _busy(self) -> Iterator[None]:
        """Show the busy indicator while the view updates; mark the view ready (with a sequence number) after."""
        self.state_html.value = render("state", busy=True, seq=self.seq)
        try:
            yield
        finally:
            self.seq += 1
            self.url.query = self.query()
            self.state_html.value = render("state", busy=False, seq=self.seq)

    def _update(self, action: Callable[[], None]) -> None:
        if self._quiet:
            return
        with self._busy():
            action()

    def _on_filter(self, change: dict) -> None:
        self._update(self.refresh)

    def _on_period(self, change: dict) -> None:
        """A new period: the comparison's choices follow it (the previous quarter by default)."""
        self._quiet = True
        try:
            self.before.options = self._before_options(change["new"])
            self.before.value = self._default_before(change["new"])
        finally:
            self._quiet = False
        self._update(self.refresh)

    def clear_statuses(self) -> None:
        """Untick every status, then refresh once."""
        self._quiet = True
        try:
            for box in self.status_boxes.values():
                box.value = False
        finally:
            self._quiet = False
        self._update(self.refresh)

    def _pick_group(self, picked: dict) -> None:
        if picked.get("group") in {g.code for g in self.plan.groups}:
            self.group.value = picked["group"]

    def _pick_indicator(self, picked: dict) -> None:
        number = picked.get("indicator")
        if number is not None and int(number) in set(self.plan.indicators["number"]):
            self.indicator.value = int(number)
            self.views.value = "chi-tiet"

    # -- the view in the address ------------------------------------------------------------
    def query(self) -> str:
        """The view as a query string: ``ky=2026-Q3&nhom=YT&xem=so-sanh&so-voi=2026-Q2``."""
        state = {"ky": self.period.value, "nhom": self.group.value, "don-vi": self.unit.value,
                 "danh-gia": ",".join(self.statuses()), "xem": self.views.value, "sap-xep": self.sort.value}
        if self.views.value == "so-sanh":
            state["so-voi"] = self.before.value
        if self.views.value in ("chi-tiet", "dien-bien"):
            state["chi-tieu"] = str(self.indicator.value)
        defaults = {"nhom": ALL, "don-vi": ALL, "danh-gia": "", "sap-xep": "muc-do"}
        return urlencode({k: v for k, v in state.items() if defaults.get(k) != v})

    def apply_query(self, query: str) -> None:
        """Set the controls from a query string; unknown keys and values are left out (logged), then refresh once."""
        state = dict(parse_qsl(query))
        self._quiet = True
        try:
            self._set(self.period, state.get("ky"), str(self.periods[-1]))
            self.before.options = self._before_options(self.period.value)
            self._set(self.before, state.get("so-voi"), self._default_before(self.period.value))
            self._set(self.group, state.get("nhom"), ALL)
            self._set(self.unit, state.get("don-vi"), ALL)
            self._set(self.sort, state.get("sap-xep"), "muc-do")
            ticked = set(state.get("danh-gia", "").split(","))
            for status, box in self.status_boxes.items():
                box.value = status in ticked
            number = state.get("chi-tieu", "")
            self._set(self.indicator, int(number) if number.isdigit() else None, self.indicator.value)
            self._set(self.views, state.get("xem"), "tong-quan")
        finally:
            self._quiet = False
        self._update(self.refresh)

    @staticmethod
    def _set(control: w.ValueWidget, value: Any, default: Any) -> None:
        """``value`` if the control offers it, else ``default`` (an address may be old or mistyped)."""
        values = [v for _, v in control.options] if isinstance(control.options[0], tuple) else list(control.options)
        if value is not None and value not in values:
            log.info("address: %r is not a value of %s", value, control.description)
        control.value = value if value in values else default

    def _on_url(self, change: dict) -> None:
        if not self._quiet and change["new"] != self.query():
            self.apply_query(change["new"])

    # -- refresh ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """After a filter changed: clear the exports (never stale), keep the indicator in view, redraw the open view."""
        self.export_html.value = render("download", stale=True)
        rows = self.view()
        visible = [int(n) for n in rows["indicator"]]
        if visible and self.indicator.value not in visible:
            self._quiet = True
            try:
                self.indicator.value = visible[0]
            finally:
                self._quiet = False
        self._stale = set(VIEW_KEYS)
        self._draw_open()

    def _draw_open(self) -> None:
        """Draw the open view if it changed while hidden (Altair specs cost about 0,1 s each)."""
        key = self.views.value
        self._show_page()
        if key in self._stale:
            self._stale.discard(key)
            {"tong-quan": self._show_overview, "theo-quy": self._show_heatmap, "so-sanh": self._show_comparison,
             "dien-bien": self._show_trend, "bao-cao": self._show_reporting, "chi-tiet": self._show_detail}[key]()

    def _show_page(self) -> None:
        for k, top, bottom in zip(VIEW_KEYS, getattr(self, "pages", []), getattr(self, "pages_below", [])):
            top.layout.display = bottom.layout.display = None if k == self.views.value else "none"
        self.chart.activate(dict(zip(VIEW_KEYS, [self.overview_chart, self.heatmap_chart, self.compare_chart,
                                                  self.trend_chart, None, self.detail_chart]))[self.views.value])

    def _show_overview(self) -> None:
        from kehoach.analysis import charts

        rows = self.view()
        empty = rows.empty
        self.summary_html.value = render("summary", illustrative=self.illustrative, banner=BANNER, empty=empty,
                                         summary="" if empty else narrative.summary(rows))
        self.table_html.value = "" if empty else render("table", caption=self._caption(), rows=table.display_rows(
            table.frame(rows, self.precision)))
        self.overview_chart.show(None if empty else charts.status_overview(rows.sort_values("indicator")))

    def _caption(self) -> str:
        return f"Các chỉ tiêu {Period.parse(self.period.value).label()}, sắp xếp theo {SORTS[self.sort.value].lower()}"

    def _show_heatmap(self) -> None:
        from kehoach.analysis import charts

        rows = self.view()
        upto = self.evaluated[self.evaluated["indicator"].isin(set(rows["indicator"]))
                              & (self.evaluated["period"] <= self.period.value)]
        self.heatmap_chart.show(None if rows.empty else charts.heatmap(upto))

    def _show_comparison(self) -> None:
        from kehoach.analysis import charts

        rows = self.compared()
        before, after = Period.parse(self.before.value).label(), Period.parse(self.period.value).label()
        self.compare_chart.show(None if rows.empty else charts.comparison(rows, before, after))
        self.compare_html.value = render("comparison", before=before, after=after, empty=rows.empty,
                                         rows=[self._compared_row(r) for r in rows.to_dict("records")])

    def _compared_row(self, r: dict) -> dict:
        n, unit = int(r["indicator"]), r["unit"]
        change = r["change"]
        sign = "+" if change == change and change > 0 else ""
        return {"number": n, "label": r["label"], "direction": comparison.DIRECTIONS[r["direction"]],
                "before": self.fmt(r["value_before"], n, unit), "after": self.fmt(r["value_after"], n, unit),
                "change": sign + self.fmt(change, n) if change == change else "—",
                "status_before": comparison.status_text(r["status_before"]),
                "status_after": comparison.status_text(r["status_after"]),
                "verdict": r["verdict"], "verdict_text": r["verdict_text"],
                "texts": self.indicator_texts(n, r["unit_code"])}

    def indicator_texts(self, number: int, unit_code: str) -> list[dict[str, str]]:
        """The responsible unit's words about indicator ``number`` for the period; a bracketed placeholder when missing."""
        mine = self.texts[(self.texts["period"] == self.period.value) & (self.texts["indicator"] == number)]
        sent = dict(zip(mine["item"], mine["text"]))
        return [{"label": ITEMS[item].label, "text": sent.get(item) or f"[{unit_code} chưa gửi {ITEMS[item].label.lower()}]",
                 "missing": not sent.get(item)} for item in INDICATOR_ITEMS]

    def _show_trend(self) -> None:
        from kehoach.analysis import charts

        numbers = [int(self.indicator.value)] if self.trend_scope.value == "chon" else list(self.view()["indicator"])
        rows = self.evaluated[self.evaluated["indicator"].isin(numbers) & (self.evaluated["period"] <= self.period.value)]
        self.trend_chart.show(None if rows.empty else charts.year_trend(rows, self.plan.year))

    def _show_reporting(self) -> None:
        period = self.period.value
        deadline = load_parameters(period).deadline
        done = completeness(self.plan, self.records, period, deadline)
        texts = self.texts[self.texts["period"] == period].groupby("unit_code").size()
        rows = [{"name": r.unit_name, "due": r.due, "submitted": r.submitted,
                 "missing": ", ".join(f"({n})" for n in r.missing) or "—", "texts": int(texts.get(r.unit_code, 0)),
                 "sent": "—" if pd.isna(r.first_submitted_at) else f"{r.first_submitted_at.tz_convert(VN_TZ):%d/%m/%Y %H:%M}",
                 "timeliness": r.timeliness, "label": r.timeliness_label}
                for r in done.itertuples()]
        late = sum(r["timeliness"] != "on_time" for r in rows)
        self.reporting_html.value = render("reporting", period=Period.parse(period).label(),
                                           deadline=f"{deadline:%d/%m/%Y}", rows=rows, late=late)

    def _show_detail(self) -> None:
        self.refresh_indicator()

    def current(self) -> dict:
        """The evaluated row of the selected indicator in the selected period."""
        rows = self.evaluated[(self.evaluated["period"] == self.period.value) & (self.evaluated["indicator"] == self.indicator.value)]
        return rows.iloc[0].to_dict()

    def refresh_indicator(self) -> None:
        """Redraw the drill-down of the selected indicator and reset the what-if to its value."""
        if self.views.value not in ("chi-tiet", "dien-bien"):
            self._stale.update({"chi-tiet", "dien-bien"})
            return
        if self.views.value == "dien-bien":
            self._stale.add("chi-tiet")
            self._show_trend()
            return
        from kehoach.analysis import charts

        row = self.current()
        self.detail_html.value = self._detail(row)
        has_values = (self.progress["indicator"] == row["indicator"]).any()
        self.detail_chart.show(charts.trend(self.progress, {**row, "number": row["indicator"]}, self.plan.year)
                               if has_values else None)
        self.pace_html.value = self._pace(row)
        self._set_slider(row)
        self.refresh_whatif()

    def _detail(self, row: dict) -> str:
        year, number, unit = self.plan.year, int(row["indicator"]), row["unit"]
        values = self.progress[self.progress["indicator"] == number].set_index("period")["value"]
        quarters = [{"label": f"Quý {q}", "values": [self.fmt(values.get(f"{y}-Q{q}", float("nan")), number, unit)
                                                      for y in (year - 1, year)]} for q in range(1, 5)]
        revisions = self.records[(self.records["record"] == "indicator") & (self.records["indicator"] == number)]
        revs = [{"period": r.period, "revision": r.revision, "value": self.fmt(r.value, number, unit),
                 "kind": "Ước thực hiện" if pd.notna(r.is_estimate) and r.is_estimate else "Thực hiện",
                 "unit": r.unit_code, "sent": f"{r.submitted_at.tz_convert(VN_TZ):%d/%m/%Y %H:%M}",
                 "file": r.source_file, "note": "" if pd.isna(r.note) else r.note}
                for r in revisions.sort_values(["period", "revision"]).itertuples()]
        direction = comparison.DIRECTIONS[comparison.direction(pd.Series([row["comparison"]]), pd.Series([row["kind"]])).iloc[0]]
        return render("detail", sentence=narrative.indicator_sentence(row), projection=self.fmt(row["projection"], number, unit),
                      target=row["target_text"], direction=direction, status=status_cell(row["status"]),
                      unit_name=row["unit_name"], period=Period.parse(row["period"]).label(),
                      texts=self.indicator_texts(number, row["unit_code"]),
                      years=[year - 1, year], quarters=quarters, revisions=revs)

    def _pace(self, row: dict) -> str:
        paced = required_pace(pd.DataFrame([row])).iloc[0]
        q = int(row["quarter"])
        if q == 4 or pd.isna(paced["required_q4"]):
            return render("pace", rows=[])
        return render("pace", rows=[(Period(self.plan.year, k).quarter_label(),
                                     self.fmt(paced[f"required_q{k}"], row["indicator"], row["unit"])) for k in range(q + 1, 5)])

    # -- what-if -------------------------------------------------------------------------------
    def _set_slider(self, row: dict) -> None:
        """Range, step and value of the indicator, sent to the browser as one update."""
        value = float(row["value"]) if pd.notna(row["value"]) else float(row["target"])
        low, high = self.plan.indicator(int(row["indicator"])).bounds
        top = float(high) if high is not None else (max(abs(value), abs(float(row["target"]))) * 1.5 or 1.0)
        bottom = float(low) if low is not None else -top
        decimals = self.precision.get(int(row["indicator"]), 0)
        self._quiet = True
        try:
            with self.assumed.hold_sync():
                self.assumed.min, self.assumed.max = min(bottom, self.assumed.min), max(top, self.assumed.max)
                self.assumed.value = value
                self.assumed.min, self.assumed.max = bottom, top
                self.assumed.step = 10.0 ** -max(decimals, 0) if decimals else 1.0
            self.assumed_text.value = table.fmt(value, max(decimals, table.decimals_of(value)))
        finally:
            self._quiet = False
        self._whatif_error = ""

    def _on_slider(self, change: dict) -> None:
        if self._quiet:
            return
        row = self.current()
        self._quiet = True
        try:
            self.assumed_text.value = table.fmt(change["new"], max(self.precision.get(int(row["indicator"]), 0),
                                                                   table.decimals_of(change["new"])))
        finally:
            self._quiet = False
        self._whatif_error = ""
        self._update(self.refresh_whatif)

    def _on_text(self, change: dict) -> None:
        """Read a value typed the Vietnamese way (45,5; 700.000) and move the slider to it."""
        if self._quiet:
            return
        self._whatif_error = ""
        try:
            value = parse_number(change["new"])
            self._check_bounds(value)
        except KehoachError as exc:
            self._whatif_error = f"Không đọc được giá trị: {exc}."
            self._update(self.refresh_whatif)
            return
        self._quiet = True
        try:
            with self.assumed.hold_sync():
                if value > self.assumed.max:
                    self.assumed.max = value
                if value < self.assumed.min:
                    self.assumed.min = value
                self.assumed.value = value
            self.assumed_text.value = table.fmt(value, table.decimals_of(value))
        finally:
            self._quiet = False
        self._update(self.refresh_whatif)

    def _check_bounds(self, value: float) -> None:
        low, high = self.plan.indicator(int(self.indicator.value)).bounds
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"từ {fmt_number(low)}" + (f" đến {fmt_number(high)}" if high is not None else " trở lên")
            raise FormatError(f"giá trị {fmt_number(value)} ngoài khoảng cho phép ({span}); nhập lại")

    def what_if(self, assumed: float) -> dict:
        """The selected indicator re-evaluated with ``assumed`` as this period's value."""
        row = self.current()
        progress = self.progress.copy()
        key = (progress["indicator"] == row["indicator"]) & (progress["period"] == row["period"])
        if key.any():
            progress.loc[key, "value"] = assumed
        else:
            extra = {"ward": self.plan.ward, "year": self.plan.year, "indicator": row["indicator"], "period": row["period"],
                     "value": assumed, "is_estimate": True, "revision": 0}
            progress = pd.concat([progress, pd.DataFrame([extra])], ignore_index=True)
        plan_rows = self.plan.indicators[self.plan.indicators["number"] == row["indicator"]]
        return evaluate(plan_rows, progress, row["period"], self.threshold).iloc[0].to_dict()

    def refresh_whatif(self) -> None:
        row = self.current()
        number, unit = int(row["indicator"]), row["unit"]
        assumed = self.assumed.value
        new = self.what_if(assumed)
        shown = table.fmt(assumed, max(self.precision.get(number, 0), table.decimals_of(assumed)))
        self.whatif_html.value = render(
            "whatif", error=getattr(self, "_whatif_error", ""), label=row["label"],
            period=Period.parse(row["period"]).label(), assumed=shown + "%" if unit == "%" else f"{shown} {unit}",
            projection=self.fmt(new["projection"], number, unit), status=status_cell(new['status']),
            current=status_cell(row['status']), changed=new["status"] != row["status"])

    # -- export ---------------------------------------------------------------------------------
    def filters(self) -> list[tuple[str, str]]:
        """The filters of the current view, as written in an export."""
        names = dict((v, k) for k, v in self.group.options) | dict((v, k) for k, v in self.unit.options)
        statuses = ", ".join(STATUS_LABELS[s] for s in self.statuses()) or ALL
        return [("Kỳ báo cáo", Period.parse(self.period.value).label()), ("Nhóm", names.get(self.group.value, ALL)),
                ("Đơn vị chủ trì", names.get(self.unit.value, ALL)), ("Đánh giá", statuses),
                ("Sắp xếp", SORTS[self.sort.value]), ("Thời điểm xuất", f"{dt.datetime.now(VN_TZ):%d/%m/%Y %H:%M}")]

    def file_name(self, what: str, extension: str) -> str:
        """A unique, descriptive name: what, period, filters, time and a number (two exports never collide)."""
        self.exports_made += 1
        parts = [what, self.period.value]
        if what.startswith("bieu-do_so-sanh"):
            parts.insert(1, self.before.value)
        parts += [_slug(self.group.value), _slug(self.unit.value)] if self.group.value != ALL or self.unit.value != ALL else []
        parts += [_slug("-".join(self.statuses()))] if self.statuses() else []
        parts += [f"{dt.datetime.now(VN_TZ):%Y%m%d-%H%M%S}", str(self.exports_made)]
        return "_".join(p for p in parts if p) + "." + extension

    def export(self, kind: str) -> tuple[str, bytes]:
        """The table of the current filters as CSV or xlsx; shows a download link and returns the file name and bytes."""
        with self._busy():
            data = self.table()
            filename = self.file_name("chi-tieu", kind)
            if kind == "csv":
                payload = exports.to_csv(data)
            else:
                title = f"Kết quả thực hiện các chỉ tiêu – {Period.parse(self.period.value).label()}"
                payload = exports.to_xlsx(data, self.filters(), self.illustrative, title)
            self.export_html.value = render("download", stale=False, what=f"Bảng {len(data)} chỉ tiêu",
                                            **exports.download_link(payload, filename, kind))
            log.info("explorer export %s: %d rows", filename, len(data))
        return filename, payload

    def open_chart(self) -> tuple[str, ChartView | None]:
        """The name and the chart of the open view (none for the reporting status)."""
        return {"tong-quan": ("tong-quan", self.overview_chart), "theo-quy": ("theo-quy", self.heatmap_chart),
                "so-sanh": ("so-sanh", self.compare_chart), "dien-bien": ("dien-bien", self.trend_chart),
                "bao-cao": ("bao-cao", None), "chi-tiet": (f"chi-tieu-{self.indicator.value}", self.detail_chart),
                }[self.views.value]

    def export_chart(self, kind: str) -> tuple[str, bytes] | None:
        """The chart of the open view as PNG or SVG, drawn by vl-convert; shows a download link."""
        from kehoach.analysis import charts

        with self._busy():
            name, view = self.open_chart()
            if view is None or view.spec is None:
                self.export_html.value = render("download", stale=False, error="Trang này không có biểu đồ để tải.")
                return None
            spec = {k: v for k, v in view.spec.items() if k != "params"}
            payload = charts.draw_png(spec) if kind == "png" else charts.draw_svg(spec).encode("utf-8")
            filename = self.file_name(f"bieu-do_{name}", kind)
            self.export_html.value = render("download", stale=False, what=f"Biểu đồ “{charts.title_of(spec)}”",
                                            **exports.download_link(payload, filename, kind))
        return filename, payload


def _slug(text: str) -> str:
    """ASCII, lower case, hyphens: "Y tế" → "y-te", "KTHT" → "ktht"."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def explorer(data_dir: str = "") -> w.Widget:
    """The notebook's one call: build the explorer on the data (default: the project's) and return its layout."""
    path = Path(data_dir) if data_dir else None
    if path is not None and not path.is_absolute():
        path = config.project_root() / path
    return Explorer(data_dir=path).layout()
