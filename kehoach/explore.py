"""Interactive exploration for the analyst: ipywidgets controls over the evaluated data.

The notebook ``notebooks/explore.ipynb`` only lays out :class:`Explorer`; all logic is
here, so tests can drive the controls by setting their values and read what they produce.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import clear_output, display

from kehoach.core import config
from kehoach.analysis import narrative
from kehoach.analysis.evaluation import STATUS_LABELS, STATUSES, evaluate, required_pace
from kehoach.core.formatting import fmt_value
from kehoach.core.parameters import load_parameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan, load_plan
from kehoach.data.store import ProgressStore, latest
from kehoach.analysis import charts
from kehoach.core.labels import SYMBOLS


def esc(value: object) -> str:
    import html

    return html.escape("" if value is None or value != value else str(value))


def table(columns: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class _Chart:
    """A chart for the notebook: the interactive spec for JupyterLab, the SVG as fallback."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.title = charts.title_of(spec)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"application/vnd.vegalite.v5+json": self.spec, "image/svg+xml": charts.draw_svg(self.spec)}

ALL = "(Tất cả)"
VIEW_COLUMNS = {
    "indicator": "TT", "label": "Chỉ tiêu", "group_name": "Nhóm", "unit_name": "Đơn vị chủ trì", "unit": "Đơn vị tính",
    "target": "Kế hoạch năm", "value": "Thực hiện", "is_estimate": "Ước tính", "projection": "Ước cả năm",
    "achievement_pct": "Tỷ lệ hoàn thành (%)", "yoy_pct": "So cùng kỳ (%)", "yoy_pp": "So cùng kỳ (điểm %)",
    "status_label": "Đánh giá",
}


class Explorer:
    """Controls for period, group, unit, status and indicator, driving tables, charts and text."""

    def __init__(self, plan: Plan | None = None, data_dir: Path | None = None, export_dir: Path | None = None):
        self.plan = plan or load_plan()
        store = ProgressStore((data_dir or config.data_dir()) / "progress")
        self.records = store.read(self.plan.ward, self.plan.year)
        self.progress = latest(self.records[self.records["record"] == "indicator"], ["ward", "year", "indicator", "period"])
        self.periods = self._periods()
        self.evaluated = evaluate(self.plan, self.progress, self.periods, self._threshold())
        self.export_dir = export_dir or config.reports_dir() / "explore"
        self.chart = None
        self._build_widgets()
        self.refresh()

    # -- data ---------------------------------------------------------------------------
    def _periods(self) -> list[Period]:
        year = self.plan.year
        present = {Period.parse(p) for p in self.progress["period"].unique()}
        last = max((p for p in present if p.year == year), default=Period(year, 1))
        return [Period(year, q) for q in range(1, last.quarter + 1)]

    def _threshold(self) -> float:
        return load_parameters(self.periods[-1]).behind_threshold

    def view(self) -> pd.DataFrame:
        """The evaluated rows that pass the current filters."""
        rows = self.evaluated[self.evaluated["period"] == self.period.value]
        if self.group.value != ALL:
            rows = rows[rows["group"] == self.group.value]
        if self.unit.value != ALL:
            rows = rows[rows["unit_code"] == self.unit.value]
        if self.status.value:
            rows = rows[rows["status"].isin(self.status.value)]
        return rows.reset_index(drop=True)

    # -- widgets --------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        style = {"description_width": "110px"}
        self.period = w.Dropdown(options=[(p.label(), str(p)) for p in self.periods], value=str(self.periods[-1]),
                                 description="Kỳ báo cáo", style=style)
        self.group = w.Dropdown(options=[(ALL, ALL)] + [(g.name, g.code) for g in self.plan.groups], value=ALL,
                                description="Nhóm", style=style)
        self.unit = w.Dropdown(options=[(ALL, ALL)] + [(u.name, u.code) for u in self.plan.reporting_units], value=ALL,
                               description="Đơn vị", style=style)
        self.status = w.SelectMultiple(options=[(f"{SYMBOLS[s]} {STATUS_LABELS[s]}", s) for s in STATUSES], value=(),
                                       description="Đánh giá", rows=8, style=style)
        numbers = self.plan.indicators
        self.indicator = w.Dropdown(options=[(f"({r.number}) {r.label}", int(r.number)) for r in numbers.itertuples()],
                                    value=1, description="Chỉ tiêu", style=style, layout=w.Layout(width="640px"))
        self.assumed = w.FloatSlider(description="Giả định", style=style, continuous_update=False,
                                     layout=w.Layout(width="640px"), readout_format=".2f")
        self.csv_button = w.Button(description="Xuất CSV", icon="download")
        self.excel_button = w.Button(description="Xuất Excel", icon="file-excel-o")
        self.summary_html, self.table_html, self.detail_html = w.HTML(), w.HTML(), w.HTML()
        self.pace_html, self.whatif_html, self.export_html = w.HTML(), w.HTML(), w.HTML()
        self.chart_out, self.detail_chart_out = w.Output(), w.Output()
        for control in (self.period, self.group, self.unit, self.status):
            control.observe(lambda change: self.refresh(), names="value")
        self.indicator.observe(lambda change: self.refresh_indicator(), names="value")
        self.assumed.observe(lambda change: self.refresh_whatif(), names="value")
        self.csv_button.on_click(lambda _: self.export("csv"))
        self.excel_button.on_click(lambda _: self.export("xlsx"))

    def layout(self) -> w.Widget:
        """The whole explorer as one widget, for the notebook to display."""
        filters = w.HBox([w.VBox([self.period, self.group, self.unit]), self.status])
        overview = w.VBox([self.summary_html, self.chart_out, self.table_html,
                           w.HBox([self.csv_button, self.excel_button]), self.export_html])
        drill = w.VBox([self.indicator, self.detail_html, self.detail_chart_out, self.pace_html, self.assumed,
                        self.whatif_html])
        tabs = w.Tab(children=[overview, drill])
        tabs.set_title(0, "Tổng quan")
        tabs.set_title(1, "Chi tiết chỉ tiêu")
        return w.VBox([filters, tabs])

    # -- refresh ----------------------------------------------------------------------------
    def refresh(self) -> None:
        rows = self.view()
        self.summary_html.value = "<p>" + esc(narrative.summary(rows) if len(rows) else "Không có chỉ tiêu nào khớp bộ lọc.") + "</p>"
        self.table_html.value = table(
            ["TT", "Chỉ tiêu", "Đơn vị chủ trì", "Kế hoạch năm", "Thực hiện", "Ước cả năm", "Đánh giá", "Nhận định"],
            [[f"({r['indicator']})", r["label"], r["unit_name"], r["target_text"], _v(r["value"], r["unit"]),
              _v(r["projection"], r["unit"]), f"{SYMBOLS[r['status']]} {r['status_label']}", narrative.indicator_sentence(r)]
             for r in rows.to_dict("records")])
        self._show_chart(rows)
        visible = rows["indicator"].tolist()
        if visible and self.indicator.value not in visible:
            self.indicator.value = int(visible[0])  # triggers refresh_indicator
        else:
            self.refresh_indicator()

    def _show_chart(self, rows: pd.DataFrame) -> None:
        from kehoach.analysis import charts

        self.chart = _Chart(charts.status_overview(rows)) if len(rows) else None
        with self.chart_out:
            clear_output(wait=True)
            if self.chart is not None:
                display(self.chart)

    def current(self) -> dict:
        """The evaluated row of the selected indicator in the selected period."""
        rows = self.evaluated[(self.evaluated["period"] == self.period.value) & (self.evaluated["indicator"] == self.indicator.value)]
        return rows.iloc[0].to_dict()

    def refresh_indicator(self) -> None:
        row = self.current()
        self.detail_html.value = self._detail(row)
        from kehoach.analysis import charts

        year_rows = self.progress[self.progress["indicator"] == row["indicator"]]
        self.detail_chart = _Chart(charts.trend(self.progress, {**row, "number": row["indicator"]}, self.plan.year)) \
            if len(year_rows) else None
        with self.detail_chart_out:
            clear_output(wait=True)
            if self.detail_chart is not None:
                display(self.detail_chart)
        self.pace_html.value = self._pace(row)
        self._set_slider(row)
        self.refresh_whatif()

    def _detail(self, row: dict) -> str:
        year = self.plan.year
        values = self.progress[self.progress["indicator"] == row["indicator"]].set_index("period")["value"]
        quarters = [[f"Quý {q}", _v(values.get(f"{year - 1}-Q{q}", float("nan")), row["unit"]),
                     _v(values.get(f"{year}-Q{q}", float("nan")), row["unit"])] for q in range(1, 5)]
        revisions = self.records[(self.records["record"] == "indicator") & (self.records["indicator"] == row["indicator"])]
        rev_rows = [[r.period, r.revision, _v(r.value, row["unit"]), "Ước thực hiện" if pd.notna(r.is_estimate) and r.is_estimate else "Thực hiện",
                     r.unit_code, f"{r.submitted_at.tz_convert(VN_TZ):%d/%m/%Y %H:%M}", r.source_file, r.note]
                    for r in revisions.sort_values(["period", "revision"]).itertuples()]
        projection = (f"Ước cả năm: {_v(row['projection'], row['unit'])}; kế hoạch năm: {row['target_text']}; "
                      f"đánh giá: {SYMBOLS[row['status']]} {row['status_label']}.")
        return ("<p>" + esc(narrative.indicator_sentence(row)) + "</p><p>" + esc(projection) + "</p>"
                + "<h4>Số liệu theo quý</h4>" + table(["Quý", f"Năm {year - 1}", f"Năm {year}"], quarters)
                + "<h4>Các lần báo cáo</h4>" + table(["Kỳ", "Lần", "Giá trị", "Loại", "Đơn vị gửi", "Thời điểm gửi", "Tệp", "Ghi chú"], rev_rows))

    def _pace(self, row: dict) -> str:
        paced = required_pace(pd.DataFrame([row])).iloc[0]
        q = int(row["quarter"])
        if q == 4 or pd.isna(paced["required_q4"]):
            return "<p>" + esc("Không tính được nhịp độ cần thiết (đã hết năm hoặc chưa có số liệu).") + "</p>"
        rows = [[Period(self.plan.year, k).quarter_label(), _v(paced[f"required_q{k}"], row["unit"])] for k in range(q + 1, 5)]
        return "<h4>Nhịp độ cần đạt để hoàn thành kế hoạch</h4>" + table(["Hết quý", "Cần đạt"], rows)

    def _set_slider(self, row: dict) -> None:
        value = row["value"] if pd.notna(row["value"]) else row["target"]
        low, high = self.plan.indicator(int(row["indicator"])).bounds
        top = high if high is not None else max(abs(value), abs(row["target"])) * 1.5 or 1.0
        bottom = low if low is not None else -top
        with self.assumed.hold_trait_notifications():
            self.assumed.min, self.assumed.max = -1e18, 1e18  # widen first so no bound clips the new value
            self.assumed.min, self.assumed.max = float(bottom), float(top)
            self.assumed.step = (top - bottom) / 1000
            self.assumed.value = float(value)

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
        return evaluate(plan_rows, progress, row["period"], self._threshold()).iloc[0].to_dict()

    def refresh_whatif(self) -> None:
        row = self.current()
        new = self.what_if(self.assumed.value)
        self.whatif_html.value = "<p>" + esc(
            f"Nếu {row['label']} {Period.parse(row['period']).label()} đạt {fmt_value(self.assumed.value, row['unit'])}: "
            f"ước cả năm {_v(new['projection'], row['unit'])}, đánh giá {SYMBOLS[new['status']]} {new['status_label']} "
            f"(hiện tại: {SYMBOLS[row['status']]} {row['status_label']}).") + "</p>"

    # -- export ---------------------------------------------------------------------------------
    def export(self, kind: str) -> Path:
        """Write the current view to CSV (UTF-8 with BOM, for Excel) or Excel; returns the file."""
        frame = self.view()[list(VIEW_COLUMNS)].rename(columns=VIEW_COLUMNS)
        self.export_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(VN_TZ).strftime("%Y%m%d-%H%M%S")
        path = self.export_dir / f"kham-pha_{self.period.value}_{stamp}.{kind}"
        if kind == "csv":
            frame.to_csv(path, index=False, encoding="utf-8-sig")
        else:
            frame.to_excel(path, index=False, sheet_name="Chỉ tiêu")
        self.export_html.value = "<p>" + esc(f"Đã xuất {len(frame)} dòng: {path}") + "</p>"
        return path


def _v(value: float, unit: str) -> str:
    return fmt_value(value, unit) if pd.notna(value) else "—"


def explorer(data_dir: str = "") -> w.Widget:
    """The notebook's one call: build the explorer on the data (default: the project's) and return its layout."""
    from kehoach.core.config import resolve

    return Explorer(data_dir=resolve(data_dir) if data_dir else None).layout()


__all__ = ["Explorer", "explorer"]
