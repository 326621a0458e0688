"""The building blocks of a report section, and their HTML.

A section function (:mod:`kehoach.reporting.sections`) returns a :class:`Section`: a list of
blocks (headings, paragraphs, lists, tables, charts, the document header and the signature
block). Displayed in a notebook, a section shows as HTML rendered by the Jinja2 templates in
``templates/sections`` with autoescape on, so text from data can never become markup. It also
carries its blocks as JSON (``application/vnd.kehoach.section+json``), from which the Word
draft is written: one text, two documents.
"""

from __future__ import annotations

import functools
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

    In an executed notebook the drawing is stored once, inline in the section's HTML (the
    export needs it: reports run no JavaScript); the section's JSON carries the spec only, from
    which the Word draft takes the same drawing out of the drawing cache (or draws it again).
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
    """One part of a report, as blocks; shows as HTML in a notebook."""

    name: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block | None) -> "Section":
        self.blocks.extend(b for b in blocks if b is not None)
        return self

    def html(self) -> str:
        return render("sections/section.html.j2", section=self)

    def to_json(self) -> dict[str, Any]:
        """The blocks as JSON; a chart without its drawing, which the section's HTML already holds."""
        return {"name": self.name, "blocks": [_json_of(b) for b in self.blocks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Section":
        return cls(data["name"], [_KINDS[b["kind"]](**b) for b in data["blocks"]])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # JSON-able only: the blocks for the Word draft travel in the executed notebook.
        return {"text/html": self.html(), SECTION_MIME: self.to_json(), "text/plain": f"<Phần báo cáo: {self.name}>"}

    def text(self) -> str:
        """The section's words, for tests and plain-text uses."""
        return "\n".join(_block_text(b) for b in self.blocks)


def _json_of(block: Block) -> dict[str, Any]:
    data = asdict(block)
    if isinstance(block, Chart):
        del data["svg"]
    return data


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
