"""Interactive exploration for the analyst and the leaders: ipywidgets controls over the evaluated data.

``notebooks/explore.ipynb`` only displays :func:`explorer`; all logic is here, so tests drive
the controls by setting their values and read what they produce. Charts and controls are one
view: a click on a group bar sets the group filter, a click on a heatmap cell opens that
indicator in the drill-down.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import ipywidgets as w
import pandas as pd

from kehoach.core.labels import ILLUSTRATIVE_SCREEN_BANNER
from kehoach.analysis import narrative
from kehoach.analysis.evaluation import STATUS_LABELS, STATUSES, evaluate, required_pace
from kehoach.core.labels import status_cell
from kehoach.core import config
from kehoach.core.errors import KehoachError
from kehoach.core.formatting import fmt_number, parse_number
from kehoach.core.parameters import load_parameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan, load_plan
from kehoach.data.sample import is_illustrative
from kehoach.data.store import ProgressStore, latest
from kehoach.explore import exports, table
from kehoach.explore.charts import ChartView, with_pick
from kehoach.explore.views import render

log = logging.getLogger(__name__)

ALL = "(Tất cả)"
BANNER = ILLUSTRATIVE_SCREEN_BANNER
TABLE_OPTIONS: dict[str, Any] = {
    "classes": "display compact", "paging": False, "autoWidth": False, "showIndex": False, "style": "width:100%;margin:0",
    "order": [], "language": {"decimal": ",", "thousands": ".", "search": "Tìm:", "info": "_TOTAL_ chỉ tiêu",
                              "infoEmpty": "Không có chỉ tiêu nào", "infoFiltered": "(lọc từ _MAX_)",
                              "zeroRecords": "Không có chỉ tiêu nào khớp bộ lọc.", "emptyTable": "Không có chỉ tiêu nào khớp bộ lọc."},
}


class Explorer:
    """Controls for period, group, unit, status and indicator, driving the table, charts and text."""

    def __init__(self, plan: Plan | None = None, data_dir: Path | None = None):
        self.plan = plan or load_plan()
        store = ProgressStore((data_dir or config.data_dir()) / "progress")
        self.records = store.read(self.plan.ward, self.plan.year)
        self.progress = latest(self.records[self.records["record"] == "indicator"], ["ward", "year", "indicator", "period"])
        self.illustrative = is_illustrative(self.plan.ward, self.plan.year, store)
        self.periods = self._periods()
        self.threshold = load_parameters(self.periods[-1]).behind_threshold
        self.evaluated = evaluate(self.plan, self.progress, self.periods, self.threshold)
        self.precision = table.precisions(self.plan.indicators, self.progress)
        self.seq = 0
        self._quiet = False
        self._stale: set[str] = set()  # charts of hidden tabs, drawn when their tab is opened
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

    def view(self) -> pd.DataFrame:
        """The evaluated rows that pass the current filters."""
        rows = self.evaluated[self.evaluated["period"] == self.period.value]
        if self.group.value != ALL:
            rows = rows[rows["group"] == self.group.value]
        if self.unit.value != ALL:
            rows = rows[rows["unit_code"] == self.unit.value]
        if self.statuses():
            rows = rows[rows["status"].isin(self.statuses())]
        return rows.reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """The view rounded as shown (the numbers of the table and of the exports)."""
        return table.frame(self.view(), self.precision)

    def fmt(self, value: float, number: int, unit: str | None = None) -> str:
        """A value of indicator ``number`` rounded to its precision, with its unit when given."""
        text = table.fmt(value, self.precision.get(int(number), 0))
        if not text:
            return "—"
        return text if unit is None else (text + "%" if unit == "%" else f"{text} {unit}")

    # -- widgets --------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        style = {"description_width": "90px"}
        wide = w.Layout(width="auto", min_width="300px", max_width="560px")
        self.period = w.Dropdown(options=[(p.label(), str(p)) for p in self.periods], value=str(self.periods[-1]),
                                 description="Kỳ báo cáo", style=style, layout=wide)
        self.group = w.Dropdown(options=[(ALL, ALL)] + [(g.name, g.code) for g in self.plan.groups], value=ALL,
                                description="Nhóm", style=style, layout=wide)
        owners = set(self.plan.indicators["unit_code"])
        self.unit = w.Dropdown(options=[(ALL, ALL)] + [(u.name, u.code) for u in self.plan.reporting_units if u.code in owners],
                               value=ALL, description="Đơn vị", style=style, layout=wide)
        self.status_boxes = {s: w.Checkbox(value=False, description=status_cell(s), indent=False)
                             for s in STATUSES}
        self.clear_button = w.Button(description="Bỏ chọn đánh giá", icon="times", tooltip="Bỏ mọi ô đánh giá đã chọn")
        self.state_html = w.HTML()
        self.style_html = w.HTML(render("style"))
        self.summary_html = w.HTML()
        self.overview_chart = ChartView(self._pick_group)
        self.heatmap_chart = ChartView(self._pick_indicator)
        self.detail_chart = ChartView()
        self.grid = self._grid()
        self.csv_button = w.Button(description="Xuất CSV", icon="download")
        self.excel_button = w.Button(description="Xuất Excel", icon="file-excel-o")
        self.export_html = w.HTML()
        self.indicator = w.Dropdown(options=self._indicator_options(), value=1, description="Chỉ tiêu", style=style,
                                    layout=w.Layout(width="auto", max_width="720px"))
        self.detail_html, self.pace_html, self.whatif_html = w.HTML(), w.HTML(), w.HTML()
        self.assumed = w.FloatSlider(description="Giả định", style=style, continuous_update=False, readout=False,
                                     layout=w.Layout(width="auto", min_width="240px", max_width="520px"))
        self.assumed_text = w.Text(description="Giá trị", continuous_update=False, style={"description_width": "50px"},
                                   layout=w.Layout(width="200px"), placeholder="ví dụ 45,5")
        self.tabs = w.Tab()
        self._wire()

    def _grid(self) -> w.Widget:
        from itables.widget import ITable

        return ITable(table.display(self.table() if hasattr(self, "period") else table.frame(self.evaluated.head(0), {})),
                      **TABLE_OPTIONS)

    def _indicator_options(self) -> list[tuple[str, int]]:
        return [(f"({r.number}) {r.label}", int(r.number)) for r in self.plan.indicators.itertuples()]

    def _wire(self) -> None:
        for control in (self.period, self.group, self.unit, *self.status_boxes.values()):
            control.observe(self._on_filter, names="value")
        self.clear_button.on_click(lambda _: self.clear_statuses())
        self.indicator.observe(lambda change: self._update(self.refresh_indicator), names="value")
        self.assumed.observe(self._on_slider, names="value")
        self.assumed_text.observe(self._on_text, names="value")
        self.tabs.observe(lambda change: self._update(self._draw_stale), names="selected_index")
        self.csv_button.on_click(lambda _: self.export("csv"))
        self.excel_button.on_click(lambda _: self.export("xlsx"))

    def layout(self) -> w.Widget:
        """The whole explorer as one widget, for the notebook to display."""
        statuses = w.HBox([*self.status_boxes.values(), self.clear_button])
        statuses.add_class("kh-statuses")
        filters = w.VBox([w.HBox([self.period, self.group, self.unit], layout=w.Layout(flex_flow="row wrap")),
                          statuses, self.state_html])
        filters.add_class("kh-filters")
        overview = w.VBox([self.overview_chart.widget, self.grid,
                           w.HBox([self.csv_button, self.excel_button]), self.export_html])
        drill = w.VBox([self.indicator, self.detail_html, self.detail_chart.widget, self.pace_html,
                        w.HBox([self.assumed, self.assumed_text], layout=w.Layout(flex_flow="row wrap")), self.whatif_html])
        self.tabs.children = [overview, self.heatmap_chart.widget, drill]
        for i, title in enumerate(["Tổng quan", "Theo quý", "Chi tiết chỉ tiêu"]):
            self.tabs.set_title(i, title)
        root = w.VBox([self.style_html, filters, self.summary_html, self.tabs])
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
            self.state_html.value = render("state", busy=False, seq=self.seq)

    def _update(self, action) -> None:
        if self._quiet:
            return
        with self._busy():
            action()

    def _on_filter(self, change: dict) -> None:
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
            self.tabs.selected_index = 2

    # -- refresh ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the summary, table and charts for the current filters."""
        rows = self.view()
        empty = rows.empty
        self.summary_html.value = render("summary", illustrative=self.illustrative, banner=BANNER, empty=empty,
                                         summary="" if empty else narrative.summary(rows))
        self.grid.update(table.display(table.frame(rows, self.precision)))
        self.grid.layout.display = "none" if empty else None
        self._show_charts(rows)
        visible = [int(n) for n in rows["indicator"]]
        if visible and self.indicator.value not in visible:
            self.indicator.value = visible[0]  # its observer refreshes the drill-down
        else:
            self.refresh_indicator()

    def _show_charts(self, rows: pd.DataFrame) -> None:
        from kehoach.analysis import charts

        self.overview_chart.show(None if rows.empty else with_pick(charts.status_overview(rows), ["group"]))
        self._stale.add("heatmap")
        self._draw_stale()

    def _draw_stale(self) -> None:
        """Draw the charts of the open tab that changed while it was hidden (Altair specs cost ~0,1 s each)."""
        if self.tabs.selected_index == 1 and "heatmap" in self._stale:
            self._stale.discard("heatmap")
            self._show_heatmap(self.view())
        if self.tabs.selected_index == 2 and "trend" in self._stale:
            self._stale.discard("trend")
            self._show_trend(self.current())

    def _show_heatmap(self, rows: pd.DataFrame) -> None:
        from kehoach.analysis import charts

        upto = self.evaluated[self.evaluated["indicator"].isin(set(rows["indicator"]))
                              & (self.evaluated["period"] <= self.period.value)]
        self.heatmap_chart.show(None if rows.empty else with_pick(charts.heatmap(upto), ["indicator"]))

    def _show_trend(self, row: dict) -> None:
        from kehoach.analysis import charts
        from kehoach.explore.charts import as_chart

        has_values = (self.progress["indicator"] == row["indicator"]).any()
        self.detail_chart.show(as_chart(charts.trend(self.progress, {**row, "number": row["indicator"]}, self.plan.year))
                               if has_values else None)

    def current(self) -> dict:
        """The evaluated row of the selected indicator in the selected period."""
        rows = self.evaluated[(self.evaluated["period"] == self.period.value) & (self.evaluated["indicator"] == self.indicator.value)]
        return rows.iloc[0].to_dict()

    def refresh_indicator(self) -> None:
        """Redraw the drill-down of the selected indicator and reset the what-if to its value."""
        row = self.current()
        self.detail_html.value = self._detail(row)
        self._stale.add("trend")
        self._draw_stale()
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
        return render("detail", sentence=narrative.indicator_sentence(row), projection=self.fmt(row["projection"], number, unit),
                      target=row["target_text"], status=status_cell(row['status']),
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
        from kehoach.core.errors import FormatError

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
            current=status_cell(row['status']))

    # -- export ---------------------------------------------------------------------------------
    def filters(self) -> list[tuple[str, str]]:
        """The filters of the current view, as written in an export."""
        names = dict((v, k) for k, v in self.group.options) | dict((v, k) for k, v in self.unit.options)
        statuses = ", ".join(STATUS_LABELS[s] for s in self.statuses()) or ALL
        return [("Kỳ báo cáo", Period.parse(self.period.value).label()), ("Nhóm", names.get(self.group.value, ALL)),
                ("Đơn vị chủ trì", names.get(self.unit.value, ALL)), ("Đánh giá", statuses),
                ("Thời điểm xuất", f"{dt.datetime.now(VN_TZ):%d/%m/%Y %H:%M}")]

    def export(self, kind: str) -> tuple[str, bytes]:
        """The current view as CSV or xlsx; shows a download link and returns the file name and bytes."""
        with self._busy():
            data = self.table()
            filename = f"kham-pha_{self.period.value}.{kind}"
            if kind == "csv":
                payload = exports.to_csv(data)
            else:
                title = f"Kết quả thực hiện các chỉ tiêu – {Period.parse(self.period.value).label()}"
                payload = exports.to_xlsx(data, self.filters(), self.illustrative, title)
            self.export_html.value = render("download", rows=len(data), **exports.download_link(payload, filename, kind))
            log.info("explorer export %s: %d rows", filename, len(data))
        return filename, payload


def explorer(data_dir: str = "") -> w.Widget:
    """The notebook's one call: build the explorer on the data (default: the project's) and return its layout."""
    path = Path(data_dir) if data_dir else None
    if path is not None and not path.is_absolute():
        path = config.project_root() / path
    return Explorer(data_dir=path).layout()
