"""A commune's quarter sent to the province: the bundle, and the province's intake of bundles.

**The bundle** (``<commune>_<period>.zip``, :func:`write_bundle`) holds:

- ``plan.yaml``: the commune's plan, byte for byte (its decision number is in the manifest too);
- ``records.csv``: every stored revision of the plan year's indicators and tasks up to the period;
- ``texts.csv``: every stored revision of the units' words up to the period (same stored format);
- ``completeness.json``: each reporting unit's completeness for the period;
- ``manifest.json``: :class:`BundleManifest` (schema-versioned): commune, period, creation time,
  software version and the SHA-256 and size of every other member.

**The province** (a workspace with ``data/province/province.yaml``: its name, year and communes)
takes bundles with :func:`import_bundles`. Each bundle is checked whole before anything is
written (:func:`read_bundle`: zip limits checked before reading any member, names, manifest,
checksums, then the commune, year, period and contents), and is then all or nothing:

- ``data/province/bundles/<commune>/<period>/<created>_<sha16>.zip``: every accepted (or refused
  as older) bundle, unchanged;
- ``data/province/received.json``: the register (:class:`Register`): every bundle, its revision
  for its commune and period, when it was made and received, and which one the data comes from;
- ``data/plan/<commune>-<year>.yaml`` and ``data/progress/<commune>/<year>/``: the commune's plan
  and store, built only from the bundle of its latest period (the province run reads these).

A new import stages the plan, the store and the register in ``data/province/.staging-<id>/``,
writes a journal (``pending.json``) and then moves them into place; a command killed midway is
completed by the next import, ``province status`` or province run (the journal is the commit
point), and a staging folder without a journal is removed by the next import. Everything happens
under one OS lock (``data/province/.import.lock``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import shutil
import stat
import uuid
import zipfile
import zlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kehoach import __version__
from kehoach.core.errors import KehoachError, StoreError
from kehoach.core.formatting import fmt_number, nfc, nfc_tree
from kehoach.core.files import MAX_YAML_BYTES, atomic_write, exclusive_lock, load_yaml, read_text
from kehoach.core.parameters import reason, validation_summary
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan, parse_plan
from kehoach.data.store import ProgressStore, Snapshot, read_records_csv, records_csv

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FORMAT = "kehoach-bundle"
MANIFEST = "manifest.json"
PLAN = "plan.yaml"
RECORDS = "records.csv"
TEXTS = "texts.csv"
COMPLETENESS = "completeness.json"
#: The members every bundle holds, besides the manifest.
CONTENT = (PLAN, RECORDS, TEXTS, COMPLETENESS)

#: Limits checked from the zip's directory before any member is read.
MAX_BUNDLE_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 16
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 100 * 1024 * 1024
#: A member expanding more than this many times (past :data:`RATIO_FLOOR` bytes) is a zip bomb.
MAX_RATIO = 200
RATIO_FLOOR = 64 * 1024
MAX_MANIFEST_BYTES = 64 * 1024

PROVINCE_DIR = "province"
PROVINCE_LIST = "province.yaml"
REGISTER = "received.json"
JOURNAL = "pending.json"
_CODE = r"^[a-z0-9-]+$"
_PERIOD = r"^\d{4}-Q[1-4]$"
_DRIVE = re.compile(r"^[A-Za-z]:")


class BundleError(KehoachError):
    """A bundle could not be written, or was refused; nothing of it was stored."""


# -- the manifest -----------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Member(_Model):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class BundleManifest(_Model):
    """What a bundle says about itself; every other member is listed with its SHA-256 and size."""

    schema_version: Literal[1] = SCHEMA_VERSION
    format: Literal["kehoach-bundle"] = FORMAT
    commune_code: str = Field(pattern=_CODE)
    commune_name: str
    commune_kind: str
    province: str
    year: int = Field(ge=2000, le=2100)
    period: str = Field(pattern=_PERIOD)
    decision_number: str
    created_at: dt.datetime
    software_version: str
    records: int = Field(ge=0)
    texts: int = Field(ge=0)
    members: dict[str, Member]


@dataclass(frozen=True)
class Bundle:
    """A bundle read and checked in memory (:func:`read_bundle`)."""

    path: Path
    sha256: str
    data: bytes
    manifest: BundleManifest
    plan: Plan
    plan_bytes: bytes
    records: pd.DataFrame   # indicators, tasks and texts together, as the store holds them
    completeness: list[dict]

    @property
    def period(self) -> Period:
        return Period.parse(self.manifest.period)


# -- writing (the commune) ----------------------------------------------------------------------
def bundle_name(ward: str, period: Period) -> str:
    return f"{ward}_{period}.zip"


def write_bundle(plan: Plan, snapshot: Snapshot, period: Period, completeness: pd.DataFrame, output: Path,
                 created_at: dt.datetime | None = None) -> BundleManifest:
    """Write the bundle of ``plan``'s commune for ``period`` to ``output`` (atomically) and return its manifest.

    ``snapshot`` is the commune's store for the plan year as one read saw it; the records of periods up to
    ``period`` go in, every revision. ``completeness`` is the units' completeness for the period
    (:func:`kehoach.analysis.completeness.completeness`).
    """
    if period.year != plan.year:
        raise BundleError(f"Kỳ {period} không thuộc năm kế hoạch {plan.year} của {plan.title_place}; gửi tỉnh các quý "
                          f"năm {plan.year}. Kiểm tra lại --period.")
    if plan.source is None or not Path(plan.source).is_file():
        raise BundleError(f"Không tìm thấy tệp kế hoạch của {plan.title_place} để đóng gói; kiểm tra data/plan/.")
    created_at = (created_at or dt.datetime.now(VN_TZ)).replace(microsecond=0)
    records = snapshot.records
    records = records[records["period"] <= str(period)]
    texts = records[records["record"] == "text"]
    others = records[records["record"] != "text"]
    parts = {
        PLAN: Path(plan.source).read_bytes(),
        RECORDS: records_csv(others),
        TEXTS: records_csv(texts),
        COMPLETENESS: _completeness_json(completeness, texts, period),
    }
    doc = plan.document
    manifest = BundleManifest(
        commune_code=plan.ward, commune_name=doc.ward, commune_kind=doc.ward_kind, province=doc.province, year=plan.year,
        period=str(period), decision_number=doc.decision_number, created_at=created_at, software_version=__version__,
        records=len(others), texts=len(texts),
        members={name: Member(sha256=hashlib.sha256(data).hexdigest(), size=len(data)) for name, data in parts.items()})
    buffer = io.BytesIO()
    stamp = created_at.astimezone(VN_TZ).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [(MANIFEST, manifest.model_dump_json(indent=2).encode("utf-8")), *parts.items()]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, data)
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(output, buffer.getvalue())
    log.info("wrote bundle %s (%d records, %d texts)", output, len(others), len(texts))
    return manifest


def _completeness_json(table: pd.DataFrame, texts: pd.DataFrame, period: Period) -> bytes:
    """The units' completeness for ``period`` (and how many text items each sent) as JSON."""
    sent = texts[texts["period"] == str(period)].groupby("unit_code")["item"].count().to_dict() if len(texts) else {}
    rows = []
    for r in table.itertuples():
        first = r.first_submitted_at
        rows.append({"unit_code": r.unit_code, "unit_name": r.unit_name, "due": int(r.due), "submitted": int(r.submitted),
                     "missing": [int(n) for n in r.missing], "timeliness": r.timeliness,
                     "first_submitted_at": None if pd.isna(first) else pd.Timestamp(first).isoformat(),
                     "deadline": str(r.deadline), "complete": bool(r.complete), "texts": int(sent.get(r.unit_code, 0))})
    return json.dumps({"period": str(period), "units": rows}, ensure_ascii=False, indent=1).encode("utf-8")


# -- reading and checking (the province) ------------------------------------------------------------
def _refuse(path: Path, message: str) -> BundleError:
    return BundleError(f"Gói {path.name} bị từ chối, không có gì được ghi vào kho của tỉnh: {message}")


def _unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe to have in a bundle, or None."""
    if "\\" in name:
        return "có dấu gạch chéo ngược (\\)"
    if name.startswith("/") or _DRIVE.match(name):
        return "là đường dẫn tuyệt đối"
    if any(part == ".." for part in name.split("/")):
        return "có “..” (trỏ ra ngoài thư mục)"
    if "\x00" in name or any(ord(c) < 32 for c in name):
        return "có ký tự điều khiển"
    return None


def _check_directory(path: Path, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Limits and names, from the zip's directory alone (nothing is decompressed yet)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(path, f"có {len(infos)} tệp bên trong, quá giới hạn {MAX_MEMBERS}. Gói hợp lệ chỉ có "
                            f"{len(CONTENT) + 1} tệp; đề nghị xã, phường tạo lại gói bằng `kehoach bundle`.")
    total = 0
    for info in infos:
        why = _unsafe_name(info.filename)
        if why:
            raise _refuse(path, f"tên tệp bên trong “{info.filename}” {why}; gói có thể bị làm giả. "
                                "Không dùng gói này; đề nghị xã, phường tạo lại gói bằng `kehoach bundle`.")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode) or info.is_dir():
            raise _refuse(path, f"“{info.filename}” là liên kết hoặc thư mục, không phải tệp; gói có thể bị làm giả. "
                                "Đề nghị xã, phường tạo lại gói bằng `kehoach bundle`.")
        if info.flag_bits & 0x1:
            raise _refuse(path, f"“{info.filename}” được mã hóa bằng mật khẩu; gói của kehoach không đặt mật khẩu.")
        total += info.file_size
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise _refuse(path, f"nội dung giải nén quá lớn (“{info.filename}”: {fmt_number(info.file_size)} byte; giới hạn "
                                f"{fmt_number(MAX_MEMBER_BYTES)} byte mỗi tệp, {fmt_number(MAX_TOTAL_BYTES)} byte cả gói). Có thể là “bom zip”; "
                                "không mở gói này.")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(path, f"“{info.filename}” nén {fmt_number(round(info.file_size / max(info.compress_size, 1)))} lần (giới hạn "
                                f"{MAX_RATIO} lần): có thể là “bom zip”; không mở gói này.")
    names = [i.filename for i in infos]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _refuse(path, f"tệp “{duplicated[0]}” xuất hiện hai lần; gói có thể bị làm giả.")
    return {i.filename: i for i in infos}


def _read_member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with zf.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError):
        raise _refuse(path, f"tệp “{info.filename}” bên trong bị hỏng (không giải nén được, hoặc sai mã kiểm tra CRC); "
                            "gói bị cắt cụt hoặc bị sửa. "
                            "Đề nghị xã, phường gửi lại gói.") from None
    if len(data) != info.file_size:
        raise _refuse(path, f"tệp “{info.filename}” dài khác với khai báo trong gói; gói bị sửa. Đề nghị xã, phường gửi lại gói.")
    return data


def _manifest(path: Path, data: bytes) -> BundleManifest:
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"{MANIFEST} không phải văn bản UTF-8 (byte lỗi ở vị trí {exc.start}). Đề nghị xã, phường tạo "
                            "lại gói.") from None
    except json.JSONDecodeError as exc:
        raise _refuse(path, f"{MANIFEST} không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno}). Đề nghị xã, phường "
                            "tạo lại gói.") from None
    if not isinstance(raw, dict):
        raise _refuse(path, f"{MANIFEST} phải là một bảng JSON. Đề nghị xã, phường tạo lại gói.")
    version = raw.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise _refuse(path, f"{MANIFEST} theo phiên bản định dạng {version}, mới hơn phiên bản {SCHEMA_VERSION} mà kehoach "
                            f"{__version__} đọc được. Cập nhật kehoach của tỉnh rồi nhập lại.")
    try:
        return BundleManifest.model_validate(nfc_tree(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(gốc)"
        raise _refuse(path, f"{MANIFEST}, trường “{where}”: {reason(first)} ({len(exc.errors())} lỗi). "
                            "Đề nghị xã, phường tạo lại gói bằng `kehoach bundle`.") from None


def read_bundle(path: Path) -> Bundle:
    """Read ``path`` and check it whole: limits, names, manifest, checksums, then the contents agree with the manifest.

    Raises :class:`BundleError` naming the file, the member and the field; nothing is extracted to disk.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise _refuse(path, f"{path} là một thư mục, không phải tệp gói .zip; chỉ rõ từng tệp gói (ví dụ {path}/*.zip).")
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise _refuse(path, f"tệp nặng {fmt_number(size)} byte, quá giới hạn {fmt_number(MAX_BUNDLE_BYTES)} byte của "
                                "một gói.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise _refuse(path, f"không có tệp {path}; kiểm tra đường dẫn và tên tệp.") from None
    except PermissionError:
        raise _refuse(path, f"không có quyền đọc tệp {path}; kiểm tra quyền của tệp.") from None
    except OSError as exc:
        raise _refuse(path, f"không đọc được tệp {path} (lỗi hệ thống số {exc.errno}); kiểm tra đường dẫn, ổ đĩa.") from None
    sha = hashlib.sha256(data).hexdigest()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse(path, "không phải tệp zip hoặc đã bị cắt cụt (tải về chưa hết?). Tải lại hoặc đề nghị xã, phường "
                            "gửi lại gói.") from None
    with zf:
        infos = _check_directory(path, zf)
        if MANIFEST not in infos:
            raise _refuse(path, f"thiếu {MANIFEST}; đây không phải gói do `kehoach bundle` tạo.")
        if infos[MANIFEST].file_size > MAX_MANIFEST_BYTES:
            raise _refuse(path, f"{MANIFEST} quá lớn ({fmt_number(infos[MANIFEST].file_size)} byte, giới hạn "
                                f"{fmt_number(MAX_MANIFEST_BYTES)} byte). Đề nghị xã, phường tạo lại gói.")
        manifest = _manifest(path, _read_member(path, zf, infos[MANIFEST]))
        listed, present = set(manifest.members), set(infos) - {MANIFEST}
        for name in CONTENT:
            if name not in listed:
                raise _refuse(path, f"{MANIFEST} không liệt kê tệp “{name}”. Đề nghị xã, phường tạo lại gói.")
            if name not in present:
                raise _refuse(path, f"thiếu tệp “{name}” mà {MANIFEST} liệt kê; gói không đầy đủ. Đề nghị xã, phường gửi lại gói.")
        extra = sorted((listed | present) - set(CONTENT))
        if extra:
            raise _refuse(path, f"có tệp lạ “{extra[0]}” không thuộc định dạng gói. Đề nghị xã, phường tạo lại gói.")
        members = {}
        for name in CONTENT:
            member = _read_member(path, zf, infos[name])
            expected = manifest.members[name]
            if len(member) != expected.size or hashlib.sha256(member).hexdigest() != expected.sha256:
                raise _refuse(path, f"tệp “{name}” không khớp mã SHA-256 ghi trong {MANIFEST}: gói đã bị sửa sau khi tạo "
                                    "hoặc bị hỏng khi truyền. Đề nghị xã, phường gửi lại gói.")
            members[name] = member
    return _contents(path, sha, data, manifest, members)


def _contents(path: Path, sha: str, data: bytes, m: BundleManifest, members: dict[str, bytes]) -> Bundle:
    """The members agree with each other and with the manifest."""
    period = Period.parse(m.period)
    if period.year != m.year:
        raise _refuse(path, f"{MANIFEST}: kỳ {m.period} không thuộc năm kế hoạch {m.year}.")
    try:
        text = nfc(members[PLAN].decode("utf-8-sig"))
        plan = parse_plan(text, f"{path.name}/{PLAN}")
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"{PLAN} không phải văn bản UTF-8 (byte lỗi ở vị trí {exc.start}). Đề nghị xã, phường tạo lại "
                            "gói.") from None
    except KehoachError as exc:
        raise _refuse(path, f"kế hoạch trong gói không hợp lệ: {exc}") from None
    if (plan.ward, plan.year, plan.document.decision_number) != (m.commune_code, m.year, m.decision_number):
        raise _refuse(path, f"{PLAN} là kế hoạch {plan.ward} năm {plan.year} ({plan.document.decision_number}), còn "
                            f"{MANIFEST} ghi {m.commune_code} năm {m.year} ({m.decision_number}).")
    frames = []
    for name, kinds, count in ((RECORDS, {"indicator", "task"}, m.records), (TEXTS, {"text"}, m.texts)):
        try:
            frame = read_records_csv(members[name], f"{path.name}/{name}")
        except KehoachError as exc:
            raise _refuse(path, f"{exc} Đề nghị xã, phường lập lại gói bằng `kehoach bundle`.") from None
        bad = _bad_records(frame, m, plan, kinds)
        if bad:
            raise _refuse(path, f"{name} {bad}; đề nghị xã, phường lập lại gói bằng `kehoach bundle`.")
        if len(frame) != count:
            raise _refuse(path, f"{name} có {len(frame)} bản ghi, {MANIFEST} ghi {count}.")
        frames.append(frame)
    try:
        completeness = json.loads(members[COMPLETENESS].decode("utf-8"))
        if not isinstance(completeness, dict):
            raise ValueError("phải là một bảng JSON có các trường period và units")
        units = completeness["units"]
        if not isinstance(units, list):
            raise ValueError("trường “units” phải là một danh sách")
        if completeness["period"] != m.period:
            raise ValueError(f"trường “period”: kỳ {completeness['period']} khác kỳ của gói {m.period}")
    except UnicodeDecodeError:
        raise _refuse(path, f"{COMPLETENESS} không phải văn bản UTF-8; đề nghị xã, phường lập lại gói.") from None
    except json.JSONDecodeError as exc:
        raise _refuse(path, f"{COMPLETENESS} không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno}); đề nghị xã, "
                            "phường lập lại gói.") from None
    except KeyError as exc:
        raise _refuse(path, f"{COMPLETENESS} thiếu trường “{exc.args[0]}”; đề nghị xã, phường lập lại gói.") from None
    except ValueError as exc:  # the messages raised just above
        raise _refuse(path, f"{COMPLETENESS}: {exc}; đề nghị xã, phường lập lại gói.") from None
    bad = _bad_completeness(units, plan)
    if bad:
        raise _refuse(path, f"{COMPLETENESS} {bad}; đề nghị xã, phường lập lại gói bằng `kehoach bundle`.")
    return Bundle(path, sha, data, m, plan, members[PLAN], pd.concat(frames, ignore_index=True), nfc_tree(units))


def _bad_completeness(units: list, plan: Plan) -> str | None:
    """The first completeness entry (``mục N, trường “…”: …``) that is not a unit of the plan with sane counts, or None."""
    codes = {u.code for u in plan.units}
    for n, entry in enumerate(units, start=1):
        if not isinstance(entry, dict):
            return f"mục {n}: phải là một bảng JSON"
        code = entry.get("unit_code")
        if code not in codes:
            return f"mục {n}, trường “unit_code” (“{code}”): đơn vị không có trong kế hoạch {plan.document.decision_number} của gói"
        for field in ("due", "submitted", "texts"):
            value = entry.get(field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return f"mục {n} (đơn vị {code}), trường “{field}” (“{value}”): phải là số nguyên không âm"
        if entry["submitted"] > entry["due"]:
            return (f"mục {n} (đơn vị {code}), trường “submitted” ({entry['submitted']}): nhiều hơn số chỉ tiêu, nhiệm vụ "
                    f"phải báo cáo (“due”: {entry['due']})")
        missing = entry.get("missing")
        if not isinstance(missing, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in missing):
            return f"mục {n} (đơn vị {code}), trường “missing”: phải là danh sách số thứ tự chỉ tiêu"
        if not isinstance(entry.get("complete"), bool):
            return f"mục {n} (đơn vị {code}), trường “complete” (“{entry.get('complete')}”): phải là true hoặc false"
    return None


#: The columns that make a record one revision of one key (the store's unique index).
_RECORD_KEY = ["ward", "year", "record", "indicator", "task", "unit_code", "item", "period", "revision"]


def _bad_records(frame: pd.DataFrame, m: BundleManifest, plan: Plan, kinds: set[str]) -> str | None:
    """The first record (``dòng N, trường “…”: …``) that contradicts the manifest or the bundle's own plan, or None.

    Checksums only show a member was not damaged; these show its contents can be what the plan allows.
    """
    if frame.empty:
        return None
    numbers = {i.number for i in plan.indicator_list}
    tasks = {t.id for t in plan.tasks}
    units = {u.code for u in plan.units}
    period = frame["period"].astype("string")
    valid = period.str.fullmatch(_PERIOD[1:-1]).fillna(False).astype(bool)
    year = pd.to_numeric(period.str[:4], errors="coerce")
    is_text = frame["record"] == "text"
    key = frame[_RECORD_KEY].copy()
    key.loc[~is_text.fillna(False).astype(bool), "unit_code"] = pd.NA  # the store keys texts by unit, figures not
    duplicated = key.astype("string").fillna("").duplicated(keep="first")
    checks = [
        (frame["ward"] != m.commune_code, "ward", f"bản ghi của địa bàn khác {m.commune_code}"),
        (frame["year"] != m.year, "year", f"bản ghi của năm kế hoạch khác {m.year}"),
        (~frame["record"].isin(list(kinds)), "record", f"loại bản ghi không phải {', '.join(sorted(kinds))}"),
        (~valid, "period", "kỳ không đúng dạng NĂM-Qn"),
        (valid & ~year.isin([m.year, m.year - 1]), "period",
         f"kỳ nằm ngoài năm kế hoạch {m.year} (và năm {m.year - 1} để so sánh)"),
        (valid & (period > m.period), "period", f"kỳ sau kỳ {m.period} của gói"),
        ((frame["record"] == "indicator") & ~frame["indicator"].isin(list(numbers)), "indicator",
         f"chỉ tiêu không có trong kế hoạch {plan.document.decision_number} của gói"),
        ((frame["record"] == "task") & ~frame["task"].isin(list(tasks)), "task",
         f"nhiệm vụ không có trong kế hoạch {plan.document.decision_number} của gói"),
        (frame["unit_code"].notna() & ~frame["unit_code"].isin(list(units)), "unit_code",
         f"đơn vị không có trong kế hoạch {plan.document.decision_number} của gói"),
        (is_text & frame["unit_code"].isna(), "unit_code", "nội dung báo cáo thiếu mã đơn vị"),
        (frame["revision"].isna() | (frame["revision"] < 1), "revision", "thiếu lần sửa hoặc lần sửa nhỏ hơn 1"),
        (frame["submitted_at"].isna(), "submitted_at", "thiếu thời điểm gửi"),
        (pd.Series(duplicated, index=frame.index), "revision", "trùng"),
    ]
    for mask, column, message in checks:
        mask = pd.Series(mask, index=frame.index).fillna(True).astype(bool)
        if mask.any():
            row = int(mask.to_numpy().argmax())
            value = frame[column].iloc[row]
            shown = "trống" if pd.isna(value) else f"“{value}”"
            if message == "trùng":
                first = int((key.astype("string").fillna("") == key.astype("string").fillna("").iloc[row]).all(axis=1)
                            .to_numpy().argmax())
                return (f"dòng {row + 2}: trùng dòng {first + 2} (cùng bản ghi, cùng kỳ {period.iloc[row]} và lần sửa "
                        f"{value}); kho chỉ giữ một bản ghi cho mỗi lần sửa")
            return f"dòng {row + 2}, trường “{column}” ({shown}): {message}"
    return None


# -- the province: its list of communes, its register ---------------------------------------------
class CommuneEntry(_Model):
    code: str = Field(pattern=_CODE)
    name: str
    kind: str = "xã"


class ProvinceList(_Model):
    """``data/province/province.yaml``: the province, the plan year it collects and its communes."""

    province: str
    year: int = Field(ge=2000, le=2100)
    communes: list[CommuneEntry]

    def commune(self, code: str) -> CommuneEntry | None:
        return next((c for c in self.communes if c.code == code), None)


class Received(_Model):
    """One bundle the province received."""

    commune: str
    period: str
    year: int
    revision: int | None = None           # the n-th accepted bundle of the commune for the period
    status: Literal["active", "superseded", "refused"]
    forced: bool = False
    sha256: str
    plan_sha256: str
    decision_number: str
    created_at: dt.datetime
    received_at: dt.datetime
    archived_as: str
    software_version: str
    records: int
    texts: int
    completeness: list[dict]


class Register(_Model):
    """``data/province/received.json``: every bundle received, and the bundle each commune's data comes from."""

    schema_version: Literal[1] = 1
    bundles: list[Received] = []
    data_from: dict[str, str] = {}   # commune -> sha256 of the bundle its plan and store were built from

    def accepted(self, commune: str, period: str) -> list[Received]:
        return [b for b in self.bundles if b.commune == commune and b.period == period and b.status != "refused"]

    def active(self, commune: str, period: str) -> Received | None:
        return next((b for b in self.bundles if b.commune == commune and b.period == period and b.status == "active"), None)

    def by_sha(self, sha: str) -> Received | None:
        return next((b for b in self.bundles if b.sha256 == sha and b.status != "refused"), None)


def province_dir(data_dir: Path) -> Path:
    return Path(data_dir) / PROVINCE_DIR


def is_province(data_dir: Path) -> bool:
    """Whether ``data_dir`` is a province's (it has ``province/province.yaml``)."""
    return (province_dir(data_dir) / PROVINCE_LIST).is_file()


def load_province_list(data_dir: Path) -> ProvinceList:
    path = province_dir(data_dir) / PROVINCE_LIST
    if not path.is_file():
        raise BundleError(f"{path}: không có danh sách xã, phường của tỉnh. Đây không phải không gian làm việc của tỉnh; "
                          "tạo tệp này (province, year, communes: code, name, kind) hoặc chọn --root của tỉnh.")
    raw = load_yaml(read_text(path, "danh sách xã, phường", MAX_YAML_BYTES), str(path), BundleError)
    try:
        return ProvinceList.model_validate(nfc_tree(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BundleError(f"{path}, trường “{'.'.join(str(x) for x in first['loc'])}”: {reason(first)}. Sửa tệp rồi chạy lại.") from None


def write_province_list(data_dir: Path, plist: ProvinceList) -> Path:
    folder = province_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    text = ("# Danh sách xã, phường của tỉnh: chỉ nhận gói số liệu (kehoach province import) của các mã có ở đây.\n"
            + yaml.safe_dump(plist.model_dump(), allow_unicode=True, sort_keys=False, width=120))
    return atomic_write(folder / PROVINCE_LIST, text)


def read_register(data_dir: Path) -> Register:
    path = province_dir(data_dir) / REGISTER
    if not path.exists():
        return Register()
    try:
        return Register.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise BundleError(f"{path}: sổ nhận gói không đọc được ({validation_summary(exc)}). Khôi phục tệp từ bản sao lưu.") from None


# -- importing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportOutcome:
    """What :func:`import_bundles` did with one bundle."""

    path: Path
    commune: str
    period: str
    outcome: Literal["imported", "unchanged", "stored"]   # stored: archived, data of a later period kept
    revision: int
    archived: Path
    commune_name: str = ""          # "phường Phan Đình Phùng"
    reused: int | None = None       # the revision this same bundle had before, when it is made active again

    def summary(self) -> str:
        again = f" (gói này đã nhận trước đây là lần {self.reused}, nay dùng lại)" if self.reused else ""
        what = {"imported": f"đã nhập, lần {self.revision}{again}",
                "unchanged": f"đã nhập trước đây và đang được dùng (lần {self.revision}), không thay đổi gì",
                "stored": f"đã lưu (lần {self.revision}{again}); số liệu của kỳ sau đã nhận được giữ nguyên"}[self.outcome]
        who = f"{self.commune_name} ({self.commune})" if self.commune_name else self.commune
        return f"{self.path.name}: {who} kỳ {self.period} — {what}"


def import_bundles(data_dir: Path, paths: list[Path], force: bool = False,
                   now: dt.datetime | None = None) -> tuple[list[ImportOutcome], list[tuple[Path, KehoachError]]]:
    """Import each bundle on its own, all or nothing; returns the outcomes and the bundles refused (with why).

    The province's list is read first (a workspace without one is said once, raised); then every path is
    tried, whatever happened to the others.
    """
    load_province_list(data_dir)
    done, refused = [], []
    for path in paths:
        try:
            done.append(import_bundle(data_dir, Path(path), force=force, now=now))
        except KehoachError as exc:
            refused.append((Path(path), exc))
    return done, refused


def import_bundle(data_dir: Path, path: Path, force: bool = False, now: dt.datetime | None = None) -> ImportOutcome:
    """Check one bundle whole, then store it (see the module's docstring). Raises :class:`BundleError`."""
    data_dir = Path(data_dir)
    plist = load_province_list(data_dir)
    bundle = read_bundle(path)
    m = bundle.manifest
    if plist.commune(m.commune_code) is None:
        raise _refuse(path, f"xã, phường “{m.commune_code}” ({m.commune_kind} {m.commune_name}) không có trong danh sách "
                            f"của tỉnh {plist.province} ({province_dir(data_dir) / PROVINCE_LIST}). Kiểm tra gói có đúng "
                            "của tỉnh mình không, hoặc bổ sung xã, phường đó vào danh sách.")
    if m.year != plist.year:
        raise _refuse(path, f"gói là số liệu năm kế hoạch {m.year} (kỳ {m.period}), còn tỉnh đang tổng hợp năm {plist.year}. "
                            "Đề nghị xã, phường gửi gói của năm đúng.")
    now = (now or dt.datetime.now(VN_TZ)).replace(microsecond=0)
    with _import_lock(data_dir):
        recover(data_dir)
        journal, outcome = _stage(data_dir, bundle, force, now)
        if journal is not None:
            _apply(data_dir, journal)
            log.info("imported bundle %s: %s %s revision %d", bundle.path, outcome.commune, outcome.period, outcome.revision)
        return outcome


def _import_lock(data_dir: Path) -> AbstractContextManager[None]:
    folder = province_dir(data_dir)
    busy = BundleError(f"Một lệnh khác đang nhập gói vào {folder}. Chờ lệnh đó xong rồi chạy lại.")
    return exclusive_lock(folder / ".import.lock", busy)


def finish_pending_import(data_dir: Path) -> bool:
    """Finish an import killed after its journal was written (under the import lock); whether there was one.

    ``province status`` and the province run call it first, so that they never see a commune's
    store moved aside or an import half done. A staging folder without a journal was never
    committed: the data in place is the data, and the next import removes the folder.
    """
    if not (province_dir(data_dir) / JOURNAL).exists():
        return False
    with _import_lock(data_dir):
        recover(data_dir)
    return True


def _stage(data_dir: Path, bundle: Bundle, force: bool, now: dt.datetime) -> tuple[dict | None, ImportOutcome]:
    """Everything of an import up to its commit point (the journal written); the journal to apply (None: nothing to move)."""
    m = bundle.manifest
    folder = province_dir(data_dir)
    register = read_register(data_dir)
    name = f"{m.commune_kind} {m.commune_name}"
    archived = folder / "bundles" / m.commune_code / m.period / f"{m.created_at.astimezone(VN_TZ):%Y%m%dT%H%M%S}_{bundle.sha256[:16]}.zip"
    in_use = next((b for b in register.bundles if b.sha256 == bundle.sha256 and b.status == "active"), None)
    if in_use is not None:  # the bundle in use, again: nothing to do
        return None, ImportOutcome(bundle.path, m.commune_code, m.period, "unchanged", in_use.revision or 0, archived, name)
    # a bundle accepted before and since superseded is taken like a new one (newer than the active one, or --force)
    before = register.by_sha(bundle.sha256)
    entry = dict(commune=m.commune_code, period=m.period, year=m.year, sha256=bundle.sha256,
                 plan_sha256=m.members[PLAN].sha256, decision_number=m.decision_number, created_at=m.created_at,
                 received_at=now, archived_as=str(archived.relative_to(folder)), software_version=m.software_version,
                 records=m.records, texts=m.texts, completeness=bundle.completeness)
    current = register.active(m.commune_code, m.period)
    if current is not None and m.created_at <= current.created_at and not force:
        _archive(archived, bundle.data)
        refused = Received(status="refused", **entry)
        _write_register(data_dir, register.model_copy(update={"bundles": [*register.bundles, refused]}))
        raise BundleError(
            f"Gói {bundle.path.name} bị từ chối: gói tạo lúc {_when(m.created_at)}, cũ hơn (hoặc cùng lúc với) gói đang dùng "
            f"của {m.commune_code} kỳ {m.period} (lần {current.revision}, tạo lúc {_when(current.created_at)}). Số liệu "
            f"của tỉnh không đổi; bản gốc đã lưu tại {archived}. Nếu đúng là muốn dùng gói này, nhập lại với --force.")
    revision = len(register.accepted(m.commune_code, m.period)) + 1
    bundles = [b.model_copy(update={"status": "superseded"}) if b is current else b for b in register.bundles]
    bundles.append(Received(status="active", revision=revision, forced=current is not None and m.created_at <= current.created_at,
                            **entry))
    latest = max([Period.parse(b.period) for b in bundles if b.commune == m.commune_code and b.status == "active"])
    replace = latest == bundle.period
    data_from = {**register.data_from, m.commune_code: bundle.sha256} if replace else register.data_from
    new_register = register.model_copy(update={"bundles": bundles, "data_from": data_from})
    staging = folder / f".staging-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        if replace:
            atomic_write(staging / PLAN, bundle.plan_bytes)
            store = ProgressStore(staging / "progress")
            try:
                store.load_records(m.commune_code, m.year, bundle.records, f"gói {archived.name}")
            except StoreError as exc:  # read_bundle checks what the store refuses; this is the last guard
                raise _refuse(bundle.path, f"số liệu trong gói không dựng được kho của {m.commune_code}: "
                                           f"{str(exc).replace(str(staging), '')}. Đề nghị xã, phường lập lại gói.") from None
        _archive(archived, bundle.data)  # unregistered until the journal: an import killed now leaves it, harmless
        atomic_write(staging / REGISTER, new_register.model_dump_json(indent=1))
        journal = {"staging": staging.name, "commune": m.commune_code, "year": m.year, "replace": replace}
        atomic_write(folder / JOURNAL, json.dumps(journal))  # the commit point
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return journal, ImportOutcome(bundle.path, m.commune_code, m.period, "imported" if replace else "stored", revision,
                                  archived, name, before.revision if before is not None else None)


def _archive(archived: Path, data: bytes) -> None:
    archived.parent.mkdir(parents=True, exist_ok=True)
    if not archived.exists():
        atomic_write(archived, data)


def _when(moment: dt.datetime) -> str:
    return f"{moment.astimezone(VN_TZ):%H:%M %d/%m/%Y}"


def _write_register(data_dir: Path, register: Register) -> None:
    atomic_write(province_dir(data_dir) / REGISTER, register.model_dump_json(indent=1))


def _apply(data_dir: Path, journal: dict) -> None:
    """Move a staged import into place; each step can be done again, so a killed move is finished by :func:`recover`."""
    folder = province_dir(data_dir)
    staging = folder / journal["staging"]
    commune, year = journal["commune"], int(journal["year"])
    if journal["replace"]:
        staged = staging / "progress" / commune / str(year)
        target = ProgressStore(data_dir / "progress").folder(commune, year)
        if staged.exists():
            if target.exists():
                target.rename(staging / "replaced")
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.rename(target)
        if (staging / PLAN).exists():
            (data_dir / "plan").mkdir(parents=True, exist_ok=True)
            os.replace(staging / PLAN, data_dir / "plan" / f"{commune}-{year}.yaml")
    if (staging / REGISTER).exists():
        os.replace(staging / REGISTER, folder / REGISTER)
    (folder / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def recover(data_dir: Path) -> None:
    """Finish an import whose journal was written, drop staging folders of imports that never reached it.

    Call only while holding the province's import lock.
    """
    folder = province_dir(data_dir)
    journal = folder / JOURNAL
    if journal.exists():
        log.warning("%s: hoàn tất lần nhập gói bị dừng giữa chừng.", journal)
        _apply(data_dir, json.loads(journal.read_text(encoding="utf-8")))
    for leftover in folder.glob(".staging-*"):
        log.info("removing unfinished import %s", leftover)
        shutil.rmtree(leftover, ignore_errors=True)


# -- status ------------------------------------------------------------------------------------------
STATUS_COLUMNS = ["commune", "commune_name", "commune_kind", "arrived", "received_at", "created_at", "revision",
                  "forced", "units", "units_complete", "units_on_time", "late", "state"]


def bundle_deadline(params: object) -> dt.date:
    """By when communes send their bundle: the parameters' ``bundle_deadline``, else their ``deadline``."""
    value = getattr(params, "bundle_deadline", None) or (params.model_extra or {}).get("bundle_deadline")
    if value in (None, ""):
        return params.deadline
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BundleError(f"Tham số bundle_deadline “{value}” của kỳ {params.period} không phải ngày (viết 2026-10-08).") from None


def status_deadline(period: Period, parameters_dir: Path) -> tuple[dt.date, str]:
    """The bundle deadline of ``period`` and where it comes from, said in Vietnamese (for ``province status``).

    From ``parameters/<period>.yaml``: its ``bundle_deadline``, else its ``deadline``; without that file, the
    default deadline (5 days after the quarter), and that the file is missing.
    """
    from kehoach.core.parameters import default_parameters, load_parameters

    path = Path(parameters_dir) / f"{period}.yaml"
    if not path.exists():
        deadline = default_parameters(period).deadline
        return deadline, (f"chưa có tệp {path}, nên dùng hạn mặc định {deadline:%d/%m/%Y} (5 ngày sau khi hết quý). Tạo tệp "
                          "đó (period, deadline, bundle_deadline) để đặt hạn gửi gói của tỉnh")
    params = load_parameters(period, Path(parameters_dir))
    given = getattr(params, "bundle_deadline", None) or (params.model_extra or {}).get("bundle_deadline")
    deadline = bundle_deadline(params)
    field = "bundle_deadline" if given not in (None, "") else "deadline (tệp không có bundle_deadline)"
    return deadline, f"hạn gửi {deadline:%d/%m/%Y} lấy từ {field} trong {path}"


def province_status(data_dir: Path, period: Period, deadline: dt.date, today: dt.date | None = None) -> pd.DataFrame:
    """For every commune of the province: whether a bundle for ``period`` arrived, when, which revision, its units'
    completeness, and whether the commune is late (none by the end of ``deadline``, or the first one after it).

    An import killed midway is finished first (:func:`finish_pending_import`).
    """
    plist = load_province_list(data_dir)
    finish_pending_import(data_dir)
    register = read_register(data_dir)
    today = today or dt.datetime.now(VN_TZ).date()
    end = dt.datetime.combine(deadline, dt.time.max, VN_TZ)
    rows = []
    for c in plist.communes:
        accepted = register.accepted(c.code, str(period))
        active = register.active(c.code, str(period))
        first = min((b.received_at for b in accepted), default=None)
        late = (first is None and today > deadline) or (first is not None and first > end)
        units = active.completeness if active else []
        state = ("Chưa gửi, quá hạn" if late else "Chưa gửi") if active is None else ("Gửi trễ hạn" if late else "Đúng hạn")
        rows.append({"commune": c.code, "commune_name": f"{c.kind.capitalize()} {c.name}", "commune_kind": c.kind,
                     "arrived": active is not None,
                     "received_at": active.received_at if active else None, "created_at": active.created_at if active else None,
                     "revision": active.revision if active else None, "forced": bool(active and active.forced),
                     "units": len(units), "units_complete": sum(bool(u.get("complete")) for u in units),
                     "units_on_time": sum(u.get("timeliness") == "on_time" for u in units), "late": late, "state": state})
    frame = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    for column in ("received_at", "created_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["revision"] = frame["revision"].astype("Int64")
    return frame


def check_province_data(data_dir: Path, wards: list[str]) -> list[str]:
    """In a province workspace, the communes whose data a bundle brought (others are said, then left out).

    A plan file that is not the one the commune's bundle brought is refused: the province reads only bundles.
    An import killed midway is finished first (:func:`finish_pending_import`).
    """
    finish_pending_import(data_dir)
    register = read_register(data_dir)
    kept = []
    for ward in wards:
        sha = register.data_from.get(ward)
        source = next((b for b in register.bundles if b.sha256 == sha), None)
        if source is None:
            log.warning("%s: không có gói nào của xã, phường này; bỏ qua tệp kế hoạch không do gói mang đến.", ward)
            continue
        plan = Path(data_dir) / "plan" / f"{ward}-{source.year}.yaml"
        if not plan.is_file() or hashlib.sha256(plan.read_bytes()).hexdigest() != source.plan_sha256:
            raise BundleError(f"{plan}: kế hoạch của {ward} khác kế hoạch trong gói đã nhận ({source.archived_as}). Kho của "
                              "tỉnh chỉ nhận số liệu qua `kehoach province import`; nhập lại gói đó với --force.")
        kept.append(ward)
    return kept
