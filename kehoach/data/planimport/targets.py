"""Reading an indicator's line: its name, target, unit and comparison, as officials write them.

"Thu ngân sách nhà nước trên địa bàn: 869.532 triệu đồng trở lên", "Tỷ lệ thất nghiệp: dưới 3%",
"Chi ngân sách nhà nước đảm bảo 100% kế hoạch giao", "Giá trị sản xuất tăng 4,5 - 5%",
"Giảm tỷ lệ hộ nghèo 1,5%", "Thu nhập bình quân đầu người đạt từ 68 triệu đồng/người/năm trở lên".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kehoach.core.errors import FormatError
from kehoach.core.formatting import parse_number

#: A number in any official form: 869.532; 0,02; 1,14; 1.234.567,9; 100.
NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_NUMBER = re.compile(rf"(?<![\w/])({NUMBER})(?![\d/]|\s*/\s*\d)")
_RANGE = re.compile(rf"({NUMBER})\s*(%?)\s*(?:-|–|—|đến|tới)\s*({NUMBER})")
#: Words that start a target after an indicator's name when the line has no colon, longest first.
SPLIT_WORDS = ["phấn đấu đạt", "giảm xuống", "giảm còn", "không vượt quá", "không quá", "không dưới", "không thấp hơn",
               "không ít hơn", "đảm bảo", "bảo đảm", "duy trì", "giữ vững", "ở mức", "tối thiểu", "ít nhất", "đạt", "tăng", "giảm",
               "trên", "dưới", "từ", "≥", "≤"]
_UNIT_STOP = re.compile(r"\s+(?:trở lên|trở xuống|trở|so với|kế hoạch|dự toán|trên|năm \d{4}|vào|tại)\b|[.;,(:]|$")


#: The combining marks Vietnamese uses (tones, circumflex, breve, horn), all in this block.
_COMBINING = re.compile("[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower case without diacritics and with single spaces, for matching despite typos such as 'Phân đấu'."""
    text = _COMBINING.sub("", unicodedata.normalize("NFD", text.lower()).replace("đ", "d"))
    return " ".join(text.split())


def slug(text: str, max_words: int = 6, max_length: int = 40) -> str:
    """An ASCII slug: "Thu ngân sách nhà nước" → "thu-ngan-sach-nha-nuoc"."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    out: list[str] = []
    for word in words[:max_words]:
        if len("-".join(out + [word])) > max_length:
            break
        out.append(word)
    return "-".join(out) or "chi-tieu"


_YEAR_BEFORE = re.compile(r"(?:năm|giai đoạn|đến|-|–)\s*$", re.IGNORECASE)


def numbers_in(text: str) -> list[re.Match]:
    """The numbers of ``text``, without the years ("năm 2026", "giai đoạn 2026-2030")."""
    return [m for m in _NUMBER.finditer(text)
            if not (re.fullmatch(r"(?:19|20|21)\d\d", m.group(1)) and _YEAR_BEFORE.search(text[:m.start()]))]


@dataclass
class Target:
    """What a target phrase says; ``checks`` holds the KIỂM TRA remarks for guessed parts."""

    value: float
    unit: str
    comparison: str
    reduction: bool = False
    range_text: str | None = None
    notes: str | None = None
    checks: dict[str, str] = field(default_factory=dict)


def split_name(body: str) -> tuple[str, str] | None:
    """Split an indicator's text into (name, target phrase), or None when it holds no target.

    A colon followed by a number separates them; otherwise the last of :data:`SPLIT_WORDS`
    before the first number does ("Chi ngân sách nhà nước | đảm bảo 100% kế hoạch giao").
    """
    body = body.strip().rstrip(".;").strip()
    for match in re.finditer(r":", body):
        rest = body[match.end():]
        if numbers_in(rest):
            return body[:match.start()].strip(), rest.strip()
    found = numbers_in(_outside_parentheses(body))
    if not found:
        return None
    first = found[0].start()
    prefix = fold(body[:first])
    best = None  # (end, -start) of the split word: the last one, and of words ending together the longest
    for word in SPLIT_WORDS:  # ("không dưới" over "dưới", which would read the opposite comparison)
        for m in re.finditer(rf"(?:^|\s){re.escape(fold(word))}(?=\s|$)", prefix):
            start = m.start() + (1 if m.group(0).startswith(" ") else 0)
            if start > 0 and (best is None or (m.end(), -start) > best):
                best = (m.end(), -start)
    best = _extend_back(prefix, -best[1] if best else None)
    cut = best if best is not None else first
    name, target = body[:cut].strip(" ,-–"), body[cut:].strip()
    return (name, target) if name else None


def _extend_back(prefix: str, start: int | None) -> int | None:
    """Move a split point back over split words just before it: "đạt | từ 68" → "| đạt từ 68"."""
    moved = True
    while start and moved:
        moved = False
        head = prefix[:start].rstrip()
        for word in SPLIT_WORDS:
            w = fold(word)
            if head.endswith(" " + w) and len(head) - len(w) > 0:
                start, moved = len(head) - len(w), True
                break
    return start


def _outside_parentheses(text: str) -> str:
    """``text`` with parenthesised parts blanked (same length), so their numbers are not targets."""
    out, depth = [], 0
    for ch in text:
        depth += ch == "("
        out.append(" " if depth else ch)
        depth -= ch == ")" and depth > 0
    return "".join(out)


#: Targets at or above this are not plan figures (a typo, "1e308", "999…9"): refused and flagged.
MAX_TARGET = 1e15
_SCIENTIFIC = re.compile(r"\d(?:[.,]\d+)?\s*[eE]\s*[+\-]?\d+")
_MINUS = re.compile(r"(?:^|[\s:(])[-−–]\s*$")
#: Qualitative targets read as "100%": the thing is reached (đạt chuẩn, hoàn thành) or kept (giữ vững).
_QUALITATIVE = re.compile(r"^(?:phan dau\s+)?(?:dat chuan|dat tieu chuan|hoan thanh|giu vung|duy tri|dat)\b")


def parse_target(phrase: str, unit_hint: str | None = None) -> Target | None:
    """Read a target phrase ("869.532 triệu đồng trở lên", "dưới 3%", "4,5 - 5%"); None without a number."""
    phrase = phrase.strip().rstrip(".;").strip()
    notes = [n.strip() for n in re.findall(r"\(([^()]*)\)", phrase) if n.strip()]
    main = re.sub(r"\s*\([^()]*\)", "", phrase).strip()
    checks: dict[str, str] = {}
    if _SCIENTIFIC.search(main):
        return None
    span = _RANGE.search(main)
    range_text = None
    if span and not _MINUS.search(main[:span.start()]):
        number_text, start, end = span.group(1), span.start(), span.end()
        range_text = span.group(0)
        checks["target"] = f"kế hoạch ghi khoảng “{range_text}”; đã lấy cận dưới làm chỉ tiêu"
    else:
        found = numbers_in(main)
        if not found:
            return None
        number_text, start, end = found[0].group(1), found[0].start(), found[0].end()
    try:
        value = parse_number(number_text)
    except FormatError:
        return None
    if _MINUS.search(main[:start]):
        value = -value
    before = fold(main[:start])
    after = main[end:]
    unit = _unit(after, unit_hint)
    comparison, reduction = _comparison(before, fold(after), checks)
    extra = fold(main).replace(fold(number_text), "").strip()
    if re.search(r"ke hoach|du toan|chi tieu (?:tinh|cap tren) giao", extra):
        notes.insert(0, main)
    return Target(value, unit, comparison, reduction, range_text, "; ".join(notes) or None, checks)


def qualitative_target(phrase: str) -> Target | None:
    """"Đạt chuẩn", "giữ vững", "hoàn thành" without a number: 100 (%) reached, flagged for review."""
    f = fold(phrase).strip(" .;:")
    if not _QUALITATIVE.match(f) or numbers_in(phrase):
        return None
    target = Target(100.0, "%", ">=")
    target.checks["target"] = f"kế hoạch ghi “{phrase.strip()}”, không có con số; đã ghi 100% (đạt = 100%)"
    return target


def implausible(value: float, unit: str, growth: bool) -> str | None:
    """Why ``value`` cannot be a plan target (a share over 100 or under 0, ≥ 10^15, a negative count), else None."""
    if abs(value) >= MAX_TARGET or value != value:
        return "con số quá lớn (từ 10^15 trở lên), không phải chỉ tiêu kế hoạch"
    if unit == "%" and not growth and (value > 100 or value < 0):
        return "tỷ lệ phải từ 0 đến 100%"
    if unit != "%" and value < 0:
        return "số lượng, số tiền không thể âm"
    return None


def _unit(after: str, hint: str | None) -> str:
    if hint:
        hint = hint.strip()
        if hint.lower() in ("%", "tỷ lệ %", "tỷ lệ"):
            return "%"
        return hint if hint.isupper() else hint[:1].lower() + hint[1:]
    after = after.lstrip()
    if after.startswith("%"):
        return "%"
    stop = _UNIT_STOP.search(after)
    return after[:stop.start()].strip() if stop else after.strip()


def _comparison(before: str, after: str, checks: dict[str, str]) -> tuple[str, bool]:
    """(comparison, is_reduction) from the words around the number."""
    if re.search(r"\b(khong duoi|khong thap hon|khong it hon|toi thieu|it nhat)\b", before) or "≥" in before or ">=" in before:
        return ">=", False
    if re.search(r"\b(giam xuong|giam con|con duoi)\b", before):
        return "<", False
    if re.search(r"\bgiam\b", before):
        return ">=", True
    if re.search(r"\b(khong vuot qua|khong qua|toi da)\b", before) or "tro xuong" in after or "≤" in before or "<=" in before:
        checks["comparison"] = "kế hoạch ghi “không quá/tối đa” (≤); lược đồ chỉ có “<”, xem lại"
        return "<", False
    if re.search(r"(^|\s)(duoi|thap hon)(\s|$)", before) or before.strip().endswith("<"):
        return "<", False
    if "tro len" in after:
        return ">=", False
    if re.search(r"(^|\s)(tren|hon|vuot)(\s|$)", before) or before.strip().endswith(">"):
        return ">", False
    return ">=", False
