"""Benchmark: peak memory of `kehoach send` as the number of recipients grows.

Builds a throw-away workspace with one period's reports (an overview of ``--report-kb`` KB, the
size of a real one, and its summary), starts an SMTP server that discards what it receives
(aiosmtpd's Sink, in its own process, on 127.0.0.1), and for each recipient count sends every
message in a fresh process, printing that process's peak resident memory (ru_maxrss). Messages
are built and sent one at a time, so the peak should not grow with the recipients. Run:

    .venv/bin/python benchmarks/send_memory.py [--recipients 100 10000] [--report-kb 300] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import resource, sys, time, yaml
from pathlib import Path
from kehoach.delivery.mail import send_period
root, count, port = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
people = [{"name": f"Người nhận {i}", "email": f"nguoi{i}@phuong.vn", "role": "leadership"} for i in range(count)]
path = root / "parameters" / "recipients.yaml"
path.write_text(yaml.safe_dump({"smtp": {"host": "127.0.0.1", "port": port, "security": "none",
                "sender": "Văn phòng <vanphong@phuong.vn>", "timeout_s": 60}, "recipients": people}), encoding="utf-8")
start = time.perf_counter()
result = send_period("2026-Q3", resend=True)
sent = sum(i.outcome == "sent" for i in result.items)
assert sent == count, [i.error for i in result.items if i.error][:3]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, round(time.perf_counter() - start, 1))
"""


def workspace(folder: Path, report_kb: int) -> Path:
    """A workspace holding the 2026-Q3 overview, its summary and chart: what `send` reads."""
    (folder / "parameters").mkdir(parents=True)
    reports = folder / "reports" / "2026-Q3"
    reports.mkdir(parents=True)
    words = "Số liệu thực hiện các chỉ tiêu " * (report_kb * 1024 // 40)
    (reports / "bao-cao-tong-hop.html").write_text(f"<!DOCTYPE html><p>{words}</p>", encoding="utf-8")
    (reports / "manifest.json").write_text(json.dumps({"period": "2026-Q3", "notebooks": [
        {"name": "overview", "title": "Báo cáo tổng hợp", "html": "bao-cao-tong-hop.html", "outcome": "ok"}]}), encoding="utf-8")
    Image.new("RGB", (40, 20), "white").save(reports / "tinh-hinh.png", format="PNG")  # the status chart, a stand-in
    (reports / "summary.json").write_text(json.dumps({
        "period": "2026-Q3", "ward_name": "phường Phan Đình Phùng", "issuing_body": "UBND phường Phan Đình Phùng",
        "status_counts": {"achieved": 5}, "summary": "Trong 20 chỉ tiêu …", "completeness": "Đủ báo cáo.",
        "illustrative": True, "chart": "tinh-hinh.png"}, ensure_ascii=False), encoding="utf-8")
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--report-kb", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="10 and 50 recipients of a 20 KB report")
    args = parser.parse_args()
    counts, report_kb = ([10, 50], 20) if args.smoke else (args.recipients, args.report_kb)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                               "-l", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp:
            root = workspace(Path(tmp) / "wb", report_kb)
            env = {**os.environ, "KEHOACH_ROOT": str(root)}
            print(f"send: one {report_kb} KB report to each recipient, peak memory of the sending process")
            peaks = {}
            for count in counts:
                proc = subprocess.run([sys.executable, "-c", PROBE, str(root), str(count), str(port)], capture_output=True,
                                      text=True, env=env, cwd=ROOT, check=False)
                if proc.returncode:
                    sys.exit(proc.stderr[-2000:])
                peak, seconds = proc.stdout.split()
                peaks[count] = int(peak)
                print(f"  {count:>6} recipients: peak {peak} MB, {seconds} s")
            low, high = min(counts), max(counts)
            print(f"  ratio of peaks ({high} / {low} recipients): {peaks[high] / peaks[low]:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
