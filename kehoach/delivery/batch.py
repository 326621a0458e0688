"""The quarterly run of one ward: inputs → notebooks → HTML → index, summary and manifest → publish.

:func:`run_period` evaluates the period once (:func:`kehoach.reporting.context.compute`, from one
snapshot of the stored records) and saves the frames into the set's ``inputs/``. Each report
notebook then does its own analysis from those files in its own kernel; the run only executes
the notebooks and exports them. Staging, the jobs, the checks of what comes back, the manifest
and publishing are those of every report set (:mod:`kehoach.delivery.reportset`); where the
notebooks run is chosen by :func:`kehoach.delivery.executors.open_executor`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kehoach.core import config
from kehoach.core.errors import RunError
from kehoach.core.files import atomic_write, exclusive_lock
from kehoach.core.parameters import PeriodParameters, load_parameters
from kehoach.core.period import Period, latest_ended
from kehoach.data.store import ProgressStore
from kehoach.delivery import reportset
from kehoach.delivery.reportset import MARKER, Job, JobResult, Manifest, ReportSet
from kehoach.reporting import context
from kehoach.reporting.context import ReportContext

log = logging.getLogger(__name__)

NOTEBOOKS = {"overview": "overview.ipynb", "unit": "unit.ipynb", "indicators": "indicators.ipynb"}
__all__ = ["MARKER", "NOTEBOOKS", "RunResult", "run_period", "resolve_period", "plan_jobs", "open_ward", "finish_ward"]


@dataclass
class RunResult:
    period: str
    folder: Path
    results: list[JobResult] = field(default_factory=list)
    skipped: bool = False  # --only-failed: nothing had failed and the inputs were unchanged

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
def read_notebooks(notebooks_dir: Path, names: list[str]) -> dict[str, bytes]:
    """The notebooks' bytes, read once: the jobs run them and the manifest's checksums are theirs."""
    missing = [n for n in names if not (notebooks_dir / n).exists()]
    if missing:
        raise RunError(f"Thiếu sổ tính (notebook) trong {notebooks_dir}: {', '.join(missing)}. Lấy lại từ bản gốc của dự án.")
    return {name: (notebooks_dir / name).read_bytes() for name in names}


def plan_jobs(ctx: ReportContext, books: dict[str, bytes], inputs: dict[str, bytes], report_folder: str,
              run_id: str = "") -> list[Job]:
    """The overview, the indicator detail, and one unit report per reporting unit."""
    base = {"period": str(ctx.period), "ward": ctx.plan.ward, "year": ctx.plan.year, "inputs": context.INPUTS_DIR,
            "report_folder": report_folder}
    label = ctx.period.label()
    root = str(config.project_root())

    def job(name: str, kind: str, title: str, html: str, **extra: Any) -> Job:
        return Job(name=name, title=title, html_name=html, notebook_name=f"notebooks/{NOTEBOOKS[kind]}",
                   notebook=books[NOTEBOOKS[kind]], parameters={**base, **extra}, inputs=inputs, kehoach_root=root,
                   run_id=run_id, docx=kind in ("overview", "unit"), timeout_s=ctx.params.execution_timeout_s)

    jobs = [job("overview", "overview", f"Báo cáo tổng hợp {label}", "bao-cao-tong-hop.html"),
            job("indicators", "indicators", f"Chi tiết từng chỉ tiêu {label}", "chi-tiet-chi-tieu.html")]
    jobs += [job(f"unit-{u.code}", "unit", f"Báo cáo {u.name} {label}", f"don-vi-{u.code}.html", unit=u.code)
             for u in ctx.plan.reporting_units]
    return jobs


# -- index, summary and manifest ---------------------------------------------------------------
def input_checksums(ctx: ReportContext, books: dict[str, bytes]) -> dict[str, str]:
    """SHA-256 of the files the set is built from: the plan, the parameters and the notebooks' bytes used.

    The stored records are certified separately, from the snapshot they were read in
    (``ctx.records_sha256``).
    """
    out = {reportset.relative(Path(ctx.plan.source)): ctx.plan_sha256} if ctx.plan.source else {}
    params = config.parameters_dir() / f"{ctx.period}.yaml"
    if params.exists():
        out[reportset.relative(params)] = reportset.sha256(params.read_bytes())
    out.update({f"notebooks/{name}": reportset.sha256(data) for name, data in books.items()})
    return out


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


def wards_of_year(year: int, data_dir: Path) -> list[str]:
    """The wards that have a plan for ``year`` in the workspace."""
    from kehoach.data.plan import list_plans

    return sorted({e.ward for e in list_plans(data_dir / "plan") if e.year == year})


# -- one ward's set -------------------------------------------------------------------------------
def open_ward(p: Period, params: PeriodParameters, ward: str | None, notebooks_dir: Path, several: bool,
              as_of: str | dt.date | None = None, ctx: ReportContext | None = None,
              only_failed: bool = False, force: bool = False) -> ReportSet | None:
    """Evaluate one ward's period and open its report set (None: nothing to do, see :meth:`ReportSet.open`).

    The caller holds :func:`period_lock` of the set's folder and calls :func:`finish_ward` or
    ``discard()``. The inputs are computed now, from one snapshot of the store, even with ``only_failed``.
    """
    ctx = ctx or context.compute(p, ward=ward, year=params.year or p.year, data_dir=params.data_dir, params=params,
                                 as_of=as_of)
    final = output_folder(params, p, ctx.plan.ward if several else None)
    if ctx.records.empty:
        raise RunError(f"Chưa có số liệu của {ctx.plan.ward} năm {ctx.plan.year}. Nhập biểu báo cáo của các đơn vị trước.")
    books = read_notebooks(notebooks_dir, list(NOTEBOOKS.values()))
    manifest = Manifest(scope="ward", period=str(p), ward=ctx.plan.ward, year=ctx.plan.year, started=reportset._now(),
                        parameters=json.loads(ctx.params.model_dump_json()), cutoff=ctx.cutoff.isoformat(),
                        illustrative_data=ctx.illustrative, inputs_sha256=input_checksums(ctx, books),
                        records_sha256=ctx.records_sha256)

    def write_inputs(folder: Path) -> dict[str, bytes]:
        written = context.write(ctx, folder)
        return {f.name: f.read_bytes() for f in sorted(written.iterdir()) if f.is_file()}

    report_set = ReportSet.open(manifest, final, write_inputs,
                                lambda inputs, run_id: plan_jobs(ctx, books, inputs, reportset.relative(final), run_id),
                                only_failed=only_failed, force=force)
    if report_set is not None:
        report_set.context = ctx
    return report_set


def finish_ward(report_set: ReportSet) -> list[JobResult]:
    """Summary and index into the set's staging folder, then publish it; returns the results in order."""
    ctx = report_set.context
    return report_set.publish(lambda folder, _results: write_summary(folder, ctx),
                              lambda folder, results: write_index(folder, ctx, results))


def run_period(period: str | Period = "latest", jobs: int | None = None, notebooks_dir: Path | None = None,
               show_progress: bool = False, today: dt.date | None = None, as_of: str | dt.date | None = None,
               executor: Any = None, ward: str | None = None, scheduler: str | None = None,
               only_failed: bool = False, force: bool = False) -> RunResult:
    """Build every report of ``period``. Raises :class:`RunError` if it cannot start; see ``RunResult.ok``.

    A period whose published reports were built from exactly these inputs, by this software and
    with no failure, is kept as it is (``RunResult.skipped``) unless ``force``.

    ``as_of`` rebuilds the period as it stood at the end of that day (revisions sent later are
    left out); by default the cut-off is the time of the run. The notebooks run on ``executor``
    if given, else where :func:`~kehoach.delivery.executors.open_executor` says (``scheduler``,
    ``jobs``). With one ward in the workspace the reports go to ``reports/<period>/``; with
    several, each ward's to ``reports/<period>/<ward>/``. Every ward at once:
    :func:`kehoach.delivery.province.run_all_wards`.
    """
    from kehoach.delivery.executors import open_executor

    p = resolve_period(str(period), today)
    notebooks_dir = notebooks_dir or config.notebooks_dir()
    params = load_parameters(p, required=True)
    with ExitStack() as stack:
        if executor is None and scheduler:  # a cluster that does not answer is said before any work
            executor = stack.enter_context(open_executor(scheduler, jobs))
        year = params.year or p.year
        wards = wards_of_year(year, config.resolve(params.data_dir))
        ward = ward or (params.ward if len(wards) < 2 or params.ward in wards else None)
        ctx = context.compute(p, ward=ward, year=year, data_dir=params.data_dir, params=params, as_of=as_of)
        several = len(wards) > 1
        final = output_folder(params, p, ctx.plan.ward if several else None)
        stack.enter_context(period_lock(final, p))
        report_set = open_ward(p, params, ward, notebooks_dir, several, as_of, ctx, only_failed, force)
        if report_set is None:
            return RunResult(str(p), final, reportset.read_manifest(final / "manifest.json").notebooks, skipped=True)
        stack.callback(report_set.discard)
        executor = executor or stack.enter_context(open_executor(None, jobs, len(report_set.jobs)))
        published: list[JobResult] = []
        with reportset.progress_bar(show_progress) as bar:
            reportset.execute([report_set], executor, lambda s: published.extend(finish_ward(s)), bar)
    return RunResult(str(p), final, published)
