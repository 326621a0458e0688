"""Read a plan decision into numbered lines: plain text, Word (.docx, tables included) or PDF.

Every line keeps where it came from ("dòng 12", "đoạn 40", "bảng 1, hàng 3", "trang 2, dòng 7")
so that the import summary can point at the lines it could not place.

Reading is bounded, so that a hostile or broken file is refused quickly instead of filling the
memory (a zip bomb, a text of millions of lines, a PDF of thousands of pages). The limits
(:data:`LIMITS`) are far above any real plan decision (tens of pages, a few thousand lines):

* any file: at most :data:`MAX_FILE_BYTES`;
* a .docx: every part at most :data:`MAX_DOCX_PART` once uncompressed, all parts together at most
  :data:`MAX_DOCX_TOTAL`, at most :data:`MAX_DOCX_PARTS` parts;
* every source: at most :data:`MAX_LINES` lines (paragraphs and table rows), each at most
  :data:`MAX_LINE_CHARS` characters;
* a .pdf: at most :data:`MAX_PDF_PAGES` pages, read within :data:`PDF_SECONDS` seconds.

Text files may be UTF-8 (with or without BOM), UTF-16 (with or without BOM), Windows-1258 or
Windows-1252; the encoding is detected with charset-normalizer and the text normalized to NFC.
Control characters (C0 and C1 except tab and line breaks, bidirectional overrides) are removed.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kehoach.core.errors import PlanError
from kehoach.core.formatting import fmt_number, nfc

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".docx", ".pdf")

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DOCX_PART = 15 * 1024 * 1024
MAX_DOCX_TOTAL = 60 * 1024 * 1024
MAX_DOCX_PARTS = 2000
MAX_LINES = 10_000
MAX_LINE_CHARS = 20_000
MAX_PDF_PAGES = 300
PDF_SECONDS = 4.0
#: The documented limits, as the README lists them.
LIMITS = {"file_bytes": MAX_FILE_BYTES, "docx_part_bytes": MAX_DOCX_PART, "docx_total_bytes": MAX_DOCX_TOTAL,
          "docx_parts": MAX_DOCX_PARTS, "lines": MAX_LINES, "line_chars": MAX_LINE_CHARS, "pdf_pages": MAX_PDF_PAGES}

#: Encodings a text file may be in, besides UTF-8/UTF-16 found by their BOM or by decoding.
TEXT_ENCODINGS = ["cp1258", "cp1252"]
#: C0 and C1 controls except tab and line breaks, DEL, bidirectional controls, zero-width characters.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Line:
    """One line of the source, cleaned; ``cells`` is set for a row of a Word table."""

    text: str
    where: str
    table: int | None = None
    cells: tuple[str, ...] | None = None


def clean(text: str) -> str:
    """NFC, no control characters, no Markdown emphasis, no non-breaking or repeated spaces."""
    text = nfc(text).replace("\u00a0", " ").replace("*", "")
    if CONTROL.search(text):
        text = CONTROL.sub("", text)
    return " ".join(text.split())


def _mb(size: int) -> str:
    return f"{fmt_number(size / 1024 / 1024, 1)} MB"


def read_lines(path: Path) -> list[Line]:
    """The non-empty lines of ``path``; raises :class:`PlanError` naming the file on any problem."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise PlanError(f"{path}: không nhập được tệp “{path.suffix}”; chỉ nhận .txt, .docx hoặc .pdf "
                        "(tệp .doc cũ: mở bằng Word rồi lưu lại dạng .docx).")
    if not path.is_file():
        raise PlanError(f"{path}: không tìm thấy tệp; kiểm tra lại đường dẫn.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise PlanError(f"{path}: tệp lớn {_mb(size)}, vượt giới hạn {_mb(MAX_FILE_BYTES)} của một văn bản kế hoạch; "
                        "kiểm tra lại tệp (bỏ hình ảnh, phụ lục không cần thiết) rồi nhập lại.")
    if suffix != ".txt":
        _check_kind(path, suffix)
    reader = {".txt": _text_lines, ".docx": _docx_lines, ".pdf": _pdf_lines}[suffix]
    lines = [line for line in reader(path) if line.text or line.cells]
    if not lines:
        raise PlanError(f"{path}: tệp không có chữ nào đọc được (tệp PDF chụp ảnh cần nhận dạng chữ trước).")
    return lines


#: How each kind of file begins (a PDF's mark may sit anywhere in its first 1024 bytes), to name a renamed file.
_MAGIC = {b"PK\x03\x04": ".docx", b"%PDF-": ".pdf", b"\xd0\xcf\x11\xe0": ".doc", b"{\\rtf": ".rtf"}
_KINDS = {".docx": ("tệp nén zip (như tệp Word .docx)", "đổi đuôi tệp thành .docx rồi nhập lại"),
          ".pdf": ("tệp PDF", "đổi đuôi tệp thành .pdf rồi nhập lại"),
          ".doc": ("tệp Word cũ (.doc)", "mở bằng Word rồi lưu lại dạng .docx"),
          ".rtf": ("tệp RTF", "mở bằng Word rồi lưu lại dạng .docx")}


def _check_kind(path: Path, suffix: str) -> None:
    """Refuse a .docx or .pdf that is another kind of file, saying which, before a library reads it."""
    with path.open("rb") as file:
        head = file.read(1024)
    found = next((kind for magic, kind in _MAGIC.items()
                  if head.startswith(magic) or (kind == ".pdf" and magic in head)), None)
    if found == suffix:
        return
    if found is None:
        raise PlanError(f"{path}: tệp mang đuôi “{suffix}” nhưng nội dung không phải tệp {suffix}; tệp có thể bị hỏng "
                        "hoặc chọn nhầm tệp. Kiểm tra lại tệp rồi nhập lại.")
    what, todo = _KINDS[found]
    raise PlanError(f"{path}: tệp mang đuôi “{suffix}” nhưng thực ra là {what}; {todo}.")


def _check_lines(path: Path, count: int) -> None:
    if count > MAX_LINES:
        raise PlanError(f"{path}: văn bản có hơn {fmt_number(MAX_LINES)} dòng/đoạn, vượt giới hạn của một văn bản kế hoạch; "
                        "kiểm tra lại tệp (có thể chọn nhầm tệp) rồi nhập lại.")


def _check_line(path: Path, text: str, where: str) -> None:
    if len(text) > MAX_LINE_CHARS:
        raise PlanError(f"{path}, {where}: dòng dài {fmt_number(len(text))} ký tự, vượt giới hạn "
                        f"{fmt_number(MAX_LINE_CHARS)} ký tự; văn bản kế hoạch không có đoạn dài như vậy, kiểm tra lại tệp.")


# -- plain text ------------------------------------------------------------------------------------
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


def decode_text(path: Path, data: bytes) -> str:
    """The text of a plan file: UTF-8 ± BOM, UTF-16 ± BOM, Windows-1258/1252; NFC. Raises PlanError naming the encoding."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is not None:
        try:
            return nfc(data.decode(encoding))
        except UnicodeDecodeError as exc:
            raise PlanError(f"{path}: tệp có dấu mã hóa {'UTF-8' if encoding == 'utf-8-sig' else 'UTF-16'} "
                            f"nhưng byte ở vị trí {exc.start} không đọc được theo mã đó; lưu lại tệp với mã UTF-8 rồi nhập lại.") from None
    try:
        return nfc(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    found = charset_normalizer.from_bytes(data, cp_isolation=TEXT_ENCODINGS + ["utf_16_le", "utf_16_be"]).best()
    if found is None:
        guess = charset_normalizer.from_bytes(data[:65536]).best()
        named = f" (có vẻ là mã {guess.encoding})" if guess is not None else ""
        raise PlanError(f"{path}: không đọc được mã hóa của tệp văn bản{named}; chỉ nhận UTF-8, UTF-16, Windows-1258 "
                        "hoặc Windows-1252. Mở tệp và lưu lại với mã UTF-8 rồi nhập lại.")
    log.info("%s: read as %s", path, found.encoding)
    return nfc(str(found))


def _text_lines(path: Path) -> list[Line]:
    data = path.read_bytes()
    _check_lines(path, max(data.count(b"\n"), data.count(b"\r")))  # before decoding: cheap, an upper bound
    text = decode_text(path, data)
    del data  # the bytes, the text and its lines are never all held at once
    if "\x00" in text:
        raise PlanError(f"{path}: tệp chứa ký tự NUL, không phải văn bản thuần; lưu lại tệp dạng văn bản UTF-8 rồi nhập lại.")
    raw_lines = text.splitlines()
    del text
    _check_lines(path, len(raw_lines))
    lines = []
    for n, raw in enumerate(raw_lines, start=1):
        _check_line(path, raw, f"dòng {n}")
        lines.append(Line(clean(raw), f"dòng {n}"))
    return lines


# -- Word ------------------------------------------------------------------------------------------
def safe_docx(path: Path) -> io.BytesIO:
    """The .docx re-packed in memory after every part was unpacked within the limits (a zip bomb is refused).

    The sizes a zip declares may lie, and a library reading a part in one call unpacks all of it
    before noticing; so each part is read here in bounded chunks, never beyond its declared size
    (which must be within the limits), its CRC checked, and python-docx opens the clean copy.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PlanError(f"{path}: không mở được tệp Word ({type(exc).__name__}: cấu trúc tệp nén hỏng); tệp có thể bị hỏng "
                        "hoặc không phải .docx. Mở bằng Word và lưu lại rồi nhập lại.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_DOCX_PARTS:
            raise PlanError(f"{path}: tệp Word có {fmt_number(len(infos))} phần, vượt giới hạn {fmt_number(MAX_DOCX_PARTS)}; "
                            "tệp có thể bị hỏng.")
        _check_sizes(path, infos)
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as out:
            for info in infos:
                out.writestr(info.filename, _read_part(path, archive, info))
    copy.seek(0)
    return copy


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_DOCX_PART:
            raise PlanError(f"{path}: phần “{info.filename}” của tệp Word giải nén ra {_mb(info.file_size)}, vượt giới hạn "
                            f"{_mb(MAX_DOCX_PART)}; tệp bất thường (có thể là tệp nén độc hại), không nhập.")
    if total > MAX_DOCX_TOTAL:
        raise PlanError(f"{path}: tệp Word giải nén ra {_mb(total)}, vượt giới hạn {_mb(MAX_DOCX_TOTAL)}; "
                        "bỏ bớt hình ảnh hoặc phụ lục rồi nhập lại.")


def _read_part(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One part, unpacked 1 MB at a time and never past its declared size; a wrong CRC or size refuses the file."""
    chunks, size = [], 0
    try:
        with archive.open(info) as part:
            while chunk := part.read(1 << 20):
                size += len(chunk)
                if size > info.file_size:  # pragma: no cover - zipfile stops at the declared size itself
                    break
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise PlanError(f"{path}: phần “{info.filename}” của tệp Word bị hỏng ({type(exc).__name__}: kích thước hoặc mã "
                        "kiểm tra không khớp); tệp bất thường (có thể là tệp nén độc hại), không nhập.") from None
    return b"".join(chunks)


def _docx_lines(path: Path) -> list[Line]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    from kehoach.data.planimport.numbering import ListNumbers

    unpacked = safe_docx(path)
    try:
        document = docx.Document(unpacked)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise PlanError(f"{path}: không mở được tệp Word ({type(exc).__name__}); tệp có thể bị hỏng hoặc không phải .docx. "
                        "Mở bằng Word và lưu lại rồi nhập lại.") from None
    body = document.element.body
    _check_lines(path, len(body.findall(".//" + _W_P)))
    numbers = ListNumbers(document)
    lines: list[Line] = []
    paragraph = table_number = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            table_number += 1
            for r, row in enumerate(block.rows, start=1):
                cells = tuple(clean(cell.text.replace("\n", " ")) for cell in row.cells)
                shown = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]  # merged cells once
                where = f"bảng {table_number}, hàng {r}"
                _check_line(path, " | ".join(shown), where)
                lines.append(Line(" | ".join(shown), where, table_number, cells))
        else:
            paragraph += 1
            text = block.text
            _check_line(path, text, f"đoạn {paragraph}")
            label = numbers.label(block) if text.strip() else None  # Word's automatic list number
            for n, part in enumerate(text.split("\n")):  # a manual line break inside a paragraph
                shown = f"{label} {part}" if label and n == 0 else part
                lines.append(Line(clean(shown), f"đoạn {paragraph}"))
        _check_lines(path, len(lines))
    return lines


_W_P = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"


# -- PDF -------------------------------------------------------------------------------------------
def _pdf_lines(path: Path) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    start = time.monotonic()
    lines: list[Line] = []
    page_number = 0
    try:
        reader = PdfReader(str(path))
        declared = reader.trailer["/Root"]["/Pages"].get("/Count", 0)  # before the page tree is walked
        if isinstance(declared, int) and declared > MAX_PDF_PAGES:
            count = declared
        else:
            count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise PlanError(f"{path}: tệp PDF có {fmt_number(count)} trang, vượt giới hạn {MAX_PDF_PAGES} trang của một văn bản "
                            "kế hoạch; kiểm tra lại tệp (có thể chọn nhầm tệp).")
        for page_number, page in enumerate(reader.pages, start=1):
            if time.monotonic() - start > PDF_SECONDS:
                raise PlanError(f"{path}: đọc tệp PDF quá {fmt_number(PDF_SECONDS)} giây mới tới trang {page_number}; tệp quá "
                                "phức tạp. Lưu văn bản dạng .docx hoặc .txt rồi nhập lại.")
            text = page.extract_text() or ""
            for n, raw in enumerate(text.splitlines(), start=1):
                where = f"trang {page_number}, dòng {n}"
                _check_line(path, raw, where)
                lines.append(Line(clean(raw), where))
            _check_lines(path, len(lines))
    except PlanError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            ZeroDivisionError, AssertionError) as exc:
        at = f", trang {page_number}" if page_number else ""
        raise PlanError(f"{path}{at}: không đọc được tệp PDF (lỗi cấu trúc tệp: {type(exc).__name__}); tệp có thể bị hỏng. "
                        "Mở tệp bằng trình đọc PDF và in lại ra PDF, hoặc lưu văn bản dạng .docx rồi nhập lại.") from None
    return lines
