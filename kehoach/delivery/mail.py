"""Share a period's reports by email, with the stdlib ``email`` and ``smtplib`` packages.

One message per recipient: a short HTML body with inline CSS (headline figures, status
summary, the status chart as a PNG referenced by ``cid:``), a plain-text alternative, and
the full HTML reports attached (or zipped). The password comes only from an environment
variable or the keyring. A send log keeps a re-run from sending the same message twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import os
import smtplib
import ssl
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kehoach.core import config
from kehoach.core.errors import MailError
from kehoach.core.files import atomic_write
from kehoach.core.labels import ILLUSTRATIVE_BANNER
from kehoach.core.period import VN_TZ, Period

log = logging.getLogger(__name__)

BODY_LIMIT = 100 * 1024  # Gmail clips longer bodies
SEND_LOG_FIELDS = ["time", "period", "recipient", "message_id", "content_sha256", "attachments"]


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password_env: str = "KEHOACH_SMTP_PASSWORD"
    sender: str
    max_message_mb: float = Field(default=10, gt=0)
    timeout_s: float = 30


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: Literal["leadership", "unit", "coordinator"]
    unit: str | None = None
    #: In a workspace with several wards: the ward code whose reports this recipient gets (None: every ward).
    ward: str | None = None


class MailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smtp: SmtpSettings
    recipients: list[Recipient]


def load_settings(path: Path | None = None) -> MailSettings:
    path = path or config.parameters_dir() / "recipients.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        settings = MailSettings.model_validate(raw)
    except OSError as exc:
        raise MailError(f"{path}: cannot read the recipients file ({exc.strerror}).") from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise MailError(f"{path}: invalid recipients file: {exc}") from None
    for r in settings.recipients:
        if r.role == "unit" and not r.unit:
            raise MailError(f"{path}: recipient {r.email} has role 'unit' but no 'unit' code.")
    return settings


def password(smtp: SmtpSettings) -> str | None:
    """The SMTP password: from ``$password_env``, else from the keyring; never from a file."""
    if not smtp.user:
        return None
    value = os.environ.get(smtp.password_env)
    if value:
        return value
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        keyring = None
    if keyring is not None:
        try:
            value = keyring.get_password("kehoach-smtp", smtp.user)
        except KeyringError:
            value = None
    if not value:
        raise MailError(f"No SMTP password for {smtp.user}: set the environment variable {smtp.password_env} "
                        f"or store it with `keyring set kehoach-smtp {smtp.user}`.")
    return value


# -- what goes to whom ------------------------------------------------------------------------
@dataclass
class Outgoing:
    recipient: Recipient
    attachments: list[Path]
    message: EmailMessage | None = None
    content_sha256: str = ""
    outcome: str = "pending"   # sent | skipped | failed | written
    error: str | None = None


def reports_for(recipient: Recipient, folder: Path, manifest: dict) -> list[Path]:
    """Leadership: the overview. A unit: its report and the overview. The coordinator: everything."""
    done = {r["name"]: folder / r["html"] for r in manifest["notebooks"] if r.get("outcome") == "ok" and r.get("html")}
    if "overview" not in done:
        raise MailError(f"{folder}: the overview report is missing or failed; run `kehoach run` again first.")
    if recipient.role == "coordinator":
        return list(done.values())
    if recipient.role == "unit":
        own = done.get(f"unit-{recipient.unit}")
        if own is None:
            raise MailError(f"{folder}: no report for unit {recipient.unit} (recipient {recipient.email}).")
        return [own, done["overview"]]
    return [done["overview"]]


@dataclass
class Summary:
    """What the body says, as the run wrote it (``summary.json`` and the status chart)."""

    ward_title: str
    issuing_body: str
    period: Period
    counts: list[tuple[str, str, str, int]]   # (symbol, label, colour, count)
    summary: str
    completeness: str
    chart_png: bytes
    illustrative: bool = False


def check_inputs_unchanged(folder: Path, manifest: dict) -> None:
    """Refuse to send reports whose inputs changed after the run (a late import, an edited plan)."""
    root = config.project_root()
    changed = []
    for name, digest in manifest.get("inputs_sha256", {}).items():
        path = Path(name) if Path(name).is_absolute() else root / name
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            changed.append(name)
    if changed:
        raise MailError(f"Số liệu hoặc kế hoạch đã thay đổi sau lần lập báo cáo kỳ {manifest['period']} "
                        f"({', '.join(changed)}). Chạy lại kỳ này (kehoach run --period {manifest['period']}) rồi mới gửi.")


def summarize(folder: Path) -> Summary:
    """The headline figures the run wrote for this period: the email says exactly what the reports say."""
    import json

    from kehoach.core.labels import PALETTE, STATUS_LABELS, STATUSES, SYMBOLS

    try:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        png = (folder / data["chart"]).read_bytes()
    except (OSError, ValueError, KeyError) as exc:
        raise MailError(f"{folder}: thiếu bản tóm tắt của lần lập báo cáo ({exc}). Chạy lại kehoach run cho kỳ này.") from None
    counts = data["status_counts"]
    rows = [(SYMBOLS[s], STATUS_LABELS[s], PALETTE[s], int(counts[s])) for s in STATUSES if counts.get(s)]
    return Summary(data["ward_name"], data["issuing_body"], Period.parse(data["period"]), rows, data["summary"],
                   data["completeness"], png, bool(data["illustrative"]))


def subject(summary: Summary) -> str:
    return f"[{summary.issuing_body}] Báo cáo tình hình thực hiện chỉ tiêu KT-XH {summary.period.label()}"


# -- the message ----------------------------------------------------------------------------------
def _html_body(summary: Summary, recipient: Recipient, names: list[str], cid: str) -> str:
    from kehoach.reporting.blocks import render

    return render("mail.html.j2", s=summary, recipient=recipient, names=names, cid=cid[1:-1],
                  banner=ILLUSTRATIVE_BANNER if summary.illustrative else "")


def _text_body(summary: Summary, recipient: Recipient, names: list[str]) -> str:
    from kehoach.reporting.blocks import render

    return render("mail.txt.j2", s=summary, recipient=recipient, names=names,
                  banner=ILLUSTRATIVE_BANNER if summary.illustrative else "")


def _zip(paths: list[Path], period: Period) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return f"bao-cao-{period}.zip", buffer.getvalue()


def build_message(summary: Summary, recipient: Recipient, attachments: list[Path], smtp: SmtpSettings,
                  as_zip: bool = False) -> EmailMessage:
    """One recipient's message; raises :class:`MailError` if the body or the whole is too large."""
    msg = EmailMessage()
    msg["Subject"] = subject(summary)
    msg["From"] = smtp.sender
    msg["To"] = formataddr((recipient.name, recipient.email))
    msg["Date"] = dt.datetime.now(VN_TZ)
    domain = parseaddr(smtp.sender)[1].rpartition("@")[2] or "kehoach.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    names = [p.name for p in attachments]
    if as_zip:
        zip_name, _ = _zip(attachments, summary.period)
        names = [zip_name]
    cid = make_msgid(domain=domain)
    html = _html_body(summary, recipient, names, cid)
    if len(html.encode("utf-8")) > BODY_LIMIT:
        raise MailError(f"The message body for {recipient.email} is over {BODY_LIMIT // 1024} KB; Gmail would clip it.")
    msg.set_content(_text_body(summary, recipient, names))
    msg.add_alternative(html, subtype="html")
    msg.get_payload()[1].add_related(summary.chart_png, "image", "png", cid=cid, filename="bieu-do.png")
    if as_zip:
        zip_name, data = _zip(attachments, summary.period)
        msg.add_attachment(data, maintype="application", subtype="zip", filename=zip_name)
    else:
        for path in attachments:
            msg.add_attachment(path.read_bytes(), maintype="text", subtype="html", filename=path.name)
    size = len(msg.as_bytes())
    limit = int(smtp.max_message_mb * 1024 * 1024)
    if size > limit:
        raise MailError(f"The message to {recipient.email} is {size / 1024 / 1024:.1f} MB, over the limit of "
                        f"{smtp.max_message_mb:g} MB (smtp.max_message_mb). Try --zip, or raise the limit if the mail "
                        "server accepts larger messages.")
    return msg


def content_hash(recipient: Recipient, attachments: list[Path], as_zip: bool) -> str:
    digest = hashlib.sha256(f"{recipient.email}|{as_zip}".encode())
    for path in attachments:
        digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# -- send log -------------------------------------------------------------------------------------
def send_log_path(period: Period, ward: str | None = None) -> Path:
    """Kept outside the period folder, so that it survives a re-run of the reports; one per ward when wards are kept apart."""
    base = config.reports_dir() / "sent"
    return (base / ward if ward else base) / f"{period}.csv"


def report_folder(period: Period, ward: str | None = None) -> tuple[Path, str | None]:
    """The period's reports and the ward key of its send log.

    A one-ward workspace keeps today's ``reports/<period>/``; with several wards the run writes
    ``reports/<period>/<ward>/`` and each ward has its own send log.
    """
    base = config.reports_dir() / str(period)
    if ward and (base / ward / "manifest.json").exists():
        return base / ward, ward
    if not (base / "manifest.json").exists():
        wards = sorted(d.name for d in base.glob("*/") if (d / "manifest.json").exists())
        if wards and not ward:
            raise MailError(f"{base} chứa báo cáo của nhiều địa bàn ({', '.join(wards)}); chọn một bằng --ward.")
    return base, None


def already_sent(period: Period, ward: str | None = None) -> set[str]:
    path = send_log_path(period, ward)
    if not path.exists():
        return set()
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["content_sha256"] for row in csv.DictReader(handle)}


def record_sent(period: Period, item: Outgoing, ward: str | None = None) -> None:
    path = send_log_path(period, ward)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SEND_LOG_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({"time": dt.datetime.now(VN_TZ).isoformat(timespec="seconds"), "period": str(period),
                         "recipient": item.recipient.email, "message_id": item.message["Message-ID"],
                         "content_sha256": item.content_sha256,
                         "attachments": ";".join(p.name for p in item.attachments)})
        handle.flush()
        os.fsync(handle.fileno())


# -- SMTP -----------------------------------------------------------------------------------------
def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    try:
        if smtp.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
            if smtp.security == "starttls":
                server.starttls(context=ssl.create_default_context())
        secret = password(smtp)
        if smtp.user:
            server.login(smtp.user, secret)
        return server
    except UnicodeEncodeError:
        raise MailError(f"The SMTP password of {smtp.user} contains characters outside ASCII, which SMTP login "
                        "cannot send. Use an ASCII password for the mail account.") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"The mail server {smtp.host}:{smtp.port} refused the login of {smtp.user} ({exc.smtp_code}). "
                        f"Check the password in {smtp.password_env} or the keyring.") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"Cannot reach the mail server {smtp.host}:{smtp.port} ({type(exc).__name__}: {exc}). "
                        "Check smtp.host, smtp.port and smtp.security in parameters/recipients.yaml; nothing was sent.") from None


@dataclass
class SendResult:
    period: str
    items: list[Outgoing]
    outbox: Path | None = None

    @property
    def failed(self) -> list[Outgoing]:
        return [i for i in self.items if i.outcome == "failed"]


def send_period(period: str | Period, dry_run: bool = False, as_zip: bool = False, resend: bool = False,
                settings_file: Path | None = None, ward: str | None = None) -> SendResult:
    """Send (or, with ``dry_run``, write as .eml) every recipient's message for ``period``.

    ``ward`` picks one ward's reports in a workspace with several; recipients with another
    ``ward`` are left out.
    """
    import json

    p = Period.parse(period)
    folder, log_ward = report_folder(p, ward)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise MailError(f"No reports for {p} in {folder}. Run `kehoach run --period {p}` first.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    check_inputs_unchanged(folder, manifest)
    settings = load_settings(settings_file)
    summary = summarize(folder)
    chosen = [r for r in settings.recipients if ward is None or r.ward in (None, ward)]
    items = [Outgoing(r, reports_for(r, folder, manifest)) for r in chosen]
    for item in items:  # build everything first: a size or body error stops before anything is sent
        item.message = build_message(summary, item.recipient, item.attachments, settings.smtp, as_zip)
        item.content_sha256 = content_hash(item.recipient, item.attachments, as_zip)
    if dry_run:
        return SendResult(str(p), items, write_outbox(folder / "outbox", items))
    sent = set() if resend else already_sent(p, log_ward)
    todo = [i for i in items if i.content_sha256 not in sent]
    for item in items:
        if item not in todo:
            item.outcome = "skipped"
    if todo:
        deliver(settings.smtp, todo, p, log_ward)
    return SendResult(str(p), items)


def deliver(smtp: SmtpSettings, items: list[Outgoing], period: Period, ward: str | None = None) -> None:
    """Send each message; a refused recipient is reported and the others still go out."""
    try:
        server = connect(smtp)
    except MailError as exc:
        for item in items:
            item.outcome, item.error = "failed", str(exc)
        return
    try:
        for item in items:
            try:
                server.send_message(item.message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reason = next(iter(exc.recipients.values()))
                item.outcome, item.error = "failed", f"máy chủ từ chối người nhận {item.recipient.email}: {code} {reason.decode(errors='replace')}"
            except (smtplib.SMTPException, OSError) as exc:
                item.outcome, item.error = "failed", f"{type(exc).__name__}: {exc}"
                if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
                    server = _reconnect(smtp, server)
            else:
                item.outcome = "sent"
                record_sent(period, item, ward)
                log.info("sent %s to %s", item.message["Message-ID"], item.recipient.email)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            pass


def _reconnect(smtp: SmtpSettings, server: smtplib.SMTP) -> smtplib.SMTP:
    try:
        server.close()
        return connect(smtp)
    except MailError:
        return server


def write_outbox(outbox: Path, items: list[Outgoing]) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    for index, item in enumerate(items, start=1):
        name = f"{index:02d}_{item.recipient.email.replace('@', '_at_')}.eml"
        atomic_write(outbox / name, item.message.as_bytes(), mode=0o600)
        item.outcome = "written"
    return outbox
