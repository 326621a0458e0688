"""Control characters in a unit's words (vertical tab, NUL, ESC, bidi overrides): stripped at the import, said
so, and never reaching a Word draft, a page or a terminal raw. Documented in README ("Progress data")."""

from __future__ import annotations

import io
import shutil

import docx

from kehoach.cli import main
from kehoach.core.formatting import strip_controls
from kehoach.data.store import ProgressStore
from kehoach.reporting import word
from kehoach.reporting.blocks import Heading, Paragraph, Section, Table, render
from tests.conftest import PROJECT

HOSTILE = "Đã xong\vphần một\x00, \x1b[31mđỏ\x1b[0m và \u202eđảo chiều\u202c; dòng\u2028mới"


def test_strip_controls_keeps_the_words_and_counts_what_it_removed():
    assert strip_controls(HOSTILE) == ("Đã xongphần một, [31mđỏ[0m và đảo chiều; dòng\nmới", 6)
    assert strip_controls("Tab\tvà\ndòng\r\n") == ("Tab\tvà\ndòng\r\n", 0)


def test_the_import_strips_them_and_says_which(workbench, tmp_path, capsys):
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    csv = tmp_path / "ghi-chu.csv"
    csv.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note\n"
                   f'phan-dinh-phung,2026,PVHCC,9,2026-Q3,91,false,"{HOSTILE}"\n', encoding="utf-8")
    assert main(["import", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "Lưu ý: dòng 2, cột note: đã bỏ 6 ký tự điều khiển (NUL, tab dọc, ESC, ký tự đảo chiều văn bản…)" in out
    notes = ProgressStore(workbench / "data" / "progress").read("phan-dinh-phung", 2026)["note"].dropna().tolist()
    assert notes[-1] == "Đã xongphần một, [31mđỏ[0m và đảo chiều; dòng\nmới"


def test_a_vertical_tab_already_stored_never_breaks_the_word_draft():
    """Records imported before the import stripped them still reach the draft: it strips them too."""
    parts = [Section("ket-qua", [Heading("Kết quả"), Paragraph(HOSTILE), Table(["Chỉ tiêu", "Ghi chú"], [["(9)", HOSTILE]])])]
    document = docx.Document(io.BytesIO(word.render_docx(parts, "Báo cáo\v tổng hợp")))
    text = "\n".join(p.text for p in document.paragraphs) + "".join(c.text for t in document.tables for r in t.rows
                                                                      for c in r.cells)
    assert "phần một" in text and "đảo chiều" in text
    assert not any(ch in text for ch in "\v\x00\x1b\u202e\u202c")


def test_pages_never_carry_them():
    page = render("index.html.j2", title=f"Báo cáo {HOSTILE}", issuer="UBND\x1b[2J", rows=[], banner="")
    assert "Đã xongphần một" in page and not any(ch in page for ch in "\v\x00\x1b\u202e\u202c")


def test_markup_stays_markup():
    """An SVG chart passed as Markup is printed as markup, not escaped, with its controls removed too."""
    import markupsafe

    page = render("index.html.j2", title="Báo cáo", issuer="UBND", rows=[],
                  banner=markupsafe.Markup('<svg class="x">\x1b<text>Số</text></svg>'))
    assert '<svg class="x"><text>Số</text></svg>' in page
