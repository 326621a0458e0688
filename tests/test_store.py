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


def _write(store: ProgressStore, frame: pd.DataFrame, tmp_path: Path, name: str = "a, \"b\".csv") -> None:
    original = tmp_path / name
    original.write_bytes(name.encode())
    sha = hashlib.sha256(name.encode()).hexdigest()
    store.append("phan-dinh-phung", 2026, frame.assign(source_sha256=sha), original, sha)


# Any text a note can hold (no lone surrogates: they cannot be UTF-8); empty means "no note".
notes = st.one_of(st.none(), st.text(min_size=1, max_size=NOTE_MAX_CHARS),
                  st.sampled_from(["NA", "null", "N/A", "nan", "\"", "\"\"", ",", "a\nb", "a\r\nb", "\r", "\x00", "x\x00y",
                                   " lề ", "\\", "=1+1", "line1\n\nline3\n"]))
values = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
    """The reported failure of the CSV store: notes with line breaks made pyarrow split rows; the database has no such limit."""
    store = ProgressStore(tmp_path / "store")
    note = "Dòng một, có dấu phẩy\nDòng hai \"trích dẫn\"\r\nDòng ba\n" * 20
    for batch in range(6):
        _write(store, _records([note] * 200, [float(i) for i in range(200)]).assign(revision=batch + 1), tmp_path, f"b{batch}.csv")
    back = store.read()
    assert len(back) == 1200 and (back["note"] == note).all()
    assert len(history(5, root=store.root)) == 6


def test_csv_store_is_converted_once_and_kept_read_only(tmp_path, caplog):
    """A records.csv from before SQLite (even one without the added columns): converted on first open, kept beside."""
    store = ProgressStore(tmp_path / "store")
    folder = store.folder("phan-dinh-phung", 2026)
    folder.mkdir(parents=True)
    header = ",".join(COLUMNS[:16])
    row = ("phan-dinh-phung,2026,indicator,1,,2026-Q3,1,652149,true,,KTHT,2026-10-02T01:00:00+0000,"
           "2026-10-02T01:00:00+0000,f.xlsx," + "c" * 64 + ",ước")
    csv = folder / "records.csv"
    csv.write_text(f"{header}\n{row}\n", encoding="utf-8")
    (folder / "ILLUSTRATIVE.md").write_text("# Số liệu minh họa\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        back = store.read()
    assert back["illustrative"].tolist() == [True] and back["submitted_at_source"].tolist() == ["import"]
    assert back["value"].tolist() == [652149.0] and back["note"].tolist() == ["ước"]
    assert "đã chuyển 1 bản ghi (1 lần nhập) sang cơ sở dữ liệu records.sqlite" in caplog.text
    assert "records.csv được giữ nguyên (chỉ đọc)" in caplog.text
    assert csv.stat().st_mode & 0o222 == 0 and csv.read_text(encoding="utf-8").endswith(",ước\n")
    assert (folder / "archive" / ("c" * 16 + "_f.xlsx.import.json")).is_file()
    caplog.clear()
    _write(store, _records(["mới"], [1.0]).assign(revision=2), tmp_path)  # later imports go to the database; the CSV is not read again
    assert store.read()["note"].tolist() == ["ước", "mới"]
    assert "đã chuyển" not in caplog.text


def test_unreadable_csv_store_names_the_file(tmp_path):
    store = ProgressStore(tmp_path / "store")
    folder = store.folder("phan-dinh-phung", 2026)
    folder.mkdir(parents=True)
    (folder / "records.csv").write_text(",".join(COLUMNS) + "\nx,notayear\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"records.csv: tệp số liệu không đọc được .* Khôi phục tệp từ bản sao lưu"):
        store.read()


def test_next_lock_removes_temporary_files_but_never_an_archived_file(tmp_path, caplog):
    """Before: an archived file no record referred to was deleted. Now it is reported and kept."""
    store = ProgressStore(tmp_path / "store")
    _write(store, _records(["a"], [1.0]), tmp_path)
    folder = store.folder("phan-dinh-phung", 2026)
    before = store.snapshot("phan-dinh-phung", 2026).sha256
    leftovers = [folder / ".records.sqlite.abc123.tmp", folder / "archive" / ".0123456789abcdef_x.xlsx.zz.tmp"]
    orphan = folder / "archive" / "0123456789abcdef_x.xlsx"  # archived, but its import never finished
    for path in [*leftovers, orphan]:
        path.write_bytes(b"\0" * 1000)
    with caplog.at_level("WARNING"), store.lock("phan-dinh-phung", 2026):
        pass
    assert not any(p.exists() for p in leftovers)
    assert orphan.read_bytes() == b"\0" * 1000
    assert f"{orphan}: tệp trong kho lưu trữ không có hồ sơ lần nhập" in caplog.text
    assert store.snapshot("phan-dinh-phung", 2026).sha256 == before


def test_deleted_database_is_rebuilt_from_the_archive(tmp_path):
    store = ProgressStore(tmp_path / "store")
    _write(store, _records(["a\nb", None], [1.5, None]), tmp_path, "a.csv")
    _write(store, _records(["c"], [2.0]).assign(revision=2), tmp_path, "b.csv")
    before = store.snapshot("phan-dinh-phung", 2026)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store.records_path('phan-dinh-phung', 2026)}{suffix}").unlink(missing_ok=True)
    after = store.snapshot("phan-dinh-phung", 2026)
    assert after.sha256 == before.sha256 and after.records.equals(before.records)
    result = store.rebuild("phan-dinh-phung", 2026)
    assert (result.imports, result.records, result.missing_originals) == (2, 3, [])
    assert store.snapshot("phan-dinh-phung", 2026).sha256 == before.sha256


def test_database_restored_from_an_older_backup_adopts_the_newer_imports(tmp_path, caplog):
    """Before: records.csv restored from a backup made the next import delete the newer archived files."""
    store = ProgressStore(tmp_path / "store")
    db = store.records_path("phan-dinh-phung", 2026)
    _write(store, _records(["một"], [1.0]), tmp_path, "a.csv")
    backup = db.read_bytes()
    _write(store, _records(["hai"], [2.0]).assign(revision=2), tmp_path, "b.csv")
    archive = {p.name: p.read_bytes() for p in (db.parent / "archive").iterdir()}
    db.write_bytes(backup)  # the office restores last week's backup
    with caplog.at_level("WARNING"):
        _write(store, _records(["ba"], [3.0]).assign(revision=3), tmp_path, "c.csv")
    assert store.read()["note"].tolist() == ["một", "hai", "ba"]
    assert "đã đưa 1 lần nhập (1 bản ghi) từ kho lưu trữ vào cơ sở dữ liệu" in caplog.text
    assert all((db.parent / "archive" / name).read_bytes() == data for name, data in archive.items())


def test_archive_lost_is_written_back_from_the_database(tmp_path, caplog):
    store = ProgressStore(tmp_path / "store")
    _write(store, _records(["một"], [1.0]), tmp_path, "a.csv")
    before = store.snapshot("phan-dinh-phung", 2026).sha256
    archive = store.folder("phan-dinh-phung", 2026) / "archive"
    for path in archive.iterdir():
        path.unlink()
    with caplog.at_level("WARNING"), store.lock("phan-dinh-phung", 2026):
        pass
    assert "kho lưu trữ thiếu hồ sơ lần nhập này" in caplog.text and "Bản gốc của tệp không còn" in caplog.text
    assert [p.name.endswith(".import.json") for p in archive.iterdir()] == [True]
    sha = hashlib.sha256(b"a.csv").hexdigest()
    assert store.rebuild("phan-dinh-phung", 2026).missing_originals == [f"{sha[:16]}_a.csv"]
    assert store.snapshot("phan-dinh-phung", 2026).sha256 == before


def test_damaged_database_is_refused_then_rebuilt(tmp_path):
    store = ProgressStore(tmp_path / "store")
    _write(store, _records(["một"], [1.0]), tmp_path, "a.csv")
    before = store.snapshot("phan-dinh-phung", 2026).sha256
    db = store.records_path("phan-dinh-phung", 2026)
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match=r"records.sqlite: cơ sở dữ liệu hỏng .* Chạy `kehoach store rebuild`"):
        store.read()
    result = store.rebuild("phan-dinh-phung", 2026)
    assert result.set_aside is not None and result.set_aside.read_bytes().startswith(b"not a database")
    assert store.snapshot("phan-dinh-phung", 2026).sha256 == before


def test_one_revision_per_key(tmp_path):
    """Two records of one key and revision are refused as a whole: nothing stored, no import document left."""
    store = ProgressStore(tmp_path / "store")
    twice = _records(["a", "b"], [1.0, 2.0]).assign(indicator=pd.array([1, 1], dtype="Int64"))
    with pytest.raises(StoreError, match="số liệu trùng khóa"):
        _write(store, twice, tmp_path)
    assert store.read().empty
    assert not list(store.root.rglob("*.import.json"))


def test_texts_key_includes_unit_and_item(tmp_path):
    store = ProgressStore(tmp_path / "store")
    texts = _records(["x", "y", "z"], [None] * 3).assign(
        record="text", indicator=pd.array([None] * 3, dtype="Int64"), unit_code=["KTHT", "VHXH", "KTHT"],
        item=["ket_qua", "ket_qua", "han_che"], text=["Một", "Hai", "Ba"])
    _write(store, texts, tmp_path)
    assert store.read()["text"].tolist() == ["Một", "Hai", "Ba"]
    with pytest.raises(StoreError, match="số liệu trùng khóa"):
        _write(store, texts.iloc[[0]], tmp_path, "again.csv")


def test_snapshot_checksum_is_of_what_was_read(tmp_path):
    from kehoach.data.store import _SCHEMA, canonical_bytes

    import pyarrow as pa

    store = ProgressStore(tmp_path / "store")
    empty = store.snapshot("phan-dinh-phung", 2026)
    assert empty.records.empty and empty.sha256 == hashlib.sha256(canonical_bytes(_SCHEMA.empty_table())).hexdigest()
    _write(store, _records(["a"], [1.0]), tmp_path)
    one = store.snapshot("phan-dinh-phung", 2026)
    table = pa.Table.from_pandas(one.records, schema=_SCHEMA, preserve_index=False)
    assert one.sha256 == hashlib.sha256(canonical_bytes(table)).hexdigest() != empty.sha256
    assert store.snapshot("phan-dinh-phung", 2026).sha256 == one.sha256


def test_archived_original_is_never_overwritten(tmp_path):
    store = ProgressStore(tmp_path / "store")
    sha = hashlib.sha256(b"x").hexdigest()
    taken = store.archive_path("phan-dinh-phung", 2026, sha, "a.csv")
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"another file")
    original = tmp_path / "a.csv"
    original.write_bytes(b"x")
    with pytest.raises(StoreError, match="đã có trong kho lưu trữ với nội dung khác; không ghi đè"):
        store.append("phan-dinh-phung", 2026, _records(["a"], [1.0]), original, sha)
    assert taken.read_bytes() == b"another file" and store.read().empty


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
    assert sorted(p.name.split("_", 1)[1] for p in archive.iterdir()) == ["real.csv", "real.csv.import.json"]
    assert load_progress(root=store.root)["value"].tolist() == [1.0]
