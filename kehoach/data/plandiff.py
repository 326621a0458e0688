"""What changed between two years' plans of a ward, indicator by indicator, joined on ``code``."""

from __future__ import annotations

from dataclasses import dataclass, field

from kehoach.data.plan import Indicator, Plan


@dataclass(frozen=True)
class Change:
    """One carried indicator that changed: ``what`` is name, number, target, unit_code, group or kind."""

    code: str
    what: str
    old: object
    new: object
    old_number: int
    new_number: int


@dataclass
class PlanDiff:
    old: Plan
    new: Plan
    added: list[Indicator] = field(default_factory=list)
    dropped: list[Indicator] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def of(self, what: str) -> list[Change]:
        return [c for c in self.changes if c.what == what]

    @property
    def carried(self) -> int:
        return len(self.new.indicator_list) - len(self.added)

    def text(self) -> str:
        """The difference in Vietnamese, as `kehoach plan diff` prints it."""
        o, n = self.old, self.new
        out = [f"So sánh kế hoạch năm {o.year} ({o.document.decision_number}, {len(o.indicator_list)} chỉ tiêu) "
               f"với năm {n.year} ({n.document.decision_number}, {len(n.indicator_list)} chỉ tiêu) của {n.title_place}:",
               f"  {self.carried} chỉ tiêu giữ lại, {len(self.added)} thêm mới, {len(self.dropped)} bỏ."]
        sections = [
            ("Chỉ tiêu mới", [f"({i.number}) {i.name}: {i.target_text()} [{i.code}]" for i in self.added]),
            ("Chỉ tiêu bỏ", [f"({i.number}) {i.name} [{i.code}]" for i in self.dropped]),
            ("Đổi tên", [f"({c.new_number}) “{c.old}” → “{c.new}” [{c.code}]" for c in self.of("name")]),
            ("Đổi chỉ tiêu kế hoạch", [f"({c.new_number}) {n.indicator(c.new_number).label}: {c.old} → {c.new} [{c.code}]"
                                       for c in self.of("target")]),
            ("Đổi đơn vị chủ trì", [f"({c.new_number}) {n.indicator(c.new_number).label}: {c.old} → {c.new}"
                                    for c in self.of("unit_code")]),
            ("Đổi nhóm", [f"({c.new_number}) {n.indicator(c.new_number).label}: {c.old} → {c.new}" for c in self.of("group")]),
            ("Đổi loại chỉ tiêu hoặc kỳ báo cáo", [f"({c.new_number}) {n.indicator(c.new_number).label}: {c.old} → {c.new}"
                                                   for c in self.of("kind") + self.of("frequency")]),
            ("Đổi số thứ tự", [f"({c.old_number}) → ({c.new_number}) {n.indicator(c.new_number).label}" for c in self.of("number")]),
        ]
        for title, rows in sections:
            if rows:
                out.append(f"{title} ({len(rows)}):")
                out += [f"  {row}" for row in rows]
        if not (self.added or self.dropped or self.changes):
            out.append("Không có thay đổi nào về chỉ tiêu.")
        return "\n".join(out)


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """Indicators added, dropped and changed from ``old`` to ``new``, matched by ``code`` only."""
    before = {i.code: i for i in old.indicator_list}
    after = {i.code: i for i in new.indicator_list}
    result = PlanDiff(old, new)
    result.added = sorted((i for c, i in after.items() if c not in before), key=lambda i: i.number)
    result.dropped = sorted((i for c, i in before.items() if c not in after), key=lambda i: i.number)
    old_groups = {g.code: g.name for g in old.groups}
    new_groups = {g.code: g.name for g in new.groups}
    for ind in sorted(after.values(), key=lambda i: i.number):
        prev = before.get(ind.code)
        if prev is None:
            continue

        def change(what: str, a: object, b: object) -> None:
            if a != b:
                result.changes.append(Change(ind.code, what, a, b, prev.number, ind.number))

        change("name", prev.name, ind.name)
        change("number", prev.number, ind.number)
        change("target", prev.target_text(), ind.target_text())
        change("unit_code", old.unit(prev.unit_code).name, new.unit(ind.unit_code).name)
        change("group", old_groups[prev.group], new_groups[ind.group])
        change("kind", prev.kind, ind.kind)
        change("frequency", prev.frequency, ind.frequency)
    return result
