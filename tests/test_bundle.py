"""A commune's quarter sent to the province (kehoach.data.bundle, `kehoach bundle`, `kehoach province import/status`).

A commune workspace with the project's plan and a few imported CSV files makes bundles; a province
workspace whose list holds that commune imports them. Hostile bundles (a changed or missing member,
zip-slip names, a zip bomb, a truncated zip, a foreign commune, another year) are refused with
nothing changed in the province's workspace.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kehoach.cli import main
from kehoach.core.period import VN_TZ, Period
from kehoach.data.bundle import (MANIFEST, BundleError, CommuneEntry, ProvinceList, import_bundle, province_status,
                                 read_bundle, read_register, recover, write_province_list)
from kehoach.data.plan import load_plan
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file
from kehoach.delivery.bundles import make_bundle
from tests.conftest import PLAN_FILE, PROJECT

WARD = "phan-dinh-phung"
P = Period(2026, 3)


def at(day: int, month: int = 10, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VN_TZ)


def commune_workspace(root: Path) -> Path:
    (root / "data" / "plan").mkdir(parents=True)
    shutil.copy(PLAN_FILE, root / "data" / "plan" / PLAN_FILE.name)
    shutil.copytree(PROJECT / "parameters", root / "parameters")
    return root


FIGURES = "ward,year,unit_code,indicator,period,value,is_estimate,note"


def import_csv(ws: Path, name: str, body: str, when: dt.datetime, head: str = FIGURES) -> None:
    path = ws.parent / name
    if head == FIGURES:
        body = f"{WARD},2026,{body}"
    path.write_text(f"{head}\n{body}\n", encoding="utf-8")
    import_file(path, load_plan(ws / "data" / "plan" / PLAN_FILE.name), ProgressStore(ws / "data" / "progress"),
                today=when.date(), now=when)


def province_workspace(root: Path, year: int = 2026) -> Path:
    (root / "parameters").mkdir(parents=True)
    (root / "parameters" / "2026-Q3.yaml").write_text('period: "2026-Q3"\nyear: 2026\nreport_date: "2026-10-10"\n'
                                                      'deadline: "2026-10-05"\nbundle_deadline: "2026-10-08"\n', encoding="utf-8")
    write_province_list(root / "data", ProvinceList(province="Thái Nguyên", year=year, communes=[
        CommuneEntry(code=WARD, name="Phan Đình Phùng", kind="phường"), CommuneEntry(code="xa-tan-cuong", name="Tân Cương")]))
    return root


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    w = commune_workspace(tmp_path / "phuong")
    import_csv(w, "kt-q2.csv", "KTHT,1,2026-Q2,500000,false,", at(3, 7))
    import_csv(w, "kt-q3.csv", "KTHT,1,2026-Q3,700000,false,Thu ngân sách", at(3))
    import_csv(w, "kt-q3-sua.csv", "KTHT,1,2026-Q3,710000,false,Điều chỉnh", at(4))  # a revision
    import_csv(w, "nd.csv", "KTHT,2026-Q3,ket-qua-noi-bat,,Thu ngân sách vượt tiến độ.", at(4), head="unit,period,item,code,text")
    import_csv(w, "kt-q4.csv", "KTHT,1,2026-Q4,900000,true,", at(4, 12))  # after the period: not in its bundle
    return w


@pytest.fixture
def province(tmp_path: Path) -> Path:
    return province_workspace(tmp_path / "tinh")


def bundle(ws: Path, when: dt.datetime, name: str = "b.zip") -> Path:
    out = ws.parent / "gui" / name
    make_bundle(load_plan(ws / "data" / "plan" / PLAN_FILE.name), P, out, ws / "data", ws / "parameters", created_at=when)
    return out


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def province_records(province: Path) -> pd.DataFrame:
    return ProgressStore(province / "data" / "progress").read(WARD, 2026)


# -- the bundle -------------------------------------------------------------------------------------
def test_bundle_holds_the_plan_records_texts_and_completeness_up_to_the_period(ws):
    path = bundle(ws, at(6, hour=15))
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["completeness.json", "manifest.json", "plan.yaml", "records.csv", "texts.csv"]
        manifest = json.loads(zf.read(MANIFEST))
        completeness = json.loads(zf.read("completeness.json"))
        assert zf.read("plan.yaml") == PLAN_FILE.read_bytes()
        for name, member in manifest["members"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == member["sha256"], name
    assert manifest["schema_version"] == 1 and manifest["commune_code"] == WARD and manifest["commune_name"] == "Phan Đình Phùng"
    assert (manifest["period"], manifest["year"], manifest["decision_number"]) == ("2026-Q3", 2026, "477/QĐ-UBND")
    assert manifest["created_at"] == "2026-10-06T15:00:00+07:00" and manifest["software_version"] == "0.1.0"
    assert (manifest["records"], manifest["texts"]) == (3, 1)  # Q2, Q3 and its revision; not Q4
    kt = next(u for u in completeness["units"] if u["unit_code"] == "KTHT")
    assert (kt["timeliness"], kt["texts"], kt["first_submitted_at"]) == ("on_time", 1, "2026-10-03T02:00:00+00:00")
    b = read_bundle(path)
    figures = b.records[b.records["record"] == "indicator"]
    assert figures[["period", "revision", "value"]].values.tolist() == [["2026-Q2", 1, 500000.0], ["2026-Q3", 1, 700000.0],
                                                                       ["2026-Q3", 2, 710000.0]]
    texts = b.records[b.records["record"] == "text"]
    assert texts[["item", "text", "revision"]].values.tolist() == [["ket-qua-noi-bat", "Thu ngân sách vượt tiến độ.", 1]]


def test_the_same_contents_make_the_same_bundle(ws, tmp_path):
    assert bundle(ws, at(6), "a.zip").read_bytes() == bundle(ws, at(6), "b.zip").read_bytes()


# -- importing -------------------------------------------------------------------------------------
def test_import_builds_the_communes_plan_and_store_from_the_bundle_only(ws, province):
    path = bundle(ws, at(6, hour=15))
    outcome = import_bundle(province / "data", path, now=at(6, hour=16))
    assert (outcome.outcome, outcome.revision) == ("imported", 1)
    assert (province / "data" / "plan" / PLAN_FILE.name).read_bytes() == PLAN_FILE.read_bytes()
    mine = ProgressStore(ws / "data" / "progress").read(WARD, 2026)
    mine = mine[mine["period"] <= "2026-Q3"].reset_index(drop=True)
    pd.testing.assert_frame_equal(province_records(province).reset_index(drop=True), mine)  # revisions, times, sources kept
    assert outcome.archived.read_bytes() == path.read_bytes()
    assert outcome.archived.relative_to(province / "data" / "province").as_posix().startswith(f"bundles/{WARD}/2026-Q3/20261006T150000_")


def test_same_bundle_twice_is_a_no_op_a_newer_one_a_revision_an_older_one_refused_unless_forced(ws, province):
    first = bundle(ws, at(6, hour=15), "1.zip")
    import_bundle(province / "data", first, now=at(6, hour=16))
    before = digest(province)
    again = import_bundle(province / "data", first, now=at(7))
    assert (again.outcome, again.revision) == ("unchanged", 1) and digest(province) == before

    import_csv(ws, "kt-q3-lan3.csv", "KTHT,1,2026-Q3,720000,false,", at(8))
    newer = import_bundle(province / "data", bundle(ws, at(8, hour=15), "2.zip"), now=at(8, hour=16))
    assert (newer.outcome, newer.revision) == ("imported", 2)
    assert province_records(province).query("period == '2026-Q3' and record == 'indicator'")["value"].tolist() == [
        700000.0, 710000.0, 720000.0]

    import_csv(ws, "kt-q3-lan4.csv", "KTHT,1,2026-Q3,730000,false,", at(9))
    older = bundle(ws, at(7, hour=15), "3.zip")  # made before the one in use
    kept = province_records(province)
    with pytest.raises(BundleError, match=r"cũ hơn .* \(lần 2, tạo lúc 15:00 08/10/2026\)\. Số liệu của tỉnh không đổi; "
                                          r"bản gốc đã lưu tại .*\. Nếu đúng là muốn dùng gói này, nhập lại với --force\."):
        import_bundle(province / "data", older, now=at(9, hour=16))
    pd.testing.assert_frame_equal(province_records(province), kept)
    register = read_register(province / "data")
    assert [(b.revision, b.status) for b in register.bundles] == [(1, "superseded"), (2, "active"), (None, "refused")]
    assert (province / "data" / "province" / register.bundles[2].archived_as).read_bytes() == older.read_bytes()

    forced = import_bundle(province / "data", older, force=True, now=at(9, hour=17))
    assert (forced.outcome, forced.revision) == ("imported", 3)
    assert province_records(province).query("period == '2026-Q3' and record == 'indicator'")["value"].tolist()[-1] == 730000.0
    register = read_register(province / "data")
    assert [(b.revision, b.status, b.forced) for b in register.bundles] == [
        (1, "superseded", False), (2, "superseded", False), (None, "refused", False), (3, "active", True)]

    # the newer bundle (revision 2) again: it becomes the one in use, as revision 4; again, nothing to do
    again = import_bundle(province / "data", ws.parent / "gui" / "2.zip", now=at(10))
    assert (again.outcome, again.revision, again.reused) == ("imported", 4, 2)
    assert again.summary() == f"2.zip: phường Phan Đình Phùng ({WARD}) kỳ 2026-Q3 — đã nhập, lần 4 (gói này đã nhận trước đây là lần 2, nay dùng lại)"
    assert province_records(province).query("period == '2026-Q3' and record == 'indicator'")["value"].tolist() == [
        700000.0, 710000.0, 720000.0]
    register = read_register(province / "data")
    assert [(b.revision, b.status) for b in register.bundles] == [
        (1, "superseded"), (2, "superseded"), (None, "refused"), (3, "superseded"), (4, "active")]
    assert register.data_from[WARD] == register.bundles[4].sha256 == register.bundles[1].sha256
    before = digest(province)
    assert import_bundle(province / "data", ws.parent / "gui" / "2.zip", now=at(11)).outcome == "unchanged"
    assert digest(province) == before
    with pytest.raises(BundleError, match=r"cũ hơn .* \(lần 4, tạo lúc 15:00 08/10/2026\)"):  # the first: older, needs --force
        import_bundle(province / "data", first, now=at(11))


def test_an_earlier_periods_bundle_is_kept_without_replacing_later_data(ws, province):
    import_bundle(province / "data", bundle(ws, at(6, hour=15)), now=at(6, hour=16))
    q2 = ws.parent / "q2.zip"
    make_bundle(load_plan(ws / "data" / "plan" / PLAN_FILE.name), Period(2026, 2), q2, ws / "data", ws / "parameters",
                created_at=at(7, hour=15))
    kept = province_records(province)
    outcome = import_bundle(province / "data", q2, now=at(7, hour=16))
    assert (outcome.outcome, outcome.period, outcome.revision) == ("stored", "2026-Q2", 1)
    pd.testing.assert_frame_equal(province_records(province), kept)


def test_status_shows_every_commune_arrival_revision_completeness_and_who_is_late(ws, province):
    import_bundle(province / "data", bundle(ws, at(6, hour=15), "1.zip"), now=at(9, hour=16))  # after 08/10
    import_bundle(province / "data", bundle(ws, at(9, hour=17), "2.zip"), now=at(9, hour=18))
    table = province_status(province / "data", P, dt.date(2026, 10, 8), today=dt.date(2026, 10, 20))
    assert table[["commune", "arrived", "revision", "late", "state"]].values.tolist() == [
        [WARD, True, 2, True, "Gửi trễ hạn"], ["xa-tan-cuong", False, pd.NA, True, "Chưa gửi, quá hạn"]]
    assert table.loc[0, "received_at"] == pd.Timestamp("2026-10-09T18:00:00+07:00")
    assert (table.loc[0, "units"], table.loc[0, "units_complete"], table.loc[0, "units_on_time"]) == (6, 0, 1)  # only KTHT sent, and not all its indicators


def test_a_staging_folder_left_by_a_killed_import_is_removed(ws, province):
    import_bundle(province / "data", bundle(ws, at(6)), now=at(6, hour=16))
    leftover = province / "data" / "province" / ".staging-dead"
    (leftover / "progress").mkdir(parents=True)
    recover(province / "data")
    assert not leftover.exists()


# -- hostile bundles --------------------------------------------------------------------------------
def rewrite(src: Path, dst: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None,
            compress: int = zipfile.ZIP_DEFLATED) -> Path:
    """A copy of the bundle ``src`` with members replaced (or dropped, for None) and others added; the manifest kept."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=compress) as zout:
        for info in zin.infolist():
            data = change.get(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


@pytest.fixture
def good(ws, province) -> Path:
    import_bundle(province / "data", bundle(ws, at(6), "cu.zip"), now=at(6, hour=16))  # the province already holds one
    return bundle(ws, at(7), "moi.zip")


def refused(province: Path, path: Path, message: str) -> None:
    before = digest(province)
    with pytest.raises(BundleError, match=message):
        import_bundle(province / "data", path, now=at(8))
    assert digest(province) == before  # nothing changed, not even the register or the archive


def test_a_modified_member_is_refused(good, province):
    with zipfile.ZipFile(good) as zf:
        records = zf.read("records.csv").replace(b"710000", b"910000")
    refused(province, rewrite(good, good.with_name("sua.zip"), {"records.csv": records}),
            "tệp “records.csv” không khớp mã SHA-256 ghi trong manifest.json: gói đã bị sửa")


def test_a_missing_member_is_refused(good, province):
    refused(province, rewrite(good, good.with_name("thieu.zip"), {"texts.csv": None}),
            "thiếu tệp “texts.csv” mà manifest.json liệt kê")


@pytest.mark.parametrize("name, why", [
    ("../../evil.txt", "có “..”"), ("/etc/cron.d/evil", "là đường dẫn tuyệt đối"), ("C:/Windows/evil.dll", "là đường dẫn tuyệt đối"),
    ("a\\..\\..\\evil.txt", "có dấu gạch chéo ngược")])
def test_zip_slip_names_are_refused(good, province, name, why):
    refused(province, rewrite(good, good.with_name("slip.zip"), {}, add={name: b"x"}), f"tên tệp bên trong “.*” {why}")


def test_a_symlink_member_is_refused(good, province):
    path = rewrite(good, good.with_name("link.zip"), {})
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo("lienket")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    refused(province, path, "“lienket” là liên kết hoặc thư mục")


def test_a_zip_bomb_is_refused_before_it_is_expanded(good, province):
    bomb = rewrite(good, good.with_name("bom.zip"), {"records.csv": b"0" * (60 * 1024 * 1024)})
    assert bomb.stat().st_size < 200_000
    refused(province, bomb, r"“records.csv” nén [\d.]+ lần \(giới hạn 200 lần\): có thể là “bom zip”")


def test_a_truncated_bundle_is_refused(good, province):
    cut = good.with_name("cut.zip")
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    refused(province, cut, "không phải tệp zip hoặc đã bị cắt cụt")


def test_a_bundle_from_a_commune_not_in_the_province_is_refused(good, tmp_path):
    other = province_workspace(tmp_path / "tinh-khac")
    write_province_list(other / "data", ProvinceList(province="Bắc Kạn", year=2026, communes=[
        CommuneEntry(code="xa-khac", name="Khác")]))
    refused(other, good, "xã, phường “phan-dinh-phung” \\(phường Phan Đình Phùng\\) không có trong danh sách của tỉnh Bắc Kạn")


def test_a_bundle_for_another_year_is_refused(tmp_path, province):
    ws = commune_workspace(tmp_path / "nam-truoc")
    plan = ws / "data" / "plan" / PLAN_FILE.name
    old = plan.with_name(f"{WARD}-2025.yaml")
    old.write_text(plan.read_text(encoding="utf-8").replace("year: 2026", "year: 2025"), encoding="utf-8")
    plan.unlink()
    path = ws / "2025.zip"
    make_bundle(load_plan(old), Period(2025, 4), path, ws / "data", ws / "parameters", created_at=at(6))
    refused(province, path, "gói là số liệu năm kế hoạch 2025 \\(kỳ 2025-Q4\\), còn tỉnh đang tổng hợp năm 2026")


def test_a_manifest_of_another_schema_is_refused(good, province):
    with zipfile.ZipFile(good) as zf:
        manifest = json.loads(zf.read(MANIFEST))
    manifest["schema_version"] = 2
    refused(province, rewrite(good, good.with_name("v2.zip"), {MANIFEST: json.dumps(manifest).encode()}),
            "phiên bản định dạng 2, mới hơn phiên bản 1")


# -- the command line -----------------------------------------------------------------------------------
def test_cli_bundle_import_and_status(ws, province, tmp_path, capsys):
    out = tmp_path / "out.zip"
    assert main(["--root", str(ws), "bundle", "--period", "2026-Q3", "-o", str(out)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0] == f"Đóng gói số liệu của phường Phan Đình Phùng (mã {WARD}, thư mục làm việc {ws.resolve()})."
    assert "3 bản ghi chỉ tiêu, nhiệm vụ và 1 mục nội dung báo cáo" in said[1]
    bad = rewrite(out, tmp_path / "bad.zip", {"plan.yaml": b"x: 1\n"})
    assert main(["--root", str(province), "province", "import", str(out), str(bad)]) == 1
    captured = capsys.readouterr()
    assert f"✓ out.zip: phường Phan Đình Phùng ({WARD}) kỳ 2026-Q3 — đã nhập, lần 1\n" in captured.out
    assert "✗ Gói bad.zip bị từ chối, không có gì được ghi vào kho của tỉnh: tệp “plan.yaml” không khớp" in captured.err
    assert "Kết quả: 1 gói đã nhận, 1 gói bị từ chối" in captured.err and "Traceback" not in captured.err
    assert main(["--root", str(province), "province", "status", "--period", "2026-Q3"]) == 0
    text = capsys.readouterr().out
    assert "của các xã, phường tỉnh Thái Nguyên (hạn gửi 08/10/2026):\n" in text
    assert (f"\n  (Hạn gửi 08/10/2026 lấy từ bundle_deadline trong {province.resolve() / 'parameters' / '2026-Q3.yaml'}.)\n"
            in text)
    assert "  Xã Tân Cương: Chưa gửi" in text and "1/2 xã, phường đã gửi" in text
    assert main(["--root", str(ws), "province", "status", "--period", "2026-Q3"]) == 1
    assert "không có danh sách xã, phường của tỉnh" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--root", str(ws), "bundle", "--period", "2026-Q5"])


def test_bundle_members_are_compressed(ws, tmp_path):
    path = bundle(ws, at(6))
    assert path.stat().st_size < 20_000
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())


def reseal(src: Path, dst: Path, change: dict[str, bytes]) -> Path:
    """A copy of the bundle ``src`` with members replaced and the manifest's SHA-256s and sizes recomputed to match."""
    with zipfile.ZipFile(src) as zin:
        members = {i.filename: zin.read(i) for i in zin.infolist()}
    members.update(change)
    manifest = json.loads(members[MANIFEST])
    for name in manifest["members"]:
        manifest["members"][name] = {"sha256": hashlib.sha256(members[name]).hexdigest(), "size": len(members[name])}
    members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    return dst


# -- YAML that expands (“billion laughs”) ---------------------------------------------------------------
LAUGHS = ('a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
          + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)))


def test_a_billion_laughs_plan_inside_a_bundle_is_refused_fast(good, province):
    import time

    started = time.monotonic()
    refused(province, reseal(good, good.with_name("cuoi.zip"), {"plan.yaml": LAUGHS.encode()}),
            "^Gói cuoi.zip bị từ chối, không có gì được ghi vào kho của tỉnh: kế hoạch trong gói không hợp lệ: "
            "tệp cuoi.zip/plan.yaml dòng 2: YAML dùng bí danh \\(&/\\*\\), không được phép; viết đầy đủ giá trị rồi chạy lại.$")
    assert time.monotonic() - started < 2


def test_a_billion_laughs_plan_file_and_parameters_and_province_list_are_refused_fast(tmp_path, province):
    import time

    from kehoach.core.errors import KehoachError, PlanError
    from kehoach.core.parameters import load_parameters
    from kehoach.data.bundle import load_province_list

    plan = tmp_path / "cuoi.yaml"
    plan.write_text(LAUGHS, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(PlanError, match=f"^tệp {plan} dòng 2: YAML dùng bí danh \\(&/\\*\\), không được phép"):
        load_plan(plan)
    params = province / "parameters" / "2026-Q3.yaml"
    params.write_text('period: "2026-Q3"\ndeadline: &d "2026-10-05"\nbundle_deadline: *d\n' + LAUGHS, encoding="utf-8")
    with pytest.raises(KehoachError, match=f"^tệp {params} dòng 3: YAML dùng bí danh"):
        load_parameters(P, province / "parameters")
    listing = province / "data" / "province" / "province.yaml"
    listing.write_text(listing.read_text(encoding="utf-8") + LAUGHS, encoding="utf-8")
    before = digest(province)
    with pytest.raises(BundleError, match=f"^tệp {listing} dòng \\d+: YAML dùng bí danh"):
        load_province_list(province / "data")
    assert time.monotonic() - started < 2 and digest(province) == before


def test_yaml_larger_than_the_limit_is_refused_before_it_is_read(tmp_path):
    from kehoach.core.errors import PlanError

    plan = tmp_path / "lon.yaml"
    plan.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    with pytest.raises(PlanError, match=f"^{plan}: tệp kế hoạch nặng 2.097.155 byte, quá giới hạn 2.097.152 byte"):
        load_plan(plan)


def test_a_python_tag_in_a_plan_is_refused_in_vietnamese(tmp_path):
    from kehoach.core.errors import PlanError

    plan = tmp_path / "the.yaml"
    plan.write_text("document: !!python/object/apply:os.system ['echo']\n", encoding="utf-8")
    with pytest.raises(PlanError, match=f"^{plan}: YAML sai ở dòng 1, cột 11: thẻ YAML "
                                        "“tag:yaml.org,2002:python/object/apply:os.system” không được phép"):
        load_plan(plan)


# -- an import killed midway ------------------------------------------------------------------------------
def killed_import(ws: Path, province: Path) -> None:
    """Revision 1 imported; revision 2 journalled, then killed after the old store was moved aside (as `_apply` does)."""
    from kehoach.data.bundle import _stage

    data = province / "data"
    import_bundle(data, bundle(ws, at(6, hour=15), "1.zip"), now=at(6, hour=16))
    import_csv(ws, "kt-q3-lan3.csv", "KTHT,1,2026-Q3,720000,false,", at(8))
    journal, outcome = _stage(data, read_bundle(bundle(ws, at(8, hour=15), "2.zip")), False, at(8, hour=16))
    assert outcome.revision == 2 and journal["replace"]
    store = ProgressStore(data / "progress").folder(WARD, 2026)
    store.rename(data / "province" / journal["staging"] / "replaced")
    assert (data / "province" / "pending.json").exists() and not store.exists()
    assert read_register(data).active(WARD, "2026-Q3").revision == 1


def test_status_finishes_an_import_killed_midway_first(ws, province):
    killed_import(ws, province)
    table = province_status(province / "data", P, dt.date(2026, 10, 8), today=dt.date(2026, 10, 9))
    assert table[["commune", "revision", "state"]].values.tolist() == [[WARD, 2, "Đúng hạn"], ["xa-tan-cuong", pd.NA, "Chưa gửi, quá hạn"]]
    assert not (province / "data" / "province" / "pending.json").exists()
    assert list((province / "data" / "province").glob(".staging-*")) == []
    assert province_records(province).query("period == '2026-Q3' and record == 'indicator'")["value"].tolist() == [
        700000.0, 710000.0, 720000.0]


def test_the_province_run_finishes_an_import_killed_midway_before_choosing_communes(ws, province):
    from kehoach.delivery.province import province_wards

    killed_import(ws, province)
    assert province_wards(province / "data", 2026) == [WARD]
    assert read_register(province / "data").active(WARD, "2026-Q3").revision == 2
    assert province_records(province).query("period == '2026-Q3' and record == 'indicator'")["value"].tolist() == [
        700000.0, 710000.0, 720000.0]


def test_a_first_import_killed_before_any_move_is_finished_by_the_province_run(ws, province):
    from kehoach.data.bundle import _stage
    from kehoach.delivery.province import province_wards

    data = province / "data"
    journal, _ = _stage(data, read_bundle(bundle(ws, at(6, hour=15))), False, at(6, hour=16))
    assert not (data / "plan" / PLAN_FILE.name).exists()
    assert province_wards(data, 2026) == [WARD]
    assert (data / "plan" / PLAN_FILE.name).read_bytes() == PLAN_FILE.read_bytes()


# -- several bundles at once; contents that contradict the bundle's own plan ------------------------------
def test_cli_import_takes_each_argument_on_its_own(ws, province, tmp_path, capsys):
    first, newer = bundle(ws, at(6), "dau.zip"), bundle(ws, at(7), "sau.zip")
    folder = tmp_path / "thu-muc"
    folder.mkdir()
    text = tmp_path / "ghi-chu.txt"
    text.write_text("không phải zip", encoding="utf-8")
    missing = tmp_path / "khong-co.zip"
    assert main(["--root", str(province), "province", "import", str(first), str(folder), str(missing), str(text),
                 str(newer), str(first)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"✓ dau.zip: phường Phan Đình Phùng ({WARD}) kỳ 2026-Q3 — đã nhập, lần 1",
        f"✓ sau.zip: phường Phan Đình Phùng ({WARD}) kỳ 2026-Q3 — đã nhập, lần 2"]
    assert err.splitlines() == [
        f"✗ Gói thu-muc bị từ chối, không có gì được ghi vào kho của tỉnh: {folder} là một thư mục, không phải tệp gói .zip; "
        f"chỉ rõ từng tệp gói (ví dụ {folder}/*.zip).",
        f"✗ Gói khong-co.zip bị từ chối, không có gì được ghi vào kho của tỉnh: không có tệp {missing}; kiểm tra đường dẫn "
        "và tên tệp.",
        "✗ Gói ghi-chu.txt bị từ chối, không có gì được ghi vào kho của tỉnh: không phải tệp zip hoặc đã bị cắt cụt (tải về "
        "chưa hết?). Tải lại hoặc đề nghị xã, phường gửi lại gói.",
        "✗ Gói dau.zip bị từ chối: gói tạo lúc 09:00 06/10/2026, cũ hơn (hoặc cùng lúc với) gói đang dùng của "
        f"{WARD} kỳ 2026-Q3 (lần 2, tạo lúc 09:00 07/10/2026). Số liệu của tỉnh không đổi; bản gốc đã lưu tại "
        f"{province / 'data' / 'province' / read_register(province / 'data').bundles[0].archived_as}. Nếu đúng là muốn dùng "
        "gói này, nhập lại với --force.",
        "Kết quả: 2 gói đã nhận, 4 gói bị từ chối (gói bị từ chối không làm thay đổi số liệu của tỉnh)."]


def test_cli_import_of_the_same_bundle_twice_says_the_second_changed_nothing(ws, province, capsys):
    path = bundle(ws, at(6))
    assert main(["--root", str(province), "province", "import", str(path), str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"✓ b.zip: phường Phan Đình Phùng ({WARD}) kỳ 2026-Q3 — đã nhập, lần 1",
        f"✓ b.zip: phường Phan Đình Phùng ({WARD}) kỳ 2026-Q3 — đã nhập trước đây và đang được dùng (lần 1), không thay đổi gì",
        "Kết quả: 1 gói đã nhận, 1 gói đã nhập trước đây (không đổi gì), 0 gói bị từ chối (gói bị từ chối không làm thay "
        "đổi số liệu của tỉnh)."]


def test_duplicate_records_are_refused_as_an_invalid_bundle_leaving_nothing(good, province):
    with zipfile.ZipFile(good) as zf:
        lines = zf.read("records.csv").decode("utf-8").splitlines()
    records = "\n".join([*lines, lines[2]]) + "\n"  # row 3 again, as row 5
    refused(province, reseal(good, good.with_name("trung.zip"), {"records.csv": records.encode()}),
            "^Gói trung.zip bị từ chối, không có gì được ghi vào kho của tỉnh: records.csv dòng 5: trùng dòng 3 \\(cùng bản "
            "ghi, cùng kỳ 2026-Q3 và lần sửa 1\\); kho chỉ giữ một bản ghi cho mỗi lần sửa; đề nghị xã, phường lập lại gói "
            "bằng `kehoach bundle`.$")
    assert sorted(p.name for p in (province / "data" / "province" / "bundles" / WARD / "2026-Q3").iterdir()) == [
        read_register(province / "data").bundles[0].archived_as.rsplit("/", 1)[1]]


def edit_completeness(good: Path, field: str, value: object) -> bytes:
    with zipfile.ZipFile(good) as zf:
        completeness = json.loads(zf.read("completeness.json"))
    completeness["units"][1][field] = value
    return json.dumps(completeness, ensure_ascii=False).encode()


@pytest.mark.parametrize("member, old, new, message", [
    ("records.csv", b'"indicator",1,,"2026-Q3",1,700000', b'"indicator",999,,"2026-Q3",1,700000',
     "records.csv dòng 3, trường “indicator” \\(“999”\\): chỉ tiêu không có trong kế hoạch 477/QĐ-UBND của gói"),
    ("records.csv", b'700000,false,,"KTHT"', b'700000,false,,"XYZ"',
     "records.csv dòng 3, trường “unit_code” \\(“XYZ”\\): đơn vị không có trong kế hoạch 477/QĐ-UBND của gói"),
    ("records.csv", b'"2026-Q2"', b'"2024-Q2"',
     "records.csv dòng 2, trường “period” \\(“2024-Q2”\\): kỳ nằm ngoài năm kế hoạch 2026 \\(và năm 2025 để so sánh\\)"),
    ("records.csv", b'"2026-Q2"', b'"2026-Q4"', "records.csv dòng 2, trường “period” \\(“2026-Q4”\\): kỳ sau kỳ 2026-Q3 của gói"),
    ("texts.csv", b'"KTHT"', b'"ABC"',
     "texts.csv dòng 2, trường “unit_code” \\(“ABC”\\): đơn vị không có trong kế hoạch 477/QĐ-UBND của gói"),
    ("completeness.json", "unit_code", "ABC",
     "completeness.json mục 2, trường “unit_code” \\(“ABC”\\): đơn vị không có trong kế hoạch 477/QĐ-UBND của gói"),
    ("completeness.json", "due", -8,
     "completeness.json mục 2 \\(đơn vị VHXH\\), trường “due” \\(“-8”\\): phải là số nguyên không âm"),
    ("completeness.json", "submitted", -1,
     "completeness.json mục 2 \\(đơn vị VHXH\\), trường “submitted” \\(“-1”\\): phải là số nguyên không âm"),
])
def test_contents_that_contradict_the_bundles_own_plan_are_refused(good, province, member, old, new, message):
    with zipfile.ZipFile(good) as zf:
        data = zf.read(member)
    if member == "completeness.json":
        changed = edit_completeness(good, old, new)
    else:
        assert data.count(old) >= 1
        changed = data.replace(old, new, 1)
    refused(province, reseal(good, good.with_name("sua-lai.zip"), {member: changed}),
            f"^Gói sua-lai.zip bị từ chối, không có gì được ghi vào kho của tỉnh: {message}; đề nghị xã, phường lập lại "
            "gói bằng `kehoach bundle`.$")


def test_status_says_where_its_deadline_comes_from(province, capsys):
    params = province / "parameters" / "2026-Q3.yaml"
    params.write_text('period: "2026-Q3"\ndeadline: "2026-10-06"\n', encoding="utf-8")
    assert main(["--root", str(province), "province", "status", "--period", "2026-Q3"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        f"  (Hạn gửi 06/10/2026 lấy từ deadline (tệp không có bundle_deadline) trong {params.resolve()}.)")
    params.unlink()
    assert main(["--root", str(province), "province", "status", "--period", "2026-Q3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("(hạn gửi 05/10/2026):")
    assert lines[1] == (f"  (Chưa có tệp {params.resolve()}, nên dùng hạn mặc định 05/10/2026 (5 ngày sau khi hết quý). "
                        "Tạo tệp đó (period, deadline, bundle_deadline) để đặt hạn gửi gói của tỉnh.)")


def test_bundle_without_root_in_another_workspace_says_what_it_bundles(ws, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KEHOACH_ROOT", raising=False)
    monkeypatch.chdir(ws)
    main(["bundle", "--period", "2026-Q3", "-o", str(tmp_path / "du-an.zip")])
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == f"Đóng gói số liệu của phường Phan Đình Phùng (mã {WARD}, thư mục làm việc {PROJECT})."
    assert err.splitlines()[0] == (
        f"Lưu ý: thư mục hiện tại {ws.resolve()} có vẻ là không gian làm việc của một xã, phường khác, nhưng lệnh không có "
        f"--root nên đóng gói {PROJECT}. Nếu cần gói của thư mục hiện tại: kehoach --root {ws.resolve()} bundle --period 2026-Q3")


# -- what libraries say reaches the province in Vietnamese ------------------------------------------------
@pytest.mark.parametrize("member, old, new, message", [
    ("records.csv", b',1,700000,false,', b',1,bay-tram,false,',
     "loi.zip/records.csv: số liệu không đọc được theo định dạng lưu trữ: dòng 3, trường “value”: giá trị “bay-tram” không "
     "phải số\\. Đề nghị xã, phường lập lại gói bằng `kehoach bundle`\\."),
    ("records.csv", b'"2026-Q3",1,700000', b'"2026-Q3",mot,700000',
     "loi.zip/records.csv: số liệu không đọc được theo định dạng lưu trữ: dòng 3, trường “revision”: giá trị “mot” không "
     "phải số nguyên\\. Đề nghị xã, phường lập lại gói bằng `kehoach bundle`\\."),
    ("texts.csv", b'"ket-qua-noi-bat"', b'"ket-qua\xff"',
     "loi.zip/texts.csv: số liệu không đọc được theo định dạng lưu trữ: trường “item”: có chữ không phải văn bản UTF-8\\. "
     "Đề nghị xã, phường lập lại gói bằng `kehoach bundle`\\."),
    ("completeness.json", b'{', b'\xff{', "completeness.json không phải văn bản UTF-8; đề nghị xã, phường lập lại gói\\."),
    ("completeness.json", b'"units"', b'"don-vi"', "completeness.json thiếu trường “units”; đề nghị xã, phường lập lại gói\\."),
    ("plan.yaml", b'# K', b'\xff# K', "plan.yaml không phải văn bản UTF-8 \\(byte lỗi ở vị trí 0\\)\\. Đề nghị xã, "
     "phường tạo lại gói\\."),
    ("manifest.json", b'"period": "2026-Q3"', b'"period": "Q3"',
     "manifest.json, trường “period”: không đúng dạng quy định \\(1 lỗi\\)\\. Đề nghị xã, phường tạo lại gói bằng `kehoach "
     "bundle`\\."),
])
def test_library_errors_in_a_bundle_are_said_in_vietnamese(good, province, member, old, new, message):
    with zipfile.ZipFile(good) as zf:
        data = zf.read(member)
    assert old in data
    changed = data.replace(old, new, 1)
    path = good.with_name("loi.zip")
    if member == "manifest.json":
        rewrite(good, path, {member: changed})
    else:
        reseal(good, path, {member: changed})
    refused(province, path, f"^Gói loi.zip bị từ chối, không có gì được ghi vào kho của tỉnh: {message}$")
