"""Per-period run parameters (``parameters/2026-Q3.yaml``), validated with pydantic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kehoach.core import config
from kehoach.core.errors import KehoachError
from kehoach.core.period import Period


#: "Nơi nhận" of the overview report, before "- Lưu: VT, VP." (set `recipients` in parameters/<period>.yaml).
DEFAULT_RECIPIENTS = ("UBND tỉnh Thái Nguyên (b/c)", "Thường trực Đảng ủy phường (b/c)", "Thường trực HĐND phường",
                      "Chủ tịch, các Phó Chủ tịch UBND phường", "Các đơn vị chủ trì")


class PeriodParameters(BaseModel):
    """What one quarterly run needs beyond the data: dates, thresholds, folders."""

    model_config = ConfigDict(extra="allow", frozen=True)

    period: str = Field(pattern=r"^\d{4}-Q[1-4]$")
    ward: str | None = None
    year: int | None = None
    report_date: dt.date | None = None  # empty: "ngày … tháng … năm", left for the date of signing
    deadline: dt.date
    behind_threshold: float = Field(default=0.8, gt=0, le=1)
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
            raise KehoachError(f"{path}: no parameters for {p}. Copy another period's file and adjust its dates.")
        return default_parameters(p)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        params = PeriodParameters.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise KehoachError(f"{path}: invalid parameters: {exc}") from None
    if params.p != p:
        raise KehoachError(f"{path}: the file says period {params.period}, expected {p}. Fix the 'period' field.")
    return params
