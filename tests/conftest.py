"""Shared fixtures: the project's plan, and a throw-away workbench root in ``tmp_path``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kehoach.data.plan import Plan, load_plan

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


PERIODS = ["2026-Q1", "2026-Q3"]  # a quarter and the 9 months: two batches serve every test
SCRIPT_NOTE = "<script>alert('x')</script> & ghi chú"


def make_workbench(root: Path) -> Path:
    for sub in ("data", "parameters", "notebooks"):
        shutil.copytree(PROJECT / sub, root / sub)
    (root / "reports").mkdir()
    return root


#: Fixtures that start kernels: a test using one must be marked slow (``make test-fast`` leaves it out).
SLOW_FIXTURES = {"runs"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups to route the tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """xdist groups (``--dist loadgroup``): the tests of the session's batches on one worker, which builds
    them once; any other test with the rest of its file, so a file's module fixtures (a synthetic
    province, the sample data, a report's sections) are built once, not once per worker, unless the
    file sets ``SPREAD = True`` (independent tests, spread over the workers). A test using the
    batches must be marked slow."""
    unmarked = [i.nodeid for i in items if SLOW_FIXTURES & set(i.fixturenames) and i.get_closest_marker("slow") is None]
    if unmarked:
        raise pytest.UsageError(f"tests using {', '.join(sorted(SLOW_FIXTURES))} must be marked slow: {', '.join(unmarked)}")
    for item in items:
        if "runs" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("runs"))
        elif not getattr(item.module, "SPREAD", False):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    root = make_workbench(tmp_path_factory.mktemp("run") / "wb")
    old = os.environ.get("KEHOACH_ROOT")
    os.environ["KEHOACH_ROOT"] = str(root)
    try:
        _add_script_note(root)
        from kehoach.delivery.batch import run_period

        results = {p: run_period(p, jobs=2) for p in PERIODS}
    finally:
        if old is None:
            os.environ.pop("KEHOACH_ROOT", None)
        else:
            os.environ["KEHOACH_ROOT"] = old
    return root, results


def _add_script_note(root: Path) -> None:
    """A unit note that tries to inject a script: it must show as text."""
    import datetime as dt

    from kehoach.data.plan import load_plan
    from kehoach.data.store import ProgressStore
    from kehoach.data.submission import import_file

    csv = root / "note.csv"
    csv.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note,submitted_at\n"
                   f'phan-dinh-phung,2026,PVHCC,9,2026-Q3,99,false,"{SCRIPT_NOTE}",2026-10-04T08:00:00+07:00\n',
                   encoding="utf-8")
    import_file(csv, load_plan(root / "data" / "plan" / "phan-dinh-phung-2026.yaml"), ProgressStore(root / "data" / "progress"),
                today=dt.date(2026, 11, 29), now=dt.datetime(2026, 10, 4, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
