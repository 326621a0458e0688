"""One set of reports for one scope and period: its jobs, inputs, outputs, status and manifest.

A ward's quarter, a province's roll-up and the period index of a province all go through the
same steps, here and nowhere else:

1. :meth:`ReportSet.open` takes a fresh staging folder beside the published one
   (``reports/<period>/.staging-<name>-<run>``), after removing what a killed run left.
2. The jobs (:class:`Job`: a notebook, its parameters and the bytes of its inputs) run on an
   executor (:mod:`kehoach.delivery.executors` chooses it); :func:`execute_job` runs one on a
   worker, in threads or processes alike: it never changes the working directory or the
   environment, and the kernel gets its folder and its settings (``KEHOACH_ROOT``) explicitly.
3. Each :class:`Outcome` is checked on the client (:func:`verify`: its schema, the checksums of
   the bytes that travelled, HTML that runs no script and loads nothing) before
   :meth:`ReportSet.keep` writes it into staging; a worker is not trusted.
4. :meth:`ReportSet.publish` writes the :class:`Manifest` (one shape, ``schema_version``) and
   swaps the staging folder into place. A failure before the swap (a full disk included) leaves
   the last published set exactly as it was.

A run whose jobs would be given exactly what the published set's jobs were given (the same input
bytes, notebooks and parameters, :func:`jobs_sha256`) by the same software, with no failure in that
set, is not run again: jobs are pure functions of their inputs, so it would rebuild the same
reports. ``force`` runs it all the same.

``--only-failed`` is :meth:`ReportSet.open` with the previous manifest: the inputs are always
computed again; when they are unchanged only the failed notebooks run, from the inputs the
kept reports were built from; when an import landed since, every notebook runs again.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kehoach.core import config
from kehoach.core.errors import KehoachError, RunError
from kehoach.core.files import atomic_write

log = logging.getLogger(__name__)

#: The version of the manifest's shape. 1: the manifests written before it had a version.
SCHEMA_VERSION = 2
#: Marks a folder that a run created and may replace.
MARKER = ".kehoach-report"
#: jupyter_client interrupts every kernel before shutting it down, and ipykernel logs that as an
#: ERROR ("KeyboardInterrupt caught in kernel") on the terminal of the run; a finished notebook's
#: kernel has nothing else to say there. Errors in cells still come back through papermill.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
#: Settings of the client's process that a kernel must not inherit: the job sets its own.
_OWN_SETTINGS = ("KEHOACH_ROOT",)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


# -- what travels -------------------------------------------------------------------------------
class Job(BaseModel):
    """One notebook run: everything a worker needs, with no reference to the client's disk."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    html_name: str
    notebook_name: str                  # the repository-relative notebook, recorded in the executed one
    notebook: bytes
    parameters: dict[str, Any]
    inputs: dict[str, bytes]
    kehoach_root: str = ""              # the workspace, given to the kernel as KEHOACH_ROOT
    run_id: str = ""                    # names the worker's temporary folder: kehoach-job-<run_id>-…
    docx: bool = False                  # also write the Word draft (the overview and the unit letters)
    timeout_s: int = 600                # the longest a cell may run (execution_timeout_s of the period)


class Outcome(BaseModel):
    """What a worker sends back: the executed notebook, its HTML and Word draft, or the error; with checksums."""

    name: str
    executed: bytes = b""
    html: str | None = None
    docx: bytes | None = None
    started: str
    finished: str
    duration_s: float
    error: str | None = None
    sha256: dict[str, str] = Field(default_factory=dict)


class JobResult(BaseModel):
    """One report of a set, as the manifest records it."""

    name: str
    title: str = ""
    notebook: str = ""
    executed: str | None = None
    html: str | None = None
    started: str | None = None
    finished: str | None = None
    duration_s: float = 0.0
    outcome: Literal["ok", "failed"] = "ok"
    error: str | None = None
    html_bytes: int | None = None
    docx: str | None = None


class Manifest(BaseModel):
    """``manifest.json`` of every report set (a ward, a province report, a period of a province)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    scope: Literal["ward", "province", "period"] = "ward"
    period: str
    ward: str | None = None
    year: int | None = None
    run_id: str = ""
    started: str | None = None
    finished: str | None = None
    kehoach_version: str = ""
    python: str = ""
    parameters: dict[str, Any] | None = None
    cutoff: str | None = None
    illustrative_data: bool = False
    #: SHA-256 of each file the set was built from (plan, parameters, notebooks), by repository-relative path.
    inputs_sha256: dict[str, str] = Field(default_factory=dict)
    #: SHA-256 of the stored records read, by ``<ward>/<year>``, from the same read as the records themselves.
    records_sha256: dict[str, str] = Field(default_factory=dict)
    #: What the jobs were given and the software that ran them (:func:`jobs_sha256`): the same means the same reports.
    jobs_sha256: str = ""
    notebooks: list[JobResult] = Field(default_factory=list)
    # a province report and a period of a province
    province: str | None = None
    communes: dict[str, list[JobResult]] = Field(default_factory=dict)
    not_prepared: dict[str, str] = Field(default_factory=dict)
    left_as_they_were: list[str] = Field(default_factory=list)
    notebook_runs: int | None = None

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.notebooks if r.outcome != "ok"]

    def result(self, name: str) -> JobResult | None:
        return next((r for r in self.notebooks if r.name == name), None)


def read_manifest(path: Path) -> Manifest:
    """Read a manifest; one written before the schema had a version (1) is read as it was meant.

    A manifest from a newer kehoach, or a damaged one, is refused with what to do.
    """
    rerun = "Chạy lại `kehoach run` cho kỳ này để lập lại bộ báo cáo."
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunError(f"{path}: không đọc được tệp manifest.json của bộ báo cáo ({type(exc).__name__}). {rerun}") from None
    if not isinstance(raw, dict):
        raise RunError(f"{path}: tệp manifest.json không đúng dạng. {rerun}")
    version = raw.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise RunError(f"{path}: bộ báo cáo được lập bởi một phiên bản kehoach mới hơn (manifest phiên bản {version}, "
                       f"phiên bản này đọc đến {SCHEMA_VERSION}). Cập nhật kehoach, hoặc lập lại bằng phiên bản này. {rerun}")
    if version == 1:
        raw = _upgrade_v1(raw)
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        from kehoach.core.parameters import validation_summary

        raise RunError(f"{path}: tệp manifest.json hỏng ({validation_summary(exc)}). {rerun}") from None


def _upgrade_v1(raw: dict) -> dict:
    """The manifests of the first releases: the same facts under the same names, and two other shapes."""
    raw = {**raw, "schema_version": SCHEMA_VERSION}
    if "communes" in raw or "not_prepared" in raw:          # the period index of ``--ward all``
        report = raw.pop("province_report", None)
        raw.update(scope="period", notebooks=[report] if report else [])
    elif "province" in raw:                                   # the province report
        raw.update(scope="province", province=raw["province"])
        raw.pop("communes", None)
        raw["notebook_runs"] = None
    return {k: v for k, v in raw.items() if k in Manifest.model_fields}


# -- running one notebook (on any worker) -------------------------------------------------------
def kernel_environment(job: Job) -> dict[str, str]:
    """The environment of the job's kernel: this process's, minus kehoach's own settings, plus the job's."""
    env = {k: v for k, v in os.environ.items() if k not in _OWN_SETTINGS}
    if job.kehoach_root:
        env["KEHOACH_ROOT"] = job.kehoach_root
    return env


def run_notebook(job: Job, folder: Path):  # noqa: ANN201 - an nbformat NotebookNode
    """Execute ``job``'s notebook with papermill's engine in a kernel working in ``folder``.

    Thread-safe: no ``os.chdir`` (``papermill.execute_notebook`` changes the process's working
    directory around the run, which breaks every other thread of a Dask worker) and no change to
    ``os.environ``; the kernel gets its folder and environment as arguments. The executed
    notebook records the repository-relative notebook and the period, not temporary paths.
    A failed cell does not raise (see :func:`failure`); a cell over ``job.timeout_s`` raises
    nbclient's ``CellTimeoutError``.
    """
    import nbformat
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NotebookExecutionManager
    from papermill.parameterize import parameterize_notebook
    from traitlets.config import Config

    from kehoach.delivery.kernelpool import PooledKernelManager
    from papermill import __version__ as papermill_version

    nb = nbformat.reads(job.notebook.decode("utf-8"), as_version=4)
    nb.metadata.setdefault("papermill", {"default_parameters": {}, "parameters": {}, "environment_variables": {},
                                         "version": papermill_version})
    for cell in nb.cells:  # what papermill.iorw.load_notebook_node adds, without its file handler (it chdirs)
        cell.metadata.setdefault("tags", [])
        cell.metadata.setdefault("papermill", {})
    nb = parameterize_notebook(nb, job.parameters, kernel_name="python3", language="python")
    nb.metadata.papermill.update(notebook=job.notebook_name, period=str(job.parameters.get("period", "")))
    manager = NotebookExecutionManager(nb, output_path=None, progress_bar=False)
    manager.notebook_start()
    kernel = Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "k")}})  # no TCP port to race for
    try:  # what papermill's NBClientEngine does, with the kernel's folder and environment given explicitly
        client = PapermillNotebookClient(manager, timeout=job.timeout_s, startup_timeout=120, kernel_name="python3",
                                         log=log, config=kernel, extra_arguments=KERNEL_ARGUMENTS,
                                         kernel_manager_class=PooledKernelManager,
                                         resources={"metadata": {"path": str(folder)}})
        client.execute(env=kernel_environment(job))
    finally:
        manager.cleanup_pbar()
        manager.notebook_complete()
    return manager.nb


def failure(nb) -> str | None:  # noqa: ANN001 - an nbformat NotebookNode
    """The first failed cell of an executed notebook, as the run reports it (papermill marks it in ``nb``)."""
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors

    try:
        raise_for_execution_errors(nb, None)
    except PapermillExecutionError as exc:
        return f"ô lệnh số {exc.exec_count}: {exc.ename}: {exc.evalue}"
    return None


def execute_job(job: Job) -> Outcome:
    """Run one notebook in a private folder and export it. Never raises for a notebook failure."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from kehoach.reporting.export import render_html
    from kehoach.reporting.word import notebook_to_docx

    started, clock = _now(), time.perf_counter()
    error, html, executed, docx, nb = None, None, b"", None, None
    with tempfile.TemporaryDirectory(prefix=f"kehoach-job-{job.run_id}-") as tmp:
        folder = Path(tmp)
        (folder / "inputs").mkdir()
        for name, data in job.inputs.items():
            (folder / "inputs" / name).write_bytes(data)
        try:
            nb = run_notebook(job, folder)
            error = failure(nb)
            if error is None:
                html = render_html(nb, job.title)
                if job.docx:  # the Word draft, from the same section blocks as the HTML
                    docx = notebook_to_docx(nb, job.title)
        except CellTimeoutError:
            error = (f"sổ tính chạy quá {job.timeout_s} giây (execution_timeout_s trong parameters/{job.parameters.get('period')}"
                     ".yaml); tăng giới hạn đó nếu số liệu lớn, hoặc tìm ô lệnh bị treo trong notebook đã chạy")
        except DeadKernelError:
            error = "nhân Python (kernel) của sổ tính bị dừng giữa chừng (hết bộ nhớ?); chạy lại bằng --only-failed"
        except Exception as exc:  # noqa: BLE001 - a failed notebook must not stop the batch; reported by the client
            log.exception("notebook %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"
        if nb is not None:
            executed = nbformat.writes(nb).encode("utf-8")
    sums = {"executed": sha256(executed)}
    if html is not None:
        sums["html"] = sha256(html)
    if docx is not None and not error:
        sums["docx"] = sha256(docx)
    return Outcome(name=job.name, executed=executed, html=html, docx=docx if not error else None, started=started,
                   finished=_now(), duration_s=round(time.perf_counter() - clock, 2), error=error, sha256=sums)


def lost(job: Job, exc: BaseException) -> Outcome:
    """The outcome of a job whose worker raised or was lost for good."""
    now = _now()
    return Outcome(name=job.name, started=now, finished=now, duration_s=0.0, error=f"{type(exc).__name__}: {exc}")


def verify(job: Job, returned: object) -> Outcome:
    """Check what a worker returned before anything of it is written: schema, checksums, safe HTML, a real .docx.

    Anything wrong turns the outcome into a failure naming the problem; nothing unchecked is published.
    """
    from kehoach.reporting.export import check_self_contained

    try:
        outcome = Outcome.model_validate(returned.model_dump() if isinstance(returned, BaseModel) else returned)
    except ValidationError:
        return lost(job, RunError("kết quả trả về từ máy chạy không đúng dạng"))
    problem = None
    parts = {"executed": outcome.executed, "html": outcome.html, "docx": outcome.docx}
    for part, data in parts.items():
        if data is not None and (part == "executed" or data) and outcome.sha256.get(part) != sha256(data):
            problem = f"tổng kiểm tra của phần {part} không khớp (dữ liệu hỏng trên đường truyền)"
    if outcome.name != job.name:
        problem = f"máy chạy trả về kết quả của {outcome.name!r} thay cho {job.name!r}"
    if problem is None and outcome.html is not None:
        try:
            check_self_contained(outcome.html, job.title)
        except KehoachError as exc:
            problem = str(exc)
    if problem is None and outcome.docx:
        try:
            with zipfile.ZipFile(BytesIO(outcome.docx)) as archive:
                archive.getinfo("word/document.xml")
        except (zipfile.BadZipFile, KeyError):
            problem = "bản Word trả về không phải tệp .docx"
    if problem:
        log.error("%s: result refused: %s", job.name, problem)
        return outcome.model_copy(update={"error": f"kết quả bị từ chối: {problem}", "html": None, "docx": None})
    return outcome


# -- the set ------------------------------------------------------------------------------------------
class ReportSet:
    """The reports of one scope and period between staging and publishing. See the module's docstring."""

    def __init__(self, manifest: Manifest, final: Path, staging: Path, jobs: list[Job], kept: dict[str, JobResult],
                 order: list[str]):
        self.manifest = manifest
        self.final = final
        self.staging = staging
        self.jobs = jobs
        self.kept = kept
        self.order = order
        self.results: dict[str, JobResult] = {}
        self.context: Any = None  # what the caller built the set from (a ward's ReportContext), for its writers

    @classmethod
    def open(cls, manifest: Manifest, final: Path, write_inputs: Callable[[Path], dict[str, bytes]],
             make_jobs: Callable[[dict[str, bytes], str], list[Job]], only_failed: bool = False,
             force: bool = False) -> "ReportSet | None":
        """Open the staging folder of ``final`` and plan its jobs; the caller holds the folder's lock.

        ``write_inputs(folder)`` writes the set's inputs there and returns their bytes; ``make_jobs(inputs,
        run_id)`` plans the jobs. With ``only_failed`` and a previous set whose inputs are unchanged
        (same checksums), only its failed jobs run, from its own inputs, and the others are kept; with
        nothing failed, None (nothing to do). Changed inputs run everything again. Without
        ``only_failed``, None as well when the published set was built, with no failure, from the very
        same jobs (:func:`jobs_sha256`), unless ``force``.
        """
        recover_leftovers(final)
        run_id = uuid.uuid4().hex[:8]
        manifest = manifest.model_copy(update={"run_id": run_id})
        staging = final.parent / f".staging-{final.name}-{run_id}"
        previous = _previous(final) if only_failed or not force else None
        try:
            if only_failed and previous is not None and _same_inputs(previous, manifest):
                if not previous.failed:
                    return None
                shutil.copytree(final, staging)
                inputs = {p.name: p.read_bytes() for p in sorted((staging / "inputs").iterdir()) if p.is_file()}
                jobs = make_jobs(inputs, run_id)
                manifest = manifest.model_copy(update={"jobs_sha256": jobs_sha256(jobs)})
                kept = {r.name: r for r in previous.notebooks if r.outcome == "ok"}
                again = [j for j in jobs if j.name in previous.failed]
                known = {j.name for j in again} | set(kept)  # a failed notebook the plan no longer has is dropped
                order = [r.name for r in previous.notebooks if r.name in known]
                return cls(manifest, final, staging, again, kept, order)
            if only_failed and previous is not None:
                log.info("%s: inputs changed since the last run: every report is built again", final)
            staging.mkdir(parents=True)
            (staging / MARKER).write_text(f"{manifest.period}\n", encoding="utf-8")
            jobs = make_jobs(write_inputs(staging / "inputs"), run_id)
            manifest = manifest.model_copy(update={"jobs_sha256": jobs_sha256(jobs)})
            if not only_failed and previous is not None and previous.jobs_sha256 == manifest.jobs_sha256 \
                    and not previous.failed:
                log.info("%s: built from the same inputs by the same software: kept as it is", final)
                shutil.rmtree(staging)
                return None
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full(final, staging, exc) from None
            raise
        return cls(manifest, final, staging, jobs, {}, [j.name for j in jobs])

    @property
    def complete(self) -> bool:
        return len(self.results) == len(self.jobs)

    def keep(self, job: Job, returned: object) -> JobResult:
        """Check one returned outcome (:func:`verify`) and write it into the staging folder."""
        outcome = verify(job, returned)
        executed = f"notebooks/{job.name}.ipynb"
        try:
            (self.staging / "notebooks").mkdir(exist_ok=True)
            if outcome.executed:
                atomic_write(self.staging / executed, outcome.executed)
            size, docx = None, None
            if outcome.html is not None:
                size = atomic_write(self.staging / job.html_name, outcome.html).stat().st_size
            if outcome.docx:
                docx = str(Path(job.html_name).with_suffix(".docx"))
                atomic_write(self.staging / docx, outcome.docx)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full(self.final, self.staging, exc, len(outcome.executed) + len(outcome.html or "")) from None
            raise
        result = JobResult(name=job.name, title=job.title, notebook=job.notebook_name, executed=executed,
                           html=job.html_name if outcome.html is not None else None, started=outcome.started,
                           finished=outcome.finished, duration_s=outcome.duration_s,
                           outcome="failed" if outcome.error else "ok", error=outcome.error, html_bytes=size, docx=docx)
        self.results[job.name] = result
        return result

    def ordered(self) -> list[JobResult]:
        return [self.results.get(name) or self.kept[name] for name in self.order if name in self.results or name in self.kept]

    def publish(self, *writers: Callable[[Path, list[JobResult]], object]) -> list[JobResult]:
        """Write the manifest and each ``writer(staging, results)``'s files, then swap the set into place.

        Until the swap nothing of the published set changes: a failure (a full disk: :func:`disk_full`)
        leaves it as it was and removes the staging folder.
        """
        from kehoach import __version__

        ordered = self.ordered()
        manifest = self.manifest.model_copy(update={
            "notebooks": ordered, "finished": _now(), "kehoach_version": __version__, "python": sys.version.split()[0]})
        try:
            for write in writers:
                write(self.staging, ordered)
            atomic_write(self.staging / "manifest.json", manifest.model_dump_json(indent=2))
            swap(self.staging, self.final)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full(self.final, self.staging, exc) from None
            raise
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
        self.manifest = manifest
        return ordered

    def discard(self) -> None:
        """Drop an unfinished set's staging folder; the published reports stay as they were."""
        shutil.rmtree(self.staging, ignore_errors=True)


def _previous(final: Path) -> Manifest | None:
    """The manifest of the set published in ``final``, if it has one and its inputs."""
    path = final / "manifest.json"
    if not path.exists() or not (final / "inputs" / "inputs.json").exists():
        return None
    try:
        return read_manifest(path)
    except RunError as exc:
        log.warning("%s; building the whole set again", exc)
        return None


def jobs_sha256(jobs: list[Job]) -> str:
    """SHA-256 of everything ``jobs`` are given (input bytes, notebooks, parameters; not the run's id) and of the software.

    The software is kehoach's own files (code and templates, so that an edited checkout counts
    as new software), Python and the libraries that shape a report.
    """
    digest = hashlib.sha256(_software().encode("utf-8"))
    for job in sorted(jobs, key=lambda j: j.name):
        digest.update(job.model_dump_json(exclude={"run_id", "inputs"}).encode("utf-8"))
        for name, data in sorted(job.inputs.items()):
            digest.update(f"{name}:{len(data)}:".encode("utf-8") + hashlib.sha256(data).digest())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _software() -> str:
    from importlib import metadata

    package = Path(__file__).resolve().parents[1]
    files = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and p.suffix in _SOURCE_SUFFIXES):
        files.update(str(path.relative_to(package)).encode("utf-8") + b"\0" + path.read_bytes())
    versions = ",".join(f"{name}={metadata.version(name)}" for name in _SHAPING)
    return f"python={sys.version.split()[0]},{versions},kehoach-files={files.hexdigest()}"


#: The libraries whose version can change a report's bytes.
_SHAPING = ("nbconvert", "nbformat", "papermill", "ipykernel", "jinja2", "pandas", "pyarrow", "altair", "vl-convert-python",
            "python-docx", "babel")
_SOURCE_SUFFIXES = {".py", ".j2", ".css", ".json", ".yaml", ".html", ".js"}


def _same_inputs(previous: Manifest, fresh: Manifest) -> bool:
    return previous.inputs_sha256 == fresh.inputs_sha256 and previous.records_sha256 == fresh.records_sha256


def recover_leftovers(final: Path) -> None:
    """Clean up after a killed run of ``final`` (only while holding its lock).

    A run killed while publishing, between moving the old reports aside and putting the new ones in
    place, leaves no ``final`` and an ``.old-`` folder: those earlier reports are put back, so they
    stay whatever the next run does. Staging folders and other old folders are removed.
    """
    olds = sorted(final.parent.glob(f".old-{final.name}-*"), key=lambda p: p.stat().st_mtime)
    if olds and not final.exists():
        log.warning("putting back %s, moved aside by a run killed while publishing", olds[-1])
        olds.pop().rename(final)
    for folder in [*final.parent.glob(f".staging-{final.name}-*"), *olds]:
        log.info("removing %s, left by an interrupted run", folder)
        shutil.rmtree(folder, ignore_errors=True)


def swap(staging: Path, final: Path) -> None:
    """Swap the finished staging folder into place; the old reports go only once the new ones are there."""
    old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    while not path.exists():
        path = path.parent
    while not os.path.ismount(path):
        path = path.parent
    return path


def disk_full(final: Path, staging: Path, exc: OSError, pending: int = 0) -> RunError:
    """The Vietnamese message for a full disk: which disk, how much is free, how much the set needs."""
    from kehoach.core.formatting import fmt_number

    needed = max(_size(final), _size(staging) + pending) + 1024 * 1024
    free = shutil.disk_usage(_mount_point(final.parent)).free
    mb = lambda n: f"{fmt_number(n / 1024 / 1024, 1)} MB"  # noqa: E731
    return RunError(f"Ổ đĩa {_mount_point(final.parent)} đã đầy ({exc.strerror}): còn trống {mb(free)}, bộ báo cáo "
                    f"{final.name} cần khoảng {mb(needed)}. Chưa có gì được thay thế: báo cáo đã công bố trong {final} "
                    "vẫn giữ nguyên. Giải phóng dung lượng trên ổ đĩa đó rồi chạy lại.")


# -- running sets ------------------------------------------------------------------------------------
def execute(sets: Iterable[ReportSet], executor: Any, on_complete: Callable[[ReportSet], None], bar: Any = None) -> int:
    """Every job of every set on ONE executor; ``on_complete(set)`` as each set's last job comes back.

    ``sets`` may be a generator: each set's jobs are submitted as soon as it is opened, so the
    workers start while the client still prepares the next sets (a province's communes), and
    the bar's total grows by each set's jobs as they are submitted. A job whose worker raised or
    was lost for good fails alone; each job is kept exactly once, and its result is let go once
    written.
    Returns the number of notebook runs handed to the executor.
    """
    import concurrent.futures as cf

    pending: dict[cf.Future, tuple[ReportSet, Job]] = {}
    submitted = 0
    for report_set in sets:
        if not report_set.jobs:
            on_complete(report_set)
            continue
        pending.update({executor.submit(execute_job, job): (report_set, job) for job in report_set.jobs})
        submitted += len(report_set.jobs)
        if bar is not None:
            bar.total += len(report_set.jobs)
            bar.refresh()
        _keep_done([f for f in pending if f.done()], pending, on_complete, bar)
    while pending:
        done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        _keep_done(done, pending, on_complete, bar)
    return submitted


def _keep_done(done: Iterable[Any], pending: dict[Any, tuple[ReportSet, Job]], on_complete: Callable[[ReportSet], None],
               bar: Any) -> None:
    for future in done:
        report_set, job = pending.pop(future)
        try:
            returned = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker fails its job, not the batch
            returned = lost(job, exc)
        result = report_set.keep(job, returned)
        if result.error:
            log.error("%s failed: %s", job.name, result.error)
        if bar is not None:
            bar.update(1)
        if report_set.complete:
            on_complete(report_set)


def progress_bar(show: bool):  # noqa: ANN201 - a tqdm bar
    """The run's one progress bar (on stderr; silent unless ``show``); :func:`execute` adds each set's jobs to its total."""
    from tqdm import tqdm

    return tqdm(total=0, desc="Lập báo cáo", unit="báo cáo", disable=not show, file=sys.stderr)


def relative(path: Path) -> str:
    """``path`` relative to the project root when inside it (how manifests and notebooks name files)."""
    root = config.project_root()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def changed_inputs(manifest: Manifest) -> list[str]:
    """What changed since the set was built: files whose SHA-256 differs, and records whose store moved on."""
    from kehoach.data.store import ProgressStore

    root = config.project_root()
    changed = []
    for name, digest in manifest.inputs_sha256.items():
        path = Path(name)
        if not path.is_absolute():
            path = config.notebooks_dir() / path.name if path.parts[0] == "notebooks" else root / path
        if not path.exists() or sha256(path.read_bytes()) != digest:
            changed.append(name)
    data_dir = config.resolve((manifest.parameters or {}).get("data_dir") or "data")
    store = ProgressStore(data_dir / "progress")
    for key, digest in manifest.records_sha256.items():
        ward, year = key.rsplit("/", 1)
        if store.checksum(ward, int(year)) != digest:
            changed.append(f"số liệu {key}")
    return changed
