"""Word's automatic list numbers ("1.", "a)", "(12)", "II."), which python-docx does not render.

A decision typed in Word often numbers its parts, groups and indicators with automatic lists,
so the numbers are not in the paragraph's text. :class:`ListNumbers` reads the numbering
definitions (``word/numbering.xml``) and gives each numbered paragraph its label, counting as
Word does: per list, per level, a deeper level restarting when a shallower one moves on.
"""

from __future__ import annotations

import logging

from docx.oxml.ns import qn

log = logging.getLogger(__name__)

_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letter(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


FORMATS = {
    "decimal": str, "decimalZero": lambda n: f"{n:02d}", "lowerLetter": _letter, "upperLetter": lambda n: _letter(n).upper(),
    "lowerRoman": lambda n: _roman(n).lower(), "upperRoman": _roman,
}


def _val(element, tag: str) -> str | None:
    child = element.find(qn(tag)) if element is not None else None
    return child.get(qn("w:val")) if child is not None else None


class ListNumbers:
    """Labels of a document's numbered paragraphs, in reading order."""

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → level → (format, text, start)
        self.abstract_of: dict[str, str] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.style_numbering: dict[str | None, tuple[str | None, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for node in numbering.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in node.findall(qn("w:lvl")):
                start = _val(lvl, "w:start")
                levels[int(lvl.get(qn("w:ilvl")))] = (_val(lvl, "w:numFmt") or "decimal", _val(lvl, "w:lvlText") or "",
                                                      int(start) if start and start.isdigit() else 1)
            abstract[node.get(qn("w:abstractNumId"))] = levels
        for num in numbering.findall(qn("w:num")):
            abstract_id = _val(num, "w:abstractNumId")
            self.abstract_of[num.get(qn("w:numId"))] = abstract_id
            self.levels[num.get(qn("w:numId"))] = abstract.get(abstract_id, {})

    def label(self, paragraph) -> str | None:
        """The paragraph's list label ("3.", "b)", "(12)"), counting it; None for a paragraph outside a list."""
        num_id, level = self._numbering(paragraph)
        if num_id is None or num_id == "0" or num_id not in self.levels:
            return None
        formats = self.levels[num_id]
        key = self.abstract_of.get(num_id, num_id)
        counters = self.counters.setdefault(key, {})
        counters[level] = counters.get(level, formats.get(level, ("decimal", "", 1))[2] - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        fmt, text, _ = formats.get(level, ("decimal", f"%{level + 1}.", 1))
        if fmt in ("bullet", "none"):
            return "-" if fmt == "bullet" else None
        for lvl in range(level, -1, -1):
            value = counters.get(lvl, formats.get(lvl, ("decimal", "", 1))[2])
            render = FORMATS.get(formats.get(lvl, ("decimal",))[0], str)
            text = text.replace(f"%{lvl + 1}", render(value))
        return text

    def _numbering(self, paragraph) -> tuple[str | None, int]:
        """(numId, level) of a paragraph: its own numbering, else its style's (looked up once per style)."""
        ppr = paragraph._p.pPr
        num_pr = ppr.numPr if ppr is not None else None
        if num_pr is None:
            style_id = ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None
            if style_id not in self.style_numbering:
                self.style_numbering[style_id] = self._style_numbering(paragraph)
            return self.style_numbering[style_id]
        return self._num_pr(num_pr)

    @staticmethod
    def _num_pr(num_pr) -> tuple[str | None, int]:
        num_id = num_pr.numId.val if num_pr.numId is not None else None
        level = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        return (str(num_id) if num_id is not None else None), int(level)

    def _style_numbering(self, paragraph) -> tuple[str | None, int]:
        style = paragraph.style  # python-docx's lookup is slow: done once per style id
        while style is not None:
            style_ppr = style.element.pPr
            num_pr = style_ppr.numPr if style_ppr is not None else None
            if num_pr is not None:
                return self._num_pr(num_pr)
            style = style.base_style
        return None, 0
