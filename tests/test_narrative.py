"""Exact Vietnamese sentences for fixed inputs."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from kehoach.analysis import narrative
from kehoach.analysis.evaluation import evaluate, required_pace
from kehoach.core.period import Period
from tests.helpers import indicator, values


def sentence(ind: dict, rows: list[tuple], period: str = "2026-Q3") -> str:
    return narrative.indicator_sentence(evaluate(pd.DataFrame([ind]), values(rows), period).iloc[0].to_dict())


BUDGET = dict(indicator(1, "cumulative", 869532, unit="triệu đồng"), label="Thu ngân sách nhà nước trên địa bàn",
              target_noun="dự toán", target_text="869.532 triệu đồng")


def test_cumulative_estimate_on_track():
    rows = [(1, "2026-Q3", 652149, True), (1, "2025-Q3", 596400), (1, "2025-Q4", 812650)]
    assert sentence(BUDGET, rows) == (
        "Thu ngân sách nhà nước trên địa bàn 9 tháng năm 2026 ước đạt 652.149 triệu đồng, bằng 75,0% dự toán năm, "
        "tăng 9,3% so với cùng kỳ; ước cả năm đạt khoảng 888.613 triệu đồng, có khả năng hoàn thành chỉ tiêu.")


def test_cumulative_actual_behind_and_decrease():
    rows = [(1, "2026-Q2", 300000), (1, "2025-Q2", 320000)]
    assert sentence(BUDGET, rows, "2026-Q2") == (
        "Thu ngân sách nhà nước trên địa bàn 6 tháng đầu năm 2026 đạt 300.000 triệu đồng, bằng 34,5% dự toán năm, "
        "giảm 6,3% so với cùng kỳ; ước cả năm đạt khoảng 600.000 triệu đồng, có nguy cơ không hoàn thành chỉ tiêu.")


RATE = dict(indicator(15, "level", 96), label="Tỷ lệ tham gia bảo hiểm y tế", target_text="96%")


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([(15, "2026-Q3", 94.6), (15, "2025-Q4", 95.2), (15, "2025-Q3", 95.0)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 94,6% (kế hoạch năm 96%), giảm 0,4 điểm phần trăm so với cùng kỳ; "
         "ước cả năm đạt khoảng 94,4%, giảm so với đầu năm, cần có giải pháp khắc phục."),
        ([(15, "2026-Q3", 95.7), (15, "2025-Q4", 95.2)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 95,7% (kế hoạch năm 96%); "
         "ước cả năm đạt khoảng 95,9%, cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu."),
        ([(15, "2026-Q3", 96.5), (15, "2025-Q3", 96.5)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 96,5% (kế hoạch năm 96%), bằng cùng kỳ; "
         "đạt mức kế hoạch tại thời điểm báo cáo, cần duy trì đến cuối năm."),
        ([(15, "2026-Q3", 95.95), (15, "2025-Q4", 95.6)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 95,95% (kế hoạch năm 96%); "
         "ước cả năm đạt khoảng 96,07%, có khả năng hoàn thành chỉ tiêu."),
        ([(15, "2025-Q4", 95.2)],
         "Tỷ lệ tham gia bảo hiểm y tế: Đơn vị U1 chưa gửi số liệu 9 tháng năm 2026."),
    ],
    ids=["regressing", "behind", "achieved-before-year-end", "on_track", "no_data"],
)
def test_level_statuses(rows, expected):
    assert sentence(RATE, rows) == expected


def test_missed_at_q4():
    rows = [(15, "2026-Q4", 95.5), (15, "2025-Q4", 95.2)]
    assert sentence(RATE, rows, "2026-Q4") == (
        "Tỷ lệ tham gia bảo hiểm y tế năm 2026 đạt 95,5% (kế hoạch năm 96%), tăng 0,3 điểm phần trăm so với cùng kỳ; "
        "không hoàn thành chỉ tiêu kế hoạch năm.")


def test_level_reached_at_year_end_is_completed():
    rows = [(15, "2026-Q4", 96.5), (15, "2025-Q4", 95.2)]
    assert sentence(RATE, rows, "2026-Q4").endswith("; đã hoàn thành chỉ tiêu kế hoạch năm.")


def test_at_risk_count_indicator():
    ind = dict(indicator(18, "cumulative", 4330, unit="người"), label="Số người mới sử dụng biện pháp tránh thai hiện đại")
    assert sentence(ind, [(18, "2026-Q1", 500)], "2026-Q1") == (
        "Số người mới sử dụng biện pháp tránh thai hiện đại quý I năm 2026 đạt 500 người, bằng 11,5% kế hoạch năm; "
        "ước cả năm đạt khoảng 2.000 người, có nguy cơ không hoàn thành chỉ tiêu.")


def test_annual_estimate_is_a_full_year_figure():
    ind = dict(indicator(4, "annual_estimate", 11), label="Tốc độ tăng tổng giá trị sản phẩm", target_text="11%")
    rows = [(4, "2026-Q3", 10.95, True), (4, "2025-Q4", 10.6), (4, "2025-Q3", 10.5, True)]
    assert sentence(ind, rows) == (
        "Ước tốc độ tăng tổng giá trị sản phẩm cả năm 2026 đạt 10,95% (kế hoạch 11%); "
        "cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu.")


def test_ceiling_reads_as_a_level_within_the_target():
    ind = dict(indicator(7, "level", 3, comparison="<", frequency="semi_annual"),
               label="Tỷ lệ thất nghiệp ở khu vực thành thị", target_text="dưới 3%")
    assert sentence(ind, [(7, "2026-Q2", 2.7), (7, "2025-Q4", 2.8), (7, "2025-Q2", 2.9)], "2026-Q2") == (
        "Tỷ lệ thất nghiệp ở khu vực thành thị 6 tháng đầu năm 2026 ở mức 2,7%, đạt chỉ tiêu (dưới 3%), "
        "giảm 0,2 điểm phần trăm so với cùng kỳ; đạt mức kế hoạch tại thời điểm báo cáo, cần duy trì đến cuối năm.")
    assert sentence(ind, [(7, "2026-Q2", 3.2), (7, "2025-Q4", 3.4)], "2026-Q2") == (
        "Tỷ lệ thất nghiệp ở khu vực thành thị 6 tháng đầu năm 2026 ở mức 3,2%, cao hơn mức chỉ tiêu (dưới 3%) "
        "0,2 điểm phần trăm; cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu.")


def test_reduction_is_phrased_against_last_years_rate():
    ind = dict(indicator(6, "reduction", 0.02, frequency="annual"),
               label="Mức giảm tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều", target_text="0,02%")
    assert sentence(ind, [(6, "2026-Q4", 0.28), (6, "2025-Q4", 0.31)], "2026-Q4") == (
        "Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều cuối năm 2026 còn 0,28%, giảm 0,03 điểm phần trăm so với cuối năm 2025 "
        "(kế hoạch giảm 0,02 điểm phần trăm); đã hoàn thành chỉ tiêu kế hoạch năm.")
    assert sentence(ind, [(6, "2026-Q4", 0.33), (6, "2025-Q4", 0.31)], "2026-Q4") == (
        "Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều cuối năm 2026 là 0,33%, tăng 0,02 điểm phần trăm so với cuối năm 2025 "
        "(kế hoạch giảm 0,02 điểm phần trăm); không hoàn thành chỉ tiêu kế hoạch năm.")
    assert sentence(ind, [(6, "2025-Q4", 0.31)], "2026-Q3") == (
        "Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều cuối năm 2025 là 0,31%; kế hoạch năm 2026 giảm 0,02 điểm phần trăm "
        "(còn 0,29%).")


def test_share_projection_is_capped_at_100():
    ind = dict(indicator(10, "level", 100), label="Tỷ lệ hồ sơ giải quyết đúng hạn", target_text="100%")
    text = sentence(ind, [(10, "2026-Q3", 99.9), (10, "2025-Q4", 99.0)])
    assert "ước cả năm đạt 100%" in text and "100,3" not in text


def _sample(plan):
    from kehoach.data.store import load_progress
    from tests.conftest import PROJECT

    return evaluate(plan, load_progress(root=PROJECT / "data" / "progress"), "2026-Q3")


def test_summary_counts_only_due_indicators(plan):
    text = narrative.summary(_sample(plan))
    assert text == (
        "Trong 20 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026: 5 chỉ tiêu đã đạt, 6 chỉ tiêu đúng tiến độ, "
        "3 chỉ tiêu cần đẩy nhanh tiến độ, 2 chỉ tiêu có nguy cơ không đạt, 1 chỉ tiêu giảm so với đầu năm và "
        "3 chỉ tiêu chưa có số liệu. 16 chỉ tiêu còn lại chưa đến kỳ đánh giá (7 chỉ tiêu đánh giá cả năm, vào quý IV; "
        "9 chỉ tiêu đánh giá 6 tháng một lần, vào quý II và quý IV).")


def test_group_paragraph(plan):
    assert narrative.group_paragraph(_sample(plan), "KT") == (
        "Nhóm chỉ tiêu về Kinh tế có 5 chỉ tiêu; 2 chỉ tiêu đúng tiến độ, 1 chỉ tiêu cần đẩy nhanh tiến độ, "
        "1 chỉ tiêu có nguy cơ không đạt và 1 chỉ tiêu chưa đến kỳ đánh giá.")


def test_completeness_text_names_each_unit(plan):
    from kehoach.analysis.completeness import completeness
    from kehoach.data.store import ProgressStore
    from tests.conftest import PROJECT

    records = ProgressStore(PROJECT / "data" / "progress").read()
    text = narrative.completeness_text(completeness(plan, records, "2026-Q3", dt.date(2026, 10, 5)))
    assert text == (
        "Phòng Kinh tế, Hạ tầng và Đô thị phường đã gửi báo cáo ngày 2/10/2026, đúng hạn, đủ 6/6 chỉ tiêu. "
        "Phòng Văn hóa - Xã hội phường đã gửi báo cáo ngày 2/10/2026, đúng hạn, còn thiếu chỉ tiêu (19). "
        "Trung tâm Phục vụ hành chính công phường đã gửi báo cáo ngày 2/10/2026, đúng hạn, đủ 3/3 chỉ tiêu. "
        "Ban Quản lý dự án phường gửi báo cáo chậm 9 ngày (ngày 14/10/2026). "
        "Ban Chỉ huy quân sự phường, Công an phường chưa gửi báo cáo 9 tháng năm 2026 (hạn 5/10/2026). "
        "Văn phòng HĐND và UBND phường đã gửi báo cáo ngày 2/10/2026, đúng hạn.")
    empty = records[records["period"] != "2026-Q3"]
    text = narrative.completeness_text(completeness(plan, empty, "2026-Q3", dt.date(2026, 10, 5)))
    assert "Ban Quản lý dự án phường chưa gửi báo cáo 9 tháng năm 2026 (hạn 5/10/2026)." in text


def test_task_status_without_reports(plan):
    from kehoach.analysis.evaluation import task_status

    assert task_status(plan.task_frame, pd.DataFrame(columns=["ward", "task", "period", "status", "status_label", "note",
                                                                "submitted_at"]), "2026-Q3")["status"].eq("not_reported").all()


def test_unit_actions(plan):
    paced = required_pace(_sample(plan))
    assert narrative.unit_actions(paced[paced["unit_code"] == "BQLDA"]) == [
        "(3) Giải ngân vốn đầu tư công: quý IV cần tăng thêm 61,8 điểm phần trăm để cả năm đạt 100%."]
    assert narrative.unit_actions(paced[paced["unit_code"] == "QSCA"]) == [  # QSCA sent nothing for 2026-Q3
        "(35) Giáo dục, bồi dưỡng kiến thức quốc phòng, an ninh: gửi ngay số liệu 9 tháng năm 2026 còn thiếu.",
        "(36) Tỷ lệ giao quân, huấn luyện lực lượng dân quân, dự bị động viên: gửi ngay số liệu 9 tháng năm 2026 còn thiếu."]
    assert narrative.unit_actions(paced[(paced["unit_code"] == "PVHCC") & (paced["indicator"] == 10)]) == [
        "Không có chỉ tiêu nào cần đẩy nhanh trong kỳ tới."]


def test_no_english_number_in_any_text(plan):
    evaluated = _sample(plan)
    texts = list(narrative.indicator_sentences(evaluated)) + [narrative.summary(evaluated)]
    texts += [narrative.group_paragraph(evaluated, g) for g in evaluated["group"].unique()]
    for text in texts:
        assert not re.search(r"\d\.\d{1,2}(?!\d)", text), text  # 0.02, 75.1 would be English decimals
        assert not re.search(r"\d,\d{3}(?!\d)", text), text     # 869,532 would be English grouping
        assert "nan" not in text.lower().split()


def test_decimals_follow_the_reported_figures():
    assert narrative.decimals_of(652149.0, 869532.0) == 0
    assert narrative.decimals_of(10.95, 11.0) == 2
    assert narrative.decimals_of(38.2, 100.0) == 1
    assert narrative.approx(888613.15, "triệu đồng", 0) == "888.613 triệu đồng"
    assert narrative.approx(4383.75, "người", 0) == "4.384 người"
    assert narrative.approx(100.0, "%", 1) == "100%"


def test_action_without_last_years_figure_says_so():
    """A new ward's reduction indicator has no end-of-last-year figure: no mức cần đạt is invented (nor a crash)."""
    row = {"period": "2026-Q3", "indicator": 5, "label": "Tỷ lệ hộ nghèo", "unit_name": "Phòng Văn hóa - Xã hội xã",
           "status": "behind", "kind": "reduction", "frequency": "quarterly", "unit": "%", "value": 0.9, "target": 1.2,
           "target_text": "1,2%", "comparison": ">=", "required_next": float("nan"), "needed_end": float("nan"),
           "baseline": float("nan"), "same_period_last_year": float("nan"), "last_year_next_value": float("nan")}
    assert narrative.action(row) == ("(5) Tỷ lệ hộ nghèo: chưa tính được mức cần đạt vì chưa có số liệu cuối năm 2025; "
                                     "cần bổ sung số liệu đó.")


@pytest.mark.parametrize("kind, comparison, value, needed, words", [
    ("reduction", ">=", 4.1, 3.7, "quý IV cần giảm từ 4,1% xuống 3,7% để đạt kế hoạch năm (quý IV/2025: 5,2%)."),
    ("level", "<", 3.4, 3.0, "quý IV cần giảm từ 3,4% xuống 3% để đạt kế hoạch năm (quý IV/2025: 5,2%)."),
    ("level", ">=", 93.2, 95.5, "quý IV cần nâng từ 93,2% lên 95,5% để đạt kế hoạch năm (quý IV/2025: 5,2%)."),
])
def test_action_for_the_last_quarter_says_which_way(kind, comparison, value, needed, words):
    """A poverty rate that must fall is "giảm từ … xuống …", not "nâng từ 4,1 lên 3,7"."""
    row = {"period": "2026-Q3", "indicator": 5, "label": "Tỷ lệ hộ nghèo", "status": "behind", "kind": kind,
           "frequency": "quarterly", "unit": "%", "value": value, "target": 1.5, "target_text": "1,5%", "comparison": comparison,
           "required_next": needed, "needed_end": needed, "last_year_next_value": 5.2}
    assert narrative.action(row) == f"(5) Tỷ lệ hộ nghèo: {words}"


def test_reduction_without_last_years_figure_is_not_a_blank_change():
    row = {"label": "Tỷ lệ hộ nghèo", "kind": "reduction", "unit": "%", "value": 0.9, "current": float("nan"), "target": 1.2,
           "baseline": float("nan"), "same_period_last_year": float("nan"), "comparison": ">=", "status": "behind"}
    assert narrative._head(row, Period.parse("2026-Q3")) == (
        "Tỷ lệ hộ nghèo 9 tháng năm 2026 là 0,9%; chưa có số liệu cuối năm 2025 để tính mức giảm (kế hoạch giảm 1,2 điểm phần trăm)")


def test_organisation_names_the_place_of_the_plan():
    assert narrative.organisation([], "quý IV năm 2026", "xã Tân Cương", "Văn phòng HĐND và UBND xã").endswith(
        "định kỳ báo cáo kết quả về Ủy ban nhân dân xã Tân Cương (qua Văn phòng HĐND và UBND xã).")
    assert narrative.organisation(["Phòng Kinh tế xã"], "quý IV năm 2026", "xã Tân Cương", None).endswith(
        "về Ủy ban nhân dân xã Tân Cương.")


@pytest.mark.parametrize("period, value, sentence", [
    ("2026-Q3", 12, "Số vụ tai nạn giao thông 9 tháng năm 2026 là 12 vụ (chỉ tiêu cả năm dưới 18 vụ); "
                    "có khả năng hoàn thành chỉ tiêu."),
    ("2026-Q3", 18, "Số vụ tai nạn giao thông 9 tháng năm 2026 ở mức 18 vụ, bằng mức chỉ tiêu (dưới 18 vụ); "
                    "không hoàn thành chỉ tiêu kế hoạch năm."),
    ("2026-Q4", 19, "Số vụ tai nạn giao thông năm 2026 ở mức 19 vụ, cao hơn mức chỉ tiêu (dưới 18 vụ) 1 vụ; "
                    "không hoàn thành chỉ tiêu kế hoạch năm."),
])
def test_a_cap_on_a_running_total_is_not_called_met_before_the_year_is_over(period, value, sentence):
    ind = indicator(13, "cumulative", 18, comparison="<", unit="vụ") | {
        "name": "Số vụ tai nạn giao thông", "label": "Số vụ tai nạn giao thông", "target_text": "dưới 18 vụ"}
    row = evaluate(pd.DataFrame([ind]), values([(13, period, value)]), period).iloc[0]
    assert narrative.indicator_sentence(row) == sentence
