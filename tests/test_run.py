"""The quarterly run, end to end: every notebook of 2026-Q1..Q3 through papermill, the HTML, failures.

The batches run once per test session in a temporary copy of the workbench (the session
fixture ``runs``); the tests then read what landed. This is the expensive part of the suite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kehoach.cli import main
from kehoach.core.errors import RunError
from kehoach.delivery.batch import resolve_period, run_period
from tests.conftest import PERIODS

def test_every_notebook_executes_for_each_period(runs):
    root, results = runs
    for period, result in results.items():
        assert result.ok, [(r.name, r.error) for r in result.failed]
        assert [r.name for r in result.results] == ["overview", "indicators", "unit-KTHT", "unit-VHXH", "unit-PVHCC",
                                                    "unit-BQLDA", "unit-QSCA", "unit-VP"]
        folder = root / "reports" / period
        assert result.folder == folder
        for r in result.results:
            assert (folder / r.html).exists() and (folder / r.executed).exists()
        assert not list((root / "reports").glob(".staging-*"))  # the lock file may stay: an OS lock, free once released


def _pages(root: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted((root / "reports").glob("*/*.html"))}


def test_html_is_self_contained_vietnamese_and_without_code(runs):
    root, _ = runs
    pages = _pages(root)
    assert len(pages) == 3 * 9
    for path, page in pages.items():
        assert '<html lang="vi">' in page and '<meta charset="utf-8"' in page, path
        links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', page)
        assert not [u for u in links if re.match(r"(?i)(https?:|//|ftp:)", u)], path
        assert "<script" not in page.lower(), path
        assert "report.load_context" not in page and "import kehoach" not in page, path
        assert "Số liệu minh họa".upper() in page or path.name == "index.html", path
    overview = pages[root / "reports" / "2026-Q3" / "bao-cao-tong-hop.html"]
    assert overview.count("<svg") >= 5
    for text in ("ỦY BAN NHÂN DÂN PHƯỜNG PHAN ĐÌNH PHÙNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Thái Nguyên, ngày 10 tháng 10 năm 2026", "Tình hình thực hiện các chỉ tiêu phát triển kinh tế - xã hội 9 tháng năm 2026",
                 "Mục lục", "Trong 36 chỉ tiêu, có", "869.532 triệu đồng", "Ban Quản lý dự án phường gửi báo cáo"):
        assert text in overview, text
    assert re.search(r'<nav[^>]*class="toc".*?<a href="#i-danh-gia-chung">I\. Đánh giá chung</a>', overview, re.S)
    assert "Times New Roman" in overview and "@page { size: A4" in overview


def test_overview_is_under_500_kb(runs):
    root, _ = runs
    for period in PERIODS:
        assert (root / "reports" / period / "bao-cao-tong-hop.html").stat().st_size < 500 * 1024


def test_text_from_data_is_escaped(runs):
    root, _ = runs
    detail = (root / "reports" / "2026-Q3" / "chi-tiet-chi-tieu.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; ghi chú" in detail
    assert "<script>" not in detail


def test_index_and_manifest(runs):
    root, results = runs
    folder = root / "reports" / "2026-Q3"
    index = (folder / "index.html").read_text(encoding="utf-8")
    for r in results["2026-Q3"].results:
        assert f'href="{r.html}"' in index
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2026-Q3" and manifest["parameters"]["deadline"] == "2026-10-05"
    assert set(manifest["inputs_sha256"]) >= {"data/plan/phan-dinh-phung-2026.yaml", "data/progress/phan-dinh-phung/2026/records.csv",
                                              "parameters/2026-Q3.yaml", "notebooks/overview.ipynb"}
    assert all(len(v) == 64 for v in manifest["inputs_sha256"].values())
    first = manifest["notebooks"][0]
    assert first["outcome"] == "ok" and first["duration_s"] > 0 and first["started"] <= first["finished"]
    assert manifest["illustrative_data"] is True and manifest["kehoach_version"]


def test_executed_notebooks_keep_their_parameters(runs):
    root, _ = runs
    nb = nbformat.read(root / "reports" / "2026-Q2" / "notebooks" / "unit-KTHT.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'period = "2026-Q2"' in injected.source and 'unit = "KTHT"' in injected.source


def test_failure_is_isolated_and_leaves_no_partial_output(runs, tmp_path, monkeypatch, capsys):
    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    broken = tmp_path / "notebooks"
    shutil.copytree(root / "notebooks", broken)
    nb = nbformat.read(broken / "indicators.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell('raise ValueError("hỏng dữ liệu")'))
    nbformat.write(nb, broken / "indicators.ipynb")
    before = (root / "reports" / "2026-Q1" / "bao-cao-tong-hop.html").read_bytes()
    result = run_period("2026-Q1", jobs=2, notebooks_dir=broken)
    assert [r.name for r in result.failed] == ["indicators"]
    failed = result.failed[0]
    assert failed.error == "ô lệnh số 4: ValueError: hỏng dữ liệu"  # [4]: parameters, injected, load, then the bad cell
    folder = root / "reports" / "2026-Q1"
    assert (folder / failed.executed).exists() and not (folder / "chi-tiet-chi-tieu.html").exists()
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*"))
    assert "LỖI – ô lệnh số 4: ValueError: hỏng dữ liệu" in (folder / "index.html").read_text(encoding="utf-8")
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["notebooks"][1]["outcome"] == "failed"
    assert (folder / "bao-cao-tong-hop.html").read_bytes() != b"" and before
    assert len([r for r in result.results if r.outcome == "ok"]) == 7


def test_cli_exit_code_and_message_on_failure(runs, tmp_path, monkeypatch, capsys):
    from kehoach.delivery import batch as run_module

    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    monkeypatch.setattr(run_module, "plan_jobs", lambda *a, **k: [run_module.Job(
        "overview", root / "notebooks" / "nope.ipynb", "Báo cáo hỏng", "x.html", {})])
    assert main(["run", "--period", "2026-Q1", "-q"]) == 1
    err = capsys.readouterr().err
    assert "✗ Báo cáo hỏng (nope.ipynb) LỖI" in err


def test_second_run_refused_while_one_is_going(runs, monkeypatch):
    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    import subprocess
    import sys

    lock = root / "reports" / ".2026-Q2.lock"  # held by a live process, as a running batch holds it
    holder = subprocess.Popen([sys.executable, "-c", "import filelock, sys, time; l = filelock.FileLock(sys.argv[1]); "
                               "l.acquire(); print('held', flush=True); time.sleep(60)", str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match="Another run for 2026-Q2 is in progress"):
            run_period("2026-Q2")
    finally:
        holder.kill()
        holder.wait()


def test_period_choice(runs, monkeypatch):
    import datetime as dt

    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    assert str(resolve_period("latest", dt.date(2026, 11, 29))) == "2026-Q3"
    assert str(resolve_period("latest", dt.date(2027, 1, 2))) == "2026-Q4"
    assert str(resolve_period("data-latest")) == "2026-Q3"


def test_plain_papermill_cli_works(runs, tmp_path):
    root, _ = runs
    env = {**os.environ, "KEHOACH_ROOT": str(root)}
    out = tmp_path / "out.ipynb"
    papermill = Path(sys.executable).with_name("papermill")
    proc = subprocess.run([str(papermill), str(root / "notebooks" / "overview.ipynb"), str(out), "-f",
                           str(root / "parameters" / "2026-Q3.yaml"), "--no-progress-bar"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    nb = nbformat.read(out, as_version=4)
    texts = " ".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Trong 36 chỉ tiêu" in texts


from tests.browser import CHROMIUM, screenshot  # noqa: E402


def _colour_count(png: Path, target: str) -> int:
    from PIL import Image

    r, g, b = (int(target[i:i + 2], 16) for i in (1, 3, 5))
    colours = Image.open(png).convert("RGB").getcolors(maxcolors=1 << 22)
    return sum(n for n, (x, y, z) in colours if abs(x - r) + abs(y - g) + abs(z - b) < 12)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_browser_really_has_javascript_disabled(tmp_path):
    page = tmp_path / "js.html"
    page.write_text('<html><body style="background:#ffffff"><script>document.body.style.background="#ff0000"</script>'
                    "</body></html>", encoding="utf-8")
    shot = screenshot(page.as_uri(), tmp_path / "js.png", tmp_path / "profile", 200, 200)
    assert _colour_count(shot, "#ff0000") == 0 and _colour_count(shot, "#ffffff") > 30000


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_browser_paints_the_charts_without_javascript_or_network(runs, tmp_path):
    root, _ = runs
    page = root / "reports" / "2026-Q3" / "bao-cao-tong-hop.html"
    shot = screenshot(page.as_uri(), tmp_path / "overview.png", tmp_path / "profile")
    # the status overview bars: green "Đã đạt", blue "Đúng tiến độ" and orange "Cần đẩy nhanh" are painted
    assert _colour_count(shot, "#009E73") > 2000
    assert _colour_count(shot, "#56B4E9") > 2000
    assert _colour_count(shot, "#E69F00") > 1000


def test_chart_rendering_failure_is_reported(tmp_path):
    from kehoach.delivery.batch import Rendering

    bad = tmp_path / "not-a-context.pkl"
    bad.write_bytes(b"garbage")
    rendering = Rendering(bad, {"overview": tmp_path / "out.pkl"})
    try:
        with pytest.raises(RunError, match=r"(?s)Rendering the charts of the overview report failed .*UnpicklingError"):
            rendering.wait("overview")
    finally:
        rendering.close()
