"""Chart style and static rendering, without importing Altair.

Kernels that only display pre-rendered figures import this module, not :mod:`kehoach.analysis.charts`,
so they never pay for Altair's import (and jsonschema's eager rfc3987-syntax grammar build).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kehoach.core.labels import STATUS_LABELS, STATUSES

VL_VERSION = "6.4"
FONT = "Times New Roman, Liberation Serif, DejaVu Serif, serif"

#: Okabe–Ito colours, one per status.
PALETTE = {
    "achieved": "#009E73", "on_track": "#56B4E9", "behind": "#E69F00", "at_risk": "#D55E00",
    "regressing": "#CC79A7", "missed": "#000000", "no_data": "#999999", "not_due": "#E0E0E0",
}
#: A symbol per status, shown next to the colour.
SYMBOLS = {
    "achieved": "✓", "on_track": "↗", "behind": "→", "at_risk": "!", "regressing": "↓",
    "missed": "✗", "no_data": "?", "not_due": "·",
}
TEXT_ON = {s: ("white" if s in ("achieved", "at_risk", "missed", "regressing") else "black") for s in STATUSES}
LEGEND_LABELS = [f"{SYMBOLS[s]} {STATUS_LABELS[s]}" for s in STATUSES]
LOCALE = {"number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " đ"]}}


def to_svg(spec: dict) -> str:
    """Static SVG via vl-convert (no browser, no network)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec, vl_version=VL_VERSION, allowed_base_urls=[])


def to_png(spec: dict, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, vl_version=VL_VERSION, scale=scale, allowed_base_urls=[])


class Figure:
    """A chart for notebooks: interactive Vega-Lite in JupyterLab, static SVG in exported HTML."""

    def __init__(self, spec: dict, svg: str | None = None, title: str = ""):
        self.spec = spec
        self._svg = svg
        self.title = title or _title_of(spec)

    @property
    def svg(self) -> str:
        if self._svg is None:
            self._svg = to_svg(self.spec)
        return self._svg

    def render(self, cache: Path | None = None) -> str:
        """Draw the SVG now; with ``cache``, reuse a drawing of the identical spec from an earlier run."""
        if self._svg is None and cache is not None:
            import hashlib
            import json

            import vl_convert as vlc

            text = json.dumps(self.spec, sort_keys=True, ensure_ascii=False)
            key = hashlib.sha256(f"{vlc.__version__}|{VL_VERSION}|{text}".encode()).hexdigest()
            path = cache / f"{key}.svg"
            if path.exists():
                self._svg = path.read_text(encoding="utf-8")
            else:
                from kehoach.core.files import atomic_write

                cache.mkdir(parents=True, exist_ok=True)
                atomic_write(path, self.svg)
        return self.svg

    def png(self, scale: float = 2.0) -> bytes:
        return to_png(self.spec, scale)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            f"application/vnd.vegalite.v{VL_VERSION.split('.')[0]}+json": self.spec,
            "image/svg+xml": self.svg,
            "text/plain": f"Biểu đồ: {self.title}",
        }


def _title_of(data: dict) -> str:
    title = data.get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    return str(title)


def main(argv: list[str] | None = None) -> int:
    """``python -m kehoach.analysis.render CONTEXT [cache=DIR] KIND=OUT ...``: render the figures of each report kind.

    Used by :mod:`kehoach.delivery.batch` to draw the charts in a separate process while the kernels run.
    Reads a saved report context and writes, for each ``KIND=OUT`` in order, the context with
    that kind's figures rendered to ``OUT`` (atomically). ``cache=DIR`` reuses drawings of
    unchanged charts from an earlier run of the same period.
    """
    import pickle
    import sys
    from pathlib import Path

    from kehoach.core.startup import skip_rfc3987_grammar

    skip_rfc3987_grammar()
    args = sys.argv[1:] if argv is None else argv
    ctx = pickle.loads(Path(args[0]).read_bytes())
    cache = None
    for item in args[1:]:
        kind, _, out = item.partition("=")
        if kind == "cache":
            cache = Path(out)
        else:
            ctx.prepare(Path(out), [kind], cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
