"""The illustrative dataset: built through the import path, deterministic, with the promised mix."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess

import pytest

from kehoach.analysis.completeness import completeness
from kehoach.data.forms import ACTUAL
from kehoach.data.store import ProgressStore, history, load_progress, load_tasks
from kehoach.data.sample import build_sample, illustrative_mix, is_illustrative
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
    assert table.loc["BQLDA", "timeliness"] == "late"
    assert (table.drop(index="BQLDA")["timeliness"] == "on_time").all()
    progress = load_progress(root=sample_store.root).set_index(["indicator", "period"])
    assert progress.loc[(15, "2026-Q3"), "value"] < progress.loc[(15, "2025-Q4"), "value"]
    assert set(load_tasks(root=sample_store.root)["status"]) == {"not_started", "in_progress", "done"}
    assert (progress["note"].dropna().str.len() > 0).all()


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
