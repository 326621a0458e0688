"""The store at the command line: rebuild from the archive, export for the analyst, outputs that never destroy a file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kehoach.cli import main
from kehoach.core.errors import StoreError, UsageError
from kehoach.data.plan import load_plan
from kehoach.delivery.bundles import build_province
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file
from tests.conftest import PLAN_FILE, PROJECT

WARD = "phan-dinh-phung"


@pytest.fixture
def sample_workbench(workbench):
    shutil.copytree(PROJECT / "data" / "progress", workbench / "data" / "progress",
                    ignore=shutil.ignore_patterns("records.sqlite*", "*.lock"))
    return workbench


def _inputs(root: Path, folder: Path) -> dict[str, bytes]:
    from kehoach.reporting import context

    ctx = context.compute("2026-Q3", data_dir=root / "data", as_of="2026-11-29")
    context.write(ctx, folder)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_rebuilt_database_gives_byte_identical_report_inputs(sample_workbench, tmp_path, capsys):
    """The committed archive alone (no database) builds the store; delete it, rebuild, and the report inputs are identical."""
    first = _inputs(sample_workbench, tmp_path / "a")
    db = ProgressStore(sample_workbench / "data" / "progress").records_path(WARD, 2026)
    assert db.exists()
    db.unlink()
    assert main(["store", "rebuild"]) == 0
    assert f"✓ {WARD}/2026: đã dựng lại 387 bản ghi từ 38 lần nhập trong kho lưu trữ" in capsys.readouterr().out
    assert _inputs(sample_workbench, tmp_path / "b") == first


def test_export_writes_every_revision_formula_safe(workbench, tmp_path, capsys):
    csv = tmp_path / "note.csv"
    csv.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note\n"
                   f"{WARD},2026,PVHCC,9,2026-Q3,99,false,=HYPERLINK(\"x\")\n", encoding="utf-8")
    assert main(["import", str(csv)]) == 0
    out = tmp_path / "so-lieu.csv"
    assert main(["export", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("ward,year,record,indicator,task,period,revision,value")
    assert "'=HYPERLINK" in text and len(text.splitlines()) == 2
    assert main(["export", "-o", str(out)]) == UsageError.exit_code
    assert "đã có; không ghi đè" in capsys.readouterr().err


def test_template_never_overwrites_nor_writes_into_the_store(workbench, tmp_path, capsys):
    form = tmp_path / "returned.xlsx"
    form.write_bytes(b"a form a unit already sent back")
    assert main(["template", "--unit", "KTHT", "--period", "2026-Q3", "-o", str(form)]) == UsageError.exit_code
    assert "đã có; không ghi đè (có thể là biểu mẫu một đơn vị đã gửi lại)" in capsys.readouterr().err
    assert form.read_bytes() == b"a form a unit already sent back"
    assert main(["template", "--unit", "KTHT", "--period", "2026-Q3", "-o", str(form), "--force"]) == 0
    assert form.read_bytes().startswith(b"PK")
    store_file = workbench / "data" / "progress" / WARD / "2026" / "records.sqlite"
    for target in (store_file, store_file.parent / "archive" / "x.xlsx"):
        assert main(["template", "--unit", "KTHT", "--period", "2026-Q3", "-o", str(target), "--force"]) == UsageError.exit_code
        assert "nằm trong kho số liệu" in capsys.readouterr().err
        assert not target.exists()
    assert main(["template", "--unit", "KTHT", "--period", "2026-Q3", "-o", "/dev/full", "--force"]) == UsageError.exit_code
    assert "không phải tệp thường" in capsys.readouterr().err


def test_sample_province_refuses_zero_and_negative_sizes(tmp_path, capsys):
    for size in ("0", "-3"):
        with pytest.raises(SystemExit) as exit_:
            main(["--root", str(tmp_path / "w"), "sample-data", "--province", size])
        assert exit_.value.code == 2
        assert "cần một số nguyên dương" in capsys.readouterr().err
    with pytest.raises(UsageError, match="phải là số nguyên dương, không phải 0"):
        build_province(0, tmp_path / "w", load_plan(PLAN_FILE))
    assert not (tmp_path / "w").exists()


def test_sample_province_refuses_a_ward_workspace_with_real_records(tmp_path):
    root = tmp_path / "ward"
    plan = load_plan(PLAN_FILE)
    csv = tmp_path / "real.csv"
    csv.write_text(f"ward,year,unit_code,indicator,period,value,is_estimate,note\n{WARD},2026,PVHCC,9,2026-Q3,99,false,\n", encoding="utf-8")
    import_file(csv, plan, ProgressStore(root / "data" / "progress"), today=dt.date(2026, 11, 29))
    with pytest.raises(StoreError, match="là không gian làm việc có số liệu thật"):
        build_province(2, root, plan)
    assert not (root / "data" / "plan").exists()
