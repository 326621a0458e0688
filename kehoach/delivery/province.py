"""``kehoach run --ward all``: every commune's reports of a period, then the province roll-up.

1. Each commune (ward) of the workspace that has a plan for the period's year is evaluated
   once and opens its own report set (:func:`kehoach.delivery.batch.open_ward`). A commune that
   cannot be prepared (no data, a broken plan) is recorded and the others go on.
2. All communes' notebook runs go to ONE executor (local pool, Dask cluster) behind ONE
   progress bar (:func:`kehoach.delivery.reportset.execute`), each commune's as soon as it is
   opened, so the workers start while the next communes are evaluated. As each commune's jobs
   come back its set is published under ``reports/<period>/<ward>/``.
3. The province inputs (every commune's evaluated rows, completeness, which reports failed)
   make the province's own report set (``reports/<period>/tinh/``), whose ``province.ipynb``
   runs on the same executor. ``reports/<period>/index.html`` and its manifest link the
   province report and every commune's reports and mark the communes whose reports failed.

``only_failed``: every commune's inputs are computed again; a commune whose inputs are
unchanged re-runs only its failed notebooks (none: it is left as it was), one whose inputs
changed since its last run (an import) is built again in full.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kehoach.core import config
from kehoach.core.errors import KehoachError, RunError
from kehoach.core.files import atomic_write
from kehoach.core.parameters import PeriodParameters, load_parameters
from kehoach.core.period import Period
from kehoach.data.bundle import check_province_data, finish_pending_import, is_province
from kehoach.delivery import batch, reportset
from kehoach.delivery.reportset import Job, JobResult, Manifest, ReportSet
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


def province_wards(data: Path, year: int) -> list[str]:
    """The communes of the workspace with a plan for ``year``; in a province, those a bundle brought, after finishing an
    import killed midway (so that a commune whose store was moved aside is not left out)."""
    if is_province(data):
        finish_pending_import(data)
    wards = batch.wards_of_year(year, data)
    if is_province(data):  # a province reads only what bundles brought
        wards = check_province_data(data, wards)
    return wards


def run_all_wards(period: str | Period, jobs: int | None = None, executor: Any = None,
                  scheduler: str | None = None, only_failed: bool = False, show_progress: bool = False,
                  as_of: str | dt.date | None = None, notebooks_dir: Path | None = None,
                  today: dt.date | None = None, force: bool = False) -> ProvinceResult:
    """Every commune's report set for ``period``, then the province report. See the module's docstring.

    A commune (and the roll-up) whose published reports were built from exactly these inputs by
    this software, with no failure, is kept as it is unless ``force``.
    """
    from kehoach.delivery.executors import open_executor

    p = batch.resolve_period(str(period), today)
    notebooks_dir = notebooks_dir or config.notebooks_dir()
    book = batch.read_notebooks(notebooks_dir, [PROVINCE_NOTEBOOK])[PROVINCE_NOTEBOOK]
    params = load_parameters(p, required=True)
    data = config.resolve(params.data_dir)
    wards = province_wards(data, params.year or p.year)
    if not wards:
        raise RunError(f"Không có kế hoạch năm {params.year or p.year} nào trong {config.resolve(params.data_dir) / 'plan'}.")
    top = province_folder(params, p, wards)
    if (top.parent / batch.MARKER).exists():  # reports/<period>/ holds a one-ward run: its index must not be replaced
        raise RunError(f"{top.parent} đang chứa báo cáo của một lần chạy cho một phường (không chia theo xã, phường). "
                       "--ward all dùng cho không gian làm việc của tỉnh (--root); chạy báo cáo một phường bằng --ward MÃ.")
    result = ProvinceResult(str(p), top.parent)
    with ExitStack() as stack:
        if executor is None and scheduler:  # a cluster that does not answer is said before any work
            executor = stack.enter_context(open_executor(scheduler, jobs))
        stack.enter_context(batch.period_lock(top, p))
        sets: list[ReportSet] = []
        contexts: dict[str, context.ReportContext] = {}
        try:
            with reportset.progress_bar(show_progress) as bar, ExitStack() as pool:
                ex = executor or pool.enter_context(open_executor(scheduler, jobs))
                opening = _open_communes(p, params, wards, notebooks_dir, (only_failed, force), as_of, stack, result, sets,
                                         contexts)
                result.executed = reportset.execute(opening, ex, lambda s: _finish(s, result), bar)
                outcomes = [_commune_outcome(ward, ctx, result) for ward, ctx in contexts.items()]
                outcomes += [CommuneOutcome(ward, None, error=f"Không lập được báo cáo: {err}")
                             for ward, err in result.errors.items() if ward not in contexts]
                outcomes.sort(key=lambda o: o.ward)
                result.executed += _province(p, params, outcomes, book, ex, bar, top, result, force)
        finally:
            for s in sets:
                s.discard()
    write_period_index(result, p)
    return result


def _open_communes(p: Period, params: PeriodParameters, wards: list[str], notebooks_dir: Path, how: tuple[bool, bool],
                   as_of: str | dt.date | None, stack: ExitStack, result: ProvinceResult, sets: list[ReportSet],
                   contexts: dict[str, context.ReportContext]) -> Iterator[ReportSet]:
    """Each commune's report set in turn (its lock held by ``stack``), recorded in ``sets``; every context in ``contexts``.

    A generator: :func:`reportset.execute` hands a commune's jobs to the workers as soon as it is
    opened, while the next commune is evaluated here.
    """
    for ward in wards:
        final = batch.output_folder(params, p, ward)
        stack.enter_context(batch.period_lock(final, p))
        try:
            ctx = context.compute(p, ward=ward, year=params.year or p.year, data_dir=params.data_dir, params=params,
                                  as_of=as_of)
            report_set = batch.open_ward(p, params, ward, notebooks_dir, True, as_of, ctx, *how)
        except KehoachError as exc:
            log.error("%s: not prepared: %s", ward, exc)
            result.errors[ward] = str(exc)
            continue
        contexts[ward] = ctx
        if report_set is None:
            result.skipped.append(ward)
        else:
            sets.append(report_set)
            yield report_set


def _finish(report_set: ReportSet, result: ProvinceResult) -> None:
    ward = report_set.manifest.ward
    try:
        result.communes[ward] = batch.finish_ward(report_set)
    except KehoachError as exc:
        log.error("%s: not published: %s", ward, exc)
        result.errors[ward] = str(exc)


def _commune_outcome(ward: str, ctx: context.ReportContext, result: ProvinceResult) -> CommuneOutcome:
    if ward in result.errors:
        return CommuneOutcome(ward, ctx, error=f"Không lập được báo cáo: {result.errors[ward]}")
    results = result.communes.get(ward)
    if results is None:  # --only-failed: left as it was; its manifest has the count
        results = reportset.read_manifest(result.folder / ward / "manifest.json").notebooks
    failed = [r.title for r in results if r.outcome != "ok"]
    return CommuneOutcome(ward, ctx, reports=len(results) - len(failed), failed=failed)


def _province(p: Period, params: PeriodParameters, outcomes: list[CommuneOutcome], book: bytes, ex: Any, bar: Any,
              final: Path, result: ProvinceResult, force: bool) -> int:
    """The province report set: gather its inputs, run ``province.ipynb`` on the executor, publish ``reports/<period>/tinh/``."""
    cutoff = max((o.ctx.cutoff for o in outcomes if o.ctx), default=dt.datetime.now().astimezone())
    pctx = province_context.gather(p, params, outcomes, cutoff)
    title = f"Báo cáo tổng hợp các xã, phường tỉnh {pctx.province} {p.label()}"
    records = {k: v for o in outcomes if o.ctx for k, v in o.ctx.records_sha256.items()}
    manifest = Manifest(scope="province", period=str(p), province=pctx.province, started=reportset._now(),
                        cutoff=cutoff.isoformat(), parameters=None, records_sha256=records,
                        inputs_sha256={f"notebooks/{PROVINCE_NOTEBOOK}": reportset.sha256(book)})

    def write_inputs(folder: Path) -> dict[str, bytes]:
        written = province_context.write(pctx, folder)
        return {f.name: f.read_bytes() for f in sorted(written.iterdir()) if f.is_file()}

    def make_jobs(inputs: dict[str, bytes], run_id: str) -> list[Job]:
        return [Job(name="province", title=title, html_name=PROVINCE_HTML, notebook_name=f"notebooks/{PROVINCE_NOTEBOOK}",
                    notebook=book, parameters={"period": str(p), "inputs": context.INPUTS_DIR,
                                               "report_folder": reportset.relative(final)},
                    inputs=inputs, kehoach_root=str(config.project_root()), run_id=run_id,
                    timeout_s=params.execution_timeout_s)]

    report_set = ReportSet.open(manifest, final, write_inputs, make_jobs, force=force)
    result.province_name = pctx.province
    if report_set is None:  # built from these very inputs already
        result.province = reportset.read_manifest(final / "manifest.json").notebooks[0]
        return 0
    try:
        def publish(s: ReportSet) -> None:
            result.province = s.publish()[0]

        runs = reportset.execute([report_set], ex, publish, bar)
    finally:
        report_set.discard()
    return runs


def write_period_index(result: ProvinceResult, p: Period) -> Path:
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
    manifest = Manifest(scope="period", period=str(p), province=result.province_name, notebook_runs=result.executed,
                        communes=dict(sorted(result.communes.items())), not_prepared=result.errors,
                        left_as_they_were=result.skipped, notebooks=[result.province] if result.province else [],
                        finished=reportset._now())
    atomic_write(folder / "manifest.json", manifest.model_dump_json(indent=2))
    return atomic_write(folder / "index.html", page)
