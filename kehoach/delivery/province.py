"""``kehoach run --ward all``: every commune's reports of a period, then the province roll-up.

1. Each commune (ward) of the workspace that has a plan for the period's year is prepared as
   in a one-ward run (:func:`kehoach.delivery.batch.prepare_ward`): evaluated once, its inputs
   written into its own staging folder. A commune that cannot be prepared (no data, a broken
   plan) is recorded and the others go on.
2. All communes' notebook runs go to ONE executor (local pool, Dask cluster) behind ONE
   progress bar; they are not run commune after commune. As each commune's jobs come back its
   reports are published under ``reports/<period>/<ward>/`` (a failed notebook is marked in
   that commune's index and manifest, exactly as in a one-ward run).
3. The province inputs (every commune's evaluated rows, completeness, which reports failed)
   are written to ``reports/<period>/tinh/inputs/`` and ``province.ipynb`` runs on the same
   executor. ``reports/<period>/index.html`` links the province report and every commune's
   reports and marks the communes whose reports failed.

``only_failed``: each commune's previous ``manifest.json`` says which notebooks failed; only
those run again, from the inputs saved by that run (so a re-run report matches the reports
kept beside it). Communes without a previous run are run in full; communes whose reports
all succeeded are not run, and the roll-up reads their saved inputs.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import logging
import shutil
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from kehoach.core import config
from kehoach.core.errors import KehoachError, RunError
from kehoach.core.files import atomic_write
from kehoach.core.parameters import PeriodParameters, load_parameters
from kehoach.core.period import Period
from kehoach.delivery import batch
from kehoach.delivery.batch import Job, JobResult, Outcome, WardRun
from kehoach.reporting import context, province_context
from kehoach.reporting.province_context import CommuneOutcome

log = logging.getLogger(__name__)

PROVINCE_FOLDER = "tinh"
PROVINCE_NOTEBOOK = "province.ipynb"
PROVINCE_HTML = "bao-cao-tinh.html"


@dataclass
class ProvinceResult:
    """What a ``--ward all`` run did: each commune's results (or why it has none), and the province report."""

    period: str
    folder: Path                                    # reports/<period>
    communes: dict[str, list[JobResult]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)   # communes that could not be prepared
    skipped: list[str] = field(default_factory=list)        # --only-failed: nothing to re-run
    province: JobResult | None = None
    province_name: str = ""
    executed: int = 0                                # notebook runs handed to the executor

    @property
    def failed(self) -> list[tuple[str, JobResult]]:
        out = [(w, r) for w, results in self.communes.items() for r in results if r.outcome != "ok"]
        if self.province is not None and self.province.outcome != "ok":
            out.append((PROVINCE_FOLDER, self.province))
        return out

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors and self.province is not None


def province_folder(params: PeriodParameters, p: Period, wards: list[str]) -> Path:
    if PROVINCE_FOLDER in wards:
        raise RunError(f"Có xã, phường mang mã '{PROVINCE_FOLDER}', trùng với thư mục báo cáo của tỉnh; đổi mã xã đó "
                       "(ward_code trong tệp kế hoạch).")
    return batch.output_folder(params, p, PROVINCE_FOLDER)


def run_all_wards(period: str | Period, jobs: int | None = None, executor: cf.Executor | None = None,
                  scheduler: str | None = None, only_failed: bool = False, show_progress: bool = False,
                  as_of: str | dt.date | None = None, notebooks_dir: Path | None = None,
                  today: dt.date | None = None) -> ProvinceResult:
    """Every commune's report set for ``period``, then the province report. See the module's docstring."""
    p = batch.resolve_period(str(period), today)
    notebooks_dir = notebooks_dir or config.notebooks_dir()
    if not (notebooks_dir / PROVINCE_NOTEBOOK).exists():
        raise RunError(f"Thiếu sổ tính {PROVINCE_NOTEBOOK} trong {notebooks_dir}. Lấy lại từ bản gốc của dự án.")
    params = load_parameters(p, required=True)
    started = dt.datetime.now().astimezone()
    wards = batch.wards_of_year(params.year or p.year, config.resolve(params.data_dir))
    if not wards:
        raise RunError(f"Không có kế hoạch năm {params.year or p.year} nào trong {config.resolve(params.data_dir) / 'plan'}.")
    top = province_folder(params, p, wards)
    if (top.parent / batch.MARKER).exists():  # reports/<period>/ holds a one-ward run: its index must not be replaced
        raise RunError(f"{top.parent} đang chứa báo cáo của một lần chạy cho một phường (không chia theo xã, phường). "
                       "--ward all dùng cho không gian làm việc của tỉnh (--root); chạy báo cáo một phường bằng --ward MÃ.")
    result = ProvinceResult(str(p), top.parent)
    with ExitStack() as stack:
        stack.enter_context(batch.period_lock(top, p))
        runs, kept = _prepare(p, params, wards, notebooks_dir, only_failed, as_of, started, stack, result)
        try:
            with ExitStack() as pool:
                ex = executor or pool.enter_context(_executor(scheduler, jobs, sum(len(r.jobs) for r in runs) + 1))
                _execute(p, params, runs, kept, notebooks_dir, ex, show_progress, started, result, top)
        finally:
            for run in runs:
                batch.discard_ward(run)
    write_period_index(result, p, params)
    return result


def _executor(scheduler: str | None, jobs: int | None, tasks: int):  # noqa: ANN202 - a context manager
    from kehoach.delivery.executors import open_executor

    return open_executor(scheduler, jobs, tasks)


def _prepare(p: Period, params: PeriodParameters, wards: list[str], notebooks_dir: Path, only_failed: bool,
             as_of: str | dt.date | None, started: dt.datetime, stack: ExitStack,
             result: ProvinceResult) -> tuple[list[WardRun], dict[str, context.ReportContext]]:
    """Each commune's WardRun (its lock held by ``stack``); with ``only_failed``, the contexts of communes left as they are."""
    runs, kept = [], {}
    for ward in wards:
        final = batch.output_folder(params, p, ward)
        stack.enter_context(batch.period_lock(final, p))
        try:
            previous = _previous(final) if only_failed else None
            if previous is not None and not previous["failed"]:
                kept[ward] = context.read(final / context.INPUTS_DIR)
                result.skipped.append(ward)
                continue
            run = (_prepare_rerun(p, final, previous, notebooks_dir, started) if previous is not None else
                   batch.prepare_ward(p, params, ward, notebooks_dir, True, as_of, started))
        except KehoachError as exc:
            log.error("%s: not prepared: %s", ward, exc)
            result.errors[ward] = str(exc)
            continue
        runs.append(run)
    return runs, kept


def _previous(final: Path) -> dict | None:
    """The previous run's manifest of a commune, with the names of its failed notebooks; None without one."""
    path = final / "manifest.json"
    if not path.exists() or not (final / context.INPUTS_DIR / "inputs.json").exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    manifest["failed"] = [n["name"] for n in manifest["notebooks"] if n["outcome"] != "ok"]
    return manifest


def _prepare_rerun(p: Period, final: Path, previous: dict, notebooks_dir: Path, started: dt.datetime) -> WardRun:
    """A WardRun that re-executes only the failed notebooks, from the inputs the previous run saved."""
    ctx = context.read(final / context.INPUTS_DIR)
    run_id = uuid.uuid4().hex[:8]
    batch.remove_leftovers(final.parent, final)
    staging = final.parent / f".staging-{final.name}-{run_id}"
    shutil.copytree(final, staging)
    try:
        report_folder = str(final.relative_to(config.project_root()))
        jobs = batch.plan_jobs(ctx, notebooks_dir, batch._inputs_bytes(staging / context.INPUTS_DIR), report_folder, run_id)
        failed = set(previous["failed"])
        results = {n["name"]: JobResult(**n) for n in previous["notebooks"]}
        kept = {name: r for name, r in results.items() if name not in failed}
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    again = [j for j in jobs if j.name in failed]
    known = {j.name for j in again} | set(kept)  # a failed notebook the plan no longer has is dropped
    return WardRun(p, ctx, final, staging, again, previous["inputs_sha256"], started, kept=kept,
                   order=[n["name"] for n in previous["notebooks"] if n["name"] in known], run_id=run_id)


def _execute(p: Period, params: PeriodParameters, runs: list[WardRun], kept: dict[str, context.ReportContext],
             notebooks_dir: Path, ex: cf.Executor, show_progress: bool, started: dt.datetime, result: ProvinceResult,
             top: Path) -> None:
    """All communes' jobs on one executor, each commune published when complete, then the province report."""
    work = [(run, job) for run in runs for job in run.jobs]
    pending = {id(run): len(run.jobs) for run in runs}
    result.executed = len(work) + 1
    with batch.progress_bar(len(work) + 1, show_progress) as bar:
        for run in [r for r in runs if not r.jobs]:
            _finish(run, result)

        def done(i: int, outcome: Outcome) -> None:
            run = work[i][0]
            run.keep(outcome)
            pending[id(run)] -= 1
            if pending[id(run)] == 0:
                _finish(run, result)

        batch.execute_each([job for _, job in work], ex, done, bar)
        outcomes = [_commune_outcome(run.ctx.plan.ward, run.ctx, result) for run in runs]
        outcomes += [_commune_outcome(ward, ctx, result) for ward, ctx in kept.items()]
        outcomes += [CommuneOutcome(ward, None, error=f"Không lập được báo cáo: {err}") for ward, err in result.errors.items()]
        outcomes.sort(key=lambda o: o.ward)
        result.province, result.province_name = _province(p, params, outcomes, notebooks_dir, ex, bar, started, top)


def _finish(run: WardRun, result: ProvinceResult) -> None:
    try:
        result.communes[run.ctx.plan.ward] = batch.finish_ward(run)
    except KehoachError as exc:
        log.error("%s: not published: %s", run.ctx.plan.ward, exc)
        result.errors[run.ctx.plan.ward] = str(exc)


def _commune_outcome(ward: str, ctx: context.ReportContext, result: ProvinceResult) -> CommuneOutcome:
    if ward in result.errors:
        return CommuneOutcome(ward, ctx, error=f"Không lập được báo cáo: {result.errors[ward]}")
    results = result.communes.get(ward)
    if results is None:  # --only-failed: left as it was; read its manifest for the count
        manifest = json.loads((config.reports_dir() / str(ctx.period) / ward / "manifest.json").read_text(encoding="utf-8"))
        results = [JobResult(**n) for n in manifest["notebooks"]]
    failed = [r.title for r in results if r.outcome != "ok"]
    return CommuneOutcome(ward, ctx, reports=len(results) - len(failed), failed=failed)


def _province(p: Period, params: PeriodParameters, outcomes: list[CommuneOutcome], notebooks_dir: Path,
              ex: cf.Executor, bar: object, started: dt.datetime, final: Path) -> tuple[JobResult, str]:
    """Gather the province inputs, run ``province.ipynb`` on the executor, publish ``reports/<period>/tinh/``."""
    cutoff = max((o.ctx.cutoff for o in outcomes if o.ctx), default=dt.datetime.now().astimezone())
    pctx = province_context.gather(p, params, outcomes, cutoff)
    batch.remove_leftovers(final.parent, final)
    staging = final.parent / f".staging-{final.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        (staging / batch.MARKER).write_text(f"{p}\n", encoding="utf-8")
        inputs = province_context.write(pctx, staging / context.INPUTS_DIR)
        report_folder = str(final.relative_to(config.project_root()))
        title = f"Báo cáo tổng hợp các xã, phường tỉnh {pctx.province} {p.label()}"
        job = Job("province", title, PROVINCE_HTML, PROVINCE_NOTEBOOK, (notebooks_dir / PROVINCE_NOTEBOOK).read_bytes(),
                  {"period": str(p), "inputs": context.INPUTS_DIR, "report_folder": report_folder},
                  batch._inputs_bytes(inputs), str(config.project_root()))
        outcome: list[Outcome] = []
        batch.execute_each([job], ex, lambda _i, o: outcome.append(o), bar)
        stored = batch.store_outcome(staging, job, outcome[0])
        manifest = {"period": str(p), "province": pctx.province, "communes": len(outcomes),
                    "started": started.isoformat(timespec="seconds"),
                    "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "notebooks": [stored.__dict__]}
        atomic_write(staging / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        batch.publish(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return stored, pctx.province


def write_period_index(result: ProvinceResult, p: Period, params: PeriodParameters) -> Path:
    """``reports/<period>/index.html``: the province report and every commune's reports, failures marked."""
    from kehoach.core.labels import ILLUSTRATIVE_BANNER
    from kehoach.reporting.blocks import render
    from kehoach.reporting.export import check_self_contained

    folder = result.folder
    rows = []
    if result.province is not None:
        r = result.province
        rows.append({"title": r.title, "html": f"{PROVINCE_FOLDER}/{r.html}" if r.html else None, "ok": r.outcome == "ok",
                     "docx": f"{PROVINCE_FOLDER}/{r.docx}" if r.docx else None,
                     "error": r.error, "executed": f"{PROVINCE_FOLDER}/{r.executed}", "size": "—"})
    illustrative = False
    for ward in sorted({*result.communes, *result.errors, *result.skipped}):
        summary = folder / ward / "summary.json"
        name, title = ward, ward
        if summary.exists():
            data = json.loads(summary.read_text(encoding="utf-8"))
            name, illustrative = data["ward_name"], illustrative or data["illustrative"]
            title = f"Báo cáo của {name}"
        failed = [r.title for r in result.communes.get(ward, []) if r.outcome != "ok"]
        error = result.errors.get(ward) or ("; ".join(failed) if failed else None)
        has_index = (folder / ward / "index.html").exists()
        rows.append({"title": title, "html": f"{ward}/index.html" if has_index else None, "ok": error is None, "docx": None,
                     "error": error, "executed": f"{ward}/manifest.json", "size": "—"})
    issuer = f"ỦY BAN NHÂN DÂN TỈNH {result.province_name.upper()}" if result.province_name else "ỦY BAN NHÂN DÂN TỈNH"
    page = render("index.html.j2", title=f"Báo cáo các xã, phường {p.label()}", issuer=issuer,
                  rows=rows, banner=ILLUSTRATIVE_BANNER if illustrative else "")
    check_self_contained(page, "index.html")
    manifest = {"period": str(p), "province": result.province_name, "notebook_runs": result.executed,
                "communes": {w: [r.__dict__ for r in results] for w, results in sorted(result.communes.items())},
                "not_prepared": result.errors, "left_as_they_were": result.skipped,
                "province_report": result.province.__dict__ if result.province else None}
    atomic_write(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return atomic_write(folder / "index.html", page)
