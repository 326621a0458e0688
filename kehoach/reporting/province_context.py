"""What the province report works from: every commune's evaluated period, gathered once and passed as files.

:func:`gather` builds a :class:`ProvinceContext` from the communes' report contexts (the same
:class:`~kehoach.reporting.context.ReportContext` each commune's reports were built from) and
how their reports went. :func:`write` saves it into the province report's ``inputs/`` (Parquet
and ``inputs.json`` with checksums), :func:`read` loads it back, checking every file; the
province notebook calls :func:`load`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kehoach.core import config
from kehoach.core.errors import KehoachError
from kehoach.core.parameters import PeriodParameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data.bundle import STATUS_COLUMNS, bundle_deadline, is_province, province_status
from kehoach.reporting.context import ReportContext, read_frames, write_frames

FRAMES = ("frame", "communes", "completeness", "bundles")
#: Commune table columns: identity, weight, and where its reports are relative to the province report.
COMMUNE_COLUMNS = ["ward", "ward_name", "ward_kind", "population", "folder", "reports", "failed", "failed_names", "error"]


@dataclass
class ProvinceContext:
    """Everything the province report of one period is built from."""

    period: Period
    params: PeriodParameters
    province: str                  # "Thái Nguyên"
    cutoff: dt.datetime
    frame: pd.DataFrame            # every commune's evaluated rows for the period, with ward_name
    communes: pd.DataFrame         # COMMUNE_COLUMNS
    completeness: pd.DataFrame     # every commune's units: due, submitted, timeliness
    illustrative: bool
    #: Every commune of the province's list: its bundle for the period (:func:`kehoach.data.bundle.province_status`);
    #: empty in a workspace that is not a province's (no ``data/province/province.yaml``).
    bundles: pd.DataFrame

    @property
    def issuer(self) -> str:
        return f"ỦY BAN NHÂN DÂN TỈNH {self.province.upper()}"


@dataclass
class CommuneOutcome:
    """How one commune's reports went in this run (or why it has none)."""

    ward: str
    ctx: ReportContext | None
    reports: int = 0
    failed: list[str] | None = None
    error: str = ""
    ward_name: str = ""


def gather(period: Period, params: PeriodParameters, outcomes: list[CommuneOutcome], cutoff: dt.datetime) -> ProvinceContext:
    """The province context: the communes' current evaluations side by side, and how their reports went."""
    frames, completeness, communes, provinces = [], [], [], []
    for o in outcomes:
        ctx = o.ctx
        doc = ctx.plan.document if ctx else None
        name = f"{doc.ward_kind.capitalize()} {doc.ward}" if doc else (o.ward_name or o.ward)
        if ctx is not None:
            frames.append(ctx.current.assign(ward_name=name))
            completeness.append(ctx.completeness.assign(ward_name=name))
            provinces.append(doc.province)
        communes.append({"ward": o.ward, "ward_name": name, "ward_kind": doc.ward_kind if doc else "",
                         "population": float(doc.population) if doc and doc.population else float("nan"),
                         "folder": o.ward, "reports": o.reports, "failed": len(o.failed or []),
                         "failed_names": ", ".join(o.failed or []), "error": o.error})
    if not frames:
        raise KehoachError(f"Không có xã, phường nào có số liệu kỳ {period}; chưa lập được báo cáo của tỉnh.")
    province = pd.Series(provinces).mode().iloc[0]
    data = config.resolve(params.data_dir)
    bundles = (province_status(data, period, bundle_deadline(params), today=cutoff.astimezone(VN_TZ).date())
               if is_province(data) else pd.DataFrame(columns=STATUS_COLUMNS))
    return ProvinceContext(bundles=bundles, period=period, params=params, province=province, cutoff=cutoff,
                           frame=pd.concat(frames, ignore_index=True),
                           communes=pd.DataFrame(communes, columns=COMMUNE_COLUMNS),
                           completeness=pd.concat(completeness, ignore_index=True),
                           illustrative=any(o.ctx.illustrative for o in outcomes if o.ctx))


def write(pctx: ProvinceContext, folder: Path) -> Path:
    """Save the province inputs into ``folder`` (the province report's ``inputs/``), each file atomically."""
    manifest = {"period": str(pctx.period), "province": pctx.province, "cutoff": pctx.cutoff.isoformat(),
                "illustrative": pctx.illustrative, "parameters": json.loads(pctx.params.model_dump_json())}
    return write_frames(folder, {name: getattr(pctx, name) for name in FRAMES}, manifest)


def read(folder: Path) -> ProvinceContext:
    """Load the inputs saved by :func:`write`, checking each file against its recorded checksum."""
    manifest, frames = read_frames(folder, FRAMES, "kehoach run --ward all")
    return ProvinceContext(period=Period.parse(manifest["period"]), params=PeriodParameters.model_validate(manifest["parameters"]),
                           province=manifest["province"], cutoff=dt.datetime.fromisoformat(manifest["cutoff"]),
                           illustrative=bool(manifest["illustrative"]), **frames)


def load(period: str, inputs: str = "inputs", report_folder: str = "") -> ProvinceContext:
    """The province notebook's entry point: the run's saved inputs (in the kernel's folder, else under ``report_folder``)."""
    path = Path(inputs)
    if not path.is_absolute():
        here = Path.cwd() / path
        path = here if (here / "inputs.json").exists() else config.resolve(report_folder or ".") / path
    pctx = read(path)
    if str(pctx.period) != str(Period.parse(period)):
        raise KehoachError(f"Số liệu đầu vào ở {path} là của kỳ {pctx.period}, không phải {period}.")
    return pctx
