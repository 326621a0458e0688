"""The province roll-up arithmetic (kehoach.analysis.province), with exact expected values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kehoach.analysis import province


def _row(ward: str, code: str, value: float | None, target: float, unit: str = "%", status: str = "on_track",
         comparison: str = ">=", number: int = 1) -> dict:
    ach = 100 * value / target if value is not None and comparison != "<" else np.nan
    return {"ward": ward, "ward_name": f"Xã {ward.upper()}", "code": code, "indicator": number, "label": f"Chỉ tiêu {code}",
            "unit": unit, "comparison": comparison, "target": target, "value": np.nan if value is None else value,
            "achievement_pct": ach, "status": status}


COMMUNES = pd.DataFrame({"ward": ["a", "b", "c"], "ward_name": ["Xã A", "Xã B", "Xã C"],
                         "population": [10_000.0, 30_000.0, 60_000.0]})


def frame() -> pd.DataFrame:
    return pd.DataFrame([
        _row("a", "thu", 100.0, 200.0, "triệu đồng", number=1), _row("b", "thu", 250.0, 300.0, "triệu đồng", number=1),
        _row("c", "thu", None, 500.0, "triệu đồng", "no_data", number=2),
        _row("a", "bhyt", 90.0, 95.0, number=2), _row("b", "bhyt", 80.0, 95.0, status="behind", number=3),
        _row("c", "bhyt", 70.0, 95.0, status="at_risk", number=3),
        _row("a", "thu-nhap", 60.0, 80.0, "triệu đồng/người/năm", number=3),
        _row("b", "thu-nhap", 50.0, 80.0, "triệu đồng/người/năm", number=4),
        _row("c", "that-nghiep", 2.5, 3.0, comparison="<", number=4),
    ])


def test_method_by_unit():
    assert province.method_of("triệu đồng", True) == "sum"
    assert province.method_of("người", False) == "sum"
    assert province.method_of("%", True) == "weighted_mean"
    assert province.method_of("%", False) == "median"
    assert province.method_of("triệu đồng/người/năm", True) == "median"
    assert province.method_of("lần", True) == "median"


def test_shared_codes_need_two_communes_and_half_of_them():
    assert province.shared_codes(frame()) == ["thu", "bhyt", "thu-nhap"]  # most widely held first, then by number


def test_rollup_sums_amounts_and_weights_shares_by_population():
    table = province.rollup(frame(), COMMUNES).set_index("code")
    thu = table.loc["thu"]
    assert (thu["method"], thu["communes"], thu["reported"]) == ("sum", 3, 2)
    assert thu["total"] == 350.0 and thu["total_target"] == 500.0  # targets of the reporting communes only
    assert (thu["median"], thu["min"], thu["max"]) == (175.0, 100.0, 250.0)
    bhyt = table.loc["bhyt"]
    assert bhyt["method"] == "weighted_mean"
    assert bhyt["weighted_mean"] == pytest.approx((90 * 10_000 + 80 * 30_000 + 70 * 60_000) / 100_000)  # 75.0
    assert bhyt["weighted_mean"] == pytest.approx(75.0) and bhyt["median"] == 80.0 and math.isnan(bhyt["total"])
    income = table.loc["thu-nhap"]
    assert income["method"] == "median" and income["median"] == 55.0 and math.isnan(income["weighted_mean"])


def test_share_without_every_weight_falls_back_to_median_and_range():
    communes = COMMUNES.assign(population=[10_000.0, np.nan, 60_000.0])
    bhyt = province.rollup(frame(), communes).set_index("code").loc["bhyt"]
    assert bhyt["method"] == "median" and bhyt["method_label"] == "Trung vị và khoảng giá trị"
    assert (bhyt["median"], bhyt["min"], bhyt["max"]) == (80.0, 70.0, 90.0) and math.isnan(bhyt["weighted_mean"])


def test_ranking_by_own_target_and_missing_last():
    ranked = province.ranking(frame(), "thu")
    assert ranked["ward"].tolist() == ["b", "a", "c"]  # 83,3% then 50%; c has no value
    assert ranked["rank"].tolist()[:2] == [1, 2] and pd.isna(ranked["rank"].iloc[2])


def test_ranking_of_a_below_target_puts_the_lowest_first():
    rows = pd.DataFrame([_row("a", "tn", 2.9, 3.0, comparison="<"), _row("b", "tn", 1.5, 3.0, comparison="<")])
    assert province.ranking(rows, "tn")["ward"].tolist() == ["b", "a"]


def test_status_matrix_and_needing_direction():
    f = frame()
    matrix = province.status_matrix(f, ["thu", "bhyt"])
    assert len(matrix) == 6 and set(matrix["code"]) == {"thu", "bhyt"}
    completeness = pd.DataFrame([
        {"ward": "a", "unit_code": "U", "due": 2, "submitted": 2, "timeliness": "on_time"},
        {"ward": "b", "unit_code": "U", "due": 2, "submitted": 1, "timeliness": "late"},
        {"ward": "c", "unit_code": "U", "due": 2, "submitted": 0, "timeliness": "not_submitted"},
    ])
    table = province.commune_completeness(completeness, COMMUNES)
    assert table.set_index("ward")["share"].tolist() == [100.0, 50.0, 0.0]
    direction = province.needing_direction(f, completeness, COMMUNES, min_attention=2)
    assert direction["ward"].tolist() == ["c"]  # c: silent unit and 2 indicators needing attention; b has only 1
    assert direction.iloc[0]["attention"] == 2 and direction.iloc[0]["not_submitted"] == 1
