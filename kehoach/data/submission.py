"""Import a submitted form or CSV into the progress store: check everything, then write once.

Every problem is collected with its file, sheet, row and column, and reported together in
Vietnamese. If there is any problem nothing is written. A valid file becomes new revisions;
earlier ones are never touched. The original file is archived with its SHA-256, and the same
file imported twice is recognised and changes nothing.

What a file says is not trusted:

* the submission time is the import's own clock; the office back-fills an older date only
  explicitly (``submitted_at=``, ``kehoach import --submitted-at``), and the record keeps
  ``submitted_at_source = "manual"``; a CSV's ``submitted_at`` column is ignored;
* a form's visible header (unit and period, the illustrative banner) must agree with its
  hidden ``_meta`` sheet;
* a CSV must parse cleanly (no unterminated quote, no short or long row);
* a value must lie in the indicator's range and within ±:data:`VALUE_LIMIT`; a note is at
  most :data:`~kehoach.data.store.NOTE_MAX_CHARS` characters;
* a unit's words (the "Nội dung báo cáo" sheet, or a CSV ``unit, period, item, code, text``) name an
  item of :data:`kehoach.data.texts.ITEMS` at its level, for an indicator or task of that unit, in a
  quarter of the plan year; a text holding a control character or a bidirectional override is
  refused (never silently changed), as is one longer than :data:`~kehoach.data.forms.TEXT_MAX_CHARS`;
  an empty cell is no record, so it never erases a text sent before;
* an indicator, task or text item appears once per period in a file;
* a value more than 100 times, or less than 1/100 of, the last stored one is held back
  (:class:`~kehoach.core.errors.OutlierError`) unless ``accept_outliers``; so is a value about 100
  times off the plan's target, and a percentage about 100 times off the last value (0,96 typed for
  96%), with the likely slip named;
* a form of a unit that leads no indicator (only tasks) imports also when it says nothing new.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kehoach.core.errors import FormatError, KehoachError, OutlierError, PeriodError, Problem, SubmissionError
from kehoach.core.files import CONVERTED_ENCODINGS, decode_legacy
from kehoach.core.formatting import fmt_exact, fmt_number, nfc, parse_number, strip_controls
from kehoach.data.forms import (ACTUAL, BANNER, BANNER_CELL, ESTIMATE, NOTE_COL, TASK_NOTE_COL, TEXT_COL, TEXT_MAX_CHARS,
                                TITLE_CELL, FormContent, FormLayoutError, FormRow, read_form, title_text)
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan
from kehoach.data.store import NOTE_MAX_CHARS, TASK_STATUSES, ProgressStore, latest
from kehoach.data.texts import ITEMS

log = logging.getLogger(__name__)

CSV_REQUIRED = ["ward", "year", "unit_code", "indicator", "period", "value", "is_estimate", "note"]
#: The columns of a CSV of the units' words (``ward`` may be added, and is then checked).
TEXT_CSV_COLUMNS = ["unit", "period", "item", "code", "text"]
_TYPES = {ACTUAL.lower(): False, ESTIMATE.lower(): True, "false": False, "true": True, "0": False, "1": True}
_STATUS_BY_LABEL = {label.lower(): key for key, label in TASK_STATUSES.items()} | {k: k for k in TASK_STATUSES}
#: No figure of a ward's plan comes near this; larger values are typing or unit mistakes (and 1e30 once broke formatting).
VALUE_LIMIT = 1e15
#: A value this many times larger (or smaller) than the last stored one needs ``accept_outliers``.
OUTLIER_FACTOR = 100
#: A file larger than this is not a unit's submission (a form is about 20 KB, a CSV of a whole year well under 1 MB).
FILE_MAX_BYTES = 20 * 1024 * 1024


@dataclass
class ImportResult:
    path: Path
    sha256: str
    ward: str
    year: int
    units: list[str]
    periods: list[str]
    indicator_records: int
    task_records: int
    already_imported: bool
    archived: Path | None
    notices: list[str] = field(default_factory=list)
    text_records: int = 0

    def summary(self) -> str:
        if not self.already_imported and self.archived is None and not self.indicator_records + self.task_records:
            return (f"{self.path.name}: biểu mẫu của {', '.join(self.units)} kỳ {', '.join(self.periods)} không có nội dung "
                    "mới (chưa điền tình trạng nhiệm vụ nào); không có gì được ghi.")
        if self.already_imported:
            return f"{self.path.name}: tệp này đã được nhập trước đây (SHA-256 {self.sha256[:12]}…); không có gì thay đổi."
        what = f"{self.indicator_records} số liệu chỉ tiêu và {self.task_records} tình trạng nhiệm vụ"
        if self.text_records:
            what = f"{self.indicator_records} số liệu chỉ tiêu, {self.task_records} tình trạng nhiệm vụ và {self.text_records} nội dung báo cáo"
        return (f"{self.path.name}: đã nhập {what} "
                f"của {', '.join(self.units)} cho kỳ {', '.join(self.periods)}; bản gốc lưu tại {self.archived}.")


@dataclass
class _Context:
    plan: Plan
    file: str
    today: dt.date
    problems: list[Problem]
    notices: list[str] = field(default_factory=list)
    #: (unit, period) of a form whose unit leads no indicator: an empty one says "nothing new" and is accepted
    nothing_new: tuple[str, str] | None = None

    def add(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(self.file, message, sheet, row, column))


def import_file(path: str | Path, plan: Plan, store: ProgressStore | None = None,
                today: dt.date | None = None, now: dt.datetime | None = None,
                submitted_at: dt.datetime | dt.date | None = None, accept_outliers: bool = False) -> ImportResult:
    """Validate ``path`` (a form or a CSV in the stored format) and store it as new revisions.

    ``now`` is the import's clock (the submission time unless ``submitted_at`` back-fills
    another, which the records then mark as set by hand). Raises :class:`SubmissionError`
    listing every problem, or :class:`OutlierError`; either way nothing is written.
    """
    path = Path(path)
    store = store or ProgressStore()
    now = now or dt.datetime.now(VN_TZ)
    today = today or now.astimezone(VN_TZ).date()
    data = _read(path)
    sha = hashlib.sha256(data).hexdigest()
    ctx = _Context(plan, path.name, today, [])
    if path.suffix.lower() == ".csv":
        records = _from_csv(data, ctx)
    else:
        records = _from_form(path, ctx)
    if not ctx.problems and records.empty and ctx.nothing_new is not None:
        return _nothing_new(path, sha, plan, ctx)
    if not ctx.problems and records.empty:
        ctx.add("tệp không có số liệu nào (biểu mẫu trống); điền giá trị kỳ này rồi gửi lại")
    if not ctx.problems:
        records = _stamp(records, ctx, now, submitted_at)
    if ctx.problems:
        raise SubmissionError(ctx.problems)
    units = sorted(records["unit_code"].unique().tolist())
    periods = sorted(records["period"].unique().tolist())
    counts = records["record"].value_counts()
    result = ImportResult(path, sha, plan.ward, plan.year, units, periods, int(counts.get("indicator", 0)),
                          int(counts.get("task", 0)), False, None, ctx.notices, int(counts.get("text", 0)))
    with store.lock(plan.ward, plan.year):  # revision numbers and the duplicate check see every earlier import
        existing = store.read(plan.ward, plan.year)
        if (existing["source_sha256"] == sha).any():
            result.already_imported = True
            log.info("%s was imported before; nothing changed", path)
            return result
        if not accept_outliers:
            outliers = _outliers(records, existing, ctx)
            if outliers:
                raise OutlierError(outliers)
        records = _number_revisions(records, existing)
        records["imported_at"] = now
        records["source_file"] = path.name
        records["source_sha256"] = sha
        result.archived = store.append_locked(plan.ward, plan.year, records, path, sha)
    return result


def _nothing_new(path: Path, sha: str, plan: Plan, ctx: _Context) -> ImportResult:
    """The result for an empty form of a unit without indicators: accepted, nothing written."""
    unit, period = ctx.nothing_new or ("", "")
    log.info("%s: %s has nothing new for %s", path, unit, period)
    return ImportResult(path, sha, plan.ward, plan.year, [unit], [period], 0, 0, False, None, ctx.notices)


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > FILE_MAX_BYTES:
            raise SubmissionError([Problem(str(path), f"tệp quá lớn ({fmt_number(size / 1024 / 1024)} MB, tối đa "
                                                      f"{fmt_number(FILE_MAX_BYTES / 1024 / 1024)} MB), không phải một báo cáo "
                                                      "của đơn vị; kiểm tra lại tệp, hoặc tách CSV thành nhiều tệp")])
        return path.read_bytes()
    except OSError as exc:
        raise SubmissionError([Problem(str(path), f"không đọc được tệp ({exc.strerror}); kiểm tra tên tệp và quyền đọc")]) from None


def _stamp(records: pd.DataFrame, ctx: _Context, now: dt.datetime, submitted_at: dt.datetime | dt.date | None) -> pd.DataFrame:
    """Set the submission time: the import's clock, or the office's back-filled date (checked, marked "manual")."""
    records = records.copy()
    if submitted_at is None:
        records["submitted_at"], records["submitted_at_source"] = now, "import"
        return records
    if not isinstance(submitted_at, dt.datetime):
        submitted_at = dt.datetime.combine(submitted_at, dt.time(8, 0), VN_TZ)
    elif submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=VN_TZ)
    first = min(Period.parse(p) for p in records["period"].unique())
    when = f"{submitted_at.astimezone(VN_TZ):%d/%m/%Y}"
    if submitted_at > now:
        ctx.add(f"ngày gửi --submitted-at {when} ở tương lai; nhập ngày đơn vị thực sự gửi báo cáo")
    elif submitted_at.astimezone(VN_TZ).date() < first.start:
        ctx.add(f"ngày gửi --submitted-at {when} trước khi kỳ {first} bắt đầu ({first.start:%d/%m/%Y}); kiểm tra lại ngày")
    records["submitted_at"], records["submitted_at_source"] = submitted_at, "manual"
    return records


def _outliers(records: pd.DataFrame, existing: pd.DataFrame, ctx: _Context) -> list[Problem]:
    """Values far from the last stored value (OUTLIER_FACTOR), and percentages about 100 times off the
    plan's target or the last value: each with the cell it came from."""
    stored = existing[existing["record"] == "indicator"]
    last = latest(stored, ["indicator", "period"]) if not stored.empty else stored
    last = last.assign(_p=last["period"].map(Period.parse)) if not last.empty else last
    found = []
    for rec in records[records["record"] == "indicator"].itertuples():
        where = (rec.sheet if isinstance(rec.sheet, str) else None, int(rec.row) if pd.notna(rec.row) else None,
                 rec.column if isinstance(rec.column, str) else None)
        message = _against_last(rec, last, ctx.plan) or _against_plan(rec, ctx.plan)
        if message:
            found.append(Problem(ctx.file, message, *where))
    return found


def _against_last(rec, last: pd.DataFrame, plan: Plan) -> str | None:
    """More than OUTLIER_FACTOR times the last stored value (or under 1/OUTLIER_FACTOR); for a percentage,
    also about 100 times off it."""
    if last.empty:
        return None
    before = last[(last["indicator"] == rec.indicator) & (last["_p"] <= Period.parse(rec.period))].sort_values("_p")
    if before.empty:
        return None
    prev = before.iloc[-1]
    old, new = float(prev["value"]), float(rec.value)
    percent = "%" if plan.indicator(int(rec.indicator)).unit == "%" else ""
    slip = bool(percent) and _hundredfold(new, old)
    if old <= 0 or new <= 0 or (1 / OUTLIER_FACTOR <= new / old <= OUTLIER_FACTOR and not slip):
        return None
    ratio = f"gấp {fmt_number(new / old, 0)} lần" if new > old else f"chỉ bằng 1/{fmt_number(old / new, 0)}"
    text = (f"chỉ tiêu ({rec.indicator}) kỳ {rec.period}: {fmt_exact(new)}{percent} {ratio} số báo cáo gần nhất "
            f"{fmt_exact(old)}{percent} (kỳ {prev['period']}, lần {prev['revision']})")
    return text + (_slip_hint(new, old) if slip else "")


def _against_plan(rec, plan: Plan) -> str | None:
    """A value about 100 times the plan's target, or about 1/100 of it (a reduction's target is a change, not
    a level: it is not compared)."""
    ind = plan.indicator(int(rec.indicator))
    target, new = float(ind.target), float(rec.value)
    if ind.kind == "reduction" or target <= 0 or new <= 0 or not _hundredfold(new, target):
        return None
    ratio = "gấp khoảng 100 lần" if new > target else "chỉ bằng khoảng 1/100"
    if ind.unit != "%":
        return (f"chỉ tiêu ({rec.indicator}) kỳ {rec.period}: {fmt_exact(new)} {ind.unit} {ratio} kế hoạch năm "
                f"{fmt_exact(target)} {ind.unit}; có thể gõ nhầm đơn vị tính hoặc số chữ số")
    return (f"chỉ tiêu ({rec.indicator}) kỳ {rec.period}: {fmt_exact(new)}% {ratio} kế hoạch năm {fmt_exact(target)}%"
            + _slip_hint(new, target))


def _hundredfold(new: float, reference: float) -> bool:
    """Whether ``new`` is about 100 times ``reference``, or about 1/100 of it (within a factor of 2)."""
    if new <= 0 or reference <= 0:
        return False
    ratio = new / reference
    return 50 <= ratio <= 200 or 1 / 200 <= ratio <= 1 / 50


def _slip_hint(new: float, reference: float) -> str:
    """The likely slip behind a percentage about 100 times off ``reference``."""
    if new < reference:
        return (f"; có thể đã gõ {fmt_exact(new)} (tỷ lệ dạng số thập phân) thay vì {fmt_exact(new * 100)}%: "
                f"sửa ô thành {fmt_exact(new * 100)}% rồi gửi lại")
    return (f"; có thể đã gõ {fmt_exact(new / 100)} vào ô phần trăm (thành {fmt_exact(new)}%) thay vì "
            f"{fmt_exact(new / 100)}%: sửa ô rồi gửi lại")


def _number_revisions(new: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """Each record's revision: one more than the highest stored for its key (a text's key adds its unit and item)."""
    keys = ["record", "indicator", "task", "period", "_text_key"]
    new = _with_text_key(new)
    if existing.empty:
        new["revision"] = 1
        return new.drop(columns="_text_key")
    top = _with_text_key(existing).groupby(keys, dropna=False)["revision"].max().rename("_top").reset_index()
    for col in ("indicator",):
        new[col] = new[col].astype("Int64")
    merged = new.merge(top.astype({"indicator": "Int64"}), on=keys, how="left")
    merged["revision"] = merged["_top"].fillna(0).astype("int64") + 1
    return merged.drop(columns=["_top", "_text_key"])


def _with_text_key(records: pd.DataFrame) -> pd.DataFrame:
    """``records`` with ``_text_key``: "unit/item" for a text record, "" for a figure or a status."""
    is_text = records["record"] == "text"
    key = pd.Series("", index=records.index, dtype="object")
    if is_text.any():
        key[is_text] = records.loc[is_text, "unit_code"].astype(str) + "/" + records.loc[is_text, "item"].astype(str)
    return records.assign(_text_key=key)


# -- forms ------------------------------------------------------------------------------
def _from_form(path: Path, ctx: _Context) -> pd.DataFrame:
    try:
        content = read_form(path)
    except FormLayoutError as exc:
        ctx.add(str(exc), exc.sheet, exc.row, exc.column)
        return pd.DataFrame()
    unit, period = _check_meta(content, ctx)
    if unit is None or period is None:
        return pd.DataFrame()
    if not _check_visible(content, unit, period, ctx):
        return pd.DataFrame()
    for sheet, row, col in content.uncached_formulas:
        ctx.add("ô chứa công thức nhưng chưa có kết quả được lưu (tệp không được lưu bằng Excel); mở tệp bằng Excel "
                "hoặc LibreOffice, lưu lại rồi gửi, hoặc gõ thẳng giá trị vào ô", sheet, row, col)
    illustrative = content.meta.get("illustrative") == "yes"
    if not any(i.unit_code == unit for i in ctx.plan.indicator_list):
        ctx.nothing_new = (unit, str(period))
    rows = []
    seen: dict = {}
    for row in content.indicator_rows:
        rec = _indicator(row, unit, period, ctx, seen)
        if rec:
            rows.append(rec | {"note": _note(row, ctx, NOTE_COL)})
    for row in content.task_rows:
        rec = _task(row, unit, period, ctx, seen)
        if rec:
            rows.append(rec | {"note": _note(row, ctx, TASK_NOTE_COL)})
    rows += _texts_of_form(content, unit, period, ctx, seen)
    return _frame(rows, ctx.plan, illustrative)


def _check_visible(content: FormContent, unit: str, period: Period, ctx: _Context) -> bool:
    """The visible header must say what ``_meta`` says; a form whose hidden sheet was edited is refused."""
    expected = title_text(ctx.plan.unit(unit).name, period)
    banner = BANNER if content.meta.get("illustrative") == "yes" else None
    ok = True
    for sheet, (title, shown_banner) in content.titles.items():
        if title != expected:
            ctx.add(f"tiêu đề biểu mẫu ghi “{title or ''}”, khác với thông tin của biểu mẫu (đơn vị {unit}, kỳ {period}: "
                    f"“{expected}”); biểu mẫu đã bị sửa, hãy tạo lại bằng `kehoach template --unit {unit} --period {period}`",
                    sheet, 3, TITLE_CELL[0])
            ok = False
        if shown_banner != banner and (banner or shown_banner == BANNER):
            ctx.add("dòng “Số liệu minh họa” của biểu mẫu không khớp với thông tin của biểu mẫu; biểu mẫu đã bị sửa, "
                    "hãy tạo lại bằng `kehoach template`", sheet, 7, BANNER_CELL[0])
            ok = False
    return ok


def _note(row: FormRow, ctx: _Context, column: str) -> str | None:
    note = row.cells.get("note")
    if note is None:
        return None
    text, removed = strip_controls(nfc(str(note)).replace("\r\n", "\n"))
    text = text.strip()
    if removed:
        where = f"sheet “{row.sheet}”, dòng {row.row}" if row.sheet else f"dòng {row.row}"
        ctx.notices.append(f"{where}, cột {column}: đã bỏ {removed} ký tự điều khiển (NUL, tab dọc, ESC, ký tự đảo chiều "
                           "văn bản…) khỏi ghi chú; phần chữ còn lại được giữ nguyên")
    if len(text) > NOTE_MAX_CHARS:
        ctx.add(f"ghi chú dài {fmt_number(len(text))} ký tự, tối đa {fmt_number(NOTE_MAX_CHARS)} ký tự; rút gọn ghi chú",
                row.sheet, row.row, column)
        return None
    return text or None


def _check_meta(content: FormContent, ctx: _Context) -> tuple[str | None, Period | None]:
    meta, plan = content.meta, ctx.plan
    if meta.get("ward") != plan.ward:
        ctx.add(f"biểu mẫu của {meta.get('ward_name') or meta.get('ward')}, không phải của {plan.title_place}; "
                "hãy gửi lại đúng biểu mẫu của phường", sheet="_meta")
        return None, None
    if meta.get("year") != str(plan.year):
        ctx.add(f"biểu mẫu cho kế hoạch năm {meta.get('year')}, kế hoạch đang dùng là năm {plan.year}", sheet="_meta")
        return None, None
    unit = meta.get("unit")
    if unit not in {u.code for u in plan.units}:
        ctx.add(f"đơn vị “{unit}” không có trong kế hoạch", sheet="_meta")
        return None, None
    period = _period(meta.get("period"), ctx, sheet="_meta")
    return unit, period


# -- CSV --------------------------------------------------------------------------------
def _from_csv(data: bytes, ctx: _Context) -> pd.DataFrame:
    try:
        text, encoding = decode_legacy(data)
    except KehoachError as exc:
        ctx.add(f"tệp CSV {exc}")
        return pd.DataFrame()
    if encoding in CONVERTED_ENCODINGS:
        ctx.notices.append(f"tệp CSV mã hóa {encoding} (Windows-1258, tiếng Việt), đã chuyển sang UTF-8; "
                           "lần sau hãy lưu tệp với mã hóa UTF-8")
    text = nfc(text.removeprefix("\ufeff"))
    table = _parse_csv(text, ctx)
    if table is None:
        return pd.DataFrame()
    header, lines = table
    if "item" in header and "text" in header:
        missing = [c for c in TEXT_CSV_COLUMNS if c not in header]
        if missing:
            ctx.add(f"sai cấu trúc tệp CSV nội dung báo cáo: thiếu cột {', '.join(missing)} "
                    f"(cần các cột {', '.join(TEXT_CSV_COLUMNS)})", row=1)
            return pd.DataFrame()
        return _texts_from_csv(header, lines, ctx)
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        ctx.add(f"sai cấu trúc tệp CSV: thiếu cột {', '.join(missing)}", sheet=None, row=1)
        return pd.DataFrame()
    if "submitted_at" in header and any(values[header.index("submitted_at")].strip() for _, values in lines):
        ctx.notices.append("cột submitted_at trong tệp không được dùng: thời điểm gửi là lúc nhập; "
                           "để ghi ngày gửi khác, dùng --submitted-at NGÀY")
    rows, seen = [], {}
    for number, values in lines:
        raw = {k: (v.strip() or None) for k, v in zip(header, values) if k}
        rec = _csv_row(raw, number, ctx, seen)
        if rec:
            rows.append(rec)
    return _frame(rows, ctx.plan, False)


def _parse_csv(text: str, ctx: _Context) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """Header and rows (with the line each starts on); None, with the problems added, unless the file parses cleanly."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines, start = [], 1
    try:
        header = [h.strip() for h in next(reader, [])]
        start = reader.line_num + 1
        for values in reader:
            if values and any(v.strip() for v in values):
                lines.append((start, values))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            ctx.add(f"có một ô quá dài (hơn {fmt_number(csv.field_size_limit())} ký tự); ghi chú tối đa "
                    f"{fmt_number(NOTE_MAX_CHARS)} ký tự", row=start)
        else:
            ctx.add(f"tệp CSV sai cú pháp từ dòng {start} ({exc}): thường do một dấu ngoặc kép (\") không được đóng; "
                    "sửa dòng đó rồi nhập lại", row=start)
        return None
    bad = [(n, len(v)) for n, v in lines if len(v) != len(header)]
    for number, count in bad:
        ctx.add(f"dòng có {count} cột, tiêu đề có {len(header)} cột; thiếu hoặc thừa dấu phẩy", row=number)
    return None if bad else (header, lines)


def _csv_row(raw: dict, number: int, ctx: _Context, seen: dict) -> dict | None:
    if raw.get("ward") != ctx.plan.ward:
        ctx.add(f"dòng của phường “{raw.get('ward')}”, không phải {ctx.plan.ward}", row=number, column="ward")
        return None
    if raw.get("year") != str(ctx.plan.year):
        ctx.add(f"năm kế hoạch “{raw.get('year')}” khác {ctx.plan.year}", row=number, column="year")
        return None
    period = _period(raw.get("period"), ctx, row=number, column="period")
    unit = raw.get("unit_code")
    if unit not in {u.code for u in ctx.plan.units}:
        ctx.add(f"đơn vị “{unit}” không có trong kế hoạch", row=number, column="unit_code")
        return None
    if period is None:
        return None
    if raw.get("task"):
        row = FormRow(sheet=None, row=number, key=raw["task"], cells={"status": raw.get("status"), "note": raw.get("note")})
        rec = _task(row, unit, period, ctx, seen, columns={"key": "task", "status": "status"})
    else:
        row = FormRow(sheet=None, row=number, key=raw.get("indicator"),
                      cells={"value": raw.get("value"), "type": raw.get("is_estimate"), "note": raw.get("note")})
        rec = _indicator(row, unit, period, ctx, seen, columns={"key": "indicator", "value": "value", "type": "is_estimate"})
    return rec | {"note": _note(row, ctx, "note")} if rec else None


# -- shared checks ----------------------------------------------------------------------
def _period(text: str | None, ctx: _Context, sheet: str | None = None, row: int | None = None,
            column: str | None = None) -> Period | None:
    try:
        p = Period.parse(text or "")
    except PeriodError as exc:
        ctx.add(str(exc), sheet, row, column)
        return None
    year = ctx.plan.year
    if p.year not in (year, year - 1):
        ctx.add(f"kỳ {p} nằm ngoài năm kế hoạch {year} (chỉ nhận các quý năm {year}, "
                f"và các quý năm {year - 1} làm số liệu so sánh)", sheet, row, column)
        return None
    if p.start > ctx.today:
        ctx.add(f"kỳ {p} chưa bắt đầu (bắt đầu ngày {p.start:%d/%m/%Y})", sheet, row, column)
        return None
    return p


def _indicator(row: FormRow, unit: str, period: Period, ctx: _Context, seen: dict,
               columns: dict[str, str] | None = None) -> dict | None:
    from kehoach.data.forms import TYPE_COL, VALUE_COL

    cols = columns or {"key": "A", "value": VALUE_COL, "type": TYPE_COL}
    at = dict(sheet=row.sheet, row=row.row)
    value_raw, type_raw = row.cells.get("value"), row.cells.get("type")
    if value_raw is None and type_raw is None:
        return None
    try:
        number = int(parse_number(row.key))
        if number != parse_number(row.key):
            raise FormatError("")
    except FormatError:
        ctx.add(f"mã chỉ tiêu “{row.key}” không hợp lệ", column=cols["key"], **at)
        return None
    known = {i.number: i for i in ctx.plan.indicator_list}
    if number not in known:
        ctx.add(f"chỉ tiêu ({number}) không có trong kế hoạch năm {ctx.plan.year}", column=cols["key"], **at)
        return None
    ind = known[number]
    if ind.unit_code != unit:
        owner = ctx.plan.unit(ind.unit_code).name
        ctx.add(f"chỉ tiêu ({number}) do {owner} chủ trì, không thuộc đơn vị {unit}", column=cols["key"], **at)
        return None
    key = ("indicator", number, str(period))
    if key in seen:
        ctx.add(f"chỉ tiêu ({number}) xuất hiện hai lần (dòng {seen[key]} và dòng {row.row}); chỉ giữ một dòng",
                column=cols["key"], **at)
        return None
    seen[key] = row.row
    if value_raw is None:
        ctx.add(f"chỉ tiêu ({number}) có loại số liệu nhưng thiếu giá trị", column=cols["value"], **at)
        return None
    try:
        value = parse_number(value_raw)
    except FormatError as exc:
        ctx.add(f"chỉ tiêu ({number}): giá trị {exc}", column=cols["value"], **at)
        return None
    if abs(value) > VALUE_LIMIT:
        ctx.add(f"chỉ tiêu ({number}): {fmt_exact(value)} — giá trị quá lớn (tối đa {fmt_number(VALUE_LIMIT)}); "
                "kiểm tra đơn vị tính và số chữ số", column=cols["value"], **at)
        return None
    value = _typed_without_percent_sign(value, row, ind, ctx, cols["value"])
    problem = _out_of_range(value, ind)
    if problem:
        ctx.add(f"chỉ tiêu ({number}): {problem}", column=cols["value"], **at)
        return None
    is_estimate = _TYPES.get(str(type_raw).lower()) if type_raw is not None else None
    if is_estimate is None:
        ctx.add(f"chỉ tiêu ({number}): loại số liệu phải là “{ACTUAL}” hoặc “{ESTIMATE}”", column=cols["type"], **at)
        return None
    return {"record": "indicator", "indicator": number, "task": None, "period": str(period), "value": value,
            "is_estimate": is_estimate, "status": None, "unit_code": unit,
            "sheet": row.sheet, "row": row.row, "column": cols["value"]}


def _typed_without_percent_sign(value: float, row: FormRow, ind, ctx: _Context, column: str) -> float:
    """A share typed as "96" into a percentage cell in LibreOffice Calc, which (unlike Excel) stores it as 9600%.

    A share cannot pass 100%, so a percentage cell holding 200% to 10.000% can only mean the number typed
    (2 to 100): it is read as that number, and the office is told which cell was read so. From 100% to 200%
    it could as well be Excel's "120" (120%): that stays an error.
    """
    if not (row.percent and ind.unit == "%" and ind.bounds[1] == 100 and 200 <= value <= 10_000):
        return value
    meant = round(value / 100, 10)
    where = str(Problem(ctx.file, "", row.sheet, row.row, column))
    ctx.notices.append(f"{where}ô phần trăm ghi {fmt_exact(value)}%, đọc là {fmt_exact(meant)}% (số {fmt_exact(meant)} "
                       "được gõ không kèm dấu %); lần sau gõ kèm dấu %, ví dụ 96%")
    return meant


def _out_of_range(value: float, ind) -> str | None:
    """What is wrong with a value outside the indicator's range, at the precision that shows it (0,003, not 0)."""
    low, high = ind.bounds
    shown = fmt_exact(value) + ("%" if ind.unit == "%" else "")
    if high is not None and value > high:
        if ind.unit == "%" and high == 100:
            slip = (f"; có thể đã gõ {fmt_exact(value / 100)} vào ô phần trăm (thành {shown}): gõ {fmt_exact(value / 100)}%"
                    if value / 100 <= high else "")
            return f"{shown} — tỷ lệ không được vượt quá 100%{slip}"
        return f"{shown} — giá trị không được lớn hơn {fmt_exact(high)}"
    if low is not None and value < low:
        return f"{shown} — " + ("số liệu không được âm" if low == 0 else f"giá trị không được nhỏ hơn {fmt_exact(low)}")
    return None


def _task(row: FormRow, unit: str, period: Period, ctx: _Context, seen: dict,
          columns: dict[str, str] | None = None) -> dict | None:
    from kehoach.data.forms import TASK_STATUS_COL

    cols = columns or {"key": "A", "status": TASK_STATUS_COL}
    at = dict(sheet=row.sheet, row=row.row)
    status_raw = row.cells.get("status")
    if status_raw is None:
        return None
    tasks = {t.id: t for t in ctx.plan.tasks}
    task = tasks.get(str(row.key))
    if task is None:
        ctx.add(f"nhiệm vụ “{row.key}” không có trong kế hoạch", column=cols["key"], **at)
        return None
    if task.unit_code != unit:
        ctx.add(f"nhiệm vụ {task.id} do đơn vị {task.unit_code} theo dõi, không thuộc đơn vị {unit}", column=cols["key"], **at)
        return None
    key = ("task", task.id, str(period))
    if key in seen:
        ctx.add(f"nhiệm vụ {task.id} xuất hiện hai lần (dòng {seen[key]} và dòng {row.row}); chỉ giữ một dòng",
                column=cols["key"], **at)
        return None
    seen[key] = row.row
    status = _STATUS_BY_LABEL.get(str(status_raw).lower())
    if status is None:
        ctx.add(f"nhiệm vụ {task.id}: tình trạng phải là {', '.join(TASK_STATUSES.values())}", column=cols["status"], **at)
        return None
    return {"record": "task", "indicator": None, "task": task.id, "period": str(period), "value": None,
            "is_estimate": None, "status": status, "unit_code": unit,
            "sheet": row.sheet, "row": row.row, "column": cols["status"]}


# -- the units' words -------------------------------------------------------------------
#: Refused in a text: C0 controls except tab and line feed (a carriage return is read as a line break), DEL, C1
#: controls, and the bidirectional embeddings, overrides and isolates that can make a text read differently from
#: what it says.
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _texts_of_form(content: FormContent, unit: str, period: Period, ctx: _Context, seen: dict) -> list[dict]:
    recs = (_text(row, unit, period, row.key[0], row.key[1], ctx, seen) for row in content.text_rows)
    return [rec for rec in recs if rec]


def _text(row: FormRow, unit: str, period: Period, item: str | None, code: str | None, ctx: _Context, seen: dict,
          columns: dict[str, str] | None = None) -> dict | None:
    """One text record, or None (with the problem added). An empty text is no record: it never erases an earlier one."""
    cols = columns or {"item": "B", "code": "A", "text": TEXT_COL}
    at = dict(sheet=row.sheet, row=row.row)
    raw = row.cells.get("text")
    if raw is None:
        return None
    if period.year != ctx.plan.year:
        ctx.add(f"nội dung báo cáo chỉ nhận cho các quý năm {ctx.plan.year}, không nhận cho kỳ {period}",
                column=cols.get("period", cols["text"]), **at)
        return None
    target = _text_target(item, code, unit, ctx, at, cols)
    if target is None:
        return None
    key = ("text", item, code, str(period))
    if key in seen:
        ctx.add(f"mục “{item}”{f' mã “{code}”' if code else ''} kỳ {period} xuất hiện hai lần (dòng {seen[key]} và dòng "
                f"{row.row}); chỉ giữ một dòng", column=cols["item"], **at)
        return None
    seen[key] = row.row
    text = _clean_text(raw, ctx, at, cols["text"])
    if text is None:
        return None
    indicator, task = target
    return {"record": "text", "indicator": indicator, "task": task, "period": str(period), "value": None,
            "is_estimate": None, "status": None, "unit_code": unit, "item": item, "text": text,
            "sheet": row.sheet, "row": row.row, "column": cols["text"]}


def _text_target(item: str | None, code: str | None, unit: str, ctx: _Context, at: dict,
                 cols: dict[str, str]) -> tuple[int | None, str | None] | None:
    """(indicator number, task id) that ``item`` and ``code`` name for ``unit``; None, with the problem added, if wrong."""
    spec = ITEMS.get(item or "")
    if spec is None:
        ctx.add(f"mục “{item or ''}” không có trong danh sách; các mục: {', '.join(ITEMS)}", column=cols["item"], **at)
        return None
    if spec.level == "unit":
        if code:
            ctx.add(f"mục “{item}” là nội dung chung của đơn vị: để trống cột {cols['code']} (đang ghi “{code}”)",
                    column=cols["code"], **at)
            return None
        return None, None
    if spec.level == "indicator":
        mine = ctx.plan.indicators[ctx.plan.indicators["unit_code"] == unit]
        numbers = dict(zip(mine["code"], mine["number"]))
        if code not in numbers:
            ctx.add(f"mục “{item}” cần mã chỉ tiêu do đơn vị {unit} chủ trì, “{code or ''}” không phải; các mã: "
                    f"{', '.join(numbers) or '(đơn vị không chủ trì chỉ tiêu nào)'}", column=cols["code"], **at)
            return None
        return int(numbers[code]), None
    mine = [t.id for t in ctx.plan.tasks if t.unit_code == unit]
    if code not in mine:
        ctx.add(f"mục “{item}” cần mã nhiệm vụ phần II do đơn vị {unit} chủ trì, “{code or ''}” không phải; các mã: "
                f"{', '.join(mine) or '(đơn vị không chủ trì nhiệm vụ nào)'}", column=cols["code"], **at)
        return None
    return None, code


def _clean_text(raw: object, ctx: _Context, at: dict, column: str) -> str | None:
    """The text as stored: NFC, line breaks as LF, trimmed; refused when it holds control characters or is too long."""
    text = nfc(str(raw)).replace("\r\n", "\n").replace("\r", "\n").strip()
    bad = _TEXT_CONTROLS.search(text)
    if bad:
        ctx.add(f"nội dung có ký tự điều khiển không in được (U+{ord(bad.group()):04X}, ký tự thứ {bad.start() + 1}); "
                "xóa ký tự đó (thường do sao chép từ phần mềm khác) rồi gửi lại", column=column, **at)
        return None
    if len(text) > TEXT_MAX_CHARS:
        ctx.add(f"nội dung dài {fmt_number(len(text))} ký tự, tối đa {fmt_number(TEXT_MAX_CHARS)} ký tự mỗi mục; "
                "rút gọn nội dung", column=column, **at)
        return None
    return text or None


def _text_period(text: str, ctx: _Context, row: int) -> Period | None:
    """A CSV row's period: a quarter of the plan year that has begun (words are not sent for last year's figures)."""
    try:
        year = Period.parse(text).year
    except PeriodError:
        year = ctx.plan.year  # let _period name the problem
    if year != ctx.plan.year:
        ctx.add(f"nội dung báo cáo chỉ nhận cho các quý năm {ctx.plan.year}, không nhận cho kỳ {text}", row=row, column="period")
        return None
    return _period(text or None, ctx, row=row, column="period")


def _texts_from_csv(header: list[str], lines: list[tuple[int, list[str]]], ctx: _Context) -> pd.DataFrame:
    """A CSV of texts (``unit, period, item, code, text``; ``ward`` optional): every row checked like a form's."""
    rows, seen = [], {}
    units = {u.code for u in ctx.plan.units}
    for number, values in lines:
        raw = dict(zip(header, values))
        ward = raw.get("ward", "").strip()
        if "ward" in raw and ward != ctx.plan.ward:
            ctx.add(f"dòng của phường “{ward}”, không phải {ctx.plan.ward}", row=number, column="ward")
            continue
        unit = raw["unit"].strip()
        period = _text_period(raw["period"].strip(), ctx, number)
        if unit not in units:
            ctx.add(f"đơn vị “{unit}” không có trong kế hoạch; các mã: {', '.join(sorted(units))}", row=number, column="unit")
            continue
        if period is None:
            continue
        row = FormRow(sheet=None, row=number, key=None, cells={"text": raw["text"] if raw["text"].strip() else None})
        rec = _text(row, unit, period, raw["item"].strip(), raw["code"].strip() or None, ctx, seen,
                    columns={"item": "item", "code": "code", "text": "text", "period": "period"})
        if rec:
            rows.append(rec)
    return _frame(rows, ctx.plan, False)


def _frame(rows: list[dict], plan: Plan, illustrative: bool) -> pd.DataFrame:
    """The records of a file, with where each came from (``sheet``, ``row``, ``column``, dropped when stored)."""
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    frame.insert(0, "year", plan.year)
    frame.insert(0, "ward", plan.ward)
    frame["indicator"] = frame["indicator"].astype("Int64")
    frame["illustrative"] = illustrative
    return frame


def file_key(path: str | Path) -> tuple[str | None, int | None]:
    """The ward and plan year a submitted file is for (a form's _meta sheet, a CSV's first row).

    (None, None) when the file does not say; the import itself then reports what is wrong.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                row = next(csv.DictReader(handle), None) or {}
            ward, year = row.get("ward"), row.get("year") or (row.get("period") or "")[:4]  # a texts CSV says its period
        else:
            meta = read_form(path).meta
            ward, year = meta.get("ward"), meta.get("year")
        return (nfc(ward).strip() if ward else None), (int(year) if year and str(year).strip().isdigit() else None)
    except (FormLayoutError, OSError, UnicodeDecodeError, csv.Error, ValueError):
        return None, None
