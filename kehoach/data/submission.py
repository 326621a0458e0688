"""Import a submitted form or CSV into the progress store: check everything, then write once.

Every problem is collected with its file, sheet, row and column, and reported together in
Vietnamese. If there is any problem nothing is written. A valid file becomes new revisions;
earlier ones are never touched. The original file is archived with its SHA-256, and the same
file imported twice is recognised and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kehoach.core.errors import FormatError, PeriodError, Problem, SubmissionError
from kehoach.core.formatting import fmt_number, nfc, parse_number
from kehoach.data.forms import ACTUAL, ESTIMATE, FormContent, FormLayoutError, FormRow, read_form
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan
from kehoach.data.store import TASK_STATUSES, ProgressStore

log = logging.getLogger(__name__)

CSV_REQUIRED = ["ward", "year", "unit_code", "indicator", "period", "value", "is_estimate", "note"]
_TYPES = {ACTUAL.lower(): False, ESTIMATE.lower(): True, "false": False, "true": True, "0": False, "1": True}
_STATUS_BY_LABEL = {label.lower(): key for key, label in TASK_STATUSES.items()} | {k: k for k in TASK_STATUSES}


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

    def summary(self) -> str:
        if self.already_imported:
            return f"{self.path.name}: tệp này đã được nhập trước đây (SHA-256 {self.sha256[:12]}…); không có gì thay đổi."
        return (f"{self.path.name}: đã nhập {self.indicator_records} số liệu chỉ tiêu và {self.task_records} tình trạng nhiệm vụ "
                f"của {', '.join(self.units)} cho kỳ {', '.join(self.periods)}; bản gốc lưu tại {self.archived}.")


@dataclass
class _Context:
    plan: Plan
    file: str
    today: dt.date
    problems: list[Problem]

    def add(self, message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(self.file, message, sheet, row, column))


def import_file(path: str | Path, plan: Plan, store: ProgressStore | None = None,
                today: dt.date | None = None, now: dt.datetime | None = None) -> ImportResult:
    """Validate ``path`` (a form or a CSV in the stored format) and store it as new revisions."""
    path = Path(path)
    store = store or ProgressStore()
    now = now or dt.datetime.now(VN_TZ)
    today = today or now.astimezone(VN_TZ).date()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SubmissionError([Problem(str(path), f"không đọc được tệp ({exc.strerror})")]) from None
    sha = hashlib.sha256(data).hexdigest()
    ctx = _Context(plan, path.name, today, [])
    if path.suffix.lower() == ".csv":
        records = _from_csv(data, ctx, now)
    else:
        records = _from_form(path, ctx, now)
    if not ctx.problems and records.empty:
        ctx.add("tệp không có số liệu nào (biểu mẫu trống); điền giá trị kỳ này rồi gửi lại")
    if ctx.problems:
        raise SubmissionError(ctx.problems)
    units = sorted(records["unit_code"].unique().tolist())
    periods = sorted(records["period"].unique().tolist())
    counts = records["record"].value_counts()
    result = ImportResult(path, sha, plan.ward, plan.year, units, periods, int(counts.get("indicator", 0)),
                          int(counts.get("task", 0)), False, None)
    with store.lock(plan.ward, plan.year):  # revision numbers and the duplicate check see every earlier import
        existing = store.read(plan.ward, plan.year)
        if (existing["source_sha256"] == sha).any():
            result.already_imported = True
            log.info("%s was imported before; nothing changed", path)
            return result
        records = _number_revisions(records, existing)
        records["imported_at"] = now
        records["source_file"] = path.name
        records["source_sha256"] = sha
        result.archived = store.append_locked(plan.ward, plan.year, records, path, sha)
    return result


def _number_revisions(new: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    keys = ["record", "indicator", "task", "period"]
    new = new.copy()
    if existing.empty:
        new["revision"] = 1
        return new
    top = existing.groupby(keys, dropna=False)["revision"].max().rename("_top").reset_index()
    for col in ("indicator",):
        new[col] = new[col].astype("Int64")
    merged = new.merge(top.astype({"indicator": "Int64"}), on=keys, how="left")
    merged["revision"] = merged["_top"].fillna(0).astype("int64") + 1
    return merged.drop(columns="_top")


# -- forms ------------------------------------------------------------------------------
def _from_form(path: Path, ctx: _Context, now: dt.datetime) -> pd.DataFrame:
    try:
        content = read_form(path)
    except FormLayoutError as exc:
        ctx.add(str(exc), exc.sheet, exc.row, exc.column)
        return pd.DataFrame()
    unit, period = _check_meta(content, ctx)
    if unit is None or period is None:
        return pd.DataFrame()
    submitted = _submitted_at(content.submitted_on, period, ctx, now)
    rows = []
    seen: dict[int, int] = {}
    for row in content.indicator_rows:
        rec = _indicator(row, unit, period, ctx, seen)
        if rec:
            rows.append(rec | {"note": row.cells.get("note")})
    for row in content.task_rows:
        rec = _task(row, unit, period, ctx)
        if rec:
            rows.append(rec)
    return _frame(rows, ctx.plan, submitted)


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


def _submitted_at(value: object, period: Period, ctx: _Context, now: dt.datetime) -> dt.datetime:
    from kehoach.data.forms import DATE_CELL, INDICATOR_SHEET

    if value is None:
        return now
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        ctx.add(f"ngày gửi báo cáo “{value}” không phải là ngày", INDICATOR_SHEET, 4, DATE_CELL[0])
        return now
    if day > ctx.today:
        ctx.add(f"ngày gửi báo cáo {day:%d/%m/%Y} ở tương lai", INDICATOR_SHEET, 4, DATE_CELL[0])
    elif day < period.start:
        ctx.add(f"ngày gửi báo cáo {day:%d/%m/%Y} trước khi kỳ báo cáo bắt đầu", INDICATOR_SHEET, 4, DATE_CELL[0])
    return dt.datetime.combine(day, dt.time(8, 0), VN_TZ)


# -- CSV --------------------------------------------------------------------------------
def _from_csv(data: bytes, ctx: _Context, now: dt.datetime) -> pd.DataFrame:
    try:
        text = nfc(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        ctx.add("tệp CSV phải mã hóa UTF-8")
        return pd.DataFrame()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        ctx.add(f"sai cấu trúc tệp CSV: thiếu cột {', '.join(missing)}", sheet=None, row=1)
        return pd.DataFrame()
    rows, seen = [], {}
    for number, raw in enumerate(reader, start=2):
        raw = {k.strip(): (v.strip() or None) if isinstance(v, str) else v for k, v in raw.items() if k}
        if raw.get("ward") != ctx.plan.ward:
            ctx.add(f"dòng của phường “{raw.get('ward')}”, không phải {ctx.plan.ward}", row=number, column="ward")
            continue
        if raw.get("year") != str(ctx.plan.year):
            ctx.add(f"năm kế hoạch “{raw.get('year')}” khác {ctx.plan.year}", row=number, column="year")
            continue
        period = _period(raw.get("period"), ctx, row=number, column="period")
        unit = raw.get("unit_code")
        if unit not in {u.code for u in ctx.plan.units}:
            ctx.add(f"đơn vị “{unit}” không có trong kế hoạch", row=number, column="unit_code")
            continue
        if period is None:
            continue
        submitted = _csv_time(raw.get("submitted_at"), ctx, number, now)
        if raw.get("task"):
            row = FormRow(sheet=None, row=number, key=raw["task"], cells={"status": raw.get("status"), "note": raw.get("note")})
            rec = _task(row, unit, period, ctx, columns={"key": "task", "status": "status"})
        else:
            row = FormRow(sheet=None, row=number, key=raw.get("indicator"),
                          cells={"value": raw.get("value"), "type": raw.get("is_estimate"), "note": raw.get("note")})
            rec = _indicator(row, unit, period, ctx, seen, columns={"key": "indicator", "value": "value", "type": "is_estimate"})
            if rec:
                rec["note"] = raw.get("note")
        if rec:
            rows.append(rec | {"submitted_at": submitted})
    return _frame(rows, ctx.plan, None)


def _csv_time(value: str | None, ctx: _Context, row: int, now: dt.datetime) -> dt.datetime:
    if not value:
        return now
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        ctx.add(f"thời điểm gửi “{value}” không đúng dạng ISO (2026-10-03T08:00:00+07:00)", row=row, column="submitted_at")
        return now
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=VN_TZ)


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
    key = (number, str(period))
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
    low, high = ind.bounds
    if high is not None and value > high:
        what = "tỷ lệ không được vượt quá 100%" if ind.unit == "%" else f"giá trị không được lớn hơn {fmt_number(high)}"
        ctx.add(f"chỉ tiêu ({number}): {fmt_number(value)} — {what}", column=cols["value"], **at)
        return None
    if low is not None and value < low:
        what = "số liệu không được âm" if low == 0 else f"giá trị không được nhỏ hơn {fmt_number(low)}"
        ctx.add(f"chỉ tiêu ({number}): {fmt_number(value)} — {what}", column=cols["value"], **at)
        return None
    is_estimate = _TYPES.get(str(type_raw).lower()) if type_raw is not None else None
    if is_estimate is None:
        ctx.add(f"chỉ tiêu ({number}): loại số liệu phải là “{ACTUAL}” hoặc “{ESTIMATE}”", column=cols["type"], **at)
        return None
    return {"record": "indicator", "indicator": number, "task": None, "period": str(period), "value": value,
            "is_estimate": is_estimate, "status": None, "unit_code": unit}


def _task(row: FormRow, unit: str, period: Period, ctx: _Context, columns: dict[str, str] | None = None) -> dict | None:
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
    status = _STATUS_BY_LABEL.get(str(status_raw).lower())
    if status is None:
        ctx.add(f"nhiệm vụ {task.id}: tình trạng phải là {', '.join(TASK_STATUSES.values())}", column=cols["status"], **at)
        return None
    return {"record": "task", "indicator": None, "task": task.id, "period": str(period), "value": None,
            "is_estimate": None, "status": status, "unit_code": unit, "note": row.cells.get("note")}


def _frame(rows: list[dict], plan: Plan, submitted: dt.datetime | None) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    frame.insert(0, "year", plan.year)
    frame.insert(0, "ward", plan.ward)
    if submitted is not None:
        frame["submitted_at"] = submitted
    frame["indicator"] = frame["indicator"].astype("Int64")
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
            ward, year = row.get("ward"), row.get("year")
        else:
            meta = read_form(path).meta
            ward, year = meta.get("ward"), meta.get("year")
        return (nfc(ward).strip() if ward else None), (int(year) if year and str(year).strip().isdigit() else None)
    except (FormLayoutError, OSError, UnicodeDecodeError, csv.Error, ValueError):
        return None, None
