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


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
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
    office = by_to["vanphong@phuong.vn"]
    assert len(_attachments(office)) == 9 and "bao-cao-tong-hop.docx" in _attachments(office)  # + the Word draft
    word = next(p for p in office.iter_attachments() if p.get_filename() == "bao-cao-tong-hop.docx")
    assert word.get_content_type() == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert _attachments(office)["bao-cao-tong-hop.docx"] == (folder / "bao-cao-tong-hop.docx").read_bytes()
    # the cid: image resolves to the PNG in the same related part; no SVG, data: URI or script
    html_part = msg.get_body(("html",))
    html = html_part.get_content()
    cid = html.split('src="cid:')[1].split('"')[0]
    related = [p for p in msg.walk() if p.get("Content-ID") == f"<{cid}>"]
    assert len(related) == 1 and related[0].get_content_type() == "image/png"
    assert related[0].get_payload(decode=True).startswith(b"\x89PNG")
    assert "<svg" not in html and "data:" not in html and "<script" not in html.lower() and 'style="' in html
    assert len(html.encode()) < BODY_LIMIT
    body = msg.get_payload()[0]  # text, HTML and the inline chart, as sent: everything but the attachments
    assert body.get_content_type() == "multipart/alternative" and len(body.as_bytes()) < 100 * 1024
    text = msg.get_body(("plain",)).get_content()
    assert "Trong 20 chỉ tiêu đến kỳ đánh giá 9 tháng năm 2026" in text and "SỐ LIỆU MINH HỌA" in text
    assert "Đã đạt" in html and "Ban Quản lý dự án phường chưa gửi báo cáo" in html  # its form came after 10/10


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
def test_rerun_sends_only_what_was_not_sent(mail_env, smtp_server):
    controller, handler = smtp_server
    settings = recipients(mail_env, controller.port)
    send_period("2026-Q3", settings_file=settings)
    again = send_period("2026-Q3", settings_file=settings)
    assert [i.outcome for i in again.items] == ["skipped"] * 3 and len(handler.messages) == 3
    import csv

    with send_log_path(Period.parse("2026-Q3")).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["state"] for r in rows] == ["sending", "sent"] * 3  # written before and after each message
    assert {r["recipient"] for r in rows} == {"chutich@phuong.vn", "bqlda@phuong.vn", "vanphong@phuong.vn"}
    forced = send_period("2026-Q3", settings_file=settings, resend=True)
    assert [i.outcome for i in forced.items] == ["sent"] * 3 and len(handler.messages) == 6


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
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


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
def test_server_down_gives_a_clear_error_and_loses_nothing(mail_env):
    result = send_period("2026-Q3", settings_file=recipients(mail_env, free_port()))
    assert {i.outcome for i in result.items} == {"failed"}
    assert "Không kết nối được máy chủ thư 127.0.0.1" in result.items[0].error
    assert not send_log_path(Period.parse("2026-Q3")).exists()  # nothing is marked as sent


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
def test_authentication_failure(mail_env, smtp_server, monkeypatch, caplog):
    controller, handler = smtp_server
    monkeypatch.setenv("KEHOACH_SMTP_PASSWORD", "sai-mat-khau")
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port))
    assert {i.outcome for i in result.items} == {"failed"} and handler.messages == []
    assert "từ chối đăng nhập của vanphong@phuong.vn" in result.items[0].error
    assert "sai-mat-khau" not in result.items[0].error and "sai-mat-khau" not in caplog.text


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
def test_non_ascii_password_is_explained(mail_env, smtp_server, monkeypatch):
    controller, _ = smtp_server
    monkeypatch.setenv("KEHOACH_SMTP_PASSWORD", "mật-khẩu")
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port))
    assert "có ký tự ngoài bảng ASCII" in result.items[0].error and "mật-khẩu" not in result.items[0].error


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
def test_missing_password_says_where_to_put_it(mail_env, smtp_server, monkeypatch):
    controller, _ = smtp_server
    monkeypatch.delenv("KEHOACH_SMTP_PASSWORD")
    result = send_period("2026-Q3", settings_file=recipients(mail_env, controller.port))
    assert "đặt biến môi trường KEHOACH_SMTP_PASSWORD" in result.items[0].error


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
def test_message_over_the_size_limit(mail_env, smtp_server):
    controller, handler = smtp_server
    with pytest.raises(MailError, match=r"vượt giới hạn 0,5 MB .*Thử --zip"):
        send_period("2026-Q3", settings_file=recipients(mail_env, controller.port, limit_mb=0.5))
    assert handler.messages == [] and not send_log_path(Period.parse("2026-Q3")).exists()


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
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


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
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


@pytest.mark.slow  # reads the reports of the session's batches (papermill)
def test_no_reports_yet(mail_env, smtp_server):
    controller, _ = smtp_server
    with pytest.raises(MailError, match="Chưa có báo cáo kỳ 2026-Q4 .* Chạy `kehoach run --period 2026-Q4` trước"):
        send_period("2026-Q4", settings_file=recipients(mail_env, controller.port))


# -- hostile settings and a failed report, against a minimal reports folder built here (no notebook run) -----------
REPORTS = {"overview": ("Báo cáo tổng hợp", "bao-cao-tong-hop.html"), "indicators": ("Chi tiết từng chỉ tiêu", "chi-tiet-chi-tieu.html"),
           "unit-BQLDA": ("Báo cáo Ban Quản lý dự án phường", "don-vi-BQLDA.html")}


@pytest.fixture
def mini_env(workbench, monkeypatch):
    """The illustrative data and a reports folder for 2026-Q3 whose BQLDA report failed in the run."""
    import json

    from tests.conftest import PROJECT

    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress")
    folder = workbench / "reports" / "2026-Q3"
    folder.mkdir(parents=True)
    notebooks = []
    for name, (title, html) in REPORTS.items():
        failed = name == "unit-BQLDA"
        if not failed:
            (folder / html).write_text(f"<!DOCTYPE html><title>{title}</title><p>{title}</p>", encoding="utf-8")
        notebooks.append({"name": name, "title": title, "html": None if failed else html,
                          "outcome": "failed" if failed else "ok", "error": "cell 3: ValueError" if failed else None})
    (folder / "manifest.json").write_text(json.dumps({"period": "2026-Q3", "notebooks": notebooks}, ensure_ascii=False),
                                          encoding="utf-8")
    _summary(folder)
    monkeypatch.setenv("KEHOACH_SMTP_PASSWORD", PASSWORD)
    return workbench


def _summary(folder: Path) -> None:
    """What a run writes for the email: summary.json and the status chart (a 1×1 PNG stands in for it)."""
    import io
    import json

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(png, "PNG")
    (folder / "tinh-hinh.png").write_bytes(png.getvalue())
    summary = {"period": "2026-Q3", "period_label": "9 tháng năm 2026", "ward": "phan-dinh-phung",
               "ward_name": "phường Phan Đình Phùng", "issuing_body": "UBND phường Phan Đình Phùng",
               "status_counts": {"achieved": 5, "on_track": 8}, "summary": "Trong 20 chỉ tiêu đến kỳ đánh giá …",
               "completeness": "Ban Quản lý dự án phường gửi báo cáo chậm 9 ngày (ngày 14/10/2026).",
               "illustrative": True, "cutoff": "2026-11-29T00:00:00+07:00", "chart": "tinh-hinh.png"}
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")


def mini_recipients(root: Path, port: int, smtp: dict | None = None, people: list[dict] | None = None) -> Path:
    data = {"smtp": {"host": "127.0.0.1", "port": port, "security": "none", "user": "vanphong@phuong.vn",
                     "sender": "Văn phòng UBND phường <vanphong@phuong.vn>", "timeout_s": 10} | (smtp or {}),
            "recipients": people or [
                {"name": "Chủ tịch UBND phường", "email": "chutich@phuong.vn", "role": "leadership"},
                {"name": "Ban Quản lý dự án", "email": "bqlda@phuong.vn", "role": "unit", "unit": "BQLDA"},
                {"name": "Văn phòng", "email": "vanphong@phuong.vn", "role": "coordinator"}]}
    path = root / "parameters" / "hostile-recipients.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_failed_report_is_named_in_the_message(mini_env, smtp_server, capsys):
    controller, handler = smtp_server
    assert main(["send", "--period", "2026-Q3", "--recipients", str(mini_recipients(mini_env, controller.port))]) == 0
    err = capsys.readouterr().err
    assert err == ("1 báo cáo bị lỗi khi lập, không được gửi kèm (thư có ghi rõ): Báo cáo Ban Quản lý dự án phường.\n")
    by_to = {m["To"].addresses[0].addr_spec: m for m in handler.messages}
    sentence = ("Các báo cáo sau bị lỗi khi lập nên chưa được gửi kèm thư này: Báo cáo Ban Quản lý dự án phường. "
                "Văn phòng sẽ gửi bổ sung sau khi lập lại.")
    for address in ("bqlda@phuong.vn", "vanphong@phuong.vn"):
        msg = by_to[address]
        assert sentence in msg.get_body(("plain",)).get_content()
        assert sentence in msg.get_body(("html",)).get_content()
    assert set(_attachments(by_to["bqlda@phuong.vn"])) == {"bao-cao-tong-hop.html"}
    assert "bị lỗi khi lập" not in by_to["chutich@phuong.vn"].get_body(("plain",)).get_content()


def test_plaintext_password_to_a_remote_host_is_refused_before_connecting(mini_env, monkeypatch, capsys):
    import smtplib

    def no_connection(*args, **kwargs):
        raise AssertionError("connected")

    monkeypatch.setattr(smtplib, "SMTP", no_connection)
    settings = mini_recipients(mini_env, 25, {"host": "mail.thainguyen.gov.vn"})
    assert main(["send", "--period", "2026-Q3", "--recipients", str(settings)]) == 1
    assert capsys.readouterr().err == (
        "Lỗi: Từ chối gửi: smtp.security là none nên mật khẩu của vanphong@phuong.vn sẽ đi qua mạng không mã hóa tới "
        "mail.thainguyen.gov.vn. Đặt smtp.security: starttls (cổng 587) hoặc ssl (cổng 465) trong recipients.yaml; chỉ khi "
        "máy chủ thư không hỗ trợ mã hóa mới đặt allow_plaintext_auth: true.\n")
    assert not send_log_path(Period.parse("2026-Q3")).exists()


def _lan_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_allowed_plaintext_auth_warns_on_every_send(mini_env, capsys):
    address = _lan_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    handler = Handler()
    controller = Controller(handler, hostname=address, port=free_port(), authenticator=_authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        settings = mini_recipients(mini_env, controller.port, {"host": address, "allow_plaintext_auth": True})
        assert main(["send", "--period", "2026-Q3", "--recipients", str(settings)]) == 0
    finally:
        controller.stop()
    err = capsys.readouterr().err
    assert err.startswith(f"Cảnh báo: mật khẩu thư của vanphong@phuong.vn được gửi tới {address} không mã hóa "
                          "(allow_plaintext_auth: true). Nên chuyển sang smtp.security: starttls hoặc ssl.\n")
    assert len(handler.messages) == 3


@pytest.mark.parametrize("smtp, expected", [
    ({"password": "mk-bi-mat-123"}, "không được ghi mật khẩu trong tệp người nhận (khóa “password”)"),
    ({"port": "mk-bi-mat-123"}, "tệp người nhận không hợp lệ: smtp.port: phải là số nguyên"),
    ({"user": ["mk-bi-mat-123"]}, "tệp người nhận không hợp lệ: smtp.user: phải là chữ (đặt trong dấu nháy)"),
])
def test_no_secret_is_ever_echoed(mini_env, capsys, smtp, expected):
    settings = mini_recipients(mini_env, 25, smtp)
    assert main(["send", "--period", "2026-Q3", "--recipients", str(settings)]) == 1
    err = capsys.readouterr().err
    assert expected in err and "mk-bi-mat-123" not in err


@pytest.mark.parametrize("name", ['Chủ tịch", <evil@evil.example>, "x', "Chủ tịch\r\nBcc: evil@evil.example", "Chủ tịch\n",
                                  "Chủ tịch <evil@evil.example>"])
def test_names_that_would_inject_addresses_are_refused(mini_env, capsys, name):
    people = [{"name": name, "email": "chutich@phuong.vn", "role": "leadership"}]
    assert main(["send", "--period", "2026-Q3", "--dry-run", "--recipients", str(mini_recipients(mini_env, 25, people=people))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: ") and "recipients.0: tên hiển thị chứa ký tự xuống dòng, ký tự điều khiển hoặc < > \"" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("email", ["a@b.vn, evil@evil.example", "a@b.vn\r\nBcc: x@y.vn", "<a@b.vn>", "khong-phai-email"])
def test_malformed_addresses_are_refused(mini_env, capsys, email):
    people = [{"name": "Chủ tịch", "email": email, "role": "leadership"}]
    assert main(["send", "--period", "2026-Q3", "--dry-run", "--recipients", str(mini_recipients(mini_env, 25, people=people))]) == 1
    assert "địa chỉ email không hợp lệ" in capsys.readouterr().err


def test_a_name_with_a_comma_stays_one_address(mini_env):
    people = [{"name": "Phòng Kinh tế, Hạ tầng và Đô thị", "email": "kt@phuong.vn", "role": "unit", "unit": "BQLDA"}]
    result = send_period("2026-Q3", dry_run=True, settings_file=mini_recipients(mini_env, 25, people=people))
    parsed = email.message_from_bytes(next(result.outbox.glob("*.eml")).read_bytes(), policy=policy.default)
    assert [(a.display_name, a.addr_spec) for a in parsed["To"].addresses] == [("Phòng Kinh tế, Hạ tầng và Đô thị", "kt@phuong.vn")]


def test_recipients_file_saved_as_utf16(mini_env, smtp_server):
    controller, handler = smtp_server
    path = mini_recipients(mini_env, controller.port)
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    result = send_period("2026-Q3", settings_file=path)
    assert [i.outcome for i in result.items] == ["sent"] * 3
