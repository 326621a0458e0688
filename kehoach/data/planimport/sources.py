"""Read a plan decision into numbered lines: plain text, Word (.docx, tables included) or PDF.

Every line keeps where it came from ("dòng 12", "đoạn 40", "bảng 1, hàng 3", "trang 2, dòng 7")
so that the import summary can point at the lines it could not place.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kehoach.core.errors import PlanError
from kehoach.core.formatting import nfc

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".docx", ".pdf")


@dataclass(frozen=True)
class Line:
    """One line of the source, cleaned; ``cells`` is set for a row of a Word table."""

    text: str
    where: str
    table: int | None = None
    cells: tuple[str, ...] | None = None


def clean(text: str) -> str:
    """NFC, no Markdown emphasis, no non-breaking or repeated spaces."""
    text = nfc(text).replace("\u00a0", " ").replace("\u200b", "").replace("*", "")
    return re.sub(r"[ \t]+", " ", text).strip()


def read_lines(path: Path) -> list[Line]:
    """The non-empty lines of ``path``; raises :class:`PlanError` naming the file on any problem."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise PlanError(f"{path}: không nhập được tệp “{path.suffix}”; chỉ nhận .txt, .docx hoặc .pdf "
                        "(tệp .doc cũ: mở bằng Word rồi lưu lại dạng .docx).")
    if not path.is_file():
        raise PlanError(f"{path}: không tìm thấy tệp; kiểm tra lại đường dẫn.")
    reader = {".txt": _text_lines, ".docx": _docx_lines, ".pdf": _pdf_lines}[suffix]
    lines = [line for line in reader(path) if line.text or line.cells]
    if not lines:
        raise PlanError(f"{path}: tệp không có chữ nào đọc được (tệp PDF chụp ảnh cần nhận dạng chữ trước).")
    return lines


def _text_lines(path: Path) -> list[Line]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PlanError(f"{path}: tệp văn bản không ở mã UTF-8; lưu lại tệp với mã UTF-8 rồi nhập lại.")
    return [Line(clean(raw), f"dòng {n}") for n, raw in enumerate(text.splitlines(), start=1)]


def _docx_lines(path: Path) -> list[Line]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanError(f"{path}: không mở được tệp Word ({exc}); tệp có thể bị hỏng hoặc không phải .docx.") from None
    from kehoach.data.planimport.numbering import ListNumbers

    numbers = ListNumbers(document)
    lines: list[Line] = []
    paragraph = table_number = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            table_number += 1
            for r, row in enumerate(block.rows, start=1):
                cells = tuple(clean(cell.text.replace("\n", " ")) for cell in row.cells)
                shown = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]  # merged cells once
                lines.append(Line(" | ".join(shown), f"bảng {table_number}, hàng {r}", table_number, cells))
        else:
            paragraph += 1
            label = numbers.label(block) if block.text.strip() else None  # Word's automatic list number
            for n, part in enumerate(block.text.split("\n")):  # a manual line break inside a paragraph
                text = f"{label} {part}" if label and n == 0 else part
                lines.append(Line(clean(text), f"đoạn {paragraph}"))
    return lines


def _pdf_lines(path: Path) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, OSError, ValueError, KeyError) as exc:
        log.info("pypdf cannot read %s: %r", path, exc)
        raise PlanError(f"{path}: không đọc được tệp PDF (tệp hỏng, có mật khẩu, hoặc không phải PDF). Mở tệp bằng trình đọc PDF "
                        "và in/lưu lại thành PDF mới, hoặc dùng bản .docx hay .txt của quyết định.") from None
    lines = []
    for p, text in enumerate(pages, start=1):
        for n, raw in enumerate(text.splitlines(), start=1):
            lines.append(Line(clean(raw), f"trang {p}, dòng {n}"))
    return lines
