"""The command line's edges: a closed pipe, absurd dates, and errors that say what to do."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys

import pytest

from kehoach.cli import main
from tests.conftest import PROJECT


def test_output_into_a_closed_pipe_exits_quietly(tmp_path):
    """`kehoach plan show | head -0`: the reader is gone before the first line; no traceback, no message."""
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.Popen([sys.executable, "-m", "kehoach.cli", "plan", "show"], stdout=write, stderr=subprocess.PIPE,
                            cwd=PROJECT, text=True, env={k: v for k, v in os.environ.items() if k != "KEHOACH_ROOT"})
    os.close(write)
    _, err = proc.communicate(timeout=60)
    assert err == "" and proc.returncode == 141


def test_with_head_it_prints_the_first_line_only(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_ROOT"}
    proc = subprocess.run(f"{sys.executable} -m kehoach.cli plan show | head -1", shell=True, capture_output=True, text=True,
                          cwd=PROJECT, env=env, timeout=60)
    assert proc.stdout.startswith("Kế hoạch phát triển kinh tế - xã hội") and proc.stdout.count("\n") == 1
    assert proc.stderr == ""


@pytest.mark.parametrize("as_of, expected", [
    ("9999-12-31", "Lỗi: Mốc chốt số liệu --as-of 9999-12-31 không hợp lệ cho kỳ 2026-Q3: phải từ ngày đầu kỳ (2026-07-01) "
                   "đến hết năm 2027."),
    ("2020-01-01", "Lỗi: Mốc chốt số liệu --as-of 2020-01-01 không hợp lệ cho kỳ 2026-Q3"),
    ("2026-13-01", "Lỗi cú pháp lệnh: tùy chọn --as-of: “2026-13-01” không phải ngày"),
])
def test_absurd_as_of_dates_are_refused(workbench, capsys, as_of, expected):
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    try:
        code = main(["run", "--period", "2026-Q3", "--as-of", as_of, "-q"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    assert expected in capsys.readouterr().err
    assert not (workbench / "reports" / "2026-Q3").exists()


def test_an_unexpected_error_says_what_to_do(workbench, capsys, monkeypatch):
    import kehoach.cli as cli

    monkeypatch.setattr(cli, "_plan_show", lambda args: {}["boom"])
    assert main(["plan", "show"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Lỗi không mong đợi (KeyError: 'boom'). Dữ liệu đã lưu không bị thay đổi. Chạy lại lệnh; nếu vẫn lỗi, "
                          "gửi tệp nhật ký dưới đây cho người quản trị kehoach kèm lệnh đã chạy.")


def test_a_damaged_pdf_gets_a_vietnamese_message_without_pypdf_words(workbench, tmp_path, capsys):
    pdf = tmp_path / "quyet-dinh.pdf"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer << /Root 9 0 R >>\n%%EOF")
    assert main(["plan", "import", str(pdf)]) == 1
    err = capsys.readouterr().err
    assert "không đọc được tệp PDF" in err and "Mở tệp bằng trình đọc PDF" in err  # what is wrong, what to do
    assert not any(word in err for word in ("startxref", "EOF marker", "Traceback"))


@pytest.mark.parametrize("line, expected", [
    ("behind_threshold: nhiều", "behind_threshold: phải là số"),
    ("deadline: 31/31/2026", "deadline: phải là ngày dạng NĂM-THÁNG-NGÀY"),
    ("behind_threshold: 2", "behind_threshold: phải không quá 1"),
    ("execution_timeout_s: 0", "execution_timeout_s: phải lớn hơn 0"),
])
def test_pydantic_reasons_are_vietnamese(workbench, capsys, line, expected):
    path = workbench / "parameters" / "2026-Q3.yaml"
    key = line.split(":")[0]
    text = "\n".join(l for l in path.read_text(encoding="utf-8").splitlines() if not l.startswith(f"{key}:"))
    path.write_text(f"{text}\n{line}\n", encoding="utf-8")
    assert main(["status", "--period", "2026-Q3"]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Input should" not in err


def test_log_lines_say_their_level_in_vietnamese():
    from kehoach.cli import _EscapingFormatter

    record = logging.LogRecord("kehoach.core.parameters", logging.WARNING, __file__, 1, "tệp %s\x1b[31m", ("a.yaml",), None)
    assert _EscapingFormatter("%(level_vi)s %(name)s: %(message)s").format(record) == (
        "Lưu ý kehoach.core.parameters: tệp a.yaml\\x1b[31m")
