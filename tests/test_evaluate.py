"""Worked examples of the evaluation method (docs/methodology.md), with exact expected values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kehoach.analysis.evaluation import STATUS_LABELS, STATUSES, by_group, by_unit, evaluate, needing_attention, overall, scorecard

from tests.helpers import indicator, values

Q2 = "2026-Q2"


def one(ind: dict, rows: list[tuple], period: str = Q2, **kw) -> pd.Series:
    result = evaluate(pd.DataFrame([ind]), values(rows), period, **kw)
    assert len(result) == 1
    return result.iloc[0]


def test_cumulative_uses_last_years_seasonality():
    r = one(indicator(1, "cumulative", 1200, unit="triệu đồng"),
            [(1, "2026-Q2", 500), (1, "2025-Q2", 400), (1, "2025-Q4", 1000)])
    assert r["baseline"] == 0.0 and r["season_share"] == pytest.approx(0.4)
    assert r["projection"] == pytest.approx(1250.0) and r["ratio"] == pytest.approx(1250 / 1200)
    assert r["achievement_pct"] == pytest.approx(500 / 1200 * 100) and r["yoy_pct"] == pytest.approx(25.0)
    assert np.isnan(r["yoy_pp"]) and r["status"] == "on_track" and r["status_label"] == "Đúng tiến độ"


def test_cumulative_without_last_year_falls_back_to_q_over_4():
    r = one(indicator(1, "cumulative", 1200, unit="người"), [(1, "2026-Q2", 500)])
    assert r["season_share"] == 0.5 and r["projection"] == 1000.0
    assert r["ratio"] == pytest.approx(1000 / 1200) and r["status"] == "behind"
    assert np.isnan(r["yoy_pct"])


def test_cumulative_share_out_of_range_falls_back():
    r = one(indicator(1, "cumulative", 1200, unit="người"),
            [(1, "2026-Q2", 500), (1, "2025-Q2", 1100), (1, "2025-Q4", 1000)])  # s = 1.1 > 1
    assert r["season_share"] == 0.5 and r["projection"] == 1000.0


def test_level_straight_line_from_baseline():
    r = one(indicator(2, "level", 96), [(2, "2026-Q2", 92), (2, "2025-Q4", 90), (2, "2025-Q2", 89)])
    assert r["baseline"] == 90.0 and r["projection"] == pytest.approx(94.0)
    assert r["ratio"] == pytest.approx(4 / 6) and r["status"] == "at_risk"
    assert r["yoy_pp"] == pytest.approx(3.0) and np.isnan(r["yoy_pct"])
    assert r["achievement_pct"] == pytest.approx(92 / 96 * 100)


def test_level_behind():
    r = one(indicator(2, "level", 96), [(2, "2026-Q2", 92.5), (2, "2025-Q4", 90)])
    assert r["projection"] == pytest.approx(95.0) and r["ratio"] == pytest.approx(5 / 6) and r["status"] == "behind"


def test_threshold_is_configurable():
    r = one(indicator(2, "level", 96), [(2, "2026-Q2", 92.5), (2, "2025-Q4", 90)], behind_threshold=0.9)
    assert r["status"] == "at_risk"


def test_level_without_baseline_projects_the_value():
    r = one(indicator(2, "level", 96), [(2, "2026-Q2", 95)])
    assert np.isnan(r["baseline"]) and r["projection"] == 95.0 and np.isnan(r["ratio"])
    assert r["status"] == "at_risk"


def test_baseline_already_meets_target():
    r = one(indicator(2, "level", 96), [(2, "2026-Q2", 95.5), (2, "2025-Q4", 97)])
    assert np.isnan(r["ratio"]) and r["projection"] == pytest.approx(94.0) and r["status"] == "regressing"


@pytest.mark.parametrize("value, status", [(95.0, "regressing"), (96.0, "achieved")])
def test_target_equals_baseline(value, status):
    r = one(indicator(2, "level", 96), [(2, "2026-Q2", value), (2, "2025-Q4", 96)])
    assert np.isnan(r["ratio"]) and r["status"] == status


def test_negative_ratio_is_regressing():
    r = one(indicator(2, "level", 96), [(2, "2026-Q2", 94), (2, "2025-Q4", 95)])
    assert r["projection"] == pytest.approx(93.0) and r["ratio"] == pytest.approx(-2.0) and r["status"] == "regressing"


def test_annual_estimate_keeps_the_estimate():
    r = one(indicator(4, "annual_estimate", 11), [(4, "2026-Q2", 10.95, True), (4, "2025-Q4", 10.6), (4, "2025-Q2", 10.4)])
    assert r["projection"] == 10.95 and r["ratio"] == pytest.approx(0.875) and r["status"] == "behind"
    assert bool(r["is_estimate"]) is True and r["yoy_pp"] == pytest.approx(0.55)


@pytest.mark.parametrize(
    "period, value, status, projection, achievement",
    [("2026-Q4", 0.30, "missed", 0.01, 50.0), ("2026-Q4", 0.28, "achieved", 0.03, 150.0),
     ("2026-Q2", 0.30, "on_track", 0.02, 50.0), ("2026-Q2", 0.32, "regressing", -0.02, -50.0)],
)
def test_reduction(period, value, status, projection, achievement):
    r = one(indicator(6, "reduction", 0.02, frequency="quarterly"), [(6, period, value), (6, "2025-Q4", 0.31)], period)
    assert r["current"] == pytest.approx(0.31 - value) and r["projection"] == pytest.approx(projection)
    assert r["achievement_pct"] == pytest.approx(achievement) and r["status"] == status
    assert r["ratio"] == pytest.approx(projection / 0.02)


@pytest.mark.parametrize(
    "period, value, status",
    [("2026-Q2", 95.0, "on_track"), ("2026-Q4", 95.0, "missed"), ("2026-Q2", 95.01, "achieved")],
)
def test_strict_greater_than(period, value, status):
    r = one(indicator(11, "level", 95, comparison=">"), [(11, period, value), (11, "2025-Q4", 90)], period)
    assert r["status"] == status


@pytest.mark.parametrize(
    "value, baseline, status, ratio",
    [(2.7, 2.8, "achieved", np.nan), (3.0, 3.4, "on_track", 2.0), (3.2, 3.4, "behind", 1.0),
     (3.1, 2.8, "regressing", np.nan), (3.0, None, "at_risk", np.nan)],
)
def test_strict_less_than(value, baseline, status, ratio):
    rows = [(7, Q2, value)] + ([(7, "2025-Q4", baseline)] if baseline is not None else [])
    r = one(indicator(7, "level", 3, comparison="<"), rows)
    assert r["status"] == status
    assert (np.isnan(r["ratio"]) and np.isnan(ratio)) or r["ratio"] == pytest.approx(ratio)
    assert r["gap"] == pytest.approx(value - 3) and np.isnan(r["achievement_pct"])


@pytest.mark.parametrize("period, value, status, projection", [
    ("2026-Q3", 12, "on_track", 16.0),   # 12 cases by Q3: the year's total will be about 16, under the cap of 18
    ("2026-Q3", 15, "at_risk", 20.0),    # under the cap now, over it by the year's end
    ("2026-Q3", 18, "missed", 24.0),     # the cap is reached: the total can only grow
    ("2026-Q4", 17, "achieved", 17.0),
    ("2026-Q4", 19, "missed", 19.0),
])
def test_a_cap_on_a_running_total_is_met_only_when_the_year_is_over(period, value, status, projection):
    r = one(indicator(13, "cumulative", 18, comparison="<", unit="vụ"), [(13, period, value)], period)
    assert (r["status"], r["projection"]) == (status, pytest.approx(projection))


def test_q4_projection_is_the_value():
    r = one(indicator(1, "cumulative", 1200, unit="người"),
            [(1, "2026-Q4", 1100), (1, "2025-Q2", 400), (1, "2025-Q4", 1000)], "2026-Q4")
    assert r["projection"] == 1100.0 and r["status"] == "missed" and r["yoy_pct"] == pytest.approx(10.0)


def test_annual_indicator_before_q4_is_not_due_then_no_data():
    ind = indicator(16, "level", 100, frequency="annual")
    assert one(ind, [(16, "2025-Q4", 100)], "2026-Q3")["status"] == "not_due"
    assert one(ind, [(16, "2025-Q4", 100)], "2026-Q4")["status"] == "no_data"
    semi = indicator(7, "level", 3, comparison="<", frequency="semi_annual")
    assert one(semi, [(7, "2026-Q1", 2.5)], "2026-Q1")["status"] == "not_due"


def test_due_without_value_is_no_data():
    r = one(indicator(2, "level", 96), [(2, "2025-Q4", 90)])
    assert r["status"] == "no_data" and r["status_label"] == "Chưa có số liệu"


def test_estimate_later_revised_uses_latest_revision(plan, tmp_path):
    from kehoach.data.forms import ACTUAL, ESTIMATE
    from kehoach.data.store import ProgressStore, load_progress
    from kehoach.data.submission import import_file
    from tests.helpers import NOW, TODAY, make_form

    store = ProgressStore(tmp_path / "store")
    for name, value, kind in (("a.xlsx", 452000, ESTIMATE), ("b.xlsx", 455310, ACTUAL)):
        path = make_form(plan, tmp_path, "KTHT", Q2, {1: (value, kind, None)}, name=name, submitted_on=dt.date(2026, 7, 3))
        import_file(path, plan, store, today=TODAY, now=NOW)
    r = evaluate(plan, load_progress(root=store.root), Q2).set_index("indicator").loc[1]
    assert r["value"] == 455310.0 and bool(r["is_estimate"]) is False and r["revision"] == 2
    assert r["projection"] == pytest.approx(455310 / 0.5)


def test_many_wards_and_periods_at_once():
    inds = pd.DataFrame([indicator(1, "level", 96, ward="a"), indicator(1, "level", 96, ward="b")])
    prog = pd.concat([
        values([(1, "2026-Q1", 91), (1, "2026-Q2", 93), (1, "2025-Q4", 90)], ward="a"),
        values([(1, "2026-Q1", 97), (1, "2025-Q4", 95)], ward="b"),
    ])
    out = evaluate(inds, prog, ["2026-Q1", "2026-Q2"]).set_index(["ward", "period"])
    assert len(out) == 4
    assert out.loc[("a", "2026-Q1"), "projection"] == pytest.approx(94.0)
    assert out.loc[("a", "2026-Q2"), "projection"] == pytest.approx(96.0)
    assert out.loc[("a", "2026-Q2"), "status"] == "on_track"
    assert out.loc[("b", "2026-Q1"), "status"] == "achieved"
    assert out.loc[("b", "2026-Q2"), "status"] == "no_data"


def test_output_columns_and_labels():
    out = evaluate(pd.DataFrame([indicator(1, "level", 96)]), values([(1, Q2, 95)]), Q2)
    required = {"ward", "indicator", "period", "value", "is_estimate", "baseline", "same_period_last_year", "target",
                "comparison", "projection", "ratio", "achievement_pct", "yoy_pct", "yoy_pp", "status", "status_label"}
    assert required <= set(out.columns)
    row = out.iloc[0]
    assert (row["status"], row["status_label"]) == ("at_risk", "Có nguy cơ không đạt")
    assert row["status_label"] == STATUS_LABELS[row["status"]]


def test_rollups_on_the_sample(plan):
    from kehoach.data.store import load_progress
    from tests.conftest import PROJECT

    progress = load_progress(root=PROJECT / "data" / "progress")
    evaluated = evaluate(plan, progress, "2026-Q3")
    total = overall(evaluated)
    assert total[STATUSES].iloc[0].tolist() == [5, 6, 3, 2, 1, 0, 3, 16]
    groups = by_group(evaluated)
    assert groups["group"].tolist() == ["KT", "XH", "KHCN", "YT", "VHGD", "XDCN", "QPAN"]
    assert groups.set_index("group").loc["YT", ["achieved", "on_track", "at_risk", "regressing", "no_data"]].tolist() == [2, 2, 1, 1, 1]
    units = by_unit(evaluated).set_index("unit_code")
    assert units.loc["BQLDA", "at_risk"] == 1 and units["total"].sum() == 36
    attention = needing_attention(evaluated)
    assert attention["indicator"].tolist() == [15, 3, 20, 4, 9, 33, 19, 35, 36]
    from kehoach.analysis.completeness import completeness
    from kehoach.data.store import ProgressStore

    comp = completeness(plan, ProgressStore(PROJECT / "data" / "progress").read(), "2026-Q3", dt.date(2026, 10, 5))
    card = scorecard(evaluated, comp).set_index("unit_code")
    assert card.loc["BQLDA", ["timeliness", "at_risk", "total"]].tolist() == ["late", 1, 1]
    assert card.loc["VP", "total"] == 0
