"""Small builders shared by tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from kehoach.forms import fill_form, write_template
from kehoach.plan import Plan
from kehoach.progress import VN_TZ, ProgressStore

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
            for p in sorted(store.root.rglob("*")) if p.is_file()}
