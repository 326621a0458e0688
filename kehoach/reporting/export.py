"""Export an executed notebook to a self-contained HTML report with nbconvert.

The template (``templates/kehoach_report``) shows outputs only: no code, no require.js,
MathJax or Mermaid, no stylesheet or font from outside. A report section spans several outputs
in the notebook (its text, and each chart on its own for JupyterLab's renderer);
:func:`whole_sections` puts each back into one, the section's HTML with its charts' drawings
inline as SVG, before the template runs.
:func:`check_self_contained` parses the page and refuses one that would run a script or load
anything from outside, judging the attributes of the DOM (src, href, srcset, style url()),
never the text, so a unit's note that *mentions* a link cannot knock a report out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from kehoach.core.errors import KehoachError
from kehoach.reporting.blocks import sections_in

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "kehoach_report"
_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_URL_ATTRS = {"src", "href", "xlink:href", "srcset", "data", "action", "formaction", "poster", "background"}
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]+)", re.I)
_CSS_IMPORT = re.compile(r"@import", re.I)
_FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "applet", "base", "frame"}


def _external(url: str) -> bool:
    """A reference that leaves the page: any scheme other than data: and fragment links."""
    url = url.strip().lower()
    return not (url.startswith("#") or url.startswith("data:") or url == "" or
                (":" not in url.split("/")[0] and not url.startswith("//")))


class _Auditor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "link" and any(k == "href" for k, _ in attrs):
            self.problems.append("<link href>")
        self._in_style = tag == "style"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            elif name in _URL_ATTRS and any(_external(u.split()[0]) for u in value.split(",") if u.strip()):
                self.problems.append(f"{tag}[{name}={value[:60]!r}]")
            elif name == "style":
                self._css(value, tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "style")

    def _css(self, css: str, where: str) -> None:
        if _CSS_IMPORT.search(css):
            self.problems.append(f"{where}: @import")
        self.problems.extend(f"{where}: url({u[:60]})" for u in _CSS_URL.findall(css) if _external(u))


def check_self_contained(page: str, name: str = "report") -> None:
    """Raise if the page would run a script or load anything from outside (judged on the parsed DOM)."""
    auditor = _Auditor()
    auditor.feed(page)
    auditor.close()
    if auditor.problems:
        raise KehoachError(f"{name}: trang xuất ra có nội dung chạy mã hoặc tải tài nguyên bên ngoài "
                           f"({'; '.join(auditor.problems[:3])}). Báo cáo phải đọc được khi không có mạng.")


def whole_sections(nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
    """Each report section's outputs as one output: the section's HTML, its charts drawn inline (what the page shows).

    An nbconvert preprocessor (a function of the notebook and resources); nbconvert hands it a copy of the notebook.
    """
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        try:
            spans = sections_in(cell.outputs)
        except (KeyError, TypeError, ValueError) as exc:
            raise KehoachError(f"Ô thứ {index} của sổ tay báo cáo: không đọc được nội dung để xuất trang báo cáo "
                               f"({exc}). Chạy lại kỳ báo cáo bằng kehoach run.") from None
        for start, stop, section in reversed(spans):
            cell.outputs[start:stop] = [nbformat.v4.new_output("display_data", data={
                "text/html": section.html(), "text/plain": f"<Phần báo cáo: {section.name}>"})]
    return nb, resources


def _strip_svg_prolog(svg: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", svg)


def _exporter():
    """nbconvert's TemplateExporter with the report template, which writes the whole page itself.

    Not the HTMLExporter: after rendering, it parses the whole page with BeautifulSoup to add
    accessibility attributes to JupyterLab's classes (which this template does not use) and writes
    it out again, which was three quarters of the export's time (1,95 s against 0,39 s for the overview).
    """
    from nbconvert import TemplateExporter

    exporter = TemplateExporter(template_name=TEMPLATE, template_file="index.html.j2", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.register_filter("strip_svg_prolog", _strip_svg_prolog)
    exporter.register_preprocessor(whole_sections)
    return exporter


def render_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """The HTML page of an executed notebook (the version in a meta tag: nothing about the software is printed).

    The page is not checked here: a run checks every page on the client, with
    :func:`check_self_contained`, before anything is published (``reportset.verify``).
    """
    from kehoach import __version__

    resources = {"kehoach": {
        "title": title, "version": __version__, "css": (TEMPLATES / TEMPLATE / "report.css").read_text(encoding="utf-8"),
    }}
    page, _ = _exporter().from_notebook_node(notebook, resources=resources)
    return page
