"""One report set: its manifest (versioned), the snapshot its inputs are certified from, the checks of what
a worker returns, ``--only-failed`` after an import, and a full disk. No notebook runs here: the jobs'
outcomes are built as a worker builds them, so these tests stay cheap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kehoach.core.errors import RunError
from kehoach.core.parameters import load_parameters
from kehoach.core.period import Period
from kehoach.data import store as store_module
from kehoach.data.plan import load_plan
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file
from kehoach.delivery import batch, reportset
from kehoach.delivery.reportset import Job, Outcome, read_manifest, verify
from tests.conftest import PROJECT

P = Period(2026, 3)
WARD, YEAR = "phan-dinh-phung", 2026
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def wb(workbench: Path) -> Path:
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    shutil.copytree(PROJECT / "notebooks", workbench / "notebooks")
    return workbench


def late_import(root: Path, value: float = 97.5) -> None:
    """A unit's late figure for indicator 9, imported as a real command would."""
    csv = root / f"tre-{value}.csv"
    csv.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note\n"
                   f"{WARD},{YEAR},PVHCC,9,2026-Q3,{value},false,gửi muộn\n", encoding="utf-8")
    import_file(csv, load_plan(root / "data" / "plan" / "phan-dinh-phung-2026.yaml"), ProgressStore(root / "data" / "progress"),
                today=dt.date(2026, 11, 29), now=dt.datetime(2026, 11, 20, 8, 0, tzinfo=VN))


def outcome_of(job: Job, html: str = "<!DOCTYPE html><p>Báo cáo</p>", error: str | None = None) -> Outcome:
    """What :func:`reportset.execute_job` returns for ``job``, without running its notebook."""
    executed = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    sums = {"executed": reportset.sha256(executed)} | ({} if error else {"html": reportset.sha256(html)})
    return Outcome(name=job.name, executed=executed, html=None if error else html, started="2026-11-20T08:00:00+07:00",
                   finished="2026-11-20T08:00:05+07:00", duration_s=5.0, error=error, sha256=sums)


def publish_set(only_failed: bool = False, failed: tuple[str, ...] = ()) -> reportset.ReportSet | None:
    params = load_parameters(P, required=True)
    report_set = batch.open_ward(P, params, None, PROJECT / "notebooks", False, only_failed=only_failed)
    if report_set is None:
        return None
    for job in report_set.jobs:
        report_set.keep(job, outcome_of(job, error="ô lệnh số 3: ValueError" if job.name in failed else None))
    report_set.publish()
    return report_set


def test_an_import_landing_between_reading_and_checksumming_is_never_certified(wb, monkeypatch):
    """The records and their checksum come from one read: a report built before an import is stale after it."""
    store = ProgressStore(wb / "data" / "progress")
    before = store.checksum(WARD, YEAR)
    convert = store_module._rows_to_table
    landed = []

    def convert_then_import(*args, **kwargs):  # the import lands right after the store's read transaction
        table = convert(*args, **kwargs)
        if not landed:
            landed.append(True)
            late_import(wb)
        return table

    monkeypatch.setattr(store_module, "_rows_to_table", convert_then_import)
    report_set = batch.open_ward(P, load_parameters(P, required=True), None, PROJECT / "notebooks", False)
    report_set.discard()
    monkeypatch.setattr(store_module, "_rows_to_table", convert)
    assert landed and store.checksum(WARD, YEAR) != before
    assert report_set.manifest.records_sha256 == {f"{WARD}/{YEAR}": before}
    assert "gửi muộn" not in report_set.context.records["note"].dropna().tolist()  # the report read the old records …
    assert reportset.changed_inputs(report_set.manifest) == [f"số liệu {WARD}/{YEAR}"]  # … and is seen as stale


def test_only_failed_recomputes_the_inputs_and_reruns_everything_after_an_import(wb):
    publish_set(failed=("unit-VP",))
    folder = wb / "reports" / "2026-Q3"
    again = batch.open_ward(P, load_parameters(P, required=True), None, PROJECT / "notebooks", False, only_failed=True)
    assert [j.name for j in again.jobs] == ["unit-VP"] and set(again.kept) == {j for j in again.order if j != "unit-VP"}
    again.discard()
    late_import(wb)
    fresh = batch.open_ward(P, load_parameters(P, required=True), None, PROJECT / "notebooks", False, only_failed=True)
    assert len(fresh.jobs) == 8 and not fresh.kept  # newer data: the whole set again, from new inputs
    staged = json.loads((fresh.staging / "inputs" / "inputs.json").read_text(encoding="utf-8"))
    assert staged["records_sha256"] != json.loads((folder / "inputs" / "inputs.json").read_text(encoding="utf-8"))["records_sha256"]
    fresh.discard()


def test_only_failed_with_nothing_failed_and_unchanged_inputs_does_nothing(wb):
    publish_set()
    assert publish_set(only_failed=True) is None


def test_manifest_has_one_versioned_shape_and_older_ones_are_read(wb, tmp_path):
    publish_set(failed=("indicators",))
    manifest = json.loads((wb / "reports" / "2026-Q3" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == 2 and manifest["scope"] == "ward" and manifest["ward"] == WARD
    assert [n["outcome"] for n in manifest["notebooks"]][:2] == ["ok", "failed"]
    assert set(manifest["inputs_sha256"]) == {"data/plan/phan-dinh-phung-2026.yaml", "parameters/2026-Q3.yaml",
                                              "notebooks/overview.ipynb", "notebooks/unit.ipynb", "notebooks/indicators.ipynb"}
    old = tmp_path / "manifest.json"
    old.write_text(json.dumps({"period": "2026-Q3", "ward": WARD, "inputs_sha256": {}, "notebooks": [
        {"name": "overview", "title": "Báo cáo", "html": "a.html", "outcome": "ok"}]}), encoding="utf-8")
    assert read_manifest(old).notebooks[0].html == "a.html" and read_manifest(old).schema_version == 2
    old.write_text(json.dumps({"schema_version": 9, "period": "2026-Q3"}), encoding="utf-8")
    with pytest.raises(RunError, match="phiên bản kehoach mới hơn .*phiên bản 9"):
        read_manifest(old)
    old.write_text(json.dumps({"schema_version": 2, "period": "2026-Q3", "notebooks": [{"outcome": "maybe"}]}), encoding="utf-8")
    with pytest.raises(RunError, match="manifest.json hỏng \\(notebooks.0.name: thiếu trường này"):
        read_manifest(old)


@pytest.mark.parametrize("html, problem", [
    ("<p>ok</p><script>alert(1)</script>", "<script>"),
    ('<img src="http://evil.example/x.png">', "img[src="),
    ("<p onclick=\"x()\">ok</p>", "p[onclick]"),
])
def test_a_worker_is_not_trusted_with_html(html, problem):
    job = Job(name="overview", title="Báo cáo", html_name="a.html", notebook_name="notebooks/overview.ipynb",
              notebook=b"{}", parameters={}, inputs={})
    checked = verify(job, outcome_of(job, html))
    assert checked.html is None and problem in checked.error and checked.error.startswith("kết quả bị từ chối")


def test_a_result_whose_bytes_do_not_match_its_checksum_is_refused():
    job = Job(name="overview", title="Báo cáo", html_name="a.html", notebook_name="n", notebook=b"{}", parameters={}, inputs={})
    tampered = outcome_of(job).model_copy(update={"html": "<p>khác</p>"})
    assert "tổng kiểm tra của phần html không khớp" in verify(job, tampered).error
    assert verify(job, {"name": "overview"}).error == "RunError: kết quả trả về từ máy chạy không đúng dạng"
    other = outcome_of(job).model_copy(update={"name": "unit-VP"})
    assert "thay cho 'overview'" in verify(job, other).error


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs (needs root: CI runs as root)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_never_replaces_the_last_good_set(wb, small_disk, monkeypatch):
    reports = small_disk / "reports"
    reports.mkdir()
    monkeypatch.setattr("kehoach.core.config.reports_dir", lambda: reports)
    (wb / "parameters" / "2026-Q3.yaml").write_text(
        (wb / "parameters" / "2026-Q3.yaml").read_text(encoding="utf-8").replace(
            'output_dir: "reports/2026-Q3"', f'output_dir: "{reports / "2026-Q3"}"'), encoding="utf-8")
    publish_set()
    folder = reports / "2026-Q3"
    good = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    report_set = batch.open_ward(P, load_parameters(P, required=True), None, PROJECT / "notebooks", False, force=True)
    big = "<!DOCTYPE html><p>" + "Số liệu rất dài " * 40_000 + "</p>"  # ~0,7 MB a report: 8 do not fit
    with pytest.raises(RunError) as refused:
        for job in report_set.jobs:
            report_set.keep(job, outcome_of(job, big))
    report_set.discard()
    message = str(refused.value)
    assert message.startswith(f"Ổ đĩa {small_disk} đã đầy") and "còn trống" in message and "cần khoảng" in message
    assert "MB" in message and "vẫn giữ nguyên" in message
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == good
    assert not list(reports.glob(".staging-*"))


@pytest.mark.slow
def test_jobs_in_threads_touch_neither_cwd_nor_environment_and_time_out_clearly(tmp_path, monkeypatch):
    """Two notebook runs side by side in one process, as on a Dask worker's threads."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    import nbformat

    monkeypatch.setenv("KEHOACH_ROOT", "/the/client/own/root")
    here, env_before = os.getcwd(), dict(os.environ)

    def notebook(*sources: str) -> bytes:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("period = ''", metadata={"tags": ["parameters"]}),
                                             *(nbformat.v4.new_code_cell(s) for s in sources)])
        nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
        return nbformat.writes(nb).encode()

    probe = Job(name="probe", title="Thử", html_name="a.html", notebook_name="notebooks/probe.ipynb", parameters={"period": "2026-Q3"},
                notebook=notebook("import os; print(os.environ['KEHOACH_ROOT'], os.getcwd(), sorted(os.listdir('inputs')))"),
                inputs={"x.parquet": b"1"}, kehoach_root=str(tmp_path / "wb"), timeout_s=120)
    slow = probe.model_copy(update={"name": "slow", "notebook": notebook("import time; time.sleep(60)"), "timeout_s": 3})
    with ThreadPoolExecutor(2) as pool:
        done, late = pool.map(reportset.execute_job, [probe, slow])
    assert os.getcwd() == here and dict(os.environ) == env_before
    assert done.error is None, done.error
    printed = nbformat.reads(done.executed.decode(), as_version=4).cells[-1].outputs[0]["text"]
    root, cwd, files = printed.split(" ", 2)
    assert root == str(tmp_path / "wb") and "kehoach-job-" in cwd and files.strip() == "['x.parquet']"
    metadata = nbformat.reads(done.executed.decode(), as_version=4).metadata.papermill
    assert metadata["notebook"] == "notebooks/probe.ipynb" and metadata["period"] == "2026-Q3"
    assert "input_path" not in metadata and "output_path" not in metadata
    assert late.error == ("sổ tính chạy quá 3 giây (execution_timeout_s trong parameters/2026-Q3.yaml); tăng giới hạn đó "
                          "nếu số liệu lớn, hoặc tìm ô lệnh bị treo trong notebook đã chạy")


class AnsweringExecutor:
    """An executor whose 'worker' answers at once with what :func:`reportset.execute_job` returns; it logs submissions."""

    def __init__(self, log: list[str], error: str | None = None):
        self.log = log
        self.error = error

    def submit(self, fn, job: Job):  # noqa: ANN001, ANN201 - concurrent.futures' signature
        import concurrent.futures as cf

        self.log.append(f"submit {job.name}")
        future = cf.Future()
        future.set_result(outcome_of(job, error=self.error))
        return future


def open_set(folder: Path, ward: str, names: list[str], inputs: bytes = b"", force: bool = False) -> reportset.ReportSet | None:
    def write_inputs(staging: Path) -> dict[str, bytes]:
        staging.mkdir()
        (staging / "evaluated.parquet").write_bytes(inputs)
        (staging / "inputs.json").write_text("{}", encoding="utf-8")
        return {"evaluated.parquet": inputs, "inputs.json": b"{}"}

    def make_jobs(given: dict[str, bytes], run_id: str) -> list[Job]:
        return [Job(name=n, title=n, html_name=f"{n}.html", notebook_name=f"notebooks/{n}.ipynb", notebook=b"{}",
                    parameters={}, inputs=given, run_id=run_id) for n in names]

    manifest = reportset.Manifest(period="2026-Q3", ward=ward)
    return reportset.ReportSet.open(manifest, folder / ward, write_inputs, make_jobs, force=force)


def build(folder: Path, names: list[str], inputs: bytes = b"", force: bool = False, error: str | None = None) -> list[str]:
    """Open, run and publish a set as a run does; the names of the jobs that ran (none: the set was kept)."""
    log: list[str] = []
    report_set = open_set(folder, "xa-a", names, inputs, force)
    if report_set is not None:
        reportset.execute([report_set], AnsweringExecutor(log, error), lambda s: s.publish())
    return [entry.removeprefix("submit ") for entry in log]


def test_a_set_built_from_the_same_jobs_by_the_same_software_is_kept_unless_forced_or_failed(tmp_path):
    assert build(tmp_path, ["overview", "unit-KT"], b"v1") == ["overview", "unit-KT"]
    published = (tmp_path / "xa-a" / "manifest.json").read_bytes()
    assert build(tmp_path, ["overview", "unit-KT"], b"v1") == []  # nothing changed: kept as it is
    assert (tmp_path / "xa-a" / "manifest.json").read_bytes() == published
    assert not list(tmp_path.glob(".staging-*"))
    assert build(tmp_path, ["overview", "unit-KT"], b"v1", force=True) == ["overview", "unit-KT"]
    assert build(tmp_path, ["overview", "unit-KT"], b"v2") == ["overview", "unit-KT"]  # an input changed
    assert build(tmp_path, ["overview", "unit-KT", "unit-VP"], b"v2") == ["overview", "unit-KT", "unit-VP"]
    assert build(tmp_path, ["overview"], b"v3", error="ô lệnh số 2: ValueError") == ["overview"]
    assert build(tmp_path, ["overview"], b"v3") == ["overview"]  # the last set had a failure: built again
    assert build(tmp_path, ["overview"], b"v3") == []


def test_the_jobs_checksum_covers_inputs_notebooks_and_parameters_but_not_the_run_id():
    def job(**changes) -> Job:
        fields = dict(name="overview", title="Báo cáo", html_name="a.html", notebook_name="notebooks/overview.ipynb",
                      notebook=b"{}", parameters={"period": "2026-Q3"}, inputs={"evaluated.parquet": b"1"}, run_id="r1")
        return Job(**(fields | changes))

    same = reportset.jobs_sha256([job()])
    assert reportset.jobs_sha256([job(run_id="r2")]) == same
    for changed in ({"inputs": {"evaluated.parquet": b"2"}}, {"notebook": b"{ }"}, {"parameters": {"period": "2026-Q2"}},
                    {"title": "Báo cáo khác"}, {"docx": True}):
        assert reportset.jobs_sha256([job(**changed)]) != same, changed


def test_sets_given_one_by_one_have_their_jobs_submitted_as_each_opens_and_are_each_completed_once(tmp_path):
    log: list[str] = []

    def opening():
        for ward, names in (("xa-a", ["overview", "unit-KT"]), ("xa-b", ["overview"])):
            log.append(f"open {ward}")
            yield open_set(tmp_path, ward, names)

    completed: list[str] = []
    with reportset.progress_bar(False) as bar:
        runs = reportset.execute(opening(), AnsweringExecutor(log), lambda s: completed.append(s.manifest.ward), bar)
        total = bar.total
    assert log == ["open xa-a", "submit overview", "submit unit-KT", "open xa-b", "submit overview"]
    assert (runs, total, completed) == (3, 3, ["xa-a", "xa-b"])
