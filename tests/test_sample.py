"""The illustrative dataset: built through the import path, deterministic, with the promised mix."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess

import pytest

from kehoach.analysis.completeness import completeness
from kehoach.data.forms import ACTUAL
from kehoach.data.store import ProgressStore, history, latest_texts, load_progress, load_tasks
from kehoach.data.sample import SUBMITTED, build_sample
from kehoach.data.store import illustrative_mix, is_illustrative
from kehoach.data.submission import import_file
from tests.helpers import NOW, TODAY, make_form


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory, plan):
    store = ProgressStore(tmp_path_factory.mktemp("sample") / "progress")
    build_sample(plan, store)
    return store


def test_covers_2025_and_2026_q1_to_q3(sample_store, plan):
    progress = load_progress(root=sample_store.root)
    periods = sorted(progress["period"].unique())
    assert periods == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert sorted(progress.loc[progress["period"] == "2025-Q4", "indicator"].tolist()) == list(range(1, 37))
    annual = plan.indicators.loc[plan.indicators["frequency"] == "annual", "number"].tolist()
    assert set(progress.loc[progress["indicator"].isin(annual), "period"]) == {"2025-Q4"}


def test_mix(sample_store, plan):
    revisions = history(1, root=sample_store.root)
    q2 = revisions[revisions["period"] == "2026-Q2"]
    assert q2["is_estimate"].tolist() == [True, False] and q2["value"].tolist() == [452000.0, 455310.0]
    table = completeness(plan, sample_store.read(), "2026-Q3", dt.date(2026, 10, 5)).set_index("unit_code")
    assert table["timeliness"].to_dict() == {"KTHT": "on_time", "VHXH": "on_time", "PVHCC": "on_time", "BQLDA": "late",
                                             "QSCA": "not_submitted", "VP": "on_time"}
    progress = load_progress(root=sample_store.root).set_index(["indicator", "period"])
    assert progress.loc[(15, "2026-Q3"), "value"] < progress.loc[(15, "2025-Q4"), "value"]
    assert set(load_tasks(root=sample_store.root)["status"]) == {"not_started", "in_progress", "done"}
    assert (progress["note"].dropna().str.len() > 0).all()


@pytest.mark.slow  # builds the whole sample again
def test_marked_illustrative_and_deterministic(sample_store, plan, tmp_path):
    assert is_illustrative(plan.ward, plan.year, sample_store)
    assert illustrative_mix(plan.ward, plan.year, sample_store) == "all"
    assert sample_store.read()["illustrative"].all()  # every record carries the mark
    notes = load_progress(root=sample_store.root)["note"]
    assert (notes == "Số liệu minh họa").sum() > 100
    again = ProgressStore(tmp_path / "again")
    build_sample(plan, again)
    assert again.snapshot(plan.ward, plan.year).sha256 == sample_store.snapshot(plan.ward, plan.year).sha256


def test_committed_dataset_is_current(plan, sample_store):
    """The archive in data/progress (forms and import documents, the store's source of truth) is what the generator
    builds today (rebuild with `make data`), and the database built from it holds the same records."""
    from tests.conftest import PROJECT

    committed = ProgressStore(PROJECT / "data" / "progress")
    def archive(store: ProgressStore) -> dict[str, str]:
        folder = store.folder(plan.ward, plan.year) / "archive"
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}
    assert archive(sample_store) == archive(committed)
    assert sample_store.snapshot(plan.ward, plan.year).sha256 == committed.snapshot(plan.ward, plan.year).sha256
    tracked = subprocess.run(["git", "ls-files", "data/progress"], cwd=PROJECT, capture_output=True, text=True).stdout.split()
    assert tracked and not [t for t in tracked if "records." in t]  # no database (nor old CSV) committed


@pytest.mark.slow  # builds the whole sample again
def test_force_removes_only_illustrative_records(plan, tmp_path):
    """`make data` on a store holding a real import: the real record survives, and wins over the illustrative one."""
    store = ProgressStore(tmp_path / "mixed")
    build_sample(plan, store)
    real = make_form(plan, tmp_path, "KTHT", "2026-Q3", {1: (700000, ACTUAL, "số thật")}, name="that.xlsx")
    import_file(real, plan, store, today=TODAY, now=NOW)
    assert illustrative_mix(plan.ward, plan.year, store) == "mixed"
    real_rows = store.read().query("illustrative == False")
    assert len(real_rows) == 1
    assert build_sample(plan, store)[0].endswith("dùng --force để tạo lại số liệu minh họa "
                                                 "(chỉ xóa các bản ghi minh họa, không xóa số liệu thật).")
    messages = build_sample(plan, store, force=True)
    assert messages[0] == f"Đã xóa {len(store.read()) - 1} bản ghi minh họa; giữ nguyên 1 bản ghi số liệu thật."
    after = store.read()
    kept = after[after["illustrative"] == False]  # noqa: E712
    assert kept.drop(columns="revision").reset_index(drop=True).equals(real_rows.drop(columns="revision").reset_index(drop=True))
    current = load_progress(root=store.root).set_index(["indicator", "period"])
    assert current.loc[(1, "2026-Q3"), "value"] == 700000.0 and current.loc[(1, "2026-Q3"), "note"] == "số thật"
    assert not bool(current.loc[(1, "2026-Q3"), "illustrative"])
    # the archive keeps the real form; only illustrative copies were removed and rebuilt
    assert any(p.name.endswith("_that.xlsx") for p in (store.folder(plan.ward, plan.year) / "archive").iterdir())


def test_units_words(sample_store, plan):
    """Most units write their words each 2026 quarter; BQLDA sends figures only; QSCA sends nothing in 2026-Q3."""
    texts = latest_texts(sample_store.read())
    counts = texts.groupby(["period", "unit_code"]).size().to_dict()
    assert counts == {("2026-Q1", "KTHT"): 14, ("2026-Q1", "PVHCC"): 8, ("2026-Q1", "QSCA"): 7, ("2026-Q1", "VHXH"): 18,
                      ("2026-Q1", "VP"): 8, ("2026-Q2", "KTHT"): 18, ("2026-Q2", "PVHCC"): 6, ("2026-Q2", "QSCA"): 7,
                      ("2026-Q2", "VHXH"): 20, ("2026-Q2", "VP"): 8, ("2026-Q3", "KTHT"): 18, ("2026-Q3", "PVHCC"): 8,
                      ("2026-Q3", "VHXH"): 17, ("2026-Q3", "VP"): 8}
    records = sample_store.read()
    assert records[(records["period"] == "2026-Q3") & (records["unit_code"] == "QSCA")].empty
    assert not records[(records["unit_code"] == "BQLDA") & (records["period"] == "2026-Q3")].empty
    q3 = texts[texts["period"] == "2026-Q3"].set_index(["unit_code", "item", "indicator"])
    # a lagging indicator's cause quotes the unit's own figure and names what slows it
    assert q3.loc[("KTHT", "nguyen-nhan-chi-tieu", 33), "text"] == (
        "Tỷ lệ phương tiện giao thông công cộng dùng năng lượng xanh đạt 35%, chưa đạt kế hoạch 38% vì đơn vị vận tải "
        "chậm thay xe buýt chạy dầu, trạm sạc công cộng còn thiếu.")
    assert q3.loc[("VHXH", "nguyen-nhan-chi-tieu", 15), "text"].startswith("Tỷ lệ tham gia bảo hiểm y tế còn 94,6%")
    tasks = texts[texts["period"] == "2026-Q3"].set_index("task")
    assert tasks.loc["II.2.2", "text"] == ("Hoàn thành tuyển sinh đầu cấp năm học 2026-2027 đúng kế hoạch; 100% trẻ trong "
                                           "độ tuổi được đến trường.")
    # the revision of 25/07 rewrote the result with the settled figure; the other items of that quarter stay
    q2 = texts[(texts["period"] == "2026-Q2") & (texts["unit_code"] == "KTHT") & (texts["item"] == "ket-qua-noi-bat")]
    assert q2["revision"].tolist() == [2] and "455.310 triệu đồng" in q2["text"].iloc[0]
    # every text was submitted with its form, on the form's date: before the period's report, never at build time
    for period, day in [("2026-Q1", SUBMITTED["2026-Q1"]), ("2026-Q2", SUBMITTED["2026-Q2"]), ("2026-Q3", SUBMITTED["2026-Q3"])]:
        sent = texts[texts["period"] == period]["submitted_at"].dt.tz_convert("Asia/Ho_Chi_Minh").dt.date
        assert set(sent) <= {day, dt.date(2026, 7, 25)}
    assert texts["illustrative"].all() and (texts["text"].str.len() > 40).all()
