"""Sending a quarter to the province: a commune's bundle, and the synthetic province built through bundles.

:func:`make_bundle` is ``kehoach bundle``: the commune's plan, its store up to the period and its
units' completeness (computed here, above the data layer) written by :func:`kehoach.data.bundle.write_bundle`.

:func:`build_province` is ``kehoach sample-data --province N``: every commune is a workspace of its
own (``<root>/communes/<code>/``: its plan, parameters and store, its units' forms imported through
the import path), which makes its bundle for the last quarter; the province workspace ``<root>``
then imports the bundles (:func:`kehoach.data.bundle.import_bundle`). There is no other way into the
province's store.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import shutil
import tempfile
from pathlib import Path

from kehoach.analysis.completeness import completeness
from kehoach.core import config
from kehoach.core.errors import StoreError, UsageError
from kehoach.core.parameters import load_parameters
from kehoach.core.period import VN_TZ, Period
from kehoach.data import province_sample as sample
from kehoach.data.bundle import (BundleManifest, CommuneEntry, ProvinceList, bundle_name, import_bundle, is_province,
                                 load_province_list, province_dir, write_bundle, write_province_list)
from kehoach.data.forms import ILLUSTRATIVE
from kehoach.data.plan import Plan, load_plan
from kehoach.data.store import ProgressStore

log = logging.getLogger(__name__)

#: The period the synthetic communes send (everything up to it).
SENT = Period(sample.YEAR, 3)
COMMUNES_DIR = "communes"


def make_bundle(plan: Plan, period: Period, output: Path, data_dir: Path | None = None, parameters_dir: Path | None = None,
                created_at: dt.datetime | None = None) -> BundleManifest:
    """Write the bundle of ``plan``'s commune for ``period`` to ``output``, from the workspace's store and parameters."""
    data_dir = Path(data_dir) if data_dir else config.data_dir()
    snapshot = ProgressStore(data_dir / "progress").snapshot(plan.ward, plan.year)
    params = load_parameters(period, parameters_dir)
    table = completeness(plan, snapshot.records, period, params.deadline)
    return write_bundle(plan, snapshot, period, table, output, created_at)


# -- the synthetic province ------------------------------------------------------------------------
def _bundle_times(c: sample.Commune) -> tuple[dt.datetime, dt.datetime]:
    """When a synthetic commune makes its bundle and when the province receives it; about one in five is late."""
    rng = random.Random(c.seed * 13 + 5)
    deadline = sample.BUNDLE_DEADLINES[SENT.quarter]
    day = deadline + dt.timedelta(days=2 + c.seed % 4) if rng.random() < 0.2 else deadline - dt.timedelta(days=1 + c.seed % 3)
    made = dt.datetime.combine(day, dt.time(15, 0), VN_TZ)
    return made, made + dt.timedelta(minutes=30 + c.seed % 60)


def build_province(count: int, root: Path, base: Plan, force: bool = False) -> list[str]:
    """Build the synthetic province of ``count`` communes in the workspace ``root``, through bundles; returns messages.

    Refuses the project's own folder, and a workspace that holds real (unmarked) data.
    """
    root = Path(root).resolve()
    if root == config.PACKAGE_DIR.parent.resolve():
        raise StoreError(f"Không tạo tỉnh minh họa trong thư mục dự án {root}: chọn một thư mục làm việc riêng bằng --root "
                         "(ví dụ --root ~/tinh-minh-hoa) hoặc biến môi trường KEHOACH_ROOT.")
    if count < 1:
        raise UsageError(f"Số xã, phường của tỉnh minh họa phải là số nguyên dương, không phải {count}.")
    data = root / "data"
    store = ProgressStore(data / "progress")
    for ward, year in store.stores():  # a workspace with real records is not a place for a synthetic province
        records = store.read(ward, year)
        if not records["illustrative"].fillna(False).astype(bool).all():
            raise StoreError(f"{root} là không gian làm việc có số liệu thật ({store.folder(ward, year)}); không tạo tỉnh minh họa "
                             "ở đây. Chọn một thư mục riêng bằng --root.")
    chosen = sample.communes(count)
    existing = [c for c in chosen if (root / COMMUNES_DIR / c.code).exists() or store.folder(c.code, sample.YEAR).exists()]
    if existing and not force:
        return [f"{root} đã có số liệu của {len(existing)} xã, phường minh họa; thêm --force để tạo lại."]
    if existing:  # the sample's own illustrative province goes, with its register: it is built again below
        shutil.rmtree(province_dir(data), ignore_errors=True)
        for c in existing:
            shutil.rmtree(root / COMMUNES_DIR / c.code, ignore_errors=True)
            shutil.rmtree(store.folder(c.code, sample.YEAR), ignore_errors=True)
            (data / "plan" / f"{c.code}-{sample.YEAR}.yaml").unlink(missing_ok=True)
    sample.write_parameters(root, province=True)
    entries = [CommuneEntry(code=c.code, name=c.name, kind=c.kind) for c in chosen]
    if is_province(data):
        known = load_province_list(data)
        entries = [*known.communes, *[e for e in entries if known.commune(e.code) is None]]
    write_province_list(data, ProvinceList(province=base.document.province, year=sample.YEAR, communes=entries))
    forms = 0
    with tempfile.TemporaryDirectory(prefix="kehoach-province-") as tmp:
        for c in chosen:
            workspace = root / COMMUNES_DIR / c.code
            (workspace / "data" / "plan").mkdir(parents=True, exist_ok=True)
            sample.write_parameters(workspace)
            path = workspace / "data" / "plan" / f"{c.code}-{sample.YEAR}.yaml"
            path.write_text(sample.plan_yaml(sample.commune_plan(base, c), c), encoding="utf-8")
            plan = load_plan(path)
            forms += sample.build_commune(plan, base, c, ProgressStore(workspace / "data" / "progress"), Path(tmp))
            made, received = _bundle_times(c)
            zipped = workspace / "gui-tinh" / bundle_name(c.code, SENT)
            make_bundle(plan, SENT, zipped, workspace / "data", workspace / "parameters", created_at=made)
            import_bundle(data, zipped, now=received)
    return [f"Đã tạo {len(chosen)} xã, phường minh họa ({ILLUSTRATIVE}) trong {root}: mỗi xã, phường một không gian làm việc "
            f"ở {root / COMMUNES_DIR} ({forms} biểu báo cáo đã nhập qua kehoach import), mỗi nơi gửi gói kỳ {SENT} "
            f"(kehoach bundle) và tỉnh đã nhập {len(chosen)} gói (kehoach province import).",
            f"Gói của một xã, phường: kehoach --root {root / COMMUNES_DIR / chosen[0].code} bundle --period {SENT}",
            f"Xem tình hình nhận gói: kehoach --root {root} province status --period {SENT}",
            f"Lập báo cáo: kehoach --root {root} run --period {SENT} --ward all"]
