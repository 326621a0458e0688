from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kehoach.core.errors import PlanError
from kehoach.data.plan import load_plan
from tests.conftest import PLAN_FILE


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_loads_36_indicators_with_columns(plan):
    frame = plan.indicators
    assert len(frame) == 36
    assert {"number", "group", "name", "unit", "target", "comparison", "kind", "frequency", "unit_code"} <= set(frame.columns)
    assert frame.loc[frame["number"] == 1, "target"].item() == 869532.0
    assert frame.loc[frame["number"] == 7, "comparison"].item() == "<"
    assert frame.loc[frame["number"] == 6, "kind"].item() == "reduction"
    assert frame["number"].tolist() == list(range(1, 37))
    assert plan.indicator(8).notes == "trừ hồ sơ thuộc danh mục bí mật nhà nước"
    assert len(plan.groups) == 7 and len(plan.tasks) == 17


def test_target_text_is_vietnamese(plan):
    assert plan.indicator(1).target_text() == "869.532 triệu đồng"
    assert plan.indicator(6).target_text() == "0,02%"
    assert plan.indicator(7).target_text() == "dưới 3%"
    assert plan.indicator(11).target_text() == "trên 95%"
    assert plan.indicator(34).target_text() == "1,14%"


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda r: r["indicators"][4].update(group="KTX"), "indicator (5), field 'group': unknown group 'KTX'"),
        (lambda r: r["indicators"][4].update(number=4), "indicator (4), field 'number': duplicate number 4"),
        (lambda r: r["indicators"][9].pop("target"), "indicator (10), field 'target': missing"),
        (lambda r: r["indicators"][10].update(comparison="=>"), "indicator (11), field 'comparison'"),
        (lambda r: r["indicators"][11].update(kind="monthly"), "indicator (12), field 'kind'"),
        (lambda r: r["indicators"][12].update(unit_code="PGD"), "indicator (13), field 'unit_code': undeclared responsible unit 'PGD'"),
        (lambda r: r["indicators"][0].update(target="nhiều"), "indicator (1), field 'target'"),
    ],
)
def test_bad_plan_names_file_indicator_and_field(tmp_path, mutate, expected):
    path = _write(tmp_path, mutate)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_malformed_yaml_gives_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("document:\n  ward: [unclosed\nindicators: x\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"broken.yaml: YAML sai cú pháp ở dòng \d+, cột \d+"):
        load_plan(path)


def test_missing_file(tmp_path):
    with pytest.raises(PlanError, match="không đọc được tệp kế hoạch"):
        load_plan(tmp_path / "nope.yaml")


def test_second_plan_another_ward_and_year(tmp_path):
    def other(raw):
        raw["document"].update(ward_code="tan-thinh", ward="Tân Thịnh", year=2027, issuing_body="UBND phường Tân Thịnh")
        raw["indicators"] = raw["indicators"][:3]
        raw["indicators"][0]["target"] = 1000
    second = load_plan(_write(tmp_path, other))
    frame = second.indicators
    assert (frame["ward"] == "tan-thinh").all() and (frame["year"] == 2027).all()
    assert frame["target"].tolist() == [1000.0, 100.0, 100.0]


def test_text_is_read_as_nfc(tmp_path):
    decomposed = "Tha\u0300nh"  # "Thành" with a combining grave accent
    path = _write(tmp_path, lambda r: r["document"].update(province=decomposed))
    assert load_plan(path).document.province == "Thành"
