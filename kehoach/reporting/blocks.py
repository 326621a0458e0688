"""The building blocks of a report section, and their HTML.

A section function (:mod:`kehoach.reporting.sections`) returns a :class:`Section`: a list of
blocks (headings, paragraphs, lists, tables, charts, the document header and the signature
block). Its HTML is rendered by the Jinja2 templates in ``templates/sections`` with autoescape
on, so text from data can never become markup.

Displayed in a notebook, a section is a run of outputs (:meth:`Section.outputs`), so that
JupyterLab draws its charts with its own Vega-Lite renderer (tooltips, offline) while the
report page and the Word draft get exactly what they had:

* its text, between charts, as HTML (``text/html``);
* each chart as one output of its own: the spec (``application/vnd.vegalite.v5+json``, the
  newest Vega-Lite mime type JupyterLab renders, which it prefers to ``image/svg+xml``; inside
  the HTML output, ``text/html`` would win and the chart stay a picture) and the static drawing
  (``image/svg+xml``), which the exported page shows, since reports run no JavaScript. Each chart
  is stored once: its spec and its drawing;
* on the first output, the blocks as JSON (:data:`SECTION_MIME`), charts without their spec, and
  the number of outputs the section spans. :func:`sections_in` reads a section back from those
  outputs (the Word draft, :mod:`kehoach.reporting.word`; the HTML export, which shows each section
  as one piece, :mod:`kehoach.reporting.export`): one text, two documents.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from kehoach.core.formatting import strip_controls
from kehoach.core.labels import ILLUSTRATIVE_EXPORT_BANNER

SECTION_MIME = "application/vnd.kehoach.section+json"
#: The Vega-Lite mime type of JupyterLab 4's built-in renderer (Vega-Lite 5), and the schema a spec declares there:
#: vega-embed warns in the console when a spec's ``$schema`` names a version it does not bundle (the specs are
#: written by Altair 6 for Vega-Lite 6 and use nothing that Vega-Lite 5 lacks; tests/test_lab_charts.py checks it).
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: vega-embed in JupyterLab: drawn as SVG (sharp at any zoom, each mark described for screen readers), and a menu
#: that saves the chart as SVG or PNG, without the link to the online editor.
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}
TEMPLATES = Path(__file__).resolve().parent / "templates"


def anchor(text: str) -> str:
    """An ASCII id for a heading: "I. Kết quả thực hiện" → "i-ket-qua-thuc-hien"."""
    folded = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


@dataclass
class Heading:
    text: str
    level: int = 2
    kind: str = "heading"

    @property
    def id(self) -> str:
        return anchor(self.text)


@dataclass
class Paragraph:
    text: str
    css: str = ""
    kind: str = "paragraph"


@dataclass
class Bullets:
    items: list[str]
    css: str = ""
    kind: str = "bullets"


#: The styles of a run in :class:`Entries`: generated text, a unit's own words, a placeholder for missing words.
PLAIN, WORDS, PLACEHOLDER = "", "words", "placeholder"


@dataclass
class Entries:
    """Paragraphs or list items made of runs ``[style, text]``: generated text, a unit's words printed as
    written, and bracketed placeholders where words are missing (highlighted in HTML and in Word)."""

    items: list[list[list[str]]]
    bulleted: bool = True
    css: str = ""
    kind: str = "entries"


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    numeric: list[int] = field(default_factory=list)
    css: str = "data"
    caption: str = ""
    emphasis: list[int] = field(default_factory=list)   # rows shown in bold (a group's name in the phụ lục)
    kind: str = "table"


@dataclass
class Chart:
    """A chart: its Vega-Lite spec and its static drawing (SVG).

    In an executed notebook the chart is an output of its own: the spec once (which JupyterLab
    draws, with tooltips) and the drawing once (which the exported page and the Word draft use).
    """

    spec: dict[str, Any]
    svg: str = ""
    title: str = ""
    kind: str = "chart"


@dataclass
class DocumentHeader:
    """The header of an administrative document (Nghị định 30/2020, Phụ lục I)."""

    issuer_parent: str          # e.g. "ỦY BAN NHÂN DÂN"
    issuer: str                 # e.g. "PHƯỜNG PHAN ĐÌNH PHÙNG"
    number: str                 # "Số: …/BC-UBND"
    place_date: str             # "Phường Phan Đình Phùng, ngày … tháng … năm 2026"
    doc_type: str               # "BÁO CÁO" (empty for a letter, whose subject is the "V/v" line)
    title: str
    subject: str = ""           # "V/v …" for a letter (công văn)
    addressee: str = ""         # "Kính gửi: …" for a letter
    basis: str = ""
    cutoff: str = ""
    banner: str = ""
    kind: str = "header"


@dataclass
class Closing:
    """Nơi nhận and the signature block."""

    recipients: list[str]
    signer_authority: str       # "TM. ỦY BAN NHÂN DÂN"
    signer_title: str           # "CHỦ TỊCH"
    signer_name: str = ""
    lead: str = ""              # the last paragraph of the body ("Trên đây là …"), kept on the signature's page
    kind: str = "closing"


Block = Heading | Paragraph | Bullets | Entries | Table | Chart | DocumentHeader | Closing
_KINDS = {cls.__dataclass_fields__["kind"].default: cls
          for cls in (Heading, Paragraph, Bullets, Entries, Table, Chart, DocumentHeader, Closing)}


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates, with HTML autoescape on."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined, finalize=_no_controls)
    env.globals["page_mark"] = ILLUSTRATIVE_EXPORT_BANNER  # printed at the foot of every page of illustrative data
    return env


def _no_controls(value: Any) -> Any:
    """Every value a template prints, without control characters (ESC, NUL, bidi overrides) from data.

    Markup (an SVG chart, an already escaped fragment) stays markup: only its controls go.
    """
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(strip_controls(str(value))[0])
    return strip_controls(value)[0] if isinstance(value, str) else value


def render(template: str, **context: Any) -> str:
    """Render one of the package's templates (``sections/section.html.j2``, ``index.html.j2`` …)."""
    return environment().get_template(template).render(**context)


@dataclass
class Section:
    """One part of a report, as blocks; shows in a notebook as its text (HTML) and its charts (Vega-Lite)."""

    name: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block | None) -> "Section":
        self.blocks.extend(b for b in blocks if b is not None)
        return self

    def html(self) -> str:
        """The whole section as one piece of HTML, charts drawn inline (the report page)."""
        return render("sections/section.html.j2", section=self)

    def to_json(self) -> dict[str, Any]:
        """The blocks as JSON; a chart by its title only (its spec and drawing are its own output)."""
        return {"name": self.name, "blocks": [_json_of(b) for b in self.blocks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Section":
        """The section of :meth:`to_json`; its charts without spec or drawing (see :func:`sections_in`)."""
        return cls(data["name"], [Chart(spec={}, title=b["title"]) if b["kind"] == "chart" else _KINDS[b["kind"]](**b)
                                  for b in data["blocks"]])

    def outputs(self) -> list[dict[str, Any]]:
        """The section as display outputs (``data``, ``metadata``), in order: text runs as HTML, each chart on its own.

        The first carries the blocks (:data:`SECTION_MIME`) and how many outputs the section spans.
        """
        outputs: list[dict[str, Any]] = []
        text: list[Block] = []
        for block in self.blocks:
            if isinstance(block, Chart):
                if text:
                    outputs.append(self._text_output(text))
                    text = []
                outputs.append(_chart_output(block))
            else:
                text.append(block)
        if text or not outputs:
            outputs.append(self._text_output(text))
        outputs[0]["data"][SECTION_MIME] = {**self.to_json(), "outputs": len(outputs)}
        return outputs

    def _text_output(self, blocks: list[Block]) -> dict[str, Any]:
        html = render("sections/section.html.j2", section=Section(self.name, blocks))
        return {"data": {"text/html": html, "text/plain": f"<Phần báo cáo: {self.name}>"}, "metadata": {}}

    def _ipython_display_(self) -> None:
        # IPython's hook for an object shown as several outputs; JSON-able data only (nbclient stores it as is)
        from IPython.display import display

        for output in self.outputs():
            display(output["data"], metadata=output["metadata"], raw=True)

    def text(self) -> str:
        """The section's words, for tests and plain-text uses."""
        return "\n".join(_block_text(b) for b in self.blocks)


def _chart_output(chart: Chart) -> dict[str, Any]:
    return {"data": {VEGALITE_MIME: {**chart.spec, "$schema": VEGALITE_SCHEMA}, "image/svg+xml": chart.svg,
                     "text/plain": chart.title},
            "metadata": {VEGALITE_MIME: {"embed_options": EMBED_OPTIONS}}}


def sections_in(outputs: list[dict[str, Any]]) -> list[tuple[int, int, Section]]:
    """The sections in one cell's outputs, each with the range of outputs it spans (``start``, ``stop``).

    A section's charts take their spec and drawing from its chart outputs, in order. Raises
    ``ValueError`` (or ``KeyError``, ``TypeError``) for outputs that are not what :meth:`Section.outputs` wrote.
    """
    found = []
    for start, output in enumerate(outputs):
        data = output.get("data", {})
        if SECTION_MIME not in data:
            continue
        head = _json(data[SECTION_MIME])
        stop = start + int(head.get("outputs", 1))
        section = Section.from_json(head)
        drawn = [o["data"] for o in outputs[start:stop] if VEGALITE_MIME in o.get("data", {})]
        places = [b for b in section.blocks if isinstance(b, Chart)]
        if stop > len(outputs) or len(drawn) != len(places):
            raise ValueError(f"phần “{section.name}” có {len(places)} biểu đồ nhưng {len(drawn)} kết quả biểu đồ")
        for block, chart in zip(places, drawn):
            block.spec, block.svg = _json(chart[VEGALITE_MIME]), _text(chart["image/svg+xml"])
        found.append((start, stop, section))
    return found


def _json(data: str | dict[str, Any]) -> dict[str, Any]:
    """A JSON mime value as a dict (a notebook may keep one as text)."""
    return json.loads(data) if isinstance(data, str) else data


def _text(data: str | list[str]) -> str:
    """A text mime value (a notebook file may keep one as a list of lines)."""
    return "".join(data) if isinstance(data, list) else data


def _json_of(block: Block) -> dict[str, Any]:
    if isinstance(block, Chart):
        return {"kind": block.kind, "title": block.title}
    return asdict(block)


def _block_text(block: Block) -> str:
    if isinstance(block, (Heading, Paragraph)):
        return block.text
    if isinstance(block, Bullets):
        return "\n".join(block.items)
    if isinstance(block, Entries):
        return "\n".join("".join(text for _, text in item) for item in block.items)
    if isinstance(block, Table):
        return "\n".join(" | ".join(r) for r in [block.columns, *block.rows])
    if isinstance(block, Chart):
        return block.title
    if isinstance(block, DocumentHeader):
        return "\n".join(x for x in (block.issuer_parent, block.issuer, block.number, block.place_date, block.doc_type,
                                      block.title, block.subject, block.addressee, block.basis, block.cutoff, block.banner) if x)
    return "\n".join([block.lead, *block.recipients, block.signer_authority, block.signer_title, block.signer_name])
