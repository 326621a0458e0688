"""A province's quarter through bundles, run on a real Dask cluster: `dask scheduler` and two `dask worker` processes.

End to end, as users do it: three commune workspaces, each with its own plan (different indicators,
numbering, units, targets; a phường and two xã); each unit's form filled and imported there
(`kehoach import`); `kehoach bundle` in each; `kehoach province import` of the three bundles in the
province workspace, whose list also names a fourth commune that sends nothing; then
``kehoach run --ward all --scheduler tcp://…`` (a subprocess) on a scheduler and two workers on
127.0.0.1 at their DEFAULT thread count (one thread per core, at least two: several notebooks run
side by side in one worker process, so a job that changed the process's working directory or
environment would break its neighbours). One worker is killed while it executes a notebook.
The run must give every commune's reports from its own plan, and a roll-up on the indicators
shared by code with exact figures; then one failed report is re-run with ``--only-failed``.
Every process it starts is stopped by its PID.
"""

from __future__ import annotations

import datetime as dt
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
import yaml

from kehoach.analysis import province as rollup
from kehoach.cli import main
from kehoach.core.period import Period
from kehoach.data.bundle import CommuneEntry, ProvinceList, write_province_list
from kehoach.data.forms import ACTUAL, fill_form, write_template
from kehoach.data.plan import load_plan
from kehoach.reporting import province_context
from tests.conftest import PLAN_FILE, PROJECT

pytestmark = pytest.mark.slow  # a Dask cluster and kernels

distributed = pytest.importorskip("distributed")
DASK = Path(sys.executable).parent / "dask"
PERIOD = "2026-Q3"
UNITS = [{"code": "KTHT", "item": "III.1", "role": "responsible", "name": "Phòng Kinh tế"},
         {"code": "VHXH", "item": "III.2", "role": "responsible", "name": "Phòng Văn hóa - Xã hội"}]
NOTEBOOKS_PER_COMMUNE = 4  # overview, indicators, two unit reports
#: Each commune: (kind, name, population, [(code, target, unit, Q3 value)]) — numbered in this order in its plan.
COMMUNES = {
    "phuong-an-binh": ("phường", "An Bình", 40_000, [("thu-ngan-sach", 100_000, "KTHT", 75_000),
                                                     ("chat-thai-ran-sinh-hoat", 90, "KTHT", 88),
                                                     ("bao-hiem-y-te", 95, "VHXH", 93)]),
    "xa-tan-cuong": ("xã", "Tân Cương", 10_000, [("bao-hiem-y-te", 90, "VHXH", 88),
                                                 ("thu-ngan-sach", 20_000, "KTHT", 15_000),
                                                 ("san-luong-che", 1_200, "KTHT", 900)]),
    "xa-phuc-xuan": ("xã", "Phúc Xuân", 20_000, [("chat-thai-ran-sinh-hoat", 85, "KTHT", 80),
                                                 ("thu-ngan-sach", 30_000, "KTHT", 24_000),
                                                 ("bao-hiem-y-te", 92, "VHXH", 91),
                                                 ("ho-so-dung-han", 100, "VHXH", 98)]),
}
SILENT = "xa-im-lang"  # on the province's list, sends no bundle
TEA = {"code": "san-luong-che", "group": "KT", "name": "Sản lượng chè búp tươi", "unit": "tấn", "comparison": ">=",
       "kind": "cumulative", "frequency": "quarterly"}


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


def commune_plan(code: str) -> dict:
    """A commune's own plan: indicators taken by code from the ward plan, renumbered, with the commune's targets."""
    base = load_plan(PLAN_FILE)
    kind, name, population, rows = COMMUNES[code]
    indicators = []
    for number, (ind_code, target, unit, _) in enumerate(rows, start=1):
        source = base.indicator_by_code(ind_code)
        fields = TEA if source is None else {k: getattr(source, k) for k in TEA}
        indicators.append({**fields, "number": number, "code": ind_code, "target": float(target), "unit_code": unit})
    used = {i["group"] for i in indicators}
    title = f"{kind} {name}"
    return {"document": {"decision_number": f"{len(code)}/QĐ-UBND", "decision_date": dt.date(2026, 1, 15),
                         "issuing_body": f"UBND {title}", "issuing_body_full": f"ỦY BAN NHÂN DÂN {title.upper()}",
                         "title": f"Kế hoạch phát triển kinh tế - xã hội của {title} năm 2026", "ward_code": code, "ward": name,
                         "ward_kind": kind, "province": "Thái Nguyên", "year": 2026, "population": population},
            "fields": [f.model_dump() for f in base.fields], "groups": [g.model_dump() for g in base.groups if g.code in used],
            "units": UNITS, "indicators": indicators, "tasks": []}


def commune_bundle(code: str, tmp: Path) -> Path:
    """A commune's workspace: its plan; each unit's form filled and imported (`kehoach import`); then `kehoach bundle`."""
    ws = tmp / "xa" / code
    (ws / "data" / "plan").mkdir(parents=True)
    path = ws / "data" / "plan" / f"{code}-2026.yaml"
    path.write_text(yaml.safe_dump(commune_plan(code), allow_unicode=True, sort_keys=False), encoding="utf-8")
    plan = load_plan(path)
    for unit in ("KTHT", "VHXH"):
        values = {n: (value, ACTUAL, "") for n, (_, _, u, value) in enumerate(COMMUNES[code][3], start=1) if u == unit}
        form = write_template(plan, unit, Period.parse(PERIOD), tmp / f"{code}-{unit}.xlsx")
        fill_form(form, values, submitted_on=dt.date(2026, 10, 3), preparer="Cán bộ thống kê")
        assert main(["--root", str(ws), "import", str(form), "--submitted-at", "03/10/2026"]) == 0
    out = tmp / "gui-tinh" / f"{code}_{PERIOD}.zip"
    assert main(["--root", str(ws), "bundle", "--period", PERIOD, "-o", str(out)]) == 0
    return out


def province_workspace(root: Path, bundles: list[Path]) -> None:
    (root / "parameters").mkdir(parents=True)
    # bundles arrive at the clock of the test run, so the communes' deadline is far ahead: none counts as late
    (root / "parameters" / f"{PERIOD}.yaml").write_text(
        f'period: "{PERIOD}"\nyear: 2026\nreport_date: "2026-10-10"\ndeadline: "2026-10-05"\nbundle_deadline: "2099-12-31"\n',
        encoding="utf-8")
    communes = [CommuneEntry(code=c, name=v[1], kind=v[0]) for c, v in COMMUNES.items()]
    write_province_list(root / "data", ProvinceList(province="Thái Nguyên", year=2026,
                                                    communes=[*communes, CommuneEntry(code=SILENT, name="Im Lặng")]))
    assert main(["--root", str(root), "province", "import", *map(str, bundles)]) == 0


@pytest.fixture(scope="module")
def province_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("province")
    root = tmp / "tinh"
    province_workspace(root, [commune_bundle(code, tmp) for code in COMMUNES])
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
            started = time.monotonic()
            run = subprocess.Popen([sys.executable, "-m", "kehoach.cli", "--root", str(root), "run", "--period", PERIOD,
                                    "--ward", "all", "--scheduler", address, "-q"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, cwd=PROJECT, start_new_session=True)
            procs.append(run)
            killed = kill_a_busy_worker(client, procs[1:3])
            out, err = run.communicate(timeout=900)
            seconds = time.monotonic() - started
            workers_left = len(client.scheduler_info()["workers"])
        yield {"root": root, "code": run.returncode, "out": out, "err": err, "killed": killed, "workers_left": workers_left,
               "tmp": tmp, "threads": threads, "seconds": seconds}
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
    assert manifest["notebook_runs"] == len(COMMUNES) * NOTEBOOKS_PER_COMMUNE + 1 == 13
    assert sorted(manifest["communes"]) == sorted(COMMUNES)  # the silent commune has no data, so no reports
    for ward, results in manifest["communes"].items():
        names = [x["name"] for x in results]
        assert len(names) == len(set(names)) == NOTEBOOKS_PER_COMMUNE, ward  # nothing lost, nothing twice
        assert all(x["outcome"] == "ok" for x in results), ward
        htmls = sorted(p.name for p in (reports / ward).glob("*.html"))
        assert htmls == ["bao-cao-tong-hop.html", "chi-tiet-chi-tieu.html", "don-vi-KTHT.html", "don-vi-VHXH.html", "index.html"]
    assert [x["outcome"] for x in manifest["notebooks"]] == ["ok"]  # the province report
    assert not list(reports.glob(".staging-*"))  # lock files may stay: OS locks, free once released


def test_each_communes_report_comes_from_its_own_plan(province_run):
    reports = province_run["root"] / "reports" / PERIOD
    for ward, (_, name, _, rows) in COMMUNES.items():
        evaluated = pd.read_parquet(reports / ward / "inputs" / "evaluated.parquet")
        evaluated = evaluated[evaluated["period"] == PERIOD].sort_values("indicator")
        assert evaluated[["indicator", "code", "target", "value"]].values.tolist() == [
            [n, code, float(target), float(value)] for n, (code, target, _, value) in enumerate(rows, start=1)], ward
        page = (reports / ward / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
        assert name in page and f"{len(ward)}/QĐ-UBND" in page, ward


def test_rollup_compares_communes_on_shared_codes_with_exact_figures(province_run):
    reports = province_run["root"] / "reports" / PERIOD
    pctx = province_context.read(reports / "tinh" / "inputs")
    assert sorted(pctx.communes["ward"]) == sorted(COMMUNES)
    table = rollup.rollup(pctx.frame, pctx.communes).set_index("code")
    assert sorted(table.index) == ["bao-hiem-y-te", "chat-thai-ran-sinh-hoat", "thu-ngan-sach"]  # held by at least half
    budget = table.loc["thu-ngan-sach"]
    assert (budget["method"], budget["communes"], budget["total"], budget["total_target"]) == ("sum", 3, 114_000.0, 150_000.0)
    insurance = table.loc["bao-hiem-y-te"]  # (93×40 000 + 88×10 000 + 91×20 000) / 70 000
    assert insurance["method"] == "weighted_mean" and insurance["weighted_mean"] == pytest.approx(6_420_000 / 70_000, abs=1e-9)
    waste = table.loc["chat-thai-ran-sinh-hoat"]  # (88×40 000 + 80×20 000) / 60 000, two communes hold it
    assert (waste["communes"], waste["weighted_mean"]) == (2, pytest.approx(5_120_000 / 60_000, abs=1e-9))
    page = (reports / "tinh" / "bao-cao-tinh.html").read_text(encoding="utf-8")
    for text in ("Tổng toàn tỉnh: 114.000 triệu đồng", "91,71%", "85,33%", "ỦY BAN NHÂN DÂN", "TỈNH THÁI NGUYÊN",
                 "III. Đánh giá các chỉ tiêu chung theo từng xã, phường", "V. Tình hình báo cáo của các xã, phường",
                 "3/4 xã, phường đã gửi; trễ hạn: không có."):
        assert text in page, text
    for w in COMMUNES:
        assert f'href="../{w}/bao-cao-tong-hop.html"' in page
    assert "<script" not in page.lower() and page.count("<svg") >= 2


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_only_failed_reruns_just_the_failed_report_and_ignores_a_plan_put_in_by_hand(province_run, tmp_path):
    root = tmp_path / "tinh"
    shutil.copytree(province_run["root"], root)
    reports = root / "reports" / PERIOD
    ward = sorted(COMMUNES)[0]
    manifest = json.loads((reports / ward / "manifest.json").read_text(encoding="utf-8"))
    failed = next(x for x in manifest["notebooks"] if x["name"] == "unit-VHXH")
    failed.update(outcome="failed", error="ô lệnh số 3: ValueError: hỏng", html=None)  # as a failed run records it
    (reports / ward / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (reports / ward / "don-vi-VHXH.html").unlink()
    others = {w: _digest(reports / w) for w in os.listdir(reports) if (reports / w).is_dir() and w not in (ward, "tinh")}
    side_door = (root / "data" / "plan" / f"{ward}-2026.yaml").read_text(encoding="utf-8").replace(
        f"ward_code: {ward}", f"ward_code: {SILENT}")
    (root / "data" / "plan" / f"{SILENT}-2026.yaml").write_text(side_door, encoding="utf-8")  # no bundle brought it
    proc = subprocess.run([sys.executable, "-m", "kehoach.cli", "--root", str(root), "run", "--period", PERIOD, "--ward", "all",
                           "--only-failed", "--jobs", "1", "-q"], capture_output=True, text=True, cwd=PROJECT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{SILENT}: không có gói nào của xã, phường này" in proc.stderr
    again = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert again["notebook_runs"] == 2  # the failed unit report and the province report, nothing else
    assert sorted([*again["communes"], *again["left_as_they_were"]]) == sorted(COMMUNES)
    assert again["not_prepared"] == {}  # the plan put in by hand is not a commune of the run
    assert [x["name"] for x in again["communes"][ward]] == [x["name"] for x in manifest["notebooks"]]
    assert all(x["outcome"] == "ok" for x in again["communes"][ward])
    assert (reports / ward / "don-vi-VHXH.html").exists()
    assert {w: _digest(reports / w) for w in others} == others  # communes that had not failed are untouched
