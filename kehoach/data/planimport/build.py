"""From a parsed draft to plan fields: codes, responsible units, kinds and frequencies.

What the text does not say is proposed with a reason (``checks``). When the ward already has
a plan (the reference, usually last year's), its codes are kept: indicators, groups, units
and tasks are matched by name, so an indicator keeps its ``code`` when it is renumbered.
"""

from __future__ import annotations

import difflib
import math
import re

from kehoach.data.plan import Plan
from kehoach.data.planimport.parse import Draft, DraftIndicator, DraftUnit, members, numbers_named
from kehoach.data.planimport.targets import fold, slug

#: Indicators whose names match this much (0-1, on folded text) are taken as the same indicator, renamed.
RENAME_SIMILARITY = 0.8
_STOP = {"va", "cac", "cua", "cho", "trong", "tren", "theo", "duoc", "voi", "ve", "tai", "nhung", "mot", "so", "ty", "le"}
KIND_HELP = "cumulative = cộng dồn từ đầu năm, level = mức cuối kỳ, annual_estimate = ước cả năm, reduction = mức giảm so với cuối năm trước"
FREQUENCY_HELP = "quarterly = hằng quý, semi_annual = quý II và IV, annual = chỉ quý IV"


def norm_name(name: str) -> str:
    """A name for matching: folded, without parentheses, without a leading "phấn đấu"."""
    text = " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(re.sub(r"\([^()]*\)", "", name))).split())
    return re.sub(r"^phan dau\s+", "", text)


def initials(name: str, drop: tuple[str, ...] = ()) -> str:
    words = [w for w in re.split(r"[\s,\-–/]+", name) if w]
    out = []
    for word in words:
        f = fold(word)
        if f in drop or f == "va" or word in ("phường", "xã", "thị", "trấn"):
            continue
        out.append(word if word.isupper() and len(word) > 1 and f not in drop else word[0])
    return re.sub(r"[^A-Z0-9]", "", fold("".join(out)).upper())[:8] or "X"


def _unique(code: str, used: set[str], sep: str = "") -> str:
    candidate, n = code, 2
    while candidate in used:
        candidate, n = f"{code}{sep}{n}", n + 1
    used.add(candidate)
    return candidate


# -- groups --------------------------------------------------------------------------------------
def assign_groups(draft: Draft, reference: Plan | None) -> None:
    known = {norm_name(g.name): g.code for g in reference.groups} if reference else {}
    used: set[str] = set()
    for group in draft.groups:
        code = known.get(norm_name(group.name))
        if code and code not in used:
            used.add(code)
            group.code = code
        else:
            group.code = _unique(initials(group.name), used)
            group.checks["code"] = "mã nhóm do chương trình đặt từ chữ cái đầu; có thể đổi cho ngắn gọn"
    if any(i.group is None for i in draft.indicators):
        from kehoach.data.planimport.parse import DraftGroup

        orphan = DraftGroup("1", "Các chỉ tiêu", "")
        orphan.code = _unique("CT", used)
        orphan.checks["name"] = "văn bản không chia nhóm chỉ tiêu; đặt tạm một nhóm chung"
        draft.groups.insert(0, orphan)
        for ind in draft.indicators:
            ind.group = ind.group or orphan


# -- units and their indicators --------------------------------------------------------------------
def assign_units(draft: Draft, reference: Plan | None) -> list[DraftIndicator]:
    """Give every indicator its responsible unit; return those for which the text names none."""
    for unit in draft.units:
        unit.members = members(unit.name)
    _units_from_tables(draft)
    owners: dict[int, list[tuple[int, DraftUnit]]] = {}
    by_number = {i.number: i for i in draft.indicators}
    for unit in draft.units:
        for number in numbers_named(unit.body):
            if number in by_number:
                owners.setdefault(number, []).append((100, unit))
    bodies = {id(u): " " + " ".join(re.sub(r"[^a-z0-9]", " ", fold(re.sub(r"\([^()]*\)", "", u.body))).split()) + " "
              for u in draft.units}
    for ind in sorted(draft.indicators, key=lambda i: -len(norm_name(i.name))):
        key = " " + norm_name(ind.name) + " "
        if len(key) < 8:
            continue
        for unit in draft.units:
            if key in bodies[id(unit)]:
                owners.setdefault(ind.number, []).append((len(key), unit))
                bodies[id(unit)] = bodies[id(unit)].replace(key, " # ", 1)
    for ind in draft.indicators:
        if ind.owner_text:
            unit = _unit_named(draft.units, ind.owner_text)
            owners.setdefault(ind.number, []).insert(0, (1000, unit))
    _roles(draft, owners)
    _unit_codes(draft, reference)
    missing = []
    fallback = next((u for u in draft.units if u.role == "coordinator"), draft.units[0] if draft.units else None)
    if fallback is None:
        fallback = DraftUnit("III", "Đơn vị chủ trì (chưa xác định)", "", "")
        fallback.code = "CHUAGIAO"
        fallback.checks["name"] = "văn bản không có phần tổ chức thực hiện; khai báo các đơn vị chủ trì"
        draft.units.append(fallback)
    for ind in draft.indicators:
        found = sorted(owners.get(ind.number, []), key=lambda x: -x[0])
        distinct = list(dict.fromkeys(u.code for _, u in found))
        if not distinct:
            ind.unit_code = fallback.code
            ind.checks["unit_code"] = (f"phần tổ chức thực hiện không giao chỉ tiêu này cho đơn vị nào; "
                                       f"tạm giao {fallback.code}, sửa lại cho đúng")
            missing.append(ind)
            continue
        ind.unit_code = distinct[0]
        if len(distinct) > 1:
            ind.checks["unit_code"] = f"chỉ tiêu được nhắc ở nhiều đơn vị ({', '.join(distinct)}); đã chọn {distinct[0]}"
    return missing


def _units_from_tables(draft: Draft) -> None:
    for ind in draft.indicators:
        if ind.owner_text and _find_unit(draft.units, ind.owner_text) is None:
            unit = DraftUnit(f"III.{len(draft.units) + 1}", ind.owner_text, "", ind.where)
            unit.checks["item"] = "đơn vị lấy từ cột “đơn vị chủ trì” của bảng chỉ tiêu, không có mục riêng ở phần III"
            unit.members = members(ind.owner_text)
            draft.units.append(unit)


def _find_unit(units: list[DraftUnit], text: str) -> DraftUnit | None:
    wanted = norm_name(text)
    for unit in units:
        if norm_name(unit.name) == wanted or wanted in [norm_name(m) for m in unit.members]:
            return unit
    for unit in units:
        if wanted and (wanted in norm_name(unit.name) or norm_name(unit.name) in wanted):
            return unit
    return None


def _unit_named(units: list[DraftUnit], text: str) -> DraftUnit:
    unit = _find_unit(units, text)
    assert unit is not None  # created by _units_from_tables
    return unit


def _roles(draft: Draft, owners: dict[int, list[tuple[int, DraftUnit]]]) -> None:
    owning = {id(u) for found in owners.values() for _, u in found}
    coordinator_taken = False
    for unit in draft.units:
        f = fold(unit.body + " " + unit.name)
        if id(unit) in owning:
            unit.role = "responsible"
        elif not coordinator_taken and (fold(unit.name).startswith("van phong") or ("tong hop" in f and "bao cao" in f)):
            unit.role, coordinator_taken = "coordinator", True
        elif "tuyen truyen" in f or "thong tin" in f:
            unit.role = "communication"
        else:
            unit.role = "responsible"
            unit.checks["role"] = "đơn vị không được giao chỉ tiêu nào; vai trò đặt tạm là responsible"


def _unit_codes(draft: Draft, reference: Plan | None) -> None:
    known = {}
    if reference:
        for u in reference.units:
            known[norm_name(u.name)] = u.code
    used: set[str] = set()
    for unit in draft.units:
        if unit.code:
            used.add(unit.code)
            continue
        code = known.get(norm_name(unit.name))
        if code and code not in used:
            unit.code = code
            used.add(code)
            continue
        if fold(unit.name).startswith("van phong"):
            proposal = "VP"
        elif unit.members:
            proposal = "".join(initials(m, ("ban", "phong", "cong", "chuc"))[:4] for m in unit.members)
        else:
            proposal = initials(unit.name, ("phong", "trung", "tam", "cong", "chuc"))
        unit.code = _unique(proposal[:8], used)
        unit.checks["code"] = "mã đơn vị do chương trình đặt; biểu mẫu và thư gửi dùng mã này, có thể đổi cho dễ nhớ"


# -- indicators: codes, kinds, frequencies ------------------------------------------------------------
def match_reference(draft: Draft, reference: Plan | None) -> dict[int, object]:
    """Draft indicator number → the reference indicator with the same (or a very similar) name."""
    if reference is None:
        return {}
    pairs = []
    for ind in draft.indicators:
        name = norm_name(ind.name)
        for old in reference.indicator_list:
            names = [norm_name(old.name)] + ([norm_name(old.short_name)] if old.short_name else [])
            score = max(1.0 if name == n else difflib.SequenceMatcher(None, name, n).ratio() for n in names)
            if score >= RENAME_SIMILARITY:
                pairs.append((score, ind.number, old))
    matched: dict[int, object] = {}
    taken: set[str] = set()
    for score, number, old in sorted(pairs, key=lambda p: -p[0]):
        if number in matched or old.code in taken:
            continue
        matched[number] = old
        taken.add(old.code)
    return matched


def assign_indicators(draft: Draft, reference: Plan | None) -> dict[int, object]:
    matched = match_reference(draft, reference)
    used: set[str] = {old.code for old in matched.values()}
    year = reference.year if reference else None
    for ind in draft.indicators:
        old = matched.get(ind.number)
        if old is not None:
            ind.code = old.code
            if norm_name(old.name) != norm_name(ind.name):
                ind.checks["code"] = (f"tên khác kế hoạch năm {year} (“{old.name}”); giữ mã {old.code} "
                                      "vì coi là cùng chỉ tiêu, đổi mã nếu không phải")
            ind.kind, ind.frequency = old.kind, old.frequency
            source = f"theo chỉ tiêu ({old.number}) kế hoạch năm {year}"
            ind.checks.setdefault("kind", source)
            ind.checks.setdefault("frequency", source)
            for key in ("target_noun", "value_range"):
                value = getattr(old, key)
                if value not in (None, "kế hoạch"):
                    ind.extra[key] = list(value) if isinstance(value, tuple) else value
            if old.short_name and norm_name(old.name) == norm_name(ind.name):
                ind.extra["short_name"] = old.short_name
            if not ind.notes and old.notes:
                ind.notes = old.notes
                ind.checks["notes"] = f"ghi chú lấy từ kế hoạch năm {year}"
        else:
            ind.code = _unique(propose_code(ind.name), used, "-")
            ind.checks["code"] = ("mã mới do chương trình đặt từ tên" + (f"; không thấy chỉ tiêu này trong kế hoạch năm {year}"
                                  if reference else "") + "; giữ mã này ổn định qua các năm")
            ind.kind, why = guess_kind(ind)
            ind.frequency = guess_frequency(ind)
            ind.checks["kind"] = f"đoán theo {why}"
            ind.checks["frequency"] = "mặc định hằng quý; đổi nếu chỉ tiêu chỉ có số 6 tháng hoặc cả năm"
        if ind.target is None:
            ind.target = 0.0
            ind.checks["target"] = "không đọc được chỉ tiêu (con số) từ văn bản; điền giá trị kế hoạch"
        if not ind.unit:
            ind.checks["unit"] = "không đọc được đơn vị tính; điền đơn vị tính (%, người, triệu đồng…)"
    return matched


def propose_code(name: str) -> str:
    text = re.sub(r"\([^()]*\)", "", name)
    text = re.sub(r"^\s*(phấn đấu|thực hiện)\s+", "", text, flags=re.IGNORECASE)
    words = [w for w in re.findall(r"[a-z0-9]+", fold(text)) if w not in ("ty", "le", "cac", "cua", "duoc", "va")]
    return slug(" ".join(words), max_words=5, max_length=36)


def guess_kind(ind: DraftIndicator) -> tuple[str, str]:
    name = fold(ind.name)
    phrase = fold(ind.target_phrase or "")
    if ind.reduction or re.search(r"^(muc )?giam\b|\bmuc giam\b", name):
        return "reduction", "chữ “giảm” trong chỉ tiêu"
    if re.search(r"toc do tang|tang truong|thu nhap binh quan|gia tri san xuat|tong san pham", name) or phrase.startswith("tang"):
        return "annual_estimate", "tên chỉ tiêu (tốc độ tăng, thu nhập bình quân, giá trị sản xuất: ước cả năm)"
    if ind.unit and ind.unit != "%":
        return "cumulative", f"đơn vị tính “{ind.unit}” (số lượng, số tiền cộng dồn trong năm)"
    if re.search(r"ke hoach giao|du toan|giai ngan", phrase + " " + name):
        return "cumulative", "tỷ lệ so với kế hoạch giao (cộng dồn từ đầu năm)"
    return "level", "đơn vị tính % (tỷ lệ tại thời điểm báo cáo)"


def guess_frequency(ind: DraftIndicator) -> str:
    return "quarterly"


# -- tasks -------------------------------------------------------------------------------------
def assign_tasks(draft: Draft, reference: Plan | None) -> None:
    known = {norm_name(t.title): t for t in reference.tasks} if reference else {}
    responsible = [u for u in draft.units if u.role == "responsible"] or draft.units
    words = {u.code: _words(u.name + " " + " ".join(f"{i.name} {i.group.name if i.group else ''}"
                                                    for i in draft.indicators if i.unit_code == u.code))
             for u in responsible}
    fallback = next((u.code for u in draft.units if u.role == "coordinator"), responsible[0].code if responsible else "")
    for task in draft.tasks:
        old = known.get(norm_name(task.title))
        task.summary = summarize(task.body) or task.title
        if old is not None and any(u.code == old.unit_code for u in draft.units):
            task.unit_code = old.unit_code
            task.summary = old.summary if summarize(task.body) else task.summary
            task.checks["unit_code"] = f"văn bản không giao nhiệm vụ cho đơn vị; giữ như kế hoạch năm {reference.year}"
            continue
        task_words = _words(task.title + " " + " ".join(task.body[:1]))
        scores = {code: len(task_words & w) / math.sqrt(1 + len(w)) for code, w in words.items()}
        best = max(scores, key=scores.get) if scores and max(scores.values()) > 0 else fallback
        task.unit_code = best
        task.checks["unit_code"] = "văn bản không giao nhiệm vụ cho đơn vị; đơn vị đoán theo lĩnh vực, xem lại"
        if task.body:
            task.checks["summary"] = "tóm tắt là câu đầu của mục; viết lại cho gọn nếu cần"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", fold(text)) if w not in _STOP and len(w) > 1}


def summarize(body: list[str], limit: int = 220) -> str:
    """The first sentence of a task's text, cut at a word boundary."""
    if not body:
        return ""
    text = " ".join(body).lstrip("-–• ")
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(".;")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence
