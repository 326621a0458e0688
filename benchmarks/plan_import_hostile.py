"""Benchmark: `kehoach plan import` on hostile files — each refused (or read) within 5 s and 300 MB.

Generates, in a temporary folder, the files a careless or hostile sender could hand over:

* a zip-bomb .docx (14 MB whose word/document.xml expands to 2,2 GB; built from a hand-written deflate
  stream, so that making it costs no compression time), and the same bomb declaring 4 KB for that
  part (with a matching CRC), which a reader trusting the zip's header would unpack whole;
* a text of 5 million lines, and a text that is one 100 MB line;
* a PDF of 10.000 pages, and a PDF whose cross-reference table is broken;
* a plan text near the documented limits (9.000 lines, half of them 3.500 characters long, 19 MB), and a
  .docx of 9.500 long paragraphs (about 9 MB of XML), under the 10.000 paragraphs limit.

Each file is imported in its own Python process (``import_plan``, nothing written); the child
reports the time of the import (wall clock and CPU time: the verdict uses the CPU time, since on
a shared machine the wall clock also counts other processes' turns) and its peak resident memory
(``getrusage``, the whole process: interpreter and libraries included). Run:

    .venv/bin/python benchmarks/plan_import_hostile.py [--smoke] [--json]

``--smoke`` makes the bomb 200 MB, the long line 30 MB (still beyond the limits) and the large .docx
3.000 paragraphs, and imports
every file in one child, so its memory column is the running peak of that child.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_SECONDS, LIMIT_MB = 5.0, 300.0

# -- generators ------------------------------------------------------------------------------------


class _Bits:
    """A deflate bit writer (least significant bit first; Huffman codes most significant bit first)."""

    def __init__(self) -> None:
        self.out, self.acc, self.n = bytearray(), 0, 0

    def write(self, value: int, count: int) -> None:
        self.acc |= value << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def code(self, value: int, count: int) -> None:
        self.write(int(f"{value:0{count}b}"[::-1], 2), count)

    def align(self) -> None:
        if self.n:
            self.out.append(self.acc & 0xFF)
            self.acc, self.n = 0, 0

    def stored(self, data: bytes, final: bool) -> None:
        self.write(int(final), 1)
        self.write(0, 2)
        self.align()
        self.out += struct.pack("<HH", len(data), 0xFFFF ^ len(data)) + data


def deflate_spaces(prefix: bytes, pairs: int, suffix: bytes) -> bytes:
    """A raw deflate stream: ``prefix`` (ending in a space), 258 × ``pairs`` more spaces, ``suffix``."""
    bits = _Bits()
    bits.stored(prefix, final=False)
    bits.write(0, 1)
    bits.write(1, 2)  # a block with the fixed Huffman codes
    done = 0
    while bits.n or done < 8:  # until byte aligned: from there every 8 (length 258, distance 1) pairs are 13 bytes
        bits.code(0b11000101, 8)
        bits.write(0, 5)
        done += 1
    start = len(bits.out)
    for _ in range(8):
        bits.code(0b11000101, 8)
        bits.write(0, 5)
    period = bytes(bits.out[start:])
    done += 8
    repeat = (pairs - done) // 8
    bits.out += period * repeat
    done += repeat * 8
    for _ in range(pairs - done):
        bits.code(0b11000101, 8)
        bits.write(0, 5)
    bits.write(0, 7)  # end of block
    bits.stored(suffix, final=True)
    return bytes(bits.out)


def _zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> None:
    """Write a zip by hand: (name, deflated data, CRC-32, uncompressed size) per entry."""
    central, offset = bytearray(), 0
    with path.open("wb") as handle:
        for name, data, crc, size in entries:
            raw = name.encode()
            header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0)
            handle.write(header + raw)
            handle.write(data)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                                   len(raw), 0, 0, 0, 0, 0, offset) + raw
            offset += len(header) + len(raw) + len(data)
        handle.write(central)
        handle.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), offset, 0))


def zip_bomb_docx(path: Path, size: int, declared: int | None = None) -> Path:
    """A .docx whose word/document.xml is ``size`` bytes (mostly spaces inside one paragraph).

    With ``declared``, the zip lies: it declares that many bytes for the part, with the CRC of its
    first ``declared`` bytes, so that a reader trusting the header unpacks everything in one call.
    """
    import io

    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH")
    document.save(buffer)
    import zipfile

    entries = []
    with zipfile.ZipFile(buffer) as archive:
        for info in archive.infolist():
            if info.filename == "word/document.xml":
                continue
            data = archive.read(info)
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            entries.append((info.filename, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)))
    prefix = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org'
              b'/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t xml:space="preserve"> ')
    suffix = b"</w:t></w:r></w:p></w:body></w:document>"
    pairs = max(1, (size - len(prefix) - len(suffix)) // 258)
    crc = zlib.crc32(prefix)
    chunk = b" " * (258 * 65536)
    left = pairs * 258
    while left:
        part = chunk[:min(left, len(chunk))]
        crc = zlib.crc32(part, crc)
        left -= len(part)
    crc = zlib.crc32(suffix, crc)
    total = len(prefix) + pairs * 258 + len(suffix)
    if declared is not None:
        crc, total = zlib.crc32((prefix + b" " * declared)[:declared]), declared
    entries.append(("word/document.xml", deflate_spaces(prefix, pairs, suffix), crc, total))
    _zip(path, entries)
    return path


def many_lines_txt(path: Path, lines: int = 5_000_000) -> Path:
    path.write_bytes(b"x\n" * lines)
    return path


def long_line_txt(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        chunk = "Thu ngân sách ".encode() * 4096
        written = 0
        while written < size:
            handle.write(chunk)
            written += len(chunk)
    return path


def many_pages_pdf(path: Path, pages: int = 10_000) -> Path:
    """A PDF of ``pages`` empty pages, written by hand (a page tree with one level)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % (3 + i) for i in range(pages)))]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    return _pdf(path, objects)


def _pdf(path: Path, objects: list[bytes], xref: bool = True) -> Path:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % (o if xref else 7 + 13 * i) for i, o in enumerate(offsets))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start if xref else start + 99)
    path.write_bytes(bytes(out))
    return path


def bad_xref_pdf(path: Path) -> Path:
    """A one-page PDF with text whose cross-reference offsets and startxref point at the wrong places."""
    stream = b"BT /F1 12 Tf 72 720 Td (Chi tieu 1: Thu ngan sach 100 trieu dong) Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return _pdf(path, objects, xref=False)


def largest_allowed_txt(path: Path) -> Path:
    """A plan text near the documented limits: 9.000 lines, half of them 3.500 characters long (19 MB)."""
    head = ["ỦY BAN NHÂN DÂN PHƯỜNG GIỚI HẠN", "KẾ HOẠCH", "Phát triển kinh tế - xã hội phường Giới Hạn năm 2027",
            "(Kèm theo Quyết định số 1/QĐ-UBND ngày 05/01/2027 của UBND phường Giới Hạn, tỉnh Thái Nguyên)",
            "I. CÁC CHỈ TIÊU CHỦ YẾU", "1. Các chỉ tiêu về kinh tế"]
    body = [f"({n}) Tỷ lệ hồ sơ minh họa loại {n} được giải quyết đúng hạn: {50 + n % 50}%." for n in range(1, 201)]
    tasks = ["II. NHIỆM VỤ, GIẢI PHÁP"]
    prose = "Tiếp tục đẩy mạnh cải cách hành chính, nâng cao chất lượng dịch vụ công trực tuyến; " * 40
    for n in range(1, 4_400):
        tasks += [f"{n}. Nhiệm vụ minh họa số {n}", prose]
    tail = ["III. TỔ CHỨC THỰC HIỆN", "1. Giao Phòng Kinh tế phường chủ trì các chỉ tiêu từ chỉ tiêu số 1 đến chỉ tiêu số 200."]
    path.write_text("\n".join(head + body + tasks + tail) + "\n", encoding="utf-8")
    return path


def largest_allowed_docx(path: Path, paragraphs: int) -> Path:
    """A Word decision near the limits: ``paragraphs`` paragraphs of ~700 characters (9.500: ~9 MB of XML)."""
    import docx

    document = docx.Document()
    for text in ("ỦY BAN NHÂN DÂN PHƯỜNG GIỚI HẠN", "KẾ HOẠCH", "Phát triển kinh tế - xã hội phường Giới Hạn năm 2027",
                 "(Kèm theo Quyết định số 1/QĐ-UBND ngày 05/01/2027 của UBND phường Giới Hạn, tỉnh Thái Nguyên)",
                 "I. CÁC CHỈ TIÊU CHỦ YẾU", "1. Các chỉ tiêu về kinh tế"):
        document.add_paragraph(text)
    for n in range(1, 201):
        document.add_paragraph(f"({n}) Tỷ lệ hồ sơ minh họa loại {n} được giải quyết đúng hạn: {50 + n % 50}%.")
    document.add_paragraph("II. NHIỆM VỤ, GIẢI PHÁP")
    prose = "Tiếp tục đẩy mạnh cải cách hành chính, nâng cao chất lượng dịch vụ công trực tuyến; " * 8
    body = document.element.body
    template = document.add_paragraph(prose)._p
    for _ in range(paragraphs - 210):
        body.append(__import__("copy").deepcopy(template))
    document.add_paragraph("III. TỔ CHỨC THỰC HIỆN")
    document.add_paragraph("1. Giao Phòng Kinh tế phường chủ trì các chỉ tiêu từ chỉ tiêu số 1 đến chỉ tiêu số 200.")
    document.save(path)
    return path


def hostile_files(folder: Path, smoke: bool) -> dict[str, Path]:
    return {
        "zip-bomb .docx": zip_bomb_docx(folder / "bom.docx", 200_000_000 if smoke else 2_200_000_000),
        "zip-bomb .docx khai sai cỡ": zip_bomb_docx(folder / "bom-gia.docx", 200_000_000 if smoke else 2_200_000_000, 4096),
        "5 triệu dòng .txt": many_lines_txt(folder / "nhieu-dong.txt"),
        "một dòng 100 MB .txt": long_line_txt(folder / "dong-dai.txt", 30_000_000 if smoke else 100_000_000),
        "dòng dài 15 MB .txt": long_line_txt(folder / "dong-15mb.txt", 15_000_000),
        "PDF 10.000 trang": many_pages_pdf(folder / "10000-trang.pdf"),
        "PDF hỏng bảng xref": bad_xref_pdf(folder / "xref-hong.pdf"),
        "văn bản lớn nhất được nhận": largest_allowed_txt(folder / "lon-nhat.txt"),
        ".docx lớn nhất được nhận": largest_allowed_docx(folder / "lon-nhat.docx", 3_000 if smoke else 9_500),
    }


# -- measuring ------------------------------------------------------------------------------------
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from kehoach.core.errors import KehoachError
from kehoach.data.planimport import import_plan
for path in sys.argv[2:]:
    start, cpu = time.perf_counter(), time.process_time()
    try:
        report = import_plan(path, reference=None, write=False)
        outcome = "đọc được: " + report.summary().splitlines()[0]
    except KehoachError as exc:
        outcome = "từ chối: " + str(exc)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"path": path, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak, "outcome": outcome}, ensure_ascii=False), flush=True)
"""


def measure(paths: list[Path]) -> list[dict]:
    """Import ``paths`` in one child process; per file its import time and the child's peak memory so far."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), *map(str, paths)], capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="smaller bomb and long line, one child for all files")
    parser.add_argument("--json", action="store_true", help="print one JSON line per file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = hostile_files(Path(tmp), args.smoke)
        if args.smoke:
            results = measure(list(files.values()))
        else:
            results = [measure([path])[0] for path in files.values()]
        worst = 0.0
        for (label, path), result in zip(files.items(), results):
            size = path.stat().st_size / 1024 / 1024
            ok = result["cpu_seconds"] <= LIMIT_SECONDS and result["peak_mb"] <= LIMIT_MB
            worst = max(worst, result["seconds"])
            if args.json:
                print(json.dumps({"file": label, "mb": size, **result, "within_limits": ok}, ensure_ascii=False))
            else:
                print(f"{label:<28} {size:8.1f} MB  {result['seconds']:6.2f} s (CPU {result['cpu_seconds']:5.2f} s)  đỉnh {result['peak_mb']:6.0f} MB  "
                      f"{'trong giới hạn' if ok else 'VƯỢT GIỚI HẠN'}  {result['outcome'][:110]}")
        print(f"giới hạn: {LIMIT_SECONDS:g} s và {LIMIT_MB:g} MB mỗi tệp; lâu nhất {worst:.2f} s")


if __name__ == "__main__":
    main()
