"""The Word draft (kehoach.reporting.word): written from the section blocks, read back with python-docx."""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass

import docx
import nbformat
import pytest
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from kehoach.core.errors import KehoachError
from kehoach.reporting import context, sections, word
from kehoach.reporting.blocks import (SECTION_MIME, Chart, Closing, DocumentHeader, Heading, Paragraph, Section,
                                      Table)
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def ctx():
    return context.compute("2026-Q3", ward="phan-dinh-phung", data_dir=PROJECT / "data", as_of="2026-11-29")


def overview_sections(ctx) -> list[Section]:
    """The overview's sections, as its notebook calls them."""
    return [sections.document_header(ctx, "overview"), sections.results_section(ctx), sections.shortcomings_section(ctx),
            sections.directions_section(ctx), sections.proposals_section(ctx), sections.closing(ctx),
            sections.appendix_section(ctx)]


@pytest.fixture(scope="module")
def overview(ctx):
    parts = overview_sections(ctx)
    data = word.render_docx(parts, "Báo cáo tổng hợp 2026-Q3")
    return parts, data, docx.Document(io.BytesIO(data))


def blocks_of(parts: list[Section], kind: type) -> list:
    return [b for s in parts for b in s.blocks if isinstance(b, kind)]


def body_paragraphs(document) -> list[str]:
    """Every paragraph of the body in order, table cells included."""
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in document.element.body.iter(qn("w:p"))]


def cell_lines(cell) -> list[str]:
    return [p.text for p in cell.paragraphs]


FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def html_words(parts: list[Section]) -> str:
    page = "".join(s.html() for s in parts)
    page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)   # a chart's drawing is a picture in the draft
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)  # the print mark's style
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# -- page, fonts, header -------------------------------------------------------------------------
def test_page_is_a4_with_the_margins_of_decree_30(overview):
    _, _, document = overview
    page = document.sections[0]
    assert [round(x.mm) for x in (page.page_width, page.page_height)] == [210, 297]
    assert [round(x.mm) for x in (page.top_margin, page.bottom_margin, page.left_margin, page.right_margin)] == \
        [20, 20, 30, 15]
    # page numbers centred in the top margin, not on page 1
    assert page.different_first_page_header_footer
    number = page.header.paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert [i.text for i in number._p.iter(qn("w:instrText"))] == [" PAGE "]
    assert page.first_page_header.paragraphs[0].text == ""


def test_times_new_roman_everywhere_in_black_body_14_tables_12(overview):
    _, data, document = overview
    styles = document.styles
    assert styles["Normal"].font.name == "Times New Roman" and styles["Normal"].font.size.pt == 14
    assert styles["Normal"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert styles[word.TABLE_TEXT_STYLE].font.size.pt == 12
    for level in (1, 2, 3):
        heading = styles[f"Heading {level}"]
        assert heading.font.name == "Times New Roman" and heading.font.size.pt == 14 and heading.font.bold
        assert str(heading.font.color.rgb) == "000000" and heading.paragraph_format.keep_with_next
    xml = document.styles.element.xml + document.element.xml
    assert "Theme=" not in xml and "themeColor" not in xml          # no Calibri or blue from the theme
    fonts = {v for f in re.findall(r"<w:rFonts ([^>]*)/>", xml) for v in re.findall(r'="([^"]*)"', f)}
    assert fonts == {"Times New Roman"}
    assert 'w:lang w:val="vi-VN"' in document.styles.element.xml
    sizes = {r.font.size.pt for p in document.element.body.iter(qn("w:p")) for r in docx.text.paragraph.Paragraph(
        p, None).runs if r.font.size is not None}
    assert sizes <= {10, 11, 12, 13, 14}


def test_header_table_holds_issuer_number_national_motto_place_and_date(overview):
    parts, _, document = overview
    header = blocks_of(parts, DocumentHeader)[0]
    table = document.tables[0]
    left, right = table.rows[0].cells
    assert cell_lines(left) == ["ỦY BAN NHÂN DÂN", "PHƯỜNG PHAN ĐÌNH PHÙNG", "", "Số: …/BC-UBND"]
    assert cell_lines(right) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "",
                                 header.place_date]
    assert left.paragraphs[1].runs[0].bold and not left.paragraphs[0].runs[0].bold
    assert right.paragraphs[0].runs[0].bold and right.paragraphs[1].runs[0].bold
    assert right.paragraphs[3].runs[0].italic
    for rule in (left.paragraphs[2], right.paragraphs[2]):   # the short rules under the issuer and the motto
        assert rule._p.find(qn("w:pPr")).find(qn("w:pBdr")) is not None
    assert all(e.get(qn("w:val")) == "nil" for e in table._tbl.tblPr.find(qn("w:tblBorders")))
    assert len(table.rows) == 1                               # a report has no "V/v" line
    kind, title = document.paragraphs[0], document.paragraphs[1]
    assert (kind.text, title.text) == ("BÁO CÁO", header.title)
    for p in (kind, title):
        assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER and p.runs[0].bold
    texts = [p.text for p in document.paragraphs]
    assert texts.index(header.basis) < texts.index(header.cutoff) < texts.index("I. KẾT QUẢ THỰC HIỆN 9 THÁNG NĂM 2026")
    banner = next(p for p in document.paragraphs if p.text == header.banner)
    assert banner.runs[0].bold and str(banner.runs[0].font.color.rgb) == "C00000"


LETTER = DocumentHeader(
    issuer_parent="ỦY BAN NHÂN DÂN", issuer="PHƯỜNG PHAN ĐÌNH PHÙNG", number="Số: …/UBND",
    place_date="Phường Phan Đình Phùng, ngày … tháng … năm 2026", doc_type="", title="Đôn đốc thực hiện các chỉ tiêu",
    subject="V/v đôn đốc thực hiện các chỉ tiêu quý IV năm 2026", addressee="Kính gửi: Ban Quản lý dự án phường",
    basis="Căn cứ Kế hoạch năm 2026, Ủy ban nhân dân phường đề nghị:", cutoff="", banner="")
SIGNATURE = Closing(recipients=["- Như trên;", "- Lưu: VT, VP."], signer_authority="TM. ỦY BAN NHÂN DÂN",
                    signer_title="CHỦ TỊCH", signer_name="Nguyễn Văn An")


def test_a_letter_has_its_subject_under_the_number_and_the_addressee():
    document = docx.Document(io.BytesIO(word.render_docx(
        [Section("header", [LETTER]), Section("closing", [Paragraph("Đề nghị đơn vị thực hiện."), SIGNATURE])],
        "Công văn")))
    header = document.tables[0]
    assert len(header.rows) == 2
    assert cell_lines(header.rows[0].cells[0])[-1] == "Số: …/UBND"
    assert cell_lines(header.rows[1].cells[0]) == ["V/v đôn đốc thực hiện các chỉ tiêu quý IV năm 2026"]
    assert cell_lines(header.rows[0].cells[1])[-1] == "Phường Phan Đình Phùng, ngày … tháng … năm 2026"
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" not in texts and "Đôn đốc thực hiện các chỉ tiêu" not in texts  # a letter's title is its V/v line
    addressee = document.paragraphs[texts.index("Kính gửi: Ban Quản lý dự án phường")]
    assert addressee.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert texts[texts.index("Kính gửi: Ban Quản lý dự án phường") + 1] == LETTER.basis
    assert document.core_properties.title == "Công văn"
    assert document.core_properties.author == "ỦY BAN NHÂN DÂN PHƯỜNG PHAN ĐÌNH PHÙNG"


def test_closing_is_a_borderless_table_with_recipients_and_signature():
    document = docx.Document(io.BytesIO(word.render_docx(
        [Section("end", [Paragraph("Ủy ban nhân dân phường báo cáo."), SIGNATURE])], "x")))
    table = document.tables[-1]
    left, right = table.rows[0].cells
    assert cell_lines(left) == ["Nơi nhận:", "- Như trên;", "- Lưu: VT, VP."]
    title = left.paragraphs[0].runs[0]
    assert title.bold and title.italic and title.font.size.pt == 12
    assert {r.font.size.pt for p in left.paragraphs[1:] for r in p.runs} == {11}
    assert cell_lines(right) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "", "", "", "", "Nguyễn Văn An"]
    assert all(right.paragraphs[i].runs[0].bold for i in (0, 1, 6))
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER for p in right.paragraphs)
    assert all(e.get(qn("w:val")) == "nil" for e in table._tbl.tblPr.find(qn("w:tblBorders")))
    assert table.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None
    # the last paragraph stays on the page of the signature; nothing about the software follows it
    assert document.paragraphs[0].text == "Ủy ban nhân dân phường báo cáo."
    assert document.paragraphs[0].paragraph_format.keep_with_next
    assert [p.text for p in document.paragraphs[1:] if p.text] == []


def test_a_table_just_before_the_signature_stays_on_its_page():
    document = docx.Document(io.BytesIO(word.render_docx(
        [Section("x", [Table(["Mục", "Nhiệm vụ"], [["II.1", "Thương mại"], ["II.2", "An ninh"]]), SIGNATURE])], "x")))
    rows = document.tables[0].rows
    assert [p.paragraph_format.keep_with_next for c in rows[-1].cells for p in c.paragraphs] == [True, True]


def test_a_small_table_stays_on_one_page_and_a_long_one_may_break_between_rows():
    def kept(n: int) -> list[bool]:
        table = Table(["Kỳ", "Giá trị"], [[f"Dòng {i}", str(i)] for i in range(n)])
        rows = docx.Document(io.BytesIO(word.render_docx([Section("x", [table, Paragraph("Sau bảng.")])], "x"))).tables[0].rows
        return [bool(r.cells[0].paragraphs[0].paragraph_format.keep_with_next) for r in rows]

    assert kept(word.SMALL_TABLE_ROWS) == [True] * word.SMALL_TABLE_ROWS + [False]
    assert kept(word.SMALL_TABLE_ROWS + 1) == [False] * (word.SMALL_TABLE_ROWS + 2)


def test_signer_name_left_blank_when_unset():
    blank = Closing(recipients=["- Lưu: VT."], signer_authority="TM. ỦY BAN NHÂN DÂN", signer_title="CHỦ TỊCH")
    document = docx.Document(io.BytesIO(word.render_docx([Section("end", [blank])], "x")))
    assert cell_lines(document.tables[0].rows[0].cells[1]) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "", "", "", "", ""]


# -- body ---------------------------------------------------------------------------------------
def test_headings_are_word_headings_in_order(overview):
    parts, _, document = overview
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [(f"Heading {b.level - 1}", b.text) for b in blocks_of(parts, Heading)]
    assert headings[:3] == [("Heading 1", "I. KẾT QUẢ THỰC HIỆN 9 THÁNG NĂM 2026"),
                            ("Heading 2", "1. Lĩnh vực phát triển kinh tế"), ("Heading 3", "a) Các chỉ tiêu về Kinh tế")]
    assert ("Heading 1", "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN") in headings and headings[-1] == ("Heading 1", "PHỤ LỤC I")
    assert ("Heading 1", "IV. ĐỀ XUẤT, KIẾN NGHỊ") in headings


def test_tables_are_real_word_tables_with_the_blocks_cells(overview):
    parts, _, document = overview
    tables = blocks_of(parts, Table)
    data_tables = [tb for tb in document.tables[1:] if not tb.cell(0, 0).text.startswith("Nơi nhận")]  # not header, signature
    assert len(data_tables) == len(tables)
    for block, table in zip(tables, data_tables):
        assert table.style.name == "Table Grid"
        assert [[c.text for c in row.cells] for row in table.rows] == [block.columns, *block.rows]
        header = table.rows[0]
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None      # repeated on each page
        assert all(r.bold for c in header.cells for r in c.paragraphs[0].runs)
    appendix = data_tables[-1]                               # the phụ lục
    assert [c.text for c in appendix.rows[0].cells] == ["TT", "Chỉ tiêu", "ĐVT", "KH năm 2026", "TH cùng kỳ 2025",
                                                        "TH kỳ này", "% so KH", "So cùng kỳ", "Ước cả năm", "Đánh giá"]
    assert [c.text for c in appendix.rows[2].cells] == ["1", "Thu ngân sách nhà nước trên địa bàn", "triệu đồng", "869.532",
                                                        "596.400", "652.149 (ước)", "75,0%", "109,3%", "888.613 (ước)",
                                                        "↗ Đúng tiến độ"]


def test_numeric_columns_are_right_aligned(overview):
    parts, _, document = overview
    block = blocks_of(parts, Table)[-1]                      # the phụ lục: columns 4-8 are figures
    assert block.numeric == [4, 5, 6, 7, 8]
    row = document.tables[-1].rows[2]
    assert row.cells[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert {row.cells[i].paragraphs[0].alignment for i in block.numeric} == {WD_ALIGN_PARAGRAPH.RIGHT}


def test_each_chart_is_a_png_at_the_text_width(overview):
    parts, _, document = overview
    charts = blocks_of(parts, Chart)
    # status overview and the 4 groups with figures (Xã hội and Văn hóa - Giáo dục are not due; QSCA sent nothing)
    assert len(charts) == 5
    pictures = document.inline_shapes
    assert len(pictures) == len(charts)
    for chart, picture in zip(charts, pictures):
        assert picture.width <= word.TEXT_WIDTH and picture.height <= word.CHART_MAX_HEIGHT
        assert picture.width == word.TEXT_WIDTH or picture.height == word.CHART_MAX_HEIGHT
        description = picture._inline.docPr.get("descr")
        assert description == chart.title and description
    images = [p for p in document.part.package.parts if p.partname.startswith("/word/media/")]
    assert len(images) == len(charts) and all(p.blob[:8] == b"\x89PNG\r\n\x1a\n" for p in images)


def test_vietnamese_text_is_intact_and_nfc(overview):
    parts, _, document = overview
    texts = body_paragraphs(document)
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
    for block in blocks_of(parts, Paragraph):
        assert block.text in texts
    assert "Độc lập - Tự do - Hạnh phúc" in texts and "Nơi nhận:" in texts
    decomposed = unicodedata.normalize("NFD", "Tỷ lệ hộ nghèo giảm")
    again = docx.Document(io.BytesIO(word.render_docx([Section("x", [Paragraph(decomposed)])], "x")))
    assert again.paragraphs[0].text == "Tỷ lệ hộ nghèo giảm" and again.paragraphs[0].text != decomposed


def test_same_figures_and_words_as_the_html(overview):
    parts, _, document = overview
    in_html = html_words(parts)
    in_docx = "\n".join(body_paragraphs(document))
    assert Counter(FIGURE.findall(in_html)) == Counter(FIGURE.findall(in_docx))
    assert len(FIGURE.findall(in_html)) > 500
    html_words_ = Counter(re.findall(r"\w+", in_html))
    docx_words = Counter(re.findall(r"\w+", in_docx))
    # the draft adds only the Quốc hiệu, "Nơi nhận" and the blank signature space; the HTML has both too
    assert html_words_ - docx_words == Counter()


def test_bullets_are_dash_list_paragraphs(overview):
    parts, _, document = overview
    first = next(b for s in parts for b in s.blocks if b.kind == "bullets")
    listed = [p for p in document.paragraphs if p.style.name == "List Paragraph"]
    assert [p.text for p in listed[:len(first.items)]] == [f"- {item}" for item in first.items]


def test_a_lead_in_stays_with_its_chart_or_table():
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": "Hai cột",
            "data": {"values": [{"a": "Quý I", "b": 1}, {"a": "Quý II", "b": 2}]},
            "mark": "bar", "encoding": {"x": {"field": "a", "type": "nominal"}, "y": {"field": "b", "type": "quantitative"}}}
    document = docx.Document(io.BytesIO(word.render_docx([Section("x", [
        Heading("(1) Chỉ tiêu"), Paragraph("Đơn vị chủ trì."), Paragraph("Dẫn vào biểu đồ."),
        Chart(spec=spec, svg="", title="Hai cột"), Table(["Kỳ", "Giá trị"], [["Quý I", "1"]], numeric=[1]),
        Paragraph("Dẫn vào bảng."), Table(["Kỳ", "Giá trị"], [["Quý II", "2"]], numeric=[1]), Paragraph("Kết."),
        Paragraph("Hết.")])], "x")))
    kept = {p.text: p.paragraph_format.keep_with_next for p in document.paragraphs if p.text}
    assert kept == {"(1) Chỉ tiêu": None, "Đơn vị chủ trì.": True, "Dẫn vào biểu đồ.": True, "Dẫn vào bảng.": True,
                    "Kết.": None, "Hết.": None}
    chart = next(p for p in document.paragraphs if p._p.xpath(".//w:drawing"))
    assert chart.paragraph_format.keep_with_next is None      # a chart may end a page: less white space
    assert document.paragraphs[0].style.paragraph_format.keep_with_next          # the heading, by its style
    assert len(document.inline_shapes) == 1                  # drawn from the spec when the block has no SVG


def test_a_cell_of_several_lines_keeps_its_line_breaks():
    document = docx.Document(io.BytesIO(word.render_docx(
        [Section("x", [Table(["Kỳ", "Ghi chú"], [["Quý I", "Dòng một\nDòng hai"]])])], "x")))
    cell = document.tables[0].rows[1].cells[1]
    assert cell.text == "Dòng một\nDòng hai" and len(cell._tc.xpath(".//w:r/w:br")) == 1


def test_column_widths_fill_the_text_width_and_keep_words_whole():
    columns, rows = ["TT", "Chỉ tiêu", "Đánh giá"], [["(1)", "Thu ngân sách nhà nước trên địa bàn", "→ Cần đẩy nhanh"]]
    widths = word._column_widths(columns, rows, word.TEXT_WIDTH)
    assert abs(sum(widths) - word.TEXT_WIDTH) < len(widths)
    assert widths[0] >= word._text_width("(1)") and widths[2] >= word._text_width("nhanh")
    assert widths[1] > widths[2] > widths[0]


# -- from an executed notebook --------------------------------------------------------------------
def test_sections_are_read_in_cell_order_from_section_outputs():
    one, two = Section("a", [Heading("I. Một")]), Section("b", [Paragraph("Hai.")])
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Tiêu đề"),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", text="log\n")]),
        nbformat.v4.new_code_cell("a", outputs=[nbformat.v4.new_output("display_data", data={
            "text/html": one.html(), SECTION_MIME: one.to_json()})]),
        nbformat.v4.new_code_cell("b", outputs=[nbformat.v4.new_output("execute_result", execution_count=1, data={
            "text/plain": "b", SECTION_MIME: json.dumps(two.to_json())})]),
    ])
    assert [s.to_json() for s in word.sections_of(nb)] == [one.to_json(), two.to_json()]


def test_a_chart_is_drawn_from_the_drawing_its_output_holds():
    """The draft takes each chart's SVG from the notebook (the spec there is JupyterLab's, never drawn again)."""
    import vl_convert as vlc

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
           '<rect width="40" height="20" fill="#0072B2"/></svg>')
    part = Section("x", [Paragraph("Trước."), Chart(spec={"mark": "không vẽ được"}, svg=svg, title="Một ô"),
                         Paragraph("Sau.")])
    outputs = [nbformat.v4.new_output("display_data", **o) for o in part.outputs()]
    nb = nbformat.reads(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])),
                        as_version=4)
    [back] = word.sections_of(nb)
    assert [(b.kind, getattr(b, "svg", None)) for b in back.blocks] == [("paragraph", None), ("chart", svg), ("paragraph", None)]
    document = docx.Document(io.BytesIO(word.notebook_to_docx(nb, "x")))
    [image] = [p for p in document.part.package.parts if p.partname.startswith("/word/media/")]
    assert image.blob == vlc.svg_to_png(svg, scale=word.PNG_SCALE)
    assert [p.text for p in document.paragraphs if p.text] == ["Trước.", "Sau."]


def test_a_section_whose_chart_output_is_missing_names_its_cell():
    part = Section("x", [Paragraph("Trước."), Chart(spec={"mark": "bar"}, svg="<svg></svg>", title="c")])
    first = part.outputs()[0]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"), nbformat.v4.new_code_cell(
        "x", outputs=[nbformat.v4.new_output("display_data", **first)])])
    with pytest.raises(KehoachError, match="Ô thứ 2 của sổ tay báo cáo: không đọc được nội dung để lập bản Word "
                                           r"\(phần “x” có 1 biểu đồ nhưng 0 kết quả biểu đồ\)"):
        word.sections_of(nb)


def test_a_notebook_without_sections_is_refused_in_vietnamese():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("sections.closing(ctx)")])
    with pytest.raises(KehoachError, match="Sổ tay của báo cáo \"Báo cáo BQLDA\" không có phần báo cáo nào"):
        word.notebook_to_docx(nb, "Báo cáo BQLDA")


def test_a_damaged_section_output_names_its_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# x"),
        nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("display_data", data={
            SECTION_MIME: {"name": "x", "blocks": [{"kind": "nothing"}]}})])])
    with pytest.raises(KehoachError, match="Ô thứ 2 của sổ tay báo cáo: không đọc được nội dung"):
        word.sections_of(nb)


def test_export_refuses_a_damaged_notebook_file_and_writes_nothing(tmp_path):
    broken = tmp_path / "overview.ipynb"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(KehoachError, match="overview.ipynb: không đọc được sổ tay đã chạy để lập bản Word"):
        word.export_docx(broken, tmp_path / "bao-cao-tong-hop.docx", "Báo cáo tổng hợp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overview.ipynb"]


def test_an_unknown_block_is_written_as_its_text():
    @dataclass
    class Note:
        text: str
        kind: str = "note"

    document = docx.Document(io.BytesIO(word.render_docx([Section("x", [Note("Ghi chú mới.")])], "x")))
    assert [p.text for p in document.paragraphs] == ["Ghi chú mới."]


@pytest.mark.slow
def test_unit_letter_from_a_real_executed_notebook(tmp_path):
    """papermill runs notebooks/unit.ipynb from data/ (no KEHOACH_ROOT); the draft holds its sections."""
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_ROOT"}
    out = tmp_path / "unit.ipynb"
    papermill = os.path.join(os.path.dirname(sys.executable), "papermill")
    proc = subprocess.run([papermill, "notebooks/unit.ipynb", str(out), "-p", "period", "2026-Q3", "-p", "unit", "BQLDA",
                           "--no-progress-bar"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    nb = nbformat.read(out, as_version=4)
    parts = word.sections_of(nb)
    data = word.notebook_to_docx(nb, "Báo cáo Ban Quản lý dự án phường 2026-Q3")
    (tmp_path / "unit.docx").write_bytes(data)
    document = docx.Document(io.BytesIO(data))
    assert cell_lines(document.tables[0].rows[0].cells[0])[:2] == ["ỦY BAN NHÂN DÂN", "PHƯỜNG PHAN ĐÌNH PHÙNG"]
    assert [p.text for p in document.paragraphs if p.style.name.startswith("Heading")] == \
        [b.text for b in blocks_of(parts, Heading)]
    assert len(document.tables) == len(blocks_of(parts, Table)) + 2
    assert len(document.inline_shapes) == len(blocks_of(parts, Chart))
    in_docx = "\n".join(body_paragraphs(document))
    assert "Ban Quản lý dự án phường" in in_docx
    assert Counter(FIGURE.findall(html_words(parts))) == Counter(FIGURE.findall(in_docx))
    assert cell_lines(document.tables[-1].rows[0].cells[1])[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    written = word.export_docx(out, tmp_path / "don-vi-BQLDA.docx", "Báo cáo Ban Quản lý dự án phường 2026-Q3")
    assert written.read_bytes()[:2] == b"PK" and docx.Document(written).tables[0].rows[0].cells[0].text == \
        document.tables[0].rows[0].cells[0].text


# -- the phụ lục (issue 28) ----------------------------------------------------------------------------
NUMBER = re.compile(r"[+−-]?\d+(?:[.,]\d+)*%?")


def _appendix_table(document):
    return next(t for t in document.tables if t.cell(0, 0).text == "TT" and t.cell(0, 2).text == "ĐVT")


def test_phu_luc_starts_a_new_landscape_page_numbered_like_the_rest(overview):
    _, _, document = overview
    body, appendix = document.sections
    assert appendix.start_type == WD_SECTION.NEW_PAGE and appendix.orientation == WD_ORIENT.LANDSCAPE
    assert [round(x.mm) for x in (appendix.page_width, appendix.page_height)] == [297, 210]
    assert [round(x.mm) for x in (appendix.left_margin, appendix.right_margin)] == [30, 15]
    assert not appendix.different_first_page_header_footer and appendix.header.is_linked_to_previous
    assert body.orientation == WD_ORIENT.PORTRAIT
    # the page break comes right before "PHỤ LỤC I": the section of the body ends in the paragraph before it
    paragraphs = document.element.body.findall(qn("w:p"))
    breaks = [i for i, p in enumerate(paragraphs) if p.find(qn("w:pPr")) is not None
              and p.find(qn("w:pPr")).find(qn("w:sectPr")) is not None]
    assert len(breaks) == 1 and "".join(t.text for t in paragraphs[breaks[0] + 1].iter(qn("w:t"))) == "PHỤ LỤC I"


def test_phu_luc_title_is_bold_and_centred(overview):
    _, _, document = overview
    texts = [p.text for p in document.paragraphs]
    start = texts.index("PHỤ LỤC I")
    heading, title, note = document.paragraphs[start:start + 3]
    assert title.text == "BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU PHÁT TRIỂN KINH TẾ - XÃ HỘI 9 THÁNG NĂM 2026"
    for paragraph in (heading, title, note):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER and paragraph.paragraph_format.first_line_indent == 0
    assert all(r.bold for p in (heading, title) for r in p.runs) and all(r.italic for r in note.runs)


def test_phu_luc_columns_fit_the_landscape_text_width_and_no_number_is_split(overview):
    parts, _, document = overview
    block = blocks_of(parts, Table)[-1]
    table = _appendix_table(document)
    widths = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]     # twips
    assert abs(sum(widths) - round(Mm(297 - 30 - 15).twips)) <= len(widths)
    for j, width in enumerate(widths):
        cells = [block.columns[j], *(row[j] for row in block.rows)]
        widest_number = max((word._text_width(n) for c in cells for n in NUMBER.findall(c)), default=0)
        widest_word = max(word._text_width(w) for c in cells for w in c.split())
        assert Mm(width / 56.6929).emu >= max(widest_number, widest_word) - Mm(0.1), block.columns[j]
    names = widths[1]                                        # the indicator names get the room to wrap
    assert names >= max(widths[2:]) and names > widths[0]
    header = table.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None and all(
        r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)
    group = table.rows[1]                                    # "I  Nhóm chỉ tiêu về Kinh tế" in bold
    assert group.cells[1].text == "Nhóm chỉ tiêu về Kinh tế" and all(r.bold for r in group.cells[1].paragraphs[0].runs)
    assert all(c.paragraphs[0].paragraph_format.keep_with_next for c in group.cells)   # never alone at a page's foot


def test_a_narrow_table_keeps_the_portrait_page():
    columns, rows = ["TT", "Chỉ tiêu", "Kết quả"], [["1", "Thu ngân sách nhà nước trên địa bàn", "652.149"]]
    assert not word.appendix_needs_landscape(columns, rows)
    document = docx.Document(io.BytesIO(word.render_docx(
        [Section("appendix", [Heading("PHỤ LỤC"), Table(columns, rows)])], "x")))
    assert len(document.sections) == 2 and document.sections[1].orientation == WD_ORIENT.PORTRAIT
