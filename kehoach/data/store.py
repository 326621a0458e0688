"""The progress store: append-only CSV records per ward and plan year, with an archive of originals.

Layout under ``data/progress/``::

    <ward>/<year>/records.csv      every revision ever imported (indicators and tasks)
    <ward>/<year>/archive/         each imported file, unchanged, named by its SHA-256

``records.csv`` is only ever appended to, by writing the old bytes plus the new rows to a
temporary file and renaming it over the old one, so a crash, Ctrl-C or SIGTERM leaves either
the old file or the new one, never half of one. An OS lock (``flock``, released by the kernel
when its holder dies) keeps two imports apart; whoever takes it next removes what a killed
import left behind (temporary files, an archived copy whose records were never written).
Two operations rewrite the file instead of appending: :meth:`ProgressStore.remove_illustrative`
(``sample-data --force``) and the one-time upgrade of a file written before the
``illustrative`` and ``submitted_at_source`` columns existed.

The CSV is read with quoted line breaks allowed and only the empty field as missing, so every
note reads back exactly as written (line breaks, quotes, commas, NUL, "NA"; up to
:data:`NOTE_MAX_CHARS` characters, the cap the import enforces). Values are written with
``repr`` precision, so every float reads back identical.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kehoach.core import config
from kehoach.core.errors import StoreError
from kehoach.core.files import atomic_write, exclusive_lock, remove_leftovers

log = logging.getLogger(__name__)


#: The stored columns, in file order. ``illustrative`` (bool) marks a record of the illustrative
#: dataset; ``submitted_at_source`` ("import" or "manual") says whether ``submitted_at`` is the
#: import's own clock or a date the office gave with ``--submitted-at``.
COLUMNS = [
    "ward", "year", "record", "indicator", "task", "period", "revision", "value", "is_estimate",
    "status", "unit_code", "submitted_at", "imported_at", "source_file", "source_sha256", "note",
    "illustrative", "submitted_at_source", "item", "text",
]
#: Columns added after the first release, with the value they take when reading an older file.
ADDED_COLUMNS = {"illustrative": None, "submitted_at_source": "import", "item": None, "text": None}  # illustrative: from the folder marker
SUBMITTED_SOURCES = ("import", "manual")
#: The longest note an import accepts (characters).
NOTE_MAX_CHARS = 2000
#: The marker file an older illustrative store carried (before records were marked one by one).
LEGACY_MARKER = "ILLUSTRATIVE.md"
_ARROW_TYPES = {
    "ward": pa.string(), "year": pa.int64(), "record": pa.string(), "indicator": pa.int64(),
    "task": pa.string(), "period": pa.string(), "revision": pa.int64(), "value": pa.float64(),
    "is_estimate": pa.bool_(), "status": pa.string(), "unit_code": pa.string(),
    "submitted_at": pa.timestamp("us", tz="UTC"), "imported_at": pa.timestamp("us", tz="UTC"),
    "source_file": pa.string(), "source_sha256": pa.string(), "note": pa.string(),
    "illustrative": pa.bool_(), "submitted_at_source": pa.string(), "item": pa.string(), "text": pa.string(),
}
_ARCHIVE_NAME_BYTES = 120  # room for the hash prefix and a temporary name's decorations within 255 bytes
_HEADER = (",".join(COLUMNS) + "\n").encode()

#: Task statuses as stored, with their Vietnamese labels.
TASK_STATUSES = {"not_started": "Chưa triển khai", "in_progress": "Đang thực hiện", "done": "Hoàn thành"}


@dataclass(frozen=True)
class Snapshot:
    """One ward and year's records as read at one moment, with the checksum of exactly what was read."""

    ward: str
    year: int
    records: pd.DataFrame
    sha256: str

    @property
    def key(self) -> str:
        """How a manifest names these records: ``<ward>/<year>``."""
        return f"{self.ward}/{self.year}"


class ProgressStore:
    """Plain-file storage of submitted figures, keyed by ward and plan year."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else config.progress_dir()

    def folder(self, ward: str, year: int) -> Path:
        return self.root / ward / str(year)

    def records_path(self, ward: str, year: int) -> Path:
        return self.folder(ward, year) / "records.csv"

    def archive_path(self, ward: str, year: int, sha256: str, name: str) -> Path:
        """``archive/<sha256[:16]>_<name>``; a long name is shortened (keeping its extension) to fit file-name limits."""
        stem, suffix = Path(name).stem, Path(name).suffix[:10]
        while len(f"{stem}{suffix}".encode()) > _ARCHIVE_NAME_BYTES:
            stem = stem[:-1]
        return self.folder(ward, year) / "archive" / f"{sha256[:16]}_{stem}{suffix}"

    def files(self, ward: str | None = None, year: int | None = None) -> list[Path]:
        pattern = f"{ward or '*'}/{year or '*'}/records.csv"
        return sorted(self.root.glob(pattern))

    # -- reading ---------------------------------------------------------------------
    def read(self, ward: str | None = None, year: int | None = None) -> pd.DataFrame:
        """Every stored revision (indicators and tasks), with proper dtypes."""
        tables = [_read_csv(path) for path in self.files(ward, year) if path.stat().st_size]
        if not tables:
            return _empty_frame()
        table = pa.concat_tables(tables)
        frame = table.to_pandas(types_mapper=_pandas_type)
        return frame[COLUMNS]

    def snapshot(self, ward: str, year: int) -> Snapshot:
        """The records of one ward and year and their SHA-256, both from ONE read of the stored bytes.

        A report certifies its inputs with this checksum: an import landing after the read
        changes the store's checksum (:meth:`checksum`) but not the snapshot's, so the report
        is seen as stale instead of current.
        """
        path = self.records_path(ward, year)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = b""
        records = _read_csv(pa.BufferReader(data), path).to_pandas(types_mapper=_pandas_type)[COLUMNS] if data else _empty_frame()
        return Snapshot(ward, year, records, hashlib.sha256(data).hexdigest())

    def checksum(self, ward: str, year: int) -> str:
        """The SHA-256 of the records of one ward and year as they are now (that of an empty store when none)."""
        path = self.records_path(ward, year)
        return hashlib.sha256(path.read_bytes() if path.exists() else b"").hexdigest()

    # -- writing ---------------------------------------------------------------------
    def append(self, ward: str, year: int, records: pd.DataFrame, original: Path, sha256: str) -> Path:
        """Archive ``original`` and append ``records`` atomically, under the lock. Returns the archive path."""
        with self.lock(ward, year):
            return self.append_locked(ward, year, records, original, sha256)

    def append_locked(self, ward: str, year: int, records: pd.DataFrame, original: Path, sha256: str) -> Path:
        """:meth:`append` for a caller that already holds :meth:`lock` (to read and write as one step)."""
        archived = self.archive_path(ward, year, sha256, original.name)
        if not archived.exists():
            archived.parent.mkdir(exist_ok=True)
            atomic_write(archived, original.read_bytes())
        path = self.records_path(ward, year)
        old = path.read_bytes() if path.exists() else b""
        if old and not old.startswith(_HEADER):  # a file from before the added columns: upgrade it once
            atomic_write(path, _to_csv(pd.concat([_read_frame(path), records], ignore_index=True), header=True))
        else:
            atomic_write(path, old + _to_csv(records, header=not old))
        log.info("stored %d records in %s", len(records), path)
        return archived

    @contextlib.contextmanager
    def lock(self, ward: str, year: int) -> Iterator[None]:
        """Exclusive access to one ward and year's records, for an import's read-check-write.

        Taking it first removes what a killed import left behind (see :meth:`recover`).
        """
        folder = self.folder(ward, year)
        folder.mkdir(parents=True, exist_ok=True)
        lock = folder / ".import.lock"
        busy = StoreError(f"Một lệnh nhập khác đang ghi vào số liệu {ward}/{year}. Chờ lệnh đó xong rồi chạy lại.")
        with exclusive_lock(lock, busy):
            self.recover(ward, year)
            yield

    def recover(self, ward: str, year: int) -> list[Path]:
        """Remove leftovers of a killed writer: temporary files and archived copies no record refers to.

        Call only while holding :meth:`lock`. Returns the removed paths.
        """
        folder = self.folder(ward, year)
        removed = remove_leftovers(folder) + remove_leftovers(folder / "archive")
        archived = sorted((folder / "archive").glob("*")) if (folder / "archive").is_dir() else []
        if archived:
            path = self.records_path(ward, year)
            known = {h[:16] for h in _stored_hashes(path)}
            for item in archived:
                if item.is_file() and item.name[:16] not in known:
                    item.unlink()
                    removed.append(item)
                    log.info("removed %s: archived by an import that did not finish", item)
        return removed

    def remove_illustrative(self, ward: str, year: int) -> int:
        """Drop every illustrative record (and archived files only they refer to); real records stay.

        Rewrites ``records.csv`` atomically, under the lock. Returns the number of records removed.
        """
        with self.lock(ward, year):
            path = self.records_path(ward, year)
            if not path.exists() or not path.stat().st_size:
                return 0
            frame = _read_frame(path)
            keep = frame[~frame["illustrative"].fillna(False).astype(bool)]
            removed = len(frame) - len(keep)
            if removed:
                atomic_write(path, _to_csv(keep, header=True))
                self.recover(ward, year)  # archive copies of illustrative forms are now unreferenced
            legacy = self.folder(ward, year) / LEGACY_MARKER
            legacy.unlink(missing_ok=True)
            log.info("removed %d illustrative records from %s; %d real records kept", removed, path, len(keep))
            return removed


def _pandas_type(arrow_type: pa.DataType):
    if arrow_type == pa.string():
        return pd.StringDtype()
    if arrow_type == pa.int64():
        return pd.Int64Dtype()
    if arrow_type == pa.bool_():
        return pd.BooleanDtype()
    return None


def _stored_hashes(path: Path) -> set[str]:
    """The SHA-256 of every file the records of ``path`` came from (reads that column only)."""
    if not path.exists() or not path.stat().st_size:
        return set()
    try:
        table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=True),
                               convert_options=pacsv.ConvertOptions(include_columns=["source_sha256"],
                                                                    column_types={"source_sha256": pa.string()}))
    except (pa.ArrowInvalid, KeyError) as exc:
        raise StoreError(f"{path}: tệp số liệu không đọc được ({exc}). Khôi phục tệp từ bản sao lưu.") from exc
    return {h for h in table.column("source_sha256").to_pylist() if h}


def _read_frame(path: Path) -> pd.DataFrame:
    return _read_csv(path).to_pandas(types_mapper=_pandas_type)[COLUMNS]


def _empty_frame() -> pd.DataFrame:
    table = pa.table({c: pa.array([], type=t) for c, t in _ARROW_TYPES.items()})
    return table.to_pandas(types_mapper=_pandas_type)[COLUMNS]


def _read_csv(path: Path | pa.BufferReader, name: Path | None = None) -> pa.Table:
    """Parse a records file (``path``, or its bytes already read, then ``name`` is the file they came from)."""
    name = name or path
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=_ARROW_TYPES, include_columns=COLUMNS, include_missing_columns=True,
                strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=False,
                true_values=["true"], false_values=["false"],
            ),
        )
    except (pa.ArrowInvalid, KeyError) as exc:
        raise StoreError(f"{name}: tệp số liệu không đọc được ({exc}). Khôi phục tệp từ bản sao lưu.") from exc
    return _with_defaults(table, name)


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


def _to_csv(records: pd.DataFrame, header: bool) -> bytes:
    frame = records.reindex(columns=COLUMNS).copy()
    for col in ("submitted_at", "imported_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    for col in ("is_estimate", "illustrative"):
        frame[col] = frame[col].map({True: "true", False: "false"})
    frame["illustrative"] = frame["illustrative"].fillna("false")
    frame["submitted_at_source"] = frame["submitted_at_source"].fillna("import")
    frame["value"] = frame["value"].map(lambda v: "" if pd.isna(v) else repr(float(v)))
    lines = [",".join(COLUMNS)] if header else []
    for row in frame.astype(object).itertuples(index=False, name=None):
        lines.append(",".join(_field(v) for v in row))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _field(value: object) -> str:
    """One CSV field: empty for missing; quoted when it holds a comma, quote, CR or LF (the csv module leaves CR bare)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    if any(c in text for c in ',"\r\n') or text != text.strip(" "):
        return '"' + text.replace('"', '""') + '"'
    return text


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
