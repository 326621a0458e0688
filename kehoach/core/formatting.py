"""Vietnamese number and period formatting, built on Babel's ``vi`` locale.

Official documents write 869.532 (dot groups thousands) and 0,02 (comma marks decimals).
:func:`parse_number` reads those forms back, and plain forms too, by one rule:

* a comma is always the decimal mark (``1,14`` is 1.14);
* with a comma present, dots group thousands (``1.234.567,9``);
* with dots only, a dot followed by groups of exactly three digits groups thousands
  (``869.532`` is 869532, ``1.234`` is 1234); any other dot is a decimal point
  (``1.14``, ``0.02``, ``1.2345``), and so is the dot of a number that starts with 0
  (``0.001`` is one thousandth: no grouped number starts with 0).

So "1.234" always means one thousand two hundred thirty-four; write "1,234" for the decimal.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext

from babel.numbers import format_decimal

from kehoach.core.errors import FormatError

LOCALE = "vi"

_GROUPED_DOTS = re.compile(r"^[+-]?(0|[1-9]\d{0,2})(\.\d{3})+$")
_GROUPED_DOTS_ONLY = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")  # with dots only, "0.001" is a decimal
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def nfc(text: str) -> str:
    """Normalize Vietnamese text to NFC (composed diacritics)."""
    return unicodedata.normalize("NFC", text)


def nfc_tree(node: object) -> object:
    """Parsed YAML or JSON with every string (keys too) NFC-normalized."""
    if isinstance(node, str):
        return nfc(node)
    if isinstance(node, list):
        return [nfc_tree(n) for n in node]
    if isinstance(node, dict):
        return {nfc_tree(k): nfc_tree(v) for k, v in node.items()}
    return node


#: Characters text from data never keeps: C0 controls but tab, line feed and carriage return (NUL, vertical
#: tab, ESC …), DEL and the C1 controls, the bidirectional marks, embeddings, overrides and isolates.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> tuple[str, int]:
    """``text`` without :data:`CONTROL_CHARACTERS` (the line and paragraph separators become line breaks).

    Returns the text and how many characters were removed. Such characters are invisible or
    reorder what is shown (U+202E), break XML (a vertical tab fails a Word draft) and drive
    terminals (ESC): the import strips them from a unit's words and says so.
    """
    cleaned = CONTROL_CHARACTERS.sub("", text)
    removed = len(text) - len(cleaned)
    return cleaned.replace("\u2028", "\n").replace("\u2029", "\n"), removed


def fmt_number(value: object, decimals: int | None = None) -> str:
    """Format a number the Vietnamese way: 869.532; 0,02; 1.234.567,9. Never raises.

    ``decimals`` fixes the number of decimals; by default up to 2 are shown and
    trailing zeros dropped. ``None``, NaN and ``pd.NA`` give an empty string, infinities
    "∞" and "-∞"; any size of finite number is written in full; a value that is not a number
    is written as text.
    """
    number = _as_float(value)
    if number is None:
        return "" if _is_missing(value) else str(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    places = 2 if decimals is None else max(0, min(int(decimals), 20))
    if decimals is None:
        pattern = "#,##0.##"
    elif places == 0:
        pattern = "#,##0"
    else:
        pattern = "#,##0." + "0" * places
    # Official documents round half up (6,25 → 6,3); Babel alone would round half to even.
    # A float has at most 309 integer digits: a wide context keeps quantize exact for all of them.
    with localcontext(Context(prec=400, Emax=1000, Emin=-1000)):
        rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = format_decimal(rounded, format=pattern, locale=LOCALE)
    return "0" if text in ("-0", "-0,0", "-0,00") and decimals in (None, 0) else text


def _as_float(value: object) -> float | None:
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def _is_missing(value: object) -> bool:
    # pandas' missing markers, recognised without importing pandas (report kernels run without it)
    return value is None or type(value).__name__ in ("NAType", "NaTType")


def fmt_percent(value: float | None, decimals: int = 1) -> str:
    """A percentage given in percent units: 75.1 → "75,1%". Never raises."""
    text = fmt_number(value, decimals)
    return text + "%" if text else ""


def fmt_value(value: float | None, unit: str) -> str:
    """A value with its unit as a report writes it: "869.532 triệu đồng", "96,5%". Never raises."""
    text = fmt_number(value)
    if not text:
        return ""
    return text + "%" if unit == "%" else f"{text} {unit}"


def parse_number(raw: object) -> float:
    """Read a number written in Vietnamese or plain notation; see the module doc for the rule.

    Accepts ints and floats as they are, and strings such as "869.532", "1,14", "75,5%",
    "1.234.567,9", "869532", "1.14". A trailing "%" is dropped (the value stays in percent).
    Raises :class:`FormatError` for anything else.
    """
    if isinstance(raw, bool):
        raise FormatError(f"“{raw}” không phải là số")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise FormatError(f"“{raw}” không phải là số")
        return float(raw)
    if not isinstance(raw, str):
        raise FormatError(f"“{raw}” không phải là số")
    text = nfc(raw).strip().replace("\u00a0", "").replace(" ", "")
    if text.endswith("%"):
        text = text[:-1]
    if not text:
        raise FormatError("ô trống, cần nhập một số")
    if "," in text:
        if text.count(",") > 1:
            raise FormatError(f"“{raw}” có nhiều dấu phẩy; dấu phẩy là dấu thập phân, chỉ dùng một lần")
        whole, frac = text.split(",")
        if "." in whole and not _GROUPED_DOTS.match(whole):
            raise FormatError(f"“{raw}” viết sai nhóm nghìn; viết như 1.234.567,9")
        text = whole.replace(".", "") + "." + frac
    elif _GROUPED_DOTS_ONLY.match(text):
        text = text.replace(".", "")
    if not _PLAIN.match(text):
        raise FormatError(f"“{raw}” không phải là số (ví dụ hợp lệ: 869.532; 1,14; 75,5%)")
    try:
        return float(Decimal(text))
    except InvalidOperation as exc:  # pragma: no cover - the regex guards this
        raise FormatError(f"“{raw}” không phải là số") from exc


def fmt_date(value: "dt.date | dt.datetime | None") -> str:
    """A date in running text, as the plan writes it: 13/3/2026 (no leading zeros); "—" if missing."""
    if value is None or value != value:  # None or NaT
        return "—"
    return f"{value.day}/{value.month}/{value.year}"


def document_date(value: "dt.date | None", year: int | None = None) -> str:
    """The date line of an administrative document: "ngày 05 tháng 02 năm 2026".

    Nghị định 30/2020/NĐ-CP, Phụ lục I, Phần I, mục II, khoản 4 (địa danh và thời gian ban hành
    văn bản): days below 10 and the months 1 and 2 take a leading zero. Without a date the line is
    left blank for signing: "ngày … tháng … năm 2026".
    """
    if value is None:
        return f"ngày … tháng … năm {year or ''}".rstrip()
    day = f"{value.day:02d}" if value.day < 10 else str(value.day)
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {day} tháng {month} năm {value.year}"


def decimals_of(*values: object) -> int:
    """The precision of reported figures: the most decimals among ``values``, at most 2 (652149 → 0, 10,95 → 2).

    Estimates are written at this precision, so a projection keeps the precision of what it comes from.
    """
    places = 0
    for value in values:
        if value is None or value != value or isinstance(value, str):
            continue
        number = float(value)
        if not math.isfinite(number):
            continue
        exponent = Decimal(repr(round(number, 6))).normalize().as_tuple().exponent
        places = max(places, -int(exponent) if isinstance(exponent, int) and exponent < 0 else 0)
    return min(places, 2)


def fmt_exact(value: object) -> str:
    """A figure at the precision it was given, up to 6 decimals (0,003 stays 0,003; 652149 stays 652.149).

    For messages about a value a unit typed, where :func:`fmt_number`'s two decimals would say "0" for 0,003.
    """
    number = _as_float(value)
    if number is None or not math.isfinite(number):
        return fmt_number(value)
    exponent = Decimal(repr(round(number, 6))).normalize().as_tuple().exponent
    places = -int(exponent) if isinstance(exponent, int) and exponent < 0 else 0
    return fmt_number(number, min(places, 6))
