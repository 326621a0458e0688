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
        if f in drop or f == "va" or word in ("phường", "xã", "thị", "trấn", "đặc", "khu"):
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
#: How sure a way of naming an indicator is: a table's unit column, a number, a group, a name (its length).
_BY_TABLE, _BY_NUMBER, _BY_GROUP = 1000, 100, 90


def assign_units(draft: Draft, reference: Plan | None) -> list[DraftIndicator]:
    """Give every indicator its responsible units (the lead first); return those for which the text names none."""
    for unit in draft.units:
        unit.members = members(unit.name)
    owners: dict[int, list[tuple[int, int, DraftUnit]]] = {}  # number → (how sure, order of mention, unit)
    _units_from_tables(draft, owners)
    joint = _joint_units(draft)
    by_number = {i.number: i for i in draft.indicators}

    def give(number: int, score: int, order: int, unit: DraftUnit) -> None:
        for k, each in enumerate(joint.get(id(unit), [unit])):
            owners.setdefault(number, []).append((score, order * 10 + k, each))

    for order, unit in enumerate(draft.units):
        named = numbers_named(_own_part(unit.body))
        for number in named:
            if number in by_number:
                give(number, _BY_NUMBER, order, unit)
        _dangling(draft, unit, [n for n in dict.fromkeys(named) if n not in by_number])
    bodies = {id(u): " " + " ".join(re.sub(r"[^a-z0-9]", " ", fold(re.sub(r"\([^()]*\)", "", u.body))).split()) + " "
              for u in draft.units}
    for ind in sorted(draft.indicators, key=lambda i: -len(norm_name(i.name))):
        key = " " + norm_name(ind.name) + " "
        if len(key) < 8:
            continue
        for order, unit in enumerate(draft.units):
            if key in bodies[id(unit)]:
                give(ind.number, len(key), order, unit)
                bodies[id(unit)] = bodies[id(unit)].replace(key, " # ", 1)
    for order, unit in enumerate(draft.units):  # a whole group: only its indicators no other item names one by one
        for group in group_refs(_own_part(unit.body), draft.groups):
            for ind in draft.indicators:
                if ind.group is group and not any(o[2] is not unit and o[2] not in joint.get(id(unit), [])
                                                  for o in owners.get(ind.number, [])):
                    give(ind.number, _BY_GROUP, order, unit)
    draft.units = [u for u in draft.units if id(u) not in joint]
    _roles(draft, owners)
    _unit_codes(draft, reference)
    return _choose_owners(draft, owners)


def _dangling(draft: Draft, unit: DraftUnit, numbers: list[int]) -> None:
    """Part III names indicator numbers the list does not have: a misread indicator, or a wrong number in the text."""
    if numbers:
        refs = ", ".join(map(str, numbers))
        unit.checks.setdefault("item", f"mục này giao chỉ tiêu số {refs} nhưng phần chỉ tiêu không có (hoặc chưa đọc được) "
                                       f"chỉ tiêu số đó; đối chiếu văn bản, thêm chỉ tiêu còn thiếu")
        draft.dangling.append((unit, numbers))


def _choose_owners(draft: Draft, owners: dict[int, list[tuple[int, int, DraftUnit]]]) -> list[DraftIndicator]:
    missing = []
    fallback = next((u for u in draft.units if u.role == "coordinator"), draft.units[0] if draft.units else None)
    if fallback is None:
        fallback = DraftUnit("III", "Đơn vị chủ trì (chưa xác định)", "", "")
        fallback.code = "CHUAGIAO"
        fallback.checks["name"] = "văn bản không có phần tổ chức thực hiện; khai báo các đơn vị chủ trì"
        draft.units.append(fallback)
    for ind in draft.indicators:
        found = sorted(owners.get(ind.number, []), key=lambda x: (-x[0], x[1]))
        distinct = list(dict.fromkeys(u.code for _, _, u in found))
        if not distinct:
            ind.unit_code, ind.unit_codes = fallback.code, [fallback.code]
            ind.checks["unit_code"] = (f"phần tổ chức thực hiện không giao chỉ tiêu này cho đơn vị nào; "
                                       f"tạm giao {fallback.code}, sửa lại cho đúng")
            missing.append(ind)
            continue
        ind.unit_code, ind.unit_codes = distinct[0], distinct
        items = list(dict.fromkeys(x[1] // 10 for x in found))
        if len(items) > 1:
            ind.checks["unit_code"] = (f"chỉ tiêu được nhắc ở nhiều mục ({', '.join(distinct)}); đã ghi tất cả, "
                                       f"{distinct[0]} chủ trì (đứng đầu danh sách); bỏ đơn vị không phải chủ trì")
    return missing


def _own_part(body: str) -> str:
    """A unit's item without the indicators it only helps with ("…; phối hợp theo dõi chỉ tiêu số 9")."""
    return re.sub(r"phối hợp(?:\s+\S+){0,3}?\s+(?:các\s+)?(?:chỉ tiêu|nhóm)[^;.]*", "", body, flags=re.IGNORECASE)


def group_refs(body: str, groups: list) -> list:
    """The indicator groups a sentence gives as a whole: "nhóm I", "các chỉ tiêu thuộc nhóm II và III",
    "nhóm I và nhóm III", "nhóm chỉ tiêu về Y tế", "các chỉ tiêu thuộc lĩnh vực Y tế" (not "các chỉ tiêu về Y tế: A, B")."""
    f = fold(re.sub(r"\([^()]*\)", "", body))
    words = " ".join(re.sub(r"[^a-z0-9:]", " ", f).split())  # for names: no punctuation, as norm_name
    found: list = []
    token = r"(?:[ivx]{1,4}|\d{1,2}|[a-e])\b"
    for match in re.finditer(rf"\bnhom\s+(?:chi tieu\s+)?(?:so\s+)?({token}(?:\s*(?:,|va|-|–|den)\s*(?:nhom\s+)?{token})*)", f):
        labels = re.findall(rf"{token}|den|-|–", match.group(1))
        previous = None
        span = False
        for label in labels:
            if label in ("den", "-", "–"):
                span = True
                continue
            index = _group_index(label, groups)
            if index is None:
                continue
            if span and previous is not None and index > previous:
                found += groups[previous + 1:index + 1]
            else:
                found.append(groups[index])
            previous, span = index, False
    for group in groups:
        name = norm_name(group.name)
        if not name:
            continue
        pattern = (rf"(?:\bnhom(?:\s+cac)?(?:\s+chi tieu)?|\bchi tieu\s+(?:chu yeu\s+)?thuoc(?:\s+nhom|\s+linh vuc)?|\blinh vuc)"
                   rf"(?:\s+chu yeu)?(?:\s+ve)?\s+{re.escape(name)}(?![a-z0-9])(?!\s*:)")
        if re.search(pattern, words):
            found.append(group)
    return _distinct(found)


def _distinct(items: list) -> list:
    """``items`` without repeats (by identity), in order."""
    seen: set[int] = set()
    return [x for x in items if not (id(x) in seen or seen.add(id(x)))]


def _group_index(label: str, groups: list) -> int | None:
    """A group by its section ("II", "b", "4.2"), else by its rank (nhóm II = the second group)."""
    for i, group in enumerate(groups):
        if fold(group.section).rstrip(".") == label:
            return i
    rank = int(label) if label.isdigit() else _roman_value(label)
    return rank - 1 if rank and 0 < rank <= len(groups) else None


def _roman_value(text: str) -> int | None:
    values = {"i": 1, "v": 5, "x": 10}
    if not text or any(c not in values for c in text):
        return None
    total = 0
    for a, b in zip(text, text[1:] + " "):
        total += -values[a] if b in values and values[b] > values[a] else values[a]
    return total


def _joint_units(draft: Draft) -> dict[int, list[DraftUnit]]:
    """Items naming several units that each have their own item ("Công an phường, Ban Chỉ huy quân sự phường
    chủ trì …"): the indicators go to each of them, the first named leading. Other joint names stay one unit."""
    joint: dict[int, list[DraftUnit]] = {}
    for unit in draft.units:
        if not unit.members:
            continue
        separate = [_find_unit([u for u in draft.units if u is not unit and not u.members], m) for m in unit.members]
        if all(separate):
            joint[id(unit)] = _distinct(separate)
    return joint


def _units_from_tables(draft: Draft, owners: dict[int, list[tuple[int, int, DraftUnit]]]) -> None:
    """Units named in a table's "đơn vị chủ trì" column: one or several per row (the first leads)."""
    for ind in draft.indicators:
        if not ind.owner_text:
            continue
        names = []
        for part in (p.strip() for p in re.split(r"\s*[;\n]\s*", ind.owner_text) if p.strip()):
            names += members(part) or [part]
        for k, name in enumerate(names):
            unit = _find_unit(draft.units, name)
            if unit is None:
                unit = DraftUnit(ind.where, name, "", ind.where, sentence=ind.sentence)  # item: the row that names it
                unit.checks["item"] = "đơn vị lấy từ cột “đơn vị chủ trì” của bảng chỉ tiêu, không có mục riêng ở phần III"
                draft.units.append(unit)
            owners.setdefault(ind.number, []).append((_BY_TABLE, -100 + k, unit))


def _find_unit(units: list[DraftUnit], text: str) -> DraftUnit | None:
    wanted = norm_name(text)
    for unit in units:
        if norm_name(unit.name) == wanted or wanted in [norm_name(m) for m in unit.members]:
            return unit
    for unit in units:
        if wanted and (wanted in norm_name(unit.name) or norm_name(unit.name) in wanted):
            return unit
    return None


def _roles(draft: Draft, owners: dict[int, list[tuple[int, int, DraftUnit]]]) -> None:
    owning = {id(u) for found in owners.values() for _, _, u in found}
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
            proposal = proposal if len(proposal) > 1 else initials(unit.name)  # "Công an xã" → CA, not A
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
            if _relative_reduction(ind):
                ind.checks["unit"] = ("“giảm …%” một số lượng là giảm tương đối so với năm trước, lược đồ không có; ghi đơn vị "
                                      "đếm (vụ, người…), kind: cumulative hoặc level, comparison: \"<\" và target là mức phải "
                                      "dưới (số năm trước × (1 − tỷ lệ giảm)), ghi cách tính vào notes")
            ind.checks["frequency"] = "mặc định hằng quý; đổi nếu chỉ tiêu chỉ có số 6 tháng hoặc cả năm"
        if ind.target is None:
            ind.target = 0.0
            ind.checks.setdefault("target", f"không đọc được chỉ tiêu (con số) từ văn bản; điền giá trị kế hoạch: “{ind.raw}”")
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
    if not ind.unit and re.match(r"^(so|tong so|tong)\b", name):
        return "cumulative", "tên chỉ tiêu (số lượng cộng dồn trong năm)"
    if re.search(r"ke hoach giao|du toan|giai ngan", phrase + " " + name):
        return "cumulative", "tỷ lệ so với kế hoạch giao (cộng dồn từ đầu năm)"
    return "level", "đơn vị tính % (tỷ lệ tại thời điểm báo cáo)"


def _relative_reduction(ind: DraftIndicator) -> bool:
    """"Số vụ phạm pháp hình sự giảm 10% so với năm 2025": a count cut by a share, not a rate cut by points."""
    return ind.kind == "reduction" and ind.unit == "%" and bool(re.match(r"^(so|tong so)\b", fold(ind.name)))


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
    text = " ".join(re.sub(r"^[-–•+]\s*", "", line) for line in body)
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(".;")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence
