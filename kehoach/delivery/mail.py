"""Share a period's reports by email, with the stdlib ``email`` and ``smtplib`` packages.

One message per recipient: a short HTML body with inline CSS (headline figures, status
summary, the status chart as a PNG referenced by ``cid:``), a plain-text alternative, and
the full HTML reports attached (or zipped). The password comes only from an environment
variable or the keyring. A send log keeps a re-run from sending the same message twice.

Safety rules:

* a password never crosses the network in clear: with ``security: none`` and a ``user``,
  sending is refused before connecting unless the host is the loopback, or
  ``allow_plaintext_auth: true`` is set (then every send warns);
* ``recipients.yaml`` may not hold a password, and validation errors never echo a value;
* addresses are built with :class:`email.headerregistry.Address`; a display name with a
  control character (CR, LF) or ``<``, ``>``, ``"`` is refused, so no name can add a recipient;
* a report that failed in the run is named in the message of everyone who should have had it.

Exactly once: one send at a time per period and scope (an OS lock beside the send log); the
send log gets a ``sending`` line (flushed to disk) before each message and a ``sent`` line after
it. A message whose ``sending`` has no ``sent`` (the command was killed while the server had
it) has an unknown fate: it is never sent again on its own; the command names it and says how
to settle it (``--unknown sent`` after checking the recipient's mailbox, ``--unknown retry`` to
send it again). Messages are built and sent one at a time, so memory does not grow with the
number of recipients.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import ipaddress
import logging
import os
import re
import smtplib
import ssl
import zipfile
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from pathlib import Path
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kehoach.core import config
from kehoach.core.errors import MailError
from kehoach.core.errors import KehoachError, UsageError
from kehoach.core.files import MAX_YAML_BYTES, atomic_write, exclusive_lock, load_yaml, read_text
from kehoach.core.labels import ILLUSTRATIVE_BANNER
from kehoach.core.parameters import validation_summary
from kehoach.core.formatting import fmt_number
from kehoach.core.period import VN_TZ, Period
from kehoach.delivery.reportset import Manifest

log = logging.getLogger(__name__)

BODY_LIMIT = 100 * 1024  # Gmail clips longer bodies
SEND_LOG_FIELDS = ["time", "period", "recipient", "message_id", "content_sha256", "attachments", "state"]
#: A ward code as plans write it: letters, digits and hyphens (never a path).
WARD_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f<>"\u2028\u2029]')


def _address(name: str, email: str) -> Address:
    """The header address of ``name <email>``; raises ValueError for an unsafe name or a malformed address."""
    if _UNSAFE_NAME.search(name):
        raise ValueError("tên hiển thị chứa ký tự xuống dòng, ký tự điều khiển hoặc < > \"; chỉ ghi tên, không ghi địa chỉ")
    if not re.fullmatch(r"[^@\s,;<>\"()\[\]\\]+@[^@\s,;<>\"()\[\]\\]+\.[^@\s,;<>\"()\[\]\\]+", email):
        raise ValueError("địa chỉ email không hợp lệ (dạng ten@donvi.gov.vn)")
    try:
        address = Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise ValueError(f"địa chỉ email không hợp lệ ({exc})") from None
    if address.addr_spec != email:
        raise ValueError("địa chỉ email không hợp lệ (dạng ten@donvi.gov.vn)")
    return address


def _sender_address(value: str) -> Address:
    """"Name <addr>" or "addr": exactly one address, no control character."""
    found = getaddresses([value])
    if re.search(r"[\x00-\x1f\x7f]", value) or len(found) != 1 or not found[0][1]:
        raise ValueError("người gửi phải có dạng “Tên <dia.chi@donvi.gov.vn>” hoặc một địa chỉ email")
    return _address(*found[0])


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
    #: Allow the password to be sent without TLS to a host other than the loopback (warns on every send).
    allow_plaintext_auth: bool = False

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        _sender_address(value)
        return value

    @property
    def sender_address(self) -> Address:
        return _sender_address(self.sender)

    @property
    def loopback(self) -> bool:
        if self.host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False

    def plaintext_auth(self) -> str | None:
        """Refuse (MailError) a password in clear to a remote host; a warning when explicitly allowed."""
        if not self.user or self.security != "none" or self.loopback:
            return None
        if not self.allow_plaintext_auth:
            raise MailError(f"Từ chối gửi: smtp.security là none nên mật khẩu của {self.user} sẽ đi qua mạng không mã hóa "
                            f"tới {self.host}. Đặt smtp.security: starttls (cổng 587) hoặc ssl (cổng 465) trong "
                            "recipients.yaml; chỉ khi máy chủ thư không hỗ trợ mã hóa mới đặt allow_plaintext_auth: true.")
        return (f"Cảnh báo: mật khẩu thư của {self.user} được gửi tới {self.host} không mã hóa "
                "(allow_plaintext_auth: true). Nên chuyển sang smtp.security: starttls hoặc ssl.")


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    email: str
    role: Literal["leadership", "unit", "coordinator"]
    unit: str | None = None
    #: In a workspace with several wards: the ward code whose reports this recipient gets (None: every ward).
    ward: str | None = None

    @model_validator(mode="after")
    def _safe_address(self) -> "Recipient":
        _address(self.name, self.email)
        return self

    @property
    def address(self) -> Address:
        return _address(self.name, self.email)


class MailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smtp: SmtpSettings
    recipients: list[Recipient]


def load_settings(path: Path | None = None) -> MailSettings:
    """Read and check ``recipients.yaml`` (UTF-8 or UTF-16). No message ever repeats a value from the file."""
    path = path or config.parameters_dir() / "recipients.yaml"
    try:
        raw = load_yaml(read_text(path, "tệp người nhận", MAX_YAML_BYTES), str(path), MailError)
    except KehoachError as exc:
        raise MailError(str(exc)) from None
    secret = _secret_key(raw)
    if secret:
        raise MailError(f"{path}: không được ghi mật khẩu trong tệp người nhận (khóa “{secret}”). Xóa dòng đó và đặt "
                        "mật khẩu trong biến môi trường KEHOACH_SMTP_PASSWORD hoặc keyring "
                        "(`keyring set kehoach-smtp <user>`); nếu mật khẩu đã lộ, hãy đổi mật khẩu.")
    try:
        settings = MailSettings.model_validate(raw)
    except ValidationError as exc:
        raise MailError(f"{path}: tệp người nhận không hợp lệ: {validation_summary(exc)}.") from None
    for r in settings.recipients:
        if r.role == "unit" and not r.unit:
            raise MailError(f"{path}: người nhận {r.email} có role 'unit' nhưng thiếu mã đơn vị 'unit'.")
    return settings


def _secret_key(node: object, depth: int = 0) -> str | None:
    """The first key that looks like a password anywhere in the parsed file."""
    if depth > 20:
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.strip().lower() in ("password", "pass", "passwd", "mat_khau", "mật khẩu", "secret"):
                return key
            found = _secret_key(value, depth + 1)
            if found:
                return found
    if isinstance(node, list):
        for item in node:
            found = _secret_key(item, depth + 1)
            if found:
                return found
    return None


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
        raise MailError(f"Chưa có mật khẩu thư cho {smtp.user}: đặt biến môi trường {smtp.password_env} "
                        f"hoặc lưu bằng lệnh `keyring set kehoach-smtp {smtp.user}`.")
    return value


# -- what goes to whom ------------------------------------------------------------------------
@dataclass
class Outgoing:
    recipient: Recipient
    attachments: list[Path]
    missing: list[str] = field(default_factory=list)  # titles of reports this recipient should have had but that failed
    content_sha256: str = ""
    message_id: str = ""
    outcome: str = "pending"   # sent | skipped | failed | written | unknown
    error: str | None = None


def wanted_reports(recipient: Recipient, folder: Path, manifest: Manifest) -> tuple[list[Path], list[str]]:
    """The reports a recipient gets, and the titles of those it should get but that failed in the run.

    Leadership: the overview. A unit: its report and the overview. The coordinator: everything
    that succeeded, and the overview's Word draft.
    """
    entries = {r.name: r.model_dump() for r in manifest.notebooks}
    ok = lambda r: r.get("outcome") == "ok" and r.get("html")  # noqa: E731
    if "overview" not in entries or not ok(entries["overview"]):
        raise MailError(f"{folder}: báo cáo tổng hợp bị thiếu hoặc bị lỗi; chạy lại `kehoach run` trước khi gửi.")
    if recipient.role == "coordinator":
        names = list(entries)
    elif recipient.role == "unit":
        own = f"unit-{recipient.unit}"
        if own not in entries:
            raise MailError(f"{folder}: không có báo cáo của đơn vị {recipient.unit} (người nhận {recipient.email}); "
                            "kiểm tra mã đơn vị trong recipients.yaml.")
        names = [own, "overview"]
    else:
        names = ["overview"]
    attached = [folder / entries[n]["html"] for n in names if ok(entries[n])]
    if recipient.role == "coordinator" and entries["overview"].get("docx"):  # the Word draft, to edit before signing
        attached.append(folder / entries["overview"]["docx"])
    missing = [entries[n].get("title") or n for n in names if not ok(entries[n])]
    return attached, missing


#: MIME types of the files a message may carry.
ATTACHMENT_TYPES = {".html": ("text", "html"),
                    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")}


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


def check_inputs_unchanged(manifest: Manifest) -> None:
    """Refuse to send reports whose inputs changed after the run (a late import, an edited plan)."""
    from kehoach.delivery.reportset import changed_inputs

    changed = changed_inputs(manifest)
    if changed:
        raise MailError(f"Số liệu hoặc kế hoạch đã thay đổi sau lần lập báo cáo kỳ {manifest.period} "
                        f"({', '.join(changed)}). Chạy lại kỳ này (kehoach run --period {manifest.period}) rồi mới gửi.")


def summarize(folder: Path) -> Summary:
    """The headline figures the run wrote for this period: the email says exactly what the reports say."""
    import json

    from kehoach.analysis.charts import compact_png
    from kehoach.core.labels import PALETTE, STATUS_LABELS, STATUSES, SYMBOLS

    try:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        png = compact_png((folder / data["chart"]).read_bytes())  # the body stays well under BODY_LIMIT
    except (OSError, ValueError, KeyError) as exc:
        raise MailError(f"{folder}: thiếu bản tóm tắt của lần lập báo cáo ({exc}). Chạy lại kehoach run cho kỳ này.") from None
    counts = data["status_counts"]
    rows = [(SYMBOLS[s], STATUS_LABELS[s], PALETTE[s], int(counts[s])) for s in STATUSES if counts.get(s)]
    return Summary(data["ward_name"], data["issuing_body"], Period.parse(data["period"]), rows, data["summary"],
                   data["completeness"], png, bool(data["illustrative"]))


def subject(summary: Summary) -> str:
    return f"[{summary.issuing_body}] Báo cáo tình hình thực hiện chỉ tiêu KT-XH {summary.period.label()}"


# -- the message ----------------------------------------------------------------------------------
def _missing_sentence(missing: list[str] | None) -> str:
    return (f"Các báo cáo sau bị lỗi khi lập nên chưa được gửi kèm thư này: {'; '.join(missing)}. "
            "Văn phòng sẽ gửi bổ sung sau khi lập lại.") if missing else ""


def _html_body(summary: Summary, recipient: Recipient, names: list[str], cid: str, missing: list[str] | None = None) -> str:
    from kehoach.reporting.blocks import render

    return render("mail.html.j2", s=summary, recipient=recipient, names=names, cid=cid[1:-1],
                  banner=ILLUSTRATIVE_BANNER if summary.illustrative else "", failed=_missing_sentence(missing))


def _text_body(summary: Summary, recipient: Recipient, names: list[str], missing: list[str] | None = None) -> str:
    from kehoach.reporting.blocks import render

    return render("mail.txt.j2", s=summary, recipient=recipient, names=names,
                  banner=ILLUSTRATIVE_BANNER if summary.illustrative else "", failed=_missing_sentence(missing))


class Files:
    """The attachments' bytes and digests, each file read once for every message of a send."""

    def __init__(self) -> None:
        self._data: dict[Path, bytes] = {}

    def read(self, path: Path) -> bytes:
        if path not in self._data:
            self._data[path] = path.read_bytes()
        return self._data[path]

    def digest(self, path: Path) -> bytes:
        return hashlib.sha256(self.read(path)).digest()


def _zip(paths: list[Path], period: Period, files: Files) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.writestr(path.name, files.read(path))
    return f"bao-cao-{period}.zip", buffer.getvalue()


def build_message(summary: Summary, recipient: Recipient, attachments: list[Path], smtp: SmtpSettings,
                  as_zip: bool = False, missing: list[str] | None = None, message_id: str | None = None,
                  files: "Files | None" = None) -> EmailMessage:
    """One recipient's message; raises :class:`MailError` if the body or the whole is too large.

    ``missing`` names the reports that failed in the run: the message says so, in both bodies.
    ``files`` reads each attachment once for all messages.
    """
    files = files or Files()
    msg = EmailMessage()
    msg["Subject"] = subject(summary)
    msg["From"] = smtp.sender_address
    msg["To"] = recipient.address
    msg["Date"] = dt.datetime.now(VN_TZ)
    domain = smtp.sender_address.domain or "kehoach.local"
    msg["Message-ID"] = message_id or make_msgid(domain=domain)
    names = [p.name for p in attachments]
    if as_zip:
        names = [f"bao-cao-{summary.period}.zip"]
    cid = make_msgid(domain=domain)
    html = _html_body(summary, recipient, names, cid, missing)
    if len(html.encode("utf-8")) > BODY_LIMIT:
        raise MailError(f"Nội dung thư gửi {recipient.email} dài hơn {BODY_LIMIT // 1024} KB; Gmail sẽ cắt bớt.")
    msg.set_content(_text_body(summary, recipient, names, missing))
    msg.add_alternative(html, subtype="html")
    msg.get_payload()[1].add_related(summary.chart_png, "image", "png", cid=cid, filename="bieu-do.png")
    if as_zip:
        zip_name, data = _zip(attachments, summary.period, files)
        msg.add_attachment(data, maintype="application", subtype="zip", filename=zip_name)
    else:
        for path in attachments:
            maintype, subtype = ATTACHMENT_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
            msg.add_attachment(files.read(path), maintype=maintype, subtype=subtype, filename=path.name)
    size = len(msg.as_bytes())
    limit = int(smtp.max_message_mb * 1024 * 1024)
    if size > limit:
        raise MailError(f"Thư gửi {recipient.email} nặng {fmt_number(size / 1024 / 1024, 1)} MB, vượt giới hạn "
                        f"{fmt_number(smtp.max_message_mb)} MB (smtp.max_message_mb). Thử --zip, hoặc tăng giới hạn "
                        "nếu máy chủ thư nhận thư lớn hơn.")
    return msg


def content_hash(recipient: Recipient, attachments: list[Path], as_zip: bool, missing: list[str] | None = None,
                 files: Files | None = None) -> str:
    files = files or Files()
    digest = hashlib.sha256(f"{recipient.email}|{as_zip}".encode())
    for title in missing or []:
        digest.update(f"|missing:{title}".encode())
    for path in attachments:
        digest.update(path.name.encode() + files.digest(path))
    return digest.hexdigest()


# -- send log -------------------------------------------------------------------------------------
def ward_code(ward: str | None) -> str | None:
    """``ward`` if it is a ward code (``phan-dinh-phung``); anything that could name another folder is refused."""
    if ward is not None and not WARD_CODE.fullmatch(ward):
        raise UsageError(f"Mã địa bàn “{ward}” không hợp lệ: chỉ gồm chữ thường không dấu, số và dấu gạch ngang "
                         "(ví dụ phan-dinh-phung; xem `kehoach plan list`).")
    return ward


def send_log_path(period: Period, ward: str | None = None) -> Path:
    """Kept outside the period folder, so that it survives a re-run of the reports; one per ward when wards are kept apart."""
    base = config.reports_dir() / "sent"
    return (base / ward_code(ward) if ward else base) / f"{period}.csv"


def report_folder(period: Period, ward: str | None = None) -> tuple[Path, str | None]:
    """The period's reports and the ward key of its send log.

    A one-ward workspace keeps today's ``reports/<period>/``; with several wards the run writes
    ``reports/<period>/<ward>/`` and each ward has its own send log.
    """
    base = config.reports_dir() / str(period)
    if ward and (base / ward_code(ward) / "manifest.json").exists():
        return base / ward, ward
    if not (base / "manifest.json").exists():
        wards = sorted(d.name for d in base.glob("*/") if (d / "manifest.json").exists())
        if wards and not ward:
            raise MailError(f"{base} chứa báo cáo của nhiều địa bàn ({', '.join(wards)}); chọn một bằng --ward.")
    return base, None


def send_states(period: Period, ward: str | None = None) -> dict[str, dict[str, str]]:
    """The last line of the send log for each message (by content hash): its ``state`` and recipient.

    A log written before states existed lists sent messages only.
    """
    path = send_log_path(period, ward)
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["content_sha256"]: {**row, "state": row.get("state") or "sent"} for row in csv.DictReader(handle)}


def record(period: Period, item: Outgoing, state: str, ward: str | None = None) -> None:
    """Append one line to the send log and flush it to disk before going on."""
    path = send_log_path(period, ward)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or not path.stat().st_size
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SEND_LOG_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({"time": dt.datetime.now(VN_TZ).isoformat(timespec="seconds"), "period": str(period),
                         "recipient": item.recipient.email, "message_id": item.message_id,
                         "content_sha256": item.content_sha256,
                         "attachments": ";".join(p.name for p in item.attachments), "state": state})
        handle.flush()
        os.fsync(handle.fileno())


def send_lock(period: Period, ward: str | None = None):  # noqa: ANN201 - a context manager
    """One send at a time for a period and scope: a second `kehoach send` is refused at once."""
    path = send_log_path(period, ward)
    path.parent.mkdir(parents=True, exist_ok=True)
    scope = f" của {ward}" if ward else ""
    return exclusive_lock(path.with_name(f".{path.stem}.lock"),
                          MailError(f"Đang có một lệnh gửi khác cho kỳ {period}{scope}. Chờ lệnh đó xong; "
                                    "không chạy hai lệnh gửi cùng lúc (thư sẽ không bị gửi hai lần)."))


# -- SMTP -----------------------------------------------------------------------------------------
def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    smtp.plaintext_auth()  # refuses before any connection
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
        raise MailError(f"Mật khẩu thư của {smtp.user} có ký tự ngoài bảng ASCII (ví dụ chữ có dấu), SMTP không gửi được. "
                        "Đổi sang mật khẩu chỉ gồm chữ không dấu, số và ký hiệu.") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"Máy chủ thư {smtp.host}:{smtp.port} từ chối đăng nhập của {smtp.user} ({exc.smtp_code}). "
                        f"Kiểm tra mật khẩu trong biến {smtp.password_env} hoặc keyring.") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"Không kết nối được máy chủ thư {smtp.host}:{smtp.port} ({type(exc).__name__}: {exc}). "
                        "Kiểm tra smtp.host, smtp.port và smtp.security trong parameters/recipients.yaml; "
                        "chưa thư nào được gửi.") from None


@dataclass
class SendResult:
    period: str
    items: list[Outgoing]
    outbox: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outgoing]:
        return [i for i in self.items if i.outcome in ("failed", "unknown")]


def send_period(period: str | Period, dry_run: bool = False, as_zip: bool = False, resend: bool = False,
                settings_file: Path | None = None, ward: str | None = None,
                unknown: Literal["sent", "retry"] | None = None) -> SendResult:
    """Send (or, with ``dry_run``, write as .eml) every recipient's message for ``period``, each exactly once.

    ``ward`` picks one ward's reports in a workspace with several; recipients with another
    ``ward`` are left out. ``unknown`` settles the messages a killed send left with an unknown
    fate: ``sent`` records them as delivered, ``retry`` sends them again.
    """
    from kehoach.delivery.reportset import read_manifest

    p = Period.parse(period)
    folder, log_ward = report_folder(p, ward_code(ward))
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise MailError(f"Chưa có báo cáo kỳ {p} trong {folder}. Chạy `kehoach run --period {p}` trước.")
    manifest = read_manifest(manifest_path)
    check_inputs_unchanged(manifest)
    settings = load_settings(settings_file)
    warning = None if dry_run else settings.smtp.plaintext_auth()  # refuse a clear-text password before anything else
    if warning:
        log.warning(warning)
    summary = summarize(folder)
    files = Files()
    chosen = [r for r in settings.recipients if ward is None or r.ward in (None, ward)]
    items = [Outgoing(r, *wanted_reports(r, folder, manifest)) for r in chosen]
    domain = settings.smtp.sender_address.domain or "kehoach.local"
    for item in items:
        item.content_sha256 = content_hash(item.recipient, item.attachments, as_zip, item.missing, files)
        item.message_id = f"<{item.content_sha256[:32]}.{p}@{domain}>"
    check_sizes(summary, items, settings.smtp, as_zip, files)  # a size or body error stops before anything is sent
    warnings = [warning] if warning else []
    missing = sorted({title for item in items for title in item.missing})
    if missing:
        warnings.append(f"{len(missing)} báo cáo bị lỗi khi lập, không được gửi kèm (thư có ghi rõ): {'; '.join(missing)}.")
    with send_lock(p, log_ward):
        if dry_run:
            return SendResult(str(p), items, write_outbox(folder / "outbox", items, summary, settings.smtp, as_zip, files),
                              warnings)
        todo = _todo(p, log_ward, items, resend, unknown)
        if todo:
            deliver(settings.smtp, todo, p, log_ward, lambda item: build_message(
                summary, item.recipient, item.attachments, settings.smtp, as_zip, item.missing,
                None if resend else item.message_id, files))
    unsure = [i for i in items if i.outcome == "unknown"]
    if unsure:
        warnings.append(f"{len(unsure)} thư không rõ đã tới người nhận hay chưa (lần gửi trước bị dừng giữa chừng): "
                        f"{', '.join(i.recipient.email for i in unsure)}. Chúng không được gửi lại tự động. Hỏi người nhận, "
                        f"rồi chạy `kehoach send --period {p}{f' --ward {ward}' if ward else ''} --unknown sent` nếu họ đã "
                        f"nhận, hoặc `... --unknown retry` để gửi lại.")
    return SendResult(str(p), items, warnings=warnings)


def _todo(p: Period, ward: str | None, items: list[Outgoing], resend: bool,
          unknown: Literal["sent", "retry"] | None) -> list[Outgoing]:
    """The messages to send now; the others are marked skipped (sent before) or unknown (fate unknown)."""
    states = {} if resend else send_states(p, ward)
    todo = []
    for item in items:
        state = states.get(item.content_sha256, {}).get("state")
        if state == "sending" and unknown == "sent":
            record(p, item, "sent", ward)
            state = "sent"
        if state == "sent":
            item.outcome = "skipped"
        elif state == "sending" and unknown != "retry":
            item.outcome, item.error = "unknown", "lần gửi trước bị dừng khi máy chủ đang nhận thư này"
        else:
            todo.append(item)
    return todo


def check_sizes(summary: Summary, items: list[Outgoing], smtp: SmtpSettings, as_zip: bool, files: Files) -> None:
    """Build the largest message of each kind of message once and check its sizes (raises :class:`MailError`)."""
    kinds: dict[tuple, Outgoing] = {}
    for item in items:
        key = (tuple(item.attachments), tuple(item.missing))
        if key not in kinds or len(str(item.recipient.address)) > len(str(kinds[key].recipient.address)):
            kinds[key] = item
    for item in kinds.values():
        build_message(summary, item.recipient, item.attachments, smtp, as_zip, item.missing, item.message_id, files)


def deliver(smtp: SmtpSettings, items: list[Outgoing], period: Period, ward: str | None,
            build: "Callable[[Outgoing], EmailMessage]") -> None:
    """Send each message, built one at a time; a refused recipient is reported and the others still go out.

    The send log says ``sending`` before the message goes and ``sent`` after the server accepted
    it; a connection lost while the server has the message leaves it ``sending`` (fate unknown).
    """
    try:
        server = connect(smtp)
    except MailError as exc:
        for item in items:
            item.outcome, item.error = "failed", str(exc)
        return
    try:
        for item in items:
            message = build(item)
            item.message_id = message["Message-ID"]
            record(period, item, "sending", ward)
            try:
                server.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                item.outcome, item.error = "failed", _refusal(item, exc)
                record(period, item, "failed", ward)
            except (smtplib.SMTPException, OSError) as exc:
                item.outcome, item.error = "unknown", f"mất kết nối với máy chủ thư khi đang gửi ({type(exc).__name__}: {exc})"
                server = _reconnect(smtp, server)
            else:
                item.outcome = "sent"
                record(period, item, "sent", ward)
                log.info("sent %s to %s", item.message_id, item.recipient.email)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            pass


def _refusal(item: Outgoing, exc: smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reason = next(iter(exc.recipients.values()))
        return f"máy chủ từ chối người nhận {item.recipient.email}: {code} {reason.decode(errors='replace')}"
    return f"máy chủ từ chối thư gửi {item.recipient.email}: {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"


def _reconnect(smtp: SmtpSettings, server: smtplib.SMTP) -> smtplib.SMTP:
    try:
        server.close()
        return connect(smtp)
    except MailError:
        return server


def write_outbox(outbox: Path, items: list[Outgoing], summary: Summary, smtp: SmtpSettings, as_zip: bool,
                 files: Files) -> Path:
    """Each message as ``.eml``, built and written one at a time."""
    outbox.mkdir(parents=True, exist_ok=True)
    for index, item in enumerate(items, start=1):
        name = f"{index:02d}_{item.recipient.email.replace('@', '_at_')}.eml"
        message = build_message(summary, item.recipient, item.attachments, smtp, as_zip, item.missing, item.message_id, files)
        atomic_write(outbox / name, message.as_bytes(), mode=0o600)
        item.outcome = "written"
    return outbox
