"""The quarterly run, end to end: every notebook of 2026-Q1 and 2026-Q3 through papermill, the HTML, failures.

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

pytestmark = pytest.mark.slow  # papermill, kernels and the browser: every test here

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
    assert len(pages) == 2 * 9  # two periods, 8 reports and the index each
    for path, page in pages.items():
        assert '<html lang="vi">' in page and '<meta charset="utf-8"' in page, path
        links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', page)
        assert not [u for u in links if re.match(r"(?i)(https?:|//|ftp:)", u)], path
        assert "<script" not in page.lower(), path
        assert "report.load_context" not in page and "import kehoach" not in page, path
        assert "Số liệu minh họa".upper() in page or path.name == "index.html", path
    overview = pages[root / "reports" / "2026-Q3" / "bao-cao-tong-hop.html"]
    assert overview.count("<svg") >= 5
    for text in ('ỦY BAN NHÂN DÂN</span><br><span class="issuer-name">PHƯỜNG PHAN ĐÌNH PHÙNG', "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Phường Phan Đình Phùng, ngày 10 tháng 10 năm 2026", "Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội 9 tháng, phương hướng, nhiệm vụ quý IV năm 2026",
                 "Trong 20 chỉ tiêu đến kỳ đánh giá", "Số liệu tổng hợp đến hết ngày 10/10/2026.", "PHỤ LỤC I", "Nơi nhận:",
                 "869.532 triệu đồng", "Ban Quản lý dự án phường chưa gửi báo cáo", "IV. ĐỀ XUẤT, KIẾN NGHỊ",
                 '<mark class="placeholder">[Ban Quản lý dự án phường chưa gửi đề xuất, kiến nghị]</mark>'):
        assert text in overview, text
    assert "Lập bằng kehoach" not in overview                 # nothing about the software in a signed document
    assert "Times New Roman" in overview and "size: A4;" in overview


def test_overview_is_under_500_kb(runs):
    root, _ = runs
    for period in PERIODS:
        assert (root / "reports" / period / "bao-cao-tong-hop.html").stat().st_size < 500 * 1024


def test_each_chart_is_stored_once_per_executed_notebook(runs):
    """Its spec once (JupyterLab's Vega-Lite output) and its drawing once (the SVG beside it, which the export needs):
    no second spec in the section's JSON, no drawing in its HTML, no PNG, no widget state."""
    from kehoach.reporting.blocks import SECTION_MIME, VEGALITE_MIME

    root, _ = runs
    folder = root / "reports" / "2026-Q3" / "notebooks"
    counts = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        outputs = [o for c in nb.cells for o in c.get("outputs", [])]
        assert not {k for o in outputs for k in o.get("data", {})} & {"image/png", "application/vnd.jupyter.widget-view+json"}
        assert "widgets" not in nb.metadata, path.name
        places = [b for o in outputs if SECTION_MIME in o.get("data", {})
                  for b in o["data"][SECTION_MIME]["blocks"] if b["kind"] == "chart"]
        charts = [o["data"] for o in outputs if VEGALITE_MIME in o.get("data", {})]
        assert all(set(b) == {"kind", "title"} for b in places) and len(charts) == len(places), path.name
        assert all(c["image/svg+xml"].count("<svg") == 1 for c in charts), path.name
        assert sum(o["data"].get("text/html", "").count("<svg") for o in outputs if "data" in o) == 0, path.name
        counts[path.stem] = len(places)
    # QSCA sent nothing for 2026-Q3 and BQLDA's form (14/10) came after the report's cut-off (10/10): no chart
    assert counts == {"overview": 5, "indicators": 30, "unit-KTHT": 1, "unit-VHXH": 1, "unit-PVHCC": 1,
                      "unit-BQLDA": 0, "unit-QSCA": 0, "unit-VP": 0}


def test_text_from_data_is_escaped(runs):
    root, _ = runs
    detail = (root / "reports" / "2026-Q3" / "chi-tiet-chi-tieu.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; ghi chú" in detail  # Jinja's autoescape, as written
    assert "<script>" not in detail


def test_index_and_manifest(runs):
    root, results = runs
    folder = root / "reports" / "2026-Q3"
    index = (folder / "index.html").read_text(encoding="utf-8")
    for r in results["2026-Q3"].results:
        assert f'href="{r.html}"' in index
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2026-Q3" and manifest["parameters"]["deadline"] == "2026-10-05"
    assert set(manifest["inputs_sha256"]) >= {"data/plan/phan-dinh-phung-2026.yaml", "parameters/2026-Q3.yaml",
                                              "notebooks/overview.ipynb"}
    assert all(len(v) == 64 for v in manifest["inputs_sha256"].values())
    assert manifest["schema_version"] == 2 and manifest["scope"] == "ward"
    assert set(manifest["records_sha256"]) == {"phan-dinh-phung/2026"}  # from the snapshot the inputs were read in
    first = manifest["notebooks"][0]
    assert first["outcome"] == "ok" and first["duration_s"] > 0 and first["started"] <= first["finished"]
    assert manifest["illustrative_data"] is True and manifest["kehoach_version"]


def test_executed_notebooks_keep_their_parameters(runs):
    root, _ = runs
    nb = nbformat.read(root / "reports" / "2026-Q1" / "notebooks" / "unit-KTHT.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'period = "2026-Q1"' in injected.source and 'unit = "KTHT"' in injected.source
    recorded = nb.metadata.papermill  # the repository's notebook and the period, not a worker's temporary paths
    assert recorded["notebook"] == "notebooks/unit.ipynb" and recorded["period"] == "2026-Q1"
    assert "input_path" not in recorded and "output_path" not in recorded


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
    assert not list(folder.glob("*.tmp")) and [p.name for p in folder.glob(".*")] == [".kehoach-report"]
    assert "LỖI – ô lệnh số 4: ValueError: hỏng dữ liệu" in (folder / "index.html").read_text(encoding="utf-8")
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["notebooks"][1]["outcome"] == "failed"
    assert (folder / "bao-cao-tong-hop.html").stat().st_size > 10_000 and before.startswith(b"<!DOCTYPE html>")
    assert len([r for r in result.results if r.outcome == "ok"]) == 7


def test_cli_exit_code_and_message_on_failure(runs, tmp_path, monkeypatch, capsys):
    from kehoach.delivery import batch as run_module

    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    monkeypatch.setattr(run_module, "plan_jobs", lambda *a, **k: [run_module.Job(
        name="overview", title="Báo cáo hỏng", html_name="x.html", notebook_name="notebooks/nope.ipynb",
        notebook=b"not a notebook", parameters={}, inputs={})])
    assert main(["run", "--period", "2026-Q1", "-q"]) == 1
    err = capsys.readouterr().err
    assert "✗ Báo cáo hỏng (notebooks/nope.ipynb) LỖI" in err


def test_a_run_with_nothing_changed_keeps_the_published_reports(runs, monkeypatch, capsys):
    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    folder = root / "reports" / "2026-Q3"
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert main(["run", "--period", "2026-Q3", "-q"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "Số liệu, kế hoạch, tham số và sổ tính không đổi từ lần chạy trước, không có báo cáo nào lỗi: giữ nguyên "
        f"{folder} (thêm --force để lập lại).")
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert not list(folder.parent.glob(".staging-*"))


def test_second_run_refused_while_one_is_going(runs, monkeypatch):
    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    import subprocess
    import sys

    lock = root / "reports" / ".2026-Q2.lock"  # held by a live process, as a running batch holds it
    holder = subprocess.Popen([sys.executable, "-c", "import filelock, sys; l = filelock.FileLock(sys.argv[1]); "
                               "l.acquire(); print('held', flush=True); sys.stdin.read()", str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match="Đang có một lần chạy khác cho kỳ 2026-Q2"):
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
    assert "Trong 20 chỉ tiêu đến kỳ đánh giá" in texts


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


def _text_of(page: str) -> str:
    """The words of a report page."""
    body = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", body).strip()


def test_executed_notebooks_rerun_with_plain_papermill_give_the_same_report(runs, tmp_path):
    """Each executed notebook of a run is a record of the analysis: papermill alone re-runs it (one of each
    notebook of notebooks/: the overview, the indicator detail, a unit's letter)."""
    import nbformat

    from kehoach.reporting.export import render_html

    root, results = runs
    folder = root / "reports" / "2026-Q3"
    env = {**os.environ, "KEHOACH_ROOT": str(root)}
    papermill = Path(sys.executable).with_name("papermill")
    for r in [r for r in results["2026-Q3"].results if r.name in ("overview", "indicators", "unit-KTHT")]:
        out = tmp_path / f"{r.name}.ipynb"
        proc = subprocess.run([str(papermill), str(folder / r.executed), str(out), "--no-progress-bar"],
                              env=env, capture_output=True, text=True, timeout=300, cwd=root)
        assert proc.returncode == 0, proc.stderr[-2000:]
        again = render_html(nbformat.read(out, as_version=4), r.title)
        assert _text_of(again) == _text_of((folder / r.html).read_text(encoding="utf-8")), r.name


def test_word_drafts_beside_the_overview_and_letters(runs):
    import docx

    root, results = runs
    folder = root / "reports" / "2026-Q3"
    drafts = sorted(p.name for p in folder.glob("*.docx"))
    assert drafts == ["bao-cao-tong-hop.docx"] + sorted(f"don-vi-{u}.docx" for u in
                                                       ("BQLDA", "KTHT", "PVHCC", "QSCA", "VHXH", "VP"))
    text = "\n".join(p.text for p in docx.Document(folder / "bao-cao-tong-hop.docx").paragraphs)
    assert "I. KẾT QUẢ THỰC HIỆN 9 THÁNG NĂM 2026" in text and "Số liệu tổng hợp đến hết ngày" in text
    assert 'href="bao-cao-tong-hop.docx"' in (folder / "index.html").read_text(encoding="utf-8")
    overview = next(r for r in results["2026-Q3"].results if r.name == "overview")
    assert overview.docx == "bao-cao-tong-hop.docx"


def test_run_passes_data_and_leaves_nothing_in_tmp(runs):
    import json as _json
    import tempfile

    root, results = runs
    folder = root / "reports" / "2026-Q3"
    assert sorted(p.name for p in (folder / "inputs").iterdir()) == [
        "completeness.parquet", "evaluated.parquet", "inputs.json", "plan.yaml", "progress.parquet",
        "records.parquet", "tasks.parquet", "texts.parquet"]
    nb = nbformat.read(folder / "notebooks" / "overview.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'inputs = "inputs"' in injected.source and 'report_folder = "reports/2026-Q3"' in injected.source
    run_id = _json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    assert len(run_id) == 8 and not list(Path(tempfile.gettempdir()).glob(f"kehoach-job-{run_id}-*"))
    summary = _json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["status_counts"]["achieved"] == 5 and summary["period_label"] == "9 tháng năm 2026"
    assert (folder / summary["chart"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("output_dir", ["data", "reports", ".", "/tmp", "reports/../data", "parameters"])
def test_output_dir_outside_an_own_report_folder_is_refused(runs, monkeypatch, output_dir):
    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    params = root / "parameters" / "2026-Q1.yaml"
    original = params.read_text(encoding="utf-8")
    before = sorted(p.relative_to(root) for p in (root / "data").rglob("*"))
    try:
        params.write_text(original.replace('output_dir: "reports/2026-Q1"', f'output_dir: "{output_dir}"'), encoding="utf-8")
        with pytest.raises(RunError, match=f"output_dir '{re.escape(output_dir)}' trong parameters/2026-Q1.yaml không hợp lệ"):
            run_period("2026-Q1")
    finally:
        params.write_text(original, encoding="utf-8")
    assert sorted(p.relative_to(root) for p in (root / "data").rglob("*")) == before


def test_output_dir_that_holds_other_files_is_refused(runs, monkeypatch):
    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    other = root / "reports" / "giu-lai"
    other.mkdir()
    (other / "ban-thao.docx").write_bytes(b"draft")
    params = root / "parameters" / "2026-Q1.yaml"
    original = params.read_text(encoding="utf-8")
    try:
        params.write_text(original.replace('output_dir: "reports/2026-Q1"', 'output_dir: "reports/giu-lai"'), encoding="utf-8")
        with pytest.raises(RunError, match="không hợp lệ"):
            run_period("2026-Q1")
    finally:
        params.write_text(original, encoding="utf-8")
    assert (other / "ban-thao.docx").read_bytes() == b"draft"
