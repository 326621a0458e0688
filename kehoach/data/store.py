"""The progress store: append-only CSV records per ward and plan year, with an archive of originals.

Layout under ``data/progress/``::

    <ward>/<year>/records.csv      every revision ever imported (indicators and tasks)
    <ward>/<year>/archive/         each imported file, unchanged, named by its SHA-256

``records.csv`` is only ever appended to, by writing the old bytes plus the new rows to a
temporary file and renaming it over the old one, so a crash or Ctrl-C leaves either the old
file or the new one, never half of one. An exclusive lock file keeps two imports apart.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kehoach.core import config
from kehoach.core.errors import StoreError
from kehoach.core.files import atomic_write, exclusive_lock

log = logging.getLogger(__name__)


COLUMNS = [
    "ward", "year", "record", "indicator", "task", "period", "revision", "value", "is_estimate",
    "status", "unit_code", "submitted_at", "imported_at", "source_file", "source_sha256", "note",
]
_ARROW_TYPES = {
    "ward": pa.string(), "year": pa.int64(), "record": pa.string(), "indicator": pa.int64(),
    "task": pa.string(), "period": pa.string(), "revision": pa.int64(), "value": pa.float64(),
    "is_estimate": pa.bool_(), "status": pa.string(), "unit_code": pa.string(),
    "submitted_at": pa.timestamp("us", tz="UTC"), "imported_at": pa.timestamp("us", tz="UTC"),
    "source_file": pa.string(), "source_sha256": pa.string(), "note": pa.string(),
}

#: Task statuses as stored, with their Vietnamese labels.
TASK_STATUSES = {"not_started": "Chưa triển khai", "in_progress": "Đang thực hiện", "done": "Hoàn thành"}


class ProgressStore:
    """Plain-file storage of submitted figures, keyed by ward and plan year."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else config.progress_dir()

    def folder(self, ward: str, year: int) -> Path:
        return self.root / ward / str(year)

    def records_path(self, ward: str, year: int) -> Path:
        return self.folder(ward, year) / "records.csv"

    def archive_path(self, ward: str, year: int, sha256: str, name: str) -> Path:
        return self.folder(ward, year) / "archive" / f"{sha256[:16]}_{name}"

    def files(self, ward: str | None = None, year: int | None = None) -> list[Path]:
        pattern = f"{ward or '*'}/{year or '*'}/records.csv"
        return sorted(self.root.glob(pattern))

    # -- reading ---------------------------------------------------------------------
    def read(self, ward: str | None = None, year: int | None = None) -> pd.DataFrame:
        """Every stored revision (indicators and tasks), with proper dtypes."""
        tables = [_read_csv(path) for path in self.files(ward, year)]
        if not tables:
            return _empty_frame()
        table = pa.concat_tables(tables)
        frame = table.to_pandas(types_mapper=_pandas_type)
        return frame[COLUMNS]

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
        atomic_write(path, old + _to_csv(records, header=not old))
        log.info("stored %d records in %s", len(records), path)
        return archived

    def lock(self, ward: str, year: int) -> contextlib.AbstractContextManager[None]:
        """Exclusive access to one ward and year's records, for an import's read-check-write."""
        self.folder(ward, year).mkdir(parents=True, exist_ok=True)
        lock = self.folder(ward, year) / ".import.lock"
        return exclusive_lock(lock, StoreError(
            f"{lock} exists: another import into {ward}/{year} is running. Wait for it to finish; "
            "if none is running (a crashed import), delete this file and import again."))


def _pandas_type(arrow_type: pa.DataType):
    if arrow_type == pa.string():
        return pd.StringDtype()
    if arrow_type == pa.int64():
        return pd.Int64Dtype()
    if arrow_type == pa.bool_():
        return pd.BooleanDtype()
    return None


def _empty_frame() -> pd.DataFrame:
    table = pa.table({c: pa.array([], type=t) for c, t in _ARROW_TYPES.items()})
    return table.to_pandas(types_mapper=_pandas_type)[COLUMNS]


def _read_csv(path: Path) -> pa.Table:
    try:
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=_ARROW_TYPES, include_columns=COLUMNS, strings_can_be_null=True,
                true_values=["true"], false_values=["false"],
            ),
        )
    except (pa.ArrowInvalid, KeyError) as exc:
        raise StoreError(f"{path}: the store file cannot be read ({exc}). Restore it from backup or git.") from exc


def _to_csv(records: pd.DataFrame, header: bool) -> bytes:
    frame = records.reindex(columns=COLUMNS).copy()
    for col in ("submitted_at", "imported_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    frame["is_estimate"] = frame["is_estimate"].map({True: "true", False: "false"})
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=header, lineterminator="\n", float_format="%.15g")
    return buffer.getvalue().encode("utf-8")


def latest(records: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Keep the highest revision of each key."""
    ordered = records.sort_values(keys + ["revision"], kind="stable")
    return ordered.drop_duplicates(keys, keep="last").reset_index(drop=True)


def latest_values(records: pd.DataFrame) -> pd.DataFrame:
    """The latest revision of every indicator value: one row per ward, year, indicator and period."""
    values = latest(records[records["record"] == "indicator"], ["ward", "year", "indicator", "period"])
    return values.drop(columns=["task", "status", "record"])


def latest_tasks(records: pd.DataFrame) -> pd.DataFrame:
    """The latest status of every task: one row per ward, year, task and period."""
    tasks = latest(records[records["record"] == "task"], ["ward", "year", "task", "period"])
    tasks["status_label"] = tasks["status"].map(TASK_STATUSES).astype("string")
    return tasks.drop(columns=["indicator", "value", "is_estimate", "record"])


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
