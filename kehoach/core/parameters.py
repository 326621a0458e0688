"""Per-period run parameters (``parameters/2026-Q3.yaml``), validated with pydantic."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kehoach.core import config
from kehoach.core.errors import KehoachError
from kehoach.core.files import MAX_YAML_BYTES, load_yaml, read_text
from kehoach.core.period import Period

log = logging.getLogger(__name__)

#: "Nơi nhận" of the overview report, before "- Lưu: VT, VP." (set `recipients` in parameters/<period>.yaml).
#: ``{ward_kind}`` and ``{province}`` are filled from the plan: phường, xã or đặc khu, and its province.
DEFAULT_RECIPIENTS = ("UBND tỉnh {province} (b/c)", "Thường trực Đảng ủy {ward_kind} (b/c)", "Thường trực HĐND {ward_kind}",
                      "Chủ tịch, các Phó Chủ tịch UBND {ward_kind}", "Các đơn vị chủ trì")


class PeriodParameters(BaseModel):
    """What one quarterly run needs beyond the data: dates, thresholds, folders."""

    model_config = ConfigDict(extra="allow", frozen=True)

    period: str = Field(pattern=r"^\d{4}-Q[1-4]$")
    ward: str | None = None
    year: int | None = None
    report_date: dt.date | None = None  # empty: "ngày … tháng … năm", left for the date of signing
    deadline: dt.date
    behind_threshold: float = Field(default=0.8, gt=0, le=1)
    #: The longest one cell of a report notebook may run, in seconds; a longer one fails that report, named.
    execution_timeout_s: int = Field(default=600, gt=0, le=86400)
    # The document (Nghị định 30/2020): number, recipients, who signs. Empty values are left blank to fill in.
    document_number: str = ""
    recipients: list[str] = Field(default_factory=lambda: list(DEFAULT_RECIPIENTS))
    signer_authority: str = "TM. ỦY BAN NHÂN DÂN"
    signer_title: str = "CHỦ TỊCH"
    signer_name: str = ""

    @field_validator("report_date", mode="before")
    @classmethod
    def _blank_date(cls, value: object) -> object:
        return None if value in ("", None) else value
    data_dir: str = "data"
    output_dir: str | None = None

    @property
    def p(self) -> Period:
        return Period.parse(self.period)

    def for_ward(self, ward: str) -> PeriodParameters:
        """These parameters for ``ward``'s reports: a file written for another ward lends its dates and thresholds,
        not its document (its "Nơi nhận" names that ward's bodies, its number and signer are that ward's)."""
        if self.ward is None or self.ward == ward:
            return self
        log.warning("Tệp tham số kỳ %s ghi địa bàn %s; báo cáo của %s dùng nơi nhận mặc định, để trống số văn bản và "
                    "người ký. Muốn ghi riêng cho %s, dùng một thư mục làm việc riêng (--root).", self.period, self.ward,
                    ward, ward)
        return self.model_copy(update={"ward": ward, "recipients": list(DEFAULT_RECIPIENTS), "document_number": "",
                                       "signer_name": ""})


def default_parameters(period: str | Period) -> PeriodParameters:
    """Parameters for a period with no file: deadline 5 days and report 10 days after quarter end."""
    p = Period.parse(period)
    return PeriodParameters(
        period=str(p),
        year=p.year,
        report_date=p.end + dt.timedelta(days=10),
        deadline=p.end + dt.timedelta(days=5),
        output_dir=f"reports/{p}",
    )


def load_parameters(period: str | Period, directory: Path | None = None, required: bool = False) -> PeriodParameters:
    """Read ``parameters/<period>.yaml``; without a file, the defaults (or an error if ``required``)."""
    p = Period.parse(period)
    path = (directory or config.parameters_dir()) / f"{p}.yaml"
    if not path.exists():
        if required:
            raise KehoachError(f"{path}: chưa có tham số cho kỳ {p}. Sao chép tệp của một kỳ khác rồi sửa các ngày.")
        return default_parameters(p)
    raw = load_yaml(read_text(path, "tệp tham số", MAX_YAML_BYTES), str(path)) or {}
    if not isinstance(raw, dict):
        raise KehoachError(f"{path}: tệp tham số phải là một bảng YAML (period, report_date, deadline, ...).")
    try:
        params = PeriodParameters.model_validate(raw)
    except ValidationError as exc:
        raise KehoachError(f"{path}: tham số không hợp lệ: {validation_summary(exc)}. Sửa các trường trên rồi chạy lại.") from None
    if params.p != p:
        raise KehoachError(f"{path}: tệp ghi kỳ {params.period}, cần kỳ {p}. Sửa trường 'period'.")
    return params


#: Vietnamese for pydantic's error types (its own messages are English).
_REASONS = {
    "missing": "thiếu trường này", "extra_forbidden": "trường không được phép",
    "int_parsing": "phải là số nguyên", "int_type": "phải là số nguyên", "int_from_float": "phải là số nguyên",
    "float_parsing": "phải là số", "float_type": "phải là số", "bool_parsing": "phải là true hoặc false",
    "bool_type": "phải là true hoặc false", "string_type": "phải là chữ (đặt trong dấu nháy)",
    "date_parsing": "phải là ngày dạng NĂM-THÁNG-NGÀY (ví dụ 2026-10-05)", "date_type": "phải là ngày dạng NĂM-THÁNG-NGÀY",
    "date_from_datetime_parsing": "phải là ngày dạng NĂM-THÁNG-NGÀY", "datetime_parsing": "phải là thời điểm dạng ISO 8601",
    "list_type": "phải là một danh sách (các dòng bắt đầu bằng “- ”)", "dict_type": "phải là một bảng (các dòng “khóa: giá trị”)",
    "model_type": "phải là một bảng (các dòng “khóa: giá trị”)", "string_pattern_mismatch": "không đúng dạng quy định",
    "string_too_long": "quá dài", "string_too_short": "quá ngắn", "too_long": "có quá nhiều mục", "too_short": "có quá ít mục",
    "greater_than": "phải lớn hơn {gt}", "greater_than_equal": "phải từ {ge} trở lên", "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải không quá {le}", "literal_error": "phải là một trong: {expected}", "enum": "phải là một trong: {expected}",
    "frozen_instance": "không được sửa", "union_tag_invalid": "loại không hợp lệ",
}


def reason(error: dict) -> str:
    """One pydantic error's reason in Vietnamese; a validator's own message (already Vietnamese) as written."""
    if error["type"] in ("value_error", "assertion_error"):
        return error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = _REASONS.get(error["type"])
    if text is None:
        return f"giá trị không hợp lệ (lỗi kiểu {error['type']})"
    try:
        return text.format(**{k: v for k, v in (error.get("ctx") or {}).items()})
    except (KeyError, IndexError):
        return text.split(" {")[0]


def validation_summary(exc: ValidationError) -> str:
    """Pydantic errors as "field: reason" in Vietnamese, without the offending values (a value may be a secret)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "(tệp)"
        parts.append(f"{where}: {reason(error)}")
    return "; ".join(parts)
