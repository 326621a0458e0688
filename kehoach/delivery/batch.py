"""The quarterly run: check inputs → evaluate once → execute notebooks → export → publish.

``run_period`` is a recipe of named steps. Notebooks run through papermill, in parallel,
each kernel on its own IPC sockets (no TCP ports to collide, papermill#511). A notebook that
fails does not stop the others; its executed copy is kept, the index marks it, and the
result reports it. Everything is built in a hidden staging folder and swapped into
``reports/<period>/`` at the end, so a crash never leaves a half-written report folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kehoach.core import config
from kehoach.core.errors import RunError
from kehoach.core.files import atomic_write, exclusive_lock
from kehoach.core.startup import skip_rfc3987_grammar
from kehoach.core.parameters import PeriodParameters, load_parameters
from kehoach.core.period import Period, latest_ended
from kehoach.data.store import ProgressStore

log = logging.getLogger(__name__)

skip_rfc3987_grammar()  # papermill and nbformat import jsonschema; see kehoach.core.startup

NOTEBOOKS = {"overview": "overview.ipynb", "unit": "unit.ipynb", "indicators": "indicators.ipynb"}


@dataclass
class Job:
    name: str
    notebook: Path
    title: str
    html_name: str
    parameters: dict[str, Any]


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


# -- step 0: which period ---------------------------------------------------------------------
def resolve_period(text: str, today: dt.date | None = None, store: ProgressStore | None = None) -> Period:
    """``2026-Q3``; ``latest``: the last quarter ended by today; ``data-latest``: the last quarter with data."""
    if text == "latest":
        return latest_ended(today)
    if text == "data-latest":
        records = (store or ProgressStore()).read()
        periods = records.loc[(records["record"] == "indicator") & (records["year"] == records["period"].str[:4].astype("int64")), "period"]
        if periods.empty:
            raise RunError("No progress data in the store yet. Import forms first (kehoach import) or build the sample (kehoach sample-data).")
        return max(Period.parse(p) for p in periods.unique())
    return Period.parse(text)


# -- step 1: check inputs ---------------------------------------------------------------------
def check_inputs(period: Period, notebooks_dir: Path) -> tuple[PeriodParameters, Any]:
    """Fail early, with a clear message, on missing parameters, notebooks, plan or data."""
    from kehoach.reporting.sections import build_context

    params = load_parameters(period, required=True)
    missing = [n for n in NOTEBOOKS.values() if not (notebooks_dir / n).exists()]
    if missing:
        raise RunError(f"Missing notebooks in {notebooks_dir}: {', '.join(missing)}.")
    ctx = build_context(period, ward=params.ward, year=params.year or period.year, data_dir=params.data_dir, params=params)
    if ctx.records.empty:
        raise RunError(f"No progress data for {ctx.plan.ward} {ctx.plan.year}. Import the units' forms first.")
    return params, ctx


def plan_jobs(ctx: Any, params: PeriodParameters, notebooks_dir: Path, context_file: Path,
              figure_files: dict[str, Path] | None = None) -> list[Job]:
    """The overview, the indicator detail, and one unit report per reporting unit.

    Each notebook reads a prepared replay of its sections (:class:`kehoach.reporting.report.Replay`): unit
    reports ``context_file``, the overview and the indicator detail their entry of
    ``figure_files``, ready once their charts are drawn.
    """
    base = _papermill_parameters(params, ctx, context_file)
    files = figure_files or {}
    label = ctx.period.label()
    jobs = [
        Job("overview", notebooks_dir / NOTEBOOKS["overview"], f"Báo cáo tổng hợp {label}", "bao-cao-tong-hop.html",
            {**base, "context_file": str(files.get("overview", context_file))}),
        Job("indicators", notebooks_dir / NOTEBOOKS["indicators"], f"Chi tiết từng chỉ tiêu {label}", "chi-tiet-chi-tieu.html",
            {**base, "context_file": str(files.get("indicators", context_file))}),
    ]
    for unit in ctx.plan.reporting_units:
        jobs.append(Job(f"unit-{unit.code}", notebooks_dir / NOTEBOOKS["unit"], f"Báo cáo {unit.name} {label}",
                        f"don-vi-{unit.code}.html", {**base, "unit": unit.code}))
    return jobs


def figure_kind(job: Job) -> str | None:
    """Which pre-rendered figures a job waits for: "overview", "indicators" or none (unit reports)."""
    return None if job.name.startswith("unit-") else job.name.split("-")[0]


def _papermill_parameters(params: PeriodParameters, ctx: Any, context_file: Path) -> dict[str, Any]:
    raw = json.loads(params.model_dump_json())
    raw.update(ward=ctx.plan.ward, year=ctx.plan.year, context_file=str(context_file))
    return raw


# -- step 2: execute --------------------------------------------------------------------------
def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        """A kernel on IPC sockets in a private folder: parallel kernels never race for TCP ports."""

        def __init__(self, **kwargs: Any):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.ip = str(Path(tempfile.mkdtemp(prefix="kehoach-kernel-")) / "k")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client sends SIGINT before every shutdown; a finished notebook needs none,
            # and the kernel would log a spurious "KeyboardInterrupt caught in kernel".
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:  # the private socket folder
                shutil.rmtree(Path(self.ip).parent, ignore_errors=True)

    return IPCKernelManager


def execute(job: Job, folder: Path) -> JobResult:
    """Run one notebook with papermill and export it; never raises for a notebook failure."""
    import papermill as pm

    from kehoach.reporting.export import export_html

    executed = folder / "notebooks" / f"{job.name}.ipynb"
    started = dt.datetime.now().astimezone()
    clock = time.perf_counter()
    error, html, size = None, None, None
    try:
        # request_save_on_cell_execute=False: papermill otherwise rewrites (and re-validates) the whole
        # output notebook before and after every cell; it still writes it at the end and on failure.
        pm.execute_notebook(str(job.notebook), str(executed), parameters=job.parameters, progress_bar=False,
                            kernel_name="python3", cwd=str(config.project_root()), request_save_on_cell_execute=False,
                            kernel_manager_class=_kernel_manager_class())
        html_path = export_html(executed, folder / job.html_name, job.title)
        html, size = job.html_name, html_path.stat().st_size
    except pm.PapermillExecutionError as exc:
        error = f"ô lệnh số {exc.exec_count}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # noqa: BLE001 - a failed notebook must not stop the batch; reported below
        error = f"{type(exc).__name__}: {exc}"
    finished = dt.datetime.now().astimezone()
    return JobResult(job.name, job.title, str(job.notebook.name), str(executed.relative_to(folder)), html,
                     started.isoformat(timespec="seconds"), finished.isoformat(timespec="seconds"),
                     round(time.perf_counter() - clock, 2), "failed" if error else "ok", error, size)


class Rendering:
    """The figures of the charted reports, drawn by child processes, one per report kind.

    A child (``python -m kehoach.analysis.render``) keeps Altair and vl-convert off this process's GIL,
    which the threads driving the kernels need; it is a plain subprocess, which, unlike a fork,
    inherits no lock held by those threads. Each kind's replay file appears (atomically) when its
    charts are drawn and its sections laid out, so the overview starts while the indicator charts
    are still being drawn.
    """

    TIMEOUT_S = 600

    def __init__(self, context_file: Path, files: dict[str, Path], cache: Path | None = None):
        import subprocess

        self.files = files
        self.started = time.monotonic()
        self.logs = {kind: tempfile.TemporaryFile(mode="w+", encoding="utf-8") for kind in files}  # files never fill up
        cached = [f"cache={cache}"] if cache else []
        self.procs = {kind: subprocess.Popen([sys.executable, "-m", "kehoach.analysis.render", str(context_file), *cached,
                                              f"{kind}={path}"], stderr=self.logs[kind])
                      for kind, path in files.items()}

    def ready(self, kind: str) -> bool:
        if self.files[kind].exists():
            return True
        proc = self.procs[kind]
        if proc.poll() is not None and not self.files[kind].exists():
            self.logs[kind].seek(0)
            detail = self.logs[kind].read()[-1500:]
            raise RunError(f"Rendering the charts of the {kind} report failed (exit code {proc.returncode}):\n{detail}")
        return False

    def wait(self, kind: str) -> None:
        while not self.ready(kind):
            if time.monotonic() - self.started > self.TIMEOUT_S:
                self.close()
                raise RunError(f"Rendering the charts took over {self.TIMEOUT_S} s and was stopped.")
            time.sleep(0.05)

    def close(self) -> None:
        for kind, proc in self.procs.items():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            self.logs[kind].close()


def execute_all(jobs: list[Job], folder: Path, workers: int, show_progress: bool,
                rendering: Rendering | None = None) -> list[JobResult]:
    """Run ``jobs`` on ``workers`` threads behind one progress bar.

    Unit reports need no figures and start at once. A report whose figures are being
    rendered waits for them, then goes ahead of any unit report still waiting.
    """
    from tqdm import tqdm

    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    kinds = rendering.files if rendering else {}
    waiting = [j for j in jobs if figure_kind(j) in kinds]
    queue = [j for j in jobs if j not in waiting]
    results: list[JobResult] = []
    running: set[Future] = set()
    with tqdm(total=len(jobs), desc="Lập báo cáo", unit="báo cáo", disable=not show_progress, file=sys.stderr) as bar, \
            ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while queue or waiting or running:
            for job in [j for j in waiting if rendering.ready(figure_kind(j))]:
                waiting.remove(job)
                queue.insert(0, job)
            while queue and len(running) < max(1, workers):
                running.add(pool.submit(execute, queue.pop(0), folder))
            if not running:
                rendering.wait(figure_kind(waiting[0]))
                continue
            finished, running = wait(running, timeout=0.05, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                results.append(result)
                if result.error:
                    log.error("%s (%s) failed: %s", result.name, result.notebook, result.error)
                bar.update(1)
    order = {job.name: i for i, job in enumerate(jobs)}
    return sorted(results, key=lambda r: order[r.name])


# -- step 3: index and manifest -----------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_checksums(ctx: Any, params: PeriodParameters, jobs: list[Job]) -> dict[str, str]:
    root = config.project_root()
    store = ProgressStore(_data_dir(params) / "progress")
    paths = [ctx.plan.source, store.records_path(ctx.plan.ward, ctx.plan.year),
             config.parameters_dir() / f"{ctx.period}.yaml", *sorted({j.notebook for j in jobs})]
    out = {}
    for path in paths:
        if path and Path(path).exists():
            path = Path(path)
            key = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
            out[key] = _sha256(path)
    return out


def _data_dir(params: PeriodParameters) -> Path:
    path = Path(params.data_dir)
    return path if path.is_absolute() else config.project_root() / path


def write_manifest(folder: Path, ctx: Any, params: PeriodParameters, jobs: list[Job], results: list[JobResult],
                   started: dt.datetime) -> Path:
    from kehoach import __version__

    manifest = {
        "period": str(ctx.period), "ward": ctx.plan.ward, "year": ctx.plan.year,
        "parameters": json.loads(params.model_dump_json()),
        "inputs_sha256": input_checksums(ctx, params, jobs),
        "illustrative_data": ctx.illustrative,
        "kehoach_version": __version__, "python": sys.version.split()[0],
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "notebooks": [asdict(r) for r in results],
    }
    return atomic_write(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))


def write_index(folder: Path, ctx: Any, results: list[JobResult]) -> Path:
    from kehoach.reporting.export import check_self_contained
    from kehoach.reporting.sections import ILLUSTRATIVE_BANNER, esc

    rows = []
    for r in results:
        link = f'<a href="{esc(r.html)}">{esc(r.title)}</a>' if r.html else esc(r.title)
        state = "Hoàn thành" if r.outcome == "ok" else f"LỖI – {esc(r.error)} (xem {esc(r.executed)})"
        size = f"{r.html_bytes / 1024:,.0f} KB".replace(",", ".") if r.html_bytes else "—"
        rows.append(f'<tr class="{esc(r.outcome)}"><td>{link}</td><td>{state}</td><td class="num">{size}</td></tr>')
    banner = f'<p class="illustrative">{esc(ILLUSTRATIVE_BANNER)}</p>' if ctx.illustrative else ""
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Báo cáo {esc(ctx.period.label())}</title>
<style>body{{font-family:"Times New Roman",Times,serif;max-width:190mm;margin:10mm auto;}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:4px 6px}}
tr.failed td{{color:#b00020;font-weight:bold}}.num{{text-align:right}}
.illustrative{{border:2px solid #b00020;color:#b00020;font-weight:bold;padding:4px;text-align:center}}</style>
</head><body>
<h1>{esc(ctx.plan.document.issuing_body)} – Báo cáo {esc(ctx.period.label())}</h1>
{banner}
<table><thead><tr><th>Báo cáo</th><th>Tình trạng</th><th>Dung lượng</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p>Chi tiết lần chạy: <a href="manifest.json">manifest.json</a>.</p>
</body></html>
"""
    check_self_contained(page, "index.html")
    return atomic_write(folder / "index.html", page)


# -- step 4: publish --------------------------------------------------------------------------
def period_lock(reports: Path, period: Period) -> AbstractContextManager[None]:
    reports.mkdir(parents=True, exist_ok=True)
    lock = reports / f".{period}.lock"
    return exclusive_lock(lock, RunError(f"Another run for {period} is in progress ({lock} exists). Wait for it to finish; "
                                         "if no run is going (a crashed run), delete that file and start again."))


def publish(staging: Path, final: Path) -> None:
    """Swap the finished staging folder into place; the old reports go only once the new ones are there."""
    old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _output_folder(params: PeriodParameters, period: Period) -> Path:
    out = Path(params.output_dir or f"reports/{period}")
    return out if out.is_absolute() else config.project_root() / out


# -- the recipe -------------------------------------------------------------------------------
def run_period(period: str | Period = "latest", jobs: int | None = None, notebooks_dir: Path | None = None,
               show_progress: bool = False, today: dt.date | None = None) -> RunResult:
    """Build every report of ``period``. Raises :class:`RunError` if it cannot start; see ``RunResult.ok``."""
    p = resolve_period(str(period), today)
    notebooks_dir = notebooks_dir or config.notebooks_dir()
    started = dt.datetime.now().astimezone()
    params, ctx = check_inputs(p, notebooks_dir)
    final = _output_folder(params, p)
    scratch = Path(tempfile.gettempdir())
    token = uuid.uuid4().hex
    context_file, unit_file = (scratch / f"kehoach-{name}-{token}.pkl" for name in ("context", "unit"))
    figure_files = {kind: scratch / f"kehoach-{kind}-{token}.pkl" for kind in ("overview", "indicators")}
    with period_lock(final.parent, p):
        staging = final.parent / f".staging-{p}-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        try:
            job_list = plan_jobs(ctx, params, notebooks_dir, unit_file, figure_files)
            charted = {kind: path for kind, path in figure_files.items() if any(figure_kind(j) == kind for j in job_list)}
            cache = final.parent / ".cache" / ctx.plan.ward / str(p)  # drawings reused by a re-run of this period
            rendering = Rendering(ctx.save(context_file), charted, cache)
            try:
                ctx.prepare(unit_file, ["unit"])  # unit reports have no chart: laid out here while the charts are drawn
                results = execute_all(job_list, staging, jobs or os.cpu_count() or 1, show_progress, rendering)
            finally:
                rendering.close()
            write_manifest(staging, ctx, params, job_list, results, started)
            write_index(staging, ctx, results)
            publish(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            for path in (context_file, unit_file, *figure_files.values()):
                path.unlink(missing_ok=True)
    return RunResult(str(p), final, results)
