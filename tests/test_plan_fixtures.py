"""Six plan decisions written for these tests, each read field by field against its hand-made answer key.

The decisions (tests/fixtures/plans/, see its README) follow the shapes of commune plan decisions:
"Phần thứ …" parts, A/B/C parts, units given by ranges, lists and groups of indicators, several units
per indicator, Word tables and automatic lists, intro lines, qualitative, ranged and implausible targets.
The keys (tests/plan_keys/*.yaml) were written by hand from the texts. Every field is compared; the
score per fixture is printed by ``python tests/test_plan_fixtures.py``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from kehoach.data.planimport import import_plan  # noqa: E402

FIXTURES = HERE / "fixtures" / "plans"
KEYS = HERE / "plan_keys"
NAMES = sorted(p.stem for p in KEYS.glob("*.yaml"))
#: Fields every new indicator has flagged (the text never says them); the key lists the other flags.
ALWAYS_CHECKED = {"code", "kind", "frequency"}


def read_fields(key: dict, tmp: Path) -> dict:
    """The import of the key's source, in the key's shape."""
    report = import_plan(FIXTURES / key["source"], tmp / "draft.yaml", reference=None, force=True)
    plan, draft = report.plan, report.draft
    units = {u.code: u.name for u in plan.units}
    checks = {i.number: sorted(set(i.checks) - ALWAYS_CHECKED) for i in draft.indicators}
    out = {
        "source": key["source"],
        "document": {k: v for k, v in plan.document.model_dump().items() if k != "population"},
        "groups": [[g.section, g.name] for g in plan.groups],
        "units": [[u.item, u.name, u.role, list(u.members)] for u in plan.units],
        "indicators": {i.number: [plan.group(i.group).section, i.name, i.unit, i.target, i.comparison, i.kind,
                                  [units[c] for c in i.unit_codes], checks[i.number]] for i in plan.indicator_list},
        "tasks": [[t.id, t.title] for t in plan.tasks],
        "unplaced": [[line.where, line.text] for line in draft.unplaced],
    }
    # Section II's headings: in the plan once its model has ``fields``, else as the import read them.
    out["fields"] = ([[f.id, f.title] for f in plan.fields] if "fields" in type(plan).model_fields
                     else [list(f) for f in draft.fields])
    return out


def compare(key: dict, got: dict) -> tuple[int, list[str]]:
    """(number of fields in the key, the fields that differ, each as "where: want ≠ got")."""
    total, wrong = 0, []

    def check(where: str, want: object, have: object) -> None:
        nonlocal total
        total += 1
        if want != have and not (isinstance(want, (int, float)) and isinstance(have, (int, float)) and float(want) == float(have)):
            wrong.append(f"{where}: {want!r} ≠ {have!r}")

    for name, value in key["document"].items():
        check(f"document.{name}", value.isoformat() if isinstance(value, dt.date) else value,
              got["document"].get(name).isoformat() if isinstance(got["document"].get(name), dt.date) else got["document"].get(name))
    for section in ("groups", "units", "tasks", "fields"):
        if section not in key:
            continue
        have = got[section]
        for n, entry in enumerate(key[section]):
            other = have[n] if n < len(have) else [None] * len(entry)
            for k, value in enumerate(entry):
                check(f"{section}[{n}][{k}]", value, other[k])
        check(f"{section}: count", len(key[section]), len(have))
    labels = ["group", "name", "unit", "target", "comparison", "kind", "units", "review"]
    for number, entry in key["indicators"].items():
        other = got["indicators"].get(number, [None] * len(entry))
        for label, value, have in zip(labels, entry, other):
            check(f"indicator ({number}).{label}", value, have)
    check("indicators: count", len(key["indicators"]), len(got["indicators"]))
    check("unplaced", key["unplaced"], got["unplaced"])
    return total, wrong


@pytest.mark.parametrize("name", NAMES)
def test_fixture_reads_every_field_of_its_key(name, tmp_path):
    key = yaml.safe_load((KEYS / f"{name}.yaml").read_text(encoding="utf-8"))
    total, wrong = compare(key, read_fields(key, tmp_path))
    assert wrong == [], f"{len(wrong)} of {total} fields differ"


def test_there_are_six_fixtures_in_txt_and_docx():
    sources = [yaml.safe_load((KEYS / f"{n}.yaml").read_text(encoding="utf-8"))["source"] for n in NAMES]
    assert len(sources) >= 6 and {Path(s).suffix for s in sources} == {".txt", ".docx"}


def _main() -> None:
    """Print the score of each fixture; ``--write NAME`` writes a key draft from the import (to edit by hand)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        if sys.argv[1:2] == ["--write"]:
            source = sys.argv[2]
            got = read_fields({"source": source}, Path(tmp))
            print(yaml.safe_dump(got, allow_unicode=True, sort_keys=False, width=140))
            return
        for name in NAMES:
            key = yaml.safe_load((KEYS / f"{name}.yaml").read_text(encoding="utf-8"))
            total, wrong = compare(key, read_fields(key, Path(tmp)))
            print(f"{key['source']:<32} {total - len(wrong)}/{total} trường đúng")
            for line in wrong:
                print("   ", line)


if __name__ == "__main__":
    _main()
