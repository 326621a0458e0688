"""Small builders shared by tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd

from kehoach.data.forms import fill_form, write_template
from kehoach.data.plan import Plan
from kehoach.core.period import VN_TZ
from kehoach.data.store import ProgressStore

TODAY = dt.date(2026, 11, 29)
NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=VN_TZ)


def make_form(plan: Plan, tmp_path: Path, unit: str, period: str, values: dict, tasks: dict | None = None,
              name: str | None = None, submitted_on: dt.date | None = dt.date(2026, 10, 2)) -> Path:
    path = write_template(plan, unit, period, tmp_path / (name or f"{period}_{unit}.xlsx"))
    fill_form(path, values, tasks, submitted_on=submitted_on)
    return path


def snapshot(store: ProgressStore) -> dict[str, str]:
    """Every file under the store with its checksum, to prove a rejected import wrote nothing."""
    if not store.root.exists():
        return {}
    return {str(p.relative_to(store.root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(store.root.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def indicator(number: int, kind: str, target: float, comparison: str = ">=", unit: str = "%",
              frequency: str = "quarterly", ward: str = "w", group: str = "G1", unit_code: str = "U1") -> dict:
    return {"ward": ward, "year": 2026, "number": number, "group": group, "group_name": f"Nhóm {group}",
            "name": f"Chỉ tiêu {number}", "label": f"Chỉ tiêu {number}", "unit": unit, "unit_code": unit_code,
            "unit_name": f"Đơn vị {unit_code}", "kind": kind, "frequency": frequency, "comparison": comparison,
            "target": float(target), "target_text": str(target), "target_noun": "kế hoạch", "notes": None}


def values(rows: list[tuple], ward: str = "w") -> pd.DataFrame:
    """rows: (indicator, period, value[, is_estimate])."""
    return pd.DataFrame([{
        "ward": ward, "year": 2026, "indicator": r[0], "period": r[1], "value": float(r[2]),
        "is_estimate": r[3] if len(r) > 3 else False, "revision": 1,
        "submitted_at": pd.Timestamp("2026-07-03T01:00:00Z"), "note": None,
    } for r in rows])


def one_revision_per_key_broken(records: pd.DataFrame) -> bool:
    """Whether two stored records share a key and a revision (a text's key adds its unit and item)."""
    unit = records["unit_code"].where(records["record"] == "text", "")
    keys = records.assign(_unit=unit)[["record", "indicator", "task", "_unit", "item", "period", "revision"]]
    return bool(keys.astype("string").duplicated().any())
