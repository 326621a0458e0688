"""The chart widget's JavaScript: Vega, Vega-Lite and vega-embed, bundled once per workspace, loaded once per page.

Altair's ``JupyterChart`` imports vega-embed from a CDN; its offline mode has vl-convert bundle
the libraries from the installed package instead. ``JupyterChart.enable_offline()`` does that in
every kernel: 6 s and about 110 MB per kernel here, for the same 900 KB each time. And the
widget carries those 900 KB as its module, which the browser compiles while anywidget gives a
widget 2 s to start: with three leaders opening the app at once on a loaded machine, one got
"[anywidget] Failed to initialize model" and a chart that no longer followed the controls.

So the libraries are bundled once, into ``reports/.cache/explore/`` (a file named after the
vl-convert and Vega-Lite versions, made by one process at a time and written atomically, so
concurrent kernels neither make it twice nor read half of it), and:

* in Voilà the page loads that file as a module while the kernel is still starting (the
  ``kehoach`` template's ``<script type="module">``, served by Voilà from ``JUPYTER_PATH``); the
  widget's own module is a few lines that take the libraries from the page (:func:`widget_module`);
* in JupyterLab, which has no such page, the widget's module is the bundle followed by those lines.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kehoach.core import config
from kehoach.core.files import atomic_write

log = logging.getLogger(__name__)

#: What the bundle does in the page: hand the libraries to the widget's module, and say so.
LIBRARY = ('window.kehoachVega = { vegaEmbed, lodashDebounce };\n'
           'window.dispatchEvent(new Event("kehoach-vega"));\n')
#: The widget module's first lines: the libraries from the page, once the bundle has run.
TAKE = ('const { vegaEmbed, lodashDebounce } = window.kehoachVega\n'
        '  ?? await new Promise((ready) => window.addEventListener("kehoach-vega", () => ready(window.kehoachVega), '
        '{ once: true }));\n')
#: Under JUPYTER_PATH, where Voilà serves the ``kehoach`` template's static files from (``/voila/static/``).
STATIC = Path("voila") / "templates" / "kehoach" / "static"


def served_from(bundle: Path) -> Path:
    """The folder to put on Voilà's ``JUPYTER_PATH`` so that it serves ``bundle``."""
    return bundle.parents[len(STATIC.parts)]


def bundle_name() -> str:
    """``vega-<vl-convert version>-<Vega-Lite version>.js``: a new version is a new file (no stale browser cache)."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return f"vega-{vl_convert.__version__}-{vl_version_for_vl_convert()}.js"


def ensure_bundle() -> Path:
    """The workspace's bundle of the chart libraries, made on first use (about 6 s)."""
    path = config.reports_dir() / ".cache" / "explore" / STATIC / bundle_name()
    if path.exists():
        return path
    import filelock
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    path.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(path.parent / ".bundle.lock"):  # kernels starting together make it once
        if not path.exists():
            log.info("bundling the chart libraries into %s", path)
            atomic_write(path, vl_convert.javascript_bundle(LIBRARY, vl_version=vl_version_for_vl_convert()))
    return path


def chart_source() -> str:
    """Altair's widget module without its two CDN imports (the lines ``enable_offline`` also drops)."""
    from altair.jupyter.jupyter_chart import load_js_src

    lines = load_js_src().split("\n")
    while lines and (not lines[0].strip() or lines[0].startswith(("import", "//"))):
        lines.pop(0)
    return "\n".join(lines)


def widget_module(in_page: bool) -> str:
    """The chart widget's module: with ``in_page`` (Voilà), the libraries come from the page; else it carries them.

    The bundle goes in a block of its own, so its top-level names never meet the widget's.
    """
    own = TAKE + chart_source()
    if in_page:
        return own
    return "{\n" + ensure_bundle().read_text(encoding="utf-8") + "\n}\n" + own
