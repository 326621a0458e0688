"""Cross-check the plan YAML against the plan text itself (data/plan/source/).

The text is parsed by the plan importer's own parser (kehoach.data.planimport): section I.4
for each indicator's name, target and comparison, section III for each indicator's responsible
unit. It never compares against a second copy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kehoach.core.formatting import nfc
from kehoach.data.planimport.parse import parse_lines
from kehoach.data.planimport.sources import read_lines
from kehoach.data.planimport.targets import fold

SOURCE = Path(__file__).resolve().parents[1] / "data" / "plan" / "source" / "ke-hoach-phat-trien-kt-xh-2026.txt"
LINE = re.compile(r"^(?:-\s*)?\((\d+)\)\s*(.+)$")


def _text() -> str:
    return nfc(SOURCE.read_text(encoding="utf-8")).replace("*", "")


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start): text.index(end)]


_fold = fold  # lower case without diacritics, for matching despite a typo such as 'Phân đấu'


def parse_indicators(text: str) -> dict[int, dict]:
    """Section I.4 read by the plan importer's own parser (kehoach.data.planimport)."""
    draft, _ = parse_lines(read_lines(SOURCE))
    return {i.number: {"name": i.name, "target": i.target, "comparison": i.comparison, "target_text": i.target_phrase}
            for i in draft.indicators}


def parse_assignments(text: str) -> dict[str, str]:
    """Section III items 1-5: item id ('III.1') → the text naming its indicators (the importer's parse)."""
    draft, _ = parse_lines(read_lines(SOURCE))
    return {u.item: u.body.removeprefix("Giao ") for u in draft.units if u.item in {f"III.{n}" for n in range(1, 6)}}


def test_the_text_has_36_indicators_in_order():
    parsed = parse_indicators(_text())
    assert sorted(parsed) == list(range(1, 37))


@pytest.mark.parametrize("number", range(1, 37))
def test_indicator_matches_plan_text(plan, number):
    text = _text()
    parsed = parse_indicators(text)[number]
    ind = plan.indicator(number)
    assert ind.target == parsed["target"], parsed["target_text"]
    assert ind.comparison == parsed["comparison"], parsed["target_text"]
    assert ind.name == parsed["name"]
    # Responsible unit: the one section III item whose text names this indicator.
    items = parse_assignments(text)
    owners = [item for item, body in items.items() if _fold(ind.name) in _fold(body)]
    assert len(owners) == 1, f"({number}) named in {owners}"
    assert plan.unit(ind.unit_code).item == owners[0]
    assert _fold(plan.unit(ind.unit_code).name) in _fold(items[owners[0]])


def test_every_unit_item_is_declared(plan):
    text = _text()
    for item, body in parse_assignments(text).items():
        unit = next(u for u in plan.units if u.item == item)
        assert _fold(body).startswith(_fold(unit.name))
    iii = text[text.index("III. TỔ CHỨC THỰC HIỆN"):]
    for unit in plan.units:
        assert _fold(unit.name) in _fold(iii)
    assert plan.unit("QSCA").members == ["Ban Chỉ huy quân sự phường", "Công an phường"]


def test_groups_match_section_headings(plan):
    text = _text()
    headings = re.findall(r"^4\.(\d)\. Các chỉ tiêu về (.+)$", text, flags=re.MULTILINE)
    assert [(f"4.{n}", name.strip()) for n, name in headings] == [(g.section, g.name) for g in plan.groups]
    # Each indicator sits under its group's heading.
    section = _section(text, "4.1. Các chỉ tiêu", "II. NHIỆM VỤ")
    current = None
    for line in section.splitlines():
        heading = re.match(r"^4\.(\d)\. ", line)
        if heading:
            current = f"4.{heading.group(1)}"
        match = LINE.match(line.strip())
        if match:
            assert plan.group(plan.indicator(int(match.group(1))).group).section == current


def test_tasks_match_section_two(plan):
    text = _text()
    section = _section(text, "II. NHIỆM VỤ, GIẢI PHÁP CHỦ YẾU", "III. TỔ CHỨC THỰC HIỆN")
    headings = re.findall(r"^(\d)\.(\d)\. (.+)$", section, flags=re.MULTILINE)
    assert [(f"II.{a}.{b}", title.strip()) for a, b, title in headings] == [(t.id, t.title) for t in plan.tasks]


def test_document_metadata(plan):
    text = _text()
    match = re.search(r"Quyết định số (\S+) ngày (\d+)/(\d+)/(\d{4})", text)
    assert plan.document.decision_number == match.group(1)
    date = plan.document.decision_date
    assert (date.day, date.month, date.year) == tuple(int(g) for g in match.group(2, 3, 4))
    assert f"phường {plan.document.ward}" in text
    assert plan.document.province in text


def test_fields_match_section_two_headings(plan):
    section = _section(_text(), "II. NHIỆM VỤ, GIẢI PHÁP CHỦ YẾU", "III. TỔ CHỨC THỰC HIỆN")
    headings = re.findall(r"^(\d)\. (.+)$", section, flags=re.MULTILINE)
    assert [(f"II.{n}", title.strip()) for n, title in headings] == [(f.id, f.title) for f in plan.fields]
    assert [f.id for f in plan.fields] == ["II.1", "II.2", "II.3", "II.4"]
    assert {g.code: g.field for g in plan.groups} == {"KT": "II.1", "XH": "II.2", "KHCN": "II.3", "YT": "II.2",
                                                      "VHGD": "II.2", "XDCN": "II.1", "QPAN": "II.4"}
