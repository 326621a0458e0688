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

import altair as alt

PICK = "pick"
EMBED_OPTIONS = {"actions": False, "renderer": "svg"}


@functools.lru_cache(maxsize=1)
def offline() -> None:
    """Load JupyterChart's JavaScript from vl-convert instead of a CDN (once per process)."""
    alt.JupyterChart.enable_offline()


def with_pick(chart: alt.TopLevelMixin | dict[str, Any], fields: list[str], layer: int = 0) -> alt.TopLevelMixin:
    """``chart`` with a click selection named ``pick`` over ``fields`` on one of its layers."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    spec = dict(spec)
    layers = [dict(x) for x in spec["layer"]]
    layers[layer]["name"] = f"{PICK}_view"
    spec["layer"] = layers
    spec["params"] = [*spec.get("params", []), {
        "name": PICK, "views": [f"{PICK}_view"],
        "select": {"type": "point", "fields": fields, "on": "click", "clear": "dblclick"}}]
    return alt.LayerChart.from_dict(spec, validate=False)


def as_chart(spec: dict[str, Any]) -> alt.TopLevelMixin:
    """An Altair chart object for a Vega-Lite spec dict (already validated by its builder)."""
    return alt.LayerChart.from_dict(spec, validate=False) if "layer" in spec else alt.Chart.from_dict(spec, validate=False)


class ChartView:
    """One chart widget that is re-pointed at new charts; calls ``on_pick`` with the clicked values."""

    def __init__(self, on_pick: Callable[[dict[str, Any]], None] | None = None):
        offline()
        self.widget = alt.JupyterChart(None, embed_options=EMBED_OPTIONS)
        self.widget.add_class("kh-chart")
        self.on_pick = on_pick
        self.spec: dict[str, Any] | None = None

    def show(self, chart: alt.TopLevelMixin | None) -> None:
        """Display ``chart``; ``None`` clears and hides the widget."""
        self.widget.chart = chart
        self.spec = self.widget.spec
        self.widget.layout.display = "none" if chart is None else None
        if chart is not None and self.on_pick is not None and PICK in self.widget.selections.trait_names():
            self.widget.selections.observe(self._picked, names=PICK)

    def _picked(self, change: dict) -> None:
        values = change["new"].value
        if values and self.on_pick is not None:
            self.on_pick(dict(values[0]))
