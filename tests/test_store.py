"""The progress store: it reads back everything it wrote, survives killed writers, and keeps old files readable."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehoach.core.errors import StoreError
from kehoach.data.store import COLUMNS, NOTE_MAX_CHARS, ProgressStore, history, latest, load_progress

UTC = dt.timezone.utc


def _records(notes: list[str | None], values: list[float | None]) -> pd.DataFrame:
    n = len(notes)
    return pd.DataFrame({
        "ward": ["phan-dinh-phung"] * n, "year": [2026] * n, "record": ["indicator"] * n,
        "indicator": pd.array(range(1, n + 1), dtype="Int64"), "task": [None] * n, "period": ["2026-Q3"] * n,
        "revision": [1] * n, "value": values, "is_estimate": [False] * n, "status": [None] * n,
        "unit_code": ["KTHT"] * n, "submitted_at": [dt.datetime(2026, 10, 2, 1, 0, tzinfo=UTC)] * n,
        "imported_at": [dt.datetime(2026, 10, 2, 1, 5, tzinfo=UTC)] * n, "source_file": ["a, \"b\".csv"] * n,
        "source_sha256": ["ab" * 32] * n, "note": notes, "illustrative": [False] * n, "submitted_at_source": ["import"] * n,
    })


def _write(store: ProgressStore, frame: pd.DataFrame, tmp_path: Path, name: str = "src.csv") -> None:
    original = tmp_path / name
    original.write_bytes(name.encode())
    sha = hashlib.sha256(name.encode()).hexdigest()
    store.append("phan-dinh-phung", 2026, frame.assign(source_sha256=sha), original, sha)


# Any text a note can hold (no lone surrogates: they cannot be UTF-8); empty means "no note".
notes = st.one_of(st.none(), st.text(min_size=1, max_size=NOTE_MAX_CHARS),
                  st.sampled_from(["NA", "null", "N/A", "nan", "\"", "\"\"", ",", "a\nb", "a\r\nb", "\r", "\x00", "x\x00y",
                                   " lề ", "\\", "=1+1", "line1\n\nline3\n"]))
values = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(notes, values), min_size=1, max_size=8))
def test_notes_and_values_read_back_exactly(tmp_path_factory, rows):
    store = ProgressStore(tmp_path_factory.mktemp("rt") / "store")
    frame = _records([r[0] for r in rows], [r[1] for r in rows])
    _write(store, frame, store.root.parent)
    back = store.read()
    assert back["note"].astype(object).where(back["note"].notna(), None).tolist() == [r[0] for r in rows]
    assert [None if pd.isna(v) else v for v in back["value"]] == [r[1] for r in rows]
    assert back["source_file"].tolist() == ["a, \"b\".csv"] * len(rows)


def test_a_large_store_with_multiline_notes_stays_readable(tmp_path):
    """The reported failure: past ~1 MB, notes with line breaks made pyarrow split rows ("Expected 16 columns, got 3")."""
    store = ProgressStore(tmp_path / "store")
    note = "Dòng một, có dấu phẩy\nDòng hai \"trích dẫn\"\r\nDòng ba\n" * 20
    for batch in range(6):
        _write(store, _records([note] * 200, [float(i) for i in range(200)]), tmp_path, f"b{batch}.csv")
    path = store.records_path("phan-dinh-phung", 2026)
    assert path.stat().st_size > 1_000_000
    back = store.read()
    assert len(back) == 1200 and (back["note"] == note).all()
    assert len(history(5, root=store.root)) == 6


def test_file_without_the_added_columns_reads_with_defaults(tmp_path):
    """A store written before `illustrative` and `submitted_at_source` existed; the folder marker marked it illustrative."""
    store = ProgressStore(tmp_path / "store")
    folder = store.folder("phan-dinh-phung", 2026)
    folder.mkdir(parents=True)
    header = ",".join(COLUMNS[:16])
    row = ("phan-dinh-phung,2026,indicator,1,,2026-Q3,1,652149,true,,KTHT,2026-10-02T01:00:00+0000,"
           "2026-10-02T01:00:00+0000,f.xlsx," + "c" * 64 + ",ước")
    (folder / "records.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    back = store.read()
    assert back["illustrative"].tolist() == [False] and back["submitted_at_source"].tolist() == ["import"]
    (folder / "ILLUSTRATIVE.md").write_text("# Số liệu minh họa\n", encoding="utf-8")
    assert store.read()["illustrative"].tolist() == [True]
    # the next import upgrades the file once, keeping the old row
    (folder / "ILLUSTRATIVE.md").unlink()
    _write(store, _records(["mới"], [1.0]), tmp_path)
    text = (folder / "records.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert store.read()["note"].tolist() == ["ước", "mới"]


def test_unreadable_store_names_the_file(tmp_path):
    store = ProgressStore(tmp_path / "store")
    folder = store.folder("phan-dinh-phung", 2026)
    folder.mkdir(parents=True)
    (folder / "records.csv").write_text(",".join(COLUMNS) + "\nx,notayear\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"records.csv: tệp số liệu không đọc được .* Khôi phục tệp từ bản sao lưu"):
        store.read()


def test_next_lock_removes_what_a_killed_import_left(tmp_path):
    store = ProgressStore(tmp_path / "store")
    _write(store, _records(["a"], [1.0]), tmp_path)
    folder = store.folder("phan-dinh-phung", 2026)
    before = (folder / "records.csv").read_bytes()
    leftovers = [folder / ".records.csv.abc123.tmp", folder / "archive" / ".0123456789abcdef_x.xlsx.zz.tmp",
                 folder / "archive" / "0123456789abcdef_x.xlsx"]  # the last: archived, but its records were never written
    for path in leftovers:
        path.write_bytes(b"\0" * 1000)
    with store.lock("phan-dinh-phung", 2026):
        pass
    assert not any(p.exists() for p in leftovers)
    assert (folder / "records.csv").read_bytes() == before
    assert len(list((folder / "archive").iterdir())) == 1  # the real archived file stays


def test_lock_of_a_killed_holder_is_taken_over(tmp_path):
    store = ProgressStore(tmp_path / "store")
    store.folder("phan-dinh-phung", 2026).mkdir(parents=True)
    lock = store.folder("phan-dinh-phung", 2026) / ".import.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import filelock, sys; l = filelock.FileLock(sys.argv[1]); "
                               "l.acquire(); print('held', flush=True); sys.stdin.read()", str(lock)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(StoreError, match="Một lệnh nhập khác đang ghi"):
        with store.lock("phan-dinh-phung", 2026):
            pass
    holder.kill()  # SIGKILL: no cleanup at all
    holder.wait()
    with store.lock("phan-dinh-phung", 2026):
        pass


def test_long_file_names_are_shortened_in_the_archive(tmp_path):
    store = ProgressStore(tmp_path / "store")
    name = "bao-cao-" + "rất-dài-" * 30 + ".xlsx"
    path = store.archive_path("phan-dinh-phung", 2026, "f" * 64, name)
    assert len(path.name.encode()) <= 16 + 1 + 120 and path.name.endswith(".xlsx")
    assert path.name.startswith("f" * 16 + "_bao-cao-")


def test_real_records_win_over_illustrative_ones():
    frame = pd.DataFrame({"indicator": [1, 1, 2], "period": ["2026-Q3"] * 3, "revision": [1, 2, 1],
                          "value": [5.0, 9.0, 3.0], "illustrative": [False, True, True]})
    out = latest(frame, ["indicator", "period"]).set_index("indicator")
    assert out.loc[1, "value"] == 5.0 and out.loc[2, "value"] == 3.0


def test_remove_illustrative_keeps_real_records(tmp_path):
    store = ProgressStore(tmp_path / "store")
    real, sample = _records(["thật"], [1.0]), _records(["minh họa"], [2.0])
    sample["illustrative"] = True
    sample["indicator"] = pd.array([2], dtype="Int64")
    _write(store, real, tmp_path, "real.csv")
    _write(store, sample, tmp_path, "sample.csv")
    assert store.remove_illustrative("phan-dinh-phung", 2026) == 1
    assert store.read()["note"].tolist() == ["thật"]
    archive = store.folder("phan-dinh-phung", 2026) / "archive"
    assert [p.name.split("_", 1)[1] for p in archive.iterdir()] == ["real.csv"]
    assert load_progress(root=store.root)["value"].tolist() == [1.0]
