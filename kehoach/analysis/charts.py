"""Altair charts with Vietnamese labels, and their drawing to SVG and PNG.

Every chart carries a Vietnamese number locale in its config, so axes read 869.532 and 0,02,
and every label that shows a value is pre-formatted by :mod:`kehoach.core.formatting`. Status
colours and symbols come from :mod:`kehoach.core.labels`; status is always also shown by a
symbol and a word, never by colour alone.

The builders return Vega-Lite specs (plain dicts). :func:`draw_svg` draws one with vl-convert
(no browser, no network) and keeps the drawing in a disk cache keyed by a hash of the spec's
content, so notebooks and re-runs that show the same chart draw it once.

Altair and vl-convert are imported inside the functions that use them: importing this module
(and :mod:`kehoach.reporting.sections`, which does) stays cheap for code that draws nothing.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kehoach.core import config
from kehoach.core.files import atomic_write
from kehoach.core.formatting import decimals_of, fmt_value
from kehoach.core.labels import (LEGEND_LABELS, PALETTE, QUARTER_NAMES, STATUS_LABELS, STATUSES, SYMBOLS, TEXT_ON,
                                 status_cell)
from kehoach.core.period import Period

if TYPE_CHECKING:
    import altair as alt

VL_VERSION = "6.4"
FONT = "Times New Roman, Liberation Serif, DejaVu Serif, serif"
LOCALE = {"number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " đ"]}}

def _status_color(field: str = "legend:N", title: str = "Đánh giá") -> alt.Color:
    import altair as alt

    return alt.Color(field, title=title, scale=alt.Scale(domain=LEGEND_LABELS, range=[PALETTE[s] for s in STATUSES]),
                     legend=alt.Legend(orient="bottom", columns=4, labelLimit=240))


def _finish(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's spec with the Vietnamese locale and the report font (not schema-validated: see :func:`spec`)."""
    done = chart.configure(locale=LOCALE, font=FONT).configure_title(fontSize=15, anchor="start").configure_view(stroke=None)
    return done.to_dict(validate=False)


def _with_status(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["symbol"] = out["status"].map(SYMBOLS)
    out["legend"] = out["status"].map(status_cell)
    out["status_order"] = out["status"].map({s: i for i, s in enumerate(STATUSES)})
    return out


# -- charts -----------------------------------------------------------------------------
def status_overview(evaluated: pd.DataFrame) -> dict[str, Any]:
    """Indicators by status, one stacked bar per group.

    The layout is built with Altair once (:func:`_overview_template`); each chart fills in its
    counts, group order and title (the explorer redraws it on every filter change).
    """
    period = Period.parse(evaluated["period"].iloc[0])
    counts = (evaluated.groupby(["group", "group_name", "status"], sort=False, observed=True)
              .size().rename("count").reset_index())
    counts = _with_status(counts)
    counts["tag"] = counts["symbol"] + " " + counts["count"].astype(str)
    counts["tooltip"] = counts["group_name"] + ": " + counts["count"].astype(str) + " chỉ tiêu " + counts["status"].map(STATUS_LABELS).str.lower()
    counts["text_color"] = counts["status"].map(TEXT_ON)
    out = copy.deepcopy(_overview_template())
    out["datasets"] = {"counts": json.loads(counts.to_json(orient="records", force_ascii=False))}
    order = list(pd.unique(evaluated["group_name"]))
    for layer in out["layer"]:
        layer["encoding"]["y"]["sort"] = order
    out["title"] = f"Đánh giá các chỉ tiêu theo nhóm – {period.label()}"
    return out


@functools.lru_cache(maxsize=1)
def _overview_template() -> dict[str, Any]:
    import altair as alt

    base = alt.Chart(alt.Data(name="counts")).encode(
        y=alt.Y("group_name:N", sort=[], title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("count:Q", stack="zero", title="Số chỉ tiêu", axis=alt.Axis(format="d", tickMinStep=1)),
        order=alt.Order("status_order:Q"),
    )
    tooltip = [alt.Tooltip("tooltip:N", title="Chi tiết")]  # on the labels too: they lie over the bars
    bars = base.mark_bar(stroke="white", strokeWidth=1).encode(color=_status_color(), tooltip=tooltip)
    text = base.mark_text(align="right", dx=-4, fontSize=11).encode(
        text="tag:N", color=alt.Color("text_color:N", scale=None, legend=None), tooltip=tooltip)
    chart = alt.layer(bars, text).resolve_scale(color="independent").properties(  # the labels' colours have no legend
        width=520, height=alt.Step(26), title="")
    return _finish(chart)


def _value_tooltips() -> list[alt.Tooltip]:
    import altair as alt

    return [alt.Tooltip("title:N", title="Chỉ tiêu"), alt.Tooltip("value_text:N", title="Thực hiện"),
            alt.Tooltip("target_text:N", title="Kế hoạch năm"), alt.Tooltip("projection_text:N", title="Ước cả năm"),
            alt.Tooltip("legend:N", title="Đánh giá")]


def bullet(evaluated: pd.DataFrame, group: str) -> dict[str, Any]:
    """Value (bar), target (black tick) and year-end projection (diamond) per indicator of a group."""
    period = Period.parse(evaluated["period"].iloc[0])
    group_name = evaluated.loc[evaluated["group"] == group, "group_name"].iloc[0]
    rows = evaluated[(evaluated["group"] == group) & evaluated["value"].notna()]
    if rows.empty:
        return _empty(f"Nhóm {group_name}: chưa có số liệu {period.label()}")
    return bullet_rows(rows, f"Nhóm {group_name}: thực hiện, kế hoạch và ước cả năm – {period.label()}")


def bullet_rows(rows: pd.DataFrame, title: str) -> dict[str, Any]:
    """Value (bar), target (black tick) and year-end projection (diamond) for each row with a value.

    Each indicator has its own scale, fitted to its unit; shares run from 0 to at least 100%. Every
    bar starts at 0: an axis cut near the figures would make 10,95 against 11 look like a wide gap
    (the figures themselves are in the sentences and the phụ lục).
    """
    import altair as alt

    rows = _with_status(rows[rows["value"].notna()])
    if rows.empty:
        return _empty(f"{title}: chưa có số liệu")
    rows["title"] = "(" + rows["indicator"].astype(str) + ") " + rows["label"] + " (" + rows["unit"] + ")"
    rows["value_text"] = [fmt_value(v, u) for v, u in zip(rows["value"], rows["unit"])]
    rows["projection_text"] = [fmt_value(round(v, decimals_of(r.get("value"), r.get("target"))), u) if v == v else "—"
                               for v, u, r in zip(rows["projection"], rows["unit"], rows.to_dict("records"))]
    rows["target_line"] = rows["target"].where(rows["kind"] != "reduction", rows["baseline"] - rows["target"])
    rows["projection_line"] = rows["projection"].where(rows["kind"] != "reduction", rows["baseline"] - rows["projection"])
    points = rows[["value", "target_line", "projection_line"]]
    rows["domain_max"] = points.max(axis=1) * 1.08
    shares = (rows["unit"] == "%") & (rows["kind"] != "annual_estimate")  # a growth rate is not a share
    rows.loc[shares, "domain_max"] = rows.loc[shares, "domain_max"].clip(lower=100)
    rows["domain_min"] = 0.0
    rows["caption"] = rows["title"] + " – " + rows["symbol"] + " " + rows["status"].map(STATUS_LABELS)
    tooltip = _value_tooltips()
    x = alt.X("value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=5, format=",.4~f"))
    base = alt.Chart()
    layers = alt.layer(
        base.mark_point(opacity=0).encode(x=alt.X("domain_max:Q", scale=alt.Scale(zero=False))),  # stretches each scale
        base.mark_point(opacity=0).encode(x=alt.X("domain_min:Q", scale=alt.Scale(zero=False))),
        base.mark_bar(height=14).encode(x=x, x2="domain_min:Q", color=_status_color(), tooltip=tooltip),
        base.mark_tick(color="black", thickness=3, size=26).encode(x="target_line:Q", tooltip=tooltip),
        base.mark_point(shape="diamond", filled=True, size=90, color="#333333").encode(x="projection_line:Q", tooltip=tooltip),
    ).properties(width=460, height=30)
    chart = layers.facet(
        row=alt.Row("caption:N", title=None, sort=alt.SortField("indicator"),
                    header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
                                      labelFontSize=12, labelLimit=560)),
        data=rows, spacing=8,
    ).resolve_scale(x="independent").properties(
        title=alt.Title(title, subtitle="Thanh: thực hiện; vạch đen: kế hoạch năm; hình thoi: ước thực hiện cả năm"))
    return _finish(chart)


def trend(progress: pd.DataFrame, indicator: pd.Series | dict, year: int) -> dict[str, Any]:
    """Quarterly values of ``year`` against the same quarters of the year before, with the target line.

    Returns the Vega-Lite spec (a dict). The 36 trend charts of a report share one layout, so
    the layout is built with Altair once (:func:`_trend_template`) and each chart only fills in
    its data, titles and unit: a tenth of the cost of building each through Altair.
    """
    number, unit = int(indicator["number"]), indicator["unit"]
    rows = _rows_of(progress, indicator)
    title = f"({number}) {indicator.get('label') or indicator['name']}"
    points = []
    for period, value, estimate in zip(rows["period"], rows["value"], rows["is_estimate"]):
        p = Period.parse(period)
        if p.year in (year - 1, year):
            points.append({"year_label": f"Năm {p.year}", "quarter": QUARTER_NAMES[p.quarter], "value": float(value),
                           "value_text": fmt_value(value, unit),
                           "kind_text": "ước thực hiện" if pd.notna(estimate) and estimate else "thực hiện"})
    if not points:
        return _empty(f"{title}: chưa có số liệu")
    target = float(indicator["target"])
    if indicator["kind"] == "reduction":
        base = rows.loc[rows["period"] == f"{year - 1}-Q4", "value"]
        target = float(base.iloc[0]) - target if len(base) else float("nan")
    rule = [{"target": target, "text": f"Kế hoạch năm {year}: {fmt_value(target, unit)}"}] if target == target else []
    out = copy.deepcopy(_trend_template(year))
    out["title"] = {"text": title, "subtitle": f"Số liệu các quý năm {year} so với cùng kỳ năm {year - 1}"}
    out["datasets"] = {"trend": points, "target": rule}
    y = out["layer"][0]["encoding"]["y"]
    y["title"] = unit
    y["scale"]["zero"] = bool(unit != "%" and indicator["kind"] == "cumulative")
    return out


def _rows_of(progress: pd.DataFrame, indicator: pd.Series | dict) -> pd.DataFrame:
    """An indicator's values in both years: by ``code`` when the frame has it (numbers change between plans)."""
    code = indicator.get("code") if hasattr(indicator, "get") else None
    if code is not None and "code" in progress.columns:
        return progress[progress["code"] == code]
    return progress[progress["indicator"] == int(indicator["number"])]


@functools.lru_cache(maxsize=4)
def _trend_template(year: int) -> dict[str, Any]:
    import altair as alt

    years = [f"Năm {year - 1}", f"Năm {year}"]
    quarters = list(QUARTER_NAMES.values())
    # colour, dash and shape share one legend (Vega-Lite merges them; Vega-Lite 5, JupyterLab's, warns in the
    # browser's console when some of them have none)
    legend = alt.Legend(orient="bottom")
    enc = dict(
        x=alt.X("quarter:O", sort=quarters, title=None, scale=alt.Scale(domain=quarters), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title="", scale=alt.Scale(zero=False)),
        color=alt.Color("year_label:N", title=None, scale=alt.Scale(domain=years, range=["#999999", "#0072B2"]), legend=legend),
        strokeDash=alt.StrokeDash("year_label:N", title=None, scale=alt.Scale(domain=years, range=[[4, 3], [1, 0]]), legend=legend),
        shape=alt.Shape("year_label:N", title=None, scale=alt.Scale(domain=years, range=["square", "circle"]), legend=legend),
        tooltip=[alt.Tooltip("year_label:N", title="Năm"), alt.Tooltip("quarter:N", title="Quý"),
                 alt.Tooltip("value_text:N", title="Giá trị"), alt.Tooltip("kind_text:N", title="Loại số liệu")],
    )
    lines = alt.Chart(alt.Data(name="trend")).mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(**enc)
    target = alt.Chart(alt.Data(name="target"))
    chart = alt.layer(
        lines,
        target.mark_rule(color="#D55E00", strokeDash=[6, 3]).encode(y="target:Q"),
        target.mark_text(align="left", dx=4, dy=-7, color="#D55E00", fontSize=11).encode(y="target:Q", x=alt.value(0), text="text:N"),
    ).properties(width=420, height=200, title="")
    return _finish(chart)


def heatmap(evaluated: pd.DataFrame) -> dict[str, Any]:
    """Indicators × quarters, coloured by status and marked with its symbol."""
    import altair as alt

    rows = _with_status(evaluated)
    rows["title"] = "(" + rows["indicator"].astype(str) + ") " + rows["label"]
    rows["axis_label"] = rows["title"].map(lambda s: "|".join(textwrap.wrap(s, 46)))  # wrapped, never cut off
    rows["quarter_label"] = rows["period"].map(_quarter_axis_label)
    rows["value_text"] = [fmt_value(v, u) if v == v else "—" for v, u in zip(rows["value"], rows["unit"])]
    rows["text_color"] = rows["status"].map(TEXT_ON)
    order = rows.sort_values("indicator")["axis_label"].unique().tolist()
    quarters = [_quarter_axis_label(p) for p in sorted(rows["period"].unique(), key=Period.parse)]
    base = alt.Chart(rows).encode(
        x=alt.X("quarter_label:O", sort=quarters, title=None, axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=12)),
        y=alt.Y("axis_label:N", sort=order, title=None,
                axis=alt.Axis(labelExpr="split(datum.value, '|')", labelLimit=0, labelFontSize=11, labelLineHeight=12)),
    )
    tooltip = [alt.Tooltip("title:N", title="Chỉ tiêu"), alt.Tooltip("quarter_label:N", title="Kỳ"),
               alt.Tooltip("value_text:N", title="Giá trị"), alt.Tooltip("legend:N", title="Đánh giá")]
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(color=_status_color(), tooltip=tooltip)
    text = base.mark_text(fontSize=12).encode(  # the symbol at a cell's centre, where the pointer goes, has its tooltip
        text="symbol:N", color=alt.Color("text_color:N", scale=None, legend=None), tooltip=tooltip)
    year = Period.parse(rows["period"].iloc[0]).year
    chart = alt.layer(rect, text).resolve_scale(color="independent").properties(width=alt.Step(70), height=alt.Step(27),
                                             title=f"Đánh giá từng chỉ tiêu theo quý, năm {year}")
    return _finish(chart)


def province_heatmap(matrix: pd.DataFrame, title: str = "Đánh giá các chỉ tiêu chung theo từng xã, phường") -> dict[str, Any]:
    """Communes × shared indicators, coloured by status and marked with its symbol.

    ``matrix`` is :func:`kehoach.analysis.province.status_matrix`: ward_name, label, code_order,
    status, value, unit.
    """
    import altair as alt

    rows = _with_status(matrix)
    rows["value_text"] = [fmt_value(v, u) if v == v else "—" for v, u in zip(rows["value"], rows["unit"])]
    rows["text_color"] = rows["status"].map(TEXT_ON)
    columns = rows.sort_values("code_order")["label"].unique().tolist()
    communes = sorted(rows["ward_name"].unique().tolist())
    base = alt.Chart(rows).encode(
        x=alt.X("label:N", sort=columns, title=None, axis=alt.Axis(orient="top", labelAngle=-50, labelLimit=170)),
        y=alt.Y("ward_name:N", sort=communes, title=None, axis=alt.Axis(labelLimit=200)),
    )
    tooltip = [alt.Tooltip("ward_name:N", title="Xã, phường"), alt.Tooltip("label:N", title="Chỉ tiêu"),
               alt.Tooltip("value_text:N", title="Giá trị"), alt.Tooltip("legend:N", title="Đánh giá")]
    rect = base.mark_rect(stroke="white", strokeWidth=0.5).encode(color=_status_color(), tooltip=tooltip)
    text = base.mark_text(fontSize=9).encode(  # the symbol has the cell's tooltip (it lies over the cell's centre)
        text="symbol:N", color=alt.Color("text_color:N", scale=None, legend=None), tooltip=tooltip)
    chart = alt.layer(rect, text).resolve_scale(color="independent").properties(  # the symbols' colours have no legend
        width=alt.Step(22), height=alt.Step(13), title=title)
    return _finish(chart)


def province_distribution(frame: pd.DataFrame, codes: list[str]) -> dict[str, Any]:
    """For each shared indicator, every commune's achievement of its own target (%), one tick per commune.

    Indicators with a "below" target (no achievement percentage) are left out; values above
    200% are drawn at 200% (the tooltip keeps the figure).
    """
    import altair as alt

    rows = _with_status(frame[frame["code"].isin(codes) & frame["achievement_pct"].notna()])
    labels = rows.groupby("code")["label"].agg(lambda s: s.mode().iloc[0])
    rows["title"] = rows["code"].map(labels)
    rows["shown"] = rows["achievement_pct"].clip(upper=200)
    rows["value_text"] = [fmt_value(v, u) if v == v else "—" for v, u in zip(rows["value"], rows["unit"])]
    rows["pct_text"] = [fmt_value(v, "%") for v in rows["achievement_pct"]]
    order = [labels[c] for c in codes if c in labels.index]
    if rows.empty:
        return _empty("Chưa có số liệu để so sánh các xã, phường")
    chart = alt.Chart(rows).mark_tick(thickness=2, size=12).encode(
        x=alt.X("shown:Q", title="Đạt so với kế hoạch năm của xã, phường (%)", scale=alt.Scale(domain=[0, 200])),
        y=alt.Y("title:N", sort=order, title=None, axis=alt.Axis(labelLimit=300)),
        color=_status_color(),
        tooltip=[alt.Tooltip("ward_name:N", title="Xã, phường"), alt.Tooltip("title:N", title="Chỉ tiêu"),
                 alt.Tooltip("value_text:N", title="Thực hiện"), alt.Tooltip("pct_text:N", title="Đạt"),
                 alt.Tooltip("legend:N", title="Đánh giá")],
    ).properties(width=460, height=alt.Step(20), title="Mức đạt kế hoạch của từng xã, phường")
    return _finish(chart)


def _quarter_axis_label(period: str) -> str:
    """"Quý III/2026": the Roman numeral keeps its capitals."""
    p = Period.parse(period)
    return f"{QUARTER_NAMES[p.quarter]}/{p.year}"


def _empty(message: str) -> dict[str, Any]:
    import altair as alt

    return _finish(alt.Chart(pd.DataFrame({"t": [message]})).mark_text(fontSize=13, align="left")
                   .encode(text="t:N", x=alt.value(0)).properties(width=400, height=30, title=message))


# -- specs and drawings --------------------------------------------------------------------
def spec(chart: alt.TopLevelMixin | dict[str, Any], validate: bool = False) -> dict[str, Any]:
    """The Vega-Lite spec of ``chart``; with ``validate``, checked against the schema (the tests do)."""
    import altair as alt

    if isinstance(chart, dict):
        if validate:
            (alt.LayerChart if "layer" in chart else alt.Chart).from_dict(chart, validate=True)
        return chart
    return chart.to_dict(validate=validate)


def spec_key(data: dict[str, Any]) -> str:
    """A hash of the spec's content and of the drawing library: the name of its cached drawing."""
    import vl_convert as vlc

    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{vlc.__version__}|{VL_VERSION}|{text}".encode()).hexdigest()


def draw_svg(data: dict[str, Any], cache: Path | None = None) -> str:
    """The static SVG of a spec, from the drawing cache when an identical spec was drawn before.

    ``cache`` defaults to ``reports/.cache/charts`` of the workbench; drawings are written
    atomically, so notebooks running side by side may share it.
    """
    import vl_convert as vlc

    folder = cache or config.chart_cache_dir()
    path = folder / f"{spec_key(data)}.svg"
    if path.exists():
        return path.read_text(encoding="utf-8")
    svg = vlc.vegalite_to_svg(data, vl_version=VL_VERSION, allowed_base_urls=[])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(path, svg)
    except OSError:  # a read-only or full cache only costs a redraw next time
        pass
    return svg


def draw_png(data: dict[str, Any], scale: float = 2.0) -> bytes:
    """A PNG of a spec (for mail and Word), drawn by vl-convert without network."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(data, vl_version=VL_VERSION, scale=scale, allowed_base_urls=[])


def compact_png(png: bytes) -> bytes:
    """The same picture, re-encoded without loss by Pillow's PNG optimizer: about a third of vl-convert's bytes.

    For an image that travels in a message body (the email's status chart), where every kilobyte counts.
    """
    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def title_of(data: dict[str, Any]) -> str:
    """A spec's title text, for alternative text and captions."""
    title = data.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    return str(title)


# -- the explorer's comparison and trend -------------------------------------------------------
VERDICT_COLORS = {"↓ Xấu đi": "#D55E00", "↑ Tốt lên": "#009E73", "= Không đổi": "#777777", "? Chưa đủ số liệu": "#BBBBBB"}


def comparison(rows: pd.DataFrame, before: str, after: str) -> dict[str, Any]:
    """Each indicator's figure in two periods as a share of the year's target: a grey dot, then a coloured one.

    ``rows`` is :func:`kehoach.analysis.comparison.compare`; indicators without both figures are left out
    (the table lists them). The colour (and the word in the label) says whether it got worse or better.
    """
    import altair as alt

    data = rows[rows["value_before"].notna() & rows["value_after"].notna() & (rows["target"] != 0)].copy()
    if data.empty:
        return _empty(f"Chưa có chỉ tiêu nào có số liệu cả {before} và {after}")
    data["title"] = "(" + data["indicator"].astype(str) + ") " + data["label"]
    data["axis_label"] = (data["title"] + " – " + data["verdict_text"]).map(lambda s: "|".join(textwrap.wrap(s, 50)))
    data["before_pct"] = 100 * data["value_before"] / data["target"]
    data["after_pct"] = 100 * data["value_after"] / data["target"]
    data["before_text"] = [fmt_value(v, u) for v, u in zip(data["value_before"], data["unit"])]
    data["after_text"] = [fmt_value(v, u) for v, u in zip(data["value_after"], data["unit"])]
    order = data["axis_label"].tolist()
    y = alt.Y("axis_label:N", sort=order, title=None,
              axis=alt.Axis(labelExpr="split(datum.value, '|')", labelLimit=0, labelFontSize=11, labelLineHeight=12))
    tooltip = [alt.Tooltip("title:N", title="Chỉ tiêu"), alt.Tooltip("before_text:N", title=before),
               alt.Tooltip("after_text:N", title=after), alt.Tooltip("verdict_text:N", title="Nhận xét")]
    x = alt.X("before_pct:Q", title="% so với kế hoạch năm", axis=alt.Axis(format=",.0f"))
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    chart = alt.layer(
        base.mark_rule(color="#999999").encode(x=x, x2="after_pct:Q"),
        base.mark_point(filled=True, size=70, color="#999999").encode(x=x),
        base.mark_point(filled=True, size=110, shape="diamond").encode(
            x="after_pct:Q", color=alt.Color("verdict_text:N", title="Nhận xét",
                                             scale=alt.Scale(domain=list(VERDICT_COLORS), range=list(VERDICT_COLORS.values())),
                                             legend=alt.Legend(orient="bottom"))),
    ).properties(width=420, height=alt.Step(30), title=alt.Title(
        f"So sánh {after} với {before}", subtitle=f"Chấm xám: {before}; hình thoi: {after}; tính theo % kế hoạch năm"))
    return _finish(chart)


def year_trend(rows: pd.DataFrame, year: int) -> dict[str, Any]:
    """Every quarter of the year and the year-end projection of one or more indicators, with the target line.

    ``rows`` are evaluated rows (all periods of the year, one or more indicators): one small chart
    per indicator, each on its own scale. The projection is that of the latest period with a figure.
    """
    import altair as alt

    rows = rows[rows["year"] == year]
    shown = rows[rows["value"].notna()]
    if shown.empty:
        return _empty(f"Chưa có số liệu năm {year}")
    shown = shown.assign(title=lambda f: "(" + f["indicator"].astype(str) + ") " + f["label"] + " (" + f["unit"] + ")")
    points = [{"title": r.title, "indicator": int(r.indicator), "role": "quarter", "x": QUARTER_NAMES[int(r.quarter)],
               "value": float(r.value), "text": fmt_value(r.value, r.unit),
               "what": "ước thực hiện" if r.is_estimate is True else "thực hiện"} for r in shown.itertuples()]
    last = shown.sort_values("quarter").groupby("indicator").tail(1)
    points += [{"title": r.title, "indicator": int(r.indicator), "role": "end", "x": "Ước cả năm", "value": float(r.projection),
                "text": fmt_value(round(r.projection, decimals_of(r.value, r.target)), r.unit), "what": "ước cả năm"}
               for r in last.itertuples() if r.projection == r.projection]
    points += [{"title": r.title, "indicator": int(r.indicator), "role": "target", "x": "Ước cả năm", "value": float(r.target),
                "text": fmt_value(r.target, r.unit), "what": "kế hoạch năm"}
               for r in last.itertuples() if r.kind != "reduction"]
    xs = [*QUARTER_NAMES.values(), "Ước cả năm"]
    tooltip = [alt.Tooltip("title:N", title="Chỉ tiêu"), alt.Tooltip("x:N", title="Kỳ"),
               alt.Tooltip("text:N", title="Giá trị"), alt.Tooltip("what:N", title="Loại")]
    x = alt.X("x:O", sort=xs, scale=alt.Scale(domain=xs), title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False))
    base = alt.Chart()
    many = shown["indicator"].nunique() > 1
    layers = alt.layer(
        base.transform_filter("datum.role == 'quarter'").mark_line(point=alt.OverlayMarkDef(size=50, filled=True), color="#0072B2")
        .encode(x=x, y=y, tooltip=tooltip),
        base.transform_filter("datum.role == 'end'").mark_point(shape="diamond", filled=True, size=100, color="#333333")
        .encode(x=x, y=y, tooltip=tooltip),
        base.transform_filter("datum.role == 'target'").mark_rule(color="#D55E00", strokeDash=[6, 3])
        .encode(y=y, tooltip=tooltip),
    ).properties(width=300 if many else 460, height=150 if many else 220)
    chart = layers.facet(
        facet=alt.Facet("title:N", title=None, sort=alt.SortField("indicator"),
                        header=alt.Header(labelFontSize=12, labelLimit=420, labelAnchor="start")),
        columns=2 if many else 1, data=pd.DataFrame(points),
    ).resolve_scale(y="independent").properties(title=alt.Title(
        f"Diễn biến các quý năm {year}",
        subtitle="Đường xanh: số liệu từng quý; hình thoi: ước cả năm; vạch đỏ đứt: kế hoạch năm"))
    return _finish(chart)
