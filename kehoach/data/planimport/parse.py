"""Turn the lines of a plan decision into a draft plan: metadata, groups, indicators, units, tasks.

The decision's parts are found by their headings, numbered or not ("I.", "PHẦN II", "4.1.",
"a)", "Chỉ tiêu 1:", "(12)"), and by their words ("chỉ tiêu", "nhiệm vụ", "tổ chức thực hiện").
Indicators may also sit in a Word table (STT | Chỉ tiêu | Đơn vị tính | Kế hoạch | Đơn vị chủ trì).
A line that fits nowhere is kept with its place, for the import summary.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kehoach.data.planimport.sources import Line
from kehoach.data.planimport.targets import fold, implausible, numbers_in, parse_target, qualitative_target, split_name

ROMAN = r"(?-i:[IVX]{1,4})"
#: A part's heading: "PHẦN THỨ BA: …", "Phần II. …", "II. …", "B. …"; group 1, 2 or 3 tells which kind.
_MAJOR = re.compile(rf"^(?:(phần\s+(?:thứ\s+\S+?|{ROMAN}|\d+))\s*[.:)\-–]?|({ROMAN})\s*[.:)\-–]?|((?-i:[A-E]))\s*[.:)])\s+(.+)$",
                    re.IGNORECASE)
_ORDINALS = {"nhat": "I", "mot": "I", "hai": "II", "ba": "III", "tu": "IV", "bon": "IV", "nam": "V", "sau": "VI"}
_MAJOR_BARE = re.compile(rf"^phần\s+(?:thứ\s+\S+|{ROMAN}|\d+)\s*[.:]?$", re.IGNORECASE)
_LEVEL1 = re.compile(r"^(\d{1,2})[.)]\s+(.+)$")
_LEVEL2 = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?\s+(.+)$")
_LETTER = re.compile(r"^([a-zđ])[.)]\s+(.+)$")
_BULLET = re.compile(r"^[-–•+]\s*")
_PAREN_NUMBER = re.compile(r"^\((\d{1,3})\)\s*(.+)$")
_WORD_NUMBER = re.compile(r"^chỉ tiêu\s+(?:số\s+)?(\d{1,3})\s*[:.)\-–]\s*(.+)$", re.IGNORECASE)
_GROUP_WORDS = re.compile(r"^(?:(?:các\s+)?nhóm\s+)?(?:các\s+)?chỉ tiêu\s+(?:chủ yếu\s+)?(?:về\s+|thuộc\s+lĩnh vực\s+|lĩnh vực\s+)?(.+)$|^(?:về|lĩnh vực|nhóm)\s+(.+)$", re.IGNORECASE)
_DECISION = re.compile(r"quyết định\s+số\s*:?\s*(\d+[\w/.\-]*)\s+ngày\s+(\d{1,2})\s*(?:/|-|\.|\s+tháng\s+)\s*(\d{1,2})\s*(?:/|-|\.|\s+năm\s+)\s*(\d{4})", re.IGNORECASE)
_BODY = re.compile(r"(?:UBND|[ỦU]ỷ?y?\s*ban\s+nhân\s+dân)\s+(phường|xã|thị trấn|đặc khu)\s+(.+?)(?=\s*[,;)(]|\s+tỉnh\b|\s+năm\b|\s*$)", re.IGNORECASE | re.MULTILINE)
_PLACE = re.compile(r"\b(phường|xã|thị trấn|đặc khu)\s+([A-ZĐÂĂÊÔƠƯÁÀẢÃẠ][^\s,;()]*(?:\s+[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ0-9][^\s,;()]*)*)")
_PROVINCE = re.compile(r"\b(?:tỉnh|thành phố)\s+([A-ZĐ][^\s,;().]*(?:\s+[A-ZĐ][^\s,;().]*)*)")
_PART_WORDS = re.compile(r"nhiem vu|giai phap|to chuc thuc hien|boi canh|danh gia|quan diem|muc tieu tong quat")
#: Words that open a new part even inside part II (where other headings are its fields and tasks).
_TOP_WORDS = re.compile(r"to chuc thuc hien|chi tieu|boi canh|danh gia|quan diem|muc tieu|ket qua thuc hien|nhiem vu.*giai phap|giai phap")
#: An introduction or summary line before a list: "Phấn đấu hoàn thành 24 chỉ tiêu chủ yếu, gồm:".
_COUNT = re.compile(r"\(?\s*(?:gồm|có|bao gồm|tổng (?:cộng|số)\s*:?)?\s*\d{1,3}\s+chỉ tiêu[^:()]*\)?\s*:?\s*$", re.IGNORECASE)
_PROVINCE_UPPER = re.compile(r"\b(?:TỈNH|THÀNH PHỐ)\s+([A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ ]*[A-ZĐÀ-Ỹ])\b")
_UNIT_TYPES = ("phòng", "ban", "công an", "trung tâm", "văn phòng", "trạm", "đội", "hội", "ủy ban", "uỷ ban",
               "trường", "công chức", "bộ phận", "chi cục", "đoàn", "mặt trận", "bảo hiểm", "kho bạc", "chi nhánh")
_UNIT_VERBS = ("chủ trì", "chịu trách nhiệm", "có trách nhiệm", "phụ trách", "theo dõi", "kịp thời", "thực hiện", "tham mưu",
               "tổ chức", "triển khai", "tuyên truyền", "hướng dẫn", "đôn đốc", "phối hợp", "là đơn vị")


@dataclass
class Draft:
    """The plan as read from the text, with a KIỂM TRA remark for each guessed field."""

    document: dict = field(default_factory=dict)
    document_checks: dict[str, str] = field(default_factory=dict)
    groups: list[DraftGroup] = field(default_factory=list)
    indicators: list[DraftIndicator] = field(default_factory=list)
    units: list[DraftUnit] = field(default_factory=list)
    tasks: list[DraftTask] = field(default_factory=list)
    unplaced: list[Line] = field(default_factory=list)
    #: The headings of part II (id, title), e.g. ("II.1", "Lĩnh vực kinh tế").
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: Units of part III naming indicator numbers that the list does not have, with those numbers.
    dangling: list[tuple[DraftUnit, list[int]]] = field(default_factory=list)


@dataclass
class DraftGroup:
    section: str
    name: str
    where: str
    sentence: str = ""
    code: str = ""
    checks: dict[str, str] = field(default_factory=dict)


@dataclass
class DraftIndicator:
    number: int
    name: str
    where: str
    group: DraftGroup | None = None
    target_phrase: str | None = None
    unit: str = ""
    target: float | None = None
    comparison: str = ">="
    reduction: bool = False
    notes: str | None = None
    owner_text: str | None = None
    unit_code: str | None = None
    code: str = ""
    kind: str = ""
    frequency: str = ""
    raw: str = ""
    extra: dict = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    sentence: str = ""                 # the line(s) of the source it was read from
    refused: bool = False              # a target was written but is implausible
    unit_hint: str | None = None       # the unit column of a table row
    unit_codes: list[str] = field(default_factory=list)  # every responsible unit, the lead first


@dataclass
class DraftUnit:
    item: str
    name: str
    body: str
    where: str
    members: list[str] = field(default_factory=list)
    role: str = "responsible"
    code: str = ""
    checks: dict[str, str] = field(default_factory=dict)
    sentence: str = ""


@dataclass
class DraftTask:
    id: str
    title: str
    where: str
    body: list[str] = field(default_factory=list)
    unit_code: str = ""
    summary: str = ""
    checks: dict[str, str] = field(default_factory=dict)
    sentence: str = ""


@dataclass
class DraftField:
    """A heading of part II (a field such as "Lĩnh vực kinh tế") and the tasks under it."""

    id: str
    title: str
    where: str
    sentence: str
    tasks: list[DraftTask] = field(default_factory=list)
    body: list[str] = field(default_factory=list)


# -- the walk over the lines ----------------------------------------------------------------
@dataclass
class _Table:
    columns: dict[str, int]


class _Parser:
    def __init__(self) -> None:
        self.draft = Draft()
        self.part = "front"        # front | background | indicators | tasks | organisation
        self.part_kind = ""        # the kind of heading that opened the part: phan | roman | letter
        self.part_label = "III"    # the label of the part (for the items of part III)
        self.in_indicators = False  # inside the indicators' sub-section of a wider part
        self.group: DraftGroup | None = None
        self.last: DraftIndicator | None = None
        self.task: DraftTask | None = None
        self.task_styles: list[str] = []                  # numbering styles of part II, in order of first use
        self.fields: list[DraftField] = []
        self.pending_major = False
        self.pending_group: tuple[str, str, Line] | None = None
        self.tables: dict[int, _Table | None] = {}
        self.unit: DraftUnit | None = None
        self.item: str | None = None                      # the numbered item of part III being read
        self.sub_items = 0
        self.front: list[Line] = []

    def run(self, lines: list[Line]) -> Draft:
        for line in lines:
            if line.cells is not None:
                self._table_row(line)
            elif line.text:
                self._line(line)
        self._finish_tasks()
        return self.draft

    # -- plain lines ---------------------------------------------------------------------
    def _line(self, line: Line) -> None:
        text = line.text
        if _MAJOR_BARE.match(text):  # "PHẦN I" on its own line: the title follows
            self.pending_major = "phan", _part_label(text)
            return
        if self.pending_major:
            kind, label = self.pending_major
            self.pending_major = False
            self._major(text, kind, label)
            return
        major = _MAJOR.match(text)
        if major and _heading_like(major.group(4)):
            kind = "phan" if major.group(1) else "roman" if major.group(2) else "letter"
            label = _part_label(major.group(1) or major.group(2) or major.group(3))
            title = major.group(4)
            if self._is_major(kind, title):
                self._major(title, kind, label)
                return
        handler = {"front": self._front, "background": self._background, "indicators": self._indicators,
                   "tasks": self._tasks, "organisation": self._organisation}[self.part]
        handler(line)

    def _is_major(self, kind: str, title: str) -> bool:
        """A part heading, or a heading inside the current part (a group, a field of part II)?"""
        f = fold(title)
        if self.part == "tasks" and kind != self.part_kind:
            return bool(_TOP_WORDS.search(f))  # "I. PHÁT TRIỂN KINH TẾ" under "PHẦN THỨ BA: NHIỆM VỤ"
        if self.part == "organisation" and kind != self.part_kind and not _TOP_WORDS.search(f):
            return False
        return bool(_PART_WORDS.search(f)) or not (self.in_indicators and self._group_name(title))

    def _major(self, title: str, kind: str = "roman", label: str = "") -> None:
        f = fold(title)
        self.in_indicators = False
        self.group, self.last, self.unit, self.item, self.pending_group = None, None, None, None, None
        self.part_kind, self.part_label = kind, label or self.part_label
        if "to chuc thuc hien" in f:
            self.part = "organisation"
        elif "chi tieu" in f and not ("nhiem vu" in f or "giai phap" in f):
            self.part, self.in_indicators = "indicators", True
        elif "nhiem vu" in f or "giai phap" in f:
            self.part = "tasks"
        elif "chi tieu" in f:
            self.part, self.in_indicators = "indicators", True
        else:
            self.part = "background"

    def _front(self, line: Line) -> None:
        self.front.append(line)

    def _background(self, line: Line) -> None:
        text = _BULLET.sub("", line.text)
        level1 = _LEVEL1.match(text) or _LETTER.match(text)
        body = level1.group(2) if level1 else text
        if "chi tieu" in fold(body) and (_intro(body) or (level1 and not split_name(_strip_year(body)))):
            self.part, self.in_indicators = "indicators", True
            self.last = None
        # Background prose (context, viewpoints, general goals) is read as such, not as data.

    # -- indicators ------------------------------------------------------------------------
    def _indicators(self, line: Line) -> None:
        pending, count = self.pending_group, len(self.draft.indicators)
        self._indicator_line(line)
        if pending is not None and self.pending_group is pending:
            self.pending_group = None
            if len(self.draft.indicators) == count:  # no indicator under it: the list had ended
                self._leave_indicators(line)

    def _indicator_line(self, line: Line) -> None:
        text = _BULLET.sub("", line.text)
        numbered = _PAREN_NUMBER.match(text) or _WORD_NUMBER.match(text)
        if numbered:
            self._indicator(int(numbered.group(1)), numbered.group(2), line)
            return
        heading = _LEVEL2.match(text)
        label, body = (f"{heading.group(1)}.{heading.group(2)}", heading.group(3)) if heading else (None, text)
        if heading is None:
            level1 = _LEVEL1.match(text) or _LETTER.match(text) or re.match(rf"^({ROMAN})[.)]\s+(.+)$", text)
            label, body = (level1.group(1), level1.group(2)) if level1 else (None, text)
        if _intro(body):
            group = self._group_name(_COUNT.sub("", body).strip(" ,:"))
            if label and group and not _starts_with_goal(body):
                self._group(label, _COUNT.sub("", body).strip(" ,:"), line)
            else:
                self.in_indicators, self.last = True, None  # "Phấn đấu hoàn thành 24 chỉ tiêu, gồm:"
            return
        if label is not None and self._numbered(label, body, line, dotted=heading is not None):
            return
        if self._continues(text):
            self._continue(text)
            return
        if line.text.startswith(("-", "–", "•", "+")) and split_name(text):
            number = (self.draft.indicators[-1].number + 1) if self.draft.indicators else 1
            self._indicator(number, text, line)
            self.last.checks["number"] = "dòng không đánh số; số thứ tự do chương trình đặt, xem lại"
            return
        if self._group_name(text) and not split_name(_strip_year(text)) and len(text) < 90:
            self._group(str(len(self.draft.groups) + 1), text, line)
            self.group.checks["section"] = "tiêu đề nhóm không đánh số; số mục do chương trình đặt"
            return
        self.draft.unplaced.append(line)

    def _numbered(self, label: str, body: str, line: Line, dotted: bool) -> bool:
        """A numbered line in the indicators' part: an indicator ("3. Tỷ lệ …: 95%") or a group heading.

        False for a lettered or Roman line that is neither (read on as plain text).
        """
        is_indicator = _has_target(body) and not _GROUP_WORDS.match(body)
        arabic = label.isdigit() and not dotted
        if arabic and is_indicator:
            self._indicator(int(label), body, line)
        elif not is_indicator and (self._group_name(body) or (not arabic and len(body) < 60 and not body.endswith("."))):
            self._group(label, body, line)
        elif arabic and "chi tieu" in fold(body) and not self.draft.indicators:
            self.in_indicators = True  # "2. Các chỉ tiêu chủ yếu": the list starts below
        elif arabic and len(body) < 60 and not body.endswith(".") and not numbers_in(body):
            self.pending_group = (label, body, line)  # "2. Y tế": a group if indicators follow
        elif arabic and self._next_in_list(int(label)):
            self._indicator(int(label), body, line)  # "14. Xã đạt chuẩn tiếp cận pháp luật.": the list goes on
        elif arabic or dotted:
            self._leave_indicators(line)
        else:
            return False
        return True

    def _next_in_list(self, number: int) -> bool:
        """Whether ``number`` follows the last indicator read: an indicator even when its target is unreadable."""
        return self.in_indicators and bool(self.draft.indicators) and number == self.draft.indicators[-1].number + 1

    def _leave_indicators(self, line: Line) -> None:
        """A numbered heading without "chỉ tiêu" after the list: back to background text."""
        if self.part == "indicators" and not self.draft.indicators:
            return
        self.part = "background"
        self.in_indicators = False

    def _group_name(self, text: str) -> str | None:
        text = _strip_year(text).strip().rstrip(":").strip()
        text = re.sub(r"\s*\(\s*\d{1,3}\s+chỉ tiêu\s*\)$", "", text, flags=re.IGNORECASE)
        match = _GROUP_WORDS.match(text)
        if match:
            name = (match.group(1) or match.group(2)).strip()
            if not name or re.fullmatch(r"(?:chu yeu|kinh te\s*-?\s*xa hoi(?: chu yeu)?|co ban|sau|nhu sau)", fold(name)):
                return None
            return name[0].upper() + name[1:]
        if len(text) < 60 and text.isupper():
            return text.capitalize()
        return None

    def _group(self, section: str, text: str, line: Line) -> None:
        name = self._group_name(text) or text.strip().rstrip(":")
        self.group = DraftGroup(section, name, line.where, line.text)
        self.draft.groups.append(self.group)
        self.last = None
        self.in_indicators = True

    def _indicator(self, number: int, body: str, line: Line, unit_hint: str | None = None) -> None:
        if self.pending_group is not None:
            self._group(*self.pending_group)
            self.pending_group = None
        ind = DraftIndicator(number, body.strip(), line.where, group=self.group, raw=body.strip(), sentence=line.text)
        ind.unit_hint = unit_hint
        self._read_body(ind, body, unit_hint)
        self.draft.indicators.append(ind)
        self.last = ind

    @staticmethod
    def _read_body(ind: DraftIndicator, body: str, unit_hint: str | None = None) -> None:
        for key in ("target", "comparison", "unit"):
            ind.checks.pop(key, None)
        ind.refused = False
        parts = split_name(body)
        target = parse_target(parts[1], unit_hint) if parts else None
        if target is None:
            name, phrase = _qualitative_split(body)
            share = not unit_hint or unit_hint.strip() == "%"  # "đạt chuẩn" reads as 100% only for a share
            if phrase is None and share:  # "Xã đạt chuẩn tiếp cận pháp luật": the whole line names it
                phrase = _inline_qualitative(body)
                name = body.strip().rstrip(".;").strip() if phrase else name
            target = qualitative_target(phrase) if phrase and share else None
            if target is None:  # "Tên: nhiều hơn năm trước": the name, and the phrase left for review
                ind.name, ind.target_phrase, ind.target = (name or body).strip().rstrip(":.;").strip(), None, None
                ind.unit = _unit_of(unit_hint) or ("%" if (phrase or "").rstrip(" .;").endswith("%") else "")
                return
            parts = (name, phrase)
        name, phrase = parts
        ind.name, ind.target_phrase = name, phrase
        ind.target, ind.unit, ind.comparison = target.value, target.unit, target.comparison
        ind.reduction, ind.notes = target.reduction, target.notes
        ind.checks.update(target.checks)
        _object_after_target(ind, name, phrase)
        growth = bool(re.search(r"\btang\b|toc do|tang truong", fold(name + " " + phrase))) or target.reduction
        reason = implausible(target.value, target.unit, growth)
        if reason:
            ind.target, ind.refused = None, True
            ind.checks["target"] = f"không nhận chỉ tiêu “{phrase}”: {reason}; điền giá trị đúng"

    def _continues(self, text: str) -> bool:
        if self.last is None:
            return False
        return (self.last.target is None and not self.last.refused) or text[:1].islower() or text.startswith(("(", ":"))

    def _continue(self, text: str) -> None:
        """An indicator spread over two lines: read the joined text again."""
        ind = self.last
        ind.raw = f"{ind.raw} {text}".replace(" :", ":")
        ind.sentence = f"{ind.sentence} {text}"
        self._read_body(ind, ind.raw, ind.unit_hint)

    # -- indicator tables --------------------------------------------------------------------
    def _table_row(self, line: Line) -> None:
        if line.table not in self.tables:
            columns = _table_columns(line.cells)
            self.tables[line.table] = _Table(columns) if columns else None
            if columns:
                self.part, self.in_indicators = "indicators", True
                return
        table = self.tables[line.table]
        if table is None:
            if self.part == "indicators":
                self.draft.unplaced.append(line)
            return

        def cell(key: str) -> str:
            return line.cells[table.columns[key]].strip() if key in table.columns else ""

        stt, name = cell("stt"), cell("name")
        if not name or re.fullmatch(r"[\d()\s]+", name):  # the "(1) (2) (3)" row under a header
            return
        if re.fullmatch(r"\d{1,3}\.?", stt):
            unit = cell("unit")
            phrase = cell("target")
            body = f"{name}: {phrase}" if phrase else name
            self._indicator(int(stt.rstrip(".")), body, line, unit_hint=unit or None)
            if phrase and self.last.target is None and not self.last.refused:
                self.last.checks["target"] = f"không đọc được chỉ tiêu “{phrase}”; điền giá trị kế hoạch"
            owner = cell("owner")
            if owner:
                self.last.owner_text = owner
            notes = cell("notes")
            if notes:
                self.last.notes = "; ".join(filter(None, [self.last.notes, notes]))
        elif (re.fullmatch(rf"{ROMAN}|[A-Za-zĐđ]\.?", stt) or not stt) and (not cell("target") or _merged(line.cells, stt)):
            self._group(stt.rstrip(".") or str(len(self.draft.groups) + 1), name, line)
        else:
            self.draft.unplaced.append(line)

    # -- tasks -----------------------------------------------------------------------------------
    def _tasks(self, line: Line) -> None:
        text = line.text
        heading = _task_heading(text) if len(text) < 160 else None
        if heading is not None:
            style, title = heading
            if style not in self.task_styles:
                self.task_styles.append(style)
            level = self.task_styles.index(style)
            if level == 0:
                self.fields.append(DraftField(f"II.{len(self.fields) + 1}", title, line.where, line.text))
                self.task = None
                return
            if level == 1 and self.fields:
                current = self.fields[-1]
                self.task = DraftTask(f"{current.id}.{len(current.tasks) + 1}", title, line.where, sentence=line.text)
                current.tasks.append(self.task)
                return
        if self.task is not None:
            self.task.body.append(text)
        elif self.fields:
            self.fields[-1].body.append(text)
        # prose before the first heading of part II is an introduction

    def _finish_tasks(self) -> None:
        """The tasks in order; a field of part II without sub-headings is itself one task (II.N)."""
        for f in self.fields:
            if f.tasks:
                self.draft.tasks += f.tasks
            else:
                self.draft.tasks.append(DraftTask(f.id, f.title, f.where, list(f.body), sentence=f.sentence))
        self.draft.fields = [(f.id, f.title) for f in self.fields]

    # -- organisation (part III) -----------------------------------------------------------------
    def _more_units(self) -> None:
        for other in _split_units(self.unit):
            if not any(fold(u.name) == fold(other.name) for u in self.draft.units):
                self.draft.units.append(other)

    def _organisation(self, line: Line) -> None:
        text = _BULLET.sub("", line.text)
        bullet = text != line.text
        level1 = _LEVEL1.match(text)
        letter = _LETTER.match(text)
        body = level1.group(2) if level1 else letter.group(2) if letter else text
        if level1:
            self.item, self.sub_items, self.unit = f"{self.part_label}.{int(level1.group(1))}", 0, None
        name = unit_name(body) or _unit_after_refs(body)
        if name and (level1 or letter or bullet or self.unit is None):
            if not level1:
                self.sub_items += 1
                item = f"{self.item}.{self.sub_items}" if self.item else f"{self.part_label}.{self.sub_items}"
            else:
                item = self.item
            existing = next((u for u in self.draft.units if fold(u.name) == fold(name)), None)
            if existing is not None:
                existing.body += " " + body
                self.unit = existing
                return
            self.unit = DraftUnit(item, name, body, line.where, sentence=line.text)
            self.draft.units.append(self.unit)
            self._more_units()
            return
        if self.unit is not None and (text[:1].islower() or not self.unit.body.rstrip().endswith((".", ";"))):
            self.unit.body += " " + text  # the item goes on over several lines
            self.unit.sentence += " " + text
            return
        if "chi tieu" in fold(text) and (numbers_named(text) or re.search(r"\bnhom\b", fold(text))):
            self.draft.unplaced.append(line)
        # other prose of part III (general duties, reporting rules) names no indicator


def _split_units(unit: DraftUnit) -> list[DraftUnit]:
    """Further units of one item, after a semicolon: "…; Phòng Tài nguyên và Môi trường chủ trì chỉ tiêu số 7"."""
    clauses = unit.body.split(";")
    out = []
    for clause in clauses[1:]:
        name = unit_name(clause)
        if name:
            out.append(DraftUnit(unit.item, name, clause.strip(), unit.where, sentence=unit.sentence))
            unit.body = unit.body.replace(";" + clause, "")
    return out


def _intro(text: str) -> bool:
    """An introduction or summary before a list ("… 24 chỉ tiêu chủ yếu, gồm:"), never an indicator itself."""
    t = text.strip()
    if _COUNT.search(t) and (t.endswith(":") or t.startswith("(") or re.search(r"\b(gồm|có|tổng)\b", t, re.IGNORECASE)):
        return True
    return bool(re.search(r"(?:bao gồm|gồm|như sau|cụ thể|sau đây|dưới đây)\s*:?\s*$", t, re.IGNORECASE))


def _starts_with_goal(text: str) -> bool:
    return bool(re.match(r"^(?:phấn đấu|mục tiêu|năm \d{4}|trong năm)", text.strip(), re.IGNORECASE))


def _part_label(text: str) -> str:
    """"Phần thứ ba" → "III", "PHẦN II" → "II", "C" → "C"."""
    f = fold(text)
    word = re.search(r"thu\s+(\S+)", f)
    if word:
        return _ORDINALS.get(word.group(1).strip(".:"), word.group(1).upper())
    roman = re.search(r"\b([ivx]+|\d+)\s*[.:]?$", f)
    return roman.group(1).upper() if roman else text.strip().rstrip(".:)").upper()


_TASK_STYLES = [("dotted", re.compile(r"^\d{1,2}\.\d{1,2}\.?\s+(.+)$")), ("roman", re.compile(rf"^{ROMAN}[.)]\s+(.+)$")),
                ("arabic", re.compile(r"^\d{1,2}[.)]\s+(.+)$")), ("letter", re.compile(r"^[a-zđ][.)]\s+(.+)$")),
                ("upper", re.compile(r"^[A-E][.)]\s+(.+)$"))]


def _task_heading(text: str) -> tuple[str, str] | None:
    """(numbering style, title) of a heading of part II: "1.", "1.1.", "I.", "a)", "A."; None for body text."""
    for style, pattern in _TASK_STYLES:
        match = pattern.match(text)
        if match:
            title = match.group(1).strip().rstrip(":.")
            return style, (title[:1] + title[1:].lower()) if title.isupper() else title
    return None


def _unit_of(hint: str | None) -> str:
    """A table's unit cell as a unit: "Vụ" → "vụ", "Tỷ lệ %" → "%"."""
    if not hint:
        return ""
    hint = hint.strip()
    return "%" if hint.lower() in ("%", "tỷ lệ %", "tỷ lệ") else hint if hint.isupper() else hint[:1].lower() + hint[1:]


def _has_target(body: str) -> bool:
    """Whether a line reads as an indicator: a name and a target, a number or "đạt chuẩn", "giữ vững"…"""
    if split_name(_strip_year(body)):
        return True
    phrase = _qualitative_split(body)[1]
    return bool(phrase and qualitative_target(phrase))


def _object_after_target(ind: DraftIndicator, name: str, phrase: str) -> None:
    """"Hoàn thành 100% chỉ tiêu giao quân": the name is the verb and what follows the share, flagged."""
    parts = re.match(r"^(\D*?)\d[\d.,]*\s*%\s+(.+)$", phrase)
    verbs = r"hoan thanh|dat|dam bao|bao dam|thuc hien"
    if parts and re.fullmatch(rf"phan dau(?:\s+(?:{verbs}))?|{verbs}", fold(name)):
        ind.name = " ".join(filter(None, [name, parts.group(1).strip(), parts.group(2).strip().rstrip(".;")]))
        ind.checks["name"] = f"tên ghép từ câu “{name} {phrase.strip().rstrip('.;')}” (con số đứng giữa câu); xem lại"


def _inline_qualitative(body: str) -> str | None:
    """"Xã đạt chuẩn tiếp cận pháp luật" → "đạt chuẩn": a reached-or-kept phrase inside a line without a number."""
    if numbers_in(body):
        return None
    match = re.search(r"(?:^|\s)(đạt chuẩn|đạt tiêu chuẩn|giữ vững|duy trì|hoàn thành)(?=\s|$)", body.strip(), re.IGNORECASE)
    return match.group(1) if match else None


def _qualitative_split(body: str) -> tuple[str, str | None]:
    """"Xã đạt chuẩn nông thôn mới nâng cao: giữ vững" → (name, "giữ vững"); the phrase after a colon."""
    if ":" in body:
        name, phrase = body.split(":", 1)
        return name.strip(), phrase.strip().rstrip(".;")
    return body.strip(), None


def _unit_after_refs(body: str) -> str | None:
    """"Các chỉ tiêu số 1 đến 6: Phòng Kinh tế phường chủ trì" → the unit's name (the references stay in the body)."""
    match = re.match(r"^(.{0,300}?chỉ tiêu.{0,300}?)\s*:\s*(.+)$", body, flags=re.IGNORECASE)
    return unit_name(match.group(2)) if match else None


def _merged(cells: tuple[str, ...], stt: str) -> bool:
    """A row whose cells after the number are one merged cell (python-docx repeats its text)."""
    rest = [c for c in cells if c and c != stt]
    return len(set(rest)) == 1


def _heading_like(title: str) -> bool:
    """A part's title: upper case, or naming one of the parts a plan decision has."""
    letters = [c for c in title if c.isalpha()]
    upper = letters and sum(c.isupper() for c in letters) / len(letters) > 0.7
    return bool(upper) or bool(re.search(r"chi tieu|nhiem vu|giai phap|to chuc thuc hien|muc tieu|boi canh|danh gia", fold(title)))


def _strip_year(text: str) -> str:
    return re.sub(r"\b(?:năm|giai đoạn)\s+\d{4}(?:\s*-\s*\d{4})?", "", text)


def _table_columns(cells: tuple[str, ...]) -> dict[str, int] | None:
    """Column roles of an indicator table's header row, or None for another kind of table."""
    columns: dict[str, int] = {}
    for i, raw in enumerate(cells):
        f = fold(raw)
        if not f or i in columns.values():
            continue
        if "owner" not in columns and re.search(r"(don vi|co quan).*(chu tri|thuc hien|phu trach|theo doi)", f):
            columns["owner"] = i
        elif "unit" not in columns and (f in ("dvt", "dv tinh") or "don vi tinh" in f):
            columns["unit"] = i
        elif "stt" not in columns and f in ("stt", "tt", "so tt", "so thu tu"):
            columns["stt"] = i
        elif "notes" not in columns and "ghi chu" in f:
            columns["notes"] = i
        elif "target" not in columns and re.search(r"ke hoach|muc tieu|nam \d{4}|^kh\b|chi tieu nam", f):
            columns["target"] = i
        elif "name" not in columns and re.search(r"chi tieu|noi dung", f):
            columns["name"] = i
    return columns if {"name", "target"} <= set(columns) else None


def unit_name(body: str) -> str | None:
    """The responsible body named at the start of a part III item ("Giao Phòng Kinh tế… phường chủ trì …")."""
    text = re.sub(r"^(?:giao(?:\s+cho)?|đề nghị)\s+", "", body.strip(), flags=re.IGNORECASE)
    f = text.lower()
    cut = None
    for m in re.finditer(r"\b(phường|xã|thị trấn|đặc khu)\b", text):  # the name ends with the place word …
        after = text[m.end():].lstrip()
        if not after or not (after[:1].isupper() or after.startswith(",")):
            cut = m.end()
            break
        if after.startswith(",") and not after[1:].lstrip()[:1].isupper():
            cut = m.end()
            break
    verbs = [f.find(" " + v + " ") for v in _UNIT_VERBS] + [f.find(" " + v + ",") for v in _UNIT_VERBS]
    verbs = [v for v in verbs if v > 0]
    if cut is None:  # … or before the first verb
        cut = min(verbs) if verbs else None
    name = text[:cut].strip(" ,:;") if cut else None
    if not name or not fold(name).startswith(tuple(fold(t) for t in _UNIT_TYPES)):
        return None
    return name


def members(name: str) -> list[str]:
    """"Ban Chỉ huy quân sự phường, Công an phường" → its two bodies; one body gives []."""
    parts = [p.strip() for p in re.split(r",\s*|\s+và\s+(?=[A-ZĐ])", name) if p.strip()]
    if len(parts) > 1 and all(fold(p).startswith(tuple(fold(t) for t in _UNIT_TYPES)) for p in parts):
        return parts
    return []


def parse_lines(lines: list[Line]) -> tuple[Draft, list[Line]]:
    """The draft, and the lines before part I (where the metadata are)."""
    parser = _Parser()
    draft = parser.run(lines)
    return draft, parser.front


# -- metadata ----------------------------------------------------------------------------------
def read_document(lines: list[Line], front: list[Line]) -> tuple[dict, dict[str, str]]:
    """Decision number, date and issuer, the ward, the province, the year and the title."""
    checks: dict[str, str] = {}
    head = "\n".join(line.text for line in (front or lines[:40]))
    everything = "\n".join(line.text for line in lines[:400] if line.text)  # the metadata stand at the top
    doc: dict = {}
    match = _DECISION.search(head) or _DECISION.search(everything)
    if match:
        doc["decision_number"] = match.group(1).rstrip(".,")
        try:
            doc["decision_date"] = dt.date(int(match.group(4)), int(match.group(3)), int(match.group(2)))
        except ValueError:
            checks["decision_date"] = f"ngày ban hành “{match.group(0)}” không hợp lệ; điền ngày đúng"
    else:
        checks["decision_number"] = "không tìm thấy “Quyết định số … ngày …”; điền số và ngày quyết định"
        checks["decision_date"] = checks["decision_number"]
    named = [m for m in list(_BODY.finditer(head)) + list(_BODY.finditer(everything)) if m.group(2)[:1].isupper()]
    body = next((m for m in named if not m.group(2).isupper()), named[0] if named else None)
    place = body or _PLACE.search(head) or _PLACE.search(everything)
    if place:
        kind, name = place.group(1).lower(), place.group(2).strip()
        name = name.title() if name.isupper() else name
        doc["ward_kind"], doc["ward"] = kind, name
        if not body:
            checks["issuing_body"] = "không thấy tên cơ quan ban hành; đã ghi UBND của địa bàn"
    else:
        checks["ward"] = "không tìm thấy tên phường/xã; điền tên địa bàn"
    province = _PROVINCE.search(head) or _PROVINCE_UPPER.search(head) or _PROVINCE.search(everything)
    if province:
        doc["province"] = province.group(1).strip().title() if province.group(1).isupper() else province.group(1).strip()
        if not (_PROVINCE.search(head) or _PROVINCE_UPPER.search(head)):
            checks["province"] = "tên tỉnh lấy từ phần nội dung, không phải phần đầu văn bản"
    else:
        checks["province"] = "không tìm thấy tên tỉnh; điền tên tỉnh"
    title, year = _title(front or lines[:40])
    if title:
        doc["title"] = title
    if year:
        doc["year"] = year
    elif "decision_date" in doc:
        doc["year"] = doc["decision_date"].year
        checks["year"] = "năm kế hoạch lấy theo năm ban hành quyết định"
    return doc, checks


def _title(front: list[Line]) -> tuple[str | None, int | None]:
    for i, line in enumerate(front):
        if fold(line.text) == "ke hoach" and i + 1 < len(front):
            rest = front[i + 1].text.strip()
            title = "Kế hoạch " + rest[:1].lower() + rest[1:]
            year = re.search(r"năm\s+(\d{4})", title)
            return title, int(year.group(1)) if year else None
        match = re.match(r"^kế hoạch\s+(phát triển.+)$", line.text, re.IGNORECASE)
        if match:
            title = "Kế hoạch " + match.group(1)
            year = re.search(r"năm\s+(\d{4})", title)
            return title, int(year.group(1)) if year else None
    return None, None


_REF_NUMBER = r"\(?\d{1,3}\)?"
_REF_SEP = r"\s*(?:,|;|và|-|–|—|đến|tới)\s*(?:(?:chỉ tiêu|ct)\s*(?:số|thứ)?\s*)?"
_REFS = re.compile(rf"(?:chỉ tiêu|ct)\s*(?:số|thứ)?\s*:?\s*({_REF_NUMBER}(?:{_REF_SEP}{_REF_NUMBER}(?![\d%.,]*\s*%))*)",
                   re.IGNORECASE)


def numbers_named(text: str) -> list[int]:
    """Indicator numbers a sentence names, in any order: "chỉ tiêu số 1", "các chỉ tiêu 2, 3 và 6",
    "từ chỉ tiêu số 1 đến chỉ tiêu số 6", "các chỉ tiêu số 1, 3, 5 đến 8", "chỉ tiêu thứ 7–9", "chỉ tiêu (4) đến (6)"."""
    out: list[int] = []
    for match in _REFS.finditer(text):
        tokens = re.findall(r"\d{1,3}|-|–|—|đến|tới", match.group(1))
        previous = None
        span = False
        for token in tokens:
            if token in ("-", "–", "—", "đến", "tới"):
                span = True
                continue
            n = int(token)
            if span and previous is not None and previous < n <= previous + 200:
                out.extend(range(previous + 1, n + 1))
            else:
                out.append(n)
            previous, span = n, False
    return list(dict.fromkeys(out))


__all__ = ["Draft", "DraftGroup", "DraftIndicator", "DraftTask", "DraftUnit", "members", "numbers_in",
           "numbers_named", "parse_lines", "read_document", "unit_name"]
