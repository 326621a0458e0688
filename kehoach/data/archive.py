"""The archive of a progress store: every imported file, unchanged, with its import beside it.

For each import, ``archive/`` holds two files that are only ever added, never rewritten:

* ``<sha256[:16]>_<name>``: the file the unit sent, byte for byte;
* ``<sha256[:16]>_<name>.import.json``: the import (:class:`ImportDoc`): its sequence number in
  the store, the file's name and SHA-256, when and by whom it was imported, the submission time
  and whether that is the import's clock or a date set by hand, and the records it gave, one per
  line. It is UTF-8 JSON a reviewer can read and diff.

The database (``records.sqlite``) is built from these documents alone (``kehoach store rebuild``),
so it is a cache: deleting it loses nothing. Rebuilding from the documents rather than parsing the
originals again keeps history exact even after the form reader or the plan changed; the originals
stay as the evidence, checked against their SHA-256.

The one exception to "never removed": ``sample-data --force`` removes the illustrative forms it
generated itself, with their documents (:meth:`kehoach.data.store.ProgressStore.remove_illustrative`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from kehoach.core.errors import StoreError
from kehoach.core.files import atomic_write

log = logging.getLogger(__name__)

#: The suffix of an import document, after the archived file's name.
DOC_SUFFIX = ".import.json"
FORMAT = "kehoach-import/1"


@dataclass(frozen=True)
class ImportDoc:
    """One import: its metadata and the records it stored (``columns`` and one list per record)."""

    sequence: int
    ward: str
    year: int
    archived_as: str
    file: str
    sha256: str
    imported_at: str
    importer: str
    submitted_at: str | None
    submitted_at_source: str
    illustrative: bool
    columns: list[str]
    rows: list[list]

    @property
    def name(self) -> str:
        """The document's file name."""
        return self.archived_as + DOC_SUFFIX

    def to_json(self) -> str:
        """The document as text: metadata first, then one record per line (stable, so it diffs well)."""
        head = {k: v for k, v in self.__dict__.items() if k not in ("columns", "rows")}
        lines = [f' "{k}": {json.dumps(v, ensure_ascii=False)},' for k, v in {"format": FORMAT, **head}.items()]
        lines.append(f' "columns": {json.dumps(self.columns, ensure_ascii=False)},')
        rows = ",\n".join("  " + json.dumps(row, ensure_ascii=False, allow_nan=False) for row in self.rows)
        return "{\n" + "\n".join(lines) + '\n "rows": [\n' + rows + "\n ]\n}\n"


def doc_names(archive: Path) -> set[str]:
    """The names of the import documents in ``archive`` (empty if it does not exist)."""
    if not archive.is_dir():
        return set()
    return {p.name for p in archive.iterdir() if p.name.endswith(DOC_SUFFIX) and not p.name.startswith(".")}


def read_doc(path: Path) -> ImportDoc:
    """Read one import document; a damaged one is refused with its name."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("format") != FORMAT:
            raise ValueError("định dạng không được hỗ trợ")
        return ImportDoc(**data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"{path}: hồ sơ lần nhập không đọc được ({exc}). Khôi phục tệp này từ bản sao lưu, "
                         "hoặc chuyển nó ra khỏi thư mục archive rồi chạy `kehoach store rebuild`.") from None


def write_doc(archive: Path, doc: ImportDoc) -> Path:
    """Add ``doc`` to the archive; an existing document is never overwritten."""
    path = archive / doc.name
    if path.exists():
        raise StoreError(f"{path} đã có trong kho lưu trữ; không ghi đè hồ sơ một lần nhập đã lưu.")
    archive.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, doc.to_json())


def add_original(path: Path, data: bytes, sha256: str) -> Path:
    """Archive an imported file's bytes at ``path`` unless it is there already with the same content.

    An archived original is never overwritten: a different file under the same name is refused.
    """
    import hashlib

    if path.exists():
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
            raise StoreError(f"{path} đã có trong kho lưu trữ với nội dung khác; không ghi đè bản gốc đã lưu. "
                             "Đổi tên tệp rồi nhập lại.")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, data)


def orphans(archive: Path) -> list[Path]:
    """Archived originals that no import document describes (left by a killed import, or by an older version)."""
    if not archive.is_dir():
        return []
    names = doc_names(archive)
    return sorted(p for p in archive.iterdir() if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith(DOC_SUFFIX) and p.name + DOC_SUFFIX not in names)
