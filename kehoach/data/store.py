"""The progress store: one SQLite database per ward and plan year, rebuilt from an append-only archive.

Layout under ``data/progress/``::

    <ward>/<year>/records.sqlite            every revision ever imported (indicators, tasks, texts)
    <ward>/<year>/archive/<sha16>_<name>    each imported file, unchanged
    <ward>/<year>/archive/<sha16>_<name>.import.json   that import: metadata and records (kehoach.data.archive)
    <ward>/<year>/records.csv               a store from before SQLite, converted once and kept read-only

The database (stdlib ``sqlite3``, WAL mode) is a cache of the archive: an import writes the
original and its import document first, then inserts the records in one transaction; any
command that finds the database missing, or missing an import the archive holds (a SIGKILL
between the two steps, a database restored from an older backup), brings it in step from the
archive, under the import lock. Nothing in the archive is ever deleted or overwritten by an
import; ``kehoach store rebuild`` builds the database from the archive alone.

Readers never lock: each read is one SQLite read transaction, so it sees every import either
whole or not at all, and :meth:`ProgressStore.snapshot` returns the records with the checksum of
exactly what was read. A unique index keeps one revision per key (indicator, task, or a unit's
text item). An OS lock (``flock``) keeps two imports apart and dies with its holder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import io
import logging
import os
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import filelock
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kehoach.core import config
from kehoach.core.errors import StoreError
from kehoach.core.files import exclusive_lock, remove_leftovers
from kehoach.data.archive import DOC_SUFFIX, ImportDoc, add_original, doc_names, orphans, read_doc, write_doc

log = logging.getLogger(__name__)


#: The stored columns, in order. ``illustrative`` (bool) marks a record of the illustrative
#: dataset; ``submitted_at_source`` ("import" or "manual") says whether ``submitted_at`` is the
#: import's own clock or a date the office gave with ``--submitted-at``.
COLUMNS = [
    "ward", "year", "record", "indicator", "task", "period", "revision", "value", "is_estimate",
    "status", "unit_code", "submitted_at", "imported_at", "source_file", "source_sha256", "note",
    "illustrative", "submitted_at_source", "item", "text",
]
#: Columns added after the first release, with the value they take when reading an older CSV store.
ADDED_COLUMNS = {"illustrative": None, "submitted_at_source": "import", "item": None, "text": None}  # illustrative: from the folder marker
SUBMITTED_SOURCES = ("import", "manual")
#: The longest note an import accepts (characters).
NOTE_MAX_CHARS = 2000
#: The marker file an older illustrative store carried (before records were marked one by one).
LEGACY_MARKER = "ILLUSTRATIVE.md"
DB_NAME = "records.sqlite"
LEGACY_CSV = "records.csv"
#: Who imported the illustrative dataset (the import document's ``importer``).
SAMPLE_IMPORTER = "kehoach sample-data"
_ARROW_TYPES = {
    "ward": pa.string(), "year": pa.int64(), "record": pa.string(), "indicator": pa.int64(),
    "task": pa.string(), "period": pa.string(), "revision": pa.int64(), "value": pa.float64(),
    "is_estimate": pa.bool_(), "status": pa.string(), "unit_code": pa.string(),
    "submitted_at": pa.timestamp("us", tz="UTC"), "imported_at": pa.timestamp("us", tz="UTC"),
    "source_file": pa.string(), "source_sha256": pa.string(), "note": pa.string(),
    "illustrative": pa.bool_(), "submitted_at_source": pa.string(), "item": pa.string(), "text": pa.string(),
}
_SCHEMA = pa.schema(list(_ARROW_TYPES.items()))
#: The columns an import document lists per record (the others are the same for the whole import).
DOC_COLUMNS = [c for c in COLUMNS if c not in ("ward", "year", "source_file", "source_sha256")]
_TIMES = ("submitted_at", "imported_at")
_BOOLS = ("is_estimate", "illustrative")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_US = dt.timedelta(microseconds=1)
_ARCHIVE_NAME_BYTES = 120  # room for the hash prefix, the document suffix and a temporary name's decorations
_LOCK_WAIT_S = 600  # a reader that finds no database waits this long for a command building it

_DDL = """
CREATE TABLE IF NOT EXISTS imports (
    seq INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL UNIQUE,
    file TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    importer TEXT NOT NULL,
    submitted_at TEXT,
    submitted_at_source TEXT NOT NULL,
    illustrative INTEGER NOT NULL CHECK (illustrative IN (0, 1))
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER NOT NULL REFERENCES imports (seq),
    ward TEXT NOT NULL, year INTEGER NOT NULL,
    record TEXT NOT NULL CHECK (record IN ('indicator', 'task', 'text')),
    indicator INTEGER, task TEXT, period TEXT NOT NULL, revision INTEGER NOT NULL CHECK (revision >= 1),
    value REAL, is_estimate INTEGER, status TEXT, unit_code TEXT,
    submitted_at INTEGER NOT NULL, imported_at INTEGER NOT NULL, source_file TEXT, source_sha256 TEXT, note TEXT,
    illustrative INTEGER NOT NULL, submitted_at_source TEXT NOT NULL CHECK (submitted_at_source IN ('import', 'manual')),
    item TEXT, text TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS one_revision_per_key ON records (
    ward, year, record, ifnull(indicator, 0), ifnull(task, ''),
    CASE record WHEN 'text' THEN ifnull(unit_code, '') ELSE '' END, ifnull(item, ''), period, revision);
CREATE INDEX IF NOT EXISTS records_of_import ON records (seq);
"""
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM records ORDER BY seq, rowid"
_INSERT = f"INSERT INTO records (seq, {', '.join(COLUMNS)}) VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"
_IMPORT_COLUMNS = ["seq", "name", "sha256", "file", "imported_at", "importer", "submitted_at", "submitted_at_source", "illustrative"]

#: Task statuses as stored, with their Vietnamese labels.
TASK_STATUSES = {"not_started": "Chưa triển khai", "in_progress": "Đang thực hiện", "done": "Hoàn thành"}


@dataclass(frozen=True)
class Snapshot:
    """The records of one ward and year as one read transaction saw them, and the SHA-256 of exactly those.

    ``sha256`` is taken over a canonical serialization (:func:`canonical_bytes`) of ``records``. A
    report certifies its inputs with it: an import landing after the read changes the store's
    checksum (:meth:`ProgressStore.checksum`) but not the snapshot's, so the report is seen as stale.
    """

    ward: str
    year: int
    records: pd.DataFrame
    sha256: str

    @property
    def key(self) -> str:
        """How a manifest names these records: ``<ward>/<year>``."""
        return f"{self.ward}/{self.year}"


@dataclass
class RebuildResult:
    """What ``kehoach store rebuild`` did for one ward and year."""

    ward: str
    year: int
    imports: int
    records: int
    missing_originals: list[str] = field(default_factory=list)
    changed_originals: list[str] = field(default_factory=list)
    set_aside: Path | None = None


class ProgressStore:
    """The stored records, keyed by ward and plan year (a SQLite database and an archive per pair)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else config.progress_dir()

    def folder(self, ward: str, year: int) -> Path:
        return self.root / ward / str(year)

    def records_path(self, ward: str, year: int) -> Path:
        """The database file (it exists once anything was stored or read there)."""
        return self.folder(ward, year) / DB_NAME

    def archive_path(self, ward: str, year: int, sha256: str, name: str) -> Path:
        """``archive/<sha256[:16]>_<name>``; a long name is shortened (keeping its extension) to fit file-name limits."""
        stem, suffix = Path(name).stem, Path(name).suffix[:10]
        while len(f"{stem}{suffix}".encode()) > _ARCHIVE_NAME_BYTES:
            stem = stem[:-1]
        return self.folder(ward, year) / "archive" / f"{sha256[:16]}_{stem}{suffix}"

    def stores(self, ward: str | None = None, year: int | None = None) -> list[tuple[str, int]]:
        """Every (ward, year) with a store: a database, an archive of imports, or an older records.csv."""
        found = []
        for folder in sorted(self.root.glob(f"{ward or '*'}/{year or '*'}")):
            if folder.is_dir() and folder.name.isdigit() and _has_store(folder):
                found.append((folder.parent.name, int(folder.name)))
        return found

    def files(self, ward: str | None = None, year: int | None = None) -> list[Path]:
        """The database files of :meth:`stores` (each built from its archive if missing)."""
        return [self._ensure(w, y) for w, y in self.stores(ward, year)]

    # -- reading ---------------------------------------------------------------------
    def read(self, ward: str | None = None, year: int | None = None) -> pd.DataFrame:
        """Every stored revision (indicators, tasks and texts), with proper dtypes, in import order."""
        tables = [self._read_table(w, y) for w, y in self.stores(ward, year)]
        tables = [t for t in tables if t.num_rows]
        if not tables:
            return _empty_frame()
        return _to_frame(pa.concat_tables(tables))

    def snapshot(self, ward: str, year: int) -> Snapshot:
        """The records of ``ward``/``year`` and their checksum, both from one read transaction."""
        table = self._read_table(ward, year) if self.stores(ward, year) else _empty_table()
        return Snapshot(ward, year, _to_frame(table), hashlib.sha256(canonical_bytes(table)).hexdigest())

    def _read_table(self, ward: str, year: int) -> pa.Table:
        db = self._ensure(ward, year)
        with _connect(db) as conn:
            conn.execute("BEGIN")
            rows = conn.execute(_SELECT).fetchall()
            conn.execute("COMMIT")
        return _rows_to_table(rows)

    def _ensure(self, ward: str, year: int) -> Path:
        """The database of ``ward``/``year``, brought in step with the archive first if it is not.

        Without a database, waits for the lock and builds it. With one that lacks an import the
        archive holds, brings it in step if the lock is free; if an import holds the lock, reads
        as is (that import's records are not committed yet, so they are not part of this read).
        """
        db = self.records_path(ward, year)
        if db.exists() and self._in_step(ward, year):
            return db
        wait = 0 if db.exists() else _LOCK_WAIT_S
        with contextlib.suppress(filelock.Timeout), filelock.FileLock(str(self._lock_path(ward, year)), timeout=wait):
            self.recover(ward, year)
        if not db.exists():
            raise StoreError(f"Chưa dựng được cơ sở dữ liệu {db}: một lệnh khác đang giữ khóa quá lâu. Chạy lại sau.")
        return db

    def _in_step(self, ward: str, year: int) -> bool:
        with _connect(self.records_path(ward, year)) as conn:
            try:
                known = {name + DOC_SUFFIX for (name,) in conn.execute("SELECT name FROM imports")}
            except sqlite3.OperationalError:  # no tables yet
                return False
        return known == doc_names(self.folder(ward, year) / "archive")

    def checksum(self, ward: str, year: int) -> str:
        """The SHA-256 of the records of one ward and year as they are now (that of an empty store when none)."""
        return self.snapshot(ward, year).sha256

    # -- writing ---------------------------------------------------------------------
    def append(self, ward: str, year: int, records: pd.DataFrame, original: Path, sha256: str) -> Path:
        """Archive ``original`` and store ``records`` as one import, under the lock. Returns the archive path."""
        with self.lock(ward, year):
            return self.append_locked(ward, year, records, original, sha256)

    def append_locked(self, ward: str, year: int, records: pd.DataFrame, original: Path, sha256: str) -> Path:
        """:meth:`append` for a caller that already holds :meth:`lock` (to read and write as one step).

        Order: the original, then its import document, then one transaction. A SIGKILL before the
        commit leaves the document, which the next command adopts (the import then counts as done);
        any other failure of the transaction removes the document it has just written.
        """
        archived = add_original(self.archive_path(ward, year, sha256, original.name), original.read_bytes(), sha256)
        db = self.records_path(ward, year)
        with _connect(db) as conn:
            seq = conn.execute("SELECT ifnull(max(seq), 0) + 1 FROM imports").fetchone()[0]
            doc = _make_doc(seq, ward, year, archived.name, original.name, sha256, records)
            written = write_doc(archived.parent, doc)
            try:
                _insert(conn, [doc])
            except BaseException:  # rolled back (a full disk, Ctrl-C, SIGTERM): the document goes too
                written.unlink(missing_ok=True)
                raise
        log.info("stored %d records in %s (import %d)", len(records), db, seq)
        return archived

    def _lock_path(self, ward: str, year: int) -> Path:
        folder = self.folder(ward, year)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / ".import.lock"

    @contextlib.contextmanager
    def lock(self, ward: str, year: int) -> Iterator[None]:
        """Exclusive access to one ward and year's records, for an import's read-check-write.

        Taking it first brings the database in step with the archive (see :meth:`recover`).
        """
        busy = StoreError(f"Một lệnh nhập khác đang ghi vào số liệu {ward}/{year}. Chờ lệnh đó xong rồi chạy lại.")
        with exclusive_lock(self._lock_path(ward, year), busy):
            self.recover(ward, year)
            yield

    def recover(self, ward: str, year: int) -> list[Path]:
        """Clean up after a killed writer and bring the database in step with the archive. Returns removed temporary files.

        Call only while holding :meth:`lock`. Never deletes an archived file: an import document
        the database lacks is adopted (its records inserted); an import the database holds but
        the archive lacks gets its document written back (an illustrative one is dropped, as the
        archive's illustrative dataset was replaced); an original with no document is reported.
        """
        folder = self.folder(ward, year)
        removed = remove_leftovers(folder) + remove_leftovers(folder / "archive")
        self._convert_legacy(ward, year)
        with _connect(self.records_path(ward, year)) as conn:
            _create_tables(conn)
            _bring_in_step(conn, folder / "archive")
        for path in orphans(folder / "archive"):
            log.warning("%s: tệp trong kho lưu trữ không có hồ sơ lần nhập (.import.json), có lẽ do một lệnh nhập bị "
                        "dừng giữa chừng; tệp được giữ nguyên, không có số liệu nào từ tệp này. Nhập lại tệp nếu cần.", path)
        return removed

    def rebuild(self, ward: str, year: int) -> RebuildResult:
        """Build the database of ``ward``/``year`` again from the archive alone, in one transaction.

        Imports the database holds but the archive lacks get their documents written first, so
        nothing is lost; a database that cannot be read is set aside (``records.sqlite.hong-…``).
        """
        busy = StoreError(f"Một lệnh khác đang ghi vào số liệu {ward}/{year}. Chờ lệnh đó xong rồi chạy lại.")
        folder = self.folder(ward, year)
        with exclusive_lock(self._lock_path(ward, year), busy):
            self._convert_legacy(ward, year)
            set_aside = self._export_or_set_aside(ward, year)
            docs = [read_doc(folder / "archive" / n) for n in sorted(doc_names(folder / "archive"))]
            with _connect(self.records_path(ward, year)) as conn:
                _create_tables(conn)
                _insert(conn, docs, replace=True)
        result = RebuildResult(ward, year, len(docs), sum(len(d.rows) for d in docs), set_aside=set_aside)
        for doc in docs:
            _check_original(folder / "archive" / doc.archived_as, doc, result)
        log.info("rebuilt %s from %d imports (%d records)", self.records_path(ward, year), result.imports, result.records)
        return result

    def _export_or_set_aside(self, ward: str, year: int) -> Path | None:
        db = self.records_path(ward, year)
        if not db.exists():
            return None
        try:
            with _connect(db) as conn:
                _create_tables(conn)
                _export_missing_docs(conn, self.folder(ward, year) / "archive", drop_illustrative=False)
            return None
        except StoreError:
            aside = db.with_name(f"{DB_NAME}.hong-{dt.datetime.now():%Y%m%d-%H%M%S}")
            for suffix in ("", "-wal", "-shm"):
                src = Path(f"{db}{suffix}")
                if src.exists():
                    src.rename(f"{aside}{suffix}")
            log.warning("%s không đọc được; đã chuyển sang %s và dựng lại từ kho lưu trữ.", db, aside)
            return aside

    def _convert_legacy(self, ward: str, year: int) -> None:
        """A store from before SQLite: write an import document per imported file of its records.csv, once.

        Runs when there is no database and no import document yet; the CSV is then made
        read-only and kept beside the database until the user removes it.
        """
        folder = self.folder(ward, year)
        csv = folder / LEGACY_CSV
        if self.records_path(ward, year).exists() or doc_names(folder / "archive") or not csv.is_file():
            return
        frame = _read_frame(csv) if csv.stat().st_size else _empty_frame()
        docs = _legacy_docs(self, ward, year, frame)
        for doc in docs:
            write_doc(folder / "archive", doc)
        csv.chmod(0o444)
        log.warning("%s: đã chuyển %d bản ghi (%d lần nhập) sang cơ sở dữ liệu %s. Tệp records.csv được giữ nguyên "
                    "(chỉ đọc) bên cạnh để đối chiếu; xóa tệp khi không cần nữa.", csv, len(frame), len(docs), DB_NAME)

    def load_records(self, ward: str, year: int, records: pd.DataFrame, importer: str) -> int:
        """Build the store of ``ward``/``year``, which must not exist yet, from ``records`` as another store held them.

        Each file the records name (``source_file``, ``source_sha256``) becomes one import document, so
        revisions, submission times and sources stay as they were; the originals themselves are not
        there (a province keeps the bundle that brought them). Returns the number of imports.
        """
        folder = self.folder(ward, year)
        if _has_store(folder):
            raise StoreError(f"{folder} đã có số liệu; không dựng kho mới đè lên.")
        docs = _legacy_docs(self, ward, year, records, importer)
        for doc in docs:
            write_doc(folder / "archive", doc)
        with _connect(self.records_path(ward, year)) as conn:
            _create_tables(conn)
            _insert(conn, docs)
        return len(docs)

    def remove_illustrative(self, ward: str, year: int) -> int:
        """Drop every illustrative import (its records, document and the form it generated); real records stay.

        Returns the number of records removed.
        """
        with self.lock(ward, year):
            folder = self.folder(ward, year)
            with _connect(self.records_path(ward, year)) as conn:
                names = [n for (n,) in conn.execute("SELECT name FROM imports WHERE illustrative = 1")]
                for name in names:  # documents first: a kill now leaves records the next sync drops
                    (folder / "archive" / (name + DOC_SUFFIX)).unlink(missing_ok=True)
                conn.execute("BEGIN IMMEDIATE")
                removed = conn.execute("DELETE FROM records WHERE seq IN (SELECT seq FROM imports WHERE illustrative = 1)").rowcount
                conn.execute("DELETE FROM imports WHERE illustrative = 1")
                kept = conn.execute("SELECT count(*) FROM records").fetchone()[0]
                conn.execute("COMMIT")
            for name in names:
                (folder / "archive" / name).unlink(missing_ok=True)
            (folder / LEGACY_MARKER).unlink(missing_ok=True)
            log.info("removed %d illustrative records from %s; %d real records kept", removed, folder, kept)
            return removed


# -- the database ----------------------------------------------------------------------
@contextlib.contextmanager
def _connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode (transactions are explicit), WAL journal; SQLite errors in Vietnamese."""
    conn = None
    try:
        conn = sqlite3.connect(str(db), timeout=60, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # durable enough: the import document is fsynced before the commit
        yield conn
    except sqlite3.Error as exc:
        raise _db_error(db, exc) from None
    finally:
        if conn is not None:
            conn.close()


def _disk_nearly_full(db: Path) -> bool:
    """True when the disk holding ``db`` has under 256 KB free (SQLite then reports I/O errors, not "full")."""
    import shutil

    try:
        return shutil.disk_usage(db.parent).free < 256 * 1024
    except OSError:
        return False


def _create_tables(conn: sqlite3.Connection) -> None:
    if conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('imports', 'records')").fetchone()[0] < 2:
        conn.executescript(_DDL)


def _db_error(db: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(f"{db}: số liệu trùng khóa (một chỉ tiêu, nhiệm vụ hay mục ý kiến có hai bản ghi cùng lần sửa) "
                          f"({text}); không ghi gì. Kiểm tra tệp nhập, hoặc chạy `kehoach store rebuild`.")
    if "full" in text or _disk_nearly_full(db):
        return StoreError(f"{db}: ổ đĩa đã đầy ({text}); không ghi gì (số liệu đã lưu không đổi). "
                          "Giải phóng dung lượng trên ổ đĩa đó rồi chạy lại.")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(f"{db}: cơ sở dữ liệu hỏng ({text}). Chạy `kehoach store rebuild` để dựng lại từ kho lưu trữ.")
    if "readonly" in text or "unable to open" in text:
        return StoreError(f"{db}: không mở hoặc không ghi được cơ sở dữ liệu ({text}); kiểm tra quyền của thư mục và tệp.")
    return StoreError(f"{db}: lỗi cơ sở dữ liệu ({text}). Chạy lại; nếu vẫn lỗi, chạy `kehoach store rebuild`.")


def _insert(conn: sqlite3.Connection, docs: list[ImportDoc], replace: bool = False) -> None:
    """Insert ``docs`` (their metadata and records) in one transaction; ``replace`` empties the database first."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if replace:
            conn.execute("DELETE FROM records")
            conn.execute("DELETE FROM imports")
        for doc in sorted(docs, key=lambda d: d.sequence):
            conn.execute(f"INSERT INTO imports VALUES ({', '.join('?' * len(_IMPORT_COLUMNS))})",
                         (doc.sequence, doc.archived_as, doc.sha256, doc.file, doc.imported_at, doc.importer,
                          doc.submitted_at, doc.submitted_at_source, int(doc.illustrative)))
            conn.executemany(_INSERT, _doc_tuples(doc))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _bring_in_step(conn: sqlite3.Connection, archive: Path) -> None:
    """Adopt the import documents the database lacks; write back those it holds and the archive lacks."""
    names = doc_names(archive)
    known = {n + DOC_SUFFIX for (n,) in conn.execute("SELECT name FROM imports")}
    if known - names:
        _export_missing_docs(conn, archive, drop_illustrative=True)
    missing = sorted(names - known)
    if not missing:
        return
    docs = [read_doc(archive / n) for n in missing]
    _insert(conn, docs)
    level = logging.WARNING if known else logging.INFO  # a first build from the archive (a fresh clone) is routine
    log.log(level, "%s: đã đưa %d lần nhập (%d bản ghi) từ kho lưu trữ vào cơ sở dữ liệu%s.", archive.parent / DB_NAME, len(docs),
                sum(len(d.rows) for d in docs), " (dựng mới)" if not known else
                " (lần nhập bị dừng trước khi ghi xong, hoặc cơ sở dữ liệu được khôi phục từ bản sao lưu cũ hơn kho lưu trữ)")


def _export_missing_docs(conn: sqlite3.Connection, archive: Path, drop_illustrative: bool) -> None:
    """Write the document of every import the database holds and the archive lacks.

    With ``drop_illustrative``, an illustrative import missing from the archive is dropped from the
    database instead (the illustrative dataset there was regenerated: the archive is the truth).
    """
    names = doc_names(archive)
    imports = pd.read_sql_query("SELECT * FROM imports ORDER BY seq", conn)
    gone = imports[~(imports["name"] + DOC_SUFFIX).isin(names)]
    for row in gone.itertuples(index=False):
        if drop_illustrative and row.illustrative:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM records WHERE seq = ?", (row.seq,))
            conn.execute("DELETE FROM imports WHERE seq = ?", (row.seq,))
            conn.execute("COMMIT")
            log.info("dropped illustrative import %s: no longer in %s", row.name, archive)
            continue
        rows = conn.execute(f"SELECT {', '.join(DOC_COLUMNS)} FROM records WHERE seq = ? ORDER BY rowid", (row.seq,)).fetchall()
        doc = ImportDoc(int(row.seq), archive.parent.parent.name, int(archive.parent.name), row.name, row.file, row.sha256,
                        row.imported_at, row.importer, row.submitted_at, row.submitted_at_source, bool(row.illustrative),
                        DOC_COLUMNS, [_db_row_to_doc(r) for r in rows])
        write_doc(archive, doc)
        log.warning("%s: kho lưu trữ thiếu hồ sơ lần nhập này (có lẽ thư mục archive đã bị xóa hay di chuyển); đã ghi lại hồ sơ "
                    "từ cơ sở dữ liệu.%s", archive / doc.name,
                    "" if (archive / row.name).exists() else " Bản gốc của tệp không còn: khôi phục nó từ bản sao lưu nếu có.")


# -- conversions: frame -> import document -> database row -> arrow table -> frame ---------------
def _importer() -> str:
    """Who runs the import (the login name), for the import document."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "không rõ"


def _iso(value: object) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert("UTC").isoformat()


def _doc_column(series: pd.Series, name: str) -> list:
    """One column of records as JSON values: ISO-8601 times in UTC, booleans, integers, exact floats, text."""
    if name in _TIMES:
        return [_iso(t) for t in pd.to_datetime(series, utc=True)]
    if name in _BOOLS:
        return [None if pd.isna(v) else bool(v) for v in series]
    if name in ("indicator", "revision"):
        return [None if pd.isna(v) else int(v) for v in series]
    if name == "value":
        return [None if pd.isna(v) else float(v) for v in series]
    return [None if pd.isna(v) else str(v) for v in series]


def _make_doc(seq: int, ward: str, year: int, archived_as: str, file: str, sha256: str, records: pd.DataFrame,
              importer: str | None = None) -> ImportDoc:
    frame = records.reindex(columns=COLUMNS)
    frame["illustrative"] = frame["illustrative"].astype("boolean").fillna(False)
    frame["submitted_at_source"] = frame["submitted_at_source"].fillna("import")
    frame["imported_at"] = frame["imported_at"].fillna(pd.Timestamp.now(tz="UTC").floor("s"))
    columns = [_doc_column(frame[c], c) for c in DOC_COLUMNS]
    rows = [list(r) for r in zip(*columns)]
    first = dict(zip(DOC_COLUMNS, rows[0])) if rows else {}
    illustrative = bool(len(frame)) and bool(frame["illustrative"].all())
    return ImportDoc(seq, ward, int(year), archived_as, file, sha256,
                     first.get("imported_at") or _iso(pd.Timestamp.now(tz="UTC").floor("s")),
                     importer or (SAMPLE_IMPORTER if illustrative else _importer()),
                     first.get("submitted_at"), first.get("submitted_at_source") or "import", illustrative, DOC_COLUMNS, rows)


def _micros(text: str | None) -> int | None:
    return None if text is None else (dt.datetime.fromisoformat(text) - _EPOCH) // _US


def _doc_tuples(doc: ImportDoc) -> Iterator[tuple]:
    """The database rows of one import document, in :data:`_INSERT` order."""
    index = {c: i for i, c in enumerate(doc.columns)}
    fixed = {"ward": doc.ward, "year": doc.year, "source_file": doc.file, "source_sha256": doc.sha256}
    columns = list(zip(*doc.rows)) if doc.rows else [() for _ in doc.columns]
    out = []
    for name in COLUMNS:
        if name in fixed:
            out.append([fixed[name]] * len(doc.rows))
        elif name not in index:
            out.append([None] * len(doc.rows))
        elif name in _TIMES:
            out.append([_micros(v) for v in columns[index[name]]])
        elif name in _BOOLS:
            out.append([None if v is None else int(v) for v in columns[index[name]]])
        else:
            out.append(columns[index[name]])
    return ((doc.sequence, *row) for row in zip(*out))


def _db_row_to_doc(row: tuple) -> list:
    """A database row of :data:`DOC_COLUMNS` as a document row."""
    out = []
    for name, value in zip(DOC_COLUMNS, row):
        if value is not None and name in _TIMES:
            value = (_EPOCH + value * _US).isoformat()
        elif value is not None and name in _BOOLS:
            value = bool(value)
        out.append(value)
    return out


def _rows_to_table(rows: list[tuple]) -> pa.Table:
    """Database rows (in :data:`COLUMNS` order) as an arrow table of the stored types."""
    if not rows:
        return _empty_table()
    arrays = []
    for name, values in zip(COLUMNS, zip(*rows)):
        kind = _ARROW_TYPES[name]
        if name in _TIMES:
            arrays.append(pa.array(values, pa.int64()).cast(kind))
        elif name in _BOOLS:
            arrays.append(pa.array(values, pa.int8()).cast(pa.bool_()))
        else:
            arrays.append(pa.array(values, kind))
    return pa.Table.from_arrays(arrays, schema=_SCHEMA)


def _empty_table() -> pa.Table:
    return _SCHEMA.empty_table()


def _to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_pandas_type)[COLUMNS]


def _empty_frame() -> pd.DataFrame:
    return _to_frame(_empty_table())


def canonical_bytes(table: pa.Table) -> bytes:
    """The records as CSV in :data:`COLUMNS` order and import order: what a snapshot's SHA-256 is taken over."""
    buffer = io.BytesIO()
    pacsv.write_csv(table.select(COLUMNS), buffer)
    return buffer.getvalue()


def records_csv(records: pd.DataFrame) -> bytes:
    """``records`` (a frame of :data:`COLUMNS`) in the stored format: the canonical CSV a snapshot's checksum is taken over."""
    return canonical_bytes(pa.Table.from_pandas(records.reindex(columns=COLUMNS), schema=_SCHEMA, preserve_index=False))


def read_records_csv(data: bytes, name: str) -> pd.DataFrame:
    """Records written by :func:`records_csv`, with the stored types; text NFC-normalized. ``name`` is said on error."""
    try:
        table = _arrow_csv(io.BytesIO(data), include_missing=False)
    except (pa.ArrowInvalid, KeyError) as exc:
        raise StoreError(f"{name}: số liệu không đọc được theo định dạng lưu trữ: {csv_problem(data, exc)}.") from None
    frame = _to_frame(table)
    for column in ("ward", "record", "task", "period", "status", "unit_code", "source_file", "note", "item", "text"):
        frame[column] = frame[column].map(lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v,
                                          na_action="ignore").astype("string")
    return frame


_ARROW_KINDS = {"double": "số", "int64": "số nguyên", "bool": "true hoặc false", "timestamp": "thời điểm (dạng 2026-10-03 "
                "02:00:00.000000Z)", "string": "văn bản UTF-8"}


def csv_problem(data: bytes, exc: Exception) -> str:
    """What pyarrow (English) found wrong in the records CSV ``data``, in Vietnamese: the row, the field, the value."""
    import csv
    import re

    text = str(exc)
    if isinstance(exc, KeyError):
        return f"thiếu cột “{exc.args[0] if exc.args else ''}”"
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", "replace")]), [])
    conversion = re.search(r"column #(\d+): CSV conversion error to (\w+)[^:]*: (?:invalid value '(.*)'|invalid UTF8)", text, re.S)
    if conversion:
        index, kind, value = int(conversion.group(1)), conversion.group(2), conversion.group(3)
        column = header[index] if index < len(header) else f"thứ {index + 1}"
        row = _row_of(data, column, value) if value is not None else None
        where = f"dòng {row}, " if row else ""
        if value is None:
            return f"{where}trường “{column}”: có chữ không phải văn bản UTF-8"
        return f"{where}trường “{column}”: giá trị “{value}” không phải {_ARROW_KINDS.get(kind, kind)}"
    columns = re.search(r"Expected (\d+) columns, got (\d+)", text)
    if columns:
        return f"có dòng {columns.group(2)} cột, trong khi dòng tiêu đề có {columns.group(1)} cột"
    return "tệp CSV sai định dạng (dấu ngoặc kép, dấu phẩy hoặc xuống dòng không đúng chỗ)"


def _row_of(data: bytes, column: str, value: str) -> int | None:
    """The line (header = 1) of the first record whose ``column`` is ``value``, read as text."""
    try:
        table = pacsv.read_csv(io.BytesIO(data), parse_options=pacsv.ParseOptions(newlines_in_values=True),
                               convert_options=pacsv.ConvertOptions(include_columns=[column],
                                                                    column_types={column: pa.string()}))
    except (pa.ArrowInvalid, KeyError):
        return None
    values = table.column(column).to_pylist()
    return values.index(value) + 2 if value in values else None


def _pandas_type(arrow_type: pa.DataType):
    if arrow_type == pa.string():
        return pd.StringDtype()
    if arrow_type == pa.int64():
        return pd.Int64Dtype()
    if arrow_type == pa.bool_():
        return pd.BooleanDtype()
    return None


def _has_store(folder: Path) -> bool:
    return (folder / DB_NAME).exists() or (folder / LEGACY_CSV).is_file() or bool(doc_names(folder / "archive"))


def _check_original(path: Path, doc: ImportDoc, result: RebuildResult) -> None:
    """Compare an archived original with its document's SHA-256; a missing or changed one is reported, not fatal."""
    if not path.is_file():
        result.missing_originals.append(path.name)
        log.warning("%s: bản gốc của lần nhập %d không còn trong kho lưu trữ; số liệu vẫn dựng lại từ hồ sơ lần nhập.",
                    path, doc.sequence)
    elif hashlib.sha256(path.read_bytes()).hexdigest() != doc.sha256:
        result.changed_originals.append(path.name)
        log.warning("%s: bản gốc đã bị thay đổi (SHA-256 khác hồ sơ lần nhập); khôi phục tệp gốc từ bản sao lưu.", path)


# -- stores from before SQLite (records.csv) -------------------------------------------------------
def _legacy_docs(store: ProgressStore, ward: str, year: int, frame: pd.DataFrame,
                 importer: str = f"chuyển từ {LEGACY_CSV}") -> list[ImportDoc]:
    """One import document per imported file of an older records.csv (or a bundle's records), in the order of the file."""
    fallback = frame["source_file"].fillna("") + "@" + frame["imported_at"].astype("string").fillna("")
    key = frame["source_sha256"].fillna(fallback)
    docs = []
    for seq, (value, group) in enumerate(frame.groupby(key, sort=False), start=1):
        sha = value if len(value) == 64 else hashlib.sha256(value.encode()).hexdigest()
        file = group["source_file"].dropna().iloc[0] if group["source_file"].notna().any() else "khong-ro.csv"
        archived_as = store.archive_path(ward, year, sha, file).name
        docs.append(_make_doc(seq, ward, year, archived_as, file, sha, group, importer=importer))
    return docs


def _read_frame(path: Path) -> pd.DataFrame:
    return _to_frame(_read_csv(path))


def _arrow_csv(source: Path | io.BytesIO, include_missing: bool) -> pa.Table:
    """Records in the store's CSV format, with the stored types (``include_missing``: absent columns as nulls)."""
    return pacsv.read_csv(
        source,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=_ARROW_TYPES, include_columns=COLUMNS, include_missing_columns=include_missing,
            strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=False,
            true_values=["true"], false_values=["false"],
        ),
    )


def _read_csv(path: Path) -> pa.Table:
    try:
        table = _arrow_csv(path, include_missing=True)
    except (pa.ArrowInvalid, KeyError) as exc:
        raise StoreError(f"{path}: tệp số liệu không đọc được ({exc}). Khôi phục tệp từ bản sao lưu.") from exc
    return _with_defaults(table, path)


def _with_defaults(table: pa.Table, path: Path) -> pa.Table:
    """Fill the columns an older file lacks (all null) with their defaults."""
    n = table.num_rows
    for name, default in ADDED_COLUMNS.items():
        column = table.column(name)
        if column.null_count != n or n == 0 or default is None and name != "illustrative":
            continue
        if name == "illustrative":  # older stores marked the whole folder
            default = (path.parent / LEGACY_MARKER).exists()
        table = table.set_column(table.schema.get_field_index(name), name,
                                 pa.array([default] * n, type=_ARROW_TYPES[name]))
    return table


def latest(records: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Keep the highest revision of each key; a real record always wins over an illustrative one."""
    if "illustrative" not in records.columns:
        ordered = records.sort_values(keys + ["revision"], kind="stable")
        return ordered.drop_duplicates(keys, keep="last").reset_index(drop=True)
    real = ~records["illustrative"].fillna(False).astype(bool)
    ordered = records.assign(_real=real).sort_values(keys + ["_real", "revision"], kind="stable")
    return ordered.drop_duplicates(keys, keep="last").drop(columns="_real").reset_index(drop=True)


def latest_values(records: pd.DataFrame) -> pd.DataFrame:
    """The latest revision of every indicator value: one row per ward, year, indicator and period."""
    values = latest(records[records["record"] == "indicator"], ["ward", "year", "indicator", "period"])
    return values.drop(columns=["task", "status", "record", "item", "text"])


def latest_tasks(records: pd.DataFrame) -> pd.DataFrame:
    """The latest status of every task: one row per ward, year, task and period."""
    tasks = latest(records[records["record"] == "task"], ["ward", "year", "task", "period"])
    tasks["status_label"] = tasks["status"].map(TASK_STATUSES).astype("string")
    return tasks.drop(columns=["indicator", "value", "is_estimate", "record", "item", "text"])


def latest_texts(records: pd.DataFrame) -> pd.DataFrame:
    """The latest text of every item: one row per ward, year, unit, item, indicator or task, and period.

    A text record (``record == "text"``) carries one of :data:`kehoach.data.texts.ITEMS` in ``item``,
    the unit's words in ``text``, and the indicator or task it concerns (neither for a unit-level item).
    """
    texts = latest(records[records["record"] == "text"], ["ward", "year", "unit_code", "item", "indicator", "task", "period"])
    return texts.drop(columns=["value", "is_estimate", "status", "record"])


def load_progress(ward: str | None = None, year: int | None = None, root: Path | None = None) -> pd.DataFrame:
    """The latest revision of every indicator value in the store (:func:`latest_values`)."""
    return latest_values(ProgressStore(root).read(ward, year))


def load_tasks(ward: str | None = None, year: int | None = None, root: Path | None = None) -> pd.DataFrame:
    """The latest status of every task in the store (:func:`latest_tasks`)."""
    return latest_tasks(ProgressStore(root).read(ward, year))


def history(indicator: int, ward: str | None = None, year: int | None = None, root: Path | None = None) -> pd.DataFrame:
    """Every stored revision of one indicator, oldest first."""
    records = ProgressStore(root).read(ward, year)
    rows = records[(records["record"] == "indicator") & (records["indicator"] == indicator)]
    return rows.sort_values(["ward", "year", "period", "revision"]).reset_index(drop=True).drop(columns=["task", "status", "record"])


def illustrative_mix(ward: str, year: int, store: ProgressStore | None = None) -> str:
    """"none", "all" or "mixed": whether the latest figures of this ward and year are illustrative."""
    records = (store or ProgressStore()).read(ward, year)
    if records.empty:
        return "none"
    current = latest(records, ["ward", "year", "record", "indicator", "task", "period"])
    flags = current["illustrative"].fillna(False).astype(bool)
    return "all" if flags.all() else "mixed" if flags.any() else "none"


def is_illustrative(ward: str, year: int, store: ProgressStore | None = None) -> bool:
    """True when any current figure of this ward and year comes from the illustrative dataset."""
    return illustrative_mix(ward, year, store) != "none"
