"""A province's quarter on a real Dask cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1.

The workers run at their DEFAULT thread count (one thread per core, at least two), as a user
starts them: several notebooks run side by side in one worker process, so a job that changed the
process's working directory or environment would break its neighbours (it did: 16 of 24 failed).
The test builds a 5-commune synthetic province (26 notebook runs), runs ``kehoach run --ward all --scheduler tcp://…``
as a user would (a subprocess), kills one worker while it is executing a notebook, and checks
that every report arrived exactly once, that the roll-up equals the sum of the communes'
own evaluations, and then re-runs one failed commune report with ``--only-failed``. Every
process it starts is stopped by its PID.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from kehoach.analysis import province as rollup
from kehoach.core.formatting import fmt_value
from kehoach.data.plan import load_plan
from kehoach.delivery.bundles import build_province
from kehoach.reporting import province_context
from tests.conftest import PLAN_FILE, PROJECT

pytestmark = pytest.mark.slow  # a Dask cluster and kernels

distributed = pytest.importorskip("distributed")
DASK = Path(sys.executable).parent / "dask"
PERIOD = "2026-Q3"
NOTEBOOKS_PER_COMMUNE = 5  # overview, indicators, three unit reports
COMMUNES = 5  # 25 commune notebooks and the province report: at least 24 runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], log: Path) -> subprocess.Popen:
    """A process in its own session, so that it and its children can be stopped by its PID."""
    return subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
                            env={k: v for k, v in os.environ.items() if k != "KEHOACH_ROOT"})


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def province_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("province")
    root = tmp / "tinh"
    build_province(COMMUNES, root, load_plan(PLAN_FILE))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], tmp / "scheduler.log")]
    try:
        for i in range(2):
            procs.append(start([str(DASK), "worker", address, "--nworkers", "1", "--host", "127.0.0.1",  # default --nthreads
                                "--no-dashboard", "--name", f"w{i}"], tmp / f"worker{i}.log"))
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            threads = sorted(w["nthreads"] for w in client.scheduler_info()["workers"].values())
            run = subprocess.Popen([sys.executable, "-m", "kehoach.cli", "--root", str(root), "run", "--period", PERIOD,
                                    "--ward", "all", "--scheduler", address, "-q"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, cwd=PROJECT, start_new_session=True)
            procs.append(run)
            killed = kill_a_busy_worker(client, procs[1:3])
            out, err = run.communicate(timeout=900)
            workers_left = len(client.scheduler_info()["workers"])
        yield {"root": root, "code": run.returncode, "out": out, "err": err, "killed": killed, "workers_left": workers_left,
               "tmp": tmp, "threads": threads}
    finally:
        for proc in reversed(procs):
            stop(proc)


def kill_a_busy_worker(client, workers: list[subprocess.Popen]) -> str:
    """Wait until the first worker executes a notebook, let it work a moment, then SIGKILL it (nanny and worker)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        processing = client.processing()
        names = {addr: info["name"] for addr, info in client.scheduler_info()["workers"].items()}
        busy = [addr for addr, keys in processing.items() if keys and names.get(addr) == "w0"]
        if busy:
            time.sleep(2)
            key = str(client.processing()[busy[0]][0]) if client.processing().get(busy[0]) else "?"
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=30)
            return key
        time.sleep(0.2)
    raise AssertionError("worker w0 never received a notebook")


def test_run_survives_a_killed_worker(province_run):
    r = province_run
    assert r["code"] == 0, r["err"][-3000:]
    assert r["threads"] == [os.cpu_count() or 1] * 2 and r["threads"][0] >= 2  # default --nthreads: several per worker
    assert r["killed"] and r["workers_left"] == 1  # one worker was lost mid-run; its notebook ran on the other
    reports = r["root"] / "reports" / PERIOD
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == 2 and manifest["scope"] == "period"
    assert manifest["notebook_runs"] == COMMUNES * NOTEBOOKS_PER_COMMUNE + 1 >= 24
    assert len(manifest["communes"]) == COMMUNES
    for ward, results in manifest["communes"].items():
        names = [x["name"] for x in results]
        assert len(names) == len(set(names)) == NOTEBOOKS_PER_COMMUNE, ward  # nothing lost, nothing twice
        assert all(x["outcome"] == "ok" for x in results), ward
        htmls = sorted(p.name for p in (reports / ward).glob("*.html"))
        assert htmls == sorted(["bao-cao-tong-hop.html", "chi-tiet-chi-tieu.html", "don-vi-KTHT.html", "don-vi-VHXH.html",
                                "don-vi-VP.html", "index.html"])
    assert [x["outcome"] for x in manifest["notebooks"]] == ["ok"]  # the province report
    assert not list(reports.glob(".staging-*"))  # lock files may stay: OS locks, free once released


def test_rollup_equals_the_sum_of_the_communes_evaluations(province_run):
    reports = province_run["root"] / "reports" / PERIOD
    pctx = province_context.read(reports / "tinh" / "inputs")
    wards = sorted(pctx.communes["ward"])
    evaluated = pd.concat([pd.read_parquet(reports / w / "inputs" / "evaluated.parquet") for w in wards])
    evaluated = evaluated[evaluated["period"] == PERIOD]
    table = rollup.rollup(pctx.frame, pctx.communes).set_index("code")
    sums = table[(table["method"] == "sum") & (table["reported"] > 0)]
    assert "thu-ngan-sach" in sums.index and "bien-phap-tranh-thai" in sums.index
    page = (reports / "tinh" / "bao-cao-tinh.html").read_text(encoding="utf-8")
    for code, row in sums.iterrows():
        expected = evaluated.loc[evaluated["code"] == code, "value"].sum()
        assert row["total"] == pytest.approx(expected), code
        assert f"Tổng toàn tỉnh: {fmt_value(expected, row['unit'])}" in page, code
    for text in ("ỦY BAN NHÂN DÂN", "TỈNH THÁI NGUYÊN", "SỐ LIỆU MINH HỌA", "III. Đánh giá các chỉ tiêu chung theo từng xã, phường",
                 "IV. Các xã, phường cần tập trung chỉ đạo", "V. Tình hình báo cáo của các xã, phường"):
        assert text in page, text
    for w in wards:
        assert f'href="../{w}/bao-cao-tong-hop.html"' in page
    assert "<script" not in page.lower() and page.count("<svg") >= 2


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_only_failed_reruns_just_the_failed_report_and_marks_a_commune_without_data(province_run, tmp_path):
    root = tmp_path / "tinh"
    shutil.copytree(province_run["root"], root)
    reports = root / "reports" / PERIOD
    ward = sorted(p.name for p in reports.iterdir() if p.is_dir() and p.name != "tinh")[0]
    manifest = json.loads((reports / ward / "manifest.json").read_text(encoding="utf-8"))
    failed = next(x for x in manifest["notebooks"] if x["name"] == "unit-VP")
    failed.update(outcome="failed", error="ô lệnh số 3: ValueError: hỏng", html=None)  # as a failed run records it
    (reports / ward / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (reports / ward / "don-vi-VP.html").unlink()
    others = {w: _digest(reports / w) for w in os.listdir(reports) if (reports / w).is_dir() and w not in (ward, "tinh")}
    empty = load_plan(next((root / "data" / "plan").glob(f"{ward}-2026.yaml")))
    doc = empty.document.model_copy(update={"ward_code": "xa-khong-so-lieu", "ward": "Không Số Liệu"})
    (root / "data" / "plan" / "xa-khong-so-lieu-2026.yaml").write_text(
        (root / "data" / "plan" / f"{ward}-2026.yaml").read_text(encoding="utf-8")
        .replace(f"ward_code: {empty.ward}", f"ward_code: {doc.ward_code}"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kehoach.cli", "--root", str(root), "run", "--period", PERIOD, "--ward", "all",
                           "--only-failed", "--jobs", "1", "-q"], capture_output=True, text=True, cwd=PROJECT, timeout=600)
    assert proc.returncode == 1  # the commune without data
    assert "xa-khong-so-lieu" in proc.stderr and "Chưa có số liệu" in proc.stderr
    again = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert again["notebook_runs"] == 2  # the failed unit report and the province report, nothing else
    assert [x["name"] for x in again["communes"][ward]] == [x["name"] for x in manifest["notebooks"]]
    assert all(x["outcome"] == "ok" for x in again["communes"][ward])
    assert (reports / ward / "don-vi-VP.html").exists()
    assert {w: _digest(reports / w) for w in others} == others  # communes that had not failed are untouched
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "xa-khong-so-lieu" in index and "LỖI" in index
    assert "Không lập được báo cáo" in (reports / "tinh" / "bao-cao-tinh.html").read_text(encoding="utf-8")
