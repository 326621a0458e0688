"""`kehoach send` sends each message exactly once: two real processes at once, a send killed while the
server has the message, paths that leave the workspace, and memory that does not grow with recipients.

Every server is a real aiosmtpd on 127.0.0.1; every sender a real `kehoach send` process.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from kehoach.cli import main
from tests.conftest import PROJECT
from tests.test_mail import PASSWORD, _authenticator, free_port, mini_env, mini_recipients  # noqa: F401 - fixtures

PERIOD = "2026-Q3"


class SlowHandler:
    """Accepts every message, after ``delay`` seconds in DATA; ``entered`` is set when a DATA begins."""

    def __init__(self, delay: float):
        self.delay = delay
        self.received: list[str] = []
        self.entered = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.received.append(message["To"].addresses[0].addr_spec)
        self.entered.set()
        await asyncio.sleep(self.delay)
        return "250 Message accepted"


@pytest.fixture
def slow_server():
    servers = []

    def start(delay: float) -> tuple[Controller, SlowHandler]:
        handler = SlowHandler(delay)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator,
                                auth_require_tls=False, auth_required=True)
        controller.start()
        servers.append(controller)
        return controller, handler

    yield start
    for controller in servers:
        controller.stop()


def sender(root: Path, recipients: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "KEHOACH_SMTP_PASSWORD": PASSWORD}
    env.pop("KEHOACH_ROOT", None)
    return subprocess.Popen([sys.executable, "-m", "kehoach.cli", "--root", str(root), "send", "--period", PERIOD,
                             "--recipients", str(recipients), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=PROJECT, env=env)


EVERYONE = {"chutich@phuong.vn", "bqlda@phuong.vn", "vanphong@phuong.vn"}


@pytest.mark.slow  # real processes and a slow server: about 15 s
def test_two_concurrent_sends_never_send_a_message_twice(mini_env, slow_server):
    controller, handler = slow_server(1.5)
    people = mini_recipients(mini_env, controller.port)
    first, second = sender(mini_env, people), sender(mini_env, people)
    results = [p.communicate(timeout=120) + (p.returncode,) for p in (first, second)]
    assert Counter(handler.received) == Counter(EVERYONE)  # each message once, whoever sent it
    refused = [r for r in results if r[2] != 0]
    assert len(refused) <= 1
    for _out, err, _code in refused:
        assert "Đang có một lệnh gửi khác cho kỳ 2026-Q3" in err and "Traceback" not in err
    again = sender(mini_env, people)
    out, _ = again.communicate(timeout=60)
    assert again.returncode == 0 and out.count("đã gửi trước đây, bỏ qua") == 3
    assert Counter(handler.received) == Counter(EVERYONE)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_send_killed_while_the_server_has_the_message_never_sends_it_again(mini_env, slow_server, capsys, sig):
    controller, handler = slow_server(4)
    people = mini_recipients(mini_env, controller.port)
    proc = sender(mini_env, people)
    assert handler.entered.wait(60)
    proc.send_signal(sig)  # during DATA: the server has the message, the sender has no answer yet
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    first = handler.received[0]
    handler.delay = 0
    time.sleep(4.5)  # the server finishes accepting the first message: it was delivered
    code = main(["send", "--period", PERIOD, "--recipients", str(people)])
    err = capsys.readouterr().err
    assert code == 1
    assert Counter(handler.received) == Counter(EVERYONE)  # the other two sent now, the first not again
    assert f"? {first}: không rõ đã gửi tới chưa" in err
    assert f"kehoach send --period {PERIOD} --unknown sent" in err and "--unknown retry" in err
    assert main(["send", "--period", PERIOD, "--recipients", str(people), "--unknown", "sent"]) == 0
    assert "3 thư" not in capsys.readouterr().err
    assert Counter(handler.received) == Counter(EVERYONE)
    assert main(["send", "--period", PERIOD, "--recipients", str(people), "--unknown", "retry"]) == 0
    assert Counter(handler.received) == Counter(EVERYONE)  # settled as sent: nothing left to retry


@pytest.mark.slow
def test_unknown_retry_sends_it_again(mini_env, slow_server, capsys):
    controller, handler = slow_server(4)
    people = mini_recipients(mini_env, controller.port)
    proc = sender(mini_env, people)
    assert handler.entered.wait(60)
    proc.kill()
    proc.communicate(timeout=60)
    handler.delay = 0
    time.sleep(4.5)
    first = handler.received[0]
    assert main(["send", "--period", PERIOD, "--recipients", str(people), "--unknown", "retry"]) == 0
    assert Counter(handler.received) == Counter(EVERYONE) + Counter([first])  # asked for: sent once more


@pytest.mark.parametrize("argv", [
    ["send", "--period", PERIOD, "--ward", "../2026-Q3"],
    ["send", "--period", PERIOD, "--ward", "../../etc"],
    ["status", "--period", PERIOD, "--ward", "a/b"],
])
def test_ward_is_a_code_never_a_path(mini_env, capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "không phải mã địa bàn" in err and "Traceback" not in err


def test_recipients_file_outside_the_workspace_is_refused(mini_env, tmp_path, capsys):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("smtp: {}\n", encoding="utf-8")
    assert main(["send", "--period", PERIOD, "--dry-run", "--recipients", str(outside)]) == 2
    assert "phải là một tệp trong không gian làm việc" in capsys.readouterr().err


MEMORY_PROBE = """
import resource, sys, yaml
from pathlib import Path
from kehoach.delivery.mail import send_period
root, count = Path(sys.argv[1]), int(sys.argv[2])
people = [{"name": f"Người nhận {i}", "email": f"nguoi{i}@phuong.vn", "role": "coordinator"} for i in range(count)]
path = root / "parameters" / "many.yaml"
path.write_text(yaml.safe_dump({"smtp": {"host": "127.0.0.1", "port": int(sys.argv[3]), "security": "none",
                "sender": "Văn phòng <vanphong@phuong.vn>", "timeout_s": 30}, "recipients": people}), encoding="utf-8")
result = send_period("2026-Q3", settings_file=path, resend=True)
assert sum(i.outcome == "sent" for i in result.items) == count, [i.error for i in result.items if i.error][:3]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


@pytest.mark.slow
def test_memory_does_not_grow_with_the_number_of_recipients(mini_env, tmp_path):
    """Messages are built and sent one at a time: 100 recipients of 0,6 MB of reports cost what 10 do."""
    from aiosmtpd.handlers import Sink

    for name in ("bao-cao-tong-hop.html", "chi-tiet-chi-tieu.html"):  # reports of a realistic size
        page = mini_env / "reports" / PERIOD / name
        page.write_text(page.read_text(encoding="utf-8") + "<p>" + "Số liệu " * 30_000 + "</p>", encoding="utf-8")
    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        probe = tmp_path / "probe.py"
        probe.write_text(MEMORY_PROBE, encoding="utf-8")
        env = {**os.environ, "KEHOACH_ROOT": str(mini_env)}
        peak = {}
        for count in (10, 100):
            proc = subprocess.run([sys.executable, str(probe), str(mini_env), str(count), str(controller.port)],
                                  capture_output=True, text=True, cwd=PROJECT, env=env, timeout=600)
            assert proc.returncode == 0, proc.stderr[-2000:]
            peak[count] = int(proc.stdout.split()[-1])
    finally:
        controller.stop()
    assert peak[100] - peak[10] < 30, peak  # all 100 messages held at once would be ~80 MB more
