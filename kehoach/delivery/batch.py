"""The quarterly run: inputs → notebooks → HTML → index, summary and manifest → publish.

:func:`run_period` evaluates the period once (:func:`kehoach.reporting.context.compute`) and
saves the frames into the report folder's ``inputs/``. Each report notebook then does its own
analysis from those files in its own kernel; the run only executes the notebooks and exports them.

How work travels (the same for a local process pool and for Dask): a :class:`Job` carries the
notebook, its parameters and the bytes of the period's input files; :func:`execute_job` runs on
a worker in a private temporary folder and returns the executed notebook and its HTML as an
:class:`Outcome`; only the client writes ``reports/``. No shared filesystem is needed and
nothing stays in ``/tmp``.

Kernels use IPC sockets named after a unique path (jupyter_client's public ``transport`` and
``ip`` traits), so kernels starting side by side never race for a TCP port (papermill#511).
Everything is built in a hidden staging folder and swapped into place at the end, so a crash
never leaves a half-written report folder.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kehoach.core import config, startup
from kehoach.core.errors import RunError
from kehoach.core.files import atomic_write, exclusive_lock
from kehoach.core.parameters import PeriodParameters, load_parameters
from kehoach.core.period import Period, latest_ended
from kehoach.data.store import ProgressStore
from kehoach.reporting import context
from kehoach.reporting.context import ReportContext

log = logging.getLogger(__name__)

NOTEBOOKS = {"overview": "overview.ipynb", "unit": "unit.ipynb", "indicators": "indicators.ipynb"}
MARKER = ".kehoach-report"
#: jupyter_client interrupts every kernel before shutting it down, and ipykernel logs that as an
#: ERROR ("KeyboardInterrupt caught in kernel") on the terminal of the run; a finished notebook's
#: kernel has nothing else to say there. Errors in cells still come back through papermill.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]  # marks a folder that a run created and may replace


@dataclass(frozen=True)
class Job:
    """One notebook run: everything a worker needs, with no reference to the client's disk."""

    name: str
    title: str
    html_name: str
    notebook_name: str
    notebook: bytes
    parameters: dict[str, Any]
    inputs: dict[str, bytes]
    kehoach_root: str = ""
    run_id: str = ""  # names the worker's temporary folder: kehoach-job-<run_id>-…
    docx: bool = False  # also write the Word draft (the overview and the unit letters)


@dataclass
class Outcome:
    """What a worker sends back: the executed notebook and its HTML, or the error."""

    name: str
    executed: bytes
    html: str | None
    started: str
    finished: str
    duration_s: float
    error: str | None = None
    docx: bytes | None = None


@dataclass
class JobResult:
    name: str
    title: str
    notebook: str
    executed: str
    html: str | None
    started: str
    finished: str
    duration_s: float
    outcome: str  # "ok" | "failed"
    error: str | None = None
    html_bytes: int | None = None
    docx: str | None = None


@dataclass
class RunResult:
    period: str
    folder: Path
    results: list[JobResult] = field(default_factory=list)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.outcome != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed


# -- which period -----------------------------------------------------------------------------
def resolve_period(text: str, today: dt.date | None = None, store: ProgressStore | None = None) -> Period:
    """``2026-Q3``; ``latest``: the last quarter ended by today; ``data-latest``: the last quarter with data."""
    if text == "latest":
        return latest_ended(today)
    if text == "data-latest":
        records = (store or ProgressStore()).read()
        periods = records.loc[(records["record"] == "indicator") & (records["year"] == records["period"].str[:4].astype("int64")), "period"]
        if periods.empty:
            raise RunError("Chưa có số liệu nào trong kho. Nhập biểu báo cáo của các đơn vị trước (kehoach import) "
                           "hoặc tạo bộ số liệu minh họa (kehoach sample-data).")
        return max(Period.parse(p) for p in periods.unique())
    return Period.parse(text)


# -- the jobs ------------------------------------------------------------------------------------
def plan_jobs(ctx: ReportContext, notebooks_dir: Path, inputs: dict[str, bytes], report_folder: str,
              run_id: str = "") -> list[Job]:
    """The overview, the indicator detail, and one unit report per reporting unit."""
    missing = [n for n in NOTEBOOKS.values() if not (notebooks_dir / n).exists()]
    if missing:
        raise RunError(f"Thiếu sổ tính (notebook) trong {notebooks_dir}: {', '.join(missing)}. Lấy lại từ bản gốc của dự án.")
    books = {kind: (notebooks_dir / name).read_bytes() for kind, name in NOTEBOOKS.items()}
    base = {"period": str(ctx.period), "ward": ctx.plan.ward, "year": ctx.plan.year, "inputs": context.INPUTS_DIR,
            "report_folder": report_folder}
    label = ctx.period.label()
    root = str(config.project_root())

    def job(name: str, kind: str, title: str, html: str, **extra: Any) -> Job:
        return Job(name, title, html, NOTEBOOKS[kind], books[kind], {**base, **extra}, inputs, root, run_id,
                   docx=kind in ("overview", "unit"))

    jobs = [job("overview", "overview", f"Báo cáo tổng hợp {label}", "bao-cao-tong-hop.html"),
            job("indicators", "indicators", f"Chi tiết từng chỉ tiêu {label}", "chi-tiet-chi-tieu.html")]
    jobs += [job(f"unit-{u.code}", "unit", f"Báo cáo {u.name} {label}", f"don-vi-{u.code}.html", unit=u.code)
             for u in ctx.plan.reporting_units]
    return jobs


def execute_job(job: Job) -> Outcome:
    """Run one notebook with papermill in a private folder and export it. Never raises for a notebook failure.

    Runs on any worker: the inputs arrive as bytes in ``job`` and the results go back in the
    :class:`Outcome`; the private folder is removed before returning.
    """
    import papermill as pm
    from traitlets.config import Config

    from kehoach.reporting.export import render_html
    from kehoach.reporting.word import notebook_to_docx

    started = dt.datetime.now().astimezone()
    clock = time.perf_counter()
    error, html, executed, docx = None, None, b"", None
    os.environ[startup.ENV_VAR] = "1"  # the kernels this worker starts skip the rfc3987 grammar build
    if job.kehoach_root:
        os.environ.setdefault("KEHOACH_ROOT", job.kehoach_root)
    with tempfile.TemporaryDirectory(prefix=f"kehoach-job-{job.run_id}-") as tmp:
        folder = Path(tmp)
        (folder / context.INPUTS_DIR).mkdir()
        for name, data in job.inputs.items():
            (folder / context.INPUTS_DIR / name).write_bytes(data)
        source, out = folder / job.notebook_name, folder / "executed.ipynb"
        source.write_bytes(job.notebook)
        kernel = Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "k")}})
        try:
            # request_save_on_cell_execute=False: papermill would otherwise rewrite the whole output
            # notebook before and after every cell; it still writes it at the end and on failure.
            nb = pm.execute_notebook(str(source), str(out), parameters=job.parameters, progress_bar=False,
                                     kernel_name="python3", cwd=str(folder), request_save_on_cell_execute=False,
                                     config=kernel, extra_arguments=KERNEL_ARGUMENTS)
            html = render_html(nb, job.title)
            if job.docx:  # the Word draft, from the same section blocks as the HTML
                docx = notebook_to_docx(nb, job.title)
        except pm.PapermillExecutionError as exc:
            error = f"ô lệnh số {exc.exec_count}: {exc.ename}: {exc.evalue}"
        except Exception as exc:  # noqa: BLE001 - a failed notebook must not stop the batch; reported by the client
            log.exception("notebook %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"
        if out.exists():
            executed = out.read_bytes()
    finished = dt.datetime.now().astimezone()
    return Outcome(job.name, executed, html, started.isoformat(timespec="seconds"), finished.isoformat(timespec="seconds"),
                   round(time.perf_counter() - clock, 2), error, docx if not error else None)


@contextmanager
def local_executor(workers: int) -> Iterator[cf.Executor]:
    """A pool of ``workers`` processes, started fresh (spawn): no lock or thread is inherited."""
    with cf.ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def progress_bar(total: int, show: bool):  # noqa: ANN201 - a tqdm bar
    """The run's one progress bar (on stderr; silent unless ``show``)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="Lập báo cáo", unit="báo cáo", disable=not show, file=sys.stderr)


def execute_each(jobs: list[Job], executor: cf.Executor, on_done: Callable[[int, Outcome], None], bar: Any = None) -> None:
    """Submit every job to ``executor``; call ``on_done(index, outcome)`` as each returns (in any order).

    A job whose worker raised or was lost for good comes back as a failed :class:`Outcome`; one
    failure never stops the others. Each job is reported exactly once.
    """
    futures = {executor.submit(execute_job, job): i for i, job in enumerate(jobs)}
    for future in cf.as_completed(futures):
        i = futures[future]
        try:
            outcome = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker fails its job, not the batch
            now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
            outcome = Outcome(jobs[i].name, b"", None, now, now, 0.0, f"{type(exc).__name__}: {exc}")
        if outcome.error:
            log.error("%s failed: %s", outcome.name, outcome.error)
        on_done(i, outcome)
        if bar is not None:
            bar.update(1)


def execute_all(jobs: list[Job], executor: cf.Executor, on_done: Callable[[Outcome], None] | None = None,
                show_progress: bool = False) -> list[Outcome]:
    """Submit every job to ``executor`` and collect the outcomes in the jobs' order, behind one progress bar."""
    outcomes: list[Outcome | None] = [None] * len(jobs)

    def done(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        if on_done:
            on_done(outcome)

    with progress_bar(len(jobs), show_progress) as bar:
        execute_each(jobs, executor, done, bar)
    return [o for o in outcomes if o is not None]


def store_outcome(folder: Path, job: Job, outcome: Outcome) -> JobResult:
    """Write a worker's outcome into the (staging) report folder."""
    executed = Path("notebooks") / f"{job.name}.ipynb"
    (folder / "notebooks").mkdir(exist_ok=True)
    if outcome.executed:
        atomic_write(folder / executed, outcome.executed)
    size, docx = None, None
    if outcome.html is not None:
        size = atomic_write(folder / job.html_name, outcome.html).stat().st_size
    if outcome.docx:
        docx = str(Path(job.html_name).with_suffix(".docx"))
        atomic_write(folder / docx, outcome.docx)
    return JobResult(job.name, job.title, job.notebook_name, str(executed), job.html_name if outcome.html else None,
                     outcome.started, outcome.finished, outcome.duration_s,
                     "failed" if outcome.error else "ok", outcome.error, size, docx)


# -- index, summary and manifest ---------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_checksums(ctx: ReportContext, params_dir: Path, notebooks_dir: Path, data_dir: Path) -> dict[str, str]:
    """SHA-256 of every file the run read: plan, store, parameters and notebooks."""
    root = config.project_root()
    store = ProgressStore(data_dir / "progress")
    paths = [ctx.plan.source, params_dir / f"{ctx.period}.yaml", *(notebooks_dir / n for n in NOTEBOOKS.values())]
    out = {}
    for path in paths:
        if path and Path(path).exists():
            out[_relative(Path(path), root)] = _sha256(Path(path))
    out[_relative(store.records_path(ctx.plan.ward, ctx.plan.year), root)] = store.snapshot(ctx.plan.ward, ctx.plan.year).sha256
    return out


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def write_summary(folder: Path, ctx: ReportContext) -> Path:
    """``summary.json`` and ``tinh-hinh.png``: what the email body says, taken from this run's evaluation."""
    from kehoach.analysis import charts, narrative
    from kehoach.core.labels import STATUSES

    current = ctx.current
    counts = current["status"].value_counts()
    png = charts.draw_png(charts.status_overview(current), scale=1.0)
    atomic_write(folder / "tinh-hinh.png", png)
    doc = ctx.plan.document
    summary = {
        "period": str(ctx.period), "period_label": ctx.period.label(), "ward": ctx.plan.ward,
        "ward_name": f"{doc.ward_kind} {doc.ward}", "issuing_body": doc.issuing_body,
        "status_counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        "summary": narrative.summary(current), "completeness": narrative.completeness_text(ctx.completeness),
        "illustrative": ctx.illustrative, "cutoff": ctx.cutoff.isoformat(), "chart": "tinh-hinh.png",
    }
    return atomic_write(folder / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2))


def write_manifest(folder: Path, ctx: ReportContext, checksums: dict[str, str], results: list[JobResult],
                   started: dt.datetime, run_id: str = "") -> Path:
    from kehoach import __version__

    manifest = {
        "period": str(ctx.period), "ward": ctx.plan.ward, "year": ctx.plan.year, "run_id": run_id,
        "parameters": json.loads(ctx.params.model_dump_json()), "cutoff": ctx.cutoff.isoformat(),
        "inputs_sha256": checksums, "illustrative_data": ctx.illustrative,
        "kehoach_version": __version__, "python": sys.version.split()[0],
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "notebooks": [asdict(r) for r in results],
    }
    return atomic_write(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))


def write_index(folder: Path, ctx: ReportContext, results: list[JobResult]) -> Path:
    """``index.html``: a link to each report, and which failed."""
    from kehoach.core.formatting import fmt_number
    from kehoach.reporting.blocks import render
    from kehoach.reporting.export import check_self_contained

    rows = [{"title": r.title, "html": r.html, "docx": r.docx, "ok": r.outcome == "ok", "error": r.error, "executed": r.executed,
             "size": f"{fmt_number(r.html_bytes / 1024, 0)} KB" if r.html_bytes else "—"} for r in results]
    page = render("index.html.j2", title=f"Báo cáo {ctx.period.label()}", issuer=ctx.plan.document.issuing_body,
                  rows=rows, banner=ctx.banner)
    check_self_contained(page, "index.html")
    return atomic_write(folder / "index.html", page)


# -- where the reports go ----------------------------------------------------------------------
def output_folder(params: PeriodParameters, period: Period, ward: str | None = None) -> Path:
    """``reports/<period>`` (``reports/<period>/<ward>`` when given), or ``output_dir`` when it names a folder a run may own.

    A run writes only inside ``reports/``, and replaces only a folder it created itself (it
    holds :data:`MARKER`) or one that does not exist yet or is empty. Anything else is refused:
    a parameters file can never make a run delete the data, another period or the send log.
    """
    reports = config.reports_dir().resolve()
    if ward:  # a workspace of several wards: the layout is fixed, output_dir does not apply
        target = Path("reports") / str(period) / ward
    else:
        target = Path(params.output_dir) if params.output_dir else Path("reports") / str(period)
    target = (target if target.is_absolute() else config.project_root() / target).resolve()
    refuse = RunError(f"output_dir '{params.output_dir}' trong parameters/{period}.yaml không hợp lệ: báo cáo chỉ được ghi "
                      f"vào một thư mục riêng bên trong {reports} (mặc định reports/{period}). Sửa hoặc xóa dòng output_dir.")
    if not target.is_relative_to(reports) or target == reports or target.name.startswith("."):
        raise refuse
    if target.exists() and any(target.iterdir()) and not (target / MARKER).exists():
        raise refuse
    return target


def period_lock(folder: Path, period: Period) -> AbstractContextManager[None]:
    """One run at a time per report folder (a period, or a ward's folder inside it)."""
    reports = folder.parent
    reports.mkdir(parents=True, exist_ok=True)
    lock = reports / f".{folder.name}.lock"
    return exclusive_lock(lock, RunError(f"Đang có một lần chạy khác cho kỳ {period}. Chờ lần chạy đó xong rồi chạy lại."))


def remove_leftovers(parent: Path, final: Path) -> None:
    """Staging and old folders a killed run of this folder left behind (only while holding its lock)."""
    for pattern in (f".staging-{final.name}-*", f".old-{final.name}-*"):
        for folder in parent.glob(pattern):
            log.info("removing %s, left by an interrupted run", folder)
            shutil.rmtree(folder, ignore_errors=True)


def publish(staging: Path, final: Path) -> None:
    """Swap the finished staging folder into place; the old reports go only once the new ones are there."""
    old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _inputs_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# -- the recipe -------------------------------------------------------------------------------
def wards_of_year(year: int, data_dir: Path) -> list[str]:
    """The wards that have a plan for ``year`` in the workspace."""
    from kehoach.data.plan import list_plans

    return sorted({e.ward for e in list_plans(data_dir / "plan") if e.year == year})


@dataclass
class WardRun:
    """One ward's part of a run, between :func:`prepare_ward` and :func:`finish_ward`.

    ``jobs`` are the notebooks still to execute; ``kept`` holds the results of an earlier run
    that ``--only-failed`` keeps (their files are already copied into ``staging``).
    """

    period: Period
    ctx: ReportContext
    final: Path
    staging: Path
    jobs: list[Job]
    checksums: dict[str, str]
    started: dt.datetime
    kept: dict[str, JobResult] = field(default_factory=dict)
    results: dict[str, JobResult] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    run_id: str = ""

    def keep(self, outcome: Outcome) -> None:
        """Store one returned outcome into the staging folder."""
        job = next(j for j in self.jobs if j.name == outcome.name)
        self.results[outcome.name] = store_outcome(self.staging, job, outcome)

    def ordered(self) -> list[JobResult]:
        return [self.results.get(name) or self.kept[name] for name in self.order]


def prepare_ward(p: Period, params: PeriodParameters, ward: str | None, notebooks_dir: Path, several: bool,
                 as_of: str | dt.date | None = None, started: dt.datetime | None = None,
                 ctx: ReportContext | None = None) -> WardRun:
    """Evaluate one ward's period, open its staging folder and write its inputs; the jobs are not run yet.

    The caller must hold :func:`period_lock` of ``WardRun.final`` and call :func:`finish_ward`
    or :func:`discard_ward`.
    """
    started = started or dt.datetime.now().astimezone()
    year = params.year or p.year
    ctx = ctx or context.compute(p, ward=ward, year=year, data_dir=params.data_dir, params=params, as_of=as_of)
    final = output_folder(params, p, ctx.plan.ward if several else None)
    if ctx.records.empty:
        raise RunError(f"Chưa có số liệu của {ctx.plan.ward} năm {ctx.plan.year}. Nhập biểu báo cáo của các đơn vị trước.")
    checksums = input_checksums(ctx, config.parameters_dir(), notebooks_dir, config.resolve(params.data_dir))
    run_id = uuid.uuid4().hex[:8]
    remove_leftovers(final.parent, final)
    staging = final.parent / f".staging-{final.name}-{run_id}"
    staging.mkdir(parents=True)
    try:
        (staging / MARKER).write_text(f"{p}\n", encoding="utf-8")
        inputs = context.write(ctx, staging / context.INPUTS_DIR)
        report_folder = str(final.relative_to(config.project_root())) if final.is_relative_to(config.project_root()) else str(final)
        jobs = plan_jobs(ctx, notebooks_dir, _inputs_bytes(inputs), report_folder, run_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WardRun(p, ctx, final, staging, jobs, checksums, started, order=[j.name for j in jobs], run_id=run_id)


def finish_ward(run: WardRun) -> list[JobResult]:
    """Summary, manifest and index into the staging folder, then publish it; returns the results in order."""
    try:
        ordered = run.ordered()
        write_summary(run.staging, run.ctx)
        write_manifest(run.staging, run.ctx, run.checksums, ordered, run.started, run.run_id)
        write_index(run.staging, run.ctx, ordered)
        publish(run.staging, run.final)
    finally:
        shutil.rmtree(run.staging, ignore_errors=True)
    return ordered


def discard_ward(run: WardRun) -> None:
    """Drop an unfinished ward's staging folder; the published reports stay as they were."""
    shutil.rmtree(run.staging, ignore_errors=True)


def run_period(period: str | Period = "latest", jobs: int | None = None, notebooks_dir: Path | None = None,
               show_progress: bool = False, today: dt.date | None = None, as_of: str | dt.date | None = None,
               executor: cf.Executor | None = None, ward: str | None = None) -> RunResult:
    """Build every report of ``period``. Raises :class:`RunError` if it cannot start; see ``RunResult.ok``.

    ``as_of`` rebuilds the period as it stood at the end of that day (revisions sent later are
    left out); by default the cut-off is the time of the run. ``executor`` runs the notebooks
    (any ``concurrent.futures`` executor, e.g. Dask's); by default a local pool of ``jobs`` processes.
    With one ward in the workspace the reports go to ``reports/<period>/``; with several, each
    ward's to ``reports/<period>/<ward>/``. Every ward at once: :func:`kehoach.delivery.province.run_all_wards`.
    """
    p = resolve_period(str(period), today)
    notebooks_dir = notebooks_dir or config.notebooks_dir()
    started = dt.datetime.now().astimezone()
    params = load_parameters(p, required=True)
    year = params.year or p.year
    wards = wards_of_year(year, config.resolve(params.data_dir))
    ward = ward or (params.ward if len(wards) < 2 or params.ward in wards else None)
    ctx = context.compute(p, ward=ward, year=year, data_dir=params.data_dir, params=params, as_of=as_of)
    several = len(wards) > 1
    final = output_folder(params, p, ctx.plan.ward if several else None)
    with period_lock(final, p):
        run = prepare_ward(p, params, ward, notebooks_dir, several, as_of, started, ctx)
        try:
            if executor is None:
                with local_executor(min(jobs or os.cpu_count() or 1, len(run.jobs))) as pool:
                    execute_all(run.jobs, pool, run.keep, show_progress)
            else:
                execute_all(run.jobs, executor, run.keep, show_progress)
        except BaseException:
            discard_ward(run)
            raise
        ordered = finish_ward(run)
    return RunResult(str(p), run.final, ordered)
