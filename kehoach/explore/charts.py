"""Interactive charts for the explorer: the report charts, with a click selection, as offline widgets.

The chart specs come from :mod:`kehoach.analysis.charts`. They are shown with Altair's
``JupyterChart`` (an anywidget), offline: its JavaScript (Vega, Vega-Lite, vega-embed) is bundled
by vl-convert from the installed package once per workspace (:mod:`kehoach.explore.script`), so
nothing is fetched at run time, in JupyterLab and in Voilà alike. Unlike a plain Vega-Lite mime bundle,
the widget sends selections back to the kernel, so a click on a group bar or a heatmap cell
sets the explorer's controls.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import altair as alt

from kehoach.explore import script

PICK = "pick"
EMBED_OPTIONS = {"actions": False, "renderer": "svg"}
#: What a screen reader calls each kind of mark (Vega's own words are English).
ROLES = {"bar": "thanh", "rect": "ô", "text": "nhãn", "point": "điểm", "line": "đường", "rule": "vạch", "tick": "vạch",
         "area": "vùng"}


@functools.lru_cache(maxsize=2)
def chart_class(in_page: bool) -> type[alt.JupyterChart]:
    """``JupyterChart`` with the workspace's bundled libraries instead of a CDN's (see :mod:`kehoach.explore.script`)."""
    return type("OfflineChart", (alt.JupyterChart,), {"_esm": script.widget_module(in_page)})


def in_voila() -> bool:
    """True in a kernel that Voilà started (Voilà gives its kernels ``VOILA_BASE_URL``)."""
    return "VOILA_BASE_URL" in os.environ


def with_pick(spec: dict[str, Any], fields: list[str], layer: int = 0) -> dict[str, Any]:
    """``spec`` with a click selection named ``pick`` (over ``fields``, if any) on one of its layers.

    Every chart the shared widget shows carries it: the widget listens to ``pick`` on each chart.
    """
    spec = dict(spec)
    select: dict[str, Any] = {"type": "point", "on": "click", "clear": "dblclick"}
    if fields:
        select["fields"] = fields
    holder = spec if "layer" in spec else dict(spec["spec"]) if "spec" in spec else None
    if holder is None or "layer" not in holder:  # one view (a message such as "chưa có số liệu"): the selection on it
        target = spec if holder is None else holder
        target["params"] = [*target.get("params", []), {"name": PICK, "select": select}]
        if holder is not None:
            spec["spec"] = holder
        return spec
    layers = [dict(x) for x in holder["layer"]]
    layers[layer]["name"] = f"{PICK}_view"
    holder["layer"] = layers
    if holder is not spec:
        spec["spec"] = holder
    spec["params"] = [*spec.get("params", []), {"name": PICK, "views": [f"{PICK}_view"], "select": select}]
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


class SharedChart:
    """The page's one chart widget, showing the chart of the open view.

    anywidget gives a widget 2 s to start: with a chart widget per view, three leaders opening the
    app at once on this machine got "[anywidget] Failed to initialize model" and missing charts, so
    the page has one (and in Voilà the libraries load with the page, not with it). It is given an Altair chart once, a tiny one carrying the click
    selection (its traits), then only specs: giving it each chart as an Altair object would rebuild
    and validate it against the schema on every change (0,4 s for the overview, 1,2 s for the
    heatmap on this shared machine), where the builders have already made the spec valid.
    """

    def __init__(self) -> None:
        self.widget = chart_class(in_voila())(None, embed_options=EMBED_OPTIONS)
        self.widget.add_class("kh-chart")
        pick = alt.selection_point(name=PICK, fields=["pick"], on="click", clear="dblclick")  # fields: a "point" selection
        self.widget.chart = alt.Chart(alt.Data(values=[{}])).mark_point().add_params(pick)
        self.widget.selections.observe(self._picked, names=PICK)
        self.widget.layout.display = "none"
        self.active: ChartView | None = None

    def activate(self, view: "ChartView | None") -> None:
        """Show ``view``'s chart (``None``: no chart on this view)."""
        self.active = view
        self.refresh()

    def refresh(self) -> None:
        spec = self.active.spec if self.active is not None else None
        if spec is None:
            self.widget.layout.display = "none"
            return
        self.widget.spec = spec
        self.widget.layout.display = None

    def _picked(self, change: dict) -> None:
        values = change["new"].value
        if values and self.active is not None and self.active.on_pick is not None:
            self.active.on_pick(dict(values[0]))


class ChartView:
    """The chart of one view, shown by the shared widget while its view is open; with ``fields``, a click on a
    mark calls ``on_pick`` with the clicked values."""

    def __init__(self, shared: SharedChart, on_pick: Callable[[dict[str, Any]], None] | None = None,
                 fields: list[str] | None = None):
        self.shared = shared
        self.widget = shared.widget
        self.on_pick = on_pick
        self.fields = fields
        self.spec: dict[str, Any] | None = None

    def show(self, chart: alt.TopLevelMixin | dict[str, Any] | None) -> None:
        """Set the chart (a spec or an Altair chart), described in Vietnamese, with the click selection; ``None`` clears it."""
        if chart is None:
            self.spec = None
        else:
            spec = vietnamese(chart if isinstance(chart, dict) else chart.to_dict(validate=False))
            self.spec = with_pick(spec, self.fields or [])
        if self.shared.active is self:
            self.shared.refresh()
