"""The new year: a renumbered 2027 plan compares with 2026 through the indicators' codes."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kehoach.analysis import narrative
from kehoach.analysis.evaluation import evaluate
from kehoach.data.forms import read_form, write_template
from kehoach.data.plan import find_plan, list_plans
from kehoach.data.plandiff import diff_plans
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file
from kehoach.data.years import indicators_across_years, previous_plan, progress_across_years

from tests.conftest import PROJECT

PLAN_2027 = Path(__file__).parent / "fixtures" / "plans" / "phan-dinh-phung-2027.yaml"
WARD = "phan-dinh-phung"
# 2026-Q4 figures by the 2026 numbers: (1) thu-ngan-sach, (6) giam-ho-ngheo, (10) ho-so-dung-han, (15) bao-hiem-y-te.
Q4_2026 = [("KTHT", 1, 880000), ("KTHT", 6, 0.27), ("PVHCC", 10, 100), ("VHXH", 15, 95.1)]
# 2027-Q1 figures by the 2027 numbers: (1) thu-ngan-sach, (6) hoa-don-dien-tu (new), (11) ho-so-dung-han,
# (16) ho-so-suc-khoe-dien-tu (new), (17) bao-hiem-y-te.
Q1_2027 = [("KTHT", 1, 215000), ("KTHT", 6, 60), ("PVHCC", 11, 99.8), ("VHXH", 16, 70), ("VHXH", 17, 95.6)]


def _csv(path: Path, year: int, rows: list[tuple], period: str, sent: str) -> Path:
    lines = ["ward,year,unit_code,indicator,period,value,is_estimate,note,submitted_at"]
    lines += [f"{WARD},{year},{unit},{n},{period},{v},false,,{sent}" for unit, n, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("years")
    shutil.copytree(PROJECT / "data", root / "data")
    shutil.copy(PLAN_2027, root / "data" / "plan" / PLAN_2027.name)
    plans = root / "data" / "plan"
    store = ProgressStore(root / "data" / "progress")
    p2026, p2027 = find_plan(WARD, 2026, plans), find_plan(WARD, 2027, plans)
    import_file(_csv(root / "q4.csv", 2026, Q4_2026, "2026-Q4", "2027-01-05T08:00:00+07:00"), p2026, store,
                today=dt.date(2027, 1, 6))
    before = store.records_path(WARD, 2026).read_bytes()
    import_file(_csv(root / "q1.csv", 2027, Q1_2027, "2027-Q1", "2027-04-03T08:00:00+07:00"), p2027, store,
                today=dt.date(2027, 4, 5))
    return root, plans, store, p2026, p2027, before


def test_workspace_lists_both_years(workspace):
    _, plans, *_ = workspace
    assert [(e.ward, e.year, e.indicators) for e in list_plans(plans)] == [(WARD, 2026, 36), (WARD, 2027, 37)]


def test_previous_plan_and_new_indicators(workspace):
    _, plans, _, p2026, p2027, _ = workspace
    assert previous_plan(p2027, plans).year == 2026 and previous_plan(p2026, plans) is None
    frame = indicators_across_years(p2027, p2026).set_index("number")
    assert frame.loc[frame["is_new"]].index.tolist() == [6, 16]
    assert frame.loc[[1, 7, 11, 17], "previous_number"].tolist() == [1, 6, 10, 15]


@pytest.fixture(scope="module")
def evaluated(workspace):
    _, plans, store, p2026, p2027, _ = workspace
    progress = progress_across_years(p2027, store, plans)
    out = evaluate(indicators_across_years(p2027, p2026), progress, "2027-Q1")
    return out.set_index("indicator")


def test_same_period_and_baseline_come_from_2026_by_code(evaluated):
    r = evaluated
    # thu-ngan-sach: same number both years; cumulative, season share from 2026.
    assert r.loc[1, "same_period_last_year"] == 201500.0 and r.loc[1, "last_year_total"] == 880000.0
    assert r.loc[1, "season_share"] == pytest.approx(201500 / 880000)
    assert r.loc[1, "yoy_pct"] == pytest.approx(100 * (215000 / 201500 - 1))
    # ho-so-dung-han: (10) in 2026, (11) in 2027.
    assert r.loc[11, "same_period_last_year"] == 99.4 and r.loc[11, "baseline"] == 100.0
    assert r.loc[11, "yoy_pp"] == pytest.approx(0.4)
    # bao-hiem-y-te: (15) in 2026, (17) in 2027; 2026-Q1 was 94.9.
    assert r.loc[17, "same_period_last_year"] == 94.9 and r.loc[17, "baseline"] == 95.1
    assert r.loc[17, "yoy_pp"] == pytest.approx(0.7)
    # giam-ho-ngheo: (6) in 2026, (7) in 2027; the reduction is measured from the end of 2026.
    assert r.loc[7, "baseline"] == 0.27


def test_new_indicators_never_join_on_the_old_number(evaluated):
    r = evaluated
    # 2027 (6) is new; 2026 (6) (giam-ho-ngheo) had figures: none may leak in.
    assert bool(r.loc[6, "is_new"]) and pd.isna(r.loc[6, "same_period_last_year"]) and pd.isna(r.loc[6, "baseline"])
    # 2027 (16) is new; 2026 (16) (tram-y-te, dropped) had a 2025-Q4 figure.
    assert bool(r.loc[16, "is_new"]) and pd.isna(r.loc[16, "same_period_last_year"])
    assert not bool(r.loc[17, "is_new"])


def test_new_indicator_sentence(evaluated):
    row = evaluated.reset_index().set_index("indicator").loc[6].to_dict() | {"indicator": 6}
    sentence = narrative.indicator_sentence(row)
    assert sentence.startswith("Tỷ lệ hộ kinh doanh sử dụng hóa đơn điện tử (chỉ tiêu mới năm 2027) quý I năm 2027 đạt 60%")
    carried = evaluated.reset_index().set_index("indicator").loc[17].to_dict() | {"indicator": 17}
    assert "chỉ tiêu mới" not in narrative.indicator_sentence(carried)
    assert "tăng 0,7 điểm phần trăm so với cùng kỳ" in narrative.indicator_sentence(carried)


def test_nothing_stored_for_2026_is_rewritten(workspace):
    root, _, store, *_, before = workspace
    assert store.records_path(WARD, 2026).read_bytes() == before
    assert hashlib.sha256(before).hexdigest() == hashlib.sha256(store.records_path(WARD, 2026).read_bytes()).hexdigest()
    assert (store.folder(WARD, 2027) / "records.sqlite").exists()


def test_2027_form_shows_2026_figures_by_code(workspace, tmp_path):
    _, plans, store, _, p2027, _ = workspace
    path = write_template(p2027, "VHXH", "2027-Q1", tmp_path / "f.xlsx", progress=progress_across_years(p2027, store, plans))
    from openpyxl import load_workbook

    ws = load_workbook(path)["Chỉ tiêu"]
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in (2, 5, 6, 7)] for r in range(9, ws.max_row + 1)}
    assert rows[17] == ["Tỷ lệ tham gia bảo hiểm y tế", 95.6, "Q1/2027", 94.9]
    assert rows[16][3] is None  # new: no figure last year
    assert read_form(path).meta["year"] == "2027"


def test_diff_of_the_two_years(workspace):
    *_, p2026, p2027, _ = workspace
    d = diff_plans(p2026, p2027)
    assert [i.code for i in d.added] == ["hoa-don-dien-tu", "ho-so-suc-khoe-dien-tu"]
    assert [i.code for i in d.dropped] == ["tram-y-te-chuan-quoc-gia"]
    assert [(c.code, c.old, c.new) for c in d.of("name")] == [
        ("ho-so-dung-han", "Tỷ lệ hồ sơ giải quyết đúng hạn", "Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn")]
    assert [(c.code, c.old, c.new) for c in d.of("target")] == [
        ("thu-ngan-sach", "869.532 triệu đồng", "912.000 triệu đồng"), ("that-nghiep-thanh-thi", "dưới 3%", "dưới 2,8%"),
        ("bao-hiem-y-te", "96%", "97%")]
    assert len(d.of("number")) == 30 and d.carried == 35


def test_a_figure_belongs_to_its_own_years_records():
    from kehoach.data.years import prefer_own_year

    rows = pd.DataFrame({
        "ward": [WARD] * 3, "year": [2026, 2027, 2027], "indicator": [15, 17, 17], "code": ["bao-hiem-y-te"] * 3,
        "period": ["2026-Q1", "2026-Q1", "2025-Q4"], "value": [94.9, 90.0, 95.2],
    })
    kept = prefer_own_year(rows)
    # 2026-Q1 as the 2026 records hold it, not the comparison figure typed into a 2027 form;
    # 2025-Q4 exists only as a comparison figure, so that one is used.
    assert kept[["year", "period", "value"]].values.tolist() == [[2026, "2026-Q1", 94.9], [2027, "2025-Q4", 95.2]]


def test_the_2027_q1_report_compares_with_2026_by_code(workspace):
    """The report context of the new year: comparisons and baselines from the 2026 records, new indicators said."""
    from kehoach.reporting import context, sections

    root, *_ = workspace
    ctx = context.compute("2027-Q1", ward=WARD, data_dir=root / "data", as_of="2027-04-10")
    rows = sections.assessed(ctx).set_index("indicator")
    assert rows.loc[17, "same_period_last_year"] == 94.9 and rows.loc[17, "baseline"] == 95.1
    assert rows.loc[7, "baseline"] == 0.27 and bool(rows.loc[6, "is_new"])
    table = {r[0]: r for r in next(b for b in sections.appendix_section(ctx).blocks if b.kind == "table").rows}
    assert table["1"][4] == "201.500" and table["17"][4] == "94,9" and table["6"][4] == "—"
    text = sections.results_section(ctx).text()
    assert "Tỷ lệ hộ kinh doanh sử dụng hóa đơn điện tử (chỉ tiêu mới năm 2027) quý I năm 2027 đạt 60%" in text
