"""The Word draft of a report (.docx), written from the same blocks as its HTML.

A ward office edits a report in Word before the Chủ tịch signs it. The draft is not a second
copy of the text: each report notebook cell returns a :class:`~kehoach.reporting.blocks.Section`
whose blocks travel in the executed notebook as JSON (:data:`~kehoach.reporting.blocks.SECTION_MIME`),
next to the HTML rendered from the same blocks, each chart's spec and drawing in an output of its own.
:func:`sections_of` reads them back in cell order, :func:`render_docx` writes them with python-docx,
:func:`notebook_to_docx` does both and :func:`export_docx` writes the draft of an executed notebook
file beside its HTML.

The layout follows Nghị định 30/2020/NĐ-CP, Phụ lục I (thể thức và kỹ thuật trình bày văn bản
hành chính):

- mục II.1: paper A4 (210 mm x 297 mm); margins top 20-25 mm, bottom 20-25 mm, left 30-35 mm,
  right 15-20 mm;
- mục II.3: Times New Roman (Unicode, TCVN 6909:2001), black; body 13-14 pt; paragraphs
  justified, at least 6 pt apart, first line indented 1-1,27 cm, line spacing single to 1,5;
- mục II.4: page numbers in Arabic figures, centred in the top margin, not shown on page 1;
- mục IV (the header): the issuer (tên cơ quan chủ quản in capitals, 12-13 pt; the issuing body
  in capitals, bold, with a short rule under it) and "Số: …" on the left; the Quốc hiệu
  ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" capitals bold 12-13 pt, "Độc lập - Tự do - Hạnh phúc"
  bold 13-14 pt with a rule under it) and the place and date (italic 13-14 pt) on the right;
  the document type and its subject centred bold; a letter's "V/v …" under its number;
- mục IV (the closing): the signer's authority and title in capitals bold, space for the
  signature, the signer's name bold; "Nơi nhận:" bold italic 12 pt and its list in 11 pt.
"""

from __future__ import annotations

import io
import logging
import struct
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor
from docx.table import Table as DocxTable, _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from kehoach.analysis import charts
from kehoach.core.errors import KehoachError
from kehoach.core.formatting import strip_controls
from kehoach.core.files import atomic_write
from kehoach.core.labels import ILLUSTRATIVE_EXPORT_BANNER
from kehoach.reporting.blocks import (PLACEHOLDER, Block, Bullets, Chart, Closing, DocumentHeader, Entries,
                                      Heading, Paragraph, Section, Table, sections_in)

log = logging.getLogger(__name__)

FONT = "Times New Roman"
LANGUAGE = "vi-VN"
BODY_PT = 14
TABLE_PT = 12
HEADER_PT = 13
RECIPIENTS_TITLE_PT = 12
RECIPIENTS_PT = 11
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
TEXT_WIDTH = Mm(210 - 30 - 15)
FIRST_LINE = Mm(10)
PARAGRAPH_GAP = Pt(6)
CHART_MAX_HEIGHT = Mm(200)
PNG_SCALE = 2.0                         # 2 px per CSS pixel: about 190 dpi at the text width
HEADER_COLUMNS = (Mm(72), Mm(105))      # issuer | Quốc hiệu: "PHƯỜNG PHAN ĐÌNH PHÙNG" and the Quốc hiệu on one line each
HEADER_SHIFT = Mm(-6)                   # so the header is 12 mm wider than the text, centred on it
CLOSING_COLUMNS = (Mm(80), Mm(85))      # Nơi nhận | signature
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RECIPIENTS_TITLE = "Nơi nhận:"
BANNER_RED = RGBColor(0xC0, 0x00, 0x00)
TABLE_TEXT_STYLE = "Table Text"
#: The template's styles the drafts use (headings and list paragraphs by name, tables by "Table Grid", the
#: page number in the footer).
USED_STYLES = frozenset({"Normal", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "List Paragraph", "Table Grid",
                         "Header", "Footer"})
CELL_PADDING_MM = 6.0                   # Word's default cell margins (1,9 mm each side) and room for the estimate's error
SMALL_TABLE_ROWS = 8                    # up to this many rows, a table stays on one page
SIGNATURE_LINES = 4                     # blank 14 pt lines left for the signature and seal


def _nfc(text: object) -> str:
    """Text for the draft: NFC, without control characters (a vertical tab is not valid in a .docx's XML)."""
    return strip_controls(unicodedata.normalize("NFC", str(text or "")))[0]


# -- reading the blocks back from an executed notebook ------------------------------------------
def sections_of(nb: nbformat.NotebookNode) -> list[Section]:
    """The report sections of an executed notebook, in cell order, their charts' drawings from their outputs."""
    found = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        try:
            found.extend(section for _, _, section in sections_in(cell.get("outputs", [])))
        except (KeyError, TypeError, ValueError) as exc:
            raise KehoachError(f"Ô thứ {index} của sổ tay báo cáo: không đọc được nội dung để lập bản Word ({exc}). "
                               "Chạy lại kỳ báo cáo bằng kehoach run rồi lập lại bản Word.") from None
    return found


def notebook_to_docx(nb: nbformat.NotebookNode, title: str) -> bytes:
    """The Word draft of an executed report notebook; its charts' drawings are those its outputs hold."""
    sections = sections_of(nb)
    if not sections:
        raise KehoachError(f"Sổ tay của báo cáo \"{title}\" không có phần báo cáo nào (sổ tay chưa được chạy, hoặc "
                           "chạy lỗi): không lập được bản Word. Chạy lại kỳ báo cáo bằng kehoach run.")
    return render_docx(sections, title)


def export_docx(notebook_path: Path, docx_path: Path, title: str) -> Path:
    """Write the Word draft of the executed notebook ``notebook_path`` to ``docx_path``, atomically."""
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except (OSError, ValueError) as exc:
        raise KehoachError(f"{notebook_path}: không đọc được sổ tay đã chạy để lập bản Word ({exc}). "
                           "Chạy lại kỳ báo cáo bằng kehoach run.") from None
    return atomic_write(docx_path, notebook_to_docx(nb, title))


# -- the document ---------------------------------------------------------------------------
def render_docx(sections: list[Section], title: str, chart_cache: Path | None = None) -> bytes:
    """The .docx of ``sections``: A4, Nghị định 30 margins and fonts, the header and signature tables."""
    doc = Document()
    _setup_styles(doc)
    blocks = [b for s in sections for b in s.blocks]
    _setup_page(doc, any(getattr(b, "banner", "") for b in blocks if isinstance(b, DocumentHeader)))
    _set_properties(doc, title, blocks)
    writer = _Writer(doc, chart_cache)
    appendix = _Appendix.of(sections)
    for block, following in zip(blocks, [*blocks[1:], None]):
        appendix.before(doc, block)
        writer.add(block, following)
        appendix.after(doc, block)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _set_properties(doc: DocxDocument, title: str, blocks: list[Block]) -> None:
    header = next((b for b in blocks if isinstance(b, DocumentHeader)), None)
    props = doc.core_properties
    props.title = _nfc(title)
    props.subject = _nfc(getattr(header, "title", "") or getattr(header, "subject", "")) if header else ""
    props.author = props.last_modified_by = _nfc(
        f"{getattr(header, 'issuer_parent', '')} {getattr(header, 'issuer', '')}".strip()) if header else ""
    props.language = LANGUAGE
    props.comments = props.keywords = props.category = ""


def _setup_page(doc: DocxDocument, illustrative: bool = False) -> None:
    """A4, the margins, the page number in the top margin from page 2; the illustrative mark at the foot of every
    page of a draft made from illustrative data."""
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = section.footer_distance = Mm(10)
    section.different_first_page_header_footer = True   # no number on page 1 (Phụ lục I, mục II.4)
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.first_line_indent = Mm(0)
    _page_field(number.add_run())
    if illustrative:
        for footer in (section.footer, section.first_page_footer):
            mark = _centred(footer.paragraphs[0])
            _run(mark, ILLUSTRATIVE_EXPORT_BANNER, RECIPIENTS_PT, bold=True, color=BANNER_RED)


def _page_field(run: Any) -> None:
    """A PAGE field in ``run`` (begin, instruction, separate, placeholder, end)."""
    def char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    placeholder = OxmlElement("w:t")
    placeholder.text = "2"
    for element in (char("begin"), instruction, char("separate"), placeholder, char("end")):
        run._r.append(element)
    run.font.size = Pt(HEADER_PT)


# -- styles -----------------------------------------------------------------------------------
def _setup_styles(doc: DocxDocument) -> None:
    """Times New Roman everywhere (theme fonts and colours removed), black, Vietnamese; the styles used."""
    root = doc.styles.element
    _keep_only_styles(doc, USED_STYLES)
    for rpr in root.iter(qn("w:rPr")):
        _fonts(rpr)
    for color in list(root.iter(qn("w:color"))):
        color.getparent().remove(color)
    for element in root.iter():                              # theme colours of borders and shading too
        for attribute in [a for a in element.attrib if a.startswith(qn("w:theme"))]:
            del element.attrib[attribute]
    _body_style(doc)
    _heading_styles(doc)
    listed = doc.styles["List Paragraph"]
    listed.paragraph_format.left_indent, listed.paragraph_format.first_line_indent = Mm(0), FIRST_LINE
    _no_contextual_spacing(listed.element)
    cell = doc.styles.add_style(TABLE_TEXT_STYLE, 1)
    cell.base_style = doc.styles["Normal"]
    cell.font.size = Pt(TABLE_PT)
    fmt = cell.paragraph_format
    fmt.alignment, fmt.first_line_indent, fmt.space_before, fmt.space_after = WD_ALIGN_PARAGRAPH.LEFT, Mm(0), Pt(2), Pt(2)


def _keep_only_styles(doc: DocxDocument, names: frozenset[str]) -> None:
    """Remove the template's styles other than ``names``, those the list numbering names, and the styles they are
    based on or linked to.

    python-docx looks a style up by scanning every style of the document, each time a paragraph
    is given one: with the template's 164 styles that was half the time of the overview's draft
    (a phụ lục of some 500 cells). Nothing refers to the styles removed.
    """
    root = doc.styles.element
    styles = {s.get(qn("w:styleId")): s for s in root.iterchildren(qn("w:style"))}
    wanted = {n.lower() for n in names}  # the file names built-in styles in lower case ("heading 1")
    keep = [i for i, s in styles.items()
            if s.find(qn("w:name")) is not None and s.find(qn("w:name")).get(qn("w:val")).lower() in wanted]
    keep += [i for i, s in styles.items() if s.get(qn("w:default")) == "1"]
    keep += [ref.get(qn("w:val")) for ref in doc.part.numbering_part.element.iter(qn("w:pStyle"))]
    kept: set[str] = set()
    while keep:
        style_id = keep.pop()
        if style_id in kept or style_id not in styles:
            continue
        kept.add(style_id)
        keep += [ref.get(qn("w:val")) for tag in ("w:basedOn", "w:link", "w:next")
                 for ref in styles[style_id].iterchildren(qn(tag))]
    for style_id, style in styles.items():
        if style_id not in kept:
            root.remove(style)


def _body_style(doc: DocxDocument) -> None:
    """Normal: 14 pt, black, Vietnamese, justified, first line indented, 6 pt between paragraphs."""
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(normal.element.get_or_add_rPr())
    _language(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent, fmt.space_before, fmt.space_after, fmt.line_spacing = FIRST_LINE, Pt(0), PARAGRAPH_GAP, 1.0
    fmt.widow_control = True


def _heading_styles(doc: DocxDocument) -> None:
    """Headings 1-4: 14 pt bold (3 and 4 italic too), black, kept with the next paragraph."""
    for level, italic in ((1, False), (2, False), (3, True), (4, True)):
        heading = doc.styles[f"Heading {level}"]
        heading.font.size, heading.font.bold, heading.font.italic = Pt(BODY_PT), True, italic
        heading.font.color.rgb = RGBColor(0, 0, 0)
        fmt = heading.paragraph_format
        fmt.space_before, fmt.space_after, fmt.keep_with_next, fmt.keep_together = Pt(6), Pt(6), True, True
        fmt.first_line_indent, fmt.alignment = FIRST_LINE, WD_ALIGN_PARAGRAPH.JUSTIFY


def _fonts(rpr: Any) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)


def _language(rpr: Any) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)


def _no_contextual_spacing(style: Any) -> None:
    ppr = style.find(qn("w:pPr"))
    if ppr is not None:
        for element in ppr.findall(qn("w:contextualSpacing")):
            ppr.remove(element)


# -- blocks -----------------------------------------------------------------------------------
@dataclass
class _Writer:
    """Appends blocks to a document; keeps what came last on the page of the signature."""

    doc: DocxDocument
    chart_cache: Path | None = None                          # where charts' drawings are (the workbench's by default)
    tail: list[DocxParagraph] = field(default_factory=list)
    lead_in: bool = False                                    # in the paragraphs right under a heading

    def add(self, block: Block, following: Block | None) -> None:
        # a lead-in stays with its chart or table, and the paragraphs under a heading with what they introduce
        self.lead_in = isinstance(block, Heading) or (self.lead_in and isinstance(block, Paragraph))
        keep = isinstance(following, (Chart, Table, Closing)) or (
            self.lead_in and isinstance(block, Paragraph) and isinstance(following, (Paragraph, Bullets)))
        if isinstance(block, Closing):
            for paragraph in self.tail:
                paragraph.paragraph_format.keep_with_next = True
            _closing(self.doc, block)
            return
        if isinstance(block, DocumentHeader):
            last = _header(self.doc, block)
        elif isinstance(block, Heading):
            last = _heading(self.doc, block)
        elif isinstance(block, Paragraph):
            last = _paragraph(self.doc, block, keep)
        elif isinstance(block, Bullets):
            last = _bullets(self.doc, block, keep)
        elif isinstance(block, Entries):
            last = _entries(self.doc, block, keep)
        elif isinstance(block, Table):
            self.tail = _table(self.doc, block)
            return
        elif isinstance(block, Chart):                       # not kept with its table: less white space
            last = _chart(self.doc, block, isinstance(following, Closing), self.chart_cache)
        else:
            last = _unknown(self.doc, block)
        self.tail = [last] if last is not None else []


def _run(paragraph: DocxParagraph, text: str, size: float | None = None, bold: bool = False, italic: bool = False,
         color: RGBColor | None = None) -> Any:
    run = paragraph.add_run(_nfc(text))
    if size:
        run.font.size = Pt(size)
    run.bold, run.italic = bold or None, italic or None
    if color is not None:
        run.font.color.rgb = color
    return run


def _centred(paragraph: DocxParagraph, before: float = 0, after: float = 0) -> DocxParagraph:
    fmt = paragraph.paragraph_format
    fmt.alignment, fmt.first_line_indent = WD_ALIGN_PARAGRAPH.CENTER, Mm(0)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    return paragraph


def _heading(doc: DocxDocument, block: Heading) -> DocxParagraph:
    # blocks number their levels as HTML (h2 for "I.", h3 for "1."); Word's outline starts at 1
    level = min(max(int(getattr(block, "level", 2)) - 1, 1), 4)
    return doc.add_paragraph(_nfc(block.text), style=f"Heading {level}")


def _paragraph(doc: DocxDocument, block: Paragraph, keep: bool) -> DocxParagraph:
    paragraph = doc.add_paragraph()
    _run(paragraph, block.text, italic=getattr(block, "css", "") == "meta")
    paragraph.paragraph_format.keep_with_next = keep or None
    return paragraph


def _bullets(doc: DocxDocument, block: Bullets, keep: bool) -> DocxParagraph | None:
    paragraph = None
    for item in block.items:
        text = _nfc(item).strip()
        paragraph = doc.add_paragraph(text if text[:1] in "-+•" else f"- {text}", style="List Paragraph")
    if paragraph is not None and keep:
        paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _entries(doc: DocxDocument, block: Entries, keep: bool) -> DocxParagraph | None:
    """Entries as list items or paragraphs, run by run: a unit's words as written (its line breaks kept), a
    placeholder highlighted in yellow so that the editor finds every one."""
    paragraph = None
    for item in block.items:
        paragraph = doc.add_paragraph(style="List Paragraph" if block.bulleted else None)
        if block.bulleted:
            _run(paragraph, "- ")
        for style, text in item:
            run = _run(paragraph, "")
            for k, line in enumerate(_nfc(text).split("\n")):
                if k:
                    run.add_break()
                run.add_text(line)
            if style == PLACEHOLDER:
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    if paragraph is not None and keep:
        paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _unknown(doc: DocxDocument, block: Any) -> DocxParagraph | None:
    """A block kind this module does not know yet: its text, so no words are lost."""
    log.warning("Word draft: block kind %r written as plain text", getattr(block, "kind", type(block).__name__))
    text = getattr(block, "text", "") or "\n".join(getattr(block, "items", []) or [])
    return doc.add_paragraph(_nfc(text)) if text else None


# -- tables -------------------------------------------------------------------------------------
def _table(doc: DocxDocument, block: Table) -> list[DocxParagraph]:
    """A Word table with grid borders, its header row bold and repeated on each page; returns its last
    row and the paragraph after it (what must stay with a following signature)."""
    columns = [_nfc(c) for c in block.columns]
    rows = [[_nfc(v) for v in row] for row in block.rows]
    numeric = set(getattr(block, "numeric", []) or [])
    emphasis = set(getattr(block, "emphasis", []) or [])
    if getattr(block, "caption", ""):
        caption = _centred(doc.add_paragraph(), before=6, after=3)
        _run(caption, block.caption, bold=True)
        caption.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, _column_widths(columns, rows, _section_text_width(doc)))
    for i, row in enumerate(table.rows):
        _cant_split(row)
        cells = row.cells
        if i == 0:
            _repeat_header(row)
            for text, cell in zip(columns, cells):
                _cell_text(cell, text, WD_ALIGN_PARAGRAPH.CENTER, bold=True)
            continue
        bold = i - 1 in emphasis                             # a group's row of the phụ lục: bold, kept with its first row
        for j, (text, cell) in enumerate(zip(rows[i - 1], cells)):
            _cell_text(cell, text, WD_ALIGN_PARAGRAPH.RIGHT if j in numeric else WD_ALIGN_PARAGRAPH.LEFT, bold=bold)
            cell.paragraphs[0].paragraph_format.keep_with_next = bold or None
    if len(rows) <= SMALL_TABLE_ROWS:                        # a small table is not split across two pages
        for row in table.rows[:-1]:
            for paragraph in (p for cell in row.cells for p in cell.paragraphs):
                paragraph.paragraph_format.keep_with_next = True
    return [p for cell in table.rows[-1].cells for p in cell.paragraphs] + [_spacer(doc)]


def _spacer(doc: DocxDocument) -> DocxParagraph:
    """A 6 pt empty paragraph after a table: a little air, and Word merges two tables with nothing between."""
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)
    _mark_size(spacer, 6)
    return spacer


def _mark_size(paragraph: DocxParagraph, points: float) -> None:
    """The size of an empty paragraph's mark, which sets the paragraph's height."""
    rpr, size = OxmlElement("w:rPr"), OxmlElement("w:sz")
    size.set(qn("w:val"), str(int(points * 2)))
    rpr.append(size)
    paragraph._p.get_or_add_pPr().append(rpr)


def _column_widths(columns: list[str], rows: list[list[str]], total: Length) -> list[int]:
    """Column widths that add up to ``total``: each at least its widest word (a number is never split), the
    rest shared by how much longer each column's text is than that (long names wrap)."""
    least = _least_widths(columns, rows)
    wanted = [max(m, _text_width(max([name, *(r[j] for r in rows if j < len(r))], key=_text_width, default="")))
              for j, (m, name) in enumerate(zip(least, columns))]
    spare = int(total) - sum(least)
    if spare <= 0:                                   # too many columns: shrink all alike
        return [w * int(total) // sum(least) for w in least]
    extra = [w - m for w, m in zip(wanted, least)]
    if sum(extra) <= spare:                          # everything fits on one line: share the rest alike
        return [w * int(total) // sum(wanted) for w in wanted]
    return [m + e * spare // sum(extra) for m, e in zip(least, extra)]


def _least_widths(columns: list[str], rows: list[list[str]]) -> list[int]:
    """Each column's widest unbreakable piece of text, header included."""
    return [max((_text_width(piece) for t in [name, *(r[j] for r in rows if j < len(r))] for piece in _pieces(t)),
                default=_text_width(""))
            for j, name in enumerate(columns)]


def _pieces(text: str) -> list[str]:
    """The pieces a line of ``text`` may break between: its words (Word and LibreOffice break a cell's
    line at spaces; "đồng/người/năm" and "869.532" are one piece each)."""
    return text.split()


def _text_width(text: str) -> int:
    """The width of ``text`` on one line of a table cell, with the cell's margins (Times New Roman 12 pt, bold).

    Estimated from the widths of the font's letters (in em): capitals about 0,72, small letters
    and digits about 0,5, a space 0,25; symbols such as the status marks about 1.
    """
    ems = 0.0
    for char in text:
        base = unicodedata.normalize("NFD", char)[0]
        ems += (0.25 if base.isspace() else 0.72 if base.isupper() else 0.5 if base.isalnum()
                else 0.35 if base.isascii() else 1.0)
    return int(Pt(ems * TABLE_PT)) + int(Mm(CELL_PADDING_MM))


def _widths(table: DocxTable, widths: list[int]) -> None:
    """Fixed column widths, written in the table, its grid (LibreOffice reads it) and each cell (Word does)."""
    table.autofit = False                                    # <w:tblLayout w:type="fixed"/>
    total = table._tbl.tblPr.find(qn("w:tblW"))
    total.set(qn("w:type"), "dxa")
    total.set(qn("w:w"), str(sum(Length(w).twips for w in widths)))
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        column.set(qn("w:w"), str(Length(width).twips))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Length(width)


def _row_flag(row: Any, name: str) -> None:
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _repeat_header(row: Any) -> None:
    _row_flag(row, "w:tblHeader")


def _cant_split(row: Any) -> None:
    _row_flag(row, "w:cantSplit")


def _cell_text(cell: _Cell, text: str, align: WD_ALIGN_PARAGRAPH, bold: bool = False) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.style = TABLE_TEXT_STYLE
    paragraph.alignment = align
    for k, line in enumerate(text.split("\n")):
        run = _run(paragraph, "", bold=bold)
        if k:
            run.add_break()
        run.add_text(_nfc(line))


# -- the phụ lục: a section of its own ------------------------------------------------------------
APPENDIX_SECTION = "appendix"
NAME_COLUMN_MIN = Mm(45)                 # below this a portrait phụ lục's indicator names wrap every word or two


@dataclass
class _Appendix:
    """The phụ lục (the section named :data:`APPENDIX_SECTION`): it starts a new page, in landscape when its
    table does not fit the portrait text width with room for the indicator names; its heading, title and note
    are centred and bold."""

    first: int | None = None
    blocks: frozenset[int] = frozenset()
    table: Table | None = None

    @classmethod
    def of(cls, sections: list[Section]) -> "_Appendix":
        parts = [b for s in sections if s.name == APPENDIX_SECTION for b in s.blocks]
        if not parts:
            return cls()
        return cls(id(parts[0]), frozenset(id(b) for b in parts), next((b for b in parts if isinstance(b, Table)), None))

    def before(self, doc: DocxDocument, block: Block) -> None:
        if id(block) == self.first:
            _appendix_section(doc, self.table)

    def after(self, doc: DocxDocument, block: Block) -> None:
        if id(block) in self.blocks and isinstance(block, (Heading, Paragraph)) and doc.paragraphs:
            paragraph = _centred(doc.paragraphs[-1], after=3)
            paragraph.paragraph_format.keep_with_next = True
            for run in paragraph.runs:
                run.bold = True if getattr(block, "css", "") != "appendix-note" else None
                run.italic = True if getattr(block, "css", "") == "appendix-note" else None


def _appendix_section(doc: DocxDocument, table: Table | None) -> None:
    """A new section on a new page: A4 landscape when ``table`` needs it, the same margins and page numbers."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False       # numbered from its first page: it is not page 1
    if table is not None and appendix_needs_landscape([_nfc(c) for c in table.columns],
                                                      [[_nfc(v) for v in r] for r in table.rows]):
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH


def appendix_needs_landscape(columns: list[str], rows: list[list[str]]) -> bool:
    """Whether a table is too wide for the portrait text width: its unbreakable pieces do not fit, or its
    widest text column (the indicator names) would be left narrower than :data:`NAME_COLUMN_MIN`."""
    least = _least_widths(columns, rows)
    if sum(least) > int(TEXT_WIDTH):
        return True
    widths = _column_widths(columns, rows, TEXT_WIDTH)
    wanted = [_text_width(max([c, *(r[j] for r in rows if j < len(r))], key=len, default="")) for j, c in enumerate(columns)]
    widest = max(range(len(columns)), key=lambda j: wanted[j])
    return widths[widest] < min(int(NAME_COLUMN_MIN), wanted[widest])


def _section_text_width(doc: DocxDocument) -> int:
    """The text width of the section being written (the phụ lục's may be landscape)."""
    section = doc.sections[-1]
    return int(section.page_width) - int(section.left_margin) - int(section.right_margin)


# -- charts -------------------------------------------------------------------------------------
def _chart(doc: DocxDocument, block: Chart, keep: bool, cache: Path | None) -> DocxParagraph:
    """The chart as a PNG at the text width (at most CHART_MAX_HEIGHT high), with its title as alternative text."""
    png = _png(block, cache)
    width, height = _png_size(png)
    shown_width, shown_height = int(TEXT_WIDTH), int(TEXT_WIDTH) * height // width
    if shown_height > CHART_MAX_HEIGHT:
        shown_width, shown_height = int(CHART_MAX_HEIGHT) * width // height, int(CHART_MAX_HEIGHT)
    paragraph = _centred(doc.add_paragraph(), before=6, after=6)
    paragraph.paragraph_format.keep_with_next = keep or None
    run = paragraph.add_run()
    run.add_picture(io.BytesIO(png), width=Length(shown_width), height=Length(shown_height))
    for properties in run._r.iter(qn("wp:docPr")):
        properties.set("descr", _nfc(block.title))
    return paragraph


def _png(block: Chart, cache: Path | None) -> bytes:
    """The PNG of the very drawing the HTML shows: the block's SVG, or the spec's drawing from the drawing cache.

    A chart read from an executed notebook holds the drawing its output stored; one built without a
    drawing is drawn by :func:`kehoach.analysis.charts.draw_svg` (from the cache when drawn before). Rasterising that SVG gives
    the same bytes as :func:`kehoach.analysis.charts.draw_png` (with the same fonts installed) in a
    third of the time: a report has up to forty charts.
    """
    import vl_convert as vlc

    try:
        return vlc.svg_to_png(block.svg or charts.draw_svg(block.spec, cache), scale=PNG_SCALE)
    except (ValueError, RuntimeError) as exc:
        raise KehoachError(f"Không vẽ được biểu đồ \"{_nfc(block.title)}\" cho bản Word ({exc}). "
                           "Kiểm tra lại số liệu của biểu đồ rồi lập lại báo cáo.") from None


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise KehoachError("Ảnh biểu đồ cho bản Word không phải tệp PNG hợp lệ. Lập lại báo cáo.")
    width, height = struct.unpack(">II", png[16:24])
    if not width or not height:
        raise KehoachError("Ảnh biểu đồ cho bản Word trống. Lập lại báo cáo.")
    return width, height


# -- the header and the signature: borderless two-column tables ---------------------------------------
def _frame(doc: DocxDocument, widths: tuple[Length, Length], rows: int = 1, shift: Length = Mm(0)) -> DocxTable:
    """A borderless two-column table with narrow cell margins, ``shift`` from the left margin."""
    table = doc.add_table(rows=rows, cols=2)
    _widths(table, [int(w) for w in widths])
    _table_property(table, _edges("w:tblBorders", ("top", "left", "bottom", "right", "insideH", "insideV"), val="nil"))
    _table_property(table, _edges("w:tblCellMar", ("left", "right"), w=str(Mm(1).twips), type="dxa"))
    if shift:
        indent = OxmlElement("w:tblInd")
        indent.set(qn("w:w"), str(Length(shift).twips))
        indent.set(qn("w:type"), "dxa")
        _table_property(table, indent)
    for row in table.rows:
        _cant_split(row)
    return table


#: the order of a table's properties in WordprocessingML (CT_TblPr); Word refuses another order
TABLE_PROPERTIES = ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
                    "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd",
                    "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _table_property(table: DocxTable, element: Any) -> None:
    """Add a table property in its schema place."""
    name = element.tag.replace(qn("w:"), "w:")
    table._tbl.tblPr.insert_element_before(element, *TABLE_PROPERTIES[TABLE_PROPERTIES.index(name) + 1:])


def _edges(name: str, sides: tuple[str, ...], **attributes: str) -> Any:
    element = OxmlElement(name)
    for side in sides:
        edge = OxmlElement(f"w:{side}")
        for key, value in attributes.items():
            edge.set(qn(f"w:{key}"), value)
        element.append(edge)
    return element


def _line(cell: _Cell, text: str, size: float, bold: bool = False, italic: bool = False, first: bool = False,
          align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER) -> DocxParagraph:
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    _centred(paragraph).alignment = align
    paragraph.paragraph_format.keep_with_next = True
    _run(paragraph, text, size, bold, italic)
    return paragraph


def _rule(paragraph: DocxParagraph, width: Length, length: Length, edge: str = "bottom") -> DocxParagraph:
    """Make an empty paragraph a centred rule of ``length``: its border, indented within ``width``."""
    side = Length((int(width) - int(length)) // 2)
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
    ppr = paragraph._p.get_or_add_pPr()
    border, line = OxmlElement("w:pBdr"), OxmlElement(f"w:{edge}")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        line.set(qn(key), value)
    border.append(line)
    ppr.insert_element_before(border, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr")
    _mark_size(paragraph, 2)                                 # the empty line itself as low as possible
    return paragraph


def _header(doc: DocxDocument, block: DocumentHeader) -> DocxParagraph | None:
    """The header table (not for an annex, which has no issuer of its own), then the document type and title, the
    addressee, the banner, basis and cut-off."""
    if getattr(block, "issuer", ""):
        _header_table(doc, block)
    last = _title(doc, block) if getattr(block, "doc_type", "") else None
    if getattr(block, "addressee", ""):
        last = _centred(doc.add_paragraph(), before=12, after=12)
        _run(last, block.addressee, BODY_PT)
    texts = ((block.banner, True), (block.basis, False), (block.cutoff, False))
    if not block.issuer:                                     # an annex: "(Kèm theo Báo cáo …)" under its title
        texts = ((block.basis, False), (block.banner, True), (block.cutoff, False))
    for text, banner in texts:
        if text:
            last = doc.add_paragraph()
            _run(last, text, bold=banner, color=BANNER_RED if banner else None, italic=not block.issuer and not banner)
            if not block.issuer:                             # an annex: "(Kèm theo Báo cáo số …)" centred
                _centred(last, after=6)
    return last


def _header_table(doc: DocxDocument, block: DocumentHeader) -> None:
    """Issuer, rule and number on the left; Quốc hiệu, tiêu ngữ, rule, place and date on the right; a letter's V/v."""
    subject = _nfc(getattr(block, "subject", ""))
    table = _frame(doc, HEADER_COLUMNS, rows=2 if subject else 1, shift=HEADER_SHIFT)
    left, right = table.rows[0].cells
    _line(left, getattr(block, "issuer_parent", "") or "", HEADER_PT, first=True)
    _line(left, block.issuer, HEADER_PT, bold=True)
    _rule(_centred(left.add_paragraph(), after=2), HEADER_COLUMNS[0], Mm(22))
    _line(left, getattr(block, "number", "") or "", HEADER_PT)
    _line(right, NATION, HEADER_PT, bold=True, first=True)
    _line(right, MOTTO, BODY_PT, bold=True)
    _rule(_centred(right.add_paragraph(), after=2), HEADER_COLUMNS[1], Mm(60))
    _line(right, getattr(block, "place_date", "") or "", HEADER_PT, italic=True)
    if subject:
        _line(table.rows[1].cells[0], subject, HEADER_PT - 1, first=True).paragraph_format.space_before = Pt(4)


def _title(doc: DocxDocument, block: DocumentHeader) -> DocxParagraph:
    """"BÁO CÁO", the title under it and a short rule, centred bold, kept with what follows."""
    kind = _centred(doc.add_paragraph(), before=18)
    _run(kind, block.doc_type, BODY_PT, bold=True)
    title = _centred(doc.add_paragraph())
    _run(title, block.title, BODY_PT, bold=True)
    rule = _rule(_centred(doc.add_paragraph(), after=12), TEXT_WIDTH, Mm(50), edge="top")
    for paragraph in (kind, title, rule):
        paragraph.paragraph_format.keep_with_next = True
    return title


def _closing(doc: DocxDocument, block: Closing) -> None:
    """The body's last paragraph, kept with what follows; Nơi nhận on the left; the signer's authority, title, space
    for the signature and name on the right."""
    if getattr(block, "lead", ""):
        lead = doc.add_paragraph()
        _run(lead, block.lead)
        lead.paragraph_format.keep_with_next = True
    table = _frame(doc, CLOSING_COLUMNS)
    left, right = table.rows[0].cells
    title = _line(left, RECIPIENTS_TITLE, RECIPIENTS_TITLE_PT, bold=True, italic=True, first=True,
                  align=WD_ALIGN_PARAGRAPH.LEFT)
    title.paragraph_format.space_before = Pt(12)
    for recipient in getattr(block, "recipients", []) or []:
        _line(left, recipient, RECIPIENTS_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    authority = _line(right, getattr(block, "signer_authority", "") or "", BODY_PT, bold=True, first=True)
    authority.paragraph_format.space_before = Pt(12)
    _line(right, getattr(block, "signer_title", "") or "", BODY_PT, bold=True)
    for _ in range(SIGNATURE_LINES):
        _line(right, "", BODY_PT)
    _line(right, getattr(block, "signer_name", "") or "", BODY_PT, bold=True)

