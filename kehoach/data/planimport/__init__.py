"""Import a ward's plan decision (.txt, .docx, .pdf) into a draft plan YAML.

:func:`import_plan` reads the decision, proposes every field, writes the draft next to the
source with a ``# KIỂM TRA:`` comment on each guessed field, validates it with the plan
schema (:mod:`kehoach.data.plan`) and returns an :class:`ImportReport` whose
:meth:`~ImportReport.summary` the CLI prints.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from kehoach.core.errors import PlanError, PlanChoiceError
from kehoach.core.files import atomic_write
from kehoach.data.plan import Plan, list_plans, load_plan, parse_plan
from kehoach.data.planimport import build
from kehoach.data.planimport.parse import Draft, DraftIndicator, parse_lines, read_document
from kehoach.data.planimport.sources import Line, read_lines
from kehoach.data.planimport.targets import slug

log = logging.getLogger(__name__)

CHECK = "# KIỂM TRA:"
#: The comment above an entry of the draft that quotes the sentence it was read from.
SOURCE = "# Câu gốc"


@dataclass
class ImportReport:
    """What an import found, and where the draft went."""

    source: Path
    output: Path | None
    plan: Plan
    draft: Draft
    without_unit: list[DraftIndicator] = field(default_factory=list)
    without_measure: list[DraftIndicator] = field(default_factory=list)
    reference: Plan | None = None
    carried: int = 0
    checks: int = 0

    def summary(self) -> str:
        """The import summary in Vietnamese: counts, unplaced lines, indicators without a unit."""
        d = self.draft
        out = [f"Đã đọc {self.source.name}: {len(d.indicators)} chỉ tiêu, {len(d.groups)} nhóm chỉ tiêu, "
               f"{len(d.units)} đơn vị, {len(d.tasks)} nhiệm vụ."]
        if self.output:
            out.append(f"Bản nháp: {self.output} — có {self.checks} dòng “{CHECK}” cần xem lại.")
        out.append("Đối chiếu lược đồ kế hoạch: hợp lệ.")
        if self.reference is not None:
            new = len(d.indicators) - self.carried
            out.append(f"So với kế hoạch năm {self.reference.year} ({self.reference.source.name if self.reference.source else ''}): "
                       f"giữ mã của {self.carried} chỉ tiêu, {new} chỉ tiêu mới.")
        if d.unplaced:
            out.append(f"Có {len(d.unplaced)} dòng chưa xếp được vào đâu (xem lại, thêm vào bản nháp nếu cần):")
            out += [f"  {line.where}: {_short(line.text)}" for line in d.unplaced]
        else:
            out.append("Mọi dòng của phần chỉ tiêu và phần tổ chức thực hiện đều đã được xếp.")
        if d.dangling:
            out.append("Phần tổ chức thực hiện giao chỉ tiêu mà phần chỉ tiêu không có (đọc sót, hoặc văn bản ghi sai số; "
                       "đối chiếu văn bản):")
            out += [f"  {u.where}: {_short(u.name, 60)} — chỉ tiêu số {', '.join(map(str, numbers))}" for u, numbers in d.dangling]
        if self.without_unit:
            out.append(f"Có {len(self.without_unit)} chỉ tiêu chưa có đơn vị chủ trì (đã giao tạm, cần sửa):")
            out += [f"  ({i.number}) {_short(i.name)} — {i.where}" for i in self.without_unit]
        else:
            out.append("Chỉ tiêu nào cũng có đơn vị chủ trì.")
        if self.without_measure:
            out.append(f"Có {len(self.without_measure)} chỉ tiêu chưa có đơn vị tính:")
            out += [f"  ({i.number}) {_short(i.name)} — {i.where}" for i in self.without_measure]
        return "\n".join(out)


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def import_plan(source: str | Path, output: str | Path | None = None, reference: Plan | None | str = "auto",
                plan_folder: Path | None = None, force: bool = False, write: bool = True) -> ImportReport:
    """Read ``source`` and write its draft plan YAML (default: ``<ward>-<year>.yaml`` next to the source).

    ``reference`` is the ward's earlier plan whose codes are kept: ``"auto"`` finds it in
    ``data/plan/`` (last year's, else the latest), ``None`` uses none. Nothing is written if the
    draft does not validate, or if ``output`` exists and ``force`` is not set.
    """
    source = Path(source)
    lines = read_lines(source)
    draft, front = parse_lines(lines)
    if not draft.indicators:
        raise PlanError(f"{source}: không tìm thấy chỉ tiêu nào. Chỉ tiêu cần được đánh số như “(1) …”, "
                        "“Chỉ tiêu 1: …”, “1. …” dưới một tiêu đề có chữ “chỉ tiêu”, hoặc nằm trong bảng có cột "
                        "“Chỉ tiêu” và “Kế hoạch”.")
    document, doc_checks = read_document(lines, front)
    _require(document, source)
    if reference == "auto":
        reference = find_reference(slug(document["ward"], max_words=10, max_length=80), document["year"], plan_folder)
    build.assign_groups(draft, reference)
    without_unit = build.assign_units(draft, reference)
    matched = build.assign_indicators(draft, reference)
    build.assign_tasks(draft, reference)
    document = _document(document, doc_checks, source)
    text = render_yaml(draft, document, doc_checks, source, reference)
    target = Path(output) if output else source.parent / f"{document['ward_code']}-{document['year']}.yaml"
    plan = _validate(text, target)
    report = ImportReport(source, None, plan, draft, without_unit,
                          [i for i in draft.indicators if not i.unit], reference, len(matched), text.count(CHECK))
    if write:
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise PlanChoiceError(f"{target} không phải là một tệp thường (thư mục, liên kết hoặc thiết bị); không ghi vào đó, "
                                  "kể cả với --force. Chọn tệp khác bằng -o.")
        if target.exists() and not force:
            raise PlanChoiceError(f"{target} đã có; không ghi đè. Xóa hoặc đổi tên tệp đó, chọn tệp khác bằng -o, "
                            "hoặc thêm --force để ghi đè.")
        atomic_write(target, text)
        report.output = target
        log.info("wrote draft plan %s", target)
    return report


def _require(document: dict, source: Path) -> None:
    missing = [label for key, label in (("ward", "tên phường/xã"), ("year", "năm kế hoạch")) if key not in document]
    if missing:
        raise PlanError(f"{source}: không đọc được {' và '.join(missing)} ở phần đầu văn bản (ví dụ “Kế hoạch phát triển "
                        "kinh tế - xã hội của phường X năm 2027”, “Quyết định số 12/QĐ-UBND ngày 10/01/2027 của UBND "
                        "phường X”). Thêm dòng đó vào văn bản rồi nhập lại.")


def find_reference(ward: str, year: int, folder: Path | None = None) -> Plan | None:
    """The ward's plan to take codes from: last year's, else the latest before, else this year's."""
    try:
        entries = [e for e in list_plans(folder) if e.ward == ward]
    except PlanError as exc:
        log.warning("cannot read the existing plans for codes: %s", exc)
        return None
    before = [e for e in entries if e.year < year]
    same = [e for e in entries if e.year == year]
    chosen = max(before, key=lambda e: e.year) if before else (same[0] if same else None)
    return load_plan(chosen.path) if chosen else None


def _document(found: dict, checks: dict[str, str], source: Path) -> dict:
    kind, ward = found.get("ward_kind", "phường"), found["ward"]
    doc = {
        "decision_number": found.get("decision_number", "CHƯA RÕ"),
        "decision_date": found.get("decision_date") or __import__("datetime").date(found["year"], 1, 1),
        "issuing_body": f"UBND {kind} {ward}",
        "issuing_body_full": f"ỦY BAN NHÂN DÂN {kind.upper()} {ward.upper()}",
        "title": found.get("title") or f"Kế hoạch phát triển kinh tế - xã hội {kind} {ward} năm {found['year']}",
        "ward_code": slug(ward, max_words=10, max_length=80),
        "ward": ward,
        "ward_kind": kind,
        "province": found.get("province", "CHƯA RÕ"),
        "year": found["year"],
        "source_file": f"source/{source.name}" if source.parent.name == "source" else source.name,
    }
    if "title" not in found:
        checks["title"] = "không thấy dòng “KẾ HOẠCH …” ở đầu văn bản; tên kế hoạch do chương trình đặt"
    checks.setdefault("ward_code", "mã địa bàn dùng trong tên thư mục số liệu và báo cáo; giữ nguyên qua các năm")
    return doc


def _validate(text: str, target: Path) -> Plan:
    """The draft checked against the plan schema, in memory: no temporary file is written anywhere."""
    try:
        return parse_plan(text, target.name)
    except PlanError as exc:
        raise PlanError(f"Bản nháp từ văn bản chưa hợp lệ theo lược đồ kế hoạch, chưa ghi tệp nào: {exc}") from None


# -- writing the draft ---------------------------------------------------------------------------
def q(value: object) -> str:
    """A YAML scalar: strings double-quoted (JSON strings are valid YAML), numbers plain."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(q(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _field(key: str, value: object, checks: dict[str, str], indent: str, plain: bool = False) -> str:
    shown = str(value) if plain else q(value)
    note = f"  {CHECK} {checks[key]}" if key in checks else ""
    return f"{indent}{key}: {shown}{note}"


def render_yaml(draft: Draft, document: dict, doc_checks: dict[str, str], source: Path, reference: Plan | None) -> str:
    out = [
        f"# {document['title']}",
        f"# Bản nháp do `kehoach plan import` tạo từ {source.name}.",
        f"# Xem lại từng dòng có “{CHECK}”, sửa nếu cần rồi xóa chú thích đó; sau đó chuyển tệp vào data/plan/",
        "# (kehoach chỉ dùng các kế hoạch trong data/plan/). Ý nghĩa các trường: xem data/plan/phan-dinh-phung-2026.yaml.",
        f"#   kind:      {build.KIND_HELP}",
        f"#   frequency: {build.FREQUENCY_HELP}",
    ]
    if reference is not None:
        out.append(f"# Mã chỉ tiêu, nhóm, đơn vị được giữ theo kế hoạch năm {reference.year} (so khớp theo tên).")
    out += ["", "document:"]
    for key, value in document.items():
        shown = value.isoformat() if hasattr(value, "isoformat") else value
        out.append(_field(key, shown, doc_checks, "  ", plain=hasattr(value, "isoformat")))
    if "fields" in Plan.model_fields and draft.fields:  # the plan model carries section II's headings
        out += ["", "# Các lĩnh vực của phần II (nhiệm vụ II.1.1, II.1.2 … thuộc lĩnh vực II.1).", "fields:"]
        out += [f"  - {{id: {q(fid)}, title: {q(title)}}}" for fid, title in draft.fields]
    out += ["", "groups:"]
    for g in draft.groups:
        note = f"  {CHECK} {'; '.join(g.checks.values())}" if g.checks else ""
        out.append(f"  - {{code: {g.code}, section: {q(g.section)}, name: {q(g.name)}}}{note}")
    out += ["", "units:"]
    for u in draft.units:
        out += _source_line(u.sentence, u.where, u.checks)
        out.append(f"  - code: {u.code}" + (f"  {CHECK} {u.checks['code']}" if "code" in u.checks else ""))
        out.append(_field("item", u.item, u.checks, "    "))
        out.append(_field("role", u.role, u.checks, "    ", plain=True))
        out.append(_field("name", u.name, u.checks, "    "))
        if u.members:
            out.append(f"    members: {q(u.members)}")
    out += ["", "indicators:"]
    current = None
    for ind in sorted(draft.indicators, key=lambda i: i.number):
        if ind.group is not current:
            current = ind.group
            out.append(f"  # {current.section} {current.name}")
        out += _indicator_lines(ind)
    out += ["", "# Phần II: nhiệm vụ, giải pháp. Văn bản thường không giao nhiệm vụ cho đơn vị: unit_code là đơn vị",
            "# báo cáo tiến độ nhiệm vụ, do Văn phòng chọn.", "tasks:"]
    for t in draft.tasks:
        out += _source_line(t.sentence, t.where, t.checks)
        out.append(f"  - id: {q(t.id)}")
        out.append(_field("unit_code", t.unit_code, t.checks, "    ", plain=True))
        out.append(_field("title", t.title, t.checks, "    "))
        out.append(_field("summary", t.summary, t.checks, "    "))
    if not draft.tasks:
        out[-1] = "tasks: []"
    return "\n".join(out) + "\n"


def _source_line(sentence: str, where: str, checks: dict[str, str]) -> list[str]:
    """The sentence an entry was read from, above an entry with a field to check."""
    if not checks or not sentence:
        return []
    return [f"  {SOURCE}, {where}: {json.dumps(_short(sentence, 300), ensure_ascii=False)}"]


def _indicator_lines(ind: DraftIndicator) -> list[str]:
    c = ind.checks
    owners = ind.unit_codes if len(ind.unit_codes) > 1 else ind.unit_code
    lines = _source_line(ind.sentence, ind.where, c)
    lines += [f"  - number: {ind.number}" + (f"  {CHECK} {c['number']}" if "number" in c else ""),
             _field("code", ind.code, c, "    ", plain=True),
             _field("group", ind.group.code, c, "    ", plain=True),
             _field("name", ind.name, c, "    ")]
    if "short_name" in ind.extra:
        lines.append(_field("short_name", ind.extra["short_name"], c, "    "))
    lines += [_field("unit", ind.unit, c, "    "), _field("target", ind.target, c, "    "),
              _field("comparison", ind.comparison, c, "    "), _field("kind", ind.kind, c, "    ", plain=True),
              _field("frequency", ind.frequency, c, "    ", plain=True), _field("unit_code", owners, c, "    ", plain=not isinstance(owners, list))]
    for key in ("target_noun", "value_range"):
        if key in ind.extra:
            lines.append(_field(key, ind.extra[key], c, "    "))
    if ind.notes:
        lines.append(_field("notes", ind.notes, c, "    "))
    return lines


# -- the review list ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewItem:
    """One field of a draft to check: its line in the draft, the entry, the field, the remark, the source sentence."""

    line: int
    entry: str
    field: str
    value: str
    remark: str
    source: str | None

    def __str__(self) -> str:
        where = f"  dòng {self.line}: {self.entry}, {self.field}" + (f" = {self.value}" if self.value else "")
        text = f"{where} — {self.remark}"
        return text + (f"\n      {self.source}" if self.source else "")


_ENTRY = [(re.compile(r"^  - number: (\d+)"), "chỉ tiêu ({})"), (re.compile(r"^  - code: (\S+)"), "đơn vị {}"),
          (re.compile(r'^  - id: "?([^"\s]+)'), "nhiệm vụ {}"), (re.compile(r"^  - \{code: ([^,]+),"), "nhóm {}"),
          (re.compile(r"^(document):"), "thông tin văn bản")]


def review(text: str) -> list[ReviewItem]:
    """Every field of a draft still marked ``# KIỂM TRA:``, with its line number and the sentence it was read from."""
    items: list[ReviewItem] = []
    entry, source, pending_source = "", None, None
    for n, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith(SOURCE):
            pending_source = "câu gốc " + stripped[len(SOURCE):].lstrip(", ")
            continue
        for pattern, label in _ENTRY:
            match = pattern.match(raw)
            if match:
                entry, source, pending_source = label.format(match.group(1)), pending_source, None
                break
        if CHECK not in raw or raw.lstrip().startswith("#"):
            continue
        content, remark = raw.split(CHECK, 1)
        key, _, value = content.strip().lstrip("- ").partition(":")
        if key.startswith("{"):
            key, value = "mã nhóm", ""
        items.append(ReviewItem(n, entry, key.strip(), value.strip().strip('"'), remark.strip(), source))
    return items


def review_text(path: Path, text: str) -> str:
    """The review list as the CLI prints it."""
    items = review(text)
    if not items:
        return f"{path}: không còn trường nào có “{CHECK}”; bản nháp đã được xem lại hết."
    return "\n".join([f"{path}: {len(items)} trường cần xem lại (sửa giá trị nếu cần rồi xóa chú thích “{CHECK}”):"]
                     + [str(item) for item in items])


__all__ = ["CHECK", "ImportReport", "Line", "ReviewItem", "find_reference", "import_plan", "render_yaml", "review",
           "review_text"]
