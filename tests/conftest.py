"""Shared fixtures: the project's plan, and a throw-away workbench root in ``tmp_path``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kehoach.plan import Plan, load_plan

PROJECT = Path(__file__).resolve().parents[1]
PLAN_FILE = PROJECT / "data" / "plan" / "phan-dinh-phung-2026.yaml"


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(PLAN_FILE)


@pytest.fixture
def workbench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workbench root with the real plan and parameters, pointed to by KEHOACH_ROOT."""
    root = tmp_path / "wb"
    (root / "data" / "plan").mkdir(parents=True)
    shutil.copy(PLAN_FILE, root / "data" / "plan" / PLAN_FILE.name)
    if (PROJECT / "parameters").exists():
        shutil.copytree(PROJECT / "parameters", root / "parameters")
    monkeypatch.setenv("KEHOACH_ROOT", str(root))
    return root
