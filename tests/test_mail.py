"""Email against a real SMTP server started here: aiosmtpd on 127.0.0.1, on a free port."""

from __future__ import annotations

import email
import shutil
import socket
import zipfile
from email import policy
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kehoach.cli import main
from kehoach.core.errors import MailError
from kehoach.delivery.mail import BODY_LIMIT, send_log_path, send_period
from kehoach.core.period import Period

PASSWORD = "mat-khau-bi-mat-42"


class Handler:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("tuchoi"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        return "250 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator,
                            auth_require_tls=False, auth_required=True)  # plain AUTH on loopback, for tests only
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def mail_env(runs, monkeypatch):
    root, _ = runs
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    monkeypatch.setenv("KEHOACH_SMTP_PASSWORD", PASSWORD)
    yield root
    shutil.rmtree(root / "reports" / "sent", ignore_errors=True)
    shutil.rmtree(root / "reports" / "2026-Q3" / "outbox", ignore_errors=True)


def recipients(root: Path, port: int, extra: list[dict] | None = None, limit_mb: float = 10) -> Path:
    data = {
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "user": "vanphong@phuong.vn",
                 "sender": "Văn phòng UBND phường <vanphong@phuong.vn>", "max_message_mb": limit_mb, "timeout_s": 10},
        "recipients": [
            {"name": "Chủ tịch UBND phường", "email": "chutich@phuong.vn", "role": "leadership"},
            {"name": "Ban Quản lý dự án", "email": "bqlda@phuong.vn", "role": "unit", "unit": "BQLDA"},
            {"name": "Văn phòng", "email": "vanphong@phuong.vn", "role": "coordinator"},
        ] + (extra or []),
    }
    path = root / "parameters" / "test-recipients.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _attachments(msg) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}


def test_messages_arrive_and_parse_back(mail_env, smtp_server):
    controller, handler = smtp_server
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port))
    assert [i.outcome for i in result.items] == ["sent", "sent", "sent"]
    assert len(handler.messages) == 3
    by_to = {m["To"].addresses[0].addr_spec: m for m in handler.messages}
    msg = by_to["chutich@phuong.vn"]
    assert msg["Subject"] == "[UBND phường Phan Đình Phùng] Báo cáo tình hình thực hiện chỉ tiêu KT-XH 9 tháng năm 2026"
    assert msg["Message-ID"].endswith("@phuong.vn>")
    folder = mail_env / "reports" / "2026-Q3"
    # attachments: byte-identical, and who gets what
    assert _attachments(msg) == {"bao-cao-tong-hop.html": (folder / "bao-cao-tong-hop.html").read_bytes()}
    assert set(_attachments(by_to["bqlda@phuong.vn"])) == {"don-vi-BQLDA.html", "bao-cao-tong-hop.html"}
    assert len(_attachments(by_to["vanphong@phuong.vn"])) == 8
    # the cid: image resolves to the PNG in the same related part; no SVG, data: URI or script
    html_part = msg.get_body(("html",))
    html = html_part.get_content()
    cid = html.split('src="cid:')[1].split('"')[0]
    related = [p for p in msg.walk() if p.get("Content-ID") == f"<{cid}>"]
    assert len(related) == 1 and related[0].get_content_type() == "image/png"
    assert related[0].get_payload(decode=True).startswith(b"\x89PNG")
    assert "<svg" not in html and "data:" not in html and "<script" not in html.lower() and 'style="' in html
    assert len(html.encode()) < BODY_LIMIT
    text = msg.get_body(("plain",)).get_content()
    assert "Trong 20 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026" in text and "SỐ LIỆU MINH HỌA" in text
    assert "Đã đạt" in html and "Ban Quản lý dự án phường gửi báo cáo" in html


def test_rerun_sends_only_what_was_not_sent(mail_env, smtp_server):
    controller, handler = smtp_server
    settings = recipients(mail_env, controller.port)
    send_period("2026-Q3", settings_file=settings)
    again = send_period("2026-Q3", settings_file=settings)
    assert [i.outcome for i in again.items] == ["skipped"] * 3 and len(handler.messages) == 3
    log = send_log_path(Period.parse("2026-Q3")).read_text(encoding="utf-8")
    assert log.count("@phuong.vn>") == 3 and "chutich@phuong.vn" in log
    forced = send_period("2026-Q3", settings_file=settings, resend=True)
    assert [i.outcome for i in forced.items] == ["sent"] * 3 and len(handler.messages) == 6


def test_refused_recipient_does_not_stop_the_others(mail_env, smtp_server, capsys):
    controller, handler = smtp_server
    settings = recipients(mail_env, controller.port, [{"name": "Sai địa chỉ", "email": "tuchoi@phuong.vn", "role": "leadership"}])
    assert main(["send", "--period", "2026-Q3", "--recipients", str(settings)]) == 1
    err = capsys.readouterr().err
    assert "✗ tuchoi@phuong.vn: máy chủ từ chối người nhận tuchoi@phuong.vn: 550" in err
    assert len(handler.messages) == 3
    # once the address is fixed, a re-run sends only that message
    settings = recipients(mail_env, controller.port, [{"name": "Đúng địa chỉ", "email": "dung@phuong.vn", "role": "leadership"}])
    result = send_period("2026-Q3", settings_file=settings)
    assert [i.outcome for i in result.items] == ["skipped", "skipped", "skipped", "sent"]


def test_server_down_gives_a_clear_error_and_loses_nothing(mail_env):
    result = send_period("2026-Q3", settings_file=recipients(mail_env, free_port()))
    assert {i.outcome for i in result.items} == {"failed"}
    assert "Cannot reach the mail server 127.0.0.1" in result.items[0].error
    assert not send_log_path(Period.parse("2026-Q3")).exists()  # nothing is marked as sent


def test_authentication_failure(mail_env, smtp_server, monkeypatch, caplog):
    controller, handler = smtp_server
    monkeypatch.setenv("KEHOACH_SMTP_PASSWORD", "sai-mat-khau")
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port))
    assert {i.outcome for i in result.items} == {"failed"} and handler.messages == []
    assert "refused the login of vanphong@phuong.vn" in result.items[0].error
    assert "sai-mat-khau" not in result.items[0].error and "sai-mat-khau" not in caplog.text


def test_non_ascii_password_is_explained(mail_env, smtp_server, monkeypatch):
    controller, _ = smtp_server
    monkeypatch.setenv("KEHOACH_SMTP_PASSWORD", "mật-khẩu")
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port))
    assert "contains characters outside ASCII" in result.items[0].error and "mật-khẩu" not in result.items[0].error


def test_missing_password_says_where_to_put_it(mail_env, smtp_server, monkeypatch):
    controller, _ = smtp_server
    monkeypatch.delenv("KEHOACH_SMTP_PASSWORD")
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port))
    assert "set the environment variable KEHOACH_SMTP_PASSWORD" in result.items[0].error


def test_message_over_the_size_limit(mail_env, smtp_server):
    controller, handler = smtp_server
    with pytest.raises(MailError, match=r"over the limit of 0\.5 MB .*Try --zip"):
        send_period("2026-Q3", settings_file=recipients(mail_env, controller.port, limit_mb=0.5))
    assert handler.messages == [] and not send_log_path(Period.parse("2026-Q3")).exists()


def test_zip_packs_the_reports(mail_env, smtp_server):
    controller, handler = smtp_server
    send_period("2026-Q3", settings_file=recipients(mail_env, controller.port), as_zip=True)
    msg = next(m for m in handler.messages if m["To"].addresses[0].addr_spec == "bqlda@phuong.vn")
    files = _attachments(msg)
    assert list(files) == ["bao-cao-2026-Q3.zip"]
    with zipfile.ZipFile(BytesIO(files["bao-cao-2026-Q3.zip"])) as archive:
        folder = mail_env / "reports" / "2026-Q3"
        assert {n: archive.read(n) for n in archive.namelist()} == {
            n: (folder / n).read_bytes() for n in ("don-vi-BQLDA.html", "bao-cao-tong-hop.html")}


def test_dry_run_writes_eml_and_sends_nothing(mail_env, smtp_server):
    controller, handler = smtp_server
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port), dry_run=True)
    files = sorted(result.outbox.glob("*.eml"))
    assert [f.name for f in files] == ["01_chutich_at_phuong.vn.eml", "02_bqlda_at_phuong.vn.eml", "03_vanphong_at_phuong.vn.eml"]
    assert handler.messages == [] and not send_log_path(Period.parse("2026-Q3")).exists()
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"].startswith("[UBND phường Phan Đình Phùng]")
    for f in files:
        assert PASSWORD.encode() not in f.read_bytes()


def test_no_reports_yet(mail_env, smtp_server):
    controller, _ = smtp_server
    with pytest.raises(MailError, match="No reports for 2026-Q4 .* Run `kehoach run --period 2026-Q4` first"):
        send_period("2026-Q4", settings_file=recipients(mail_env, controller.port))
