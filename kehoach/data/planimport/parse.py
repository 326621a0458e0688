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
from kehoach.data.planimport.targets import fold, numbers_in, parse_target, split_name

ROMAN = r"(?-i:[IVX]{1,4})"
_MAJOR = re.compile(rf"^(?:phần\s+(?:thứ\s+\S+|{ROMAN}|\d+)|({ROMAN}))\s*[.:)\-–]?\s+(.+)$", re.IGNORECASE)
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


@dataclass
class DraftGroup:
    section: str
    name: str
    where: str
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


@dataclass
class DraftTask:
    id: str
    title: str
    where: str
    body: list[str] = field(default_factory=list)
    unit_code: str = ""
    summary: str = ""
    checks: dict[str, str] = field(default_factory=dict)


# -- the walk over the lines ----------------------------------------------------------------
@dataclass
class _Table:
    columns: dict[str, int]


class _Parser:
    def __init__(self) -> None:
        self.draft = Draft()
        self.part = "front"        # front | background | indicators | tasks | organisation
        self.in_indicators = False  # inside the indicators' sub-section of a wider part
        self.group: DraftGroup | None = None
        self.last: DraftIndicator | None = None
        self.field_title: tuple[str, str] | None = None
        self.task: DraftTask | None = None
        self.fields: dict[str, tuple[str, str]] = {}      # part II field number → (title, where)
        self.fields_body: dict[str, list[str]] = {}
        self.current_field: str | None = None
        self.pending_major = False
        self.tables: dict[int, _Table | None] = {}
        self.unit: DraftUnit | None = None
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
            self.pending_major = True
            return
        if self.pending_major:
            self.pending_major = False
            self._major(text)
            return
        major = _MAJOR.match(text)
        if major and _heading_like(major.group(2)) and (
                _PART_WORDS.search(fold(major.group(2))) or not (self.in_indicators and self._group_name(major.group(2)))):
            self._major(major.group(2))
            return
        handler = {"front": self._front, "background": self._background, "indicators": self._indicators,
                   "tasks": self._tasks, "organisation": self._organisation}[self.part]
        handler(line)

    def _major(self, title: str) -> None:
        f = fold(title)
        self.in_indicators = False
        self.group, self.last, self.unit = None, None, None
        if "to chuc thuc hien" in f:
            self.part = "organisation"
        elif "nhiem vu" in f or "giai phap" in f:
            self.part = "tasks"
        elif "chi tieu" in f:
            self.part, self.in_indicators = "indicators", True
        else:
            self.part = "background"

    def _front(self, line: Line) -> None:
        self.front.append(line)

    def _background(self, line: Line) -> None:
        level1 = _LEVEL1.match(line.text)
        if level1 and "chi tieu" in fold(level1.group(2)) and not split_name(_strip_year(level1.group(2))):
            self.part, self.in_indicators = "indicators", True
            return
        # Background prose (context, viewpoints, general goals) is read as such, not as data.

    # -- indicators ------------------------------------------------------------------------
    def _indicators(self, line: Line) -> None:
        text = _BULLET.sub("", line.text)
        numbered = _PAREN_NUMBER.match(text) or _WORD_NUMBER.match(text)
        if numbered:
            self._indicator(int(numbered.group(1)), numbered.group(2), line)
            return
        level2 = _LEVEL2.match(text)
        if level2 and not split_name(_strip_year(level2.group(3))):
            self._group(f"{level2.group(1)}.{level2.group(2)}", level2.group(3), line)
            return
        level1 = _LEVEL1.match(text)
        if level1:
            body = level1.group(2)
            if split_name(_strip_year(body)) and not _GROUP_WORDS.match(body):
                self._indicator(int(level1.group(1)), body, line)
            elif "chi tieu" in fold(body) and not self.draft.indicators:
                self.in_indicators = True  # "2. Các chỉ tiêu chủ yếu": the list starts below
            elif self._group_name(body):
                self._group(level1.group(1), body, line)
            else:
                self._leave_indicators(line)
            return
        lettered = _LETTER.match(text) or re.match(rf"^({ROMAN})[.)]\s+(.+)$", text)
        if lettered and self._group_name(lettered.group(2)) and not split_name(_strip_year(lettered.group(2))):
            self._group(lettered.group(1), lettered.group(2), line)
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

    def _leave_indicators(self, line: Line) -> None:
        """A numbered heading without "chỉ tiêu" after the list: back to background text."""
        if self.part == "indicators" and not self.draft.indicators:
            return
        self.part = "background"
        self.in_indicators = False

    def _group_name(self, text: str) -> str | None:
        text = _strip_year(text).strip().rstrip(":")
        match = _GROUP_WORDS.match(text)
        if match:
            name = (match.group(1) or match.group(2)).strip()
            return name[0].upper() + name[1:] if name else None
        if len(text) < 60 and text.isupper():
            return text.capitalize()
        return None

    def _group(self, section: str, text: str, line: Line) -> None:
        name = self._group_name(text) or text.strip().rstrip(":")
        self.group = DraftGroup(section, name, line.where)
        self.draft.groups.append(self.group)
        self.last = None
        self.in_indicators = True

    def _indicator(self, number: int, body: str, line: Line, unit_hint: str | None = None) -> None:
        ind = DraftIndicator(number, body.strip(), line.where, group=self.group, raw=body.strip())
        self._read_body(ind, body, unit_hint)
        self.draft.indicators.append(ind)
        self.last = ind

    @staticmethod
    def _read_body(ind: DraftIndicator, body: str, unit_hint: str | None = None) -> None:
        parts = split_name(body)
        if parts is None:
            ind.name, ind.target_phrase = body.strip().rstrip(":").strip(), None
            return
        name, phrase = parts
        target = parse_target(phrase, unit_hint)
        if target is None:
            ind.name, ind.target_phrase = body.strip(), None
            return
        ind.name, ind.target_phrase = name, phrase
        ind.target, ind.unit, ind.comparison = target.value, target.unit, target.comparison
        ind.reduction, ind.notes = target.reduction, target.notes
        ind.checks.update(target.checks)

    def _continues(self, text: str) -> bool:
        if self.last is None:
            return False
        return self.last.target is None or text[:1].islower() or text.startswith(("(", ":"))

    def _continue(self, text: str) -> None:
        """An indicator spread over two lines: read the joined text again."""
        ind = self.last
        ind.raw = f"{ind.raw} {text}".replace(" :", ":")
        self._read_body(ind, ind.raw)

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
            if phrase and self.last.target is None:
                self.draft.unplaced.append(line)
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
        level2 = _LEVEL2.match(text)
        if level2 and len(text) < 160:
            self.task = DraftTask(f"II.{int(level2.group(1))}.{int(level2.group(2))}", level2.group(3).strip().rstrip(":."),
                                  line.where)
            self.draft.tasks.append(self.task)
            return
        level1 = _LEVEL1.match(text)
        if level1 and len(text) < 160:
            key = str(int(level1.group(1)))
            self.fields[key] = (level1.group(2).strip().rstrip(":."), line.where)
            self.task = None
            self.fields_body.setdefault(key, [])
            self.current_field = key
            return
        if self.task is not None:
            self.task.body.append(text)
        elif self.current_field:
            self.fields_body[self.current_field].append(text)
        # prose before the first heading of part II is an introduction

    def _finish_tasks(self) -> None:
        """A field of part II without sub-headings is itself one task (II.N)."""
        with_sub = {t.id.split(".")[1] for t in self.draft.tasks}
        for key, (title, where) in self.fields.items():
            if key not in with_sub:
                self.draft.tasks.append(DraftTask(f"II.{key}", title, where, list(self.fields_body.get(key, []))))
        self.draft.tasks.sort(key=lambda t: [int(p) for p in t.id.split(".")[1:]])

    # -- organisation (part III) -----------------------------------------------------------------
    def _organisation(self, line: Line) -> None:
        text = _BULLET.sub("", line.text)
        level1 = _LEVEL1.match(text)
        if level1:
            name = unit_name(level1.group(2))
            if name:
                self.unit = DraftUnit(f"III.{int(level1.group(1))}", name, level1.group(2), line.where)
                self.draft.units.append(self.unit)
                return
        if self.unit is not None and not _LEVEL1.match(text):
            self.unit.body += " " + text  # the item goes on over several lines
            return
        self.draft.unplaced.append(line)


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
    for m in re.finditer(r"\b(phường|xã|thị trấn)\b", text):  # the name ends with the place word …
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
    everything = "\n".join(line.text for line in lines if line.text)
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


def numbers_named(text: str) -> list[int]:
    """Indicator numbers a sentence names: "chỉ tiêu số 1", "các chỉ tiêu 2, 3 và 6", "chỉ tiêu (4) đến (6)"."""
    out: list[int] = []
    for match in re.finditer(r"chỉ tiêu\s+(?:số\s+)?((?:\(?\d{1,3}\)?)(?:\s*(?:,|và|-|–|đến)\s*\(?\d{1,3}\)?)*)", text,
                             flags=re.IGNORECASE):
        tokens = re.findall(r"\d{1,3}|-|–|đến", match.group(1))
        previous = None
        span = False
        for token in tokens:
            if token in ("-", "–", "đến"):
                span = True
                continue
            n = int(token)
            if span and previous is not None:
                out.extend(range(previous + 1, n + 1))
            else:
                out.append(n)
            previous, span = n, False
    return out


__all__ = ["Draft", "DraftGroup", "DraftIndicator", "DraftTask", "DraftUnit", "members", "numbers_in",
           "numbers_named", "parse_lines", "read_document", "unit_name"]
