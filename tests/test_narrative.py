"""Exact Vietnamese sentences for fixed inputs."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from kehoach.analysis import narrative
from kehoach.analysis.evaluation import evaluate, required_pace
from tests.helpers import indicator, values


def sentence(ind: dict, rows: list[tuple], period: str = "2026-Q3") -> str:
    return narrative.indicator_sentence(evaluate(pd.DataFrame([ind]), values(rows), period).iloc[0].to_dict())


BUDGET = dict(indicator(1, "cumulative", 869532, unit="triệu đồng"), label="Thu ngân sách nhà nước trên địa bàn",
              target_noun="dự toán", target_text="869.532 triệu đồng")


def test_cumulative_estimate_on_track():
    rows = [(1, "2026-Q3", 652149, True), (1, "2025-Q3", 596400), (1, "2025-Q4", 812650)]
    assert sentence(BUDGET, rows) == (
        "Thu ngân sách nhà nước trên địa bàn 9 tháng năm 2026 ước đạt 652.149 triệu đồng, bằng 75,0% dự toán năm, "
        "tăng 9,3% so với cùng kỳ; dự báo cả năm đạt khoảng 889.000 triệu đồng, có khả năng hoàn thành chỉ tiêu.")


def test_cumulative_actual_behind_and_decrease():
    rows = [(1, "2026-Q2", 300000), (1, "2025-Q2", 320000)]
    assert sentence(BUDGET, rows, "2026-Q2") == (
        "Thu ngân sách nhà nước trên địa bàn 6 tháng đầu năm 2026 đạt 300.000 triệu đồng, bằng 34,5% dự toán năm, "
        "giảm 6,3% so với cùng kỳ; dự báo cả năm đạt khoảng 600.000 triệu đồng, có nguy cơ không hoàn thành chỉ tiêu.")


RATE = dict(indicator(15, "level", 96), label="Tỷ lệ tham gia bảo hiểm y tế", target_text="96%")


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([(15, "2026-Q3", 94.6), (15, "2025-Q4", 95.2), (15, "2025-Q3", 95.0)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 94,6%, kế hoạch năm 96%, giảm 0,4 điểm phần trăm so với cùng kỳ; "
         "dự báo cả năm đạt khoảng 94,4%, giảm so với đầu năm, cần có giải pháp khắc phục."),
        ([(15, "2026-Q3", 95.7), (15, "2025-Q4", 95.2)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 95,7%, kế hoạch năm 96%; "
         "dự báo cả năm đạt khoảng 95,9%, cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu."),
        ([(15, "2026-Q3", 96.5), (15, "2025-Q3", 96.5)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 96,5%, kế hoạch năm 96%, bằng cùng kỳ; đã hoàn thành chỉ tiêu kế hoạch năm."),
        ([(15, "2026-Q3", 95.95), (15, "2025-Q4", 95.6)],
         "Tỷ lệ tham gia bảo hiểm y tế 9 tháng năm 2026 đạt 95,95%, kế hoạch năm 96%; "
         "dự báo cả năm đạt khoảng 96,1%, có khả năng hoàn thành chỉ tiêu."),
        ([(15, "2025-Q4", 95.2)],
         "Tỷ lệ tham gia bảo hiểm y tế: Đơn vị U1 chưa gửi số liệu 9 tháng năm 2026."),
    ],
    ids=["regressing", "behind", "achieved", "on_track", "no_data"],
)
def test_level_statuses(rows, expected):
    assert sentence(RATE, rows) == expected


def test_missed_at_q4():
    rows = [(15, "2026-Q4", 95.5), (15, "2025-Q4", 95.2)]
    assert sentence(RATE, rows, "2026-Q4") == (
        "Tỷ lệ tham gia bảo hiểm y tế năm 2026 đạt 95,5%, kế hoạch năm 96%, tăng 0,3 điểm phần trăm so với cùng kỳ; "
        "không hoàn thành chỉ tiêu kế hoạch năm.")


def test_at_risk_count_indicator():
    ind = dict(indicator(18, "cumulative", 4330, unit="người"), label="Số người mới sử dụng biện pháp tránh thai hiện đại")
    assert sentence(ind, [(18, "2026-Q1", 500)], "2026-Q1") == (
        "Số người mới sử dụng biện pháp tránh thai hiện đại quý I năm 2026 đạt 500 người, bằng 11,5% kế hoạch năm; "
        "dự báo cả năm đạt khoảng 2.000 người, có nguy cơ không hoàn thành chỉ tiêu.")


def test_annual_estimate_has_no_separate_projection():
    ind = dict(indicator(4, "annual_estimate", 11), label="Tốc độ tăng tổng giá trị sản phẩm", target_text="11%")
    rows = [(4, "2026-Q3", 10.95, True), (4, "2025-Q4", 10.6), (4, "2025-Q3", 10.5, True)]
    assert sentence(ind, rows) == (
        "Tốc độ tăng tổng giá trị sản phẩm 9 tháng năm 2026 ước đạt 10,95%, kế hoạch năm 11%, "
        "tăng 0,45 điểm phần trăm so với cùng kỳ; cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu.")


def test_less_than_gives_the_gap():
    ind = dict(indicator(7, "level", 3, comparison="<", frequency="semi_annual"),
               label="Tỷ lệ thất nghiệp ở khu vực thành thị", target_text="dưới 3%")
    assert sentence(ind, [(7, "2026-Q2", 2.7), (7, "2025-Q4", 2.8), (7, "2025-Q2", 2.9)], "2026-Q2") == (
        "Tỷ lệ thất nghiệp ở khu vực thành thị 6 tháng đầu năm 2026 đạt 2,7%, thấp hơn ngưỡng mục tiêu 3% là "
        "0,3 điểm phần trăm, giảm 0,2 điểm phần trăm so với cùng kỳ; đã hoàn thành chỉ tiêu kế hoạch năm.")
    assert sentence(ind, [(7, "2026-Q2", 3.2), (7, "2025-Q4", 3.4)], "2026-Q2") == (
        "Tỷ lệ thất nghiệp ở khu vực thành thị 6 tháng đầu năm 2026 đạt 3,2%, cao hơn ngưỡng mục tiêu 3% là "
        "0,2 điểm phần trăm; dự báo cả năm đạt khoảng 3%, cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu.")


def test_reduction():
    ind = dict(indicator(6, "reduction", 0.02, frequency="annual"),
               label="Mức giảm tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều", target_text="0,02%")
    assert sentence(ind, [(6, "2026-Q4", 0.28), (6, "2025-Q4", 0.31)], "2026-Q4") == (
        "Mức giảm tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều năm 2026 đạt 0,03 điểm phần trăm "
        "(từ 0,31% cuối năm 2025 còn 0,28%), bằng 150,0% kế hoạch năm; đã hoàn thành chỉ tiêu kế hoạch năm.")
    assert sentence(ind, [(6, "2026-Q4", 0.33), (6, "2025-Q4", 0.31)], "2026-Q4") == (
        "Mức giảm tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều năm 2026: tỷ lệ tăng 0,02 điểm phần trăm "
        "(từ 0,31% cuối năm 2025 lên 0,33%), bằng -100,0% kế hoạch năm; không hoàn thành chỉ tiêu kế hoạch năm.")
    assert sentence(ind, [(6, "2025-Q4", 0.31)], "2026-Q3") == (
        "Mức giảm tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều: chưa đến kỳ đánh giá (chỉ tiêu đánh giá hằng năm vào quý IV); "
        "kế hoạch năm 0,02%, số cuối năm 2025 là 0,31%.")


def _sample(plan):
    from kehoach.data.store import load_progress
    from tests.conftest import PROJECT

    return evaluate(plan, load_progress(root=PROJECT / "data" / "progress"), "2026-Q3")


def test_summary_leaves_out_zero_categories_and_names_units(plan):
    text = narrative.summary(_sample(plan))
    assert text.startswith(
        "Trong 36 chỉ tiêu, có 5 chỉ tiêu đã đạt, 8 chỉ tiêu đúng tiến độ, 3 chỉ tiêu cần đẩy nhanh, "
        "2 chỉ tiêu có nguy cơ không đạt, 1 chỉ tiêu giảm so với đầu năm, 1 chỉ tiêu chưa có số liệu và "
        "16 chỉ tiêu chưa đến kỳ đánh giá. Các chỉ tiêu cần tập trung chỉ đạo: "
        "(15) Tỷ lệ tham gia bảo hiểm y tế – giảm so với đầu năm (Phòng Văn hóa - Xã hội phường); "
        "(3) Giải ngân vốn đầu tư công – có nguy cơ không đạt (Ban Quản lý dự án phường);")
    assert "không đạt" not in text.replace("có nguy cơ không đạt", "")


def test_group_paragraph(plan):
    assert narrative.group_paragraphs(_sample(plan))["KT"] == (
        "Nhóm chỉ tiêu về Kinh tế: trong 5 chỉ tiêu, có 2 chỉ tiêu đúng tiến độ, 1 chỉ tiêu cần đẩy nhanh, "
        "1 chỉ tiêu có nguy cơ không đạt và 1 chỉ tiêu chưa đến kỳ đánh giá. Cần quan tâm: "
        "(3) Giải ngân vốn đầu tư công (có nguy cơ không đạt); (4) Tốc độ tăng tổng giá trị sản phẩm (cần đẩy nhanh).")


def test_completeness_text(plan):
    from kehoach.analysis.completeness import completeness
    from kehoach.data.store import ProgressStore
    from tests.conftest import PROJECT

    records = ProgressStore(PROJECT / "data" / "progress").read()
    assert narrative.completeness_text(completeness(plan, records, "2026-Q3", dt.date(2026, 10, 5))) == (
        "Có 5/6 đơn vị gửi báo cáo 9 tháng năm 2026 đúng hạn (hạn 05/10/2026). "
        "Phòng Văn hóa - Xã hội phường chưa báo cáo chỉ tiêu (19). "
        "Ban Quản lý dự án phường gửi báo cáo 9 tháng năm 2026 ngày 14/10/2026, chậm 9 ngày so với hạn 05/10/2026.")
    empty = records[records["period"] != "2026-Q3"]
    text = narrative.completeness_text(completeness(plan, empty, "2026-Q3", dt.date(2026, 10, 5)))
    assert "Ban Quản lý dự án phường chưa gửi báo cáo 9 tháng năm 2026." in text
    assert text.startswith("Có 0/6 đơn vị")
    q1 = completeness(plan, records, "2026-Q1", dt.date(2026, 4, 5))
    assert narrative.completeness_text(q1) == "Tất cả 6 đơn vị đã gửi báo cáo quý I năm 2026 đúng hạn và đầy đủ."


def test_tasks_text(plan):
    from kehoach.analysis.evaluation import task_status

    tasks = plan.task_frame.head(3).assign(status=["done", "not_started", "not_reported"])
    assert narrative.tasks_text(tasks) == (
        "Về nhiệm vụ, giải pháp chủ yếu (phần II), trong 3 nhiệm vụ: 1 nhiệm vụ đã hoàn thành (II.1.1 Thương mại - Dịch vụ); "
        "1 nhiệm vụ chưa triển khai (II.1.2 Công nghiệp - Xây dựng); 1 nhiệm vụ chưa có báo cáo (II.1.3 Phát triển Nông nghiệp).")
    assert task_status(plan.task_frame, pd.DataFrame(columns=["ward", "task", "period", "status", "status_label", "note",
                                                                "submitted_at"]), "2026-Q3")["status"].eq("not_reported").all()


def test_unit_actions(plan):
    paced = required_pace(_sample(plan))
    actions = narrative.unit_actions(paced[paced["unit_code"] == "BQLDA"])
    assert actions == ["(3) Giải ngân vốn đầu tư công: đến hết quý IV/2026 cần đạt 100% (hiện 38,2%)."]
    assert narrative.unit_actions(paced[paced["unit_code"] == "QSCA"]) == ["Không có chỉ tiêu nào cần đẩy nhanh trong kỳ tới."]


def test_no_english_number_in_any_text(plan):
    evaluated = _sample(plan)
    texts = list(narrative.indicator_sentences(evaluated)) + [narrative.summary(evaluated)]
    texts += list(narrative.group_paragraphs(evaluated).values())
    for text in texts:
        assert not re.search(r"\d\.\d{1,2}(?!\d)", text), text  # 0.02, 75.1 would be English decimals
        assert not re.search(r"\d,\d{3}(?!\d)", text), text     # 869,532 would be English grouping
        assert "nan" not in text.lower().split()
