"""What a report notebook works from: the period's inputs, computed once and passed as files.

:func:`compute` loads the plan and the stored records of one ward and year, keeps the
revisions submitted up to the cut-off, and evaluates the period: the same function serves the
quarterly run and a notebook opened in JupyterLab. :func:`write` saves those frames into a
report folder's ``inputs/`` (Parquet, the plan file, the parameters and their checksums), and
:func:`read` loads them back, so an executed notebook can be re-run with plain papermill and
gives the same sections.

:func:`load` is the notebooks' entry point: with ``inputs`` (set by ``kehoach run``) it reads
the run's files; without, it computes from ``data/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kehoach.analysis.completeness import completeness
from kehoach.analysis.evaluation import evaluate, task_status
from kehoach.core import config
from kehoach.core.errors import KehoachError, UsageError
from kehoach.core.files import atomic_write
from kehoach.core.parameters import PeriodParameters, load_parameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data.plan import Plan, find_plan, load_plan
from kehoach.data.schemas import PROGRESS, RECORDS, TEXTS, check
from kehoach.core.labels import ILLUSTRATIVE_BANNER, ILLUSTRATIVE_MIXED_BANNER
from kehoach.data.store import ProgressStore, latest, latest_tasks, latest_texts
from kehoach.data.years import indicators_across_years, previous_plan, values_across_years

log = logging.getLogger(__name__)

INPUTS_DIR = "inputs"
FRAMES = ("records", "progress", "evaluated", "tasks", "completeness", "texts")


@dataclass
class ReportContext:
    """Everything the reports of one ward and period are built from."""

    plan: Plan
    params: PeriodParameters
    period: Period
    cutoff: dt.datetime            # revisions submitted after this moment are not used
    records: pd.DataFrame          # every revision used (submitted up to the cut-off)
    progress: pd.DataFrame         # the latest of them per indicator and period
    evaluated: pd.DataFrame        # each quarter of the year up to this period
    tasks: pd.DataFrame            # the plan's tasks with their status this period
    completeness: pd.DataFrame     # who reported, when, and what is missing
    texts: pd.DataFrame            # the units' latest words of this period (TEXTS), sent up to the cut-off
    next_deadline: dt.date         # when the units' reports of the next period are due (its parameters)
    illustrative: bool             # some figure used is from the illustrative dataset
    plan_sha256: str
    illustrative_mixed: bool = False  # … and some are real: the reports mark the illustrative ones
    #: SHA-256 of the stored records read, by ``<ward>/<year>``: taken from the same read as ``records``.
    records_sha256: dict[str, str] = field(default_factory=dict)

    @property
    def banner(self) -> str:
        """The illustrative banner the reports show, if any."""
        if not self.illustrative:
            return ""
        return ILLUSTRATIVE_MIXED_BANNER if self.illustrative_mixed else ILLUSTRATIVE_BANNER

    @property
    def current(self) -> pd.DataFrame:
        """The evaluation of this period only."""
        return self.evaluated[self.evaluated["period"] == str(self.period)].reset_index(drop=True)


def cutoff_of(as_of: str | dt.date | dt.datetime | None, period: Period | None = None) -> dt.datetime:
    """The data cut-off: the end of ``as_of`` (a date, Vietnam time), or now when empty.

    :func:`compute` passes the period's ``report_date`` when no ``as_of`` is given: a report dated
    10/10 uses what was sent up to the end of 10/10, never a later revision.

    With ``period``, a date before the period begins or after the end of the following year is
    refused (``9999-12-31``, a typo of the year): such a cut-off would silently report nothing,
    or a period as no one could have seen it.
    """
    if as_of in (None, ""):
        return dt.datetime.now(VN_TZ).replace(microsecond=0)
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of.strip())
        except ValueError:
            raise UsageError(f"Mốc chốt số liệu '{as_of}' không hợp lệ: ghi theo dạng NĂM-THÁNG-NGÀY, ví dụ 2026-10-10.") from None
    if isinstance(as_of, dt.datetime):
        cutoff = as_of if as_of.tzinfo else as_of.replace(tzinfo=VN_TZ)
    else:
        cutoff = dt.datetime.combine(as_of, dt.time(23, 59, 59), VN_TZ)
    if period is not None and not period.start <= cutoff.date() <= dt.date(period.year + 1, 12, 31):
        raise UsageError(f"Mốc chốt số liệu --as-of {cutoff.date():%Y-%m-%d} không hợp lệ cho kỳ {period}: phải từ ngày đầu kỳ "
                         f"({period.start:%Y-%m-%d}) đến hết năm {period.year + 1}. Sửa lại ngày rồi chạy lại.")
    return cutoff


def compute(period: str | Period, ward: str | None = None, year: int | None = None, data_dir: str | Path = "data",
            params: PeriodParameters | None = None, as_of: str | dt.date | dt.datetime | None = None) -> ReportContext:
    """Load the plan and the store and evaluate ``period`` as it stood at the cut-off. Reads only."""
    p = Period.parse(period)
    data = config.resolve(data_dir)
    plan = find_plan(ward, year or p.year, data / "plan")
    params = (params or load_parameters(p)).for_ward(plan.ward)
    store = ProgressStore(data / "progress")
    cutoff = cutoff_of(as_of or params.report_date, p)
    snapshots = [store.snapshot(plan.ward, plan.year)]
    records = _used(snapshots[0].records, cutoff)
    previous = previous_plan(plan, data / "plan")
    if previous is not None:
        snapshots.append(store.snapshot(previous.ward, previous.year))
    earlier = _used(snapshots[1].records, cutoff) if previous is not None else None
    progress = values_across_years(plan, records, previous, earlier)
    quarters = [Period(p.year, q) for q in range(1, p.quarter + 1)]
    return ReportContext(
        plan=plan, params=params, period=p, cutoff=cutoff, records=records, progress=progress,
        evaluated=evaluate(indicators_across_years(plan, previous), progress, quarters, params.behind_threshold),
        tasks=task_status(plan.task_frame, latest_tasks(records), p),
        completeness=completeness(plan, records, p, params.deadline),
        texts=period_texts(records, p), next_deadline=load_parameters(p.shift(1)).deadline,
        plan_sha256=_sha256(plan.source), **_illustrative(records),
        records_sha256={snap.key: snap.sha256 for snap in snapshots},
    )


def period_texts(records: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The units' latest words of ``period`` among ``records`` (already cut off), as the TEXTS frame."""
    texts = latest_texts(records)
    texts = texts[texts["period"] == str(period)].reset_index(drop=True)
    return check(TEXTS, texts[list(TEXTS.columns)], "Nội dung báo cáo của các đơn vị")


def _illustrative(records: pd.DataFrame) -> dict[str, bool]:
    """Whether the latest figures used are illustrative: all of them, some of them, or none."""
    if records.empty or "illustrative" not in records.columns:
        return {"illustrative": False, "illustrative_mixed": False}
    current = latest(records, ["ward", "year", "record", "indicator", "task", "period"])
    flags = current["illustrative"].fillna(False).astype(bool)
    return {"illustrative": bool(flags.any()), "illustrative_mixed": bool(flags.any() and not flags.all())}


def _used(records: pd.DataFrame, cutoff: dt.datetime) -> pd.DataFrame:
    """The stored revisions submitted up to the cut-off."""
    records = check(RECORDS, records, "Số liệu đã lưu")
    return records[records["submitted_at"] <= pd.Timestamp(cutoff)].reset_index(drop=True)


def _sha256(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.exists() else ""


# -- the files a run passes to its notebooks -------------------------------------------------
def write_frames(folder: Path, frames: dict[str, pd.DataFrame], manifest: dict, extra: dict[str, bytes] | None = None) -> Path:
    """Save ``frames`` as Parquet (and ``extra`` files as they are) into ``folder``, each atomically, with
    ``inputs.json``: ``manifest`` plus the SHA-256 of every file. Used for a ward's and a province's inputs."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, data in (extra or {}).items():
        atomic_write(folder / name, data)
        files[name] = hashlib.sha256(data).hexdigest()
    for name, frame in frames.items():
        if "missing" in frame.columns:  # a list column (completeness): plain ints for Parquet
            frame = frame.assign(missing=frame["missing"].map(lambda m: [int(n) for n in m]))
        data = frame.to_parquet(index=False)
        atomic_write(folder / f"{name}.parquet", data)
        files[f"{name}.parquet"] = hashlib.sha256(data).hexdigest()
    atomic_write(folder / "inputs.json", json.dumps({**manifest, "files_sha256": files}, ensure_ascii=False, indent=2))
    return folder


def read_frames(folder: Path, names: tuple[str, ...], rerun: str) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The manifest and the frames saved by :func:`write_frames`, each file checked against its checksum.

    ``rerun`` is the command that writes them again, for the message when a file is missing or changed.
    """
    try:
        manifest = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KehoachError(f"{folder}: không đọc được số liệu đầu vào của báo cáo ({exc}). Chạy lại bằng {rerun}.") from None
    for name, digest in manifest["files_sha256"].items():
        if _sha256(folder / name) != digest:
            raise KehoachError(f"{folder / name}: tệp số liệu đầu vào đã bị thay đổi hoặc bị thiếu sau lần chạy. "
                               f"Chạy lại bằng {rerun}.")
    frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}
    for frame in frames.values():
        if "missing" in frame.columns:
            frame["missing"] = frame["missing"].map(lambda m: [int(n) for n in m])
    return manifest, frames


def write(ctx: ReportContext, folder: Path) -> Path:
    """Save the context's inputs into ``folder`` (a report folder's ``inputs/``), each file atomically."""
    manifest = {
        "ward": ctx.plan.ward, "year": ctx.plan.year, "period": str(ctx.period),
        "cutoff": ctx.cutoff.isoformat(), "next_deadline": ctx.next_deadline.isoformat(),
        "illustrative": ctx.illustrative,
        "illustrative_mixed": ctx.illustrative_mixed, "plan_sha256": ctx.plan_sha256,
        "parameters": json.loads(ctx.params.model_dump_json()), "records_sha256": ctx.records_sha256,
    }
    plan_bytes = ctx.plan.source.read_bytes() if ctx.plan.source else b""
    return write_frames(folder, {name: getattr(ctx, name) for name in FRAMES}, manifest, {"plan.yaml": plan_bytes})


def read(folder: Path) -> ReportContext:
    """Load the inputs saved by :func:`write`, checking each file against its recorded checksum."""
    manifest, frames = read_frames(folder, FRAMES, "kehoach run")
    check(RECORDS, frames["records"], "Số liệu đã dùng")
    check(PROGRESS, frames["progress"], "Số liệu mới nhất đã dùng")
    frames["texts"] = check(TEXTS, frames["texts"], "Nội dung báo cáo của các đơn vị")
    return ReportContext(
        plan=load_plan(folder / "plan.yaml"), params=PeriodParameters.model_validate(manifest["parameters"]),
        period=Period.parse(manifest["period"]), cutoff=dt.datetime.fromisoformat(manifest["cutoff"]),
        next_deadline=dt.date.fromisoformat(manifest["next_deadline"]),
        illustrative=bool(manifest["illustrative"]), illustrative_mixed=bool(manifest.get("illustrative_mixed")),
        plan_sha256=manifest["plan_sha256"], records_sha256=manifest.get("records_sha256", {}), **frames)


# -- the notebooks' entry point -----------------------------------------------------------
def load(period: str, ward: str = "", year: int = 0, data_dir: str = "data", inputs: str = "", report_folder: str = "",
         as_of: str = "", **overrides: object) -> ReportContext:
    """The context of a report notebook.

    With ``inputs`` (set by ``kehoach run``): the run's saved inputs. A relative ``inputs`` is
    looked up in the kernel's working folder (the run executes there), then under
    ``report_folder`` in the project (a re-run of the published notebook with plain papermill).
    Without ``inputs``: computed from ``data_dir``, with ``parameters/<period>.yaml`` for every
    parameter left empty here (``report_date``, ``deadline``, ``behind_threshold`` …).
    """
    if inputs:
        ctx = read(_inputs_folder(inputs, report_folder))
        if str(ctx.period) != str(Period.parse(period)) or (ward and ctx.plan.ward != ward):
            raise KehoachError(f"Số liệu đầu vào ở {inputs} là của {ctx.plan.ward} {ctx.period}, không phải "
                               f"{ward or ctx.plan.ward} {period}.")
        return ctx
    base = load_parameters(period)
    given = {k: v for k, v in overrides.items() if v not in (None, "", 0) and k in PeriodParameters.model_fields}
    params = PeriodParameters.model_validate({**base.model_dump(), **given})
    return compute(period, ward=ward or params.ward, year=year or params.year, data_dir=data_dir, params=params,
                   as_of=as_of or None)


def _inputs_folder(inputs: str, report_folder: str) -> Path:
    path = Path(inputs)
    if path.is_absolute():
        return path
    here = Path.cwd() / path
    if (here / "inputs.json").exists():
        return here
    return config.resolve(report_folder or ".") / path
