"""Choosing where notebook runs go (kehoach.delivery.executors); the real cluster is in test_province_cluster."""

from __future__ import annotations

import concurrent.futures as cf
import shutil
import socket
import sys

import pytest

from kehoach.cli import main
from kehoach.core.errors import RunError, UsageError
from kehoach.delivery import executors
from tests.conftest import PROJECT


def _square(x: int) -> int:
    return x * x


def test_no_scheduler_is_a_local_process_pool_capped_by_the_tasks():
    with executors.open_executor(None, jobs=4, tasks=2) as ex:
        assert isinstance(ex, cf.ProcessPoolExecutor) and ex._max_workers == 2
        assert list(ex.map(_square, [1, 2, 3])) == [1, 4, 9]


@pytest.mark.parametrize("address", ["10.0.0.5:8786", "tcp://", "tcp://:::", "tcp://host:99999", "tcp://a b:1", "http://h:8786"])
def test_a_bad_address_is_refused_in_vietnamese(address):
    with pytest.raises(UsageError, match="ghi dạng tcp://MÁY:CỔNG"):
        with executors.open_executor(address):
            pass


def test_a_port_that_is_not_dask_gets_one_line_within_ten_seconds(workbench, capsys):
    """Something listens there (an HTTP server, say) but never speaks Dask's protocol."""
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    port = server.getsockname()[1]
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    started = time.monotonic()
    try:
        code = main(["run", "--period", "2026-Q3", "--scheduler", f"tcp://127.0.0.1:{port}", "-q"])
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 1 and time.monotonic() - started < 10
    assert err.count("\n") == 1 and err.startswith(f"Lỗi: Không kết nối được bộ điều phối Dask tcp://127.0.0.1:{port} trong")


def test_a_malformed_scheduler_is_a_usage_error_on_the_command_line(workbench, capsys):
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    assert main(["run", "--period", "2026-Q3", "--scheduler", "tcp://:::"]) == 2
    assert capsys.readouterr().err.startswith("Lỗi: Địa chỉ bộ điều phối 'tcp://:::' không hợp lệ")


def test_an_unreachable_scheduler_says_what_to_check(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(RunError, match=f"Không kết nối được bộ điều phối Dask tcp://127.0.0.1:{port}"):
        with executors.open_executor(f"tcp://127.0.0.1:{port}"):
            pass


def test_without_dask_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if the extra were not installed
    with pytest.raises(RunError, match=r"pip install -e '\.\[distributed\]'"):
        with executors.open_executor("local"):
            pass


def test_describe():
    assert executors.describe(None, 2) == "máy này, 2 tiến trình"
    assert executors.describe("local", 3) == "cụm Dask cục bộ, 3 worker"
    assert executors.describe("tcp://h:8786", None) == "cụm Dask tcp://h:8786"


def test_a_one_ward_run_never_imports_dask():
    import subprocess

    code = ("import sys, kehoach.cli, kehoach.delivery.batch, kehoach.delivery.executors, kehoach.delivery.province; "
            "print('distributed' in sys.modules or 'dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_ward_all_never_replaces_a_one_ward_report_folder(workbench, capsys):
    shutil.rmtree(workbench / "data")
    shutil.copytree(PROJECT / "data", workbench / "data")
    folder = workbench / "reports" / "2026-Q3"
    folder.mkdir(parents=True)
    (folder / ".kehoach-report").write_text("2026-Q3\n", encoding="utf-8")
    (folder / "index.html").write_text("một phường", encoding="utf-8")
    assert main(["run", "--period", "2026-Q3", "--ward", "all", "-q"]) == RunError.exit_code
    assert "--ward all dùng cho không gian làm việc của tỉnh" in capsys.readouterr().err
    assert (folder / "index.html").read_text(encoding="utf-8") == "một phường"
