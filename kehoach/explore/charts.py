"""Interactive charts for the explorer: the report charts, with a click selection, as offline widgets.

The chart specs come from :mod:`kehoach.analysis.charts`. They are shown with Altair's
``JupyterChart`` (an anywidget) in offline mode: its JavaScript (Vega, Vega-Lite, vega-embed
and the tooltip handler) is bundled by vl-convert from the installed package, so nothing is
fetched at run time, in JupyterLab and in Voilà alike. Unlike a plain Vega-Lite mime bundle,
the widget sends selections back to the kernel, so a click on a group bar or a heatmap cell
sets the explorer's controls.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from kehoach.core.startup import skip_rfc3987_grammar

skip_rfc3987_grammar()

import altair as alt  # noqa: E402

PICK = "pick"
EMBED_OPTIONS = {"actions": False, "renderer": "svg"}
#: What a screen reader calls each kind of mark (Vega's own words are English).
ROLES = {"bar": "thanh", "rect": "ô", "text": "nhãn", "point": "điểm", "line": "đường", "rule": "vạch", "tick": "vạch",
         "area": "vùng"}


@functools.lru_cache(maxsize=1)
def offline() -> None:
    """Load JupyterChart's JavaScript from vl-convert instead of a CDN (once per process)."""
    alt.JupyterChart.enable_offline()


def with_pick(spec: dict[str, Any], fields: list[str], layer: int = 0) -> dict[str, Any]:
    """``spec`` with a click selection named ``pick`` over ``fields`` on one of its layers."""
    spec = dict(spec)
    layers = [dict(x) for x in spec["layer"]]
    layers[layer]["name"] = f"{PICK}_view"
    spec["layer"] = layers
    spec["params"] = [*spec.get("params", []), {
        "name": PICK, "views": [f"{PICK}_view"],
        "select": {"type": "point", "fields": fields, "on": "click", "clear": "dblclick"}}]
    return spec


def as_chart(spec: dict[str, Any]) -> alt.TopLevelMixin:
    """An Altair chart object for a Vega-Lite spec dict (already validated by its builder)."""
    kind = alt.LayerChart if "layer" in spec else alt.FacetChart if "facet" in spec else alt.Chart
    return kind.from_dict(spec, validate=False)


def vietnamese(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` described in Vietnamese for screen readers: the chart's title as its description, each mark's role
    in Vietnamese, and no English axis or legend descriptions (their labels are read as text)."""
    out = _with_roles(spec)
    title = out.get("title", "")
    out["description"] = title.get("text", "") if isinstance(title, dict) else str(title)
    config = dict(out.get("config", {}))
    config["axis"] = {**config.get("axis", {}), "aria": False}
    config["legend"] = {**config.get("legend", {}), "aria": False}
    out["config"] = config
    return out


def _with_roles(node: Any) -> Any:
    if isinstance(node, list):
        return [_with_roles(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: (_with_roles(v) if k in ("layer", "spec", "hconcat", "vconcat", "concat") else v) for k, v in node.items()}
    mark = out.get("mark")
    if mark is not None:
        mark = {"type": mark} if isinstance(mark, str) else dict(mark)
        mark["ariaRoleDescription"] = ROLES.get(mark["type"], "hình")
        out["mark"] = mark
    return out


class ChartView:
    """One chart widget that is re-pointed at new specs; with ``fields``, a click calls ``on_pick`` with the clicked values.

    The widget is given an Altair chart once, a tiny one carrying the click selection, so that it
    sets up its selection traits; every chart shown after is sent as a spec. Giving it each chart
    as an Altair object would rebuild and validate it against the schema on every change (0,4 s
    for the overview, 1,2 s for the heatmap on this shared machine), where the builders have
    already made the spec valid.
    """

    def __init__(self, on_pick: Callable[[dict[str, Any]], None] | None = None, fields: list[str] | None = None):
        offline()
        self.widget = alt.JupyterChart(None, embed_options=EMBED_OPTIONS)
        self.widget.add_class("kh-chart")
        self.on_pick = on_pick
        self.fields = fields
        self.spec: dict[str, Any] | None = None
        skeleton = alt.Chart(alt.Data(values=[{}])).mark_point()
        if fields:
            skeleton = skeleton.add_params(alt.selection_point(name=PICK, fields=fields, on="click", clear="dblclick"))
        self.widget.chart = skeleton  # sets up the widget's selection and parameter traits, as for any chart
        if fields:
            self.widget.selections.observe(self._picked, names=PICK)
        self.widget.layout.display = "none"

    def show(self, chart: alt.TopLevelMixin | dict[str, Any] | None) -> None:
        """Display ``chart`` (a spec or an Altair chart), described in Vietnamese; ``None`` clears and hides the widget."""
        if chart is None:
            self.spec = None
            self.widget.layout.display = "none"
            return
        spec = vietnamese(chart if isinstance(chart, dict) else chart.to_dict(validate=False))
        if self.fields:
            spec = with_pick(spec, self.fields)
        self.spec = spec
        self.widget.spec = spec
        self.widget.layout.display = None

    def _picked(self, change: dict) -> None:
        values = change["new"].value
        if values and self.on_pick is not None:
            self.on_pick(dict(values[0]))
