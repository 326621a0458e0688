"""Export an executed notebook to a self-contained HTML report with nbconvert.

The template (``kehoach/templates/kehoach_report``) shows outputs only: no code, no
require.js, MathJax or Mermaid, no stylesheet or font from outside. Charts arrive as inline
SVG. :func:`check_self_contained` refuses a page that would load anything from outside.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import nbformat

from kehoach.core.errors import KehoachError
from kehoach.core.files import atomic_write

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "kehoach_report"
_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_EXTERNAL = re.compile(r'(?:src|href)\s*=\s*["\']\s*(?:https?:|//|ftp:)', re.I)
_SCRIPT = re.compile(r"<script\b", re.I)


def _strip_svg_prolog(svg: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", svg)


def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.register_filter("strip_svg_prolog", _strip_svg_prolog)
    return exporter


def add_toc(page: str) -> str:
    """Fill the table-of-contents marker with links to the page's h2/h3 headings."""
    items = [f'<li class="level-{lvl}"><a href="#{anchor}">{text}</a></li>'
             for lvl, anchor, text in _HEADING.findall(page)]
    return page.replace("<!--kehoach:toc-->", f"<ol>{''.join(items)}</ol>", 1)


def check_self_contained(page: str, name: str = "report") -> None:
    """Raise if the page has a script or loads anything from another host."""
    if _SCRIPT.search(page):
        raise KehoachError(f"{name}: the exported page contains a <script>; reports must work without JavaScript.")
    match = _EXTERNAL.search(page)
    if match:
        raise KehoachError(f"{name}: the exported page loads an external resource ({page[match.start():match.start() + 80]!r}).")


def render_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """The HTML page of an executed notebook."""
    from kehoach import __version__

    resources = {"kehoach": {
        "title": title, "version": __version__, "css": (TEMPLATES / TEMPLATE / "report.css").read_text(encoding="utf-8"),
        "generated": dt.datetime.now().astimezone().strftime("%d/%m/%Y %H:%M"),
    }}
    body, _ = _exporter().from_notebook_node(notebook, resources=resources)
    page = add_toc(body)
    check_self_contained(page, title)
    return page


def export_html(notebook_path: Path, html_path: Path, title: str) -> Path:
    """Export ``notebook_path`` to ``html_path``, written atomically."""
    return atomic_write(html_path, render_html(nbformat.read(notebook_path, as_version=4), title))
