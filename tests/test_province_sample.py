"""The synthetic province (kehoach.data.province_sample) and `kehoach sample-data --province`."""

from __future__ import annotations

import pandas as pd
import pytest

from kehoach.cli import main
from kehoach.core.errors import StoreError
from kehoach.data.plan import list_plans, load_plan
from kehoach.data.province_sample import SHARED, communes
from kehoach.delivery.bundles import build_province
from kehoach.data.store import ProgressStore
from tests.conftest import PLAN_FILE, PROJECT


pytestmark = pytest.mark.slow  # builds a synthetic province: communes imported form by form

@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("p") / "tinh"
    messages = build_province(6, root, load_plan(PLAN_FILE))
    return root, messages


def test_communes_are_distinct_and_deterministic():
    first, again = communes(92), communes(92)
    assert first == again and len({c.code for c in first}) == 92 and len({c.name for c in first}) == 92
    assert sum(c.kind == "phường" for c in first) == 16
    with pytest.raises(StoreError, match="Số xã, phường minh họa phải từ 1 đến"):
        communes(0)


def test_each_commune_has_its_own_plan_sharing_about_twenty_codes(province):
    root, messages = province
    entries = list_plans(root / "data" / "plan")
    assert len(entries) == 6 and {e.year for e in entries} == {2026}
    plans = [load_plan(e.path) for e in entries]
    codes = [{i.code for i in p.indicator_list} for p in plans]
    assert set.intersection(*codes) >= set(SHARED) and len(SHARED) == 20
    assert len({frozenset(c) for c in codes}) > 1  # plans differ in which indicators they hold
    targets = {p.indicator_by_code("thu-ngan-sach").target for p in plans}
    assert len(targets) == 6  # and in their targets
    assert all(p.document.population and [u.code for u in p.reporting_units] == ["KTHT", "VHXH", "VP"] for p in plans)
    assert "Số liệu minh họa" in plans[0].document.title and "Đã tạo 6 xã, phường minh họa" in messages[0]


def test_the_closing_hints_are_the_readmes_commands(province):
    root, messages = province
    first = communes(6)[0].code
    assert messages[1:] == [f"Gói của một xã, phường: kehoach --root {root / 'communes' / first} bundle --period 2026-Q3",
                            f"Xem tình hình nhận gói: kehoach --root {root} province status --period 2026-Q3",
                            f"Lập báo cáo: kehoach --root {root} run --period 2026-Q3 --ward all"]
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for hint in messages[1:]:
        command = hint.split(": ", 1)[1].replace(str(root), "~/tinh-minh-hoa").replace(first, "<commune>")
        assert f".venv/bin/{command}" in readme, command


def test_quarters_come_through_the_import_path_with_late_missing_and_revised(province):
    root, _ = province
    store = ProgressStore(root / "data" / "progress")
    records = store.read()
    assert set(records["ward"]) == {e.ward for e in list_plans(root / "data" / "plan")}
    assert records["source_sha256"].notna().all() and records["source_file"].str.endswith(".xlsx").all()
    assert records["illustrative"].astype(bool).all() and records["note"].str.contains("Số liệu minh họa").all()
    assert sorted(records["period"].unique())[0] == "2025-Q1" and records["period"].max() == "2026-Q3"
    q3 = records[records["period"] == "2026-Q3"]
    late = q3[q3["submitted_at"] > pd.Timestamp("2026-10-05T23:59:59+07:00")]
    assert not late.empty  # some unit sent its 2026-Q3 report after the deadline
    assert (records["revision"] > 1).any()  # a figure corrected after it was sent


def test_refuses_the_project_folder_and_needs_a_workspace(tmp_path, monkeypatch, capsys):
    with pytest.raises(StoreError, match="Không tạo tỉnh minh họa trong thư mục dự án"):
        build_province(2, PROJECT, load_plan(PLAN_FILE))
    monkeypatch.delenv("KEHOACH_ROOT", raising=False)
    assert main(["sample-data", "--province", "2"]) == StoreError.exit_code
    assert "chọn thư mục bằng --root" in capsys.readouterr().err
    assert main(["--root", str(tmp_path / "w"), "sample-data", "--province", "2"]) == 0
    assert len(list((tmp_path / "w" / "data" / "plan").glob("*.yaml"))) == 2
    assert (tmp_path / "w" / "parameters" / "2026-Q3.yaml").exists()
    assert main(["--root", str(tmp_path / "w"), "sample-data", "--province", "2"]) == 0
    assert "thêm --force để tạo lại" in capsys.readouterr().out
