from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kehoach.core.errors import PlanError
from kehoach.data.plan import find_plan, list_plans, load_plan
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
        (lambda r: r["indicators"][4].update(group="KTX"), "dòng 105, chỉ tiêu (5), trường 'group': nhóm 'KTX' chưa khai báo; "
                                                          "khai báo ở mục 'groups' (KHCN, KT, QPAN, VHGD, XDCN, XH, YT)"),
        (lambda r: r["indicators"][4].update(number=4), "dòng 108, chỉ tiêu (4), trường 'number': số thứ tự 4 bị trùng"),
        (lambda r: r["indicators"][9].pop("target"), "dòng 155, chỉ tiêu (10), trường 'target': thiếu; thêm trường này"),
        (lambda r: r["indicators"][10].update(comparison="=>"),
         "dòng 166, chỉ tiêu (11), trường 'comparison': giá trị “=>” không hợp lệ; chọn một trong '>=', '>' hoặc '<'"),
        (lambda r: r["indicators"][11].update(kind="monthly"), "dòng 179, chỉ tiêu (12), trường 'kind': giá trị “monthly” không hợp lệ"),
        (lambda r: r["indicators"][12].update(unit_code="PGD"), "dòng 195, chỉ tiêu (13), trường 'unit_code': đơn vị 'PGD' chưa khai báo"),
        (lambda r: r["indicators"][12].update(unit_code=["VHXH", "PGD"]),
         "dòng 196, chỉ tiêu (13), trường 'unit_code': đơn vị 'PGD' chưa khai báo"),
        (lambda r: r["indicators"][0].update(target="nhiều"), "dòng 60, chỉ tiêu (1), trường 'target': “nhiều” không phải là số"),
        (lambda r: r["indicators"][2].pop("code"), "dòng 76, chỉ tiêu (3), trường 'code': thiếu; thêm trường này"),
        (lambda r: r["indicators"][2].update(code="Thu Ngân Sách"),
         "dòng 76, chỉ tiêu (3), trường 'code': “Thu Ngân Sách” sai dạng; chỉ dùng chữ thường không dấu"),
        (lambda r: r["indicators"][3].update(code="thu-ngan-sach"), "dòng 89, chỉ tiêu (4), trường 'code': mã 'thu-ngan-sach' bị trùng"),
        (lambda r: r["units"][1].update(code="KTHT"), "đơn vị 'KTHT', trường 'code': giá trị 'KTHT' bị trùng"),
        (lambda r: r["groups"][1].update(field="II.9"), "dòng 29, nhóm 'XH', trường 'field': lĩnh vực 'II.9' chưa khai báo; "
                                                         "khai báo ở mục 'fields' (II.1, II.2, II.3, II.4)"),
        (lambda r: (r["fields"].pop(), r["groups"][6].pop("field")), "nhiệm vụ 'II.4.1', trường 'id': lĩnh vực II.4 chưa khai báo; khai báo ở mục 'fields' (II.1, II.2, II.3)"),
        (lambda r: r["fields"].append({"id": "4", "title": "x"}), "dòng 23, lĩnh vực '4', trường 'id': “4” sai dạng"),
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
    with pytest.raises(PlanError, match=r"broken.yaml: YAML sai ở dòng \d+, cột \d+"):
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


def test_every_indicator_has_a_stable_code(plan):
    assert plan.indicator(1).code == "thu-ngan-sach" and plan.indicator(36).code == "giao-quan-huan-luyen"
    assert plan.indicators["code"].is_unique and plan.indicator_by_code("bao-hiem-y-te").number == 15


def _workspace(tmp_path, *mutations):
    folder = tmp_path / "plans"
    folder.mkdir()
    for n, mutate in enumerate(mutations):
        raw = yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8"))
        mutate(raw)
        (folder / f"p{n}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


def test_find_plan_by_ward_and_year(tmp_path):
    folder = _workspace(tmp_path, lambda r: None, lambda r: r["document"].update(year=2027),
                        lambda r: r["document"].update(ward_code="tan-thinh", ward="Tân Thịnh"))
    assert [(e.ward, e.year) for e in list_plans(folder)] == [("phan-dinh-phung", 2026), ("phan-dinh-phung", 2027),
                                                              ("tan-thinh", 2026)]
    assert find_plan("phan-dinh-phung", 2027, folder).year == 2027
    assert find_plan("tan-thinh", None, folder).ward == "tan-thinh"
    with pytest.raises(PlanError, match="Có 2 kế hoạch phù hợp.*--ward phan-dinh-phung --year 2026, --ward phan-dinh-phung --year 2027"):
        find_plan("phan-dinh-phung", None, folder)
    with pytest.raises(PlanError, match="Không có kế hoạch địa bàn “tan-thinh” năm 2027"):
        find_plan("tan-thinh", 2027, folder)


def test_two_files_for_one_ward_and_year_are_refused(tmp_path):
    folder = _workspace(tmp_path, lambda r: None, lambda r: None)
    with pytest.raises(PlanError, match="p0.yaml và p1.yaml cùng là kế hoạch năm 2026 của phường Phan Đình Phùng"):
        find_plan(None, None, folder)


def test_unit_codes_are_read_case_insensitively_and_trimmed(plan):
    from kehoach.core.errors import PlanChoiceError

    assert plan.unit(" ktht ").code == "KTHT" and plan.unit("Qsca").code == "QSCA"
    with pytest.raises(PlanChoiceError) as err:
        plan.unit("KTX")
    assert "Không có đơn vị “KTX”" in str(err.value) and "KTHT, VHXH" in str(err.value)
    assert err.value._render_traceback_() == [f"Lỗi: {err.value}"]  # a notebook shows the message, not a traceback


def test_fields_are_optional_and_tasks_then_grouped_by_their_id(tmp_path):
    def drop_fields(raw):
        raw.pop("fields")
        for group in raw["groups"]:
            group.pop("field")
    plan = load_plan(_write(tmp_path, drop_fields))
    assert [(f.id, f.title) for f in plan.field_list] == [
        ("II.1", "Nhiệm vụ, giải pháp mục 1"), ("II.2", "Nhiệm vụ, giải pháp mục 2"),
        ("II.3", "Nhiệm vụ, giải pháp mục 3"), ("II.4", "Nhiệm vụ, giải pháp mục 4")]
    assert all(g.field is None for g in plan.groups)


def test_the_plan_list_reads_a_file_again_only_once_it_changed(tmp_path):
    from kehoach.core.files import atomic_write
    from kehoach.data import plan as plan_module

    source = PLAN_FILE
    folder = tmp_path / "plan"
    folder.mkdir()
    path = folder / "phan-dinh-phung-2026.yaml"
    path.write_bytes(source.read_bytes())
    first = list_plans(folder)
    misses = plan_module._entry.cache_info().misses
    assert list_plans(folder) == first and plan_module._entry.cache_info().misses == misses
    text = source.read_text(encoding="utf-8").replace("477/QĐ-UBND", "478/QĐ-UBND")
    atomic_write(path, text)
    assert [e.decision_number for e in list_plans(folder)] == ["478/QĐ-UBND"]
    assert plan_module._entry.cache_info().misses == misses + 1
