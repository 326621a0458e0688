"""Benchmark: import a generated plan decision of 200 indicators in a Word table (.docx).

Writes a .docx like a large commune's decision (header paragraphs, one table with group rows
and 200 indicator rows naming their responsible units, a part II and a part III), then times
``import_plan`` (reading, parsing, proposing codes, writing and validating the draft). Run:

    .venv/bin/python benchmarks/plan_import.py [--indicators 200] [--repeat 3] [--smoke]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kehoach.data.planimport import import_plan  # noqa: E402

GROUPS = ["Chỉ tiêu về kinh tế", "Chỉ tiêu về xã hội", "Chỉ tiêu về môi trường", "Chỉ tiêu về quốc phòng, an ninh",
          "Chỉ tiêu về chuyển đổi số"]
UNITS = ["Phòng Kinh tế, Hạ tầng và Đô thị phường", "Phòng Văn hóa - Xã hội phường", "Trung tâm Phục vụ hành chính công phường",
         "Ban Chỉ huy quân sự phường", "Công an phường"]
ROMAN = ["I", "II", "III", "IV", "V"]


def make_docx(path: Path, indicators: int) -> Path:
    document = docx.Document()
    for text in ("ỦY BAN NHÂN DÂN PHƯỜNG MINH HỌA", "KẾ HOẠCH", "Phát triển kinh tế - xã hội phường Minh Họa năm 2027",
                 "(Kèm theo Quyết định số 99/QĐ-UBND ngày 15/01/2027 của UBND phường Minh Họa, tỉnh Thái Nguyên)",
                 "I. CÁC CHỈ TIÊU CHỦ YẾU NĂM 2027"):
        document.add_paragraph(text)
    groups = min(len(GROUPS), max(1, indicators // 5))
    per_group = -(-indicators // groups)
    table = document.add_table(rows=1, cols=5)
    for cell, text in zip(table.rows[0].cells, ("STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2027", "Đơn vị chủ trì")):
        cell.text = text
    number = 0
    for g in range(groups):
        row = table.add_row().cells
        row[0].text, row[1].text = ROMAN[g], GROUPS[g]
        for _ in range(per_group):
            if number == indicators:
                break
            number += 1
            row = table.add_row().cells
            percent = number % 3 != 0
            values = (str(number), f"Tỷ lệ chỉ tiêu minh họa số {number} của nhóm {g + 1}" if percent else
                      f"Số lượng công trình minh họa số {number}", "%" if percent else "công trình",
                      f"{80 + number % 20},5" if percent else f"{1000 + number}.000", UNITS[number % len(UNITS)])
            for cell, text in zip(row, values):
                cell.text = text
    for text in ("II. NHIỆM VỤ, GIẢI PHÁP", "1. Phát triển kinh tế", "Thu hút đầu tư.", "2. Chuyển đổi số", "Số hóa hồ sơ.",
                 "III. TỔ CHỨC THỰC HIỆN", "1. Văn phòng HĐND và UBND phường tổng hợp, báo cáo định kỳ."):
        document.add_paragraph(text)
    document.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20 indicators, one run (for the test suite)")
    args = parser.parse_args()
    if args.smoke:
        args.indicators, args.repeat = 20, 1
    with tempfile.TemporaryDirectory() as tmp:
        source = make_docx(Path(tmp) / "ke-hoach.docx", args.indicators)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = import_plan(source, Path(tmp) / "draft.yaml", reference=None, force=True)
            times.append(time.perf_counter() - start)
        print(report.summary().splitlines()[0])
        print(f"import_plan: {args.indicators} indicators from .docx, best {min(times):.2f} s, "
              f"median {sorted(times)[len(times) // 2]:.2f} s over {args.repeat} runs")


if __name__ == "__main__":
    main()
